//! The pool: a fixed number of threads take the walk's items in order and audit them. Each
//! thread opens its own guests (`ext4-view` filesystems are not `Send`). An image that cannot be
//! read becomes an `error` record; a panic inside the audit is caught and becomes one too, so one
//! bad image never stops the scan.

use super::cache::{Cache, Dep};
use super::classify::{classify, format_name, Kind};
use super::record::{Record, Stamp};
use super::walk::{Found, Item};
use crate::guest::Guest;
use crate::rules::{self, Context, Selection, Target};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// What every audit of the scan shares.
pub struct AuditConfig {
    pub target: Target,
    pub selection: Selection,
}

/// The result of one item.
pub struct Outcome {
    /// Index of the item in the walk's order.
    pub index: usize,
    pub record: Record,
    /// Backing files the result depends on (for the cache).
    pub deps: Vec<Dep>,
    /// Whether the result may be cached.
    pub cacheable: bool,
}

/// Audit every item on `jobs` threads, calling `each` on this thread with each outcome as it
/// arrives (in completion order).
pub fn run_pool(
    items: &[Item],
    jobs: usize,
    cfg: &AuditConfig,
    cache: &Cache,
    mut each: impl FnMut(Outcome),
) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Outcome>();
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            let tx = tx.clone();
            let next = &next;
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let out = audit_item(i, item, cfg, cache);
                if tx.send(out).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for out in rx {
            each(out);
        }
    });
}

fn audit_item(index: usize, item: &Item, cfg: &AuditConfig, cache: &Cache) -> Outcome {
    let path = item.path.to_string_lossy().into_owned();
    let target = cfg.target.name();
    let stamp = item.stamp;
    let done = |record, deps, cacheable| Outcome {
        index,
        record,
        deps,
        cacheable,
    };
    match &item.found {
        Found::Skip(reason) => match cache.lookup(&path, stamp) {
            Some((r, deps)) => done(r, deps, true),
            None => done(
                Record::skipped(path, stamp, target, reason.clone()),
                vec![],
                true,
            ),
        },
        Found::Fail(e) => done(Record::error(path, stamp, target, e.clone()), vec![], false),
        Found::Candidate { block_device } => {
            if !block_device {
                if let Some((r, deps)) = cache.lookup(&path, stamp) {
                    return done(r, deps, true);
                }
            }
            let result = catch_unwind(AssertUnwindSafe(|| {
                audit_image(&item.path, &path, stamp, cfg)
            }));
            match result {
                Ok((mut record, deps)) => {
                    if *block_device {
                        record.size = record.size.max(stamp.size);
                    }
                    done(record, deps, !block_device)
                }
                Err(payload) => {
                    let msg = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".into());
                    done(
                        Record::error(
                            path,
                            stamp,
                            target,
                            format!("internal error while auditing (a bug in pv2hvm): {msg}"),
                        ),
                        vec![],
                        false,
                    )
                }
            }
        }
    }
}

/// Classify and, if it is an image, open and audit it.
fn audit_image(p: &Path, path: &str, stamp: Stamp, cfg: &AuditConfig) -> (Record, Vec<Dep>) {
    let target = cfg.target.name();
    let (kind, mut bytes) = match classify(p) {
        Ok(k) => k,
        Err(e) => return (Record::error(path.into(), stamp, target, e), vec![]),
    };
    let format = match kind {
        Kind::Skip { format, reason } => {
            let mut r = Record::skipped(path.into(), stamp, target, reason);
            r.format = format.map(format_name);
            r.bytes_read = bytes;
            return (r, vec![]);
        }
        Kind::Image(f) => f,
    };
    let mut r = Record::bare(path.into(), stamp, target, super::record::Verdict::Ready);
    r.format = Some(format_name(format));
    let guest = match Guest::open(p) {
        Ok(g) => g,
        Err(e) => {
            r.verdict = super::record::Verdict::Error;
            r.error = Some(e.to_string());
            r.bytes_read = bytes;
            return (r, vec![]);
        }
    };
    let cx = Context::new(&guest, cfg.target);
    let findings = rules::run(&cx, &cfg.selection);
    r.set_findings(&findings);
    r.problems = guest.table.problems.clone();
    r.problems.extend(guest.problems.iter().cloned());
    r.size = r.size.max(if format == crate::image::ImageFormat::Raw {
        guest.size
    } else {
        0
    });
    bytes += guest.stats.bytes();
    r.bytes_read = bytes;
    // A qcow2 overlay's result depends on its backing files too.
    let mut deps = Vec::new();
    let mut cur = p.to_path_buf();
    for name in &guest.backing_chain {
        let next = cur.parent().unwrap_or(Path::new(".")).join(name);
        if let Some(d) = Dep::now(&next) {
            deps.push(d);
        }
        cur = next;
    }
    (r, deps)
}
