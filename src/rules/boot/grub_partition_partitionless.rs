//! BOOT003: GRUB legacy names a partition, `(hd0,0)`, on a disk that has no partition table.

use crate::parse::grub_legacy::GrubDevice;
use crate::partition::TableKind;
use crate::rules::context::EntrySource;
use crate::rules::{
    lower, Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "BOOT003",
        name: "grub-partition-in-partitionless-image",
        area: Area::Boot,
        summary: "GRUB legacy names a partition such as (hd0,0) on a disk without partitions",
        explanation: "A partitionless PV image is one filesystem starting at byte 0. pygrub and \
PV-GRUB ignored `root (hd0,0)` (or read it as \"the filesystem\"), so menu.lst written for a \
partitioned disk worked. A real GRUB legacy that chain-loads this config under HVM (from an \
external ISO, or once the image is booted by BIOS) looks for partition 1 of the disk, finds none, \
and fails with \"Error 22: No such partition\" before it loads the kernel. On a bare filesystem \
the device is (hd0). Debian's `# groot=(hd0,0)` is what update-grub writes into every entry, so \
the next kernel update brings the error back. The fix rewrites (hdN,M) to (hdN) in root lines, \
file names and groot.",
        severities: Severities::hvm(Severity::Error),
        fix: FixAvailability::Safe,
    },
    check,
};

/// The whole-disk form of a partition device: `(hd0,0)` → `(hd0)`.
fn whole_disk(d: &GrubDevice) -> Option<String> {
    if d.kind != "hd" || d.is_whole_disk() {
        return None;
    }
    Some(format!("(hd{})", d.drive?))
}

fn check(cx: &Context, out: &mut Emitter) {
    if cx.guest.table.kind != TableKind::None {
        return;
    }
    let Some(sev) = out.default_severity() else {
        return;
    };
    let live = cx.live_config();
    let default = cx
        .default_entry()
        .filter(|d| d.source == EntrySource::GrubLegacy);
    for p in cx.grub_legacy() {
        let is_live = live.as_deref() == Some(p.path.as_str());
        for e in &p.doc.entries {
            let is_default = default.is_some_and(|d| d.config == p.path && d.index == e.index);
            let entry_sev = if is_default { sev } else { lower(sev) };
            // (line, text, device) for every device-prefixed command of the entry.
            let mut uses: Vec<(usize, &str, &GrubDevice)> = Vec::new();
            if let Some(r) = &e.root {
                uses.extend(r.device.as_ref().map(|d| (r.line, r.text.as_str(), d)));
            }
            for k in e.kernel.iter().chain(&e.modules) {
                uses.extend(k.device.as_ref().map(|d| (k.line, k.text.as_str(), d)));
            }
            if let Some(i) = &e.initrd {
                uses.extend(i.device.as_ref().map(|d| (i.line, i.text.as_str(), d)));
            }
            let mut seen = Vec::new();
            for (line, text, d) in uses {
                let Some(disk) = whole_disk(d) else { continue };
                if seen.contains(&line) {
                    continue;
                }
                seen.push(line);
                out.emit_with_edits(
                    entry_sev,
                    cx.at(&p.path, Some(line)),
                    format!(
                        "entry \"{}\": {} names partition {} of a disk that has no partition \
                         table; GRUB stops with \"No such partition\"",
                        e.title,
                        d.raw,
                        d.partition.map_or(1, |n| n + 1)
                    ),
                    Some(text.to_string()),
                    Fix::Safe(format!("replace {} with {disk}", d.raw)),
                    vec![Edit::ReplaceInLine {
                        path: p.path.clone(),
                        line,
                        old: d.raw.clone(),
                        new: disk.clone(),
                    }],
                );
            }
        }
        let Some(groot) = p.doc.automagic.as_ref().and_then(|a| a.groot()) else {
            continue;
        };
        let Some(d) = GrubDevice::parse(groot.value.trim()) else {
            continue;
        };
        let Some(disk) = whole_disk(&d) else { continue };
        // Only the entries update-grub writes next are affected: one level lower.
        let groot_sev = if is_live {
            lower(sev)
        } else {
            lower(lower(sev))
        };
        out.emit_with_edits(
            groot_sev,
            cx.at(&p.path, Some(groot.line)),
            format!(
                "# groot={} names a partition of a disk that has no partition table: \
                 update-grub writes it into every entry",
                d.raw
            ),
            Some(groot.text.clone()),
            Fix::Safe(format!("set # groot={disk}")),
            vec![Edit::ReplaceInLine {
                path: p.path.clone(),
                line: groot.line,
                old: d.raw.clone(),
                new: disk.clone(),
            }],
        );
    }
}
