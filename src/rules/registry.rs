//! The code registry: every rule, in catalog order. A code is never reused or renumbered.

use super::{boot, console, device, kernel, network, Rule};

/// All rules.
pub static ALL: &[&Rule] = &[
    &device::fstab_kernel_name::RULE,
    &device::dangling_reference::RULE,
    &device::duplicate_uuid::RULE,
    &device::partitionless::RULE,
    &device::unresolved_name::RULE,
    &device::cmdline_kernel_name::RULE,
    &device::template_kernel_name::RULE,
    &device::system_config_kernel_name::RULE,
    &device::cmdline_dangling::RULE,
    &device::root_mismatch::RULE,
    &device::uuid_without_initrd::RULE,
    &console::kernel_console_pv_only::RULE,
    &console::kernel_console_missing::RULE,
    &console::pv_only_args::RULE,
    &console::template_console_pv_only::RULE,
    &console::inittab_getty_pv_console::RULE,
    &console::upstart_getty_pv_console::RULE,
    &console::systemd_getty_pv_console::RULE,
    &console::securetty_missing_console::RULE,
    &console::grub_legacy_no_serial::RULE,
    &console::grub_legacy_splashimage::RULE,
    &console::grub2_no_serial::RULE,
    &console::pv_console_missing::RULE,
    &boot::no_boot_code::RULE,
    &boot::config_not_on_partition_1::RULE,
    &boot::grub_partition_partitionless::RULE,
    &boot::default_entry_invalid::RULE,
    &boot::entry_file_missing::RULE,
    &boot::stale_config::RULE,
    &boot::no_config::RULE,
    &boot::chain_target_empty::RULE,
    &boot::grub2_core_missing::RULE,
    &kernel::xen_only_default::RULE,
    &kernel::no_hvm_kernel::RULE,
    &kernel::initramfs_driver::RULE,
    &kernel::initramfs_unreadable::RULE,
    &kernel::no_pv_support::RULE,
    &kernel::suse_initrd_modules::RULE,
    &network::persistent_net::RULE,
    &network::ifcfg_hwaddr::RULE,
    &network::xen_driver_aliases::RULE,
    &network::xen_guest_tools::RULE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for r in ALL {
            let c = r.info.code;
            assert!(seen.insert(c), "duplicate code {c}");
            let prefix = match r.info.area {
                super::super::Area::Device => "DEV",
                super::super::Area::Console => "CON",
                super::super::Area::Boot => "BOOT",
                super::super::Area::Kernel => "KERN",
                super::super::Area::Network => "NET",
            };
            assert!(c.starts_with(prefix) && c.len() == prefix.len() + 3, "{c}");
            assert!(
                !r.info.summary.ends_with('.'),
                "{c}: summary is one line, no period"
            );
            assert!(r.info.explanation.len() > 200, "{c}: explanation too short");
            assert!(
                seen.len() == 1 || r.info.name.contains('-'),
                "{c}: kebab-case name"
            );
        }
    }
}
