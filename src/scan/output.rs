//! Where results go: standard output, or `--output FILE` written beside FILE and renamed into
//! place at the end (atomically: readers see the old file or the whole new one). Records are
//! streamed as they are ready, in path order; only the human summary and the SARIF footer wait
//! for the end.

use super::record::{Change, Record, Verdict};
use super::summary::Summary;
use crate::rules::registry;
use serde_json::{json, Value};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// A file written under a temporary name and renamed over `path` on commit; removed if dropped
/// before.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(path: PathBuf) -> Result<AtomicFile, String> {
        let name = path
            .file_name()
            .ok_or_else(|| format!("{} is not a file name", path.display()))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let f = File::create(&tmp).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        Ok(AtomicFile {
            path,
            tmp,
            out: Some(BufWriter::new(f)),
        })
    }

    /// An error message for a failed write.
    pub fn error(&self, e: io::Error) -> String {
        format!("cannot write {}: {e}", self.tmp.display())
    }

    /// Flush, sync and rename into place.
    pub fn commit(mut self) -> Result<(), String> {
        let out = self.out.take().expect("not committed twice");
        let f = out.into_inner().map_err(|e| self.error(e.into_error()))?;
        f.sync_all().map_err(|e| self.error(e))?;
        std::fs::rename(&self.tmp, &self.path)
            .map_err(|e| format!("cannot rename to {}: {e}", self.path.display()))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.as_mut().expect("open").write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.as_mut().expect("open").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Standard output or an atomic file.
pub enum Dest {
    Stdout(BufWriter<io::Stdout>),
    File(AtomicFile),
}

impl Dest {
    pub fn open(output: Option<PathBuf>) -> Result<Dest, String> {
        Ok(match output {
            Some(p) => Dest::File(AtomicFile::create(p)?),
            None => Dest::Stdout(BufWriter::new(io::stdout())),
        })
    }
    fn commit(self) -> Result<(), String> {
        match self {
            Dest::Stdout(mut s) => s.flush().map_err(|e| format!("cannot write output: {e}")),
            Dest::File(f) => f.commit(),
        }
    }
}

impl Write for Dest {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Dest::Stdout(s) => s.write(buf),
            Dest::File(f) => f.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Dest::Stdout(s) => s.flush(),
            Dest::File(f) => f.flush(),
        }
    }
}

/// Output formats of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per image that is not ready, then the summary table.
    Human,
    /// One `pv2hvm.scan` JSON object per line per file, sorted by path.
    Jsonl,
    /// SARIF 2.1.0, one run; each result's artifact is the image, its logical location the guest path.
    Sarif,
}

/// A streaming writer of one format.
pub struct Sink {
    format: Format,
    dest: Dest,
    target: String,
    sarif_results: usize,
    /// SARIF tool notifications: images that could not be read or were skipped as containers.
    notes: Vec<Value>,
}

fn io_err(e: io::Error) -> String {
    format!("cannot write output: {e}")
}

impl Sink {
    pub fn new(format: Format, dest: Dest, target: &str) -> Result<Sink, String> {
        let mut s = Sink {
            format,
            dest,
            target: target.to_string(),
            sarif_results: 0,
            notes: Vec::new(),
        };
        if format == Format::Sarif {
            let doc = crate::report::sarif::render("", target, &[]);
            let tool = serde_json::to_string(&doc["runs"][0]["tool"]).expect("json");
            writeln!(
                s.dest,
                "{{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{{\"tool\":{tool},\"results\":["
            )
            .map_err(io_err)?;
        }
        Ok(s)
    }

    /// Write one record.
    pub fn record(&mut self, r: &Record) -> Result<(), String> {
        match self.format {
            Format::Jsonl => writeln!(self.dest, "{}", r.to_line()).map_err(io_err),
            Format::Human => match human_line(r) {
                Some(l) => writeln!(self.dest, "{l}").map_err(io_err),
                None => Ok(()),
            },
            Format::Sarif => self.sarif_record(r),
        }
    }

