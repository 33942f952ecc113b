//! `BOOT`: boot code, which bootloader config is live, boot entries and what they name.

pub mod chain_target_empty;
pub mod grub2_core_missing;
pub mod no_boot_code;
