//! Target platforms of the move, and what disks and consoles are called there.

use serde::Serialize;
use std::fmt;

/// Where the guest is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// Xen HVM with emulated disks (no PV drivers): `/dev/sdX` or `/dev/hdX`, console ttyS0, BIOS.
    XenHvm,
    /// Xen HVM with a pvops kernel and PV drivers: `/dev/xvdX` stays, console ttyS0 (hvc0 too), BIOS.
    XenPvhvm,
    /// KVM with virtio-blk: `/dev/vdX`, console ttyS0, BIOS or UEFI.
    Kvm,
    /// AWS Nitro: `/dev/nvme0n1pN`, console ttyS0, BIOS or UEFI.
    Nitro,
    /// The reverse move (installed under HVM, run PV): `/dev/xvdX`, console hvc0, pygrub/PV-GRUB.
    XenPv,
}

impl Target {
    /// Every target, in a stable order.
    pub const ALL: [Target; 5] = [
        Target::XenHvm,
        Target::XenPvhvm,
        Target::Kvm,
        Target::Nitro,
        Target::XenPv,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Target::XenHvm => "xen-hvm",
            Target::XenPvhvm => "xen-pvhvm",
            Target::Kvm => "kvm",
            Target::Nitro => "nitro",
            Target::XenPv => "xen-pv",
        }
    }

    /// The guest boots through BIOS/UEFI firmware (everything but PV).
    pub fn is_hvm(self) -> bool {
        self != Target::XenPv
    }

    /// The console the hypervisor shows an operator.
    pub fn console(self) -> &'static str {
        if self == Target::XenPv {
            "hvc0"
        } else {
            "ttyS0"
        }
    }

    /// Kernel disk name prefixes that exist on the target (`xvd`, `sd`, `vd`, `nvme`…).
    pub fn disk_prefixes(self) -> &'static [&'static str] {
        match self {
            Target::XenHvm => &["sd", "hd"],
            Target::XenPvhvm | Target::XenPv => &["xvd"],
            Target::Kvm => &["vd"],
            Target::Nitro => &["nvme"],
        }
    }

    /// How the first disk's partition N is named there, for messages (`/dev/sda1`).
    pub fn example_device(self, partition: u32) -> String {
        match self {
            Target::XenHvm => format!("/dev/sda{partition}"),
            Target::XenPvhvm | Target::XenPv => format!("/dev/xvda{partition}"),
            Target::Kvm => format!("/dev/vda{partition}"),
            Target::Nitro => format!("/dev/nvme0n1p{partition}"),
        }
    }

    /// Kernel modules that drive the target's boot disk (any one of each group is needed).
    pub fn disk_driver_groups(self) -> &'static [&'static [&'static str]] {
        match self {
            Target::XenHvm => &[&["ata_piix", "ahci"], &["sd_mod"]],
            Target::XenPvhvm | Target::XenPv => &[&["xen_blkfront", "xenblk"]],
            Target::Kvm => &[&["virtio_blk"], &["virtio_pci"]],
            Target::Nitro => &[&["nvme"]],
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
