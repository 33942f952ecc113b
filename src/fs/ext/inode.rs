//! Inodes: read inode N from its group's inode table and decode the fields pv2hvm needs.
//!
//! Inode N lives in group `(N-1) / s_inodes_per_group` at index `(N-1) % s_inodes_per_group`
//! of that group's table. The record is `s_inode_size` bytes: 128 bytes of classic fields, then
//! `i_extra_isize` bytes of extra fields (high checksum half, nanosecond times, crtime).

use super::error::{le16, le32, ExtError};
use super::group_desc::GroupDesc;
use super::superblock::{crc32c_raw, ro_compat, Superblock};
use crate::image::ReadAt;

/// `i_flags` bits.
pub mod flags {
    pub const SECRM: u32 = 0x1;
    pub const IMMUTABLE: u32 = 0x10;
    pub const APPEND: u32 = 0x20;
    pub const ENCRYPT: u32 = 0x800;
    pub const INDEX: u32 = 0x1000;
    pub const HUGE_FILE: u32 = 0x40000;
    pub const EXTENTS: u32 = 0x80000;
    pub const VERITY: u32 = 0x100000;
    pub const EA_INODE: u32 = 0x200000;
    pub const INLINE_DATA: u32 = 0x1000_0000;
}

/// File type bits of `i_mode`.
pub mod mode {
    pub const TYPE_MASK: u16 = 0xF000;
    pub const FIFO: u16 = 0x1000;
    pub const CHR: u16 = 0x2000;
    pub const DIR: u16 = 0x4000;
    pub const BLK: u16 = 0x6000;
    pub const REG: u16 = 0x8000;
    pub const LNK: u16 = 0xA000;
    pub const SOCK: u16 = 0xC000;
}

/// Offset of `i_block` inside the inode record.
pub const I_BLOCK_OFFSET: usize = 0x28;
/// Size of `i_block`.
pub const I_BLOCK_SIZE: usize = 60;

/// One decoded inode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inode {
    pub ino: u32,
    pub mode: u16,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub atime: u32,
    pub ctime: u32,
    pub mtime: u32,
    pub dtime: u32,
    pub links_count: u16,
    /// `i_blocks` (in 512-byte units, or in filesystem blocks with HUGE_FILE).
    pub blocks: u64,
    pub flags: u32,
    pub generation: u32,
    pub file_acl: u64,
    /// The 60 raw bytes of `i_block` (block map, extent root, inline symlink or inline data).
    pub i_block: [u8; I_BLOCK_SIZE],
    pub extra_isize: u16,
    /// Creation time, when the extra fields hold it.
    pub crtime: Option<u32>,
    /// `Some(ok)` when metadata_csum is on and the checksum was verified.
    pub checksum_ok: Option<bool>,
    /// Where the record lives: byte offset inside the filesystem (for later in-place writes).
    pub location: u64,
}

impl Inode {
    /// Type bits of the mode.
    pub fn file_type(&self) -> u16 {
        self.mode & mode::TYPE_MASK
    }
    pub fn is_dir(&self) -> bool {
        self.file_type() == mode::DIR
    }
    pub fn is_reg(&self) -> bool {
        self.file_type() == mode::REG
    }
    pub fn is_symlink(&self) -> bool {
        self.file_type() == mode::LNK
    }
    /// The data is described by an extent tree.
    pub fn uses_extents(&self) -> bool {
        self.flags & flags::EXTENTS != 0
    }
    /// The data is stored inside the inode.
    pub fn has_inline_data(&self) -> bool {
        self.flags & flags::INLINE_DATA != 0
    }
    /// A "fast" symlink whose target is stored in `i_block` itself.
    pub fn is_fast_symlink(&self) -> bool {
        self.is_symlink()
            && !self.has_inline_data()
            && !self.uses_extents()
            && self.size < I_BLOCK_SIZE as u64
            && (self.file_acl == 0 || self.blocks == 0)
    }

