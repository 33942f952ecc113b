//! Directories: path lookup, and insertion of one entry into an existing block with room
//! (linear directories: any block; htree directories: the leaf the name hashes to). A
//! directory is never grown: when no block has room the insertion is refused.

use super::{corrupt, csum, refused, ExtWriter, Result, WriteError};
use crate::fs::ext::error::{le16, le32};
use crate::fs::ext::extent::{file_extents, MapLimits};
use crate::fs::ext::inode::{flags, Inode};
use crate::fs::ext::superblock::incompat;

/// Largest directory (in blocks) the writer reads.
const MAX_DIR_BLOCKS: u64 = 1 << 16;
/// Deepest path followed.
const MAX_COMPONENTS: usize = 256;

/// File types of directory entries.
pub(super) const FT_REG: u8 = 1;
pub(super) const FT_DIR: u8 = 2;
pub(super) const FT_SYMLINK: u8 = 7;

/// One entry of a directory block.
struct Ent {
    off: usize,
    ino: u32,
    rec_len: usize,
    name_len: usize,
}

fn rec_len_from_disk(raw: u16, bs: usize) -> usize {
    if bs >= 65536 && (raw == 65535 || raw == 0) {
        bs
    } else {
        raw as usize
    }
}

fn rec_len_to_disk(len: usize) -> u16 {
    if len >= 65536 {
        65535
    } else {
        len as u16
    }
}

fn entry_size(name_len: usize) -> usize {
    (8 + name_len + 3) & !3
}

/// Parse the entries of `b[..end]`.
fn entries(b: &[u8], end: usize, what: &dyn Fn() -> String) -> Result<Vec<Ent>> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < end {
        if off + 8 > end {
            return corrupt(format!("{}: entry runs past the block", what()));
        }
        let rec_len = rec_len_from_disk(le16(b, off + 4), b.len());
        let name_len = b[off + 6] as usize;
        if rec_len < 8
            || !rec_len.is_multiple_of(4)
            || off + rec_len > end
            || 8 + name_len > rec_len
        {
            return corrupt(format!("{}: bad entry at offset {off}", what()));
        }
        out.push(Ent {
            off,
            ino: le32(b, off),
            rec_len,
            name_len,
        });
        off += rec_len;
    }
    Ok(out)
}

/// Write an entry at `off`.
fn put_entry(b: &mut [u8], off: usize, ino: u32, rec_len: usize, name: &[u8], ft: u8) {
    b[off..off + 4].copy_from_slice(&ino.to_le_bytes());
    b[off + 4..off + 6].copy_from_slice(&rec_len_to_disk(rec_len).to_le_bytes());
    b[off + 6] = name.len() as u8;
    b[off + 7] = ft;
    b[off + 8..off + 8 + name.len()].copy_from_slice(name);
    for x in &mut b[off + 8 + name.len()..off + entry_size(name.len()).min(rec_len)] {
        *x = 0;
    }
}

/// Insert into `b[..end]` if some entry has the room; returns whether it did.
fn try_insert(
    b: &mut [u8],
    end: usize,
    name: &[u8],
    ino: u32,
    ft: u8,
    what: &dyn Fn() -> String,
) -> Result<bool> {
    let need = entry_size(name.len());
    for e in entries(b, end, what)? {
        let used = if e.ino == 0 {
            0
        } else {
            entry_size(e.name_len)
        };
        if e.rec_len < used + need {
            continue;
        }
        if e.ino == 0 {
            put_entry(b, e.off, ino, e.rec_len, name, ft);
        } else {
            b[e.off + 4..e.off + 6].copy_from_slice(&rec_len_to_disk(used).to_le_bytes());
            put_entry(b, e.off + used, ino, e.rec_len - used, name, ft);
        }
        return Ok(true);
    }
    Ok(false)
}

impl ExtWriter {
    /// Physical block of each logical block of a directory (`None`: a hole).
    fn dir_blocks(&self, inode: &Inode) -> Result<Vec<Option<u64>>> {
        let bs = self.sb.block_size();
        let n = inode.size.div_ceil(bs);
        if n > MAX_DIR_BLOCKS {
            return refused(format!("directory inode {} is too large", inode.ino));
        }
        let mut out = vec![None; n as usize];
        for e in file_extents(&self.cow, &self.sb, inode, MapLimits::default())? {
            for i in 0..e.len as u64 {
                let l = e.logical + i;
                if l < n && !e.uninit {
                    out[l as usize] = Some(e.physical + i);
                }
            }
        }
        Ok(out)
    }

    /// Does the directory block carry a checksum tail (so entries end 12 bytes early)?
    fn entries_end(&self, b: &[u8]) -> usize {
        if self.csum.is_some() && csum::has_dir_tail(b) {
            b.len() - 12
        } else {
            b.len()
        }
    }

