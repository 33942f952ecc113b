//! `pv2hvm fix` / `undo` through the binary on copies of corpus images: a crash after each write
//! of an apply recovers to the original or the fully fixed image (sha256-identical); undo gives
//! back the original byte for byte; refusals (dirty journal, read-only image, image changed since
//! the fix) write nothing.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const EPOCH: &str = "1700000000";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(args)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sha(p: &Path) -> String {
    sh(&format!("sha256sum {}", p.display()))
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn copy(name: &str, dir: &Path) -> PathBuf {
    let dst = dir.join(name);
    std::fs::copy(corpus_image(name), &dst).unwrap();
    dst
}

fn journal_of(img: &Path) -> PathBuf {
    PathBuf::from(format!("{}.pv2hvm-journal", img.display()))
}

/// Number of writes the journal of a complete apply recorded.
fn recorded_writes(img: &Path) -> usize {
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(journal_of(img)).unwrap()).unwrap();
    let t = &j["transactions"][0];
    let grows = t["len_after"] != t["len_before"];
    t["writes"].as_array().unwrap().len() + usize::from(grows)
}

fn crash_after_each_write(name: &str, target: &str) {
    let d = tempfile::tempdir().unwrap();
    let original = copy(name, d.path());
    let orig_sha = sha(&original);
    let full = d.path().join(format!("full-{name}"));
    std::fs::copy(&original, &full).unwrap();
    let (code, out, err) = run(&["fix", "--apply", "--target", target, full.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("applied fix #1"), "{out}");
    let fixed_sha = sha(&full);
    assert_ne!(fixed_sha, orig_sha);
    let n = recorded_writes(&full);
    assert!(n >= 3, "{name}: {n} writes");
    for k in 0..n {
        let img = d.path().join(format!("crash{k}-{name}"));
        std::fs::copy(&original, &img).unwrap();
        let p = img.to_str().unwrap();
        let k_s = k.to_string();
        let (code, _, err) = run(&[
            "fix",
            "--apply",
            "--target",
            target,
            "--fail-after-writes",
            &k_s,
            p,
        ]);
        assert_eq!(code, 2, "{name} crash at {k}: {err}");
        assert!(err.contains(&format!("stopped after {k} writes")), "{err}");
        if k % 2 == 0 {
            // The next fix finishes the interrupted one: the fully fixed image.
            let (code, out, err) = run(&["fix", "--apply", "--target", target, p]);
            assert_eq!(code, 0, "{out}{err}");
            assert!(out.contains("recovered: completed fix #1"), "{out}");
            assert_eq!(sha(&img), fixed_sha, "{name}: recovery after write {k}");
        }
        // undo (after recovering) gives back the original.
        let (code, out, err) = run(&["undo", p]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(
            sha(&img),
            orig_sha,
            "{name}: undo after a crash at write {k}"
        );
        assert!(!journal_of(&img).exists());
        std::fs::remove_file(&img).unwrap();
    }
}

#[test]
fn raw_apply_interrupted_after_each_write_recovers() {
    crash_after_each_write("centos6-pv.img", "kvm");
}

#[test]
fn qcow2_apply_interrupted_after_each_write_recovers() {
    crash_after_each_write("gpt-efi.qcow2", "kvm");
}

#[test]
fn a_second_fix_changes_nothing_and_undo_is_exact() {
    let d = tempfile::tempdir().unwrap();
    let img = copy("debian7-pv.img", d.path());
    let orig = sha(&img);
    let p = img.to_str().unwrap();
    let (code, out, _) = run(&["fix", "--diff", "--target", "xen-hvm", p]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--- a/etc/inittab")
            || out.contains("--- a//etc/inittab")
            || out.contains("inittab"),
        "{out}"
    );
    assert_eq!(sha(&img), orig, "--diff writes nothing");
    assert!(!journal_of(&img).exists());
    let (code, out, err) = run(&["fix", "--apply", "--target", "xen-hvm", p]);
    assert_eq!(code, 0, "{out}{err}");
    let once = sha(&img);
    let (code, out, _) = run(&["fix", "--apply", "--target", "xen-hvm", p]);
    assert_eq!(code, 0);
    assert!(out.contains("nothing to fix automatically"), "{out}");
    assert_eq!(sha(&img), once, "a second fix changes nothing");
    let (code, _, _) = run(&["undo", p]);
    assert_eq!(code, 0);
    assert_eq!(sha(&img), orig);
    let (code, _, err) = run(&["undo", p]);
    assert_eq!(code, 2);
    assert!(err.contains("nothing to undo"), "{err}");
}

#[test]
fn undo_refuses_an_image_changed_since_the_fix() {
    let d = tempfile::tempdir().unwrap();
    let img = copy("ubuntu1404-pv.img", d.path());
    let p = img.to_str().unwrap();
    assert_eq!(run(&["fix", "--apply", "--target", "kvm", p]).0, 0);
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(journal_of(&img)).unwrap()).unwrap();
    let off = j["transactions"][0]["writes"][0]["offset"]
        .as_u64()
        .unwrap();
    patch(&img, off, b"\xff");
    let before = sha(&img);
    let (code, _, err) = run(&["undo", p]);
    assert_eq!(code, 2);
    assert!(err.contains("changed since the fix"), "{err}");
    assert_eq!(sha(&img), before, "a refused undo writes nothing");
}

#[test]
fn a_read_only_image_is_refused_before_anything_is_written() {
    let d = tempfile::tempdir().unwrap();
    let img = copy("centos6-pv.img", d.path());
    let before = sha(&img);
    let p = img.to_str().unwrap();
    let immutable = Command::new("chattr")
        .args(["+i", p])
        .status()
        .is_ok_and(|s| s.success());
    if !immutable {
        let mut perm = std::fs::metadata(&img).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o444);
        std::fs::set_permissions(&img, perm).unwrap();
    }
    let (code, _, err) = run(&["fix", "--apply", "--target", "kvm", p]);
    if immutable {
        let _ = Command::new("chattr").args(["-i", p]).status();
    }
    assert_eq!(code, 2);
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(sha(&img), before);
    assert!(!journal_of(&img).exists());
}

