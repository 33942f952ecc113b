//! A fix plan: the edits of every safe finding, grouped per guest file and applied to the file's
//! current text, giving the new contents of each file that changes.

use super::buffer::LineBuffer;
use crate::fs::FileKind;
use crate::rules::{Context, Edit, Finding, Fix};
use serde::Serialize;
use std::collections::BTreeMap;

/// Largest file a plan edits (config files are small).
const MAX_EDIT_SIZE: u64 = 4 << 20;

/// What becomes of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// New contents of an existing regular file.
    Replace(Vec<u8>),
    /// A new regular file (owned by root).
    Create { content: Vec<u8>, mode: u32 },
    /// A new symbolic link to the target.
    Symlink(String),
}

/// One file the plan changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Canonical guest path.
    pub path: String,
    /// Index of the volume (in `Guest::volumes`) whose filesystem holds it.
    pub volume: usize,
    /// The path inside that filesystem (`/grub/grub.conf` for `/boot/grub/grub.conf` on a
    /// separate /boot).
    pub fs_path: String,
    /// Current contents (`None` for a file or link the plan creates).
    pub before: Option<Vec<u8>>,
    pub after: Change,
    /// Codes of the findings whose edits make this change.
    pub codes: Vec<&'static str>,
}

/// An edit the plan could not make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub code: &'static str,
    pub path: String,
    pub reason: String,
}

/// Every file change of a fix, and the edits left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub files: Vec<FileChange>,
    pub skipped: Vec<Skipped>,
}

impl Plan {
    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every code with at least one change, sorted, once.
    pub fn codes(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self.files.iter().flat_map(|f| f.codes.clone()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// An edit with the codes of every finding that asks for it (identical edits are made once).
struct Pending {
    edit: Edit,
    codes: Vec<&'static str>,
}

/// Plan the safe fixes of `findings` on the guest of `cx`.
pub fn plan(cx: &Context, findings: &[Finding]) -> Plan {
    let mut by_path: BTreeMap<String, Vec<Pending>> = BTreeMap::new();
    for f in findings.iter().filter(|f| matches!(f.fix, Fix::Safe(_))) {
        for e in &f.edits {
            let list = by_path.entry(e.path().to_string()).or_default();
            match list.iter_mut().find(|p| p.edit == *e) {
                Some(p) => {
                    if !p.codes.contains(&f.code) {
                        p.codes.push(f.code);
                    }
                }
                None => list.push(Pending {
                    edit: e.clone(),
                    codes: vec![f.code],
                }),
            }
        }
    }
    let mut out = Plan::default();
    for (path, edits) in by_path {
        plan_file(cx, &path, edits, &mut out);
    }
    out
}

fn skip_all(out: &mut Plan, path: &str, edits: &[Pending], reason: &str) {
    for p in edits {
        for c in &p.codes {
            out.skipped.push(Skipped {
                code: c,
                path: path.to_string(),
                reason: reason.to_string(),
            });
        }
    }
}

fn add_codes(codes: &mut Vec<&'static str>, more: &[&'static str]) {
    for c in more {
        if !codes.contains(c) {
            codes.push(c);
        }
    }
}

fn plan_file(cx: &Context, path: &str, edits: Vec<Pending>, out: &mut Plan) {
    let files = cx.guest.files();
    let Some((volume, fs_path)) = cx.guest.tree.locate_path(path) else {
        skip_all(
            out,
            path,
            &edits,
            "the path is on no filesystem pv2hvm reads",
        );
        return;
    };
    let (creates, texts): (Vec<Pending>, Vec<Pending>) =
        edits.into_iter().partition(|p| p.edit.creates());
    if let Some((first, rest)) = creates.split_first() {
        skip_all(out, path, rest, "another fix creates this path already");
        skip_all(out, path, &texts, "the file is created by another fix");
        if files.symlink_metadata(path).is_ok() {
            skip_all(
                out,
                path,
                creates.get(..1).unwrap_or(&[]),
                "it exists already",
            );
            return;
        }
        let parent = path.rsplit_once('/').map_or("/", |(d, _)| d);
        let parent = if parent.is_empty() { "/" } else { parent };
        if !files
            .metadata(parent)
            .is_ok_and(|m| m.kind == FileKind::Dir)
        {
            skip_all(
                out,
                path,
                std::slice::from_ref(first),
                &format!("{parent} is not a directory of the guest"),
            );
            return;
        }
        let after = match &first.edit {
            Edit::CreateFile { content, mode, .. } => Change::Create {
                content: content.clone().into_bytes(),
                mode: *mode,
            },
            Edit::CreateSymlink { target, .. } => Change::Symlink(target.clone()),
            _ => unreachable!("partitioned on creates()"),
        };
        out.files.push(FileChange {
            path: path.to_string(),
            volume,
            fs_path,
            before: None,
            after,
            codes: first.codes.clone(),
        });
        return;
    }
    match files.symlink_metadata(path) {
        Ok(m) if m.kind == FileKind::File => {}
        Ok(_) => return skip_all(out, path, &texts, "not a regular file"),
        Err(e) => return skip_all(out, path, &texts, &format!("cannot read it: {e}")),
    }
    let before = match files.read_file(path, MAX_EDIT_SIZE) {
        Ok(b) => b,
        Err(e) => return skip_all(out, path, &texts, &format!("cannot read it: {e}")),
    };
    let Ok(text) = std::str::from_utf8(&before) else {
        return skip_all(out, path, &texts, "not UTF-8 text");
    };
    let mut buf = LineBuffer::new(text);
    let mut codes = Vec::new();
    for p in &texts {
        match buf.apply(&p.edit) {
            Ok(()) => add_codes(&mut codes, &p.codes),
            Err(reason) => {
                for c in &p.codes {
                    out.skipped.push(Skipped {
                        code: c,
                        path: path.to_string(),
                        reason: reason.clone(),
                    });
                }
            }
        }
    }
    let after = buf.render().into_bytes();
    if after != before {
        out.files.push(FileChange {
            path: path.to_string(),
            volume,
            fs_path,
            before: Some(before),
            after: Change::Replace(after),
            codes,
        });
    }
}
