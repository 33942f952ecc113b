//! qcow2 images read natively through `imago`: v2/v3, compressed clusters, backing chains.

use super::{check_range, IoStats, OpenError, ReadAt};
use imago::file::File;
use imago::qcow2::Qcow2;
use imago::{FormatAccess, FormatDriverBuilder, PermissiveImplicitOpenGate};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Longest backing chain followed before the image is declared a loop.
const MAX_CHAIN: usize = 16;

/// The guest-visible disk of a qcow2 image (and its backing chain).
pub struct Qcow2Image {
    access: FormatAccess<File>,
    size: u64,
    stats: Arc<IoStats>,
    chain: Vec<String>,
}

impl Qcow2Image {
    /// Open a qcow2 image read-only, resolving backing files relative to the image.
    pub fn open(path: &Path, stats: Arc<IoStats>) -> Result<Self, OpenError> {
        let chain = backing_chain(path)?;
        let q = Qcow2::<File>::builder_path(path)
            .write(false)
            .open(PermissiveImplicitOpenGate::default())
            .map_err(|e| OpenError::Qcow2(e.to_string()))?;
        let access = FormatAccess::new(q);
        let size = access.size();
        Ok(Qcow2Image {
            access,
            size,
            stats,
            chain,
        })
    }

    /// Backing file names as written in each header, outermost first.
    pub fn backing_chain(&self) -> &[String] {
        &self.chain
    }
}

impl ReadAt for Qcow2Image {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        check_range(offset, buf.len(), self.size)?;
        self.stats.record(buf.len());
        self.access.read(buf, offset)
    }
    fn size(&self) -> u64 {
        self.size
    }
}

/// Follow the backing-file names of the headers, refusing loops and missing files.
fn backing_chain(path: &Path) -> Result<Vec<String>, OpenError> {
    let mut chain = Vec::new();
    let mut current = path.to_path_buf();
    let mut seen: Vec<PathBuf> = Vec::new();
    while let Some(name) = backing_name(&current)? {
        let next = current.parent().unwrap_or(Path::new(".")).join(&name);
        let canon = fs::canonicalize(&next).map_err(|e| {
            OpenError::Qcow2(format!(
                "backing file {name:?} of {}: {e}",
                current.display()
            ))
        })?;
        if seen.contains(&canon) || chain.len() >= MAX_CHAIN {
            return Err(OpenError::Qcow2(format!(
                "backing chain loops or is longer than {MAX_CHAIN} images at {name:?}"
            )));
        }
        seen.push(canon);
        chain.push(name);
        if !is_qcow2(&next) {
            break;
        }
        current = next;
    }
    Ok(chain)
}

fn is_qcow2(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"QFI\xfb"
}

/// The backing file name in a qcow2 header, if any.
fn backing_name(path: &Path) -> Result<Option<String>, OpenError> {
    let io_err = |e: io::Error| match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            OpenError::Qcow2(format!("the header of {} is truncated", path.display()))
        }
        _ => OpenError::Io(path.to_path_buf(), e),
    };
    let file = fs::File::open(path).map_err(io_err)?;
    let mut head = [0u8; 24];
    std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, 0).map_err(io_err)?;
    let off = u64::from_be_bytes(head[8..16].try_into().unwrap());
    let len = u32::from_be_bytes(head[16..20].try_into().unwrap()) as usize;
    if off == 0 || len == 0 {
        return Ok(None);
    }
    if len > 1023 {
        return Err(OpenError::Qcow2(format!(
            "backing file name of {len} bytes (qcow2 allows 1023)"
        )));
    }
    let mut name = vec![0u8; len];
    std::os::unix::fs::FileExt::read_exact_at(&file, &mut name, off).map_err(io_err)?;
    String::from_utf8(name)
        .map(Some)
        .map_err(|_| OpenError::Qcow2("backing file name is not UTF-8".into()))
}
