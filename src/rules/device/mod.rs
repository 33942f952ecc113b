//! `DEV`: block device naming — kernel names that change with the target, references that
//! resolve to nothing, duplicate UUIDs, and disks no firmware can boot.

pub mod cmdline_dangling;
pub mod cmdline_kernel_name;
pub mod dangling_reference;
pub mod duplicate_uuid;
pub mod fstab_kernel_name;
pub mod partitionless;
pub mod root_mismatch;
pub mod system_config_kernel_name;
pub mod template_kernel_name;
pub mod unresolved_name;
pub mod uuid_without_initrd;

use super::target::Target;
use crate::parse::fstab::{DeviceRef, DiskPrefix};

/// `Some(reason)` when the kernel name `spec` will not exist, or will name something else, on `t`.
pub fn name_breaks_on(spec: &str, t: Target) -> Option<String> {
    let DeviceRef::KernelName { disk, .. } = DeviceRef::parse(spec) else {
        return None;
    };
    let prefix = match disk.prefix {
        DiskPrefix::Xvd => "xvd",
        DiskPrefix::Sd => "sd",
        DiskPrefix::Hd => "hd",
        DiskPrefix::Vd => "vd",
        DiskPrefix::Nvme => "nvme",
    };
    if t.disk_prefixes().contains(&prefix) {
        return None;
    }
    Some(format!(
        "{spec} is a {prefix} kernel name; on {t} the disk is {}",
        t.example_device(1).trim_end_matches('1')
    ))
}

/// The fstab options under which a missing device does not stop the boot.
pub fn optional_mount(options: &[String]) -> bool {
    options.iter().any(|o| o == "nofail" || o == "noauto")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_by_target() {
        assert!(name_breaks_on("/dev/xvda1", Target::Kvm).is_some());
        assert!(name_breaks_on("/dev/xvda1", Target::XenPvhvm).is_none());
        assert!(name_breaks_on("/dev/sda1", Target::XenHvm).is_none());
        assert!(name_breaks_on("/dev/sda1", Target::XenPv).is_some());
        assert!(name_breaks_on("/dev/nvme0n1p1", Target::Nitro).is_none());
        assert!(name_breaks_on("UUID=abc", Target::Kvm).is_none());
        assert!(name_breaks_on("/dev/mapper/vg-root", Target::Kvm).is_none());
    }
}
