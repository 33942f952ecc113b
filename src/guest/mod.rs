//! The guest as its own OS would see it: the disk's volumes, the root filesystem, `/etc/fstab`
//! resolved against the volumes actually in the image, the mounted path view and the inventory.

pub mod ext_info;
pub mod files;
pub mod fstab;
pub mod inventory;
pub mod memfiles;
pub mod root;
pub mod tree;
pub mod volume;

use crate::image::{self, ImageFormat, IoStats, OpenError};
use crate::partition::{self, PartitionTable};
use files::GuestFiles;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tree::{Mount, Tree};
use volume::Volume;

/// An opened guest image, assembled.
pub struct Guest {
    pub path: PathBuf,
    pub format: ImageFormat,
    pub backing_chain: Vec<String>,
    /// Virtual disk size in bytes.
    pub size: u64,
    pub stats: Arc<IoStats>,
    pub table: PartitionTable,
    /// The first sector of the disk (boot code lives in its first 440 bytes).
    pub boot_sector: Vec<u8>,
    /// The whole guest disk, for the few raw reads boot checks need.
    pub disk: crate::image::Device,
    pub volumes: Vec<Volume>,
    /// Volume index of the root filesystem.
    pub root: Option<usize>,
    /// Every volume that looks like a root, best first.
    pub root_candidates: Vec<usize>,
    /// `/etc/fstab` of the root, resolved.
    pub fstab: Option<fstab::ResolvedFstab>,
    pub mounts: Vec<Mount>,
    pub tree: Tree,
    /// Things that went wrong while assembling (never fatal).
    pub problems: Vec<String>,
}

impl Guest {
    /// Open the image at `path` and assemble the guest. Only an unreadable image is an error.
    pub fn open(path: &Path) -> Result<Guest, OpenError> {
        let img = image::open(path)?;
        let io_err = |e| OpenError::Io(path.to_path_buf(), e);
        let size = img.device.size();
        let n = size.min(512) as usize;
        let boot_sector = image::read_vec(img.device.as_ref(), 0, n).map_err(io_err)?;
        let table = partition::read(img.device.as_ref()).map_err(io_err)?;
        let volume::Discovery {
            volumes,
            filesystems,
            mut problems,
        } = volume::discover(&img.device, &table);
        let root_candidates = root::candidates(&filesystems);
        let root = root_candidates.first().copied();
        if root_candidates.len() > 1 {
            problems.push(format!(
                "several volumes look like a root filesystem ({}); using {}",
                root_candidates
                    .iter()
                    .map(|&i| volumes[i].label())
                    .collect::<Vec<_>>()
                    .join(", "),
                volumes[root_candidates[0]].label()
            ));
        }
        let mut guest = Guest {
            path: path.to_path_buf(),
            format: img.format,
            backing_chain: img.backing_chain,
            size,
            stats: img.stats,
            table,
            boot_sector,
            disk: img.device.clone(),
            volumes,
            root,
            root_candidates,
            fstab: None,
            mounts: Vec::new(),
            tree: Tree::new(Vec::new(), &[]),
            problems: Vec::new(),
        };
        guest.assemble(filesystems);
        guest.problems.splice(0..0, problems);
        Ok(guest)
    }

    /// Read fstab from the root, resolve it, and mount what it names.
    fn assemble(&mut self, filesystems: tree::Filesystems) {
        let Some(root) = self.root else {
            self.problems
                .push("no volume holds a Linux root filesystem (no /etc found)".into());
            self.tree = Tree::new(filesystems, &[]);
            return;
        };
        let root_fs = filesystems[root].as_deref().expect("root is open");
        let fstab = fstab::read_and_resolve(root_fs, &self.volumes, &self.table);
        let (mounts, notes) = fstab::mounts(root, fstab.as_ref(), &self.volumes);
        self.problems.extend(notes);
        self.mounts = mounts;
        self.fstab = fstab;
        self.tree = Tree::new(filesystems, &self.mounts);
    }

    /// The guest's files as its OS would see them once everything in fstab is mounted.
    pub fn files(&self) -> &dyn GuestFiles {
        &self.tree
    }
}
