//! An offset-limited window of a device: a partition seen as a device of its own.

use super::{check_range, Device, ReadAt};
use std::io;

/// Bytes `[start, start+len)` of `inner`, addressed from 0.
#[derive(Clone)]
pub struct Slice {
    inner: Device,
    start: u64,
    len: u64,
}

impl Slice {
    /// A window of `inner`; fails if it does not lie inside the device.
    pub fn new(inner: Device, start: u64, len: u64) -> io::Result<Self> {
        match start.checked_add(len) {
            Some(end) if end <= inner.size() => Ok(Slice { inner, start, len }),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "region at byte {start} of {len} bytes lies outside the {}-byte image",
                    inner.size()
                ),
            )),
        }
    }
    /// Offset of the window in the underlying device.
    pub fn start(&self) -> u64 {
        self.start
    }
}

impl ReadAt for Slice {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        check_range(offset, buf.len(), self.len)?;
        self.inner.read_at(self.start + offset, buf)
    }
    fn size(&self) -> u64 {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;
    use std::sync::Arc;

    #[test]
    fn slice_reads_inside_window_only() {
        let dev: Device = Arc::new(MemDevice((0u8..16).collect()));
        let s = Slice::new(dev.clone(), 4, 8).unwrap();
        let mut b = [0u8; 3];
        s.read_at(0, &mut b).unwrap();
        assert_eq!(b, [4, 5, 6]);
        assert!(s.read_at(6, &mut b).is_err());
        assert!(Slice::new(dev.clone(), 10, 8).is_err());
        assert!(Slice::new(dev, u64::MAX, 2).is_err());
    }
}
