//! KERN001: the default entry boots a Xen-only (XenLinux) kernel.

use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "KERN001",
        name: "xen-only-default-kernel",
        area: Area::Kernel,
        summary: "the default boot entry is a Xen-only (XenLinux) kernel that cannot boot HVM",
        explanation: "Old distributions shipped separate XenLinux kernels for PV guests \
(kernel-xen, versions ending in xen such as 2.6.18-419.el5xen, configs with CONFIG_X86_XEN=y or \
CONFIG_X86_64_XEN=y). They run only as a paravirtualised guest: started by HVM firmware they \
stop before printing anything. pvops kernels (2.6.24 and later, CONFIG_XEN=y without X86_XEN) \
boot both ways. Make a non-Xen kernel the default entry, installing one first if none exists \
(see KERN002).",
        severities: Severities::hvm(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let Some(e) = cx.default_entry() else { return };
    let why = if e.xen_hypervisor {
        Some("it boots the Xen hypervisor with this kernel as dom0".to_string())
    } else {
        e.kernel_version().and_then(|v| cx.xen_only_kernel(v))
    };
    let Some(why) = why else { return };
    let other = cx
        .kernels()
        .iter()
        .find(|k| cx.xen_only_kernel(&k.version).is_none())
        .map(|k| k.version.clone());
    let step = match other {
        Some(v) => format!("make the entry for kernel {v} the default"),
        None => "install a non-Xen (pvops) kernel and make it the default".into(),
    };
    out.emit(
        cx.at(&e.config, Some(e.cmdline_line)),
        format!("default entry \"{}\": {why}", e.title),
        Some(e.cmdline_text.clone()),
        Fix::Manual(step),
    );
}
