//! A push-style reader for newc (`070701`) and crc (`070702`) cpio data, modelled on the kernel's
//! `init/initramfs.c` state machine: bytes are fed in any chunk sizes (straight from a file or
//! out of a decompressor), entries are recorded as their headers and names arrive, file data is
//! skipped (only small files the caller asks for are kept), and zero padding between entries and
//! archives is allowed. Old binary and odc (`070707`) archives are recognised and refused.

use super::{Entry, EntryKind, Segment};

/// Hard limits on what one initramfs may make us do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total bytes fed to the cpio reader (decompressed plus uncompressed).
    pub max_total_bytes: u64,
    /// Entries recorded.
    pub max_entries: usize,
    /// One name's length (the kernel's PATH_MAX).
    pub max_name_len: usize,
    /// All names together.
    pub max_name_bytes: u64,
    /// Size up to which a wanted file (`modules.builtin`) is kept in memory.
    pub max_kept_file: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_total_bytes: 512 * 1024 * 1024,
            max_entries: 200_000,
            max_name_len: 4096,
            max_name_bytes: 64 * 1024 * 1024,
            max_kept_file: 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between entries: zeros are skipped, `0` at a 4-aligned offset starts a header.
    Reset,
    Header,
    Name,
    NamePad,
    Data,
    DataPad,
}

const HEADER: usize = 110;

/// Reading stopped; the reason is in [`CpioReader::fatal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

/// The reader.
pub struct CpioReader {
    limits: Limits,
    state: State,
    header: Vec<u8>,
    name: Vec<u8>,
    /// Offset in the current stream (alignment is relative to it).
    pos: u64,
    pad: u64,
    data_left: u64,
    filesize: u64,
    namesize: usize,
    mode: u32,
    crc_format: bool,
    expected_sum: u32,
    sum: u32,
    kept: Option<Vec<u8>>,
    name_bytes: u64,
    /// A trailer was the last record: plain reading stops here so the next archive starts a
    /// new segment.
    after_trailer: bool,
    /// Total bytes fed.
    pub total: u64,
    pub entries: Vec<Entry>,
    pub segments: Vec<Segment>,
    /// Small files kept: (entry index, bytes).
    pub kept_files: Vec<(usize, Vec<u8>)>,
    /// A fatal problem: reading stops.
    pub fatal: Option<String>,
    /// Non-fatal notes (checksum mismatches).
    pub notes: Vec<String>,
    /// Decides from a path (and mode) whether to keep the file's bytes.
    pub keep: fn(&str, EntryKind) -> bool,
}

fn hex(field: &[u8]) -> Option<u32> {
    if field.len() != 8 || !field.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(field).ok()?, 16).ok()
}

impl CpioReader {
    pub fn new(limits: Limits, keep: fn(&str, EntryKind) -> bool) -> CpioReader {
        CpioReader {
            limits,
            state: State::Reset,
            header: Vec::with_capacity(HEADER),
            name: Vec::new(),
            pos: 0,
            pad: 0,
            data_left: 0,
            filesize: 0,
            namesize: 0,
            mode: 0,
            crc_format: false,
            expected_sum: 0,
            sum: 0,
            kept: None,
            name_bytes: 0,
            after_trailer: false,
            total: 0,
            entries: Vec::new(),
            segments: Vec::new(),
            kept_files: Vec::new(),
            fatal: None,
            notes: Vec::new(),
            keep,
        }
    }

    /// Starts reading a new stream (a plain run at file offset `pos`, or a decompressed segment
    /// at 0): alignment is relative to it.
    pub fn begin_stream(&mut self, pos: u64) {
        self.pos = pos;
        self.after_trailer = false;
    }

    /// `true` between entries (a stream may end here).
    pub fn at_reset(&self) -> bool {
        self.state == State::Reset
    }

