//! NET002: an `ifcfg-*` network script is tied to a MAC address.

use super::MAC_BINDING;
use crate::rules::{Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "NET002",
        name: "ifcfg-hwaddr",
        area: Area::Network,
        summary: "an ifcfg-* file sets HWADDR= (or MACADDR=) to the old NIC's MAC address",
        explanation: "Red Hat network scripts bring up an ifcfg-eth0 only on the NIC whose MAC \
matches HWADDR=, and rename interfaces by it; MACADDR= forces the old address onto the new NIC. \
After a move the NIC has another MAC (always on KVM and Nitro, on Xen unless the vif mac= is kept): \
with HWADDR= the interface is skipped or renamed and the guest boots without network; with \
MACADDR= it claims an address the new platform did not assign and its traffic is dropped \
(Nitro filters by MAC). The fix comments the line out, so the config applies to whichever NIC \
is named in DEVICE=.",
        severities: MAC_BINDING,
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    for file in cx.ifcfg_files() {
        for key in ["HWADDR", "MACADDR"] {
            let Some(a) = file.doc.vars.get(key) else {
                continue;
            };
            if a.value.trim().is_empty() {
                continue;
            }
            let what = if key == "HWADDR" {
                "binds this config to the NIC with"
            } else {
                "forces onto the NIC the"
            };
            out.emit_edits(
                cx.at(&file.path, Some(a.line)),
                format!("{key}= {what} MAC {}", a.value.trim()),
                Some(a.text.clone()),
                Fix::Safe(format!("comment out {key}=")),
                vec![Edit::CommentOut {
                    path: file.path.clone(),
                    line: a.line,
                }],
            );
        }
    }
}
