//! jbd2 recovery, in memory: the three passes of the kernel's and e2fsck's `recovery.c`.
//!
//! * PASS_SCAN walks the log from `s_start` expecting sequence `s_sequence`: descriptor blocks
//!   (their tags and the data blocks after them), revoke blocks, and commit blocks, each of which
//!   closes one transaction and bumps the expected sequence. The scan ends at the first block
//!   without the magic, with another sequence, of an unknown type, or failing its checksum.
//!   Only transactions with a good commit block count.
//! * PASS_REVOKE gathers the revoke records of those transactions (the newest sequence per block).
//! * PASS_REPLAY takes every tagged block of every committed transaction in order, skipping
//!   blocks revoked by the same or a later transaction and data blocks whose v2/v3 checksum
//!   fails. Later copies replace earlier ones.
//!
//! Nothing is written: the result maps each filesystem block to the journal block that holds
//! its replayed contents. Every loop is bounded by the log length.

use std::collections::{BTreeMap, HashMap};

use super::commit::{crc32_be, verify_v2v3, Commit};
use super::descriptor::{parse_tags, verify_data, verify_tail};
use super::revoke::parse_revoke;
use super::superblock::{block_type, compat, JournalSuperblock, JBD2_MAGIC};
use crate::fs::ext::error::{be32, ExtError};

/// Where a replayed block's contents are: a journal block, maybe with its magic escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedBlock {
    /// Block number inside the journal.
    pub journal_block: u32,
    /// The first 4 bytes must be replaced by the jbd2 magic.
    pub escaped: bool,
}

/// The outcome of the three passes.
#[derive(Debug, Clone, Default)]
pub struct Recovered {
    /// Filesystem block → its newest logged copy.
    pub blocks: BTreeMap<u64, LoggedBlock>,
    /// Committed transactions found (and replayed).
    pub transactions: u32,
    /// Sequence of the first transaction (the journal's `s_sequence`).
    pub first_seq: u32,
    /// Sequence after the last committed transaction.
    pub end_seq: u32,
    /// Block copies applied, counting a block logged twice twice.
    pub blocks_written: u64,
    /// Block copies skipped because a revoke record covers them.
    pub revoked: u64,
    /// Why the scan ended early, checksum failures, skipped blocks.
    pub notes: Vec<String>,
}

struct Txn {
    seq: u32,
    /// (filesystem block, journal block, tag)
    tags: Vec<(u64, u32, super::descriptor::Tag)>,
    revokes: Vec<u64>,
    bad_revoke: Option<String>,
}

impl Txn {
    fn new(seq: u32) -> Self {
        Txn {
            seq,
            tags: Vec::new(),
            revokes: Vec::new(),
            bad_revoke: None,
        }
    }
}

/// `tid_geq`: sequence `a` is the same as or after `b`, modulo 2^32.
pub fn tid_geq(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) as i32 >= 0
}

