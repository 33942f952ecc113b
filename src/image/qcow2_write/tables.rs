//! L1 and L2 table entries.

use super::header::{Header, MAX_HOST_OFFSET};
use super::Qcow2WriteError;

/// Bit 63 of L1 and standard L2 entries: refcount is exactly one.
pub const COPIED: u64 = 1 << 63;
/// Bit 62 of L2 entries: compressed cluster.
pub const COMPRESSED: u64 = 1 << 62;
/// Bit 0 of standard L2 entries on v3: reads as zeros.
pub const ZERO: u64 = 1;
/// Host offset bits 9..=55 of L1 and standard L2 entries.
pub const OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;
const L1_RESERVED: u64 = 0x7f00_0000_0000_01ff;
const L2_RESERVED: u64 = 0x3f00_0000_0000_01fe;

/// A decoded L1 entry: the L2 table's host offset and whether it is unshared.
#[derive(Debug, Clone, Copy)]
pub struct L1Entry {
    pub l2_offset: u64,
    pub copied: bool,
}

impl L1Entry {
    pub fn decode(raw: u64, h: &Header, file_len: u64) -> Result<L1Entry, Qcow2WriteError> {
        if raw & L1_RESERVED != 0 {
            return Err(Qcow2WriteError::Corrupt(format!(
                "L1 entry {raw:#x} has reserved bits set"
            )));
        }
        let l2_offset = raw & OFFSET_MASK;
        check_cluster("L2 table", l2_offset, h, file_len)?;
        Ok(L1Entry {
            l2_offset,
            copied: raw & COPIED != 0,
        })
    }
}

/// A decoded L2 entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L2Entry {
    /// No host cluster, no zero flag: reads from the backing file, or zeros.
    Unallocated,
    /// Zero flag without a host cluster.
    Zero,
    /// A host cluster; `zero` if the zero flag is also set (preallocated zeros).
    Data {
        offset: u64,
        copied: bool,
        zero: bool,
    },
    /// Compressed data: host byte range `[offset, offset + len)`.
    Compressed { offset: u64, len: u64 },
}

impl L2Entry {
    pub fn decode(raw: u64, h: &Header, file_len: u64) -> Result<L2Entry, Qcow2WriteError> {
        let corrupt = |m: String| Qcow2WriteError::Corrupt(m);
        if raw & COMPRESSED != 0 {
            // x = 62 - (cluster_bits - 8): offset in bits 0..x, additional sectors in x..62.
            let x = 62 - (h.cluster_bits - 8);
            let desc = raw & !(COPIED | COMPRESSED);
            let offset = desc & ((1u64 << x) - 1);
            let sectors = desc >> x;
            let len = (sectors + 1) * 512 - (offset & 511);
            if raw & COPIED != 0 {
                return Err(corrupt(format!(
                    "compressed L2 entry {raw:#x} has the COPIED bit"
                )));
            }
            match offset.checked_add(len) {
                // The last sector of compressed data may stop short at the end of the file.
                Some(end) if offset != 0 && offset < file_len && end <= file_len + 512 => {}
                _ => {
                    return Err(corrupt(format!(
                        "compressed cluster at {offset:#x} (+{len}) is outside the file"
                    )))
                }
            }
            return Ok(L2Entry::Compressed { offset, len });
        }
        let mut reserved = L2_RESERVED;
        if h.version < 3 {
            reserved |= ZERO;
        }
        if raw & reserved != 0 {
            return Err(corrupt(format!("L2 entry {raw:#x} has reserved bits set")));
        }
        let offset = raw & OFFSET_MASK;
        let zero = raw & ZERO != 0;
        if offset == 0 {
            if raw & COPIED != 0 {
                return Err(corrupt(format!(
                    "L2 entry {raw:#x}: COPIED without a cluster"
                )));
            }
            return Ok(if zero {
                L2Entry::Zero
            } else {
                L2Entry::Unallocated
            });
        }
        check_cluster("data cluster", offset, h, file_len)?;
        Ok(L2Entry::Data {
            offset,
            copied: raw & COPIED != 0,
            zero,
        })
    }
}

/// A referenced cluster (0 = none) must be aligned and start inside the file.
pub fn check_cluster(
    what: &str,
    offset: u64,
    h: &Header,
    file_len: u64,
) -> Result<(), Qcow2WriteError> {
    if offset == 0 {
        return Ok(());
    }
    if !offset.is_multiple_of(h.cluster_size) || offset >= file_len || offset >= MAX_HOST_OFFSET {
        return Err(Qcow2WriteError::Corrupt(format!(
            "{what} at {offset:#x} is unaligned or past the end of the file ({file_len} bytes)"
        )));
    }
    Ok(())
}
