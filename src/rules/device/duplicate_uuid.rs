//! DEV003: two volumes of the image carry the same UUID.

use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV003",
        name: "duplicate-uuid",
        area: Area::Device,
        summary: "two volumes in the image have the same UUID",
        explanation: "UUID= references pick whichever device udev sees first. Two filesystems \
with one UUID (a partition copied with dd, a cloned swap) make the mount ambiguous: the guest may \
mount the wrong one or fail. Give one of them a new UUID (tune2fs -U, mkswap -U, xfs_admin -U) \
and update the references.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let vols = &cx.guest.volumes;
    for (i, a) in vols.iter().enumerate() {
        let Some(ua) = a.signature.as_ref().and_then(|s| s.uuid.as_ref()) else {
            continue;
        };
        for b in &vols[i + 1..] {
            let ub = b.signature.as_ref().and_then(|s| s.uuid.as_ref());
            if ub.is_some_and(|ub| ub.eq_ignore_ascii_case(ua)) {
                out.emit(
                    cx.on_volume(b.index),
                    format!("{} and {} both have UUID {ua}", a.label(), b.label()),
                    None,
                    Fix::Manual(format!(
                        "give {} a new UUID and update its references",
                        b.label()
                    )),
                );
            }
        }
    }
}
