//! `KERN`: kernels that cannot boot the target, and initramfs images without its disk driver.
