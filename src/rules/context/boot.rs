//! Boot entries of every bootloader config, in one shape: title, kernel and initrd (as written
//! and as guest paths), the kernel command line with its line, and whether it is the default
//! entry of the live config. GRUB reads files relative to a partition; the guest path is that
//! partition's mount point plus the path.

use super::parsed::Parsed;
use crate::guest::tree::Mount;
use crate::guest::volume::Volume;
use crate::parse::bls::{self, BlsEntry};
use crate::parse::cmdline::Cmdline;
use crate::parse::extlinux::Extlinux;
use crate::parse::grub2::{DefaultTarget, Grub2Config, MenuEntry, SearchKind};
use crate::parse::grub_legacy::{DefaultEntry, Entry, GrubLegacy};
use serde::Serialize;

/// The bootloader family an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntrySource {
    GrubLegacy,
    Grub2,
    Bls,
    Extlinux,
}

/// One bootable entry.
#[derive(Debug, Clone, Serialize)]
pub struct BootEntry {
    /// Canonical guest path of the file holding the entry (a BLS entry is its own file).
    pub config: String,
    pub source: EntrySource,
    /// Position in its config (BLS: in menu order).
    pub index: usize,
    pub title: String,
    /// Line of the kernel (`kernel`, `linux`, `options`) line carrying the command line.
    pub cmdline_line: usize,
    /// That line's text.
    pub cmdline_text: String,
    pub cmdline: Cmdline,
    /// Kernel path as written, and as a guest path when it could be placed.
    pub kernel: Option<String>,
    pub kernel_guest: Option<String>,
    pub initrds: Vec<String>,
    pub initrds_guest: Vec<Option<String>>,
    /// Boots the Xen hypervisor with this kernel as dom0.
    pub xen_hypervisor: bool,
    /// The default entry of its config.
    pub is_default: bool,
    /// Its config is the one that boots (pygrub's choice; BLS entries of a live blscfg grub.cfg).
    pub live: bool,
}

impl BootEntry {
    /// The default entry of the live config.
    pub fn is_live_default(&self) -> bool {
        self.live && self.is_default
    }
    /// The kernel version, from the file name (`vmlinuz-2.6.32-754.el6.x86_64`).
    pub fn kernel_version(&self) -> Option<&str> {
        let name = self.kernel.as_deref()?.rsplit('/').next()?;
        ["vmlinuz-", "vmlinux-", "kernel-", "bzImage-"]
            .iter()
            .find_map(|p| name.strip_prefix(p))
    }
}

/// Where GRUB's relative paths point: volumes and their mount points.
pub struct Placement<'a> {
    pub volumes: &'a [Volume],
    pub mounts: &'a [Mount],
    /// Volume holding each config path (from the guest tree).
    pub volume_of: &'a dyn Fn(&str) -> Option<usize>,
}

impl Placement<'_> {
    fn by_number(&self, n: u32) -> Option<usize> {
        self.volumes.iter().find(|v| v.number == n).map(|v| v.index)
    }
    fn by_uuid(&self, uuid: &str) -> Option<usize> {
        self.volumes
            .iter()
            .find(|v| {
                v.signature
                    .as_ref()
                    .and_then(|s| s.uuid.as_ref())
                    .is_some_and(|u| u.eq_ignore_ascii_case(uuid))
            })
            .map(|v| v.index)
    }
    /// The guest path of `path` read from volume `v`.
    fn guest_path(&self, v: Option<usize>, path: &str) -> Option<String> {
        let v = v?;
        let mp = &self.mounts.iter().find(|m| m.volume == v)?.mountpoint;
        let rel = strip_device(path);
        Some(if mp == "/" {
            format!("/{}", rel.trim_start_matches('/'))
        } else {
            format!("{mp}/{}", rel.trim_start_matches('/'))
        })
    }
}

/// `(hd0,1)/vmlinuz` or `($root)/vmlinuz` → `/vmlinuz`.
fn strip_device(p: &str) -> &str {
    if p.starts_with('(') {
        p.find(')').map_or(p, |i| &p[i + 1..])
    } else {
        p
    }
}

