//! ext2/3/4: our own on-disk parsing (superblock, group descriptors, inodes, block mapping,
//! jbd2 journal replay) under `ext4-view`.
//!
//! [`ExtFs::open`] parses the superblock itself, replays the journal in memory when the
//! filesystem needs recovery (see [`journal`]), and hands `ext4-view` an [`overlay::Overlay`]
//! that serves the replayed blocks and a superblock with `needs_recovery` cleared. `ext4-view`
//! alone refuses a dirty ext3, or a dirty ext4 whose journal lacks 64bit + csum_v3; through the
//! overlay it reads what the kernel would see after mounting.
//!
//! Every call into `ext4-view` is guarded: sizes are checked before anything is read into
//! memory, and a panic inside the crate becomes an error instead of aborting the audit.

pub mod blockmap;
pub mod error;
pub mod extent;
pub mod group_desc;
pub mod inode;
pub mod journal;
pub mod overlay;
pub mod superblock;
pub mod write;

use std::fmt;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use ext4_view::{Ext4, Ext4Error, FileType};

use crate::fs::{DirEntry, FileKind, FileSystem, FsError, Meta};
use crate::image::Device;
pub use error::ExtError;
use journal::Replay;
use overlay::Overlay;
use superblock::{incompat, ExtKind, Superblock, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};

/// Longest symlink target read (PATH_MAX): a larger claimed size is damage.
const MAX_SYMLINK_LEN: u64 = 4096;
/// Most entries one directory listing may return.
const MAX_DIR_ENTRIES: usize = 1 << 20;

/// What happened to the journal when the filesystem was opened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum JournalState {
    /// The filesystem has no journal (ext2).
    NoJournal,
    /// The journal needs no recovery.
    Clean,
    /// `needs_recovery` was set and the journal was replayed in memory.
    Replayed {
        /// Committed transactions replayed.
        transactions: u32,
        /// Distinct filesystem blocks replaced.
        blocks: u64,
        /// Logged copies skipped because a later revoke record covers them.
        revoked: u64,
        /// Sequence of the first transaction replayed.
        first_seq: u32,
        /// Sequence of the last transaction replayed (`first_seq - 1` when there was none).
        last_seq: u32,
        /// Anything unusual met (a torn last transaction, checksum failures…).
        notes: Vec<String>,
    },
    /// `needs_recovery` was set but the journal could not be replayed: the on-disk state is
    /// shown, which may miss the last writes before the crash.
    RecoveryNeededButUnreadable(String),
}

impl fmt::Display for JournalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalState::NoJournal => write!(f, "no journal"),
            JournalState::Clean => write!(f, "clean"),
            JournalState::Replayed {
                transactions,
                blocks,
                first_seq,
                last_seq,
                ..
            } => write!(
                f,
                "replayed in memory: {transactions} transaction(s) {first_seq}..={last_seq}, \
                 {blocks} block(s)"
            ),
            JournalState::RecoveryNeededButUnreadable(why) => write!(
                f,
                "needs recovery but the journal cannot be replayed ({why}); showing the on-disk \
                 state, which may lack the last writes"
            ),
        }
    }
}

/// Broad class of an open failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtOpenErrorKind {
    /// The device could not be read.
    Io,
    /// No ext2/3/4 superblock.
    NotExt,
    /// An external journal device, not a filesystem.
    JournalDevice,
    /// A feature `ext4-view` cannot read.
    Unsupported,
    /// Damaged metadata.
    Corrupt,
}

/// Why an ext filesystem could not be opened, with whatever its superblock told us.
#[derive(Debug, Clone)]
pub struct ExtOpenError {
    pub kind: ExtOpenErrorKind,
    /// The exact reason, in words.
    pub reason: String,
    /// The on-disk superblock, when it could be parsed.
    pub superblock: Option<Box<Superblock>>,
    /// What was done with the journal before the failure, when it got that far.
    pub journal_state: Option<JournalState>,
}

impl ExtOpenError {
    fn new(kind: ExtOpenErrorKind, reason: impl Into<String>, sb: Option<&Superblock>) -> Self {
        ExtOpenError {
            kind,
            reason: reason.into(),
            superblock: sb.cloned().map(Box::new),
            journal_state: None,
        }
    }
}

