//! CON004: GRUB's templates put `console=hvc0` (and no ttyS0) into every generated entry.

use super::kernel_console_pv_only::pv_console_only;
use crate::rules::context::TemplateCmdline;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON004",
        name: "grub-template-console-pv-only",
        area: Area::Console,
        summary: "GRUB_CMDLINE_LINUX or Debian's # kopt= sets console=hvc0 without ttyS0",
        explanation: "grub-mkconfig builds every linux line from GRUB_CMDLINE_LINUX and \
GRUB_CMDLINE_LINUX_DEFAULT, and Debian's update-grub builds menu.lst kernel lines from # kopt=. \
With console=hvc0 there, the next kernel update writes a PV-only console back into the boot \
entries even after they were fixed, and the guest's messages disappear from the serial console \
again. The fix sets console=ttyS0,115200 beside the existing consoles in the template.",
        severities: Severities::hvm(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    for t in cx.template_cmdlines() {
        let Some(dev) = pv_console_only(&t.cmdline) else {
            continue;
        };
        out.emit_edits(
            cx.at(&t.path, Some(t.line)),
            format!(
                "{}: console={dev} without ttyS0 is copied into every new boot entry",
                t.key
            ),
            Some(t.text.clone()),
            Fix::Safe("append console=ttyS0,115200 to the template".into()),
            vec![append_to_template(&t, "console=ttyS0,115200")],
        );
    }
}

/// The edit adding `text` at the end of a template command line: inside the quotes of
/// `GRUB_CMDLINE_LINUX="…"`, at the end of Debian's `# kopt=` line.
pub fn append_to_template(t: &TemplateCmdline, text: &str) -> Edit {
    if t.key.starts_with('#') {
        Edit::AppendToLine {
            path: t.path.clone(),
            line: t.line,
            text: text.to_string(),
        }
    } else {
        Edit::InsertInQuotedValue {
            path: t.path.clone(),
            line: t.line,
            key: t.key.clone(),
            text: text.to_string(),
        }
    }
}
