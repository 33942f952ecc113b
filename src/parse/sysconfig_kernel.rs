//! Parses `/etc/sysconfig/kernel` (SUSE `INITRD_MODULES="xenblk xennet"`, `DOMU_INITRD_MODULES`,
//! `MODULES_LOADED_ON_BOOT`; Red Hat `DEFAULTKERNEL=kernel-xen`, `UPDATEDEFAULT`): the modules
//! mkinitrd puts into the initramfs, and which kernel package new kernels default to.

pub use super::fstab::LineProblem;
use super::ifcfg::{parse_assignments, Assignments};
use super::modprobe::normalize_module_name;
use serde::Serialize;

/// A module named in a list variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedModule {
    /// 1-based line of the assignment.
    pub line: usize,
    /// The variable (`INITRD_MODULES`).
    pub key: String,
    /// The module as written.
    pub module: String,
    /// `-` → `_` (`xen-blkfront` ≡ `xen_blkfront`).
    pub normalized: String,
}

/// A parsed `/etc/sysconfig/kernel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SysconfigKernel {
    #[serde(flatten)]
    pub vars: Assignments,
}

/// The variables holding white-space separated module lists.
pub const MODULE_LIST_KEYS: &[&str] = &[
    "INITRD_MODULES",
    "DOMU_INITRD_MODULES",
    "MODULES_LOADED_ON_BOOT",
];

impl SysconfigKernel {
    /// The modules of one list variable (`INITRD_MODULES`).
    pub fn modules(&self, key: &str) -> Vec<ListedModule> {
        let Some(a) = self.vars.get(key) else {
            return Vec::new();
        };
        a.value
            .split_whitespace()
            .map(|m| ListedModule {
                line: a.line,
                key: key.to_string(),
                module: m.to_string(),
                normalized: normalize_module_name(m),
            })
            .collect()
    }

    /// `INITRD_MODULES`.
    pub fn initrd_modules(&self) -> Vec<ListedModule> {
        self.modules("INITRD_MODULES")
    }

    /// The modules of every list variable in [`MODULE_LIST_KEYS`].
    pub fn all_listed_modules(&self) -> Vec<ListedModule> {
        MODULE_LIST_KEYS
            .iter()
            .flat_map(|k| self.modules(k))
            .collect()
    }

    /// `DEFAULTKERNEL=` (`kernel`, `kernel-xen`, `kernel-core`).
    pub fn default_kernel(&self) -> Option<&str> {
        self.vars.value("DEFAULTKERNEL")
    }
}

/// Parses the file.
pub fn parse(text: &str) -> SysconfigKernel {
    SysconfigKernel {
        vars: parse_assignments(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn corpus_files_parse_cleanly() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees");
        for (rel, dk) in [
            ("centos6-pv/etc/sysconfig/kernel", "kernel"),
            ("centos7-pv/root/etc/sysconfig/kernel", "kernel"),
            ("gpt-efi/root/etc/sysconfig/kernel", "kernel-core"),
            ("multipart-mbr/root/etc/sysconfig/kernel", "kernel-xen"),
        ] {
            let k = parse(&std::fs::read_to_string(root.join(rel)).unwrap());
            assert!(k.vars.problems.is_empty(), "{rel}: {:?}", k.vars.problems);
            assert_eq!(k.default_kernel(), Some(dk), "{rel}");
            assert!(k.initrd_modules().is_empty());
        }
    }

    #[test]
    fn suse_initrd_modules() {
        let k = parse(
            "## Type: string\nINITRD_MODULES=\"xenblk xennet  reiserfs\"\n\
             DOMU_INITRD_MODULES=\"xen-vbd xen-vnif\"\nMODULES_LOADED_ON_BOOT=\"\"\n",
        );
        assert!(k.vars.problems.is_empty());
        let m = k.initrd_modules();
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].line, m[0].module.as_str()), (2, "xenblk"));
        let all = k.all_listed_modules();
        assert_eq!(all.len(), 5);
        assert_eq!(all[3].normalized, "xen_vbd");
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(b" \n#='\"INITRD_MODULES=xenblk", |s| {
            let k = parse(s);
            let _ = k.all_listed_modules();
        });
    }
}
