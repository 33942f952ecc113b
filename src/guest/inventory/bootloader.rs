//! Finds every bootloader configuration file in the guest (GRUB legacy, GRUB 2 and its
//! defaults, BLS entries, extlinux/syslinux), and which one pygrub would read.

use crate::fs::FileKind;
use crate::guest::files::GuestFiles;
use serde::Serialize;

/// Most files listed from one wildcard directory (BLS entries, `grub.d`, EFI vendors).
const MAX_DIR_ENTRIES: usize = 512;

/// What format a config file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BootConfigKind {
    /// GRUB 0.9x `menu.lst` / `grub.conf` (also what pygrub and PV-GRUB read).
    GrubLegacy,
    /// GRUB 2 `grub.cfg`.
    Grub2,
    /// `/etc/default/grub` and `/etc/default/grub.d/*.cfg`: input to `grub-mkconfig`.
    Grub2Defaults,
    /// `/etc/sysconfig/grub` (Red Hat; often a symlink to `/etc/default/grub`).
    SysconfigGrub,
    /// Boot Loader Specification entries (`/boot/loader/entries/*.conf`).
    Bls,
    Extlinux,
    /// `syslinux.cfg` / `isolinux.cfg`.
    Syslinux,
}

/// One bootloader config found in the guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BootConfig {
    /// Guest path where it was found.
    pub path: String,
    pub kind: BootConfigKind,
    /// Stored target when `path` itself is a symlink (`/etc/grub2.cfg` → `../boot/grub2/grub.cfg`).
    pub link_target: Option<String>,
    /// Canonical path when it differs from `path` (a symlink in the path or at its end).
    pub canonical: Option<String>,
    /// Size in bytes; `None` when the path is a dangling symlink.
    pub size: Option<u64>,
}

/// Fixed locations, in the order they are reported.
const FIXED: &[(&str, BootConfigKind)] = &[
    ("/boot/grub/grub.cfg", BootConfigKind::Grub2),
    ("/boot/grub2/grub.cfg", BootConfigKind::Grub2),
    ("/grub/grub.cfg", BootConfigKind::Grub2),
    ("/grub2/grub.cfg", BootConfigKind::Grub2),
    ("/etc/grub2.cfg", BootConfigKind::Grub2),
    ("/etc/grub2-efi.cfg", BootConfigKind::Grub2),
    ("/boot/grub/menu.lst", BootConfigKind::GrubLegacy),
    ("/boot/grub/grub.conf", BootConfigKind::GrubLegacy),
    ("/grub/menu.lst", BootConfigKind::GrubLegacy),
    ("/grub/grub.conf", BootConfigKind::GrubLegacy),
    ("/etc/grub.conf", BootConfigKind::GrubLegacy),
    ("/etc/default/grub", BootConfigKind::Grub2Defaults),
    ("/etc/sysconfig/grub", BootConfigKind::SysconfigGrub),
    ("/boot/extlinux/extlinux.conf", BootConfigKind::Extlinux),
    ("/boot/extlinux.conf", BootConfigKind::Extlinux),
    ("/extlinux/extlinux.conf", BootConfigKind::Extlinux),
    ("/extlinux.conf", BootConfigKind::Extlinux),
    ("/boot/syslinux/syslinux.cfg", BootConfigKind::Syslinux),
    ("/syslinux/syslinux.cfg", BootConfigKind::Syslinux),
    ("/syslinux.cfg", BootConfigKind::Syslinux),
    ("/boot/isolinux/isolinux.cfg", BootConfigKind::Syslinux),
    ("/isolinux/isolinux.cfg", BootConfigKind::Syslinux),
];

/// Directories whose files with a given suffix are configs.
const GLOBS: &[(&str, &str, BootConfigKind)] = &[
    ("/etc/default/grub.d", ".cfg", BootConfigKind::Grub2Defaults),
    ("/boot/loader/entries", ".conf", BootConfigKind::Bls),
    ("/boot/efi/loader/entries", ".conf", BootConfigKind::Bls),
];

/// The files pygrub tries, in its order (xen `tools/pygrub/src/pygrub`, `Grub.__init__`): GRUB 2
/// first, then extlinux/isolinux, then GRUB legacy. pygrub reads them from the filesystem it
/// opened; for a separate `/boot` filesystem its `/grub/grub.cfg` is our `/boot/grub/grub.cfg`,
/// which ranks first anyway.
pub const PYGRUB_ORDER: &[&str] = &[
    "/boot/grub/grub.cfg",
    "/grub/grub.cfg",
    "/boot/grub2/grub.cfg",
    "/grub2/grub.cfg",
    "/boot/isolinux/isolinux.cfg",
    "/boot/extlinux/extlinux.conf",
    "/boot/extlinux.conf",
    "/extlinux/extlinux.conf",
    "/extlinux.conf",
    "/boot/grub/menu.lst",
    "/boot/grub/grub.conf",
    "/grub/menu.lst",
    "/grub/grub.conf",
];

