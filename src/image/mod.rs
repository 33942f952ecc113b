//! Image access: positioned reads over raw files, qcow2 images and partition slices.
//!
//! Every other layer reads an image only through [`ReadAt`]. Reads are counted in [`IoStats`]
//! so that `--stats` can prove an audit touched only the metadata it needed.

mod detect;
mod qcow2;
pub mod qcow2_write;
mod raw;
mod slice;

pub use detect::{detect_format, ImageFormat};
pub use qcow2::Qcow2Image;
pub use raw::RawImage;
pub use slice::Slice;

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Positioned, shareable reads of a fixed-size device.
pub trait ReadAt: Send + Sync {
    /// Fill `buf` from byte `offset`; a read past the end is an `UnexpectedEof` error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Size of the device in bytes.
    fn size(&self) -> u64;
}

/// A shared handle to any readable device.
pub type Device = Arc<dyn ReadAt>;

/// Counters of the bytes and requests that reached an image.
#[derive(Debug, Default)]
pub struct IoStats {
    bytes: AtomicU64,
    reads: AtomicU64,
}

impl IoStats {
    /// Record one read of `len` bytes.
    pub fn record(&self, len: usize) {
        self.bytes.fetch_add(len as u64, Ordering::Relaxed);
        self.reads.fetch_add(1, Ordering::Relaxed);
    }
    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// Read requests so far.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

/// One write to a device: `data` at byte `offset`. Layers above compute these; only the patch
/// layer puts them on an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub offset: u64,
    pub data: Vec<u8>,
}

/// An opened image: its format, its guest-visible device and the read counters.
pub struct Image {
    /// The container format detected from the content.
    pub format: ImageFormat,
    /// The guest-visible disk (for qcow2: the virtual disk, not the file).
    pub device: Device,
    /// Bytes read from the image file(s) so far.
    pub stats: Arc<IoStats>,
    /// Backing files of a qcow2 chain, outermost first.
    pub backing_chain: Vec<String>,
}

/// Why an image cannot be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The file could not be opened or read.
    Io(std::path::PathBuf, io::Error),
    /// The content is a container format pv2hvm does not read.
    Unsupported(ImageFormat),
    /// The qcow2 image is damaged or uses a feature the reader refuses.
    Qcow2(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Io(p, e) => write!(f, "cannot read {}: {e}", p.display()),
            OpenError::Unsupported(fmt) => write!(
                f,
                "{} images are not supported yet; convert with `qemu-img convert -O raw IMAGE OUT.raw`",
                fmt.name()
            ),
            OpenError::Qcow2(msg) => write!(
                f,
                "cannot read qcow2 image: {msg}; check it with `qemu-img check`, or convert it with `qemu-img convert -O raw`"
            ),
        }
    }
}

impl std::error::Error for OpenError {}

/// Open an image file (or block device) read-only, detecting its format from the content.
pub fn open(path: &Path) -> Result<Image, OpenError> {
    let stats = Arc::new(IoStats::default());
    let io_err = |e| OpenError::Io(path.to_path_buf(), e);
    let raw = RawImage::open(path, stats.clone()).map_err(io_err)?;
    let format = detect_format(&raw).map_err(io_err)?;
    match format {
        ImageFormat::Raw => Ok(Image {
            format,
            device: Arc::new(raw),
            stats,
            backing_chain: Vec::new(),
        }),
        ImageFormat::Qcow2 => {
            let q = Qcow2Image::open(path, stats.clone())?;
            let backing_chain = q.backing_chain().to_vec();
            Ok(Image {
                format,
                device: Arc::new(q),
                stats,
                backing_chain,
            })
        }
        other => Err(OpenError::Unsupported(other)),
    }
}

/// Read `len` bytes at `offset` into a new buffer.
pub fn read_vec(dev: &dyn ReadAt, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    dev.read_at(offset, &mut buf)?;
    Ok(buf)
}

/// An `UnexpectedEof` error for a read of `len` bytes at `offset` on a device of `size` bytes.
pub(crate) fn eof(offset: u64, len: usize, size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!(
            "read of {len} bytes at offset {offset} is past the end of the device ({size} bytes)"
        ),
    )
}

/// Check that `[offset, offset+len)` lies within `size`.
pub(crate) fn check_range(offset: u64, len: usize, size: u64) -> io::Result<()> {
    match offset.checked_add(len as u64) {
        Some(end) if end <= size => Ok(()),
        _ => Err(eof(offset, len, size)),
    }
}

/// A device held in memory; for tests and small synthetic volumes.
pub struct MemDevice(pub Vec<u8>);

impl ReadAt for MemDevice {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        check_range(offset, buf.len(), self.0.len() as u64)?;
        let start = offset as usize;
        buf.copy_from_slice(&self.0[start..start + buf.len()]);
        Ok(())
    }
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_device_bounds() {
        let d = MemDevice(vec![1, 2, 3, 4]);
        let mut b = [0u8; 2];
        d.read_at(2, &mut b).unwrap();
        assert_eq!(b, [3, 4]);
        assert!(d.read_at(3, &mut b).is_err());
        assert!(d.read_at(u64::MAX, &mut b).is_err());
    }
}
