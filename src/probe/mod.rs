//! Signature probing: what a volume holds (filesystem, swap, LVM, LUKS, RAID member…), with the
//! type names, UUIDs and labels `blkid` would report.
//!
//! Probes run in libblkid's order: RAID and volume-manager members first (an md or LVM member
//! must not be reported as the filesystem that happens to be visible inside it), then LUKS, then
//! filesystems. Labels are blkid's raw `LABEL` (not udev's `ID_FS_LABEL` with `_` for spaces);
//! bytes that are not UTF-8 become U+FFFD.

mod btrfs;
mod ext;
mod iso9660;
mod luks;
mod lvm;
mod md;
mod swap;
mod util;
mod vfat;
mod xfs;

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

type Prober = fn(&dyn ReadAt) -> io::Result<Option<Signature>>;

/// The probes, in the order libblkid tries them.
const PROBES: &[Prober] = &[
    md::probe,
    lvm::probe,
    luks::probe,
    vfat::probe,
    swap::probe,
    xfs::probe,
    ext::probe,
    iso9660::probe,
    btrfs::probe,
];

/// Identify what `dev` holds; `None` when no known signature is present.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    for p in PROBES {
        if let Some(sig) = p(dev)? {
            return Ok(Some(sig));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    #[test]
    fn tiny_and_empty_devices_are_none() {
        for n in [0usize, 1, 511, 512, 4096, 70000] {
            assert_eq!(probe(&MemDevice(vec![0; n])).unwrap(), None, "{n} bytes");
        }
    }
}
