//! Identifies the boot code in the first 440 bytes of an MBR (GRUB legacy stage1, GRUB 2
//! `boot.img`, SYSLINUX, Windows/DOS, none) — what an HVM BIOS would run.

use serde::Serialize;

/// Size of the MBR code area (the disk signature starts at 0x1b8).
pub const CODE_AREA: usize = 440;

/// Which boot code is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BootCodeKind {
    /// The code area is all zeros: nothing for a BIOS to run (normal for a PV-only disk).
    None,
    GrubLegacy,
    Grub2,
    Syslinux,
    /// MS-DOS / Windows MBR code.
    Windows,
    Unknown,
}

/// The identified boot code and a one-line description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BootCode {
    pub kind: BootCodeKind,
    pub detail: String,
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut v = [0u8; 4];
    v.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(v)
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

/// The messages both GRUB generations print from their first sector.
const GRUB_STRINGS: &[&[u8]] = &[b"GRUB \0", b"Geom\0", b"Hard Disk\0", b"Read\0", b" Error"];

/// The relocation prologue shared by SYSLINUX 4–6 `mbr.bin`, `gptmbr.bin`, `altmbr.bin` and their
/// `_c`/`_f` variants: `xor ax,ax; cli; mov ds,ax; mov ss,ax; mov sp,0x7c00; mov si,sp; push es;
/// push di; mov es,ax; sti; cld; mov di,0x600; mov cx,0x100; rep movsw; jmp 0:0x61f`.
const SYSLINUX_PROLOGUE: &[u8] = &[
    0x33, 0xc0, 0xfa, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x7c, 0x89, 0xe6, 0x06, 0x57, 0x8e, 0xc0,
    0xfb, 0xfc, 0xbf, 0x00, 0x06, 0xb9, 0x00, 0x01, 0xf3, 0xa5, 0xea, 0x1f, 0x06, 0x00, 0x00,
];

fn printable_strings(code: &[u8]) -> Vec<String> {
    code.split(|b| !(0x20..0x7f).contains(b))
        .filter(|s| s.len() >= 6)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .take(4)
        .collect()
}

