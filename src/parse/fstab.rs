//! Parses `/etc/fstab` text into entries with their line numbers; a line that cannot be read is
//! recorded as a problem, never a failure. Device specs are classified by [`DeviceRef`].

pub use super::devref::{ByKind, DeviceRef, DiskName, DiskPrefix};
use serde::Serialize;

/// One mount line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FstabEntry {
    /// 1-based line number.
    pub line: usize,
    /// The original line, as written (without its line ending).
    pub text: String,
    /// First field, octal escapes (`\040`) decoded.
    pub spec: String,
    /// Second field, octal escapes decoded.
    pub mountpoint: String,
    pub fstype: String,
    /// Mount options split on commas (commas inside double quotes kept); empty when the field is
    /// missing (which means `defaults`).
    pub options: Vec<String>,
    /// Fifth field; `None` when missing or not a number.
    pub dump: Option<u32>,
    /// Sixth field (fsck order); `None` when missing or not a number.
    pub pass: Option<u32>,
}

impl FstabEntry {
    /// The classified device reference of `spec`.
    pub fn device(&self) -> DeviceRef {
        DeviceRef::parse(&self.spec)
    }

    /// `true` when `opt` (e.g. `noauto`, `nofail`) is among the options.
    pub fn has_option(&self, opt: &str) -> bool {
        self.options.iter().any(|o| o == opt)
    }

    /// Value of a `key=value` option, if present (the first one wins).
    pub fn option_value(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find_map(|o| o.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
    }
}

/// A line that was not understood (or was understood only in part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineProblem {
    /// 1-based line number.
    pub line: usize,
    /// The original line.
    pub text: String,
    pub message: String,
}

/// A parsed fstab.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Fstab {
    pub entries: Vec<FstabEntry>,
    pub problems: Vec<LineProblem>,
}

