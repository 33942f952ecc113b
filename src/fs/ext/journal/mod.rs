//! The jbd2 journal of an ext3/ext4 filesystem, and its recovery in memory.
//!
//! [`replay`] finds the internal journal (the inode `s_journal_inum`, or the superblock's backup
//! copy of its block map when the inode is unreadable), maps its blocks with
//! [`crate::fs::ext::extent::file_extents`], parses the journal superblock and runs the kernel's
//! three recovery passes ([`recovery`]). The result, [`Replay`], says which filesystem blocks
//! the journal replaces and where their new contents are; nothing is ever written back.

pub mod commit;
pub mod descriptor;
pub mod recovery;
pub mod revoke;
pub mod superblock;

use std::collections::BTreeMap;
use std::io;

use super::error::ExtError;
use super::extent::{file_extents, Extent, MapLimits};
use super::inode::Inode;
use super::superblock::Superblock;
use crate::image::ReadAt;
pub use superblock::{JournalSuperblock, JBD2_MAGIC};

/// Where one replayed block's new contents are on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplaySource {
    /// Filesystem block holding the logged copy (inside the journal).
    pub physical: u64,
    /// Restore the jbd2 magic in the first 4 bytes.
    pub escaped: bool,
}

/// The result of an in-memory journal recovery.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The journal superblock as found.
    pub journal: JournalSuperblock,
    block_size: u64,
    map: BTreeMap<u64, ReplaySource>,
    /// Committed transactions replayed.
    pub transactions: u32,
    /// Sequence of the first of them (`s_sequence`).
    pub first_seq: u32,
    /// Sequence after the last of them.
    pub end_seq: u32,
    /// Logged block copies applied (a block logged twice counts twice).
    pub blocks_written: u64,
    /// Logged block copies skipped because of revoke records.
    pub revoked: u64,
    /// Anything unusual met on the way.
    pub notes: Vec<String>,
}

impl Replay {
    /// An empty replay (nothing to apply), for a clean filesystem.
    pub fn empty(journal: JournalSuperblock, block_size: u64) -> Self {
        Replay {
            first_seq: journal.sequence,
            end_seq: journal.sequence,
            journal,
            block_size,
            map: BTreeMap::new(),
            transactions: 0,
            blocks_written: 0,
            revoked: 0,
            notes: Vec::new(),
        }
    }
    /// Filesystem blocks the journal replaces, ascending.
    pub fn blocks(&self) -> impl Iterator<Item = u64> + '_ {
        self.map.keys().copied()
    }
    /// Number of distinct filesystem blocks replaced.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    /// Where the new contents of `block` are, if the journal replaces it.
    pub fn source(&self, block: u64) -> Option<ReplaySource> {
        self.map.get(&block).copied()
    }
    /// Replaced blocks overlapping `[first, last]`.
    pub fn range(&self, first: u64, last: u64) -> impl Iterator<Item = (u64, ReplaySource)> + '_ {
        self.map.range(first..=last).map(|(&b, &s)| (b, s))
    }
    /// Block size of the filesystem (and journal).
    pub fn block_size(&self) -> u64 {
        self.block_size
    }
    /// The replayed contents of `block`, or `None` when the journal leaves it alone.
    pub fn contents(&self, dev: &dyn ReadAt, block: u64) -> io::Result<Option<Vec<u8>>> {
        let Some(src) = self.source(block) else {
            return Ok(None);
        };
        let mut buf = crate::image::read_vec(
            dev,
            src.physical * self.block_size,
            self.block_size as usize,
        )?;
        if src.escaped {
            buf[..4].copy_from_slice(&JBD2_MAGIC.to_be_bytes());
        }
        Ok(Some(buf))
    }
}

/// The journal's blocks on the device.
struct JournalMap {
    runs: Vec<Extent>,
    blocks: u64,
}

impl JournalMap {
    fn physical(&self, jblock: u64) -> Option<u64> {
        let i = self
            .runs
            .partition_point(|e| e.logical + e.len as u64 <= jblock);
        self.runs.get(i).and_then(|e| e.map(jblock))
    }
}

/// Locate the internal journal and map it.
fn journal_map(dev: &dyn ReadAt, sb: &Superblock) -> Result<JournalMap, ExtError> {
    let from_inode = Inode::read(dev, sb, sb.journal_inum).and_then(|ino| {
        if !ino.is_reg() || ino.size < 2 * sb.block_size() {
            return Err(ExtError::corrupt(format!(
                "journal inode {} is not a regular file of at least 2 blocks",
                sb.journal_inum
            )));
        }
        Ok(ino)
    });
    let inode = match from_inode {
        Ok(i) => i,
        Err(e) if sb.jnl_backup_type == 1 => backup_inode(dev, sb).map_err(|_| e)?,
        Err(e) => return Err(e),
    };
    let runs = file_extents(dev, sb, &inode, MapLimits::default())?;
    Ok(JournalMap {
        runs,
        blocks: inode.size / sb.block_size(),
    })
}

