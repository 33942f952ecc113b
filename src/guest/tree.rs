//! The mounted guest tree: filesystems attached at their fstab mount points, read through one
//! path namespace with symlinks resolved inside the guest (absolute targets from the guest's
//! root, `..` never above it) and a limit on symlink hops.

use super::files::GuestFiles;
use crate::fs::{DirEntry, FileKind, FileSystem, FsError, Meta};
use std::io::Read;

/// Most symlinks followed while resolving one path (Linux uses 40).
pub const MAX_SYMLINK_HOPS: usize = 40;

/// One filesystem attached at a guest directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mount {
    /// Guest directory, normalised (`/`, `/boot`, `/boot/efi`).
    pub mountpoint: String,
    /// Index of the volume (in the guest's volume list) mounted there.
    pub volume: usize,
}

/// Opened filesystems indexed by volume (`None` where a volume holds none pv2hvm reads).
pub type Filesystems = Vec<Option<Box<dyn FileSystem>>>;

/// Filesystems by volume index plus the mounts that attach them.
pub struct Tree {
    filesystems: Filesystems,
    /// Sorted so that longer mount points come first.
    mounts: Vec<(Vec<String>, usize)>,
}

/// Split a guest path into its normal components (dropping empty and `.`).
pub fn components(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect()
}

fn join(parts: &[String]) -> String {
    format!("/{}", parts.join("/"))
}

impl Tree {
    /// A tree over `filesystems` (indexed by volume) with the given mounts.
    pub fn new(filesystems: Filesystems, mounts: &[Mount]) -> Tree {
        let mut m: Vec<(Vec<String>, usize)> = mounts
            .iter()
            .filter(|m| filesystems.get(m.volume).is_some_and(Option::is_some))
            .map(|m| (components(&m.mountpoint), m.volume))
            .collect();
        m.sort_by_key(|(parts, _)| std::cmp::Reverse(parts.len()));
        Tree {
            filesystems: filesystems.into_iter().collect(),
            mounts: m,
        }
    }

    /// The filesystem of volume `v`, if it was opened.
    pub fn filesystem(&self, v: usize) -> Option<&dyn FileSystem> {
        self.filesystems.get(v).and_then(|f| f.as_deref())
    }

    /// Which filesystem holds `parts`, and the path inside it.
    fn locate(&self, parts: &[String]) -> Result<(&dyn FileSystem, String), FsError> {
        for (mp, v) in &self.mounts {
            if parts.len() >= mp.len() && parts[..mp.len()] == mp[..] {
                let fs = self.filesystem(*v).ok_or(FsError::NotFound)?;
                return Ok((fs, join(&parts[mp.len()..])));
            }
        }
        Err(FsError::NotFound)
    }

    /// Resolve `path` to canonical components, following symlinks (the last one too if asked).
    pub fn resolve(&self, path: &str, follow_last: bool) -> Result<Vec<String>, FsError> {
        let mut pending: Vec<String> = components(path);
        pending.reverse();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = pending.pop() {
            if c == ".." {
                done.pop();
                continue;
            }
            done.push(c);
            let is_last = pending.is_empty();
            if is_last && !follow_last {
                break;
            }
            let (fs, inner) = self.locate(&done)?;
            let meta = fs.symlink_metadata(&inner)?;
            match meta.kind {
                FileKind::Symlink => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(FsError::Corrupt(format!(
                            "more than {MAX_SYMLINK_HOPS} symlinks while resolving {path}"
                        )));
                    }
                    let target = fs.read_link(&inner)?;
                    done.pop();
                    if target.starts_with('/') {
                        done.clear();
                    }
                    let mut t = components(&target);
                    t.reverse();
                    pending.extend(t);
                }
                FileKind::Dir => {}
                _ if !is_last => return Err(FsError::NotADirectory),
                _ => {}
            }
        }
        Ok(done)
    }

    /// The volume whose filesystem holds `path` (symlinks in its directories followed).
    pub fn volume_of(&self, path: &str) -> Option<usize> {
        let parts = self.resolve(path, false).ok()?;
        self.mounts
            .iter()
            .find(|(mp, _)| parts.len() >= mp.len() && parts[..mp.len()] == mp[..])
            .map(|(_, v)| *v)
    }

    /// The volume holding `path` and the path inside that volume's filesystem (symlinks in the
    /// directories followed, a final one not; the last component need not exist).
    pub fn locate_path(&self, path: &str) -> Option<(usize, String)> {
        let parts = self.resolve(path, false).ok()?;
        self.mounts
            .iter()
            .find(|(mp, _)| parts.len() >= mp.len() && parts[..mp.len()] == mp[..])
            .map(|(mp, v)| (*v, join(&parts[mp.len()..])))
    }

    fn at(&self, path: &str, follow_last: bool) -> Result<(&dyn FileSystem, String), FsError> {
        let parts = self.resolve(path, follow_last)?;
        self.locate(&parts)
    }
}

