//! KERN rules and DEV008 on real guests built at test time, with real initramfs archives made
//! by cpio + gzip and /boot/config files.

mod common;

use common::guest::*;
use common::*;
use std::path::Path;

const OS: &str = "ID=debian\nVERSION_ID=\"12\"\n";
const V: &str = "6.1.0-28-amd64";

/// A gzip'd newc initramfs holding stand-in modules (`drivers/block/virtio_blk.ko`…).
fn initramfs(dir: &Path, modules: &[&str]) -> String {
    let root = dir.join("initramfs-tree");
    for m in modules {
        let p = root.join(format!("lib/modules/{V}/kernel/drivers/{m}.ko"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "module").unwrap();
    }
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let out = dir.join("initrd.img");
    sh(&format!(
        "cd {} && find . | sort | cpio -o -H newc --quiet | gzip -n > {}",
        root.display(),
        out.display()
    ));
    let bytes = std::fs::read(&out).unwrap();
    // Guest files are text in GuestSpec; store the binary through a latin-1 round trip.
    bytes.iter().map(|&b| b as char).collect()
}

fn guest(
    dir: &Path,
    kernel_version: &str,
    config: Option<&str>,
    initrd_mods: Option<&[&str]>,
) -> std::path::PathBuf {
    let initrd_line = if initrd_mods.is_some() {
        format!("\tinitrd /boot/initrd.img-{kernel_version}\n")
    } else {
        String::new()
    };
    let menu = format!(
        "default 0\ntitle Linux\n\troot (hd0,0)\n\tkernel /boot/vmlinuz-{kernel_version} root=UUID={ROOT_UUID} console=ttyS0\n{initrd_line}"
    );
    let mut g = GuestSpec::new()
        .file("/etc/os-release", OS)
        .file(
            "/etc/fstab",
            &format!("UUID={ROOT_UUID} / ext4 defaults 0 1\n"),
        )
        .file("/boot/grub/menu.lst", &menu)
        .file(&format!("/boot/vmlinuz-{kernel_version}"), "kernel");
    if let Some(c) = config {
        g = g.file(&format!("/boot/config-{kernel_version}"), c);
    }
    let tree = dir.join("x");
    std::fs::create_dir_all(&tree).unwrap();
    if let Some(mods) = initrd_mods {
        let img = initramfs(&tree, mods);
        g = g.binary_file(&format!("/boot/initrd.img-{kernel_version}"), &img);
    }
    g.build(dir)
}

fn has(img: &Path, t: &str, c: &str) -> bool {
    codes(img, t).iter().any(|x| x == c)
}

#[test]
fn kern003_drivers_follow_the_target() {
    let d = tempfile::tempdir().unwrap();
    let config = "CONFIG_XEN=y\nCONFIG_XEN_BLKDEV_FRONTEND=m\nCONFIG_VIRTIO_BLK=m\nCONFIG_VIRTIO_PCI=y\nCONFIG_ATA_PIIX=m\nCONFIG_BLK_DEV_SD=m\n# CONFIG_BLK_DEV_NVME is not set\n";
    let img = guest(
        d.path(),
        V,
        Some(config),
        Some(&["block/xen-blkfront", "block/virtio_blk"]),
    );
    assert!(
        !has(&img, "kvm", "KERN003"),
        "virtio_blk in the initramfs, virtio_pci built in"
    );
    assert!(!has(&img, "xen-pvhvm", "KERN003"));
    assert!(has(&img, "xen-hvm", "KERN003"), "ata_piix/sd_mod missing");
    assert!(has(&img, "nitro", "KERN003"), "nvme missing");
    let j = check_json(&img, "nitro");
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "KERN003")
        .unwrap();
    assert_eq!(f["severity"], "error");
    assert_eq!(f["location"]["path"], format!("/boot/initrd.img-{V}"));
    assert!(f["message"].as_str().unwrap().contains("nvme"), "{f}");
    // Built in: nothing needed from the initramfs.
    let d2 = tempfile::tempdir().unwrap();
    let all_y = "CONFIG_XEN=y\nCONFIG_ATA_PIIX=y\nCONFIG_BLK_DEV_SD=y\nCONFIG_BLK_DEV_NVME=y\n";
    let img = guest(d2.path(), V, Some(all_y), None);
    assert!(!has(&img, "xen-hvm", "KERN003") && !has(&img, "nitro", "KERN003"));
    assert!(
        has(&img, "kvm", "KERN003"),
        "virtio is not built in and there is no initramfs"
    );
}

