//! Putting writes on an image file — the only code that writes images. Every transaction is
//! journaled before its first byte is written, applied, synced, and only then marked applied.
//! An interrupted apply or undo is finished on the next run (roll forward), and undo verifies the
//! whole image region by region before it writes anything.

use super::journal::{self, Journal, Record, State, Transaction};
use crate::image::Write;
use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Why nothing (more) was written.
#[derive(Debug)]
pub enum PatchError {
    /// The image cannot be opened for writing.
    ReadOnly(String),
    /// Another process holds the image.
    Locked(String),
    /// The image no longer holds what the journal expects.
    Changed(String),
    /// The journal is missing, unreadable or damaged.
    Journal(String),
    /// The test failpoint stopped the run after this many writes (as a crash would).
    Interrupted(usize),
    Io(String),
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchError::ReadOnly(m) => write!(f, "{m}"),
            PatchError::Locked(m) => write!(f, "{m}"),
            PatchError::Changed(m) => write!(f, "{m}"),
            PatchError::Journal(m) => write!(f, "{m}"),
            PatchError::Interrupted(n) => write!(f, "stopped after {n} writes (failpoint)"),
            PatchError::Io(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for PatchError {}

fn io_err(what: &str) -> impl Fn(io::Error) -> PatchError + '_ {
    move |e| PatchError::Io(format!("{what}: {e}"))
}

/// An image file opened for writing and locked against other writers.
#[derive(Debug)]
pub struct Locked {
    file: File,
    image: PathBuf,
    journal: PathBuf,
    /// Writes still allowed before the failpoint fires (tests only).
    budget: Option<usize>,
    written: usize,
}

impl Locked {
    /// Open `image` read-write and take an exclusive lock; the journal lives at `journal`.
    pub fn open(image: &Path, journal: &Path) -> Result<Locked, PatchError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(image)
            .map_err(|e| match e.kind() {
                io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                    PatchError::ReadOnly(format!(
                "{} is read-only ({e}); copy it somewhere writable, or use --output OVERLAY.qcow2",
                image.display()
            ))
                }
                _ => PatchError::Io(format!("cannot open {} for writing: {e}", image.display())),
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(PatchError::Locked(format!(
                    "{} is in use by another process (it holds a lock); stop it and try again",
                    image.display()
                )))
            }
            Err(TryLockError::Error(e)) => {
                return Err(PatchError::Io(format!(
                    "cannot lock {}: {e}",
                    image.display()
                )))
            }
        }
        Ok(Locked {
            file,
            image: image.to_path_buf(),
            journal: journal.to_path_buf(),
            budget: None,
            written: 0,
        })
    }

    /// Stop (as a crash would: no sync, no journal update) after `n` writes. For tests.
    pub fn fail_after(&mut self, n: Option<usize>) {
        self.budget = n;
    }

    fn len(&self) -> Result<u64, PatchError> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(io_err("cannot stat the image"))
    }

    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, PatchError> {
        let mut b = vec![0u8; len];
        let size = self.len()?;
        let avail = size.saturating_sub(offset).min(len as u64) as usize;
        if avail > 0 {
            self.file
                .read_exact_at(&mut b[..avail], offset)
                .map_err(io_err("cannot read the image"))?;
        }
        Ok(b)
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), PatchError> {
        if self.budget == Some(self.written) {
            return Err(PatchError::Interrupted(self.written));
        }
        self.file
            .write_all_at(data, offset)
            .map_err(io_err("cannot write the image"))?;
        self.written += 1;
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> Result<(), PatchError> {
        if self.len()? == len {
            return Ok(());
        }
        if self.budget == Some(self.written) {
            return Err(PatchError::Interrupted(self.written));
        }
        self.file
            .set_len(len)
            .map_err(io_err("cannot resize the image"))?;
        self.written += 1;
        Ok(())
    }

    fn sync(&self) -> Result<(), PatchError> {
        self.file
            .sync_all()
            .map_err(io_err("cannot sync the image"))
    }

    fn load(&self) -> Result<Option<Journal>, PatchError> {
        Journal::load(&self.journal).map_err(|e| PatchError::Journal(e.to_string()))
    }

    fn store(&self, j: &Journal) -> Result<(), PatchError> {
        if j.transactions.is_empty() {
            return match journal::remove(&self.journal) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(PatchError::Journal(format!(
                    "cannot remove {}: {e}",
                    self.journal.display()
                ))),
            };
        }
        j.store(&self.journal).map_err(|e| {
            PatchError::Journal(format!("cannot write {}: {e}", self.journal.display()))
        })
    }

    /// Every byte of `r` on the image is its old or its new value (a write may have been torn).
    fn each_byte_old_or_new(&self, r: &Record) -> Result<bool, PatchError> {
        let cur = self.read(r.offset, r.new.len())?;
        Ok(cur
            .iter()
            .zip(r.old.iter().zip(&r.new))
            .all(|(c, (o, n))| c == o || c == n))
    }

    /// Finish a transaction an earlier run left half-done; says what it did.
    pub fn recover(&mut self) -> Result<Option<String>, PatchError> {
        let Some(mut j) = self.load()? else {
            return Ok(None);
        };
        let Some(t) = j.transactions.last().cloned() else {
            return Ok(None);
        };
        match t.state {
            State::Applied => Ok(None),
            State::Applying => {
                self.check_torn(&t)?;
                self.set_len(t.len_after)?;
                for r in &t.writes {
                    self.write(r.offset, &r.new)?;
                }
                self.sync()?;
                j.transactions.last_mut().expect("one").state = State::Applied;
                self.store(&j)?;
                Ok(Some(format!(
                    "completed fix #{} that an earlier run left unfinished",
                    t.id
                )))
            }
            State::Undoing => {
                self.check_torn(&t)?;
                self.revert(&mut j)?;
                Ok(Some(format!(
                    "completed the undo of fix #{} that an earlier run left unfinished",
                    t.id
                )))
            }
        }
    }

    fn check_torn(&self, t: &Transaction) -> Result<(), PatchError> {
        for r in &t.writes {
            if !self.each_byte_old_or_new(r)? {
                return Err(PatchError::Changed(format!(
                    "{}: bytes at offset {} are neither the journal's old nor its new contents; \
                     something else wrote to the image — restore it from a backup",
                    self.image.display(),
                    r.offset
                )));
            }
        }
        Ok(())
    }

    /// Journal and apply `writes` (image-file offsets), growing the file to `new_len` first.
    /// Returns the transaction number, or `None` when nothing differs.
    pub fn apply(
        &mut self,
        writes: &[Write],
        new_len: Option<u64>,
        codes: Vec<String>,
    ) -> Result<Option<u32>, PatchError> {
        let len_before = self.len()?;
        let len_after = new_len.unwrap_or(len_before).max(len_before);
        let mut records = Vec::new();
        for w in writes {
            let old = self.read(w.offset, w.data.len())?;
            if old != w.data {
                records.push(Record::new(w.offset, old, w.data.clone()));
            }
        }
        if records.is_empty() && len_after == len_before {
            return Ok(None);
        }
        let mut j = self.load()?.unwrap_or_else(|| Journal::new(&self.image));
        let id = j.transactions.last().map_or(1, |t| t.id + 1);
        j.transactions
            .push(Transaction::new(id, codes, len_before, len_after, records));
        self.store(&j)?;
        let t = j.transactions.last().expect("pushed").clone();
        self.set_len(len_after)?;
        for r in &t.writes {
            self.write(r.offset, &r.new)?;
        }
        self.sync()?;
        j.transactions.last_mut().expect("pushed").state = State::Applied;
        self.store(&j)?;
        Ok(Some(id))
    }

    /// Check, without writing, that undoing every transaction (newest first) finds each
    /// region holding exactly what the transaction wrote.
    fn verify_undo(&self, j: &Journal) -> Result<(), PatchError> {
        let last = j.transactions.last().expect("non-empty");
        if self.len()? != last.len_after {
            return Err(PatchError::Changed(format!(
                "{} is {} bytes, but the last fix left it at {}: the image changed since the fix; undo refused",
                self.image.display(),
                self.len()?,
                last.len_after
            )));
        }
        let mut overlay: HashMap<u64, u8> = HashMap::new();
        for t in j.transactions.iter().rev() {
            for r in &t.writes {
                let cur = self.read(r.offset, r.new.len())?;
                for (i, (&n, &o)) in r.new.iter().zip(&r.old).enumerate() {
                    let at = r.offset + i as u64;
                    let now = overlay.get(&at).copied().unwrap_or(cur[i]);
                    if now != n {
                        return Err(PatchError::Changed(format!(
                            "{}: byte {at} is not what fix #{} wrote: the image changed since the fix; undo refused",
                            self.image.display(),
                            t.id
                        )));
                    }
                    overlay.insert(at, o);
                }
            }
        }
        Ok(())
    }

    fn revert(&mut self, j: &mut Journal) -> Result<(), PatchError> {
        let t = j.transactions.last().expect("non-empty").clone();
        for r in t.writes.iter().rev() {
            let keep = t
                .len_before
                .saturating_sub(r.offset)
                .min(r.old.len() as u64) as usize;
            if keep > 0 {
                self.write(r.offset, &r.old[..keep])?;
            }
        }
        self.set_len(t.len_before)?;
        self.sync()?;
        j.transactions.pop();
        self.store(j)
    }

    /// Restore the image to its state before the first journaled fix, byte for byte.
    pub fn undo(&mut self) -> Result<usize, PatchError> {
        let Some(mut j) = self.load()? else {
            return Err(PatchError::Journal(format!(
                "no journal at {}: nothing to undo",
                self.journal.display()
            )));
        };
        if j.transactions.is_empty() {
            return Err(PatchError::Journal(
                "the journal holds no fix: nothing to undo".into(),
            ));
        }
        self.verify_undo(&j)?;
        let n = j.transactions.len();
        while let Some(t) = j.transactions.last_mut() {
            t.state = State::Undoing;
            self.store(&j)?;
            self.revert(&mut j)?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn setup(content: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let img = d.path().join("disk.img");
        fs::write(&img, content).unwrap();
        let j = journal::default_path(&img);
        (d, img, j)
    }

    fn writes() -> Vec<Write> {
        vec![
            Write {
                offset: 2,
                data: b"XY".to_vec(),
            },
            Write {
                offset: 10,
                data: b"Z".to_vec(),
            },
            Write {
                offset: 14,
                data: b"tail".to_vec(),
            },
        ]
    }

    #[test]
    fn apply_then_undo_restores_every_byte_and_the_length() {
        let (_d, img, j) = setup(b"0123456789abcdef");
        let mut l = Locked::open(&img, &j).unwrap();
        assert_eq!(
            l.apply(&writes(), Some(20), vec!["DEV001".into()]).unwrap(),
            Some(1)
        );
        assert_eq!(fs::read(&img).unwrap(), b"01XY456789Zbcdtail\0\0");
        let jr = Journal::load(&j).unwrap().unwrap();
        assert_eq!(jr.transactions[0].state, State::Applied);
        assert_eq!(
            l.apply(&writes(), None, vec![]).unwrap(),
            None,
            "nothing left to change"
        );
        assert_eq!(l.undo().unwrap(), 1);
        assert_eq!(fs::read(&img).unwrap(), b"0123456789abcdef");
        assert!(!j.exists(), "an empty journal is removed");
        assert!(matches!(l.undo(), Err(PatchError::Journal(_))));
    }

    #[test]
    fn a_crash_after_any_write_recovers_to_the_fixed_image() {
        let (_d, img, j) = setup(b"0123456789abcdef");
        let mut full = Locked::open(&img, &j).unwrap();
        full.apply(&writes(), Some(20), vec![]).unwrap();
        let fixed = fs::read(&img).unwrap();
        full.undo().unwrap();
        drop(full);
        for k in 0..5 {
            let mut l = Locked::open(&img, &j).unwrap();
            l.fail_after(Some(k));
            let r = l.apply(&writes(), Some(20), vec![]);
            if k < 4 {
                assert!(
                    matches!(r, Err(PatchError::Interrupted(n)) if n == k),
                    "{k}: {r:?}"
                );
                assert_eq!(
                    Journal::load(&j).unwrap().unwrap().transactions[0].state,
                    State::Applying
                );
            }
            drop(l);
            let mut again = Locked::open(&img, &j).unwrap();
            let did = again.recover().unwrap();
            assert_eq!(did.is_some(), k < 4);
            assert_eq!(fs::read(&img).unwrap(), fixed, "after a crash at write {k}");
            again.undo().unwrap();
            assert_eq!(fs::read(&img).unwrap(), b"0123456789abcdef");
        }
    }

    #[test]
    fn an_interrupted_undo_is_finished_next_time() {
        let (_d, img, j) = setup(b"0123456789abcdef");
        let mut l = Locked::open(&img, &j).unwrap();
        l.apply(&writes(), Some(20), vec![]).unwrap();
        l.fail_after(Some(l.written + 1));
        assert!(matches!(l.undo(), Err(PatchError::Interrupted(_))));
        drop(l);
        let mut l = Locked::open(&img, &j).unwrap();
        assert!(l.recover().unwrap().unwrap().contains("undo"));
        assert_eq!(fs::read(&img).unwrap(), b"0123456789abcdef");
    }

    #[test]
    fn stacked_fixes_undo_to_the_original() {
        let (_d, img, j) = setup(b"0123456789abcdef");
        let mut l = Locked::open(&img, &j).unwrap();
        l.apply(&writes(), None, vec![]).unwrap();
        l.apply(
            &[Write {
                offset: 3,
                data: b"QQQ".to_vec(),
            }],
            None,
            vec![],
        )
        .unwrap();
        assert_eq!(Journal::load(&j).unwrap().unwrap().transactions.len(), 2);
        assert_eq!(l.undo().unwrap(), 2);
        assert_eq!(fs::read(&img).unwrap(), b"0123456789abcdef");
    }

    #[test]
    fn undo_refuses_an_image_changed_since_the_fix_and_writes_nothing() {
        let (_d, img, j) = setup(b"0123456789abcdef");
        let mut l = Locked::open(&img, &j).unwrap();
        l.apply(&writes(), None, vec![]).unwrap();
        drop(l);
        let f = OpenOptions::new().write(true).open(&img).unwrap();
        f.write_all_at(b"!", 3).unwrap();
        let before = fs::read(&img).unwrap();
        let mut l = Locked::open(&img, &j).unwrap();
        assert!(matches!(l.undo(), Err(PatchError::Changed(_))));
        assert_eq!(fs::read(&img).unwrap(), before);
        assert!(matches!(l.recover(), Ok(None)));
    }

    #[test]
    fn recovery_refuses_foreign_bytes() {
        let (_d, img, j) = setup(b"0123456789abcdef");
        let mut l = Locked::open(&img, &j).unwrap();
        l.fail_after(Some(1));
        let _ = l.apply(&writes(), None, vec![]);
        drop(l);
        let f = OpenOptions::new().write(true).open(&img).unwrap();
        f.write_all_at(b"?", 10).unwrap();
        let mut l = Locked::open(&img, &j).unwrap();
        assert!(matches!(l.recover(), Err(PatchError::Changed(_))));
        assert_eq!(fs::read(&img).unwrap()[10], b'?');
    }

    #[test]
    fn read_only_and_locked_images_are_refused() {
        let (_d, img, j) = setup(b"0123456789abcdef");
        let held = Locked::open(&img, &j).unwrap();
        assert!(matches!(Locked::open(&img, &j), Err(PatchError::Locked(_))));
        drop(held);
        let mut perm = fs::metadata(&img).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o444);
        fs::set_permissions(&img, perm).unwrap();
        let root = running_as_root();
        match Locked::open(&img, &j) {
            Err(PatchError::ReadOnly(m)) => assert!(m.contains("read-only")),
            Ok(_) if root => {} // root may write a 0444 file
            other => panic!("{other:?}"),
        }
    }

    /// Whether this process can write a file it has made read-only (true for root).
    fn running_as_root() -> bool {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("probe");
        fs::write(&p, b"x").unwrap();
        let mut perm = fs::metadata(&p).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o444);
        fs::set_permissions(&p, perm).unwrap();
        OpenOptions::new().write(true).open(&p).is_ok()
    }
}
