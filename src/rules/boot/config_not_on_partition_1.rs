//! BOOT002: no boot code, and the live bootloader config is not on partition 1, where a
//! chain-loading GRUB looks for it.

use crate::guest::inventory::boot_code::BootCodeKind;
use crate::partition::TableKind;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "BOOT002",
        name: "boot-config-not-on-partition-1",
        area: Area::Boot,
        summary: "no boot code and the live bootloader config is not on partition 1",
        explanation: "With no boot code in the MBR, the usual way to boot a converted PV guest \
under HVM is an external GRUB (an ISO attached by the host) that chain-loads the guest's own \
menu.lst or grub.cfg from partition 1: for a PV guest the config is nearly always there. When \
the config pygrub used lives elsewhere (a /boot on partition 2, a root on partition 3 with no \
separate /boot, a GPT disk whose partition 1 is a BIOS boot or EFI partition), the external GRUB \
finds no config or a wrong one and drops to its prompt. It matters only while the guest has no \
bootloader of its own. The fix is manual: install GRUB in the guest (grub-install from a rescue \
system), or point the external bootloader at the right partition by hand.",
        severities: Severities::hvm(Severity::Warning),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    if cx.guest.table.kind == TableKind::None || cx.boot_code.kind != BootCodeKind::None {
        return;
    }
    let Some(live) = cx.live_config() else { return };
    let Some(v) = cx.guest.tree.volume_of(&live) else {
        return;
    };
    let n = cx.volume(v).number;
    if n == 1 {
        return;
    }
    let first = match cx.guest.volumes.iter().find(|v| v.number == 1) {
        None => "there is no partition 1".to_string(),
        Some(p1) => match p1.fs_type() {
            Some(fs) => format!("partition 1 ({fs}) does not hold it"),
            None => "partition 1 holds no filesystem".to_string(),
        },
    };
    out.emit(
        cx.at(&live, None),
        format!(
            "the live config {live} is on partition {n} and the MBR has no boot code: a GRUB \
             that chain-loads partition 1 will not find it ({first})"
        ),
        None,
        Fix::Manual(format!(
            "install GRUB in the guest, or point the external bootloader at partition {n} \
             (GRUB legacy: root (hd0,{}); GRUB 2: (hd0,{n}))",
            n - 1
        )),
    );
}
