//! Refcounts: entries of refcount blocks (`1 << refcount_order` bits, big-endian; sub-byte
//! widths packed from the least significant bit), lookups through the refcount table, and the
//! increments and decrements of a plan.

use super::header::MAX_HOST_OFFSET;
use super::planner::Planner;
use super::Qcow2WriteError;

/// Read entry `index` of a refcount block.
pub fn get(block: &[u8], index: u64, order: u32) -> u64 {
    let bit = index << order;
    let byte = (bit / 8) as usize;
    match order {
        0..=2 => {
            let width = 1u32 << order;
            let mask = (1u16 << width) as u8 - 1;
            u64::from((block[byte] >> (bit % 8)) & mask)
        }
        _ => {
            let n = 1usize << (order - 3);
            block[byte..byte + n]
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
        }
    }
}

/// Write entry `index` of a refcount block; `value` must fit in `1 << order` bits.
pub fn set(block: &mut [u8], index: u64, order: u32, value: u64) {
    let bit = index << order;
    let byte = (bit / 8) as usize;
    match order {
        0..=2 => {
            let width = 1u32 << order;
            let mask = ((1u16 << width) as u8 - 1) << (bit % 8);
            let v = ((value as u8) << (bit % 8)) & mask;
            block[byte] = (block[byte] & !mask) | v;
        }
        _ => {
            let n = 1usize << (order - 3);
            let be = value.to_be_bytes();
            block[byte..byte + n].copy_from_slice(&be[8 - n..]);
        }
    }
}

/// Largest refcount for `order`.
pub fn max(order: u32) -> u64 {
    if order >= 6 {
        u64::MAX
    } else {
        (1u64 << (1u32 << order)) - 1
    }
}

/// Where a host cluster's refcount lives.
struct Slot {
    /// Byte offset of the refcount table entry.
    table_entry: u64,
    /// Index inside the refcount block.
    index: u64,
}

impl Planner {
    fn slot(&self, host_offset: u64) -> Option<Slot> {
        let cluster = host_offset >> self.h.cluster_bits;
        let per_block = self.h.refblock_entries();
        let table_index = cluster / per_block;
        if table_index >= self.h.reftable_entries() {
            return None;
        }
        Some(Slot {
            table_entry: self.h.refcount_table_offset + table_index * 8,
            index: cluster % per_block,
        })
    }

    /// The refcount block's host offset from a refcount table entry (0: none).
    fn block_offset(&mut self, table_entry: u64) -> Result<u64, Qcow2WriteError> {
        let raw = self.get_u64(table_entry)?;
        let off = raw & !0x1ff;
        if raw & 0x1ff != 0
            || !off.is_multiple_of(self.h.cluster_size)
            || off >= MAX_HOST_OFFSET
            || (off != 0 && off >= self.old_len && !self.is_new(off))
        {
            return Err(Qcow2WriteError::Corrupt(format!(
                "refcount table entry {raw:#x} is unaligned or past the end of the file"
            )));
        }
        Ok(off)
    }

    /// Current (planned) refcount of the host cluster containing `host_offset`.
    pub fn refcount(&mut self, host_offset: u64) -> Result<u64, Qcow2WriteError> {
        let Some(slot) = self.slot(host_offset) else {
            return Ok(0);
        };
        let block = self.block_offset(slot.table_entry)?;
        if block == 0 {
            return Ok(0);
        }
        let order = self.h.refcount_order;
        let c = self.cluster(block)?;
        Ok(get(c, slot.index, order))
    }

    /// Add `delta` (+1 or -1) to the refcount of the host cluster at `host_offset`, whose
    /// refcount block must exist (see [`Planner::ensure_refblocks`] for new clusters).
    pub fn adjust_refcount(&mut self, host_offset: u64, delta: i64) -> Result<(), Qcow2WriteError> {
        let order = self.h.refcount_order;
        let slot = self.slot(host_offset).ok_or_else(|| {
            Qcow2WriteError::Corrupt(format!(
                "cluster at {host_offset:#x} is beyond the refcount table"
            ))
        })?;
        let block = self.block_offset(slot.table_entry)?;
        if block == 0 {
            return Err(Qcow2WriteError::Corrupt(format!(
                "cluster at {host_offset:#x} in use but without a refcount block"
            )));
        }
        let c = self.cluster_mut(block)?;
        let old = get(c, slot.index, order);
        let new = if delta >= 0 {
            old.checked_add(delta as u64).filter(|&v| v <= max(order))
        } else {
            old.checked_sub(delta.unsigned_abs())
        };
        let new = new.ok_or_else(|| {
            Qcow2WriteError::Corrupt(format!(
                "refcount {old} of cluster {host_offset:#x} cannot change by {delta}"
            ))
        })?;
        set(c, slot.index, order, new);
        Ok(())
    }

    /// Give every new cluster a refcount block, allocating blocks (themselves new clusters,
    /// so possibly needing blocks in turn) until every new cluster is covered; then count each
    /// new cluster once. Refuses when the refcount table would have to grow.
    pub fn ensure_refblocks(&mut self) -> Result<(), Qcow2WriteError> {
        let mut i = 0;
        while i < self.new_clusters.len() {
            let c = self.new_clusters[i];
            let slot = self.slot(c).ok_or_else(|| {
                Qcow2WriteError::Refused(format!(
                    "the refcount table ({} clusters) would have to grow to cover offset {c:#x}; \
                     run `qemu-img convert` or write into an overlay",
                    self.h.refcount_table_clusters
                ))
            })?;
            if self.block_offset(slot.table_entry)? == 0 {
                let block = self.allocate()?;
                self.new_zero_cluster(block)?;
                self.set_u64(slot.table_entry, block)?;
            }
            i += 1;
        }
        let news = self.new_clusters.clone();
        for c in news {
            self.adjust_refcount(c, 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_round_trip() {
        for order in 0..=6u32 {
            let mut b = vec![0u8; 64];
            let n = (64 * 8) >> order;
            for i in 0..n {
                set(&mut b, i, order, (i * 7 + 1) & max(order));
            }
            for i in 0..n {
                assert_eq!(get(&b, i, order), (i * 7 + 1) & max(order), "order {order}");
            }
        }
        // 1-bit refcounts: entry 0 is the least significant bit of byte 0.
        let mut b = vec![0u8; 2];
        set(&mut b, 0, 0, 1);
        set(&mut b, 9, 0, 1);
        assert_eq!(b, [0x01, 0x02]);
        // 16-bit refcounts are big-endian.
        let mut b = vec![0u8; 4];
        set(&mut b, 1, 4, 0x0102);
        assert_eq!(b, [0, 0, 1, 2]);
    }
}