/// One line on what a superblock says: kind, UUID, label, state, features.
pub fn describe_superblock(sb: &Superblock) -> String {
    format!(
        "{} UUID {} label {:?}, {}, {} KiB blocks, features: {}",
        sb.kind().name(),
        sb.uuid_string(),
        sb.label(),
        if sb.is_clean() {
            "cleanly unmounted"
        } else {
            "not cleanly unmounted"
        },
        sb.block_size() / 1024,
        sb.feature_names().join(" ")
    )
}

impl fmt::Display for ExtOpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reason)?;
        if let Some(sb) = &self.superblock {
            write!(f, "; superblock says {}", describe_superblock(sb))?;
        }
        if let Some(j) = &self.journal_state {
            write!(f, "; journal: {j}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExtOpenError {}

/// An opened ext2/3/4 filesystem (journal replayed in memory when needed). Not `Send`.
pub struct ExtFs {
    fs: Ext4,
    superblock: Superblock,
    effective: Superblock,
    journal: JournalState,
    overlay: Overlay,
}

/// Incompat features `ext4-view` refuses, with their names.
const REFUSED: &[(u32, &str)] = &[
    (incompat::COMPRESSION, "compression"),
    (incompat::META_BG, "meta_bg"),
    (incompat::MMP, "mmp"),
    (incompat::EA_INODE, "ea_inode"),
    (incompat::DIRDATA, "dirdata"),
    (incompat::LARGEDIR, "large_dir"),
    (incompat::INLINE_DATA, "inline_data"),
    (incompat::CASEFOLD, "casefold"),
];

/// Run `f`, turning a panic into `Err(message)`.
///
/// A last resort around `ext4-view`: its state is only read through `&self` and a `RefCell`
/// whose borrow is released during unwinding, so continuing after a caught panic is sound.
fn no_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        format!("ext4-view panicked: {msg}")
    })
}

impl ExtFs {
    /// Open the filesystem on `dev` (starting at byte 0 of `dev`).
    pub fn open(dev: Device) -> Result<ExtFs, ExtOpenError> {
        use ExtOpenErrorKind as K;
        let mut raw = vec![0u8; SUPERBLOCK_SIZE];
        dev.read_at(SUPERBLOCK_OFFSET, &mut raw).map_err(|e| {
            ExtOpenError::new(K::Io, format!("cannot read the superblock: {e}"), None)
        })?;
        let sb = Superblock::parse(&raw)
            .map_err(|e| ExtOpenError::new(K::NotExt, e.to_string(), None))?;
        if sb.kind() == ExtKind::Jbd {
            return Err(ExtOpenError::new(
                K::JournalDevice,
                "this is an external journal device, not a filesystem",
                Some(&sb),
            ));
        }

        let (state, replay) = if !sb.has_journal() && !sb.needs_recovery() {
            (JournalState::NoJournal, None)
        } else if !sb.needs_recovery() {
            (JournalState::Clean, None)
        } else {
            match journal::replay(&*dev, &sb) {
                Ok(r) => (
                    JournalState::Replayed {
                        transactions: r.transactions,
                        blocks: r.len() as u64,
                        revoked: r.revoked,
                        first_seq: r.first_seq,
                        last_seq: r.end_seq.wrapping_sub(1),
                        notes: r.notes.clone(),
                    },
                    Some(Arc::new(r)),
                ),
                Err(e) => (
                    JournalState::RecoveryNeededButUnreadable(e.to_string()),
                    None,
                ),
            }
        };
        match Self::load(dev.clone(), &sb, replay.clone(), state) {
            Ok(fs) => Ok(fs),
            // The replayed state does not load: fall back to the on-disk state and say why.
            Err(e) if replay.is_some() && e.kind != K::Io => {
                let state = JournalState::RecoveryNeededButUnreadable(format!(
                    "the replayed state cannot be read: {}",
                    e.reason
                ));
                Self::load(dev, &sb, None, state)
            }
            Err(e) => Err(e),
        }
    }

