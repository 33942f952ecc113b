//! DEV004: the image is a bare filesystem (no partition table): HVM firmware cannot boot it.

use crate::partition::TableKind;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV004",
        name: "partitionless-image",
        area: Area::Device,
        summary: "the disk is a bare filesystem with no partition table: firmware cannot boot it",
        explanation: "PV guests are often a filesystem at byte 0 (the PV-GRUB \"hd00\" style, \
xen-tools' default, or a partition such as xvda1 handed to the guest as a whole disk). pygrub and \
PV-GRUB read the kernel from it directly, but BIOS and UEFI firmware need a partition table and \
boot code or an EFI system partition. The filesystem must be copied into a partition of a new \
disk (leaving room for the boot code), a bootloader installed, and the device names re-checked; \
the guest may also be booted from an external GRUB ISO that chain-loads its configuration, which \
then must name (hd0), not (hd0,0).",
        severities: Severities::hvm(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    if cx.guest.table.kind != TableKind::None || cx.guest.root.is_none() {
        return;
    }
    out.emit(
        cx.on_volume(0),
        format!(
            "the whole image is one {} filesystem with no partition table",
            cx.volume(0).fs_type().unwrap_or("unknown")
        ),
        None,
        Fix::Manual(
            "create a partitioned disk, copy the filesystem into partition 1, install GRUB, \
             then re-run pv2hvm check on the new disk"
                .into(),
        ),
    );
}
