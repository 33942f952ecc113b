//! The planner: which host bytes change so that a qcow2 file reads back a set of guest writes.
//!
//! Metadata clusters (header, L1, L2, refcount table and blocks) are read once into a cache and
//! edited there; at the end, existing clusters yield only their changed byte runs and new
//! clusters yield their whole content. Data written in place goes straight into the plan.

use super::header::{Header, AUTOCLEAR_OFFSET, MAX_HOST_OFFSET};
use super::tables::{L1Entry, L2Entry, COPIED, OFFSET_MASK};
use super::{HostPlan, Qcow2WriteError};
use crate::image::{IoStats, OpenError, Qcow2Image, ReadAt, Write};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Most bytes a plan may hold in memory (cached metadata, new clusters, in-place data).
const MAX_PLAN_BYTES: u64 = 1 << 30;
/// Equal bytes tolerated inside one write when diffing a metadata cluster.
const DIFF_GAP: usize = 16;

struct Cached {
    /// Content as planned.
    cur: Vec<u8>,
    /// Content in the file, kept once the cluster is modified.
    orig: Option<Vec<u8>>,
    /// Allocated by this plan.
    new: bool,
}

/// The state of one planning run over one file.
pub struct Planner {
    path: PathBuf,
    file: fs::File,
    pub(super) h: Header,
    pub(super) old_len: u64,
    /// Next candidate host offset for allocation.
    next: u64,
    /// Clusters allocated by the plan, in allocation order.
    pub(super) new_clusters: Vec<u64>,
    new_set: HashSet<u64>,
    meta: BTreeMap<u64, Cached>,
    /// New data clusters.
    data: BTreeMap<u64, Vec<u8>>,
    /// Writes into existing data clusters, in guest order.
    in_place: Vec<Write>,
    /// Existing data clusters written in place.
    claimed: BTreeSet<u64>,
    bytes: u64,
    guest: Option<Qcow2Image>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Qcow2WriteError + '_ {
    move |e| Qcow2WriteError::Io(path.to_path_buf(), e)
}

/// See [`super::plan_host_writes`].
pub fn plan(path: &Path, guest: &[Write]) -> Result<HostPlan, Qcow2WriteError> {
    let file = fs::File::open(path).map_err(io_err(path))?;
    let old_len = file.metadata().map_err(io_err(path))?.len();
    let mut head = vec![0u8; old_len.min(Header::PREFIX as u64) as usize];
    file.read_exact_at(&mut head, 0).map_err(io_err(path))?;
    let h = Header::parse(&head, old_len)?;
    let cs = h.cluster_size;

    // Split the guest writes by guest cluster, keeping their order within each cluster.
    let mut groups: BTreeMap<u64, Vec<(usize, &[u8])>> = BTreeMap::new();
    for w in guest {
        let end = w
            .offset
            .checked_add(w.data.len() as u64)
            .filter(|&e| e <= h.size)
            .ok_or_else(|| {
                Qcow2WriteError::BadWrite(format!(
                    "write of {} bytes at {} is past the virtual size ({} bytes)",
                    w.data.len(),
                    w.offset,
                    h.size
                ))
            })?;
        let mut pos = w.offset;
        while pos < end {
            let cluster = pos / cs;
            let stop = end.min((cluster + 1) * cs);
            let from = (pos - w.offset) as usize;
            let to = (stop - w.offset) as usize;
            groups
                .entry(cluster)
                .or_default()
                .push(((pos % cs) as usize, &w.data[from..to]));
            pos = stop;
        }
    }

    let mut p = Planner {
        path: path.to_path_buf(),
        file,
        next: old_len.div_ceil(cs) * cs,
        h,
        old_len,
        new_clusters: Vec::new(),
        new_set: HashSet::new(),
        meta: BTreeMap::new(),
        data: BTreeMap::new(),
        in_place: Vec::new(),
        claimed: BTreeSet::new(),
        bytes: 0,
        guest: None,
    };
    if groups.is_empty() {
        return Ok(HostPlan {
            writes: Vec::new(),
            old_len,
            new_len: old_len,
        });
    }
    for (cluster, pieces) in &groups {
        p.guest_cluster(*cluster, pieces)?;
    }
    if p.h.version >= 3 && p.h.autoclear != 0 {
        // A writer must clear the autoclear bits it does not know (bitmaps are refused).
        p.set_u64(AUTOCLEAR_OFFSET, 0)?;
    }
    p.ensure_refblocks()?;
    p.finish()
}

