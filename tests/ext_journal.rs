//! In-memory jbd2 replay against real images: mke2fs builds the filesystem, debugfs builds a
//! "crashed" state by writing committed (and one uncommitted) transactions into the journal,
//! and e2fsck — which replays the journal for real — is the oracle.
//!
//! Each case: image A is made with files; a copy B is changed with debugfs (a file replaced, a
//! directory and file created), and every block that differs between A and B is logged into
//! A's journal as transaction 1. Transaction 2 rewrites /data/a.txt's block with contents that
//! start with the jbd2 magic (so debugfs must escape it), transaction 3 rewrites /data/r.txt's
//! block and transaction 4 revokes that block again (so it must not be replayed), and a fifth
//! transaction without a commit block rewrites /data/a.txt again (so it must be ignored).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use pv2hvm::fs::ext::{ExtFs, JournalState};
use pv2hvm::fs::{FileKind, FileSystem};
use pv2hvm::image::{Device, IoStats, RawImage, ReadAt};

const IMG_SIZE: &str = "16M";
const JBD2_MAGIC: [u8; 4] = [0xC0, 0x3B, 0x39, 0x98];

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run tool");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn debugfs_script(img: &Path, script: &str, dir: &Path) -> String {
    let f = dir.join("cmds");
    fs::write(&f, script).unwrap();
    run(Command::new("debugfs").arg("-w").arg("-f").arg(&f).arg(img))
}

fn bmap(img: &Path, path: &str) -> u64 {
    let out = run(Command::new("debugfs")
        .arg("-R")
        .arg(format!("bmap {path} 0"))
        .arg(img));
    out.trim().parse().expect("block number")
}

fn device(img: &Path) -> Device {
    Arc::new(RawImage::open(img, Arc::new(IoStats::default())).unwrap())
}

fn changed_blocks(a: &[u8], b: &[u8], bs: usize) -> Vec<u64> {
    (0..a.len() / bs)
        .filter(|&i| a[i * bs..(i + 1) * bs] != b[i * bs..(i + 1) * bs])
        .map(|i| i as u64)
        .collect()
}

