//! pv2hvm: open Linux guest disk images offline and judge whether a Xen PV guest will boot and be
//! reachable after it moves to HVM, KVM or AWS Nitro.
//!
//! Layers, in the one direction data flows:
//! `image` (positioned reads) → `partition` (tables and volumes) → `probe` (signatures) →
//! `fs` (ext2/3/4 and FAT readers) → `guest` (root, fstab mounts, path view, inventory) →
//! `parse` (config formats) → `report` (human and JSON) → `cli`.
#![forbid(unsafe_code)]

pub mod cli;
pub mod fix;
pub mod fs;
pub mod guest;
pub mod image;
pub mod parse;
pub mod partition;
pub mod patch;
pub mod probe;
pub mod report;
pub mod rules;
pub mod scan;