    /// Parse one inode record; `record` is `s_inode_size` bytes long.
    pub fn parse(
        sb: &Superblock,
        ino: u32,
        record: &[u8],
        location: u64,
    ) -> Result<Self, ExtError> {
        let rs = sb.inode_record_size() as usize;
        if record.len() < rs || rs < 128 {
            return Err(ExtError::corrupt(format!(
                "inode {ino}: record is truncated"
            )));
        }
        let b = &record[..rs];
        let extra_isize = if rs > 128 { le16(b, 0x80) } else { 0 };
        if rs > 128 && (extra_isize as usize > rs - 128 || extra_isize % 4 != 0) {
            return Err(ExtError::corrupt(format!(
                "inode {ino}: extra inode size {extra_isize} does not fit a {rs}-byte record"
            )));
        }
        let mode = le16(b, 0x0);
        let flags_v = le32(b, 0x20);
        let huge = sb.feature_ro_compat & ro_compat::HUGE_FILE != 0;
        let blocks_lo = le32(b, 0x1C) as u64 | (le16(b, 0x74) as u64) << 32;
        let blocks = if huge && flags_v & flags::HUGE_FILE != 0 {
            blocks_lo * (sb.block_size() / 512)
        } else {
            blocks_lo
        };
        let has = |end: usize| rs > 128 && 128 + extra_isize as usize >= end;
        let checksum_ok = sb.has_metadata_csum().then(|| {
            let mut copy = b.to_vec();
            copy[0x7C] = 0;
            copy[0x7D] = 0;
            let stored_hi = if has(0x84) {
                let v = le16(b, 0x82);
                copy[0x82] = 0;
                copy[0x83] = 0;
                Some(v)
            } else {
                None
            };
            let c = crc32c_raw(sb.csum_seed(), &ino.to_le_bytes());
            let c = crc32c_raw(c, &le32(b, 0x64).to_le_bytes());
            let c = crc32c_raw(c, &copy);
            let lo_ok = (c & 0xFFFF) as u16 == le16(b, 0x7C);
            lo_ok && stored_hi.is_none_or(|hi| (c >> 16) as u16 == hi)
        });
        let inode = Inode {
            ino,
            mode,
            uid: le16(b, 0x2) as u32 | (le16(b, 0x78) as u32) << 16,
            gid: le16(b, 0x18) as u32 | (le16(b, 0x7A) as u32) << 16,
            size: le32(b, 0x4) as u64 | (le32(b, 0x6C) as u64) << 32,
            atime: le32(b, 0x8),
            ctime: le32(b, 0xC),
            mtime: le32(b, 0x10),
            dtime: le32(b, 0x14),
            links_count: le16(b, 0x1A),
            blocks,
            flags: flags_v,
            generation: le32(b, 0x64),
            file_acl: le32(b, 0x68) as u64 | (le16(b, 0x76) as u64) << 32,
            i_block: b[I_BLOCK_OFFSET..I_BLOCK_OFFSET + I_BLOCK_SIZE]
                .try_into()
                .expect("60 bytes"),
            extra_isize,
            crtime: has(0x94).then(|| le32(b, 0x90)),
            checksum_ok,
            location,
        };
        if inode.size > i64::MAX as u64 {
            return Err(ExtError::corrupt(format!(
                "inode {ino}: impossible size {}",
                inode.size
            )));
        }
        if inode.mode != 0
            && !matches!(
                inode.file_type(),
                mode::FIFO | mode::CHR | mode::DIR | mode::BLK | mode::REG | mode::LNK | mode::SOCK
            )
        {
            return Err(ExtError::corrupt(format!(
                "inode {ino}: unknown file type in mode {:o}",
                inode.mode
            )));
        }
        Ok(inode)
    }

    /// Byte offset of inode `ino` inside the filesystem (its group descriptor is read).
    pub fn locate(dev: &dyn ReadAt, sb: &Superblock, ino: u32) -> Result<u64, ExtError> {
        if ino == 0 || ino > sb.inodes_count {
            return Err(ExtError::corrupt(format!(
                "inode {ino} does not exist ({} inodes)",
                sb.inodes_count
            )));
        }
        let ipg = sb.inodes_per_group as u64;
        let group = (ino as u64 - 1) / ipg;
        let index = (ino as u64 - 1) % ipg;
        let gd = GroupDesc::read(dev, sb, group)?;
        Ok(gd.inode_table * sb.block_size() + index * sb.inode_record_size() as u64)
    }

    /// Read and parse inode `ino`.
    pub fn read(dev: &dyn ReadAt, sb: &Superblock, ino: u32) -> Result<Self, ExtError> {
        let at = Self::locate(dev, sb, ino)?;
        let mut rec = vec![0u8; sb.inode_record_size() as usize];
        dev.read_at(at, &mut rec)?;
        Self::parse(sb, ino, &rec, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb() -> Superblock {
        Superblock::parse(&crate::fs::ext::superblock::test_bytes(64, 1024)).unwrap()
    }

    fn record() -> Vec<u8> {
        let mut r = vec![0u8; 256];
        r[0..2].copy_from_slice(&0o100644u16.to_le_bytes());
        r[4..8].copy_from_slice(&5000u32.to_le_bytes());
        r[0x6C..0x70].copy_from_slice(&1u32.to_le_bytes());
        r[0x20..0x24].copy_from_slice(&flags::EXTENTS.to_le_bytes());
        r[0x80..0x82].copy_from_slice(&32u16.to_le_bytes());
        r[0x90..0x94].copy_from_slice(&777u32.to_le_bytes());
        r
    }

    #[test]
    fn decodes_fields() {
        let i = Inode::parse(&sb(), 12, &record(), 0).unwrap();
        assert!(i.is_reg() && i.uses_extents());
        assert_eq!(i.size, (1 << 32) + 5000);
        assert_eq!(i.crtime, Some(777));
        assert_eq!(i.checksum_ok, None);
    }

    #[test]
    fn rejects_impossible_values() {
        let mut r = record();
        r[0x80..0x82].copy_from_slice(&200u16.to_le_bytes());
        assert!(Inode::parse(&sb(), 12, &r, 0).is_err());
        let mut r = record();
        r[0..2].copy_from_slice(&0xF1A4u16.to_le_bytes());
        assert!(Inode::parse(&sb(), 12, &r, 0).is_err());
        let mut r = record();
        r[0x6C..0x70].copy_from_slice(&0x8000_0000u32.to_le_bytes());
        assert!(Inode::parse(&sb(), 12, &r, 0).is_err());
        assert!(Inode::parse(&sb(), 12, &record()[..100], 0).is_err());
    }

    #[test]
    fn locate_bounds() {
        let dev = crate::image::MemDevice(vec![0u8; 1024 * 1024]);
        assert!(Inode::locate(&dev, &sb(), 0).is_err());
        assert!(Inode::locate(&dev, &sb(), 65).is_err());
        // The descriptor at block 2 is all zeroes: inode table 0 is refused.
        assert!(Inode::locate(&dev, &sb(), 1).is_err());
    }
}
