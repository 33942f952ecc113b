//! BOOT008: the MBR holds a generic chain-loader (SYSLINUX mbr.bin, a DOS MBR) whose target —
//! the active partition's boot sector — holds no boot code.

use crate::guest::inventory::boot_code::BootCodeKind;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "BOOT008",
        name: "chain-loader-target-empty",
        area: Area::Boot,
        summary: "the MBR chain-loads the active partition, whose boot sector has no boot code",
        explanation:
            "SYSLINUX's mbr.bin and the classic DOS/Windows MBR do not load a kernel: they \
load the boot sector of the partition marked active and jump to it. A PV guest never needed that \
sector, so it is usually empty (GRUB legacy was never installed to the partition, or an extlinux \
install was never made). Under BIOS firmware the boot stops with \"Missing operating system\" or a \
blank screen. Install a bootloader that reads the guest's config (grub-install to the MBR, or \
extlinux/GRUB to the active partition), or mark the right partition active.",
        severities: Severities {
            xen_hvm: Some(Severity::Error),
            xen_pvhvm: Some(Severity::Error),
            kvm: Some(Severity::Error),
            nitro: Some(Severity::Error),
            xen_pv: None,
        },
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    if !matches!(
        cx.boot_code.kind,
        BootCodeKind::Syslinux | BootCodeKind::Windows
    ) {
        return;
    }
    let active = cx
        .guest
        .table
        .partitions
        .iter()
        .find(|p| p.bootable && !p.logical);
    let problem = match active {
        None => "no partition is marked active".to_string(),
        Some(p) => {
            let lba = p.start / 512;
            match cx.disk_sector(lba) {
                Some(s) if s[..440].iter().any(|&b| b != 0) => return,
                _ => format!("the boot sector of active partition {} is empty", p.number),
            }
        }
    };
    out.emit(
        cx.on_disk(),
        format!(
            "{} MBR code chain-loads the active partition, but {problem}",
            cx.boot_code.detail
        ),
        None,
        Fix::Manual(
            "install GRUB to the MBR from a rescue system (grub-install), or a bootloader \
             into the active partition"
                .into(),
        ),
    );
}
