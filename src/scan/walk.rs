//! The walk: every file under the given paths, once, by canonical path, in sorted order.
//!
//! Directories are walked recursively. Symbolic links met inside them are not followed (they
//! become *skipped* records) unless `--follow-symlinks`, and then every directory is entered at
//! most once, by (device, inode), so a link to an ancestor cannot loop. Paths given on the
//! command line are always resolved. Only regular files and block devices are candidates;
//! anything else is skipped without being opened (a FIFO would block a reader).

use super::record::Stamp;
use super::shard::Shard;
use std::collections::HashSet;
use std::fs::{self, Metadata};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// What the walk learned about a path without opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A regular file or block device: to be classified by content.
    Candidate { block_device: bool },
    /// Not audited, with the reason.
    Skip(String),
    /// Could not be walked (an unreadable directory, a missing path), with the reason.
    Fail(String),
}

/// One path the walk produced.
#[derive(Debug, Clone)]
pub struct Item {
    /// Canonical path (a symlink that was not followed keeps its own name in its canonical directory).
    pub path: PathBuf,
    pub stamp: Stamp,
    pub found: Found,
}

/// Walk options.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkOptions {
    pub follow_symlinks: bool,
    pub shard: Option<Shard>,
}

struct Walker {
    opts: WalkOptions,
    visited: HashSet<(u64, u64)>,
    stack: Vec<PathBuf>,
    items: Vec<Item>,
}

/// Walk `roots` and return the items (of the shard, if any), sorted by path, each path once.
pub fn walk(roots: &[PathBuf], opts: WalkOptions) -> Vec<Item> {
    let mut w = Walker {
        opts,
        visited: HashSet::new(),
        stack: Vec::new(),
        items: Vec::new(),
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    for root in roots {
        match fs::canonicalize(root).and_then(|c| fs::metadata(&c).map(|m| (c, m))) {
            Ok((c, m)) => w.entry(c, &m),
            Err(e) => {
                let abs = cwd.join(root);
                w.push(
                    abs,
                    Stamp::default(),
                    Found::Fail(format!("cannot read: {e}")),
                );
            }
        }
        while let Some(dir) = w.stack.pop() {
            w.read_dir(&dir);
        }
    }
    // Byte order of the paths (as `LC_ALL=C sort` would order them).
    w.items
        .sort_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    w.items.dedup_by(|a, b| a.path == b.path);
    w.items
}

impl Walker {
    fn push(&mut self, path: PathBuf, stamp: Stamp, found: Found) {
        if self.opts.shard.is_none_or(|s| s.contains(&path)) {
            self.items.push(Item { path, stamp, found });
        }
    }

    /// A resolved path (not a symlink) with its metadata.
    fn entry(&mut self, path: PathBuf, meta: &Metadata) {
        let ft = meta.file_type();
        if ft.is_dir() {
            // A directory already walked (a symlink loop, overlapping roots) is not entered again.
            if self.visited.insert((meta.dev(), meta.ino())) {
                self.stack.push(path);
            }
        } else if ft.is_file() {
            self.push(
                path,
                Stamp::of(meta),
                Found::Candidate {
                    block_device: false,
                },
            );
        } else if ft.is_block_device() {
            self.push(
                path,
                Stamp::of(meta),
                Found::Candidate { block_device: true },
            );
        } else {
            let what = if ft.is_fifo() {
                "a FIFO"
            } else if ft.is_socket() {
                "a socket"
            } else if ft.is_char_device() {
                "a character device"
            } else {
                "not a regular file"
            };
            self.push(
                path,
                Stamp::of(meta),
                Found::Skip(format!("{what}, not a regular file or block device")),
            );
        }
    }

    fn read_dir(&mut self, dir: &Path) {
        let rd = match fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                let stamp = fs::symlink_metadata(dir)
                    .map(|m| Stamp::of(&m))
                    .unwrap_or_default();
                self.push(
                    dir.to_path_buf(),
                    stamp,
                    Found::Fail(format!("cannot read directory: {e}")),
                );
                return;
            }
        };
        let mut names: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.file_name())).collect();
        names.sort();
        // Pushed in reverse so the stack pops directories in name order (the final sort makes
        // the output order independent of this anyway).
        let mut subdirs = Vec::new();
        for name in names {
            let p = dir.join(&name);
            let meta = match fs::symlink_metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    self.push(
                        p,
                        Stamp::default(),
                        Found::Fail(format!("cannot read: {e}")),
                    );
                    continue;
                }
            };
            if meta.file_type().is_symlink() {
                if !self.opts.follow_symlinks {
                    self.push(
                        p,
                        Stamp::of(&meta),
                        Found::Skip(
                            "symbolic link, not followed (--follow-symlinks follows links)".into(),
                        ),
                    );
                    continue;
                }
                match fs::canonicalize(&p).and_then(|c| fs::metadata(&c).map(|m| (c, m))) {
                    Ok((c, m)) if m.is_dir() => subdirs.push((c, m)),
                    Ok((c, m)) => self.entry(c, &m),
                    Err(e) => self.push(
                        p,
                        Stamp::of(&meta),
                        Found::Skip(format!("broken symbolic link: {e}")),
                    ),
                }
            } else if meta.is_dir() {
                subdirs.push((p, meta));
            } else {
                self.entry(p, &meta);
            }
        }
        for (p, m) in subdirs.into_iter().rev() {
            self.entry(p, &m);
        }
    }
}
