//! `pv2hvm fix`: the edits of safe findings applied to guest file texts (a [`plan::Plan`]),
//! shown as a unified diff ([`diff::unified`]); `patch::materialize` turns a plan into writes.

pub mod buffer;
pub mod diff;
pub mod plan;

pub use plan::{plan, Change, FileChange, Plan, Skipped};
