//! BOOT009: GRUB 2's boot.img is in the MBR, but the core image it loads is not where it points.

use crate::guest::inventory::boot_code::BootCodeKind;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity, Target,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "BOOT009",
        name: "grub2-core-image-missing",
        area: Area::Boot,
        summary: "GRUB 2 boot.img is in the MBR but the core.img sector it loads is empty",
        explanation: "GRUB 2's 440-byte boot.img only loads the first sector of core.img from the \
sector number stored in it (kernel_sector, offset 0x5c): the gap after the MBR on an msdos disk, \
or the BIOS boot partition on GPT. Images assembled by copying partitions, or made from a cloud \
template, often carry boot.img without core.img, and the BIOS boot then hangs at \"GRUB \" or \
prints \"Read Error\". Re-run grub-install on the target disk from a rescue system. Under KVM or \
Nitro a UEFI boot through the EFI system partition does not need core.img, so there it is a \
warning when the image has one.",
        severities: Severities::hvm(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

/// `diskboot.img`, the first sector of every core.img, prints "loading".
fn is_core_start(s: &[u8]) -> bool {
    s.windows(7).any(|w| w == b"loading")
}

fn check(cx: &Context, out: &mut Emitter) {
    if cx.boot_code.kind != BootCodeKind::Grub2 || cx.guest.boot_sector.len() < 0x64 {
        return;
    }
    let b = &cx.guest.boot_sector;
    let lba = u64::from_le_bytes(b[0x5c..0x64].try_into().expect("8 bytes"));
    if cx.disk_sector(lba).is_some_and(|s| is_core_start(&s)) {
        return;
    }
    let esp = cx.guest.volumes.iter().any(|v| {
        v.fs_type() == Some("vfat")
            && v.partition
                .as_ref()
                .is_some_and(|p| p.type_name == "EFI System" || p.type_id == "0xef")
    });
    let sev = if esp && matches!(cx.target, Target::Kvm | Target::Nitro) {
        Severity::Warning
    } else {
        Severity::Error
    };
    out.emit_as(
        sev,
        cx.on_disk(),
        format!("boot.img loads core.img from sector {lba}, which holds no GRUB core image"),
        None,
        Fix::Manual("run grub-install on the disk from a rescue system".into()),
    );
}
