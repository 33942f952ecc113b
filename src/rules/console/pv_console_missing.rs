//! CON012: staying on (or moving to) Xen PV, the PV console gets no kernel output or no login.

use super::inittab_getty_pv_console::add_getty_like;
use crate::guest::inventory::InitKind;
use crate::parse::cmdline::ConsoleKind;
use crate::rules::context::parsed;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Location, Rule, RuleInfo, Severities,
    Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON012",
        name: "pv-console-missing",
        area: Area::Console,
        summary: "on xen-pv the default entry's console= or the login prompts leave out hvc0",
        explanation: "A PV domain's console is hvc0 (xvc0 on XenLinux kernels): there is no \
emulated serial port. When the default boot entry sets console= only to other devices (ttyS0, \
tty0), kernel messages and initramfs prompts go nowhere the xl console shows; when the init \
system runs a getty on ttyS0 but none on hvc0, the guest boots without a login prompt on its \
only console. This happens to a guest prepared for HVM that is booted PV again (a rollback, or \
an image shared between both). The fix appends console=hvc0 to the entry, or adds a getty on \
hvc0 beside the ttyS0 one.",
        severities: Severities::pv_only(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    if let Some(e) = cx.default_entry() {
        let consoles = e.cmdline.consoles();
        if !consoles.is_empty() && !consoles.iter().any(|c| c.kind == ConsoleKind::XenPv) {
            let names: Vec<&str> = consoles.iter().map(|c| c.device.as_str()).collect();
            out.emit_edits(
                cx.at(&e.config, Some(e.cmdline_line)),
                format!(
                    "default entry \"{}\" sends the console to {} and not to hvc0",
                    e.title,
                    names.join(", ")
                ),
                Some(e.cmdline_text.clone()),
                Fix::Safe("append console=hvc0".into()),
                vec![Edit::AppendToLine {
                    path: e.config.clone(),
                    line: e.cmdline_line,
                    text: "console=hvc0".into(),
                }],
            );
        }
    }
    let gettys = cx.gettys();
    if gettys.iter().any(|g| g.is_pv_console()) {
        return;
    }
    let Some(serial) = gettys
        .iter()
        .find(|g| ConsoleKind::of(&g.tty) == ConsoleKind::Serial)
    else {
        return;
    };
    let location = match &serial.path {
        Some(p) => cx.at(p, serial.line),
        None => Location {
            path: None,
            line: None,
            volume: None,
        },
    };
    let edits = if serial.follows_console {
        Vec::new()
    } else {
        getty_edits(cx, serial.path.as_deref(), serial.line, &serial.tty)
    };
    let fix = if edits.is_empty() {
        Fix::Manual(format!(
            "start a getty on hvc0 beside the one on {}",
            serial.tty
        ))
    } else {
        Fix::Safe(format!(
            "add a getty on hvc0 beside the one on {}",
            serial.tty
        ))
    };
    out.emit_edits(
        location,
        format!(
            "a getty runs on {} ({}) but none on hvc0, the xen-pv console",
            serial.tty, serial.via
        ),
        serial.text.clone(),
        fix,
        edits,
    );
}

/// A getty on hvc0 modelled on the serial one: an inittab line after it, or an upstart job
/// copied from its job. Nothing for a getty that follows the console (the console= edit of the
/// default entry moves it).
fn getty_edits(cx: &Context, path: Option<&str>, line: Option<usize>, tty: &str) -> Vec<Edit> {
    let (Some(path), Some(line)) = (path, line) else {
        return Vec::new();
    };
    match cx.inventory.init.kind {
        InitKind::Sysvinit => match cx.inittab() {
            Some(t) if t.path == path => add_getty_like(&t.doc, path, line, tty, "hvc0"),
            _ => Vec::new(),
        },
        InitKind::Upstart => {
            let Some(text) = parsed::text(cx.guest.files(), path) else {
                return Vec::new();
            };
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            vec![Edit::CreateFile {
                path: format!("{dir}/hvc0.conf"),
                content: text.replace(tty, "hvc0"),
                mode: 0o644,
            }]
        }
        _ => Vec::new(),
    }
}
