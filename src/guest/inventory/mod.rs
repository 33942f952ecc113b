//! Guest inventory: what is installed in the guest (distribution, init system, bootloader
//! configs, kernels), gathered through `GuestFiles` only. MBR boot code is identified from raw
//! sector bytes by [`boot_code::identify`], which the caller feeds from the image.

pub mod boot_code;
pub mod bootloader;
pub mod distro;
pub mod init;
pub mod kernels;

pub use boot_code::{BootCode, BootCodeKind};
pub use bootloader::{BootConfig, BootConfigKind};
pub use distro::Distro;
pub use init::{InitKind, InitSystem};
pub use kernels::{Kernel, KernelKind};

use crate::guest::files::GuestFiles;
use serde::Serialize;

/// Largest config/release file the inventory reads.
pub const CONFIG_READ_LIMIT: u64 = 1024 * 1024;

/// Text of a small guest file, or `None` when it is missing, not a file, or too large.
pub(crate) fn read_small(files: &dyn GuestFiles, path: &str) -> Option<String> {
    files
        .read_file(path, CONFIG_READ_LIMIT)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Everything the inventory found in one guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// `None` when no release file names a distribution.
    pub distro: Option<Distro>,
    pub init: InitSystem,
    /// Every bootloader config found, in a stable order.
    pub boot_configs: Vec<BootConfig>,
    /// The config pygrub would read (a copy of one of `boot_configs`).
    pub pygrub_choice: Option<BootConfig>,
    /// Kernels in `/boot`, oldest version first.
    pub kernels: Vec<Kernel>,
}

/// Gathers the inventory. Missing files are normal and simply leave parts empty.
pub fn collect(files: &dyn GuestFiles) -> Inventory {
    let boot_configs = bootloader::find(files);
    let pygrub_choice = bootloader::pygrub_choice(&boot_configs).cloned();
    Inventory {
        distro: distro::detect(files),
        init: init::detect(files),
        pygrub_choice,
        boot_configs,
        kernels: kernels::find(files),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest::memfiles::MemFiles;

    #[test]
    fn empty_guest() {
        let inv = collect(&MemFiles::new());
        assert_eq!(inv.distro, None);
        assert_eq!(inv.init.kind, InitKind::Unknown);
        assert!(inv.boot_configs.is_empty() && inv.kernels.is_empty());
        assert!(inv.pygrub_choice.is_none());
    }

    #[test]
    fn centos6_pv_guest_to_json() {
        let t = MemFiles::new()
            .file("/etc/centos-release", "CentOS release 6.10 (Final)\n")
            .file("/sbin/init", b"\x7fELF com.ubuntu.Upstart".as_slice())
            .file("/etc/inittab", "id:3:initdefault:\n")
            .file("/boot/grub/grub.conf", "default=0\ntitle CentOS\n")
            .symlink("/boot/grub/menu.lst", "./grub.conf")
            .file("/boot/vmlinuz-2.6.32-754.el6.x86_64", "k")
            .file("/boot/initramfs-2.6.32-754.el6.x86_64.img", "i")
            .dir("/lib/modules/2.6.32-754.el6.x86_64");
        let inv = collect(&t);
        assert_eq!(
            inv.distro.as_ref().unwrap().version.as_deref(),
            Some("6.10")
        );
        assert_eq!(inv.init.kind, InitKind::Upstart);
        assert_eq!(
            inv.pygrub_choice.as_ref().unwrap().path,
            "/boot/grub/menu.lst"
        );
        assert_eq!(inv.kernels.len(), 1);
        let json = serde_json::to_value(&inv).unwrap();
        assert_eq!(json["distro"]["id"], "centos");
        assert_eq!(json["init"]["kind"], "upstart");
        assert_eq!(json["boot_configs"][0]["kind"], "grub_legacy");
        assert_eq!(json["kernels"][0]["kind"], "regular");
        assert_eq!(
            json["kernels"][0]["initrd"],
            "/boot/initramfs-2.6.32-754.el6.x86_64.img"
        );
        let code = serde_json::to_value(boot_code::identify(&[0u8; 512])).unwrap();
        assert_eq!(code["kind"], "none");
    }
}
