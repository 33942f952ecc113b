//! CON009: the live GRUB legacy config does not put its menu on the serial line.

use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON009",
        name: "grub-legacy-no-serial",
        area: Area::Console,
        summary: "the live GRUB legacy config has no serial and terminal lines for a serial menu",
        explanation: "pygrub shows the menu.lst menu on the PV console by itself, so PV guests \
rarely configure GRUB's terminal. A real GRUB legacy under HVM (installed, or an ISO chain-loading \
the guest's menu.lst) draws its menu on the VGA screen unless `serial --unit=0 --speed=115200` \
and `terminal --timeout=5 serial console` are set: over the serial console, the only one most \
HVM hosts and AWS expose, nobody sees the menu, so nobody can pick another kernel or edit a \
broken command line when the boot fails. The guest still boots its default entry. The fix adds \
both lines before the first entry.",
        severities: Severities::hvm(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let Some(live) = cx.live_config() else { return };
    let Some(p) = cx.grub_legacy().iter().find(|p| p.path == live) else {
        return;
    };
    let doc = &p.doc;
    let serial_terminal = doc
        .terminal
        .as_ref()
        .filter(|t| t.args.iter().any(|a| a == "serial"));
    if doc.serial.is_some() && serial_terminal.is_some() {
        return;
    }
    let missing = match (&doc.serial, serial_terminal) {
        (None, None) => "no `serial` line and no `terminal` line naming serial",
        (None, Some(_)) => "no `serial` line (the terminal line has no port to use)",
        (Some(_), None) => "a `serial` line but no `terminal` line naming serial",
        (Some(_), Some(_)) => unreachable!("returned above"),
    };
    let line = doc.terminal.as_ref().or(doc.serial.as_ref());
    out.emit(
        cx.at(&p.path, line.map(|d| d.line)),
        format!("{missing}: the GRUB menu is not shown on the serial console"),
        line.map(|d| d.text.clone()),
        Fix::Safe(
            "add `serial --unit=0 --speed=115200` and `terminal --timeout=5 serial console` \
             before the first title"
                .into(),
        ),
    );
}
