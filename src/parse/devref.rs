//! Classifies a block-device reference (an fstab spec, a kernel `root=`/`resume=` value) into the
//! kinds that matter for a PV → HVM move: stable references (UUID, LABEL, LVM…) versus kernel names
//! (`/dev/xvda1`, `/dev/sda`, `/dev/nvme0n1p2`) that change with the disk driver.

use serde::Serialize;
use std::fmt;

/// The disk driver family a kernel name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiskPrefix {
    /// Xen PV block front-end (`xvda`).
    Xvd,
    /// SCSI / libata (`sda`).
    Sd,
    /// Old IDE driver (`hda`).
    Hd,
    /// virtio-blk (`vda`).
    Vd,
    /// NVMe (`nvme0n1`).
    Nvme,
}

impl DiskPrefix {
    /// The name prefix as the kernel spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            DiskPrefix::Xvd => "xvd",
            DiskPrefix::Sd => "sd",
            DiskPrefix::Hd => "hd",
            DiskPrefix::Vd => "vd",
            DiskPrefix::Nvme => "nvme",
        }
    }
}

/// A whole disk by kernel name: `xvda` is `{Xvd, index 0}`, `sdab` is `{Sd, index 27}`,
/// `nvme0n1` is `{Nvme, index 0 (controller), namespace Some(1)}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct DiskName {
    pub prefix: DiskPrefix,
    /// Disk index (letters: `a` = 0 … `z` = 25, `aa` = 26); NVMe: the controller number.
    pub index: u32,
    /// NVMe namespace (`n1` → 1); `None` for the lettered families.
    pub namespace: Option<u32>,
}

impl DiskName {
    /// The letter suffix for `index` (`0` → `a`, `26` → `aa`).
    fn letters(index: u32) -> String {
        let mut n = u64::from(index) + 1;
        let mut out = Vec::new();
        while n > 0 {
            n -= 1;
            out.push(b'a' + (n % 26) as u8);
            n /= 26;
        }
        out.reverse();
        String::from_utf8(out).unwrap_or_default()
    }

    /// Kernel name of the partition `partition` of this disk (`None`: the whole disk), without
    /// `/dev/`: `xvda1`, `sdb`, `nvme0n1p2`.
    pub fn kernel_name(&self, partition: Option<u32>) -> String {
        let disk = match (self.prefix, self.namespace) {
            (DiskPrefix::Nvme, ns) => format!("nvme{}n{}", self.index, ns.unwrap_or(1)),
            (p, _) => format!("{}{}", p.as_str(), Self::letters(self.index)),
        };
        match (self.prefix, partition) {
            (_, None) => disk,
            (DiskPrefix::Nvme, Some(p)) => format!("{disk}p{p}"),
            (_, Some(p)) => format!("{disk}{p}"),
        }
    }
}

impl fmt::Display for DiskName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kernel_name(None))
    }
}

/// Which `/dev/disk/by-*` directory a path goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ByKind {
    Uuid,
    Label,
    PartUuid,
    PartLabel,
    /// `/dev/disk/by-id/…`: names carry the bus and serial, which change with the platform.
    Id,
    /// `/dev/disk/by-path/…`: names carry the controller path, which changes with the platform.
    Path,
}

/// What a device reference names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRef {
    /// `UUID=…` (filesystem or swap UUID).
    Uuid(String),
    /// `LABEL=…`.
    Label(String),
    /// `PARTUUID=…` (GPT partition GUID, or MBR `SSSSSSSS-PP`).
    PartUuid(String),
    /// `PARTLABEL=…` (GPT partition name).
    PartLabel(String),
    /// `/dev/disk/by-{uuid,label,partuuid,partlabel,id,path}/value`.
    ByPath { kind: ByKind, value: String },
    /// A kernel name: `/dev/xvda1`, `/dev/sda`, `/dev/hdb2`, `/dev/vda1`, `/dev/nvme0n1p2`.
    KernelName {
        disk: DiskName,
        partition: Option<u32>,
    },
    /// A device-mapper name: `/dev/mapper/…` or `/dev/VG/LV` (LVM, also dm-crypt under mapper).
    Lvm(String),
    /// Software RAID: `/dev/mdN`, `/dev/md/name`.
    Md(String),
    /// Anything else: `tmpfs`, `proc`, `none`, NFS `host:/path`, `/dev/cdrom`, `/dev/root`…
    Other(String),
}

/// Directories under `/dev` whose two-component paths are not `/dev/VG/LV`.
const NON_VG_DIRS: &[&str] = &[
    "disk",
    "mapper",
    "md",
    "pts",
    "shm",
    "input",
    "snd",
    "net",
    "bus",
    "char",
    "block",
    "cpu",
    "dri",
    "fd",
    "hugepages",
    "mqueue",
    "usb",
    "v4l",
    "xen",
    "vfio",
    "serial",
    "raw",
];

