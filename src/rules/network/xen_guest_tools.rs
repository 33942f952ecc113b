//! NET004: XenServer guest tools are installed.

use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "NET004",
        name: "xen-guest-tools",
        area: Area::Network,
        summary: "xe-guest-utilities (xe-daemon, xe-linux-distribution) is installed",
        explanation: "xe-guest-utilities reports the guest's addresses and OS version to a \
XenServer/XCP-ng host through xenstore. Outside Xen there is no xenstore: xe-daemon fails at \
every boot and retries, logging errors, and its init script may wait for a device that never \
appears. It does not stop the guest from booting, so this is informational on KVM and Nitro; \
within Xen the tools keep working. Manual: remove the package (yum remove xe-guest-utilities, \
apt-get remove xe-guest-utilities) after the move.",
        severities: Severities {
            xen_hvm: None,
            xen_pvhvm: None,
            kvm: Some(Severity::Info),
            nitro: Some(Severity::Info),
            xen_pv: None,
        },
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let paths = cx.xen_guest_tools();
    let Some(first) = paths.first() else { return };
    out.emit(
        cx.at(first, None),
        format!(
            "Xen guest tools are installed ({}); there is no xenstore on {}",
            paths.join(", "),
            cx.target
        ),
        None,
        Fix::Manual("remove the xe-guest-utilities package".into()),
    );
}
