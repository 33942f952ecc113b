//! ISO 9660 (`iso9660`): the primary volume descriptor from 32 KiB, with its root directory
//! checked; label merged from the Joliet and primary volume ids as blkid does, UUID from the
//! modification (else creation) date as `YYYY-MM-DD-HH-MM-SS-CC`.
//!
//! A UDF volume with an ISO 9660 bridge is left alone (`None`): blkid reports those as `udf`.
//! High Sierra (`CDROM`) discs and multi-session hints are not handled.

use super::util::{field, label, label_str, le16, le32, read, utf16be};
use super::{Signature, Usage};
use crate::image::ReadAt;
use std::io;

const VD_START: u64 = 0x8000;
const SECTOR: u64 = 2048;
const VD_MAX: u64 = 16;
/// How many sectors of the volume recognition sequence are searched for UDF descriptors.
const VRS_SCAN: u64 = 32;
const VD_LEN: usize = 884;

/// Probe for an ISO 9660 primary volume descriptor.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    let Some(first) = read(dev, VD_START, 8)? else {
        return Ok(None);
    };
    if field(&first, 1, 5) != b"CD001" {
        return Ok(None);
    }
    let mut pvd: Option<Vec<u8>> = None;
    let mut joliet: Option<Vec<u8>> = None;
    for i in 0..VD_MAX {
        let Some(d) = read(dev, VD_START + i * SECTOR, VD_LEN)? else {
            break;
        };
        match d[0] {
            0xff => break,
            1 if pvd.is_none() => pvd = Some(d),
            2 if joliet.is_none() => {
                if matches!(field(&d, 88, 3), b"%/@" | b"%/C" | b"%/E") {
                    joliet = Some(d);
                }
            }
            _ => {}
        }
        if pvd.is_some() && joliet.is_some() {
            break;
        }
    }
    let Some(pvd) = pvd else {
        return Ok(None);
    };
    if is_udf(dev)? || !root_dir_ok(dev, &pvd)? {
        return Ok(None);
    }
    let lbl = match &joliet {
        Some(j) => match merge_utf16be_ascii(field(j, 40, 32), field(&pvd, 40, 32)) {
            Some(merged) => label_str(&utf16be(&merged)),
            None => label_str(&utf16be(field(j, 40, 32))),
        },
        None => label(field(&pvd, 40, 32)),
    };
    let uuid = date_uuid(field(&pvd, 830, 17))
        .unwrap_or_else(|| date_uuid(field(&pvd, 813, 17)).flatten());
    Ok(Some(Signature {
        fs_type: "iso9660".into(),
        usage: Usage::Filesystem,
        uuid,
        label: lbl,
        version: joliet.map(|_| "Joliet Extension".to_string()),
    }))
}

/// A date field (16 digits and a zone byte) as blkid's UUID. The outer `None` means the date is
/// unset (all `'0'`, zone 0) so the next date is tried; `Some(None)` means blkid stops here
/// without a UUID (all bytes NUL).
fn date_uuid(d: &[u8]) -> Option<Option<String>> {
    if d.len() != 17 {
        return Some(None);
    }
    let digits = &d[..16];
    if digits.iter().all(|&c| c == b'0') && d[16] == 0 {
        return None;
    }
    if digits.iter().all(|&c| c == 0) {
        return Some(None);
    }
    let s = |r: std::ops::Range<usize>| String::from_utf8_lossy(&digits[r]).into_owned();
    Some(Some(format!(
        "{}-{}-{}-{}-{}-{}-{}",
        s(0..4),
        s(4..6),
        s(6..8),
        s(8..10),
        s(10..12),
        s(12..14),
        s(14..16)
    )))
}

/// The root directory's first record must be "." pointing at its own extent, so that a stray
/// `CD001` (an .iso file inside another filesystem) is not taken for a disc.
fn root_dir_ok(dev: &dyn ReadAt, pvd: &[u8]) -> io::Result<bool> {
    let block = u64::from(le16(pvd, 128));
    if block == 0 {
        return Ok(false);
    }
    let rdr = field(pvd, 156, 34);
    let lba = le32(rdr, 2);
    let len = le32(rdr, 10);
    if len < 34 {
        return Ok(false);
    }
    let off = u64::from(lba) * block;
    // blkid maps up to one sector of the extent; it must lie inside the device.
    let span = u64::from(len.min(2048));
    if off.checked_add(span).is_none_or(|end| end > dev.size()) {
        return Ok(false);
    }
    let Some(r) = read(dev, off, 34)? else {
        return Ok(false);
    };
    Ok(r[0] >= 34 && r[32] == 1 && r[33] == 0 && le32(&r, 2) == lba)
}

