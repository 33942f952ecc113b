//! CON005: sysvinit starts a login prompt on the PV console only.

use crate::guest::inventory::InitKind;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON005",
        name: "inittab-getty-pv-console",
        area: Area::Console,
        summary: "/etc/inittab runs a getty on hvc0 (or xvc0) and none on ttyS0",
        explanation: "With sysvinit (CentOS 5, Debian 7, Debian 8/9 with sysvinit-core) the login \
prompts are the getty lines of /etc/inittab. A PV guest has one on its PV console, hvc0 (xvc0 on \
XenLinux kernels). Under HVM the console the hypervisor shows is the emulated serial port ttyS0: \
without a getty there the guest boots but nobody can log in on its console, which is often the \
only way in when the network does not come up after the move. Under Xen with PV drivers \
(xen-pvhvm) hvc0 still exists, so it is a warning there, except on kernels that provide no hvc0 \
under HVM (Debian 7). The fix adds a ttyS0 getty line beside the hvc0 one (on Debian 7 it \
replaces hvc0 by ttyS0, since that device no longer exists).",
        severities: Severities::hvm(Severity::Error),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    if cx.inventory.init.kind != InitKind::Sysvinit {
        return;
    }
    let gettys = cx.gettys();
    if gettys.iter().any(|g| g.tty == "ttyS0") {
        return;
    }
    let Some(sev) = out.default_severity() else {
        return;
    };
    let sev = cx.pv_console_severity(sev);
    for g in gettys.iter().filter(|g| g.is_pv_console()) {
        let Some(path) = &g.path else { continue };
        let fix = if cx.no_hvc0_under_hvm() {
            format!(
                "replace {} by ttyS0 on this line (this kernel has no {} under HVM)",
                g.tty, g.tty
            )
        } else {
            "add a getty on the serial console: T0:2345:respawn:/sbin/getty -L ttyS0 115200 vt100"
                .to_string()
        };
        out.emit_as(
            sev,
            cx.at(path, g.line),
            format!(
                "the inittab getty runs on {} only; the {} console is ttyS0",
                g.tty, cx.target
            ),
            g.text.clone(),
            Fix::Safe(fix),
        );
    }
}
