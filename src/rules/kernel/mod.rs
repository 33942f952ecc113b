//! `KERN`: kernels that cannot boot the target, and initramfs images without its disk driver.

pub mod initramfs_driver;
pub mod initramfs_unreadable;
pub mod no_hvm_kernel;
pub mod no_pv_support;
pub mod suse_initrd_modules;
pub mod xen_only_default;
