//! CON009: the live GRUB legacy config does not put its menu on the serial line.

use crate::parse::grub_legacy::GrubLegacy;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
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
    let edits = edits(doc, &p.path, serial_terminal.is_some());
    out.emit_edits(
        cx.at(&p.path, line.map(|d| d.line)),
        format!("{missing}: the GRUB menu is not shown on the serial console"),
        line.map(|d| d.text.clone()),
        Fix::Safe(
            "add `serial --unit=0 --speed=115200` and `terminal --timeout=5 serial console` \
             before the first title"
                .into(),
        ),
        edits,
    );
}

pub const SERIAL: &str = "serial --unit=0 --speed=115200";
pub const TERMINAL: &str = "terminal --timeout=5 serial console";

/// Add the missing `serial` line and a `terminal` line naming serial (replacing one that does
/// not) before the first entry, and before Debian's automagic section, which update-grub
/// rewrites.
fn edits(doc: &GrubLegacy, path: &str, has_serial_terminal: bool) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut lines = Vec::new();
    if doc.serial.is_none() {
        lines.push(SERIAL.to_string());
    }
    let mut anchors: Vec<usize> = doc.entries.first().map(|e| e.line).into_iter().collect();
    anchors.extend(doc.automagic.as_ref().map(|a| a.begin_line));
    if !has_serial_terminal {
        match &doc.terminal {
            Some(t) => {
                // The serial line must come before the terminal line that uses it.
                anchors.push(t.line);
                let indent = &t.text[..t.text.len() - t.text.trim_start().len()];
                edits.push(Edit::ReplaceLine {
                    path: path.to_string(),
                    line: t.line,
                    old: t.text.clone(),
                    new: format!("{indent}{TERMINAL}"),
                });
            }
            None => lines.push(TERMINAL.to_string()),
        }
    }
    if !lines.is_empty() {
        let path = path.to_string();
        edits.insert(
            0,
            match anchors.into_iter().min() {
                Some(first) => Edit::InsertLines {
                    path,
                    after_line: first - 1,
                    lines,
                },
                None => Edit::AppendLines { path, lines },
            },
        );
    }
    edits
}
