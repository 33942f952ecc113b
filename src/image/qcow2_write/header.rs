//! The qcow2 header: parsing with every field checked against the file, the refusals of the
//! writer, and the header of a new overlay.

use super::Qcow2WriteError;

/// `QFI\xfb`.
pub const MAGIC: u32 = 0x5146_49fb;
/// Incompatible feature bits (qcow2 spec).
pub const INCOMPAT_DIRTY: u64 = 1 << 0;
pub const INCOMPAT_CORRUPT: u64 = 1 << 1;
pub const INCOMPAT_DATA_FILE: u64 = 1 << 2;
pub const INCOMPAT_COMPRESSION: u64 = 1 << 3;
pub const INCOMPAT_EXTL2: u64 = 1 << 4;
/// Compatible feature bit: lazy refcounts.
pub const COMPAT_LAZY_REFCOUNTS: u64 = 1 << 0;
/// Autoclear feature bit: the bitmaps extension is consistent.
pub const AUTOCLEAR_BITMAPS: u64 = 1 << 0;
/// Header extension types.
pub const EXT_END: u32 = 0;
pub const EXT_BACKING_FORMAT: u32 = 0xe279_2aca;
/// Offset of the autoclear feature field (v3).
pub const AUTOCLEAR_OFFSET: u64 = 88;

/// Largest L1 table accepted (qemu's `QCOW_MAX_L1_SIZE`).
pub const MAX_L1_BYTES: u64 = 32 << 20;
/// Largest refcount table accepted (qemu's `QCOW_MAX_REFTABLE_SIZE`).
pub const MAX_REFTABLE_BYTES: u64 = 8 << 20;
/// Host offsets are 56-bit in L1/L2 entries.
pub const MAX_HOST_OFFSET: u64 = 1 << 56;

/// The fields of a qcow2 header the writer needs, checked.
#[derive(Debug, Clone)]
pub struct Header {
    pub version: u32,
    pub cluster_bits: u32,
    pub cluster_size: u64,
    /// Virtual disk size in bytes.
    pub size: u64,
    pub l1_size: u64,
    pub l1_table_offset: u64,
    pub refcount_table_offset: u64,
    pub refcount_table_clusters: u64,
    pub refcount_order: u32,
    pub autoclear: u64,
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(a)
}

fn refuse(msg: impl Into<String>) -> Qcow2WriteError {
    Qcow2WriteError::Refused(msg.into())
}

fn corrupt(msg: impl Into<String>) -> Qcow2WriteError {
    Qcow2WriteError::Corrupt(msg.into())
}

impl Header {
    /// Length of the header prefix `parse` needs (the v3 fixed part).
    pub const PREFIX: usize = 104;

