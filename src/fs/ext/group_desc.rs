//! Block group descriptors: where each group keeps its bitmaps and inode table.
//!
//! The descriptor table follows the superblock (block `s_first_data_block + 1`); with `meta_bg`
//! the descriptors of meta group `m` live in the first block (after any backup superblock) of
//! group `m * descs_per_block`. Descriptors are 32 bytes, or `s_desc_size` (≥ 64) with `64bit`.
//! Every location is checked against the filesystem size before it is read.

use super::error::{le16, le32, ExtError};
use super::superblock::{compat, crc32c_raw, incompat, Superblock};
use crate::image::ReadAt;

/// `bg_flags` bits.
pub mod flags {
    /// The inode table and bitmap are not initialised.
    pub const INODE_UNINIT: u16 = 0x1;
    /// The block bitmap is not initialised.
    pub const BLOCK_UNINIT: u16 = 0x2;
    /// The inode table is zeroed.
    pub const INODE_ZEROED: u16 = 0x4;
}

/// One parsed group descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDesc {
    pub block_bitmap: u64,
    pub inode_bitmap: u64,
    pub inode_table: u64,
    pub free_blocks: u32,
    pub free_inodes: u32,
    pub used_dirs: u32,
    pub flags: u16,
    pub itable_unused: u32,
    pub checksum: u16,
    /// `Some(ok)` when metadata_csum is on and the checksum was verified, `None` otherwise
    /// (the older crc16 `uninit_bg` checksum is not verified).
    pub checksum_ok: Option<bool>,
}

/// Does group `g` hold a superblock backup (and so a descriptor-table copy)?
pub fn group_has_super(sb: &Superblock, g: u64) -> bool {
    if g == 0 {
        return true;
    }
    if sb.feature_compat & compat::SPARSE_SUPER2 != 0 {
        return g == sb.backup_bgs[0] as u64 || g == sb.backup_bgs[1] as u64;
    }
    if g <= 1 || !sb.has_sparse_super() {
        return true;
    }
    if g & 1 == 0 {
        return false;
    }
    [3u64, 5, 7].iter().any(|&base| {
        let mut p = base;
        while p < g {
            p *= base;
        }
        p == g
    })
}

/// Descriptors per block.
pub fn descs_per_block(sb: &Superblock) -> u64 {
    sb.block_size() / sb.group_desc_size() as u64
}

/// Filesystem block and byte offset within it of the primary descriptor of `group`.
pub fn desc_location(sb: &Superblock, group: u64) -> Result<(u64, usize), ExtError> {
    let groups = sb.group_count();
    if group >= groups {
        return Err(ExtError::corrupt(format!(
            "group {group} does not exist ({groups} groups)"
        )));
    }
    let per = descs_per_block(sb);
    let index = group / per;
    let offset = ((group % per) * sb.group_desc_size() as u64) as usize;
    let meta_bg = sb.feature_incompat & incompat::META_BG != 0;
    let block = if !meta_bg || index < sb.first_meta_bg as u64 {
        sb.first_data_block as u64 + 1 + index
    } else {
        let first = index * per;
        // With 1 KiB blocks and first_data_block 0 (bigalloc), group 0 starts one block early.
        let adjust = u64::from(first == 0 && sb.block_size() == 1024 && sb.first_data_block == 0);
        first * sb.blocks_per_group as u64
            + sb.first_data_block as u64
            + u64::from(group_has_super(sb, first))
            + adjust
    };
    if block >= sb.blocks_count {
        return Err(ExtError::corrupt(format!(
            "descriptor of group {group} would be at block {block}, past the end"
        )));
    }
    Ok((block, offset))
}

impl GroupDesc {
    /// Parse one descriptor of `sb.group_desc_size()` bytes.
    pub fn parse(sb: &Superblock, group: u64, b: &[u8]) -> Result<Self, ExtError> {
        let size = sb.group_desc_size() as usize;
        if b.len() < size || size < 32 {
            return Err(ExtError::corrupt("group descriptor is truncated"));
        }
        let wide = sb.is_64bit() && size >= 64;
        let hi32 = |o: usize| if wide { (le32(b, o) as u64) << 32 } else { 0 };
        let hi16 = |o: usize| if wide { (le16(b, o) as u32) << 16 } else { 0 };
        let checksum = le16(b, 0x1E);
        let checksum_ok = sb.has_metadata_csum().then(|| {
            let mut copy = b[..size].to_vec();
            copy[0x1E] = 0;
            copy[0x1F] = 0;
            let c = crc32c_raw(sb.csum_seed(), &(group as u32).to_le_bytes());
            (crc32c_raw(c, &copy) & 0xFFFF) as u16 == checksum
        });
        let d = GroupDesc {
            block_bitmap: le32(b, 0x0) as u64 | hi32(0x20),
            inode_bitmap: le32(b, 0x4) as u64 | hi32(0x24),
            inode_table: le32(b, 0x8) as u64 | hi32(0x28),
            free_blocks: le16(b, 0xC) as u32 | hi16(0x2C),
            free_inodes: le16(b, 0xE) as u32 | hi16(0x2E),
            used_dirs: le16(b, 0x10) as u32 | hi16(0x30),
            flags: le16(b, 0x12),
            itable_unused: le16(b, 0x1C) as u32 | hi16(0x32),
            checksum,
            checksum_ok,
        };
        let itable_blocks =
            (sb.inodes_per_group as u64 * sb.inode_record_size() as u64).div_ceil(sb.block_size());
        if d.inode_table == 0 || d.inode_table.saturating_add(itable_blocks) > sb.blocks_count {
            return Err(ExtError::corrupt(format!(
                "group {group}: inode table at block {} lies outside the filesystem",
                d.inode_table
            )));
        }
        Ok(d)
    }

