//! `pv2hvm scan` over a library of a few hundred files: copies (plain, sparse, reflinked) of
//! every corpus image in nested directories, and broken files beside them. Every record is
//! checked against `corpus/expected-findings.json`; then the cache, `--since`, shards, exit
//! statuses and the human and SARIF formats.

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a file of the library must give.
#[derive(Debug, Clone)]
enum Expect {
    /// A copy of this corpus image: its verdict and codes.
    Image(&'static str),
    /// Skipped, the reason containing this text.
    Skipped(&'static str),
    /// An error record, the message containing this text.
    Error(&'static str),
    /// A damaged image: an error, a skip, or an audit that reports assembly problems.
    Damaged,
}

const IMAGES: [&str; 11] = [
    "centos6-pv.img",
    "centos7-pv.img",
    "debian7-pv.img",
    "debian9-sysv.img",
    "ubuntu1404-pv.img",
    "xentools-partitionless.img",
    "multipart-mbr.img",
    "gpt-efi.img",
    "gpt-efi.qcow2",
    "gpt-efi-overlay.qcow2",
    "clean-hvm.img",
];

struct Library {
    _tmp: tempfile::TempDir,
    /// The canonical directory holding `lib/`.
    base: PathBuf,
    expect: BTreeMap<String, Expect>,
}

impl Library {
    fn lib(&self) -> PathBuf {
        self.base.join("lib")
    }
    fn path(&self, rel: &str) -> String {
        self.lib().join(rel).to_string_lossy().into_owned()
    }
}

fn q(p: &Path) -> String {
    format!("'{}'", p.display())
}

/// Deterministic noise (xorshift), so the "random bytes" file is the same on every run.
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn build_library() -> Library {
    let tmp = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(tmp.path()).unwrap();
    let lib = base.join("lib");
    let mut expect = BTreeMap::new();
    let corpus = corpus_image("");
    // 24 hosts × 11 images, copied three ways, three and four levels deep.
    let mut script = String::new();
    for i in 0..24 {
        let rel = format!("site{}/rack{}/host{i:02}", i % 3, i % 4);
        let dir = lib.join(&rel);
        script.push_str(&format!("mkdir -p {}\n", q(&dir)));
        let how = ["cp", "cp --sparse=always", "cp --reflink=auto"][i % 3];
        for img in IMAGES {
            script.push_str(&format!(
                "{how} {} {}\n",
                q(&corpus.join(img)),
                q(&dir.join(img))
            ));
            expect.insert(
                dir.join(img).to_string_lossy().into_owned(),
                Expect::Image(img),
            );
        }
    }
    // Broken and foreign files.
    let broken = lib.join("broken");
    let b = |n: &str| broken.join(n);
    let c = |n: &str| q(&corpus.join(n));
    script.push_str(&format!(
        "mkdir -p {br}
head -c 1000000 {c6} > {t1}
head -c 300 {c6} > {t2}
head -c 70000 {gq} > {t3}
: > {empty}
printf 'a text file\\nnot a disk\\n' > {txt}
tar -C {br} -cf {tar} notes.txt
cp {ov} {orphan}
mkfifo {fifo}
",
        br = q(&broken),
        c6 = c("centos6-pv.img"),
        gq = c("gpt-efi.qcow2"),
        ov = c("gpt-efi-overlay.qcow2"),
        t1 = q(&b("truncated-mbr.img")),
        t2 = q(&b("truncated-tiny.img")),
        t3 = q(&b("truncated.qcow2")),
        empty = q(&b("empty.img")),
        txt = q(&b("notes.txt")),
        tar = q(&b("notes.tar")),
        orphan = q(&b("orphan-overlay.qcow2")),
        fifo = q(&b("pipe")),
    ));
    // Symbolic links: a loop, one out of the tree, one to an image inside it.
    let links = lib.join("links");
    script.push_str(&format!(
        "mkdir -p {l}\nln -s . {l}/loop\nln -s {out} {l}/outside\nln -s ../site0/rack0/host00/clean-hvm.img {l}/img-link\n",
        l = q(&links),
        out = q(&corpus),
    ));
    sh(&script);
    std::fs::write(b("random.bin"), noise(1 << 20)).unwrap();
    let mut vhd = vec![0u8; 1 << 20];
    let foot = vhd.len() - 512;
    vhd[foot..foot + 8].copy_from_slice(b"conectix");
    std::fs::write(b("disk.vhd"), vhd).unwrap();

    let s = |p: PathBuf| p.to_string_lossy().into_owned();
    expect.insert(s(b("truncated-mbr.img")), Expect::Damaged);
    expect.insert(
        s(b("truncated-tiny.img")),
        Expect::Skipped("not a disk image"),
    );
    expect.insert(s(b("truncated.qcow2")), Expect::Damaged);
    expect.insert(s(b("empty.img")), Expect::Skipped("empty file"));
    expect.insert(s(b("notes.txt")), Expect::Skipped("not a disk image"));
    expect.insert(s(b("notes.tar")), Expect::Skipped("not a disk image"));
    expect.insert(s(b("random.bin")), Expect::Skipped("not a disk image"));
    expect.insert(s(b("disk.vhd")), Expect::Skipped("VHD: not supported yet"));
    expect.insert(s(b("orphan-overlay.qcow2")), Expect::Error("backing file"));
    expect.insert(s(b("pipe")), Expect::Skipped("a FIFO"));
    for l in ["loop", "outside", "img-link"] {
        expect.insert(
            s(links.join(l)),
            Expect::Skipped("symbolic link, not followed"),
        );
    }
    // A directory nobody may read (root reads everything, so only when not root).
    if !is_root() {
        let locked = lib.join("locked");
        sh(&format!(
            "mkdir -p {d}/inner && cp {c} {d}/inner/x.img && chmod 000 {d}",
            d = q(&locked),
            c = c("clean-hvm.img")
        ));
        expect.insert(s(locked), Expect::Error("cannot read directory"));
    }
    Library {
        _tmp: tmp,
        base,
        expect,
    }
}

fn is_root() -> bool {
    sh("id -u").trim() == "0"
}

impl Drop for Library {
    fn drop(&mut self) {
        let _ = sh(&format!(
            "chmod -R u+rwx {} 2>/dev/null || true",
            q(&self.base)
        ));
    }
}

fn expected_codes() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/expected-findings.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn want_codes(exp: &Value, image: &str, target: &str) -> BTreeSet<String> {
    exp["images"][image][target]
        .as_array()
        .unwrap_or_else(|| panic!("no expectations for {image} {target}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn codes(r: &Value) -> BTreeSet<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// Run `pv2hvm scan --format jsonl ARGS`; (exit status, records, stderr).
fn scan(args: &[&str]) -> (i32, Vec<Value>, String) {
    let mut all = vec!["scan", "--format", "jsonl"];
    all.extend_from_slice(args);
    let (code, out, err) = pv2hvm(&all);
    let recs = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{err}")))
        .collect();
    (code, recs, err)
}

fn by_path(recs: &[Value]) -> BTreeMap<String, Value> {
    let mut m = BTreeMap::new();
    for r in recs {
        let p = r["path"].as_str().unwrap().to_string();
        assert!(m.insert(p.clone(), r.clone()).is_none(), "{p} twice");
    }
    m
}

/// Check every record against the library's expectations on `target`.
fn check_records(libr: &Library, recs: &[Value], target: &str) {
    let exp = expected_codes();
    let got = by_path(recs);
    let paths: Vec<&String> = got.keys().collect();
    let mut sorted = paths.clone();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(
        recs.iter()
            .map(|r| r["path"].as_str().unwrap())
            .collect::<Vec<_>>(),
        sorted.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "records sorted by path"
    );
    let want: BTreeSet<&String> = libr.expect.keys().collect();
    let have: BTreeSet<&String> = got.keys().collect();
    assert_eq!(
        have.difference(&want).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "unexpected records (a link followed?)"
    );
    assert_eq!(
        want.difference(&have).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "files without a record"
    );
    let mut errors = Vec::new();
    for (path, e) in &libr.expect {
        let r = &got[path];
        assert_eq!(r["schema"], "pv2hvm.scan");
        assert_eq!(r["schema_version"], 1);
        assert_eq!(r["target"], target);
        let verdict = r["verdict"].as_str().unwrap();
        let reason = |k: &str| r[k].as_str().unwrap_or("").to_string();
        match e {
            Expect::Image(img) => {
                let want = want_codes(&exp, img, target);
                let got = codes(r);
                let fmt = if img.ends_with(".qcow2") {
                    "qcow2"
                } else {
                    "raw"
                };
                let errs = r["counts"]["errors"].as_u64().unwrap();
                let warns = r["counts"]["warnings"].as_u64().unwrap();
                let want_verdict = if errs > 0 {
                    "will-not-boot"
                } else if warns > 0 {
                    "should-boot"
                } else {
                    "ready"
                };
                if got != want || r["format"] != fmt || verdict != want_verdict {
                    errors.push(format!(
                        "{path} ({img}): {verdict} {} codes {got:?}, want {want:?}",
                        r["format"]
                    ));
                }
                if img == &"clean-hvm.img" && verdict != "ready" {
                    errors.push(format!("{path}: clean image is {verdict}"));
                }
                assert!(r["bytes_read"].as_u64().unwrap() > 0 || r["cached"] == true);
            }
            Expect::Skipped(why) => {
                if verdict != "skipped" || !reason("skipped").contains(why) {
                    errors.push(format!("{path}: {verdict} {r}, want skipped: {why}"));
                }
            }
            Expect::Error(why) => {
                if verdict != "error" || !reason("error").contains(why) {
                    errors.push(format!("{path}: {verdict} {r}, want error: {why}"));
                }
            }
            Expect::Damaged => {
                let ok = match verdict {
                    "error" => !reason("error").is_empty(),
                    "skipped" => !reason("skipped").is_empty(),
                    "ready" => false,
                    _ => r["problems"].as_array().is_some_and(|p| !p.is_empty()),
                };
                if !ok {
                    errors.push(format!("{path}: damaged image gave {r}"));
                }
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn every_record_of_a_library_matches_its_source_image() {
    let l = build_library();
    assert!(l.expect.len() >= 270, "{} files", l.expect.len());
    let (code, recs, err) = scan(&[l.lib().to_str().unwrap()]);
    check_records(&l, &recs, "xen-hvm");
    assert_eq!(
        code, 2,
        "an unreadable image makes the exit status 2: {err}"
    );
    assert!(
        err.is_empty(),
        "nothing but results when stderr is not a terminal: {err}"
    );
    // Skipped records for unsupported containers name the format.
    let m = by_path(&recs);
    assert_eq!(m[&l.path("broken/disk.vhd")]["format"], "vhd");
    assert_eq!(m[&l.path("broken/notes.txt")]["format"], Value::Null);
    // One worker gives the same records as several.
    let (_, one, _) = scan(&["--jobs", "1", l.lib().to_str().unwrap()]);
    assert_eq!(one, recs);
}

#[test]
fn followed_links_are_walked_once_and_loops_are_not() {
    let l = build_library();
    let (_, recs, _) = scan(&["--follow-symlinks", l.lib().to_str().unwrap()]);
    let m = by_path(&recs);
    // The loop and the link to an image inside the tree add nothing; the link out of the tree
    // brings the corpus directory, by its canonical paths.
    let corpus = std::fs::canonicalize(corpus_image("")).unwrap();
    let mut want: BTreeSet<String> = l
        .expect
        .keys()
        .filter(|p| !p.starts_with(&l.path("links/")))
        .cloned()
        .collect();
    for e in std::fs::read_dir(&corpus).unwrap() {
        want.insert(e.unwrap().path().to_string_lossy().into_owned());
    }
    let have: BTreeSet<String> = m.keys().cloned().collect();
    assert_eq!(have, want);
    let exp = expected_codes();
    for img in IMAGES {
        let r = &m[corpus.join(img).to_str().unwrap()];
        assert_eq!(codes(r), want_codes(&exp, img, "xen-hvm"), "{img}");
    }
}

fn strip_run_fields(r: &Value) -> Value {
    let mut r = r.clone();
    let o = r.as_object_mut().unwrap();
    o.remove("cached");
    o.remove("bytes_read");
    r
}

#[test]
fn the_cache_skips_unchanged_images_and_rereads_touched_ones() {
    let l = build_library();
    let cache = l.base.join("cache.jsonl");
    let lib = l.lib();
    let args = ["--cache", cache.to_str().unwrap(), lib.to_str().unwrap()];
    let (c1, first, _) = scan(&args);
    assert!(first.iter().all(|r| r["cached"] == false));
    let (c2, second, _) = scan(&args);
    assert_eq!(c1, c2);
    check_records(&l, &second, "xen-hvm");
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(strip_run_fields(a), strip_run_fields(b));
        // Errors are read again every time (they may be transient); everything else is cached.
        let want_cached = b["verdict"] != "error";
        assert_eq!(b["cached"], want_cached, "{b}");
        if want_cached {
            assert_eq!(b["bytes_read"], 0);
        }
    }
    // Touch one image: only it is read again.
    let touched = l.path("site1/rack1/host01/debian7-pv.img");
    sh(&format!("touch -d '2001-02-03 04:05:06' '{touched}'"));
    let (_, third, _) = scan(&args);
    check_records(&l, &third, "xen-hvm");
    let reread: Vec<&str> = third
        .iter()
        .filter(|r| r["cached"] == false && r["verdict"] != "error")
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(reread, vec![touched.as_str()]);
    // A different target or selection does not use the other's results.
    let (_, kvm, _) = scan(&[
        "--target",
        "kvm",
        "--cache",
        cache.to_str().unwrap(),
        lib.to_str().unwrap(),
    ]);
    assert!(kvm.iter().all(|r| r["cached"] == false));
    check_records(&l, &kvm, "kvm");
    // A changed backing file invalidates its overlays.
    let (_, warm, _) = scan(&[
        "--target",
        "kvm",
        "--cache",
        cache.to_str().unwrap(),
        lib.to_str().unwrap(),
    ]);
    assert!(warm
        .iter()
        .all(|r| r["cached"] == true || r["verdict"] == "error"));
    sh(&format!(
        "touch '{}'",
        l.path("site2/rack2/host02/gpt-efi.qcow2")
    ));
    let (_, after, _) = scan(&[
        "--target",
        "kvm",
        "--cache",
        cache.to_str().unwrap(),
        lib.to_str().unwrap(),
    ]);
    let reread: BTreeSet<&str> = after
        .iter()
        .filter(|r| r["cached"] == false && r["verdict"] != "error")
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    let want: BTreeSet<String> = ["gpt-efi.qcow2", "gpt-efi-overlay.qcow2"]
        .iter()
        .map(|n| l.path(&format!("site2/rack2/host02/{n}")))
        .collect();
    assert_eq!(reread, want.iter().map(|s| s.as_str()).collect());
}

#[test]
fn since_marks_new_fixed_worse_unchanged_and_counts_removed() {
    let l = build_library();
    let lib = l.lib();
    let prev = l.base.join("prev.jsonl");
    let (code, out, err) = pv2hvm(&[
        "scan",
        "--format",
        "jsonl",
        "--output",
        prev.to_str().unwrap(),
        lib.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "--output leaves stdout alone");
    let fixed = l.path("site0/rack0/host00/centos6-pv.img");
    let worse = l.path("site1/rack1/host01/clean-hvm.img");
    let gone = l.path("site2/rack2/host02/debian7-pv.img");
    let added = l.path("site2/rack2/host02/new.img");
    let c = |n: &str| corpus_image(n).to_string_lossy().into_owned();
    sh(&format!(
        "cp '{}' '{fixed}' && cp '{}' '{worse}' && rm '{gone}' && cp '{}' '{added}'",
        c("clean-hvm.img"),
        c("centos6-pv.img"),
        c("ubuntu1404-pv.img")
    ));
    let (_, recs, _) = scan(&["--since", prev.to_str().unwrap(), lib.to_str().unwrap()]);
    let m = by_path(&recs);
    assert_eq!(m[&fixed]["change"], "fixed");
    assert_eq!(m[&worse]["change"], "worse");
    assert_eq!(m[&added]["change"], "new");
    for (p, r) in &m {
        if ![&fixed, &worse, &added].contains(&p) {
            assert_eq!(r["change"], "unchanged", "{p}");
        }
    }
    // The human summary counts them, and lists the removed image.
    let (_, human, _) = pv2hvm(&[
        "scan",
        "--since",
        prev.to_str().unwrap(),
        lib.to_str().unwrap(),
    ]);
    let section = human
        .split("since the previous run:\n")
        .nth(1)
        .expect(&human);
    let counts: Vec<(String, usize)> = section
        .lines()
        .map(|l| {
            let mut w = l.split_whitespace();
            (
                w.next().unwrap().to_string(),
                w.next().unwrap().parse().unwrap(),
            )
        })
        .collect();
    let n = m.len() - 3;
    assert_eq!(
        counts,
        vec![
            ("new".into(), 1),
            ("fixed".into(), 1),
            ("worse".into(), 1),
            ("unchanged".into(), n),
            ("removed".into(), 1),
        ]
    );
    assert!(
        human.contains(&format!("removed        {gone}\n")),
        "{human}"
    );
    assert!(
        human.contains(&format!("will not boot  {worse} [worse]  ")),
        "{human}"
    );
    assert!(
        !human.contains(&format!("  {fixed} ")),
        "a ready image gets no line: {human}"
    );
}

#[test]
fn shards_partition_the_library() {
    let l = build_library();
    let lib = l.lib();
    let (code, all, _) = scan(&["--target", "kvm", lib.to_str().unwrap()]);
    check_records(&l, &all, "kvm");
    let all: BTreeSet<String> = all.iter().map(|r| r.to_string()).collect();
    let mut union = BTreeSet::new();
    let mut total = 0;
    let mut codes = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let (c, recs, _) = scan(&["--target", "kvm", "--shard", &shard, lib.to_str().unwrap()]);
        codes.push(c);
        assert!(
            !recs.is_empty() && recs.len() < all.len(),
            "shard {shard}: {}",
            recs.len()
        );
        total += recs.len();
        union.extend(recs.iter().map(|r| r.to_string()));
    }
    assert_eq!(total, union.len(), "shards are disjoint");
    assert_eq!(union, all, "shards cover the library");
    assert!(codes.contains(&code));
    let (c, _, err) = pv2hvm(&["scan", "--shard", "4/3", lib.to_str().unwrap()]);
    assert_eq!(c, 2, "{err}");
}

#[test]
fn exit_statuses_and_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let d = std::fs::canonicalize(tmp.path()).unwrap();
    let clean = d.join("clean");
    let bad = d.join("bad");
    sh(&format!(
        "mkdir -p '{c}/a' '{b}' && cp '{ci}' '{c}/a/' && echo hi > '{c}/readme' && cp '{c6}' '{b}/'",
        c = clean.display(),
        b = bad.display(),
        ci = corpus_image("clean-hvm.img").display(),
        c6 = corpus_image("centos6-pv.img").display(),
    ));
    let (code, human, _) = pv2hvm(&["scan", clean.to_str().unwrap()]);
    assert_eq!(code, 0, "{human}");
    assert_eq!(
        human,
        "\nscanned 2 files: 1 images, 1 skipped (0 from cache)\n  ready                1\n  should boot          0\n  will not boot        0\n  error                0\n  skipped              1\n"
    );
    let b6 = bad.join("centos6-pv.img");
    let (code, human, _) = pv2hvm(&["scan", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        human.starts_with(&format!(
            "will not boot  {}  5 errors, 11 warnings: BOOT001 ",
            b6.display()
        )),
        "{human}"
    );
    assert!(
        human.contains("top rule codes (images):\n  BOOT001              1\n"),
        "{human}"
    );
    // CON008 is a warning on xen-hvm: it fails only with --fail-on warning.
    let b = bad.to_str().unwrap();
    assert_eq!(pv2hvm(&["scan", "--select", "CON008", b]).0, 0);
    assert_eq!(
        pv2hvm(&["scan", "--select", "CON008", "--fail-on", "warning", b]).0,
        1
    );
    // Arguments that make no sense are status 2.
    assert_eq!(pv2hvm(&["scan", "--select", "NOPE", b]).0, 2);
    assert_eq!(pv2hvm(&["scan", "--jobs", "0", b]).0, 2);
    assert_eq!(pv2hvm(&["scan", "--since", "/nonexistent.jsonl", b]).0, 2);
    // A path that does not exist is an error record; the others are still scanned.
    let (code, recs, _) = scan(&[b, d.join("missing").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1]["verdict"], "error");
    // The image given directly rather than through its directory.
    let (_, direct, _) = scan(&[b6.to_str().unwrap()]);
    assert_eq!(direct, vec![recs[0].clone()]);

    // SARIF: one run, a result per finding, each naming the image and the guest path.
    let (code, sarif, _) = pv2hvm(&["scan", "--format", "sarif", d.to_str().unwrap()]);
    assert_eq!(code, 1);
    let j: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(j["version"], "2.1.0");
    assert_eq!(j["runs"].as_array().unwrap().len(), 1);
    let results = j["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), recs[0]["findings"].as_array().unwrap().len());
    let uri = format!("file://{}", b6.display());
    for r in results {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            uri.as_str()
        );
        let rule = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            j["runs"][0]["tool"]["driver"]["rules"][rule]["id"],
            r["ruleId"]
        );
    }
    assert!(results
        .iter()
        .any(|r| r["locations"][0]["logicalLocations"][0]["name"] == "/etc/fstab"));
    assert_eq!(j["runs"][0]["invocations"][0]["executionSuccessful"], true);

    // --output writes the same thing to a file.
    let out = d.join("out.sarif");
    let (_, stdout, _) = pv2hvm(&[
        "scan",
        "--format",
        "sarif",
        "-o",
        out.to_str().unwrap(),
        d.to_str().unwrap(),
    ]);
    assert!(stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), sarif);
}
