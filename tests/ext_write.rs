//! The ext write engine against real filesystems: mke2fs builds each one, `ExtWriter` edits
//! it in memory, the changed ranges are applied to a copy of the image, and e2fsck (`-fn`),
//! debugfs and our own reader are the oracles.

mod common;

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use pv2hvm::fs::ext::write::{ExtWriter, WriteError};
use pv2hvm::fs::ext::ExtFs;
use pv2hvm::fs::FileSystem;
use pv2hvm::image::{Device, IoStats, RawImage};

const NOW: u32 = 1_700_000_000;

fn device(img: &Path) -> Device {
    Arc::new(RawImage::open(img, Arc::new(IoStats::default())).unwrap())
}

fn tool(cmd: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(cmd)
        .args(args)
        .env("PATH", "/usr/sbin:/sbin:/usr/bin:/bin")
        .env("E2FSPROGS_FAKE_TIME", "1700000000")
        .output()
        .expect("run tool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn debugfs(img: &Path, req: &str) -> String {
    tool("debugfs", &["-R", req, img.to_str().unwrap()]).1
}

fn debugfs_cat(img: &Path, path: &str) -> Vec<u8> {
    let out = Command::new("/usr/sbin/debugfs")
        .args(["-R", &format!("cat {path}"), img.to_str().unwrap()])
        .output()
        .unwrap();
    out.stdout
}

fn e2fsck(img: &Path) -> (i32, String) {
    tool("e2fsck", &["-fn", img.to_str().unwrap()])
}

fn apply(img: &Path, ranges: &[(u64, Vec<u8>)]) {
    let mut f = fs::OpenOptions::new().write(true).open(img).unwrap();
    let mut last = 0;
    for (off, data) in ranges {
        assert!(*off >= last, "ranges must be in offset order");
        last = off + data.len() as u64;
        f.seek(SeekFrom::Start(*off)).unwrap();
        f.write_all(data).unwrap();
    }
}

/// The test tree: config files, a file to grow, one to shrink, an empty dir, a big dir.
fn source(dir: &Path, bs: usize) {
    let etc = dir.join("etc");
    fs::create_dir_all(&etc).unwrap();
    fs::create_dir_all(dir.join("small")).unwrap();
    fs::create_dir_all(dir.join("big")).unwrap();
    fs::write(etc.join("hostname"), "old-host\n").unwrap();
    fs::write(etc.join("grow"), pattern(11 * bs - 10, 1)).unwrap();
    fs::write(etc.join("shrink"), pattern(20 * bs + 3, 2)).unwrap();
    fs::write(etc.join("fragA"), pattern(10, 3)).unwrap();
    fs::write(etc.join("fragB"), pattern(10, 4)).unwrap();
    for i in 0..300 {
        fs::write(
            dir.join("big")
                .join(format!("entry-with-a-long-name-{i:04}")),
            format!("{i}\n"),
        )
        .unwrap();
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed as u32 * 7) as u8)
        .collect()
}

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    bs: usize,
}

