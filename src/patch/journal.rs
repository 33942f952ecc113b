//! The patch journal: a JSON file next to the image that records, before the first byte is
//! written, every write of a transaction with its old and new bytes and their checksums, and the
//! image's identity. It is replaced atomically (temp file, fsync, rename, fsync of the directory).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Name of the journal format.
pub const FORMAT: &str = "pv2hvm-journal";
/// Version of the journal format.
pub const VERSION: u32 = 1;

/// Where a transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Recorded; the image may hold any mix of old and new bytes.
    Applying,
    /// Every new byte is on the image and synced.
    Applied,
    /// Being reverted; the image may hold any mix of new and old bytes.
    Undoing,
}

/// One write: `new` replaces `old` at `offset` of the image file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub offset: u64,
    #[serde(with = "hex_bytes")]
    pub old: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub new: Vec<u8>,
    pub old_crc32: u32,
    pub new_crc32: u32,
}

impl Record {
    /// A record whose checksums match its bytes.
    pub fn new(offset: u64, old: Vec<u8>, new: Vec<u8>) -> Record {
        Record {
            offset,
            old_crc32: crc32fast::hash(&old),
            new_crc32: crc32fast::hash(&new),
            old,
            new,
        }
    }
    /// The stored checksums match the stored bytes.
    pub fn intact(&self) -> bool {
        self.old.len() == self.new.len()
            && crc32fast::hash(&self.old) == self.old_crc32
            && crc32fast::hash(&self.new) == self.new_crc32
    }
}

/// One `fix` run: its writes, what it fixed, and the file length before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub id: u32,
    pub tool: String,
    /// Seconds since the epoch when it was recorded.
    pub created: u64,
    pub state: State,
    /// Rule codes whose fixes this transaction holds.
    pub codes: Vec<String>,
    pub len_before: u64,
    pub len_after: u64,
    /// sha256 of the concatenated old regions, then of the new ones (the image's identity).
    pub old_sha256: String,
    pub new_sha256: String,
    pub writes: Vec<Record>,
}

impl Transaction {
    /// Build a transaction from (offset, old, new) triples.
    pub fn new(
        id: u32,
        codes: Vec<String>,
        len_before: u64,
        len_after: u64,
        writes: Vec<Record>,
    ) -> Self {
        let digest = |f: fn(&Record) -> &[u8]| {
            let mut h = Sha256::new();
            for w in &writes {
                h.update(w.offset.to_le_bytes());
                h.update(f(w));
            }
            hex::encode(&h.finalize())
        };
        Transaction {
            id,
            tool: format!("pv2hvm {}", env!("CARGO_PKG_VERSION")),
            created: now_secs(),
            state: State::Applying,
            codes,
            len_before,
            len_after,
            old_sha256: digest(|w| &w.old),
            new_sha256: digest(|w| &w.new),
            writes,
        }
    }
}

/// The whole journal of one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub format: String,
    pub version: u32,
    /// The image as given when the journal was started.
    pub image: String,
    pub transactions: Vec<Transaction>,
}

impl Journal {
    /// An empty journal for `image`.
    pub fn new(image: &Path) -> Journal {
        Journal {
            format: FORMAT.into(),
            version: VERSION,
            image: image.display().to_string(),
            transactions: Vec::new(),
        }
    }

    /// Read a journal; `Ok(None)` when there is none.
    pub fn load(path: &Path) -> io::Result<Option<Journal>> {
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let j: Journal = serde_json::from_str(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a readable journal: {e}", path.display()),
            )
        })?;
        if j.format != FORMAT || j.version != VERSION {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} is a {} v{} journal; this pv2hvm reads {FORMAT} v{VERSION}",
                    path.display(),
                    j.format,
                    j.version
                ),
            ));
        }
        if let Some(bad) = j
            .transactions
            .iter()
            .flat_map(|t| &t.writes)
            .find(|w| !w.intact())
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: the record at offset {} fails its checksum",
                    path.display(),
                    bad.offset
                ),
            ));
        }
        Ok(Some(j))
    }

    /// Replace the journal file atomically and durably.
    pub fn store(&self, path: &Path) -> io::Result<()> {
        let tmp = temp_path(path);
        {
            let mut f = File::create(&tmp)?;
            f.write_all(
                serde_json::to_string(self)
                    .map_err(io::Error::other)?
                    .as_bytes(),
            )?;
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        sync_dir(path)
    }
}

/// `IMAGE.pv2hvm-journal`.
pub fn default_path(image: &Path) -> PathBuf {
    let mut s = image.as_os_str().to_owned();
    s.push(".pv2hvm-journal");
    PathBuf::from(s)
}

fn temp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// fsync the directory holding `path`, so a rename in it is durable.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()
}

/// Remove a journal durably.
pub fn remove(path: &Path) -> io::Result<()> {
    fs::remove_file(path)?;
    sync_dir(path)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Lowercase hex, the journal's encoding of bytes.
pub mod hex {
    /// Encode bytes.
    pub fn encode(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
    /// Decode; `None` on odd length or a non-hex digit.
    pub fn decode(s: &str) -> Option<Vec<u8>> {
        if !s.len().is_multiple_of(2) {
            return None;
        }
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
            .collect()
    }
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex::encode(b))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        super::hex::decode(&s).ok_or_else(|| serde::de::Error::custom("bad hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects() {
        assert_eq!(hex::encode(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(hex::decode("00ab10").unwrap(), vec![0, 0xab, 0x10]);
        assert!(hex::decode("0").is_none() && hex::decode("zz").is_none());
    }

    #[test]
    fn store_load_and_detect_damage() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("j");
        let mut j = Journal::new(Path::new("disk.img"));
        j.transactions.push(Transaction::new(
            1,
            vec!["DEV001".into()],
            10,
            10,
            vec![Record::new(4, vec![1, 2], vec![3, 4])],
        ));
        j.store(&p).unwrap();
        assert_eq!(Journal::load(&p).unwrap().unwrap(), j);
        let text = fs::read_to_string(&p)
            .unwrap()
            .replace("\"new\":\"0304\"", "\"new\":\"0305\"");
        fs::write(&p, text).unwrap();
        assert!(Journal::load(&p)
            .unwrap_err()
            .to_string()
            .contains("checksum"));
        assert!(Journal::load(&d.path().join("none")).unwrap().is_none());
    }
}
