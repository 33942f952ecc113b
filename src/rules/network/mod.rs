//! `NET`: network interface naming bound to the PV MAC address, and Xen guest tools.

pub mod ifcfg_hwaddr;
pub mod persistent_net;
pub mod xen_driver_aliases;
pub mod xen_guest_tools;

use crate::rules::{Severities, Severity};

/// A NIC bound to its MAC: the MAC usually survives a move within Xen (warning) and changes on
/// KVM and Nitro (error).
pub(crate) const MAC_BINDING: Severities = Severities {
    xen_hvm: Some(Severity::Warning),
    xen_pvhvm: Some(Severity::Warning),
    kvm: Some(Severity::Error),
    nitro: Some(Severity::Error),
    xen_pv: Some(Severity::Warning),
};