/// Decodes the octal escapes `getmntent(3)` understands (`\040` space, `\011` tab, `\012`
/// newline, `\134` backslash; any `\ooo`). A backslash not followed by three octal digits stays.
pub fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() {
            let d = &b[i + 1..i + 4];
            if d.iter().all(|c| (b'0'..=b'7').contains(c)) {
                let v = u32::from(d[0] - b'0') * 64
                    + u32::from(d[1] - b'0') * 8
                    + u32::from(d[2] - b'0');
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits the options field on commas outside double quotes (SELinux `context="a,b"`).
fn split_options(field: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in field.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parses fstab text. Blank lines and `#` comments are skipped; every other line becomes an entry
/// or a problem (some lines are both: an entry with a doubtful field also gets a problem).
pub fn parse(text: &str) -> Fstab {
    let mut fstab = Fstab::default();
    for (line, original) in super::text::numbered_lines(text) {
        let trimmed = original.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let problem = |message: String| super::text::problem(line, original, message);
        let mut fields: Vec<&str> = trimmed.split_ascii_whitespace().collect();
        // A trailing `# comment` after the fields is tolerated (and not a field).
        if let Some(pos) = fields.iter().position(|f| f.starts_with('#')) {
            if pos >= 3 {
                fields.truncate(pos);
            }
        }
        if fields.len() < 3 {
            fstab.problems.push(problem(format!(
                "only {} field{} (need at least device, mount point and type)",
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            )));
            continue;
        }
        let mut entry = FstabEntry {
            line,
            text: original.to_string(),
            spec: unescape(fields[0]),
            mountpoint: unescape(fields[1]),
            fstype: unescape(fields[2]),
            options: fields
                .get(3)
                .map(|o| split_options(&unescape(o)))
                .unwrap_or_default(),
            dump: None,
            pass: None,
        };
        for (i, name, slot) in [(4, "dump", &mut entry.dump), (5, "pass", &mut entry.pass)] {
            if let Some(f) = fields.get(i) {
                match f.parse::<u32>() {
                    Ok(v) => *slot = Some(v),
                    Err(_) => fstab
                        .problems
                        .push(problem(format!("{name} field {f:?} is not a number"))),
                }
            }
        }
        if fields.len() > 6 {
            fstab.problems.push(problem(format!(
                "{} extra field{} after the pass number ignored: {}",
                fields.len() - 6,
                if fields.len() == 7 { "" } else { "s" },
                fields[6..].join(" ")
            )));
        }
        if fields
            .get(3)
            .is_some_and(|o| o.matches('"').count() % 2 == 1)
        {
            fstab.problems.push(problem(
                "unbalanced double quote in the options".to_string(),
            ));
        }
        match entry.device() {
            DeviceRef::Uuid(v)
            | DeviceRef::Label(v)
            | DeviceRef::PartUuid(v)
            | DeviceRef::PartLabel(v)
                if v.is_empty() =>
            {
                fstab
                    .problems
                    .push(problem(format!("empty tag value in {:?}", entry.spec)));
            }
            _ => {}
        }
        let mp = entry.mountpoint.as_str();
        if !(mp.starts_with('/') || mp == "swap" || mp == "none") {
            fstab.problems.push(problem(format!(
                "mount point {mp:?} is not an absolute path, `swap` or `none`"
            )));
        }
        fstab.entries.push(entry);
    }
    fstab
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn corpus() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/configs")
    }

    fn read(rel: &str) -> String {
        let p = corpus().join(rel);
        std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("test corpus file {} missing: {e}", p.display()))
    }

    #[test]
    fn every_corpus_fstab_parses_cleanly() {
        let mut seen = 0;
        for dir in std::fs::read_dir(corpus()).expect("corpora/configs present") {
            let dir = dir.unwrap().path();
            let files: Vec<PathBuf> = if dir.is_dir() {
                std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect()
            } else {
                vec![dir]
            };
            for f in files {
                let name = f.file_name().unwrap().to_string_lossy().to_string();
                if !name.contains("fstab") {
                    continue;
                }
                let fstab = parse(&std::fs::read_to_string(&f).unwrap());
                assert!(
                    fstab.problems.is_empty(),
                    "{}: {:?}",
                    f.display(),
                    fstab.problems
                );
                assert!(!fstab.entries.is_empty(), "{}", f.display());
                seen += 1;
            }
        }
        assert!(
            seen >= 2,
            "expected the augeas and xen-tools fstabs, saw {seen}"
        );
    }

    #[test]
    fn augeas_fedora_fstab() {
        let f = parse(&read("augeas/etc_fstab"));
        assert_eq!(f.entries.len(), 10);
        let root = &f.entries[0];
        assert_eq!(root.line, 1);
        assert_eq!(root.spec, "/dev/vg00/lv00");
        assert_eq!(root.mountpoint, "/");
        assert_eq!(root.fstype, "ext3");
        assert_eq!(root.options, ["defaults"]);
        assert_eq!((root.dump, root.pass), (Some(1), Some(1)));
        assert_eq!(root.device(), DeviceRef::Lvm("/dev/vg00/lv00".into()));
        assert_eq!(f.entries[1].device(), DeviceRef::Label("/boot".into()));
        let devpts = &f.entries[2];
        assert_eq!(devpts.options, ["gid=5", "mode=620"]);
        assert_eq!(devpts.option_value("mode"), Some("620"));
        assert!(matches!(devpts.device(), DeviceRef::Other(_)));
        let swap = f.entries.iter().find(|e| e.fstype == "swap").unwrap();
        assert_eq!(swap.mountpoint, "swap");
    }

    #[test]
    fn xen_tools_fstab_uses_kernel_name() {
        let f = parse(&read("xen-tools-bookworm/fstab"));
        let root = f.entries.iter().find(|e| e.mountpoint == "/").unwrap();
        assert_eq!(root.line, 6);
        assert_eq!(
            root.text,
            "/dev/xvda1 / ext4 noatime,nodiratime,errors=remount-ro 0 1"
        );
        assert!(root.device().is_kernel_name());
        assert!(root.has_option("noatime"));
        assert_eq!(root.option_value("errors"), Some("remount-ro"));
    }

    #[test]
    fn escapes_tabs_missing_fields() {
        let text = "# comment\n\n   \t\n\
            LABEL=My\\040Disk\t/mnt/my\\040disk\text4\tdefaults,noatime\t0\t2\r\n\
            /dev/sdb1 /data xfs\n\
            /dev/sdc1 /x ext4 ro 1\n\
            \t# indented comment\n\
            tmpfs /tmp tmpfs size=1G 0 0 # trailing comment\n";
        let f = parse(text);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(f.entries.len(), 4);
        let e = &f.entries[0];
        assert_eq!(e.line, 4);
        assert_eq!(e.spec, "LABEL=My Disk");
        assert_eq!(e.mountpoint, "/mnt/my disk");
        assert_eq!(e.device(), DeviceRef::Label("My Disk".into()));
        assert!(!e.text.ends_with('\r'));
        let e = &f.entries[1];
        assert!(e.options.is_empty());
        assert_eq!((e.dump, e.pass), (None, None));
        assert_eq!((f.entries[2].dump, f.entries[2].pass), (Some(1), None));
        assert_eq!(f.entries[3].line, 8);
        assert_eq!(f.entries[3].pass, Some(0));
    }

    #[test]
    fn quoted_options_keep_commas() {
        let f = parse(
            "/dev/xvdb1 /srv ext4 defaults,context=\"system_u:object_r:tmp_t:s0:c127,c456\",noexec 0 0\n",
        );
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(
            f.entries[0].options,
            [
                "defaults",
                "context=\"system_u:object_r:tmp_t:s0:c127,c456\"",
                "noexec"
            ]
        );
    }

    #[test]
    fn junk_lines_are_problems() {
        let text = "garbage\n/dev/xvda1 /\n\
            /dev/xvda2 / ext4 defaults x y\n\
            UUID= /home ext4 defaults 0 2\n\
            /dev/xvda3 home ext4 defaults 0 2 extra\n\
            /dev/xvda4 /q ext4 a,\"b 0 0\n\
            \\999 \\ ext4 \u{0}\u{1}\u{ff}\n";
        let f = parse(text);
        let lines: Vec<usize> = f.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 3, 3, 4, 5, 5, 6, 7], "{:#?}", f.problems);
        assert_eq!(f.problems[0].text, "garbage");
        assert!(f.problems[2].message.contains("dump"));
        // Lines with at least three fields still yield entries.
        assert_eq!(f.entries.len(), 5);
        assert_eq!(f.entries[4].mountpoint, "\\");
        assert_eq!(f.entries[4].spec, "\\999");
    }

    #[test]
    fn random_bytes_never_panic() {
        // Deterministic xorshift noise biased towards fstab-ish characters.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet = b" \t\n\r#\\0123457=,\"/UUIDLABELxvda1";
        for round in 0..300 {
            let mut bytes = Vec::new();
            for _ in 0..(round * 3) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let b = (x >> 24) as u8;
                bytes.push(if b.is_multiple_of(3) {
                    b
                } else {
                    alphabet[b as usize % alphabet.len()]
                });
            }
            let text = String::from_utf8_lossy(&bytes);
            let f = parse(&text);
            for e in &f.entries {
                let _ = e.device();
            }
        }
    }

    #[test]
    fn unescape_cases() {
        assert_eq!(unescape("a\\040b"), "a b");
        assert_eq!(unescape("a\\011b\\134"), "a\tb\\");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
        assert_eq!(unescape("\\"), "\\");
        assert_eq!(unescape("\\777"), "\\777");
    }
}
