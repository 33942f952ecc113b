//! ext2/3/4: our own on-disk parsing (superblock, journal replay) under `ext4-view`.
pub mod superblock;
