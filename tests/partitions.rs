//! Partition tables made by real sfdisk, sgdisk and mkfs, read back through `partition::read`,
//! including deliberately broken ones that must become reported problems, never panics.

mod common;

use common::*;
use pv2hvm::image;
use pv2hvm::partition::{self, PartitionTable, TableKind};
use std::path::Path;

fn table(path: &Path) -> PartitionTable {
    let img = image::open(path).expect("image opens");
    partition::read(img.device.as_ref()).expect("no I/O error")
}

fn numbers(t: &PartitionTable) -> Vec<u32> {
    t.partitions.iter().map(|p| p.number).collect()
}

#[test]
fn mbr_with_logical_partitions() {
    need("sfdisk", "fdisk");
    let d = tempfile::tempdir().unwrap();
    let img = d.path().join("mbr.img");
    sh(&format!("truncate -s 16M {}", img.display()));
    sh_in(
        &format!("sfdisk -q {}", img.display()),
        "label: dos\nlabel-id: 0x1234abcd\n\
         start=2048, size=4096, type=83, bootable\n\
         start=6144, size=20480, type=5\n\
         start=8192, size=4096, type=82\n\
         start=14336, size=8192, type=83\n",
    );
    let t = table(&img);
    assert_eq!(t.kind, TableKind::Mbr);
    assert_eq!(t.disk_id.as_deref(), Some("0x1234abcd"));
    assert_eq!(numbers(&t), vec![1, 2, 5, 6], "{t:#?}");
    assert!(t.problems.is_empty(), "{:?}", t.problems);
    let p1 = &t.partitions[0];
    assert!(p1.bootable && p1.start == 2048 * 512 && p1.size == 4096 * 512);
    assert!(t.partitions[1].extended);
    let p5 = &t.partitions[2];
    assert!(p5.logical && p5.type_id == "0x82" && p5.start == 8192 * 512);
    assert_eq!(p5.partuuid.as_deref(), Some("1234abcd-05"));
    assert_eq!(t.partitions[3].start, 14336 * 512);
}

const PART_UUIDS: [&str; 3] = [
    "aaaaaaaa-0000-0000-0000-000000000001",
    "aaaaaaaa-0000-0000-0000-000000000002",
    "aaaaaaaa-0000-0000-0000-000000000003",
];
const DISK_GUID: &str = "11111111-2222-3333-4444-555555555555";

/// A GPT disk with 512-byte sectors, made by sfdisk.
fn gpt_image(dir: &Path, sector: u32) -> std::path::PathBuf {
    if sector == 4096 {
        return gpt4096_image(dir);
    }
    let img = dir.join("gpt512.img");
    sh(&format!("truncate -s 32M {}", img.display()));
    sh_in(
        &format!("sfdisk -q {}", img.display()),
        &format!(
            "label: gpt\nlabel-id: {DISK_GUID}\n\
             start=2048, size=4096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid={}, name=\"EFI System\"\n\
             size=4096, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid={}\n\
             size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid={}, name=root\n",
            PART_UUIDS[0], PART_UUIDS[1], PART_UUIDS[2]
        ),
    );
    img
}

/// The same layout with 4096-byte sectors. sfdisk 2.38 (Debian 12) has no `--sector-size`
/// and files have no logical sector size of their own, so the `gpt` crate's writer (an
/// implementation independent of our reader) lays it out, behind its own protective MBR.
fn gpt4096_image(dir: &Path) -> std::path::PathBuf {
    use gpt::partition::Partition;
    use gpt::partition_types as types;
    let img = dir.join("gpt4096.img");
    sh(&format!("truncate -s 32M {}", img.display()));
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&img)
        .unwrap();
    gpt::mbr::ProtectiveMBR::with_lb_size(32 * 256 - 1)
        .overwrite_lba0(&mut f)
        .unwrap();
    let mut disk = gpt::GptConfig::new()
        .writable(true)
        .logical_block_size(gpt::disk::LogicalBlockSize::Lb4096)
        .create_from_device(f, Some(DISK_GUID.parse().unwrap()))
        .unwrap();
    let kinds = [
        (types::EFI, "EFI System"),
        (types::LINUX_SWAP, ""),
        (types::LINUX_FS, "root"),
    ];
    let parts = kinds
        .into_iter()
        .enumerate()
        .map(|(i, (t, name))| {
            let first = 256 + 512 * i as u64;
            let p = Partition {
                part_type_guid: t,
                part_guid: PART_UUIDS[i].parse().unwrap(),
                first_lba: first,
                last_lba: first + 511,
                flags: 0,
                name: name.to_string(),
            };
            (i as u32 + 1, p)
        })
        .collect();
    disk.update_partitions(parts).unwrap();
    disk.write().unwrap();
    img
}

#[test]
fn gpt_with_512_and_4096_byte_sectors() {
    need("sfdisk", "fdisk");
    let d = tempfile::tempdir().unwrap();
    for sector in [512u32, 4096] {
        let t = table(&gpt_image(d.path(), sector));
        assert_eq!(t.kind, TableKind::Gpt);
        assert_eq!(t.sector_size, sector);
        assert!(t.problems.is_empty(), "{sector}: {:?}", t.problems);
        assert_eq!(numbers(&t), vec![1, 2, 3]);
        assert_eq!(t.partitions[0].start, 1024 * 1024);
        assert_eq!(t.partitions[0].type_name, "EFI System");
        assert_eq!(
            t.partitions[2].start,
            1024 * 1024 + 2 * t.partitions[0].size
        );
        assert_eq!(t.partitions[0].partlabel.as_deref(), Some("EFI System"));
        assert_eq!(t.partitions[2].partuuid.as_deref(), Some(PART_UUIDS[2]));
        assert_eq!(t.partitions[2].partlabel.as_deref(), Some("root"));
        assert_eq!(
            t.disk_id.as_deref(),
            Some("11111111-2222-3333-4444-555555555555")
        );
    }
}

