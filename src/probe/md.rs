//! Linux software RAID members (`linux_raid_member`): md superblock 0.90 (end of device,
//! 64 KiB aligned), 1.0 (end − 8 KiB), 1.1 (byte 0) and 1.2 (byte 4096), tried in blkid's order;
//! reports the array UUID, version and, for 1.x, the array name as label.

use super::util::{be32, field, label, le32, le64, read, uuid_dce};
use super::{Signature, Usage};
use crate::image::ReadAt;
use std::io;

const MD_MAGIC: u32 = 0xa92b_4efc;
const RESERVED: u64 = 0x10000;
/// The largest `max_dev` a 1.x superblock can hold in its 4 KiB; larger values are hostile.
const MAX_DEV: u64 = (4096 - 256) / 2;

/// Probe for an md superblock.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    let size = dev.size();
    if size > RESERVED {
        let off = (size & !(RESERVED - 1)) - RESERVED;
        if let Some(s) = probe_v0(dev, off)? {
            return Ok(Some(s));
        }
        let off = (size & !0xfff) - 0x2000;
        if let Some(s) = probe_v1(dev, off, "1.0")? {
            return Ok(Some(s));
        }
    }
    if let Some(s) = probe_v1(dev, 0, "1.1")? {
        return Ok(Some(s));
    }
    probe_v1(dev, 0x1000, "1.2")
}

/// Version 0.90: either byte order; the UUID is four 32-bit words printed big-endian.
fn probe_v0(dev: &dyn ReadAt, off: u64) -> io::Result<Option<Signature>> {
    let Some(sb) = read(dev, off, 64)? else {
        return Ok(None);
    };
    let words_be = if le32(&sb, 0) == MD_MAGIC {
        false
    } else if be32(&sb, 0) == MD_MAGIC {
        true
    } else {
        return Ok(None);
    };
    let get = |off| {
        if words_be {
            be32(&sb, off)
        } else {
            le32(&sb, off)
        }
    };
    let (major, minor, patch) = (get(4), get(8), get(12));
    let array_size = u64::from(get(32)) << 10;
    if dev.size() < array_size + RESERVED || off < array_size {
        return Ok(None);
    }
    let mut uuid = [0u8; 16];
    let words: &[usize] = if minor >= 90 {
        &[20, 52, 56, 60]
    } else {
        &[20]
    };
    for (i, &w) in words.iter().enumerate() {
        let mut b = [0u8; 4];
        b.copy_from_slice(field(&sb, w, 4));
        if !words_be {
            b.reverse();
        }
        uuid[i * 4..i * 4 + 4].copy_from_slice(&b);
    }
    Ok(Some(Signature {
        fs_type: "linux_raid_member".into(),
        usage: Usage::Raid,
        uuid: uuid_dce(&uuid),
        label: None,
        version: Some(format!("{major}.{minor}.{patch}")),
    }))
}

/// Version 1.x at `off`: magic, major version 1, `super_offset` pointing back at itself and a
/// valid checksum.
fn probe_v1(dev: &dyn ReadAt, off: u64, version: &str) -> io::Result<Option<Signature>> {
    let Some(sb) = read(dev, off, 256)? else {
        return Ok(None);
    };
    if le32(&sb, 0) != MD_MAGIC || le32(&sb, 4) != 1 || le64(&sb, 144) != off >> 9 {
        return Ok(None);
    }
    let max_dev = u64::from(le32(&sb, 220));
    if max_dev > MAX_DEV {
        return Ok(None);
    }
    let Some(full) = read(dev, off, 256 + 2 * max_dev as usize)? else {
        return Ok(None);
    };
    if v1_csum(&full) != le32(&sb, 216) {
        return Ok(None);
    }
    Ok(Some(Signature {
        fs_type: "linux_raid_member".into(),
        usage: Usage::Raid,
        uuid: uuid_dce(field(&sb, 16, 16)),
        label: label(field(&sb, 32, 32)),
        version: Some(version.to_string()),
    }))
}

/// mdadm's 1.x checksum: 32-bit little-endian words summed in 64 bits (the checksum field
/// counted as zero), a trailing 16-bit word added, then folded to 32 bits.
fn v1_csum(sb: &[u8]) -> u32 {
    let mut sum: u64 = 0;
    let mut words = sb.chunks_exact(4);
    for (i, w) in words.by_ref().enumerate() {
        if i * 4 == 216 {
            continue;
        }
        sum += u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
    }
    let rest = words.remainder();
    if rest.len() == 2 {
        sum += u64::from(u16::from_le_bytes([rest[0], rest[1]]));
    }
    ((sum & 0xffff_ffff) + (sum >> 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    fn v1(dev_len: usize, off: usize) -> Vec<u8> {
        let mut d = vec![0u8; dev_len];
        let sb = &mut d[off..off + 4096];
        sb[..4].copy_from_slice(&MD_MAGIC.to_le_bytes());
        sb[4..8].copy_from_slice(&1u32.to_le_bytes());
        sb[16..32].copy_from_slice(&[0x77; 16]);
        sb[32..39].copy_from_slice(b"host:0\0");
        sb[144..152].copy_from_slice(&((off as u64) >> 9).to_le_bytes());
        sb[220..224].copy_from_slice(&3u32.to_le_bytes());
        sb[256..262].copy_from_slice(&[0, 0, 1, 0, 0xfe, 0xff]);
        let c = v1_csum(&sb[..262]);
        sb[216..220].copy_from_slice(&c.to_le_bytes());
        d
    }

    #[test]
    fn v1_2_and_v1_0() {
        let s = probe(&MemDevice(v1(1 << 20, 4096))).unwrap().unwrap();
        assert_eq!(s.fs_type, "linux_raid_member");
        assert_eq!(s.version.as_deref(), Some("1.2"));
        assert_eq!(s.label.as_deref(), Some("host:0"));
        let n = 1 << 20;
        let s = probe(&MemDevice(v1(n, n - 8192))).unwrap().unwrap();
        assert_eq!(s.version.as_deref(), Some("1.0"));
        let mut d = v1(1 << 20, 4096);
        d[4096 + 100] ^= 1;
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
    }

    #[test]
    fn v0_90_uuid_words() {
        let n = 1 << 20;
        let mut d = vec![0u8; n];
        let off = n - 65536;
        let sb = &mut d[off..off + 64];
        sb[..4].copy_from_slice(&MD_MAGIC.to_le_bytes());
        sb[8..12].copy_from_slice(&90u32.to_le_bytes());
        sb[20..24].copy_from_slice(&0x37c7_6b91u32.to_le_bytes());
        sb[52..56].copy_from_slice(&0x011a_05c5u32.to_le_bytes());
        sb[56..60].copy_from_slice(&0xd30c_1fd4u32.to_le_bytes());
        sb[60..64].copy_from_slice(&0xc5c3_dbbcu32.to_le_bytes());
        let s = probe(&MemDevice(d)).unwrap().unwrap();
        assert_eq!(s.version.as_deref(), Some("0.90.0"));
        assert_eq!(
            s.uuid.as_deref(),
            Some("37c76b91-011a-05c5-d30c-1fd4c5c3dbbc")
        );
    }

    #[test]
    fn hostile_max_dev_and_tiny() {
        let mut d = v1(1 << 20, 4096);
        d[4096 + 220..4096 + 224].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        assert_eq!(probe(&MemDevice(vec![0; 10])).unwrap(), None);
    }
}
