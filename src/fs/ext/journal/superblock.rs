//! The jbd2 journal superblock (block 0 of the journal, big-endian), versions 1 and 2.
//!
//! Layout: the common 12-byte header (magic 0xC03B3998, block type 3 = v1 or 4 = v2, sequence),
//! then blocksize, maxlen, first, sequence, start, errno; v2 adds the feature words, UUID,
//! user count, checksum type, fast-commit length and, at 0xFC, the superblock checksum.

use crate::fs::ext::error::{be32, ExtError};
use crate::fs::ext::superblock::crc32c_raw;

/// `h_magic` of every journal metadata block.
pub const JBD2_MAGIC: u32 = 0xC03B_3998;

/// `h_blocktype` values.
pub mod block_type {
    pub const DESCRIPTOR: u32 = 1;
    pub const COMMIT: u32 = 2;
    pub const SUPERBLOCK_V1: u32 = 3;
    pub const SUPERBLOCK_V2: u32 = 4;
    pub const REVOKE: u32 = 5;
}

/// Journal `s_feature_compat` bits.
pub mod compat {
    /// Old-style crc32 (big-endian) checksum of each transaction in its commit block.
    pub const CHECKSUM: u32 = 0x1;
}

/// Journal `s_feature_incompat` bits.
pub mod incompat {
    pub const REVOKE: u32 = 0x1;
    pub const BIT64: u32 = 0x2;
    pub const ASYNC_COMMIT: u32 = 0x4;
    pub const CSUM_V2: u32 = 0x8;
    pub const CSUM_V3: u32 = 0x10;
    pub const FAST_COMMIT: u32 = 0x20;
    pub const KNOWN: u32 = REVOKE | BIT64 | ASYNC_COMMIT | CSUM_V2 | CSUM_V3 | FAST_COMMIT;
}

/// Default fast-commit area length when `s_num_fc_blks` is 0.
const DEFAULT_FC_BLOCKS: u32 = 256;

/// The fields of a journal superblock that recovery needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalSuperblock {
    /// 1 or 2.
    pub version: u8,
    pub block_size: u32,
    /// Blocks in the journal, superblock included.
    pub maxlen: u32,
    /// First log block.
    pub first: u32,
    /// Sequence of the first transaction to replay.
    pub sequence: u32,
    /// Log block of that transaction; 0 when the journal is empty.
    pub start: u32,
    pub errno: i32,
    pub feature_compat: u32,
    pub feature_incompat: u32,
    pub feature_ro_compat: u32,
    pub uuid: [u8; 16],
    pub nr_users: u32,
    pub checksum_type: u8,
    pub num_fc_blocks: u32,
    pub checksum: u32,
}

impl JournalSuperblock {
    /// Parse and validate the journal superblock (the first 1024 bytes of journal block 0).
    pub fn parse(b: &[u8]) -> Result<Self, ExtError> {
        let bad = |m: String| Err(ExtError::Corrupt(format!("journal superblock: {m}")));
        if b.len() < 1024 {
            return bad("truncated".into());
        }
        if be32(b, 0) != JBD2_MAGIC {
            return bad("no jbd2 magic".into());
        }
        let version = match be32(b, 4) {
            block_type::SUPERBLOCK_V1 => 1,
            block_type::SUPERBLOCK_V2 => 2,
            t => return bad(format!("block type {t} is not a superblock")),
        };
        let v2 = |o: usize| if version == 2 { be32(b, o) } else { 0 };
        let sb = JournalSuperblock {
            version,
            block_size: be32(b, 0xC),
            maxlen: be32(b, 0x10),
            first: be32(b, 0x14),
            sequence: be32(b, 0x18),
            start: be32(b, 0x1C),
            errno: be32(b, 0x20) as i32,
            feature_compat: v2(0x24),
            feature_incompat: v2(0x28),
            feature_ro_compat: v2(0x2C),
            uuid: b[0x30..0x40].try_into().expect("16 bytes"),
            nr_users: v2(0x40),
            checksum_type: if version == 2 { b[0x50] } else { 0 },
            num_fc_blocks: v2(0x54),
            checksum: v2(0xFC),
        };
        if !(1024..=65536).contains(&sb.block_size) || !sb.block_size.is_power_of_two() {
            return bad(format!("block size {}", sb.block_size));
        }
        if sb.first == 0 || sb.first >= sb.maxlen {
            return bad(format!(
                "first log block {} outside a {}-block journal",
                sb.first, sb.maxlen
            ));
        }
        let unknown = sb.feature_incompat & !incompat::KNOWN;
        if unknown != 0 {
            return Err(ExtError::Unsupported(format!(
                "journal has unknown incompatible features {unknown:#x}"
            )));
        }
        if sb.has_csum_v2or3() && sb.checksum != Self::compute_checksum(b) {
            return bad("checksum mismatch".into());
        }
        if sb.last() <= sb.first {
            return bad("fast-commit area covers the whole log".into());
        }
        if sb.start != 0 && (sb.start < sb.first || sb.start >= sb.last()) {
            return bad(format!("start block {} outside the log", sb.start));
        }
        Ok(sb)
    }

    /// crc32c of the 1024-byte superblock with the checksum field zeroed.
    pub fn compute_checksum(b: &[u8]) -> u32 {
        let mut copy = b[..1024].to_vec();
        copy[0xFC..0x100].fill(0);
        crc32c_raw(!0, &copy)
    }