/// Strips one pair of matching surrounding quotes (libmount accepts `UUID="…"`).
fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// A decimal number without sign or leading zero (the kernel never pads partition numbers).
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// Letter index: `a` = 0, `z` = 25, `aa` = 26, `ab` = 27 (bijective base 26).
fn letter_index(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let mut n: u32 = 0;
    for b in s.bytes() {
        n = n * 26 + u32::from(b - b'a' + 1);
    }
    Some(n - 1)
}

/// Parses a kernel disk/partition name without `/dev/`.
fn parse_kernel_name(name: &str) -> Option<(DiskName, Option<u32>)> {
    if let Some(rest) = name.strip_prefix("nvme") {
        let (ctrl, rest) = rest.split_once('n')?;
        let index = number(ctrl)?;
        let (ns, part) = match rest.split_once('p') {
            Some((ns, part)) => (number(ns)?, Some(number(part)?)),
            None => (number(rest)?, None),
        };
        if ns == 0 || part == Some(0) {
            return None;
        }
        let disk = DiskName {
            prefix: DiskPrefix::Nvme,
            index,
            namespace: Some(ns),
        };
        return Some((disk, part));
    }
    let (prefix, rest) = [
        (DiskPrefix::Xvd, "xvd"),
        (DiskPrefix::Sd, "sd"),
        (DiskPrefix::Hd, "hd"),
        (DiskPrefix::Vd, "vd"),
    ]
    .iter()
    .find_map(|(p, s)| name.strip_prefix(s).map(|r| (*p, r)))?;
    let split = rest
        .find(|c: char| !c.is_ascii_lowercase())
        .unwrap_or(rest.len());
    let (letters, digits) = rest.split_at(split);
    let index = letter_index(letters)?;
    let partition = if digits.is_empty() {
        None
    } else {
        match number(digits)? {
            0 => return None,
            p => Some(p),
        }
    };
    Some((
        DiskName {
            prefix,
            index,
            namespace: None,
        },
        partition,
    ))
}