const CASES: &[Case] = &[
    Case {
        name: "ext2-1k",
        args: &["-t", "ext2"],
        bs: 1024,
    },
    Case {
        name: "ext2-4k",
        args: &["-t", "ext2"],
        bs: 4096,
    },
    Case {
        name: "ext3-1k",
        args: &["-t", "ext3"],
        bs: 1024,
    },
    Case {
        name: "ext3-4k",
        args: &["-t", "ext3"],
        bs: 4096,
    },
    Case {
        name: "ext4-4k-csum-64bit-flex",
        args: &["-t", "ext4"],
        bs: 4096,
    },
    Case {
        name: "ext4-1k-csum-64bit-flex",
        args: &["-t", "ext4"],
        bs: 1024,
    },
    Case {
        name: "ext4-4k-csum-no64bit",
        args: &["-t", "ext4", "-O", "^64bit"],
        bs: 4096,
    },
    Case {
        name: "ext4-4k-uninit_bg",
        args: &["-t", "ext4", "-O", "^metadata_csum,uninit_bg"],
        bs: 4096,
    },
    Case {
        name: "ext4-1k-uninit_bg-no64bit-noflex",
        args: &[
            "-t",
            "ext4",
            "-O",
            "^metadata_csum,^64bit,^flex_bg,uninit_bg",
        ],
        bs: 1024,
    },
    Case {
        name: "ext4-4k-meta_bg",
        args: &["-t", "ext4", "-O", "meta_bg,^resize_inode"],
        bs: 4096,
    },
    Case {
        name: "ext3-1k-meta_bg-64groups",
        args: &["-t", "ext3", "-O", "meta_bg,^resize_inode", "-g", "512"],
        bs: 1024,
    },
    Case {
        name: "ext4-1k-meta_bg-64groups",
        args: &["-t", "ext4", "-O", "meta_bg,^resize_inode", "-g", "512"],
        bs: 1024,
    },
    Case {
        name: "ext3-4k-inode128",
        args: &["-t", "ext3", "-I", "128"],
        bs: 4096,
    },
    Case {
        name: "ext4-1k-inode128-csum",
        args: &["-t", "ext4", "-I", "128"],
        bs: 1024,
    },
    Case {
        name: "ext4-1k-nocsum",
        args: &["-t", "ext4", "-O", "^metadata_csum,^64bit,^uninit_bg"],
        bs: 1024,
    },
];

fn make(dir: &Path, case: &Case) -> std::path::PathBuf {
    let src = dir.join("src");
    source(&src, case.bs);
    let img = dir.join("fs.img");
    let bs = case.bs.to_string();
    let mut args: Vec<&str> = vec!["-q", "-F"];
    args.extend(case.args);
    args.extend([
        "-b",
        &bs,
        "-d",
        src.to_str().unwrap(),
        img.to_str().unwrap(),
        "32M",
    ]);
    let (rc, out) = tool("mke2fs", &args);
    assert_eq!(rc, 0, "{}: mke2fs: {out}", case.name);
    // Index the big directory (mke2fs -d writes it linear).
    let (rc, out) = tool("e2fsck", &["-fyD", img.to_str().unwrap()]);
    assert!(rc <= 1, "{}: e2fsck -D: {out}", case.name);
    let (rc, out) = e2fsck(&img);
    assert_eq!(rc, 0, "{}: fresh image not clean: {out}", case.name);
    img
}

