//! qcow2 writing: host-file plans applied with plain writes to real qemu-img images, checked
//! with `qemu-img check` and `qemu-img compare` against the same writes on a raw copy, then
//! undone byte-for-byte; overlays created over untouched bases.

mod common;

use common::{need, sh};
use pv2hvm::image::qcow2_write::{create_overlay, plan_host_writes, HostPlan, Qcow2WriteError};
use pv2hvm::image::Write;
use sha2::{Digest, Sha256};
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::Path;

const MIB: u64 = 1 << 20;
const DISK: u64 = 1 << 30;

fn sha(path: &Path) -> Vec<u8> {
    Sha256::digest(fs::read(path).unwrap()).to_vec()
}

fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A sparse 1 GiB raw disk with data in [0, 8M) and [16M, 20M).
fn make_raw(path: &Path) {
    let f = fs::File::create(path).unwrap();
    f.set_len(DISK).unwrap();
    f.write_all_at(&pattern(1, 8 * MIB as usize), 0).unwrap();
    f.write_all_at(&pattern(2, 4 * MIB as usize), 16 * MIB)
        .unwrap();
}

/// In place, in holes, straddling clusters and data/hole boundaries, overlapping, in a region
/// without an L2 table, many new clusters at once, at the very end of the disk.
fn guest_writes() -> Vec<Write> {
    let w = |offset: u64, len: usize, seed: u64| Write {
        offset,
        data: pattern(seed, len),
    };
    vec![
        w(4096, 1000, 10),
        w(MIB + 100, 3000, 11),
        w(2 * MIB + 100, 3000, 12),
        w(8 * MIB - 3000, 6000, 13),
        w(12 * MIB + 100, 5000, 14),
        w(16 * MIB + 65536 - 10, 20, 15),
        w(700 * MIB, 3000, 16),
        w(100 * MIB, 10 * MIB as usize, 17),
        w(DISK - 512, 512, 18),
        w(4096 + 500, 100, 19),
        w(0, 0, 20),
    ]
}

fn apply_raw(path: &Path, writes: &[Write]) {
    let f = fs::OpenOptions::new().write(true).open(path).unwrap();
    for w in writes {
        f.write_all_at(&w.data, w.offset).unwrap();
    }
}

/// Apply a plan the way the journaled writer does; return the journal (offset, old bytes).
fn apply_plan(path: &Path, plan: &HostPlan) -> Vec<(u64, Vec<u8>)> {
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    assert_eq!(f.metadata().unwrap().len(), plan.old_len);
    let mut journal = Vec::new();
    for w in &plan.writes {
        let len = f.metadata().unwrap().len();
        let n = len.saturating_sub(w.offset).min(w.data.len() as u64) as usize;
        let mut old = vec![0u8; n];
        f.read_exact_at(&mut old, w.offset).unwrap();
        journal.push((w.offset, old));
        f.write_all_at(&w.data, w.offset).unwrap();
    }
    f.set_len(plan.new_len).unwrap();
    journal
}

fn undo(path: &Path, journal: &[(u64, Vec<u8>)], old_len: u64) {
    let f = fs::OpenOptions::new().write(true).open(path).unwrap();
    for (off, old) in journal.iter().rev() {
        f.write_all_at(old, *off).unwrap();
    }
    f.set_len(old_len).unwrap();
}

fn check_clean(qcow2: &Path) {
    let out = sh(&format!("qemu-img check -f qcow2 '{}'", qcow2.display()));
    assert!(out.contains("No errors were found"), "{out}");
}

fn compare(raw: &Path, qcow2: &Path) {
    sh(&format!(
        "qemu-img compare -f raw -F qcow2 '{}' '{}'",
        raw.display(),
        qcow2.display()
    ));
}

