//! ext2/3 block maps for writing: read every data and pointer block of an inode (no holes,
//! no triple indirection), and build a map for a new block list: 12 direct pointers, a single
//! indirect block, then a double indirect block and its children.

use super::overlay::CowDevice;
use super::{corrupt, refused, Result};
use crate::fs::ext::error::le32;

const DIRECT: usize = 12;

/// Pointer blocks a file of `n` blocks needs.
pub(super) fn meta_needed(n: usize, bs: u64) -> Result<usize> {
    let per = (bs / 4) as usize;
    if n <= DIRECT {
        Ok(0)
    } else if n <= DIRECT + per {
        Ok(1)
    } else if n <= DIRECT + per + per * per {
        Ok(2 + (n - DIRECT - per).div_ceil(per))
    } else {
        refused("the file would need a triple indirect block")
    }
}

struct Reader<'a> {
    cow: &'a CowDevice,
    first_data: u64,
    blocks_count: u64,
    ino: u32,
    data: Vec<u64>,
    meta: Vec<u64>,
    /// A zero pointer was met: any later non-zero one is a hole.
    ended: bool,
    max_blocks: usize,
}

impl Reader<'_> {
    fn check(&self, b: u64) -> Result<()> {
        if b <= self.first_data || b >= self.blocks_count {
            return corrupt(format!("inode {}: block pointer {b} is outside", self.ino));
        }
        Ok(())
    }
    fn data_ptr(&mut self, p: u64) -> Result<()> {
        if p == 0 {
            self.ended = true;
            return Ok(());
        }
        if self.ended {
            return refused(format!(
                "inode {} is sparse (has holes); not rewritten",
                self.ino
            ));
        }
        self.check(p)?;
        if self.data.len() >= self.max_blocks {
            return refused(format!(
                "inode {} is larger than the writer handles",
                self.ino
            ));
        }
        self.data.push(p);
        Ok(())
    }
    fn indirect(&mut self, p: u64, level: u32) -> Result<()> {
        if p == 0 {
            self.ended = true;
            return Ok(());
        }
        if self.ended {
            return refused(format!(
                "inode {} is sparse (has holes); not rewritten",
                self.ino
            ));
        }
        self.check(p)?;
        self.meta.push(p);
        let b = self.cow.read_block(p)?;
        for i in 0..b.len() / 4 {
            let q = le32(&b, 4 * i) as u64;
            if level == 1 {
                self.data_ptr(q)?;
            } else {
                self.indirect(q, level - 1)?;
            }
        }
        Ok(())
    }
}

/// Every data block in logical order and every pointer block (single, double, its children).
pub(super) fn read_map(
    cow: &CowDevice,
    first_data: u64,
    blocks_count: u64,
    ino: u32,
    i_block: &[u8],
    max_blocks: usize,
) -> Result<(Vec<u64>, Vec<u64>)> {
    let mut r = Reader {
        cow,
        first_data,
        blocks_count,
        ino,
        data: Vec::new(),
        meta: Vec::new(),
        ended: false,
        max_blocks,
    };
    for i in 0..DIRECT {
        r.data_ptr(le32(i_block, 4 * i) as u64)?;
    }
    r.indirect(le32(i_block, 48) as u64, 1)?;
    r.indirect(le32(i_block, 52) as u64, 2)?;
    if le32(i_block, 56) != 0 {
        return refused(format!(
            "inode {ino} uses a triple indirect block; not rewritten"
        ));
    }
    Ok((r.data, r.meta))
}

/// Build the map of `data` using pointer blocks `meta` (exactly `meta_needed`): the new
/// `i_block` and the contents of each pointer block.
pub(super) fn build_map(data: &[u64], meta: &[u64], bs: u64) -> ([u8; 60], Vec<(u64, Vec<u8>)>) {
    let per = (bs / 4) as usize;
    let mut root = [0u8; 60];
    for (i, &p) in data.iter().take(DIRECT).enumerate() {
        root[4 * i..4 * i + 4].copy_from_slice(&(p as u32).to_le_bytes());
    }
    let mut out = Vec::new();
    let fill = |ptrs: &[u64]| {
        let mut b = vec![0u8; bs as usize];
        for (i, &p) in ptrs.iter().enumerate() {
            b[4 * i..4 * i + 4].copy_from_slice(&(p as u32).to_le_bytes());
        }
        b
    };
    if data.len() > DIRECT {
        let end = data.len().min(DIRECT + per);
        root[48..52].copy_from_slice(&(meta[0] as u32).to_le_bytes());
        out.push((meta[0], fill(&data[DIRECT..end])));
    }
    if data.len() > DIRECT + per {
        let rest = &data[DIRECT + per..];
        let children = &meta[2..];
        root[52..56].copy_from_slice(&(meta[1] as u32).to_le_bytes());
        out.push((meta[1], fill(children)));
        for (chunk, &c) in rest.chunks(per).zip(children) {
            out.push((c, fill(chunk)));
        }
    }
    (root, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_blocks_needed() {
        assert_eq!(meta_needed(12, 1024).unwrap(), 0);
        assert_eq!(meta_needed(13, 1024).unwrap(), 1);
        assert_eq!(meta_needed(12 + 256, 1024).unwrap(), 1);
        assert_eq!(meta_needed(12 + 257, 1024).unwrap(), 3);
        assert_eq!(meta_needed(12 + 512, 1024).unwrap(), 3);
        assert_eq!(meta_needed(12 + 513, 1024).unwrap(), 4);
        assert!(meta_needed(12 + 256 + 65536 + 1, 1024).is_err());
        let data: Vec<u64> = (100..100 + 12 + 256 + 2).collect();
        let (root, blocks) = build_map(&data, &[5, 6, 7], 1024);
        assert_eq!(le32(&root, 48), 5);
        assert_eq!(le32(&root, 52), 6);
        assert_eq!(blocks.len(), 3);
        assert_eq!(le32(&blocks[1].1, 0), 7);
        assert_eq!(le32(&blocks[2].1, 4), 100 + 12 + 256 + 1);
    }
}
