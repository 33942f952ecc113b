//! Parses modprobe configuration (`/etc/modprobe.d/*.conf`, the old `/etc/modprobe.conf`):
//! `alias`, `options`, `install`, `remove`, `blacklist`, `softdep` with line numbers, so a rule
//! can see `alias eth0 xennet` or `alias scsi_hostadapter xenblk`. Also home of
//! [`normalize_module_name`], shared with the initramfs and kernel-config readers.

pub use super::fstab::LineProblem;
use serde::Serialize;

/// A module name as the kernel compares them: `-` and `_` are the same (`xen-blkfront` ≡
/// `xen_blkfront`). A path or a file name (`…/xen-blkfront.ko.xz`) is reduced to the name.
pub fn normalize_module_name(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    let base = [".ko.xz", ".ko.zst", ".ko.gz", ".ko.bz2", ".ko"]
        .iter()
        .find_map(|s| base.strip_suffix(s))
        .unwrap_or(base);
    base.replace('-', "_")
}

/// Xen PV front-end module names (pvops and XenLinux spellings), normalised.
pub const XEN_PV_MODULES: &[&str] = &[
    "xen_blkfront",
    "xen_netfront",
    "xenblk",
    "xennet",
    "xen_vbd",
    "xen_vnif",
    "xen_scsifront",
    "xen_kbdfront",
    "xen_fbfront",
    "xen_pcifront",
    "xen_platform_pci",
];

/// `true` when `module` (any spelling) is a Xen PV front-end driver.
pub fn is_xen_module(module: &str) -> bool {
    XEN_PV_MODULES.contains(&normalize_module_name(module).as_str())
}

/// What a command line says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ModprobeCommand {
    /// `alias WILDCARD MODULE`.
    Alias { pattern: String, module: String },
    /// `options MODULE OPTIONS…`.
    Options {
        module: String,
        options: Vec<String>,
    },
    /// `install MODULE COMMAND…` (the command as written).
    Install { module: String, command: String },
    /// `remove MODULE COMMAND…`.
    Remove { module: String, command: String },
    /// `blacklist MODULE`.
    Blacklist { module: String },
    /// `softdep MODULE pre: … post: …` (the rest as written).
    Softdep { module: String, rest: String },
    /// Any other known keyword (`include`, `pre-install`, `probeall`, `above`…), words kept.
    Other { keyword: String, words: Vec<String> },
}

/// One logical line (backslash continuations joined).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModprobeLine {
    /// 1-based number of the first physical line.
    pub line: usize,
    /// The original text (continuations joined with `\n`).
    pub text: String,
    #[serde(flatten)]
    pub command: ModprobeCommand,
}

impl ModprobeLine {
    /// The module this line is about (the alias target for `alias`), normalised.
    pub fn module(&self) -> Option<String> {
        match &self.command {
            ModprobeCommand::Alias { module, .. }
            | ModprobeCommand::Options { module, .. }
            | ModprobeCommand::Install { module, .. }
            | ModprobeCommand::Remove { module, .. }
            | ModprobeCommand::Blacklist { module }
            | ModprobeCommand::Softdep { module, .. } => Some(normalize_module_name(module)),
            ModprobeCommand::Other { .. } => None,
        }
    }
}

/// A parsed modprobe configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModprobeConf {
    pub lines: Vec<ModprobeLine>,
    pub problems: Vec<LineProblem>,
}

impl ModprobeConf {
    /// Every `alias` as `(line, pattern, module)`.
    pub fn aliases(&self) -> Vec<(usize, &str, &str)> {
        self.lines
            .iter()
            .filter_map(|l| match &l.command {
                ModprobeCommand::Alias { pattern, module } => {
                    Some((l.line, pattern.as_str(), module.as_str()))
                }
                _ => None,
            })
            .collect()
    }

    /// The module `pattern` (`eth0`, `scsi_hostadapter`) is aliased to (the last alias wins).
    pub fn alias_for(&self, pattern: &str) -> Option<&str> {
        self.aliases()
            .into_iter()
            .rev()
            .find(|(_, p, _)| *p == pattern)
            .map(|(_, _, m)| m)
    }

    /// Lines that name a Xen PV front-end module (`alias eth0 xennet`, `options xen-blkfront …`).
    pub fn xen_lines(&self) -> Vec<&ModprobeLine> {
        self.lines
            .iter()
            .filter(|l| l.module().is_some_and(|m| is_xen_module(&m)))
            .collect()
    }

    /// `true` when `module` (any spelling) is blacklisted.
    pub fn is_blacklisted(&self, module: &str) -> bool {
        let m = normalize_module_name(module);
        self.lines.iter().any(|l| {
            matches!(&l.command, ModprobeCommand::Blacklist { module } if normalize_module_name(module) == m)
        })
    }
}

const OTHER_KEYWORDS: &[&str] = &[
    "include",
    "pre-install",
    "post-install",
    "pre-remove",
    "post-remove",
    "probe",
    "probeall",
    "above",
    "below",
    "keep",
    "path",
    "depfile",
    "prune",
    "generic_stringfile",
    "pcimapfile",
    "isapnpmapfile",
    "usbmapfile",
    "parportmapfile",
    "ieee1394mapfile",
    "pnpbiosmapfile",
    "weakdep",
];

