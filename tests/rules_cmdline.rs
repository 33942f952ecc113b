//! Kernel command line rules (DEV006/007/009/010/011, CON001–004) on real guests built at test
//! time with GRUB legacy, GRUB 2 and /etc/default/grub configs.

mod common;

use common::guest::*;
use serde_json::Value;

const DEBIAN12: &str = "ID=debian\nVERSION_ID=\"12\"\n";
const DEBIAN7: &str = "PRETTY_NAME=\"Debian GNU/Linux 7 (wheezy)\"\nID=debian\nVERSION_ID=\"7\"\n";

fn menu(cmdline: &str, initrd: bool) -> String {
    let initrd = if initrd {
        "\tinitrd /boot/initrd.img-6.1.0-28-amd64\n"
    } else {
        ""
    };
    format!(
        "default 0\ntimeout 5\n\ntitle Debian\n\troot (hd0,0)\n\
         \tkernel /boot/vmlinuz-6.1.0-28-amd64 {cmdline}\n{initrd}\n\
         title Debian (rescue)\n\troot (hd0,0)\n\
         \tkernel /boot/vmlinuz-6.1.0-28-amd64 {cmdline} single\n{initrd}"
    )
}

fn guest(os: &str, menu_lst: &str, extra: &[(&str, &str)]) -> GuestSpec {
    let mut g = GuestSpec::new()
        .file("/etc/os-release", os)
        .file(
            "/etc/fstab",
            &format!("UUID={ROOT_UUID} / ext4 defaults 0 1\n"),
        )
        .file("/boot/grub/menu.lst", menu_lst)
        .file("/boot/vmlinuz-6.1.0-28-amd64", "kernel")
        .file("/boot/initrd.img-6.1.0-28-amd64", "initrd");
    for (p, c) in extra {
        g = g.file(p, c);
    }
    g
}

fn findings(img: &std::path::Path, target: &str, code: &str) -> Vec<Value> {
    check_json(img, target)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .cloned()
        .collect()
}

#[test]
fn dev006_root_kernel_name_on_entries() {
    let d = tempfile::tempdir().unwrap();
    let img = guest(
        DEBIAN12,
        &menu("root=/dev/xvda1 ro console=ttyS0", true),
        &[],
    )
    .build(d.path());
    let f = findings(&img, "kvm", "DEV006");
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["location"]["path"], "/boot/grub/menu.lst");
    assert_eq!(f[0]["location"]["line"], 6);
    assert_eq!(
        f[1]["severity"], "warning",
        "non-default entry is one level lower"
    );
    assert!(f[0]["fix"]["description"]
        .as_str()
        .unwrap()
        .contains(&format!("root=UUID={ROOT_UUID}")));
    assert!(findings(&img, "xen-pvhvm", "DEV006").is_empty());
    // Without an initrd, the safe fix is PARTUUID= (the kernel resolves it itself).
    let d2 = tempfile::tempdir().unwrap();
    let img = guest(
        DEBIAN12,
        &menu("root=/dev/xvda1 ro console=ttyS0", false),
        &[],
    )
    .build(d2.path());
    let f = findings(&img, "nitro", "DEV006");
    assert!(
        f[0]["fix"]["description"]
            .as_str()
            .unwrap()
            .contains("root=PARTUUID=0badcafe-01"),
        "{f:?}"
    );
    let d3 = tempfile::tempdir().unwrap();
    let ok = guest(
        DEBIAN12,
        &menu(&format!("root=UUID={ROOT_UUID} ro console=ttyS0"), true),
        &[],
    )
    .build(d3.path());
    assert!(
        codes(&ok, "kvm").iter().all(|c| !c.starts_with("DEV")),
        "{:?}",
        codes(&ok, "kvm")
    );
}

#[test]
fn dev007_and_con004_templates() {
    let d = tempfile::tempdir().unwrap();
    let defaults = "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"root=/dev/xvda1 console=hvc0\"\n";
    let img = guest(
        DEBIAN12,
        &menu(&format!("root=UUID={ROOT_UUID} ro console=ttyS0"), true),
        &[("/etc/default/grub", defaults)],
    )
    .build(d.path());
    let f = findings(&img, "xen-hvm", "DEV007");
    assert_eq!(f.len(), 1);
    assert_eq!(
        (
            f[0]["location"]["path"].as_str(),
            f[0]["location"]["line"].as_u64()
        ),
        (Some("/etc/default/grub"), Some(3))
    );
    assert_eq!(f[0]["severity"], "warning");
    let c = findings(&img, "xen-hvm", "CON004");
    assert_eq!(c.len(), 1);
    assert!(
        findings(&img, "xen-pv", "CON004").is_empty(),
        "hvc0 is right under PV"
    );
    assert!(findings(&img, "xen-pvhvm", "DEV007").is_empty());
}

