//! CON002: the default entry has no `console=` at all.

use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON002",
        name: "kernel-console-missing",
        area: Area::Console,
        summary: "the default boot entry has no console= parameter",
        explanation: "Without console= a PV kernel falls back to its PV console (hvc0) by itself, \
so PV guests often have none. Under HVM the same kernel prints to the VGA console only: nothing \
reaches the serial line the hypervisor shows, so a failing boot is invisible. The fix appends \
console=tty0 console=ttyS0,115200 (VGA and serial, serial last so it is /dev/console).",
        severities: Severities::hvm(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let Some(e) = cx.default_entry() else { return };
    if e.cmdline.has("console") || e.cmdline.has_unexpanded() {
        return;
    }
    out.emit_edits(
        cx.at(&e.config, Some(e.cmdline_line)),
        format!(
            "default entry \"{}\" sets no console: the kernel prints to VGA only",
            e.title
        ),
        Some(e.cmdline_text.clone()),
        Fix::Safe("append console=tty0 console=ttyS0,115200".into()),
        vec![Edit::AppendToLine {
            path: e.config.clone(),
            line: e.cmdline_line,
            text: "console=tty0 console=ttyS0,115200".into(),
        }],
    );
}
