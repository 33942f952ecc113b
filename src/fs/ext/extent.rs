//! Extent trees (ext4): map a file's logical blocks to physical runs, and the entry point
//! [`file_extents`] that also covers ext2/3 block maps (see [`super::blockmap`]).
//!
//! A node is a 12-byte header (magic 0xF30A, entries, max, depth) followed by 12-byte entries:
//! index entries (depth > 0) point to child nodes, leaf entries (depth 0) hold runs of up to
//! 32768 blocks (above that, the run is "uninitialised" and reads as zeroes). The root is the
//! inode's 60-byte `i_block`. The depth is capped at 5 (the kernel's limit), entry counts are
//! bounded by the node size, and the total work by [`MapLimits`].

use super::error::{le16, le32, read_block, ExtError};
use super::inode::Inode;
use super::superblock::Superblock;
use crate::image::ReadAt;

const EXTENT_MAGIC: u16 = 0xF30A;
/// The kernel never builds trees deeper than this.
pub const MAX_DEPTH: u16 = 5;
const INIT_MAX_LEN: u16 = 32768;

/// One run of a file: `len` blocks from `logical` are stored from `physical` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    pub logical: u64,
    pub physical: u64,
    pub len: u32,
    /// Allocated but never written (reads as zeroes).
    pub uninit: bool,
}

impl Extent {
    /// The physical block of logical block `l`, if this run covers it.
    pub fn map(&self, l: u64) -> Option<u64> {
        (l >= self.logical && l < self.logical + self.len as u64)
            .then(|| self.physical + (l - self.logical))
    }
}

/// Caps on the work one mapping may do on a damaged filesystem.
#[derive(Debug, Clone, Copy)]
pub struct MapLimits {
    /// Tree or indirect blocks read.
    pub max_meta_blocks: u32,
    /// Runs returned.
    pub max_extents: usize,
}

impl Default for MapLimits {
    fn default() -> Self {
        MapLimits {
            max_meta_blocks: 1 << 16,
            max_extents: 1 << 20,
        }
    }
}

/// Every run of `inode` in logical order: extent tree or block map, whichever it uses.
/// Holes are simply absent. Inline data has no blocks and is refused.
pub fn file_extents(
    dev: &dyn ReadAt,
    sb: &Superblock,
    inode: &Inode,
    limits: MapLimits,
) -> Result<Vec<Extent>, ExtError> {
    if inode.has_inline_data() {
        return Err(ExtError::Unsupported(format!(
            "inode {} keeps its data inline",
            inode.ino
        )));
    }
    if inode.uses_extents() {
        extent_tree(dev, sb, inode, limits)
    } else {
        super::blockmap::map_blocks(dev, sb, inode, limits)
    }
}

/// Walk the extent tree rooted in `inode.i_block`.
pub fn extent_tree(
    dev: &dyn ReadAt,
    sb: &Superblock,
    inode: &Inode,
    limits: MapLimits,
) -> Result<Vec<Extent>, ExtError> {
    let mut w = Walk {
        dev,
        sb,
        ino: inode.ino,
        limits,
        meta_read: 0,
        out: Vec::new(),
    };
    w.node(&inode.i_block, None)?;
    Ok(w.out)
}

struct Walk<'a> {
    dev: &'a dyn ReadAt,
    sb: &'a Superblock,
    ino: u32,
    limits: MapLimits,
    meta_read: u32,
    out: Vec<Extent>,
}

