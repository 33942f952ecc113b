//! Filesystem readers behind one small trait: ext2/3/4 (through `ext4-view`, with our own
//! superblock parse and in-memory journal replay) and FAT (through `fatfs`).
//!
//! Paths are absolute inside the filesystem (`/etc/fstab`) and never follow symlinks: the guest
//! view resolves symlinks itself, across mounts.

pub mod ext;
pub mod fat;

use std::fmt;
use std::io::Read;

/// Largest file `read_file` callers normally accept (config files, small scripts).
pub const DEFAULT_READ_LIMIT: u64 = 16 * 1024 * 1024;

/// What kind of object a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    /// Device node, fifo or socket.
    Special,
}

/// Metadata of one path, not following a final symlink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub kind: FileKind,
    pub len: u64,
    /// Permission bits (and type bits where the filesystem has them).
    pub mode: u32,
    /// Modification time, seconds since the epoch (0 when unknown).
    pub mtime: i64,
}

/// One entry of a directory listing (never `.` or `..`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub kind: FileKind,
}

/// Why a filesystem operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsError {
    NotFound,
    NotADirectory,
    IsADirectory,
    NotASymlink,
    /// A file is larger than the caller's cap: it was not read.
    TooLarge {
        len: u64,
        limit: u64,
    },
    /// The on-disk structures are damaged.
    Corrupt(String),
    /// The filesystem uses something the reader cannot follow (encryption, a feature…).
    Unsupported(String),
    /// The underlying image could not be read.
    Io(String),
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsError::NotFound => write!(f, "no such file or directory"),
            FsError::NotADirectory => write!(f, "not a directory"),
            FsError::IsADirectory => write!(f, "is a directory"),
            FsError::NotASymlink => write!(f, "not a symbolic link"),
            FsError::TooLarge { len, limit } => write!(
                f,
                "file claims {len} bytes, more than the {limit}-byte limit; not read"
            ),
            FsError::Corrupt(m) => write!(f, "filesystem is damaged: {m}"),
            FsError::Unsupported(m) => write!(f, "not supported: {m}"),
            FsError::Io(m) => write!(f, "read error: {m}"),
        }
    }
}

impl std::error::Error for FsError {}

/// Read-only access to one mounted filesystem. Not `Send`: one instance per thread.
pub trait FileSystem {
    /// Metadata of `path`, not following a final symlink.
    fn symlink_metadata(&self, path: &str) -> Result<Meta, FsError>;
    /// Target of the symlink at `path`, as stored.
    fn read_link(&self, path: &str) -> Result<String, FsError>;
    /// Entries of the directory at `path`, sorted by name.
    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError>;
    /// Whole contents of the regular file at `path`, refused with `TooLarge` above `limit`.
    fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError>;
    /// A streaming reader over the regular file at `path` (for large files such as initramfs).
    fn open_file(&self, path: &str) -> Result<Box<dyn Read + '_>, FsError>;
}
