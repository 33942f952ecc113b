//! The tally of a scan: counts per verdict, the most common rule codes, changes since the
//! previous run, and what decides the exit status. Only counters are kept, never the records.

use super::record::{Change, Record, Verdict};
use crate::rules::Severity;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// How many rule codes the human table lists.
const TOP_CODES: usize = 10;

#[derive(Debug, Default)]
pub struct Summary {
    pub files: usize,
    verdicts: BTreeMap<Verdict, usize>,
    /// Images with each code (an image with a code twice counts once).
    codes: BTreeMap<String, usize>,
    changes: BTreeMap<Change, usize>,
    /// `--since` was given.
    pub compared: bool,
    pub removed: Vec<String>,
    pub cached: usize,
    pub bytes_read: u64,
    /// Some image has a finding at or above `--fail-on`.
    pub failed: bool,
    fail_on: Option<Severity>,
}

impl Summary {
    pub fn new(fail_on: Severity, compared: bool) -> Summary {
        Summary {
            fail_on: Some(fail_on),
            compared,
            ..Summary::default()
        }
    }

    /// Count one record.
    pub fn add(&mut self, r: &Record) {
        self.files += 1;
        *self.verdicts.entry(r.verdict).or_default() += 1;
        let codes: BTreeSet<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
        for c in codes {
            *self.codes.entry(c.to_string()).or_default() += 1;
        }
        if let Some(c) = r.change {
            *self.changes.entry(c).or_default() += 1;
        }
        self.cached += usize::from(r.cached);
        self.bytes_read += r.bytes_read;
        if let (Some(w), Some(f)) = (r.worst(), self.fail_on) {
            self.failed |= w >= f;
        }
    }

    /// Records with this verdict.
    pub fn count(&self, v: Verdict) -> usize {
        self.verdicts.get(&v).copied().unwrap_or(0)
    }

    /// Records with this change.
    pub fn changed(&self, c: Change) -> usize {
        self.changes.get(&c).copied().unwrap_or(0)
    }

    /// Images audited (not skipped).
    pub fn images(&self) -> usize {
        self.files - self.count(Verdict::Skipped)
    }

    /// Exit status: 2 an image could not be read, 1 a finding at or above `--fail-on`, else 0.
    pub fn exit_status(&self) -> i32 {
        if self.count(Verdict::Error) > 0 {
            2
        } else {
            i32::from(self.failed)
        }
    }

    /// The most common codes, most images first, then by code.
    pub fn top_codes(&self) -> Vec<(&str, usize)> {
        let mut v: Vec<(&str, usize)> = self.codes.iter().map(|(c, n)| (c.as_str(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }

    /// The summary table.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "\nscanned {} files: {} images, {} skipped ({} from cache)",
            self.files,
            self.images(),
            self.count(Verdict::Skipped),
            self.cached
        );
        for v in Verdict::ALL {
            let _ = writeln!(o, "  {:<14} {:>7}", v.label(), self.count(v));
        }
        let top = self.top_codes();
        if !top.is_empty() {
            let _ = writeln!(o, "top rule codes (images):");
            for (c, n) in top.iter().take(TOP_CODES) {
                let _ = writeln!(o, "  {c:<14} {n:>7}");
            }
            if top.len() > TOP_CODES {
                let _ = writeln!(o, "  ({} more codes)", top.len() - TOP_CODES);
            }
        }
        if self.compared {
            let _ = writeln!(o, "since the previous run:");
            for c in Change::ALL {
                let _ = writeln!(o, "  {:<14} {:>7}", c.label(), self.changed(c));
            }
            let _ = writeln!(o, "  {:<14} {:>7}", "removed", self.removed.len());
        }
        o
    }

    /// The same numbers as JSON (SARIF run properties).
    pub fn to_json(&self) -> Value {
        let verdicts: BTreeMap<&str, usize> = Verdict::ALL
            .iter()
            .map(|v| (v.label(), self.count(*v)))
            .collect();
        let mut j = json!({
            "files": self.files,
            "verdicts": verdicts,
            "codes": self.codes,
        });
        if self.compared {
            let mut ch: BTreeMap<&str, usize> = Change::ALL
                .iter()
                .map(|c| (c.label(), self.changed(*c)))
                .collect();
            ch.insert("removed", self.removed.len());
            j["changes"] = json!(ch);
        }
        j
    }
}
