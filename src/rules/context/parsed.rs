//! Config files of the guest, each read once and parsed by its parser, keyed by the canonical
//! guest path (so `menu.lst -> grub.conf` and `/etc/grub2.cfg -> /boot/grub2/grub.cfg` are one file).

use crate::guest::files::GuestFiles;
use crate::guest::inventory::bootloader::{BootConfig, BootConfigKind};

/// A parsed guest file.
#[derive(Debug)]
pub struct Parsed<T> {
    /// Canonical guest path: the file an edit would change.
    pub path: String,
    pub doc: T,
}

/// Read and parse every config of `kind`, once per canonical path, in inventory order.
pub fn configs<T>(
    files: &dyn GuestFiles,
    all: &[BootConfig],
    kind: BootConfigKind,
    parse: fn(&str) -> T,
) -> Vec<Parsed<T>> {
    let mut out: Vec<Parsed<T>> = Vec::new();
    for c in all.iter().filter(|c| c.kind == kind) {
        let Ok(path) = files.canonicalize(&c.path) else {
            continue;
        };
        if out.iter().any(|p| p.path == path) {
            continue;
        }
        if let Some(text) = text(files, &path) {
            out.push(Parsed {
                doc: parse(&text),
                path,
            });
        }
    }
    out
}

/// Read and parse one guest file, if it exists and is readable text.
pub fn file<T>(files: &dyn GuestFiles, path: &str, parse: fn(&str) -> T) -> Option<Parsed<T>> {
    let canonical = files.canonicalize(path).ok()?;
    let t = text(files, &canonical)?;
    Some(Parsed {
        doc: parse(&t),
        path: canonical,
    })
}

/// A guest file as text, capped at 4 MiB (config files are small; anything bigger is not one).
pub fn text(files: &dyn GuestFiles, path: &str) -> Option<String> {
    files
        .read_file(path, 4 << 20)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}
