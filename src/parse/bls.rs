//! Parses Boot Loader Specification snippets (`/boot/loader/entries/*.conf`, read by GRUB's
//! `blscfg` on Fedora/RHEL 8+): `key value` lines with their line numbers, the `options` as a
//! kernel command line (often `$kernelopts`, expanded from `grubenv` at boot), and the order
//! GRUB's `blscfg` lists the entries in (newest version first).

use super::cmdline::Cmdline;
use super::text::{numbered_lines, problem, LineProblem};
use serde::Serialize;
use std::cmp::Ordering;

/// One `key value` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub line: usize,
    pub text: String,
    pub key: String,
    /// The rest of the line, surrounding whitespace removed.
    pub value: String,
    /// Byte column of `value` in the line.
    pub value_column: usize,
}

/// A parsed BLS entry (one `.conf` file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlsEntry {
    pub title: Option<Field>,
    pub version: Option<Field>,
    pub machine_id: Option<Field>,
    pub sort_key: Option<Field>,
    pub linux: Option<Field>,
    pub efi: Option<Field>,
    /// `initrd` lines (several allowed; one line may also name several files).
    pub initrd: Vec<Field>,
    /// `options` lines (several are concatenated).
    pub options: Vec<Field>,
    pub devicetree: Option<Field>,
    pub architecture: Option<Field>,
    pub grub_users: Option<Field>,
    pub grub_arg: Option<Field>,
    pub grub_class: Option<Field>,
    /// Keys this parser does not model (the spec says to ignore them).
    pub other: Vec<Field>,
    pub problems: Vec<LineProblem>,
}

impl BlsEntry {
    /// The kernel command line: every `options` value joined with spaces. May hold unexpanded
    /// variables (`$kernelopts`, `$tuned_params`): check [`Cmdline::has_unexpanded`].
    pub fn cmdline(&self) -> Cmdline {
        let joined: Vec<&str> = self.options.iter().map(|f| f.value.as_str()).collect();
        Cmdline::parse(&joined.join(" "))
    }

    /// Every initrd file named, in order.
    pub fn initrd_paths(&self) -> Vec<&str> {
        self.initrd
            .iter()
            .flat_map(|f| f.value.split_ascii_whitespace())
            .collect()
    }

    /// The kernel path (`linux`, or `efi` for a unified kernel image).
    pub fn kernel_path(&self) -> Option<&str> {
        self.linux
            .as_ref()
            .or(self.efi.as_ref())
            .map(|f| f.value.as_str())
    }

    /// Title as GRUB shows it (falls back to the version, as blscfg does).
    pub fn display_title(&self) -> Option<&str> {
        self.title
            .as_ref()
            .or(self.version.as_ref())
            .map(|f| f.value.as_str())
    }
}

/// The entry id GRUB uses (`saved_entry` in grubenv): the file name without `.conf`.
pub fn id_from_file_name(name: &str) -> &str {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.strip_suffix(".conf").unwrap_or(base)
}

/// Parses one BLS snippet. Never fails.
pub fn parse(text: &str) -> BlsEntry {
    let mut e = BlsEntry::default();
    for (line, original) in numbered_lines(text) {
        let t = original.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let lead = original.len() - original.trim_start().len();
        let (key, value, off) = super::text::split_word(&original[lead..]);
        let value = value.trim_end();
        if !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            e.problems
                .push(problem(line, original, format!("{key:?} is not a BLS key")));
            continue;
        }
        if value.is_empty() {
            e.problems
                .push(problem(line, original, format!("`{key}` without a value")));
        }
        let f = Field {
            line,
            text: original.to_string(),
            key: key.to_string(),
            value: value.to_string(),
            value_column: lead + off,
        };
        let single = match key {
            "title" => &mut e.title,
            "version" => &mut e.version,
            "machine-id" => &mut e.machine_id,
            "sort-key" => &mut e.sort_key,
            "linux" => &mut e.linux,
            "efi" => &mut e.efi,
            "devicetree" => &mut e.devicetree,
            "architecture" => &mut e.architecture,
            "grub_users" => &mut e.grub_users,
            "grub_arg" => &mut e.grub_arg,
            "grub_class" => &mut e.grub_class,
            "initrd" => {
                e.initrd.push(f);
                continue;
            }
            "options" => {
                e.options.push(f);
                continue;
            }
            _ => {
                e.other.push(f);
                continue;
            }
        };
        if single.is_some() {
            e.problems.push(problem(
                line,
                original,
                format!("second `{key}`: the last one is used"),
            ));
        }
        *single = Some(f);
    }
    if e.linux.is_none() && e.efi.is_none() {
        if let Some(f) = e.title.as_ref().or(e.options.first()) {
            let p = problem(
                f.line,
                &f.text,
                "entry has neither `linux` nor `efi`: nothing to boot",
            );
            e.problems.push(p);
        }
    }
    e
}

