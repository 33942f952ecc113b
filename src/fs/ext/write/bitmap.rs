//! Group descriptors and the block and inode bitmaps: allocate and free, keeping the group
//! and superblock free counts and every checksum right.

use super::{corrupt, csum, ExtWriter, Result, WriteError};
use crate::fs::ext::error::{le16, le32};
use crate::fs::ext::group_desc::{desc_location, flags as bg};

/// One group descriptor's raw bytes and where they live.
pub(super) struct Desc {
    pub group: u64,
    pub at: u64,
    pub raw: Vec<u8>,
}

impl Desc {
    fn wide(&self) -> bool {
        self.raw.len() >= 64
    }
    fn get(&self, lo: usize, hi: usize, lo32: bool) -> u64 {
        let l = if lo32 {
            le32(&self.raw, lo) as u64
        } else {
            le16(&self.raw, lo) as u64
        };
        if !self.wide() {
            return l;
        }
        if lo32 {
            l | (le32(&self.raw, hi) as u64) << 32
        } else {
            l | (le16(&self.raw, hi) as u64) << 16
        }
    }
    fn set16(&mut self, lo: usize, hi: usize, v: u32) {
        self.raw[lo..lo + 2].copy_from_slice(&(v as u16).to_le_bytes());
        if self.wide() {
            self.raw[hi..hi + 2].copy_from_slice(&((v >> 16) as u16).to_le_bytes());
        }
    }
    pub fn block_bitmap(&self) -> u64 {
        self.get(0x0, 0x20, true)
    }
    pub fn inode_bitmap(&self) -> u64 {
        self.get(0x4, 0x24, true)
    }
    pub fn inode_table(&self) -> u64 {
        self.get(0x8, 0x28, true)
    }
    pub fn free_blocks(&self) -> u32 {
        self.get(0xC, 0x2C, false) as u32
    }
    pub fn free_inodes(&self) -> u32 {
        self.get(0xE, 0x2E, false) as u32
    }
    pub fn flags(&self) -> u16 {
        le16(&self.raw, 0x12)
    }
    pub fn itable_unused(&self) -> u32 {
        self.get(0x1C, 0x32, false) as u32
    }
    fn set_free_blocks(&mut self, v: u32) {
        self.set16(0xC, 0x2C, v)
    }
    fn set_free_inodes(&mut self, v: u32) {
        self.set16(0xE, 0x2E, v)
    }
    fn set_itable_unused(&mut self, v: u32) {
        self.set16(0x1C, 0x32, v)
    }
    fn set_block_bitmap_csum(&mut self, c: u32) {
        self.set16(0x18, 0x38, c)
    }
    fn set_inode_bitmap_csum(&mut self, c: u32) {
        self.set16(0x1A, 0x3A, c)
    }
    fn block_bitmap_csum(&self) -> u32 {
        self.get(0x18, 0x38, false) as u32
    }
    fn inode_bitmap_csum(&self) -> u32 {
        self.get(0x1A, 0x3A, false) as u32
    }
}

/// Which bitmap.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Block,
    Inode,
}

impl ExtWriter {
    fn desc_csum(&self, d: &Desc) -> Option<u16> {
        csum::group_desc(
            self.csum,
            self.gdt_csum.then_some(&self.sb.uuid),
            d.group as u32,
            &d.raw,
        )
    }

    /// Read the primary descriptor of `group`, checking its checksum.
    pub(super) fn desc(&self, group: u64) -> Result<Desc> {
        let (block, off) = desc_location(&self.sb, group)?;
        let at = block * self.sb.block_size() + off as u64;
        let mut raw = vec![0u8; self.sb.group_desc_size() as usize];
        crate::image::ReadAt::read_at(&self.cow, at, &mut raw)?;
        let d = Desc { group, at, raw };
        if let Some(c) = self.desc_csum(&d) {
            if c != le16(&d.raw, 0x1E) {
                return corrupt(format!("group {group}: descriptor checksum is wrong"));
            }
        }
        let itable_blocks = (self.sb.inodes_per_group as u64 * self.sb.inode_record_size() as u64)
            .div_ceil(self.sb.block_size());
        for (what, b, n) in [
            ("block bitmap", d.block_bitmap(), 1),
            ("inode bitmap", d.inode_bitmap(), 1),
            ("inode table", d.inode_table(), itable_blocks),
        ] {
            if b == 0 || b.saturating_add(n) > self.sb.blocks_count {
                return corrupt(format!("group {group}: {what} at block {b} is outside"));
            }
        }
        Ok(d)
    }