    /// Read the primary descriptor of `group`.
    pub fn read(dev: &dyn ReadAt, sb: &Superblock, group: u64) -> Result<Self, ExtError> {
        let (block, offset) = desc_location(sb, group)?;
        let mut buf = vec![0u8; sb.group_desc_size() as usize];
        dev.read_at(block * sb.block_size() + offset as u64, &mut buf)?;
        Self::parse(sb, group, &buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::ext::superblock::SUPERBLOCK_SIZE;

    fn sb(log_bs: u32, blocks: u32, incompat_bits: u32, desc: u16) -> Superblock {
        let mut b = vec![0u8; SUPERBLOCK_SIZE];
        b[0x0..0x4].copy_from_slice(&(blocks / 4).to_le_bytes());
        b[0x4..0x8].copy_from_slice(&blocks.to_le_bytes());
        b[0x14..0x18].copy_from_slice(&u32::from(log_bs == 0).to_le_bytes());
        b[0x18..0x1C].copy_from_slice(&log_bs.to_le_bytes());
        b[0x20..0x24].copy_from_slice(&(8192u32 << log_bs).to_le_bytes());
        b[0x28..0x2C].copy_from_slice(&128u32.to_le_bytes());
        b[0x38..0x3A].copy_from_slice(&0xEF53u16.to_le_bytes());
        b[0x4C..0x50].copy_from_slice(&1u32.to_le_bytes());
        b[0x58..0x5A].copy_from_slice(&256u16.to_le_bytes());
        b[0x60..0x64].copy_from_slice(&incompat_bits.to_le_bytes());
        b[0x64] = 1; // sparse_super
        b[0xFE..0x100].copy_from_slice(&desc.to_le_bytes());
        Superblock::parse(&b).unwrap()
    }

    #[test]
    fn sparse_super_groups() {
        let s = sb(2, 1 << 20, 0, 0);
        let with: Vec<u64> = (0..50).filter(|&g| group_has_super(&s, g)).collect();
        assert_eq!(with, vec![0, 1, 3, 5, 7, 9, 25, 27, 49]);
    }

    #[test]
    fn locations() {
        let s = sb(0, 65536, 0, 0);
        assert_eq!(desc_location(&s, 0).unwrap(), (2, 0));
        assert_eq!(desc_location(&s, 7).unwrap(), (2, 7 * 32));
        assert!(desc_location(&s, 8).is_err());
        let s = sb(2, 1 << 20, incompat::BIT64, 64);
        assert_eq!(desc_location(&s, 1).unwrap(), (1, 64));
        assert!(desc_location(&s, 32).is_err());
        let s = sb(2, 1 << 22, incompat::BIT64 | incompat::META_BG, 64);
        // 64 descriptors per block; meta group 1 starts at group 64 (no backup there).
        assert_eq!(desc_location(&s, 64).unwrap(), (64 * 32768, 0));
        assert_eq!(desc_location(&s, 3).unwrap(), (1, 3 * 64));
    }

    #[test]
    fn parse_checks_inode_table() {
        let s = sb(2, 1 << 20, incompat::BIT64, 64);
        let mut d = vec![0u8; 64];
        d[0x8..0xC].copy_from_slice(&100u32.to_le_bytes());
        d[0x28..0x2C].copy_from_slice(&0u32.to_le_bytes());
        d[0xC..0xE].copy_from_slice(&7u16.to_le_bytes());
        d[0x2C..0x2E].copy_from_slice(&1u16.to_le_bytes());
        let g = GroupDesc::parse(&s, 0, &d).unwrap();
        assert_eq!((g.inode_table, g.free_blocks), (100, 0x1_0007));
        d[0x28..0x2C].copy_from_slice(&1u32.to_le_bytes());
        assert!(GroupDesc::parse(&s, 0, &d).is_err());
        assert!(GroupDesc::parse(&s, 0, &d[..40]).is_err());
    }
}
