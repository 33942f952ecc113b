//! CON007: systemd has a login prompt enabled on the PV console only.

use crate::guest::inventory::InitKind;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON007",
        name: "systemd-getty-pv-console",
        area: Area::Console,
        summary: "serial-getty@hvc0.service is enabled, no ttyS0 getty is, and the default entry has no console=ttyS0",
        explanation: "A systemd PV guest often has serial-getty@hvc0.service enabled in \
getty.target.wants. Under HVM the console is the serial port ttyS0; systemd-getty-generator \
starts a getty there by itself only when ttyS0 is on the kernel command line (console=ttyS0). \
Without that, and without serial-getty@ttyS0.service enabled, the guest boots with no login \
prompt on the console the hypervisor shows, which is the way in when the network fails after \
the move. The fix enables serial-getty@ttyS0.service with a symlink in \
/etc/systemd/system/getty.target.wants beside the hvc0 one.",
        severities: Severities::hvm(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    if cx.inventory.init.kind != InitKind::Systemd {
        return;
    }
    let gettys = cx.gettys();
    if gettys.iter().any(|g| g.tty == "ttyS0") {
        return;
    }
    let links = cx.getty_links();
    let mut edited = false;
    for g in gettys
        .iter()
        .filter(|g| g.is_pv_console() && !g.follows_console)
    {
        let Some(path) = &g.path else { continue };
        let template = links
            .iter()
            .find(|l| &l.path == path)
            .map(|l| l.link.target.clone())
            .unwrap_or_else(|| "serial-getty@.service".to_string());
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or(path);
        // One ttyS0 getty is enough: only the first PV-console link gets the edit.
        let edits = if edited {
            Vec::new()
        } else {
            vec![Edit::CreateSymlink {
                path: format!("{dir}/serial-getty@ttyS0.service"),
                target: template.clone(),
            }]
        };
        edited = true;
        out.emit_edits(
            cx.at(path, None),
            format!(
                "a getty is enabled on {} only and the default entry has no console=ttyS0: no login prompt on the {} console",
                g.tty, cx.target
            ),
            g.text.clone(),
            Fix::Safe(format!(
                "enable serial-getty@ttyS0.service: symlink {dir}/serial-getty@ttyS0.service -> {template}"
            )),
            edits,
        );
    }
}
