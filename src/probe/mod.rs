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

    /// Random bytes with every probe's magic planted: whatever comes out, nothing may panic or
    /// fail, at any device size.
    #[test]
    fn planted_magics_in_noise_never_panic() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let plants: &[(usize, &[u8])] = &[
            (0, b"XFSB"),
            (0, b"LUKS\xba\xbe"),
            (0, &[0xEB]),
            (0x36, b"FAT16   "),
            (0x1fe, &[0x55, 0xAA]),
            (512, b"LABELONE"),
            (512 + 0x18, b"LVM2 001"),
            (1024 + 0x38, &[0x53, 0xEF]),
            (4096, &[0xfc, 0x4e, 0x2b, 0xa9]),
            (4086, b"SWAPSPACE2"),
            (0x8001, b"CD001"),
            (0x10040, b"_BHRfS_M"),
        ];
        for round in 0..300 {
            let size = [600usize, 5000, 40960, 0x9000, 0x11000, 0x20000][round % 6];
            let mut d: Vec<u8> = (0..size).map(|_| rnd() as u8).collect();
            for &(off, m) in plants {
                if off + m.len() <= size && rnd() % 2 == 0 {
                    d[off..off + m.len()].copy_from_slice(m);
                }
            }
            if size > 0x8000 && rnd() % 2 == 0 {
                d[0x8000] = 1; // primary volume descriptor type
            }
            assert!(probe(&MemDevice(d)).is_ok());
        }
    }

    #[test]
    fn tiny_and_empty_devices_are_none() {
        for n in [0usize, 1, 511, 512, 4096, 70000] {
            assert_eq!(probe(&MemDevice(vec![0; n])).unwrap(), None, "{n} bytes");
        }
    }
}
