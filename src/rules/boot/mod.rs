//! `BOOT`: boot code, which bootloader config is live, boot entries and what they name.

pub mod chain_target_empty;
pub mod config_not_on_partition_1;
pub mod default_entry_invalid;
pub mod entry_file_missing;
pub mod grub2_core_missing;
pub mod grub_partition_partitionless;
pub mod no_boot_code;
pub mod no_config;
pub mod stale_config;

use super::{lower, Context, Emitter, Severity};

/// The severity of a finding about a whole config: the rule's own for the live config, one
/// level lower for any other (it boots only if someone points a bootloader at it).
pub fn config_severity(cx: &Context, out: &Emitter, path: &str) -> Option<Severity> {
    let s = out.default_severity()?;
    Some(if cx.live_config().as_deref() == Some(path) {
        s
    } else {
        lower(s)
    })
}
