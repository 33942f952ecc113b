//! XFS: the `XFSB` superblock at byte 0, sanity-checked as blkid does (and CRC-checked for v5);
//! reports UUID and label.

use super::util::{be16, be32, be64, field, label, read, uuid_dce};
use super::{Signature, Usage};
use crate::image::ReadAt;
use std::io;

const SB_LEN: usize = 512;
const CRC_OFF: usize = 224;

/// Probe for an XFS superblock.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    let Some(sb) = read(dev, 0, SB_LEN)? else {
        return Ok(None);
    };
    if &sb[..4] != b"XFSB" || !geometry_ok(&sb) {
        return Ok(None);
    }
    let version = be16(&sb, 100);
    if version & 0x0f == 5 {
        let sectsize = usize::from(be16(&sb, 102));
        if version & 0x8000 == 0 || be32(&sb, 200) & 0x100 == 0 {
            return Ok(None);
        }
        let Some(mut full) = read(dev, 0, sectsize)? else {
            return Ok(None);
        };
        let expected = u32::from_le_bytes([
            full[CRC_OFF],
            full[CRC_OFF + 1],
            full[CRC_OFF + 2],
            full[CRC_OFF + 3],
        ]);
        full[CRC_OFF..CRC_OFF + 4].fill(0);
        if crc32c::crc32c(&full) != expected {
            return Ok(None);
        }
    }
    let fname = field(&sb, 108, 12);
    Ok(Some(Signature {
        fs_type: "xfs".into(),
        usage: Usage::Filesystem,
        uuid: uuid_dce(field(&sb, 32, 16)),
        label: if fname[0] != 0 { label(fname) } else { None },
        version: None,
    }))
}

/// blkid's sanity checks on sizes and logs, so that a stray `XFSB` is not enough.
fn geometry_ok(sb: &[u8]) -> bool {
    let blocksize = u64::from(be32(sb, 4));
    let dblocks = be64(sb, 8);
    let rextsize = u64::from(be32(sb, 80));
    let agblocks = u64::from(be32(sb, 84));
    let agcount = u64::from(be32(sb, 88));
    let sectsize = u64::from(be16(sb, 102));
    let inodesize = u64::from(be16(sb, 104));
    let (blocklog, sectlog, inodelog, inopblog) = (sb[120], sb[121], sb[122], sb[123]);
    let imax_pct = sb[127];
    let rext_bytes = rextsize.saturating_mul(blocksize);
    agcount != 0
        && (512..=32768).contains(&sectsize)
        && (9..=15).contains(&sectlog)
        && sectsize == 1 << sectlog
        && (512..=65536).contains(&blocksize)
        && (9..=16).contains(&blocklog)
        && blocksize == 1 << blocklog
        && (256..=2048).contains(&inodesize)
        && (8..=11).contains(&inodelog)
        && inodesize == 1 << inodelog
        && blocklog.wrapping_sub(inodelog) == inopblog
        && (4096..=1024 * 1024 * 1024).contains(&rext_bytes)
        && imax_pct <= 100
        && dblocks != 0
        && dblocks <= agcount * agblocks
        && dblocks >= (agcount - 1) * agblocks + 64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    fn xfs(v5: bool) -> Vec<u8> {
        let mut d = vec![0u8; 8192];
        d[..4].copy_from_slice(b"XFSB");
        d[4..8].copy_from_slice(&4096u32.to_be_bytes());
        d[8..16].copy_from_slice(&4096u64.to_be_bytes());
        d[32..48].copy_from_slice(&[0x42; 16]);
        d[80..84].copy_from_slice(&1u32.to_be_bytes());
        d[84..88].copy_from_slice(&1024u32.to_be_bytes());
        d[88..92].copy_from_slice(&4u32.to_be_bytes());
        let version: u16 = if v5 { 0x8005 } else { 0x0004 };
        d[100..102].copy_from_slice(&version.to_be_bytes());
        d[102..104].copy_from_slice(&512u16.to_be_bytes());
        d[104..106].copy_from_slice(&512u16.to_be_bytes());
        d[108..113].copy_from_slice(b"data1");
        d[120] = 12;
        d[121] = 9;
        d[122] = 9;
        d[123] = 3;
        d[127] = 25;
        if v5 {
            d[200..204].copy_from_slice(&0x100u32.to_be_bytes());
            let crc = crc32c::crc32c(&d[..512]);
            d[CRC_OFF..CRC_OFF + 4].copy_from_slice(&crc.to_le_bytes());
        }
        d
    }

    #[test]
    fn v4_and_v5() {
        for v5 in [false, true] {
            let s = probe(&MemDevice(xfs(v5))).unwrap().unwrap();
            assert_eq!(s.fs_type, "xfs");
            assert_eq!(s.label.as_deref(), Some("data1"));
            assert_eq!(
                s.uuid.as_deref(),
                Some("42424242-4242-4242-4242-424242424242")
            );
        }
    }

    #[test]
    fn bad_crc_or_geometry_rejected() {
        let mut d = xfs(true);
        d[300] ^= 1;
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        let mut d = xfs(false);
        d[88..92].fill(0);
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        let mut d = xfs(false);
        d[123] = 0; // wrapping_sub must not panic either
        d[122] = 200;
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        assert_eq!(probe(&MemDevice(b"XFSB".to_vec())).unwrap(), None);
    }
}
