//! `pv2hvm fix` and `pv2hvm undo`: show the repair plan as diffs, apply it through the journaled
//! patch layer (or into a new qcow2 overlay), re-audit, and put every byte back on request.

use super::check::AuditArgs;
use super::{open_guest, ImageArg, EXIT_UNREADABLE};
use crate::fix;
use crate::guest::Guest;
use crate::image::{qcow2_write, ImageFormat, Write};
use crate::patch::{journal, materialize, Locked, PatchError};
use crate::report::check::{verdict, Counts};
use crate::rules::{self, Context, Finding, Fix};
use std::io::{BufRead, IsTerminal, Write as _};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct FixArgs {
    #[command(flatten)]
    image: ImageArg,
    #[command(flatten)]
    audit: AuditArgs,
    /// Print the plan as unified diffs and exit without writing.
    #[arg(long, conflicts_with_all = ["apply", "output"])]
    diff: bool,
    /// Apply the plan to the image in place, without asking.
    #[arg(long)]
    apply: bool,
    /// Write the changes into a new qcow2 overlay backed by the untouched image.
    #[arg(long, value_name = "OVERLAY.qcow2", conflicts_with = "apply")]
    output: Option<PathBuf>,
    /// Journal file (default: IMAGE.pv2hvm-journal beside the image).
    #[arg(long, value_name = "PATH")]
    journal: Option<PathBuf>,
    /// Stop after N image writes, as a crash would (for testing recovery).
    #[arg(long, hide = true)]
    fail_after_writes: Option<usize>,
}

#[derive(clap::Args)]
pub struct UndoArgs {
    #[command(flatten)]
    image: ImageArg,
    /// Journal file (default: IMAGE.pv2hvm-journal beside the image).
    #[arg(long, value_name = "PATH")]
    journal: Option<PathBuf>,
    /// Stop after N image writes, as a crash would (for testing recovery).
    #[arg(long, hide = true)]
    fail_after_writes: Option<usize>,
}

fn journal_path(image: &Path, given: &Option<PathBuf>) -> PathBuf {
    given
        .clone()
        .unwrap_or_else(|| journal::default_path(image))
}

/// The timestamp stamped on changed inodes: SOURCE_DATE_EPOCH when set (reproducible runs).
fn now() -> u32 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as u32)
        })
}

fn fail(e: impl std::fmt::Display) -> i32 {
    eprintln!("pv2hvm: {e}");
    EXIT_UNREADABLE
}

fn manual_steps(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| !matches!(f.fix, Fix::Safe(_)))
        .collect()
}

fn print_manual(findings: &[Finding]) {
    let manual = manual_steps(findings);
    if manual.is_empty() {
        return;
    }
    println!(
        "\nNot fixed automatically ({}): do these by hand",
        manual.len()
    );
    for f in manual {
        let step = match &f.fix {
            Fix::Manual(s) | Fix::Unsafe(s) | Fix::Safe(s) => s,
        };
        println!("  {} {}: {step}", f.code, f.message);
    }
}

fn confirm(image: &Path) -> bool {
    if !std::io::stdin().is_terminal() {
        println!(
            "\n(plan only: re-run with --apply to change {}, or --output OVERLAY.qcow2)",
            image.display()
        );
        return false;
    }
    print!("\nApply these changes to {}? [y/N] ", image.display());
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes")
}

