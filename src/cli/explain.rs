//! `pv2hvm explain CODE` / `--all`: the long explanation of rules, from the registry.

use crate::rules::{find, registry, Rule, Severity, Target};
use std::fmt::Write;

#[derive(clap::Args)]
pub struct Args {
    /// Rule code (DEV001); omit with --all.
    #[arg(required_unless_present = "all")]
    code: Option<String>,
    /// Explain every rule.
    #[arg(long)]
    all: bool,
    /// With --all: print the catalog as one Markdown table (as in the README).
    #[arg(long, requires = "all")]
    table: bool,
}

/// The catalog as a Markdown table: code, name, severity per target, fix, summary.
pub fn table() -> String {
    let mut o = String::from(
        "| code | name | xen-hvm | xen-pvhvm | kvm | nitro | xen-pv | fix | summary |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in registry::ALL {
        let i = &r.info;
        let sev: Vec<String> = Target::ALL
            .iter()
            .map(|t| {
                i.severities
                    .on(*t)
                    .map_or("-".to_string(), |s| s.to_string())
            })
            .collect();
        let fix = format!("{:?}", i.fix).to_lowercase();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {fix} | {} |",
            i.code,
            i.name,
            sev.join(" | "),
            i.summary
        );
    }
    o
}

fn severity_table(r: &Rule) -> String {
    Target::ALL
        .iter()
        .map(|t| {
            let s = r
                .info
                .severities
                .on(*t)
                .map_or("-".to_string(), |s: Severity| s.to_string());
            format!("{t}: {s}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The text `explain` prints for one rule.
pub fn explain(r: &Rule) -> String {
    let mut o = String::new();
    let i = &r.info;
    let _ = writeln!(o, "{} ({}): {}", i.code, i.name, i.summary);
    let _ = writeln!(o, "  severity  {}", severity_table(r));
    let _ = writeln!(o, "  fix       {:?}", i.fix);
    let _ = writeln!(o);
    for line in textwrap(i.explanation, 96) {
        let _ = writeln!(o, "  {line}");
    }
    o
}

fn textwrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for w in s.split_whitespace() {
        let cur = lines.last_mut().expect("one line");
        if !cur.is_empty() && cur.len() + 1 + w.len() > width {
            lines.push(w.to_string());
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(w);
        }
    }
    lines
}

/// Run `explain`.
pub fn run(a: Args) -> i32 {
    if a.all && a.table {
        print!("{}", table());
        return 0;
    }
    if a.all {
        let texts: Vec<String> = registry::ALL.iter().map(|r| explain(r)).collect();
        print!("{}", texts.join("\n"));
        return 0;
    }
    let code = a.code.unwrap_or_default();
    match find(&code) {
        Some(r) => {
            print!("{}", explain(r));
            0
        }
        None => {
            eprintln!("pv2hvm: no rule {code}; `pv2hvm explain --all` lists every rule");
            super::EXIT_UNREADABLE
        }
    }
}
