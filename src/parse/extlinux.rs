//! extlinux/syslinux configs (`extlinux.conf`, `syslinux.cfg`): global `DEFAULT`, `SERIAL`,
//! `CONSOLE`, and `LABEL` entries with `KERNEL`/`LINUX`, `APPEND` (a kernel command line, which
//! may carry `initrd=`), `INITRD` and `MENU DEFAULT`. Keywords are case-insensitive.

use super::cmdline::Cmdline;
use super::fstab::LineProblem;
use super::text::{numbered_lines, problem, split_word};
use serde::Serialize;

/// A keyword line: its number, original text and argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    pub line: usize,
    pub text: String,
    pub value: String,
}

/// One `LABEL` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub line: usize,
    pub name: String,
    /// `KERNEL` or `LINUX`.
    pub kernel: Option<Directive>,
    /// `APPEND` (the last one wins, as in syslinux).
    pub append: Option<Directive>,
    /// `INITRD` lines and `initrd=` on the APPEND line (comma-separated files).
    pub initrds: Vec<String>,
    /// `MENU DEFAULT` inside the label.
    pub menu_default: bool,
}

impl Label {
    /// The kernel command line (APPEND without `initrd=`).
    pub fn cmdline(&self) -> Cmdline {
        Cmdline::parse(self.append.as_ref().map_or("", |a| a.value.as_str()))
    }
}

/// A parsed extlinux/syslinux config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Extlinux {
    pub default: Option<Directive>,
    pub serial: Option<Directive>,
    pub labels: Vec<Label>,
    pub problems: Vec<LineProblem>,
}

impl Extlinux {
    /// Index of the entry that boots by default: `MENU DEFAULT`, else `DEFAULT name`, else the first.
    pub fn default_index(&self) -> Option<usize> {
        if self.labels.is_empty() {
            return None;
        }
        if let Some(i) = self.labels.iter().position(|l| l.menu_default) {
            return Some(i);
        }
        let by_name = self.default.as_ref().and_then(|d| {
            let name = d.value.split_whitespace().next()?;
            self.labels
                .iter()
                .position(|l| l.name.eq_ignore_ascii_case(name))
        });
        Some(by_name.unwrap_or(0))
    }
}

const GLOBAL_KEYWORDS: &[&str] = &[
    "timeout",
    "prompt",
    "ui",
    "ontimeout",
    "onerror",
    "totaltimeout",
    "console",
    "font",
    "kbdmap",
    "display",
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "f6",
    "f7",
    "f8",
    "f9",
    "f10",
    "f11",
    "f12",
    "say",
    "include",
    "implicit",
    "allowoptions",
    "noescape",
    "nocomplete",
    "ipappend",
    "sysappend",
    "localboot",
    "config",
    "path",
    "text",
    "endtext",
];

/// Parse an extlinux/syslinux config. Unknown keywords are problems, never failures.
pub fn parse(text: &str) -> Extlinux {
    let mut out = Extlinux::default();
    for (line, original) in numbered_lines(text) {
        let trimmed = original.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (word, rest, _) = split_word(trimmed);
        let key = word.to_ascii_lowercase();
        let d = Directive {
            line,
            text: original.to_string(),
            value: rest.trim().to_string(),
        };
        match key.as_str() {
            "default" => out.default = Some(d),
            "serial" => out.serial = Some(d),
            "label" => out.labels.push(Label {
                line,
                name: d.value,
                kernel: None,
                append: None,
                initrds: Vec::new(),
                menu_default: false,
            }),
            "kernel" | "linux" | "append" | "initrd" => entry_line(&mut out, &key, d),
            "menu" => {
                let is_default = rest.trim().eq_ignore_ascii_case("default");
                if let (true, Some(l)) = (is_default, out.labels.last_mut()) {
                    l.menu_default = true;
                }
            }
            k if GLOBAL_KEYWORDS.contains(&k) => {}
            _ => out
                .problems
                .push(problem(line, original, format!("unknown keyword {word}"))),
        }
    }
    out
}

fn entry_line(out: &mut Extlinux, key: &str, d: Directive) {
    let Some(l) = out.labels.last_mut() else {
        out.problems
            .push(problem(d.line, &d.text, format!("{key} outside a LABEL")));
        return;
    };
    match key {
        "kernel" | "linux" => l.kernel = Some(d),
        "initrd" => l.initrds.extend(d.value.split(',').map(str::to_string)),
        _ => {
            let c = Cmdline::parse(&d.value);
            if let Some(v) = c.value("initrd") {
                l.initrds.extend(v.split(',').map(str::to_string));
            }
            l.append = Some(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn alpine_config_from_the_xen_tree() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpora/configs/xen-pygrub/alpine-linux-2.3.2.extlinux");
        let c = parse(&std::fs::read_to_string(p).unwrap());
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.labels.len(), 1);
        let l = &c.labels[0];
        assert_eq!((l.name.as_str(), l.menu_default), ("grsec", true));
        assert_eq!(l.kernel.as_ref().unwrap().value, "vmlinuz-3.0.10-grsec");
        assert_eq!(l.initrds, ["initramfs-3.0.10-grsec"]);
        assert_eq!(
            l.cmdline().root().unwrap().value_str(),
            "UUID=a97ffe64-430f-4fd3-830e-4736d9a27af0"
        );
        assert_eq!(c.default_index(), Some(0));
    }

    #[test]
    fn default_by_name_case_and_junk() {
        let c = parse(
            "default second\nSERIAL 0 115200\nlabel first\n  linux /vmlinuz-a\n\
             label second\n  KERNEL /vmlinuz-b\n  append root=/dev/xvda1 console=hvc0\n  \
             INITRD /initrd-b\nbogus line\n",
        );
        assert_eq!(c.default_index(), Some(1));
        assert_eq!(c.labels[1].append.as_ref().unwrap().line, 7);
        assert_eq!(c.labels[1].initrds, ["/initrd-b"]);
        assert_eq!(c.serial.as_ref().unwrap().value, "0 115200");
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].line, 9);
        let junk = parse("append x\n");
        assert_eq!(junk.problems.len(), 1);
    }

    #[test]
    fn random_input_never_panics() {
        for s in crate::parse::text::noise(300, b"LABEL KERNEL APPEND initrd=,DEFAULT menu\n ") {
            let c = parse(&s);
            let _ = c.default_index();
        }
    }
}