#[test]
fn hybrid_mbr_is_recognised() {
    need("sgdisk", "gdisk");
    let d = tempfile::tempdir().unwrap();
    let img = gpt_image(d.path(), 512);
    sh(&format!("sgdisk -h 3 {} >/dev/null", img.display()));
    let t = table(&img);
    assert_eq!(t.kind, TableKind::Gpt);
    assert!(t.hybrid_mbr);
    assert_eq!(numbers(&t), vec![1, 2, 3]);
}

/// Recompute the CRC of the primary GPT header at LBA 1 after a patch.
fn fix_header_crc(img: &Path) {
    let mut h = peek(img, 512, 92);
    h[16..20].fill(0);
    let crc = crc32fast::hash(&h);
    patch(img, 512 + 16, &crc.to_le_bytes());
}

#[test]
fn gpt_entry_size_other_than_128_is_a_problem_not_a_panic() {
    need("sfdisk", "fdisk");
    let d = tempfile::tempdir().unwrap();
    let img = gpt_image(d.path(), 512);
    // Damage the backup header so only the patched primary is valid.
    let size = std::fs::metadata(&img).unwrap().len();
    patch(&img, size - 512, b"XXXXXXXX");
    patch(&img, 512 + 84, &256u32.to_le_bytes());
    fix_header_crc(&img);
    let t = table(&img);
    assert_eq!(t.kind, TableKind::Gpt);
    assert!(t.partitions.is_empty());
    assert!(
        t.problems.iter().any(|p| p.contains("256 bytes")),
        "{:?}",
        t.problems
    );
}

#[test]
fn gpt_with_absurd_entry_count_is_refused() {
    need("sfdisk", "fdisk");
    let d = tempfile::tempdir().unwrap();
    let img = gpt_image(d.path(), 512);
    let size = std::fs::metadata(&img).unwrap().len();
    patch(&img, size - 512, b"XXXXXXXX");
    patch(&img, 512 + 80, &u32::MAX.to_le_bytes());
    fix_header_crc(&img);
    let t = table(&img);
    assert!(
        t.problems.iter().any(|p| p.contains("entries")),
        "{:?}",
        t.problems
    );
}

#[test]
fn damaged_primary_gpt_falls_back_to_backup() {
    need("sfdisk", "fdisk");
    let d = tempfile::tempdir().unwrap();
    let img = gpt_image(d.path(), 512);
    patch(&img, 512, b"XXXXXXXX");
    let t = table(&img);
    assert_eq!(numbers(&t), vec![1, 2, 3]);
    assert!(
        t.problems.iter().any(|p| p.contains("backup")),
        "{:?}",
        t.problems
    );
}

#[test]
fn partition_past_the_end_of_a_truncated_image_is_reported() {
    need("sfdisk", "fdisk");
    let d = tempfile::tempdir().unwrap();
    let img = d.path().join("trunc.img");
    sh(&format!("truncate -s 16M {}", img.display()));
    sh_in(
        &format!("sfdisk -q {}", img.display()),
        "label: dos\nstart=2048, size=4096, type=83\nstart=6144, size=20000, type=83\n",
    );
    sh(&format!("truncate -s 4M {}", img.display()));
    let t = table(&img);
    assert_eq!(numbers(&t), vec![1]);
    assert!(
        t.problems
            .iter()
            .any(|p| p.contains("partition 2") && p.contains("past the end")),
        "{:?}",
        t.problems
    );
}

#[test]
fn extended_partition_chain_loop_terminates() {
    need("sfdisk", "fdisk");
    let d = tempfile::tempdir().unwrap();
    let img = d.path().join("loop.img");
    sh(&format!("truncate -s 16M {}", img.display()));
    sh_in(
        &format!("sfdisk -q {}", img.display()),
        "label: dos\nstart=2048, size=20480, type=5\nstart=4096, size=2048, type=83\nstart=8192, size=2048, type=83\n",
    );
    // The first EBR is at the start of the extended partition (LBA 2048); its second entry
    // links to the next EBR relative to the extended start. Point it back at the first EBR.
    let ebr = 2048u64 * 512;
    let link = peek(&img, ebr + 446 + 16, 16);
    assert_eq!(link[4], 0x05, "sfdisk wrote a link entry");
    patch(&img, ebr + 446 + 16 + 8, &0u32.to_le_bytes());
    let t = table(&img);
    assert_eq!(t.kind, TableKind::Mbr);
    assert!(t.partitions.len() <= 4, "{t:#?}");
}

#[test]
fn filesystems_at_byte_zero_are_partitionless() {
    need("mkfs.ext4", "e2fsprogs");
    need("mkfs.fat", "dosfstools");
    let d = tempfile::tempdir().unwrap();
    let ext = d.path().join("ext.img");
    sh(&format!(
        "truncate -s 8M {0} && mkfs.ext4 -q -F {0}",
        ext.display()
    ));
    assert_eq!(table(&ext).kind, TableKind::None);
    for bits in [12, 16, 32] {
        let fat = d.path().join(format!("fat{bits}.img"));
        sh(&format!(
            "truncate -s 40M {0} && mkfs.fat -F {bits} {0} >/dev/null",
            fat.display()
        ));
        assert_eq!(table(&fat).kind, TableKind::None, "FAT{bits} at byte 0");
    }
    let tiny = d.path().join("tiny.img");
    std::fs::write(&tiny, b"x").unwrap();
    assert_eq!(table(&tiny).kind, TableKind::None);
    let img = image::open(&tiny).unwrap();
    assert_eq!(img.device.size(), 1);
}