/// Convert a fresh raw disk with `opts`, optionally post-process it, plan and apply the guest
/// writes, check, compare, undo. Returns the plan and the original header.
fn round_trip(name: &str, opts: &str, post: &str) -> (HostPlan, Vec<u8>) {
    need("qemu-img", "qemu-utils");
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("disk.raw");
    let q = dir.path().join("disk.qcow2");
    make_raw(&raw);
    sh(&format!(
        "qemu-img convert -f raw -O qcow2 {opts} '{}' '{}'",
        raw.display(),
        q.display()
    ));
    if !post.is_empty() {
        sh(&post
            .replace("{q}", &q.display().to_string())
            .replace("{raw}", &raw.display().to_string()));
    }
    check_clean(&q);
    compare(&raw, &q);
    let before = sha(&q);
    let header = fs::read(&q).unwrap()[..104].to_vec();

    let writes = guest_writes();
    let plan = plan_host_writes(&q, &writes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(sha(&q), before, "{name}: planning wrote to the file");
    assert!(plan.new_len >= plan.old_len);
    for w in &plan.writes {
        assert!(w.offset + w.data.len() as u64 <= plan.new_len);
    }
    let journal = apply_plan(&q, &plan);
    apply_raw(&raw, &writes);
    check_clean(&q);
    compare(&raw, &q);

    undo(&q, &journal, plan.old_len);
    assert_eq!(sha(&q), before, "{name}: undo is not byte-for-byte");
    (plan, header)
}

fn be(b: &[u8], at: usize, n: usize) -> u64 {
    b[at..at + n].iter().fold(0, |a, &x| a << 8 | u64::from(x))
}

#[test]
fn v3_default_clusters() {
    let (plan, _) = round_trip("v3", "", "");
    // A new L2 table (700M is past the first L1 entry's 512M) and new data clusters appended.
    assert!(plan.writes.iter().any(|w| w.offset >= plan.old_len));
    assert_eq!(plan.new_len % 65536, 0);
}

#[test]
fn v2_compat_0_10() {
    round_trip("v2", "-o compat=0.10", "");
}

#[test]
fn compressed_clusters() {
    round_trip("compressed", "-c", "");
}

#[test]
fn compressed_small_clusters() {
    round_trip("compressed-4k", "-c -o cluster_size=4096", "");
}

#[test]
fn small_clusters_need_new_refcount_block() {
    // 4 KiB clusters, 16-bit refcounts: one refcount block covers 8 MiB of file; the 10 MiB write
    // needs new blocks.
    let (plan, h) = round_trip("4k", "-o cluster_size=4096", "");
    assert!(plan.new_len - plan.old_len > 10 * MIB);
    let (rt, rt_len) = (be(&h, 48, 8), be(&h, 56, 4) * 4096);
    assert!(
        plan.writes
            .iter()
            .any(|w| w.offset >= rt && w.offset < rt + rt_len),
        "no refcount table entry was written"
    );
}

#[test]
fn one_bit_refcounts() {
    round_trip("refbits1", "-o cluster_size=4096,refcount_bits=1", "");
}

#[test]
fn sixty_four_bit_refcounts() {
    round_trip("refbits64", "-o refcount_bits=64", "");
}

#[test]
fn two_mib_clusters() {
    round_trip("2m", "-o cluster_size=2M", "");
}

#[test]
fn zero_flag_clusters() {
    need("qemu-io", "qemu-utils");
    // [1M, 2M): zero flag on allocated clusters; [2M, 3M): zero flag, unallocated.
    round_trip(
        "zero",
        "",
        "qemu-io -f qcow2 -c 'write -z 1M 1M' -c 'write -z -u 2M 1M' '{q}' >/dev/null && \
         qemu-io -f raw -c 'write -z 1M 2M' '{raw}' >/dev/null",
    );
}

#[test]
fn overlay_without_allocations() {
    // An empty overlay created by qemu-img: every guest read comes from the backing file.
    need("qemu-img", "qemu-utils");
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("disk.raw");
    let base = dir.path().join("base.qcow2");
    let over = dir.path().join("over.qcow2");
    make_raw(&raw);
    sh(&format!(
        "qemu-img convert -f raw -O qcow2 '{}' '{}' && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 '{}'",
        raw.display(),
        base.display(),
        over.display()
    ));
    let base_sha = sha(&base);
    let before = sha(&over);
    let writes = guest_writes();
    let plan = plan_host_writes(&over, &writes).unwrap();
    let journal = apply_plan(&over, &plan);
    apply_raw(&raw, &writes);
    check_clean(&over);
    compare(&raw, &over);
    assert_eq!(sha(&base), base_sha);
    undo(&over, &journal, plan.old_len);
    assert_eq!(sha(&over), before);
}

fn overlay_case(base_fmt: &str) {
    need("qemu-img", "qemu-utils");
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("disk.raw");
    make_raw(&raw);
    let base = if base_fmt == "qcow2" {
        let b = dir.path().join("images/base.qcow2");
        fs::create_dir(dir.path().join("images")).unwrap();
        sh(&format!(
            "qemu-img convert -c -f raw -O qcow2 '{}' '{}'",
            raw.display(),
            b.display()
        ));
        b
    } else {
        let b = dir.path().join("images/base.img");
        fs::create_dir(dir.path().join("images")).unwrap();
        fs::copy(&raw, &b).unwrap();
        b
    };
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let over = out_dir.join("fixed.qcow2");
    let base_sha = sha(&base);
    let writes = guest_writes();
    create_overlay(&base, &over, &writes).unwrap();
    apply_raw(&raw, &writes);
    check_clean(&over);
    compare(&raw, &over);
    assert_eq!(sha(&base), base_sha, "the base changed");
    let info = sh(&format!("qemu-img info --output=json '{}'", over.display()));
    let rel = format!(
        "\"backing-filename\": \"../images/{}\"",
        base.file_name().unwrap().to_str().unwrap()
    );
    assert!(info.contains(&rel), "{info}");
    assert!(
        info.contains(&format!("\"backing-filename-format\": \"{base_fmt}\"")),
        "{info}"
    );
    assert!(
        info.contains(&format!("\"virtual-size\": {DISK}")),
        "{info}"
    );
    // No temporary file left behind; a second run refuses to replace the output.
    assert_eq!(fs::read_dir(&out_dir).unwrap().count(), 1);
    let again = sha(&over);
    assert!(matches!(
        create_overlay(&base, &over, &writes),
        Err(Qcow2WriteError::Exists(_))
    ));
    assert_eq!(sha(&over), again);
}

#[test]
fn overlay_over_qcow2() {
    overlay_case("qcow2");
}

#[test]
fn overlay_over_raw() {
    overlay_case("raw");
}

/// A small converted image in `dir`.
fn small_qcow2(dir: &Path) -> std::path::PathBuf {
    let raw = dir.join("small.raw");
    let q = dir.join("small.qcow2");
    let f = fs::File::create(&raw).unwrap();
    f.set_len(64 * MIB).unwrap();
    f.write_all_at(&pattern(3, MIB as usize), 0).unwrap();
    sh(&format!(
        "qemu-img convert -f raw -O qcow2 '{}' '{}'",
        raw.display(),
        q.display()
    ));
    q
}

fn refused(q: &Path, writes: &[Write], want: &str) {
    let before = sha(q);
    match plan_host_writes(q, writes) {
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(want), "{msg}");
        }
        Ok(p) => panic!("expected a refusal ({want}), got {} writes", p.writes.len()),
    }
    assert_eq!(sha(q), before);
}