/// Every path under `/` with its kind and, for files, contents.
fn snapshot(fs: &ExtFs) -> Vec<(String, FileKind, Vec<u8>)> {
    let mut out = Vec::new();
    let mut queue = vec!["/".to_string()];
    while let Some(dir) = queue.pop() {
        for e in fs.read_dir(&dir).unwrap() {
            let p = if dir == "/" {
                format!("/{}", e.name)
            } else {
                format!("{dir}/{}", e.name)
            };
            let data = match e.kind {
                FileKind::File => fs.read_file(&p, 1 << 24).unwrap(),
                FileKind::Symlink => fs.read_link(&p).unwrap().into_bytes(),
                FileKind::Dir => {
                    queue.push(p.clone());
                    Vec::new()
                }
                FileKind::Special => Vec::new(),
            };
            out.push((p, e.kind, data));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

struct Case {
    name: &'static str,
    mkfs: &'static [&'static str],
    block_size: usize,
    journal_open: &'static str,
    /// Journal features expected after debugfs opened it.
    features: &'static [&'static str],
    /// The journal uses the old crc32 commit checksum. debugfs's writer includes revoke
    /// blocks in that checksum but the kernel's and e2fsck's recovery do not, so the
    /// revoke-only transaction 4 fails its check and recovery (e2fsck's too) stops after 3.
    v1_crc: bool,
}

fn run_case(case: &Case) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bs = case.block_size;
    let src = dir.join("src");
    fs::create_dir_all(src.join("etc")).unwrap();
    fs::create_dir_all(src.join("data")).unwrap();
    fs::write(src.join("etc/hostname"), "before\n").unwrap();
    fs::write(src.join("data/a.txt"), vec![b'a'; bs]).unwrap();
    fs::write(src.join("data/r.txt"), vec![b'r'; bs]).unwrap();
    fs::write(src.join("data/keep.txt"), "unchanged\n").unwrap();

    let a = dir.join("a.img");
    let mut mk = Command::new("mke2fs");
    mk.args(["-q", "-F"]).args(case.mkfs);
    mk.arg("-b")
        .arg(bs.to_string())
        .arg("-d")
        .arg(&src)
        .arg(&a)
        .arg(IMG_SIZE);
    run(&mut mk);

    // B: the state after a few metadata-changing operations.
    let b = dir.join("b.img");
    fs::copy(&a, &b).unwrap();
    fs::write(dir.join("h2"), "after\n").unwrap();
    debugfs_script(
        &b,
        &format!(
            "rm /etc/hostname\nwrite {h} /etc/hostname\nmkdir /newdir\nwrite {h} /newdir/x.txt\n",
            h = dir.join("h2").display()
        ),
        dir,
    );
    let (abytes, bbytes) = (fs::read(&a).unwrap(), fs::read(&b).unwrap());
    let changed = changed_blocks(&abytes, &bbytes, bs);
    let a_blk = bmap(&a, "/data/a.txt");
    let r_blk = bmap(&a, "/data/r.txt");
    assert!(!changed.is_empty() && !changed.contains(&a_blk) && !changed.contains(&r_blk));

    let tx1: Vec<u8> = changed
        .iter()
        .flat_map(|&blk| bbytes[blk as usize * bs..(blk as usize + 1) * bs].to_vec())
        .collect();
    fs::write(dir.join("tx1"), tx1).unwrap();
    let mut new_a = vec![b'A'; bs];
    new_a[..4].copy_from_slice(&JBD2_MAGIC);
    fs::write(dir.join("newa"), &new_a).unwrap();
    fs::write(dir.join("garbage"), vec![b'G'; bs]).unwrap();
    fs::write(dir.join("torn"), vec![b'Z'; bs]).unwrap();
    let list: Vec<String> = changed.iter().map(|b| b.to_string()).collect();
    let d = |n: &str| dir.join(n).display().to_string();
    let script = format!(
        "{jo}\njw -b {list} {tx1}\njw -b {a_blk} {newa}\njw -b {r_blk} {garbage}\n\
         jw -r {r_blk} /dev/null\njw -c -b {a_blk} {torn}\njc\n",
        jo = case.journal_open,
        list = list.join(","),
        tx1 = d("tx1"),
        newa = d("newa"),
        garbage = d("garbage"),
        torn = d("torn"),
    );
    debugfs_script(&a, &script, dir);
    let dump = run(Command::new("dumpe2fs").arg("-h").arg(&a));
    assert!(dump.contains("needs_recovery"), "{}: {dump}", case.name);
    for f in case.features {
        assert!(dump.contains(f), "{}: journal lacks {f}: {dump}", case.name);
    }

    // Our replay.
    let ours = ExtFs::open(device(&a)).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    assert!(ours.superblock().needs_recovery());
    assert!(!ours.effective_superblock().needs_recovery());
    match ours.journal_state() {
        JournalState::Replayed {
            transactions,
            blocks,
            revoked,
            first_seq,
            last_seq,
            notes,
        } => {
            let n = if case.v1_crc { 3 } else { 4 };
            assert_eq!(*transactions, n, "{}: {notes:?}", case.name);
            let extra = if case.v1_crc { 2 } else { 1 };
            assert_eq!(*blocks, changed.len() as u64 + extra, "{}", case.name);
            assert_eq!(*revoked, u64::from(!case.v1_crc), "{}", case.name);
            assert_eq!((*first_seq, *last_seq), (1, n), "{}", case.name);
            let expect = if case.v1_crc {
                "bad crc32 checksum"
            } else {
                "no commit block"
            };
            assert!(
                notes.iter().any(|n| n.contains(expect)),
                "{}: expected a note about {expect:?}: {notes:?}",
                case.name
            );
        }
        other => panic!("{}: journal state {other:?}", case.name),
    }
    assert_eq!(ours.read_file("/data/a.txt", 1 << 20).unwrap(), new_a);
    let r = if case.v1_crc { b'G' } else { b'r' };
    assert_eq!(ours.read_file("/data/r.txt", 1 << 20).unwrap(), vec![r; bs]);
    assert_eq!(
        ours.read_file("/etc/hostname", 1 << 20).unwrap(),
        b"after\n"
    );
    assert_eq!(
        ours.read_file("/newdir/x.txt", 1 << 20).unwrap(),
        b"after\n"
    );
    assert_eq!(
        ours.read_file("/data/keep.txt", 1 << 20).unwrap(),
        b"unchanged\n"
    );

    // The oracle: e2fsck replays the journal for real.
    let c = dir.join("c.img");
    fs::copy(&a, &c).unwrap();
    let st = Command::new("e2fsck").arg("-fy").arg(&c).output().unwrap();
    assert!(
        matches!(st.status.code(), Some(0) | Some(1)),
        "{}: e2fsck: {}",
        case.name,
        String::from_utf8_lossy(&st.stdout)
    );
    let cbytes = fs::read(&c).unwrap();
    let sb = ours.superblock();
    // e2fsck rewrites the primary superblock (needs_recovery, free counts, state, write
    // statistics, checksum) and the primary group descriptors (free counts, flags, checksums)
    // after replaying, so those blocks legitimately differ from the pure replay.
    let gdt_blocks = (sb.group_count() * sb.group_desc_size() as u64).div_ceil(sb.block_size());
    let sb_block = sb.first_data_block as u64;
    let rewritten: BTreeSet<u64> = (0..=sb_block + gdt_blocks).collect();
    let replay = ours.replay().expect("replay");
    let view = ours.view();
    let mut compared = 0;
    for blk in replay.blocks() {
        if rewritten.contains(&blk) {
            continue;
        }
        let mut mine = vec![0u8; bs];
        view.read_at(blk * bs as u64, &mut mine).unwrap();
        let theirs = &cbytes[blk as usize * bs..(blk as usize + 1) * bs];
        assert!(
            mine == theirs,
            "{}: replayed block {blk} differs from e2fsck's",
            case.name
        );
        compared += 1;
    }
    assert!(
        compared >= 3,
        "{}: only {compared} blocks compared",
        case.name
    );

    // Files read the same from our replay and from the e2fsck-recovered image.
    let fixed = ExtFs::open(device(&c)).unwrap();
    assert_eq!(fixed.journal_state(), &JournalState::Clean);
    assert_eq!(snapshot(&ours), snapshot(&fixed), "{}", case.name);
    eprintln!(
        "{}: {} blocks replayed, {compared} compared with e2fsck",
        case.name,
        replay.len()
    );
}

