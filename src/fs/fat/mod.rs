//! FAT filesystems (an EFI system partition, a FAT `/boot`) read through `fatfs` over a slice.
//!
//! FAT has no symlinks, and names are matched case-insensitively, as the Linux `vfat` driver does.

use super::{DirEntry, FileKind, FileSystem, FsError, Meta};
use crate::image::Device;
use crate::partition::Cursor;
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Most entries listed from one directory (a corrupt cluster chain can cycle forever).
const MAX_DIR_ENTRIES: usize = 65_536;

type Stream = Cursor<Device>;
type Fat = fatfs::FileSystem<Stream>;

/// An opened FAT filesystem.
pub struct FatFs {
    fs: Fat,
}

impl FatFs {
    /// Open the FAT filesystem at byte 0 of `dev`.
    pub fn open(dev: Device) -> Result<FatFs, FsError> {
        // fatfs validates the boot sector, but a panic inside it must not take the process down.
        let opened = catch_unwind(AssertUnwindSafe(|| {
            fatfs::FileSystem::new(Cursor::new(dev), fatfs::FsOptions::new())
        }));
        match opened {
            Ok(Ok(fs)) => Ok(FatFs { fs }),
            Ok(Err(e)) => Err(FsError::Corrupt(format!("FAT boot sector rejected: {e}"))),
            Err(_) => Err(FsError::Corrupt("FAT reader failed on this volume".into())),
        }
    }

    /// Volume label from the boot sector (as `fatfs` reads it).
    pub fn label(&self) -> String {
        self.fs.volume_label().trim_end().to_string()
    }

    fn rel(path: &str) -> &str {
        path.trim_start_matches('/')
    }

    fn entry(&self, path: &str) -> Result<Option<fatfs::DirEntry<'_, Stream>>, FsError> {
        let rel = Self::rel(path).trim_end_matches('/');
        if rel.is_empty() {
            return Ok(None);
        }
        let (parent, name) = match rel.rfind('/') {
            Some(i) => (&rel[..i], &rel[i + 1..]),
            None => ("", rel),
        };
        let dir = if parent.is_empty() {
            self.fs.root_dir()
        } else {
            self.fs.root_dir().open_dir(parent).map_err(map_err)?
        };
        for e in dir.iter().take(MAX_DIR_ENTRIES) {
            let e = e.map_err(map_err)?;
            if e.file_name().eq_ignore_ascii_case(name) {
                return Ok(Some(e));
            }
        }
        Err(FsError::NotFound)
    }
}

fn map_err(e: io::Error) -> FsError {
    match e.kind() {
        io::ErrorKind::NotFound => FsError::NotFound,
        io::ErrorKind::InvalidInput => FsError::NotADirectory,
        _ => FsError::Corrupt(e.to_string()),
    }
}

fn meta_of(e: &fatfs::DirEntry<'_, Stream>) -> Meta {
    Meta {
        kind: if e.is_dir() {
            FileKind::Dir
        } else {
            FileKind::File
        },
        len: e.len(),
        mode: if e.is_dir() { 0o40755 } else { 0o100755 },
        mtime: 0,
    }
}

impl FileSystem for FatFs {
    fn symlink_metadata(&self, path: &str) -> Result<Meta, FsError> {
        Ok(match self.entry(path)? {
            Some(e) => meta_of(&e),
            None => Meta {
                kind: FileKind::Dir,
                len: 0,
                mode: 0o40755,
                mtime: 0,
            },
        })
    }

    fn read_link(&self, _path: &str) -> Result<String, FsError> {
        Err(FsError::NotASymlink)
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let rel = Self::rel(path).trim_end_matches('/');
        let dir = if rel.is_empty() {
            self.fs.root_dir()
        } else {
            match self.entry(path)? {
                Some(e) if e.is_dir() => e.to_dir(),
                _ => return Err(FsError::NotADirectory),
            }
        };
        let mut out = Vec::new();
        for e in dir.iter().take(MAX_DIR_ENTRIES) {
            let e = e.map_err(map_err)?;
            let name = e.file_name();
            if name == "." || name == ".." {
                continue;
            }
            out.push(DirEntry {
                kind: meta_of(&e).kind,
                name,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let e = self.entry(path)?.ok_or(FsError::IsADirectory)?;
        if e.is_dir() {
            return Err(FsError::IsADirectory);
        }
        if e.len() > limit {
            return Err(FsError::TooLarge {
                len: e.len(),
                limit,
            });
        }
        let mut out = Vec::with_capacity(e.len() as usize);
        e.to_file()
            .take(limit)
            .read_to_end(&mut out)
            .map_err(map_err)?;
        Ok(out)
    }

    fn open_file(&self, path: &str) -> Result<Box<dyn Read + '_>, FsError> {
        let e = self.entry(path)?.ok_or(FsError::IsADirectory)?;
        if e.is_dir() {
            return Err(FsError::IsADirectory);
        }
        Ok(Box::new(e.to_file().take(e.len())))
    }
}