    /// Write a descriptor back with its checksum.
    pub(super) fn put_desc(&mut self, mut d: Desc) -> Result<()> {
        if let Some(c) = self.desc_csum(&d) {
            d.raw[0x1E..0x20].copy_from_slice(&c.to_le_bytes());
        }
        self.cow.write_bytes(d.at, &d.raw)?;
        Ok(())
    }

    /// Group of block `b`.
    pub(super) fn group_of_block(&self, b: u64) -> u64 {
        b.saturating_sub(self.sb.first_data_block as u64) / self.sb.blocks_per_group as u64
    }

    /// First block of `group` and how many blocks it has.
    fn group_span(&self, group: u64) -> (u64, u64) {
        let first = self.sb.first_data_block as u64 + group * self.sb.blocks_per_group as u64;
        let n = (self.sb.blocks_count - first).min(self.sb.blocks_per_group as u64);
        (first, n)
    }

    fn bitmap_len(&self, kind: Kind) -> usize {
        match kind {
            Kind::Block => self.sb.blocks_per_group as usize / 8,
            Kind::Inode => self.sb.inodes_per_group as usize / 8,
        }
    }

    /// Load a group's bitmap, checking its checksum.
    fn load_bitmap(&self, d: &Desc, kind: Kind) -> Result<(u64, Vec<u8>)> {
        let block = match kind {
            Kind::Block => d.block_bitmap(),
            Kind::Inode => d.inode_bitmap(),
        };
        let data = self.cow.read_block(block)?;
        if let Some(seed) = self.csum {
            let c = csum::bitmap(seed, &data, self.bitmap_len(kind));
            let (stored, mask) = match kind {
                Kind::Block => (d.block_bitmap_csum(), d.raw.len() >= 0x3C),
                Kind::Inode => (d.inode_bitmap_csum(), d.raw.len() >= 0x3C),
            };
            let want = if mask { c } else { c & 0xFFFF };
            if stored != want {
                let what = if kind == Kind::Block {
                    "block"
                } else {
                    "inode"
                };
                return corrupt(format!(
                    "group {}: {what} bitmap checksum is wrong",
                    d.group
                ));
            }
        }
        Ok((block, data))
    }

    /// Write a bitmap back and store its checksum in the descriptor.
    fn store_bitmap(&mut self, d: &mut Desc, kind: Kind, block: u64, data: Vec<u8>) -> Result<()> {
        if let Some(seed) = self.csum {
            let c = csum::bitmap(seed, &data, self.bitmap_len(kind));
            match kind {
                Kind::Block => d.set_block_bitmap_csum(c),
                Kind::Inode => d.set_inode_bitmap_csum(c),
            }
        }
        self.cow.write_block(block, data)?;
        Ok(())
    }

