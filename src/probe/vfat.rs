//! FAT12/16/32 (`vfat`): validates the boot sector the way libblkid does, and reports the volume
//! serial as UUID, the root-directory volume label as LABEL and FAT12/FAT16/FAT32 as VERSION.
//!
//! As in blkid, only the volume-label entry of the root directory becomes the label; the copy in
//! the boot sector (blkid's `LABEL_FATBOOT`) does not, so a label erased by Windows stays erased.

use super::util::{field, label, le16, le32, read};
use super::{Signature, Usage};
use crate::image::ReadAt;
use std::io;

const FAT12_MAX: u32 = 0xFF4;
const FAT16_MAX: u32 = 0xFFF4;
const FAT32_MAX: u32 = 0x0FFF_FFF6;
const DIR_ENTRY: usize = 32;
/// blkid follows at most this many clusters of the FAT32 root directory.
const MAX_ROOT_CLUSTERS: u32 = 99;
/// At most this many root-directory entries are examined in all (256 KiB); the label entry is
/// normally the first, and a hostile chain of huge clusters must not make the probe read
/// megabytes.
const MAX_ROOT_ENTRIES: u64 = 8192;

/// Probe for a FAT boot sector at byte 0.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    let Some(bs) = read(dev, 0, 512)? else {
        return Ok(None);
    };
    let Some(geo) = Geometry::check(&bs) else {
        return Ok(None);
    };
    let ss = u64::from(geo.sector_size);
    let mut vol_label = None;
    let mut serial = None;
    let mut version = None;
    if le16(&bs, 0x16) != 0 {
        // FAT12/16: fixed root directory after the FATs.
        let root = (u64::from(geo.reserved) + geo.fat_size) * ss;
        let mut budget = MAX_ROOT_ENTRIES;
        vol_label = search_label(dev, root, u64::from(le16(&bs, 0x11)), &mut budget)?;
        let sign = bs[0x26];
        if sign == 0x28 || sign == 0x29 {
            serial = Some(field(&bs, 0x27, 4));
        }
        if geo.cluster_count < FAT12_MAX {
            version = Some("FAT12");
        } else if geo.cluster_count < FAT16_MAX {
            version = Some("FAT16");
        }
    } else if le32(&bs, 0x24) != 0 {
        let cluster_bytes = u64::from(bs[0x0d]) * ss;
        let data_start = u64::from(geo.reserved) + geo.fat_size;
        let fat_entries = u64::from(le32(&bs, 0x24)) * ss / 4;
        let mut next = le32(&bs, 0x2c);
        let mut loops = MAX_ROOT_CLUSTERS;
        let mut budget = MAX_ROOT_ENTRIES;
        while next >= 2 && u64::from(next) < fat_entries && loops > 0 {
            loops -= 1;
            let sect = data_start + u64::from(next - 2) * u64::from(bs[0x0d]);
            if let Some(l) = search_label(
                dev,
                sect * ss,
                cluster_bytes / DIR_ENTRY as u64,
                &mut budget,
            )? {
                vol_label = Some(l);
                break;
            }
            let entry_off = u64::from(geo.reserved) * ss + u64::from(next) * 4;
            let Some(e) = read(dev, entry_off, 4)? else {
                break;
            };
            next = le32(&e, 0) & 0x0fff_ffff;
        }
        version = Some("FAT32");
        serial = Some(field(&bs, 0x43, 4));
        let fsinfo = le16(&bs, 0x30);
        if fsinfo != 0 {
            let Some(fi) = read(dev, u64::from(fsinfo) * ss, 512)? else {
                return Ok(None);
            };
            let s1 = field(&fi, 0, 4);
            let s2 = field(&fi, 484, 4);
            if !matches!(s1, b"RRaA" | b"RRdA" | [0, 0, 0, 0])
                || !matches!(s2, b"rrAa" | [0, 0, 0, 0])
            {
                return Ok(None);
            }
        }
    }
    let uuid = serial
        .filter(|s| s.len() == 4 && s.iter().any(|&b| b != 0))
        .map(|s| format!("{:02X}{:02X}-{:02X}{:02X}", s[3], s[2], s[1], s[0]));
    Ok(Some(Signature {
        fs_type: "vfat".into(),
        usage: Usage::Filesystem,
        uuid,
        label: vol_label.and_then(|raw| label(&raw)),
        version: version.map(str::to_string),
    }))
}

