//! The ext2/3/4 write engine: edit, grow, shrink and create files inside a filesystem image
//! without mounting it, keeping it `e2fsck`-clean.
//!
//! [`ExtWriter`] never writes the image: every change goes into a copy-on-write overlay
//! ([`overlay::CowDevice`]) of whole filesystem blocks, which also answers reads, so several
//! operations compose. [`ExtWriter::finish`] hands back the blocks that changed, in offset order,
//! for a journaled patch layer to apply. An operation that fails leaves the overlay as it was.
//!
//! Supported: block maps (direct, single and double indirect) and extent trees of depth 0 or 1
//! (up to 4 leaves); linear and htree directories (insertion into an existing block with room,
//! never growing the directory); `metadata_csum` (inodes, extent blocks, directory blocks and
//! tails, htree nodes checked, bitmaps, group descriptors, superblock), the crc16 `uninit_bg`
//! descriptor checksum, `64bit`, `flex_bg`, `meta_bg`, `sparse_super(2)`, `huge_file` (files
//! without the per-inode flag). Groups whose bitmaps are uninitialised (`BLOCK_UNINIT`,
//! `INODE_UNINIT`) are skipped, never allocated from. Only the primary superblock and group
//! descriptors are updated, as the kernel does.
//!
//! Refused, before anything is changed: a journal that needs recovery, a filesystem with errors
//! or not cleanly unmounted, pending orphans, inline_data, bigalloc, mmp, compression, dirdata,
//! ea_inode, casefold, snapshots/replicas/shared blocks/read-only, unknown features, a bad
//! superblock checksum. Per operation: quota when usage would change; sparse files, unwritten
//! extents, extent trees deeper than 1 (or needing more than 4 leaves), triple indirect blocks;
//! encrypted, immutable, append-only, verity or huge_file-flagged inodes; any checksum error on
//! metadata about to be changed (superblock, descriptor, bitmap, inode, extent block, directory
//! block, htree node).

mod bitmap;
mod blockmap_write;
pub mod csum;
mod dir_write;
mod extent_write;
mod file;
mod inode_write;
pub mod overlay;

use std::fmt;
use std::sync::Arc;

use super::error::{le16, le32, ExtError};
use super::superblock::{
    compat, compute_checksum, incompat, ro_compat, ExtKind, Superblock, SUPERBLOCK_OFFSET,
    SUPERBLOCK_SIZE,
};
use crate::image::Device;
use overlay::CowDevice;

/// Largest file contents the writer accepts.
pub const MAX_FILE_SIZE: u64 = 64 << 20;

/// Why an edit was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The filesystem or the object uses something this writer does not change safely.
    Refused(String),
    /// A path component does not exist.
    NotFound(String),
    /// The name to create exists already.
    Exists(String),
    /// No free block or inode, or no room in the directory.
    NoSpace(String),
    /// The on-disk structures are damaged (a checksum, a count, a pointer).
    Corrupt(String),
    /// The device could not be read.
    Io(String),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Refused(m) => write!(f, "refused: {m}"),
            WriteError::NotFound(m) => write!(f, "not found: {m}"),
            WriteError::Exists(m) => write!(f, "already exists: {m}"),
            WriteError::NoSpace(m) => write!(f, "no space: {m}"),
            WriteError::Corrupt(m) => write!(f, "filesystem is damaged: {m}"),
            WriteError::Io(m) => write!(f, "read error: {m}"),
        }
    }
}

impl std::error::Error for WriteError {}