    /// Allocate `count` free blocks, as close after `goal` as possible.
    pub(super) fn alloc_blocks(&mut self, goal: u64, count: usize) -> Result<Vec<u64>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        self.check_quota()?;
        let groups = self.sb.group_count();
        let goal = goal.clamp(self.sb.first_data_block as u64, self.sb.blocks_count - 1);
        let g0 = self.group_of_block(goal).min(groups - 1);
        let goal_off = goal - self.group_span(g0).0;
        let mut out = Vec::with_capacity(count);
        for pass in 0..=groups {
            if out.len() == count {
                break;
            }
            let g = (g0 + pass) % groups;
            let (first, n) = self.group_span(g);
            let (from, to) = match pass {
                0 => (goal_off, n),
                p if p == groups => (0, goal_off.min(n)),
                _ => (0, n),
            };
            let mut d = self.desc(g)?;
            if (self.gdt_csum && d.flags() & bg::BLOCK_UNINIT != 0) || d.free_blocks() == 0 {
                continue;
            }
            let (bblock, mut bits) = self.load_bitmap(&d, Kind::Block)?;
            let mut taken = 0u32;
            for i in from..to {
                if out.len() == count {
                    break;
                }
                let (byte, bit) = ((i / 8) as usize, (i % 8) as u8);
                if bits[byte] & (1 << bit) == 0 {
                    let b = first + i;
                    if b == 0 || b >= self.sb.blocks_count {
                        continue;
                    }
                    bits[byte] |= 1 << bit;
                    out.push(b);
                    taken += 1;
                }
            }
            if taken == 0 {
                continue;
            }
            if taken > d.free_blocks() {
                return corrupt(format!(
                    "group {g}: the bitmap has more free blocks than the descriptor counts"
                ));
            }
            d.set_free_blocks(d.free_blocks() - taken);
            self.store_bitmap(&mut d, Kind::Block, bblock, bits)?;
            self.put_desc(d)?;
        }
        if out.len() < count {
            return Err(WriteError::NoSpace(format!(
                "{count} free block(s) needed, {} found in initialised groups",
                out.len()
            )));
        }
        self.sb_adjust_free(-(count as i64), 0)?;
        Ok(out)
    }

    /// Mark `blocks` free again.
    pub(super) fn free_blocks(&mut self, blocks: &[u64]) -> Result<()> {
        if blocks.is_empty() {
            return Ok(());
        }
        self.check_quota()?;
        let mut sorted = blocks.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != blocks.len() {
            return corrupt("a block is used twice by one file");
        }
        let mut i = 0;
        while i < sorted.len() {
            let g = self.group_of_block(sorted[i]);
            let (first, n) = self.group_span(g);
            let mut d = self.desc(g)?;
            if self.gdt_csum && d.flags() & bg::BLOCK_UNINIT != 0 {
                return corrupt(format!(
                    "block {} is in use in an uninitialised group",
                    sorted[i]
                ));
            }
            let (bblock, mut bits) = self.load_bitmap(&d, Kind::Block)?;
            let mut freed = 0u32;
            while i < sorted.len() && sorted[i] >= first && sorted[i] < first + n {
                let off = sorted[i] - first;
                let (byte, bit) = ((off / 8) as usize, (off % 8) as u8);
                if bits[byte] & (1 << bit) == 0 {
                    return corrupt(format!("block {} is in use but marked free", sorted[i]));
                }
                bits[byte] &= !(1 << bit);
                freed += 1;
                i += 1;
            }
            if freed == 0 {
                return corrupt(format!("block {} is outside every group", sorted[i]));
            }
            d.set_free_blocks(d.free_blocks() + freed);
            self.store_bitmap(&mut d, Kind::Block, bblock, bits)?;
            self.put_desc(d)?;
        }
        self.sb_adjust_free(sorted.len() as i64, 0)?;
        Ok(())
    }

    /// Allocate one inode (for a non-directory), preferably in `group`.
    pub(super) fn alloc_inode(&mut self, group: u64) -> Result<u32> {
        self.check_quota()?;
        let groups = self.sb.group_count();
        let ipg = self.sb.inodes_per_group as u64;
        let first_ino = self.first_ino() as u64;
        for pass in 0..groups {
            let g = (group + pass) % groups;
            let mut d = self.desc(g)?;
            if (self.gdt_csum && d.flags() & bg::INODE_UNINIT != 0) || d.free_inodes() == 0 {
                continue;
            }
            let (iblock, mut bits) = self.load_bitmap(&d, Kind::Inode)?;
            let found = (0..ipg).find(|&i| {
                let ino = g * ipg + i + 1;
                ino >= first_ino
                    && ino <= self.sb.inodes_count as u64
                    && bits[(i / 8) as usize] & (1 << (i % 8)) == 0
            });
            let Some(i) = found else { continue };
            bits[(i / 8) as usize] |= 1 << (i % 8);
            d.set_free_inodes(d.free_inodes() - 1);
            if self.gdt_csum {
                let used = ipg.saturating_sub(d.itable_unused() as u64);
                if i >= used {
                    d.set_itable_unused((ipg - i - 1) as u32);
                }
            }
            self.store_bitmap(&mut d, Kind::Inode, iblock, bits)?;
            self.put_desc(d)?;
            self.sb_adjust_free(0, -1)?;
            return Ok((g * ipg + i + 1) as u32);
        }
        Err(WriteError::NoSpace(
            "no free inode in an initialised group".into(),
        ))
    }
}
