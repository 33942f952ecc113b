//! Config-file parsers: text in, structures with line numbers out; they never touch the image.
pub mod devref;
pub mod fstab;
