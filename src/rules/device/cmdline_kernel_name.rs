//! DEV006: `root=` or `resume=` on a boot entry names a kernel device that changes on the target.

use super::name_breaks_on;
use crate::guest::fstab::Resolution;
use crate::rules::context::BootEntry;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV006",
        name: "cmdline-kernel-device-name",
        area: Area::Device,
        summary: "a boot entry's root= or resume= names a kernel device that does not exist on the target",
        explanation: "The kernel command line of a boot entry (a GRUB legacy kernel line, a GRUB 2 \
linux line, a BLS options line) names the root filesystem with root= and the hibernation device \
with resume=. With root=/dev/xvda1 the kernel (or the initramfs) waits for a device that never \
appears on a target where the disk is /dev/sda, /dev/vda or /dev/nvme0n1, and the boot ends in \
\"VFS: Unable to mount root fs\" or an initramfs shell. The fix names the filesystem by UUID= \
(resolved through the initramfs, so only where the entry has one) or, without an initramfs, by \
PARTUUID=, which the kernel resolves itself. The default entry of the live configuration is an \
error; other entries are a warning, because they boot only when picked by hand.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Safe,
    },
    check,
};

/// `root=` and `resume=` parameters of an entry: (name, value).
pub fn device_params(e: &BootEntry) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(p) = e.cmdline.root() {
        v.push(("root", p.value_str().to_string()));
    }
    if let Some(p) = e.cmdline.resume() {
        v.push(("resume", p.value_str().to_string()));
    }
    v
}

/// The edit replacing `name=…` on the entry's command line by `name=new`.
fn replace_param(e: &BootEntry, name: &str, new: String) -> Vec<Edit> {
    let Some(p) = e.cmdline.get(name) else {
        return Vec::new();
    };
    vec![Edit::ReplaceInLine {
        path: e.config.clone(),
        line: e.cmdline_line,
        old: p.raw.clone(),
        new: format!("{name}={new}"),
    }]
}

fn fix_for(cx: &Context, e: &BootEntry, name: &str, value: &str) -> (Fix, Vec<Edit>) {
    let Resolution::Volume { volume, .. } = cx.resolve(value) else {
        return (
            Fix::Manual(format!(
                "{value} is not in this image either; point {name}= at the right volume"
            )),
            Vec::new(),
        );
    };
    // DEV010 points the default entry's root= at the real root when this one is another
    // volume: its edit wins.
    let root_elsewhere =
        name == "root" && e.is_live_default() && cx.guest.root.is_some_and(|r| r != volume);
    let vref = cx.volume_ref(volume);
    let partuuid = cx
        .volume(volume)
        .partition
        .as_ref()
        .and_then(|p| p.partuuid.clone());
    let (fix, new) = match (vref.uuid, e.initrds.is_empty(), partuuid) {
        (Some(u), false, _) => (
            Fix::Safe(format!("replace {name}={value} with {name}=UUID={u}")),
            format!("UUID={u}"),
        ),
        (_, true, Some(p)) if name == "root" => (
            Fix::Safe(format!(
                "replace root={value} with root=PARTUUID={p} (no initramfs to resolve UUID=)"
            )),
            format!("PARTUUID={p}"),
        ),
        _ => {
            return (
                Fix::Manual(format!(
                    "name the {name} device by UUID= and add an initramfs to the entry"
                )),
                Vec::new(),
            )
        }
    };
    let edits = if root_elsewhere {
        Vec::new()
    } else {
        replace_param(e, name, new)
    };
    (fix, edits)
}

fn check(cx: &Context, out: &mut Emitter) {
    for e in cx.boot_entries() {
        for (name, value) in device_params(e) {
            let Some(why) = name_breaks_on(&value, cx.target) else {
                continue;
            };
            let Some(sev) = out.entry_severity(e) else {
                return;
            };
            let (fix, edits) = fix_for(cx, e, name, &value);
            out.emit_with_edits(
                sev,
                cx.at(&e.config, Some(e.cmdline_line)),
                format!("entry \"{}\": {name}={value}: {why}", e.title),
                Some(e.cmdline_text.clone()),
                fix,
                edits,
            );
        }
    }
}