impl Planner {
    fn budget(&mut self, n: u64) -> Result<(), Qcow2WriteError> {
        self.bytes += n;
        if self.bytes > MAX_PLAN_BYTES {
            return Err(Qcow2WriteError::Refused(format!(
                "the writes need more than {MAX_PLAN_BYTES} bytes of clusters in memory"
            )));
        }
        Ok(())
    }

    pub(super) fn is_new(&self, off: u64) -> bool {
        self.new_set.contains(&off)
    }

    fn load(&mut self, off: u64) -> Result<(), Qcow2WriteError> {
        if self.meta.contains_key(&off) {
            return Ok(());
        }
        if off >= self.old_len || !off.is_multiple_of(self.h.cluster_size) {
            return Err(Qcow2WriteError::Corrupt(format!(
                "metadata cluster at {off:#x} is unaligned or past the end of the file"
            )));
        }
        if self.claimed.contains(&off) {
            return Err(Qcow2WriteError::Corrupt(format!(
                "cluster at {off:#x} is both data and metadata"
            )));
        }
        self.budget(self.h.cluster_size)?;
        let mut cur = vec![0u8; self.h.cluster_size as usize];
        let n = (self.old_len - off).min(self.h.cluster_size) as usize;
        self.file
            .read_exact_at(&mut cur[..n], off)
            .map_err(io_err(&self.path))?;
        self.meta.insert(
            off,
            Cached {
                cur,
                orig: None,
                new: false,
            },
        );
        Ok(())
    }

    /// A metadata cluster, read-only.
    pub(super) fn cluster(&mut self, off: u64) -> Result<&[u8], Qcow2WriteError> {
        self.load(off)?;
        Ok(&self.meta[&off].cur)
    }

    /// A metadata cluster, for editing.
    pub(super) fn cluster_mut(&mut self, off: u64) -> Result<&mut [u8], Qcow2WriteError> {
        self.load(off)?;
        let c = self.meta.get_mut(&off).expect("loaded");
        if !c.new && c.orig.is_none() {
            c.orig = Some(c.cur.clone());
            self.bytes += self.h.cluster_size;
            if self.bytes > MAX_PLAN_BYTES {
                return Err(Qcow2WriteError::Refused(format!(
                    "the writes need more than {MAX_PLAN_BYTES} bytes of clusters in memory"
                )));
            }
        }
        Ok(&mut self.meta.get_mut(&off).expect("loaded").cur)
    }

    pub(super) fn get_u64(&mut self, off: u64) -> Result<u64, Qcow2WriteError> {
        let base = off & !(self.h.cluster_size - 1);
        let i = (off - base) as usize;
        let c = self.cluster(base)?;
        let mut b = [0u8; 8];
        b.copy_from_slice(&c[i..i + 8]);
        Ok(u64::from_be_bytes(b))
    }

    pub(super) fn set_u64(&mut self, off: u64, v: u64) -> Result<(), Qcow2WriteError> {
        let base = off & !(self.h.cluster_size - 1);
        let i = (off - base) as usize;
        self.cluster_mut(base)?[i..i + 8].copy_from_slice(&v.to_be_bytes());
        Ok(())
    }

    /// Register a new, zeroed metadata cluster at `off` (from [`Planner::allocate`]).
    pub(super) fn new_zero_cluster(&mut self, off: u64) -> Result<(), Qcow2WriteError> {
        self.budget(self.h.cluster_size)?;
        self.meta.insert(
            off,
            Cached {
                cur: vec![0u8; self.h.cluster_size as usize],
                orig: None,
                new: true,
            },
        );
        Ok(())
    }