    /// Parse and check the header in `b` (the first bytes of a file of `file_len` bytes; shorter
    /// than [`Header::PREFIX`] only if the file is), refusing what the writer does not handle.
    pub fn parse(b: &[u8], file_len: u64) -> Result<Header, Qcow2WriteError> {
        if b.len() < 72 {
            return Err(corrupt("the file is shorter than a qcow2 header"));
        }
        if be32(b, 0) != MAGIC {
            return Err(corrupt("no qcow2 magic"));
        }
        let version = be32(b, 4);
        if version != 2 && version != 3 {
            return Err(refuse(format!(
                "qcow2 version {version} (2 and 3 are handled)"
            )));
        }
        let cluster_bits = be32(b, 20);
        if !(9..=21).contains(&cluster_bits) {
            return Err(corrupt(format!("cluster_bits {cluster_bits} (9..=21)")));
        }
        let cluster_size = 1u64 << cluster_bits;
        let size = be64(b, 24);
        if be32(b, 32) != 0 {
            return Err(refuse("the image is encrypted"));
        }
        let l1_size = u64::from(be32(b, 36));
        let l1_table_offset = be64(b, 40);
        let refcount_table_offset = be64(b, 48);
        let refcount_table_clusters = u64::from(be32(b, 56));
        let nb_snapshots = be32(b, 60);
        let (incompat, compat, autoclear, refcount_order) = if version == 3 {
            if b.len() < Self::PREFIX {
                return Err(corrupt("the v3 header is truncated"));
            }
            let header_length = u64::from(be32(b, 100));
            if header_length < 104 || header_length > cluster_size || header_length % 8 != 0 {
                return Err(corrupt(format!("header_length {header_length}")));
            }
            (be64(b, 72), be64(b, 80), be64(b, 88), be32(b, 96))
        } else {
            (0, 0, 0, 4)
        };
        if incompat & INCOMPAT_DIRTY != 0 {
            return Err(refuse(
                "the dirty bit is set (the image was not closed cleanly, or lazy refcounts are \
                 in use): its refcounts cannot be trusted; repair it with `qemu-img check -r all`",
            ));
        }
        if incompat & INCOMPAT_CORRUPT != 0 {
            return Err(refuse(
                "the corrupt bit is set; repair it with `qemu-img check -r all`",
            ));
        }
        if incompat & INCOMPAT_DATA_FILE != 0 {
            return Err(refuse("the image keeps its data in an external data file"));
        }
        if incompat & INCOMPAT_EXTL2 != 0 {
            return Err(refuse("the image uses extended L2 entries (subclusters)"));
        }
        let unknown = incompat & !INCOMPAT_COMPRESSION;
        if unknown != 0 {
            return Err(refuse(format!(
                "unknown incompatible feature bits {unknown:#x}"
            )));
        }
        if compat & COMPAT_LAZY_REFCOUNTS != 0 {
            return Err(refuse(
                "lazy refcounts are enabled; disable them with `qemu-img amend -o lazy_refcounts=off`",
            ));
        }
        if autoclear & AUTOCLEAR_BITMAPS != 0 {
            return Err(refuse(
                "the image has persistent dirty bitmaps, which the writer does not update; \
                 remove them with `qemu-img bitmap --remove`, or write into an overlay",
            ));
        }
        if nb_snapshots != 0 {
            return Err(refuse(format!(
                "the image has {nb_snapshots} internal snapshot(s); their clusters are shared \
                 (delete them with `qemu-img snapshot -d`, or write into an overlay)"
            )));
        }
        if refcount_order > 6 {
            return Err(corrupt(format!("refcount_order {refcount_order}")));
        }
        // The L1 table must address the whole virtual disk, and fit in the file.
        let l2_entries = cluster_size / 8;
        let needed_l1 = size.div_ceil(cluster_size).div_ceil(l2_entries);
        if needed_l1 > l1_size {
            return Err(corrupt(format!(
                "L1 table of {l1_size} entries for {size} bytes ({needed_l1} needed)"
            )));
        }
        let l1_bytes = l1_size * 8;
        if l1_bytes > MAX_L1_BYTES {
            return Err(refuse(format!("L1 table of {l1_bytes} bytes")));
        }
        check_table(
            "L1 table",
            l1_table_offset,
            l1_bytes,
            cluster_size,
            file_len,
        )?;
        let rt_bytes = refcount_table_clusters
            .checked_mul(cluster_size)
            .filter(|&n| n <= MAX_REFTABLE_BYTES && n > 0)
            .ok_or_else(|| {
                corrupt(format!(
                    "refcount table of {refcount_table_clusters} clusters"
                ))
            })?;
        check_table(
            "refcount table",
            refcount_table_offset,
            rt_bytes,
            cluster_size,
            file_len,
        )?;
        Ok(Header {
            version,
            cluster_bits,
            cluster_size,
            size,
            l1_size,
            l1_table_offset,
            refcount_table_offset,
            refcount_table_clusters,
            refcount_order,
            autoclear,
        })
    }

    /// Entries in one L2 table.
    pub fn l2_entries(&self) -> u64 {
        self.cluster_size / 8
    }

    /// Entries in one refcount block.
    pub fn refblock_entries(&self) -> u64 {
        (self.cluster_size * 8) >> self.refcount_order
    }

    /// Entries in the refcount table.
    pub fn reftable_entries(&self) -> u64 {
        self.refcount_table_clusters * self.cluster_size / 8
    }
}

/// A table must be cluster-aligned, non-zero, and inside the file.
fn check_table(
    what: &str,
    offset: u64,
    bytes: u64,
    cluster_size: u64,
    file_len: u64,
) -> Result<(), Qcow2WriteError> {
    if bytes == 0 {
        return Ok(());
    }
    if offset == 0 || !offset.is_multiple_of(cluster_size) {
        return Err(corrupt(format!("{what} at unaligned offset {offset:#x}")));
    }
    match offset.checked_add(bytes) {
        Some(end) if end <= file_len => Ok(()),
        _ => Err(corrupt(format!(
            "{what} at {offset:#x} ({bytes} bytes) is past the end of the file ({file_len} bytes)"
        ))),
    }
}