/// Whether the volume recognition sequence announces UDF (`NSR02`/`NSR03`).
fn is_udf(dev: &dyn ReadAt) -> io::Result<bool> {
    for i in 0..VRS_SCAN {
        let Some(d) = read(dev, VD_START + i * SECTOR, 6)? else {
            break;
        };
        if matches!(&d[1..6], b"NSR02" | b"NSR03") {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Rebuild a label from the Joliet id (UTF-16BE, at most 16 characters) and the primary id
/// (ASCII, up to 32, `_` for what it cannot represent) when the Joliet one is a prefix of the
/// primary one, ignoring case and `_`. Returns UTF-16BE, or `None` when they disagree.
fn merge_utf16be_ascii(utf16: &[u8], ascii: &[u8]) -> Option<Vec<u8>> {
    let len = ascii.len().min(utf16.len());
    let mut out = Vec::with_capacity(len * 2 + 4);
    let (mut u, mut a) = (0usize, 0usize);
    while u + 1 < len && a < len {
        if (0xD8..=0xDB).contains(&utf16[u]) && u + 3 < len && (0xDC..=0xDF).contains(&utf16[u + 2])
        {
            out.extend_from_slice(&utf16[u..u + 2]);
            u += 2;
        }
        let (hi, lo, c) = (utf16[u], utf16[u + 1], ascii[a]);
        if c == b'_' {
            out.extend_from_slice(&[hi, lo]);
        } else if hi == 0 && lo == b'_' {
            out.extend_from_slice(&[0, c]);
        } else if hi == 0 && c.eq_ignore_ascii_case(&lo) {
            out.extend_from_slice(&[0, if c.is_ascii_uppercase() { lo } else { c }]);
        } else {
            return None;
        }
        u += 2;
        a += 1;
    }
    for &c in &ascii[a..] {
        out.extend_from_slice(&[0, c]);
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    fn pad(s: &[u8], n: usize) -> Vec<u8> {
        let mut v = s.to_vec();
        v.resize(n, b' ');
        v
    }

    fn u16be(s: &str, n: usize) -> Vec<u8> {
        let mut v: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        while v.len() < n {
            v.extend_from_slice(&[0, b' ']);
        }
        v.truncate(n);
        v
    }

    fn iso(vol: &[u8], joliet: Option<&str>) -> Vec<u8> {
        let mut d = vec![0u8; 64 * 2048];
        let p = 16 * 2048;
        d[p] = 1;
        d[p + 1..p + 6].copy_from_slice(b"CD001");
        d[p + 40..p + 72].copy_from_slice(&pad(vol, 32));
        d[p + 128..p + 130].copy_from_slice(&2048u16.to_le_bytes());
        // root directory record -> LBA 20, length 2048
        d[p + 156] = 34;
        d[p + 158..p + 162].copy_from_slice(&20u32.to_le_bytes());
        d[p + 166..p + 170].copy_from_slice(&2048u32.to_le_bytes());
        d[p + 813..p + 829].copy_from_slice(b"2009092410344000");
        d[p + 830..p + 846].copy_from_slice(b"0000000000000000");
        let mut next = 17 * 2048;
        if let Some(j) = joliet {
            d[next] = 2;
            d[next + 1..next + 6].copy_from_slice(b"CD001");
            d[next + 88..next + 91].copy_from_slice(b"%/E");
            d[next + 40..next + 72].copy_from_slice(&u16be(j, 32));
            next += 2048;
        }
        d[next] = 0xff;
        d[next + 1..next + 6].copy_from_slice(b"CD001");
        let r = 20 * 2048;
        d[r] = 34;
        d[r + 2..r + 6].copy_from_slice(&20u32.to_le_bytes());
        d[r + 32] = 1;
        d
    }

    #[test]
    fn plain_label_and_creation_date_uuid() {
        let s = probe(&MemDevice(iso(b"IsoVolumeName", None)))
            .unwrap()
            .unwrap();
        assert_eq!(s.fs_type, "iso9660");
        assert_eq!(s.label.as_deref(), Some("IsoVolumeName"));
        assert_eq!(s.uuid.as_deref(), Some("2009-09-24-10-34-40-00"));
        assert_eq!(s.version, None);
    }

    #[test]
    fn joliet_merges_with_primary() {
        let d = iso(
            b"NA_VE_AND_VERY_LOOOOOOOONG_LABEL",
            Some("Naïve and very l"),
        );
        let s = probe(&MemDevice(d)).unwrap().unwrap();
        assert_eq!(s.label.as_deref(), Some("Naïve and very lOOOOOOOONG_LABEL"));
        assert_eq!(s.version.as_deref(), Some("Joliet Extension"));
        let d = iso(b"ISO_LABEL", Some("Joliet Label"));
        let s = probe(&MemDevice(d)).unwrap().unwrap();
        assert_eq!(s.label.as_deref(), Some("Joliet Label"));
    }

    #[test]
    fn udf_bridge_and_bad_root_rejected() {
        let mut d = iso(b"X", None);
        let t = 18 * 2048;
        d[t + 1..t + 6].copy_from_slice(b"NSR03");
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        let mut d = iso(b"X", None);
        d[20 * 2048 + 33] = 1;
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        let mut d = iso(b"X", None);
        d.truncate(17 * 2048);
        let _ = probe(&MemDevice(d));
    }
}