/// The boot-sector numbers blkid checks before it believes a FAT.
struct Geometry {
    sector_size: u16,
    reserved: u16,
    fat_size: u64,
    cluster_count: u32,
}

impl Geometry {
    fn check(bs: &[u8]) -> Option<Geometry> {
        let strong_magic = matches!(field(bs, 0x52, 5), b"MSWIN")
            || field(bs, 0x52, 8) == b"FAT32   "
            || field(bs, 0x36, 5) == b"MSDOS"
            || matches!(field(bs, 0x36, 8), b"FAT16   " | b"FAT12   " | b"FAT     ");
        let weak_magic = matches!(bs[0], 0xEB | 0xE9) || field(bs, 0x1fe, 2) == [0x55, 0xAA];
        if !strong_magic {
            if !weak_magic || field(bs, 0x1fe, 2) != [0x55, 0xAA] {
                return None;
            }
            // OS/2 writes a FAT-like pseudo boot sector on JFS and HPFS volumes.
            if matches!(field(bs, 0x36, 8), b"JFS     " | b"HPFS    ") {
                return None;
            }
        }
        // A BitLocker volume keeps a FAT-looking boot sector.
        if field(bs, 3, 8) == b"-FVE-FS-" {
            return None;
        }
        let cluster_size = bs[0x0d];
        let fats = bs[0x10];
        let reserved = le16(bs, 0x0e);
        let media = bs[0x15];
        if fats == 0 || reserved == 0 || !(media >= 0xf8 || media == 0xf0) {
            return None;
        }
        if !cluster_size.is_power_of_two() {
            return None;
        }
        let sector_size = le16(bs, 0x0b);
        if !sector_size.is_power_of_two() || !(512..=4096).contains(&sector_size) {
            return None;
        }
        let dir_entries = u64::from(le16(bs, 0x11));
        let mut sect_count = u64::from(le16(bs, 0x13));
        if sect_count == 0 {
            sect_count = u64::from(le32(bs, 0x20));
        }
        let fat16_len = le16(bs, 0x16);
        let fat32_len = le32(bs, 0x24);
        let fat_length = if fat16_len != 0 {
            u64::from(fat16_len)
        } else {
            u64::from(fat32_len)
        };
        let fat_size = fat_length * u64::from(fats);
        let ss = u64::from(sector_size);
        let dir_size = (dir_entries * DIR_ENTRY as u64).div_ceil(ss);
        let meta = u64::from(reserved) + fat_size + dir_size;
        let cluster_count = sect_count.checked_sub(meta)? / u64::from(cluster_size);
        let max = if fat16_len == 0 && fat32_len != 0 {
            FAT32_MAX
        } else if cluster_count > u64::from(FAT12_MAX) {
            FAT16_MAX
        } else {
            FAT12_MAX
        };
        if cluster_count > u64::from(max) {
            return None;
        }
        Some(Geometry {
            sector_size,
            reserved,
            fat_size,
            cluster_count: cluster_count as u32,
        })
    }
}

