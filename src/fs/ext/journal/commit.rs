//! Journal commit blocks: the end of one transaction. With checksums v2/v3 `h_chksum[0]` holds
//! the crc32c of the whole block (that field zeroed); with the old `journal_checksum` compat
//! feature it holds a big-endian crc32 of the transaction's descriptor and data blocks.

use crate::fs::ext::error::{be32, be64};
use crate::fs::ext::superblock::crc32c_raw;

use super::superblock::JournalSuperblock;

/// `h_chksum_type` of the old crc32 transaction checksum.
pub const CRC32_CHKSUM: u8 = 1;
/// `h_chksum_size` that goes with it.
pub const CRC32_CHKSUM_SIZE: u8 = 4;

/// The fields of a commit block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commit {
    pub chksum_type: u8,
    pub chksum_size: u8,
    pub chksum0: u32,
    pub commit_sec: u64,
    pub commit_nsec: u32,
}

impl Commit {
    /// Decode a commit block (at least 60 bytes; every journal block is ≥ 1024).
    pub fn parse(b: &[u8]) -> Self {
        Commit {
            chksum_type: b[12],
            chksum_size: b[13],
            chksum0: be32(b, 16),
            commit_sec: be64(b, 48),
            commit_nsec: be32(b, 56),
        }
    }

    /// The old-style check: the crc32 matches, or no checksum was recorded at all.
    pub fn v1_ok(&self, crc32_sum: u32) -> bool {
        (self.chksum0 == crc32_sum
            && self.chksum_type == CRC32_CHKSUM
            && self.chksum_size == CRC32_CHKSUM_SIZE)
            || (self.chksum_type == 0 && self.chksum_size == 0 && self.chksum0 == 0)
    }
}

/// Check the v2/v3 checksum of commit block `b`.
pub fn verify_v2v3(jsb: &JournalSuperblock, b: &[u8]) -> bool {
    let mut copy = b.to_vec();
    copy[16..20].fill(0);
    crc32c_raw(jsb.csum_seed(), &copy) == be32(b, 16)
}

/// The kernel's `crc32_be`: MSB-first CRC-32 (polynomial 0x04C11DB7), no inversions.
pub fn crc32_be(mut crc: u32, data: &[u8]) -> u32 {
    for &byte in data {
        crc ^= (byte as u32) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::ext::journal::superblock::incompat;
    use crate::fs::ext::journal::superblock::tests_support::jsb;

    #[test]
    fn crc32_be_known_value() {
        // CRC-32/MPEG-2 ("123456789") is crc32_be with an all-ones seed.
        assert_eq!(crc32_be(!0, b"123456789"), 0x0376_E6E7);
    }

    #[test]
    fn checksums() {
        let j = jsb(incompat::CSUM_V3);
        let mut b = vec![3u8; 1024];
        b[16..20].fill(0);
        let c = crc32c_raw(j.csum_seed(), &b);
        b[16..20].copy_from_slice(&c.to_be_bytes());
        assert!(verify_v2v3(&j, &b));
        b[100] = 0;
        assert!(!verify_v2v3(&j, &b));

        let mut b = vec![0u8; 1024];
        assert!(Commit::parse(&b).v1_ok(12345));
        b[12] = CRC32_CHKSUM;
        b[13] = CRC32_CHKSUM_SIZE;
        b[16..20].copy_from_slice(&12345u32.to_be_bytes());
        b[48..56].copy_from_slice(&99u64.to_be_bytes());
        let c = Commit::parse(&b);
        assert!(c.v1_ok(12345) && !c.v1_ok(1));
        assert_eq!(c.commit_sec, 99);
    }
}