/// RPM version comparison (`rpmvercmp`, which GRUB's blscfg uses): alphanumeric segments,
/// numbers numerically, a number beats letters, `~` sorts before anything, `^` after.
pub fn vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while x.first().is_some_and(|&c| sep(c)) {
            x = &x[1..];
        }
        while y.first().is_some_and(|&c| sep(c)) {
            y = &y[1..];
        }
        match (x.first(), y.first()) {
            (Some(b'~'), Some(b'~')) => {
                x = &x[1..];
                y = &y[1..];
                continue;
            }
            (Some(b'~'), _) => return Ordering::Less,
            (_, Some(b'~')) => return Ordering::Greater,
            (Some(b'^'), Some(b'^')) => {
                x = &x[1..];
                y = &y[1..];
                continue;
            }
            (Some(b'^'), None) => return Ordering::Greater,
            (None, Some(b'^')) => return Ordering::Less,
            (Some(b'^'), _) => return Ordering::Less,
            (_, Some(b'^')) => return Ordering::Greater,
            (None, _) | (_, None) => break,
            _ => {}
        }
        let numeric = x[0].is_ascii_digit();
        let take = |s: &[u8]| {
            let n = s
                .iter()
                .position(|&c| {
                    if numeric {
                        !c.is_ascii_digit()
                    } else {
                        !c.is_ascii_alphabetic()
                    }
                })
                .unwrap_or(s.len());
            n
        };
        let (nx, ny) = (take(x), take(y));
        let (sx, sy) = (&x[..nx], &y[..ny]);
        if sy.is_empty() {
            // Segment types differ: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let ord = if numeric {
            let trim = |s: &[u8]| {
                let z = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
                s[z..].to_vec()
            };
            let (tx, ty) = (trim(sx), trim(sy));
            tx.len().cmp(&ty.len()).then_with(|| tx.cmp(&ty))
        } else {
            sx.cmp(sy)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        x = &x[nx..];
        y = &y[ny..];
    }
    match (x.is_empty(), y.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// Menu order of two entries as blscfg lists them: `Less` means `a` comes first. Newer
/// `version` first; entries without a version after those with one; ties by id, newer first.
pub fn menu_cmp(a_id: &str, a: &BlsEntry, b_id: &str, b: &BlsEntry) -> Ordering {
    let va = a.version.as_ref().map(|f| f.value.as_str());
    let vb = b.version.as_ref().map(|f| f.value.as_str());
    let by_version = match (va, vb) {
        (Some(x), Some(y)) => vercmp(y, x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_version.then_with(|| vercmp(b_id, a_id))
}

/// Indices of `entries` (`(id, entry)`) in blscfg menu order: index 0 of the result is what
/// `default=0` boots.
pub fn menu_order(entries: &[(&str, &BlsEntry)]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..entries.len()).collect();
    idx.sort_by(|&i, &j| menu_cmp(entries[i].0, entries[i].1, entries[j].0, entries[j].1));
    idx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::cmdline::ConsoleKind;
    use crate::parse::devref::DeviceRef;
    use std::path::{Path, PathBuf};

    fn tree_confs() -> Vec<PathBuf> {
        crate::parse::text::corpus_tree_files(&|p: &Path| {
            p.extension().and_then(|x| x.to_str()) == Some("conf")
                && p.to_string_lossy().contains("/boot/loader/entries/")
        })
    }

    #[test]
    fn corpus_entries_parse_cleanly_and_sort_newest_first() {
        let files = tree_confs();
        assert!(files.len() >= 2, "{files:?}");
        let parsed: Vec<(String, BlsEntry)> = files
            .iter()
            .map(|f| {
                let e = parse(&std::fs::read_to_string(f).unwrap());
                assert!(e.problems.is_empty(), "{}: {:#?}", f.display(), e.problems);
                let name = f.file_name().unwrap().to_string_lossy().to_string();
                (id_from_file_name(&name).to_string(), e)
            })
            .collect();
        let refs: Vec<(&str, &BlsEntry)> = parsed.iter().map(|(i, e)| (i.as_str(), e)).collect();
        let order = menu_order(&refs);
        let first = &parsed[order[0]];
        assert_eq!(
            first.0,
            "eefd400f148b4b07aa7ff770a578a311-6.7.4-200.fc39.x86_64"
        );
        let e = &first.1;
        assert_eq!(
            e.title.as_ref().unwrap().value,
            "Fedora Linux (6.7.4-200.fc39.x86_64) 39 (Cloud Edition)"
        );
        assert_eq!(e.kernel_path(), Some("/boot/vmlinuz-6.7.4-200.fc39.x86_64"));
        assert_eq!(
            e.initrd_paths(),
            ["/boot/initramfs-6.7.4-200.fc39.x86_64.img"]
        );
        let o = &e.options[0];
        assert_eq!(o.line, 5);
        assert_eq!(&o.text[o.value_column..], o.value);
        let c = e.cmdline();
        assert_eq!(
            c.root_device(),
            Some(DeviceRef::Uuid(
                "764a42dd-1f6d-4edb-ab88-19124d6c1d90".into()
            ))
        );
        assert_eq!(c.consoles()[0].kind, ConsoleKind::XenPv);
        assert_eq!(e.grub_users.as_ref().unwrap().value, "$grub_users");
        assert_eq!(e.grub_arg.as_ref().unwrap().value, "--unrestricted");
        assert_eq!(e.grub_class.as_ref().unwrap().line, 8);
    }

    #[test]
    fn kernelopts_and_repeats() {
        let e = parse(
            "# comment\ntitle  Fedora 30\nversion 5.0.9\nmachine-id abc\nlinux /vmlinuz-5.0.9\n\
             initrd /early.img /initramfs-5.0.9.img\ninitrd /extra.img\n\
             options $kernelopts\noptions console=ttyS0 ${extra_cmdline}\nsort-key fedora\nfoo bar\n",
        );
        assert!(e.problems.is_empty(), "{:#?}", e.problems);
        assert_eq!(e.title.as_ref().unwrap().value_column, 7);
        assert_eq!(
            e.initrd_paths(),
            ["/early.img", "/initramfs-5.0.9.img", "/extra.img"]
        );
        let c = e.cmdline();
        assert!(c.has_unexpanded());
        assert_eq!(c.params[0].name, "$kernelopts");
        assert_eq!(c.consoles()[0].device, "ttyS0");
        assert_eq!(e.other[0].key, "foo");
        assert_eq!(e.machine_id.as_ref().unwrap().value, "abc");
        assert_eq!(e.sort_key.as_ref().unwrap().line, 10);
    }

    #[test]
    fn junk_lines_are_problems() {
        let e = parse("title A\ntitle B\nlinux\n=== junk\noptions ro\n");
        let lines: Vec<usize> = e.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3, 4], "{:#?}", e.problems);
        assert_eq!(e.title.as_ref().unwrap().value, "B");
        let e = parse("title only\n");
        assert_eq!(e.problems.len(), 1);
        assert_eq!(e.problems[0].line, 1);
        assert!(parse("").problems.is_empty());
    }

    #[test]
    fn rpm_version_order() {
        use Ordering::*;
        for (a, b, o) in [
            ("6.7.4-200.fc39.x86_64", "6.5.6-300.fc39.x86_64", Greater),
            ("5.10.0", "5.9.0", Greater),
            ("1.0", "1.0", Equal),
            ("1.0", "1.0.1", Less),
            ("1.0a", "1.0", Greater),
            ("1.0~rc1", "1.0", Less),
            ("1.0^git1", "1.0", Greater),
            ("1.01", "1.1", Equal),
            ("2", "a", Greater),
            ("a", "2", Less),
            ("0-rescue-abc", "6.1.0", Less),
        ] {
            assert_eq!(vercmp(a, b), o, "{a} vs {b}");
            assert_eq!(vercmp(b, a), o.reverse(), "{b} vs {a}");
        }
        assert_eq!(id_from_file_name("/boot/loader/entries/x-1.conf"), "x-1");
    }

    #[test]
    fn order_without_versions() {
        let a = parse("title a\nlinux /a\n");
        let b = parse("title b\nversion 1\nlinux /b\n");
        let c = parse("title c\nlinux /c\n");
        let order = menu_order(&[("m-1", &a), ("m-2", &b), ("m-3", &c)]);
        assert_eq!(order, [1, 2, 0]);
    }

    #[test]
    fn random_bytes_never_panic() {
        for s in crate::parse::text::noise(300, b" \t\n#titleoptionsinitrd$~^.-0123") {
            let e = parse(&s);
            let _ = (e.cmdline(), e.initrd_paths(), e.display_title());
            let _ = vercmp(&s, "1.0~rc^2");
        }
    }
}
