//! Guest inventory: what is installed in the guest (distribution, init system, bootloader
//! configs, kernels), gathered through `GuestFiles` only.

pub mod bootloader;
pub mod distro;
pub mod init;
pub mod kernels;

use crate::guest::files::GuestFiles;

/// Largest config/release file the inventory reads.
pub const CONFIG_READ_LIMIT: u64 = 1024 * 1024;

/// Text of a small guest file, or `None` when it is missing, not a file, or too large.
pub(crate) fn read_small(files: &dyn GuestFiles, path: &str) -> Option<String> {
    files
        .read_file(path, CONFIG_READ_LIMIT)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}
