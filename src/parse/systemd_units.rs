//! systemd enablement and unit files. The caller lists the symlinks under
//! `/etc/systemd/system/*.wants/` (and masks directly in `/etc/systemd/system/`); this module reads
//! their names (`serial-getty@hvc0.service` → template `serial-getty@.service`, instance `hvc0`),
//! spots masked units (→ `/dev/null`) and getty instances, and parses unit files and drop-ins
//! (sections, keys, line numbers) for `[Service] ExecStart=` getty lines.

pub use super::fstab::LineProblem;
use super::inittab::GettyCommand;
use serde::Serialize;

/// A unit name split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitName {
    /// As given: `serial-getty@hvc0.service`.
    pub full: String,
    /// Before `@` (or the whole stem): `serial-getty`.
    pub prefix: String,
    /// The instance, unescaped (`\x2d` → `-`): `hvc0`; `Some("")` for a template itself.
    pub instance: Option<String>,
    /// `service`, `target`, `socket`…
    pub unit_type: String,
}

/// Undoes systemd's `\xNN` escaping.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1] == b'x' {
            if let Ok(v) = u8::from_str_radix(&s[i + 2..i + 4], 16) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl UnitName {
    /// Splits `name`; `None` when it has no `.type` suffix.
    pub fn parse(name: &str) -> Option<UnitName> {
        let (stem, unit_type) = name.rsplit_once('.')?;
        if stem.is_empty() || unit_type.is_empty() || unit_type.contains('/') {
            return None;
        }
        let (prefix, instance) = match stem.split_once('@') {
            Some((p, i)) => (p, Some(unescape(i))),
            None => (stem, None),
        };
        Some(UnitName {
            full: name.to_string(),
            prefix: prefix.to_string(),
            instance,
            unit_type: unit_type.to_string(),
        })
    }

    /// The template this is an instance of (`serial-getty@.service`), if any.
    pub fn template(&self) -> Option<String> {
        self.instance
            .as_ref()
            .map(|_| format!("{}@.{}", self.prefix, self.unit_type))
    }

    /// The terminal a getty unit serves: the instance of `getty@`, `serial-getty@`,
    /// `autovt@`, `container-getty@`; `console` for `console-getty.service`.
    pub fn getty_tty(&self) -> Option<String> {
        if self.unit_type != "service" {
            return None;
        }
        match (self.prefix.as_str(), self.instance.as_deref()) {
            ("getty" | "serial-getty" | "autovt" | "container-getty", Some(i)) if !i.is_empty() => {
                Some(i.strip_prefix("dev/").unwrap_or(i).to_string())
            }
            ("console-getty", None) => Some("console".to_string()),
            _ => None,
        }
    }
}

/// One enablement (or mask) symlink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnablementLink {
    /// The `.wants`/`.requires` directory name (`getty.target.wants`), or empty for a link
    /// directly in `/etc/systemd/system` (a mask or an alias).
    pub dir: String,
    /// The unit the directory belongs to (`getty.target`), if `dir` is a `.wants`/`.requires`.
    pub wanted_by: Option<String>,
    /// The link name (`serial-getty@hvc0.service`).
    pub name: String,
    /// The link target as stored.
    pub target: String,
    pub unit: Option<UnitName>,
    /// The link points to `/dev/null`.
    pub masked: bool,
    /// The tty when the unit is a getty (see [`UnitName::getty_tty`]).
    pub getty_tty: Option<String>,
}

/// Reads one link: `dir` is the directory name (`getty.target.wants`), `name` the link name,
/// `target` its target.
pub fn parse_link(dir: &str, name: &str, target: &str) -> EnablementLink {
    let unit = UnitName::parse(name);
    let wanted_by = [".wants", ".requires", ".upholds"]
        .iter()
        .find_map(|s| dir.strip_suffix(s))
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    let masked = target == "/dev/null";
    EnablementLink {
        dir: dir.to_string(),
        wanted_by,
        name: name.to_string(),
        target: target.to_string(),
        getty_tty: if masked {
            None
        } else {
            unit.as_ref().and_then(UnitName::getty_tty)
        },
        unit,
        masked,
    }
}

