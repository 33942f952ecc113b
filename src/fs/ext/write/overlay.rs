//! The copy-on-write device: whole filesystem blocks changed in memory over a read-only
//! device. Reads see the changes; [`CowDevice::changes`] lists the blocks that now differ.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use crate::image::{check_range, Device, ReadAt};

/// A device plus the blocks written over it. Cheap to clone (blocks are shared).
#[derive(Clone)]
pub struct CowDevice {
    base: Device,
    block_size: u64,
    blocks: BTreeMap<u64, Arc<Vec<u8>>>,
}

impl CowDevice {
    pub fn new(base: Device, block_size: u64) -> Self {
        CowDevice {
            base,
            block_size,
            blocks: BTreeMap::new(),
        }
    }

    pub fn block_size(&self) -> u64 {
        self.block_size
    }

    /// One whole block as it now reads.
    pub fn read_block(&self, block: u64) -> io::Result<Vec<u8>> {
        if let Some(b) = self.blocks.get(&block) {
            return Ok(b.as_ref().clone());
        }
        let at = block
            .checked_mul(self.block_size)
            .ok_or_else(|| io::Error::other("block number overflows"))?;
        let mut buf = vec![0u8; self.block_size as usize];
        self.base.read_at(at, &mut buf)?;
        Ok(buf)
    }

    /// Replace one whole block.
    pub fn write_block(&mut self, block: u64, data: Vec<u8>) -> io::Result<()> {
        if data.len() as u64 != self.block_size {
            return Err(io::Error::other("partial block write"));
        }
        check_range(block * self.block_size, data.len(), self.base.size())?;
        self.blocks.insert(block, Arc::new(data));
        Ok(())
    }

    /// Rewrite `len` bytes at byte `offset` (may span blocks).
    pub fn write_bytes(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        check_range(offset, data.len(), self.base.size())?;
        let bs = self.block_size;
        let mut done = 0usize;
        while done < data.len() {
            let at = offset + done as u64;
            let block = at / bs;
            let within = (at % bs) as usize;
            let n = (bs as usize - within).min(data.len() - done);
            let mut b = self.read_block(block)?;
            b[within..within + n].copy_from_slice(&data[done..done + n]);
            self.write_block(block, b)?;
            done += n;
        }
        Ok(())
    }

    /// Every written block that differs from the base device (or whose original cannot be
    /// read back), in block order.
    pub fn changes(&self) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        for (&block, data) in &self.blocks {
            let at = block * self.block_size;
            let mut orig = vec![0u8; data.len()];
            let same = self.base.read_at(at, &mut orig).is_ok() && orig == **data;
            if !same {
                out.push((at, data.as_ref().clone()));
            }
        }
        out
    }
}

impl ReadAt for CowDevice {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        check_range(offset, buf.len(), self.base.size())?;
        self.base.read_at(offset, buf)?;
        if buf.is_empty() || self.blocks.is_empty() {
            return Ok(());
        }
        let bs = self.block_size;
        let end = offset + buf.len() as u64;
        for (&block, data) in self.blocks.range(offset / bs..=(end - 1) / bs) {
            let src_at = block * bs;
            let start = offset.max(src_at);
            let stop = end.min(src_at + bs);
            let d = (start - offset) as usize;
            let s = (start - src_at) as usize;
            let n = (stop - start) as usize;
            buf[d..d + n].copy_from_slice(&data[s..s + n]);
        }
        Ok(())
    }
    fn size(&self) -> u64 {
        self.base.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    #[test]
    fn reads_see_writes_and_changes_skip_identical() {
        let base: Device = Arc::new(MemDevice((0..64u8).collect()));
        let mut c = CowDevice::new(base, 16);
        c.write_bytes(14, &[100, 101, 102]).unwrap();
        let mut b = [0u8; 6];
        c.read_at(12, &mut b).unwrap();
        assert_eq!(b, [12, 13, 100, 101, 102, 17]);
        c.write_block(3, (48..64u8).collect()).unwrap();
        let ch = c.changes();
        assert_eq!(ch.iter().map(|x| x.0).collect::<Vec<_>>(), vec![0, 16]);
        assert!(c.write_block(4, vec![0; 16]).is_err());
        assert!(c.write_bytes(60, &[0; 8]).is_err());
    }
}