    /// A new cluster at the end of the file, skipping clusters past the end that already have a
    /// refcount (compressed data may end in one).
    pub(super) fn allocate(&mut self) -> Result<u64, Qcow2WriteError> {
        loop {
            let cand = self.next;
            self.next = cand
                .checked_add(self.h.cluster_size)
                .filter(|&n| n <= MAX_HOST_OFFSET)
                .ok_or_else(|| Qcow2WriteError::Refused("the file would grow too large".into()))?;
            if self.refcount(cand)? == 0 {
                self.new_clusters.push(cand);
                self.new_set.insert(cand);
                return Ok(cand);
            }
        }
    }

    fn shared(&self, what: &str, off: u64) -> Qcow2WriteError {
        Qcow2WriteError::Refused(format!(
            "{what} at {off:#x} is shared (refcount is not 1 or COPIED is clear); write into an \
             overlay instead"
        ))
    }

    /// Plan the writes `pieces` (offset in cluster, bytes) into guest cluster `gc`.
    fn guest_cluster(&mut self, gc: u64, pieces: &[(usize, &[u8])]) -> Result<(), Qcow2WriteError> {
        let h = self.h.clone();
        let cs = h.cluster_size;
        let l1_index = gc / h.l2_entries();
        let l2_index = gc % h.l2_entries();
        if l1_index >= h.l1_size {
            return Err(Qcow2WriteError::Corrupt(format!(
                "guest cluster {gc} is beyond the L1 table"
            )));
        }
        let l1_off = h.l1_table_offset + l1_index * 8;
        let raw = self.get_u64(l1_off)?;
        let l2_table = if self.is_new(raw & OFFSET_MASK) {
            raw & OFFSET_MASK
        } else {
            let l1 = L1Entry::decode(raw, &h, self.old_len)?;
            if l1.l2_offset == 0 {
                let t = self.allocate()?;
                self.new_zero_cluster(t)?;
                self.set_u64(l1_off, t | COPIED)?;
                t
            } else {
                if !l1.copied || self.refcount(l1.l2_offset)? != 1 {
                    return Err(self.shared("L2 table", l1.l2_offset));
                }
                l1.l2_offset
            }
        };
        let entry_off = l2_table + l2_index * 8;
        let raw = self.get_u64(entry_off)?;
        let entry = L2Entry::decode(raw, &h, self.old_len)?;
        if let L2Entry::Data { offset, copied, .. } = entry {
            if !copied || self.refcount(offset)? != 1 {
                return Err(self.shared("data cluster", offset));
            }
            if self.meta.contains_key(&offset) || !self.claimed.insert(offset) {
                return Err(Qcow2WriteError::Corrupt(format!(
                    "data cluster at {offset:#x} is referenced twice or is also metadata"
                )));
            }
        }
        match entry {
            L2Entry::Data {
                offset,
                zero: false,
                ..
            } => {
                for (at, bytes) in pieces {
                    self.budget(bytes.len() as u64)?;
                    self.in_place.push(Write {
                        offset: offset + *at as u64,
                        data: bytes.to_vec(),
                    });
                }
            }
            L2Entry::Data {
                offset, zero: true, ..
            } => {
                // Preallocated zeros: rewrite the whole cluster and clear the zero flag.
                self.budget(cs)?;
                let mut content = vec![0u8; cs as usize];
                merge(&mut content, pieces);
                self.in_place.push(Write {
                    offset,
                    data: content,
                });
                self.set_u64(entry_off, offset | COPIED)?;
            }
            L2Entry::Unallocated | L2Entry::Zero | L2Entry::Compressed { .. } => {
                self.budget(cs)?;
                let mut content = vec![0u8; cs as usize];
                if entry != L2Entry::Zero && !covers(pieces, cs as usize) {
                    let len = (h.size - gc * cs).min(cs) as usize;
                    self.read_guest(gc * cs, &mut content[..len])?;
                }
                merge(&mut content, pieces);
                if let L2Entry::Compressed { offset, len } = entry {
                    // Every host cluster the compressed bytes touch was counted once for them.
                    let first = offset >> h.cluster_bits;
                    let last = (offset + len - 1) >> h.cluster_bits;
                    for c in first..=last {
                        self.adjust_refcount(c << h.cluster_bits, -1)?;
                    }
                }
                let d = self.allocate()?;
                self.data.insert(d, content);
                self.set_u64(entry_off, d | COPIED)?;
            }
        }
        Ok(())
    }