/// Reads a list of `(dir, name, target)` links.
pub fn parse_links<'a>(
    links: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Vec<EnablementLink> {
    links
        .into_iter()
        .map(|(d, n, t)| parse_link(d, n, t))
        .collect()
}

/// The enabled getty instances (not masked) as `(tty, link)`.
pub fn enabled_gettys(links: &[EnablementLink]) -> Vec<(&str, &EnablementLink)> {
    links
        .iter()
        .filter(|l| !l.masked && l.wanted_by.is_some())
        .filter_map(|l| l.getty_tty.as_deref().map(|t| (t, l)))
        .collect()
}

/// One `Key=value` line of a unit file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitEntry {
    /// 1-based first line.
    pub line: usize,
    /// The original text (continuations joined with `\n`).
    pub text: String,
    /// The section name without brackets (`Service`).
    pub section: String,
    pub key: String,
    /// The value, backslash continuations joined with a space.
    pub value: String,
}

/// A parsed unit file or drop-in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnitFile {
    pub entries: Vec<UnitEntry>,
    /// `(line, name)` of every section header.
    pub sections: Vec<(usize, String)>,
    pub problems: Vec<LineProblem>,
}

impl UnitFile {
    /// Every entry of `section` with `key`, in order.
    pub fn get(&self, section: &str, key: &str) -> Vec<&UnitEntry> {
        self.entries
            .iter()
            .filter(|e| e.section == section && e.key == key)
            .collect()
    }
}

/// Parses a unit file (`#`/`;` comments, `[Section]` headers, `Key=value`, trailing `\`
/// continuations).
pub fn parse_unit(text: &str) -> UnitFile {
    let mut out = UnitFile::default();
    let mut section: Option<String> = None;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .collect();
    let mut i = 0;
    while i < lines.len() {
        let (line, original) = lines[i];
        i += 1;
        let trimmed = original.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        let problem = |message: &str| LineProblem {
            line,
            text: original.to_string(),
            message: message.to_string(),
        };
        if let Some(h) = trimmed.strip_prefix('[') {
            match h.strip_suffix(']') {
                Some(name) if !name.is_empty() => {
                    section = Some(name.to_string());
                    out.sections.push((line, name.to_string()));
                }
                _ => out.problems.push(problem("malformed section header")),
            }
            continue;
        }
        let mut text = original.to_string();
        let mut value_text = trimmed.to_string();
        while value_text.ends_with('\\') && i < lines.len() {
            value_text.pop();
            let (_, o) = lines[i];
            i += 1;
            text.push('\n');
            text.push_str(o);
            let t = o.trim();
            if t.starts_with(['#', ';']) {
                value_text.push('\\');
                continue;
            }
            value_text.push(' ');
            value_text.push_str(t);
        }
        let Some((key, value)) = value_text.split_once('=') else {
            out.problems.push(problem("not a Key=value line"));
            continue;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            out.problems.push(problem("malformed key"));
            continue;
        }
        let Some(sec) = section.clone() else {
            out.problems
                .push(problem("assignment before any [Section] header"));
            continue;
        };
        out.entries.push(UnitEntry {
            line,
            text,
            section: sec,
            key: key.to_string(),
            value: value.trim().to_string(),
        });
    }
    out
}

/// The effective entries of `section`/`key` over a unit file and its drop-ins, in the order
/// systemd reads them (the unit first, then drop-ins sorted by the caller): an empty value resets
/// the list (`ExecStart=` in a drop-in).
pub fn effective<'a>(files: &[&'a UnitFile], section: &str, key: &str) -> Vec<&'a UnitEntry> {
    let mut out: Vec<&UnitEntry> = Vec::new();
    for f in files {
        for e in f.get(section, key) {
            if e.value.is_empty() {
                out.clear();
            } else {
                out.push(e);
            }
        }
    }
    out
}