impl Walk<'_> {
    fn bad(&self, m: impl std::fmt::Display) -> ExtError {
        ExtError::corrupt(format!("inode {} extent tree: {m}", self.ino))
    }

    /// Visit one node; `expect_depth` is the depth its parent implies (None at the root).
    fn node(&mut self, b: &[u8], expect_depth: Option<u16>) -> Result<(), ExtError> {
        if b.len() < 12 || le16(b, 0) != EXTENT_MAGIC {
            return Err(self.bad("bad node magic"));
        }
        let entries = le16(b, 2) as usize;
        let max = le16(b, 4) as usize;
        let depth = le16(b, 6);
        let capacity = (b.len() - 12) / 12;
        if entries > max || max > capacity {
            return Err(self.bad(format!(
                "{entries} entries, {max} max in a node of room for {capacity}"
            )));
        }
        if depth > MAX_DEPTH || expect_depth.is_some_and(|d| d != depth) {
            return Err(self.bad(format!("impossible depth {depth}")));
        }
        for i in 0..entries {
            let e = &b[12 + 12 * i..24 + 12 * i];
            if depth == 0 {
                self.leaf(e)?;
            } else {
                let child = le32(e, 4) as u64 | (le16(e, 8) as u64) << 32;
                self.meta_read += 1;
                if self.meta_read > self.limits.max_meta_blocks {
                    return Err(self.bad("too many tree blocks"));
                }
                let block = read_block(self.dev, self.sb, child)
                    .map_err(|e| self.bad(format!("child node: {e}")))?;
                self.node(&block, Some(depth - 1))?;
            }
        }
        Ok(())
    }

    fn leaf(&mut self, e: &[u8]) -> Result<(), ExtError> {
        let logical = le32(e, 0) as u64;
        let raw_len = le16(e, 4);
        let physical = le32(e, 8) as u64 | (le16(e, 6) as u64) << 32;
        let (len, uninit) = if raw_len > INIT_MAX_LEN {
            (raw_len - INIT_MAX_LEN, true)
        } else {
            (raw_len, false)
        };
        if len == 0 {
            return Err(self.bad(format!("empty run at logical block {logical}")));
        }
        if physical == 0 || physical.saturating_add(len as u64) > self.sb.blocks_count {
            return Err(self.bad(format!(
                "run at block {physical} (+{len}) lies outside the filesystem"
            )));
        }
        if let Some(last) = self.out.last() {
            if logical < last.logical + last.len as u64 {
                return Err(self.bad(format!("runs overlap or go backwards at {logical}")));
            }
        }
        if self.out.len() >= self.limits.max_extents {
            return Err(self.bad("too many runs"));
        }
        self.out.push(Extent {
            logical,
            physical,
            len: len as u32,
            uninit,
        });
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

    fn header(b: &mut [u8], entries: u16, max: u16, depth: u16) {
        b[0..2].copy_from_slice(&EXTENT_MAGIC.to_le_bytes());
        b[2..4].copy_from_slice(&entries.to_le_bytes());
        b[4..6].copy_from_slice(&max.to_le_bytes());
        b[6..8].copy_from_slice(&depth.to_le_bytes());
    }

    fn leaf(b: &mut [u8], i: usize, logical: u32, len: u16, phys: u32) {
        let o = 12 + 12 * i;
        b[o..o + 4].copy_from_slice(&logical.to_le_bytes());
        b[o + 4..o + 6].copy_from_slice(&len.to_le_bytes());
        b[o + 8..o + 12].copy_from_slice(&phys.to_le_bytes());
    }

    fn inode(i_block: [u8; 60]) -> Inode {
        let mut r = vec![0u8; 256];
        r[0..2].copy_from_slice(&0o100644u16.to_le_bytes());
        r[0x20..0x24].copy_from_slice(&crate::fs::ext::inode::flags::EXTENTS.to_le_bytes());
        r[0x28..0x28 + 60].copy_from_slice(&i_block);
        Inode::parse(&sb(), 12, &r, 0).unwrap()
    }

    #[test]
    fn two_level_tree() {
        let mut dev = vec![0u8; 1024 * 4096];
        let node = &mut dev[100 * 1024..101 * 1024];
        header(node, 2, 84, 0);
        leaf(node, 0, 0, 10, 500);
        leaf(node, 1, 20, 32768 + 5, 600);
        let mut root = [0u8; 60];
        header(&mut root, 1, 4, 1);
        root[12 + 4..12 + 8].copy_from_slice(&100u32.to_le_bytes());
        let got = file_extents(&MemDevice(dev), &sb(), &inode(root), MapLimits::default()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].map(9), Some(509));
        assert_eq!(got[0].map(10), None);
        assert_eq!((got[1].logical, got[1].len, got[1].uninit), (20, 5, true));
    }

    #[test]
    fn rejects_loops_bad_counts_and_out_of_range() {
        // A node that points to itself: the depth check stops it.
        let mut dev = vec![0u8; 1024 * 4096];
        let node = &mut dev[100 * 1024..101 * 1024];
        header(node, 1, 84, 1);
        node[12 + 4..12 + 8].copy_from_slice(&100u32.to_le_bytes());
        let mut root = [0u8; 60];
        header(&mut root, 1, 4, 2);
        root[12 + 4..12 + 8].copy_from_slice(&100u32.to_le_bytes());
        let dev = MemDevice(dev);
        assert!(file_extents(&dev, &sb(), &inode(root), MapLimits::default()).is_err());

        let mut root = [0u8; 60];
        header(&mut root, 5, 5, 0);
        assert!(file_extents(&dev, &sb(), &inode(root), MapLimits::default()).is_err());
        let mut root = [0u8; 60];
        header(&mut root, 1, 4, 0);
        leaf(&mut root, 0, 0, 10, 4090);
        assert!(file_extents(&dev, &sb(), &inode(root), MapLimits::default()).is_err());
        let mut root = [0u8; 60];
        header(&mut root, 2, 4, 0);
        leaf(&mut root, 0, 5, 10, 100);
        leaf(&mut root, 1, 7, 10, 200);
        assert!(file_extents(&dev, &sb(), &inode(root), MapLimits::default()).is_err());
    }
}