#[test]
fn a_dirty_journal_is_refused_before_anything_is_written() {
    need("debugfs", "e2fsprogs");
    let d = tempfile::tempdir().unwrap();
    let img = guest::GuestSpec::new()
        .file("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .file("/etc/fstab", "/dev/xvda1 / ext4 defaults 0 1\n")
        .file("/etc/hostname", &"h".repeat(1024))
        .build(d.path());
    // A committed transaction left in the journal of the root filesystem (partition at 1 MiB).
    let fs = d.path().join("root.fs");
    let blk: u64 = sh(&format!(
        "debugfs -R 'bmap /etc/hostname 0' {}",
        fs.display()
    ))
    .trim()
    .parse()
    .unwrap();
    std::fs::write(d.path().join("blk"), vec![b'x'; 1024]).unwrap();
    std::fs::write(
        d.path().join("cmds"),
        format!("jo\njw -b {blk} {}\njc\n", d.path().join("blk").display()),
    )
    .unwrap();
    sh(&format!(
        "debugfs -w -f {} {} >/dev/null",
        d.path().join("cmds").display(),
        fs.display()
    ));
    sh(&format!(
        "dd if={} of={} bs=512 seek=2048 conv=notrunc status=none",
        fs.display(),
        img.display()
    ));
    let before = sha(&img);
    let (code, out, err) = run(&["fix", "--apply", "--target", "kvm", img.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("refused") && err.contains("journal"), "{err}");
    assert_eq!(sha(&img), before);
    assert!(!journal_of(&img).exists());
}

#[test]
fn output_overlay_leaves_the_evidence_untouched() {
    let d = tempfile::tempdir().unwrap();
    let img = copy("multipart-mbr.img", d.path());
    let before = sha(&img);
    let overlay = d.path().join("fixed.qcow2");
    let (code, out, err) = run(&[
        "fix",
        "--target",
        "kvm",
        "--output",
        overlay.to_str().unwrap(),
        img.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(sha(&img), before, "the original is evidence: untouched");
    assert!(!journal_of(&img).exists());
    let (code, out, _) = run(&[
        "check",
        "--target",
        "kvm",
        "--format",
        "json",
        overlay.to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let safe_left: Vec<_> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fix"]["kind"] == "safe")
        .collect();
    assert!(safe_left.is_empty(), "{safe_left:?}");
    sh(&format!("qemu-img check -q {}", overlay.display()));
    let info = sh(&format!("qemu-img info {}", overlay.display()));
    assert!(info.contains("backing file: multipart-mbr.img"), "{info}");
}
