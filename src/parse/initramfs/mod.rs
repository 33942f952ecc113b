//! Reads an initramfs from a stream without loading it whole: a sequence of segments, each a
//! newc/crc cpio archive stored plain or compressed (gzip, xz, lzma, zstd, legacy lz4), with zero
//! padding between them — typically an uncompressed early-microcode cpio, then the compressed
//! main archive. Lists every entry (path, mode, size), the kernel modules it carries (names
//! normalised: `xen-blkfront` ≡ `xen_blkfront`), the `modules.builtin` lists, and which
//! compression each segment used. Size, entry and name caps bound the work; a truncated or
//! corrupt archive gives what was read before the damage plus an error, never a panic.

pub mod cpio;
pub mod decompress;

use super::modprobe::normalize_module_name;
use cpio::CpioReader;
pub use cpio::Limits;
pub use decompress::Compression;
use decompress::Input;
use serde::Serialize;
use std::io::{self, Read, Write};

/// File type from the cpio mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Unknown,
}

impl EntryKind {
    /// From the `st_mode` file-type bits.
    pub fn from_mode(mode: u32) -> EntryKind {
        match mode & 0o170000 {
            0o100000 => EntryKind::File,
            0o040000 => EntryKind::Dir,
            0o120000 => EntryKind::Symlink,
            0o020000 => EntryKind::CharDevice,
            0o060000 => EntryKind::BlockDevice,
            0o010000 => EntryKind::Fifo,
            0o140000 => EntryKind::Socket,
            _ => EntryKind::Unknown,
        }
    }
}

/// One archive member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The path as stored, without a leading `./` or `/`.
    pub path: String,
    pub mode: u32,
    pub kind: EntryKind,
    pub size: u64,
    /// Index into [`Initramfs::segments`].
    pub segment: usize,
    /// A symlink's target (kept when ≤ the kept-file cap).
    pub link_target: Option<String>,
}

/// One segment of the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// Byte offset of the segment in the file.
    pub offset: u64,
    pub compression: Compression,
    /// Bytes of the file the segment occupies (after reading it; compressed size).
    pub stored_bytes: u64,
    /// cpio bytes it produced.
    pub cpio_bytes: u64,
    /// Entries recorded from it.
    pub entries: usize,
    /// `TRAILER!!!` records seen.
    pub trailers: usize,
}

/// A kernel module file found in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleFile {
    pub path: String,
    /// Normalised name (`xen_blkfront`).
    pub name: String,
    /// `<ver>` of `lib/modules/<ver>/…`, when the path has one.
    pub kernel_version: Option<String>,
    /// `ko`, `ko.xz`, `ko.zst`, `ko.gz`.
    pub extension: String,
}

/// A `lib/modules/<ver>/modules.builtin` file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuiltinList {
    pub path: String,
    pub kernel_version: Option<String>,
    /// Normalised module names.
    pub modules: Vec<String>,
}

/// What was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Initramfs {
    pub segments: Vec<Segment>,
    pub entries: Vec<Entry>,
    pub modules: Vec<ModuleFile>,
    pub builtin: Vec<BuiltinList>,
    /// Versions seen in `lib/modules/<ver>/` paths, sorted.
    pub kernel_versions: Vec<String>,
    /// An uncompressed segment carries `kernel/x86/microcode/…`.
    pub early_microcode: bool,
    /// Why reading stopped early (truncation, corruption, unsupported format, a cap). Empty when
    /// the whole stream was read.
    pub errors: Vec<String>,
    /// Non-fatal observations (crc-format checksum mismatches).
    pub notes: Vec<String>,
}

impl Initramfs {
    /// `true` when a module file named `name` (any spelling) is in the archive.
    pub fn has_module(&self, name: &str) -> bool {
        let n = normalize_module_name(name);
        self.modules.iter().any(|m| m.name == n)
    }

    /// `true` when `name` is listed in a `modules.builtin` in the archive.
    pub fn has_builtin(&self, name: &str) -> bool {
        let n = normalize_module_name(name);
        self.builtin.iter().any(|b| b.modules.contains(&n))
    }

    /// `true` when the archive provides `name` as a module file or lists it as built in.
    pub fn provides(&self, name: &str) -> bool {
        self.has_module(name) || self.has_builtin(name)
    }

