//! CON011: the live GRUB 2 config (or /etc/default/grub) does not put GRUB on the serial line.

use crate::parse::grub2::Grub2Config;
use crate::parse::grub_defaults::Assignment;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON011",
        name: "grub2-no-serial",
        area: Area::Console,
        summary: "the live GRUB 2 config does not send its menu to the serial console",
        explanation: "pygrub shows the grub.cfg menu on the PV console by itself, so PV guests \
keep grub-mkconfig's defaults: `terminal_output console` or gfxterm. GRUB 2 booting the guest \
under HVM (installed in the MBR, or an ISO chain-loading the guest's grub.cfg) then draws its \
menu on the VGA screen only, and over the serial console, often the only one the host exposes, \
nobody can choose another kernel or edit a broken command line. grub.cfg needs \
`serial --unit=0 --speed=115200` and `terminal_output serial console`, and /etc/default/grub \
needs GRUB_TERMINAL=\"serial console\" and GRUB_SERIAL_COMMAND, or the next grub-mkconfig \
(every kernel update) undoes the edit. The fix sets both and edits grub.cfg directly, since it \
cannot run grub-mkconfig.",
        severities: Severities::hvm(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

fn names_serial(args: &[String]) -> bool {
    args.iter()
        .any(|a| a == "serial" || a.starts_with("serial_"))
}

fn check(cx: &Context, out: &mut Emitter) {
    let Some(live) = cx.live_config() else { return };
    let Some(p) = cx.grub2().iter().find(|p| p.path == live) else {
        return;
    };
    let doc = &p.doc;
    let outputs = doc.terminal_output.iter().chain(&doc.terminal);
    if !outputs.clone().any(|t| names_serial(&t.args)) {
        let last = outputs.last();
        let edits = cfg_edits(doc, &p.path);
        out.emit_edits(
            cx.at(&p.path, last.map(|t| t.line)),
            match last {
                Some(t) => format!(
                    "`{}` does not name serial: the GRUB menu is not shown on the serial console",
                    t.text.trim()
                ),
                None => "no terminal_output naming serial: the GRUB menu is not shown on the \
                         serial console"
                    .to_string(),
            },
            last.map(|t| t.text.clone()),
            Fix::Safe(
                "add `serial --unit=0 --speed=115200` and `terminal_input serial console` / \
                 `terminal_output serial console` to grub.cfg"
                    .into(),
            ),
            edits,
        );
    }
    defaults(cx, out);
}

pub const SERIAL_COMMAND: &str = "serial --unit=0 --speed=115200";

/// grub.cfg: every `terminal_input`/`terminal_output` line that does not name serial becomes
/// `… serial console`; the `serial` command and missing terminal lines go at the top.
fn cfg_edits(doc: &Grub2Config, path: &str) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut top = Vec::new();
    if doc.serial.is_empty() {
        top.push(SERIAL_COMMAND.to_string());
    }
    for (cmds, name) in [
        (&doc.terminal_input, "terminal_input"),
        (&doc.terminal_output, "terminal_output"),
    ] {
        if cmds.is_empty() {
            top.push(format!("{name} serial console"));
        }
        for t in cmds.iter().filter(|t| !names_serial(&t.args)) {
            let body = t.text.trim_start();
            // Only a line that is this one command (no `;`, no continuation) is rewritten.
            if !body.starts_with(name) || body.contains([';', '\\', '#']) {
                continue;
            }
            let indent = &t.text[..t.text.len() - body.len()];
            edits.push(Edit::ReplaceLine {
                path: path.to_string(),
                line: t.line,
                old: t.text.clone(),
                new: format!("{indent}{name} serial console"),
            });
        }
    }
    if !top.is_empty() {
        edits.insert(
            0,
            Edit::InsertLines {
                path: path.to_string(),
                after_line: 0,
                lines: top,
            },
        );
    }
    edits
}

/// The whole assignment `KEY="value"` replacing `a` (keeping `export` and indentation).
fn assignment_line(a: &Assignment, key: &str, value: &str) -> Option<Edit> {
    if a.end_line != a.line {
        return None;
    }
    let body = a.text.trim_start();
    let indent = &a.text[..a.text.len() - body.len()];
    let export = if a.exported { "export " } else { "" };
    Some(Edit::ReplaceLine {
        path: String::new(),
        line: a.line,
        old: a.text.clone(),
        new: format!("{indent}{export}{key}=\"{value}\""),
    })
}

fn with_path(e: Edit, p: &str) -> Edit {
    match e {
        Edit::ReplaceLine { line, old, new, .. } => Edit::ReplaceLine {
            path: p.to_string(),
            line,
            old,
            new,
        },
        other => other,
    }
}

/// /etc/default/grub (and grub.d, /etc/sysconfig/grub): the effective GRUB_TERMINAL (which
/// grub-mkconfig copies over GRUB_TERMINAL_OUTPUT when set), else GRUB_TERMINAL_OUTPUT, must
/// name serial, or grub-mkconfig writes a config without it.
fn defaults(cx: &Context, out: &mut Emitter) {
    let files = cx.grub_defaults();
    let Some(first) = files.first() else { return };
    let mut output: Option<(&str, &Assignment)> = None;
    let mut terminal: Option<(&str, &Assignment)> = None;
    for p in files {
        if let Some(a) = p.doc.terminal_output() {
            output = Some((&p.path, a));
        }
        if let Some(a) = p.doc.terminal() {
            terminal = Some((&p.path, a));
        }
    }
    let effective = terminal.or(output);
    let serial_command = files.iter().rev().find_map(|p| p.doc.serial_command());
    if effective.is_some_and(|(_, a)| a.words().iter().any(|w| w.starts_with("serial"))) {
        return;
    }
    let (path, line, text, message) = match effective {
        Some((path, a)) => (
            path,
            Some(a.line),
            Some(a.text.clone()),
            format!(
                "{}=\"{}\" does not name serial: grub-mkconfig writes a grub.cfg without a serial menu",
                a.key, a.value
            ),
        ),
        None => (
            first.path.as_str(),
            None,
            None,
            "no GRUB_TERMINAL: grub-mkconfig writes a grub.cfg without a serial menu".to_string(),
        ),
    };
    let mut edits = Vec::new();
    let mut append = Vec::new();
    let terminal_value = "serial console";
    match effective.and_then(|(p, a)| {
        assignment_line(a, "GRUB_TERMINAL", terminal_value).map(|e| with_path(e, p))
    }) {
        Some(e) => edits.push(e),
        None => append.push(format!("GRUB_TERMINAL=\"{terminal_value}\"")),
    }
    if serial_command.is_none() {
        append.push(format!("GRUB_SERIAL_COMMAND=\"{SERIAL_COMMAND}\""));
    }
    if !append.is_empty() {
        edits.push(Edit::AppendLines {
            path: path.to_string(),
            lines: append,
        });
    }
    out.emit_edits(
        cx.at(path, line),
        message,
        text,
        Fix::Safe(
            "set GRUB_TERMINAL=\"serial console\" and \
             GRUB_SERIAL_COMMAND=\"serial --unit=0 --speed=115200\""
                .into(),
        ),
        edits,
    );
}
