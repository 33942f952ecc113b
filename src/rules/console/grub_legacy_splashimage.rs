//! CON010: a GRUB legacy config draws a splash image, which breaks its serial menu.

use crate::rules::{
    lower, Area, Context, Edit, Emitter, Fix, FixAvailability, Rule, RuleInfo, Severities, Severity,
};

pub const RULE: Rule = Rule {
    info: RuleInfo {
        code: "CON010",
        name: "grub-legacy-splashimage",
        area: Area::Console,
        summary: "a GRUB legacy config has a splashimage line, which breaks a serial menu",
        explanation: "The patched GRUB legacy of Red Hat and other distributions draws a \
graphical splash menu when menu.lst has `splashimage=`. pygrub ignores it, so PV guests keep the \
installer's line. A real GRUB legacy under HVM (installed, or a GRUB ISO chain-loading the \
guest's config, as in the prgmr conversion method) switches to graphics mode for it and the menu \
no longer reaches the serial console, even with serial and terminal lines. The guest can \
still boot its default entry after the timeout, but nobody on the serial console can choose or \
edit an entry. The fix comments the splashimage line out.",
        severities: Severities::hvm(Severity::Warning),
        fix: FixAvailability::Safe,
    },
    check,
};

fn check(cx: &Context, out: &mut Emitter) {
    let Some(sev) = out.default_severity() else {
        return;
    };
    let live = cx.live_config();
    for p in cx.grub_legacy() {
        let Some(d) = &p.doc.splashimage else {
            continue;
        };
        let is_live = live.as_deref() == Some(p.path.as_str());
        out.emit_with_edits(
            if is_live { sev } else { lower(sev) },
            cx.at(&p.path, Some(d.line)),
            format!(
                "splashimage {}: GRUB switches to a graphical menu the serial console cannot show",
                d.arg_text
            ),
            Some(d.text.clone()),
            Fix::Safe("comment out the splashimage line".into()),
            vec![Edit::CommentOut {
                path: p.path.clone(),
                line: d.line,
            }],
        );
    }
}
