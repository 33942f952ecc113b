//! `NET`: network interface naming bound to the PV MAC address, and Xen guest tools.
