//! ext2/3/4 volumes: open them through `fs::ext` and keep the superblock facts the report shows
//! (block size, features, state, journal and what its replay did), even when opening failed.

use super::volume::FsState;
use crate::fs::ext::superblock::Superblock;
use crate::fs::ext::{ExtFs, JournalState};
use crate::fs::FileSystem;
use crate::image::Device;
use serde::Serialize;

/// What the superblock (and the journal) of an ext volume say.
#[derive(Debug, Clone, Serialize)]
pub struct ExtInfo {
    pub kind: String,
    pub block_size: u64,
    pub blocks: u64,
    pub inodes: u32,
    pub features: Vec<String>,
    /// Cleanly unmounted and no errors recorded.
    pub clean: bool,
    pub needs_recovery: bool,
    /// Where the kernel last mounted it (`/`, `/boot`), empty if never recorded.
    pub last_mounted: String,
    /// What happened to the journal when the volume was read.
    pub journal: String,
}

impl ExtInfo {
    fn from_superblock(sb: &Superblock, journal: String) -> ExtInfo {
        ExtInfo {
            kind: sb.kind().name().to_string(),
            block_size: sb.block_size(),
            blocks: sb.blocks_count,
            inodes: sb.inodes_count,
            features: sb.feature_names().iter().map(|s| s.to_string()).collect(),
            clean: sb.is_clean(),
            needs_recovery: sb.needs_recovery(),
            last_mounted: sb.last_mounted_at(),
            journal,
        }
    }
}

fn describe(j: &JournalState) -> String {
    j.to_string()
}

/// Open an ext volume; on failure keep what the superblock told us.
pub fn open(dev: &Device) -> (Option<Box<dyn FileSystem>>, FsState, Option<ExtInfo>) {
    match ExtFs::open(dev.clone()) {
        Ok(fs) => {
            let journal = describe(fs.journal_state());
            let info = ExtInfo::from_superblock(fs.superblock(), journal.clone());
            let notes = match fs.journal_state() {
                JournalState::Replayed { .. } => vec![format!(
                    "the view includes replayed journal transactions ({journal}); nothing was written"
                )],
                JournalState::Clean | JournalState::NoJournal => vec![],
                other => vec![describe(other)],
            };
            (Some(Box::new(fs)), FsState::Open { notes }, Some(info))
        }
        Err(e) => {
            let journal = e
                .journal_state
                .as_ref()
                .map_or_else(|| "not read".to_string(), describe);
            let info = e
                .superblock
                .as_deref()
                .map(|sb| ExtInfo::from_superblock(sb, journal));
            (
                None,
                FsState::Failed {
                    reason: e.to_string(),
                },
                info,
            )
        }
    }
}
