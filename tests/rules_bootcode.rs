//! BOOT008 and BOOT009: what the MBR's boot code needs next — the active partition's boot sector
//! for a chain-loader, GRUB 2's core.img for boot.img — checked with the real SYSLINUX mbr.bin,
//! GRUB's boot.img and a core.img made by grub-mkimage.

mod common;

use common::guest::*;
use common::*;
use std::path::Path;

const OS: &str = "ID=debian\nVERSION_ID=\"12\"\n";
const MBR_BIN: &str = "/usr/lib/syslinux/mbr/mbr.bin";
const BOOT_IMG: &str = "/usr/lib/grub/i386-pc/boot.img";

fn base() -> GuestSpec {
    GuestSpec::new().file("/etc/os-release", OS).file(
        "/etc/fstab",
        &format!("UUID={ROOT_UUID} / ext4 defaults 0 1\n"),
    )
}

fn severity(img: &Path, target: &str, code: &str) -> Option<String> {
    check_json(img, target)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .map(|f| f["severity"].as_str().unwrap().to_string())
}

#[test]
fn boot008_chain_loader_needs_an_active_boot_sector() {
    assert!(
        Path::new(MBR_BIN).exists(),
        "apt-get install syslinux-common"
    );
    let d = tempfile::tempdir().unwrap();
    let img = base().boot_code(MBR_BIN).active().build(d.path());
    for t in ["xen-hvm", "xen-pvhvm", "kvm", "nitro"] {
        assert_eq!(
            severity(&img, t, "BOOT008").as_deref(),
            Some("error"),
            "{t}"
        );
    }
    assert_eq!(severity(&img, "xen-pv", "BOOT008"), None);
    let j = check_json(&img, "kvm");
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "BOOT008")
        .unwrap();
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("active partition 1 is empty"),
        "{f}"
    );
    // No active partition at all.
    let d2 = tempfile::tempdir().unwrap();
    let img = base().boot_code(MBR_BIN).build(d2.path());
    let j = check_json(&img, "kvm");
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "BOOT008")
        .unwrap();
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("no partition is marked active"),
        "{f}"
    );
    // Boot code in the active partition's boot sector (ext's unused first 1024 bytes).
    let d3 = tempfile::tempdir().unwrap();
    let img = base().boot_code(MBR_BIN).active().build(d3.path());
    sh(&format!(
        "dd if={MBR_BIN} of={} bs=512 seek=2048 count=1 conv=notrunc status=none",
        img.display()
    ));
    assert_eq!(severity(&img, "kvm", "BOOT008"), None);
    // GRUB's boot.img is not a chain-loader.
    let d4 = tempfile::tempdir().unwrap();
    let img = base().boot_code(BOOT_IMG).active().build(d4.path());
    assert_eq!(severity(&img, "kvm", "BOOT008"), None);
}

#[test]
fn boot009_boot_img_needs_core_img() {
    need("grub-mkimage", "grub-pc-bin");
    let d = tempfile::tempdir().unwrap();
    let img = base().boot_code(BOOT_IMG).build(d.path());
    for t in ["xen-hvm", "xen-pvhvm", "kvm", "nitro"] {
        assert_eq!(
            severity(&img, t, "BOOT009").as_deref(),
            Some("error"),
            "{t}"
        );
    }
    assert_eq!(severity(&img, "xen-pv", "BOOT009"), None);
    let core = d.path().join("core.img");
    sh(&format!(
        "grub-mkimage -O i386-pc -o {} -p '(hd0,msdos1)/boot/grub' biosdisk part_msdos ext2 && \
         dd if={} of={} bs=512 seek=1 conv=notrunc status=none",
        core.display(),
        core.display(),
        img.display()
    ));
    assert_eq!(severity(&img, "xen-hvm", "BOOT009"), None);
    assert_eq!(severity(&img, "xen-hvm", "BOOT001"), None);
}

#[test]
fn boot009_is_a_warning_where_uefi_can_boot_the_esp() {
    // The corpus GPT guest carries boot.img in its protective MBR, an EFI system partition and
    // an empty BIOS boot partition.
    let img = corpus_image("gpt-efi.img");
    assert_eq!(
        severity(&img, "xen-hvm", "BOOT009").as_deref(),
        Some("error")
    );
    assert_eq!(severity(&img, "kvm", "BOOT009").as_deref(), Some("warning"));
    assert_eq!(
        severity(&img, "nitro", "BOOT009").as_deref(),
        Some("warning")
    );
}
