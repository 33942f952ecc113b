//! DEV011: `root=UUID=` or `root=LABEL=` on an entry that loads no initramfs.

use crate::parse::fstab::DeviceRef;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV011",
        name: "uuid-root-without-initrd",
        area: Area::Device,
        summary: "root=UUID= or root=LABEL= on a boot entry that loads no initramfs",
        explanation: "The kernel itself understands root=/dev/… names and root=PARTUUID=, but not \
UUID= or LABEL=: those are resolved by the initramfs (udev/blkid). An entry without an initrd \
line that says root=UUID=… panics with \"VFS: Cannot open root device\". A conversion that \
rewrote device names to UUID= must do so only where an initramfs exists; otherwise use \
root=PARTUUID= or add the initramfs to the entry.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    for e in cx.boot_entries() {
        if !e.initrds.is_empty() || e.xen_hypervisor {
            continue;
        }
        let Some(p) = e.cmdline.root() else { continue };
        if !matches!(
            DeviceRef::parse(p.value_str()),
            DeviceRef::Uuid(_) | DeviceRef::Label(_) | DeviceRef::PartLabel(_)
        ) {
            continue;
        }
        let Some(sev) = out.entry_severity(e) else {
            return;
        };
        out.emit_as(
            sev,
            cx.at(&e.config, Some(e.cmdline_line)),
            format!(
                "entry \"{}\" has {} and no initrd to resolve it",
                e.title, p.raw
            ),
            Some(e.cmdline_text.clone()),
            Fix::Manual("add the kernel's initramfs to the entry, or use root=PARTUUID=".into()),
        );
    }
}
