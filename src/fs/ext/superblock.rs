//! The ext2/3/4 superblock: geometry, feature flags, state, journal and checksum.
//!
//! Parsed from the 1024 bytes at byte 1024 of the filesystem, with every field bounds-checked;
//! `ext4-view` does not expose these, and the report and the journal replay need them.

use std::fmt;

/// Byte offset of the primary superblock inside the filesystem.
pub const SUPERBLOCK_OFFSET: u64 = 1024;
/// Size of the on-disk superblock.
pub const SUPERBLOCK_SIZE: usize = 1024;
const MAGIC: u16 = 0xEF53;

/// `s_feature_compat` bits.
pub mod compat {
    pub const DIR_PREALLOC: u32 = 0x1;
    pub const IMAGIC_INODES: u32 = 0x2;
    pub const HAS_JOURNAL: u32 = 0x4;
    pub const EXT_ATTR: u32 = 0x8;
    pub const RESIZE_INODE: u32 = 0x10;
    pub const DIR_INDEX: u32 = 0x20;
    pub const SPARSE_SUPER2: u32 = 0x200;
    pub const FAST_COMMIT: u32 = 0x400;
    pub const STABLE_INODES: u32 = 0x800;
    pub const ORPHAN_FILE: u32 = 0x1000;
}

/// `s_feature_incompat` bits.
pub mod incompat {
    pub const COMPRESSION: u32 = 0x1;
    pub const FILETYPE: u32 = 0x2;
    pub const RECOVER: u32 = 0x4;
    pub const JOURNAL_DEV: u32 = 0x8;
    pub const META_BG: u32 = 0x10;
    pub const EXTENTS: u32 = 0x40;
    pub const BIT64: u32 = 0x80;
    pub const MMP: u32 = 0x100;
    pub const FLEX_BG: u32 = 0x200;
    pub const EA_INODE: u32 = 0x400;
    pub const DIRDATA: u32 = 0x1000;
    pub const CSUM_SEED: u32 = 0x2000;
    pub const LARGEDIR: u32 = 0x4000;
    pub const INLINE_DATA: u32 = 0x8000;
    pub const ENCRYPT: u32 = 0x10000;
    pub const CASEFOLD: u32 = 0x20000;
}

/// `s_feature_ro_compat` bits.
pub mod ro_compat {
    pub const SPARSE_SUPER: u32 = 0x1;
    pub const LARGE_FILE: u32 = 0x2;
    pub const BTREE_DIR: u32 = 0x4;
    pub const HUGE_FILE: u32 = 0x8;
    pub const GDT_CSUM: u32 = 0x10;
    pub const DIR_NLINK: u32 = 0x20;
    pub const EXTRA_ISIZE: u32 = 0x40;
    pub const HAS_SNAPSHOT: u32 = 0x80;
    pub const QUOTA: u32 = 0x100;
    pub const BIGALLOC: u32 = 0x200;
    pub const METADATA_CSUM: u32 = 0x400;
    pub const REPLICA: u32 = 0x800;
    pub const READONLY: u32 = 0x1000;
    pub const PROJECT: u32 = 0x2000;
    pub const SHARED_BLOCKS: u32 = 0x4000;
    pub const VERITY: u32 = 0x8000;
    pub const ORPHAN_PRESENT: u32 = 0x10000;
}

