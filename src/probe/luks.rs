//! LUKS1/LUKS2 headers (`crypto_LUKS`): the primary header at byte 0 only, as blkid's safe probe
//! does; reports the UUID, version and, for LUKS2, the label.

use super::util::{be16, be64, field, label, read, uuid_str};
use super::{Signature, Usage};
use crate::image::ReadAt;
use std::io;

const MAGIC: &[u8] = b"LUKS\xba\xbe";
const HDR_LEN: usize = 512;

/// Probe for a primary LUKS header.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    let Some(h) = read(dev, 0, HDR_LEN)? else {
        return Ok(None);
    };
    if &h[..6] != MAGIC {
        return Ok(None);
    }
    let version = be16(&h, 6);
    // A LUKS2 header records its own offset; the primary one says 0.
    if version == 2 && be64(&h, 256) != 0 {
        return Ok(None);
    }
    let (uuid, lbl) = match version {
        1 => (uuid_str(field(&h, 168, 40)), None),
        2 => (uuid_str(field(&h, 168, 40)), label(field(&h, 24, 48))),
        _ => (None, None),
    };
    Ok(Some(Signature {
        fs_type: "crypto_LUKS".into(),
        usage: Usage::Crypto,
        uuid,
        label: lbl,
        version: Some(version.to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    fn hdr(version: u16) -> Vec<u8> {
        let mut d = vec![0u8; 4096];
        d[..6].copy_from_slice(MAGIC);
        d[6..8].copy_from_slice(&version.to_be_bytes());
        d[24..27].copy_from_slice(b"lbl");
        d[168..204].copy_from_slice(b"202265fe-9842-4c2d-ac9b-aba1b05deb63");
        d
    }

    #[test]
    fn v1_and_v2() {
        let s = probe(&MemDevice(hdr(1))).unwrap().unwrap();
        assert_eq!(s.fs_type, "crypto_LUKS");
        assert_eq!(s.version.as_deref(), Some("1"));
        assert_eq!(s.label, None);
        let s = probe(&MemDevice(hdr(2))).unwrap().unwrap();
        assert_eq!(s.label.as_deref(), Some("lbl"));
        assert_eq!(
            s.uuid.as_deref(),
            Some("202265fe-9842-4c2d-ac9b-aba1b05deb63")
        );
    }

    #[test]
    fn misplaced_v2_and_tiny_rejected() {
        let mut d = hdr(2);
        d[263] = 0x40;
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        assert_eq!(probe(&MemDevice(MAGIC.to_vec())).unwrap(), None);
    }
}
