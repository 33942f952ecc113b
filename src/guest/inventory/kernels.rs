//! Lists the kernels installed in `/boot` with their initramfs, config, System.map and modules
//! directory, sorted by version.

use crate::fs::FileKind;
use crate::guest::files::GuestFiles;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// Most `/boot` entries looked at.
const MAX_BOOT_ENTRIES: usize = 4096;

/// Image name prefixes, each followed by the version.
const IMAGE_PREFIXES: &[&str] = &["vmlinuz-", "vmlinux-", "kernel-", "bzImage-"];

/// Signature and checksum companions (`.vmlinuz-X.hmac` is hidden anyway): not kernels.
const COMPANION_SUFFIXES: &[&str] = &[".hmac", ".sig", ".sha256", ".sha512", ".asc", ".p7s"];

/// Suffixes of kept-aside copies of a kernel.
const BACKUP_SUFFIXES: &[&str] = &[
    ".old",
    ".bak",
    ".orig",
    ".dpkg-old",
    ".dpkg-bak",
    ".dpkg-new",
    ".dpkg-tmp",
    ".rpmsave",
    ".rpmnew",
    "~",
];

/// How a kernel image is meant to be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KernelKind {
    Regular,
    /// A dracut rescue image (`vmlinuz-0-rescue-<machine-id>`): a copy of some kernel with a
    /// generic initramfs.
    Rescue,
    /// A kept-aside copy (`vmlinuz-X.old`, `.bak`, `.dpkg-old`…).
    Backup,
}

/// One kernel image in `/boot` and its companions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kernel {
    /// Version as in the file name (`3.2.0-4-amd64`, `2.6.18-398.el5xen`, `0-rescue-<id>`); for a
    /// backup copy, without the backup suffix.
    pub version: String,
    pub kind: KernelKind,
    /// Guest path of the image (`/boot/vmlinuz-…`).
    pub image: String,
    /// Image size; `None` for a dangling symlink.
    pub size: Option<u64>,
    /// Matching initramfs (`initrd.img-V`, `initramfs-V.img`, `initrd-V.img`, `initrd-V`,
    /// `initramfs-V`).
    pub initrd: Option<String>,
    /// `/boot/config-V`.
    pub config: Option<String>,
    /// `/boot/System.map-V`.
    pub system_map: Option<String>,
    /// `/lib/modules/V` or `/usr/lib/modules/V`.
    pub modules_dir: Option<String>,
}