    /// What the reader was doing, for error messages.
    pub fn describe_state(&self) -> String {
        let name = String::from_utf8_lossy(self.name.strip_suffix(&[0]).unwrap_or(&self.name));
        match self.state {
            State::Reset => "between entries".to_string(),
            State::Header => "inside an entry header".to_string(),
            State::Name | State::NamePad => "inside an entry name".to_string(),
            State::Data | State::DataPad => format!(
                "inside the data of {name:?} ({} of {} bytes missing)",
                self.data_left, self.filesize
            ),
        }
    }

    fn fail(&mut self, msg: String) -> Result<usize, Stopped> {
        self.fatal = Some(msg);
        Err(Stopped)
    }

    fn pad_to_4(&self) -> u64 {
        (4 - self.pos % 4) % 4
    }

    /// Feeds `data`. With `stop_at_foreign` (plain cpio in the raw stream), reading stops between
    /// entries at a byte that cannot start a header and the count consumed is returned, so the
    /// caller can look for a compressed segment there. Without it (inside a decompressed
    /// segment) such a byte is fatal. `Err` after a fatal problem ([`Self::fatal`]).
    pub fn feed(&mut self, data: &[u8], stop_at_foreign: bool) -> Result<usize, Stopped> {
        if self.fatal.is_some() {
            return Err(Stopped);
        }
        let mut i = 0;
        while i < data.len() {
            let rest = &data[i..];
            let before = i;
            match self.state {
                State::Reset if stop_at_foreign && self.after_trailer => {
                    self.after_trailer = false;
                    return Ok(i);
                }
                State::Reset => {
                    let zeros = rest.iter().take_while(|b| **b == 0).count();
                    if zeros > 0 {
                        i += zeros;
                    } else if rest[0] == b'0' && self.pos.is_multiple_of(4) {
                        self.after_trailer = false;
                        self.header.clear();
                        self.state = State::Header;
                    } else if stop_at_foreign {
                        return Ok(i);
                    } else if rest[0] == 0xc7 || rest[0] == 0x71 {
                        return self.fail(
                            "old binary cpio format (magic 070707 octal): not supported"
                                .to_string(),
                        );
                    } else {
                        return self.fail(format!(
                            "junk byte {:#04x} between cpio entries inside a compressed segment",
                            rest[0]
                        ));
                    }
                }
                State::Header => {
                    let take = (HEADER - self.header.len()).min(rest.len());
                    self.header.extend_from_slice(&rest[..take]);
                    i += take;
                    if self.header.len() == HEADER {
                        self.pos += take as u64;
                        self.total += take as u64;
                        self.parse_header()?;
                        continue;
                    }
                }
                State::Name => {
                    let take = (self.namesize - self.name.len()).min(rest.len());
                    self.name.extend_from_slice(&rest[..take]);
                    i += take;
                    if self.name.len() == self.namesize {
                        self.pos += take as u64;
                        self.total += take as u64;
                        self.pad = self.pad_to_4();
                        self.state = State::NamePad;
                        continue;
                    }
                }
                State::NamePad => {
                    let take = (self.pad as usize).min(rest.len());
                    i += take;
                    self.pad -= take as u64;
                    if self.pad == 0 {
                        self.pos += take as u64;
                        self.total += take as u64;
                        self.got_name()?;
                        continue;
                    }
                }
                State::Data => {
                    let take = (self.data_left.min(rest.len() as u64)) as usize;
                    let chunk = &rest[..take];
                    if self.crc_format {
                        self.sum = chunk
                            .iter()
                            .fold(self.sum, |s, b| s.wrapping_add(u32::from(*b)));
                    }
                    if let Some(k) = &mut self.kept {
                        k.extend_from_slice(chunk);
                    }
                    i += take;
                    self.data_left -= take as u64;
                    if self.data_left == 0 {
                        self.pos += take as u64;
                        self.total += take as u64;
                        self.pad = self.pad_to_4();
                        self.state = State::DataPad;
                        continue;
                    }
                }
                State::DataPad => {
                    let take = (self.pad as usize).min(rest.len());
                    i += take;
                    self.pad -= take as u64;
                    if self.pad == 0 {
                        self.pos += take as u64;
                        self.total += take as u64;
                        self.end_entry();
                        continue;
                    }
                }
            }
            let n = (i - before) as u64;
            self.pos += n;
            self.total += n;
            if self.total > self.limits.max_total_bytes {
                return self.fail(format!(
                    "more than {} bytes of cpio data: stopped (size cap)",
                    self.limits.max_total_bytes
                ));
            }
        }
        Ok(i)
    }

