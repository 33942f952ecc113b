//! KERN006: SUSE's `INITRD_MODULES` lists only Xen drivers for the initrd.

use crate::parse::sysconfig_kernel;
use crate::rules::context::parsed;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "KERN006",
        name: "initrd-modules-xen-only",
        area: Area::Kernel,
        summary:
            "/etc/sysconfig/kernel INITRD_MODULES names Xen drivers and none for the target's disk",
        explanation: "On SUSE, mkinitrd builds the initrd from INITRD_MODULES in \
/etc/sysconfig/kernel. A PV guest lists xenblk/xennet (or xen-vbd/xen-vnif); the next kernel \
update then builds an initrd without the driver of the target's disk, and the guest stops booting \
after an update even if it booted once. The fix adds the target's disk driver to the list.",
        severities: Severities::hvm(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let Some(p) = parsed::file(
        cx.guest.files(),
        "/etc/sysconfig/kernel",
        sysconfig_kernel::parse,
    ) else {
        return;
    };
    let listed = p.doc.initrd_modules();
    let xen: Vec<_> = listed
        .iter()
        .filter(|m| crate::parse::modprobe::is_xen_module(&m.normalized))
        .collect();
    let Some(first) = xen.first() else { return };
    let wanted: Vec<&str> = cx
        .target
        .disk_driver_groups()
        .iter()
        .map(|g| g[0])
        .collect();
    let has_target = cx
        .target
        .disk_driver_groups()
        .iter()
        .all(|g| g.iter().any(|m| listed.iter().any(|l| l.normalized == *m)));
    if has_target {
        return;
    }
    let names: Vec<&str> = xen.iter().map(|m| m.module.as_str()).collect();
    out.emit_edits(
        cx.at(&p.path, Some(first.line)),
        format!(
            "INITRD_MODULES has {} and no driver for the {} disk",
            names.join(" "),
            cx.target
        ),
        None,
        Fix::Safe(format!("add {} to INITRD_MODULES", wanted.join(" "))),
        vec![Edit::InsertInQuotedValue {
            path: p.path.clone(),
            line: first.line,
            key: "INITRD_MODULES".into(),
            text: wanted.join(" "),
        }],
    );
}
