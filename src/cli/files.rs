//! `pv2hvm ls` and `pv2hvm cat`: read the guest's files as its OS would see them.

use super::{open_guest, ImageArg};
use crate::fs::{FileKind, FsError};
use std::io::Write;

#[derive(clap::Args)]
pub struct LsArgs {
    #[command(flatten)]
    image: ImageArg,
    /// Guest directory (absolute), e.g. /boot/grub
    #[arg(default_value = "/")]
    path: String,
    /// Long listing: type, size and symlink targets.
    #[arg(short, long)]
    long: bool,
}

#[derive(clap::Args)]
pub struct CatArgs {
    #[command(flatten)]
    image: ImageArg,
    /// Guest file (absolute), e.g. /etc/fstab
    path: String,
    /// Largest file to print, in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    max_size: u64,
}

fn path_error(path: &str, e: &FsError) -> i32 {
    eprintln!("pv2hvm: {path}: {e}");
    1
}

/// List a guest directory.
pub fn ls(a: LsArgs) -> i32 {
    let guest = match open_guest(&a.image.image) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let files = guest.files();
    let entries = match files.read_dir(&a.path) {
        Ok(e) => e,
        Err(e) => return path_error(&a.path, &e),
    };
    let mut out = std::io::stdout().lock();
    for e in entries {
        if !a.long {
            let _ = writeln!(out, "{}", e.name);
            continue;
        }
        let full = format!("{}/{}", a.path.trim_end_matches('/'), e.name);
        let meta = files.symlink_metadata(&full);
        let (t, len) = match &meta {
            Ok(m) => (kind_char(m.kind), m.len),
            Err(_) => ('?', 0),
        };
        let target = match e.kind {
            FileKind::Symlink => files
                .read_link(&full)
                .map(|t| format!(" -> {t}"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let _ = writeln!(out, "{t} {len:>10} {}{target}", e.name);
    }
    0
}

fn kind_char(k: FileKind) -> char {
    match k {
        FileKind::Dir => 'd',
        FileKind::File => '-',
        FileKind::Symlink => 'l',
        FileKind::Special => 's',
    }
}

/// Print a guest file.
pub fn cat(a: CatArgs) -> i32 {
    let guest = match open_guest(&a.image.image) {
        Ok(g) => g,
        Err(code) => return code,
    };
    match guest.files().read_file(&a.path, a.max_size) {
        Ok(bytes) => {
            let _ = std::io::stdout().lock().write_all(&bytes);
            0
        }
        Err(e) => path_error(&a.path, &e),
    }
}
