//! CON005: sysvinit starts a login prompt on the PV console only.

use crate::guest::inventory::InitKind;
use crate::parse::inittab::{Inittab, InittabEntry};
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
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
    let inittab = cx.inittab();
    let mut edited = false;
    for g in gettys.iter().filter(|g| g.is_pv_console()) {
        let Some(path) = &g.path else { continue };
        // One ttyS0 getty is enough: only the first PV-console line gets the edit.
        let edits = match (&inittab, g.line, edited) {
            (Some(t), Some(line), false) => edits_for(&t.doc, &t.path, line, &g.tty, cx),
            _ => Vec::new(),
        };
        edited |= !edits.is_empty();
        let fix = if cx.no_hvc0_under_hvm() {
            format!(
                "replace {} by ttyS0 on this line (this kernel has no {} under HVM)",
                g.tty, g.tty
            )
        } else {
            "add a getty on the serial console: T0:2345:respawn:/sbin/getty -L ttyS0 115200 vt100"
                .to_string()
        };
        out.emit_with_edits(
            sev,
            cx.at(path, g.line),
            format!(
                "the inittab getty runs on {} only; the {} console is ttyS0",
                g.tty, cx.target
            ),
            g.text.clone(),
            Fix::Safe(fix),
            edits,
        );
    }
}

/// The inittab edit for the getty on `tty` at `line`: a ttyS0 line modelled on it with a free
/// id, inserted after it; on a distribution without hvc0 under HVM the line itself moves to
/// ttyS0.
fn edits_for(t: &Inittab, path: &str, line: usize, tty: &str, cx: &Context) -> Vec<Edit> {
    let Some(e) = t.entries.iter().find(|e| e.line == line) else {
        return Vec::new();
    };
    if cx.no_hvc0_under_hvm() {
        let Some(new) = retarget(e, tty, "ttyS0", None) else {
            return Vec::new();
        };
        return vec![Edit::ReplaceLine {
            path: path.to_string(),
            line,
            old: e.text.clone(),
            new,
        }];
    }
    add_getty_like(t, path, line, tty, "ttyS0")
}

/// Insert after the getty on `from` at `line` the same getty on `to`, with a free id.
pub fn add_getty_like(t: &Inittab, path: &str, line: usize, from: &str, to: &str) -> Vec<Edit> {
    let Some(e) = t.entries.iter().find(|e| e.line == line) else {
        return Vec::new();
    };
    let Some(id) = free_id(t) else {
        return Vec::new();
    };
    let Some(new) = retarget(e, from, to, Some(&id)) else {
        return Vec::new();
    };
    vec![Edit::InsertLines {
        path: path.to_string(),
        after_line: line,
        lines: vec![new],
    }]
}

/// An inittab id no entry uses.
fn free_id(t: &Inittab) -> Option<String> {
    let used = |id: &str| t.entries.iter().any(|e| e.id == id);
    ["T0", "S0"]
        .into_iter()
        .map(str::to_string)
        .chain((1..100).flat_map(|n| [format!("T{n}"), format!("S{n}")]))
        .find(|id| !used(id))
}

/// Entry `e` with its getty moved from `from` to `to` (and its id set to `id`): the port word
/// of the process (`hvc0`, `/dev/hvc0`) is replaced; a busybox entry whose id is the tty gets
/// the new tty as its id.
fn retarget(e: &InittabEntry, from: &str, to: &str, id: Option<&str>) -> Option<String> {
    let dev_from = format!("/dev/{from}");
    let mut replaced = false;
    let mut process = String::new();
    let mut rest = e.process.as_str();
    while !rest.is_empty() {
        let ws = rest.len() - rest.trim_start().len();
        process.push_str(&rest[..ws]);
        rest = &rest[ws..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        if !replaced && word == from {
            process.push_str(to);
            replaced = true;
        } else if !replaced && word == dev_from {
            process.push_str(&format!("/dev/{to}"));
            replaced = true;
        } else {
            process.push_str(word);
        }
        rest = &rest[end..];
    }
    let new_id = if !replaced && e.id == from {
        to.to_string()
    } else if replaced {
        id.unwrap_or(&e.id).to_string()
    } else {
        return None;
    };
    Some(format!("{new_id}:{}:{}:{process}", e.runlevels, e.action))
}