/// The header cluster of a new empty qcow2 v3 image with 64 KiB clusters, 16-bit refcounts,
/// a backing file `backing` of format `backing_fmt`: header, backing-format extension, end
/// extension, then the backing file name. Table offsets are filled in by the caller's layout.
pub struct NewHeader<'a> {
    pub size: u64,
    pub cluster_bits: u32,
    pub l1_size: u32,
    pub l1_table_offset: u64,
    pub refcount_table_offset: u64,
    pub refcount_table_clusters: u32,
    pub backing: &'a str,
    pub backing_fmt: &'a str,
}

impl NewHeader<'_> {
    /// Serialise into one cluster.
    pub fn to_cluster(&self) -> Vec<u8> {
        const HEADER_LENGTH: usize = 112;
        let cluster_size = 1usize << self.cluster_bits;
        let mut c = vec![0u8; cluster_size];
        let mut put = |at: usize, bytes: &[u8]| c[at..at + bytes.len()].copy_from_slice(bytes);
        // Extensions follow the header; the name follows the extensions.
        let fmt = self.backing_fmt.as_bytes();
        let fmt_padded = fmt.len().div_ceil(8) * 8;
        let name_offset = HEADER_LENGTH + 8 + fmt_padded + 8;
        put(0, &MAGIC.to_be_bytes());
        put(4, &3u32.to_be_bytes());
        put(8, &(name_offset as u64).to_be_bytes());
        put(16, &(self.backing.len() as u32).to_be_bytes());
        put(20, &self.cluster_bits.to_be_bytes());
        put(24, &self.size.to_be_bytes());
        // crypt_method 0
        put(36, &self.l1_size.to_be_bytes());
        put(40, &self.l1_table_offset.to_be_bytes());
        put(48, &self.refcount_table_offset.to_be_bytes());
        put(56, &self.refcount_table_clusters.to_be_bytes());
        // nb_snapshots 0, snapshots_offset 0, incompatible/compatible/autoclear 0
        put(96, &4u32.to_be_bytes());
        put(100, &(HEADER_LENGTH as u32).to_be_bytes());
        // compression_type 0 (zlib) at 104, padding to 112.
        put(HEADER_LENGTH, &EXT_BACKING_FORMAT.to_be_bytes());
        put(HEADER_LENGTH + 4, &(fmt.len() as u32).to_be_bytes());
        put(HEADER_LENGTH + 8, fmt);
        let end = HEADER_LENGTH + 8 + fmt_padded;
        put(end, &EXT_END.to_be_bytes());
        put(end + 4, &0u32.to_be_bytes());
        put(name_offset, self.backing.as_bytes());
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_header_parses_back() {
        let h = NewHeader {
            size: 1 << 30,
            cluster_bits: 16,
            l1_size: 2,
            l1_table_offset: 3 << 16,
            refcount_table_offset: 1 << 16,
            refcount_table_clusters: 1,
            backing: "base.qcow2",
            backing_fmt: "qcow2",
        }
        .to_cluster();
        let p = Header::parse(&h, 4 << 16).unwrap();
        assert_eq!(p.version, 3);
        assert_eq!(p.size, 1 << 30);
        assert_eq!(p.refblock_entries(), 32768);
        assert_eq!(p.reftable_entries(), 8192);
    }

    #[test]
    fn hostile_headers_refused() {
        let good = NewHeader {
            size: 1 << 30,
            cluster_bits: 16,
            l1_size: 2,
            l1_table_offset: 3 << 16,
            refcount_table_offset: 1 << 16,
            refcount_table_clusters: 1,
            backing: "b",
            backing_fmt: "raw",
        }
        .to_cluster();
        let patch = |at: usize, v: &[u8]| {
            let mut h = good.clone();
            h[at..at + v.len()].copy_from_slice(v);
            Header::parse(&h, 4 << 16)
        };
        assert!(patch(20, &40u32.to_be_bytes()).is_err());
        assert!(patch(24, &u64::MAX.to_be_bytes()).is_err());
        assert!(patch(36, &u32::MAX.to_be_bytes()).is_err());
        assert!(patch(40, &u64::MAX.to_be_bytes()).is_err());
        assert!(patch(48, &(u64::MAX - 0xffff).to_be_bytes()).is_err());
        assert!(patch(56, &u32::MAX.to_be_bytes()).is_err());
        assert!(patch(60, &1u32.to_be_bytes()).is_err());
        assert!(patch(72, &1u64.to_be_bytes()).is_err());
        assert!(patch(72, &(1u64 << 40).to_be_bytes()).is_err());
        assert!(patch(96, &7u32.to_be_bytes()).is_err());
        assert!(patch(100, &3u32.to_be_bytes()).is_err());
        assert!(Header::parse(&good[..50], 50).is_err());
        assert!(Header::parse(&good, 2 << 16).is_err());
    }
}
