//! DEV007: GRUB's templates (`/etc/default/grub`, Debian's `# kopt=`) name a kernel device that
//! changes on the target, so the next `grub-mkconfig` or `update-grub` writes it back.

use super::name_breaks_on;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV007",
        name: "grub-template-kernel-device-name",
        area: Area::Device,
        summary: "GRUB_CMDLINE_LINUX or Debian's # kopt= names a kernel device that changes on the target",
        explanation: "Boot entries are generated: grub-mkconfig copies GRUB_CMDLINE_LINUX and \
GRUB_CMDLINE_LINUX_DEFAULT from /etc/default/grub (/etc/sysconfig/grub on Red Hat) into every \
linux line, and Debian's update-grub copies the # kopt= and # xenkopt= comments of menu.lst into \
every kernel line. A root= or resume= there that names /dev/xvda1 is written back into the boot \
entries by the next kernel update, undoing a fix of the entries themselves and breaking the boot \
on a target whose disk has another name. The fix rewrites the value to UUID= of the volume at that \
place.",
        severities: Severities::all(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    for t in cx.template_cmdlines() {
        for (name, p) in [("root", t.cmdline.root()), ("resume", t.cmdline.resume())] {
            let Some(value) = p.map(|p| p.value_str().to_string()) else {
                continue;
            };
            let Some(why) = name_breaks_on(&value, cx.target) else {
                continue;
            };
            let raw = p.map(|p| p.raw.clone()).unwrap_or_default();
            let mut edits = Vec::new();
            let fix = match cx.resolve(&value) {
                crate::guest::fstab::Resolution::Volume { volume, .. } => {
                    match cx.volume_ref(volume).uuid {
                        Some(u) => {
                            // DEV010 points a root= naming another volume at the real root.
                            if !(name == "root" && cx.guest.root.is_some_and(|r| r != volume)) {
                                edits.push(Edit::ReplaceInLine {
                                    path: t.path.clone(),
                                    line: t.line,
                                    old: raw.clone(),
                                    new: format!("{name}=UUID={u}"),
                                });
                            }
                            Fix::Safe(format!("replace {name}={value} with {name}=UUID={u}"))
                        }
                        None => Fix::Manual(format!("name the {name} device by UUID=")),
                    }
                }
                _ => Fix::Manual(format!(
                    "{value} is not in this image; set {name}= to the UUID of the right volume"
                )),
            };
            out.emit_edits(
                cx.at(&t.path, Some(t.line)),
                format!("{}: {name}={value}: {why}", t.key),
                Some(t.text.clone()),
                fix,
                edits,
            );
        }
    }
}
