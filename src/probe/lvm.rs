//! LVM2 physical volumes: the `LABELONE` label in one of sectors 0–3, checked against its sector
//! number and CRC; reports the PV UUID with dashes the way blkid spells it (6-4-4-4-4-4-6).

use super::util::{field, le32, le64, read};
use super::{Signature, Usage};
use crate::image::ReadAt;
use std::io;

const LABEL_SIZE: usize = 512;
const TYPE: &[u8] = b"LVM2 001";

/// Probe for an LVM2 PV label.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    let Some(buf) = read(dev, 0, 4 * LABEL_SIZE)? else {
        return Ok(None);
    };
    for (sector, l) in buf.chunks_exact(LABEL_SIZE).enumerate() {
        if &l[..8] != b"LABELONE" || field(l, 0x18, 8) != TYPE {
            continue;
        }
        if le64(l, 8) != sector as u64 || lvm_crc(&l[20..]) != le32(l, 16) {
            continue;
        }
        let raw = field(l, 32, 32);
        let uuid = (!raw.iter().all(|&b| b == 0)).then(|| format_uuid(raw));
        return Ok(Some(Signature {
            fs_type: "LVM2_member".into(),
            usage: Usage::Raid,
            uuid,
            label: None,
            version: Some("LVM2 001".into()),
        }));
    }
    Ok(None)
}

/// LVM's label checksum: reflected CRC-32 with initial value 0xf597a6cf and no final xor.
fn lvm_crc(data: &[u8]) -> u32 {
    let mut crc: u32 = 0xf597_a6cf;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xedb8_8320 & (crc & 1).wrapping_neg());
        }
    }
    crc
}

/// The 32-character PV id with dashes before characters 6, 10, 14, 18, 22 and 26 (cut at a NUL,
/// as blkid prints it with `%s`).
fn format_uuid(raw: &[u8]) -> String {
    let mut s = Vec::with_capacity(38);
    for (i, &c) in raw.iter().enumerate() {
        if matches!(i, 6 | 10 | 14 | 18 | 22 | 26) {
            s.push(b'-');
        }
        s.push(c);
    }
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    String::from_utf8_lossy(&s[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    fn pv(sector: usize) -> Vec<u8> {
        let mut d = vec![0u8; 8192];
        let l = &mut d[sector * 512..(sector + 1) * 512];
        l[..8].copy_from_slice(b"LABELONE");
        l[8..16].copy_from_slice(&(sector as u64).to_le_bytes());
        l[20..24].copy_from_slice(&32u32.to_le_bytes());
        l[24..32].copy_from_slice(TYPE);
        l[32..64].copy_from_slice(b"Vynv4kAPH8xQERHSBb8VJ3SvFFPB5O1U");
        let crc = lvm_crc(&l[20..]);
        l[16..20].copy_from_slice(&crc.to_le_bytes());
        d
    }

    #[test]
    fn label_in_sector_1() {
        let s = probe(&MemDevice(pv(1))).unwrap().unwrap();
        assert_eq!(s.fs_type, "LVM2_member");
        assert_eq!(
            s.uuid.as_deref(),
            Some("Vynv4k-APH8-xQER-HSBb-8VJ3-SvFF-PB5O1U")
        );
        assert_eq!(s.version.as_deref(), Some("LVM2 001"));
    }

    #[test]
    fn wrong_sector_or_crc_rejected() {
        let mut d = pv(1);
        d[512 + 8] = 3;
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        let mut d = pv(0);
        d[100] ^= 1;
        assert_eq!(probe(&MemDevice(d)).unwrap(), None);
        assert_eq!(probe(&MemDevice(vec![0; 1000])).unwrap(), None);
    }
}
