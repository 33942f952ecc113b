//! Signature probing: what a volume holds (filesystem, swap, LVM, LUKS, RAID member…), with the
//! type names, UUIDs and labels `blkid` would report.

mod ext;

use crate::image::ReadAt;
use std::io;

/// How a signature is used, in blkid's terms (`ID_FS_USAGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Usage {
    Filesystem,
    Raid,
    Crypto,
    Other,
}

/// What a probe found on a volume.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Signature {
    /// blkid's `TYPE` (`ext4`, `vfat`, `swap`, `LVM2_member`, …).
    pub fs_type: String,
    pub usage: Usage,
    /// blkid's `UUID`, in blkid's spelling for the type.
    pub uuid: Option<String>,
    /// blkid's `LABEL`.
    pub label: Option<String>,
    /// blkid's `VERSION`, where the type has one.
    pub version: Option<String>,
}

/// Identify what `dev` holds; `None` when no known signature is present.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    ext::probe(dev)
}