    /// Look `name` up in directory `dir`: its inode number.
    pub(super) fn lookup(&self, dir: u32, name: &[u8]) -> Result<Option<u32>> {
        let (_, inode) = self.load_inode(dir)?;
        if !inode.is_dir() {
            return Err(WriteError::NotFound(format!(
                "inode {dir} is not a directory"
            )));
        }
        if inode.flags & flags::ENCRYPT != 0 {
            return refused(format!("directory inode {dir} is encrypted"));
        }
        let what = || format!("directory inode {dir}");
        for p in self.dir_blocks(&inode)?.into_iter().flatten() {
            let b = self.cow.read_block(p)?;
            let end = self.entries_end(&b);
            for e in entries(&b, end, &what)? {
                if e.ino != 0 && &b[e.off + 8..e.off + 8 + e.name_len] == name {
                    return Ok(Some(e.ino));
                }
            }
        }
        Ok(None)
    }

    /// The inode of an absolute path, following no symlink.
    pub(super) fn resolve(&self, path: &str) -> Result<u32> {
        if !path.starts_with('/') {
            return refused(format!("{path:?} is not an absolute path"));
        }
        let mut cur = 2u32;
        let parts: Vec<&str> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        if parts.len() > MAX_COMPONENTS {
            return refused("path too deep");
        }
        for (i, c) in parts.iter().enumerate() {
            let (_, inode) = self.load_inode(cur)?;
            if inode.is_symlink() {
                return refused(format!(
                    "{} is a symbolic link; resolve it first",
                    parts[..i].join("/")
                ));
            }
            if !inode.is_dir() {
                return Err(WriteError::NotFound(format!(
                    "{path}: not a directory on the way"
                )));
            }
            cur = self
                .lookup(cur, c.as_bytes())?
                .ok_or_else(|| WriteError::NotFound(path.to_string()))?;
        }
        Ok(cur)
    }

    /// Insert `name` → `ino` (of type `ft`) into directory `dir`, stamping the directory.
    pub(super) fn insert_entry(&mut self, dir: u32, name: &[u8], ino: u32, ft: u8) -> Result<()> {
        let (mut rec, inode) = self.load_inode(dir)?;
        let seed = self.owner_seed(&rec);
        let blocks = self.dir_blocks(&inode)?;
        let bs = self.sb.block_size() as usize;
        let indexed = inode.flags & flags::INDEX != 0;
        let candidates: Vec<usize> = if indexed {
            if !self.has_dir_index() {
                return refused(format!(
                    "directory inode {dir} is indexed but the filesystem lacks dir_index"
                ));
            }
            vec![self.htree_leaf(dir, seed, &blocks, name)?]
        } else {
            (0..blocks.len()).collect()
        };
        let what = || format!("directory inode {dir}");
        for l in candidates {
            let Some(p) = blocks.get(l).copied().flatten() else {
                return corrupt(format!("directory inode {dir}: block {l} is a hole"));
            };
            let mut b = self.cow.read_block(p)?;
            let end = if let Some(s) = seed {
                if !csum::has_dir_tail(&b) {
                    if indexed {
                        return corrupt(format!("directory inode {dir}: leaf lacks its tail"));
                    }
                    continue;
                }
                if !csum::dir_block_ok(s, &b) {
                    return corrupt(format!("directory inode {dir}: block {l} checksum"));
                }
                bs - 12
            } else {
                bs
            };
            if try_insert(&mut b, end, name, ino, ft, &what)? {
                if let Some(s) = seed {
                    csum::set_dir_block(s, &mut b);
                }
                self.cow.write_block(p, b)?;
                self.touch(&mut rec, true);
                return self.store_inode(&mut rec);
            }
        }
        Err(WriteError::NoSpace(format!(
            "directory inode {dir} has no room for the entry{}; growing directories is not \
             supported",
            if indexed {
                " in the htree leaf its hash selects"
            } else {
                ""
            }
        )))
    }

