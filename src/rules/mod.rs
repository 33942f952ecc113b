//! The hazard catalog: every PV→HVM hazard is a rule with a stable code, a severity per target,
//! a one-line summary, a long explanation (`pv2hvm explain CODE`) and a fix that knows whether
//! it is safe. Rules read parsed guest facts from a [`Context`] and never parse or read the image.

pub mod boot;
pub mod console;
pub mod context;
pub mod device;
pub mod edit;
pub mod finding;
pub mod kernel;
pub mod network;
pub mod registry;
pub mod target;

pub use context::Context;
pub use edit::Edit;
pub use finding::{Finding, Fix, Location, Severities, Severity, VolumeRef};
pub use target::Target;

use serde::Serialize;

/// The area of the catalog a rule belongs to (its code prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    /// `DEV`: block device naming.
    Device,
    /// `CON`: consoles and login prompts.
    Console,
    /// `BOOT`: bootloader and boot entries.
    Boot,
    /// `KERN`: kernels and initramfs.
    Kernel,
    /// `NET`: network naming and guest tools.
    Network,
}

/// What kind of remedy a rule offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixAvailability {
    /// `pv2hvm fix` edits guest files safely.
    Safe,
    /// An automatic edit exists but needs review.
    Unsafe,
    /// Only a manual step helps.
    Manual,
}

/// The fixed description of a rule.
#[derive(Debug, Serialize)]
pub struct RuleInfo {
    pub code: &'static str,
    /// kebab-case name.
    pub name: &'static str,
    pub area: Area,
    /// One line.
    pub summary: &'static str,
    /// Why it breaks the boot, when it matters, what the fix does.
    pub explanation: &'static str,
    #[serde(skip)]
    pub severities: Severities,
    pub fix: FixAvailability,
}

/// A rule: its description and the check that produces its findings.
pub struct Rule {
    pub info: RuleInfo,
    pub check: fn(&Context, &mut Emitter),
}

/// Collects the findings of one rule, filling in code and default severity.
pub struct Emitter<'r> {
    info: &'r RuleInfo,
    target: Target,
    findings: Vec<Finding>,
}

impl<'r> Emitter<'r> {
    fn new(info: &'r RuleInfo, target: Target) -> Self {
        Emitter {
            info,
            target,
            findings: Vec::new(),
        }
    }

    /// The rule's severity on the current target (`None`: the rule does not apply).
    pub fn default_severity(&self) -> Option<Severity> {
        self.info.severities.on(self.target)
    }

    /// The severity for a finding on boot entry `e`: the rule's own for the default entry of the
    /// live config, one level lower for every other entry (they boot only when chosen by hand).
    pub fn entry_severity(&self, e: &context::BootEntry) -> Option<Severity> {
        let s = self.default_severity()?;
        Some(if e.is_live_default() { s } else { lower(s) })
    }

    /// Report a finding at the rule's severity for the target.
    pub fn emit(&mut self, location: Location, message: String, text: Option<String>, fix: Fix) {
        if let Some(s) = self.default_severity() {
            self.emit_as(s, location, message, text, fix);
        }
    }

    /// Report a finding with an explicit severity (e.g. lowered for a `nofail` mount).
    pub fn emit_as(
        &mut self,
        severity: Severity,
        location: Location,
        message: String,
        text: Option<String>,
        fix: Fix,
    ) {
        self.emit_with_edits(severity, location, message, text, fix, Vec::new());
    }

    /// Report a finding with the edits its safe fix makes (kept only when `fix` is safe).
    pub fn emit_with_edits(
        &mut self,
        severity: Severity,
        location: Location,
        message: String,
        text: Option<String>,
        fix: Fix,
        edits: Vec<Edit>,
    ) {
        let edits = if matches!(fix, Fix::Safe(_)) {
            edits
        } else {
            Vec::new()
        };
        self.findings.push(Finding {
            code: self.info.code,
            severity,
            message,
            location,
            text,
            fix,
            edits,
        });
    }

    /// [`Emitter::emit_with_edits`] at the rule's severity for the target.
    pub fn emit_edits(
        &mut self,
        location: Location,
        message: String,
        text: Option<String>,
        fix: Fix,
        edits: Vec<Edit>,
    ) {
        if let Some(s) = self.default_severity() {
            self.emit_with_edits(s, location, message, text, fix, edits);
        }
    }
}

/// One level less severe (info stays info).
pub fn lower(s: Severity) -> Severity {
    match s {
        Severity::Error => Severity::Warning,
        _ => Severity::Info,
    }
}

/// Which rules run: `--select` and `--ignore` codes or code prefixes (`DEV`, `CON01`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    /// Whether `code` is selected and not ignored.
    pub fn allows(&self, code: &str) -> bool {
        let matches = |p: &String| code.starts_with(&p.to_ascii_uppercase());
        (self.select.is_empty() || self.select.iter().any(matches))
            && !self.ignore.iter().any(matches)
    }

    /// Prefixes that match no rule at all (a typo the user should hear about).
    pub fn unknown(&self) -> Vec<String> {
        self.select
            .iter()
            .chain(&self.ignore)
            .filter(|p| {
                !registry::ALL
                    .iter()
                    .any(|r| r.info.code.starts_with(&p.to_ascii_uppercase()))
            })
            .cloned()
            .collect()
    }
}

/// Run every selected rule that applies to the context's target; findings sorted worst first,
/// then by file and line.
pub fn run(cx: &Context, selection: &Selection) -> Vec<Finding> {
    let mut all = Vec::new();
    for rule in registry::ALL {
        if !selection.allows(rule.info.code) || rule.info.severities.on(cx.target).is_none() {
            continue;
        }
        let mut e = Emitter::new(&rule.info, cx.target);
        (rule.check)(cx, &mut e);
        all.extend(e.findings);
    }
    all.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.location.path.cmp(&b.location.path))
            .then_with(|| a.location.line.cmp(&b.location.line))
            .then_with(|| a.code.cmp(b.code))
    });
    all
}

/// The rule with this exact code.
pub fn find(code: &str) -> Option<&'static Rule> {
    registry::ALL
        .iter()
        .find(|r| r.info.code.eq_ignore_ascii_case(code))
        .copied()
}
