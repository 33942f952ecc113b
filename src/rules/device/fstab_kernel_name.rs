//! DEV001: an `/etc/fstab` entry names its device by a kernel name that changes on the target.

use super::{name_breaks_on, optional_mount};
use crate::guest::fstab::Resolution;
use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "DEV001",
        name: "fstab-kernel-device-name",
        area: Area::Device,
        summary: "fstab mounts a device by a kernel name that does not exist on the target",
        explanation: "Under Xen PV the disk is /dev/xvda; under emulated Xen HVM it is /dev/sda \
(or /dev/hda), under KVM /dev/vda, on AWS Nitro /dev/nvme0n1. An /etc/fstab line that names \
/dev/xvda1 finds nothing after the move: for / or /usr the boot stops in an emergency shell, for \
other mounts the boot waits and then fails (unless the entry has nofail or noauto), and a missing \
swap device is skipped with a warning. UUID=, LABEL=, PARTUUID= and LVM names survive the move. \
The fix rewrites the spec to UUID= of the filesystem (or swap area) that is at that place in the \
image, which is what the PV guest mounted.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let Some(fstab) = cx.fstab() else { return };
    for e in &fstab.entries {
        let Some(why) = name_breaks_on(&e.entry.spec, cx.target) else {
            continue;
        };
        let mut edits = Vec::new();
        let fix = match &e.resolution {
            Resolution::Volume { volume, .. } => match cx.volume_ref(*volume).uuid {
                Some(u) => {
                    edits.push(Edit::ReplaceInLine {
                        path: fstab.path.clone(),
                        line: e.entry.line,
                        old: e.entry.spec.clone(),
                        new: format!("UUID={u}"),
                    });
                    Fix::Safe(format!("replace {} with UUID={u}", e.entry.spec))
                }
                None => Fix::Manual(format!(
                    "give the volume at {} a UUID (mkswap/tune2fs) and mount it by UUID=",
                    e.entry.spec
                )),
            },
            _ => Fix::Manual(format!(
                "{} does not exist in this image either; correct or remove the line",
                e.entry.spec
            )),
        };
        let soft = optional_mount(&e.entry.options) || e.entry.fstype == "swap";
        let sev = if soft {
            Severity::Warning
        } else {
            Severity::Error
        };
        let what = if e.entry.fstype == "swap" {
            "the swap area will not be enabled".to_string()
        } else {
            format!("{} will not be mounted", e.entry.mountpoint)
        };
        out.emit_with_edits(
            sev,
            cx.at(&fstab.path, Some(e.entry.line)),
            format!("{why}: {what}"),
            Some(e.entry.text.clone()),
            fix,
            edits,
        );
    }
}
