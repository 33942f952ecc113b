//! The one shape of a finding, made by rules and read by every renderer.

use super::target::Target;
use serde::Serialize;
use std::fmt;

/// How bad a finding is for the chosen target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the guest boots and is reachable.
    Info,
    /// Something degrades (a console, a secondary mount, a future update) but the guest boots.
    Warning,
    /// The guest will not boot or will not be reachable.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// The severity of a rule on each target; `None` where the hazard does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Severities {
    pub xen_hvm: Option<Severity>,
    pub xen_pvhvm: Option<Severity>,
    pub kvm: Option<Severity>,
    pub nitro: Option<Severity>,
    pub xen_pv: Option<Severity>,
}

impl Severities {
    /// The same severity on every HVM target, nothing on xen-pv.
    pub const fn hvm(s: Severity) -> Severities {
        Severities {
            xen_hvm: Some(s),
            xen_pvhvm: Some(s),
            kvm: Some(s),
            nitro: Some(s),
            xen_pv: None,
        }
    }
    /// The same severity on every target.
    pub const fn all(s: Severity) -> Severities {
        Severities {
            xen_pv: Some(s),
            ..Severities::hvm(s)
        }
    }
    /// Only on xen-pv.
    pub const fn pv_only(s: Severity) -> Severities {
        Severities {
            xen_hvm: None,
            xen_pvhvm: None,
            kvm: None,
            nitro: None,
            xen_pv: Some(s),
        }
    }
    /// The severity on `t`.
    pub fn on(&self, t: Target) -> Option<Severity> {
        match t {
            Target::XenHvm => self.xen_hvm,
            Target::XenPvhvm => self.xen_pvhvm,
            Target::Kvm => self.kvm,
            Target::Nitro => self.nitro,
            Target::XenPv => self.xen_pv,
        }
    }
}

/// The volume a finding is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeRef {
    /// Partition number (0: the whole partitionless disk).
    pub partition: u32,
    pub fs_type: Option<String>,
    pub uuid: Option<String>,
}

/// Where in the guest a finding is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Guest path (`/etc/fstab`); `None` for findings about the disk itself.
    pub path: Option<String>,
    pub line: Option<usize>,
    pub volume: Option<VolumeRef>,
}

/// What can be done about a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "description", rename_all = "lowercase")]
pub enum Fix {
    /// `pv2hvm fix` can make this change safely.
    Safe(String),
    /// An automatic change exists but needs review (`--unsafe-fixes`).
    Unsafe(String),
    /// Only a person can do it (install a bootloader, a kernel…): the step to take.
    Manual(String),
}

/// One hazard found in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    /// One line: what is wrong here.
    pub message: String,
    pub location: Location,
    /// The offending text, as in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub fix: Fix,
    /// The edits `pv2hvm fix` makes for a safe fix (empty for every other finding).
    pub edits: Vec<super::edit::Edit>,
}