/// Looks at one path; `Some` when it is a regular file or a symlink (even dangling) to one.
fn probe(files: &dyn GuestFiles, path: &str, kind: BootConfigKind) -> Option<BootConfig> {
    let lmeta = files.symlink_metadata(path).ok()?;
    let link_target = match lmeta.kind {
        FileKind::Symlink => files.read_link(path).ok(),
        FileKind::File => None,
        _ => return None,
    };
    let size = match files.metadata(path) {
        Ok(m) if m.kind == FileKind::File => Some(m.len),
        Ok(_) => return None,
        Err(_) if link_target.is_some() => None,
        Err(_) => return None,
    };
    let canonical = files.canonicalize(path).ok().filter(|c| c.as_str() != path);
    Some(BootConfig {
        path: path.to_string(),
        kind,
        link_target,
        canonical,
        size,
    })
}

fn dir_files(files: &dyn GuestFiles, dir: &str, suffix: &str) -> Vec<String> {
    files
        .read_dir(dir)
        .map(|entries| {
            entries
                .into_iter()
                .filter(|e| e.name.ends_with(suffix) && !e.name.starts_with('.'))
                .take(MAX_DIR_ENTRIES)
                .map(|e| format!("{dir}/{}", e.name))
                .collect()
        })
        .unwrap_or_default()
}

/// Every bootloader config in the guest: fixed locations, then `grub.d` and BLS entries, then
/// per-vendor EFI configs (`/boot/efi/EFI/<vendor>/grub.cfg`, RHEL 6's `grub.conf`).
pub fn find(files: &dyn GuestFiles) -> Vec<BootConfig> {
    let mut out: Vec<BootConfig> = FIXED
        .iter()
        .filter_map(|(p, k)| probe(files, p, *k))
        .collect();
    for (dir, suffix, kind) in GLOBS {
        for p in dir_files(files, dir, suffix) {
            out.extend(probe(files, &p, *kind));
        }
    }
    if let Ok(vendors) = files.read_dir("/boot/efi/EFI") {
        for v in vendors.into_iter().take(MAX_DIR_ENTRIES) {
            if v.kind != FileKind::Dir {
                continue;
            }
            for (name, kind) in [
                ("grub.cfg", BootConfigKind::Grub2),
                ("grub.conf", BootConfigKind::GrubLegacy),
                ("menu.lst", BootConfigKind::GrubLegacy),
            ] {
                out.extend(probe(
                    files,
                    &format!("/boot/efi/EFI/{}/{name}", v.name),
                    kind,
                ));
            }
        }
    }
    out
}

