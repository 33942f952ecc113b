//! `pv2hvm check`: audit a guest for one target and say whether it will boot and be reachable.

use super::{open_guest, ImageArg};
use crate::report::check::{render_human, CheckReport, Counts, Style, SCHEMA, SCHEMA_VERSION};
use crate::report::sarif;
use crate::rules::{self, Context, Selection, Severity, Target};
use std::io::IsTerminal;

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

/// When to colour the human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Options shared by the commands that run the audit.
#[derive(clap::Args, Clone)]
pub struct AuditArgs {
    /// Platform the guest is moving to.
    #[arg(long, value_enum, default_value_t = Target::XenHvm)]
    pub target: Target,
    /// Only these rule codes or prefixes (comma-separated: DEV,CON001).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Skip these rule codes or prefixes (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
}

impl AuditArgs {
    /// The rule selection, or an error naming prefixes that match no rule.
    pub fn selection(&self) -> Result<Selection, String> {
        let s = Selection {
            select: self.select.clone(),
            ignore: self.ignore.clone(),
        };
        let unknown = s.unknown();
        if unknown.is_empty() {
            Ok(s)
        } else {
            Err(format!(
                "no rule code starts with {}; `pv2hvm explain --all` lists them",
                unknown.join(", ")
            ))
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    image: ImageArg,
    #[command(flatten)]
    audit: AuditArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit with status 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = Severity::Error)]
    fail_on: Severity,
    /// Colour the human output (auto: on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Print the bytes read from the image and the time taken to standard error.
    #[arg(long)]
    stats: bool,
}

fn use_color(c: Color) -> bool {
    match c {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
    }
}

/// Run `check`.
pub fn run(a: Args) -> i32 {
    let started = std::time::Instant::now();
    let selection = match a.audit.selection() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pv2hvm: {e}");
            return super::EXIT_UNREADABLE;
        }
    };
    let guest = match open_guest(&a.image.image) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let target = a.audit.target;
    let cx = Context::new(&guest, target);
    let findings = rules::run(&cx, &selection);
    let image = a.image.image.display().to_string();
    let out = match a.format {
        Format::Human => render_human(
            &image,
            target,
            &findings,
            Style {
                color: use_color(a.color),
            },
        ),
        Format::Json => {
            let counts = Counts::of(&findings);
            let doc = CheckReport {
                schema: SCHEMA,
                schema_version: SCHEMA_VERSION,
                image: &image,
                format: guest.format,
                target,
                verdict: crate::report::check::verdict(target, &counts),
                counts,
                findings: &findings,
            };
            serde_json::to_string_pretty(&doc).expect("findings serialise") + "\n"
        }
        Format::Sarif => {
            serde_json::to_string_pretty(&sarif::render(&image, target.name(), &findings))
                .expect("SARIF serialises")
                + "\n"
        }
    };
    print!("{out}");
    if a.stats {
        eprintln!(
            "pv2hvm: read {} bytes in {} requests, {:.2} ms",
            guest.stats.bytes(),
            guest.stats.reads(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    i32::from(findings.iter().any(|f| f.severity >= a.fail_on))
}
