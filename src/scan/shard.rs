//! `--shard K/N`: a deterministic share of the library. A path belongs to shard K (1-based) iff
//! FNV-1a 64 of its canonical bytes, mod N, is K-1 — independent of walk order and of the other
//! shards, so N jobs cover every image exactly once and their JSONL outputs concatenate.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::str::FromStr;

/// One share of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub k: u64,
    pub n: u64,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard wants K/N with 1 <= K <= N (like 2/8), not {s:?}");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    /// Whether `canonical` belongs to this shard.
    pub fn contains(&self, canonical: &Path) -> bool {
        fnv1a64(canonical.as_os_str().as_bytes()) % self.n == self.k - 1
    }
}

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn shards_partition_paths() {
        let shards: Vec<Shard> = (1..=3).map(|k| format!("{k}/3").parse().unwrap()).collect();
        for i in 0..200 {
            let p = format!("/lib/img-{i}.img");
            let n = shards.iter().filter(|s| s.contains(Path::new(&p))).count();
            assert_eq!(n, 1, "{p}");
        }
    }

    #[test]
    fn parse_rejects_nonsense() {
        for s in ["0/3", "4/3", "1/0", "x/2", "3", "1/2/3"] {
            assert!(s.parse::<Shard>().is_err(), "{s}");
        }
        assert_eq!("2/5".parse::<Shard>().unwrap(), Shard { k: 2, n: 5 });
    }
}
