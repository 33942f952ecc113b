//! `--cache FILE`: results of earlier runs, one JSON object per line, keyed by canonical path,
//! size, mtime (ns), inode, target, rule selection and tool version — and, for a qcow2 overlay,
//! the same stamp of every backing file, since a changed backing file changes the guest. An
//! image whose key matches is not read again. Errors are never cached (they may be transient),
//! nor are block devices (their content changes without their stamp changing). The file is
//! rewritten (atomically) at the end of a run with the records of that run.

use super::output::AtomicFile;
use super::record::{Record, Stamp, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// A file an audit result depends on besides the image itself (a qcow2 backing file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dep {
    pub path: String,
    pub stamp: Stamp,
}

impl Dep {
    /// The dependency on `path` as it is now, or `None` if it cannot be stat'ed.
    pub fn now(path: &Path) -> Option<Dep> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Dep {
            path: path.to_string_lossy().into_owned(),
            stamp: Stamp::of(&meta),
        })
    }
}

/// What else, besides path and stamp, a cached result depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub tool_version: String,
    pub target: String,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Line {
    config: Config,
    stamp: Stamp,
    #[serde(default)]
    deps: Vec<Dep>,
    record: Record,
}

/// The loaded cache.
#[derive(Default)]
pub struct Cache {
    config: Option<Config>,
    entries: HashMap<String, (Stamp, Vec<Dep>, Record)>,
}

impl Cache {
    /// Load `path` for `config`; a missing file is an empty cache, unreadable lines are ignored.
    pub fn load(path: &Path, config: Config) -> Result<Cache, String> {
        let mut c = Cache {
            config: Some(config),
            entries: HashMap::new(),
        };
        let f = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(c),
            Err(e) => return Err(format!("cannot read cache {}: {e}", path.display())),
        };
        for line in BufReader::new(f).lines() {
            let line = line.map_err(|e| format!("cannot read cache {}: {e}", path.display()))?;
            if let Ok(l) = serde_json::from_str::<Line>(&line) {
                if Some(&l.config) == c.config.as_ref() {
                    c.entries
                        .insert(l.record.path.clone(), (l.stamp, l.deps, l.record));
                }
            }
        }
        Ok(c)
    }

    /// Number of usable entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds nothing usable.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The cached record of `path` (and its dependencies) if its stamp and every dependency's
    /// are unchanged.
    pub fn lookup(&self, path: &str, stamp: Stamp) -> Option<(Record, Vec<Dep>)> {
        let (s, deps, rec) = self.entries.get(path)?;
        if *s != stamp
            || deps
                .iter()
                .any(|d| Dep::now(Path::new(&d.path)).as_ref() != Some(d))
        {
            return None;
        }
        let mut r = rec.clone();
        r.cached = true;
        r.bytes_read = 0;
        r.change = None;
        Some((r, deps.clone()))
    }
}

/// Writes the new cache beside the old one and puts it in place at the end.
pub struct CacheWriter {
    config: Config,
    file: AtomicFile,
}

impl CacheWriter {
    pub fn create(path: PathBuf, config: Config) -> Result<CacheWriter, String> {
        Ok(CacheWriter {
            config,
            file: AtomicFile::create(path)?,
        })
    }

    /// Remember `record` (unless it should be computed again next time).
    pub fn add(
        &mut self,
        record: &Record,
        stamp: Stamp,
        deps: &[Dep],
        cacheable: bool,
    ) -> Result<(), String> {
        if !cacheable || record.verdict == Verdict::Error {
            return Ok(());
        }
        let mut rec = record.clone();
        rec.change = None;
        rec.cached = false;
        let line = Line {
            config: self.config.clone(),
            stamp,
            deps: deps.to_vec(),
            record: rec,
        };
        let s = serde_json::to_string(&line).expect("cache lines serialise");
        writeln!(self.file, "{s}").map_err(|e| self.file.error(e))
    }

    /// Replace the cache file.
    pub fn commit(self) -> Result<(), String> {
        self.file.commit()
    }
}
