//! DEV010: the default entry's `root=` is not the filesystem the guest mounts as `/`.

use crate::guest::fstab::Resolution;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
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

/// The fix naming the real root: UUID= where an initramfs resolves it (`initrd`), else
/// PARTUUID=, with the edit of `raw` (the root= parameter as written) on `path`:`line`.
fn fix(
    cx: &Context,
    root: usize,
    value: &str,
    initrd: bool,
    (path, line, raw): (&str, usize, &str),
) -> (Fix, Vec<Edit>) {
    let partuuid = cx
        .volume(root)
        .partition
        .as_ref()
        .and_then(|p| p.partuuid.clone());
    let (fix, new) = match (cx.volume_ref(root).uuid, initrd, partuuid) {
        (Some(u), true, _) => (
            Fix::Safe(format!("replace root={value} with root=UUID={u}")),
            format!("root=UUID={u}"),
        ),
        (_, false, Some(p)) => (
            Fix::Safe(format!(
                "replace root={value} with root=PARTUUID={p} (no initramfs to resolve UUID=)"
            )),
            format!("root=PARTUUID={p}"),
        ),
        _ => {
            return (
                Fix::Manual("set root= to the volume that holds /etc/fstab".into()),
                Vec::new(),
            )
        }
    };
    let edit = Edit::ReplaceInLine {
        path: path.to_string(),
        line,
        old: raw.to_string(),
        new,
    };
    (fix, vec![edit])
}

fn check(cx: &Context, out: &mut Emitter) {
    let Some(root) = cx.guest.root else { return };
    if let Some(e) = cx.default_entry() {
        if let Some(p) = e.cmdline.root() {
            let value = p.value_str();
            if let Some(why) = mismatch(cx, value, root) {
                let at = (e.config.as_str(), e.cmdline_line, p.raw.as_str());
                let (fix, edits) = fix(cx, root, value, !e.initrds.is_empty(), at);
                out.emit_edits(
                    cx.at(&e.config, Some(e.cmdline_line)),
                    format!("default entry \"{}\": {why}", e.title),
                    Some(e.cmdline_text.clone()),
                    fix,
                    edits,
                );
            }
        }
    }
    for t in cx.template_cmdlines() {
        let Some(p) = t.cmdline.root() else { continue };
        if let Some(why) = mismatch(cx, p.value_str(), root) {
            // Generated entries get an initramfs (update-grub, grub-mkconfig).
            let at = (t.path.as_str(), t.line, p.raw.as_str());
            let (fix, edits) = fix(cx, root, p.value_str(), true, at);
            out.emit_with_edits(
                Severity::Warning,
                cx.at(&t.path, Some(t.line)),
                format!(
                    "{}: {why}; the next update-grub writes it into the entries",
                    t.key
                ),
                Some(t.text.clone()),
                fix,
                edits,
            );
        }
    }
}