    fn load(
        dev: Device,
        sb: &Superblock,
        replay: Option<Arc<Replay>>,
        journal: JournalState,
    ) -> Result<ExtFs, ExtOpenError> {
        use ExtOpenErrorKind as K;
        let fail = |kind, reason: String| ExtOpenError {
            kind,
            reason,
            superblock: Some(Box::new(sb.clone())),
            journal_state: Some(journal.clone()),
        };
        let overlay = Overlay::new(dev.clone(), replay)
            .map_err(|e| fail(K::Io, format!("cannot read the superblock: {e}")))?;
        let effective = Superblock::parse(overlay.superblock_bytes())
            .map_err(|e| fail(K::Corrupt, format!("replayed superblock: {e}")))?;
        for &(bit, name) in REFUSED {
            if effective.feature_incompat & bit != 0 {
                return Err(fail(
                    K::Unsupported,
                    format!("ext4-view cannot read filesystems with {name}"),
                ));
            }
        }
        if effective.feature_incompat & incompat::FILETYPE == 0 {
            return Err(fail(
                K::Unsupported,
                "ext4-view cannot read filesystems without the filetype feature".into(),
            ));
        }
        // ext4-view allocates one entry per group descriptor up front: make sure the table
        // fits in the device before it tries.
        let table = effective
            .group_count()
            .saturating_mul(effective.group_desc_size() as u64);
        if effective.group_count() > u32::MAX as u64 || table > dev.size() {
            return Err(fail(
                K::Corrupt,
                format!(
                    "{} block groups cannot fit their descriptors in a {}-byte device",
                    effective.group_count(),
                    dev.size()
                ),
            ));
        }
        let reader = Box::new(overlay.clone());
        let fs = match no_panic(|| Ext4::load(reader)) {
            Err(p) => return Err(fail(K::Corrupt, p)),
            Ok(Err(e)) => {
                let kind = match &e {
                    Ext4Error::Io(_) => K::Io,
                    Ext4Error::Incompatible(_) => K::Unsupported,
                    _ => K::Corrupt,
                };
                return Err(fail(kind, format!("ext4-view cannot load it: {e}")));
            }
            Ok(Ok(fs)) => fs,
        };
        Ok(ExtFs {
            fs,
            superblock: sb.clone(),
            effective,
            journal,
            overlay,
        })
    }

    /// The superblock as it is on disk (with `needs_recovery` if the guest crashed).
    pub fn superblock(&self) -> &Superblock {
        &self.superblock
    }
    /// The superblock ext4-view reads: after replay, `needs_recovery` cleared.
    pub fn effective_superblock(&self) -> &Superblock {
        &self.effective
    }
    /// What happened to the journal.
    pub fn journal_state(&self) -> &JournalState {
        &self.journal
    }
    /// The journal replay applied, if any: which blocks it replaced and where from.
    pub fn replay(&self) -> Option<&Replay> {
        self.overlay.replay()
    }
    /// The device as ext4-view sees it (replayed blocks applied), for our own parsers.
    pub fn view(&self) -> &Overlay {
        &self.overlay
    }
    /// The underlying `ext4-view` handle.
    pub fn ext4(&self) -> &Ext4 {
        &self.fs
    }

    fn guarded<T>(&self, f: impl FnOnce(&Ext4) -> Result<T, Ext4Error>) -> Result<T, FsError> {
        match no_panic(|| f(&self.fs)) {
            Ok(r) => r.map_err(map_err),
            Err(p) => Err(FsError::Corrupt(p)),
        }
    }
}

/// Translate an `ext4-view` error.
pub fn map_err(e: Ext4Error) -> FsError {
    match e {
        Ext4Error::NotFound => FsError::NotFound,
        Ext4Error::NotADirectory => FsError::NotADirectory,
        Ext4Error::IsADirectory => FsError::IsADirectory,
        Ext4Error::NotASymlink => FsError::NotASymlink,
        Ext4Error::IsASpecialFile => {
            FsError::Unsupported("a device node, fifo or socket has no contents".into())
        }
        Ext4Error::Encrypted => FsError::Unsupported("the file is encrypted (fscrypt)".into()),
        Ext4Error::Io(err) => FsError::Io(err.to_string()),
        Ext4Error::Incompatible(i) => FsError::Unsupported(i.to_string()),
        Ext4Error::Corrupt(c) => FsError::Corrupt(c.to_string()),
        Ext4Error::FileTooLarge => FsError::Corrupt("a file claims an impossible size".into()),
        other => FsError::Unsupported(format!("ext4-view: {other}")),
    }
}

fn kind_of(t: FileType) -> FileKind {
    match t {
        FileType::Regular => FileKind::File,
        FileType::Directory => FileKind::Dir,
        FileType::Symlink => FileKind::Symlink,
        _ => FileKind::Special,
    }
}

fn type_bits(t: FileType) -> u32 {
    match t {
        FileType::Fifo => 0o010000,
        FileType::CharacterDevice => 0o020000,
        FileType::Directory => 0o040000,
        FileType::BlockDevice => 0o060000,
        FileType::Regular => 0o100000,
        FileType::Symlink => 0o120000,
        FileType::Socket => 0o140000,
    }
}

