//! A guest whose root filesystem was copied while mounted: `needs_recovery` is set and the
//! journal holds committed transactions that rewrote `/etc/fstab`. `inspect`, `cat` and `ls`
//! must show the replayed state, say so, and leave the image untouched.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

const OLD_FSTAB: &str = "/dev/xvda1 / ext4 defaults 0 1\n";

/// Same length as the old one: the transaction replaces the data block, not the inode.
fn new_fstab(uuid: &str) -> String {
    let line = format!("UUID={uuid} / ext4 defaults 0 1\n");
    assert!(line.len() >= OLD_FSTAB.len());
    line
}

/// Build a one-partition MBR disk whose ext root (made with `mkfs_args`) has a committed,
/// unreplayed transaction rewriting `/etc/fstab`. Returns (disk, root UUID).
fn dirty_disk(dir: &Path, mkfs_args: &str, uuid: &str) -> std::path::PathBuf {
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("etc")).unwrap();
    let new = new_fstab(uuid);
    let padded_old = format!("{OLD_FSTAB}{}", "#".repeat(new.len() - OLD_FSTAB.len()));
    std::fs::write(tree.join("etc/fstab"), &padded_old).unwrap();
    std::fs::write(tree.join("etc/os-release"), "ID=debian\nVERSION_ID=\"9\"\n").unwrap();
    let fs = dir.join("root.fs");
    sh(&format!(
        "mke2fs -q -F {mkfs_args} -U {uuid} -d {} {} 12M",
        tree.display(),
        fs.display()
    ));
    let blk: u64 = sh(&format!("debugfs -R 'bmap /etc/fstab 0' {}", fs.display()))
        .trim()
        .parse()
        .unwrap();
    let block_size: usize = sh(&format!(
        "dumpe2fs -h {} 2>/dev/null | awk '/^Block size:/ {{print $3}}'",
        fs.display()
    ))
    .trim()
    .parse()
    .unwrap();
    let mut data = new.into_bytes();
    data.resize(block_size, 0);
    std::fs::write(dir.join("newblock"), &data).unwrap();
    std::fs::write(
        dir.join("cmds"),
        format!("jo\njw -b {blk} {}\njc\n", dir.join("newblock").display()),
    )
    .unwrap();
    sh(&format!(
        "debugfs -w -f {} {} >/dev/null",
        dir.join("cmds").display(),
        fs.display()
    ));
    let disk = dir.join("disk.img");
    sh(&format!("truncate -s 14M {}", disk.display()));
    sh_in(
        &format!("sfdisk -q {}", disk.display()),
        "label: dos\nstart=2048, size=24576, type=83\n",
    );
    sh(&format!(
        "dd if={} of={} bs=512 seek=2048 conv=notrunc status=none",
        fs.display(),
        disk.display()
    ));
    disk
}

fn sha(path: &Path) -> String {
    sh(&format!("sha256sum {}", path.display()))
}

fn check_replayed(mkfs_args: &str) {
    need("debugfs", "e2fsprogs");
    need("sfdisk", "fdisk");
    let d = tempfile::tempdir().unwrap();
    let uuid = "0badc0de-1111-4222-8333-444455556666";
    let disk = dirty_disk(d.path(), mkfs_args, uuid);
    let before = sha(&disk);
    let img = disk.to_str().unwrap();

    let (code, out, err) = pv2hvm(&["cat", img, "/etc/fstab"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim_end_matches('\0'), new_fstab(uuid), "{mkfs_args}");

    let (code, out, err) = pv2hvm(&["inspect", "--json", img]);
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let vol = &j["volumes"][0];
    assert_eq!(vol["ext"]["needs_recovery"], true, "{mkfs_args}");
    assert!(
        vol["ext"]["journal"].as_str().unwrap().contains("replayed"),
        "{}",
        vol["ext"]["journal"]
    );
    let notes = vol["fs"]["notes"].to_string();
    assert!(notes.contains("replayed journal transactions"), "{notes}");
    let entry = &j["fstab"]["entries"][0];
    assert_eq!(entry["spec"], format!("UUID={uuid}"));
    assert_eq!(entry["resolution"]["via"], "UUID");

    let (code, out, _) = pv2hvm(&["inspect", img]);
    assert_eq!(code, 0);
    assert!(out.contains("replayed journal transactions"), "{out}");
    assert_eq!(
        sha(&disk),
        before,
        "reading a dirty guest must not write to it"
    );
}

#[test]
fn crashed_ext3_guest_is_seen_after_replay() {
    check_replayed("-t ext3");
}

#[test]
fn crashed_ext4_guest_without_csum_is_seen_after_replay() {
    check_replayed("-t ext4 -O ^metadata_csum,^64bit");
}

#[test]
fn crashed_ext4_guest_with_metadata_csum_is_seen_after_replay() {
    check_replayed("-t ext4 -O metadata_csum,64bit");
}
