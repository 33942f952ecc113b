//! Partition tables: MBR (with extended/logical partitions), GPT (512- and 4096-byte sectors,
//! protective and hybrid MBRs), or none — a filesystem at byte 0, the PV-GRUB "hd00" style.
//!
//! Malformed tables never panic: they become `problems` on the returned table, and every
//! partition is checked against the image size before anyone reads it.

mod cursor;
mod gpt;
mod mbr;

pub use cursor::Cursor;

use crate::image::ReadAt;
use serde::Serialize;
use std::io;

/// The kind of partitioning found on a disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    Mbr,
    Gpt,
    /// No table: the whole image is one volume (partitionless).
    None,
}

/// One partition: where it is and what the table says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partition {
    /// The number the Linux kernel gives it (`xvda<number>`): 1–4 primary, 5+ logical; GPT entry index + 1.
    pub number: u32,
    /// First byte in the image.
    pub start: u64,
    /// Length in bytes.
    pub size: u64,
    /// MBR type byte (`0x83`) or GPT type GUID.
    pub type_id: String,
    /// A readable name of the type (`Linux`, `EFI System`, …).
    pub type_name: String,
    /// MBR boot flag (0x80) or GPT legacy-BIOS-bootable attribute.
    pub bootable: bool,
    /// An MBR extended container (holds logical partitions, no filesystem).
    pub extended: bool,
    /// A logical partition inside an extended one.
    pub logical: bool,
    /// `PARTUUID` as blkid spells it (`xxxxxxxx-NN` for MBR, the entry GUID for GPT).
    pub partuuid: Option<String>,
    /// `PARTLABEL` (GPT partition name).
    pub partlabel: Option<String>,
}

/// Everything learned from the start (and, for GPT, the end) of a disk.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionTable {
    pub kind: TableKind,
    /// Sector size the table was read with.
    pub sector_size: u32,
    /// MBR disk signature (`0x1234abcd`) or GPT disk GUID.
    pub disk_id: Option<String>,
    /// A GPT disk whose MBR also lists real partitions (a hybrid MBR).
    pub hybrid_mbr: bool,
    pub partitions: Vec<Partition>,
    /// Things wrong with the table; partitions that failed checks are listed here, not above.
    pub problems: Vec<String>,
}

impl PartitionTable {
    fn none() -> Self {
        PartitionTable {
            kind: TableKind::None,
            sector_size: 512,
            disk_id: None,
            hybrid_mbr: false,
            partitions: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// Read the partition table of `dev`. An unreadable table is reported in `problems`;
/// only I/O errors of the image itself are errors.
pub fn read(dev: &dyn ReadAt) -> io::Result<PartitionTable> {
    if let Some(t) = gpt::read(dev)? {
        return Ok(t);
    }
    if let Some(t) = mbr::read(dev)? {
        return Ok(t);
    }
    Ok(PartitionTable::none())
}

/// Check a region against the disk and against the table's other partitions.
fn check_region(number: u32, start: u64, size: u64, disk: u64) -> Result<(), String> {
    if size == 0 {
        return Err(format!("partition {number} has zero length"));
    }
    match start.checked_add(size) {
        Some(end) if end <= disk => Ok(()),
        _ => Err(format!(
            "partition {number} (bytes {start}..+{size}) extends past the end of the {disk}-byte image"
        )),
    }
}

/// Report partitions that overlap each other (extended containers excluded).
fn overlaps(parts: &[Partition]) -> Vec<String> {
    let mut out = Vec::new();
    let real: Vec<&Partition> = parts.iter().filter(|p| !p.extended).collect();
    for (i, a) in real.iter().enumerate() {
        for b in &real[i + 1..] {
            if a.start < b.start + b.size && b.start < a.start + a.size {
                out.push(format!("partitions {} and {} overlap", a.number, b.number));
            }
        }
    }
    out
}
