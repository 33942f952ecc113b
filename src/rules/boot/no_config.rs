//! BOOT007: the guest has no bootloader config at all.

use crate::guest::inventory::bootloader::BootConfigKind;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "BOOT007",
        name: "no-bootloader-config",
        area: Area::Boot,
        summary: "no GRUB, BLS or extlinux config in the guest: nothing says what to boot",
        explanation: "Many PV guests are started with a kernel and initrd that live in dom0 \
(`kernel=` and `ramdisk=` in the Xen domain config), so the guest itself holds no bootloader \
config, and sometimes no kernel either. pygrub, PV-GRUB, a GRUB installed in the guest and a GRUB \
ISO chain-loading the guest all need menu.lst, grub.cfg, BLS entries or an extlinux config to \
know which kernel to load with which command line. Without one the guest does not boot on any \
target but a PV one with a dom0 kernel. The fix is manual: install a kernel and a bootloader in \
the guest (from a rescue system or chroot) and generate its config, or copy the dom0 kernel, \
initrd and command line into a hand-written config.",
        severities: Severities::all(Severity::Error),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let any = cx.inventory.boot_configs.iter().any(|c| {
        c.size.is_some()
            && matches!(
                c.kind,
                BootConfigKind::GrubLegacy
                    | BootConfigKind::Grub2
                    | BootConfigKind::Bls
                    | BootConfigKind::Extlinux
                    | BootConfigKind::Syslinux
            )
    });
    if any {
        return;
    }
    let location = match cx.guest.root {
        Some(r) => cx.on_volume(r),
        None => cx.on_disk(),
    };
    let kernels = cx.inventory.kernels.len();
    out.emit(
        location,
        format!(
            "no menu.lst, grub.conf, grub.cfg, BLS entry or extlinux.conf in the guest \
             ({kernels} kernel{} in /boot)",
            if kernels == 1 { "" } else { "s" }
        ),
        None,
        Fix::Manual(
            "install a kernel and a bootloader in the guest and generate its config".into(),
        ),
    );
}
