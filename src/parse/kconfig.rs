//! Parses a kernel build configuration (`/boot/config-<version>`): `CONFIG_X=y|m|"str"|n|123`
//! and `# CONFIG_X is not set`, with line numbers. Tells whether the kernel is Xen-only
//! (`CONFIG_X86_XEN`), pvops (`CONFIG_XEN`), and whether a disk driver is built in or a module;
//! [`module_symbol`] maps a module name to its CONFIG symbol.

pub use super::fstab::LineProblem;
use super::modprobe::normalize_module_name;
use serde::Serialize;
use std::collections::BTreeMap;

/// A symbol's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum KValue {
    /// `=y`: built in.
    Yes,
    /// `=m`: a loadable module.
    Module,
    /// `=n` or `# CONFIG_X is not set`.
    No,
    /// `="text"` (unquoted, `\"` and `\\` unescaped).
    Str(String),
    /// Anything else unquoted (numbers, hex).
    Other(String),
}

/// One symbol line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KSymbol {
    /// 1-based line number.
    pub line: usize,
    /// The symbol with its `CONFIG_` prefix.
    pub name: String,
    pub value: KValue,
}

/// A parsed kernel config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KConfig {
    /// By symbol name (with `CONFIG_`); a later line for the same symbol wins.
    pub symbols: BTreeMap<String, KSymbol>,
    pub problems: Vec<LineProblem>,
}

/// `XEN` → `CONFIG_XEN`; `CONFIG_XEN` stays.
fn full(name: &str) -> String {
    if name.starts_with("CONFIG_") {
        name.to_string()
    } else {
        format!("CONFIG_{name}")
    }
}

impl KConfig {
    /// The symbol `name` (with or without `CONFIG_`).
    pub fn get(&self, name: &str) -> Option<&KSymbol> {
        self.symbols.get(&full(name))
    }
    /// The value of `name`; `None` when the symbol does not appear at all.
    pub fn value(&self, name: &str) -> Option<&KValue> {
        self.get(name).map(|s| &s.value)
    }
    /// `=y`.
    pub fn builtin(&self, name: &str) -> bool {
        self.value(name) == Some(&KValue::Yes)
    }
    /// `=m`.
    pub fn module(&self, name: &str) -> bool {
        self.value(name) == Some(&KValue::Module)
    }
    /// `=y` or `=m`.
    pub fn is_set(&self, name: &str) -> bool {
        self.builtin(name) || self.module(name)
    }
    /// A XenLinux (Xen-only, pre-pvops) kernel: `CONFIG_X86_XEN=y` or `CONFIG_X86_64_XEN=y`.
    pub fn is_xen_only(&self) -> bool {
        self.builtin("X86_XEN") || self.builtin("X86_64_XEN")
    }
    /// How the kernel provides module `module` (`xen-blkfront`, `ahci`…), via [`module_symbol`].
    pub fn driver(&self, module: &str) -> DriverSupport {
        let Some(sym) = module_symbol(module) else {
            return DriverSupport::UnknownModule;
        };
        match self.value(sym) {
            Some(KValue::Yes) => DriverSupport::BuiltIn,
            Some(KValue::Module) => DriverSupport::Module,
            Some(_) => DriverSupport::NotSet,
            None => DriverSupport::Absent,
        }
    }
}

/// What a kernel config says about a driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriverSupport {
    /// `=y`: no initramfs module needed.
    BuiltIn,
    /// `=m`: must be in the initramfs to mount root.
    Module,
    /// `is not set` / `=n`.
    NotSet,
    /// The symbol does not appear in the config.
    Absent,
    /// [`module_symbol`] does not know the module.
    UnknownModule,
}

