//! `/etc/fstab` resolved against the image: which volume each entry names (by UUID, LABEL,
//! PARTUUID, PARTLABEL, `/dev/disk/by-*` or a kernel name as the PV guest saw it), and the
//! mounts that follow from it.

use super::tree::Mount;
use super::volume::Volume;
use crate::fs::{FileSystem, DEFAULT_READ_LIMIT};
use crate::parse::fstab::{self as fstab_parse, ByKind, DeviceRef, FstabEntry, LineProblem};
use crate::partition::{PartitionTable, TableKind};
use serde::Serialize;

/// What an fstab spec names in this image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Resolution {
    /// A volume of this image; `via` says how it was matched.
    Volume {
        volume: usize,
        number: u32,
        via: String,
    },
    /// Nothing in the image matches.
    Missing { reason: String },
    /// A kind of name pv2hvm does not resolve yet (LVM, md).
    Unresolved { reason: String },
    /// A pseudo or network filesystem (proc, tmpfs, nfs…): nothing to find on disk.
    NotADevice,
}

/// One fstab line with its resolution.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedEntry {
    #[serde(flatten)]
    pub entry: FstabEntry,
    pub resolution: Resolution,
}

/// The root's `/etc/fstab`, parsed and resolved.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedFstab {
    pub path: String,
    pub entries: Vec<ResolvedEntry>,
    pub problems: Vec<LineProblem>,
}

/// Read `/etc/fstab` from the root filesystem and resolve every entry.
pub fn read_and_resolve(
    root: &dyn FileSystem,
    volumes: &[Volume],
    table: &PartitionTable,
) -> Option<ResolvedFstab> {
    let bytes = root.read_file("/etc/fstab", DEFAULT_READ_LIMIT).ok()?;
    let parsed = fstab_parse::parse(&String::from_utf8_lossy(&bytes));
    let entries = parsed
        .entries
        .into_iter()
        .map(|entry| ResolvedEntry {
            resolution: resolve(&entry.spec, volumes, table),
            entry,
        })
        .collect();
    Some(ResolvedFstab {
        path: "/etc/fstab".into(),
        entries,
        problems: parsed.problems,
    })
}

/// Resolve a device spec (`UUID=…`, `/dev/xvda1`, …) to a volume of this image.
pub fn resolve(spec: &str, volumes: &[Volume], table: &PartitionTable) -> Resolution {
    let by = |via: &str, pred: &dyn Fn(&Volume) -> bool| match volumes.iter().find(|v| pred(v)) {
        Some(v) => Resolution::Volume {
            volume: v.index,
            number: v.number,
            via: via.to_string(),
        },
        None => Resolution::Missing {
            reason: format!("no volume in the image has this {via}"),
        },
    };
    let sig_eq = |v: &Volume, f: fn(&crate::probe::Signature) -> Option<&String>, x: &str| {
        v.signature
            .as_ref()
            .and_then(f)
            .is_some_and(|s| s.eq_ignore_ascii_case(x))
    };
    let part_eq = |v: &Volume, f: fn(&crate::partition::Partition) -> Option<&String>, x: &str| {
        v.partition
            .as_ref()
            .and_then(f)
            .is_some_and(|s| s.eq_ignore_ascii_case(x))
    };
    match by_path_as_tag(DeviceRef::parse(spec)) {
        DeviceRef::Uuid(u) => by("UUID", &|v| sig_eq(v, |s| s.uuid.as_ref(), &u)),
        DeviceRef::Label(l) => by("LABEL", &|v| {
            v.signature.as_ref().and_then(|s| s.label.as_ref()) == Some(&l)
        }),
        DeviceRef::PartUuid(u) => by("PARTUUID", &|v| part_eq(v, |p| p.partuuid.as_ref(), &u)),
        DeviceRef::PartLabel(l) => by("PARTLABEL", &|v| {
            v.partition.as_ref().and_then(|p| p.partlabel.as_ref()) == Some(&l)
        }),
        DeviceRef::KernelName { disk, partition } => {
            kernel_name(spec, disk.index, partition, volumes, table)
        }
        DeviceRef::ByPath { kind, .. } => Resolution::Unresolved {
            reason: format!(
                "/dev/disk/by-{} names depend on the host's hardware and are not resolved",
                format!("{kind:?}").to_lowercase()
            ),
        },
        DeviceRef::Lvm(_) => Resolution::Unresolved {
            reason: "LVM logical volumes are not resolved yet".into(),
        },
        DeviceRef::Md(_) => Resolution::Unresolved {
            reason: "md RAID arrays are not resolved yet".into(),
        },
        DeviceRef::Other(_) => Resolution::NotADevice,
    }
}