    /// The logical leaf block of an htree directory where `name` belongs.
    fn htree_leaf(
        &self,
        dir: u32,
        seed: Option<u32>,
        blocks: &[Option<u64>],
        name: &[u8],
    ) -> Result<usize> {
        let bad = |m: &str| corrupt(format!("htree directory inode {dir}: {m}"));
        let bs = self.sb.block_size() as usize;
        let Some(Some(p0)) = blocks.first() else {
            return bad("no root block");
        };
        let mut node = self.cow.read_block(*p0)?;
        if le16(&node, 4) != 12 || node[6] != 1 || node[8] != b'.' || node[12 + 6] != 2 {
            return bad("root does not start with . and ..");
        }
        if rec_len_from_disk(le16(&node, 16), bs) != bs - 12
            || le32(&node, 0x18) != 0
            || node[0x1D] != 8
        {
            return bad("bad root info");
        }
        let levels = node[0x1E] as usize;
        let max_levels = if self.sb.feature_incompat & incompat::LARGEDIR != 0 {
            3
        } else {
            2
        };
        if levels >= max_levels {
            return bad("too many index levels");
        }
        let mut version = node[0x1C];
        if version > 5 {
            return refused(format!(
                "htree directory inode {dir} uses hash version {version} (casefold siphash)"
            ));
        }
        if version <= 2 && self.sb.flags & 0x2 != 0 {
            version += 3;
        }
        let hash = dirhash(name, version, &self.sb.hash_seed);
        let tail = if seed.is_some() { 8 } else { 0 };
        let mut count_at = 0x20;
        for level in 0..=levels {
            let limit = le16(&node, count_at) as usize;
            let count = le16(&node, count_at + 2) as usize;
            if limit != (bs - count_at - tail) / 8 || count == 0 || count > limit {
                return bad("index counts are impossible");
            }
            if let Some(s) = seed {
                if !csum::dx_node_ok(s, &node, count_at) {
                    return bad("index node checksum is wrong");
                }
            }
            let mut pick = 0;
            for i in 1..count {
                if le32(&node, count_at + 8 * i) <= hash {
                    pick = i;
                } else {
                    break;
                }
            }
            let blk = (le32(&node, count_at + 8 * pick + 4) & 0x0FFF_FFFF) as usize;
            if level == levels {
                return Ok(blk);
            }
            let Some(Some(p)) = blocks.get(blk) else {
                return bad("index points outside the directory");
            };
            node = self.cow.read_block(*p)?;
            if le32(&node, 0) != 0 || rec_len_from_disk(le16(&node, 4), bs) != bs {
                return bad("bad index node");
            }
            count_at = 8;
        }
        bad("unreachable")
    }
}

// ---- directory hashes (fs/ext4/hash.c) ----

fn tea_transform(buf: &mut [u32; 4], inp: &[u32]) {
    let mut sum = 0u32;
    let (mut b0, mut b1) = (buf[0], buf[1]);
    let (a, b, c, d) = (inp[0], inp[1], inp[2], inp[3]);
    for _ in 0..16 {
        sum = sum.wrapping_add(0x9E37_79B9);
        b0 = b0.wrapping_add(
            (b1 << 4).wrapping_add(a) ^ b1.wrapping_add(sum) ^ (b1 >> 5).wrapping_add(b),
        );
        b1 = b1.wrapping_add(
            (b0 << 4).wrapping_add(c) ^ b0.wrapping_add(sum) ^ (b0 >> 5).wrapping_add(d),
        );
    }
    buf[0] = buf[0].wrapping_add(b0);
    buf[1] = buf[1].wrapping_add(b1);
}

