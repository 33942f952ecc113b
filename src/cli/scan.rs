//! `pv2hvm scan`: audit every disk image under some directories, in parallel.

use super::check::AuditArgs;
use crate::rules::Severity;
use crate::scan::output::Format;
use crate::scan::shard::Shard;
use crate::scan::{self, Options};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Directories (walked recursively) and image files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    audit: AuditArgs,
    /// Exit with status 1 when an image has a finding at or above this severity.
    #[arg(long, value_enum, default_value_t = Severity::Error)]
    fail_on: Severity,
    /// Worker threads (default: the available cores).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Results cache (JSONL): images whose path, size, mtime, inode, target and rule selection
    /// are unchanged are not read again; rewritten at the end.
    #[arg(long, value_name = "FILE")]
    cache: Option<PathBuf>,
    /// A previous run's `--format jsonl` output: mark each image new, fixed, worse or
    /// unchanged, and count the images gone since.
    #[arg(long, value_name = "PREVIOUS.jsonl")]
    since: Option<PathBuf>,
    /// Scan only share K of N (1-based), chosen by a hash of each canonical path.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Follow symbolic links inside the directories (each directory is walked once).
    #[arg(long)]
    follow_symlinks: bool,
    /// Print files, bytes read, time and peak memory to standard error at the end.
    #[arg(long)]
    stats: bool,
}

/// Run `scan`.
pub fn run(a: Args) -> i32 {
    let started = std::time::Instant::now();
    let selection = match a.audit.selection() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pv2hvm: {e}");
            return super::EXIT_UNREADABLE;
        }
    };
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        eprintln!("pv2hvm: --jobs must be at least 1");
        return super::EXIT_UNREADABLE;
    }
    let opts = Options {
        roots: a.paths,
        target: a.audit.target,
        selection,
        fail_on: a.fail_on,
        jobs,
        format: a.format,
        output: a.output,
        cache: a.cache,
        since: a.since,
        shard: a.shard,
        follow_symlinks: a.follow_symlinks,
    };
    let out = match scan::run(&opts) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("pv2hvm: {e}");
            return super::EXIT_UNREADABLE;
        }
    };
    // On a terminal the machine formats still get the table, on standard error.
    if out.interactive && (opts.format != Format::Human || opts.output.is_some()) {
        eprint!("{}", out.summary.render());
    }
    if a.stats {
        let s = &out.summary;
        eprintln!(
            "pv2hvm: scanned {} files ({} images, {} cached) with {jobs} jobs in {:.2} s; read {} bytes; peak memory {} kB",
            s.files,
            s.images(),
            s.cached,
            started.elapsed().as_secs_f64(),
            s.bytes_read,
            scan::peak_rss_kb().map_or_else(|| "?".to_string(), |k| k.to_string()),
        );
    }
    out.exit_status
}
