//! DEV006: `root=` or `resume=` on a boot entry names a kernel device that changes on the target.

use super::name_breaks_on;
use crate::guest::fstab::Resolution;
use crate::rules::context::BootEntry;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
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

fn fix_for(cx: &Context, e: &BootEntry, name: &str, value: &str) -> Fix {
    let Resolution::Volume { volume, .. } = cx.resolve(value) else {
        return Fix::Manual(format!(
            "{value} is not in this image either; point {name}= at the right volume"
        ));
    };
    let vref = cx.volume_ref(volume);
    let partuuid = cx
        .volume(volume)
        .partition
        .as_ref()
        .and_then(|p| p.partuuid.clone());
    match (vref.uuid, e.initrds.is_empty(), partuuid) {
        (Some(u), false, _) => Fix::Safe(format!("replace {name}={value} with {name}=UUID={u}")),
        (_, true, Some(p)) if name == "root" => Fix::Safe(format!(
            "replace root={value} with root=PARTUUID={p} (no initramfs to resolve UUID=)"
        )),
        _ => Fix::Manual(format!(
            "name the {name} device by UUID= and add an initramfs to the entry"
        )),
    }
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
            out.emit_as(
                sev,
                cx.at(&e.config, Some(e.cmdline_line)),
                format!("entry \"{}\": {name}={value}: {why}", e.title),
                Some(e.cmdline_text.clone()),
                fix_for(cx, e, name, &value),
            );
        }
    }
}
