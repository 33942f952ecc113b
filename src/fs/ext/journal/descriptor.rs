//! Journal descriptor blocks: a header, then one tag per logged block naming the filesystem
//! block that the following journal block is a copy of.
//!
//! A tag is `journal_tag_bytes()` long (8, 10, 12, 14 or 16 bytes, see
//! [`JournalSuperblock::tag_bytes`]); unless it has `SAME_UUID` a 16-byte UUID follows it; the
//! `LAST_TAG` flag ends the list. The flags are the big-endian u16 at byte 6 in every layout.
//! With checksums v2/v3 the block ends with a 4-byte crc32c tail that the tags may not use.

use super::superblock::{incompat, JournalSuperblock};
use crate::fs::ext::error::{be16, be32};
use crate::fs::ext::superblock::crc32c_raw;

/// Tag flags.
pub mod tag_flags {
    /// The logged copy had the jbd2 magic in its first 4 bytes, which were zeroed: restore it.
    pub const ESCAPE: u16 = 0x1;
    /// No UUID follows this tag.
    pub const SAME_UUID: u16 = 0x2;
    pub const DELETED: u16 = 0x4;
    /// The last tag of the block.
    pub const LAST_TAG: u16 = 0x8;
}

/// Size of the journal block header (magic, type, sequence).
pub const HEADER_SIZE: usize = 12;
/// Size of the checksum tail of descriptor and revoke blocks (v2/v3).
pub const TAIL_SIZE: usize = 4;

/// One tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub fs_block: u64,
    pub flags: u16,
    /// The data block checksum: 32 bits with v3, 16 bits with v2, 0 otherwise.
    pub checksum: u32,
}

impl Tag {
    pub fn escaped(&self) -> bool {
        self.flags & tag_flags::ESCAPE != 0
    }
}

/// Room for tags in a descriptor (or records in a revoke block): the block minus the tail.
pub fn usable_size(jsb: &JournalSuperblock, block_len: usize) -> usize {
    if jsb.has_csum_v2or3() {
        block_len - TAIL_SIZE
    } else {
        block_len
    }
}

/// Every tag of descriptor `block`, in order (as the kernel's `count_tags` walks them).
pub fn parse_tags(jsb: &JournalSuperblock, block: &[u8]) -> Vec<Tag> {
    let tag_bytes = jsb.tag_bytes();
    let size = usable_size(jsb, block.len());
    let bit64 = jsb.has_incompat(incompat::BIT64);
    let mut tags = Vec::new();
    let mut off = HEADER_SIZE;
    while off + tag_bytes <= size {
        let t = &block[off..off + tag_bytes];
        let flags = be16(t, 6);
        let mut fs_block = be32(t, 0) as u64;
        if bit64 {
            fs_block |= (be32(t, 8) as u64) << 32;
        }
        let checksum = if jsb.has_incompat(incompat::CSUM_V3) {
            be32(t, 12)
        } else if jsb.has_incompat(incompat::CSUM_V2) {
            be16(t, 4) as u32
        } else {
            0
        };
        tags.push(Tag {
            fs_block,
            flags,
            checksum,
        });
        off += tag_bytes;
        if flags & tag_flags::SAME_UUID == 0 {
            off += 16;
        }
        if flags & tag_flags::LAST_TAG != 0 {
            break;
        }
    }
    tags
}

/// Check the crc32c tail of a descriptor or revoke block (v2/v3).
pub fn verify_tail(jsb: &JournalSuperblock, block: &[u8]) -> bool {
    let n = block.len();
    let stored = be32(block, n - TAIL_SIZE);
    let mut copy = block.to_vec();
    copy[n - TAIL_SIZE..].fill(0);
    crc32c_raw(jsb.csum_seed(), &copy) == stored
}

/// Check a logged data block against its tag (v2/v3): crc32c over the sequence, then the block
/// as it is stored in the journal (before unescaping).
pub fn verify_data(jsb: &JournalSuperblock, tag: &Tag, sequence: u32, data: &[u8]) -> bool {
    let c = crc32c_raw(jsb.csum_seed(), &sequence.to_be_bytes());
    let c = crc32c_raw(c, data);
    if jsb.has_incompat(incompat::CSUM_V3) {
        c == tag.checksum
    } else {
        c & 0xFFFF == tag.checksum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::ext::journal::superblock::tests_support::jsb;

    fn put_tag(b: &mut [u8], off: usize, block: u64, flags: u16, size: usize) {
        b[off..off + 4].copy_from_slice(&(block as u32).to_be_bytes());
        b[off + 6..off + 8].copy_from_slice(&flags.to_be_bytes());
        if size >= 12 {
            b[off + 8..off + 12].copy_from_slice(&((block >> 32) as u32).to_be_bytes());
        }
    }

    #[test]
    fn uuid_and_last_tag() {
        let j = jsb(0);
        let mut b = vec![0u8; 1024];
        put_tag(&mut b, 12, 100, 0, 8); // followed by a UUID
        put_tag(
            &mut b,
            12 + 8 + 16,
            200,
            tag_flags::SAME_UUID | tag_flags::ESCAPE,
            8,
        );
        put_tag(
            &mut b,
            12 + 16 + 16,
            300,
            tag_flags::SAME_UUID | tag_flags::LAST_TAG,
            8,
        );
        put_tag(&mut b, 12 + 24 + 16, 400, tag_flags::SAME_UUID, 8);
        let t = parse_tags(&j, &b);
        let blocks: Vec<u64> = t.iter().map(|t| t.fs_block).collect();
        assert_eq!(blocks, vec![100, 200, 300]);
        assert!(t[1].escaped() && !t[0].escaped());
    }

    #[test]
    fn wide_tags_with_csum_v3() {
        let j = jsb(incompat::CSUM_V3 | incompat::BIT64);
        let mut b = vec![0u8; 1024];
        for i in 0..63 {
            put_tag(&mut b, 12 + 16 * i, 7, tag_flags::SAME_UUID, 16);
        }
        put_tag(&mut b, 12, 0x1_0000_0005, tag_flags::SAME_UUID, 16);
        b[12 + 12..12 + 16].copy_from_slice(&0xABCD_EF01u32.to_be_bytes());
        // No LAST_TAG: the walk stops at the tail, never reads into it.
        let t = parse_tags(&j, &b);
        assert_eq!(t[0].fs_block, 0x1_0000_0005);
        assert_eq!(t[0].checksum, 0xABCD_EF01);
        assert_eq!(t.len(), (1024 - 4 - 12) / 16);
    }

    #[test]
    fn tail_checksum() {
        let j = jsb(incompat::CSUM_V3);
        let mut b = vec![7u8; 1024];
        let c = crc32c_raw(j.csum_seed(), &{
            let mut z = b.clone();
            z[1020..].fill(0);
            z
        });
        b[1020..].copy_from_slice(&c.to_be_bytes());
        assert!(verify_tail(&j, &b));
        b[0] ^= 1;
        assert!(!verify_tail(&j, &b));
    }
}