/// Compares version strings the way package managers do (rpmvercmp-like): runs of digits compare
/// as numbers, runs of letters as text, other characters only separate; a number beats text; with
/// equal runs, the string with more runs is newer. Never panics on any input.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn runs(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut cur: Option<(usize, bool)> = None;
        for (i, c) in s.char_indices() {
            let class = if c.is_ascii_digit() {
                Some(true)
            } else if c.is_alphabetic() {
                Some(false)
            } else {
                None
            };
            if let Some((start, digits)) = cur {
                if class == Some(digits) {
                    continue;
                }
                out.push(&s[start..i]);
            }
            cur = class.map(|d| (i, d));
        }
        if let Some((start, _)) = cur {
            out.push(&s[start..]);
        }
        out
    }
    let (ra, rb) = (runs(a), runs(b));
    for (x, y) in ra.iter().zip(rb.iter()) {
        let xd = x.as_bytes()[0].is_ascii_digit();
        let yd = y.as_bytes()[0].is_ascii_digit();
        let ord = match (xd, yd) {
            (true, true) => {
                let x = x.trim_start_matches('0');
                let y = y.trim_start_matches('0');
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ra.len().cmp(&rb.len()).then_with(|| a.cmp(b))
}

/// Splits an image file name into (suffix after the prefix, version, kind).
fn classify(name: &str) -> Option<(&str, String, KernelKind)> {
    let suffix = IMAGE_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .filter(|s| s.chars().next().is_some_and(char::is_alphanumeric))?;
    if COMPANION_SUFFIXES.iter().any(|c| suffix.ends_with(c)) {
        return None;
    }
    if let Some(base) = BACKUP_SUFFIXES
        .iter()
        .find_map(|b| suffix.strip_suffix(b))
        .filter(|b| !b.is_empty())
    {
        return Some((suffix, base.to_string(), KernelKind::Backup));
    }
    let kind = if suffix.starts_with("0-rescue") || suffix.contains("-rescue-") {
        KernelKind::Rescue
    } else {
        KernelKind::Regular
    };
    Some((suffix, suffix.to_string(), kind))
}

/// Every kernel image in `/boot`, oldest version first. A missing `/boot` gives an empty list.
pub fn find(files: &dyn GuestFiles) -> Vec<Kernel> {
    let Ok(entries) = files.read_dir("/boot") else {
        return Vec::new();
    };
    let names: BTreeSet<String> = entries
        .iter()
        .take(MAX_BOOT_ENTRIES)
        .filter(|e| matches!(e.kind, FileKind::File | FileKind::Symlink))
        .map(|e| e.name.clone())
        .collect();
    let in_boot = |n: &str| names.contains(n).then(|| format!("/boot/{n}"));
    let mut out = Vec::new();
    for name in &names {
        let Some((suffix, version, kind)) = classify(name) else {
            continue;
        };
        let image = format!("/boot/{name}");
        let size = match files.metadata(&image) {
            Ok(m) if m.kind == FileKind::File => Some(m.len),
            Ok(_) => continue,
            Err(_) => None,
        };
        let initrd = [
            format!("initrd.img-{suffix}"),
            format!("initramfs-{suffix}.img"),
            format!("initrd-{suffix}.img"),
            format!("initrd-{suffix}"),
            format!("initramfs-{suffix}"),
        ]
        .iter()
        .find_map(|n| in_boot(n));
        let modules_dir = ["/lib/modules", "/usr/lib/modules"]
            .iter()
            .map(|d| format!("{d}/{version}"))
            .find(|p| files.metadata(p).is_ok_and(|m| m.kind == FileKind::Dir));
        out.push(Kernel {
            config: in_boot(&format!("config-{suffix}")),
            system_map: in_boot(&format!("System.map-{suffix}")),
            modules_dir,
            initrd,
            size,
            image,
            kind,
            version,
        });
    }
    out.sort_by(|a, b| {
        compare_versions(&a.version, &b.version)
            .then(a.kind.cmp(&b.kind))
            .then_with(|| a.image.cmp(&b.image))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest::memfiles::MemFiles;

    #[test]
    fn version_order() {
        let mut v = vec![
            "3.10.0-1160.el7.x86_64",
            "2.6.32-754.35.1.el6.x86_64",
            "3.10.0-957.el7.x86_64",
            "2.6.32-71.el6.x86_64",
            "4.9.0-3-amd64",
            "4.19.0-10-amd64",
            "4.19.0-9-amd64",
            "2.6.18-398.el5xen",
            "2.6.18-398.el5",
        ];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            v,
            [
                "2.6.18-398.el5",
                "2.6.18-398.el5xen",
                "2.6.32-71.el6.x86_64",
                "2.6.32-754.35.1.el6.x86_64",
                "3.10.0-957.el7.x86_64",
                "3.10.0-1160.el7.x86_64",
                "4.9.0-3-amd64",
                "4.19.0-9-amd64",
                "4.19.0-10-amd64",
            ]
        );
        assert_eq!(compare_versions("1.0", "1.0"), Ordering::Equal);
        assert_eq!(compare_versions("", "1"), Ordering::Less);
        assert_eq!(
            compare_versions("99999999999999999999999", "1"),
            Ordering::Greater
        );
        let _ = compare_versions("\u{e9}-\u{0}..--", "é1a");
    }

    #[test]
    fn debian_layout() {
        let t = MemFiles::new()
            .file("/boot/vmlinuz-3.2.0-4-amd64", vec![0u8; 100])
            .file("/boot/initrd.img-3.2.0-4-amd64", "i")
            .file("/boot/config-3.2.0-4-amd64", "CONFIG_XEN=y\n")
            .file("/boot/System.map-3.2.0-4-amd64", "m")
            .file("/boot/vmlinuz-2.6.32-5-xen-amd64", vec![0u8; 50])
            .file("/boot/vmlinuz-3.2.0-4-amd64.old", "o")
            .file("/boot/xen-4.1-amd64.gz", "x")
            .file("/boot/grub/menu.lst", "x")
            .dir("/lib/modules/3.2.0-4-amd64")
            .symlink("/vmlinuz", "boot/vmlinuz-3.2.0-4-amd64");
        let k = find(&t);
        let got: Vec<(&str, KernelKind)> = k.iter().map(|k| (k.image.as_str(), k.kind)).collect();
        assert_eq!(
            got,
            [
                ("/boot/vmlinuz-2.6.32-5-xen-amd64", KernelKind::Regular),
                ("/boot/vmlinuz-3.2.0-4-amd64", KernelKind::Regular),
                ("/boot/vmlinuz-3.2.0-4-amd64.old", KernelKind::Backup),
            ]
        );
        let main = &k[1];
        assert_eq!(main.version, "3.2.0-4-amd64");
        assert_eq!(main.size, Some(100));
        assert_eq!(
            main.initrd.as_deref(),
            Some("/boot/initrd.img-3.2.0-4-amd64")
        );
        assert_eq!(main.config.as_deref(), Some("/boot/config-3.2.0-4-amd64"));
        assert_eq!(
            main.system_map.as_deref(),
            Some("/boot/System.map-3.2.0-4-amd64")
        );
        assert_eq!(
            main.modules_dir.as_deref(),
            Some("/lib/modules/3.2.0-4-amd64")
        );
        let old = &k[2];
        assert_eq!(old.version, "3.2.0-4-amd64");
        assert_eq!(old.initrd, None);
        assert_eq!(old.config, None);
        assert_eq!(k[0].initrd, None);
        assert_eq!(k[0].modules_dir, None);
    }

    #[test]
    fn rhel_layout_with_rescue() {
        let t = MemFiles::new()
            .file("/boot/vmlinuz-3.10.0-1160.el7.x86_64", "k")
            .file("/boot/.vmlinuz-3.10.0-1160.el7.x86_64.hmac", "h")
            .file("/boot/initramfs-3.10.0-1160.el7.x86_64.img", "i")
            .file("/boot/initramfs-3.10.0-1160.el7.x86_64kdump.img", "i")
            .file("/boot/vmlinuz-0-rescue-0123abcd", "k")
            .file("/boot/initramfs-0-rescue-0123abcd.img", "i")
            .file("/boot/vmlinuz-3.10.0-957.el7.x86_64", "k")
            .file("/boot/initramfs-3.10.0-957.el7.x86_64.img", "i")
            .file("/boot/symvers-3.10.0-957.el7.x86_64.gz", "s")
            .dir("/usr/lib/modules/3.10.0-1160.el7.x86_64")
            .symlink("/lib", "usr/lib");
        let k = find(&t);
        let got: Vec<(&str, KernelKind)> = k.iter().map(|k| (k.version.as_str(), k.kind)).collect();
        assert_eq!(
            got,
            [
                ("0-rescue-0123abcd", KernelKind::Rescue),
                ("3.10.0-957.el7.x86_64", KernelKind::Regular),
                ("3.10.0-1160.el7.x86_64", KernelKind::Regular),
            ]
        );
        assert_eq!(
            k[0].initrd.as_deref(),
            Some("/boot/initramfs-0-rescue-0123abcd.img")
        );
        assert_eq!(
            k[2].initrd.as_deref(),
            Some("/boot/initramfs-3.10.0-1160.el7.x86_64.img")
        );
        // /lib -> usr/lib: found under the first spelling that resolves.
        assert_eq!(
            k[2].modules_dir.as_deref(),
            Some("/lib/modules/3.10.0-1160.el7.x86_64")
        );
        assert_eq!(k[1].modules_dir, None);
    }

    #[test]
    fn other_names_and_junk() {
        let t = MemFiles::new()
            .file("/boot/kernel-genkernel-x86_64-3.4.9", "k")
            .file("/boot/initramfs-genkernel-x86_64-3.4.9", "i")
            .file("/boot/bzImage-5.4.0", "k")
            .file("/boot/initrd-5.4.0", "i")
            .file("/boot/vmlinux-2.6.16.60-0.21-xen", "k")
            .file("/boot/initrd-2.6.16.60-0.21-xen.img", "i")
            .symlink("/boot/vmlinuz-9.9", "missing")
            .dir("/boot/vmlinuz-dir")
            .file("/boot/vmlinuz-", "k")
            .file("/boot/vmlinuz", "k")
            .file("/boot/vmlinuz-.old", "k");
        let k = find(&t);
        let v: Vec<&str> = k.iter().map(|k| k.version.as_str()).collect();
        assert_eq!(
            v,
            // Text sorts before numbers, as in rpmvercmp.
            [
                "genkernel-x86_64-3.4.9",
                "2.6.16.60-0.21-xen",
                "5.4.0",
                "9.9"
            ]
        );
        assert_eq!(
            k[1].initrd.as_deref(),
            Some("/boot/initrd-2.6.16.60-0.21-xen.img")
        );
        assert_eq!(k[2].initrd.as_deref(), Some("/boot/initrd-5.4.0"));
        assert_eq!(k[3].size, None);
        assert_eq!(
            k[0].initrd.as_deref(),
            Some("/boot/initramfs-genkernel-x86_64-3.4.9")
        );
        assert!(find(&MemFiles::new()).is_empty());
    }
}
