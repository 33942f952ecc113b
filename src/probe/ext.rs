//! ext2/ext3/ext4/jbd signatures, told apart by features the way blkid does.

use super::{Signature, Usage};
use crate::fs::ext::superblock::{Superblock, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};
use crate::image::ReadAt;
use std::io;

/// Probe for an ext superblock at byte 1024.
pub fn probe(dev: &dyn ReadAt) -> io::Result<Option<Signature>> {
    if dev.size() < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE as u64 {
        return Ok(None);
    }
    let mut b = vec![0u8; SUPERBLOCK_SIZE];
    dev.read_at(SUPERBLOCK_OFFSET, &mut b)?;
    let Ok(sb) = Superblock::parse(&b) else {
        return Ok(None);
    };
    let kind = sb.kind();
    let label = sb.label();
    Ok(Some(Signature {
        fs_type: kind.name().to_string(),
        usage: if kind == crate::fs::ext::superblock::ExtKind::Jbd {
            Usage::Other
        } else {
            Usage::Filesystem
        },
        uuid: Some(sb.uuid_string()),
        label: (!label.is_empty()).then_some(label),
        version: Some(format!("{}.{}", sb.rev_level, sb.minor_rev_level)),
    }))
}
