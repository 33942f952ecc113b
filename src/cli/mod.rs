//! Command-line interface: clap definitions and a thin dispatch to the library.
//!
//! Exit status: 0 success, 1 the requested guest path does not exist (or, for later audit
//! commands, findings), 2 the image cannot be read or the arguments are wrong.

mod check;
mod explain;
mod files;
mod fix;
mod inspect;
mod scan;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Exit status when the image cannot be read.
pub const EXIT_UNREADABLE: i32 = 2;

/// Audit Xen PV guest disk images offline before converting them to HVM, KVM or AWS Nitro.
#[derive(Parser)]
#[command(name = "pv2hvm", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what is inside a guest image: partitions, filesystems, root, fstab, distro,
    /// init system, bootloader configs, MBR boot code and kernels.
    Inspect(inspect::Args),
    /// List a directory of the guest (fstab mounts applied, symlinks followed inside the guest).
    Ls(files::LsArgs),
    /// Print a file of the guest to standard output.
    Cat(files::CatArgs),
    /// Audit a guest for a target platform: will it boot and be reachable there, and if not,
    /// why, where and what fixes it. Exit 0: nothing at or above --fail-on; 1: findings; 2: unreadable.
    Check(check::Args),
    /// Explain a rule: why it breaks the boot, when it matters, and its fix.
    Explain(explain::Args),
    /// Repair what can be repaired safely: show the plan as diffs, apply it through a journal
    /// (in place) or into a new qcow2 overlay, then re-audit.
    Fix(fix::FixArgs),
    /// Restore an image to its state before the journaled fixes, byte for byte.
    Undo(fix::UndoArgs),
    /// Audit every disk image under some directories in parallel: one record per file
    /// (human table, JSONL or SARIF), with a cache, a comparison with a previous run and shards.
    Scan(scan::Args),
}

/// Arguments naming an image.
#[derive(clap::Args)]
struct ImageArg {
    /// Disk image: raw (whole disk or a bare filesystem), block device, or qcow2.
    image: PathBuf,
}

/// Parse the command line and run; returns the process exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_UNREADABLE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Inspect(a) => inspect::run(a),
        Command::Ls(a) => files::ls(a),
        Command::Cat(a) => files::cat(a),
        Command::Check(a) => check::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Fix(a) => fix::run(a),
        Command::Undo(a) => fix::undo(a),
        Command::Scan(a) => scan::run(a),
    }
}

/// Open a guest or print the one-line error and return the exit status to use. Warns when an
/// earlier `fix` or `undo` on the image was interrupted (the image may be half-patched).
fn open_guest(image: &std::path::Path) -> Result<crate::guest::Guest, i32> {
    warn_unfinished(image);
    crate::guest::Guest::open(image).map_err(|e| {
        eprintln!("pv2hvm: {e}");
        EXIT_UNREADABLE
    })
}

fn warn_unfinished(image: &std::path::Path) {
    use crate::patch::journal::{self, Journal, State};
    let path = journal::default_path(image);
    if let Ok(Some(j)) = Journal::load(&path) {
        if j.transactions
            .last()
            .is_some_and(|t| t.state != State::Applied)
        {
            eprintln!(
                "pv2hvm: warning: an earlier fix or undo of {} was interrupted; run `pv2hvm undo` \
                 or `pv2hvm fix --apply` to finish it (journal {})",
                image.display(),
                path.display()
            );
        }
    }
}
