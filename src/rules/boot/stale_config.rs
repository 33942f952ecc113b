//! BOOT006: a GRUB 2 grub.cfg and a GRUB legacy menu.lst both exist and boot different kernels.

use crate::rules::context::{BootEntry, EntrySource};
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};
use std::collections::BTreeSet;

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "BOOT006",
        name: "stale-boot-config",
        area: Area::Boot,
        summary: "grub.cfg and menu.lst both exist and list different kernels",
        explanation: "pygrub reads grub.cfg before menu.lst, so a guest that moved from GRUB \
legacy (or PV-GRUB) to GRUB 2 often still carries a menu.lst nothing updates, and some guests \
have a stale grub.cfg beside a maintained menu.lst. Under PV only one of them mattered. Under HVM \
the one that boots depends on the bootloader: an installed GRUB 2 or pygrub reads grub.cfg, a \
GRUB legacy ISO chain-loading the guest reads menu.lst, and the stale one names kernels that \
were removed or lacks the ones installed since, so the guest boots an old kernel or fails with \
a missing file. The fix is manual: decide which bootloader the guest will use, regenerate its \
config, and delete (or bring in line) the other one.",
        severities: Severities::all(Severity::Warning),
        fix: FixAvailability::Manual,
    },
    check,
};

/// The kernels a set of entries boots, as canonical guest paths where they exist.
fn kernels<'e>(cx: &Context, entries: impl Iterator<Item = &'e BootEntry>) -> BTreeSet<String> {
    let files = cx.guest.files();
    entries
        .filter_map(|e| {
            let g = e.kernel_guest.as_ref().or(e.kernel.as_ref())?;
            Some(files.canonicalize(g).unwrap_or_else(|_| g.clone()))
        })
        .collect()
}

fn list(set: &BTreeSet<&String>) -> String {
    set.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check(cx: &Context, out: &mut Emitter) {
    let bls = cx.grub2().iter().any(|p| p.doc.uses_blscfg());
    let grub2_entries = cx
        .boot_entries()
        .iter()
        .filter(|e| e.source == EntrySource::Grub2 || (bls && e.source == EntrySource::Bls));
    let grub2 = kernels(cx, grub2_entries);
    if grub2.is_empty() {
        return;
    }
    let grub2_cfg = cx
        .grub2()
        .iter()
        .find(|p| !p.doc.entries.is_empty() || p.doc.uses_blscfg())
        .map(|p| p.path.clone())
        .unwrap_or_default();
    let live = cx.live_config();
    for p in cx.grub_legacy() {
        let legacy = kernels(
            cx,
            cx.boot_entries()
                .iter()
                .filter(|e| e.source == EntrySource::GrubLegacy && e.config == p.path),
        );
        if legacy.is_empty() || legacy == grub2 {
            continue;
        }
        let only_legacy: BTreeSet<&String> = legacy.difference(&grub2).collect();
        let only_grub2: BTreeSet<&String> = grub2.difference(&legacy).collect();
        // Report on the file that does not boot: the stale one from the live config's view.
        let legacy_live = live.as_deref() == Some(p.path.as_str());
        let (at, user) = if legacy_live {
            (grub2_cfg.as_str(), "pygrub uses the GRUB legacy config")
        } else {
            (p.path.as_str(), "pygrub and GRUB 2 use grub.cfg")
        };
        let mut diff = Vec::new();
        if !only_legacy.is_empty() {
            diff.push(format!("only {} boots {}", p.path, list(&only_legacy)));
        }
        if !only_grub2.is_empty() {
            diff.push(format!("only {grub2_cfg} boots {}", list(&only_grub2)));
        }
        out.emit(
            cx.at(at, None),
            format!(
                "{}: {user}, a GRUB legacy chain-loader uses {}",
                diff.join("; "),
                p.path
            ),
            None,
            Fix::Manual(
                "decide which bootloader boots the guest, regenerate its config and remove \
                 or update the other"
                    .into(),
            ),
        );
    }
}
