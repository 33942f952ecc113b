//! DEV009: a boot entry's `root=`/`resume=` names a UUID, label or PARTUUID that nothing in the
//! image has.

use super::cmdline_kernel_name::device_params;
use crate::guest::fstab::Resolution;
use crate::parse::fstab::DeviceRef;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV009",
        name: "cmdline-dangling-reference",
        area: Area::Device,
        summary: "a boot entry's root= or resume= names a UUID or label that no volume has",
        explanation:
            "root=UUID=… must name the filesystem the guest's / is on; after a re-format, \
a copy that got a new UUID, or a half-finished conversion it names nothing, and the initramfs \
waits for it and drops to a shell (\"Gave up waiting for root device\"). A dangling resume= delays \
the boot while the initramfs waits for the swap device. Which volume was meant needs a person, \
so the fix is manual: point the parameter at the UUID of the right volume.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    for e in cx.boot_entries() {
        for (name, value) in device_params(e) {
            let tagged = matches!(
                DeviceRef::parse(&value),
                DeviceRef::Uuid(_)
                    | DeviceRef::Label(_)
                    | DeviceRef::PartUuid(_)
                    | DeviceRef::PartLabel(_)
            );
            let Resolution::Missing { reason } = cx.resolve(&value) else {
                continue;
            };
            if !tagged {
                continue;
            }
            let Some(mut sev) = out.entry_severity(e) else {
                return;
            };
            if name == "resume" {
                sev = crate::rules::lower(sev);
            }
            out.emit_as(
                sev,
                cx.at(&e.config, Some(e.cmdline_line)),
                format!("entry \"{}\": {name}={value}: {reason}", e.title),
                Some(e.cmdline_text.clone()),
                Fix::Manual(format!(
                    "set {name}= to the UUID of the volume that holds it"
                )),
            );
        }
    }
}