#[test]
fn kern001_kern002_xen_only_kernels() {
    let d = tempfile::tempdir().unwrap();
    let img = guest(
        d.path(),
        "2.6.18-419.el5xen",
        Some("CONFIG_X86_XEN=y\nCONFIG_XEN=y\n"),
        None,
    );
    for t in ["xen-hvm", "kvm"] {
        let c = codes(&img, t);
        assert!(
            c.contains(&"KERN001".into()) && c.contains(&"KERN002".into()),
            "{t}: {c:?}"
        );
    }
    assert!(!has(&img, "xen-pv", "KERN001"));
    assert!(!has(&img, "xen-pv", "KERN005"), "XenLinux runs PV");
    let d2 = tempfile::tempdir().unwrap();
    let img = guest(
        d2.path(),
        V,
        Some("CONFIG_XEN=y\nCONFIG_ATA_PIIX=y\nCONFIG_BLK_DEV_SD=y\n"),
        None,
    );
    let c = codes(&img, "xen-hvm");
    assert!(
        !c.contains(&"KERN001".into()) && !c.contains(&"KERN002".into()),
        "{c:?}"
    );
}

#[test]
fn kern004_unreadable_initramfs() {
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .file("/etc/os-release", OS)
        .file("/boot/grub/menu.lst", &format!("default 0\ntitle L\n\tkernel /boot/vmlinuz-{V} root=UUID={ROOT_UUID}\n\tinitrd /boot/initrd.img-{V}\n"))
        .file(&format!("/boot/vmlinuz-{V}"), "k")
        .file(&format!("/boot/initrd.img-{V}"), "this is not a cpio archive at all, nor compressed")
        .build(d.path());
    let j = check_json(&img, "kvm");
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "KERN004");
    assert!(f.is_some_and(|f| f["severity"] == "warning"), "{j}");
    assert!(
        !has(&img, "kvm", "KERN003"),
        "an unreadable initramfs is not guessed about"
    );
}

#[test]
fn kern005_pv_support_only_matters_for_xen_pv() {
    let d = tempfile::tempdir().unwrap();
    let img = guest(
        d.path(),
        V,
        Some("# CONFIG_XEN is not set\nCONFIG_VIRTIO_BLK=y\nCONFIG_VIRTIO_PCI=y\n"),
        None,
    );
    assert!(has(&img, "xen-pv", "KERN005"));
    assert!(!has(&img, "kvm", "KERN005"));
    let d2 = tempfile::tempdir().unwrap();
    let img = guest(
        d2.path(),
        V,
        Some("CONFIG_XEN=y\nCONFIG_XEN_BLKDEV_FRONTEND=y\n"),
        None,
    );
    assert!(!has(&img, "xen-pv", "KERN005"));
}

#[test]
fn kern006_suse_initrd_modules() {
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .file("/etc/os-release", "ID=\"sles\"\nVERSION_ID=\"11.4\"\n")
        .file("/etc/sysconfig/kernel", "# modules for the initrd\nINITRD_MODULES=\"xenblk xennet\"\nDOMU_INITRD_MODULES=\"\"\n")
        .build(d.path());
    let j = check_json(&img, "kvm");
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "KERN006")
        .unwrap();
    assert_eq!(f["location"]["line"], 2);
    assert!(f["fix"]["description"]
        .as_str()
        .unwrap()
        .contains("virtio_blk"));
    assert!(!has(&img, "xen-pv", "KERN006"));
    let d2 = tempfile::tempdir().unwrap();
    let ok = GuestSpec::new()
        .file("/etc/os-release", "ID=\"sles\"\n")
        .file(
            "/etc/sysconfig/kernel",
            "INITRD_MODULES=\"xenblk virtio_blk virtio_pci\"\n",
        )
        .build(d2.path());
    assert!(!has(&ok, "kvm", "KERN006"));
}

#[test]
fn dev008_system_configs() {
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .file("/etc/os-release", OS)
        .file(
            "/etc/crypttab",
            "# <target> <source> <key> <options>\nsecret /dev/xvda3 none luks\n",
        )
        .file("/etc/initramfs-tools/conf.d/resume", "RESUME=/dev/xvda2\n")
        .file("/boot/grub/device.map", "(hd0)\t/dev/xvda\n")
        .file(
            "/etc/mdadm/mdadm.conf",
            "DEVICE /dev/xvdb1 /dev/xvdc1\nARRAY /dev/md0 UUID=1:2:3:4\n",
        )
        .build(d.path());
    let j = check_json(&img, "kvm");
    let mut got: Vec<(String, u64, String)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "DEV008")
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("/boot/grub/device.map".into(), 1, "warning".into()),
            ("/etc/crypttab".into(), 2, "error".into()),
            (
                "/etc/initramfs-tools/conf.d/resume".into(),
                1,
                "warning".into()
            ),
            ("/etc/mdadm/mdadm.conf".into(), 1, "warning".into()),
            ("/etc/mdadm/mdadm.conf".into(), 1, "warning".into()),
        ]
    );
    assert!(!has(&img, "xen-pvhvm", "DEV008"));
}
