//! CON006: upstart starts a login prompt on the PV console only.

use crate::guest::inventory::InitKind;
use crate::rules::context::parsed;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON006",
        name: "upstart-getty-pv-console",
        area: Area::Console,
        summary: "an upstart job runs a getty on hvc0 (or xvc0) and no job serves ttyS0",
        explanation: "With upstart (Ubuntu 14.04, CentOS 6) each login prompt is a job in \
/etc/init: a PV guest has /etc/init/hvc0.conf running a getty on the PV console. Under HVM the \
console the hypervisor shows is the serial port ttyS0, and no job starts a getty there, so the \
guest boots without a login prompt on its console. RHEL 6's serial.conf only serves the primary \
console (the last console= of the kernel command line), so it counts for ttyS0 only when the \
default boot entry ends with console=ttyS0. Under xen-pvhvm hvc0 still exists, so it is a \
warning there (an error on kernels without hvc0 under HVM). The fix creates \
/etc/init/ttyS0.conf from the hvc0 job with hvc0 replaced by ttyS0.",
        severities: Severities::hvm(Severity::Error),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    if cx.inventory.init.kind != InitKind::Upstart {
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
    let mut edited = false;
    for g in gettys
        .iter()
        .filter(|g| g.is_pv_console() && !g.follows_console)
    {
        let Some(path) = &g.path else { continue };
        // One ttyS0 job is enough: only the first PV-console job gets the edit.
        let edits = if edited {
            Vec::new()
        } else {
            copy_job(cx, path, &g.tty)
        };
        edited |= !edits.is_empty();
        out.emit_with_edits(
            sev,
            cx.at(path, g.line),
            format!(
                "{path} runs a getty on {} and no upstart job serves ttyS0, the {} console",
                g.tty, cx.target
            ),
            g.text.clone(),
            Fix::Safe(format!(
                "create /etc/init/ttyS0.conf from {path} with {} replaced by ttyS0",
                g.tty
            )),
            edits,
        );
    }
}

/// Create `ttyS0.conf` beside the job at `path`, its text with `tty` replaced by ttyS0.
fn copy_job(cx: &Context, path: &str, tty: &str) -> Vec<Edit> {
    let Some(text) = parsed::text(cx.guest.files(), path) else {
        return Vec::new();
    };
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    vec![Edit::CreateFile {
        path: format!("{dir}/ttyS0.conf"),
        content: text.replace(tty, "ttyS0"),
        mode: 0o644,
    }]
}
