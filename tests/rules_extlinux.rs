//! extlinux guests (pygrub's second choice; Alpine and some Xen templates): their LABEL entries
//! are boot entries like GRUB's — the command-line rules fire on the APPEND line, a missing
//! initramfs is found, and `fix` repairs the APPEND line through the journal.

mod common;

use common::guest::*;
use common::*;

const CONF: &str = "DEFAULT menu.c32\nPROMPT 0\nTIMEOUT 30\nLABEL virt\n  MENU DEFAULT\n  MENU LABEL Linux virt\n  KERNEL vmlinuz-virt\n  APPEND initrd=initramfs-virt root=/dev/xvda1 modules=ext4 console=hvc0\n";

fn alpine(dir: &std::path::Path, with_initramfs: bool) -> std::path::PathBuf {
    let mut g = GuestSpec::new()
        .file("/etc/os-release", "ID=alpine\nVERSION_ID=3.18.4\n")
        .file("/etc/fstab", "/dev/xvda1 / ext4 defaults 0 1\n")
        .file("/boot/extlinux.conf", CONF)
        .file("/boot/vmlinuz-virt", "kernel");
    if with_initramfs {
        g = g.file(
            "/boot/initramfs-virt",
            "not read: the default is checked by KERN rules only when it is a cpio",
        );
    }
    g.build(dir)
}

fn findings(img: &std::path::Path, target: &str) -> Vec<(String, String, u64)> {
    check_json(img, target)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["location"]["path"] == "/boot/extlinux.conf")
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn extlinux_entries_are_audited() {
    let d = tempfile::tempdir().unwrap();
    let img = alpine(d.path(), false);
    let f = findings(&img, "kvm");
    for want in [("DEV006", 8), ("CON001", 8), ("BOOT005", 8)] {
        assert!(
            f.iter()
                .any(|(c, s, l)| c == want.0 && s == "error" && *l == want.1),
            "{want:?} in {f:?}"
        );
    }
    let pvhvm = findings(&img, "xen-pvhvm");
    assert!(
        !pvhvm.iter().any(|(c, _, _)| c == "DEV006"),
        "xvda survives with PV drivers"
    );
    let d2 = tempfile::tempdir().unwrap();
    let img = alpine(d2.path(), true);
    assert!(!findings(&img, "kvm").iter().any(|(c, _, _)| c == "BOOT005"));
}

#[test]
fn fix_repairs_the_append_line() {
    let d = tempfile::tempdir().unwrap();
    let img = alpine(d.path(), true);
    let p = img.to_str().unwrap();
    let (code, out, err) = pv2hvm(&["fix", "--apply", "--target", "kvm", p]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("+++ b/boot/extlinux.conf"), "{out}");
    let (_, conf, _) = pv2hvm(&["cat", p, "/boot/extlinux.conf"]);
    let append = conf
        .lines()
        .find(|l| l.trim_start().starts_with("APPEND"))
        .unwrap();
    assert!(
        append.contains(&format!("root=UUID={ROOT_UUID}")),
        "{append}"
    );
    assert!(
        append.contains("console=hvc0") && append.contains("console=ttyS0,115200"),
        "{append}"
    );
    let left: Vec<_> = findings(&img, "kvm")
        .into_iter()
        .filter(|(c, _, _)| c == "DEV006" || c == "CON001")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let fs = d.path().join("fixed-root.fs");
    sh(&format!(
        "dd if={p} of={} bs=512 skip=2048 count=16384 status=none",
        fs.display()
    ));
    sh(&format!("e2fsck -fn {} >/dev/null", fs.display()));
    let (code, _, _) = pv2hvm(&["undo", p]);
    assert_eq!(code, 0);
}