    /// The entry at `path` (no leading `/`).
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        let p = path.trim_start_matches('/');
        self.entries.iter().find(|e| e.path == p)
    }

    /// A short description of the layout: `gzip`, `early-cpio+zstd`, `cpio`, `early-cpio+xz`.
    /// An uncompressed segment before another is `early-cpio`.
    pub fn format_label(&self) -> String {
        let n = self.segments.len();
        self.segments
            .iter()
            .enumerate()
            .map(|(i, s)| match s.compression {
                Compression::None if i + 1 < n => "early-cpio",
                c => c.name(),
            })
            .collect::<Vec<_>>()
            .join("+")
    }

    /// `true` when the stream was read to its end without an error.
    pub fn complete(&self) -> bool {
        self.errors.is_empty()
    }
}

/// `lib/modules/<ver>/…` or `usr/lib/modules/<ver>/…` → `<ver>`.
fn kernel_version(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("usr/lib/modules/")
        .or_else(|| path.strip_prefix("lib/modules/"))?;
    let (ver, _) = rest.split_once('/')?;
    (!ver.is_empty()).then_some(ver)
}

fn is_modules_builtin(path: &str) -> bool {
    path.ends_with("/modules.builtin") && kernel_version(path).is_some()
}

fn keep(path: &str, kind: EntryKind) -> bool {
    kind == EntryKind::Symlink || (kind == EntryKind::File && is_modules_builtin(path))
}

