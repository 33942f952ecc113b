//! Volumes: each partition (or the whole partitionless image) with its signature and, for the
//! filesystems pv2hvm reads, an opened reader.

use super::tree::Filesystems;
use crate::fs::fat::FatFs;
use crate::fs::FileSystem;
use crate::image::{Device, Slice};
use crate::partition::{Partition, PartitionTable, TableKind};
use crate::probe::{self, Signature};
use serde::Serialize;
use std::sync::Arc;

/// What became of the attempt to read a volume's filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FsState {
    /// Not a filesystem pv2hvm reads (swap, LVM, unknown…), so not opened.
    NotOpened,
    /// Opened; `notes` say what the reader had to do (e.g. a replayed journal).
    Open { notes: Vec<String> },
    /// A readable type that could not be opened, with the reason.
    Failed { reason: String },
}

/// One region of the disk that can hold a filesystem.
#[derive(Serialize)]
pub struct Volume {
    /// Position in the guest's volume list.
    pub index: usize,
    /// Kernel partition number; 0 for a partitionless image's whole disk.
    pub number: u32,
    pub start: u64,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    pub signature: Option<Signature>,
    pub fs: FsState,
    /// ext superblock facts, when the volume is ext2/3/4.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext: Option<super::ext_info::ExtInfo>,
    #[serde(skip)]
    pub device: Device,
}

impl Volume {
    /// `sda1`-style short name for messages: `p1`, or `disk` for a partitionless image.
    pub fn label(&self) -> String {
        if self.number == 0 {
            "whole disk".to_string()
        } else {
            format!("partition {}", self.number)
        }
    }
    /// The filesystem type name, if any signature was found.
    pub fn fs_type(&self) -> Option<&str> {
        self.signature.as_ref().map(|s| s.fs_type.as_str())
    }
}

/// The volumes of a disk, their opened filesystems (same indexes) and what went wrong.
pub struct Discovery {
    pub volumes: Vec<Volume>,
    pub filesystems: Filesystems,
    pub problems: Vec<String>,
}

/// Build the volume list for `disk` and open every readable filesystem on it.
pub fn discover(disk: &Device, table: &PartitionTable) -> Discovery {
    let mut volumes = Vec::new();
    let mut problems = Vec::new();
    let regions: Vec<(u32, u64, u64, Option<Partition>)> = if table.kind == TableKind::None {
        vec![(0, 0, disk.size(), None)]
    } else {
        table
            .partitions
            .iter()
            .filter(|p| !p.extended)
            .map(|p| (p.number, p.start, p.size, Some(p.clone())))
            .collect()
    };
    let mut filesystems = Vec::new();
    for (number, start, size, partition) in regions {
        let device: Device = match Slice::new(disk.clone(), start, size) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                problems.push(format!("partition {number}: {e}"));
                continue;
            }
        };
        let signature = match probe::probe(device.as_ref()) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("partition {number}: cannot probe: {e}"));
                None
            }
        };
        let (fs, state, ext) = open_filesystem(signature.as_ref(), &device);
        filesystems.push(fs);
        volumes.push(Volume {
            index: volumes.len(),
            number,
            start,
            size,
            partition,
            signature,
            fs: state,
            ext,
            device,
        });
    }
    Discovery {
        volumes,
        filesystems,
        problems,
    }
}

type Opened = (
    Option<Box<dyn FileSystem>>,
    FsState,
    Option<super::ext_info::ExtInfo>,
);

fn open_filesystem(sig: Option<&Signature>, dev: &Device) -> Opened {
    match sig.map(|s| s.fs_type.as_str()) {
        Some("ext2" | "ext3" | "ext4") => super::ext_info::open(dev),
        Some("vfat") => match FatFs::open(dev.clone()) {
            Ok(f) => (Some(Box::new(f)), FsState::Open { notes: vec![] }, None),
            Err(e) => (
                None,
                FsState::Failed {
                    reason: e.to_string(),
                },
                None,
            ),
        },
        _ => (None, FsState::NotOpened, None),
    }
}
