//! The `check` report: versioned JSON (`pv2hvm.check` v1), the human text with its verdict line,
//! and the counts both share.

use crate::image::ImageFormat;
use crate::rules::{Finding, Fix, Severity, Target};
use serde::Serialize;
use std::fmt::Write;

/// Name of the JSON schema.
pub const SCHEMA: &str = "pv2hvm.check";
/// Version of the JSON schema.
pub const SCHEMA_VERSION: u32 = 1;

/// Findings counted by severity.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Findings `pv2hvm fix` can repair safely.
    pub fixable: usize,
}

impl Counts {
    /// Count `findings`.
    pub fn of(findings: &[Finding]) -> Counts {
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
        c
    }
}

/// The verdict line: "will not boot on xen-hvm: 2 errors, 3 warnings".
pub fn verdict(target: Target, c: &Counts) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let tally = format!(
        "{}, {}",
        plural(c.errors, "error"),
        plural(c.warnings, "warning")
    );
    let fixable = if c.fixable > 0 {
        format!(" ({} fixable with `pv2hvm fix`)", c.fixable)
    } else {
        String::new()
    };
    if c.errors > 0 {
        format!("will not boot on {target}: {tally}{fixable}")
    } else if c.warnings > 0 {
        format!("should boot on {target}: {tally}{fixable}")
    } else {
        format!("ready for {target}: no errors or warnings")
    }
}

/// The JSON document.
#[derive(Serialize)]
pub struct CheckReport<'a> {
    pub schema: &'static str,
    pub schema_version: u32,
    pub image: &'a str,
    pub format: ImageFormat,
    pub target: Target,
    pub verdict: String,
    pub counts: Counts,
    pub findings: &'a [Finding],
}

/// Whether to colour the human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;34",
        };
        self.paint(code, &s.to_string())
    }
}

fn place(f: &Finding) -> String {
    let loc = &f.location;
    let mut s = match (&loc.path, loc.line) {
        (Some(p), Some(l)) => format!("{p}:{l}"),
        (Some(p), None) => p.clone(),
        (None, _) => "disk".to_string(),
    };
    if let Some(v) = &loc.volume {
        let part = if v.partition == 0 {
            "whole disk".to_string()
        } else {
            format!("partition {}", v.partition)
        };
        let _ = write!(s, " [{part}");
        if let Some(t) = &v.fs_type {
            let _ = write!(s, ", {t}");
        }
        if let Some(u) = &v.uuid {
            let _ = write!(s, " {u}");
        }
        s.push(']');
    }
    s
}

fn fix_line(f: &Fix) -> String {
    match f {
        Fix::Safe(d) => format!("fix: {d}"),
        Fix::Unsafe(d) => format!("fix (needs review): {d}"),
        Fix::Manual(d) => format!("manual step: {d}"),
    }
}

/// The report as text, grouped by severity and then by file, ending with the verdict.
pub fn render_human(image: &str, target: Target, findings: &[Finding], style: Style) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{image} → {target}");
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let group: Vec<&Finding> = findings.iter().filter(|f| f.severity == sev).collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(o, "\n{} ({})", style.severity(sev), group.len());
        let mut last_path: Option<&Option<String>> = None;
        for f in group {
            if last_path != Some(&f.location.path) {
                let file = f.location.path.as_deref().unwrap_or("(the disk)");
                let _ = writeln!(o, "  {}", style.paint("1", file));
                last_path = Some(&f.location.path);
            }
            let _ = writeln!(
                o,
                "    {}  {}  {}",
                style.paint("1", f.code),
                place(f),
                f.message
            );
            if let Some(t) = &f.text {
                let _ = writeln!(o, "        | {}", t.trim_end());
            }
            let _ = writeln!(o, "        {}", fix_line(&f.fix));
        }
    }
    let counts = Counts::of(findings);
    let line = verdict(target, &counts);
    let painted = match (counts.errors, counts.warnings) {
        (0, 0) => style.paint("1;32", &line),
        (0, _) => style.paint("1;33", &line),
        _ => style.paint("1;31", &line),
    };
    let _ = writeln!(o, "\n{painted}");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let c = Counts {
            errors: 2,
            warnings: 3,
            infos: 0,
            fixable: 0,
        };
        assert_eq!(
            verdict(Target::XenHvm, &c),
            "will not boot on xen-hvm: 2 errors, 3 warnings"
        );
        let c = Counts {
            errors: 0,
            warnings: 1,
            infos: 4,
            fixable: 1,
        };
        assert_eq!(
            verdict(Target::Kvm, &c),
            "should boot on kvm: 0 errors, 1 warning (1 fixable with `pv2hvm fix`)"
        );
        assert_eq!(
            verdict(Target::Nitro, &Counts::default()),
            "ready for nitro: no errors or warnings"
        );
    }
}