fn size_of(img: &Path, path: &str) -> u64 {
    let s = debugfs(img, &format!("stat {path}"));
    let i = s.find("Size: ").unwrap_or_else(|| panic!("no size in {s}"));
    s[i + 6..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn run_case(case: &Case) {
    common::need("mke2fs", "e2fsprogs");
    let tmp = tempfile::tempdir().unwrap();
    let img = make(tmp.path(), case);
    let bs = case.bs;
    let n = case.name;
    let htree = debugfs(&img, "htree /big");
    assert!(
        htree.contains("Root node dump"),
        "{n}: /big not indexed: {htree}"
    );

    let mut w = ExtWriter::new(device(&img), NOW).unwrap_or_else(|e| panic!("{n}: {e}"));
    let mut expect: Vec<(&str, Vec<u8>)> = Vec::new();

    // In place.
    let host = b"new-host.example\n".to_vec();
    w.write_file("/etc/hostname", &host).unwrap();
    expect.push(("/etc/hostname", host));
    // Grow past the 12 direct blocks.
    let grown = pattern(14 * bs + 5, 9);
    w.write_file("/etc/grow", &grown).unwrap();
    expect.push(("/etc/grow", grown));
    // Shrink (frees the indirect block on ext2/3).
    let shrunk = pattern(100, 8);
    w.write_file("/etc/shrink", &shrunk).unwrap();
    expect.push(("/etc/shrink", shrunk));
    // Interleave two growing files: fragA ends with 7 runs (a leaf block on ext4).
    for i in 1..=7 {
        w.write_file("/etc/fragA", &pattern(i * bs, 5)).unwrap();
        w.write_file("/etc/fragB", &pattern(i * bs, 6)).unwrap();
    }
    expect.push(("/etc/fragA", pattern(7 * bs, 5)));
    // fragB shrinks back to 2 runs (the leaf block is freed on ext4).
    w.write_file("/etc/fragB", &pattern(2 * bs, 6)).unwrap();
    expect.push(("/etc/fragB", pattern(2 * bs, 6)));
    // Create, then write the new file again.
    w.create_file("/etc", "new.conf", b"hello\n", 0o644, 0, 0)
        .unwrap_or_else(|e| panic!("{n}: {e}"));
    let newc = pattern(3 * bs + 1, 7);
    w.write_file("/etc/new.conf", &newc).unwrap();
    expect.push(("/etc/new.conf", newc));
    w.create_file("/etc", "empty", b"", 0o600, 1000, 1000)
        .unwrap();
    expect.push(("/etc/empty", Vec::new()));
    // Symlinks.
    w.create_symlink("/etc", "fast", "/etc/hostname").unwrap();
    let slow_target = format!("/{}", "long-component/".repeat(6));
    w.create_symlink("/etc", "slow", &slow_target).unwrap();
    // Duplicates and bad names are refused without changes.
    assert!(matches!(
        w.create_file("/etc", "hostname", b"x", 0o644, 0, 0),
        Err(WriteError::Exists(_))
    ));
    assert!(w.create_file("/etc", "a/b", b"x", 0o644, 0, 0).is_err());
    assert!(w.write_file("/etc/fast", b"x").is_err());
    assert!(w.write_file("/etc/missing", b"x").is_err());
    // Into the htree directory: the leaf a name hashes to.
    let mut added = 0;
    for i in 0..12 {
        let name = format!("added-{i}-{}", "x".repeat(i * 3));
        match w.create_file("/big", &name, name.as_bytes(), 0o644, 0, 0) {
            Ok(()) => added += 1,
            Err(WriteError::NoSpace(_)) => {}
            Err(e) => panic!("{n}: {e}"),
        }
    }
    assert!(added >= 3, "{n}: only {added} htree insertions fitted");
    eprintln!("{n}: {added} htree insertions");

    // Our reader over the overlay sees it all (ext4-view reads neither meta_bg nor
    // metadata_csum with 128-byte inodes: it refuses the fresh image too).
    let readable = ExtFs::open(device(&img)).is_ok_and(|f| f.read_dir("/").is_ok());
    assert_eq!(
        readable,
        !n.contains("meta_bg") && !n.contains("inode128-csum"),
        "{n}"
    );
    if readable {
        let view = ExtFs::open(w.device()).unwrap_or_else(|e| panic!("{n}: {e}"));
        for (p, c) in &expect {
            assert_eq!(&view.read_file(p, 1 << 26).unwrap(), c, "{n}: overlay {p}");
        }
        assert_eq!(view.read_link("/etc/fast").unwrap(), "/etc/hostname");
        assert_eq!(view.read_link("/etc/slow").unwrap(), slow_target);
        assert_eq!(view.read_dir("/big").unwrap().len(), 300 + added);
    }

    let ranges = w.finish();
    assert!(!ranges.is_empty());
    apply(&img, &ranges);
    let (rc, out) = e2fsck(&img);
    assert_eq!(rc, 0, "{n}: e2fsck after edits: {out}");
    for (p, c) in &expect {
        assert_eq!(&debugfs_cat(&img, p), c, "{n}: debugfs cat {p}");
        assert_eq!(size_of(&img, p), c.len() as u64, "{n}: size of {p}");
    }
    if readable {
        let fsr = ExtFs::open(device(&img)).unwrap();
        for (p, c) in &expect {
            assert_eq!(&fsr.read_file(p, 1 << 26).unwrap(), c, "{n}: image {p}");
        }
        assert_eq!(fsr.read_link("/etc/slow").unwrap(), slow_target);
    }
    let sl = debugfs(&img, "stat /etc/slow");
    assert!(
        sl.contains(&format!("Size: {}", slow_target.len())),
        "{n}: {sl}"
    );
    let fl = debugfs(&img, "stat /etc/fast");
    assert!(
        fl.contains("Fast link dest: \"/etc/hostname\""),
        "{n}: {fl}"
    );
    let stat = debugfs(&img, "stat /etc/empty");
    assert!(stat.contains("User:  1000"), "{n}: {stat}");
    if case.args.contains(&"ext4") {
        let ex = debugfs(&img, "ex /etc/fragA");
        assert!(
            ex.contains("1/ 1"),
            "{n}: fragA should have a leaf level: {ex}"
        );
        let ex = debugfs(&img, "ex /etc/fragB");
        assert!(
            !ex.contains("1/ 1"),
            "{n}: fragB should be back in the inode: {ex}"
        );
    } else {
        let st = debugfs(&img, "stat /etc/grow");
        assert!(
            st.contains("(IND)"),
            "{n}: grow should use an indirect block: {st}"
        );
    }

    // A full directory: fill /small until it refuses, then check a fresh writer refuses too.
    let mut w = ExtWriter::new(device(&img), NOW).unwrap();
    let mut made = 0;
    let full = loop {
        let name = format!("filler-{made:03}-{}", "y".repeat(40));
        match w.create_file("/small", &name, b"", 0o644, 0, 0) {
            Ok(()) => made += 1,
            Err(e) => break e,
        }
        assert!(made < 200, "{n}: /small never filled");
    };
    assert!(matches!(full, WriteError::NoSpace(_)), "{n}: {full}");
    eprintln!("{n}: /small took {made} entries");
    apply(&img, &w.finish());
    let (rc, out) = e2fsck(&img);
    assert_eq!(rc, 0, "{n}: e2fsck after filling: {out}");
    let mut w = ExtWriter::new(device(&img), NOW).unwrap();
    let name = format!("filler-999-{}", "y".repeat(40));
    let e = w.create_file("/small", &name, b"", 0o644, 0, 0);
    assert!(matches!(e, Err(WriteError::NoSpace(_))), "{n}: {e:?}");
    assert!(w.finish().is_empty(), "{n}: a refusal left changes");

    // The htree directory: insert until the leaf a name hashes to is full.
    let mut w = ExtWriter::new(device(&img), NOW).unwrap();
    let mut made = 0;
    let full = loop {
        let name = format!("more-{made:04}-{}", "z".repeat(40));
        match w.create_file("/big", &name, b"", 0o644, 0, 0) {
            Ok(()) => made += 1,
            Err(e) => break e,
        }
        assert!(made < 5000, "{n}: /big never filled");
    };
    assert!(matches!(full, WriteError::NoSpace(_)), "{n}: {full}");
    eprintln!("{n}: /big took {made} more entries");
    let before = w.device();
    apply(&img, &w.finish());
    let (rc, out) = e2fsck(&img);
    assert_eq!(rc, 0, "{n}: e2fsck after filling the htree: {out}");
    if readable {
        let listed = ExtFs::open(before).unwrap().read_dir("/big").unwrap().len();
        assert_eq!(listed, 300 + added + made, "{n}");
    }
}

#[test]
fn edit_matrix() {
    for case in CASES {
        run_case(case);
    }
}

/// An htree with an index level under the root (1 KiB blocks, 3000 long names).
#[test]
fn two_level_htree() {
    for args in [&["-t", "ext4"][..], &["-t", "ext3"][..]] {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(src.join("d")).unwrap();
        for i in 0..3000 {
            fs::write(
                src.join("d")
                    .join(format!("a-rather-long-file-name-number-{i:05}")),
                "",
            )
            .unwrap();
        }
        let img = tmp.path().join("h.img");
        let mut a: Vec<&str> = vec!["-q", "-F", "-b", "1024", "-N", "4096"];
        a.extend(args);
        a.extend(["-d", src.to_str().unwrap(), img.to_str().unwrap(), "32M"]);
        let (rc, out) = tool("mke2fs", &a);
        assert_eq!(rc, 0, "{out}");
        tool("e2fsck", &["-fyD", img.to_str().unwrap()]);
        let h = debugfs(&img, "htree /d");
        assert!(h.contains("Indirect levels: 1"), "{h}");
        let mut w = ExtWriter::new(device(&img), NOW).unwrap();
        let mut added = 0;
        for i in 0..40 {
            match w.create_file("/d", &format!("new-{i}"), b"n", 0o644, 0, 0) {
                Ok(()) => added += 1,
                Err(WriteError::NoSpace(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert!(added >= 10, "{added}");
        apply(&img, &w.finish());
        let (rc, out) = e2fsck(&img);
        assert_eq!(rc, 0, "{args:?}: {out}");
        assert_eq!(
            ExtFs::open(device(&img))
                .unwrap()
                .read_dir("/d")
                .unwrap()
                .len(),
            3000 + added
        );
    }
}

/// A damaged inode checksum: the write is refused and nothing changes.
#[test]
fn bad_inode_checksum_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let img = make(tmp.path(), &CASES[4]);
    let imap = debugfs(&img, "imap /etc/hostname");
    let num = |key: &str| -> u64 {
        let i = imap.find(key).unwrap() + key.len();
        let t = imap[i..]
            .trim_start()
            .split(|c: char| !c.is_ascii_hexdigit() && c != 'x')
            .next()
            .unwrap();
        if let Some(h) = t.strip_prefix("0x") {
            u64::from_str_radix(h, 16).unwrap()
        } else {
            t.parse().unwrap()
        }
    };
    let at = num("located at block") * 4096 + num("offset");
    let mut bytes = fs::read(&img).unwrap();
    bytes[at as usize + 8] ^= 0xFF; // atime
    fs::write(&img, &bytes).unwrap();
    let mut w = ExtWriter::new(device(&img), NOW).unwrap();
    let e = w.write_file("/etc/hostname", b"x\n");
    assert!(matches!(e, Err(WriteError::Corrupt(_))), "{e:?}");
    // Other files are still writable; the refused one left nothing behind.
    w.write_file("/etc/fragA", b"fine\n").unwrap();
    let ranges = w.finish();
    assert!(!ranges.is_empty());
    let bmap = Command::new("/usr/sbin/debugfs")
        .args(["-n", "-R", "bmap /etc/hostname 0", img.to_str().unwrap()])
        .output()
        .unwrap();
    let data: u64 = String::from_utf8_lossy(&bmap.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(
        ranges.iter().all(|(o, _)| *o != data * 4096),
        "the refused write left its data"
    );
}

/// With quota, only same-size rewrites are made.
#[test]
fn quota_allows_only_same_size_rewrites() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    source(&src, 4096);
    let img = tmp.path().join("q.img");
    let (rc, out) = tool(
        "mke2fs",
        &[
            "-q",
            "-F",
            "-t",
            "ext4",
            "-O",
            "quota",
            "-d",
            src.to_str().unwrap(),
            img.to_str().unwrap(),
            "32M",
        ],
    );
    assert_eq!(rc, 0, "{out}");
    // mke2fs -d does not account the copied files in the quota files: let e2fsck fix that.
    tool("e2fsck", &["-fy", img.to_str().unwrap()]);
    let (rc, out) = e2fsck(&img);
    assert_eq!(rc, 0, "fresh quota image: {out}");
    let mut w = ExtWriter::new(device(&img), NOW).unwrap();
    w.write_file("/etc/hostname", b"same-size\n").unwrap();
    let e = w.write_file("/etc/hostname", &vec![b'x'; 10000]);
    assert!(matches!(e, Err(WriteError::Refused(_))), "{e:?}");
    assert!(w.create_file("/etc", "n", b"", 0o644, 0, 0).is_err());
    apply(&img, &w.finish());
    let (rc, out) = e2fsck(&img);
    assert_eq!(rc, 0, "{out}");
    assert_eq!(debugfs_cat(&img, "/etc/hostname"), b"same-size\n");
}

#[test]
fn dirty_journal_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let case = &CASES[4];
    let img = make(tmp.path(), case);
    let blk = fs::write(tmp.path().join("blk"), vec![0u8; 4096]);
    blk.unwrap();
    let script = tmp.path().join("cmds");
    fs::write(
        &script,
        format!("jo\njw -b 300 {}\njc\n", tmp.path().join("blk").display()),
    )
    .unwrap();
    let (rc, out) = tool(
        "debugfs",
        &["-w", "-f", script.to_str().unwrap(), img.to_str().unwrap()],
    );
    assert_eq!(rc, 0, "{out}");
    assert!(tool("dumpe2fs", &["-h", img.to_str().unwrap()])
        .1
        .contains("needs_recovery"));
    match ExtWriter::new(device(&img), NOW) {
        Err(WriteError::Refused(m)) => assert!(m.contains("recovery"), "{m}"),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("a dirty journal was accepted"),
    }
}

#[test]
fn inline_data_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("i.img");
    let (rc, out) = tool(
        "mke2fs",
        &[
            "-q",
            "-F",
            "-t",
            "ext4",
            "-O",
            "inline_data",
            img.to_str().unwrap(),
            "16M",
        ],
    );
    assert_eq!(rc, 0, "{out}");
    match ExtWriter::new(device(&img), NOW) {
        Err(WriteError::Refused(m)) => assert!(m.contains("inline_data"), "{m}"),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("inline_data was accepted"),
    }
}

/// Random damage to the metadata of small images: every operation returns, none panics.
#[test]
fn hostile_metadata_never_panics() {
    use pv2hvm::image::MemDevice;
    for (fstype, extra) in [
        ("ext4", "metadata_csum"),
        ("ext4", "^metadata_csum"),
        ("ext2", "dir_index"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(src.join("etc")).unwrap();
        fs::create_dir_all(src.join("d")).unwrap();
        fs::write(src.join("etc/hostname"), "h\n").unwrap();
        fs::write(src.join("etc/big"), pattern(30 * 1024, 1)).unwrap();
        for i in 0..60 {
            fs::write(
                src.join("d")
                    .join(format!("name-{i:03}-{}", "q".repeat(20))),
                "",
            )
            .unwrap();
        }
        let img = tmp.path().join("f.img");
        let (rc, out) = tool(
            "mke2fs",
            &[
                "-q",
                "-F",
                "-t",
                fstype,
                "-O",
                extra,
                "-b",
                "1024",
                "-N",
                "128",
                "-d",
                src.to_str().unwrap(),
                img.to_str().unwrap(),
                "2M",
            ],
        );
        assert_eq!(rc, 0, "{out}");
        tool("e2fsck", &["-fyD", img.to_str().unwrap()]);
        let clean = fs::read(&img).unwrap();
        // Metadata lives in the first blocks: damage only those, so the damage matters.
        let span = 200 * 1024;
        let mut rng = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut ok = 0;
        for _ in 0..400 {
            let mut bytes = clean.clone();
            for _ in 0..(1 + next() % 8) {
                let at = 1024 + (next() % span) as usize;
                bytes[at] = next() as u8;
            }
            let dev: Device = Arc::new(MemDevice(bytes));
            let Ok(mut w) = ExtWriter::new(dev, NOW) else {
                continue;
            };
            let a = w.write_file("/etc/hostname", &pattern(5000, 3));
            let b = w.write_file("/etc/big", b"short\n");
            let c = w.create_file("/d", "new-file", b"x", 0o644, 0, 0);
            let d = w.create_symlink("/etc", "l", &"t/".repeat(40));
            ok += [a.is_ok(), b.is_ok(), c.is_ok(), d.is_ok()]
                .iter()
                .filter(|x| **x)
                .count();
            let _ = w.finish();
        }
        eprintln!("{fstype} {extra}: {ok} operations succeeded on damaged images");
        assert!(ok > 0, "{fstype}: nothing ever succeeded");
    }
}