const COMPAT_NAMES: &[(u32, &str)] = &[
    (compat::DIR_PREALLOC, "dir_prealloc"),
    (compat::IMAGIC_INODES, "imagic_inodes"),
    (compat::HAS_JOURNAL, "has_journal"),
    (compat::EXT_ATTR, "ext_attr"),
    (compat::RESIZE_INODE, "resize_inode"),
    (compat::DIR_INDEX, "dir_index"),
    (compat::SPARSE_SUPER2, "sparse_super2"),
    (compat::FAST_COMMIT, "fast_commit"),
    (compat::STABLE_INODES, "stable_inodes"),
    (compat::ORPHAN_FILE, "orphan_file"),
];
const INCOMPAT_NAMES: &[(u32, &str)] = &[
    (incompat::COMPRESSION, "compression"),
    (incompat::FILETYPE, "filetype"),
    (incompat::RECOVER, "needs_recovery"),
    (incompat::JOURNAL_DEV, "journal_dev"),
    (incompat::META_BG, "meta_bg"),
    (incompat::EXTENTS, "extent"),
    (incompat::BIT64, "64bit"),
    (incompat::MMP, "mmp"),
    (incompat::FLEX_BG, "flex_bg"),
    (incompat::EA_INODE, "ea_inode"),
    (incompat::DIRDATA, "dirdata"),
    (incompat::CSUM_SEED, "metadata_csum_seed"),
    (incompat::LARGEDIR, "large_dir"),
    (incompat::INLINE_DATA, "inline_data"),
    (incompat::ENCRYPT, "encrypt"),
    (incompat::CASEFOLD, "casefold"),
];
const RO_COMPAT_NAMES: &[(u32, &str)] = &[
    (ro_compat::SPARSE_SUPER, "sparse_super"),
    (ro_compat::LARGE_FILE, "large_file"),
    (ro_compat::BTREE_DIR, "btree_dir"),
    (ro_compat::HUGE_FILE, "huge_file"),
    (ro_compat::GDT_CSUM, "uninit_bg"),
    (ro_compat::DIR_NLINK, "dir_nlink"),
    (ro_compat::EXTRA_ISIZE, "extra_isize"),
    (ro_compat::HAS_SNAPSHOT, "snapshot"),
    (ro_compat::QUOTA, "quota"),
    (ro_compat::BIGALLOC, "bigalloc"),
    (ro_compat::METADATA_CSUM, "metadata_csum"),
    (ro_compat::REPLICA, "replica"),
    (ro_compat::READONLY, "read-only"),
    (ro_compat::PROJECT, "project"),
    (ro_compat::SHARED_BLOCKS, "shared_blocks"),
    (ro_compat::VERITY, "verity"),
    (ro_compat::ORPHAN_PRESENT, "orphan_present"),
];

/// Which ext generation a superblock describes, decided the way `blkid` does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtKind {
    Ext2,
    Ext3,
    Ext4,
    /// An external journal device.
    Jbd,
}

impl ExtKind {
    /// The blkid type name.
    pub fn name(self) -> &'static str {
        match self {
            ExtKind::Ext2 => "ext2",
            ExtKind::Ext3 => "ext3",
            ExtKind::Ext4 => "ext4",
            ExtKind::Jbd => "jbd",
        }
    }
}

/// Why a superblock was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuperblockError {
    /// Fewer than 1024 bytes were given.
    Short,
    /// `s_magic` is not 0xEF53.
    BadMagic,
    /// A geometry field is impossible (named in the message).
    Corrupt(String),
}

impl fmt::Display for SuperblockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuperblockError::Short => write!(f, "superblock is truncated"),
            SuperblockError::BadMagic => write!(f, "no ext2/3/4 superblock magic"),
            SuperblockError::Corrupt(m) => write!(f, "corrupted superblock: {m}"),
        }
    }
}

impl std::error::Error for SuperblockError {}

/// The fields of an ext2/3/4 superblock that pv2hvm uses.
#[derive(Debug, Clone)]
pub struct Superblock {
    pub inodes_count: u32,
    pub blocks_count: u64,
    pub free_blocks_count: u64,
    pub free_inodes_count: u32,
    pub first_data_block: u32,
    pub log_block_size: u32,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub state: u16,
    pub errors: u16,
    pub rev_level: u32,
    pub minor_rev_level: u16,
    pub creator_os: u32,
    pub first_ino: u32,
    pub inode_size: u16,
    pub feature_compat: u32,
    pub feature_incompat: u32,
    pub feature_ro_compat: u32,
    pub uuid: [u8; 16],
    pub volume_name: [u8; 16],
    pub last_mounted: [u8; 64],
    pub journal_uuid: [u8; 16],
    pub journal_inum: u32,
    pub journal_dev: u32,
    pub hash_seed: [u32; 4],
    pub def_hash_version: u8,
    pub desc_size: u16,
    pub first_meta_bg: u32,
    pub mkfs_time: u32,
    pub flags: u32,
    pub checksum_type: u8,
    pub checksum_seed: u32,
    pub checksum: u32,
    /// `true` when metadata_csum is on and the stored checksum matches.
    pub checksum_ok: bool,
    /// `s_backup_bgs`: the only two groups with backups under sparse_super2.
    pub backup_bgs: [u32; 2],
    /// `s_jnl_backup_type` (1 = `s_jnl_blocks` holds a copy of the journal inode's blocks).
    pub jnl_backup_type: u8,
    /// `s_jnl_blocks`: i_block[15], i_size_high, i_size of the journal inode.
    pub jnl_blocks: [u32; 17],
}