/// Identifies the boot code of `sector` (an MBR; only its first 440 bytes are looked at). A
/// sector shorter than that is `Unknown`, never a panic.
pub fn identify(sector: &[u8]) -> BootCode {
    let make = |kind, detail: String| BootCode { kind, detail };
    if sector.len() < CODE_AREA {
        return make(
            BootCodeKind::Unknown,
            format!(
                "only {} bytes, less than the {CODE_AREA}-byte code area",
                sector.len()
            ),
        );
    }
    let code = &sector[..CODE_AREA];
    if code.iter().all(|&b| b == 0) {
        return make(
            BootCodeKind::None,
            "code area is all zeros: no boot code".into(),
        );
    }

    if GRUB_STRINGS.iter().all(|s| contains(code, s)) {
        let at = find(code, b"GRUB \0").unwrap_or(0);
        // GRUB 2 (1.99 and later) `boot.img`, grub-core/boot/i386/pc/boot.S and
        // include/grub/i386/pc/boot.h: `jmp after_BPB` = EB 63 (after_BPB at 0x65), BPB up to
        // 0x5a, kernel_address (0x8000) at 0x5a, the 64-bit core.img sector at 0x5c, boot drive
        // at 0x64. grub-install copies the old sector's BPB (3..0x5a), so bytes inside the BPB
        // (such as a legacy stage1's version at 0x3e) may survive: the jump decides.
        if code[0] == 0xeb && code[1] == 0x63 {
            let sector = le_u64(code, 0x5c);
            return make(
                BootCodeKind::Grub2,
                format!(
                    "GRUB 2 boot.img (messages at {at:#x}); loads core.img from sector {sector}"
                ),
            );
        }
        // GRUB legacy (0.9x) stage1 has no Debian package to test against; this follows the
        // documented layout in stage1/stage1.h: `jmp after_BPB` = EB 48 (after_BPB at 0x4a),
        // COMPAT_VERSION_MAJOR 3 / MINOR 2 at 0x3e, boot drive 0x40, force-LBA 0x41, stage2
        // address 0x42, stage2 sector (32-bit) 0x44, stage2 segment 0x48; the messages
        // "GRUB \0Geom\0Hard Disk\0Read\0 Error\0" sit near 0x17x.
        if code[0x3e] == 3 && code[0x3f] == 2 {
            let sector = le_u32(code, 0x44);
            return make(
                BootCodeKind::GrubLegacy,
                format!(
                    "GRUB legacy stage1 (version 3.2); loads stage2 (or stage1.5) from sector {sector}"
                ),
            );
        }
        // GRUB 1.96–1.98 boot.img kept a version field at 0x3e, set to 4.0.
        if code[0x3e] == 4 && code[0x3f] == 0 {
            return make(
                BootCodeKind::Grub2,
                "early GRUB 2 (1.9x) boot.img (version 4.0)".into(),
            );
        }
        return make(
            BootCodeKind::Unknown,
            format!(
                "GRUB messages at {at:#x} but neither the GRUB 2 nor the GRUB legacy layout \
                 (starts {:02x} {:02x}, bytes at 0x3e: {:02x} {:02x})",
                code[0], code[1], code[0x3e], code[0x3f]
            ),
        );
    }

    if code.starts_with(SYSLINUX_PROLOGUE)
        || contains(code, b"Operating system load error")
        || (contains(code, b"Missing OS") && contains(code, b"Disk error"))
    {
        let variant = if contains(code, b"!GPT") || contains(code, b"Missing OS") {
            "gptmbr.bin (GPT)"
        } else if contains(code, b"Multiple active partitions") {
            "mbr.bin"
        } else {
            "altmbr.bin (fixed partition)"
        };
        return make(BootCodeKind::Syslinux, format!("SYSLINUX {variant}"));
    }

    if contains(code, b"Invalid partition table")
        && (contains(code, b"Error loading operating system")
            || contains(code, b"Missing operating system"))
    {
        let detail = if contains(code, b"TCPA") {
            "Windows Vista or later MBR (TPM-aware)"
        } else {
            "MS-DOS / Windows MBR"
        };
        return make(BootCodeKind::Windows, detail.into());
    }

    let mut detail = if &code[6..10] == b"LILO" {
        "LILO first stage".to_string()
    } else {
        format!(
            "unrecognised code starting {:02x} {:02x} {:02x}",
            code[0], code[1], code[2]
        )
    };
    let strings = printable_strings(code);
    if !strings.is_empty() {
        detail.push_str(&format!("; strings: {}", strings.join(" | ")));
    }
    make(BootCodeKind::Unknown, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real file from a Debian package; missing means the package is not installed.
    fn real(path: &str, package: &str) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|e| {
            panic!("{path} is needed by this test: apt-get install {package} ({e})")
        })
    }

    /// An MBR made of `code` followed by a partition table with one entry and the signature.
    fn mbr(code: &[u8]) -> Vec<u8> {
        let mut s = vec![0u8; 512];
        s[..code.len().min(CODE_AREA)].copy_from_slice(&code[..code.len().min(CODE_AREA)]);
        s[0x1b8..0x1bc].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        s[0x1be] = 0x80;
        s[0x1c2] = 0x83;
        s[0x1fe] = 0x55;
        s[0x1ff] = 0xaa;
        s
    }

    /// GRUB legacy stage1 built from the documented layout (no packaged copy exists).
    fn grub_legacy_stage1() -> Vec<u8> {
        let mut c = vec![0u8; CODE_AREA];
        c[0..3].copy_from_slice(&[0xeb, 0x48, 0x90]);
        c[0x3e] = 3;
        c[0x3f] = 2;
        c[0x40] = 0xff;
        c[0x42..0x44].copy_from_slice(&0x8000u16.to_le_bytes());
        c[0x44..0x48].copy_from_slice(&1u32.to_le_bytes());
        c[0x48..0x4a].copy_from_slice(&0x0800u16.to_le_bytes());
        c[0x4a..0x50].copy_from_slice(&[0xfa, 0x80, 0xfa, 0x80, 0x78, 0x7f]);
        let msgs = b"GRUB \0Geom\0Hard Disk\0Read\0 Error\0";
        c[0x179..0x179 + msgs.len()].copy_from_slice(msgs);
        mbr(&c)
    }

    #[test]
    fn real_grub2_boot_img() {
        let img = real("/usr/lib/grub/i386-pc/boot.img", "grub-pc-bin");
        let id = identify(&img);
        assert_eq!(id.kind, BootCodeKind::Grub2, "{}", id.detail);
        assert!(id.detail.contains("sector 1"), "{}", id.detail);
        // As installed: disk signature and partition table added after the code.
        let installed = mbr(&img[..CODE_AREA]);
        assert_eq!(identify(&installed).kind, BootCodeKind::Grub2);
    }

    #[test]
    fn grub2_over_old_stage1_bpb() {
        // grub-install keeps the BPB bytes, so a former stage1's version 3.2 at 0x3e survives.
        let mut img = real("/usr/lib/grub/i386-pc/boot.img", "grub-pc-bin");
        img[0x3e] = 3;
        img[0x3f] = 2;
        img[0x5c..0x64].copy_from_slice(&2048u64.to_le_bytes());
        let id = identify(&img);
        assert_eq!(id.kind, BootCodeKind::Grub2);
        assert!(id.detail.contains("sector 2048"), "{}", id.detail);
    }

    #[test]
    fn grub_legacy_documented_layout() {
        let id = identify(&grub_legacy_stage1());
        assert_eq!(id.kind, BootCodeKind::GrubLegacy, "{}", id.detail);
        assert!(id.detail.contains("sector 1"));
        // Same strings, unknown layout: not claimed as either.
        let mut odd = grub_legacy_stage1();
        odd[0x3e] = 9;
        assert_eq!(identify(&odd).kind, BootCodeKind::Unknown);
    }

    #[test]
    fn real_syslinux_mbrs() {
        let dir = "/usr/lib/syslinux/mbr";
        for (name, variant) in [
            ("mbr.bin", "mbr.bin"),
            ("gptmbr.bin", "gptmbr"),
            ("altmbr.bin", "altmbr"),
            ("extra/mbr_c.bin", "mbr.bin"),
            ("extra/gptmbr_f.bin", "gptmbr"),
        ] {
            let code = real(&format!("{dir}/{name}"), "syslinux-common");
            let id = identify(&mbr(&code));
            assert_eq!(id.kind, BootCodeKind::Syslinux, "{name}: {}", id.detail);
            assert!(id.detail.contains(variant), "{name}: {}", id.detail);
        }
    }

    #[test]
    fn random_sectors_never_panic() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for len in [0usize, 1, 10, 439, 440, 441, 512, 4096] {
            for _ in 0..50 {
                let sector: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x >> 32) as u8
                    })
                    .collect();
                let _ = identify(&sector);
            }
        }
    }

    #[test]
    fn zeros_windows_unknown_short() {
        assert_eq!(identify(&mbr(&[])).kind, BootCodeKind::None);
        assert_eq!(identify(&[0u8; 440]).kind, BootCodeKind::None);
        let mut w = vec![0x33, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x7c];
        w.resize(0x163, 0x90);
        w.extend_from_slice(
            b"Invalid partition table\0Error loading operating system\0Missing operating system\0",
        );
        assert_eq!(identify(&mbr(&w)).kind, BootCodeKind::Windows);
        let mut junk = vec![0xfau8; 100];
        junk.extend_from_slice(b"Hello boot world");
        let id = identify(&mbr(&junk));
        assert_eq!(id.kind, BootCodeKind::Unknown);
        assert!(id.detail.contains("Hello boot world"), "{}", id.detail);
        assert_eq!(identify(&[0xeb; 100]).kind, BootCodeKind::Unknown);
        assert_eq!(identify(&[]).kind, BootCodeKind::Unknown);
        let mut lilo = vec![0xfa, 0xeb, 0x21, 0x01, 0xb5, 0x01];
        lilo.extend_from_slice(b"LILO");
        assert!(identify(&mbr(&lilo)).detail.contains("LILO"));
    }
}
