//! DEV005: an fstab entry names an LVM or md device, which pv2hvm does not resolve yet.

use crate::guest::fstab::Resolution;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV005",
        name: "unverified-volume-manager-name",
        area: Area::Device,
        summary: "fstab names an LVM or md device that could not be verified in the image",
        explanation: "LVM (/dev/mapper/vg-lv, /dev/vg/lv) and md (/dev/md0) names survive the \
move, because they do not depend on the disk driver. pv2hvm does not assemble volume groups or \
arrays yet, so it cannot confirm that the named volume exists or check the filesystem on it; \
check these mounts by hand.",
        severities: Severities::all(Severity::Info),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let Some(fstab) = cx.fstab() else { return };
    for e in &fstab.entries {
        if let Resolution::Unresolved { reason } = &e.resolution {
            out.emit(
                cx.at(&fstab.path, Some(e.entry.line)),
                format!("{} ({}): {reason}", e.entry.spec, e.entry.mountpoint),
                Some(e.entry.text.clone()),
                Fix::Manual("verify that this volume exists and mounts".into()),
            );
        }
    }
}