fn u16le(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32le(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn arr<const N: usize>(b: &[u8], o: usize) -> [u8; N] {
    b[o..o + N].try_into().expect("slice length")
}

/// The ext4 "raw" CRC32C (initial value given, no final inversion), as the kernel computes it.
pub fn crc32c_raw(seed: u32, data: &[u8]) -> u32 {
    !crc32c::crc32c_append(!seed, data)
}

/// The checksum the kernel would store at byte 0x3FC of `sb`.
pub fn compute_checksum(sb: &[u8]) -> u32 {
    crc32c_raw(!0, &sb[..0x3FC])
}

impl Superblock {
    /// Parse the 1024 superblock bytes; only the magic and impossible geometry are errors.
    pub fn parse(b: &[u8]) -> Result<Self, SuperblockError> {
        if b.len() < SUPERBLOCK_SIZE {
            return Err(SuperblockError::Short);
        }
        if u16le(b, 0x38) != MAGIC {
            return Err(SuperblockError::BadMagic);
        }
        let incompat = u32le(b, 0x60);
        let bit64 = incompat & incompat::BIT64 != 0;
        let hi = |o: usize| if bit64 { (u32le(b, o) as u64) << 32 } else { 0 };
        let ro = u32le(b, 0x64);
        let checksum = u32le(b, 0x3FC);
        let sb = Superblock {
            inodes_count: u32le(b, 0x0),
            blocks_count: u32le(b, 0x4) as u64 | hi(0x150),
            free_blocks_count: u32le(b, 0xC) as u64 | hi(0x158),
            free_inodes_count: u32le(b, 0x10),
            first_data_block: u32le(b, 0x14),
            log_block_size: u32le(b, 0x18),
            blocks_per_group: u32le(b, 0x20),
            inodes_per_group: u32le(b, 0x28),
            state: u16le(b, 0x3A),
            errors: u16le(b, 0x3C),
            minor_rev_level: u16le(b, 0x3E),
            creator_os: u32le(b, 0x48),
            rev_level: u32le(b, 0x4C),
            first_ino: u32le(b, 0x54),
            inode_size: u16le(b, 0x58),
            feature_compat: u32le(b, 0x5C),
            feature_incompat: incompat,
            feature_ro_compat: ro,
            uuid: arr(b, 0x68),
            volume_name: arr(b, 0x78),
            last_mounted: arr(b, 0x88),
            journal_uuid: arr(b, 0xD0),
            journal_inum: u32le(b, 0xE0),
            journal_dev: u32le(b, 0xE4),
            hash_seed: [
                u32le(b, 0xEC),
                u32le(b, 0xF0),
                u32le(b, 0xF4),
                u32le(b, 0xF8),
            ],
            def_hash_version: b[0xFC],
            desc_size: u16le(b, 0xFE),
            first_meta_bg: u32le(b, 0x104),
            mkfs_time: u32le(b, 0x108),
            flags: u32le(b, 0x160),
            checksum_type: b[0x175],
            checksum_seed: u32le(b, 0x270),
            checksum,
            checksum_ok: ro & ro_compat::METADATA_CSUM == 0 || compute_checksum(b) == checksum,
            backup_bgs: [u32le(b, 0x24C), u32le(b, 0x250)],
            jnl_backup_type: b[0xFD],
            jnl_blocks: std::array::from_fn(|i| u32le(b, 0x10C + 4 * i)),
        };
        sb.validate()?;
        Ok(sb)
    }

    fn validate(&self) -> Result<(), SuperblockError> {
        let bad = |m: &str| Err(SuperblockError::Corrupt(m.to_string()));
        if self.kind() == ExtKind::Jbd {
            return Ok(());
        }
        if self.log_block_size > 6 {
            return bad("block size above 64 KiB");
        }
        if self.blocks_per_group == 0 || self.inodes_per_group == 0 {
            return bad("zero blocks or inodes per group");
        }
        if self.blocks_count == 0 || self.inodes_count == 0 {
            return bad("zero blocks or inodes");
        }
        if self.rev_level >= 1 && (self.inode_size < 128 || !self.inode_size.is_power_of_two()) {
            return bad("inode size is not a power of two of at least 128");
        }
        if self.rev_level >= 1 && (self.inode_size as u64) > self.block_size() {
            return bad("inode size larger than a block");
        }
        if self.is_64bit() && (self.desc_size < 64 || !self.desc_size.is_power_of_two()) {
            return bad("64bit group descriptor size is not a power of two of at least 64");
        }
        Ok(())
    }

    /// Block size in bytes.
    pub fn block_size(&self) -> u64 {
        1024u64 << self.log_block_size
    }
    /// Size of one inode record on disk.
    pub fn inode_record_size(&self) -> u16 {
        if self.rev_level == 0 {
            128
        } else {
            self.inode_size
        }
    }
    /// Number of block groups.
    pub fn group_count(&self) -> u64 {
        let data = self
            .blocks_count
            .saturating_sub(self.first_data_block as u64);
        data.div_ceil(self.blocks_per_group as u64)
    }
    /// Size of one group descriptor.
    pub fn group_desc_size(&self) -> u16 {
        if self.is_64bit() {
            self.desc_size
        } else {
            32
        }
    }
    /// Size the filesystem claims, in bytes.
    pub fn fs_size(&self) -> u64 {
        self.blocks_count.saturating_mul(self.block_size())
    }
    /// `64bit` is set.
    pub fn is_64bit(&self) -> bool {
        self.feature_incompat & incompat::BIT64 != 0
    }
    /// `has_journal` is set.
    pub fn has_journal(&self) -> bool {
        self.feature_compat & compat::HAS_JOURNAL != 0
    }
    /// The journal has transactions that were never checkpointed (`needs_recovery`).
    pub fn needs_recovery(&self) -> bool {
        self.feature_incompat & incompat::RECOVER != 0
    }
    /// The journal lives on another device (`s_journal_inum` is 0 and a journal UUID or device
    /// number is recorded).
    pub fn has_external_journal(&self) -> bool {
        self.has_journal()
            && self.journal_inum == 0
            && (self.journal_dev != 0 || self.journal_uuid.iter().any(|&b| b != 0))
    }
    /// `sparse_super` is set.
    pub fn has_sparse_super(&self) -> bool {
        self.feature_ro_compat & ro_compat::SPARSE_SUPER != 0
    }
    /// `metadata_csum` is set.
    pub fn has_metadata_csum(&self) -> bool {
        self.feature_ro_compat & ro_compat::METADATA_CSUM != 0
    }
    /// The filesystem was not cleanly unmounted (`s_state` lacks the valid bit) or has errors.
    pub fn is_clean(&self) -> bool {
        self.state & 0x1 != 0 && self.state & 0x2 == 0
    }
    /// The seed of every metadata checksum: `s_checksum_seed` or crc32c of the UUID.
    pub fn csum_seed(&self) -> u32 {
        if self.feature_incompat & incompat::CSUM_SEED != 0 {
            self.checksum_seed
        } else {
            crc32c_raw(!0, &self.uuid)
        }
    }
    /// The UUID in its canonical text form.
    pub fn uuid_string(&self) -> String {
        format_uuid(&self.uuid)
    }
    /// The volume label (empty when none).
    pub fn label(&self) -> String {
        c_string(&self.volume_name)
    }
    /// Where the filesystem was last mounted, as recorded by the kernel.
    pub fn last_mounted_at(&self) -> String {
        c_string(&self.last_mounted)
    }
    /// Names of every feature set, in `dumpe2fs` spelling.
    pub fn feature_names(&self) -> Vec<&'static str> {
        let pick = |set: u32, table: &[(u32, &'static str)]| {
            table
                .iter()
                .filter(move |(bit, _)| set & bit != 0)
                .map(|(_, n)| *n)
                .collect::<Vec<_>>()
        };
        let mut v = pick(self.feature_compat, COMPAT_NAMES);
        v.extend(pick(self.feature_incompat, INCOMPAT_NAMES));
        v.extend(pick(self.feature_ro_compat, RO_COMPAT_NAMES));
        v
    }
    /// ext2, ext3, ext4 or jbd, by the same feature tests as libblkid.
    pub fn kind(&self) -> ExtKind {
        const EXT2_RO: u32 = ro_compat::SPARSE_SUPER | ro_compat::LARGE_FILE | ro_compat::BTREE_DIR;
        const EXT2_IN: u32 = incompat::FILETYPE | incompat::META_BG;
        const EXT3_IN: u32 = EXT2_IN | incompat::RECOVER;
        if self.feature_incompat & incompat::JOURNAL_DEV != 0 {
            return ExtKind::Jbd;
        }
        let ro_extra = self.feature_ro_compat & !EXT2_RO != 0;
        if !self.has_journal() {
            if ro_extra || self.feature_incompat & !EXT2_IN != 0 {
                return ExtKind::Ext4;
            }
            return ExtKind::Ext2;
        }
        if ro_extra || self.feature_incompat & !EXT3_IN != 0 {
            return ExtKind::Ext4;
        }
        ExtKind::Ext3
    }
}

/// Format 16 bytes as a lowercase 8-4-4-4-12 UUID.
pub fn format_uuid(u: &[u8; 16]) -> String {
    let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The bytes up to the first NUL, lossily decoded.
pub fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// A copy of `sb` with `needs_recovery` cleared and the checksum recomputed when present.
pub fn without_recover_flag(sb: &[u8]) -> Vec<u8> {
    let mut out = sb[..SUPERBLOCK_SIZE].to_vec();
    let incompat_v = u32le(&out, 0x60) & !incompat::RECOVER;
    out[0x60..0x64].copy_from_slice(&incompat_v.to_le_bytes());
    if u32le(&out, 0x64) & ro_compat::METADATA_CSUM != 0 {
        let c = compute_checksum(&out);
        out[0x3FC..0x400].copy_from_slice(&c.to_le_bytes());
    }
    out
}

/// A minimal valid superblock (1 KiB blocks, 256-byte inodes, one group) for unit tests.
#[cfg(test)]
pub(crate) fn test_bytes(inodes: u32, blocks: u32) -> Vec<u8> {
    let mut b = vec![0u8; SUPERBLOCK_SIZE];
    b[0x0..0x4].copy_from_slice(&inodes.to_le_bytes());
    b[0x4..0x8].copy_from_slice(&blocks.to_le_bytes());
    b[0x14..0x18].copy_from_slice(&1u32.to_le_bytes());
    b[0x20..0x24].copy_from_slice(&8192u32.to_le_bytes());
    b[0x28..0x2C].copy_from_slice(&inodes.to_le_bytes());
    b[0x38..0x3A].copy_from_slice(&MAGIC.to_le_bytes());
    b[0x4C..0x50].copy_from_slice(&1u32.to_le_bytes());
    b[0x58..0x5A].copy_from_slice(&256u16.to_le_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Vec<u8> {
        test_bytes(128, 1024)
    }

    #[test]
    fn kind_follows_blkid_rules() {
        let mut b = minimal();
        assert_eq!(Superblock::parse(&b).unwrap().kind(), ExtKind::Ext2);
        b[0x5C] = compat::HAS_JOURNAL as u8;
        assert_eq!(Superblock::parse(&b).unwrap().kind(), ExtKind::Ext3);
        b[0x60] = incompat::EXTENTS as u8;
        assert_eq!(Superblock::parse(&b).unwrap().kind(), ExtKind::Ext4);
    }

    #[test]
    fn rejects_bad_magic_and_geometry() {
        let mut b = minimal();
        b[0x38] = 0;
        assert_eq!(
            Superblock::parse(&b).unwrap_err(),
            SuperblockError::BadMagic
        );
        let mut b = minimal();
        b[0x18] = 40;
        assert!(matches!(
            Superblock::parse(&b),
            Err(SuperblockError::Corrupt(_))
        ));
        assert_eq!(
            Superblock::parse(&b[..10]).unwrap_err(),
            SuperblockError::Short
        );
    }

    #[test]
    fn clearing_recover_keeps_checksum_valid() {
        let mut b = minimal();
        b[0x60] = incompat::RECOVER as u8;
        b[0x64..0x68].copy_from_slice(&ro_compat::METADATA_CSUM.to_le_bytes());
        let c = compute_checksum(&b);
        b[0x3FC..].copy_from_slice(&c.to_le_bytes());
        let sb = Superblock::parse(&b).unwrap();
        assert!(sb.needs_recovery() && sb.checksum_ok);
        let cleared = Superblock::parse(&without_recover_flag(&b)).unwrap();
        assert!(!cleared.needs_recovery() && cleared.checksum_ok);
    }
}
