//! Extent trees for writing: read a tree of depth 0 or 1 into a flat block list plus its leaf
//! blocks, and build a tree for a new block list (in the inode when 4 runs fit, else one level
//! of up to 4 leaf blocks, each with its checksum tail).

use super::overlay::CowDevice;
use super::{corrupt, csum, refused, Result};
use crate::fs::ext::error::{le16, le32};

const MAGIC: u16 = 0xF30A;
/// Longest initialised run.
const MAX_RUN: u64 = 32768;
/// Entries in the in-inode root.
const ROOT_MAX: usize = 4;

/// A run: `len` blocks from logical `logical` at `physical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Run {
    pub logical: u64,
    pub physical: u64,
    pub len: u64,
}

/// Entries a leaf block holds.
pub(super) fn leaf_capacity(bs: u64) -> usize {
    ((bs - 12) / 12) as usize
}

fn header(b: &mut [u8], entries: usize, max: usize, depth: u16) {
    b[0..2].copy_from_slice(&MAGIC.to_le_bytes());
    b[2..4].copy_from_slice(&(entries as u16).to_le_bytes());
    b[4..6].copy_from_slice(&(max as u16).to_le_bytes());
    b[6..8].copy_from_slice(&depth.to_le_bytes());
    b[8..12].copy_from_slice(&0u32.to_le_bytes());
}

/// Check a node header; returns (entries, depth).
fn parse_header(b: &[u8], ino: u32) -> Result<(usize, u16)> {
    if b.len() < 12 || le16(b, 0) != MAGIC {
        return corrupt(format!("inode {ino}: bad extent header"));
    }
    let entries = le16(b, 2) as usize;
    let max = le16(b, 4) as usize;
    if entries > max || 12 + 12 * max > b.len() {
        return corrupt(format!("inode {ino}: extent node counts are impossible"));
    }
    Ok((entries, le16(b, 6)))
}

fn leaf_entries(b: &[u8], n: usize, blocks_count: u64, ino: u32, out: &mut Vec<Run>) -> Result<()> {
    for i in 0..n {
        let e = &b[12 + 12 * i..24 + 12 * i];
        let logical = le32(e, 0) as u64;
        let raw_len = le16(e, 4) as u64;
        let physical = le32(e, 8) as u64 | (le16(e, 6) as u64) << 32;
        if raw_len > MAX_RUN {
            return refused(format!(
                "inode {ino} has preallocated (unwritten) extents; not rewritten"
            ));
        }
        if raw_len == 0 || physical == 0 || physical.saturating_add(raw_len) > blocks_count {
            return corrupt(format!(
                "inode {ino}: extent at block {physical} is impossible"
            ));
        }
        out.push(Run {
            logical,
            physical,
            len: raw_len,
        });
    }
    Ok(())
}

/// Read a tree rooted in `i_block`: its runs and its leaf blocks (depth 1 only).
pub(super) fn read_tree(
    cow: &CowDevice,
    blocks_count: u64,
    seed: Option<u32>,
    ino: u32,
    i_block: &[u8],
) -> Result<(Vec<Run>, Vec<u64>)> {
    let (n, depth) = parse_header(i_block, ino)?;
    let mut runs = Vec::new();
    let mut leaves = Vec::new();
    match depth {
        0 => leaf_entries(i_block, n, blocks_count, ino, &mut runs)?,
        1 => {
            for i in 0..n {
                let e = &i_block[12 + 12 * i..24 + 12 * i];
                let leaf = le32(e, 4) as u64 | (le16(e, 8) as u64) << 32;
                if leaf == 0 || leaf >= blocks_count {
                    return corrupt(format!("inode {ino}: extent index points outside"));
                }
                let b = cow.read_block(leaf)?;
                if let Some(s) = seed {
                    if !csum::extent_block_ok(s, &b) {
                        return corrupt(format!("inode {ino}: extent block {leaf} checksum"));
                    }
                }
                let (m, d) = parse_header(&b, ino)?;
                if d != 0 {
                    return corrupt(format!("inode {ino}: extent leaf at wrong depth"));
                }
                leaf_entries(&b, m, blocks_count, ino, &mut runs)?;
                leaves.push(leaf);
            }
        }
        _ => {
            return refused(format!(
                "inode {ino} has an extent tree of depth {depth}; only depth 0 and 1 are rewritten"
            ))
        }
    }
    Ok((runs, leaves))
}