    pub fn has_incompat(&self, bit: u32) -> bool {
        self.feature_incompat & bit != 0
    }
    /// Checksums v2 or v3 (crc32c of descriptor, commit, revoke and data blocks).
    pub fn has_csum_v2or3(&self) -> bool {
        self.has_incompat(incompat::CSUM_V2 | incompat::CSUM_V3)
    }
    /// Seed of every v2/v3 checksum: crc32c of the journal UUID.
    pub fn csum_seed(&self) -> u32 {
        crc32c_raw(!0, &self.uuid)
    }
    /// One past the last block of the circular log (the fast-commit area follows it).
    pub fn last(&self) -> u32 {
        if self.has_incompat(incompat::FAST_COMMIT) {
            let fc = if self.num_fc_blocks == 0 {
                DEFAULT_FC_BLOCKS
            } else {
                self.num_fc_blocks
            };
            self.maxlen.saturating_sub(fc)
        } else {
            self.maxlen
        }
    }
    /// Bytes of one descriptor tag, as `journal_tag_bytes()` computes it.
    pub fn tag_bytes(&self) -> usize {
        if self.has_incompat(incompat::CSUM_V3) {
            return 16;
        }
        let mut sz = 12;
        if self.has_incompat(incompat::CSUM_V2) {
            sz += 2;
        }
        if self.has_incompat(incompat::BIT64) {
            sz
        } else {
            sz - 4
        }
    }
    /// Names of the features set, in e2fsprogs spelling.
    pub fn feature_names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.feature_compat & compat::CHECKSUM != 0 {
            v.push("journal_checksum");
        }
        for (bit, n) in [
            (incompat::REVOKE, "journal_incompat_revoke"),
            (incompat::BIT64, "journal_64bit"),
            (incompat::ASYNC_COMMIT, "journal_async_commit"),
            (incompat::CSUM_V2, "journal_checksum_v2"),
            (incompat::CSUM_V3, "journal_checksum_v3"),
            (incompat::FAST_COMMIT, "journal_fast_commit"),
        ] {
            if self.has_incompat(bit) {
                v.push(n);
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn v2(incompat_bits: u32) -> Vec<u8> {
        let mut b = vec![0u8; 1024];
        let put = |b: &mut Vec<u8>, o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_be_bytes());
        put(&mut b, 0, JBD2_MAGIC);
        put(&mut b, 4, block_type::SUPERBLOCK_V2);
        put(&mut b, 0xC, 4096);
        put(&mut b, 0x10, 1024);
        put(&mut b, 0x14, 1);
        put(&mut b, 0x18, 7);
        put(&mut b, 0x1C, 1);
        put(&mut b, 0x28, incompat_bits);
        b[0x30..0x40].copy_from_slice(&[9u8; 16]);
        let c = JournalSuperblock::compute_checksum(&b);
        put(&mut b, 0xFC, c);
        b
    }

    #[test]
    fn tag_sizes_follow_the_kernel() {
        let size = |f| JournalSuperblock::parse(&v2(f)).unwrap().tag_bytes();
        assert_eq!(size(0), 8);
        assert_eq!(size(incompat::BIT64), 12);
        assert_eq!(size(incompat::CSUM_V2), 10);
        assert_eq!(size(incompat::CSUM_V2 | incompat::BIT64), 14);
        assert_eq!(size(incompat::CSUM_V3), 16);
        assert_eq!(size(incompat::CSUM_V3 | incompat::BIT64), 16);
    }

    #[test]
    fn validates() {
        let sb = JournalSuperblock::parse(&v2(incompat::CSUM_V3)).unwrap();
        assert_eq!(
            (sb.version, sb.sequence, sb.start, sb.last()),
            (2, 7, 1, 1024)
        );
        let mut b = v2(incompat::CSUM_V3);
        b[0x20] = 1; // checksum no longer matches
        assert!(JournalSuperblock::parse(&b).is_err());
        assert!(matches!(
            JournalSuperblock::parse(&v2(0x400)),
            Err(ExtError::Unsupported(_))
        ));
        let mut b = v2(0);
        b[0x1C..0x20].copy_from_slice(&5000u32.to_be_bytes());
        assert!(JournalSuperblock::parse(&b).is_err());
        let fc = JournalSuperblock::parse(&v2(incompat::FAST_COMMIT)).unwrap();
        assert_eq!(fc.last(), 768);
    }
}

/// Helpers for the other journal modules' unit tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A parsed v2 journal superblock with 1 KiB blocks and the given incompat features.
    pub(crate) fn jsb(incompat_bits: u32) -> JournalSuperblock {
        let mut b = vec![0u8; 1024];
        let put = |b: &mut Vec<u8>, o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_be_bytes());
        put(&mut b, 0, JBD2_MAGIC);
        put(&mut b, 4, block_type::SUPERBLOCK_V2);
        put(&mut b, 0xC, 1024);
        put(&mut b, 0x10, 64);
        put(&mut b, 0x14, 1);
        put(&mut b, 0x18, 1);
        put(&mut b, 0x1C, 1);
        put(&mut b, 0x28, incompat_bits);
        b[0x30..0x40].copy_from_slice(&[0x42u8; 16]);
        let c = JournalSuperblock::compute_checksum(&b);
        put(&mut b, 0xFC, c);
        JournalSuperblock::parse(&b).unwrap()
    }
}
