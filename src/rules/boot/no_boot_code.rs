//! BOOT001: the MBR holds no boot code: BIOS firmware has nothing to run.

use crate::guest::inventory::boot_code::BootCodeKind;
use crate::partition::TableKind;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "BOOT001",
        name: "no-mbr-boot-code",
        area: Area::Boot,
        summary: "the MBR has no boot code: HVM firmware has nothing to boot",
        explanation: "A PV guest is started by pygrub or PV-GRUB, which read menu.lst or grub.cfg \
straight from the filesystem: nothing ever needed boot code in the MBR, and it is usually all \
zeros. HVM firmware (BIOS) runs the MBR's code. Either install a bootloader in the guest \
(grub-install /dev/sda from a rescue system, then regenerate its config), or boot the guest from \
an external GRUB ISO that chain-loads the guest's own configuration from partition 1 (the \
\"poor man\" method). On KVM and Nitro a UEFI boot through an EFI system partition avoids the MBR, \
so there it is a warning when the image has one.",
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

fn has_esp(cx: &Context) -> bool {
    cx.guest.volumes.iter().any(|v| {
        v.fs_type() == Some("vfat")
            && v.partition
                .as_ref()
                .is_some_and(|p| p.type_name == "EFI System" || p.type_id == "0xef")
    })
}

fn check(cx: &Context, out: &mut Emitter) {
    if cx.guest.table.kind == TableKind::None || cx.boot_code.kind != BootCodeKind::None {
        return;
    }
    let uefi_possible = matches!(
        cx.target,
        crate::rules::Target::Kvm | crate::rules::Target::Nitro
    ) && has_esp(cx);
    let sev = if uefi_possible {
        Severity::Warning
    } else {
        Severity::Error
    };
    let mut message = "the first 440 bytes of the disk are zeros: no BIOS boot code".to_string();
    if uefi_possible {
        message.push_str(" (an EFI system partition exists: boot the guest with UEFI firmware)");
    }
    out.emit_as(
        sev,
        cx.on_disk(),
        message,
        None,
        Fix::Manual(
            "install GRUB into the MBR from a rescue system, or boot from a GRUB ISO that \
             chain-loads the guest's config from partition 1"
                .into(),
        ),
    );
}