/// Feeds decompressed bytes to the cpio reader; its fatal errors abort the decoder.
struct Sink<'a>(&'a mut CpioReader);

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.0.feed(buf, false) {
            Ok(_) => Ok(buf.len()),
            Err(cpio::Stopped) => Err(io::Error::other("cpio reader stopped")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads an initramfs with the default [`Limits`].
pub fn read<R: Read>(stream: R) -> Initramfs {
    read_with_limits(stream, Limits::default())
}

/// Reads an initramfs.
pub fn read_with_limits<R: Read>(stream: R, limits: Limits) -> Initramfs {
    let mut input = Input::new(stream);
    let mut cpio = CpioReader::new(limits, keep);
    let mut errors = Vec::new();
    // The current uncompressed segment may continue (entries after entries) until a trailer.
    loop {
        let head = match input.peek(8) {
            Ok(h) => h.iter().take(8).copied().collect::<Vec<u8>>(),
            Err(e) => {
                errors.push(format!("read error at offset {}: {e}", input.offset));
                break;
            }
        };
        if head.is_empty() {
            break;
        }
        if head[0] == 0 {
            let zeros = match input.peek(8) {
                Ok(h) => h.iter().take_while(|b| **b == 0).count(),
                Err(_) => 1,
            };
            input.consume_n(zeros);
            continue;
        }
        if head[0] == b'0' && input.offset.is_multiple_of(4) {
            let continues = cpio.segments.last().is_some_and(|s| {
                s.compression == Compression::None
                    && s.trailers == 0
                    && s.offset + s.stored_bytes == input.offset
            });
            if !continues {
                cpio.segments.push(Segment {
                    offset: input.offset,
                    compression: Compression::None,
                    stored_bytes: 0,
                    cpio_bytes: 0,
                    entries: 0,
                    trailers: 0,
                });
            }
            cpio.begin_stream(input.offset);
            let start = input.offset;
            let total0 = cpio.total;
            let mut failed = false;
            loop {
                let buf = match io::BufRead::fill_buf(&mut input) {
                    Ok(b) => b,
                    Err(e) => {
                        errors.push(format!("read error at offset {}: {e}", input.offset));
                        failed = true;
                        break;
                    }
                };
                if buf.is_empty() {
                    break;
                }
                let len = buf.len();
                match cpio.feed(buf, true) {
                    Ok(n) => {
                        io::BufRead::consume(&mut input, n);
                        if n < len {
                            break;
                        }
                    }
                    Err(cpio::Stopped) => {
                        failed = true;
                        break;
                    }
                }
            }
            if let Some(s) = cpio.segments.last_mut() {
                s.stored_bytes += input.offset - start;
                s.cpio_bytes += cpio.total - total0;
            }
            if failed {
                break;
            }
            continue;
        }
        let Some(kind) = decompress::detect(&head) else {
            let shown: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
            let what = if head[0] == 0xc7 || head[0] == 0x71 {
                "old binary cpio format: not supported".to_string()
            } else {
                format!("unknown data (bytes {})", shown.join(" "))
            };
            errors.push(format!("offset {}: {what}; stopped", input.offset));
            break;
        };
        let offset = input.offset;
        cpio.segments.push(Segment {
            offset,
            compression: kind,
            stored_bytes: 0,
            cpio_bytes: 0,
            entries: 0,
            trailers: 0,
        });
        if !kind.supported() {
            errors.push(format!(
                "offset {offset}: {} compressed segment: not supported; stopped",
                kind.name()
            ));
            break;
        }
        cpio.begin_stream(0);
        let total0 = cpio.total;
        let res = decompress::decode(kind, &mut input, &mut Sink(&mut cpio));
        if let Some(s) = cpio.segments.last_mut() {
            s.stored_bytes = input.offset - offset;
            s.cpio_bytes = cpio.total - total0;
        }
        if let Some(f) = cpio.fatal.take() {
            errors.push(format!("{} segment at offset {offset}: {f}", kind.name()));
            break;
        }
        if let Err(e) = res {
            errors.push(format!(
                "{} segment at offset {offset}: {e} (truncated or corrupt); {}",
                kind.name(),
                cpio.describe_state()
            ));
            break;
        }
        if !cpio.at_reset() {
            errors.push(format!(
                "{} segment at offset {offset} ends {}: truncated archive",
                kind.name(),
                cpio.describe_state()
            ));
            break;
        }
    }
    if let Some(f) = cpio.fatal.take() {
        errors.push(format!("offset {}: {f}", input.offset));
    } else if errors.is_empty() && !cpio.at_reset() {
        errors.push(format!(
            "stream ends {}: truncated archive",
            cpio.describe_state()
        ));
    }
    finish(cpio, errors)
}

impl<R: Read> Input<R> {
    fn consume_n(&mut self, n: usize) {
        io::BufRead::consume(self, n);
    }
}

fn finish(cpio: CpioReader, errors: Vec<String>) -> Initramfs {
    let mut out = Initramfs {
        segments: cpio.segments,
        entries: cpio.entries,
        errors,
        notes: cpio.notes,
        ..Initramfs::default()
    };
    for (idx, bytes) in cpio.kept_files {
        let e = &mut out.entries[idx];
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if e.kind == EntryKind::Symlink {
            e.link_target = Some(text);
        } else {
            out.builtin.push(BuiltinList {
                path: e.path.clone(),
                kernel_version: kernel_version(&e.path).map(str::to_string),
                modules: text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(normalize_module_name)
                    .collect(),
            });
        }
    }
    let mut versions = std::collections::BTreeSet::new();
    for e in &out.entries {
        let ver = kernel_version(&e.path);
        if let Some(v) = ver {
            versions.insert(v.to_string());
        }
        if e.path.starts_with("kernel/x86/microcode/")
            && out.segments.get(e.segment).map(|s| s.compression) == Some(Compression::None)
        {
            out.early_microcode = true;
        }
        if e.kind != EntryKind::File {
            continue;
        }
        let base = e.path.rsplit('/').next().unwrap_or(&e.path);
        let Some(ext) = ["ko", "ko.xz", "ko.zst", "ko.gz"]
            .into_iter()
            .find(|x| base.len() > x.len() + 1 && base.ends_with(&format!(".{x}")))
        else {
            continue;
        };
        out.modules.push(ModuleFile {
            path: e.path.clone(),
            name: normalize_module_name(base),
            kernel_version: ver.map(str::to_string),
            extension: ext.to_string(),
        });
    }
    out.kernel_versions = versions.into_iter().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    /// Runs `sh -c script` in `dir`; panics naming the Debian package when a tool is missing.
    fn sh(dir: &Path, script: &str) {
        for (tool, pkg) in [
            ("cpio", "cpio"),
            ("gzip", "gzip"),
            ("xz", "xz-utils"),
            ("lzma", "xz-utils"),
            ("zstd", "zstd"),
            ("lz4", "lz4"),
            ("bzip2", "bzip2"),
        ] {
            if script.contains(&format!("{tool} ")) {
                let ok = Command::new("sh")
                    .arg("-c")
                    .arg(format!("command -v {tool}"))
                    .stdout(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "`{tool}` missing: apt-get install {pkg}");
            }
        }
        let out = Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir)
            .output()
            .expect("sh runs");
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A small initramfs tree: modules (plain, .xz, .zst), a 1 MiB file of noise, a symlink,
    /// `modules.builtin`, and an early-microcode tree beside it.
    fn fixture() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        let m = "main/usr/lib/modules/6.1.0-9-amd64";
        sh(
            d,
            &format!(
                "mkdir -p {m}/kernel/drivers/block {m}/kernel/drivers/nvme/host {m}/kernel/drivers/ata \
                   main/bin main/etc early/kernel/x86/microcode && \
                 echo blk > {m}/kernel/drivers/block/xen-blkfront.ko && \
                 echo virtio | xz > {m}/kernel/drivers/block/virtio_blk.ko.xz && \
                 echo nvme | zstd -q > {m}/kernel/drivers/nvme/host/nvme.ko.zst && \
                 printf 'kernel/drivers/ata/ata_piix.ko\nkernel/drivers/scsi/sd_mod.ko\n' > {m}/modules.builtin && \
                 head -c 1048576 /dev/urandom > main/bin/big && \
                 echo hello > main/etc/motd && ln -s usr/lib main/lib && \
                 echo ucode > early/kernel/x86/microcode/GenuineIntel.bin"
            ),
        );
        for (tree, fmt) in [
            ("main", "newc"),
            ("early", "newc"),
            ("main", "crc"),
            ("main", "odc"),
            ("main", "bin"),
        ] {
            sh(
                d,
                &format!(
                    "cd {tree} && find . | LC_ALL=C sort | cpio -o -H {fmt} --quiet > ../{tree}.{fmt}"
                ),
            );
        }
        sh(
            d,
            "gzip -9 -n -c main.newc > main.gz && xz --check=crc32 -c main.newc > main.xz && \
             lzma -c main.newc > main.lzma && zstd -q -19 -c main.newc > main.zst && \
             lz4 -l -q -c main.newc > main.lz4 && bzip2 -c main.newc > main.bz2",
        );
        t
    }

    fn read_file(p: &Path) -> Initramfs {
        read(std::fs::File::open(p).unwrap())
    }

    fn check_main(i: &Initramfs, what: &str) {
        assert!(i.complete(), "{what}: {:?}", i.errors);
        assert!(
            i.has_module("xen_blkfront") && i.has_module("xen-blkfront"),
            "{what}"
        );
        assert!(i.has_module("virtio_blk") && i.has_module("nvme"), "{what}");
        assert!(!i.has_module("ahci"), "{what}");
        assert!(i.has_builtin("ata_piix") && i.provides("sd-mod"), "{what}");
        assert!(!i.has_module("ata_piix"), "{what}");
        assert_eq!(i.kernel_versions, ["6.1.0-9-amd64"], "{what}");
        let big = i.entry("/bin/big").unwrap();
        assert_eq!((big.size, big.kind), (1_048_576, EntryKind::File), "{what}");
        assert_eq!(
            i.entry("lib").unwrap().link_target.as_deref(),
            Some("usr/lib")
        );
        assert_eq!(i.entry("etc").unwrap().kind, EntryKind::Dir);
        let m = i.modules.iter().find(|m| m.name == "virtio_blk").unwrap();
        assert_eq!(m.extension, "ko.xz");
        assert_eq!(m.kernel_version.as_deref(), Some("6.1.0-9-amd64"));
    }

    #[test]
    fn every_compression() {
        let t = fixture();
        for (file, label) in [
            ("main.newc", "cpio"),
            ("main.crc", "cpio"),
            ("main.gz", "gzip"),
            ("main.xz", "xz"),
            ("main.lzma", "lzma"),
            ("main.zst", "zstd"),
            ("main.lz4", "lz4-legacy"),
        ] {
            let i = read_file(&t.path().join(file));
            check_main(&i, file);
            assert_eq!(i.format_label(), label, "{file}");
            assert_eq!(i.segments.len(), 1, "{file}");
            assert_eq!(i.segments[0].trailers, 1, "{file}");
            assert!(i.notes.is_empty(), "{file}: {:?}", i.notes);
            let len = std::fs::metadata(t.path().join(file)).unwrap().len();
            assert!(i.segments[0].stored_bytes <= len, "{file}");
            assert!(!i.early_microcode);
        }
    }

    #[test]
    fn early_microcode_then_compressed() {
        let t = fixture();
        let d = t.path();
        for (comp, label) in [
            ("main.gz", "early-cpio+gzip"),
            ("main.zst", "early-cpio+zstd"),
            ("main.xz", "early-cpio+xz"),
            ("main.lzma", "early-cpio+lzma"),
            ("main.lz4", "early-cpio+lz4-legacy"),
        ] {
            sh(d, &format!("cat early.newc {comp} > joined"));
            let i = read_file(&d.join("joined"));
            check_main(&i, comp);
            assert_eq!(i.format_label(), label);
            assert!(i.early_microcode);
            assert_eq!(i.segments[0].entries, 5, "{:?}", i.segments); // with `.`
            assert_eq!(
                i.entry("kernel/x86/microcode/GenuineIntel.bin")
                    .unwrap()
                    .segment,
                0
            );
            assert_eq!(i.entry("bin/big").unwrap().segment, 1);
            let early_len = std::fs::metadata(d.join("early.newc")).unwrap().len();
            assert_eq!(i.segments[1].offset, early_len, "{comp}");
        }
        // Two plain archives, zero padding between segments, several compressed segments.
        sh(
            d,
            "{ cat early.newc early.newc; head -c 1024 /dev/zero; cat main.gz; head -c 7 /dev/zero; \\
               cat main.xz main.zst; } > many",
        );
        let i = read_file(&d.join("many"));
        assert!(i.complete(), "{:?} {:?}", i.errors, i.segments);
        assert_eq!(i.format_label(), "early-cpio+early-cpio+gzip+xz+zstd");
        assert_eq!(
            i.modules
                .iter()
                .filter(|m| m.name == "xen_blkfront")
                .count(),
            3
        );
        // Like the kernel, a plain cpio must start 4-byte aligned.
        sh(d, "{ cat main.gz; printf x; cat early.newc; } > unaligned");
        let i = read_file(&d.join("unaligned"));
        assert!(i.errors[0].contains("unknown data"), "{:?}", i.errors);
        check_main(
            &Initramfs {
                errors: vec![],
                ..i
            },
            "unaligned",
        );
    }

    #[test]
    fn truncated_and_corrupt_archives() {
        let t = fixture();
        let d = t.path();
        sh(d, "cat early.newc main.gz > joined");
        let full = std::fs::read(d.join("joined")).unwrap();
        for cut in [100, 700, full.len() / 3, full.len() / 2, full.len() - 5] {
            let i = read(&full[..cut]);
            assert!(!i.complete(), "cut {cut}");
            assert!(!i.errors.is_empty());
        }
        // A cut inside the gzip stream keeps the entries read before it.
        let i = read(&full[..full.len() - 5]);
        assert!(i.has_module("xen_blkfront"), "{:?}", i.errors);
        let plain = std::fs::read(d.join("main.newc")).unwrap();
        let i = read(&plain[..plain.len() / 2]);
        assert!(i.errors[0].contains("truncated"), "{:?}", i.errors);
        assert!(!i.entries.is_empty());
        // Corrupted compressed data.
        let mut gz = std::fs::read(d.join("main.gz")).unwrap();
        let n = gz.len();
        for b in &mut gz[n / 2..n / 2 + 64] {
            *b ^= 0x5a;
        }
        assert!(!read(&gz[..]).complete());
        // Unsupported formats are reported, not read.
        for (file, word) in [
            ("main.odc", "odc"),
            ("main.bin", "binary"),
            ("main.bz2", "bzip2"),
        ] {
            let i = read_file(&d.join(file));
            assert!(
                i.errors.iter().any(|e| e.contains(word)),
                "{file}: {:?}",
                i.errors
            );
            assert!(i.entries.is_empty(), "{file}");
        }
        // Junk after a complete archive.
        let mut junk = std::fs::read(d.join("main.gz")).unwrap();
        junk.extend_from_slice(b"GARBAGE!");
        let i = read(&junk[..]);
        check_main(
            &Initramfs {
                errors: vec![],
                ..i.clone()
            },
            "junk",
        );
        assert!(i.errors[0].contains("unknown data"), "{:?}", i.errors);
    }

    #[test]
    fn caps() {
        let t = fixture();
        let small = Limits {
            max_total_bytes: 512 * 1024,
            ..Limits::default()
        };
        let i = read_with_limits(
            std::fs::File::open(t.path().join("main.xz")).unwrap(),
            small,
        );
        assert!(i.errors[0].contains("size cap"), "{:?}", i.errors);
        let few = Limits {
            max_entries: 3,
            ..Limits::default()
        };
        let i = read_with_limits(std::fs::File::open(t.path().join("main.gz")).unwrap(), few);
        assert_eq!(i.entries.len(), 3);
        assert!(i.errors[0].contains("entry cap"), "{:?}", i.errors);
    }

    #[test]
    fn random_and_mutated_bytes_never_panic() {
        let t = fixture();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200 {
            let len = (next() % 4096) as usize;
            let mut v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Sometimes start with a plausible magic.
            let magics: [&[u8]; 7] = [
                b"070701",
                b"\x1f\x8b\x08\x00",
                b"\xfd7zXZ\x00",
                b"\x5d\x00\x00",
                b"\x28\xb5\x2f\xfd",
                b"\x02\x21\x4c\x18",
                b"070702",
            ];
            let m = magics[(next() % 7) as usize];
            if v.len() > m.len() {
                v[..m.len()].copy_from_slice(m);
            }
            let _ = read(&v[..]);
        }
        for file in [
            "main.newc",
            "main.gz",
            "main.xz",
            "main.zst",
            "main.lz4",
            "main.lzma",
        ] {
            let orig = std::fs::read(t.path().join(file)).unwrap();
            // Keep the mutated inputs small so the test stays fast.
            let orig = if orig.len() > 400_000 && file == "main.newc" {
                orig[..400_000].to_vec()
            } else {
                orig
            };
            for _ in 0..25 {
                let mut v = orig.clone();
                for _ in 0..8 {
                    let p = (next() % v.len() as u64) as usize;
                    v[p] ^= 1 << (next() % 8);
                }
                let cut = (next() % (v.len() as u64 + 1)) as usize;
                let _ = read(&v[..cut]);
            }
        }
    }

    fn corpus_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
    }

    #[test]
    fn corpus_images_initramfs() {
        use crate::guest::files::GuestFiles;
        let text = std::fs::read_to_string(corpus_root().join("manifest.json")).unwrap();
        let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
        let drivers = [
            "xen-blkfront",
            "xenblk",
            "virtio_blk",
            "ata_piix",
            "ahci",
            "sd_mod",
            "nvme",
        ];
        let mut seen = 0;
        for img in manifest.as_array().unwrap() {
            let name = img["image"].as_str().unwrap();
            let guest = crate::guest::Guest::open(&corpus_root().join("images").join(name))
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            for k in img["kernels"].as_array().unwrap() {
                let Some(path) = k["initrd"].as_str() else {
                    continue;
                };
                let Ok(stream) = guest.tree.open_file(path) else {
                    continue; // a boot entry's initrd that is missing is the manifest's business
                };
                let i = read(stream);
                assert!(i.complete(), "{name} {path}: {:?}", i.errors);
                assert_eq!(
                    i.format_label(),
                    k["initrd_format"].as_str().unwrap(),
                    "{name} {path}"
                );
                let want: Vec<&str> = k["initrd_disk_drivers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                let got: Vec<&str> = drivers.iter().copied().filter(|d| i.provides(d)).collect();
                let mut want_sorted: Vec<&str> = drivers
                    .iter()
                    .copied()
                    .filter(|d| want.contains(d))
                    .collect();
                want_sorted.dedup();
                assert_eq!(got, want_sorted, "{name} {path}");
                assert_eq!(
                    i.early_microcode,
                    i.format_label().starts_with("early-cpio")
                );
                seen += 1;
            }
        }
        assert!(seen >= 12, "read {seen} initramfs files");
    }
}
