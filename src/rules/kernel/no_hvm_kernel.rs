//! KERN002: every kernel installed in /boot is Xen-only.

use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "KERN002",
        name: "no-hvm-capable-kernel",
        area: Area::Kernel,
        summary: "no kernel in /boot can boot under HVM: all are Xen-only",
        explanation: "When the only kernels installed are XenLinux PV kernels (kernel-xen, \
*xen versions, CONFIG_X86_XEN=y), there is nothing to switch the boot entry to: a regular \
kernel package (kernel, linux-image-amd64) must be installed, from inside the PV guest before \
the conversion or from a rescue system, and its initramfs must include the target's disk driver.",
        severities: Severities::hvm(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let kernels = cx.kernels();
    if kernels.is_empty()
        || kernels
            .iter()
            .any(|k| cx.xen_only_kernel(&k.version).is_none())
    {
        return;
    }
    let names: Vec<&str> = kernels.iter().map(|k| k.version.as_str()).collect();
    out.emit(
        cx.at("/boot", None),
        format!("every kernel is Xen-only: {}", names.join(", ")),
        None,
        Fix::Manual("install a regular (pvops) kernel package and make it the default".into()),
    );
}