/// Look through `entries` directory entries at `offset` for the volume-label entry; stops at the
/// end-of-directory marker or when `budget` entries have been spent. Reads in pieces of at most
/// 4 KiB.
fn search_label(
    dev: &dyn ReadAt,
    offset: u64,
    entries: u64,
    budget: &mut u64,
) -> io::Result<Option<[u8; 11]>> {
    const CHUNK: u64 = 4096 / DIR_ENTRY as u64;
    let mut i = 0u64;
    while i < entries && *budget > 0 {
        let n = CHUNK.min(entries - i).min(*budget);
        *budget -= n;
        let Some(buf) = read(dev, offset + i * DIR_ENTRY as u64, (n as usize) * DIR_ENTRY)? else {
            return Ok(None);
        };
        for ent in buf.chunks_exact(DIR_ENTRY) {
            if ent[0] == 0 {
                return Ok(None);
            }
            let attr = ent[11];
            let cluster_high = le16(ent, 20);
            let cluster_low = le16(ent, 26);
            if ent[0] == 0xE5 || cluster_high != 0 || cluster_low != 0 || attr & 0x3f == 0x0f {
                continue;
            }
            if attr & (0x08 | 0x10) == 0x08 {
                let mut out = [0u8; 11];
                out.copy_from_slice(&ent[..11]);
                if out[0] == 0x05 {
                    out[0] = 0xE5;
                }
                return Ok(Some(out));
            }
        }
        i += n;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    /// A 1.44 MB FAT12 floppy: 512-byte sectors, 1 reserved, 2 FATs of 9 sectors, 224 root
    /// entries, 2880 sectors.
    fn floppy(boot_label: &[u8; 11], root_label: Option<&[u8; 11]>) -> Vec<u8> {
        let mut d = vec![0u8; 2880 * 512];
        d[0] = 0xEB;
        d[0x0b..0x0d].copy_from_slice(&512u16.to_le_bytes());
        d[0x0d] = 1;
        d[0x0e] = 1;
        d[0x10] = 2;
        d[0x11..0x13].copy_from_slice(&224u16.to_le_bytes());
        d[0x13..0x15].copy_from_slice(&2880u16.to_le_bytes());
        d[0x15] = 0xF0;
        d[0x16] = 9;
        d[0x26] = 0x29;
        d[0x27..0x2b].copy_from_slice(&[0xEF, 0xBE, 0xAD, 0xDE]);
        d[0x2b..0x36].copy_from_slice(boot_label);
        d[0x36..0x3e].copy_from_slice(b"FAT12   ");
        d[0x1fe] = 0x55;
        d[0x1ff] = 0xAA;
        if let Some(l) = root_label {
            let root = 19 * 512;
            // a deleted entry and a long-name entry first, both skipped
            d[root] = 0xE5;
            d[root + 32 + 11] = 0x0f;
            d[root + 32] = b'A';
            d[root + 64..root + 75].copy_from_slice(l);
            d[root + 64 + 11] = 0x08;
        }
        d
    }

    #[test]
    fn fat12_root_label_wins() {
        let d = MemDevice(floppy(b"BOOTLABEL  ", Some(b"ROOTLABEL  ")));
        let s = probe(&d).unwrap().unwrap();
        assert_eq!(s.fs_type, "vfat");
        assert_eq!(s.uuid.as_deref(), Some("DEAD-BEEF"));
        assert_eq!(s.label.as_deref(), Some("ROOTLABEL"));
        assert_eq!(s.version.as_deref(), Some("FAT12"));
    }

    #[test]
    fn boot_label_alone_is_not_the_label() {
        let d = MemDevice(floppy(b"BOOTLABEL  ", None));
        let s = probe(&d).unwrap().unwrap();
        assert_eq!(s.label, None);
        let d = MemDevice(floppy(b"NO NAME    ", Some(b"NO NAME    ")));
        assert_eq!(
            probe(&d).unwrap().unwrap().label.as_deref(),
            Some("NO NAME")
        );
    }

    #[test]
    fn rejects_bad_geometry_and_small_devices() {
        let mut d = floppy(b"X          ", None);
        d[0x10] = 0;
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        let mut d = floppy(b"X          ", None);
        d[0x0b] = 0x10; // sector size 0x210
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        assert_eq!(probe(&MemDevice(vec![0xEB; 100])).unwrap(), None);
        let mut d = floppy(b"X          ", None);
        d.truncate(600); // root directory beyond the end: still vfat, no label
        let s = probe(&MemDevice(d)).unwrap().unwrap();
        assert_eq!(s.label, None);
    }

    #[test]
    fn garbage_never_panics() {
        let mut d = floppy(b"X          ", None);
        for (i, b) in d.iter_mut().take(512).enumerate() {
            *b = (i as u8).wrapping_mul(37) ^ 0x5a;
        }
        let _ = probe(&MemDevice(d));
        let mut d = vec![0xffu8; 4096];
        d[0x1fe] = 0x55;
        d[0x1ff] = 0xAA;
        let _ = probe(&MemDevice(d));
    }
}
