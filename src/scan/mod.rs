//! `pv2hvm scan`: audit whole image libraries — walk directories, recognise disk images by
//! content, audit them in parallel on a fixed pool of threads, and stream one record per file
//! (JSONL, SARIF or a human table), with a results cache (`--cache`), a comparison with a
//! previous run (`--since`) and deterministic shards (`--shard K/N`).
//!
//! Records come out sorted by path: items are dispatched in path order and a small reorder
//! buffer holds the ones that finish early, so memory holds the walk's paths and the counters of
//! the summary, not the records.

pub mod cache;
pub mod classify;
pub mod compare;
pub mod output;
pub mod progress;
pub mod record;
pub mod shard;
pub mod summary;
pub mod walk;
pub mod worker;

use crate::rules::{Selection, Severity, Target};
use cache::{Cache, CacheWriter, Config};
use compare::Previous;
use output::{Dest, Format, Sink};
use record::Verdict;
use shard::Shard;
use std::collections::BTreeMap;
use std::path::PathBuf;
use summary::Summary;
use walk::WalkOptions;

/// Everything `scan` was asked to do.
pub struct Options {
    pub roots: Vec<PathBuf>,
    pub target: Target,
    pub selection: Selection,
    pub fail_on: Severity,
    pub jobs: usize,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub cache: Option<PathBuf>,
    pub since: Option<PathBuf>,
    pub shard: Option<Shard>,
    pub follow_symlinks: bool,
}

/// What a finished scan reports besides its output.
pub struct Outcome {
    pub summary: Summary,
    pub exit_status: i32,
    /// Whether a progress bar was shown (standard error is a terminal).
    pub interactive: bool,
}

/// Run a scan. `Err` only for problems with the arguments or the output (exit status 2).
pub fn run(opts: &Options) -> Result<Outcome, String> {
    let config = Config {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        target: opts.target.name().to_string(),
        select: opts.selection.select.clone(),
        ignore: opts.selection.ignore.clone(),
    };
    let cache = match &opts.cache {
        Some(p) => Cache::load(p, config.clone())?,
        None => Cache::default(),
    };
    let previous = opts.since.as_deref().map(Previous::load).transpose()?;
    let items = walk::walk(
        &opts.roots,
        WalkOptions {
            follow_symlinks: opts.follow_symlinks,
            shard: opts.shard,
        },
    );
    let mut sink = Sink::new(
        opts.format,
        Dest::open(opts.output.clone())?,
        opts.target.name(),
    )?;
    let mut cache_out = match &opts.cache {
        Some(p) => Some(CacheWriter::create(p.clone(), config)?),
        None => None,
    };
    let progress = progress::Progress::new(items.len());
    let mut summary = Summary::new(opts.fail_on, previous.is_some());
    let cfg = worker::AuditConfig {
        target: opts.target,
        selection: opts.selection.clone(),
    };

    // Outcomes arrive in completion order; write them in path order.
    let mut pending: BTreeMap<usize, worker::Outcome> = BTreeMap::new();
    let mut next_out = 0usize;
    let mut failure: Option<String> = None;
    let mut bad = 0usize;
    worker::run_pool(&items, opts.jobs, &cfg, &cache, |out| {
        pending.insert(out.index, out);
        while let Some(mut out) = pending.remove(&next_out) {
            next_out += 1;
            if let Some(prev) = &previous {
                out.record.change = Some(prev.change(&out.record));
            }
            summary.add(&out.record);
            bad += usize::from(matches!(
                out.record.verdict,
                Verdict::WillNotBoot | Verdict::Error
            ));
            progress.done(bad);
            if failure.is_some() {
                continue;
            }
            let stamp = items[out.index].stamp;
            let res = sink
                .record(&out.record)
                .and_then(|()| match &mut cache_out {
                    Some(c) => c.add(&out.record, stamp, &out.deps, out.cacheable),
                    None => Ok(()),
                });
            if let Err(e) = res {
                failure = Some(e);
            }
        }
    });
    progress.finish();
    if let Some(e) = failure {
        return Err(e);
    }
    if let Some(prev) = &previous {
        let roots: Vec<PathBuf> = opts
            .roots
            .iter()
            .filter_map(|r| std::fs::canonicalize(r).ok())
            .collect();
        let seen = |p: &str| {
            items
                .binary_search_by(|i| i.path.as_os_str().cmp(std::ffi::OsStr::new(p)))
                .is_ok()
        };
        summary.removed = prev.removed(&seen, &roots, opts.shard);
    }
    sink.finish(&summary)?;
    if let Some(c) = cache_out {
        c.commit()?;
    }
    let exit_status = summary.exit_status();
    Ok(Outcome {
        summary,
        exit_status,
        interactive: progress.shown(),
    })
}

/// Peak resident memory of this process (VmHWM), in kB, where /proc says.
pub fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
