//! A read-only view of a filesystem device with the journal replayed on top, for `ext4-view`
//! and for our own parsers.
//!
//! Reads go to the device; any part of a read that falls in a block the journal replaces is
//! served from the logged copy instead (with its escaped magic restored). The primary
//! superblock (bytes 1024..2048) is served from a copy — itself taken from the replayed view —
//! with `needs_recovery` cleared and its checksum recomputed, so that `ext4-view` loads the
//! replayed state instead of refusing (or re-replaying) the journal. Backup superblocks and
//! descriptor copies are ordinary blocks: they are replayed when the journal logged them.

use std::io;
use std::sync::Arc;

use super::journal::Replay;
use super::superblock::{without_recover_flag, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};
use crate::image::{Device, ReadAt};

/// The device as a kernel would see it after journal recovery. Cheap to clone.
#[derive(Clone)]
pub struct Overlay {
    dev: Device,
    replay: Option<Arc<Replay>>,
    superblock: Arc<Vec<u8>>,
}

impl Overlay {
    /// Build the view; `replay` may be `None` (the on-disk state, superblock still patched).
    pub fn new(dev: Device, replay: Option<Arc<Replay>>) -> io::Result<Self> {
        let mut o = Overlay {
            dev,
            replay,
            superblock: Arc::new(Vec::new()),
        };
        let mut sb = vec![0u8; SUPERBLOCK_SIZE];
        o.read_replayed(SUPERBLOCK_OFFSET, &mut sb)?;
        o.superblock = Arc::new(without_recover_flag(&sb));
        Ok(o)
    }

    /// The superblock this view serves (replayed, `needs_recovery` cleared).
    pub fn superblock_bytes(&self) -> &[u8] {
        &self.superblock
    }

    /// The replay applied, if any.
    pub fn replay(&self) -> Option<&Replay> {
        self.replay.as_deref()
    }

    /// Device contents with the replayed blocks applied (superblock not patched).
    fn read_replayed(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.dev.read_at(offset, buf)?;
        let Some(r) = self.replay.as_deref() else {
            return Ok(());
        };
        if buf.is_empty() || r.is_empty() {
            return Ok(());
        }
        let bs = r.block_size();
        let end = offset + buf.len() as u64;
        for (block, _) in r.range(offset / bs, (end - 1) / bs) {
            let data = r
                .contents(&*self.dev, block)?
                .expect("the block was listed by the replay");
            copy_overlap(buf, offset, &data, block * bs);
        }
        Ok(())
    }
}

/// Copy the part of `src` (which starts at byte `src_at`) that overlaps `dst` (at `dst_at`).
fn copy_overlap(dst: &mut [u8], dst_at: u64, src: &[u8], src_at: u64) {
    let start = dst_at.max(src_at);
    let end = (dst_at + dst.len() as u64).min(src_at + src.len() as u64);
    if start >= end {
        return;
    }
    let d = (start - dst_at) as usize;
    let s = (start - src_at) as usize;
    let n = (end - start) as usize;
    dst[d..d + n].copy_from_slice(&src[s..s + n]);
}

impl ReadAt for Overlay {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.read_replayed(offset, buf)?;
        copy_overlap(buf, offset, &self.superblock, SUPERBLOCK_OFFSET);
        Ok(())
    }
    fn size(&self) -> u64 {
        self.dev.size()
    }
}

impl ext4_view::Ext4Read for Overlay {
    fn read(
        &mut self,
        start_byte: u64,
        dst: &mut [u8],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync + 'static>> {
        self.read_at(start_byte, dst).map_err(|e| Box::new(e) as _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    #[test]
    fn overlap_copies() {
        let mut dst = [0u8; 8];
        copy_overlap(&mut dst, 10, &[1, 2, 3, 4], 8);
        assert_eq!(dst, [3, 4, 0, 0, 0, 0, 0, 0]);
        copy_overlap(&mut dst, 10, &[9, 9], 17);
        assert_eq!(dst, [3, 4, 0, 0, 0, 0, 0, 9]);
        copy_overlap(&mut dst, 10, &[7], 100);
        assert_eq!(dst[7], 9);
    }

    #[test]
    fn superblock_is_patched_without_replay() {
        let mut img = vec![0u8; 8192];
        img[1024 + 0x60] = 0x04 | 0x02; // needs_recovery + filetype
        img[4000] = 42;
        let o = Overlay::new(Arc::new(MemDevice(img)), None).unwrap();
        let mut b = [0u8; 4];
        o.read_at(1024 + 0x60, &mut b).unwrap();
        assert_eq!(b[0], 0x02);
        o.read_at(4000, &mut b[..1]).unwrap();
        assert_eq!(b[0], 42);
        assert!(o.read_at(8190, &mut b).is_err());
    }
}
