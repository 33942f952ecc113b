//! ext2/ext3 block maps: `i_block[0..12]` point at data blocks, `i_block[12]` at a block of
//! pointers, `[13]` at a block of pointer blocks, `[14]` one level deeper. A zero pointer is a
//! hole. Only the blocks the file size covers are mapped; contiguous blocks merge into one run.

use super::error::{le32, read_block, ExtError};
use super::extent::{Extent, MapLimits};
use super::inode::Inode;
use super::superblock::Superblock;
use crate::image::ReadAt;

const DIRECT: u64 = 12;

/// Map every block of `inode` (which must not use extents) into runs, in logical order.
pub fn map_blocks(
    dev: &dyn ReadAt,
    sb: &Superblock,
    inode: &Inode,
    limits: MapLimits,
) -> Result<Vec<Extent>, ExtError> {
    let bs = sb.block_size();
    let per = bs / 4;
    let nblocks = inode.size.div_ceil(bs);
    let mut m = Mapper {
        dev,
        sb,
        ino: inode.ino,
        limits,
        meta_read: 0,
        nblocks,
        per,
        out: Vec::new(),
    };
    let ptr = |i: usize| le32(&inode.i_block, 4 * i) as u64;
    for i in 0..DIRECT.min(nblocks) {
        m.push(i, ptr(i as usize))?;
    }
    let mut start = DIRECT;
    let mut span = per;
    for level in 1..=3u32 {
        if start >= nblocks {
            break;
        }
        m.indirect(ptr(11 + level as usize), level, start)?;
        start = start.saturating_add(span);
        span = span.saturating_mul(per);
    }
    Ok(m.out)
}

struct Mapper<'a> {
    dev: &'a dyn ReadAt,
    sb: &'a Superblock,
    ino: u32,
    limits: MapLimits,
    meta_read: u32,
    nblocks: u64,
    per: u64,
    out: Vec<Extent>,
}

impl Mapper<'_> {
    fn bad(&self, m: impl std::fmt::Display) -> ExtError {
        ExtError::corrupt(format!("inode {} block map: {m}", self.ino))
    }

    fn check(&self, block: u64) -> Result<(), ExtError> {
        if block >= self.sb.blocks_count || block <= self.sb.first_data_block as u64 {
            return Err(self.bad(format!("pointer to block {block} outside the filesystem")));
        }
        Ok(())
    }

    /// Record logical block `l` at physical `p` (0 = hole).
    fn push(&mut self, l: u64, p: u64) -> Result<(), ExtError> {
        if p == 0 {
            return Ok(());
        }
        self.check(p)?;
        if let Some(last) = self.out.last_mut() {
            if last.logical + last.len as u64 == l
                && last.physical + last.len as u64 == p
                && last.len < u32::MAX
            {
                last.len += 1;
                return Ok(());
            }
        }
        if self.out.len() >= self.limits.max_extents {
            return Err(self.bad("too many runs"));
        }
        self.out.push(Extent {
            logical: l,
            physical: p,
            len: 1,
            uninit: false,
        });
        Ok(())
    }

    /// Walk a pointer block of `level` (1 = single indirect) whose first logical block is `start`.
    fn indirect(&mut self, block: u64, level: u32, start: u64) -> Result<(), ExtError> {
        if block == 0 {
            return Ok(());
        }
        self.check(block)?;
        self.meta_read += 1;
        if self.meta_read > self.limits.max_meta_blocks {
            return Err(self.bad("too many indirect blocks"));
        }
        let data = read_block(self.dev, self.sb, block)?;
        let child_span = self.per.pow(level - 1);
        for i in 0..self.per {
            let l = start + i * child_span;
            if l >= self.nblocks {
                break;
            }
            let p = le32(&data, 4 * i as usize) as u64;
            if level == 1 {
                self.push(l, p)?;
            } else {
                self.indirect(p, level - 1, l)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    fn sb() -> Superblock {
        Superblock::parse(&crate::fs::ext::superblock::test_bytes(64, 4096)).unwrap()
    }

    fn inode(size: u64, ptrs: &[(usize, u32)]) -> Inode {
        let mut r = vec![0u8; 256];
        r[0..2].copy_from_slice(&0o100644u16.to_le_bytes());
        r[4..8].copy_from_slice(&(size as u32).to_le_bytes());
        for &(i, p) in ptrs {
            r[0x28 + 4 * i..0x2C + 4 * i].copy_from_slice(&p.to_le_bytes());
        }
        Inode::parse(&sb(), 12, &r, 0).unwrap()
    }

    #[test]
    fn direct_indirect_and_double() {
        // 1 KiB blocks: 256 pointers per block. File of 12 + 256 + 3 blocks.
        let mut dev = vec![0u8; 4096 * 1024];
        let put = |dev: &mut Vec<u8>, block: usize, i: usize, v: u32| {
            let o = block * 1024 + 4 * i;
            dev[o..o + 4].copy_from_slice(&v.to_le_bytes());
        };
        for i in 0..256 {
            put(&mut dev, 50, i, 1000 + 12 + i as u32);
        }
        put(&mut dev, 51, 0, 52);
        put(&mut dev, 52, 0, 3000);
        put(&mut dev, 52, 2, 3002);
        let mut ptrs: Vec<(usize, u32)> = (0..12).map(|i| (i, 1000 + i as u32)).collect();
        ptrs.push((12, 50));
        ptrs.push((13, 51));
        ptrs[3].1 = 0; // a hole
        let ino = inode((12 + 256 + 3) * 1024, &ptrs);
        let got = map_blocks(&MemDevice(dev), &sb(), &ino, MapLimits::default()).unwrap();
        let runs: Vec<(u64, u64, u32)> =
            got.iter().map(|e| (e.logical, e.physical, e.len)).collect();
        assert_eq!(
            runs,
            vec![(0, 1000, 3), (4, 1004, 264), (268, 3000, 1), (270, 3002, 1)]
        );
    }

    #[test]
    fn rejects_pointers_outside() {
        let dev = MemDevice(vec![0u8; 4096 * 1024]);
        let ino = inode(1024, &[(0, 5000)]);
        assert!(map_blocks(&dev, &sb(), &ino, MapLimits::default()).is_err());
        let ino = inode(20 * 1024, &[(12, 9999)]);
        assert!(map_blocks(&dev, &sb(), &ino, MapLimits::default()).is_err());
    }
}
