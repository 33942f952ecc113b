//! DEV002: an fstab `UUID=`/`LABEL=`/`PARTUUID=`/`PARTLABEL=` that no volume in the image has.

use super::optional_mount;
use crate::guest::fstab::Resolution;
use crate::parse::fstab::DeviceRef;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV002",
        name: "dangling-device-reference",
        area: Area::Device,
        summary: "fstab names a UUID or label that no filesystem in the image has",
        explanation: "Every UUID=, LABEL=, PARTUUID= and PARTLABEL= reference must resolve to a \
filesystem, swap area or partition that exists in the image. A dangling one is left behind by a \
re-format, a copy with a new UUID, or a failed conversion; at boot the mount times out and the \
guest drops to an emergency shell (a missing swap is only skipped, and nofail/noauto entries are \
skipped). Only a person can tell which volume was meant, so there is no automatic fix.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let Some(fstab) = cx.fstab() else { return };
    for e in &fstab.entries {
        let tagged = matches!(
            DeviceRef::parse(&e.entry.spec),
            DeviceRef::Uuid(_)
                | DeviceRef::Label(_)
                | DeviceRef::PartUuid(_)
                | DeviceRef::PartLabel(_)
                | DeviceRef::ByPath { .. }
        );
        let Resolution::Missing { reason } = &e.resolution else {
            continue;
        };
        if !tagged {
            continue;
        }
        let soft = optional_mount(&e.entry.options) || e.entry.fstype == "swap";
        let sev = if soft {
            Severity::Warning
        } else {
            Severity::Error
        };
        out.emit_as(
            sev,
            cx.at(&fstab.path, Some(e.entry.line)),
            format!("{} ({}): {reason}", e.entry.spec, e.entry.mountpoint),
            Some(e.entry.text.clone()),
            Fix::Manual(format!(
                "point {} at a volume that exists, or add nofail, or remove the line",
                e.entry.mountpoint
            )),
        );
    }
}