/// Parses modprobe configuration text. `#` starts a comment line; a trailing backslash continues
/// a line.
pub fn parse(text: &str) -> ModprobeConf {
    let mut out = ModprobeConf::default();
    let logical = super::text::logical_lines(text, " ");
    for (line, text, body) in logical {
        let trimmed = body.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let problem = |message: String| LineProblem {
            line,
            text: text.clone(),
            message,
        };
        let words: Vec<&str> = trimmed.split_ascii_whitespace().collect();
        let rest_after = |n: usize| -> String {
            let mut s = trimmed;
            for _ in 0..n {
                s = s.trim_start();
                s = &s[s.find(char::is_whitespace).unwrap_or(s.len())..];
            }
            s.trim().to_string()
        };
        let need = |n: usize, what: &str, out: &mut ModprobeConf| -> bool {
            if words.len() < n {
                out.problems.push(problem(format!(
                    "`{}` needs {what}",
                    words.first().copied().unwrap_or("")
                )));
                false
            } else {
                true
            }
        };
        let command = match words[0] {
            "alias" => {
                if !need(3, "a name and a module", &mut out) {
                    continue;
                }
                if words.len() > 3 {
                    out.problems
                        .push(problem("extra words after the alias module".to_string()));
                }
                ModprobeCommand::Alias {
                    pattern: words[1].to_string(),
                    module: words[2].to_string(),
                }
            }
            "options" => {
                if !need(2, "a module", &mut out) {
                    continue;
                }
                ModprobeCommand::Options {
                    module: words[1].to_string(),
                    options: words[2..].iter().map(|s| s.to_string()).collect(),
                }
            }
            "install" | "remove" => {
                if !need(3, "a module and a command", &mut out) {
                    continue;
                }
                let module = words[1].to_string();
                let command = rest_after(2);
                if words[0] == "install" {
                    ModprobeCommand::Install { module, command }
                } else {
                    ModprobeCommand::Remove { module, command }
                }
            }
            "blacklist" => {
                if !need(2, "a module", &mut out) {
                    continue;
                }
                if words.len() > 2 {
                    out.problems
                        .push(problem("extra words after the module".to_string()));
                }
                ModprobeCommand::Blacklist {
                    module: words[1].to_string(),
                }
            }
            "softdep" => {
                if !need(2, "a module", &mut out) {
                    continue;
                }
                ModprobeCommand::Softdep {
                    module: words[1].to_string(),
                    rest: rest_after(2),
                }
            }
            k if OTHER_KEYWORDS.contains(&k) => ModprobeCommand::Other {
                keyword: k.to_string(),
                words: words[1..].iter().map(|s| s.to_string()).collect(),
            },
            k => {
                out.problems.push(problem(format!("unknown command {k:?}")));
                continue;
            }
        };
        out.lines.push(ModprobeLine {
            line,
            text,
            command,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn corpus_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees");
        for rel in [
            "centos6-pv/etc/modprobe.d/anaconda.conf",
            "multipart-mbr/root/etc/modprobe.conf",
        ] {
            let m = parse(&std::fs::read_to_string(root.join(rel)).unwrap());
            assert!(m.problems.is_empty(), "{rel}: {:?}", m.problems);
            assert_eq!(
                m.aliases(),
                [(1, "eth0", "xennet"), (2, "scsi_hostadapter", "xenblk")]
            );
            assert_eq!(m.alias_for("scsi_hostadapter"), Some("xenblk"));
            assert_eq!(m.xen_lines().len(), 2);
        }
    }

    #[test]
    fn commands_and_continuations() {
        let t = "# c\noptions xen-blkfront max=64 \\\n  feature_persistent=0\n\
            install xen_netfront /sbin/modprobe --ignore-install xen-netfront; true\n\
            blacklist floppy\nsoftdep ahci pre: libahci\nalias pci:v00005853d* xen-platform-pci\n\
            remove foo /bin/true\ninclude /etc/other.conf\n";
        let m = parse(t);
        assert!(m.problems.is_empty(), "{:?}", m.problems);
        assert_eq!(m.lines.len(), 7);
        match &m.lines[0].command {
            ModprobeCommand::Options { module, options } => {
                assert_eq!(module, "xen-blkfront");
                assert_eq!(options, &["max=64", "feature_persistent=0"]);
            }
            c => panic!("{c:?}"),
        }
        assert_eq!(m.lines[0].line, 2);
        assert!(m.lines[0].text.contains('\n'));
        assert!(matches!(&m.lines[1].command,
            ModprobeCommand::Install { command, .. } if command == "/sbin/modprobe --ignore-install xen-netfront; true"));
        assert!(m.is_blacklisted("floppy"));
        assert_eq!(m.xen_lines().len(), 3);
        assert_eq!(m.lines[1].line, 4);
    }

    #[test]
    fn junk() {
        let m = parse("frobnicate x\nalias eth0\noptions\nblacklist a b\n");
        let lines: Vec<usize> = m.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 3, 4]);
        assert_eq!(m.lines.len(), 1);
    }

    #[test]
    fn names() {
        assert_eq!(normalize_module_name("xen-blkfront"), "xen_blkfront");
        assert_eq!(
            normalize_module_name("kernel/drivers/block/xen-blkfront.ko.xz"),
            "xen_blkfront"
        );
        assert_eq!(normalize_module_name("virtio_blk.ko"), "virtio_blk");
        assert!(is_xen_module("xennet") && is_xen_module("xen-netfront"));
        assert!(!is_xen_module("virtio_net"));
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(b" \t\n#\\aliasoptionsinstall xennet", |s| {
            let m = parse(s);
            let _ = (m.aliases(), m.xen_lines());
        });
    }
}
