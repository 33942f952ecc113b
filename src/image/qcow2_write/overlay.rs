//! A new qcow2 v3 overlay over an untouched base image, holding the guest writes.
//!
//! The empty overlay (64 KiB clusters, 16-bit refcounts) is laid out as: header cluster (header,
//! backing-format extension, backing file name), refcount table (one cluster: files up to
//! 16 TiB), refcount block 0, L1 table. The guest writes are then planned against it with the
//! same planner as for existing images, so copy-on-write content comes through the base.

use super::header::{NewHeader, MAX_L1_BYTES};
use super::{planner, Qcow2WriteError};
use crate::image::{ImageFormat, OpenError, Write};
use std::fs;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Component, Path, PathBuf};

const CLUSTER_BITS: u32 = 16;
const CLUSTER_SIZE: u64 = 1 << CLUSTER_BITS;
/// Longest backing file name qemu accepts.
const MAX_NAME: usize = 1023;

fn io_err(path: &Path) -> impl Fn(io::Error) -> Qcow2WriteError + '_ {
    move |e| Qcow2WriteError::Io(path.to_path_buf(), e)
}

/// See [`super::create_overlay`].
pub fn create(base: &Path, output: &Path, guest: &[Write]) -> Result<(), Qcow2WriteError> {
    if fs::symlink_metadata(output).is_ok() {
        return Err(Qcow2WriteError::Exists(output.to_path_buf()));
    }
    let img = crate::image::open(base).map_err(|e| match e {
        OpenError::Io(p, e) => Qcow2WriteError::Io(p, e),
        other => Qcow2WriteError::Refused(format!("base {}: {other}", base.display())),
    })?;
    let fmt = match img.format {
        ImageFormat::Qcow2 => "qcow2",
        _ => "raw",
    };
    let size = img.device.size();
    drop(img);
    if size % 512 != 0 {
        return Err(Qcow2WriteError::Refused(format!(
            "the base's size ({size} bytes) is not a multiple of 512"
        )));
    }
    let file_name = output
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Qcow2WriteError::Refused("the output path has no file name".into()))?;
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = backing_name(base, dir)?;
    let empty = empty_image(size, &name, fmt)?;

    let tmp = dir.join(format!(".{file_name}.{}.pv2hvm-tmp", std::process::id()));
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io_err(&tmp))?;
    let built = (|| {
        let (head, len) = empty;
        f.write_all_at(&head, 0).map_err(io_err(&tmp))?;
        f.set_len(len).map_err(io_err(&tmp))?;
        let plan = planner::plan(&tmp, guest)?;
        for w in &plan.writes {
            f.write_all_at(&w.data, w.offset).map_err(io_err(&tmp))?;
        }
        f.set_len(plan.new_len).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        publish(&tmp, output)
    })();
    drop(f);
    let _ = fs::remove_file(&tmp);
    built?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

/// Link `tmp` to `output` without replacing an existing file.
fn publish(tmp: &Path, output: &Path) -> Result<(), Qcow2WriteError> {
    match fs::hard_link(tmp, output) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(Qcow2WriteError::Exists(output.to_path_buf()))
        }
        // A filesystem without hard links: rename, after checking once more.
        Err(_) => {
            if fs::symlink_metadata(output).is_ok() {
                return Err(Qcow2WriteError::Exists(output.to_path_buf()));
            }
            fs::rename(tmp, output).map_err(io_err(output))
        }
    }
}

/// The backing file name: `base` relative to the overlay's directory, else absolute.
fn backing_name(base: &Path, dir: &Path) -> Result<String, Qcow2WriteError> {
    let base_abs = fs::canonicalize(base).map_err(io_err(base))?;
    let dir_abs = fs::canonicalize(dir).map_err(io_err(dir))?;
    let rel = relative(&dir_abs, &base_abs);
    for cand in [rel, Some(base_abs.clone())].into_iter().flatten() {
        if let Some(s) = cand.to_str() {
            if !s.is_empty() && s.len() <= MAX_NAME {
                return Ok(s.to_string());
            }
        }
    }
    Err(Qcow2WriteError::Refused(format!(
        "the base path {} is not UTF-8 or longer than {MAX_NAME} bytes",
        base_abs.display()
    )))
}

/// `to` relative to directory `from`, both absolute and canonical.
fn relative(from: &Path, to: &Path) -> Option<PathBuf> {
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return None;
    }
    let mut r = PathBuf::new();
    for _ in common..a.len() {
        r.push("..");
    }
    for c in &b[common..] {
        r.push(c);
    }
    Some(r)
}

/// The first three clusters of an empty overlay (header, refcount table, refcount block 0)
/// and the file length (the L1 table, zeroed, follows).
fn empty_image(size: u64, backing: &str, fmt: &str) -> Result<(Vec<u8>, u64), Qcow2WriteError> {
    let l1_size = size.div_ceil(CLUSTER_SIZE).div_ceil(CLUSTER_SIZE / 8);
    if l1_size * 8 > MAX_L1_BYTES {
        return Err(Qcow2WriteError::Refused(format!(
            "virtual size {size} needs an L1 table over {MAX_L1_BYTES} bytes"
        )));
    }
    let l1_clusters = (l1_size * 8).div_ceil(CLUSTER_SIZE).max(1);
    let clusters = 3 + l1_clusters;
    let cs = CLUSTER_SIZE as usize;
    let mut head = NewHeader {
        size,
        cluster_bits: CLUSTER_BITS,
        l1_size: l1_size as u32,
        l1_table_offset: 3 * CLUSTER_SIZE,
        refcount_table_offset: CLUSTER_SIZE,
        refcount_table_clusters: 1,
        backing,
        backing_fmt: fmt,
    }
    .to_cluster();
    head.resize(3 * cs, 0);
    head[cs..cs + 8].copy_from_slice(&(2 * CLUSTER_SIZE).to_be_bytes());
    for i in 0..clusters as usize {
        head[2 * cs + 2 * i..2 * cs + 2 * i + 2].copy_from_slice(&1u16.to_be_bytes());
    }
    Ok((head, clusters * CLUSTER_SIZE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let r = |a: &str, b: &str| relative(Path::new(a), Path::new(b)).unwrap();
        assert_eq!(r("/a/b", "/a/b/c.img"), PathBuf::from("c.img"));
        assert_eq!(r("/a/b", "/a/x/c.img"), PathBuf::from("../x/c.img"));
        assert_eq!(r("/a/b", "/c.img"), PathBuf::from("../../c.img"));
    }
}
