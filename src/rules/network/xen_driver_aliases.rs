//! NET003: modprobe aliases name the Xen PV network or disk driver.

use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "NET003",
        name: "xen-driver-aliases",
        area: Area::Network,
        summary:
            "modprobe config aliases ethN or scsi_hostadapter to a Xen PV driver (xennet, xenblk)",
        explanation: "RHEL 5 era installers write `alias eth0 xennet` and `alias scsi_hostadapter \
xenblk` into /etc/modprobe.conf (or /etc/modprobe.d/*.conf). mkinitrd builds the initrd around \
the scsi_hostadapter aliases, so a rebuilt initrd holds xenblk and not the target's disk driver, \
and the network scripts load the ethN alias, a driver that finds no device outside Xen: eth0 \
never appears. Under Xen with PV drivers (xen-pvhvm) the PV devices are still there, so it is \
harmless (info). Manual: point the aliases at the target's drivers (virtio_net, virtio_blk, ena, \
nvme, ata_piix…) or remove them, then rebuild the initrd.",
        severities: Severities {
            xen_hvm: Some(Severity::Warning),
            xen_pvhvm: Some(Severity::Info),
            kvm: Some(Severity::Warning),
            nitro: Some(Severity::Warning),
            xen_pv: None,
        },
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    for a in cx.xen_driver_aliases() {
        let what = if a.network {
            "the network scripts load a driver that finds no NIC outside Xen"
        } else {
            "mkinitrd puts this driver, not the target's disk driver, into the initrd"
        };
        out.emit(
            cx.at(&a.path, Some(a.line)),
            format!("alias {} {}: {what}", a.pattern, a.module),
            Some(a.text.clone()),
            Fix::Manual(format!(
                "alias {} to the {} {} driver (or remove the line) and rebuild the initrd",
                a.pattern,
                cx.target,
                if a.network { "network" } else { "disk" }
            )),
        );
    }
}
