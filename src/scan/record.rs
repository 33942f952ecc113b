//! The scan record: one per file the walk met, in schema `pv2hvm.scan` version 1 (one JSON object
//! per line). Records are small (codes, messages, locations), so a scan may keep them all.

use crate::rules::{Finding, Fix, Severity};
use serde::{Deserialize, Serialize};

/// Name of the JSONL schema.
pub const SCHEMA: &str = "pv2hvm.scan";
/// Version of the JSONL schema.
pub const SCHEMA_VERSION: u32 = 1;

/// What the scan concluded about one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No errors or warnings on the target.
    Ready,
    /// Warnings only.
    ShouldBoot,
    /// At least one error finding.
    WillNotBoot,
    /// The image could not be read.
    Error,
    /// Not audited: not a disk image, an unsupported container, a symlink not followed…
    Skipped,
}

impl Verdict {
    /// Every verdict, in summary order.
    pub const ALL: [Verdict; 5] = [
        Verdict::Ready,
        Verdict::ShouldBoot,
        Verdict::WillNotBoot,
        Verdict::Error,
        Verdict::Skipped,
    ];

    /// The words of the summary table.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::ShouldBoot => "should boot",
            Verdict::WillNotBoot => "will not boot",
            Verdict::Error => "error",
            Verdict::Skipped => "skipped",
        }
    }

    /// How bad the verdict is, for `--since`: an image that can no longer be audited (error,
    /// skipped) is worse than one that will not boot.
    pub fn rank(self) -> u8 {
        match self {
            Verdict::Ready => 0,
            Verdict::ShouldBoot => 1,
            Verdict::WillNotBoot => 2,
            Verdict::Error | Verdict::Skipped => 3,
        }
    }

    /// The verdict of an audited image with these counts.
    pub fn of(c: &Counts) -> Verdict {
        if c.errors > 0 {
            Verdict::WillNotBoot
        } else if c.warnings > 0 {
            Verdict::ShouldBoot
        } else {
            Verdict::Ready
        }
    }
}

/// Findings counted by severity (as in `pv2hvm.check`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub fixable: usize,
}

/// One finding, reduced to what a library-wide audit needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecFinding {
    pub code: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    pub message: String,
    /// Guest path, when the finding is about a file.
    pub path: Option<String>,
    pub line: Option<usize>,
}

impl RecFinding {
    /// The severity, parsed back (unknown spellings count as info).
    pub fn severity(&self) -> Severity {
        match self.severity.as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            _ => Severity::Info,
        }
    }
}

/// How an image changed since the previous run (`--since`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    New,
    Fixed,
    Worse,
    Unchanged,
}

impl Change {
    pub const ALL: [Change; 4] = [Change::New, Change::Fixed, Change::Worse, Change::Unchanged];
    pub fn label(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Fixed => "fixed",
            Change::Worse => "worse",
            Change::Unchanged => "unchanged",
        }
    }
}

/// One line of `--format jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub schema: String,
    pub schema_version: u32,
    /// Canonical path (symlinks resolved; a symlink that was not followed keeps its own name).
    pub path: String,
    /// File size in bytes (for a block device: the device size).
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime: i128,
    pub inode: u64,
    /// Container format from the content (`raw`, `qcow2`, `vhd`…); `null` when not an image.
    pub format: Option<String>,
    pub target: String,
    pub verdict: Verdict,
    pub counts: Counts,
    pub findings: Vec<RecFinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// What went wrong while assembling the guest (a truncated image, a damaged table…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// Bytes read from the image (and its backing files) by this run; 0 when cached.
    pub bytes_read: u64,
    pub cached: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

/// File identity the walk saw: what the cache is keyed on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    pub mtime: i128,
    pub inode: u64,
}

impl Stamp {
    /// The stamp of `meta`.
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            size: meta.len(),
            mtime: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            inode: meta.ino(),
        }
    }
}

impl Record {
    /// A record with no findings and the given verdict; callers fill in the rest.
    pub fn bare(path: String, stamp: Stamp, target: &str, verdict: Verdict) -> Record {
        Record {
            schema: SCHEMA.into(),
            schema_version: SCHEMA_VERSION,
            path,
            size: stamp.size,
            mtime: stamp.mtime,
            inode: stamp.inode,
            format: None,
            target: target.into(),
            verdict,
            counts: Counts::default(),
            findings: Vec::new(),
            error: None,
            skipped: None,
            problems: Vec::new(),
            bytes_read: 0,
            cached: false,
            change: None,
        }
    }

    /// A record for a file that was not audited.
    pub fn skipped(path: String, stamp: Stamp, target: &str, reason: String) -> Record {
        let mut r = Record::bare(path, stamp, target, Verdict::Skipped);
        r.skipped = Some(reason);
        r
    }

    /// A record for a file that could not be read.
    pub fn error(path: String, stamp: Stamp, target: &str, error: String) -> Record {
        let mut r = Record::bare(path, stamp, target, Verdict::Error);
        r.error = Some(error);
        r
    }

    /// Fill in the findings of an audit (counts and verdict follow from them).
    pub fn set_findings(&mut self, findings: &[Finding]) {
        let mut c = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Info => c.infos += 1,
            }
            if matches!(f.fix, Fix::Safe(_)) {
                c.fixable += 1;
            }
        }
        self.counts = c;
        self.verdict = Verdict::of(&c);
        self.findings = findings
            .iter()
            .map(|f| RecFinding {
                code: f.code.to_string(),
                severity: f.severity.to_string(),
                message: f.message.clone(),
                path: f.location.path.clone(),
                line: f.location.line,
            })
            .collect();
    }

    /// The worst finding severity, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(RecFinding::severity).max()
    }

    /// One JSON line (no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("records serialise")
    }
}
