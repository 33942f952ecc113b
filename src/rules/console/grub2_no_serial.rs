//! CON011: the live GRUB 2 config (or /etc/default/grub) does not put GRUB on the serial line.

use crate::parse::grub_defaults::Assignment;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
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
        out.emit(
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
        );
    }
    defaults(cx, out);
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
    out.emit(
        cx.at(path, line),
        message,
        text,
        Fix::Safe(
            "set GRUB_TERMINAL=\"serial console\" and \
             GRUB_SERIAL_COMMAND=\"serial --unit=0 --speed=115200\""
                .into(),
        ),
    );
}
