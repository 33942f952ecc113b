//! CON003: PV-only kernel arguments (`xencons=`, `earlyprintk=xen`).

use crate::rules::{
    Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON003",
        name: "pv-only-kernel-args",
        area: Area::Console,
        summary: "a boot entry passes PV-only console arguments (xencons=, earlyprintk=xen)",
        explanation: "xencons= selects the PV console device of XenLinux kernels and \
earlyprintk=xen writes early messages through the Xen console hypercall. Under HVM neither has a \
console behind it: early boot messages are lost and, on some kernels, earlyprintk=xen faults \
outside a PV domain. GRUB_CMDLINE_LINUX and Debian's # kopt= are checked too, because the next \
grub-mkconfig or update-grub copies them into every entry. The fix removes them.",
        severities: Severities::hvm(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

/// Remove each of `tokens` from `path`:`line`.
fn remove(path: &str, line: usize, tokens: &[&str]) -> Vec<Edit> {
    tokens
        .iter()
        .map(|t| Edit::RemoveToken {
            path: path.to_string(),
            line,
            token: t.to_string(),
        })
        .collect()
}

fn check(cx: &Context, out: &mut Emitter) {
    for e in cx.boot_entries() {
        let args = e.cmdline.pv_only_args();
        if args.is_empty() {
            continue;
        }
        let Some(sev) = out.entry_severity(e) else {
            return;
        };
        let names: Vec<&str> = args.iter().map(|p| p.raw.as_str()).collect();
        let edits = remove(&e.config, e.cmdline_line, &names);
        out.emit_with_edits(
            sev,
            cx.at(&e.config, Some(e.cmdline_line)),
            format!(
                "entry \"{}\": {} only work under PV",
                e.title,
                names.join(" ")
            ),
            Some(e.cmdline_text.clone()),
            Fix::Safe(format!("remove {}", names.join(" "))),
            edits,
        );
    }
    for t in cx.template_cmdlines() {
        let args = t.cmdline.pv_only_args();
        if args.is_empty() {
            continue;
        }
        let names: Vec<&str> = args.iter().map(|p| p.raw.as_str()).collect();
        let edits = remove(&t.path, t.line, &names);
        out.emit_edits(
            cx.at(&t.path, Some(t.line)),
            format!(
                "{}: {} only work under PV and are copied into new entries",
                t.key,
                names.join(" ")
            ),
            Some(t.text.clone()),
            Fix::Safe(format!("remove {}", names.join(" "))),
            edits,
        );
    }
}