/// Merge a flat block list (logical 0..) into runs.
pub(super) fn runs_of(blocks: &[u64]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for (l, &p) in blocks.iter().enumerate() {
        if let Some(r) = out.last_mut() {
            if r.physical + r.len == p && r.len < MAX_RUN {
                r.len += 1;
                continue;
            }
        }
        out.push(Run {
            logical: l as u64,
            physical: p,
            len: 1,
        });
    }
    out
}

/// Leaf blocks a tree of `runs` needs (0: all in the inode).
pub(super) fn leaves_needed(runs: usize, bs: u64) -> Result<usize> {
    if runs <= ROOT_MAX {
        return Ok(0);
    }
    let n = runs.div_ceil(leaf_capacity(bs));
    if n > ROOT_MAX {
        return refused("the file is too fragmented for a one-level extent tree");
    }
    Ok(n)
}

fn put_leaf(b: &mut [u8], i: usize, r: &Run) {
    let o = 12 + 12 * i;
    b[o..o + 4].copy_from_slice(&(r.logical as u32).to_le_bytes());
    b[o + 4..o + 6].copy_from_slice(&(r.len as u16).to_le_bytes());
    b[o + 6..o + 8].copy_from_slice(&((r.physical >> 32) as u16).to_le_bytes());
    b[o + 8..o + 12].copy_from_slice(&(r.physical as u32).to_le_bytes());
}

/// Build the tree: the new `i_block` and the contents of each leaf block (`leaves` are the
/// blocks to use, exactly `leaves_needed` of them).
pub(super) fn build_tree(
    runs: &[Run],
    leaves: &[u64],
    bs: u64,
    seed: Option<u32>,
) -> ([u8; 60], Vec<(u64, Vec<u8>)>) {
    let mut root = [0u8; 60];
    if leaves.is_empty() {
        header(&mut root, runs.len(), ROOT_MAX, 0);
        for (i, r) in runs.iter().enumerate() {
            put_leaf(&mut root, i, r);
        }
        return (root, Vec::new());
    }
    let cap = leaf_capacity(bs);
    header(&mut root, leaves.len(), ROOT_MAX, 1);
    let mut blocks = Vec::new();
    for (i, (chunk, &leaf)) in runs.chunks(cap).zip(leaves).enumerate() {
        let o = 12 + 12 * i;
        root[o..o + 4].copy_from_slice(&(chunk[0].logical as u32).to_le_bytes());
        root[o + 4..o + 8].copy_from_slice(&(leaf as u32).to_le_bytes());
        root[o + 8..o + 10].copy_from_slice(&((leaf >> 32) as u16).to_le_bytes());
        let mut b = vec![0u8; bs as usize];
        header(&mut b, chunk.len(), cap, 0);
        for (j, r) in chunk.iter().enumerate() {
            put_leaf(&mut b, j, r);
        }
        if let Some(s) = seed {
            csum::set_extent_block(s, &mut b);
        }
        blocks.push((leaf, b));
    }
    (root, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_and_split() {
        let r = runs_of(&[10, 11, 12, 20, 21]);
        assert_eq!(r.len(), 2);
        assert_eq!((r[1].logical, r[1].physical, r[1].len), (3, 20, 2));
        assert_eq!(leaves_needed(4, 4096).unwrap(), 0);
        assert_eq!(leaves_needed(5, 4096).unwrap(), 1);
        assert_eq!(leaves_needed(85, 1024).unwrap(), 2);
        assert!(leaves_needed(84 * 4 + 1, 1024).is_err());
    }
}
