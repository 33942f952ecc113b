//! Config-file parsers: text in, structures with line numbers out; they never touch the image.
pub mod crypttab;
pub mod device_map;
pub mod devref;
pub mod fstab;
pub mod ifcfg;
pub mod initramfs;
pub mod inittab;
pub mod kconfig;
pub mod mdadm;
pub mod modprobe;
pub mod resume;
pub mod securetty;
pub mod sysconfig_kernel;
pub mod systemd_units;
pub mod udev_net;
pub mod upstart;
