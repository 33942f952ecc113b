//! What rules read: the assembled guest, the target, the inventory, and each config file parsed
//! once (lazily) with its guest path. Rules never parse and never touch the image.

pub mod boot;
pub mod kernel;
pub mod parsed;
mod system;

pub use boot::{BootEntry, EntrySource};
pub use parsed::Parsed;

use super::finding::{Location, VolumeRef};
use super::target::Target;
use crate::guest::fstab::{self, Resolution, ResolvedFstab};
use crate::guest::inventory::boot_code::{self, BootCode};
use crate::guest::inventory::bootloader::BootConfigKind;
use crate::guest::inventory::{self, Inventory};
use crate::guest::volume::Volume;
use crate::guest::Guest;
use crate::parse::bls::{self, BlsEntry};
use crate::parse::extlinux::{self, Extlinux};
use crate::parse::grub2::{self, Grub2Config};
use crate::parse::grub_defaults::{self, GrubDefaults};
use crate::parse::grub_legacy::{self, GrubLegacy};
use std::cell::OnceCell;

/// Everything a rule may look at.
pub struct Context<'g> {
    pub guest: &'g Guest,
    pub target: Target,
    pub inventory: Inventory,
    pub boot_code: BootCode,
    grub_legacy: OnceCell<Vec<Parsed<GrubLegacy>>>,
    grub2: OnceCell<Vec<Parsed<Grub2Config>>>,
    bls: OnceCell<Vec<Parsed<BlsEntry>>>,
    grub_defaults: OnceCell<Vec<Parsed<GrubDefaults>>>,
    extlinux: OnceCell<Vec<Parsed<Extlinux>>>,
    entries: OnceCell<Vec<BootEntry>>,
    initramfs: OnceCell<kernel::InitramfsState>,
    kernel_configs: std::cell::RefCell<std::collections::HashMap<String, kernel::CachedConfig>>,
}

impl<'g> Context<'g> {
    /// Gather the facts rules read for `guest` moving to `target`.
    pub fn new(guest: &'g Guest, target: Target) -> Self {
        Context {
            inventory: inventory::collect(guest.files()),
            boot_code: boot_code::identify(&guest.boot_sector),
            guest,
            target,
            grub_legacy: OnceCell::new(),
            grub2: OnceCell::new(),
            bls: OnceCell::new(),
            grub_defaults: OnceCell::new(),
            extlinux: OnceCell::new(),
            entries: OnceCell::new(),
            initramfs: OnceCell::new(),
            kernel_configs: Default::default(),
        }
    }

    fn configs<T>(&self, kind: BootConfigKind, parse: fn(&str) -> T) -> Vec<Parsed<T>> {
        parsed::configs(
            self.guest.files(),
            &self.inventory.boot_configs,
            kind,
            parse,
        )
    }

    /// Every GRUB legacy config (`menu.lst`, `grub.conf`), once per real file.
    pub fn grub_legacy(&self) -> &[Parsed<GrubLegacy>] {
        self.grub_legacy
            .get_or_init(|| self.configs(BootConfigKind::GrubLegacy, grub_legacy::parse))
    }

    /// Every GRUB 2 `grub.cfg`, once per real file.
    pub fn grub2(&self) -> &[Parsed<Grub2Config>] {
        self.grub2
            .get_or_init(|| self.configs(BootConfigKind::Grub2, grub2::parse))
    }

    /// Every extlinux/syslinux config, once per real file.
    pub fn extlinux(&self) -> &[Parsed<Extlinux>] {
        self.extlinux.get_or_init(|| {
            let mut v = self.configs(BootConfigKind::Extlinux, extlinux::parse);
            for p in self.configs(BootConfigKind::Syslinux, extlinux::parse) {
                if !v.iter().any(|q| q.path == p.path) {
                    v.push(p);
                }
            }
            v
        })
    }

    /// Every BLS entry file.
    pub fn bls(&self) -> &[Parsed<BlsEntry>] {
        self.bls
            .get_or_init(|| self.configs(BootConfigKind::Bls, bls::parse))
    }