impl From<ExtError> for WriteError {
    fn from(e: ExtError) -> Self {
        match e {
            ExtError::Io(m) => WriteError::Io(m),
            ExtError::Corrupt(m) => WriteError::Corrupt(m),
            ExtError::Unsupported(m) => WriteError::Refused(m),
        }
    }
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError::Io(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, WriteError>;

pub(crate) fn refused<T>(m: impl Into<String>) -> Result<T> {
    Err(WriteError::Refused(m.into()))
}
pub(crate) fn corrupt<T>(m: impl Into<String>) -> Result<T> {
    Err(WriteError::Corrupt(m.into()))
}

/// Incompat features the writer handles.
const INCOMPAT_OK: u32 = incompat::FILETYPE
    | incompat::EXTENTS
    | incompat::BIT64
    | incompat::FLEX_BG
    | incompat::CSUM_SEED
    | incompat::LARGEDIR
    | incompat::META_BG
    | incompat::ENCRYPT;
/// Read-only-compatible features the writer handles.
const RO_COMPAT_OK: u32 = ro_compat::SPARSE_SUPER
    | ro_compat::LARGE_FILE
    | ro_compat::BTREE_DIR
    | ro_compat::HUGE_FILE
    | ro_compat::GDT_CSUM
    | ro_compat::DIR_NLINK
    | ro_compat::EXTRA_ISIZE
    | ro_compat::QUOTA
    | ro_compat::METADATA_CSUM
    | ro_compat::PROJECT;

/// Names of incompat / ro_compat bits for refusals.
fn feature_list(sb: &Superblock, incompat_bits: u32, ro_bits: u32) -> String {
    let mut probe = sb.clone();
    probe.feature_compat = 0;
    probe.feature_incompat = incompat_bits;
    probe.feature_ro_compat = ro_bits;
    let names = probe.feature_names();
    if names.is_empty() {
        format!("unknown features (incompat {incompat_bits:#x}, ro_compat {ro_bits:#x})")
    } else {
        names.join(", ")
    }
}

/// Edits an ext2/3/4 filesystem in a copy-on-write overlay.
pub struct ExtWriter {
    cow: CowDevice,
    sb: Superblock,
    now: u32,
    /// The metadata_csum seed, when metadata_csum is on.
    csum: Option<u32>,
    /// Group descriptors carry a checksum and their `uninit` flags mean something.
    gdt_csum: bool,
}

impl ExtWriter {
    /// Prepare to edit the filesystem on `dev` (byte 0 = filesystem start), stamping `now` as
    /// the change time. Refuses filesystems it cannot edit safely.
    pub fn new(dev: Device, now: u32) -> Result<ExtWriter> {
        let mut raw = vec![0u8; SUPERBLOCK_SIZE];
        dev.read_at(SUPERBLOCK_OFFSET, &mut raw)?;
        let sb = Superblock::parse(&raw).map_err(|e| WriteError::Refused(e.to_string()))?;
        if sb.kind() == ExtKind::Jbd {
            return refused("this is an external journal device, not a filesystem");
        }
        if sb.needs_recovery() {
            return refused(
                "the journal needs recovery (the guest was not shut down cleanly); \
                 run e2fsck on the filesystem first",
            );
        }
        if sb.state & 0x2 != 0 {
            return refused("the filesystem is marked as having errors; run e2fsck first");
        }
        if sb.state & 0x1 == 0 {
            return refused("the filesystem was not cleanly unmounted; run e2fsck first");
        }
        let bad_in = sb.feature_incompat & !INCOMPAT_OK;
        let bad_ro = sb.feature_ro_compat & !RO_COMPAT_OK;
        if bad_in != 0 || bad_ro != 0 {
            return refused(format!(
                "the filesystem uses features the writer does not handle: {}",
                feature_list(&sb, bad_in, bad_ro)
            ));
        }
        if sb.feature_incompat & incompat::FILETYPE == 0 {
            return refused("directories without the filetype feature are not handled");
        }
        if sb.has_metadata_csum() {
            if sb.checksum_type != 1 {
                return refused(format!("unknown checksum type {}", sb.checksum_type));
            }
            if !sb.checksum_ok {
                return corrupt("the superblock checksum is wrong");
            }
        }
        if le32(&raw, 0xE8) != 0 {
            return refused("orphan inodes are pending (s_last_orphan is set); run e2fsck first");
        }
        if sb.fs_size() > dev.size() {
            return corrupt(format!(
                "the filesystem claims {} bytes but the device holds {}",
                sb.fs_size(),
                dev.size()
            ));
        }
        if sb.group_count() == 0
            || sb.group_count() > u32::MAX as u64
            || sb.blocks_per_group as u64 > 8 * sb.block_size()
        {
            return corrupt("impossible block group geometry");
        }
        if sb.inodes_per_group as u64 > 8 * sb.block_size()
            || (sb.inodes_per_group as u64).saturating_mul(sb.group_count())
                < sb.inodes_count as u64
        {
            return corrupt("impossible inode geometry");
        }
        let csum = sb.has_metadata_csum().then(|| sb.csum_seed());
        let gdt_csum = sb.has_metadata_csum() || sb.feature_ro_compat & ro_compat::GDT_CSUM != 0;
        Ok(ExtWriter {
            cow: CowDevice::new(dev, sb.block_size()),
            sb,
            now,
            csum,
            gdt_csum,
        })
    }

    /// The filesystem as edited so far, for reading back (e.g. through `ExtFs::open`).
    pub fn device(&self) -> Device {
        Arc::new(self.cow.clone())
    }

    /// The superblock as parsed when the writer was made.
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// The changed byte ranges (whole filesystem blocks, offsets from the filesystem start),
    /// in offset order. Blocks written back unchanged are left out.
    pub fn finish(self) -> Vec<(u64, Vec<u8>)> {
        self.cow.changes()
    }

    /// Replace the contents of the existing regular file at `path` (no symlink is followed).
    pub fn write_file(&mut self, path: &str, contents: &[u8]) -> Result<()> {
        self.atomic(|w| {
            let ino = w.resolve(path)?;
            w.check_regular(ino, path)?;
            w.set_contents(ino, contents)
        })
    }

    /// Create the regular file `dir_path/name` with `contents`, permission bits `mode`
    /// (type bits are ignored), owner `uid`:`gid`.
    pub fn create_file(
        &mut self,
        dir_path: &str,
        name: &str,
        contents: &[u8],
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<()> {
        self.atomic(|w| {
            w.create(
                dir_path,
                name,
                file::NewObject::File(contents),
                mode,
                uid,
                gid,
            )
        })
    }

    /// Create the symbolic link `dir_path/name` pointing at `target` (owned by root).
    pub fn create_symlink(&mut self, dir_path: &str, name: &str, target: &str) -> Result<()> {
        self.atomic(|w| {
            w.create(
                dir_path,
                name,
                file::NewObject::Symlink(target.as_bytes()),
                0o777,
                0,
                0,
            )
        })
    }

    /// Run one operation; on failure, undo whatever it changed.
    fn atomic<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let saved = self.cow.clone();
        let r = f(self);
        if r.is_err() {
            self.cow = saved;
        }
        r
    }

    // ---- superblock ----

    fn sb_raw(&self) -> Result<Vec<u8>> {
        let mut raw = vec![0u8; SUPERBLOCK_SIZE];
        crate::image::ReadAt::read_at(&self.cow, SUPERBLOCK_OFFSET, &mut raw)?;
        Ok(raw)
    }

    /// Add `blocks` and `inodes` (may be negative) to the superblock's free counts.
    fn sb_adjust_free(&mut self, blocks: i64, inodes: i64) -> Result<()> {
        let mut raw = self.sb_raw()?;
        let wide = self.sb.is_64bit();
        let fb = le32(&raw, 0xC) as u64
            | if wide {
                (le32(&raw, 0x158) as u64) << 32
            } else {
                0
            };
        let fi = le32(&raw, 0x10) as u64;
        let nb = fb as i64 + blocks;
        let ni = fi as i64 + inodes;
        // The kernel lets these drift; clamp rather than refuse, e2fsck recounts.
        let nb = nb.clamp(0, self.sb.blocks_count as i64) as u64;
        let ni = ni.clamp(0, self.sb.inodes_count as i64) as u64;
        raw[0xC..0x10].copy_from_slice(&(nb as u32).to_le_bytes());
        if wide {
            raw[0x158..0x15C].copy_from_slice(&((nb >> 32) as u32).to_le_bytes());
        }
        raw[0x10..0x14].copy_from_slice(&(ni as u32).to_le_bytes());
        if self.csum.is_some() {
            let c = compute_checksum(&raw);
            raw[0x3FC..0x400].copy_from_slice(&c.to_le_bytes());
        }
        self.cow.write_bytes(SUPERBLOCK_OFFSET, &raw)?;
        Ok(())
    }

    /// First non-reserved inode.
    fn first_ino(&self) -> u32 {
        if self.sb.rev_level == 0 {
            11
        } else {
            self.sb.first_ino.max(11)
        }
    }

    /// Refuse an operation that changes block or inode usage under quota accounting.
    fn check_quota(&self) -> Result<()> {
        if self.sb.feature_ro_compat & ro_compat::QUOTA != 0 {
            return refused(
                "the filesystem keeps quota usage, which this change would alter; \
                 only same-size rewrites are done",
            );
        }
        Ok(())
    }

    fn has_dir_index(&self) -> bool {
        self.sb.feature_compat & compat::DIR_INDEX != 0
    }

    /// `s_want_extra_isize`, or 32, limited by the inode size.
    fn extra_isize(&self, raw_sb: &[u8]) -> u16 {
        let rs = self.sb.inode_record_size();
        if rs <= 128 {
            return 0;
        }
        let want = le16(raw_sb, 0x15E);
        let want = if want >= 4 && want.is_multiple_of(4) {
            want
        } else {
            32
        };
        want.max(32).min(rs - 128)
    }
}