impl ExtFs {
    /// Metadata of a path that must be a regular file (final symlinks are not followed).
    fn regular_file(&self, path: &str) -> Result<Meta, FsError> {
        let m = self.symlink_metadata(path)?;
        match m.kind {
            FileKind::File => Ok(m),
            FileKind::Dir => Err(FsError::IsADirectory),
            FileKind::Symlink => Err(FsError::Unsupported(
                "the path is a symbolic link; resolve it first".into(),
            )),
            FileKind::Special => Err(FsError::Unsupported(
                "a device node, fifo or socket has no contents".into(),
            )),
        }
    }
}

impl FileSystem for ExtFs {
    fn symlink_metadata(&self, path: &str) -> Result<Meta, FsError> {
        let m = self.guarded(|fs| fs.symlink_metadata(path))?;
        let t = m.file_type();
        Ok(Meta {
            kind: kind_of(t),
            len: m.len(),
            mode: type_bits(t) | m.mode() as u32,
            mtime: m.modified().seconds(),
        })
    }

    fn read_link(&self, path: &str) -> Result<String, FsError> {
        let m = self.symlink_metadata(path)?;
        if m.kind != FileKind::Symlink {
            return Err(FsError::NotASymlink);
        }
        if m.len > MAX_SYMLINK_LEN {
            return Err(FsError::Corrupt(format!(
                "symlink {path} claims a {}-byte target",
                m.len
            )));
        }
        let target = self.guarded(|fs| fs.read_link(path))?;
        Ok(String::from_utf8_lossy(target.as_ref()).into_owned())
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        match self.symlink_metadata(path)?.kind {
            FileKind::Dir => {}
            _ => return Err(FsError::NotADirectory),
        }
        let mut out = self.guarded(|fs| {
            let mut v = Vec::new();
            for entry in fs.read_dir(path)? {
                let entry = entry?;
                let name = entry.file_name();
                let name = String::from_utf8_lossy(name.as_ref()).into_owned();
                if name == "." || name == ".." {
                    continue;
                }
                if v.len() >= MAX_DIR_ENTRIES {
                    return Err(Ext4Error::FileTooLarge);
                }
                v.push(DirEntry {
                    name,
                    kind: kind_of(entry.file_type()?),
                });
            }
            Ok(v)
        })?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let m = self.regular_file(path)?;
        if m.len > limit {
            return Err(FsError::TooLarge { len: m.len, limit });
        }
        // Read through a stream into a buffer sized by the (checked) length.
        let mut file = self.guarded(|fs| fs.open(path))?;
        let mut out = vec![0u8; m.len as usize];
        let mut done = 0;
        while done < out.len() {
            let n = self.guarded(|_| file.read_bytes(&mut out[done..]))?;
            if n == 0 {
                break;
            }
            done += n;
        }
        out.truncate(done);
        Ok(out)
    }

    fn open_file(&self, path: &str) -> Result<Box<dyn Read + '_>, FsError> {
        self.regular_file(path)?;
        let file = self.guarded(|fs| fs.open(path))?;
        Ok(Box::new(GuardedFile(file)))
    }
}

/// An `ext4-view` file whose reads cannot panic the caller.
struct GuardedFile(ext4_view::File);

impl Read for GuardedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match no_panic(|| self.0.read_bytes(buf)) {
            Ok(r) => r.map_err(|e| std::io::Error::other(map_err(e).to_string())),
            Err(p) => Err(std::io::Error::other(p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    #[test]
    fn not_ext_is_reported() {
        let e = ExtFs::open(Arc::new(MemDevice(vec![0u8; 4096])))
            .err()
            .unwrap();
        assert_eq!(e.kind, ExtOpenErrorKind::NotExt);
        assert!(e.superblock.is_none());
        let e = ExtFs::open(Arc::new(MemDevice(vec![0u8; 100])))
            .err()
            .unwrap();
        assert_eq!(e.kind, ExtOpenErrorKind::Io);
    }

    #[test]
    fn panics_become_errors() {
        let r: Result<(), String> = no_panic(|| panic!("boom"));
        assert!(r.unwrap_err().contains("boom"));
    }

    #[test]
    fn journal_state_text() {
        let s = JournalState::Replayed {
            transactions: 2,
            blocks: 5,
            revoked: 0,
            first_seq: 3,
            last_seq: 4,
            notes: vec![],
        };
        assert!(s.to_string().contains("2 transaction(s) 3..=4"));
    }
}
