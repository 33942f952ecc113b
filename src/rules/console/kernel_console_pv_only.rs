//! CON001: a boot entry sends the kernel console to the PV console (hvc0/xvc0) only.

use crate::parse::cmdline::{Cmdline, ConsoleKind};
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON001",
        name: "kernel-console-pv-only",
        area: Area::Console,
        summary: "a boot entry has console=hvc0 (or xvc0) and no console=ttyS0",
        explanation: "Under PV the console is hvc0 (xvc0 on old XenLinux kernels). An HVM guest's \
console is the emulated serial port, ttyS0: with console=hvc0 alone, kernel messages and the \
initramfs' prompts go where nobody looks, and on kernels without hvc0 under HVM (Debian 7) they \
go nowhere at all. Under Xen with PV drivers (xen-pvhvm) hvc0 still exists, so it is a warning \
there. The fix appends console=ttyS0,115200 and keeps the other consoles: the last console= \
becomes /dev/console, and the prgmr conversion method keeps both consoles reachable.",
        severities: Severities::hvm(Severity::Error),
        fix: FixAvailability::Safe,
    },
    check,
};

/// The command line names a PV console and no serial one.
pub fn pv_console_only(c: &Cmdline) -> Option<String> {
    let consoles = c.consoles();
    let pv = consoles.iter().find(|k| k.kind == ConsoleKind::XenPv)?;
    if consoles.iter().any(|k| k.kind == ConsoleKind::Serial) {
        return None;
    }
    Some(pv.device.clone())
}

fn check(cx: &Context, out: &mut Emitter) {
    for e in cx.boot_entries() {
        let Some(dev) = pv_console_only(&e.cmdline) else {
            continue;
        };
        let Some(sev) = out.entry_severity(e) else {
            return;
        };
        let sev = if sev == Severity::Error {
            cx.pv_console_severity(sev)
        } else {
            sev
        };
        out.emit_with_edits(
            sev,
            cx.at(&e.config, Some(e.cmdline_line)),
            format!(
                "entry \"{}\": console={dev} only; the {} console is ttyS0",
                e.title, cx.target
            ),
            Some(e.cmdline_text.clone()),
            Fix::Safe("append console=ttyS0,115200 (keeping the other consoles)".into()),
            vec![Edit::AppendToLine {
                path: e.config.clone(),
                line: e.cmdline_line,
                text: "console=ttyS0,115200".into(),
            }],
        );
    }
}
