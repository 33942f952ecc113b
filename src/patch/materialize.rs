//! Turn a fix plan into block writes on the guest disk, without writing anything.
//!
//! Per volume: an ext2/3/4 filesystem gets one [`ExtWriter`] doing every change of that volume
//! in its copy-on-write overlay; a FAT filesystem is edited through `fatfs` over a copy-on-write
//! stream (existing files only: no file or directory is created). Any other filesystem is
//! refused. The writes are the bytes that differ from the disk as it is, as disk offsets, in
//! offset order. One refusal refuses the whole plan: there is never a partial result.

use crate::fix::{Change, FileChange, Plan};
use crate::fs::ext::write::ExtWriter;
use crate::guest::volume::Volume;
use crate::guest::Guest;
use crate::image::{Device, Write};
use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom, Write as IoWrite};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The writes that apply `plan` to the disk of `guest`, stamped `now` (seconds since the epoch)
/// where a filesystem records times; `Err(why)` when any change cannot be made safely.
pub fn materialize(guest: &Guest, plan: &Plan, now: u32) -> Result<Vec<Write>, String> {
    let mut by_volume: BTreeMap<usize, Vec<&FileChange>> = BTreeMap::new();
    for f in &plan.files {
        by_volume.entry(f.volume).or_default().push(f);
    }
    let mut writes = Vec::new();
    for (v, changes) in by_volume {
        let vol = guest
            .volumes
            .get(v)
            .ok_or_else(|| format!("volume {v} does not exist"))?;
        let changed = match vol.fs_type() {
            Some("ext2" | "ext3" | "ext4") => ext_changes(vol, &changes, now)?,
            Some("vfat") => fat_changes(vol, &changes, now)?,
            other => {
                return Err(format!(
                    "{}: {} is not a filesystem pv2hvm writes ({})",
                    changes[0].path,
                    vol.label(),
                    other.unwrap_or("no filesystem found")
                ))
            }
        };
        for (off, data) in changed {
            let orig = crate::image::read_vec(vol.device.as_ref(), off, data.len())
                .map_err(|e| format!("{}: cannot read the disk: {e}", vol.label()))?;
            writes.extend(differing(vol.start + off, &orig, &data));
        }
    }
    writes.sort_by_key(|w| w.offset);
    Ok(writes)
}

/// The runs of `new` that differ from `old`, as writes at `base + position`.
fn differing(base: u64, old: &[u8], new: &[u8]) -> Vec<Write> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < new.len() {
        if old.get(i) == Some(&new[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < new.len() && old.get(i) != Some(&new[i]) {
            i += 1;
        }
        out.push(Write {
            offset: base + start as u64,
            data: new[start..i].to_vec(),
        });
    }
    out
}

fn split(fs_path: &str) -> (&str, &str) {
    match fs_path.rsplit_once('/') {
        Some(("", name)) => ("/", name),
        Some((dir, name)) => (dir, name),
        None => ("/", fs_path),
    }
}

fn ext_changes(
    vol: &Volume,
    changes: &[&FileChange],
    now: u32,
) -> Result<Vec<(u64, Vec<u8>)>, String> {
    let refuse = |path: &str, e: &dyn std::fmt::Display| format!("{path}: {e}");
    let mut w =
        ExtWriter::new(vol.device.clone(), now).map_err(|e| refuse(&changes[0].path, &e))?;
    for c in changes {
        let (dir, name) = split(&c.fs_path);
        let r = match &c.after {
            Change::Replace(content) => w.write_file(&c.fs_path, content),
            Change::Create { content, mode } => w.create_file(dir, name, content, *mode, 0, 0),
            Change::Symlink(target) => w.create_symlink(dir, name, target),
        };
        r.map_err(|e| refuse(&c.path, &e))?;
    }
    Ok(w.finish())
}

/// Sector size of the copy-on-write stream.
const SECTOR: u64 = 512;

/// A read-write stream over a device that keeps every write in memory.
struct CowStream {
    dev: Device,
    pos: u64,
    sectors: BTreeMap<u64, Vec<u8>>,
}

impl CowStream {
    fn sector(&self, n: u64) -> io::Result<Vec<u8>> {
        if let Some(s) = self.sectors.get(&n) {
            return Ok(s.clone());
        }
        let off = n * SECTOR;
        let len = SECTOR.min(self.dev.size().saturating_sub(off)) as usize;
        let mut buf = vec![0u8; len];
        self.dev.read_at(off, &mut buf)?;
        Ok(buf)
    }
}

impl Read for CowStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.dev.size();
        if self.pos >= size || buf.is_empty() {
            return Ok(0);
        }
        let n = self.pos / SECTOR;
        let within = (self.pos % SECTOR) as usize;
        let s = self.sector(n)?;
        let len = buf.len().min(s.len() - within);
        buf[..len].copy_from_slice(&s[within..within + len]);
        self.pos += len as u64;
        Ok(len)
    }
}