/// `hd0,msdos2` / `hd0,gpt3` / `hd0,2` (GRUB 2 counts partitions from 1) → 2.
fn grub2_partition(dev: &str) -> Option<u32> {
    let dev = dev.trim_matches(|c| c == '(' || c == ')' || c == '\'' || c == '"');
    let part = dev.split(',').nth(1)?;
    part.trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .ok()
}

/// Entries of a GRUB legacy config.
pub fn grub_legacy(p: &Parsed<GrubLegacy>, at: &Placement, live: bool) -> Vec<BootEntry> {
    let default = match p.doc.default_entry() {
        DefaultEntry::Entry(i) => i,
        _ => 0,
    };
    let own = (at.volume_of)(&p.path);
    p.doc
        .entries
        .iter()
        .filter_map(|e| legacy_entry(p, e, at, own, e.index == default, live))
        .collect()
}

fn legacy_entry(
    p: &Parsed<GrubLegacy>,
    e: &Entry,
    at: &Placement,
    own: Option<usize>,
    is_default: bool,
    live: bool,
) -> Option<BootEntry> {
    let k = e.linux()?;
    // GRUB legacy counts partitions from 0: (hd0,0) is partition 1. A device GRUB cannot find
    // (no such partition) leaves the file where pygrub would look: the config's own volume.
    let vol = |dev: Option<&crate::parse::grub_legacy::GrubDevice>| {
        dev.and_then(|d| match d.partition {
            Some(n) => at.by_number(n + 1),
            None => at.by_number(0),
        })
        .or(own)
    };
    let root = vol(e.root.as_ref().and_then(|r| r.device.as_ref()));
    let kernel_vol = k.device.as_ref().map_or(root, |d| vol(Some(d)));
    let initrds: Vec<String> = e.initrd_path().map(str::to_string).into_iter().collect();
    Some(BootEntry {
        config: p.path.clone(),
        source: EntrySource::GrubLegacy,
        index: e.index,
        title: e.title.clone(),
        cmdline_line: k.line,
        cmdline_text: k.text.clone(),
        cmdline: k.cmdline.clone(),
        kernel_guest: at.guest_path(kernel_vol, &k.path),
        kernel: Some(k.path.clone()),
        initrds_guest: initrds.iter().map(|i| at.guest_path(root, i)).collect(),
        initrds,
        xen_hypervisor: e.is_xen(),
        is_default,
        live,
    })
}

/// Entries of a GRUB 2 config (without the BLS entries a `blscfg` line pulls in).
pub fn grub2(p: &Parsed<Grub2Config>, at: &Placement, live: bool) -> Vec<BootEntry> {
    let default = match p.doc.default_entry().target {
        DefaultTarget::Entry(i) => i,
        _ => 0,
    };
    let own = (at.volume_of)(&p.path);
    p.doc
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| grub2_entry(p, i, e, at, own, i == default, live))
        .collect()
}

fn grub2_root(e: &MenuEntry, at: &Placement, own: Option<usize>) -> Option<usize> {
    let by_search = e.search.iter().find_map(|s| match (s.kind, &s.key) {
        (Some(SearchKind::FsUuid), Some(k)) => at.by_uuid(&k.value),
        _ => None,
    });
    let by_set = e
        .root
        .last()
        .and_then(|r| grub2_partition(&r.value))
        .and_then(|n| at.by_number(n));
    by_search.or(by_set).or(own)
}

fn grub2_entry(
    p: &Parsed<Grub2Config>,
    i: usize,
    e: &MenuEntry,
    at: &Placement,
    own: Option<usize>,
    is_default: bool,
    live: bool,
) -> Option<BootEntry> {
    let k = e.kernel()?;
    let root = grub2_root(e, at, own);
    let path = k.path.as_ref().map(|w| w.value.clone());
    let kernel_vol = match path.as_deref().filter(|p| p.starts_with("(hd")) {
        Some(p) => grub2_partition(p).and_then(|n| at.by_number(n)),
        None => root,
    };
    let initrds: Vec<String> = e.initrd_paths().into_iter().map(str::to_string).collect();
    Some(BootEntry {
        config: p.path.clone(),
        source: EntrySource::Grub2,
        index: i,
        title: e.path.clone(),
        cmdline_line: k.line,
        cmdline_text: k.text.clone(),
        cmdline: k.cmdline.clone(),
        kernel_guest: path.as_deref().and_then(|p| at.guest_path(kernel_vol, p)),
        kernel: path,
        initrds_guest: initrds.iter().map(|i| at.guest_path(root, i)).collect(),
        initrds,
        xen_hypervisor: e.is_xen(),
        is_default,
        live,
    })
}

