//! ext2/ext3/ext4/jbd signatures, told apart by features the way blkid does.

use super::util::{label, uuid_dce};
use super::{Signature, Usage};
use crate::fs::ext::superblock::{ExtKind, Superblock, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};
use crate::image::ReadAt;
use std::io;

/// Probe for an ext superblock at byte 1024.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    let Some(b) = super::util::read(dev, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE)? else {
        return Ok(None);
    };
    let Ok(sb) = Superblock::parse(&b) else {
        return Ok(None);
    };
    let kind = sb.kind();
    Ok(Some(Signature {
        fs_type: kind.name().to_string(),
        usage: if kind == ExtKind::Jbd {
            Usage::Other
        } else {
            Usage::Filesystem
        },
        // blkid leaves an all-zero UUID unset and trims the label like every other.
        uuid: uuid_dce(&sb.uuid),
        label: label(&sb.volume_name),
        version: Some(format!("{}.{}", sb.rev_level, sb.minor_rev_level)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    fn ext2() -> Vec<u8> {
        let mut d = vec![0u8; 8192];
        let sb = &mut d[1024..2048];
        sb[0x00..0x04].copy_from_slice(&64u32.to_le_bytes()); // inodes
        sb[0x04..0x08].copy_from_slice(&8u32.to_le_bytes()); // blocks
        sb[0x14..0x18].copy_from_slice(&1u32.to_le_bytes()); // first data block
        sb[0x20..0x24].copy_from_slice(&8192u32.to_le_bytes()); // blocks per group
        sb[0x28..0x2c].copy_from_slice(&64u32.to_le_bytes()); // inodes per group
        sb[0x38..0x3a].copy_from_slice(&0xEF53u16.to_le_bytes());
        sb[0x4c..0x50].copy_from_slice(&1u32.to_le_bytes()); // rev 1
        sb[0x54..0x58].copy_from_slice(&11u32.to_le_bytes()); // first ino
        sb[0x58..0x5a].copy_from_slice(&128u16.to_le_bytes()); // inode size
        sb[0x68..0x78].copy_from_slice(&[0x22; 16]);
        sb[0x78..0x82].copy_from_slice(b"test-ext2 ");
        d
    }

    #[test]
    fn ext2_label_and_uuid() {
        let s = probe(&MemDevice(ext2())).unwrap().unwrap();
        assert_eq!(s.fs_type, "ext2");
        assert_eq!(s.label.as_deref(), Some("test-ext2"));
        assert_eq!(
            s.uuid.as_deref(),
            Some("22222222-2222-2222-2222-222222222222")
        );
        assert_eq!(s.version.as_deref(), Some("1.0"));
    }

    #[test]
    fn small_device_is_none() {
        assert_eq!(probe(&MemDevice(vec![0; 1500])).unwrap(), None);
    }
}