    fn parse_header(&mut self) -> Result<usize, Stopped> {
        let h = &self.header;
        match &h[..6] {
            b"070701" => self.crc_format = false,
            b"070702" => self.crc_format = true,
            b"070707" => {
                return self.fail("odc cpio format (070707): not supported".to_string());
            }
            m => {
                let m = String::from_utf8_lossy(m).into_owned();
                return self.fail(format!("bad cpio magic {m:?}: corrupt archive"));
            }
        }
        let field = |n: usize| hex(&h[6 + n * 8..14 + n * 8]);
        let (Some(mode), Some(filesize), Some(namesize), Some(check)) =
            (field(1), field(6), field(11), field(12))
        else {
            return self.fail("cpio header with a non-hex field: corrupt archive".to_string());
        };
        let namesize = namesize as usize;
        if namesize == 0 || namesize > self.limits.max_name_len + 1 {
            return self.fail(format!(
                "cpio name size {namesize} out of range: corrupt archive"
            ));
        }
        self.mode = mode;
        self.filesize = u64::from(filesize);
        self.namesize = namesize;
        self.expected_sum = check;
        self.name.clear();
        self.state = State::Name;
        Ok(0)
    }

    fn got_name(&mut self) -> Result<usize, Stopped> {
        let raw = self.name.strip_suffix(&[0]).unwrap_or(&self.name);
        let name = String::from_utf8_lossy(raw).into_owned();
        if name == "TRAILER!!!" {
            if let Some(s) = self.segments.last_mut() {
                s.trailers += 1;
            }
            self.data_left = 0;
            self.filesize = 0;
            self.after_trailer = true;
            self.state = State::Reset;
            return Ok(0);
        }
        if self.entries.len() >= self.limits.max_entries {
            return self.fail(format!(
                "more than {} entries: stopped (entry cap)",
                self.limits.max_entries
            ));
        }
        self.name_bytes += raw.len() as u64;
        if self.name_bytes > self.limits.max_name_bytes {
            return self.fail("names too long in total: stopped (name cap)".to_string());
        }
        let path = name
            .trim_start_matches("./")
            .trim_start_matches('/')
            .to_string();
        let kind = EntryKind::from_mode(self.mode);
        let segment = self.segments.len().saturating_sub(1);
        self.kept =
            ((self.keep)(&path, kind) && self.filesize <= self.limits.max_kept_file).then(Vec::new);
        self.entries.push(Entry {
            path,
            mode: self.mode,
            kind,
            size: self.filesize,
            segment,
            link_target: None,
        });
        if let Some(s) = self.segments.last_mut() {
            s.entries += 1;
        }
        self.sum = 0;
        self.data_left = self.filesize;
        self.state = State::Data;
        if self.data_left == 0 {
            self.pad = 0;
            self.state = State::DataPad;
        }
        Ok(0)
    }

    fn end_entry(&mut self) {
        let idx = self.entries.len() - 1;
        // GNU cpio sums regular files only.
        if self.crc_format
            && self.entries[idx].kind == EntryKind::File
            && self.sum != self.expected_sum
        {
            self.notes.push(format!(
                "{}: crc-format checksum mismatch",
                self.entries[idx].path
            ));
        }
        if let Some(k) = self.kept.take() {
            self.kept_files.push((idx, k));
        }
        self.state = State::Reset;
    }
}
