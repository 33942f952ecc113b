//! Root filesystem discovery: which volume holds the guest's `/`, judged from what is in it.

use crate::fs::{FileKind, FileSystem};

/// Evidence that a filesystem is a Linux root, with its weight.
const EVIDENCE: &[(&str, u32)] = &[
    ("/etc/fstab", 4),
    ("/etc/os-release", 2),
    ("/etc/inittab", 1),
    ("/etc/passwd", 1),
    ("/sbin", 1),
    ("/usr", 1),
    ("/bin", 1),
];

/// Score of `fs` as a root filesystem; 0 when it has no `/etc` directory.
pub fn score(fs: &dyn FileSystem) -> u32 {
    let has_etc = fs
        .symlink_metadata("/etc")
        .is_ok_and(|m| m.kind == FileKind::Dir);
    if !has_etc {
        return 0;
    }
    1 + EVIDENCE
        .iter()
        .filter(|(p, _)| fs.symlink_metadata(p).is_ok())
        .map(|(_, w)| w)
        .sum::<u32>()
}

/// Volume indexes that look like roots, best first (ties keep disk order).
pub fn candidates(filesystems: &super::tree::Filesystems) -> Vec<usize> {
    let mut scored: Vec<(usize, u32)> = filesystems
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.as_deref().map(|f| (i, score(f))))
        .filter(|(_, s)| *s > 0)
        .collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.into_iter().map(|(i, _)| i).collect()
}