#[test]
fn refusals() {
    need("qemu-img", "qemu-utils");
    let dir = tempfile::tempdir().unwrap();
    let one = vec![Write {
        offset: 4096,
        data: vec![1; 10],
    }];

    let q = small_qcow2(dir.path());
    // Dirty bit: incompatible features bit 0 (byte 79).
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&q)
        .unwrap();
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, 79).unwrap();
    f.write_all_at(&[b[0] | 1], 79).unwrap();
    refused(&q, &one, "dirty bit");
    // Corrupt bit.
    f.write_all_at(&[b[0] | 2], 79).unwrap();
    refused(&q, &one, "corrupt bit");
    // Extended L2 entries, unknown bits.
    f.write_all_at(&[b[0] | 16], 79).unwrap();
    refused(&q, &one, "extended L2");
    f.write_all_at(&[b[0] | 0x40], 79).unwrap();
    refused(&q, &one, "unknown incompatible");
    f.write_all_at(&b, 79).unwrap();
    drop(f);
    check_clean(&q);

    // Write past the virtual size.
    refused(
        &q,
        &[Write {
            offset: 64 * MIB - 5,
            data: vec![1; 10],
        }],
        "past the virtual size",
    );
    refused(
        &q,
        &[Write {
            offset: u64::MAX - 2,
            data: vec![1; 10],
        }],
        "past the virtual size",
    );

    // Lazy refcounts.
    sh(&format!(
        "qemu-img amend -o lazy_refcounts=on '{}'",
        q.display()
    ));
    refused(&q, &one, "lazy refcounts");
    sh(&format!(
        "qemu-img amend -o lazy_refcounts=off '{}'",
        q.display()
    ));

    // Persistent dirty bitmap.
    sh(&format!("qemu-img bitmap --add '{}' bm0", q.display()));
    refused(&q, &one, "dirty bitmaps");
    sh(&format!("qemu-img bitmap --remove '{}' bm0", q.display()));
    check_clean(&q);
    assert!(plan_host_writes(&q, &one).is_ok());

    // Internal snapshot.
    sh(&format!("qemu-img snapshot -c snap '{}'", q.display()));
    refused(&q, &one, "internal snapshot");

    // A data cluster with refcount 2 (shared) is refused.
    let sub = dir.path().join("shared");
    fs::create_dir(&sub).unwrap();
    let q2 = small_qcow2(&sub);
    let img = fs::read(&q2).unwrap();
    let map = sh(&format!("qemu-img map --output=json '{}'", q2.display()));
    let host = map
        .split("\"offset\": ")
        .nth(1)
        .and_then(|t| t.split(['}', ',']).next())
        .and_then(|t| t.trim().parse::<u64>().ok())
        .expect("guest offset 0 is allocated");
    let rt = be(&img, 48, 8) as usize;
    let block = be(&img, rt, 8);
    let f = fs::OpenOptions::new().write(true).open(&q2).unwrap();
    f.write_all_at(&2u16.to_be_bytes(), block + 2 * (host >> 16))
        .unwrap();
    drop(f);
    refused(&q2, &one, "shared");

    // Not qcow2 at all / truncated.
    let junk = dir.path().join("junk");
    fs::write(&junk, b"QFI").unwrap();
    refused(&junk, &one, "shorter than a qcow2 header");
}

