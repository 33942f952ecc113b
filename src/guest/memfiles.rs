//! An in-memory `GuestFiles` for tests: files, directories and symlinks held in a map, with the
//! same symlink-following rules as the real guest view. Not used on real images.

use crate::fs::{DirEntry, FileKind, FsError, Meta};
use crate::guest::files::GuestFiles;
use std::collections::BTreeMap;
use std::io::Read;

/// Most symlinks followed while resolving one path (the Linux limit).
const MAX_SYMLINK_HOPS: usize = 40;

#[derive(Debug, Clone)]
enum Node {
    File(Vec<u8>),
    Dir,
    Symlink(String),
    Special,
}

/// A guest file tree held in memory. Build it with [`MemFiles::file`], [`MemFiles::symlink`],
/// [`MemFiles::dir`]; parent directories are created as needed.
#[derive(Debug, Clone, Default)]
pub struct MemFiles {
    nodes: BTreeMap<String, Node>,
}

/// Splits a path into its non-empty components (`.` kept, handled by the resolver).
fn components(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

/// `/a/b` from components.
fn join(parts: &[String]) -> String {
    if parts.is_empty() {
        "/".to_string()
    } else {
        format!("/{}", parts.join("/"))
    }
}

impl MemFiles {
    /// An empty tree holding only `/`.
    pub fn new() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert("/".to_string(), Node::Dir);
        MemFiles { nodes }
    }

    /// Lexically normalised absolute path (no symlink resolution): used for insertion.
    fn lexical(path: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in components(path) {
            match c {
                "." => {}
                ".." => {
                    out.pop();
                }
                other => out.push(other.to_string()),
            }
        }
        out
    }

    fn insert(&mut self, path: &str, node: Node) {
        let parts = Self::lexical(path);
        for i in 1..parts.len() {
            self.nodes.entry(join(&parts[..i])).or_insert(Node::Dir);
        }
        self.nodes.insert(join(&parts), node);
    }

    /// Adds a regular file (replacing whatever was at `path`).
    pub fn file(mut self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.insert(path, Node::File(contents.as_ref().to_vec()));
        self
    }

    /// Adds a symlink whose stored target is `target` (absolute or relative).
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.insert(path, Node::Symlink(target.to_string()));
        self
    }

    /// Adds an (empty) directory.
    pub fn dir(mut self, path: &str) -> Self {
        self.insert(path, Node::Dir);
        self
    }

    /// Adds a device node (reads of it fail as they would for a special file).
    pub fn special(mut self, path: &str) -> Self {
        self.insert(path, Node::Special);
        self
    }

    /// Canonical path of `path`, following symlinks in directories and (when `follow_last`) the
    /// final component too.
    fn resolve(&self, path: &str, follow_last: bool) -> Result<String, FsError> {
        let mut todo: Vec<String> = components(path).rev().map(str::to_string).collect();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0usize;
        while let Some(c) = todo.pop() {
            match c.as_str() {
                "." => continue,
                ".." => {
                    cur.pop();
                    continue;
                }
                _ => {}
            }
            cur.push(c);
            let here = join(&cur);
            let is_last = todo.is_empty();
            match self.nodes.get(&here) {
                None => return Err(FsError::NotFound),
                Some(Node::Symlink(target)) if !is_last || follow_last => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(FsError::Corrupt(format!("too many symlinks at {here}")));
                    }
                    cur.pop();
                    if target.starts_with('/') {
                        cur.clear();
                    }
                    for t in components(target).rev() {
                        todo.push(t.to_string());
                    }
                }
                Some(Node::File(_)) | Some(Node::Special) if !is_last => {
                    return Err(FsError::NotADirectory)
                }
                Some(_) => {}
            }
        }
        Ok(join(&cur))
    }

    fn node(&self, path: &str, follow_last: bool) -> Result<(String, &Node), FsError> {
        let canon = self.resolve(path, follow_last)?;
        let node = self.nodes.get(&canon).ok_or(FsError::NotFound)?;
        Ok((canon, node))
    }

    fn meta(node: &Node) -> Meta {
        let (kind, len, mode) = match node {
            Node::File(d) => (FileKind::File, d.len() as u64, 0o100644),
            Node::Dir => (FileKind::Dir, 0, 0o040755),
            Node::Symlink(t) => (FileKind::Symlink, t.len() as u64, 0o120777),
            Node::Special => (FileKind::Special, 0, 0o020600),
        };
        Meta {
            kind,
            len,
            mode,
            mtime: 0,
        }
    }

    fn kind(node: &Node) -> FileKind {
        Self::meta(node).kind
    }
}

