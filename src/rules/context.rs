//! What rules read: the assembled guest, the target, the inventory, and each config file parsed
//! once (lazily) with its guest path. Rules never parse and never touch the image.

use super::finding::{Location, VolumeRef};
use super::target::Target;
use crate::guest::fstab::{self, Resolution, ResolvedFstab};
use crate::guest::inventory::boot_code::{self, BootCode};
use crate::guest::inventory::{self, Inventory};
use crate::guest::volume::Volume;
use crate::guest::Guest;

/// Everything a rule may look at.
pub struct Context<'g> {
    pub guest: &'g Guest,
    pub target: Target,
    pub inventory: Inventory,
    pub boot_code: BootCode,
}

impl<'g> Context<'g> {
    /// Gather the facts rules read for `guest` moving to `target`.
    pub fn new(guest: &'g Guest, target: Target) -> Self {
        Context {
            inventory: inventory::collect(guest.files()),
            boot_code: boot_code::identify(&guest.boot_sector),
            guest,
            target,
        }
    }

    /// The root's fstab, resolved against the image.
    pub fn fstab(&self) -> Option<&ResolvedFstab> {
        self.guest.fstab.as_ref()
    }

    /// Resolve a device spec (`UUID=…`, `/dev/xvda1`) against the volumes of the image.
    pub fn resolve(&self, spec: &str) -> Resolution {
        fstab::resolve(spec, &self.guest.volumes, &self.guest.table)
    }

    /// The volume at `index`.
    pub fn volume(&self, index: usize) -> &Volume {
        &self.guest.volumes[index]
    }

    /// The short description of a volume carried by findings.
    pub fn volume_ref(&self, index: usize) -> VolumeRef {
        let v = self.volume(index);
        VolumeRef {
            partition: v.number,
            fs_type: v.fs_type().map(str::to_string),
            uuid: v.signature.as_ref().and_then(|s| s.uuid.clone()),
        }
    }

    /// A location in a guest file, with the volume that holds it.
    pub fn at(&self, path: &str, line: Option<usize>) -> Location {
        Location {
            path: Some(path.to_string()),
            line,
            volume: self.guest.tree.volume_of(path).map(|v| self.volume_ref(v)),
        }
    }

    /// A location on the disk itself (partition table, boot code).
    pub fn on_disk(&self) -> Location {
        Location {
            path: None,
            line: None,
            volume: None,
        }
    }

    /// A location on a volume as a whole.
    pub fn on_volume(&self, index: usize) -> Location {
        Location {
            path: None,
            line: None,
            volume: Some(self.volume_ref(index)),
        }
    }
}
