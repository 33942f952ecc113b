//! Writing guest data into qcow2 images, computed in memory as host-file writes.
//!
//! [`plan_host_writes`] turns guest writes (offsets in the virtual disk) into writes at host-file
//! offsets that the journaled raw writer applies (and undoes byte-for-byte, truncating back to
//! [`HostPlan::old_len`]). Clusters already allocated, uncompressed and unshared are written in
//! place; every other touched cluster is copied (its current guest content, read through the
//! backing chain, merged with the new bytes) into a new cluster appended to the file, with new L2
//! tables and refcount blocks as needed.
//!
//! [`create_overlay`] writes the guest writes into a new qcow2 v3 overlay backed by the untouched
//! original.
//!
//! Refused: dirty or corrupt images, lazy refcounts, external data files, extended L2 entries,
//! unknown incompatible features, encryption, internal snapshots, persistent dirty bitmaps, shared clusters (refcount
//! other than 1), a refcount table or L1 table that would have to grow, and writes past the
//! virtual size. Compressed clusters being replaced are handled: their host clusters' refcounts
//! are decremented (they may stay above zero when other compressed clusters share them).

mod header;
mod overlay;
mod planner;
mod refcount;
mod tables;

use super::Write;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Host-file writes realising guest writes in a qcow2 file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPlan {
    /// Writes at host-file offsets, to apply in order. Writes at or past `old_len` are new
    /// clusters.
    pub writes: Vec<Write>,
    /// The file length before the writes.
    pub old_len: u64,
    /// The file length after the writes (set it with `set_len`; undo truncates to `old_len`).
    pub new_len: u64,
}

/// Why guest writes cannot be put into a qcow2 image.
#[derive(Debug)]
pub enum Qcow2WriteError {
    /// A file could not be read or written.
    Io(PathBuf, io::Error),
    /// The image uses a feature or is in a state the writer does not handle.
    Refused(String),
    /// The image's metadata is inconsistent.
    Corrupt(String),
    /// A guest write does not fit the virtual disk.
    BadWrite(String),
    /// The overlay's output path already exists.
    Exists(PathBuf),
}

impl fmt::Display for Qcow2WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qcow2WriteError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            Qcow2WriteError::Refused(m) => write!(f, "cannot write this qcow2 image: {m}"),
            Qcow2WriteError::Corrupt(m) => write!(
                f,
                "qcow2 metadata is inconsistent: {m}; check it with `qemu-img check`"
            ),
            Qcow2WriteError::BadWrite(m) => write!(f, "{m}"),
            Qcow2WriteError::Exists(p) => write!(f, "{} already exists", p.display()),
        }
    }
}

impl std::error::Error for Qcow2WriteError {}

/// Compute the host-file writes that make the qcow2 image at `path` read back `guest` (applied
/// in order). Reads the file (and its backing chain, for copy-on-write), never writes.
pub fn plan_host_writes(path: &Path, guest: &[Write]) -> Result<HostPlan, Qcow2WriteError> {
    planner::plan(path, guest)
}

/// Create a new qcow2 v3 image at `output` backed by `base` (qcow2 or raw, left untouched),
/// of the same virtual size, holding `guest`. Refuses if `output` exists; builds the file
/// under a temporary name in the same directory, fsyncs it, then links it into place.
pub fn create_overlay(base: &Path, output: &Path, guest: &[Write]) -> Result<(), Qcow2WriteError> {
    overlay::create(base, output, guest)
}