impl GuestFiles for MemFiles {
    fn metadata(&self, path: &str) -> Result<Meta, FsError> {
        self.node(path, true).map(|(_, n)| Self::meta(n))
    }

    fn symlink_metadata(&self, path: &str) -> Result<Meta, FsError> {
        self.node(path, false).map(|(_, n)| Self::meta(n))
    }

    fn read_link(&self, path: &str) -> Result<String, FsError> {
        match self.node(path, false)? {
            (_, Node::Symlink(t)) => Ok(t.clone()),
            _ => Err(FsError::NotASymlink),
        }
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let (canon, node) = self.node(path, true)?;
        if !matches!(node, Node::Dir) {
            return Err(FsError::NotADirectory);
        }
        let prefix = if canon == "/" {
            "/".to_string()
        } else {
            format!("{canon}/")
        };
        let mut out: Vec<DirEntry> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains('/'))
            .map(|(k, n)| DirEntry {
                name: k[prefix.len()..].to_string(),
                kind: Self::kind(n),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        match self.node(path, true)? {
            (_, Node::File(d)) => {
                if d.len() as u64 > limit {
                    Err(FsError::TooLarge {
                        len: d.len() as u64,
                        limit,
                    })
                } else {
                    Ok(d.clone())
                }
            }
            (_, Node::Dir) => Err(FsError::IsADirectory),
            _ => Err(FsError::Unsupported("not a regular file".into())),
        }
    }

    fn open_file(&self, path: &str) -> Result<Box<dyn Read + '_>, FsError> {
        match self.node(path, true)? {
            (_, Node::File(d)) => Ok(Box::new(d.as_slice())),
            (_, Node::Dir) => Err(FsError::IsADirectory),
            _ => Err(FsError::Unsupported("not a regular file".into())),
        }
    }

    fn canonicalize(&self, path: &str) -> Result<String, FsError> {
        self.node(path, true).map(|(c, _)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> MemFiles {
        MemFiles::new()
            .file("/usr/lib/os-release", "ID=debian\n")
            .symlink("/etc/os-release", "../usr/lib/os-release")
            .symlink("/lib", "usr/lib")
            .symlink("/loop", "/loop")
            .file("/etc/hosts", "x")
    }

    #[test]
    fn follows_relative_and_absolute_links() {
        let t = tree();
        assert_eq!(t.read_text("/etc/os-release").unwrap(), "ID=debian\n");
        assert_eq!(t.read_text("/lib/os-release").unwrap(), "ID=debian\n");
        assert_eq!(
            t.canonicalize("/etc/os-release").unwrap(),
            "/usr/lib/os-release"
        );
        assert_eq!(
            t.symlink_metadata("/etc/os-release").unwrap().kind,
            FileKind::Symlink
        );
        assert_eq!(
            t.read_link("/etc/os-release").unwrap(),
            "../usr/lib/os-release"
        );
        assert_eq!(t.read_link("/etc/hosts"), Err(FsError::NotASymlink));
    }

    #[test]
    fn errors_are_errors_not_panics() {
        let t = tree();
        assert!(matches!(t.metadata("/loop"), Err(FsError::Corrupt(_))));
        assert_eq!(t.metadata("/nope"), Err(FsError::NotFound));
        assert_eq!(t.metadata("/etc/hosts/x"), Err(FsError::NotADirectory));
        assert_eq!(t.read_file("/etc", 10), Err(FsError::IsADirectory));
        assert!(matches!(
            t.read_file("/etc/hosts", 0),
            Err(FsError::TooLarge { len: 1, limit: 0 })
        ));
        assert_eq!(t.canonicalize("/../etc/./hosts").unwrap(), "/etc/hosts");
    }

    #[test]
    fn lists_directories_sorted() {
        let t = tree();
        let names: Vec<String> = t
            .read_dir("/")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["etc", "lib", "loop", "usr"]);
        let names: Vec<String> = t
            .read_dir("/lib")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["os-release"]);
        assert_eq!(t.read_dir("/etc/hosts"), Err(FsError::NotADirectory));
    }
}
