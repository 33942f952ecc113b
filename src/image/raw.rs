//! Raw images: regular files and block devices read with positioned reads, never loaded whole.

use super::{check_range, IoStats, ReadAt};
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// A raw disk image or block device.
pub struct RawImage {
    file: File,
    size: u64,
    stats: Arc<IoStats>,
}

impl RawImage {
    /// Open `path` read-only. Block devices get their size by seeking to the end.
    pub fn open(path: &Path, stats: Arc<IoStats>) -> io::Result<Self> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a directory, not an image file",
            ));
        }
        let size = if meta.is_file() {
            meta.len()
        } else {
            file.seek(SeekFrom::End(0))?
        };
        Ok(RawImage { file, size, stats })
    }
}

impl ReadAt for RawImage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        check_range(offset, buf.len(), self.size)?;
        self.stats.record(buf.len());
        self.file.read_exact_at(buf, offset)
    }
    fn size(&self) -> u64 {
        self.size
    }
}