impl IoWrite for CowStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let size = self.dev.size();
        if self.pos >= size {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "write past the end of the volume",
            ));
        }
        let n = self.pos / SECTOR;
        let within = (self.pos % SECTOR) as usize;
        let mut s = self.sector(n)?;
        let len = buf.len().min(s.len() - within);
        s[within..within + len].copy_from_slice(&buf[..len]);
        self.sectors.insert(n, s);
        self.pos += len as u64;
        Ok(len)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for CowStream {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let size = self.dev.size() as i128;
        let p = match to {
            SeekFrom::Start(o) => o as i128,
            SeekFrom::End(d) => size + d as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if p < 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "seek before 0"));
        }
        self.pos = p as u64;
        Ok(self.pos)
    }
}

/// FAT's clock for the files it touches: a fixed time.
#[derive(Debug)]
struct FixedTime(fatfs::DateTime);

impl fatfs::TimeProvider for FixedTime {
    fn get_current_date(&self) -> fatfs::Date {
        self.0.date
    }
    fn get_current_date_time(&self) -> fatfs::DateTime {
        self.0
    }
}

/// `now` (UTC) as a FAT date and time (FAT dates start in 1980).
fn fat_time(now: u32) -> fatfs::DateTime {
    let days = (now / 86_400) as i64;
    let secs = now % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (year, month, day) = if year < 1980 {
        (1980, 1, 1)
    } else {
        (year, month, day)
    };
    fatfs::DateTime {
        date: fatfs::Date {
            year: year.min(2107) as u16,
            month: month as u16,
            day: day as u16,
        },
        time: fatfs::Time {
            hour: (secs / 3600) as u16,
            min: (secs / 60 % 60) as u16,
            sec: (secs % 60) as u16,
            millis: 0,
        },
    }
}

fn fat_changes(
    vol: &Volume,
    changes: &[&FileChange],
    now: u32,
) -> Result<Vec<(u64, Vec<u8>)>, String> {
    for c in changes {
        if !matches!(c.after, Change::Replace(_)) {
            return Err(format!(
                "{}: creating files on a FAT filesystem is not done",
                c.path
            ));
        }
    }
    let clock: &'static FixedTime = Box::leak(Box::new(FixedTime(fat_time(now))));
    let mut stream = CowStream {
        dev: vol.device.clone(),
        pos: 0,
        sectors: BTreeMap::new(),
    };
    let run = |stream: &mut CowStream| -> io::Result<()> {
        let fs = fatfs::FileSystem::new(stream, fatfs::FsOptions::new().time_provider(clock))?;
        for c in changes {
            let Change::Replace(content) = &c.after else {
                continue;
            };
            let mut f = fs.root_dir().open_file(c.fs_path.trim_start_matches('/'))?;
            f.truncate()?;
            f.write_all(content)?;
            f.flush()?;
        }
        // Clears the dirty flag fatfs set on the first write and updates FSInfo.
        fs.unmount()
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| run(&mut stream)));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("{}: FAT write failed: {e}", changes[0].path)),
        Err(_) => {
            return Err(format!(
                "{}: the FAT writer failed on this volume",
                changes[0].path
            ))
        }
    }
    Ok(stream
        .sectors
        .into_iter()
        .map(|(n, data)| (n * SECTOR, data))
        .collect())
}
