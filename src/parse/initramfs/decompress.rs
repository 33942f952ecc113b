//! Compression detection by magic and streaming decoders for initramfs segments: gzip, xz,
//! legacy lzma, zstd and the kernel's legacy lz4 format. Each decoder reads exactly its own
//! compressed stream from [`Input`] (so the next segment can follow) and pushes the decompressed
//! bytes into a `Write` sink; nothing is buffered whole.

use serde::Serialize;
use std::io::{self, BufRead, Read, Write};

/// How a segment is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// A plain cpio archive (often the early-microcode part).
    None,
    Gzip,
    Xz,
    /// The legacy `.lzma` ("LZMA-alone") format.
    Lzma,
    Zstd,
    /// The kernel's legacy lz4 format (`lz4 -l`, magic 0x184C2102).
    Lz4Legacy,
    /// Detected, not decoded.
    Bzip2,
    /// Detected, not decoded.
    Lzo,
    /// The lz4 frame format: the kernel cannot unpack it; detected, not decoded.
    Lz4Frame,
}

impl Compression {
    /// Short lowercase name (`gzip`, `xz`, `lz4-legacy`; `cpio` for [`Compression::None`]).
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "cpio",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Lzma => "lzma",
            Compression::Zstd => "zstd",
            Compression::Lz4Legacy => "lz4-legacy",
            Compression::Bzip2 => "bzip2",
            Compression::Lzo => "lzo",
            Compression::Lz4Frame => "lz4-frame",
        }
    }

    /// `true` for the formats this module can decode.
    pub fn supported(self) -> bool {
        !matches!(
            self,
            Compression::Bzip2 | Compression::Lzo | Compression::Lz4Frame
        )
    }
}

/// The compression whose magic starts `b` (the kernel's `decompress_method` table), `None` when
/// unknown. Needs up to 6 bytes; fewer may give `None`.
pub fn detect(b: &[u8]) -> Option<Compression> {
    Some(match b {
        [0x1f, 0x8b | 0x9e, ..] => Compression::Gzip,
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Compression::Xz,
        [0x5d, 0x00, 0x00, ..] => Compression::Lzma,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
        [0x02, 0x21, 0x4c, 0x18, ..] => Compression::Lz4Legacy,
        [0x04, 0x22, 0x4d, 0x18, ..] => Compression::Lz4Frame,
        [b'B', b'Z', b'h', ..] => Compression::Bzip2,
        [0x89, b'L', b'Z', b'O', ..] => Compression::Lzo,
        _ => return None,
    })
}

/// A buffered reader that can look ahead several bytes and counts what it has handed out.
pub struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Bytes consumed so far (the offset in the whole stream of the next byte).
    pub offset: u64,
}

const BUF: usize = 64 * 1024;

impl<R: Read> Input<R> {
    pub fn new(inner: R) -> Input<R> {
        Input {
            inner,
            buf: vec![0; BUF],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
        }
    }

    /// The buffered bytes, with at least `n` (≤ 64 KiB) of them unless the stream ends first.
    pub fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        let n = n.min(BUF);
        if self.end - self.start < n {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            while self.end < n && !self.eof {
                match self.inner.read(&mut self.buf[self.end..]) {
                    Ok(0) => self.eof = true,
                    Ok(k) => self.end += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(&self.buf[self.start..self.end])
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Input<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            self.peek(1)
        } else {
            Ok(&self.buf[self.start..self.end])
        }
    }
    fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }
}

/// Dictionary / window memory allowed to a decoder (xz and lzma dictionaries, zstd windows).
const MEM_LIMIT: u64 = 256 * 1024 * 1024;

/// The lz4 legacy format's magic and block limits (the kernel's `unlz4`).
const LZ4_LEGACY_MAGIC: u32 = 0x184C_2102;
const LZ4_BLOCK: usize = 8 * 1024 * 1024;
const LZ4_BOUND: usize = LZ4_BLOCK + LZ4_BLOCK / 255 + 16;

