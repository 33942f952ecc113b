//! NET001: a udev rule pins an interface name to a MAC address.

use super::MAC_BINDING;
use crate::rules::{Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "NET001",
        name: "persistent-net-mac-binding",
        area: Area::Network,
        summary: "a udev rule (70-persistent-net.rules) binds an interface name to a MAC address",
        explanation:
            "udev's persistent-net generator writes /etc/udev/rules.d/70-persistent-net.rules \
with one rule per NIC it has seen: ATTR{address}==\"00:16:3e:…\", NAME=\"eth0\". On a new \
hypervisor the NIC has another MAC address (always on KVM and Nitro; on Xen when the vif's mac= \
is not carried over), the rule no longer matches, the new NIC is named eth1, and the network \
configuration written for eth0 does not apply: the guest boots unreachable. The fix comments the \
rule out so the first NIC is eth0 again (the generator writes a new rule on the next boot).",
        severities: MAC_BINDING,
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    for file in cx.udev_net_rules() {
        for b in file.doc.net_bindings() {
            let text = file
                .doc
                .rules
                .iter()
                .find(|r| r.line == b.line)
                .map(|r| r.text.clone());
            let xen = if b.xen_mac { " (a Xen MAC)" } else { "" };
            out.emit_edits(
                cx.at(&file.path, Some(b.line)),
                format!(
                    "{} is bound to MAC {}{xen}: a NIC with another MAC gets another name",
                    b.name, b.mac
                ),
                text,
                Fix::Safe("comment the rule out".into()),
                vec![Edit::CommentOut {
                    path: file.path.clone(),
                    line: b.line,
                }],
            );
        }
    }
}
