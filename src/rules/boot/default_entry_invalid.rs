//! BOOT004: the `default` of a bootloader config names an entry that does not exist (or one only
//! known at boot).

use super::config_severity;
use crate::parse::bls;
use crate::parse::grub2::{DefaultTarget, Grub2Config};
use crate::parse::grub_legacy::{DefaultEntry, GrubLegacy};
use crate::rules::context::Parsed;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "BOOT004",
        name: "default-entry-invalid",
        area: Area::Boot,
        summary: "the bootloader's default names an entry that does not exist",
        explanation: "GRUB legacy counts `default N` from 0; GRUB 2's `set default` takes a \
number, a title, an id or a `>` path into a submenu, or `${saved_entry}` from grubenv. A default \
that names nothing makes GRUB fall back to the first entry or stop with an error. After kernel \
updates, a removed entry or a hand edit, that first entry is often an old, Xen-only or missing \
kernel: a guest that booted the right kernel under PV (pygrub was told which one) boots \
something else under HVM, or nothing. `default saved` and defaults held in variables are only \
known at boot: they are reported as information so the entry that boots can be checked by hand. \
The fix is manual: set the default to the entry that should boot (grub-set-default, \
grub2-set-default, or edit the default line).",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    for p in cx.grub_legacy() {
        legacy(cx, out, p);
    }
    for p in cx.grub2() {
        grub2(cx, out, p);
    }
}

fn fix() -> Fix {
    Fix::Manual("set the default to the entry that should boot".into())
}

fn legacy(cx: &Context, out: &mut Emitter, p: &Parsed<GrubLegacy>) {
    let doc = &p.doc;
    let (Some(d), false) = (&doc.default, doc.entries.is_empty()) else {
        return;
    };
    let Some(sev) = config_severity(cx, out, &p.path) else {
        return;
    };
    let n = doc.entries.len();
    let at = cx.at(&p.path, Some(d.line));
    let text = Some(d.text.clone());
    match doc.default_entry() {
        DefaultEntry::Entry(_) => {}
        DefaultEntry::OutOfRange { index, entries } => out.emit_as(
            sev,
            at,
            format!(
                "default {index}, but the config has {entries} entr{} (numbered from 0)",
                if entries == 1 { "y" } else { "ies" }
            ),
            text,
            fix(),
        ),
        DefaultEntry::Invalid(v) => out.emit_as(
            sev,
            at,
            format!("default {v:?} is neither an entry number nor `saved`"),
            text,
            fix(),
        ),
        DefaultEntry::Saved => {
            let dir = p.path.rsplit_once('/').map_or("", |(d, _)| d);
            match cx.saved_default(&p.path).map(|v| v.parse::<usize>()) {
                Some(Ok(i)) if i < n => {}
                Some(Ok(i)) => out.emit_as(
                    sev,
                    at,
                    format!("default saved: {dir}/default holds entry {i}, but the config has {n}"),
                    text,
                    fix(),
                ),
                _ => out.emit_as(
                    Severity::Info,
                    at,
                    format!(
                        "default saved: the entry that boots is the one last saved by \
                         savedefault ({dir}/default is missing or unreadable); pygrub boots entry 0"
                    ),
                    text,
                    Fix::Manual("set an explicit default N".into()),
                ),
            }
        }
    }
}

/// Whether `value` names one of the BLS entries a `blscfg` call adds to the menu.
fn names_bls_entry(cx: &Context, doc: &Grub2Config, value: &str) -> bool {
    if !doc.uses_blscfg() {
        return false;
    }
    let entries = cx.bls();
    if let Ok(n) = value.trim().parse::<usize>() {
        return n < doc.menu.len() + entries.len();
    }
    entries
        .iter()
        .any(|p| bls::id_from_file_name(&p.path) == value || p.doc.display_title() == Some(value))
}

fn grub2(cx: &Context, out: &mut Emitter, p: &Parsed<Grub2Config>) {
    let doc = &p.doc;
    if doc.menu.is_empty() && (!doc.uses_blscfg() || cx.bls().is_empty()) {
        return;
    }
    let res = doc.default_entry();
    let Some(setting) = &res.setting else { return };
    let Some(sev) = config_severity(cx, out, &p.path) else {
        return;
    };
    let at = cx.at(&p.path, Some(setting.line));
    let text = Some(setting.text.clone());
    match &res.target {
        DefaultTarget::Entry(_) | DefaultTarget::Submenu(_) => {}
        DefaultTarget::NotFound(v) => {
            if !names_bls_entry(cx, doc, v) {
                out.emit_as(
                    sev,
                    at,
                    format!("default \"{v}\" names no menu entry (by number, title or id)"),
                    text,
                    fix(),
                );
            }
        }
        DefaultTarget::Saved => {
            let Some(v) = cx.saved_default(&p.path) else {
                return;
            };
            let found = match doc.resolve(&v) {
                DefaultTarget::Entry(_) | DefaultTarget::Submenu(_) => true,
                DefaultTarget::Unresolvable(_) | DefaultTarget::Saved => {
                    out.emit_as(
                        Severity::Info,
                        at,
                        format!("default is saved_entry \"{v}\": only known at boot"),
                        text,
                        fix(),
                    );
                    return;
                }
                DefaultTarget::NotFound(_) => names_bls_entry(cx, doc, &v),
            };
            if !found {
                let dir = p.path.rsplit_once('/').map_or("", |(d, _)| d);
                out.emit_as(
                    sev,
                    at,
                    format!(
                        "default is ${{saved_entry}}, and {dir}/grubenv saves \"{v}\", which \
                         names no menu entry"
                    ),
                    text,
                    Fix::Manual(
                        "grub2-set-default (or grub-set-default) the entry that should boot".into(),
                    ),
                );
            }
        }
        DefaultTarget::Unresolvable(v) => out.emit_as(
            Severity::Info,
            at,
            format!("default is {v}: only known at boot"),
            text,
            fix(),
        ),
    }
}
