//! DEV and BOOT001 rules on real guests built at test time: each fires where its hazard is
//! planted and stays silent where it is not.

mod common;

use common::guest::*;
use common::*;

const OS: &str = "ID=debian\nVERSION_ID=\"12\"\n";

fn has(codes: &[String], c: &str) -> bool {
    codes.iter().any(|x| x == c)
}

#[test]
fn dev001_kernel_names_in_fstab_follow_the_target() {
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .file("/etc/os-release", OS)
        .file("/etc/fstab", "/dev/xvda1 / ext4 defaults 0 1\n")
        .build(d.path());
    for (t, fires) in [
        ("xen-hvm", true),
        ("kvm", true),
        ("nitro", true),
        ("xen-pvhvm", false),
        ("xen-pv", false),
    ] {
        assert_eq!(has(&codes(&img, t), "DEV001"), fires, "{t}");
    }
    let j = check_json(&img, "kvm");
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "DEV001")
        .unwrap();
    assert_eq!(f["severity"], "error");
    assert_eq!(f["location"]["path"], "/etc/fstab");
    assert_eq!(f["location"]["line"], 1);
    assert_eq!(f["location"]["volume"]["uuid"], ROOT_UUID);
    assert_eq!(f["fix"]["kind"], "safe");
    assert!(f["fix"]["description"]
        .as_str()
        .unwrap()
        .contains(ROOT_UUID));

    let d2 = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .file("/etc/os-release", OS)
        .file(
            "/etc/fstab",
            &format!("UUID={ROOT_UUID} / ext4 defaults 0 1\n/dev/sda1 /srv ext4 nofail 0 2\n"),
        )
        .build(d2.path());
    assert!(
        !has(&codes(&img, "xen-hvm"), "DEV001"),
        "sda survives xen-hvm"
    );
    let j = check_json(&img, "kvm");
    let f = &j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "DEV001")
        .unwrap();
    assert_eq!(f["severity"], "warning", "nofail lowers it");
    assert!(
        has(&codes(&img, "xen-pv"), "DEV001"),
        "sda does not exist under PV"
    );
}

#[test]
fn dev002_dangling_uuid_and_label() {
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .file("/etc/os-release", OS)
        .file(
            "/etc/fstab",
            &format!(
                "UUID={ROOT_UUID} / ext4 defaults 0 1\n\
                 UUID=99999999-0000-0000-0000-000000000000 /data ext4 defaults 0 2\n\
                 LABEL=nosuch /srv ext4 defaults,nofail 0 2\n"
            ),
        )
        .build(d.path());
    let j = check_json(&img, "xen-pvhvm");
    let dev2: Vec<_> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "DEV002")
        .collect();
    assert_eq!(dev2.len(), 2);
    assert_eq!(
        (
            dev2[0]["severity"].as_str(),
            dev2[0]["location"]["line"].as_u64()
        ),
        (Some("error"), Some(2))
    );
    assert_eq!(dev2[1]["severity"], "warning");

    let d2 = tempfile::tempdir().unwrap();
    let ok = GuestSpec::new()
        .file("/etc/os-release", OS)
        .file(
            "/etc/fstab",
            &format!("UUID={ROOT_UUID} / ext4 defaults 0 1\n"),
        )
        .build(d2.path());
    assert!(!has(&codes(&ok, "xen-hvm"), "DEV002"));
}

#[test]
fn dev003_duplicate_uuid() {
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .separate_boot()
        .file("/etc/os-release", OS)
        .file("/boot/grub/menu.lst", "default 0\n")
        .build(d.path());
    assert!(!has(&codes(&img, "kvm"), "DEV003"));
    // Copy the root filesystem over /boot: two volumes, one UUID.
    sh(&format!(
        "dd if={0} of={0} bs=512 skip=6144 seek=2048 count=4096 conv=notrunc status=none",
        img.display()
    ));
    for t in ["kvm", "xen-pv"] {
        assert!(has(&codes(&img, t), "DEV003"), "{t}");
    }
}

