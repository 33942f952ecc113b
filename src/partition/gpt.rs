//! GPT partition tables through the `gpt` crate, after validating every header field the crate
//! would assert on or allocate from (entry size, entry count, array location and CRC).

use super::{check_region, overlaps, Partition, PartitionTable, TableKind};
use crate::image::ReadAt;
use gpt::disk::LogicalBlockSize;
use std::io;

/// Most partition entries accepted (the standard array has 128; 16384 covers every tool).
const MAX_ENTRIES: u32 = 16384;

/// The fields of a GPT header we check before trusting the `gpt` crate with it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawHeader {
    part_start: u64,
    num_parts: u32,
    part_size: u32,
    crc_parts: u32,
}

/// Read a GPT, or `None` when neither a protective MBR nor a GPT header is present.
pub fn read(dev: &dyn ReadAt) -> io::Result<Option<PartitionTable>> {
    let protective = protective_mbr(dev)?;
    for sector in [512u32, 4096] {
        let primary = header_at(dev, sector as u64, sector)?;
        let last = (dev.size() / sector as u64).saturating_sub(1) * sector as u64;
        let backup = header_at(dev, last, sector)?;
        if primary.is_none() && backup.is_none() {
            continue;
        }
        return Ok(Some(build(dev, sector, primary, backup, protective)?));
    }
    if protective.is_some() {
        let mut t = empty(512, false);
        t.problems
            .push("protective MBR present but no valid GPT header was found".into());
        return Ok(Some(t));
    }
    Ok(None)
}

fn empty(sector: u32, hybrid: bool) -> PartitionTable {
    PartitionTable {
        kind: TableKind::Gpt,
        sector_size: sector,
        disk_id: None,
        hybrid_mbr: hybrid,
        partitions: Vec::new(),
        problems: Vec::new(),
    }
}

/// `Some(hybrid)` when sector 0 holds an 0xEE entry; hybrid if other entries are used too.
fn protective_mbr(dev: &dyn ReadAt) -> io::Result<Option<bool>> {
    if dev.size() < 512 {
        return Ok(None);
    }
    let mut s0 = [0u8; 512];
    dev.read_at(0, &mut s0)?;
    if s0[510..512] != [0x55, 0xAA] {
        return Ok(None);
    }
    let types: Vec<u8> = (0..4).map(|i| s0[446 + 16 * i + 4]).collect();
    if !types.contains(&0xEE) {
        return Ok(None);
    }
    Ok(Some(types.iter().any(|&t| t != 0 && t != 0xEE)))
}

/// A header at `offset` whose signature and CRC (over the 92 bytes the crate checks) are valid.
fn header_at(dev: &dyn ReadAt, offset: u64, sector: u32) -> io::Result<Option<RawHeader>> {
    if offset == 0 || offset + sector as u64 > dev.size() {
        return Ok(None);
    }
    let mut h = [0u8; 92];
    dev.read_at(offset, &mut h)?;
    if &h[..8] != b"EFI PART" {
        return Ok(None);
    }
    let stored = u32::from_le_bytes(h[16..20].try_into().unwrap());
    let mut z = h;
    z[16..20].fill(0);
    if crc32fast::hash(&z) != stored {
        return Ok(None);
    }
    let u32at = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().unwrap());
    Ok(Some(RawHeader {
        part_start: u64::from_le_bytes(h[72..80].try_into().unwrap()),
        num_parts: u32at(80),
        part_size: u32at(84),
        crc_parts: u32at(88),
    }))
}

/// Why the `gpt` crate must not be handed this header, if it must not.
fn header_problem(dev: &dyn ReadAt, h: &RawHeader, sector: u32) -> io::Result<Option<String>> {
    if h.part_size != 128 {
        return Ok(Some(format!(
            "GPT partition entries of {} bytes are not supported (only 128)",
            h.part_size
        )));
    }
    if h.num_parts == 0 || h.num_parts > MAX_ENTRIES {
        return Ok(Some(format!(
            "GPT header claims {} partition entries",
            h.num_parts
        )));
    }
    let len = h.num_parts as u64 * 128;
    let start = h.part_start.checked_mul(sector as u64);
    let Some(start) = start.filter(|s| s.checked_add(len).is_some_and(|e| e <= dev.size())) else {
        return Ok(Some("GPT partition array lies outside the image".into()));
    };
    let mut arr = vec![0u8; len as usize];
    dev.read_at(start, &mut arr)?;
    if crc32fast::hash(&arr) != h.crc_parts {
        return Ok(Some("GPT partition array checksum does not match".into()));
    }
    Ok(None)
}