#[test]
fn ext3_1k_no_checksums() {
    run_case(&Case {
        name: "ext3 1k",
        mkfs: &["-t", "ext3"],
        block_size: 1024,
        journal_open: "jo",
        features: &["journal_incompat_revoke"],
        v1_crc: false,
    });
}

#[test]
fn ext3_4k_crc32_commit_checksum() {
    run_case(&Case {
        name: "ext3 4k journal_checksum",
        mkfs: &["-t", "ext3"],
        block_size: 4096,
        journal_open: "jo -c",
        features: &["journal_checksum"],
        v1_crc: true,
    });
}

#[test]
fn ext4_4k_without_metadata_csum() {
    run_case(&Case {
        name: "ext4 4k ^metadata_csum",
        mkfs: &["-t", "ext4", "-O", "^metadata_csum"],
        block_size: 4096,
        journal_open: "jo",
        features: &["journal_64bit"],
        v1_crc: false,
    });
}

#[test]
fn ext4_1k_32bit_without_metadata_csum() {
    run_case(&Case {
        name: "ext4 1k ^metadata_csum,^64bit",
        mkfs: &["-t", "ext4", "-O", "^metadata_csum,^64bit"],
        block_size: 1024,
        journal_open: "jo",
        features: &["journal_incompat_revoke"],
        v1_crc: false,
    });
}

#[test]
fn ext4_4k_metadata_csum_v3() {
    run_case(&Case {
        name: "ext4 4k metadata_csum csum v3",
        mkfs: &["-t", "ext4", "-O", "metadata_csum,64bit"],
        block_size: 4096,
        journal_open: "jo -c",
        features: &["journal_checksum_v3", "journal_64bit"],
        v1_crc: false,
    });
}