/// Run `fix`.
pub fn run(a: FixArgs) -> i32 {
    let selection = match a.audit.selection() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let image = a.image.image.clone();
    let jpath = journal_path(&image, &a.journal);
    // Lock (and finish any interrupted run) before reading anything we will write.
    let mut locked = None;
    if a.apply || (!a.diff && a.output.is_none() && std::io::stdin().is_terminal()) {
        match lock_and_recover(&image, &jpath) {
            Ok(l) => locked = Some(l),
            Err(code) => return code,
        }
    }
    let guest = match open_guest(&image) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let cx = Context::new(&guest, a.audit.target);
    let findings = rules::run(&cx, &selection);
    let plan = fix::plan(&cx, &findings);
    print!("{}", fix::diff::unified(&plan));
    for s in &plan.skipped {
        println!("skipped {} in {}: {}", s.code, s.path, s.reason);
    }
    print_manual(&findings);
    if plan.files.is_empty() {
        println!("\nnothing to fix automatically on {}", a.audit.target);
        return 0;
    }
    if a.diff {
        return 0;
    }
    let go = a.apply || a.output.is_some() || confirm(&image);
    if !go {
        return 0;
    }
    let writes = match materialize::materialize(&guest, &plan, now()) {
        Ok(w) => w,
        Err(e) => return fail(format!("refused, nothing was written: {e}")),
    };
    let codes: Vec<String> = plan.codes().into_iter().map(str::to_string).collect();
    let format = guest.format;
    drop(cx);
    drop(guest);
    let result = match &a.output {
        Some(out) => qcow2_write::create_overlay(&image, out, &writes)
            .map(|()| {
                println!(
                    "\nwrote the changes to {} (backed by {})",
                    out.display(),
                    image.display()
                )
            })
            .map_err(|e| e.to_string()),
        None => {
            let mut l = locked.take().expect("locked above");
            l.fail_after(a.fail_after_writes);
            apply_in_place(&mut l, &image, format, &writes, codes).map_err(|e| e.to_string())
        }
    };
    if let Err(e) = result {
        return fail(e);
    }
    reaudit(a.output.as_deref().unwrap_or(&image), &a.audit)
}

fn lock_and_recover(image: &Path, jpath: &Path) -> Result<Locked, i32> {
    let mut l = Locked::open(image, jpath).map_err(fail)?;
    match l.recover() {
        Ok(Some(did)) => println!("recovered: {did}"),
        Ok(None) => {}
        Err(e) => return Err(fail(e)),
    }
    Ok(l)
}

fn apply_in_place(
    l: &mut Locked,
    image: &Path,
    format: ImageFormat,
    writes: &[Write],
    codes: Vec<String>,
) -> Result<(), PatchError> {
    let (host, new_len) = match format {
        ImageFormat::Qcow2 => {
            let p = qcow2_write::plan_host_writes(image, writes)
                .map_err(|e| PatchError::Io(format!("refused, nothing was written: {e}")))?;
            (p.writes, Some(p.new_len))
        }
        _ => (writes.to_vec(), None),
    };
    match l.apply(&host, new_len, codes)? {
        Some(id) => println!(
            "\napplied fix #{id}: {} writes; `pv2hvm undo {}` puts every byte back",
            host.len(),
            image.display()
        ),
        None => println!("\nthe image already holds these changes"),
    }
    Ok(())
}

fn reaudit(image: &Path, audit: &AuditArgs) -> i32 {
    let guest: Guest = match open_guest(image) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let cx = Context::new(&guest, audit.target);
    let sel = audit.selection().unwrap_or_default();
    let left = rules::run(&cx, &sel);
    let fixable = left
        .iter()
        .filter(|f| matches!(f.fix, Fix::Safe(_)))
        .count();
    println!(
        "\nafter the fix: {}",
        verdict(audit.target, &Counts::of(&left))
    );
    if fixable > 0 {
        println!("{fixable} fixable findings remain (re-run pv2hvm fix)");
    }
    0
}

/// Run `undo`.
pub fn undo(a: UndoArgs) -> i32 {
    let image = a.image.image;
    let jpath = journal_path(&image, &a.journal);
    let mut l = match lock_and_recover(&image, &jpath) {
        Ok(l) => l,
        Err(code) => return code,
    };
    l.fail_after(a.fail_after_writes);
    match l.undo() {
        Ok(n) => {
            println!(
                "restored {} to its state before {n} fix(es)",
                image.display()
            );
            0
        }
        Err(e) => fail(e),
    }
}
