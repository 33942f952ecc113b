//! `BOOT`: boot code, which bootloader config is live, boot entries and what they name.

pub mod no_boot_code;