    fn sarif_record(&mut self, r: &Record) -> Result<(), String> {
        let uri = file_uri(&r.path);
        match r.verdict {
            Verdict::Error => self.notes.push(json!({
                "level": "error",
                "message": {"text": format!("{}: {}", r.path, r.error.as_deref().unwrap_or("error"))},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
            })),
            Verdict::Skipped if r.format.is_some() => self.notes.push(json!({
                "level": "note",
                "message": {"text": format!("{}: skipped: {}", r.path, r.skipped.as_deref().unwrap_or(""))},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
            })),
            _ => {}
        }
        for f in &r.findings {
            let level = match f.severity.as_str() {
                "error" => "error",
                "warning" => "warning",
                _ => "note",
            };
            let mut res = json!({
                "ruleId": f.code,
                "ruleIndex": registry::ALL.iter().position(|x| x.info.code == f.code),
                "level": level,
                "message": {"text": f.message},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": uri}},
                }],
                "properties": {"image": r.path, "guestPath": f.path, "line": f.line, "verdict": r.verdict},
            });
            if let Some(p) = &f.path {
                let fq = match f.line {
                    Some(l) => format!("{p}:{l}"),
                    None => p.clone(),
                };
                res["locations"][0]["logicalLocations"] =
                    json!([{"name": p, "fullyQualifiedName": fq, "kind": "resource"}]);
            }
            if let Some(c) = r.change {
                res["baselineState"] = json!(match c {
                    Change::New => "new",
                    Change::Unchanged => "unchanged",
                    Change::Fixed | Change::Worse => "updated",
                });
            }
            let sep = if self.sarif_results == 0 { "" } else { ",\n" };
            self.sarif_results += 1;
            write!(self.dest, "{sep}{res}").map_err(io_err)?;
        }
        Ok(())
    }

    /// Write what comes after the records and put the output in place.
    pub fn finish(mut self, summary: &Summary) -> Result<(), String> {
        match self.format {
            Format::Jsonl => {}
            Format::Human => {
                for p in &summary.removed {
                    writeln!(self.dest, "removed        {p}").map_err(io_err)?;
                }
                write!(self.dest, "{}", summary.render()).map_err(io_err)?;
            }
            Format::Sarif => {
                let inv = json!([{
                    "executionSuccessful": summary.count(Verdict::Error) == 0,
                    "toolExecutionNotifications": self.notes,
                }]);
                let props = json!({"target": self.target, "summary": summary.to_json()});
                write!(
                    self.dest,
                    "\n],\"invocations\":{inv},\"properties\":{props}}}]}}\n"
                )
                .map_err(io_err)?;
            }
        }
        self.dest.commit()
    }
}

/// The human line of a record, for records worth a line (not ready, and not plain non-images).
pub fn human_line(r: &Record) -> Option<String> {
    let change = r
        .change
        .map(|c| format!(" [{}]", c.label()))
        .unwrap_or_default();
    let tail = match r.verdict {
        Verdict::Ready => return None,
        Verdict::Skipped if r.format.is_none() => return None,
        Verdict::Skipped => r.skipped.clone().unwrap_or_default(),
        Verdict::Error => r.error.clone().unwrap_or_default(),
        Verdict::ShouldBoot | Verdict::WillNotBoot => {
            let mut codes: Vec<&str> = Vec::new();
            for f in &r.findings {
                if !codes.contains(&f.code.as_str()) {
                    codes.push(&f.code);
                }
            }
            let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
            format!(
                "{}, {}: {}",
                plural(r.counts.errors, "error"),
                plural(r.counts.warnings, "warning"),
                codes.join(" ")
            )
        }
    };
    Some(format!(
        "{:<14} {}{change}  {tail}",
        r.verdict.label(),
        r.path
    ))
}

/// `file://` URI of an absolute path, percent-encoding what RFC 3986 does not allow in a path.
pub fn file_uri(path: &str) -> String {
    let mut s = String::from("file://");
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn uri_escapes() {
        assert_eq!(super::file_uri("/a b/c%.img"), "file:///a%20b/c%25.img");
    }
}
