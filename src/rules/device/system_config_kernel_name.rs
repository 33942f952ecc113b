//! DEV008: crypttab, the initramfs resume setting, GRUB's device.map or mdadm.conf name a
//! kernel device that changes on the target.

use super::name_breaks_on;
use crate::guest::fstab::Resolution;
use crate::parse::{crypttab, device_map, mdadm, resume};
use crate::rules::context::parsed;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Location, Rule, RuleInfo, Severities,
    Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV008",
        name: "system-config-kernel-device-name",
        area: Area::Device,
        summary: "crypttab, resume, device.map or mdadm.conf names a kernel device that changes on the target",
        explanation: "Besides fstab and the kernel command line, device names live in \
/etc/crypttab (an encrypted volume that is not found is not unlocked: an error, since the boot \
waits for it), /etc/initramfs-tools/conf.d/resume (the initramfs waits for the resume device \
before giving up: a slow boot), /boot/grub/device.map (grub-install and grub-mkconfig map (hd0) to \
a disk that does not exist) and mdadm.conf DEVICE/devices= lines (arrays may not assemble). \
crypttab and resume are rewritten to UUID= of the volume at that place; device.map is \
regenerated with grub-install --recheck; mdadm.conf should list devices by UUID or use \
DEVICE partitions.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Safe,
    },
    check,
};

/// The fix for `spec` on `line` of `path`: UUID= of the volume it names, with its edit.
fn uuid_fix(cx: &Context, spec: &str, path: &str, line: usize) -> (Fix, Vec<Edit>) {
    match cx.resolve(spec) {
        Resolution::Volume { volume, .. } => match cx.volume_ref(volume).uuid {
            Some(u) => (
                Fix::Safe(format!("replace {spec} with UUID={u}")),
                vec![Edit::ReplaceInLine {
                    path: path.to_string(),
                    line,
                    old: spec.to_string(),
                    new: format!("UUID={u}"),
                }],
            ),
            None => (Fix::Manual(format!("name {spec} by UUID=")), Vec::new()),
        },
        _ => (
            Fix::Manual(format!(
                "{spec} is not in this image; name the right volume by UUID="
            )),
            Vec::new(),
        ),
    }
}

fn emit(out: &mut Emitter, sev: Severity, at: Location, msg: String, text: String, fix: Fix) {
    out.emit_as(sev, at, msg, Some(text), fix);
}

fn emit_fix(
    out: &mut Emitter,
    sev: Severity,
    at: Location,
    msg: String,
    text: String,
    (fix, edits): (Fix, Vec<Edit>),
) {
    out.emit_with_edits(sev, at, msg, Some(text), fix, edits);
}

fn check(cx: &Context, out: &mut Emitter) {
    let files = cx.guest.files();
    let t = cx.target;
    if let Some(p) = parsed::file(files, "/etc/crypttab", crypttab::parse) {
        for e in &p.doc.entries {
            if let Some(why) = name_breaks_on(&e.device_spec, t) {
                let msg = format!("crypttab {}: {why}", e.name);
                emit_fix(
                    out,
                    Severity::Error,
                    cx.at(&p.path, Some(e.line)),
                    msg,
                    e.text.clone(),
                    uuid_fix(cx, &e.device_spec, &p.path, e.line),
                );
            }
        }
    }
    if let Some(p) = parsed::file(files, "/etc/initramfs-tools/conf.d/resume", resume::parse) {
        if let Some(r) = &p.doc.resume {
            if let Some(why) = name_breaks_on(&r.spec, t) {
                let msg = format!("RESUME={}: {why}", r.spec);
                emit_fix(
                    out,
                    Severity::Warning,
                    cx.at(&p.path, Some(r.line)),
                    msg,
                    r.text.clone(),
                    uuid_fix(cx, &r.spec, &p.path, r.line),
                );
            }
        }
    }
    for path in ["/boot/grub/device.map", "/boot/grub2/device.map"] {
        let Some(p) = parsed::file(files, path, device_map::parse) else {
            continue;
        };
        for e in &p.doc.entries {
            if let Some(why) = name_breaks_on(&e.device_spec, t) {
                let msg = format!("({}) {}: {why}", e.drive, e.device_spec);
                let fix = Fix::Manual("regenerate it on the target: grub-install --recheck".into());
                emit(
                    out,
                    Severity::Warning,
                    cx.at(&p.path, Some(e.line)),
                    msg,
                    e.text.clone(),
                    fix,
                );
            }
        }
    }
    for path in ["/etc/mdadm.conf", "/etc/mdadm/mdadm.conf"] {
        let Some(p) = parsed::file(files, path, mdadm::parse) else {
            continue;
        };
        for (line, d) in p.doc.device_names() {
            if let Some(why) = name_breaks_on(&d.spec, t) {
                let text = p
                    .doc
                    .lines
                    .iter()
                    .find(|l| l.line == line)
                    .map(|l| l.text.clone())
                    .unwrap_or_default();
                let fix = Fix::Manual("use DEVICE partitions and ARRAY … UUID= lines".into());
                emit(
                    out,
                    Severity::Warning,
                    cx.at(&p.path, Some(line)),
                    format!("{}: {why}", d.spec),
                    text,
                    fix,
                );
            }
        }
        break;
    }
}
