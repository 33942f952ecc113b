//! Build small real guest disks at test time: a text tree → `mkfs.ext4 -d` → a partition laid
//! out by `sfdisk` (or a bare filesystem), so each rule can be shown to fire and not to fire.
#![allow(dead_code)]

use super::{sh, sh_in};
use std::path::{Path, PathBuf};

/// Fixed UUIDs of the filesystems the builder makes.
pub const ROOT_UUID: &str = "0a0a0a0a-1111-4222-8333-444455556666";
pub const BOOT_UUID: &str = "0b0b0b0b-1111-4222-8333-444455556666";
pub const SWAP_UUID: &str = "0c0c0c0c-1111-4222-8333-444455556666";

/// What to build.
pub struct GuestSpec {
    files: Vec<(String, String)>,
    links: Vec<(String, String)>,
    binaries: Vec<(String, Vec<u8>)>,
    boot_files: Vec<(String, String)>,
    partitionless: bool,
    separate_boot: bool,
    swap: bool,
    boot_code: Option<PathBuf>,
    active: bool,
    fs_type: &'static str,
}

impl Default for GuestSpec {
    fn default() -> Self {
        Self::new()
    }
}

impl GuestSpec {
    /// A guest with an empty root.
    pub fn new() -> Self {
        GuestSpec {
            files: Vec::new(),
            links: Vec::new(),
            binaries: Vec::new(),
            boot_files: Vec::new(),
            partitionless: false,
            separate_boot: false,
            swap: false,
            boot_code: None,
            active: false,
            fs_type: "ext4",
        }
    }
    /// A file in the root filesystem (or in /boot when `separate_boot` and the path starts with /boot/).
    pub fn file(mut self, path: &str, content: &str) -> Self {
        if self.separate_boot && path.starts_with("/boot/") {
            self.boot_files
                .push((path["/boot".len()..].to_string(), content.to_string()));
        } else {
            self.files.push((path.to_string(), content.to_string()));
        }
        self
    }
    /// A binary file given as a latin-1 string (one char per byte), e.g. a built initramfs.
    pub fn binary_file(mut self, path: &str, latin1: &str) -> Self {
        self.binaries
            .push((path.to_string(), latin1.chars().map(|c| c as u8).collect()));
        self
    }
    /// A symlink in the root filesystem.
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.links.push((path.to_string(), target.to_string()));
        self
    }
    /// No partition table: the root filesystem starts at byte 0.
    pub fn partitionless(mut self) -> Self {
        self.partitionless = true;
        self
    }
    /// /boot on partition 1 (ext2), root on partition 2; files under /boot/ go there.
    pub fn separate_boot(mut self) -> Self {
        self.separate_boot = true;
        self
    }
    /// A swap partition after the root.
    pub fn swap(mut self) -> Self {
        self.swap = true;
        self
    }
    /// Copy the first 440 bytes of this file into the MBR.
    pub fn boot_code(mut self, file: &str) -> Self {
        self.boot_code = Some(PathBuf::from(file));
        self
    }
    /// Mark the root partition active (bootable).
    pub fn active(mut self) -> Self {
        self.active = true;
        self
    }
    /// Root filesystem type (ext2, ext3, ext4).
    pub fn fs(mut self, t: &'static str) -> Self {
        self.fs_type = t;
        self
    }

    fn write_tree(dir: &Path, files: &[(String, String)], links: &[(String, String)]) {
        std::fs::create_dir_all(dir).unwrap();
        for (p, c) in files {
            let full = dir.join(p.trim_start_matches('/'));
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, c).unwrap();
        }
        for (p, t) in links {
            let full = dir.join(p.trim_start_matches('/'));
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(t, full).unwrap();
        }
    }

    /// Build the disk image in `dir`; returns its path.
    pub fn build(&self, dir: &Path) -> PathBuf {
        let root_tree = dir.join("root-tree");
        Self::write_tree(&root_tree, &self.files, &self.links);
        for (p, bytes) in &self.binaries {
            let full = root_tree.join(p.trim_start_matches('/'));
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, bytes).unwrap();
        }
        let root_fs = dir.join("root.fs");
        sh(&format!(
            "mke2fs -q -F -t {} -U {ROOT_UUID} -E hash_seed={ROOT_UUID} -d {} {} 8M",
            self.fs_type,
            root_tree.display(),
            root_fs.display()
        ));
        if self.partitionless {
            return root_fs;
        }
        let disk = dir.join("disk.img");
        sh(&format!("truncate -s 16M {}", disk.display()));
        let mut layout = String::from("label: dos\nlabel-id: 0x0badcafe\n");
        let mut parts: Vec<(PathBuf, u64)> = Vec::new();
        let mut start = 2048u64;
        if self.separate_boot {
            let boot_tree = dir.join("boot-tree");
            Self::write_tree(&boot_tree, &self.boot_files, &[]);
            let boot_fs = dir.join("boot.fs");
            sh(&format!(
                "mke2fs -q -F -t ext2 -U {BOOT_UUID} -d {} {} 2M",
                boot_tree.display(),
                boot_fs.display()
            ));
            layout.push_str(&format!("start={start}, size=4096, type=83\n"));
            parts.push((boot_fs, start));
            start += 4096;
        }
        let flag = if self.active { ", bootable" } else { "" };
        layout.push_str(&format!("start={start}, size=16384, type=83{flag}\n"));
        parts.push((root_fs, start));
        start += 16384;
        if self.swap {
            let swap = dir.join("swap.fs");
            sh(&format!(
                "truncate -s 1M {0} && mkswap -U {SWAP_UUID} {0} >/dev/null",
                swap.display()
            ));
            layout.push_str(&format!("start={start}, size=2048, type=82\n"));
            parts.push((swap, start));
        }
        sh_in(&format!("sfdisk -q {}", disk.display()), &layout);
        for (fs, at) in parts {
            sh(&format!(
                "dd if={} of={} bs=512 seek={at} conv=notrunc status=none",
                fs.display(),
                disk.display()
            ));
        }
        if let Some(code) = &self.boot_code {
            sh(&format!(
                "dd if={} of={} bs=440 count=1 conv=notrunc status=none",
                code.display(),
                disk.display()
            ));
        }
        disk
    }
}

/// The finding codes `pv2hvm check --format json` reports for `image` on `target`.
pub fn codes(image: &Path, target: &str) -> Vec<String> {
    let (code, out, err) = super::pv2hvm(&[
        "check",
        "--format",
        "json",
        "--fail-on",
        "info",
        "--target",
        target,
        image.to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1, "check failed: {err}");
    let j: serde_json::Value = serde_json::from_str(&out).expect("check JSON");
    let mut v: Vec<String> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The full check JSON.
pub fn check_json(image: &Path, target: &str) -> serde_json::Value {
    let (_, out, err) = super::pv2hvm(&[
        "check",
        "--format",
        "json",
        "--target",
        target,
        image.to_str().unwrap(),
    ]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"))
}