/// BLS entries in GRUB's menu order; the first is the default unless `saved` says otherwise.
pub fn bls_entries(list: &[Parsed<BlsEntry>], at: &Placement, live: bool) -> Vec<BootEntry> {
    let ids: Vec<(&str, &BlsEntry)> = list
        .iter()
        .map(|p| {
            let name = p.path.rsplit('/').next().unwrap_or("");
            (bls::id_from_file_name(name), &p.doc)
        })
        .collect();
    let order = bls::menu_order(&ids);
    order
        .iter()
        .enumerate()
        .filter_map(|(pos, &i)| bls_entry(&list[i], pos, at, live))
        .collect()
}

fn bls_entry(p: &Parsed<BlsEntry>, pos: usize, at: &Placement, live: bool) -> Option<BootEntry> {
    let e = &p.doc;
    let kernel = e.kernel_path()?.to_string();
    let own = (at.volume_of)(&p.path);
    let options = e.options.last();
    let initrds: Vec<String> = e.initrd_paths().into_iter().map(str::to_string).collect();
    Some(BootEntry {
        config: p.path.clone(),
        source: EntrySource::Bls,
        index: pos,
        title: e
            .title
            .as_ref()
            .map_or_else(|| kernel.clone(), |t| t.value.clone()),
        cmdline_line: options.map_or(0, |o| o.line),
        cmdline_text: options.map_or_else(String::new, |o| o.text.clone()),
        cmdline: e.cmdline(),
        kernel_guest: at.guest_path(own, &kernel),
        kernel: Some(kernel),
        initrds_guest: initrds.iter().map(|i| at.guest_path(own, i)).collect(),
        initrds,
        xen_hypervisor: false,
        is_default: pos == 0,
        live,
    })
}

/// Entries of an extlinux/syslinux config. Paths without a leading `/` are relative to the
/// config's own directory, as syslinux reads them.
pub fn extlinux(p: &Parsed<Extlinux>, at: &Placement, live: bool) -> Vec<BootEntry> {
    let own = (at.volume_of)(&p.path);
    let dir = p.path.rsplit_once('/').map_or("", |(d, _)| d);
    let place = |f: &str| {
        if f.starts_with('/') {
            at.guest_path(own, f)
        } else {
            Some(format!("{dir}/{f}"))
        }
    };
    let default = p.doc.default_index();
    p.doc
        .labels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let k = l.kernel.as_ref()?;
            let line = l.append.as_ref().unwrap_or(k);
            Some(BootEntry {
                config: p.path.clone(),
                source: EntrySource::Extlinux,
                index: i,
                title: l.name.clone(),
                cmdline_line: line.line,
                cmdline_text: line.text.clone(),
                cmdline: l.cmdline(),
                kernel_guest: place(&k.value),
                kernel: Some(k.value.clone()),
                initrds_guest: l.initrds.iter().map(|f| place(f)).collect(),
                initrds: l.initrds.clone(),
                xen_hypervisor: false,
                is_default: Some(i) == default,
                live,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grub_devices() {
        assert_eq!(strip_device("(hd0,0)/vmlinuz"), "/vmlinuz");
        assert_eq!(strip_device("($root)/boot/vmlinuz"), "/boot/vmlinuz");
        assert_eq!(strip_device("/vmlinuz"), "/vmlinuz");
        assert_eq!(grub2_partition("hd0,msdos2"), Some(2));
        assert_eq!(grub2_partition("'hd0,gpt3'"), Some(3));
        assert_eq!(grub2_partition("(hd0,1)"), Some(1));
        assert_eq!(grub2_partition("hd0"), None);
    }
}
