//! Config-file parsers: text in, structures with line numbers out; they never touch the image.
pub mod bls;
pub mod cmdline;
pub mod devref;
pub mod fstab;
pub mod grub2;
pub mod grub_defaults;
pub mod grub_legacy;
pub mod text;
