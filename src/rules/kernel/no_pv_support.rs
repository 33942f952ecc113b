//! KERN005: moving to Xen PV, the default kernel has no Xen PV support.

use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "KERN005",
        name: "kernel-without-pv-support",
        area: Area::Kernel,
        summary: "the default kernel has no Xen PV support (CONFIG_XEN), so it cannot run as a PV guest",
        explanation: "The reverse move — a guest installed under HVM (for example through \
XenServer's \"Recovery Mode\" PXE boot) and then run PV — needs a kernel that can start as a Xen PV \
guest: a pvops kernel with CONFIG_XEN=y (and the xen-blkfront and xen-netfront drivers), or a \
XenLinux kernel. A kernel built without it is rejected by the domain builder. Install a kernel \
with Xen support (most distribution kernels since 2.6.32 have it) and make it the default.",
        severities: Severities::pv_only(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let Some(e) = cx.default_entry() else { return };
    let Some(version) = e.kernel_version() else {
        return;
    };
    let at = cx.at(&e.config, Some(e.cmdline_line));
    let step = Fix::Manual("install a kernel with CONFIG_XEN=y and make it the default".into());
    match cx.kernel_config(version) {
        Some(c) if c.doc.builtin("XEN") || c.doc.is_xen_only() => {}
        Some(c) => out.emit(
            at,
            format!("kernel {version}: {} does not set CONFIG_XEN=y", c.path),
            Some(e.cmdline_text.clone()),
            step,
        ),
        None => out.emit_as(
            Severity::Warning,
            at,
            format!("kernel {version}: no /boot/config-{version} to show Xen PV support"),
            Some(e.cmdline_text.clone()),
            step,
        ),
    }
}