#[test]
fn dev009_dev010_dev011() {
    let d = tempfile::tempdir().unwrap();
    let img = guest(
        DEBIAN12,
        &menu(
            "root=UUID=12345678-0000-0000-0000-000000000000 ro console=ttyS0",
            true,
        ),
        &[],
    )
    .build(d.path());
    let c = codes(&img, "xen-pvhvm");
    assert!(
        c.contains(&"DEV009".to_string()) && c.contains(&"DEV010".to_string()),
        "{c:?}"
    );
    assert!(!c.contains(&"DEV011".to_string()));
    // root= naming the swap partition: the wrong volume.
    let d2 = tempfile::tempdir().unwrap();
    let img = guest(
        DEBIAN12,
        &menu("root=/dev/xvda2 ro console=ttyS0", true),
        &[],
    )
    .swap()
    .build(d2.path());
    let f = findings(&img, "xen-pvhvm", "DEV010");
    assert_eq!(f.len(), 1);
    assert!(
        f[0]["message"].as_str().unwrap().contains("partition 2"),
        "{f:?}"
    );
    assert!(findings(&img, "xen-pvhvm", "DEV009").is_empty());
    // UUID root without initrd.
    let d3 = tempfile::tempdir().unwrap();
    let img = guest(
        DEBIAN12,
        &menu(&format!("root=UUID={ROOT_UUID} ro console=ttyS0"), false),
        &[],
    )
    .build(d3.path());
    let f = findings(&img, "kvm", "DEV011");
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["severity"], "error");
    let c = codes(&img, "kvm");
    assert!(
        !c.contains(&"DEV010".to_string()) && !c.contains(&"DEV009".to_string()),
        "{c:?}"
    );
}

#[test]
fn con001_to_con003_consoles() {
    let d = tempfile::tempdir().unwrap();
    let img = guest(
        DEBIAN12,
        &menu(
            &format!("root=UUID={ROOT_UUID} ro console=hvc0 xencons=tty earlyprintk=xen"),
            true,
        ),
        &[],
    )
    .build(d.path());
    let kvm = findings(&img, "kvm", "CON001");
    assert_eq!((kvm.len(), kvm[0]["severity"].as_str()), (2, Some("error")));
    let pvhvm = findings(&img, "xen-pvhvm", "CON001");
    assert_eq!(
        pvhvm[0]["severity"], "warning",
        "hvc0 still exists with PV drivers"
    );
    assert!(findings(&img, "xen-pv", "CON001").is_empty());
    assert_eq!(findings(&img, "nitro", "CON003").len(), 2);
    assert!(findings(&img, "nitro", "CON002").is_empty());
    // Debian 7 has no hvc0 under HVM: an error even with PV drivers.
    let d7 = tempfile::tempdir().unwrap();
    let img7 = guest(
        DEBIAN7,
        &menu(&format!("root=UUID={ROOT_UUID} ro console=hvc0"), true),
        &[],
    )
    .build(d7.path());
    assert_eq!(
        findings(&img7, "xen-pvhvm", "CON001")[0]["severity"],
        "error"
    );
    // No console at all: CON002 on the default entry only.
    let d2 = tempfile::tempdir().unwrap();
    let img = guest(
        DEBIAN12,
        &menu(&format!("root=UUID={ROOT_UUID} ro"), true),
        &[],
    )
    .build(d2.path());
    let f = findings(&img, "xen-hvm", "CON002");
    assert_eq!((f.len(), f[0]["location"]["line"].as_u64()), (1, Some(6)));
    let d3 = tempfile::tempdir().unwrap();
    let ok = guest(
        DEBIAN12,
        &menu(
            &format!("root=UUID={ROOT_UUID} ro console=tty0 console=ttyS0,115200"),
            true,
        ),
        &[],
    )
    .build(d3.path());
    let c = codes(&ok, "xen-hvm");
    let cmdline_rules = ["CON001", "CON002", "CON003", "CON004"];
    assert!(
        c.iter().all(|c| !cmdline_rules.contains(&c.as_str())),
        "{c:?}"
    );
}

#[test]
fn grub2_and_bls_entries_are_checked_too() {
    let cfg = format!(
        "set default=\"0\"\nmenuentry 'Debian GNU/Linux' --class debian {{\n\
         \tsearch --no-floppy --fs-uuid --set=root {ROOT_UUID}\n\
         \tlinux /boot/vmlinuz-6.1.0-28-amd64 root=/dev/xvda1 ro console=hvc0\n\
         \tinitrd /boot/initrd.img-6.1.0-28-amd64\n}}\n"
    );
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .file("/etc/os-release", DEBIAN12)
        .file(
            "/etc/fstab",
            &format!("UUID={ROOT_UUID} / ext4 defaults 0 1\n"),
        )
        .file("/boot/grub/grub.cfg", &cfg)
        .file("/boot/vmlinuz-6.1.0-28-amd64", "k")
        .file("/boot/initrd.img-6.1.0-28-amd64", "i")
        .build(d.path());
    let j = check_json(&img, "kvm");
    let hits: Vec<(&str, u64)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["location"]["path"] == "/boot/grub/grub.cfg")
        .filter_map(|f| Some((f["code"].as_str()?, f["location"]["line"].as_u64()?)))
        .collect();
    assert!(
        hits.contains(&("DEV006", 4)) && hits.contains(&("CON001", 4)),
        "{hits:?}"
    );
}