/// Expands the specifiers systemd uses in getty units: `%i` (instance as escaped in the name),
/// `%I` (unescaped), `%p`, `%n`, `%%`. Others stay.
pub fn expand_specifiers(s: &str, unit: Option<&UnitName>) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match (chars.next(), unit) {
            (Some('%'), _) => out.push('%'),
            (Some('I'), Some(u)) => out.push_str(u.instance.as_deref().unwrap_or("")),
            (Some('i'), Some(u)) => {
                let stem = u.full.rsplit_once('.').map(|(s, _)| s).unwrap_or(&u.full);
                out.push_str(stem.split_once('@').map(|(_, i)| i).unwrap_or(""));
            }
            (Some('p'), Some(u)) => out.push_str(&u.prefix),
            (Some('n'), Some(u)) => out.push_str(&u.full),
            (Some(o), _) => {
                out.push('%');
                out.push(o);
            }
            (None, _) => out.push('%'),
        }
    }
    out
}

/// The gettys the effective `[Service] ExecStart=` lines run, with specifiers expanded for
/// `unit` (an instance name such as `serial-getty@hvc0.service`). A getty reading standard input
/// (`-`) takes its tty from `TTYPath=`.
pub fn exec_start_gettys(
    files: &[&UnitFile],
    unit: Option<&UnitName>,
) -> Vec<(usize, GettyCommand)> {
    let tty_path = effective(files, "Service", "TTYPath")
        .last()
        .map(|e| expand_specifiers(&e.value, unit));
    effective(files, "Service", "ExecStart")
        .into_iter()
        .filter_map(|e| {
            let mut g = GettyCommand::parse(&expand_specifiers(&e.value, unit))?;
            if g.tty.as_deref() == Some("-") {
                if let Some(p) = &tty_path {
                    g.tty = Some(p.strip_prefix("/dev/").unwrap_or(p).to_string());
                }
            }
            g.tty_is_variable = g.tty.as_deref().is_some_and(|t| t.contains(['$', '%']));
            Some((e.line, g))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn corpus_enablement_links() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees");
        let mut links = Vec::new();
        for sys in [
            "centos7-pv/root/etc/systemd/system",
            "gpt-efi/root/etc/systemd/system",
        ] {
            for d in std::fs::read_dir(root.join(sys)).unwrap() {
                let d = d.unwrap();
                if !d.file_type().unwrap().is_dir() {
                    continue;
                }
                let dir = d.file_name().to_string_lossy().to_string();
                for l in std::fs::read_dir(d.path()).unwrap() {
                    let l = l.unwrap();
                    let target = std::fs::read_link(l.path()).unwrap();
                    links.push(parse_link(
                        &dir,
                        &l.file_name().to_string_lossy(),
                        &target.to_string_lossy(),
                    ));
                }
            }
        }
        let mut g: Vec<&str> = enabled_gettys(&links).iter().map(|(t, _)| *t).collect();
        g.sort();
        assert_eq!(g, ["hvc0", "hvc0", "tty1"]);
        let hvc = links
            .iter()
            .find(|l| l.name == "serial-getty@hvc0.service")
            .unwrap();
        assert_eq!(hvc.wanted_by.as_deref(), Some("getty.target"));
        assert_eq!(
            hvc.unit.as_ref().unwrap().template().as_deref(),
            Some("serial-getty@.service")
        );
        assert_eq!(hvc.target, "/usr/lib/systemd/system/serial-getty@.service");
        let gt = links.iter().find(|l| l.name == "getty.target").unwrap();
        assert_eq!(gt.getty_tty, None);
        assert_eq!(gt.wanted_by.as_deref(), Some("multi-user.target"));
    }

    #[test]
    fn corpus_unit_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees");
        for rel in [
            "centos7-pv/root/usr/lib/systemd/system/serial-getty@.service",
            "centos7-pv/root/usr/lib/systemd/system/getty@.service",
            "centos7-pv/root/usr/lib/systemd/system/getty.target",
            "centos7-pv/root/usr/lib/systemd/system/multi-user.target",
            "clean-hvm/usr/lib/systemd/system/serial-getty@.service",
            "gpt-efi/root/usr/lib/systemd/system/serial-getty@.service",
            "xentools-partitionless/usr/lib/systemd/system/serial-getty@.service",
        ] {
            let u = parse_unit(&std::fs::read_to_string(root.join(rel)).unwrap());
            assert!(u.problems.is_empty(), "{rel}: {:?}", u.problems);
            assert!(!u.entries.is_empty(), "{rel}");
        }
        let sg = parse_unit(
            &std::fs::read_to_string(
                root.join("centos7-pv/root/usr/lib/systemd/system/serial-getty@.service"),
            )
            .unwrap(),
        );
        let name = UnitName::parse("serial-getty@hvc0.service").unwrap();
        let g = exec_start_gettys(&[&sg], Some(&name));
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].0, 23);
        assert_eq!(g[0].1.tty.as_deref(), Some("hvc0"));
        assert!(!g[0].1.tty_is_variable);
        let tmpl = exec_start_gettys(&[&sg], None);
        assert_eq!(tmpl[0].1.tty.as_deref(), Some("%I"));
        assert!(tmpl[0].1.tty_is_variable);
    }

    #[test]
    fn dropins_masks_and_stdin_getty() {
        let base = parse_unit(
            "[Unit]\nDescription=Getty on %I\n[Service]\n# the getty\nExecStart=-/sbin/agetty -o '-p -- \\\\u' --noclear - $TERM\nTTYPath=/dev/%I\n",
        );
        let dropin = parse_unit("[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root \\\n  --noclear %I 115200 linux\n");
        assert!(
            base.problems.is_empty() && dropin.problems.is_empty(),
            "{:?}",
            dropin.problems
        );
        let n = UnitName::parse("getty@tty1.service").unwrap();
        let g = exec_start_gettys(&[&base], Some(&n));
        assert_eq!(g[0].1.tty.as_deref(), Some("tty1"));
        let g = exec_start_gettys(&[&base, &dropin], Some(&n));
        assert_eq!(g.len(), 1);
        assert_eq!((g[0].0, g[0].1.tty.as_deref()), (3, Some("tty1")));
        assert!(dropin.entries[1].text.contains('\n'));
        let m = parse_link("", "serial-getty@ttyS0.service", "/dev/null");
        assert!(m.masked && m.getty_tty.is_none() && m.wanted_by.is_none());
        let e = UnitName::parse("serial-getty@tty\\x2dx.service").unwrap();
        assert_eq!(e.instance.as_deref(), Some("tty-x"));
        assert_eq!(
            expand_specifiers("%i|%I|%p|%n|%%|%Z", Some(&e)),
            "tty\\x2dx|tty-x|serial-getty|serial-getty@tty\\x2dx.service|%|%Z"
        );
        assert_eq!(
            UnitName::parse("console-getty.service")
                .unwrap()
                .getty_tty()
                .as_deref(),
            Some("console")
        );
        assert!(UnitName::parse("noext").is_none());
    }

    #[test]
    fn junk() {
        let u = parse_unit("Key=before\n[Unit\n[Service]\nnovalue\nbad key=1\n");
        let lines: Vec<usize> = u.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 4, 5]);
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(
            b" \n#;[]=\\%IiExecStart=agetty@.service",
            |s| {
                let u = parse_unit(s);
                let n = UnitName::parse(s);
                let _ = exec_start_gettys(&[&u], n.as_ref());
                let _ = parse_link(s, s, s);
            },
        );
    }
}