fn build(
    dev: &dyn ReadAt,
    sector: u32,
    primary: Option<RawHeader>,
    backup: Option<RawHeader>,
    protective: Option<bool>,
) -> io::Result<PartitionTable> {
    let mut t = empty(sector, protective == Some(true));
    if primary.is_none() {
        t.problems
            .push("primary GPT header is damaged; the backup header was used".into());
    } else if backup.is_none() {
        t.problems
            .push("backup GPT header is missing or damaged".into());
    }
    if protective.is_none() {
        t.problems
            .push("GPT without a protective MBR: BIOS firmware will not see it".into());
    }
    // The crate uses the primary header when its signature and CRC are valid, else the backup.
    let chosen = primary.as_ref().or(backup.as_ref()).expect("one header");
    if let Some(p) = header_problem(dev, chosen, sector)? {
        t.problems.push(p);
        return Ok(t);
    }
    let lb = if sector == 512 {
        LogicalBlockSize::Lb512
    } else {
        LogicalBlockSize::Lb4096
    };
    let disk = gpt::GptConfig::new()
        .writable(false)
        .only_valid_headers(false)
        .logical_block_size(lb)
        .open_from_device(super::Cursor::new(dev));
    match disk {
        Ok(d) => {
            t.disk_id = Some(d.guid().as_hyphenated().to_string());
            collect(&d, sector, dev.size(), &mut t);
        }
        Err(e) => t.problems.push(format!("GPT could not be read: {e}")),
    }
    Ok(t)
}

fn collect<D>(d: &gpt::GptDisk<D>, sector: u32, disk: u64, t: &mut PartitionTable) {
    for (&number, p) in d.partitions() {
        if p.part_type_guid.guid.is_nil() {
            continue;
        }
        let start = p.first_lba.saturating_mul(sector as u64);
        let size = p
            .last_lba
            .checked_sub(p.first_lba)
            .map(|n| (n + 1).saturating_mul(sector as u64))
            .unwrap_or(0);
        if let Err(m) = check_region(number, start, size, disk) {
            t.problems.push(m);
            continue;
        }
        let type_guid = p.part_type_guid.guid.as_hyphenated().to_string();
        t.partitions.push(Partition {
            number,
            start,
            size,
            type_name: type_name(&type_guid).to_string(),
            type_id: type_guid,
            bootable: p.flags & 0x4 != 0,
            extended: false,
            logical: false,
            partuuid: Some(p.part_guid.as_hyphenated().to_string()),
            partlabel: (!p.name.is_empty()).then(|| p.name.clone()),
        });
    }
    t.problems.extend(overlaps(&t.partitions));
}

/// Names of the GPT type GUIDs a Linux guest is likely to have.
pub fn type_name(guid: &str) -> &'static str {
    match guid.to_ascii_lowercase().as_str() {
        "0fc63daf-8483-4772-8e79-3d69d8477de4" => "Linux filesystem",
        "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" => "EFI System",
        "21686148-6449-6e6f-744e-656564454649" => "BIOS boot",
        "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f" => "Linux swap",
        "e6d6d379-f507-44c2-a23c-238f2a3df928" => "Linux LVM",
        "a19d880f-05fc-4d3b-a006-743f0f84911e" => "Linux RAID",
        "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7" => "Microsoft basic data",
        "4f68bce3-e8cd-4db1-96e7-fbcaf984b709" => "Linux root (x86-64)",
        "44479540-f297-41b2-9af7-d131d5f0458a" => "Linux root (x86)",
        "bc13c2ff-59e6-4262-a352-b275fd6f7172" => "Linux extended boot",
        "933ac7e1-2eb4-4f13-b844-0e14e2aef915" => "Linux home",
        _ => "unknown",
    }
}