    /// Read guest bytes through the image and its backing chain.
    fn read_guest(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), Qcow2WriteError> {
        if self.guest.is_none() {
            let q = Qcow2Image::open(&self.path, Arc::new(IoStats::default())).map_err(
                |e| match e {
                    OpenError::Io(p, e) => Qcow2WriteError::Io(p, e),
                    other => Qcow2WriteError::Corrupt(other.to_string()),
                },
            )?;
            self.guest = Some(q);
        }
        self.guest
            .as_ref()
            .expect("opened")
            .read_at(offset, buf)
            .map_err(io_err(&self.path))
    }

    /// The plan: new clusters in file order, then the changed runs of existing metadata, then
    /// the data written in place.
    fn finish(self) -> Result<HostPlan, Qcow2WriteError> {
        for off in &self.claimed {
            if self.meta.contains_key(off) {
                return Err(Qcow2WriteError::Corrupt(format!(
                    "cluster at {off:#x} is both data and metadata"
                )));
            }
        }
        let mut writes = Vec::new();
        let mut news = self.new_clusters.clone();
        news.sort_unstable();
        let mut meta = self.meta;
        let mut data = self.data;
        for off in news {
            let content = match data.remove(&off) {
                Some(c) => c,
                None => meta.remove(&off).map(|c| c.cur).unwrap_or_default(),
            };
            writes.push(Write {
                offset: off,
                data: content,
            });
        }
        for (off, c) in &meta {
            if let (false, Some(orig)) = (c.new, &c.orig) {
                diff(*off, orig, &c.cur, &mut writes);
            }
        }
        writes.extend(self.in_place);
        let new_len = writes
            .iter()
            .map(|w| w.offset + w.data.len() as u64)
            .fold(self.old_len, u64::max);
        Ok(HostPlan {
            writes,
            old_len: self.old_len,
            new_len,
        })
    }
}

/// Apply the pieces in order over a cluster's content.
fn merge(content: &mut [u8], pieces: &[(usize, &[u8])]) {
    for (at, bytes) in pieces {
        content[*at..*at + bytes.len()].copy_from_slice(bytes);
    }
}

/// Whether the pieces together cover `[0, len)`.
fn covers(pieces: &[(usize, &[u8])], len: usize) -> bool {
    let mut spans: Vec<(usize, usize)> = pieces.iter().map(|(a, b)| (*a, a + b.len())).collect();
    spans.sort_unstable();
    let mut reach = 0;
    for (a, b) in spans {
        if a > reach {
            return false;
        }
        reach = reach.max(b);
    }
    reach >= len
}

/// Writes for the byte runs where `cur` differs from `orig`, joining runs closer than
/// [`DIFF_GAP`].
fn diff(base: u64, orig: &[u8], cur: &[u8], out: &mut Vec<Write>) {
    let mut i = 0;
    let n = cur.len();
    while i < n {
        if orig[i] == cur[i] {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        let mut j = end;
        while j < n && j - end < DIFF_GAP {
            if orig[j] != cur[j] {
                end = j + 1;
            }
            j += 1;
        }
        out.push(Write {
            offset: base + start as u64,
            data: cur[start..end].to_vec(),
        });
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_runs() {
        let orig = vec![0u8; 64];
        let mut cur = orig.clone();
        cur[3] = 1;
        cur[10] = 1;
        cur[40] = 1;
        let mut w = Vec::new();
        diff(100, &orig, &cur, &mut w);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].offset, 103);
        assert_eq!(w[0].data.len(), 8);
        assert_eq!(w[1].offset, 140);
    }

    #[test]
    fn coverage() {
        let a = [1u8; 4];
        assert!(covers(&[(0, &a), (4, &a)], 8));
        assert!(!covers(&[(0, &a), (5, &a)], 9));
        assert!(!covers(&[], 1));
    }
}
