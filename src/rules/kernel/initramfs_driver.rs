//! KERN003: the default kernel cannot reach the target's disk: its driver is neither built in
//! nor in the initramfs.

use crate::parse::kconfig::{module_symbol, KConfig};
use crate::rules::context::kernel::InitramfsState;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "KERN003",
        name: "initramfs-missing-disk-driver",
        area: Area::Kernel,
        summary: "the default kernel has no driver for the target's disk (not built in, not in the initramfs)",
        explanation: "To mount / the kernel needs the driver of the disk it boots from: ata_piix \
or ahci plus sd_mod for emulated Xen HVM disks, xen-blkfront with PV drivers (and under PV), \
virtio_blk and virtio_pci under KVM, nvme on AWS Nitro. A PV guest's initramfs usually holds \
xen-blkfront only; after the move the boot stops at \"Gave up waiting for root device\" or \
\"VFS: Unable to mount root fs\". A driver built into the kernel (=y in /boot/config-VERSION, or \
listed in the initramfs' modules.builtin) needs nothing. The fix is to rebuild the initramfs \
with the driver: dracut --add-drivers, mkinitrd --with, or /etc/initramfs-tools/modules and \
update-initramfs, from inside the guest before the move or from a rescue system.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

/// The target's driver groups that `config` and `initramfs` leave unsatisfied.
fn missing(cx: &Context, config: Option<&KConfig>, provides: &dyn Fn(&str) -> bool) -> Vec<String> {
    cx.target
        .disk_driver_groups()
        .iter()
        .filter(|group| {
            !group.iter().any(|m| {
                provides(m)
                    || config.is_some_and(|c| module_symbol(m).is_some_and(|s| c.builtin(s)))
            })
        })
        .map(|group| group.join(" or "))
        .collect()
}

fn rebuild_step(cx: &Context, modules: &[String]) -> String {
    format!(
        "rebuild the initramfs with {} (dracut --add-drivers / mkinitrd --with / \
         /etc/initramfs-tools/modules + update-initramfs) before moving to {}",
        modules.join(", "),
        cx.target
    )
}

fn check(cx: &Context, out: &mut Emitter) {
    let Some(e) = cx.default_entry() else { return };
    let Some(version) = e.kernel_version() else {
        return;
    };
    let config = cx.kernel_config(version);
    let config_doc = config.as_ref().map(|c| &c.doc);
    match cx.default_initramfs() {
        InitramfsState::Read(p) => {
            if !p.doc.complete() && p.doc.modules.is_empty() {
                return; // KERN004 reports an initramfs that could not be read.
            }
            let gaps = missing(cx, config_doc, &|m| p.doc.provides(m));
            if !gaps.is_empty() {
                out.emit(
                    cx.at(&p.path, None),
                    format!(
                        "kernel {version}: {} is neither built in nor in {}",
                        gaps.join(", "),
                        p.path
                    ),
                    None,
                    Fix::Manual(rebuild_step(cx, &gaps)),
                );
            }
        }
        InitramfsState::None | InitramfsState::Missing(_) => {
            let gaps = missing(cx, config_doc, &|_| false);
            if gaps.is_empty() {
                return;
            }
            let (sev, why) = match &config {
                Some(_) => (
                    Severity::Error,
                    "not built in and the entry loads no initramfs",
                ),
                None => (
                    Severity::Warning,
                    "no initramfs and no /boot/config to show it is built in",
                ),
            };
            out.emit_as(
                sev,
                cx.at(&e.config, Some(e.cmdline_line)),
                format!("kernel {version}: {}: {why}", gaps.join(", ")),
                Some(e.cmdline_text.clone()),
                Fix::Manual(rebuild_step(cx, &gaps)),
            );
        }
    }
}