/// Run the passes over a journal described by `jsb`. `read(n)` returns journal block `n`;
/// `fs_blocks` is the filesystem size in blocks (copies of blocks past it are dropped).
pub fn recover(
    jsb: &JournalSuperblock,
    fs_blocks: u64,
    read: &mut dyn FnMut(u32) -> Result<Vec<u8>, ExtError>,
) -> Result<Recovered, ExtError> {
    let mut out = Recovered {
        first_seq: jsb.sequence,
        end_seq: jsb.sequence,
        ..Recovered::default()
    };
    if jsb.start == 0 {
        return Ok(out);
    }
    let (first, last) = (jsb.first, jsb.last());
    let loglen = (last - first) as u64;
    let wrap = |b: u32| if b >= last { b - (last - first) } else { b };
    let v1_csum = jsb.feature_compat & compat::CHECKSUM != 0 && !jsb.has_csum_v2or3();
    let v23 = jsb.has_csum_v2or3();

    // PASS_SCAN
    let mut next = jsb.start;
    let mut seq = jsb.sequence;
    let mut visited = 0u64;
    let mut committed: Vec<Txn> = Vec::new();
    let mut cur = Txn::new(seq);
    let mut crc = !0u32;
    let mut bad_commit = false;
    'scan: loop {
        if visited >= loglen {
            out.notes.push(format!(
                "the log was walked once around ({loglen} blocks) without reaching its end"
            ));
            break;
        }
        let at = next;
        let block = read(at)?;
        visited += 1;
        next = wrap(next + 1);
        if be32(&block, 0) != JBD2_MAGIC || be32(&block, 8) != seq {
            break;
        }
        match be32(&block, 4) {
            block_type::DESCRIPTOR => {
                if v23 && !verify_tail(jsb, &block) {
                    out.notes.push(format!(
                        "descriptor at log block {at} of transaction {seq} fails its checksum; \
                         the scan stops there"
                    ));
                    break;
                }
                if v1_csum {
                    crc = crc32_be(crc, &block);
                }
                for tag in parse_tags(jsb, &block) {
                    if visited >= loglen {
                        out.notes.push(format!(
                            "transaction {seq} describes more blocks than the log holds"
                        ));
                        break 'scan;
                    }
                    let data_at = next;
                    visited += 1;
                    next = wrap(next + 1);
                    if v1_csum {
                        crc = crc32_be(crc, &read(data_at)?);
                    }
                    cur.tags.push((tag.fs_block, data_at, tag));
                }
            }
            block_type::COMMIT => {
                let c = Commit::parse(&block);
                if v1_csum && !c.v1_ok(crc) {
                    out.notes.push(format!(
                        "commit block of transaction {seq} has a bad crc32 checksum; \
                         it and later transactions are not replayed"
                    ));
                    bad_commit = true;
                    break;
                }
                crc = !0;
                if v23 && !verify_v2v3(jsb, &block) {
                    out.notes.push(format!(
                        "commit block of transaction {seq} fails its checksum; \
                         it and later transactions are not replayed"
                    ));
                    bad_commit = true;
                    break;
                }
                committed.push(std::mem::replace(&mut cur, Txn::new(seq.wrapping_add(1))));
                seq = seq.wrapping_add(1);
            }
            block_type::REVOKE => {
                if v23 && !verify_tail(jsb, &block) {
                    cur.bad_revoke = Some(format!(
                        "revoke block at log block {at} of transaction {seq} fails its checksum"
                    ));
                }
                match parse_revoke(jsb, &block) {
                    Ok(r) => cur.revokes.extend(r),
                    Err(e) => cur.bad_revoke = Some(format!("transaction {seq}: {e}")),
                }
            }
            t => {
                out.notes.push(format!(
                    "unknown journal block type {t} at log block {at}; the scan stops there"
                ));
                break;
            }
        }
    }
    if !bad_commit && (!cur.tags.is_empty() || !cur.revokes.is_empty()) {
        out.notes.push(format!(
            "transaction {} has no commit block and is ignored, as the kernel does",
            cur.seq
        ));
    }

    // PASS_REVOKE: the kernel aborts recovery on a damaged revoke block of a committed
    // transaction; so do we (the caller then falls back to the on-disk state).
    let mut revoke: HashMap<u64, u32> = HashMap::new();
    for t in &committed {
        if let Some(why) = &t.bad_revoke {
            return Err(ExtError::Corrupt(format!("journal {why}")));
        }
        for &b in &t.revokes {
            let e = revoke.entry(b).or_insert(t.seq);
            if tid_geq(t.seq, *e) {
                *e = t.seq;
            }
        }
    }

    // PASS_REPLAY
    let mut bad_data = 0u64;
    let mut outside = 0u64;
    for t in &committed {
        for &(fs_block, journal_block, tag) in &t.tags {
            if revoke.get(&fs_block).is_some_and(|&r| tid_geq(r, t.seq)) {
                out.revoked += 1;
                continue;
            }
            if v23 && !verify_data(jsb, &tag, t.seq, &read(journal_block)?) {
                bad_data += 1;
                continue;
            }
            if fs_block >= fs_blocks {
                outside += 1;
                continue;
            }
            out.blocks.insert(
                fs_block,
                LoggedBlock {
                    journal_block,
                    escaped: tag.escaped(),
                },
            );
            out.blocks_written += 1;
        }
    }
    if bad_data > 0 {
        out.notes.push(format!(
            "{bad_data} logged block(s) failed their checksum and were not replayed"
        ));
    }
    if outside > 0 {
        out.notes.push(format!(
            "{outside} logged block(s) lie past the end of the filesystem and were ignored"
        ));
    }
    out.transactions = committed.len() as u32;
    out.end_seq = seq;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::ext::journal::descriptor::tag_flags;
    use crate::fs::ext::journal::superblock::tests_support::jsb;

    /// A 64-block log of 1 KiB blocks built in memory.
    struct Log(Vec<Vec<u8>>);

    impl Log {
        fn new() -> Self {
            Log(vec![vec![0u8; 1024]; 64])
        }
        fn header(&mut self, at: usize, t: u32, seq: u32) {
            let b = &mut self.0[at];
            b[0..4].copy_from_slice(&JBD2_MAGIC.to_be_bytes());
            b[4..8].copy_from_slice(&t.to_be_bytes());
            b[8..12].copy_from_slice(&seq.to_be_bytes());
        }
        fn descriptor(&mut self, at: usize, seq: u32, blocks: &[(u32, u16)]) {
            self.header(at, block_type::DESCRIPTOR, seq);
            for (i, &(fs, flags)) in blocks.iter().enumerate() {
                let mut f = flags | tag_flags::SAME_UUID;
                if i + 1 == blocks.len() {
                    f |= tag_flags::LAST_TAG;
                }
                let o = 12 + 8 * i;
                self.0[at][o..o + 4].copy_from_slice(&fs.to_be_bytes());
                self.0[at][o + 6..o + 8].copy_from_slice(&f.to_be_bytes());
            }
        }
        fn revoke(&mut self, at: usize, seq: u32, blocks: &[u32]) {
            self.header(at, block_type::REVOKE, seq);
            let n = 16 + 4 * blocks.len() as u32;
            self.0[at][12..16].copy_from_slice(&n.to_be_bytes());
            for (i, b) in blocks.iter().enumerate() {
                self.0[at][16 + 4 * i..20 + 4 * i].copy_from_slice(&b.to_be_bytes());
            }
        }
        fn run(&self) -> Recovered {
            let mut read = |n: u32| Ok(self.0[n as usize].clone());
            recover(&jsb(0), 1000, &mut read).unwrap()
        }
    }

    #[test]
    fn replays_committed_skips_revoked_and_uncommitted() {
        let mut l = Log::new();
        // Transaction 1: blocks 100 and 101 (101 escaped).
        l.descriptor(1, 1, &[(100, 0), (101, tag_flags::ESCAPE)]);
        l.header(4, block_type::COMMIT, 1);
        // Transaction 2: block 102, and revokes 100 (so 100 from transaction 1 is skipped).
        l.descriptor(5, 2, &[(102, 0)]);
        l.revoke(7, 2, &[100]);
        l.header(8, block_type::COMMIT, 2);
        // Transaction 3: never committed.
        l.descriptor(9, 3, &[(103, 0)]);
        let r = l.run();
        assert_eq!((r.transactions, r.first_seq, r.end_seq), (2, 1, 3));
        assert_eq!(r.revoked, 1);
        let got: Vec<(u64, u32, bool)> = r
            .blocks
            .iter()
            .map(|(&b, l)| (b, l.journal_block, l.escaped))
            .collect();
        assert_eq!(got, vec![(101, 3, true), (102, 6, false)]);
        assert!(r.notes.iter().any(|n| n.contains("transaction 3")));
    }

    #[test]
    fn revoke_does_not_hide_later_copies() {
        let mut l = Log::new();
        l.descriptor(1, 1, &[(100, 0)]);
        l.revoke(3, 1, &[100]);
        l.header(4, block_type::COMMIT, 1);
        l.descriptor(5, 2, &[(100, 0)]);
        l.header(7, block_type::COMMIT, 2);
        let r = l.run();
        assert_eq!(r.revoked, 1);
        assert_eq!(r.blocks[&100].journal_block, 6);
    }

    #[test]
    fn wrapped_and_endless_logs_terminate() {
        // Every block a descriptor of the expected sequence whose tags run around the ring.
        let mut l = Log::new();
        for at in 1..64 {
            l.descriptor(at, 1, &[(100, 0); 100]);
        }
        let r = l.run();
        assert_eq!(r.transactions, 0);
        assert!(r.blocks.is_empty());

        // A commit right before the end of the log, the next transaction wrapping to block 1.
        let mut l = Log::new();
        l.descriptor(62, 5, &[(200, 0)]);
        l.header(1, block_type::COMMIT, 5);
        let mut read = |n: u32| Ok(l.0[n as usize].clone());
        let mut j = jsb(0);
        j.start = 62;
        j.sequence = 5;
        let r = recover(&j, 1000, &mut read).unwrap();
        assert_eq!(r.transactions, 1);
        assert_eq!(r.blocks[&200].journal_block, 63);
    }

    #[test]
    fn sequence_arithmetic_wraps() {
        assert!(tid_geq(5, 5) && tid_geq(1, u32::MAX) && !tid_geq(u32::MAX, 1));
    }
}
