//! Hostile input: `pv2hvm inspect` on every damaged filesystem of e2fsprogs' regression suite
//! (and on garbage) must exit 0 or 2 with a message — never panic, hang or eat memory.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Per-image limits: address space (KiB, for `ulimit -v`) and wall time.
const MEM_LIMIT_KIB: u64 = 1024 * 1024;
const TIME_LIMIT: Duration = Duration::from_secs(30);

struct Outcome {
    name: String,
    code: i32,
    stderr: String,
    elapsed: Duration,
}

fn run_limited(img: &Path, command: &str) -> Outcome {
    let started = Instant::now();
    let script = format!(
        "ulimit -v {MEM_LIMIT_KIB}; exec timeout -s KILL {} {} {command} {} >/dev/null",
        TIME_LIMIT.as_secs(),
        bin().display(),
        img.display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    Outcome {
        name: img.file_name().unwrap().to_string_lossy().into_owned(),
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

fn decompress_all(dir: &Path) -> Vec<PathBuf> {
    let src = shared("e2fsprogs");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&src)
        .expect("../shared/corpora/e2fsprogs exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".img.gz"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|gz| {
            let name = gz.file_name().unwrap().to_string_lossy().replace(".gz", "");
            let out = dir.join(name);
            sh(&format!(
                "gzip -dc {} | cp --sparse=always /dev/stdin {}",
                gz.display(),
                out.display()
            ));
            out
        })
        .collect()
}

fn run_parallel(images: &[PathBuf], command: &str) -> Vec<Outcome> {
    let results = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(img) = images.get(i) else { break };
                let o = run_limited(img, command);
                results.lock().unwrap().push(o);
            });
        }
    });
    results.into_inner().unwrap()
}

#[test]
fn every_e2fsprogs_image_gives_an_answer_or_a_clean_error() {
    let dir = tempfile::tempdir().unwrap();
    let images = decompress_all(dir.path());
    assert_eq!(images.len(), 218, "the e2fsprogs corpus has 218 images");
    let mut outcomes = run_parallel(&images, "inspect --json");
    // The audit reads and parses guest files of these damaged filesystems too; exit 1 only
    // means it found hazards.
    let checks = run_parallel(&images, "check --format json --target kvm");
    for o in &checks {
        if o.code == 1 || o.code == 0 {
            continue;
        }
        outcomes.push(Outcome {
            name: format!("check {}", o.name),
            code: o.code,
            stderr: o.stderr.clone(),
            elapsed: o.elapsed,
        });
    }
    assert!(
        checks.iter().all(|o| !o.stderr.contains("panicked")),
        "check panicked"
    );
    let mut bad = Vec::new();
    let (mut ok, mut refused) = (0, 0);
    for o in &outcomes {
        let one_line = o.stderr.trim().lines().count() <= 1;
        match o.code {
            0 => ok += 1,
            2 if !o.stderr.trim().is_empty() && one_line => refused += 1,
            _ => bad.push(format!("{}: exit {} stderr {:?}", o.name, o.code, o.stderr)),
        }
        if o.stderr.contains("panicked") {
            bad.push(format!("{}: panic: {}", o.name, o.stderr));
        }
    }
    let slowest = outcomes.iter().map(|o| o.elapsed).max().unwrap();
    println!(
        "e2fsprogs corpus: {} images, {ok} inspected, {refused} refused with a message, slowest {slowest:?}",
        outcomes.len()
    );
    assert!(
        bad.is_empty(),
        "{} bad outcomes:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(ok > 150, "only {ok} of 218 images could be inspected");
    let audited = checks.iter().filter(|o| o.code <= 1).count();
    println!("check: {audited} of {} audited", checks.len());
    assert!(
        audited > 150,
        "only {audited} of 218 images could be audited"
    );
}

#[test]
fn garbage_and_truncated_inputs_are_clean_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty.img"), b"").unwrap();
    std::fs::write(d.join("qcow-trunc.img"), b"QFI\xfb\0\0\0\x03").unwrap();
    let mut vhd = vec![0u8; 4096];
    vhd[4096 - 512..4096 - 504].copy_from_slice(b"conectix");
    std::fs::write(d.join("disk.vhd"), &vhd).unwrap();
    sh(&format!(
        "head -c 3000000 /dev/urandom > {0}/random.img",
        d.display()
    ));
    let (code, _, err) = pv2hvm(&["inspect", d.join("qcow-trunc.img").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("qcow2"), "{err}");
    let (code, _, err) = pv2hvm(&["inspect", d.join("disk.vhd").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("VHD images are not supported yet") && err.contains("qemu-img convert"));
    let (code, _, err) = pv2hvm(&["inspect", d.join("missing.img").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.starts_with("pv2hvm: cannot read"), "{err}");
    let (code, _, err) = pv2hvm(&["inspect", d.to_str().unwrap()]);
    assert_eq!(code, 2, "a directory is not an image: {err}");
    for f in ["empty.img", "random.img"] {
        let (code, out, err) = pv2hvm(&["inspect", d.join(f).to_str().unwrap()]);
        assert_eq!(code, 0, "{f}: {err}");
        assert!(out.contains("Root       not found"), "{f}: {out}");
    }
}