/// The CONFIG symbol that builds `module` (any spelling: `xen-blkfront`, `xen_blkfront`,
/// `xenblk`, a `.ko` path). Covers the disk, console and network drivers the audit needs.
pub fn module_symbol(module: &str) -> Option<&'static str> {
    Some(match normalize_module_name(module).as_str() {
        "xen_blkfront" | "xenblk" | "xen_vbd" => "CONFIG_XEN_BLKDEV_FRONTEND",
        "xen_netfront" | "xennet" | "xen_vnif" => "CONFIG_XEN_NETDEV_FRONTEND",
        "xen_platform_pci" => "CONFIG_XEN_PVHVM",
        "ata_piix" => "CONFIG_ATA_PIIX",
        "ahci" => "CONFIG_SATA_AHCI",
        "libata" => "CONFIG_ATA",
        "sd_mod" => "CONFIG_BLK_DEV_SD",
        "scsi_mod" => "CONFIG_SCSI",
        "virtio_blk" => "CONFIG_VIRTIO_BLK",
        "virtio_pci" => "CONFIG_VIRTIO_PCI",
        "virtio_scsi" => "CONFIG_SCSI_VIRTIO",
        "virtio_net" => "CONFIG_VIRTIO_NET",
        "virtio" => "CONFIG_VIRTIO",
        "virtio_ring" => "CONFIG_VIRTIO",
        "nvme" => "CONFIG_BLK_DEV_NVME",
        "nvme_core" => "CONFIG_NVME_CORE",
        "ena" => "CONFIG_ENA_ETHERNET",
        "ide_disk" | "ide_gd_mod" => "CONFIG_BLK_DEV_IDEDISK",
        "piix" => "CONFIG_BLK_DEV_PIIX",
        "ext4" => "CONFIG_EXT4_FS",
        "ext3" => "CONFIG_EXT3_FS",
        "jbd2" => "CONFIG_JBD2",
        "xfs" => "CONFIG_XFS_FS",
        "btrfs" => "CONFIG_BTRFS_FS",
        "dm_mod" => "CONFIG_BLK_DEV_DM",
        "raid1" => "CONFIG_MD_RAID1",
        _ => return None,
    })
}

