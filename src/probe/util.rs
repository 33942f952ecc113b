//! Byte helpers shared by the probes: bounded reads and blkid's spelling of labels and UUIDs.

use crate::image::ReadAt;
use std::io;

/// The largest single read any probe makes (the biggest is a FAT32 cluster of the root
/// directory, read in pieces of this size).
pub const MAX_READ: usize = 64 * 1024;

/// Read `len` bytes at `offset`, or `None` when that range is not inside the device (or `len`
/// exceeds [`MAX_READ`]). I/O errors inside the device are passed on.
pub fn read(dev: &dyn ReadAt, offset: u64, len: usize) -> io::Result<Option<Vec<u8>>> {
    if len > MAX_READ {
        return Ok(None);
    }
    match offset.checked_add(len as u64) {
        Some(end) if end <= dev.size() => {
            let mut b = vec![0u8; len];
            dev.read_at(offset, &mut b)?;
            Ok(Some(b))
        }
        _ => Ok(None),
    }
}

/// Little-endian u16 at `off` (zero when out of range).
pub fn le16(b: &[u8], off: usize) -> u16 {
    b.get(off..off + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

/// Little-endian u32 at `off` (zero when out of range).
pub fn le32(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Little-endian u64 at `off` (zero when out of range).
pub fn le64(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

/// Big-endian u16 at `off` (zero when out of range).
pub fn be16(b: &[u8], off: usize) -> u16 {
    b.get(off..off + 2)
        .map_or(0, |s| u16::from_be_bytes([s[0], s[1]]))
}

/// Big-endian u32 at `off` (zero when out of range).
pub fn be32(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .map_or(0, |s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Big-endian u64 at `off` (zero when out of range).
pub fn be64(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_be_bytes(a)
    })
}

/// `len` bytes at `off`, or an empty slice when out of range.
pub fn field(b: &[u8], off: usize, len: usize) -> &[u8] {
    b.get(off..off.saturating_add(len)).unwrap_or(&[])
}

/// C `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A label the way `blkid_probe_set_label` stores it: up to the first NUL, trailing whitespace
/// removed, `None` when nothing is left. Bytes that are not UTF-8 become U+FFFD.
pub fn label(raw: &[u8]) -> Option<String> {
    let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
    let mut s = &raw[..end];
    while let Some((&last, rest)) = s.split_last() {
        if !is_c_space(last) {
            break;
        }
        s = rest;
    }
    (!s.is_empty()).then(|| String::from_utf8_lossy(s).into_owned())
}

/// Decode UTF-16BE up to the first U+0000 (unpaired surrogates become U+FFFD).
pub fn utf16be(raw: &[u8]) -> String {
    let units = raw
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// A label given as text (already decoded): trailing whitespace removed, `None` when empty.
pub fn label_str(s: &str) -> Option<String> {
    let t = s.trim_end_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    (!t.is_empty()).then(|| t.to_string())
}

/// A string UUID as `blkid_probe_strncpy_uuid` stores it: up to the first NUL, trailing
/// whitespace removed, `None` when empty.
pub fn uuid_str(raw: &[u8]) -> Option<String> {
    label(raw)
}

/// A DCE UUID in lowercase 8-4-4-4-12 form; `None` when all sixteen bytes are zero, as blkid
/// leaves such a UUID unset.
pub fn uuid_dce(raw: &[u8]) -> Option<String> {
    if raw.len() != 16 || raw.iter().all(|&b| b == 0) {
        return None;
    }
    let h: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    #[test]
    fn read_is_bounded() {
        let d = MemDevice(vec![7; 100]);
        assert_eq!(read(&d, 90, 10).unwrap(), Some(vec![7; 10]));
        assert_eq!(read(&d, 91, 10).unwrap(), None);
        assert_eq!(read(&d, u64::MAX, 10).unwrap(), None);
        assert_eq!(read(&d, 0, MAX_READ + 1).unwrap(), None);
    }

    #[test]
    fn labels_trim_like_blkid() {
        assert_eq!(label(b"NO NAME    "), Some("NO NAME".into()));
        assert_eq!(label(b"abc\0def"), Some("abc".into()));
        assert_eq!(label(b"   \t"), None);
        assert_eq!(label(b""), None);
        assert_eq!(label(&[0xe5, 0xe5]), Some("\u{fffd}\u{fffd}".into()));
        assert_eq!(label_str("x  \n"), Some("x".into()));
    }

    #[test]
    fn uuid_and_utf16() {
        assert_eq!(uuid_dce(&[0; 16]), None);
        let mut u = [0u8; 16];
        u[0] = 0xab;
        u[15] = 1;
        assert_eq!(
            uuid_dce(&u).unwrap(),
            "ab000000-0000-0000-0000-000000000001"
        );
        assert_eq!(utf16be(&[0, b'h', 0, b'i', 0, 0, 0, b'x']), "hi");
        assert_eq!(utf16be(&[0xd8, 0x3d, 0xde, 0x00]), "\u{1f600}");
        assert_eq!(be16(&[1, 2], 0), 0x0102);
        assert_eq!(le16(&[1], 0), 0);
        assert_eq!(le64(&[1, 0, 0, 0, 0, 0, 0, 0], 0), 1);
        assert_eq!(be64(&[0, 0, 0, 0, 0, 0, 0, 1], 0), 1);
        assert_eq!(be32(&[0, 0, 0, 1], 0), 1);
        assert_eq!(field(&[1, 2, 3], 2, 5), &[] as &[u8]);
    }
}