/// The journal inode rebuilt from the superblock's backup (`s_jnl_blocks`), as e2fsck does.
fn backup_inode(dev: &dyn ReadAt, sb: &Superblock) -> Result<Inode, ExtError> {
    let at = Inode::locate(dev, sb, sb.journal_inum)?;
    let mut rec = vec![0u8; sb.inode_record_size() as usize];
    rec[0..2].copy_from_slice(&0o100600u16.to_le_bytes());
    for (i, w) in sb.jnl_blocks[..15].iter().enumerate() {
        rec[0x28 + 4 * i..0x2C + 4 * i].copy_from_slice(&w.to_le_bytes());
    }
    rec[0x6C..0x70].copy_from_slice(&sb.jnl_blocks[15].to_le_bytes());
    rec[0x04..0x08].copy_from_slice(&sb.jnl_blocks[16].to_le_bytes());
    if rec[0x28..0x2A] == [0x0A, 0xF3] {
        rec[0x20..0x24].copy_from_slice(&super::inode::flags::EXTENTS.to_le_bytes());
    }
    // The rebuilt record has no valid checksum; parse it without one.
    let mut plain = sb.clone();
    plain.feature_ro_compat &= !super::superblock::ro_compat::METADATA_CSUM;
    Inode::parse(&plain, sb.journal_inum, &rec, at)
}

/// Recover the internal journal of `sb` in memory, reading the device as it is on disk.
pub fn replay(dev: &dyn ReadAt, sb: &Superblock) -> Result<Replay, ExtError> {
    if sb.has_external_journal() {
        return Err(ExtError::Unsupported(format!(
            "the journal is on an external device (UUID {}); attach it to replay the journal",
            super::superblock::format_uuid(&sb.journal_uuid)
        )));
    }
    if !sb.has_journal() || sb.journal_inum == 0 {
        return Err(ExtError::corrupt(
            "needs_recovery is set but the filesystem has no journal",
        ));
    }
    let bs = sb.block_size();
    let map = journal_map(dev, sb)?;
    let read_j = |n: u64| -> Result<Vec<u8>, ExtError> {
        let p = map.physical(n).ok_or_else(|| {
            ExtError::corrupt(format!(
                "journal block {n} is not mapped (a hole in the journal)"
            ))
        })?;
        super::error::read_block(dev, sb, p)
    };
    let jsb = JournalSuperblock::parse(&read_j(0)?)?;
    if jsb.block_size as u64 != bs {
        return Err(ExtError::corrupt(format!(
            "journal block size {} differs from the filesystem's {bs}",
            jsb.block_size
        )));
    }
    if jsb.maxlen as u64 > map.blocks {
        return Err(ExtError::corrupt(format!(
            "journal claims {} blocks but its inode holds {}",
            jsb.maxlen, map.blocks
        )));
    }
    let mut read = |n: u32| read_j(n as u64);
    let r = recovery::recover(&jsb, sb.blocks_count, &mut read)?;
    let mut out = Replay::empty(jsb, bs);
    for (fs_block, logged) in r.blocks {
        let physical = map
            .physical(logged.journal_block as u64)
            .ok_or_else(|| ExtError::corrupt("journal block vanished from the map"))?;
        out.map.insert(
            fs_block,
            ReplaySource {
                physical,
                escaped: logged.escaped,
            },
        );
    }
    out.transactions = r.transactions;
    out.first_seq = r.first_seq;
    out.end_seq = r.end_seq;
    out.blocks_written = r.blocks_written;
    out.revoked = r.revoked;
    out.notes = r.notes;
    if out.journal.errno != 0 {
        out.notes.push(format!(
            "the journal recorded error {} (the filesystem was aborted)",
            out.journal.errno
        ));
    }
    if out.journal.has_incompat(superblock::incompat::FAST_COMMIT) {
        out.notes
            .push("fast-commit blocks are not replayed; only full transactions are".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_map_lookup() {
        let m = JournalMap {
            runs: vec![
                Extent {
                    logical: 0,
                    physical: 500,
                    len: 10,
                    uninit: false,
                },
                Extent {
                    logical: 20,
                    physical: 900,
                    len: 5,
                    uninit: false,
                },
            ],
            blocks: 25,
        };
        assert_eq!(m.physical(0), Some(500));
        assert_eq!(m.physical(9), Some(509));
        assert_eq!(m.physical(10), None);
        assert_eq!(m.physical(24), Some(904));
        assert_eq!(m.physical(25), None);
    }
}
