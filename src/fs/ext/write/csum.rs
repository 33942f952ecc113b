//! Checksums of the metadata the writer changes: crc32c (`metadata_csum`) for inodes, extent
//! blocks, directory blocks, htree nodes, bitmaps and group descriptors, and the older crc16
//! group descriptor checksum (`uninit_bg` / GDT_CSUM).

use crate::fs::ext::error::{le16, le32};
use crate::fs::ext::superblock::crc32c_raw;

/// The kernel's crc16 (poly 0x8005 reflected), no final inversion.
pub fn crc16(mut crc: u16, data: &[u8]) -> u16 {
    for &b in data {
        crc ^= b as u16;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// The per-inode seed of inode-owned metadata (extent blocks, directory blocks).
pub fn inode_seed(fs_seed: u32, ino: u32, generation: u32) -> u32 {
    let c = crc32c_raw(fs_seed, &ino.to_le_bytes());
    crc32c_raw(c, &generation.to_le_bytes())
}

/// Does the inode record have room for `i_checksum_hi` (extra_isize ≥ 4)?
fn inode_has_hi(rec: &[u8]) -> bool {
    rec.len() > 128 && le16(rec, 0x80) as usize >= 4
}

/// The crc32c of an inode record, checksum fields taken as zero.
fn inode_crc(fs_seed: u32, ino: u32, rec: &[u8]) -> u32 {
    let mut copy = rec.to_vec();
    copy[0x7C] = 0;
    copy[0x7D] = 0;
    if inode_has_hi(rec) {
        copy[0x82] = 0;
        copy[0x83] = 0;
    }
    let c = inode_seed(fs_seed, ino, le32(rec, 0x64));
    crc32c_raw(c, &copy)
}

/// Store the checksum of inode record `rec`.
pub fn set_inode(fs_seed: u32, ino: u32, rec: &mut [u8]) {
    let c = inode_crc(fs_seed, ino, rec);
    rec[0x7C..0x7E].copy_from_slice(&(c as u16).to_le_bytes());
    if inode_has_hi(rec) {
        rec[0x82..0x84].copy_from_slice(&((c >> 16) as u16).to_le_bytes());
    }
}

/// Is the stored checksum of inode record `rec` right?
pub fn inode_ok(fs_seed: u32, ino: u32, rec: &[u8]) -> bool {
    let c = inode_crc(fs_seed, ino, rec);
    let lo = le16(rec, 0x7C) == c as u16;
    lo && (!inode_has_hi(rec) || le16(rec, 0x82) == (c >> 16) as u16)
}

/// Offset of an extent block's tail: after `eh_max` entries.
fn extent_tail(block: &[u8]) -> Option<usize> {
    let at = 12 + 12 * le16(block, 4) as usize;
    (at + 4 <= block.len()).then_some(at)
}

pub fn set_extent_block(seed: u32, block: &mut [u8]) -> bool {
    let Some(at) = extent_tail(block) else {
        return false;
    };
    let c = crc32c_raw(seed, &block[..at]);
    block[at..at + 4].copy_from_slice(&c.to_le_bytes());
    true
}

pub fn extent_block_ok(seed: u32, block: &[u8]) -> bool {
    extent_tail(block).is_some_and(|at| le32(block, at) == crc32c_raw(seed, &block[..at]))
}

/// Does a directory leaf block end with the 12-byte checksum tail entry?
pub fn has_dir_tail(block: &[u8]) -> bool {
    let t = block.len() - 12;
    le32(block, t) == 0 && le16(block, t + 4) == 12 && block[t + 6] == 0 && block[t + 7] == 0xDE
}

pub fn set_dir_block(seed: u32, block: &mut [u8]) {
    let t = block.len() - 12;
    let c = crc32c_raw(seed, &block[..t]);
    block[t + 8..t + 12].copy_from_slice(&c.to_le_bytes());
}

pub fn dir_block_ok(seed: u32, block: &[u8]) -> bool {
    let t = block.len() - 12;
    has_dir_tail(block) && le32(block, t + 8) == crc32c_raw(seed, &block[..t])
}

/// Check an htree node: `count_at` is the offset of its count/limit header.
pub fn dx_node_ok(seed: u32, block: &[u8], count_at: usize) -> bool {
    let limit = le16(block, count_at) as usize;
    let count = le16(block, count_at + 2) as usize;
    let tail = count_at + 8 * limit;
    if count > limit || tail + 8 > block.len() {
        return false;
    }
    let c = crc32c_raw(seed, &block[..count_at + 8 * count]);
    let c = crc32c_raw(c, &block[tail..tail + 4]);
    let c = crc32c_raw(c, &[0; 4]);
    le32(block, tail + 4) == c
}

/// A bitmap's crc32c over its first `len` bytes.
pub fn bitmap(seed: u32, data: &[u8], len: usize) -> u32 {
    crc32c_raw(seed, &data[..len.min(data.len())])
}

/// The checksum a group descriptor should carry (`None`: the filesystem keeps none).
pub fn group_desc(
    csum_seed: Option<u32>,
    gdt_csum_uuid: Option<&[u8; 16]>,
    group: u32,
    desc: &[u8],
) -> Option<u16> {
    if let Some(seed) = csum_seed {
        let mut copy = desc.to_vec();
        copy[0x1E] = 0;
        copy[0x1F] = 0;
        let c = crc32c_raw(seed, &group.to_le_bytes());
        return Some(crc32c_raw(c, &copy) as u16);
    }
    let uuid = gdt_csum_uuid?;
    let c = crc16(!0, uuid);
    let c = crc16(c, &group.to_le_bytes());
    let c = crc16(c, &desc[..0x1E]);
    Some(if desc.len() > 0x20 {
        crc16(c, &desc[0x20..])
    } else {
        c
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_known_value() {
        // CRC-16/ARC of "123456789" is 0xBB3D.
        assert_eq!(crc16(0, b"123456789"), 0xBB3D);
    }

    #[test]
    fn dir_tail_roundtrip() {
        let mut b = vec![0u8; 1024];
        b[1012 + 4] = 12;
        b[1012 + 7] = 0xDE;
        assert!(has_dir_tail(&b));
        set_dir_block(7, &mut b);
        assert!(dir_block_ok(7, &b));
        b[0] = 1;
        assert!(!dir_block_ok(7, &b));
    }
}