/// The config pygrub would boot from: the first of [`PYGRUB_ORDER`] that exists (dangling
/// symlinks do not count).
pub fn pygrub_choice(configs: &[BootConfig]) -> Option<&BootConfig> {
    PYGRUB_ORDER
        .iter()
        .find_map(|want| configs.iter().find(|c| c.path == *want && c.size.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest::memfiles::MemFiles;
    use std::path::Path;

    fn corpus(rel: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpora/configs")
            .join(rel);
        std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("test corpus file {} missing: {e}", p.display()))
    }

    fn paths(c: &[BootConfig]) -> Vec<&str> {
        c.iter().map(|c| c.path.as_str()).collect()
    }

    #[test]
    fn fedora_legacy_with_symlinks() {
        // As in augeas' Fedora tree: menu.lst -> grub.conf, /etc/grub.conf -> ../boot/grub/grub.conf.
        let conf = corpus("augeas/boot_grub_grub.conf");
        let t = MemFiles::new()
            .file("/boot/grub/grub.conf", &conf)
            .symlink("/boot/grub/menu.lst", "./grub.conf")
            .symlink("/etc/grub.conf", "../boot/grub/grub.conf")
            .file("/etc/sysconfig/grub", corpus("augeas/etc_sysconfig_grub"));
        let c = find(&t);
        assert_eq!(
            paths(&c),
            [
                "/boot/grub/menu.lst",
                "/boot/grub/grub.conf",
                "/etc/grub.conf",
                "/etc/sysconfig/grub"
            ]
        );
        assert_eq!(c[0].link_target.as_deref(), Some("./grub.conf"));
        assert_eq!(c[0].canonical.as_deref(), Some("/boot/grub/grub.conf"));
        assert_eq!(c[0].size, Some(conf.len() as u64));
        assert_eq!(c[1].link_target, None);
        assert_eq!(c[1].canonical, None);
        assert_eq!(c[3].kind, BootConfigKind::SysconfigGrub);
        assert_eq!(pygrub_choice(&c).unwrap().path, "/boot/grub/menu.lst");
    }

    #[test]
    fn stale_grub_cfg_beats_menu_lst_for_pygrub() {
        let t = MemFiles::new()
            .file(
                "/boot/grub/menu.lst",
                corpus("debian12-grub-legacy-update-grub.menu.lst"),
            )
            .file(
                "/boot/grub/grub.cfg",
                corpus("debian12-grub-mkconfig.grub.cfg"),
            )
            .file("/etc/default/grub", corpus("debian12-default-grub"))
            .file(
                "/etc/default/grub.d/50-cloudimg-settings.cfg",
                "GRUB_TIMEOUT=0\n",
            )
            .file("/etc/default/grub.d/README", "x");
        let c = find(&t);
        assert_eq!(
            paths(&c),
            [
                "/boot/grub/grub.cfg",
                "/boot/grub/menu.lst",
                "/etc/default/grub",
                "/etc/default/grub.d/50-cloudimg-settings.cfg"
            ]
        );
        assert_eq!(c[3].kind, BootConfigKind::Grub2Defaults);
        let choice = pygrub_choice(&c).unwrap();
        assert_eq!(
            (choice.path.as_str(), choice.kind),
            ("/boot/grub/grub.cfg", BootConfigKind::Grub2)
        );
    }

    #[test]
    fn rhel7_grub2_bls_efi() {
        let t = MemFiles::new()
            .file(
                "/boot/grub2/grub.cfg",
                corpus("xen-pygrub/rhel-7-beta.grub2"),
            )
            .symlink("/etc/grub2.cfg", "../boot/grub2/grub.cfg")
            .symlink("/etc/grub2-efi.cfg", "../boot/efi/EFI/redhat/grub.cfg")
            .file("/etc/default/grub", "GRUB_TIMEOUT=5\n")
            .symlink("/etc/sysconfig/grub", "../default/grub")
            .file("/boot/loader/entries/abc-5.14.0.conf", "title x\n")
            .file("/boot/loader/entries/abc-0-rescue.conf", "title r\n")
            .dir("/boot/loader/entries/not-a-file.conf")
            .file("/boot/efi/EFI/centos/grub.cfg", "x")
            .file("/boot/efi/EFI/redhat/grub.conf", "x")
            .dir("/boot/efi/EFI/BOOT")
            .file("/boot/efi/EFI/stray.cfg", "x");
        let c = find(&t);
        assert_eq!(
            paths(&c),
            [
                "/boot/grub2/grub.cfg",
                "/etc/grub2.cfg",
                "/etc/grub2-efi.cfg",
                "/etc/default/grub",
                "/etc/sysconfig/grub",
                "/boot/loader/entries/abc-0-rescue.conf",
                "/boot/loader/entries/abc-5.14.0.conf",
                "/boot/efi/EFI/centos/grub.cfg",
                "/boot/efi/EFI/redhat/grub.conf",
            ]
        );
        let dangling = &c[2];
        assert_eq!(dangling.size, None);
        assert_eq!(dangling.canonical, None);
        assert_eq!(c[4].canonical.as_deref(), Some("/etc/default/grub"));
        assert_eq!(c[5].kind, BootConfigKind::Bls);
        assert_eq!(c[8].kind, BootConfigKind::GrubLegacy);
        assert_eq!(pygrub_choice(&c).unwrap().path, "/boot/grub2/grub.cfg");
    }

    #[test]
    fn extlinux_before_menu_lst() {
        let t = MemFiles::new()
            .file("/boot/grub/menu.lst", corpus("xen-tools-bookworm/menu.lst"))
            .file(
                "/boot/extlinux/extlinux.conf",
                corpus("xen-pygrub/alpine-linux-2.3.2.extlinux"),
            )
            .file("/boot/syslinux/syslinux.cfg", "DEFAULT linux\n");
        let c = find(&t);
        assert_eq!(pygrub_choice(&c).unwrap().kind, BootConfigKind::Extlinux);
        assert!(c.iter().any(|b| b.kind == BootConfigKind::Syslinux));
    }

    #[test]
    fn nothing_found() {
        let t = MemFiles::new()
            .dir("/boot/grub/grub.cfg")
            .dir("/boot/efi/EFI");
        assert!(find(&t).is_empty());
        assert!(pygrub_choice(&[]).is_none());
        let t = MemFiles::new().symlink("/boot/grub/grub.cfg", "nowhere");
        let c = find(&t);
        assert_eq!(c.len(), 1);
        assert!(pygrub_choice(&c).is_none());
    }
}