    /// `/etc/default/grub` and `/etc/sysconfig/grub` (once when one links to the other).
    pub fn grub_defaults(&self) -> &[Parsed<GrubDefaults>] {
        self.grub_defaults.get_or_init(|| {
            let mut v = self.configs(BootConfigKind::Grub2Defaults, grub_defaults::parse);
            for p in self.configs(BootConfigKind::SysconfigGrub, grub_defaults::parse) {
                if !v.iter().any(|q| q.path == p.path) {
                    v.push(p);
                }
            }
            v
        })
    }

    /// Canonical path of the config that boots: the one pygrub (and a chain-loading GRUB) reads.
    pub fn live_config(&self) -> Option<String> {
        let c = self.inventory.pygrub_choice.as_ref()?;
        self.guest.files().canonicalize(&c.path).ok()
    }

    /// Every boot entry of every config.
    pub fn boot_entries(&self) -> &[BootEntry] {
        self.entries.get_or_init(|| self.collect_entries())
    }

    /// The entry the guest boots by default, if any config is live.
    pub fn default_entry(&self) -> Option<&BootEntry> {
        self.boot_entries().iter().find(|e| e.is_live_default())
    }

    fn collect_entries(&self) -> Vec<BootEntry> {
        let live = self.live_config();
        let tree = &self.guest.tree;
        let volume_of = |p: &str| tree.volume_of(p);
        let at = boot::Placement {
            volumes: &self.guest.volumes,
            mounts: &self.guest.mounts,
            volume_of: &volume_of,
        };
        let is_live = |p: &str| live.as_deref() == Some(p);
        let mut out = Vec::new();
        for p in self.grub2() {
            out.extend(boot::grub2(p, &at, is_live(&p.path)));
        }
        let bls_live = self
            .grub2()
            .iter()
            .any(|p| is_live(&p.path) && p.doc.uses_blscfg());
        out.extend(boot::bls_entries(self.bls(), &at, bls_live));
        for p in self.grub_legacy() {
            out.extend(boot::grub_legacy(p, &at, is_live(&p.path)));
        }
        for p in self.extlinux() {
            out.extend(boot::extlinux(p, &at, is_live(&p.path)));
        }
        // A live blscfg grub.cfg boots its BLS entries: its own menuentries are not the default.
        if bls_live {
            for e in out.iter_mut().filter(|e| e.source == EntrySource::Grub2) {
                e.is_default = false;
            }
        }
        out
    }

    /// The root's fstab, resolved against the image.
    pub fn fstab(&self) -> Option<&ResolvedFstab> {
        self.guest.fstab.as_ref()
    }

    /// Resolve a device spec (`UUID=…`, `/dev/xvda1`) against the volumes of the image.
    pub fn resolve(&self, spec: &str) -> Resolution {
        fstab::resolve(spec, &self.guest.volumes, &self.guest.table)
    }

    /// The volume at `index`.
    pub fn volume(&self, index: usize) -> &Volume {
        &self.guest.volumes[index]
    }

    /// The short description of a volume carried by findings.
    pub fn volume_ref(&self, index: usize) -> VolumeRef {
        let v = self.volume(index);
        VolumeRef {
            partition: v.number,
            fs_type: v.fs_type().map(str::to_string),
            uuid: v.signature.as_ref().and_then(|s| s.uuid.clone()),
        }
    }

    /// A location in a guest file, with the volume that holds it.
    pub fn at(&self, path: &str, line: Option<usize>) -> Location {
        Location {
            path: Some(path.to_string()),
            line,
            volume: self.guest.tree.volume_of(path).map(|v| self.volume_ref(v)),
        }
    }

    /// A location on the disk itself (partition table, boot code).
    pub fn on_disk(&self) -> Location {
        Location {
            path: None,
            line: None,
            volume: None,
        }
    }