/// `/dev/disk/by-uuid/X` means `UUID=X`, and so on for label, partuuid and partlabel.
fn by_path_as_tag(r: DeviceRef) -> DeviceRef {
    match r {
        DeviceRef::ByPath { kind, value } => match kind {
            ByKind::Uuid => DeviceRef::Uuid(value),
            ByKind::Label => DeviceRef::Label(value),
            ByKind::PartUuid => DeviceRef::PartUuid(value),
            ByKind::PartLabel => DeviceRef::PartLabel(value),
            _ => DeviceRef::ByPath { kind, value },
        },
        other => other,
    }
}

/// A kernel name (`/dev/xvda1`) as the PV guest saw it: disk by order, partition by number;
/// on a partitionless image the whole disk is both `xvda` and `xvda1`.
fn kernel_name(
    spec: &str,
    disk: u32,
    partition: Option<u32>,
    volumes: &[Volume],
    table: &PartitionTable,
) -> Resolution {
    let missing = |reason: String| Resolution::Missing { reason };
    if disk != 0 {
        return missing(format!(
            "{spec} names disk {} of the guest; this image is its first disk only",
            disk + 1
        ));
    }
    let partitionless = table.kind == TableKind::None;
    let wanted = match (partitionless, partition) {
        (true, None | Some(1)) => 0,
        (true, Some(n)) => {
            return missing(format!(
                "the image has no partition table, so there is no partition {n}"
            ))
        }
        (false, None) => {
            return missing("names the whole disk, which holds a partition table".into())
        }
        (false, Some(n)) => n,
    };
    match volumes.iter().find(|v| v.number == wanted) {
        Some(v) => Resolution::Volume {
            volume: v.index,
            number: v.number,
            via: "kernel name".into(),
        },
        None => missing(format!("the disk has no partition {wanted}")),
    }
}

/// Mounts for the root and every resolved fstab entry with an opened filesystem.
pub fn mounts(
    root: usize,
    fstab: Option<&ResolvedFstab>,
    volumes: &[Volume],
) -> (Vec<Mount>, Vec<String>) {
    let mut mounts = vec![Mount {
        mountpoint: "/".into(),
        volume: root,
    }];
    let mut notes = Vec::new();
    let Some(fstab) = fstab else {
        notes.push("the root filesystem has no /etc/fstab".into());
        return (mounts, notes);
    };
    for e in &fstab.entries {
        let mp = normalise(&e.entry.mountpoint);
        let Resolution::Volume { volume, .. } = e.resolution else {
            continue;
        };
        if !mp.starts_with('/') || e.entry.fstype == "swap" {
            continue;
        }
        if mp == "/" {
            if volume != root {
                notes.push(format!(
                    "fstab line {} mounts {} as /, but the root found is {}",
                    e.entry.line,
                    volumes[volume].label(),
                    volumes[root].label()
                ));
            }
            continue;
        }
        if !matches!(volumes[volume].fs, super::volume::FsState::Open { .. }) {
            notes.push(format!(
                "fstab line {}: {} cannot be read, so {mp} is not in the view",
                e.entry.line,
                volumes[volume].label()
            ));
            continue;
        }
        mounts.push(Mount {
            mountpoint: mp,
            volume,
        });
    }
    (mounts, notes)
}

fn normalise(mp: &str) -> String {
    let parts = super::tree::components(mp);
    if mp.starts_with('/') {
        format!("/{}", parts.join("/"))
    } else {
        mp.to_string()
    }
}
