//! `--since PREVIOUS.jsonl`: how each image changed since an earlier run, and which images of
//! that run are gone.

use super::record::{Change, Record, Verdict};
use super::shard::Shard;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

struct Prev {
    verdict: Verdict,
    codes: BTreeSet<String>,
    /// Errors plus warnings.
    serious: usize,
}

/// The previous run, reduced to what the comparison needs.
pub struct Previous {
    records: HashMap<String, Prev>,
}

impl Previous {
    /// Read a previous `--format jsonl` output (lines of other schemas are ignored).
    pub fn load(path: &Path) -> Result<Previous, String> {
        let f = std::fs::File::open(path)
            .map_err(|e| format!("cannot read --since {}: {e}", path.display()))?;
        let mut records = HashMap::new();
        for (n, line) in BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| format!("cannot read --since {}: {e}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let r: Record = serde_json::from_str(&line).map_err(|e| {
                format!(
                    "--since {} line {}: not a pv2hvm.scan record: {e}",
                    path.display(),
                    n + 1
                )
            })?;
            if r.schema != super::record::SCHEMA {
                continue;
            }
            records.insert(
                r.path.clone(),
                Prev {
                    verdict: r.verdict,
                    codes: r.findings.iter().map(|f| f.code.clone()).collect(),
                    serious: r.counts.errors + r.counts.warnings,
                },
            );
        }
        Ok(Previous { records })
    }

    /// How `cur` changed: new (not in the previous run); worse (a worse verdict, or a code it
    /// did not have); fixed (a better verdict, or fewer errors and warnings); else unchanged.
    pub fn change(&self, cur: &Record) -> Change {
        let Some(p) = self.records.get(&cur.path) else {
            return Change::New;
        };
        let codes: BTreeSet<&String> = cur.findings.iter().map(|f| &f.code).collect();
        let serious = cur.counts.errors + cur.counts.warnings;
        let new_codes = codes.iter().any(|c| !p.codes.contains(*c));
        if cur.verdict.rank() > p.verdict.rank() || new_codes {
            Change::Worse
        } else if cur.verdict.rank() < p.verdict.rank() || serious < p.serious {
            Change::Fixed
        } else {
            Change::Unchanged
        }
    }

    /// Paths of the previous run that this run would have covered (under one of `roots`, in
    /// `shard`) but did not see.
    pub fn removed(
        &self,
        seen: &dyn Fn(&str) -> bool,
        roots: &[PathBuf],
        shard: Option<Shard>,
    ) -> Vec<String> {
        let mut out: Vec<String> = self
            .records
            .keys()
            .filter(|p| {
                let path = Path::new(p.as_str());
                !seen(p)
                    && roots.iter().any(|r| path.starts_with(r))
                    && shard.is_none_or(|s| s.contains(path))
            })
            .cloned()
            .collect();
        out.sort();
        out
    }
}