impl GuestFiles for Tree {
    fn metadata(&self, path: &str) -> Result<Meta, FsError> {
        let (fs, p) = self.at(path, true)?;
        fs.symlink_metadata(&p)
    }
    fn symlink_metadata(&self, path: &str) -> Result<Meta, FsError> {
        let (fs, p) = self.at(path, false)?;
        fs.symlink_metadata(&p)
    }
    fn read_link(&self, path: &str) -> Result<String, FsError> {
        let (fs, p) = self.at(path, false)?;
        fs.read_link(&p)
    }
    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let parts = self.resolve(path, true)?;
        let (fs, p) = self.locate(&parts)?;
        let mut entries = fs.read_dir(&p)?;
        // Mount points hide nothing here, but show up as directories even when the
        // underlying directory is missing.
        for (mp, _) in &self.mounts {
            if mp.len() == parts.len() + 1 && mp[..parts.len()] == parts[..] {
                let name = &mp[parts.len()];
                if !entries.iter().any(|e| &e.name == name) {
                    entries.push(DirEntry {
                        name: name.clone(),
                        kind: FileKind::Dir,
                    });
                }
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }
    fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let (fs, p) = self.at(path, true)?;
        fs.read_file(&p, limit)
    }
    fn open_file(&self, path: &str) -> Result<Box<dyn Read + '_>, FsError> {
        let (fs, p) = self.at(path, true)?;
        fs.open_file(&p)
    }
    fn canonicalize(&self, path: &str) -> Result<String, FsError> {
        let parts = self.resolve(path, true)?;
        let (fs, inner) = self.locate(&parts)?;
        fs.symlink_metadata(&inner)?;
        Ok(join(&parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A tiny in-memory filesystem: path → (kind, contents or link target).
    struct Mem(BTreeMap<String, (FileKind, String)>);

    impl Mem {
        fn boxed(items: &[(&str, FileKind, &str)]) -> Box<dyn FileSystem> {
            let mut m = BTreeMap::new();
            m.insert("/".to_string(), (FileKind::Dir, String::new()));
            for (p, k, c) in items {
                m.insert(p.to_string(), (*k, c.to_string()));
            }
            Box::new(Mem(m))
        }
        fn get(&self, p: &str) -> Result<&(FileKind, String), FsError> {
            self.0.get(p).ok_or(FsError::NotFound)
        }
    }

    impl FileSystem for Mem {
        fn symlink_metadata(&self, p: &str) -> Result<Meta, FsError> {
            let (k, c) = self.get(p)?;
            Ok(Meta {
                kind: *k,
                len: c.len() as u64,
                mode: 0,
                mtime: 0,
            })
        }
        fn read_link(&self, p: &str) -> Result<String, FsError> {
            match self.get(p)? {
                (FileKind::Symlink, t) => Ok(t.clone()),
                _ => Err(FsError::NotASymlink),
            }
        }
        fn read_dir(&self, p: &str) -> Result<Vec<DirEntry>, FsError> {
            let prefix = if p == "/" {
                "/".to_string()
            } else {
                format!("{p}/")
            };
            Ok(self
                .0
                .iter()
                .filter(|(k, _)| {
                    k.starts_with(&prefix)
                        && k.len() > prefix.len()
                        && !k[prefix.len()..].contains('/')
                })
                .map(|(k, (kind, _))| DirEntry {
                    name: k[prefix.len()..].to_string(),
                    kind: *kind,
                })
                .collect())
        }
        fn read_file(&self, p: &str, _limit: u64) -> Result<Vec<u8>, FsError> {
            match self.get(p)? {
                (FileKind::File, c) => Ok(c.as_bytes().to_vec()),
                _ => Err(FsError::IsADirectory),
            }
        }
        fn open_file(&self, p: &str) -> Result<Box<dyn Read + '_>, FsError> {
            Ok(Box::new(std::io::Cursor::new(self.read_file(p, 0)?)))
        }
    }

    fn tree() -> Tree {
        use FileKind::*;
        let root = Mem::boxed(&[
            ("/etc", Dir, ""),
            ("/etc/fstab", File, "root fstab"),
            ("/boot", Dir, ""),
            ("/boot/hidden", File, "shadowed by the /boot mount"),
            ("/loop", Symlink, "loop"),
            ("/escape", Symlink, "../../../etc/fstab"),
            ("/abs", Symlink, "/boot/grub/menu.lst"),
        ]);
        let boot = Mem::boxed(&[
            ("/grub", Dir, ""),
            ("/grub/grub.conf", File, "title CentOS"),
            ("/grub/menu.lst", Symlink, "./grub.conf"),
            ("/boot", Symlink, "."),
        ]);
        let mounts = [
            Mount {
                mountpoint: "/".into(),
                volume: 0,
            },
            Mount {
                mountpoint: "/boot".into(),
                volume: 1,
            },
        ];
        Tree::new(vec![Some(root), Some(boot)], &mounts)
    }

    #[test]
    fn reads_across_a_separate_boot() {
        let t = tree();
        assert_eq!(t.read_text("/boot/grub/menu.lst").unwrap(), "title CentOS");
        assert_eq!(t.read_text("/abs").unwrap(), "title CentOS");
        assert_eq!(
            t.read_text("/boot/boot/boot/grub/grub.conf").unwrap(),
            "title CentOS"
        );
        assert_eq!(
            t.canonicalize("/boot/grub/menu.lst").unwrap(),
            "/boot/grub/grub.conf"
        );
        assert_eq!(t.read_text("/boot/hidden"), Err(FsError::NotFound));
        assert_eq!(t.read_link("/boot/grub/menu.lst").unwrap(), "./grub.conf");
    }

    #[test]
    fn symlinks_stay_inside_the_guest() {
        let t = tree();
        assert_eq!(t.read_text("/escape").unwrap(), "root fstab");
        assert_eq!(t.read_text("/../../etc/fstab").unwrap(), "root fstab");
        assert!(matches!(t.read_text("/loop"), Err(FsError::Corrupt(_))));
        assert_eq!(t.symlink_metadata("/loop").unwrap().kind, FileKind::Symlink);
        assert_eq!(t.read_text("/etc/fstab/x"), Err(FsError::NotADirectory));
    }

    #[test]
    fn mount_points_are_listed() {
        let t = tree();
        let names: Vec<String> = t
            .read_dir("/")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert!(names.contains(&"boot".to_string()) && names.contains(&"etc".to_string()));
        let boot: Vec<String> = t
            .read_dir("/boot")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(boot, vec!["boot", "grub"]);
    }
}
