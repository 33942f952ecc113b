//! A `Read + Seek` (and refusing `Write`) adapter over a [`ReadAt`] device, for crates that
//! want streams (`mbrman`, `gpt`, `fatfs`).

use crate::image::ReadAt;
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Deref;

/// A read-only stream over a device, borrowed (`&dyn ReadAt`) or shared (`Device`).
pub struct Cursor<D> {
    dev: D,
    pos: u64,
}

impl<'a, D: Deref<Target = dyn ReadAt + 'a>> Cursor<D> {
    /// A stream positioned at byte 0 of `dev`.
    pub fn new(dev: D) -> Self {
        Cursor { dev, pos: 0 }
    }
}

impl<'a, D: Deref<Target = dyn ReadAt + 'a>> fmt::Debug for Cursor<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor(pos {} of {})", self.pos, self.dev.size())
    }
}

impl<'a, D: Deref<Target = dyn ReadAt + 'a>> Read for Cursor<D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.dev.size().saturating_sub(self.pos);
        let n = (buf.len() as u64).min(left) as usize;
        if n == 0 {
            return Ok(0);
        }
        self.dev.read_at(self.pos, &mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<'a, D: Deref<Target = dyn ReadAt + 'a>> Seek for Cursor<D> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let base = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.dev.size().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = base.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the device",
            )
        })?;
        Ok(self.pos)
    }
}

impl<D> Write for Cursor<D> {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the partition reader is read-only",
        ))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