#[test]
fn ext4_1k_metadata_csum_v2() {
    run_case(&Case {
        name: "ext4 1k metadata_csum csum v2",
        mkfs: &["-t", "ext4", "-O", "metadata_csum,64bit"],
        block_size: 1024,
        journal_open: "jo -c -v 2",
        features: &["journal_checksum_v2"],
        v1_crc: false,
    });
}

#[test]
fn clean_filesystems_open_without_replay() {
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("e2.img");
    let src = tmp.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("f"), "x").unwrap();
    std::os::unix::fs::symlink("f", src.join("l")).unwrap();
    run(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-d"])
        .arg(&src)
        .arg(&img)
        .arg("4M"));
    let fs = ExtFs::open(device(&img)).unwrap();
    assert_eq!(fs.journal_state(), &JournalState::NoJournal);
    assert_eq!(fs.read_link("/l").unwrap(), "f");
    assert!(matches!(
        fs.read_file("/f", 0),
        Err(pv2hvm::fs::FsError::TooLarge { len: 1, limit: 0 })
    ));
    let names: Vec<String> = fs
        .read_dir("/")
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, vec!["f", "l", "lost+found"]);
    let mut s = String::new();
    std::io::Read::read_to_string(&mut fs.open_file("/f").unwrap(), &mut s).unwrap();
    assert_eq!(s, "x");
}

#[test]
fn unreadable_journal_falls_back_to_on_disk_state() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let src = dir.join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("f"), vec![b'o'; 1024]).unwrap();
    let img = dir.join("a.img");
    run(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext3", "-b", "1024", "-d"])
        .arg(&src)
        .arg(&img)
        .arg("8M"));
    let blk = bmap(&img, "/f");
    fs::write(dir.join("new"), vec![b'n'; 1024]).unwrap();
    debugfs_script(
        &img,
        &format!("jo\njw -b {blk} {}\njc\n", dir.join("new").display()),
        dir,
    );
    // Sanity: with the journal intact the new contents are seen.
    let fs1 = ExtFs::open(device(&img)).unwrap();
    assert_eq!(fs1.read_file("/f", 4096).unwrap(), vec![b'n'; 1024]);
    drop(fs1);
    // Destroy the journal superblock's magic.
    let jsb = bmap(&img, "<8>");
    let mut bytes = fs::read(&img).unwrap();
    bytes[jsb as usize * 1024..jsb as usize * 1024 + 4].fill(0);
    fs::write(&img, bytes).unwrap();
    let fs2 = ExtFs::open(device(&img)).unwrap();
    match fs2.journal_state() {
        JournalState::RecoveryNeededButUnreadable(why) => assert!(why.contains("magic"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(fs2.replay().is_none());
    assert_eq!(fs2.read_file("/f", 4096).unwrap(), vec![b'o'; 1024]);
}

#[test]
fn refusals_keep_what_the_superblock_says() {
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("inline.img");
    run(Command::new("mke2fs")
        .args([
            "-q",
            "-F",
            "-t",
            "ext4",
            "-O",
            "inline_data",
            "-L",
            "guestroot",
        ])
        .arg(&img)
        .arg("8M"));
    let e = ExtFs::open(device(&img))
        .err()
        .expect("inline_data is refused");
    assert_eq!(e.kind, pv2hvm::fs::ext::ExtOpenErrorKind::Unsupported);
    let text = e.to_string();
    eprintln!("{text}");
    assert!(
        text.contains("cannot read filesystems with inline_data"),
        "{text}"
    );
    assert!(text.contains("superblock says ext4"), "{text}");
    assert!(text.contains("guestroot"), "{text}");
    assert_eq!(e.superblock.as_ref().unwrap().label(), "guestroot");

    let jdev = tmp.path().join("journal.img");
    run(Command::new("mke2fs")
        .args(["-q", "-F", "-O", "journal_dev", "-b", "4096"])
        .arg(&jdev)
        .arg("8M"));
    let e = ExtFs::open(device(&jdev))
        .err()
        .expect("a journal device is not a filesystem");
    assert_eq!(e.kind, pv2hvm::fs::ext::ExtOpenErrorKind::JournalDevice);
}
