//! CON008: `/etc/securetty` does not list the target's console.

use crate::parse::cmdline::ConsoleKind;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
    Target,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON008",
        name: "securetty-missing-console",
        area: Area::Console,
        summary: "/etc/securetty exists and does not list the target's console (ttyS0, or hvc0 on xen-pv)",
        explanation: "pam_securetty lets root log in only on the terminals /etc/securetty lists. \
PV guests list hvc0 and xvc0; many do not list ttyS0. After the move to HVM the login prompt on \
the serial console ttyS0 then refuses root, which is often the only account that can repair a \
guest whose network or disks did not come up. Going the other way, a guest without hvc0 cannot \
take root logins on the PV console. Without the file there is no restriction, so nothing is \
reported. The fix adds the target's console to /etc/securetty.",
        severities: Severities::all(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let Some(s) = cx.securetty() else { return };
    let want = if cx.target == Target::XenPv {
        cx.console_device()
            .filter(|c| ConsoleKind::of(c) == ConsoleKind::XenPv)
            .unwrap_or_else(|| "hvc0".to_string())
    } else {
        "ttyS0".to_string()
    };
    if s.doc.contains(&want) {
        return;
    }
    out.emit_edits(
        cx.at(&s.path, None),
        format!(
            "{} does not list {want}: root cannot log in on the {} console",
            s.path, cx.target
        ),
        None,
        Fix::Safe(format!("add a line {want} to {}", s.path)),
        vec![Edit::AppendLines {
            path: s.path.clone(),
            lines: vec![want.clone()],
        }],
    );
}