fn half_md4_transform(buf: &mut [u32; 4], x: &[u32]) {
    let (mut a, mut b, mut c, mut d) = (buf[0], buf[1], buf[2], buf[3]);
    let f = |x: u32, y: u32, z: u32| z ^ (x & (y ^ z));
    let g = |x: u32, y: u32, z: u32| (x & y).wrapping_add((x ^ y) & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    const K2: u32 = 0o13240474631;
    const K3: u32 = 0o15666365641;
    macro_rules! round {
        ($f:expr, $a:ident, $b:ident, $c:ident, $d:ident, $x:expr, $s:expr) => {
            $a = $a
                .wrapping_add($f($b, $c, $d))
                .wrapping_add($x)
                .rotate_left($s)
        };
    }
    round!(f, a, b, c, d, x[0], 3);
    round!(f, d, a, b, c, x[1], 7);
    round!(f, c, d, a, b, x[2], 11);
    round!(f, b, c, d, a, x[3], 19);
    round!(f, a, b, c, d, x[4], 3);
    round!(f, d, a, b, c, x[5], 7);
    round!(f, c, d, a, b, x[6], 11);
    round!(f, b, c, d, a, x[7], 19);
    round!(g, a, b, c, d, x[1].wrapping_add(K2), 3);
    round!(g, d, a, b, c, x[3].wrapping_add(K2), 5);
    round!(g, c, d, a, b, x[5].wrapping_add(K2), 9);
    round!(g, b, c, d, a, x[7].wrapping_add(K2), 13);
    round!(g, a, b, c, d, x[0].wrapping_add(K2), 3);
    round!(g, d, a, b, c, x[2].wrapping_add(K2), 5);
    round!(g, c, d, a, b, x[4].wrapping_add(K2), 9);
    round!(g, b, c, d, a, x[6].wrapping_add(K2), 13);
    round!(h, a, b, c, d, x[3].wrapping_add(K3), 3);
    round!(h, d, a, b, c, x[7].wrapping_add(K3), 9);
    round!(h, c, d, a, b, x[2].wrapping_add(K3), 11);
    round!(h, b, c, d, a, x[6].wrapping_add(K3), 15);
    round!(h, a, b, c, d, x[1].wrapping_add(K3), 3);
    round!(h, d, a, b, c, x[5].wrapping_add(K3), 9);
    round!(h, c, d, a, b, x[0].wrapping_add(K3), 11);
    round!(h, b, c, d, a, x[4].wrapping_add(K3), 15);
    buf[0] = buf[0].wrapping_add(a);
    buf[1] = buf[1].wrapping_add(b);
    buf[2] = buf[2].wrapping_add(c);
    buf[3] = buf[3].wrapping_add(d);
}

fn legacy_hash(name: &[u8], signed: bool) -> u32 {
    let (mut h0, mut h1) = (0x12a3_fe2du32, 0x37ab_e8f9u32);
    for &c in name {
        let v = if signed { c as i8 as i32 } else { c as i32 };
        let mut h = h1.wrapping_add(h0 ^ (v.wrapping_mul(7_152_373) as u32));
        if h & 0x8000_0000 != 0 {
            h = h.wrapping_sub(0x7fff_ffff);
        }
        h1 = h0;
        h0 = h;
    }
    h0 << 1
}

fn str2hashbuf(msg: &[u8], num: usize, signed: bool) -> Vec<u32> {
    let len = msg.len() as u32;
    let mut pad = len | (len << 8);
    pad |= pad << 16;
    let mut out = Vec::with_capacity(num);
    let mut val = pad;
    let take = msg.len().min(num * 4);
    for (i, &c) in msg[..take].iter().enumerate() {
        let v = if signed {
            c as i8 as i32 as u32
        } else {
            c as u32
        };
        val = v.wrapping_add(val << 8);
        if i % 4 == 3 {
            out.push(val);
            val = pad;
        }
    }
    if out.len() < num {
        out.push(val);
    }
    while out.len() < num {
        out.push(pad);
    }
    out
}

/// The major hash of `name` with hash version `v` (0..=5) and the superblock seed.
pub(super) fn dirhash(name: &[u8], v: u8, seed: &[u32; 4]) -> u32 {
    let mut buf = [0x6745_2301u32, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    if seed.iter().any(|&s| s != 0) {
        buf = *seed;
    }
    let signed = v <= 2;
    let hash = match v {
        0 | 3 => legacy_hash(name, signed),
        1 | 4 => {
            let mut p = name;
            loop {
                let inp = str2hashbuf(p, 8, signed);
                half_md4_transform(&mut buf, &inp);
                if p.len() <= 32 {
                    break;
                }
                p = &p[32..];
            }
            buf[1]
        }
        _ => {
            let mut p = name;
            loop {
                let inp = str2hashbuf(p, 4, signed);
                tea_transform(&mut buf, &inp);
                if p.len() <= 16 {
                    break;
                }
                p = &p[16..];
            }
            buf[0]
        }
    };
    let hash = hash & !1;
    if hash == 0x7fff_ffff << 1 {
        (0x7fff_ffff - 1) << 1
    } else {
        hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from `debugfs -R 'dx_hash -h N NAME'` (e2fsprogs 1.47.0).
    #[test]
    fn hashes_match_e2fsprogs() {
        let name = "nameé-with-a-longer-name-over-sixteen-and-thirty-two-bytes".as_bytes();
        let want = [
            0xd5a86288u32,
            0xd6150c8a,
            0xcf173b60,
            0x096e71f6,
            0x88c9531e,
            0xfe1893ce,
        ];
        for (v, w) in want.iter().enumerate() {
            assert_eq!(dirhash(name, v as u8, &[0; 4]), *w, "version {v}");
        }
        assert_eq!(dirhash(b"hello", 1, &[0; 4]), 0x1746da32);
        assert_eq!(dirhash(b"hello", 2, &[0; 4]), 0x6f5bb1a8);
        assert_eq!(dirhash(b"hello", 0, &[0; 4]), 0x32252546);
        let seed = [0x67452301, 0xefcdab89, 0x67452301, 0xefcdab89];
        assert_eq!(dirhash(b"hello", 1, &seed), 0xa26e4a80);
        assert_eq!(
            dirhash(b"file-with-a-longer-name-123", 2, &seed),
            0x6e2e7718
        );
    }
}
