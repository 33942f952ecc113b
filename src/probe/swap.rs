//! Linux swap areas: the `SWAP-SPACE` (v0) or `SWAPSPACE2` (v1) signature in the last ten bytes
//! of the first page, for page sizes from 4 KiB to 64 KiB; UUID and label for v1.

use super::util::{field, label, le32, read, uuid_dce};
use super::{Signature, Usage};
use crate::image::ReadAt;
use std::io;

/// blkid ignores devices smaller than ten 4 KiB pages.
const MIN_SIZE: u64 = 10 * 4096;
const PAGE_SIZES: [u64; 5] = [0x1000, 0x2000, 0x4000, 0x8000, 0x10000];
/// TuxOnIce keeps a valid swap header but marks the device with this at byte 0.
const TOI_MAGIC: [u8; 8] = [0xed, 0xc3, 0x02, 0xe9, 0x98, 0x56, 0xe5, 0x0c];

/// Probe for a swap signature.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    if dev.size() < MIN_SIZE {
        return Ok(None);
    }
    let mut magic = None;
    for page in PAGE_SIZES {
        let Some(m) = read(dev, page - 10, 10)? else {
            break;
        };
        if m == b"SWAP-SPACE" || m == b"SWAPSPACE2" {
            magic = Some(m);
            break;
        }
    }
    let Some(magic) = magic else {
        return Ok(None);
    };
    let Some(head) = read(dev, 0, 8)? else {
        return Ok(None);
    };
    if head == TOI_MAGIC {
        return Ok(None);
    }
    let mut sig = Signature {
        fs_type: "swap".into(),
        usage: Usage::Other,
        uuid: None,
        label: None,
        version: None,
    };
    if magic == b"SWAP-SPACE" {
        sig.version = Some("0".into());
        return Ok(Some(sig));
    }
    // v1 header at byte 1024: version, last_page, nr_badpages, uuid[16], volume[16], padding…
    let Some(h) = read(dev, 1024, 512)? else {
        return Ok(None);
    };
    let version = le32(&h, 0);
    if version != 1 && version.swap_bytes() != 1 {
        return Ok(None);
    }
    if le32(&h, 4) == 0 {
        return Ok(None);
    }
    // blkid trusts UUID and label only when this stretch of padding is clean.
    if le32(&h, 44 + 32 * 4) == 0 && le32(&h, 44 + 33 * 4) == 0 {
        sig.uuid = uuid_dce(field(&h, 12, 16));
        if h[28] != 0 {
            sig.label = label(field(&h, 28, 16));
        }
    }
    sig.version = Some("1".into());
    Ok(Some(sig))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    fn swap_v1(page: usize, big_endian: bool) -> Vec<u8> {
        let mut d = vec![0u8; 16 * page];
        d[page - 10..page].copy_from_slice(b"SWAPSPACE2");
        let (v, last) = if big_endian {
            (1u32.to_be_bytes(), 15u32.to_be_bytes())
        } else {
            (1u32.to_le_bytes(), 15u32.to_le_bytes())
        };
        d[1024..1028].copy_from_slice(&v);
        d[1028..1032].copy_from_slice(&last);
        d[1036..1052].copy_from_slice(&[0x11; 16]);
        d[1052..1056].copy_from_slice(b"swp\0");
        d
    }

    #[test]
    fn v1_4k_and_8k_pages() {
        let s = probe(&MemDevice(swap_v1(4096, false))).unwrap().unwrap();
        assert_eq!(s.fs_type, "swap");
        assert_eq!(s.version.as_deref(), Some("1"));
        assert_eq!(s.label.as_deref(), Some("swp"));
        assert_eq!(
            s.uuid.as_deref(),
            Some("11111111-1111-1111-1111-111111111111")
        );
        let s = probe(&MemDevice(swap_v1(8192, true))).unwrap().unwrap();
        assert_eq!(s.label.as_deref(), Some("swp"));
    }

    #[test]
    fn v0_has_no_ids_and_bad_v1_is_rejected() {
        let mut d = vec![0u8; 16 * 4096];
        d[4086..4096].copy_from_slice(b"SWAP-SPACE");
        let s = probe(&MemDevice(d)).unwrap().unwrap();
        assert_eq!((s.version.as_deref(), s.uuid), (Some("0"), None));
        let mut d = swap_v1(4096, false);
        d[1024] = 7;
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        let mut d = swap_v1(4096, false);
        d[..8].copy_from_slice(&TOI_MAGIC);
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        assert_eq!(probe(&MemDevice(vec![0; 5000])).unwrap(), None);
    }
}
