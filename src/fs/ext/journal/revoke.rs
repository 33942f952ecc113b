//! Journal revoke blocks: `r_count` (bytes used, header included) at byte 12, then 4-byte
//! (8-byte with the journal's 64bit feature) big-endian block numbers from byte 16. A revoked
//! block is not replayed from this transaction or any earlier one.

use super::descriptor::usable_size;
use super::superblock::{incompat, JournalSuperblock};
use crate::fs::ext::error::{be32, be64, ExtError};

const RECORDS_OFFSET: usize = 16;

/// The block numbers revoked by revoke block `b`.
pub fn parse_revoke(jsb: &JournalSuperblock, b: &[u8]) -> Result<Vec<u64>, ExtError> {
    let rcount = be32(b, 12) as usize;
    if rcount > usable_size(jsb, b.len()) {
        return Err(ExtError::corrupt(format!(
            "revoke block claims {rcount} bytes in a {}-byte block",
            b.len()
        )));
    }
    let wide = jsb.has_incompat(incompat::BIT64);
    let rec = if wide { 8 } else { 4 };
    let mut out = Vec::new();
    let mut off = RECORDS_OFFSET;
    while off + rec <= rcount {
        out.push(if wide {
            be64(b, off)
        } else {
            be32(b, off) as u64
        });
        off += rec;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::ext::journal::superblock::tests_support::jsb;

    #[test]
    fn narrow_and_wide_records() {
        let mut b = vec![0u8; 1024];
        b[12..16].copy_from_slice(&(16u32 + 12).to_be_bytes());
        for (i, v) in [5u32, 6, 7, 8].iter().enumerate() {
            b[16 + 4 * i..20 + 4 * i].copy_from_slice(&v.to_be_bytes());
        }
        assert_eq!(parse_revoke(&jsb(0), &b).unwrap(), vec![5, 6, 7]);
        // The same bytes read as 64-bit records: one whole record fits in 12 bytes.
        assert_eq!(
            parse_revoke(&jsb(incompat::BIT64), &b).unwrap(),
            vec![(5u64 << 32) | 6]
        );
        b[12..16].copy_from_slice(&2000u32.to_be_bytes());
        assert!(parse_revoke(&jsb(0), &b).is_err());
        b[12..16].copy_from_slice(&1024u32.to_be_bytes());
        assert!(parse_revoke(&jsb(incompat::CSUM_V3), &b).is_err());
    }
}