#[test]
fn dev004_partitionless_only_for_hvm() {
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .partitionless()
        .file("/etc/os-release", OS)
        .file("/etc/fstab", "/dev/xvda1 / ext4 defaults 0 1\n")
        .build(d.path());
    for t in ["xen-hvm", "xen-pvhvm", "kvm", "nitro"] {
        assert!(has(&codes(&img, t), "DEV004"), "{t}");
    }
    assert!(!has(&codes(&img, "xen-pv"), "DEV004"));
    assert!(
        !has(&codes(&img, "xen-pv"), "DEV001"),
        "xvda1 is the whole disk under PV"
    );
    let d2 = tempfile::tempdir().unwrap();
    let part = GuestSpec::new()
        .file("/etc/os-release", OS)
        .build(d2.path());
    assert!(!has(&codes(&part, "kvm"), "DEV004"));
}

#[test]
fn dev005_lvm_names_are_info() {
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .file("/etc/os-release", OS)
        .file(
            "/etc/fstab",
            "/dev/mapper/vg0-root / ext4 defaults 0 1\n/dev/md0 /srv ext4 defaults 0 2\n",
        )
        .build(d.path());
    let j = check_json(&img, "kvm");
    let dev5: Vec<_> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "DEV005")
        .collect();
    assert_eq!(dev5.len(), 2);
    assert!(dev5.iter().all(|f| f["severity"] == "info"));
    assert!(!has(&codes(&img, "kvm"), "DEV001"));
}

#[test]
fn boot001_zero_boot_code_but_not_with_grub() {
    need("mkfs.fat", "dosfstools");
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new().file("/etc/os-release", OS).build(d.path());
    for t in ["xen-hvm", "xen-pvhvm", "kvm", "nitro"] {
        assert!(has(&codes(&img, t), "BOOT001"), "{t}");
    }
    assert!(!has(&codes(&img, "xen-pv"), "BOOT001"));
    let boot_img = "/usr/lib/grub/i386-pc/boot.img";
    assert!(
        std::path::Path::new(boot_img).exists(),
        "apt-get install grub-pc-bin"
    );
    let d2 = tempfile::tempdir().unwrap();
    let grub = GuestSpec::new()
        .file("/etc/os-release", OS)
        .boot_code(boot_img)
        .build(d2.path());
    assert!(!has(&codes(&grub, "xen-hvm"), "BOOT001"));
}

#[test]
fn select_ignore_and_exit_status() {
    let d = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .file("/etc/os-release", OS)
        .file("/etc/fstab", "/dev/xvda1 / ext4 defaults 0 1\n")
        .build(d.path());
    let p = img.to_str().unwrap();
    let (code, out, _) = pv2hvm(&["check", "--target", "kvm", "--color", "never", p]);
    assert_eq!(code, 1);
    assert!(
        out.trim_end().ends_with("fixable with `pv2hvm fix`)"),
        "{out}"
    );
    // DEV001 (fstab), BOOT001 (zero MBR) and BOOT007 (no bootloader config at all).
    assert!(out.contains("will not boot on kvm: 3 errors"), "{out}");
    let (code, out, _) = pv2hvm(&["check", "--target", "kvm", "--ignore", "DEV,BOOT", p]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = pv2hvm(&[
        "check", "--target", "kvm", "--select", "boot001", "--format", "json", p,
    ]);
    assert_eq!(code, 1);
    assert!(!out.contains("DEV001") && out.contains("BOOT001"));
    let (code, _, err) = pv2hvm(&["check", "--select", "XYZ", p]);
    assert_eq!(code, 2);
    assert!(err.contains("no rule code starts with XYZ"), "{err}");
    let (code, out, _) = pv2hvm(&["check", "--target", "kvm", "--format", "sarif", p]);
    assert_eq!(code, 1);
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let results = s["runs"][0]["results"].as_array().unwrap();
    let r = results.iter().find(|r| r["ruleId"] == "DEV001").unwrap();
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "etc/fstab"
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    let rules = s["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "DEV001"
    );
}