#[test]
fn empty_write_set_is_empty_plan() {
    need("qemu-img", "qemu-utils");
    let dir = tempfile::tempdir().unwrap();
    let q = small_qcow2(dir.path());
    let plan = plan_host_writes(&q, &[]).unwrap();
    assert!(plan.writes.is_empty());
    assert_eq!(plan.old_len, plan.new_len);
}

#[test]
fn hostile_metadata_never_panics() {
    // Random byte flips in the header and the metadata clusters: errors or plans, no panic,
    // and plans stay within bounds.
    need("qemu-img", "qemu-utils");
    let dir = tempfile::tempdir().unwrap();
    let q = small_qcow2(dir.path());
    let orig = fs::read(&q).unwrap();
    let writes = vec![
        Write {
            offset: 100,
            data: vec![7; 70000],
        },
        Write {
            offset: 40 * MIB,
            data: vec![8; 10],
        },
    ];
    let meta_end = (4 * 65536).min(orig.len());
    let mut rng = pattern(99, 4000);
    let mut n = 0;
    for round in 0..400 {
        let mut img = orig.clone();
        for k in 0..(1 + round % 4) {
            let i = (usize::from(rng[n % rng.len()]) << 10
                | usize::from(rng[(n + 1) % rng.len()]) << 2
                | k)
                % meta_end;
            img[i] ^= rng[(n + 2) % rng.len()] | 1;
            n += 3;
        }
        if n > rng.len() {
            rng = pattern(n as u64, 4000);
            n = 0;
        }
        let p = dir.path().join("fuzz.qcow2");
        fs::write(&p, &img).unwrap();
        if let Ok(plan) = plan_host_writes(&p, &writes) {
            assert!(plan.new_len >= plan.old_len);
            for w in &plan.writes {
                assert!(w.offset + w.data.len() as u64 <= plan.new_len);
            }
        }
    }
}

#[test]
fn tiny_clusters_grow_or_refuse() {
    // 512-byte clusters: one refcount table cluster covers only a few MiB of file, so the
    // 10 MiB write needs the refcount table to grow; that is refused, without writes.
    need("qemu-img", "qemu-utils");
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("disk.raw");
    let q = dir.path().join("disk.qcow2");
    make_raw(&raw);
    sh(&format!(
        "qemu-img convert -f raw -O qcow2 -o cluster_size=512 '{}' '{}'",
        raw.display(),
        q.display()
    ));
    refused(&q, &guest_writes(), "refcount table");
    // Smaller write sets still fit.
    let small: Vec<Write> = guest_writes()
        .into_iter()
        .filter(|w| w.data.len() < MIB as usize)
        .collect();
    let before = sha(&q);
    let plan = plan_host_writes(&q, &small).unwrap();
    let journal = apply_plan(&q, &plan);
    apply_raw(&raw, &small);
    check_clean(&q);
    compare(&raw, &q);
    undo(&q, &journal, plan.old_len);
    assert_eq!(sha(&q), before);
}
