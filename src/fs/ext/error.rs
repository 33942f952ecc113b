//! The error type shared by our own on-disk parsers (group descriptors, inodes, block mapping,
//! the journal): an I/O failure, damaged metadata, or something we deliberately do not follow.

use std::fmt;

/// Why reading one on-disk structure failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtError {
    /// The device could not be read (often: a structure points past the end of the image).
    Io(String),
    /// A structure holds an impossible value (named in the message).
    Corrupt(String),
    /// A valid structure uses a feature this reader does not follow.
    Unsupported(String),
}

impl ExtError {
    pub(crate) fn corrupt(m: impl Into<String>) -> Self {
        ExtError::Corrupt(m.into())
    }
}

impl fmt::Display for ExtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtError::Io(m) => write!(f, "read error: {m}"),
            ExtError::Corrupt(m) => write!(f, "corrupted: {m}"),
            ExtError::Unsupported(m) => write!(f, "not supported: {m}"),
        }
    }
}

impl std::error::Error for ExtError {}

impl From<std::io::Error> for ExtError {
    fn from(e: std::io::Error) -> Self {
        ExtError::Io(e.to_string())
    }
}

pub(crate) fn le16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
pub(crate) fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
pub(crate) fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
pub(crate) fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
pub(crate) fn be64(b: &[u8], o: usize) -> u64 {
    ((be32(b, o) as u64) << 32) | be32(b, o + 4) as u64
}

/// Read one whole filesystem block, refusing blocks outside the filesystem.
pub(crate) fn read_block(
    dev: &dyn crate::image::ReadAt,
    sb: &super::superblock::Superblock,
    block: u64,
) -> Result<Vec<u8>, ExtError> {
    if block >= sb.blocks_count {
        return Err(ExtError::corrupt(format!(
            "block {block} is past the end of the filesystem ({} blocks)",
            sb.blocks_count
        )));
    }
    let bs = sb.block_size();
    Ok(crate::image::read_vec(dev, block * bs, bs as usize)?)
}
