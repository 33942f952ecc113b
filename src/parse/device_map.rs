//! Parses GRUB's `device.map` (`(hd0) /dev/xvda`): which BIOS drive GRUB believes each disk is.
//! A kernel name here (`/dev/xvda`) is wrong once the disk is `sda`, `vda` or `nvme0n1`.

pub use super::devref::DeviceRef;
pub use super::fstab::LineProblem;
use serde::Serialize;

/// One `(drive) device` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceMapEntry {
    /// 1-based line number.
    pub line: usize,
    /// The original line.
    pub text: String,
    /// The GRUB drive without parentheses: `hd0`, `fd0`.
    pub drive: String,
    /// The device path as written.
    pub device_spec: String,
    /// `device_spec` classified.
    pub device: DeviceRef,
}

/// A parsed device map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviceMap {
    pub entries: Vec<DeviceMapEntry>,
    pub problems: Vec<LineProblem>,
}

impl DeviceMap {
    /// The entry for drive `drive` (`hd0`), if any.
    pub fn drive(&self, drive: &str) -> Option<&DeviceMapEntry> {
        self.entries.iter().find(|e| e.drive == drive)
    }
}

/// `hd0`, `fd1`, `cd`, `hd0,1` — a GRUB drive name.
fn valid_drive(d: &str) -> bool {
    let base = d.split(',').next().unwrap_or("");
    let digits = ["hd", "fd", "cd"]
        .iter()
        .find_map(|p| base.strip_prefix(p))
        .unwrap_or("x");
    digits.bytes().all(|b| b.is_ascii_digit()) && (!digits.is_empty() || base == "cd")
}

/// Parses device.map text; `#` comments and blank lines are skipped.
pub fn parse(text: &str) -> DeviceMap {
    let mut out = DeviceMap::default();
    for (idx, raw) in text.lines().enumerate() {
        let line = idx + 1;
        let original = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = original.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let problem = |message: &str| LineProblem {
            line,
            text: original.to_string(),
            message: message.to_string(),
        };
        let Some(rest) = trimmed.strip_prefix('(') else {
            out.problems
                .push(problem("expected `(drive) device`, no opening parenthesis"));
            continue;
        };
        let Some((drive, dev)) = rest.split_once(')') else {
            out.problems.push(problem("no closing parenthesis"));
            continue;
        };
        let mut words = dev.split_ascii_whitespace();
        let Some(spec) = words.next() else {
            out.problems.push(problem("no device after the drive"));
            continue;
        };
        if !valid_drive(drive) {
            out.problems
                .push(problem(&format!("{drive:?} is not a GRUB drive name")));
        }
        if words.next().is_some() {
            out.problems.push(problem("extra words after the device"));
        }
        out.entries.push(DeviceMapEntry {
            line,
            text: original.to_string(),
            drive: drive.to_string(),
            device_spec: spec.to_string(),
            device: DeviceRef::parse(spec),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn corpus_device_maps() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees");
        for (rel, dev) in [
            ("centos6-pv/boot/grub/device.map", "/dev/xvda"),
            ("centos7-pv/boot/grub2/device.map", "/dev/sda"),
            ("multipart-mbr/boot/grub/device.map", "/dev/xvda"),
        ] {
            let m = parse(&std::fs::read_to_string(root.join(rel)).unwrap());
            assert!(m.problems.is_empty(), "{rel}: {:?}", m.problems);
            let e = m.drive("hd0").unwrap();
            assert_eq!((e.line, e.device_spec.as_str()), (2, dev));
            assert!(e.device.is_kernel_name());
        }
    }

    #[test]
    fn junk_and_by_id() {
        let m = parse("(hd0)\t/dev/disk/by-id/ata-QEMU_HARDDISK\n(fd0) /dev/fd0\nhd1 /dev/sdb\n(hd2 /dev/sdc\n(zz) /dev/x\n(hd3)\n");
        assert_eq!(m.entries.len(), 3);
        assert!(!m.entries[0].device.is_kernel_name());
        let lines: Vec<usize> = m.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5, 6]);
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(b" \t\n()#hd0,/dev/xvda", |s| {
            let _ = parse(s);
        });
    }
}
