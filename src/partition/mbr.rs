//! MBR partition tables through `mbrman`, after our own checks of what it trusts.

use super::{check_region, overlaps, Partition, PartitionTable, TableKind};
use crate::image::ReadAt;
use std::io;

/// Read an MBR table, or `None` when sector 0 carries no valid MBR.
pub fn read(dev: &dyn ReadAt) -> io::Result<Option<PartitionTable>> {
    if dev.size() < 512 {
        return Ok(None);
    }
    let mut s0 = [0u8; 512];
    dev.read_at(0, &mut s0)?;
    if !looks_like_mbr(&s0) {
        return Ok(None);
    }
    let mut table = PartitionTable {
        kind: TableKind::Mbr,
        sector_size: 512,
        disk_id: Some(format!(
            "0x{:08x}",
            u32::from_le_bytes(s0[440..444].try_into().unwrap())
        )),
        hybrid_mbr: false,
        partitions: Vec::new(),
        problems: Vec::new(),
    };
    let mut cur = super::Cursor::new(dev);
    match mbrman::MBR::read_from(&mut cur, 512) {
        Ok(mbr) => collect(&mbr, dev.size(), &s0, &mut table),
        Err(e) => table
            .problems
            .push(format!("MBR partition table could not be read: {e}")),
    }
    table.problems.extend(overlaps(&table.partitions));
    Ok(Some(table))
}

/// The 0x55AA signature and four entries with sane boot flags, at least one in use.
pub fn looks_like_mbr(s0: &[u8; 512]) -> bool {
    if s0[510..512] != [0x55, 0xAA] {
        return false;
    }
    let entries: Vec<&[u8]> = (0..4).map(|i| &s0[446 + 16 * i..462 + 16 * i]).collect();
    let flags_ok = entries.iter().all(|e| e[0] == 0 || e[0] == 0x80);
    let used = entries.iter().any(|e| e[4] != 0);
    flags_ok && used
}

fn collect(mbr: &mbrman::MBR, disk: u64, s0: &[u8; 512], table: &mut PartitionTable) {
    let disk_sig = u32::from_le_bytes(s0[440..444].try_into().unwrap());
    for (number, e) in mbr.iter() {
        if e.sys == 0 || e.sectors == 0 && e.starting_lba == 0 {
            continue;
        }
        let number = number as u32;
        let start = e.starting_lba as u64 * 512;
        let size = e.sectors as u64 * 512;
        let extended = matches!(e.sys, 0x05 | 0x0f | 0x85 | 0xc5 | 0xd5);
        if let Err(m) = check_region(number, start, size, disk) {
            table.problems.push(m);
            continue;
        }
        table.partitions.push(Partition {
            number,
            start,
            size,
            type_id: format!("0x{:02x}", e.sys),
            type_name: type_name(e.sys).to_string(),
            bootable: e.boot == 0x80,
            extended,
            logical: number > 4,
            partuuid: (disk_sig != 0).then(|| format!("{disk_sig:08x}-{number:02x}")),
            partlabel: None,
        });
    }
}

/// Names of the MBR type bytes a Linux guest is likely to have.
pub fn type_name(sys: u8) -> &'static str {
    match sys {
        0x01 | 0x04 | 0x06 | 0x0e => "FAT16",
        0x0b | 0x0c => "W95 FAT32",
        0x05 | 0x0f | 0x85 => "Extended",
        0x07 => "HPFS/NTFS/exFAT",
        0x82 => "Linux swap",
        0x83 => "Linux",
        0x8e => "Linux LVM",
        0xa5 => "FreeBSD",
        0xee => "GPT protective",
        0xef => "EFI (FAT)",
        0xfd => "Linux raid autodetect",
        _ => "unknown",
    }
}