impl DeviceRef {
    /// Classifies `spec` (surrounding whitespace ignored). Never fails: unknown forms are `Other`.
    pub fn parse(spec: &str) -> DeviceRef {
        let spec = spec.trim();
        for (tag, make) in [
            ("UUID=", DeviceRef::Uuid as fn(String) -> DeviceRef),
            ("LABEL=", DeviceRef::Label),
            ("PARTUUID=", DeviceRef::PartUuid),
            ("PARTLABEL=", DeviceRef::PartLabel),
        ] {
            if let Some(v) = spec.strip_prefix(tag) {
                return make(unquote(v).to_string());
            }
        }
        let Some(dev) = spec.strip_prefix("/dev/") else {
            return DeviceRef::Other(spec.to_string());
        };
        if let Some(rest) = dev.strip_prefix("disk/by-") {
            if let Some((kind, value)) = rest.split_once('/') {
                let kind = match kind {
                    "uuid" => Some(ByKind::Uuid),
                    "label" => Some(ByKind::Label),
                    "partuuid" => Some(ByKind::PartUuid),
                    "partlabel" => Some(ByKind::PartLabel),
                    "id" => Some(ByKind::Id),
                    "path" => Some(ByKind::Path),
                    _ => None,
                };
                if let Some(kind) = kind {
                    if !value.is_empty() && !value.contains('/') {
                        return DeviceRef::ByPath {
                            kind,
                            value: value.to_string(),
                        };
                    }
                }
            }
            return DeviceRef::Other(spec.to_string());
        }
        if let Some((disk, partition)) = parse_kernel_name(dev) {
            return DeviceRef::KernelName { disk, partition };
        }
        if let Some(name) = dev.strip_prefix("mapper/") {
            if !name.is_empty() && name != "control" && !name.contains('/') {
                return DeviceRef::Lvm(spec.to_string());
            }
            return DeviceRef::Other(spec.to_string());
        }
        if let Some(n) = dev.strip_prefix("md") {
            let is_md = match n.strip_prefix('/') {
                Some(name) => !name.is_empty() && !name.contains('/'),
                None => number(n).is_some(),
            };
            if is_md {
                return DeviceRef::Md(spec.to_string());
            }
        }
        let parts: Vec<&str> = dev.split('/').collect();
        if parts.len() == 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && *p != "." && *p != "..")
            && !NON_VG_DIRS.contains(&parts[0])
        {
            return DeviceRef::Lvm(spec.to_string());
        }
        DeviceRef::Other(spec.to_string())
    }

    /// `true` for kernel names (`/dev/xvda1`…), the references a PV → HVM move breaks.
    pub fn is_kernel_name(&self) -> bool {
        matches!(self, DeviceRef::KernelName { .. })
    }

    /// `/dev/…` path of a kernel name (`None` for the other kinds).
    pub fn device_path(&self) -> Option<String> {
        match self {
            DeviceRef::KernelName { disk, partition } => {
                Some(format!("/dev/{}", disk.kernel_name(*partition)))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kn(spec: &str) -> (DiskPrefix, u32, Option<u32>) {
        match DeviceRef::parse(spec) {
            DeviceRef::KernelName { disk, partition } => (disk.prefix, disk.index, partition),
            other => panic!("{spec} parsed as {other:?}"),
        }
    }

    #[test]
    fn kernel_names() {
        assert_eq!(kn("/dev/xvda1"), (DiskPrefix::Xvd, 0, Some(1)));
        assert_eq!(kn("/dev/sda"), (DiskPrefix::Sd, 0, None));
        assert_eq!(kn("/dev/hdb2"), (DiskPrefix::Hd, 1, Some(2)));
        assert_eq!(kn("/dev/vda1"), (DiskPrefix::Vd, 0, Some(1)));
        assert_eq!(kn("/dev/xvdaa1"), (DiskPrefix::Xvd, 26, Some(1)));
        assert_eq!(kn("/dev/sdab"), (DiskPrefix::Sd, 27, None));
        assert_eq!(kn("/dev/xvdz15"), (DiskPrefix::Xvd, 25, Some(15)));
        assert_eq!(kn("/dev/nvme0n1p2"), (DiskPrefix::Nvme, 0, Some(2)));
        assert_eq!(kn("/dev/nvme1n1"), (DiskPrefix::Nvme, 1, None));
        match DeviceRef::parse("/dev/nvme0n3p1") {
            DeviceRef::KernelName { disk, .. } => assert_eq!(disk.namespace, Some(3)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kernel_names_round_trip() {
        for s in [
            "/dev/xvda1",
            "/dev/sda",
            "/dev/hdb2",
            "/dev/vda1",
            "/dev/xvdaa1",
            "/dev/sdzz3",
            "/dev/nvme0n1p2",
            "/dev/nvme2n1",
        ] {
            assert_eq!(DeviceRef::parse(s).device_path().as_deref(), Some(s));
        }
    }

    #[test]
    fn not_kernel_names() {
        for s in [
            "/dev/sda0",
            "/dev/sda01",
            "/dev/xvd",
            "/dev/sdA1",
            "/dev/nvme0",
            "/dev/nvme0n0",
            "/dev/nvme0n1p0",
            "/dev/nvmexn1",
            "/dev/sr0",
            "/dev/cdrom",
            "/dev/root",
            "xvda1",
            "/dev/xvda1x",
        ] {
            assert!(!DeviceRef::parse(s).is_kernel_name(), "{s}");
        }
    }

    #[test]
    fn tags_and_paths() {
        assert_eq!(
            DeviceRef::parse("UUID=1234-ABCD"),
            DeviceRef::Uuid("1234-ABCD".into())
        );
        assert_eq!(
            DeviceRef::parse("UUID=\"abc\""),
            DeviceRef::Uuid("abc".into())
        );
        assert_eq!(
            DeviceRef::parse("LABEL=/boot"),
            DeviceRef::Label("/boot".into())
        );
        assert_eq!(
            DeviceRef::parse("PARTUUID=0a1b2c3d-01"),
            DeviceRef::PartUuid("0a1b2c3d-01".into())
        );
        assert_eq!(
            DeviceRef::parse("PARTLABEL=root"),
            DeviceRef::PartLabel("root".into())
        );
        assert_eq!(
            DeviceRef::parse("/dev/disk/by-uuid/abcd"),
            DeviceRef::ByPath {
                kind: ByKind::Uuid,
                value: "abcd".into()
            }
        );
        assert_eq!(
            DeviceRef::parse("/dev/disk/by-partlabel/EFI"),
            DeviceRef::ByPath {
                kind: ByKind::PartLabel,
                value: "EFI".into()
            }
        );
        assert!(matches!(
            DeviceRef::parse("/dev/disk/by-foo/x"),
            DeviceRef::Other(_)
        ));
    }

    #[test]
    fn lvm_md_other() {
        assert_eq!(
            DeviceRef::parse("/dev/mapper/vg-root"),
            DeviceRef::Lvm("/dev/mapper/vg-root".into())
        );
        assert_eq!(
            DeviceRef::parse("/dev/vg00/lv00"),
            DeviceRef::Lvm("/dev/vg00/lv00".into())
        );
        assert!(matches!(
            DeviceRef::parse("/dev/mapper/control"),
            DeviceRef::Other(_)
        ));
        assert_eq!(
            DeviceRef::parse("/dev/md0"),
            DeviceRef::Md("/dev/md0".into())
        );
        assert_eq!(
            DeviceRef::parse("/dev/md/root"),
            DeviceRef::Md("/dev/md/root".into())
        );
        for s in [
            "tmpfs",
            "proc",
            "none",
            "server:/export",
            "/dev/pts/0",
            "",
            "/dev/",
        ] {
            assert!(matches!(DeviceRef::parse(s), DeviceRef::Other(_)), "{s}");
        }
    }

    #[test]
    fn junk_never_panics() {
        for s in [
            "/dev/nvme99999999999999n1",
            "/dev/sdzzzzzzzz1",
            "/dev/xvda99999999999",
            "UUID=",
            "/dev/\u{e9}",
            "/dev/disk/by-uuid/",
            "\"",
        ] {
            let _ = DeviceRef::parse(s);
        }
    }
}
