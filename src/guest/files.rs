//! The read interface of an assembled guest: absolute guest paths, symlinks followed inside the
//! guest across its mounts. Inventory and (later) rules read the guest only through this.

use crate::fs::{DirEntry, FsError, Meta};
use std::io::Read;

/// Read access to the guest's file tree as its own OS would see it once mounted.
pub trait GuestFiles {
    /// Metadata of `path` after following every symlink (also the final one).
    fn metadata(&self, path: &str) -> Result<Meta, FsError>;
    /// Metadata of `path`, following symlinks in the directories but not a final one.
    fn symlink_metadata(&self, path: &str) -> Result<Meta, FsError>;
    /// Target of the symlink at `path`, as stored.
    fn read_link(&self, path: &str) -> Result<String, FsError>;
    /// Entries of the directory at `path` (symlinks followed), sorted by name.
    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError>;
    /// Contents of the file at `path` (symlinks followed), refused above `limit` bytes.
    fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError>;
    /// A streaming reader over the file at `path` (symlinks followed).
    fn open_file(&self, path: &str) -> Result<Box<dyn Read + '_>, FsError>;
    /// The canonical guest path of `path`: every symlink resolved, `.`/`..` removed.
    fn canonicalize(&self, path: &str) -> Result<String, FsError>;

    /// `true` when `path` exists (after following symlinks).
    fn exists(&self, path: &str) -> bool {
        self.metadata(path).is_ok()
    }
    /// The file at `path` as text (invalid UTF-8 replaced), capped at the default limit.
    fn read_text(&self, path: &str) -> Result<String, FsError> {
        let bytes = self.read_file(path, crate::fs::DEFAULT_READ_LIMIT)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
