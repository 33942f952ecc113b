//! Kernel facts for the rules: each kernel's `/boot/config-*`, Xen-only detection, and the
//! default entry's initramfs read as a stream (decompressed once, capped).

use super::parsed::{self, Parsed};
use super::Context;
use crate::guest::inventory::kernels::Kernel;
use crate::parse::initramfs::{self, Initramfs};
use crate::parse::kconfig::{self, KConfig};
use std::rc::Rc;

/// A kernel config as cached by the context (`None`: the guest has none for that version).
pub type CachedConfig = Option<Rc<Parsed<KConfig>>>;

/// What was learned from reading an initramfs.
#[derive(Debug)]
pub enum InitramfsState {
    /// The entry names no initrd.
    None,
    /// The file named does not exist or cannot be opened.
    Missing(String),
    /// Read (maybe with errors noted in `doc.errors`).
    Read(Parsed<Initramfs>),
}

impl<'g> Context<'g> {
    /// The parsed `/boot/config-VERSION`, if the guest has it; read once per audit.
    pub fn kernel_config(&self, version: &str) -> Option<Rc<Parsed<KConfig>>> {
        if let Some(c) = self.kernel_configs.borrow().get(version) {
            return c.clone();
        }
        let c = parsed::file(
            self.guest.files(),
            &format!("/boot/config-{version}"),
            kconfig::parse,
        )
        .map(Rc::new);
        self.kernel_configs
            .borrow_mut()
            .insert(version.to_string(), c.clone());
        c
    }

    /// `Some(why)` when kernel `version` only boots as a Xen PV guest (XenLinux): its config
    /// has CONFIG_X86_XEN / CONFIG_X86_64_XEN, or its name says `xen` (el5xen, -xen).
    pub fn xen_only_kernel(&self, version: &str) -> Option<String> {
        if let Some(c) = self.kernel_config(version) {
            if c.doc.is_xen_only() {
                return Some(format!("{} sets CONFIG_X86_XEN", c.path));
            }
            return None;
        }
        let v = version.to_ascii_lowercase();
        (v.ends_with("xen") || v.contains("-xen"))
            .then(|| format!("{version} is a XenLinux (-xen) kernel"))
    }

    /// The kernels of the inventory.
    pub fn kernels(&self) -> &[Kernel] {
        &self.inventory.kernels
    }

    /// The default entry's initramfs, read once.
    pub fn default_initramfs(&self) -> &InitramfsState {
        self.initramfs.get_or_init(|| {
            let Some(e) = self.default_entry() else {
                return InitramfsState::None;
            };
            let Some(first) = e.initrds.first() else {
                return InitramfsState::None;
            };
            let Some(Some(path)) = e.initrds_guest.first() else {
                return InitramfsState::Missing(first.clone());
            };
            let files = self.guest.files();
            let Ok(canonical) = files.canonicalize(path) else {
                return InitramfsState::Missing(path.clone());
            };
            match files.open_file(&canonical) {
                Ok(stream) => InitramfsState::Read(Parsed {
                    doc: initramfs::read(stream),
                    path: canonical,
                }),
                Err(_) => InitramfsState::Missing(path.clone()),
            }
        })
    }
}