/// Decodes one `kind` stream starting at `input`'s position into `sink`. `Err` carries the
/// decoder's (or the sink's) message; the sink's own errors abort the decoder.
pub fn decode<R: Read>(
    kind: Compression,
    input: &mut Input<R>,
    sink: &mut dyn Write,
) -> Result<(), String> {
    let copy = |r: &mut dyn Read, sink: &mut dyn Write| -> Result<(), String> {
        io::copy(r, sink).map(|_| ()).map_err(|e| e.to_string())
    };
    match kind {
        Compression::Gzip => copy(&mut flate2::bufread::GzDecoder::new(input), sink),
        Compression::Xz => {
            let mut r =
                lzma_rust2::XzReader::new_mem_limit(input, false, (MEM_LIMIT / 1024) as u32);
            copy(&mut r, sink)
        }
        Compression::Lzma => {
            let mut r =
                lzma_rust2::LzmaReader::new_mem_limit(input, (MEM_LIMIT / 1024) as u32, None)
                    .map_err(|e| e.to_string())?;
            copy(&mut r, sink)
        }
        Compression::Zstd => {
            let mut r =
                ruzstd::decoding::StreamingDecoder::new_with_max_window_size(input, MEM_LIMIT)
                    .map_err(|e| e.to_string())?;
            copy(&mut r, sink)
        }
        Compression::Lz4Legacy => lz4_legacy(input, sink),
        other => Err(format!("{} is not supported", other.name())),
    }
}

/// The kernel's legacy lz4 format: the magic, then blocks of `u32 LE compressed size` + data
/// (each ≤ 8 MiB decompressed); a repeated magic starts a concatenated stream; the stream ends at
/// end of input or at a zero size (padding before another segment).
fn lz4_legacy<R: Read>(input: &mut Input<R>, sink: &mut dyn Write) -> Result<(), String> {
    let io = |e: io::Error| e.to_string();
    let mut compressed = Vec::new();
    let mut out = vec![0u8; LZ4_BLOCK];
    let mut first = true;
    loop {
        let b = input.peek(4).map_err(io)?;
        if b.is_empty() {
            return Ok(());
        }
        if b.len() < 4 {
            return Err("lz4: truncated block header".to_string());
        }
        let size = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if size == LZ4_LEGACY_MAGIC {
            input.consume(4);
            first = false;
            continue;
        }
        if first {
            return Err("lz4: missing legacy magic".to_string());
        }
        if size == 0 {
            return Ok(());
        }
        let size = size as usize;
        if size > LZ4_BOUND {
            // Not a block header: whatever follows belongs to the next segment.
            return Ok(());
        }
        input.consume(4);
        compressed.clear();
        compressed.resize(size, 0);
        input
            .read_exact(&mut compressed)
            .map_err(|e| format!("lz4: truncated block: {e}"))?;
        let n = lz4_flex::block::decompress_into(&compressed, &mut out)
            .map_err(|e| format!("lz4: corrupt block: {e}"))?;
        sink.write_all(&out[..n]).map_err(io)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magics() {
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0]), Some(Compression::Gzip));
        assert_eq!(detect(b"\xfd7zXZ\x00"), Some(Compression::Xz));
        assert_eq!(detect(b"\xfd7zXZ"), None);
        assert_eq!(detect(&[0x5d, 0, 0, 0x80]), Some(Compression::Lzma));
        assert_eq!(detect(&[0x28, 0xb5, 0x2f, 0xfd]), Some(Compression::Zstd));
        assert_eq!(
            detect(&[0x02, 0x21, 0x4c, 0x18]),
            Some(Compression::Lz4Legacy)
        );
        assert_eq!(detect(b"BZh9"), Some(Compression::Bzip2));
        assert_eq!(detect(b"070701"), None);
        assert!(!Compression::Bzip2.supported() && Compression::Lz4Legacy.supported());
    }

    #[test]
    fn input_peek_and_offsets() {
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let mut inp = Input::new(&data[..]);
        assert_eq!(inp.peek(6).unwrap()[..6], data[..6]);
        let mut got = Vec::new();
        let mut chunk = [0u8; 1000];
        loop {
            let n = inp.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&chunk[..n]);
            let _ = inp.peek(7).unwrap();
        }
        assert_eq!(got, data);
        assert_eq!(inp.offset, 200_000);
    }
}
