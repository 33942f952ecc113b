//! The signature probe against util-linux's blkid test images and blkid's own answers for them.
//!
//! Every image whose expected `ID_FS_TYPE` is a type pv2hvm probes must give the same type, UUID,
//! label and version; every other image must not be claimed as one of those types.

use pv2hvm::image::{IoStats, RawImage, ReadAt, Slice};
use pv2hvm::probe::probe;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const PROBED: &[&str] = &[
    "ext2",
    "ext3",
    "ext4",
    "jbd",
    "vfat",
    "swap",
    "xfs",
    "btrfs",
    "LVM2_member",
    "crypto_LUKS",
    "iso9660",
    "linux_raid_member",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/blkid")
}

/// Undo blkid's `\xHH` escaping of `*_ENC` values into the raw bytes.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1] == b'x' {
            if let Ok(v) = u8::from_str_radix(&s[i + 2..i + 4], 16) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// `KEY=value` lines of a `low-probe-*` file.
fn expected(name: &str) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(corpus().join("expected").join(format!("low-probe-{name}")))
        .ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// An `*_ENC` value decoded as blkid's raw string (lossy for bytes that are not UTF-8).
fn raw(exp: &BTreeMap<String, String>, key: &str) -> Option<String> {
    exp.get(&format!("{key}_ENC"))
        .or_else(|| exp.get(key))
        .map(|v| String::from_utf8_lossy(&unescape(v)).into_owned())
}

/// The expected-file name for an image: multi-session images are compared at session 0 only
/// (the probe has no session-offset hint), under blkid's `<name>-0` subtest.
fn expected_name(image: &str) -> String {
    if image.contains("multi") {
        let words: Vec<&str> = image.split('-').collect();
        let base: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
            .collect();
        let first = words
            .iter()
            .find(|w| w.chars().all(|c| c.is_ascii_digit()))
            .copied()
            .unwrap_or("0");
        format!("{}-{first}", base.join("-"))
    } else {
        image.to_string()
    }
}

#[test]
fn blkid_oracle() {
    let fs_dir = corpus().join("fs");
    let mut images: Vec<PathBuf> = std::fs::read_dir(&fs_dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", fs_dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".img.xz"))
        .collect();
    images.sort();
    assert!(
        images.len() > 100,
        "only {} images in {}",
        images.len(),
        fs_dir.display()
    );

    let tmp = tempfile::tempdir().unwrap();
    let mut compared = 0;
    let mut matched = 0;
    let mut others = 0;
    let mut missing_expected = Vec::new();
    let mut failures = Vec::new();
    let mut max_read = (0u64, String::new());

    for xz in &images {
        let file = xz.file_name().unwrap().to_string_lossy().into_owned();
        let name = file.trim_end_matches(".img.xz").to_string();
        let out = tmp.path().join(format!("{name}.img"));
        let f = std::fs::File::create(&out).unwrap();
        let st = Command::new("xz")
            .arg("-dc")
            .arg(xz)
            .stdout(f)
            .status()
            .expect("run xz");
        assert!(st.success(), "xz -dc {} failed", xz.display());

        let stats = Arc::new(IoStats::default());
        let img = Arc::new(RawImage::open(&out, stats.clone()).unwrap());
        let got = match probe(img.as_ref()) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("{name}: probe error {e}"));
                std::fs::remove_file(&out).ok();
                continue;
            }
        };
        let read = stats.bytes();
        if read > max_read.0 {
            max_read = (read, name.clone());
        }
        // Truncated copies are hostile input: the probe must answer, not fail or panic.
        let size = img.size();
        for len in [
            0,
            1,
            511,
            1024,
            4096,
            40960,
            69632,
            size / 2,
            size.saturating_sub(1),
        ] {
            let cut = Slice::new(img.clone(), 0, len.min(size)).unwrap();
            if let Err(e) = probe(&cut) {
                failures.push(format!("{name}: truncated to {len} bytes, probe error {e}"));
            }
        }
        drop(img);
        std::fs::remove_file(&out).ok();

        let Some(exp) = expected(&expected_name(&name)) else {
            missing_expected.push(name);
            continue;
        };
        let exp_type = exp.get("ID_FS_TYPE").cloned().unwrap_or_default();
        if !PROBED.contains(&exp_type.as_str()) {
            others += 1;
            if let Some(g) = got.filter(|g| PROBED.contains(&g.fs_type.as_str())) {
                failures.push(format!(
                    "{name}: blkid says {exp_type:?}, probe claims {:?}",
                    g.fs_type
                ));
            }
            continue;
        }

        compared += 1;
        let Some(g) = got else {
            failures.push(format!("{name}: expected {exp_type}, probe found nothing"));
            continue;
        };
        let want = [
            ("type", Some(exp_type.clone()), Some(g.fs_type.clone())),
            ("uuid", raw(&exp, "ID_FS_UUID"), g.uuid.clone()),
            ("label", raw(&exp, "ID_FS_LABEL"), g.label.clone()),
            ("version", raw(&exp, "ID_FS_VERSION"), g.version.clone()),
        ];
        let mut ok = true;
        for (what, e, a) in want {
            if e != a {
                ok = false;
                failures.push(format!("{name}: {what} expected {e:?}, got {a:?}"));
            }
        }
        if ok {
            matched += 1;
        }
    }

    println!(
        "blkid oracle: {} images, {compared} compared, {matched} matched, {others} other types checked not claimed, {} without expected output",
        images.len(),
        missing_expected.len()
    );
    println!(
        "most bytes read by one probe: {} ({})",
        max_read.0, max_read.1
    );
    assert!(
        max_read.0 <= 64 * 1024,
        "a probe read {} bytes of {}",
        max_read.0,
        max_read.1
    );
    assert!(
        missing_expected.is_empty(),
        "no expected output for {missing_expected:?}"
    );
    assert!(compared >= 45, "only {compared} images compared");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn unescape_decodes_hex() {
    assert_eq!(unescape(r"NO\x20NAME"), b"NO NAME");
    assert_eq!(unescape(r"\xe5\xe5"), vec![0xe5, 0xe5]);
    assert_eq!(unescape(r"a\x2"), b"a\\x2");
    assert_eq!(
        expected_name("iso-multi-0-174-348-genisoimage"),
        "iso-multi-genisoimage-0"
    );
}
