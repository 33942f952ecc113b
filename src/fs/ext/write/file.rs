//! File contents and new objects: rewrite, grow and shrink a file's blocks and mapping;
//! create regular files and symlinks.

use super::blockmap_write::{build_map, meta_needed, read_map};
use super::dir_write::{FT_DIR, FT_REG, FT_SYMLINK};
use super::extent_write::{build_tree, leaves_needed, read_tree, runs_of};
use super::inode_write::Rec;
use super::{refused, ExtWriter, Result, WriteError, MAX_FILE_SIZE};
use crate::fs::ext::inode::{flags, mode, I_BLOCK_OFFSET, I_BLOCK_SIZE};
use crate::fs::ext::superblock::{crc32c_raw, incompat};

/// What to create.
pub(super) enum NewObject<'a> {
    File(&'a [u8]),
    Symlink(&'a [u8]),
}

impl ExtWriter {
    /// Refuse anything but a regular file.
    pub(super) fn check_regular(&self, ino: u32, path: &str) -> Result<()> {
        let (_, inode) = self.load_inode(ino)?;
        if inode.is_reg() {
            return Ok(());
        }
        let what = match inode.file_type() {
            mode::DIR => "a directory",
            mode::LNK => "a symbolic link; resolve it first",
            _ => "a device node, fifo or socket",
        };
        refused(format!("{path} is {what}"))
    }

    /// Give inode `ino` exactly `contents`: same blocks when the count stays, else grow or
    /// shrink, then rebuild its mapping; i_size, i_blocks, mtime and ctime follow.
    pub(super) fn set_contents(&mut self, ino: u32, contents: &[u8]) -> Result<()> {
        if contents.len() as u64 > MAX_FILE_SIZE {
            return refused(format!(
                "{} bytes is more than the {MAX_FILE_SIZE}-byte limit",
                contents.len()
            ));
        }
        let (mut rec, inode) = self.load_inode(ino)?;
        self.check_writable(&inode, &format!("inode {ino}"))?;
        let bs = self.sb.block_size();
        let spb = bs / 512;
        let seed = self.owner_seed(&rec);
        let max_blocks = (MAX_FILE_SIZE / bs) as usize + 1;
        let extents = inode.uses_extents();
        let (old_data, old_meta) = if extents {
            let (runs, leaves) =
                read_tree(&self.cow, self.sb.blocks_count, seed, ino, &inode.i_block)?;
            let mut data = Vec::new();
            for r in runs {
                if r.logical != data.len() as u64 {
                    return refused(format!("inode {ino} is sparse (has holes); not rewritten"));
                }
                if data.len() as u64 + r.len > max_blocks as u64 {
                    return refused(format!("inode {ino} is larger than the writer handles"));
                }
                data.extend(r.physical..r.physical + r.len);
            }
            (data, leaves)
        } else {
            read_map(
                &self.cow,
                self.sb.first_data_block as u64,
                self.sb.blocks_count,
                ino,
                &inode.i_block,
                max_blocks,
            )?
        };
        let old_sectors = (old_data.len() + old_meta.len()) as u64 * spb;
        if inode.blocks < old_sectors {
            return Err(WriteError::Corrupt(format!(
                "inode {ino}: i_blocks is smaller than its blocks"
            )));
        }
        let n = contents.len().div_ceil(bs as usize);
        if !extents {
            meta_needed(n, bs)?;
        }

        let mut data = old_data.clone();
        if n < data.len() {
            let freed = data.split_off(n);
            self.free_blocks(&freed)?;
        } else if n > data.len() {
            let goal = match data.last() {
                Some(&b) => b + 1,
                None => self.inode_goal(ino),
            };
            let more = self.alloc_blocks(goal, n - data.len())?;
            data.extend(more);
        }
        for (i, &b) in data.iter().enumerate() {
            let mut block = vec![0u8; bs as usize];
            let start = i * bs as usize;
            let end = (start + bs as usize).min(contents.len());
            block[..end - start].copy_from_slice(&contents[start..end]);
            self.cow.write_block(b, block)?;
        }

        let mut meta = old_meta.clone();
        if data != old_data {
            let runs = runs_of(&data);
            let need = if extents {
                leaves_needed(runs.len(), bs)?
            } else {
                meta_needed(n, bs)?
            };
            if need < meta.len() {
                let extra = meta.split_off(need);
                self.free_blocks(&extra)?;
            } else if need > meta.len() {
                let goal = data.last().map_or_else(|| self.inode_goal(ino), |&b| b + 1);
                let more = self.alloc_blocks(goal, need - meta.len())?;
                meta.extend(more);
            }
            let (root, blocks) = if extents {
                build_tree(&runs, &meta, bs, seed)
            } else {
                build_map(&data, &meta, bs)
            };
            rec.raw[I_BLOCK_OFFSET..I_BLOCK_OFFSET + I_BLOCK_SIZE].copy_from_slice(&root);
            for (b, d) in blocks {
                self.cow.write_block(b, d)?;
            }
        }
        let sectors = inode.blocks - old_sectors + (data.len() + meta.len()) as u64 * spb;
        self.set_iblocks(&mut rec, sectors)?;
        let size = contents.len() as u64;
        rec.put32(0x4, size as u32);
        rec.put32(0x6C, (size >> 32) as u32);
        self.touch(&mut rec, true);
        self.store_inode(&mut rec)
    }

    /// A block to start looking for free space for inode `ino`: the start of its group.
    fn inode_goal(&self, ino: u32) -> u64 {
        let g = (ino as u64 - 1) / self.sb.inodes_per_group as u64;
        let g = g.min(self.sb.group_count() - 1);
        self.sb.first_data_block as u64 + g * self.sb.blocks_per_group as u64
    }

    pub(super) fn create(
        &mut self,
        dir_path: &str,
        name: &str,
        obj: NewObject<'_>,
        perm: u32,
        uid: u32,
        gid: u32,
    ) -> Result<()> {
        let nb = name.as_bytes();
        if nb.is_empty()
            || nb.len() > 255
            || name == "."
            || name == ".."
            || nb.contains(&b'/')
            || nb.contains(&0)
        {
            return refused(format!("{name:?} is not a valid file name"));
        }
        let bs = self.sb.block_size() as usize;
        if let NewObject::Symlink(t) = obj {
            if t.is_empty() || t.contains(&0) || t.len() >= bs.min(4096) {
                return refused(
                    "a symlink target must be 1 to 4095 bytes (and less than a block) without NUL",
                );
            }
        }
        let dir = self.resolve(dir_path)?;
        let (_, dinode) = self.load_inode(dir)?;
        if !dinode.is_dir() {
            return Err(WriteError::NotFound(format!(
                "{dir_path} is not a directory"
            )));
        }
        self.check_writable(&dinode, dir_path)?;
        if self.lookup(dir, nb)?.is_some() {
            return Err(WriteError::Exists(format!("{dir_path}/{name}")));
        }
        let group = (dir as u64 - 1) / self.sb.inodes_per_group as u64;
        let ino = self.alloc_inode(group)?;
        let extents = self.sb.feature_incompat & incompat::EXTENTS != 0;
        let (type_bits, ft) = match obj {
            NewObject::File(_) => (mode::REG, FT_REG),
            NewObject::Symlink(_) => (mode::LNK, FT_SYMLINK),
        };
        debug_assert_ne!(ft, FT_DIR);
        let fast = matches!(obj, NewObject::Symlink(t) if t.len() < I_BLOCK_SIZE);
        let mut rec = self.fresh_inode(ino, type_bits | (perm & 0o7777) as u16, uid, gid)?;
        if fast {
            let NewObject::Symlink(t) = obj else {
                unreachable!()
            };
            rec.raw[I_BLOCK_OFFSET..I_BLOCK_OFFSET + t.len()].copy_from_slice(t);
            rec.put32(0x4, t.len() as u32);
        } else if extents {
            rec.put32(0x20, flags::EXTENTS);
            let (root, _) = build_tree(&[], &[], bs as u64, None);
            rec.raw[I_BLOCK_OFFSET..I_BLOCK_OFFSET + I_BLOCK_SIZE].copy_from_slice(&root);
        }
        self.store_inode(&mut rec)?;
        match obj {
            NewObject::File(c) => self.set_contents(ino, c)?,
            NewObject::Symlink(t) if !fast => self.set_contents(ino, t)?,
            NewObject::Symlink(_) => {}
        }
        self.insert_entry(dir, nb, ino, ft)
    }

    /// A zeroed record for new inode `ino`.
    fn fresh_inode(&self, ino: u32, mode_v: u16, uid: u32, gid: u32) -> Result<Rec> {
        // The slot's old contents (possibly garbage, never used) are not read: all is rewritten.
        let ipg = self.sb.inodes_per_group as u64;
        let d = self.desc((ino as u64 - 1) / ipg)?;
        let rs = self.sb.inode_record_size() as usize;
        let at = d.inode_table() * self.sb.block_size() + ((ino as u64 - 1) % ipg) * rs as u64;
        let raw_sb = self.sb_raw()?;
        let mut rec = Rec {
            ino,
            at,
            raw: vec![0u8; rs],
        };
        let now = self.now;
        rec.put16(0x0, mode_v);
        rec.put16(0x2, uid as u16);
        rec.put16(0x78, (uid >> 16) as u16);
        rec.put16(0x18, gid as u16);
        rec.put16(0x7A, (gid >> 16) as u16);
        rec.put32(0x8, now);
        rec.put32(0xC, now);
        rec.put32(0x10, now);
        rec.put16(0x1A, 1);
        let seed = self.csum.unwrap_or_else(|| crc32c_raw(!0, &self.sb.uuid));
        let gen = crc32c_raw(crc32c_raw(seed, &now.to_le_bytes()), &ino.to_le_bytes());
        rec.put32(0x64, gen);
        if rec.raw.len() > 128 {
            rec.put16(0x80, self.extra_isize(&raw_sb));
            let extra = u32::from(now > i32::MAX as u32);
            for o in [0x84, 0x88, 0x8C] {
                if rec.has_extra(o + 4) {
                    rec.put32(o, extra);
                }
            }
            if rec.has_extra(0x98) {
                rec.put32(0x90, now);
                rec.put32(0x94, extra);
            }
        }
        Ok(rec)
    }
}
