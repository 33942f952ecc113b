//! BOOT005: a boot entry loads a kernel or initrd file that is not in the guest.

use crate::rules::context::{BootEntry, EntrySource};
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "BOOT005",
        name: "boot-entry-file-missing",
        area: Area::Boot,
        summary: "a boot entry names a kernel or initrd file that does not exist",
        explanation: "GRUB reads the kernel and initrd of an entry from the partition its root \
names (with a separate /boot, `/vmlinuz` is /boot/vmlinuz of the guest). A file that is not \
there stops the boot with \"File not found\" (GRUB legacy Error 15) or, for a missing initrd, \
boots a kernel that cannot mount its root. Under PV the broken entry may never have been \
chosen, or pygrub was pointed at another one; after the move a fallback to the first entry, a \
changed default or a chain-loading GRUB reading another config can pick it. It is an error for \
the entry that boots by default and a warning for the others. The fix is manual: correct the \
path, reinstall the kernel package (or rebuild the initramfs), or remove the stale entry.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

/// A file an entry loads: what it is, the path as written, its guest path, and the line
/// (with its text) that names it.
struct Load<'e> {
    what: &'static str,
    written: &'e str,
    guest: &'e str,
    line: Option<Line>,
}

/// A line number and its text.
type Line = (usize, String);

/// The line of the kernel file and of each initrd file of `e`, from its parsed config.
fn file_lines(cx: &Context, e: &BootEntry) -> (Option<Line>, Vec<Line>) {
    match e.source {
        EntrySource::GrubLegacy => {
            let Some(x) = cx
                .grub_legacy()
                .iter()
                .find(|p| p.path == e.config)
                .and_then(|p| p.doc.entries.get(e.index))
            else {
                return (None, Vec::new());
            };
            let kernel = x.linux().map(|k| (k.line, k.text.clone()));
            let initrd = if x.is_xen() {
                x.modules.get(1).map(|m| (m.line, m.text.clone()))
            } else {
                x.initrd.as_ref().map(|i| (i.line, i.text.clone()))
            };
            (kernel, initrd.into_iter().collect())
        }
        EntrySource::Grub2 => {
            let Some(x) = cx
                .grub2()
                .iter()
                .find(|p| p.path == e.config)
                .and_then(|p| p.doc.entries.get(e.index))
            else {
                return (None, Vec::new());
            };
            let kernel = x.kernel().map(|k| (k.line, k.text.clone()));
            let initrds = if x.is_xen() {
                x.modules
                    .iter()
                    .skip(1)
                    .filter(|m| m.path.is_some())
                    .map(|m| (m.line, m.text.clone()))
                    .collect()
            } else {
                x.initrd
                    .iter()
                    .flat_map(|i| i.paths.iter().map(move |_| (i.line, i.text.clone())))
                    .collect()
            };
            (kernel, initrds)
        }
        EntrySource::Bls => {
            let Some(x) = cx.bls().iter().find(|p| p.path == e.config).map(|p| &p.doc) else {
                return (None, Vec::new());
            };
            let kernel = x
                .linux
                .as_ref()
                .or(x.efi.as_ref())
                .map(|f| (f.line, f.text.clone()));
            let initrds = x
                .initrd
                .iter()
                .flat_map(|f| {
                    f.value
                        .split_ascii_whitespace()
                        .map(move |_| (f.line, f.text.clone()))
                })
                .collect();
            (kernel, initrds)
        }
        EntrySource::Extlinux => {
            let Some(l) = cx
                .extlinux()
                .iter()
                .find(|p| p.path == e.config)
                .and_then(|p| p.doc.labels.get(e.index))
            else {
                return (None, Vec::new());
            };
            let kernel = l.kernel.as_ref().map(|k| (k.line, k.text.clone()));
            let at = l.append.as_ref().or(l.kernel.as_ref());
            let initrds = l
                .initrds
                .iter()
                .filter_map(|_| at.map(|d| (d.line, d.text.clone())))
                .collect();
            (kernel, initrds)
        }
    }
}

fn loads<'e>(cx: &Context, e: &'e BootEntry) -> Vec<Load<'e>> {
    let (kernel_line, initrd_lines) = file_lines(cx, e);
    let mut v = Vec::new();
    if let (Some(w), Some(g)) = (&e.kernel, &e.kernel_guest) {
        v.push(Load {
            what: "kernel",
            written: w,
            guest: g,
            line: kernel_line,
        });
    }
    for (i, (w, g)) in e.initrds.iter().zip(&e.initrds_guest).enumerate() {
        if let Some(g) = g {
            v.push(Load {
                what: "initrd",
                written: w,
                guest: g,
                line: initrd_lines.get(i).cloned(),
            });
        }
    }
    v
}

fn check(cx: &Context, out: &mut Emitter) {
    let files = cx.guest.files();
    for e in cx.boot_entries() {
        let Some(sev) = out.entry_severity(e) else {
            return;
        };
        for l in loads(cx, e) {
            // A path built from variables is only known at boot (a `($root)` device is fine).
            let path = match l.written.strip_prefix('(') {
                Some(rest) => rest.split_once(')').map_or(rest, |(_, p)| p),
                None => l.written,
            };
            if path.contains('$') || files.exists(l.guest) {
                continue;
            }
            let shown = if l.guest == l.written {
                l.written.to_string()
            } else {
                format!("{} (guest path {})", l.written, l.guest)
            };
            let (line, text) = match l.line {
                Some((n, t)) => (Some(n), Some(t)),
                None => (None, None),
            };
            out.emit_as(
                sev,
                cx.at(&e.config, line),
                format!("entry \"{}\": {} {shown} does not exist", e.title, l.what),
                text,
                Fix::Manual(format!(
                    "correct the {} path, reinstall the file, or remove the entry",
                    l.what
                )),
            );
        }
    }
}
