//! KERN004: the default entry's initramfs could not be read, so its drivers are unknown.

use crate::rules::context::kernel::InitramfsState;
use crate::rules::{
    Area, Context, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "KERN004",
        name: "initramfs-unreadable",
        area: Area::Kernel,
        summary: "the default entry's initramfs could not be read: its disk drivers are unknown",
        explanation: "pv2hvm reads initramfs images as concatenated cpio archives compressed with \
gzip, xz, lzma, zstd or lz4 (an uncompressed early-microcode part first is common). When the \
image uses another format (bzip2, lzo, lz4 frames, old binary cpio) or is damaged, the check for \
the target's disk driver (KERN003) cannot be made. Check it inside the guest with lsinitrd or \
lsinitramfs. A missing file named by the entry is reported by BOOT005.",
        severities: Severities::all(Severity::Warning),
        fix: FixAvailability::Manual,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let InitramfsState::Read(p) = cx.default_initramfs() else {
        return;
    };
    if p.doc.complete() {
        return;
    }
    let usable = !p.doc.modules.is_empty();
    out.emit(
        cx.at(&p.path, None),
        format!(
            "{}{}",
            p.doc.errors.join("; "),
            if usable {
                " (the modules read before the error were checked)"
            } else {
                ""
            }
        ),
        None,
        Fix::Manual(format!(
            "list the drivers in {} with lsinitrd or lsinitramfs",
            p.path
        )),
    );
}
