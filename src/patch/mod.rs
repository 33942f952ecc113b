//! The patch layer: the only writer of images. A fix plan becomes block writes (`materialize`);
//! the writes are journaled (old and new bytes, checksums, the image's identity) before the first
//! byte is written (`engine`, `journal`); an interrupted run is finished on the next one; `undo`
//! restores the image byte for byte.

pub mod engine;
pub mod journal;
pub mod materialize;

pub use engine::{Locked, PatchError};