/// Parses config text. Other `#` comments and blank lines are skipped.
pub fn parse(text: &str) -> KConfig {
    let mut out = KConfig::default();
    for (idx, raw) in text.lines().enumerate() {
        let line = idx + 1;
        let original = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = original.trim();
        if trimmed.is_empty() {
            continue;
        }
        let problem = |message: &str| LineProblem {
            line,
            text: original.to_string(),
            message: message.to_string(),
        };
        if let Some(c) = trimmed.strip_prefix('#') {
            if let Some(name) = c
                .trim()
                .strip_suffix(" is not set")
                .filter(|n| n.starts_with("CONFIG_") && !n.contains(' '))
            {
                out.symbols.insert(
                    name.to_string(),
                    KSymbol {
                        line,
                        name: name.to_string(),
                        value: KValue::No,
                    },
                );
            }
            continue;
        }
        let Some((name, v)) = trimmed.split_once('=') else {
            out.problems.push(problem("not a CONFIG_X=value line"));
            continue;
        };
        if !name.starts_with("CONFIG_")
            || name.len() == 7
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            out.problems
                .push(problem("symbol name does not start with CONFIG_"));
            continue;
        }
        let value = match v {
            "y" => KValue::Yes,
            "m" => KValue::Module,
            "n" => KValue::No,
            v if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') => {
                let inner = &v[1..v.len() - 1];
                let mut s = String::new();
                let mut chars = inner.chars();
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        if let Some(n) = chars.next() {
                            s.push(n);
                        }
                    } else {
                        s.push(c);
                    }
                }
                KValue::Str(s)
            }
            v if v.starts_with('"') => {
                out.problems.push(problem("unterminated string value"));
                KValue::Other(v.to_string())
            }
            v => KValue::Other(v.to_string()),
        };
        out.symbols.insert(
            name.to_string(),
            KSymbol {
                line,
                name: name.to_string(),
                value,
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn configs() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees");
        let mut out = Vec::new();
        for t in std::fs::read_dir(&root).unwrap() {
            let t = t.unwrap().path();
            for boot in [t.join("boot"), t.join("root/boot")] {
                if let Ok(rd) = std::fs::read_dir(&boot) {
                    for f in rd {
                        let f = f.unwrap().path();
                        if f.file_name()
                            .unwrap()
                            .to_string_lossy()
                            .starts_with("config-")
                        {
                            out.push(f);
                        }
                    }
                }
            }
        }
        out.sort();
        out
    }

    fn load(suffix: &str) -> KConfig {
        let p = configs()
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no corpus config ending {suffix}"));
        parse(&std::fs::read_to_string(p).unwrap())
    }

    #[test]
    fn every_corpus_config_parses_cleanly() {
        let all = configs();
        assert!(all.len() >= 10, "{all:?}");
        for p in all {
            let k = parse(&std::fs::read_to_string(&p).unwrap());
            assert!(k.problems.is_empty(), "{}: {:?}", p.display(), k.problems);
            assert!(k.symbols.len() > 10, "{}", p.display());
        }
    }

    #[test]
    fn corpus_facts() {
        let xen = load("multipart-mbr/boot/config-2.6.18-419.el5xen");
        assert!(xen.is_xen_only());
        assert!(xen.builtin("CONFIG_XEN") && xen.builtin("X86_XEN"));
        assert_eq!(xen.driver("xenblk"), DriverSupport::Module);
        let el5 = load("multipart-mbr/boot/config-2.6.18-419.el5");
        assert!(!el5.is_xen_only());
        assert_eq!(el5.value("XEN"), Some(&KValue::No));
        assert_eq!(el5.driver("xen-blkfront"), DriverSupport::Absent);
        let c6 = load("config-2.6.32-754.el6.x86_64");
        assert_eq!(c6.driver("ata_piix"), DriverSupport::BuiltIn);
        assert_eq!(c6.driver("xen_blkfront"), DriverSupport::Module);
        assert_eq!(c6.driver("nvme"), DriverSupport::NotSet);
        assert!(c6.builtin("HVC_XEN") && c6.builtin("SERIAL_8250_CONSOLE"));
        let u = load("config-3.13.0-170-generic");
        for m in [
            "xen-blkfront",
            "virtio_blk",
            "virtio_pci",
            "sd_mod",
            "ata_piix",
            "ahci",
        ] {
            assert_eq!(u.driver(m), DriverSupport::BuiltIn, "{m}");
        }
        assert!(u.module("BLK_DEV_NVME") && u.is_set("BLK_DEV_NVME"));
        let f = load("config-6.7.4-200.fc39.x86_64");
        assert!(f.builtin("VIRTIO_PCI") && f.module("VIRTIO_BLK"));
        assert!(!f.is_xen_only());
    }

    #[test]
    fn forms_and_junk() {
        let k = parse(
            "#\n# Automatically generated\nCONFIG_LOCALVERSION=\"-x \\\"q\\\"\"\nCONFIG_HZ=250\n\
             CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\nCONFIG_A=n\ngarbage\nFOO=y\nCONFIG_S=\"open\n",
        );
        assert_eq!(
            k.value("LOCALVERSION"),
            Some(&KValue::Str("-x \"q\"".into()))
        );
        assert_eq!(k.value("HZ"), Some(&KValue::Other("250".into())));
        assert_eq!(k.get("A").unwrap().line, 8);
        assert!(!k.is_set("A") && !k.is_set("B") && k.module("C"));
        let lines: Vec<usize> = k.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [9, 10, 11]);
        assert_eq!(
            module_symbol("xen-blkfront"),
            Some("CONFIG_XEN_BLKDEV_FRONTEND")
        );
        assert_eq!(module_symbol("ahci.ko.xz"), Some("CONFIG_SATA_AHCI"));
        assert_eq!(module_symbol("frobnicator"), None);
        assert_eq!(k.driver("frobnicator"), DriverSupport::UnknownModule);
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(b" \n#=\"\\CONFIG_XEN=ymn is not set", |s| {
            let k = parse(s);
            let _ = (k.is_xen_only(), k.driver("nvme"));
        });
    }
}
