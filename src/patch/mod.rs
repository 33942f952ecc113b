//! The patch layer: the only writer of images. Computed writes are journaled (old and new bytes,
//! checksums, the image's identity) before the first byte is written; an interrupted run is
//! finished on the next one; `undo` restores the image byte for byte.

pub mod engine;
pub mod journal;

pub use engine::{Locked, PatchError};
