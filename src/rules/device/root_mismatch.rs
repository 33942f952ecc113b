//! DEV010: the default entry's `root=` is not the filesystem the guest mounts as `/`.

use crate::guest::fstab::Resolution;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV010",
        name: "root-mismatch",
        area: Area::Device,
        summary: "the default boot entry's root= is not the root filesystem the guest mounts",
        explanation:
            "The kernel mounts the root= of the boot entry, and the guest then mounts the \
rest from that filesystem's /etc/fstab. When root= names another volume, or a partition the disk \
does not have (xen-tools writes root=/dev/xvda2 into menu.lst's # kopt= while the fstab mounts \
/dev/xvda1 as /), the kernel finds no root, or boots a stale copy. This is checked against the \
root filesystem found in the image (the one holding /etc/fstab), for the default entry of the live \
configuration and for the # kopt= / GRUB_CMDLINE_LINUX templates that regenerate it. The fix \
names the real root by UUID=.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Safe,
    },
    check,
};

/// `Some(problem)` when `value` (a root= value) does not resolve to volume `root`.
fn mismatch(cx: &Context, value: &str, root: usize) -> Option<String> {
    match cx.resolve(value) {
        Resolution::Volume { volume, .. } if volume == root => None,
        Resolution::Volume { volume, .. } => Some(format!(
            "root={value} is {}, but the root filesystem is {}",
            cx.volume(volume).label(),
            cx.volume(root).label()
        )),
        Resolution::Missing { reason } => Some(format!(
            "root={value} names nothing in this image ({reason}); the root filesystem is {}",
            cx.volume(root).label()
        )),
        _ => None,
    }
}

fn fix(cx: &Context, root: usize, value: &str) -> Fix {
    match cx.volume_ref(root).uuid {
        Some(u) => Fix::Safe(format!("replace root={value} with root=UUID={u}")),
        None => Fix::Manual("set root= to the volume that holds /etc/fstab".into()),
    }
}

fn check(cx: &Context, out: &mut Emitter) {
    let Some(root) = cx.guest.root else { return };
    if let Some(e) = cx.default_entry() {
        if let Some(p) = e.cmdline.root() {
            let value = p.value_str();
            if let Some(why) = mismatch(cx, value, root) {
                out.emit(
                    cx.at(&e.config, Some(e.cmdline_line)),
                    format!("default entry \"{}\": {why}", e.title),
                    Some(e.cmdline_text.clone()),
                    fix(cx, root, value),
                );
            }
        }
    }
    for t in cx.template_cmdlines() {
        let Some(p) = t.cmdline.root() else { continue };
        if let Some(why) = mismatch(cx, p.value_str(), root) {
            out.emit_as(
                Severity::Warning,
                cx.at(&t.path, Some(t.line)),
                format!(
                    "{}: {why}; the next update-grub writes it into the entries",
                    t.key
                ),
                Some(t.text.clone()),
                fix(cx, root, p.value_str()),
            );
        }
    }
}