    /// A location on a volume as a whole.
    pub fn on_volume(&self, index: usize) -> Location {
        Location {
            path: None,
            line: None,
            volume: Some(self.volume_ref(index)),
        }
    }

    /// The guest's HVM kernel provides no `hvc0` at all (Debian 7): everything naming hvc0 must
    /// move to ttyS0 even where a PV console would otherwise still exist.
    pub fn no_hvc0_under_hvm(&self) -> bool {
        self.inventory.distro.as_ref().is_some_and(|d| {
            d.id == "debian"
                && d.version
                    .as_deref()
                    .is_some_and(|v| v == "7" || v.starts_with("7."))
        })
    }

    /// The severity a console rule uses on xen-pvhvm: hvc0 still exists there, so losing the
    /// serial console is a warning — unless the kernel has no hvc0 under HVM.
    pub fn pv_console_severity(&self, default: super::Severity) -> super::Severity {
        if self.target == Target::XenPvhvm && !self.no_hvc0_under_hvm() {
            super::Severity::Warning
        } else {
            default
        }
    }

    /// Kernel command lines that regenerate boot entries: `GRUB_CMDLINE_LINUX` and
    /// `GRUB_CMDLINE_LINUX_DEFAULT` of /etc/default/grub and /etc/sysconfig/grub (the last
    /// assignment of each), and Debian's `# kopt=` / `# xenkopt=` in GRUB legacy configs.
    pub fn template_cmdlines(&self) -> Vec<TemplateCmdline> {
        let mut out = Vec::new();
        for p in self.grub_defaults() {
            let assignments = [p.doc.cmdline_linux(), p.doc.cmdline_linux_default()];
            for a in assignments.into_iter().flatten() {
                out.push(TemplateCmdline {
                    path: p.path.clone(),
                    line: a.line,
                    text: a.text.clone(),
                    key: a.key.clone(),
                    cmdline: a.cmdline(),
                });
            }
        }
        for p in self.grub_legacy() {
            let Some(auto) = &p.doc.automagic else {
                continue;
            };
            for o in [auto.kopt(), auto.xenkopt()].into_iter().flatten() {
                out.push(TemplateCmdline {
                    path: p.path.clone(),
                    line: o.line,
                    text: o.text.clone(),
                    key: format!("# {}", o.key),
                    cmdline: o.cmdline(),
                });
            }
        }
        out
    }

    /// What a `saved` default of the config at `config` (a canonical path) reads: GRUB 2's
    /// `saved_entry` in the `grubenv` beside it, or for a GRUB legacy config the entry number on
    /// the first line of the `default` file beside it. `None` when that file is missing or
    /// holds no value (GRUB then boots the first entry).
    pub fn saved_default(&self, config: &str) -> Option<String> {
        let dir = config.rsplit_once('/').map_or("", |(d, _)| d);
        let legacy = self.grub_legacy().iter().any(|p| p.path == config);
        let file = if legacy { "default" } else { "grubenv" };
        let text = parsed::text(self.guest.files(), &format!("{dir}/{file}"))?;
        let value = if legacy {
            text.lines().next().map(str::trim)
        } else {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .find_map(|l| l.strip_prefix("saved_entry="))
        }?;
        Some(value.trim_end().to_string()).filter(|v| !v.is_empty() && !v.starts_with('#'))
    }
}

/// A command line that `grub-mkconfig` or `update-grub` copies into generated entries.
#[derive(Debug, Clone)]
pub struct TemplateCmdline {
    pub path: String,
    pub line: usize,
    pub text: String,
    /// `GRUB_CMDLINE_LINUX`, `# kopt`, …
    pub key: String,
    pub cmdline: crate::parse::cmdline::Cmdline,
}

impl Context<'_> {
    /// 512 bytes of the disk at sector `lba`, if the disk has them.
    pub fn disk_sector(&self, lba: u64) -> Option<Vec<u8>> {
        let off = lba.checked_mul(512)?;
        crate::image::read_vec(self.guest.disk.as_ref(), off, 512).ok()
    }
}
