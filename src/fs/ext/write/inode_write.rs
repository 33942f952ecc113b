//! Inode records: read one raw record through the overlay (checking its checksum), change
//! fields, write it back with a fresh checksum.

use super::{corrupt, csum, refused, ExtWriter, Result};
use crate::fs::ext::error::le32;
use crate::fs::ext::inode::{flags, Inode};
use crate::fs::ext::superblock::ro_compat;
use crate::image::ReadAt;

/// One raw inode record.
pub(super) struct Rec {
    pub ino: u32,
    pub at: u64,
    pub raw: Vec<u8>,
}

impl Rec {
    pub fn put32(&mut self, o: usize, v: u32) {
        self.raw[o..o + 4].copy_from_slice(&v.to_le_bytes());
    }
    pub fn put16(&mut self, o: usize, v: u16) {
        self.raw[o..o + 2].copy_from_slice(&v.to_le_bytes());
    }
    pub fn generation(&self) -> u32 {
        le32(&self.raw, 0x64)
    }
    /// Does the record have room for an extra field ending at `end`?
    pub fn has_extra(&self, end: usize) -> bool {
        self.raw.len() > 128
            && 128 + crate::fs::ext::error::le16(&self.raw, 0x80) as usize >= end
            && end <= self.raw.len()
    }
}

impl ExtWriter {
    /// Read and check inode `ino`.
    pub(super) fn load_inode(&self, ino: u32) -> Result<(Rec, Inode)> {
        let sb = &self.sb;
        if ino == 0 || ino > sb.inodes_count {
            return corrupt(format!("inode {ino} does not exist"));
        }
        let ipg = sb.inodes_per_group as u64;
        let group = (ino as u64 - 1) / ipg;
        let index = (ino as u64 - 1) % ipg;
        let d = self.desc(group)?;
        let at = d.inode_table() * sb.block_size() + index * sb.inode_record_size() as u64;
        let mut raw = vec![0u8; sb.inode_record_size() as usize];
        self.cow.read_at(at, &mut raw)?;
        let inode = Inode::parse(sb, ino, &raw, at)?;
        if let Some(seed) = self.csum {
            if !csum::inode_ok(seed, ino, &raw) {
                return corrupt(format!("inode {ino}: checksum is wrong"));
            }
        }
        Ok((Rec { ino, at, raw }, inode))
    }

    /// Write a record back with its checksum.
    pub(super) fn store_inode(&mut self, rec: &mut Rec) -> Result<()> {
        if let Some(seed) = self.csum {
            csum::set_inode(seed, rec.ino, &mut rec.raw);
        }
        self.cow.write_bytes(rec.at, &rec.raw)?;
        Ok(())
    }

    /// Stamp ctime (and mtime when `modified`) with `now`.
    pub(super) fn touch(&self, rec: &mut Rec, modified: bool) {
        let now = self.now;
        // Timestamps above i32::MAX need epoch bit 1 in the extra field.
        let extra = u32::from(now > i32::MAX as u32);
        rec.put32(0xC, now);
        if rec.has_extra(0x88) {
            rec.put32(0x84, extra);
        }
        if modified {
            rec.put32(0x10, now);
            if rec.has_extra(0x8C) {
                rec.put32(0x88, extra);
            }
        }
    }

    /// The inode seed of inode-owned metadata, when metadata_csum is on.
    pub(super) fn owner_seed(&self, rec: &Rec) -> Option<u32> {
        self.csum
            .map(|s| csum::inode_seed(s, rec.ino, rec.generation()))
    }

    /// Refuse inodes whose data the writer must not change.
    pub(super) fn check_writable(&self, inode: &Inode, what: &str) -> Result<()> {
        let f = inode.flags;
        let bad = [
            (flags::INLINE_DATA, "keeps its data inline"),
            (flags::ENCRYPT, "is encrypted"),
            (flags::VERITY, "is protected by fs-verity"),
            (flags::IMMUTABLE, "is immutable (chattr +i)"),
            (flags::APPEND, "is append-only (chattr +a)"),
            (flags::EA_INODE, "is an extended attribute inode"),
            (
                flags::HUGE_FILE,
                "counts its blocks in filesystem blocks (huge_file)",
            ),
            (0x4000_0000, "is case-insensitive (casefold)"),
        ];
        for (bit, why) in bad {
            if f & bit != 0 {
                return refused(format!("{what} {why}"));
            }
        }
        if inode.uses_extents() && self.sb.feature_incompat & super::incompat::EXTENTS == 0 {
            return corrupt(format!("{what} uses extents on a filesystem without them"));
        }
        Ok(())
    }

    /// Store `i_blocks` (in 512-byte units).
    pub(super) fn set_iblocks(&self, rec: &mut Rec, sectors: u64) -> Result<()> {
        let huge = self.sb.feature_ro_compat & ro_compat::HUGE_FILE != 0;
        let limit = if huge { 1u64 << 48 } else { 1u64 << 32 };
        if sectors >= limit {
            return refused("the file would be too large for i_blocks");
        }
        rec.put32(0x1C, sectors as u32);
        if huge {
            rec.put16(0x74, (sectors >> 32) as u16);
        }
        Ok(())
    }
}
