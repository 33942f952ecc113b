//! Parses `/etc/mdadm.conf` / `/etc/mdadm/mdadm.conf`: `DEVICE` lines (which block devices mdadm
//! scans) and `ARRAY` lines (with `devices=/dev/xvda1,…`), keeping every device name so a rule can
//! find kernel names that change with the disk driver. Lines that start with white space continue
//! the previous line, as mdadm reads them; `#` starts a comment.

pub use super::devref::DeviceRef;
pub use super::fstab::LineProblem;
use serde::Serialize;

/// A device word with its classification (globs such as `/dev/xvd*` stay [`DeviceRef::Other`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MdDevice {
    pub spec: String,
    pub device: DeviceRef,
}

impl MdDevice {
    fn new(spec: &str) -> MdDevice {
        MdDevice {
            spec: spec.to_string(),
            device: DeviceRef::parse(spec),
        }
    }

    /// `true` for a kernel disk name, or a glob over one (`/dev/xvd*`, `/dev/sd[ab]1`).
    pub fn names_kernel_disk(&self) -> bool {
        if self.device.is_kernel_name() {
            return true;
        }
        let Some(rest) = self.spec.strip_prefix("/dev/") else {
            return false;
        };
        ["xvd", "sd", "hd", "vd", "nvme"]
            .iter()
            .any(|p| rest.starts_with(p) && rest.contains(['*', '?', '[']))
    }
}

/// What a logical line says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MdLineKind {
    /// `DEVICE /dev/xvd[ab]1 partitions containers`.
    Device { devices: Vec<MdDevice> },
    /// `ARRAY /dev/md0 level=raid1 UUID=… devices=/dev/xvda1,/dev/xvdb1`.
    Array {
        /// The md device (`/dev/md0`, `/dev/md/root`), `None` for `<ignore>` or when missing.
        md_device: Option<String>,
        /// Every `key=value` tag as written (key lowercased).
        tags: Vec<(String, String)>,
        /// The `devices=` list.
        devices: Vec<MdDevice>,
    },
    /// Any other keyword (`MAILADDR`, `HOMEHOST`, `CREATE`, `AUTO`, `POLICY`…), words kept.
    Other { keyword: String, words: Vec<String> },
}

/// One logical line (a line and its white-space-led continuations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MdLine {
    /// 1-based number of the first physical line.
    pub line: usize,
    /// The original text (continuations joined with `\n`).
    pub text: String,
    #[serde(flatten)]
    pub kind: MdLineKind,
}

/// A parsed mdadm.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MdadmConf {
    pub lines: Vec<MdLine>,
    pub problems: Vec<LineProblem>,
}

impl MdadmConf {
    /// Every device word of `DEVICE` and `ARRAY devices=` lines, with its line number.
    pub fn device_names(&self) -> Vec<(usize, &MdDevice)> {
        let mut out = Vec::new();
        for l in &self.lines {
            match &l.kind {
                MdLineKind::Device { devices } | MdLineKind::Array { devices, .. } => {
                    out.extend(devices.iter().map(|d| (l.line, d)));
                }
                MdLineKind::Other { .. } => {}
            }
        }
        out
    }
}

const KEYWORDS: &[&str] = &[
    "DEVICE",
    "ARRAY",
    "MAILADDR",
    "MAILFROM",
    "PROGRAM",
    "CREATE",
    "HOMEHOST",
    "HOMECLUSTER",
    "AUTO",
    "POLICY",
    "PART-POLICY",
    "SYSFS",
    "MONITORDELAY",
    "ENCRYPTION",
    "PROBING",
];

/// Words of a line up to a `#` comment; double-quoted words keep their spaces.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut has = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                has = true;
            }
            '#' if !quoted && !has => break,
            c if c.is_whitespace() && !quoted => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            c => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has {
        out.push(cur);
    }
    out
}

/// Parses mdadm.conf text.
pub fn parse(text: &str) -> MdadmConf {
    let mut out = MdadmConf::default();
    // Logical lines: (first line number, joined text, words).
    let mut logical: Vec<(usize, String, Vec<String>)> = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let original = raw.strip_suffix('\r').unwrap_or(raw);
        let w = words(original);
        if w.is_empty() {
            continue;
        }
        let continues = original.starts_with([' ', '\t']);
        match logical.last_mut() {
            Some(last) if continues => {
                last.1.push('\n');
                last.1.push_str(original);
                last.2.extend(w);
            }
            _ => logical.push((idx + 1, original.to_string(), w)),
        }
    }
    for (line, text, w) in logical {
        let problem = |message: String| LineProblem {
            line,
            text: text.clone(),
            message,
        };
        let kw = w[0].to_ascii_uppercase();
        // mdadm accepts keywords abbreviated to three or more letters.
        let keyword = if kw.len() >= 3 {
            KEYWORDS
                .iter()
                .find(|k| k.starts_with(kw.as_str()))
                .copied()
        } else {
            None
        };
        let kind = match keyword {
            Some("DEVICE") => {
                if w.len() == 1 {
                    out.problems
                        .push(problem("DEVICE line names no device".to_string()));
                }
                MdLineKind::Device {
                    devices: w[1..].iter().map(|d| MdDevice::new(d)).collect(),
                }
            }
            Some("ARRAY") => {
                let mut md_device = None;
                let mut tags = Vec::new();
                let mut devices = Vec::new();
                for word in &w[1..] {
                    match word.split_once('=') {
                        Some((k, v)) => {
                            let k = k.to_ascii_lowercase();
                            if k == "devices" {
                                devices.extend(
                                    v.split(',').filter(|d| !d.is_empty()).map(MdDevice::new),
                                );
                            }
                            tags.push((k, v.to_string()));
                        }
                        None if md_device.is_none() && word != "<ignore>" => {
                            md_device = Some(word.clone());
                        }
                        None if word == "<ignore>" => {}
                        None => out
                            .problems
                            .push(problem(format!("unexpected word {word:?} in ARRAY line"))),
                    }
                }
                MdLineKind::Array {
                    md_device,
                    tags,
                    devices,
                }
            }
            Some(k) => MdLineKind::Other {
                keyword: k.to_string(),
                words: w[1..].to_vec(),
            },
            None => {
                out.problems
                    .push(problem(format!("unknown keyword {:?}", w[0])));
                continue;
            }
        };
        out.lines.push(MdLine { line, text, kind });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_conf() {
        let t = "# mdadm.conf\nDEVICE /dev/xvda1 /dev/xvdb1 partitions\n\
            ARRAY /dev/md0 level=raid1 num-devices=2 UUID=6b8b4567:327b23c6:643c9869:66334873\n\
            \x20\x20\x20devices=/dev/xvda1,/dev/xvdb1\n\
            MAILADDR root # mail\n\
            ARR /dev/md/home metadata=1.2 name=h:home UUID=1:2:3:4\n\
            DEV /dev/sd*\n";
        let m = parse(t);
        assert!(m.problems.is_empty(), "{:?}", m.problems);
        assert_eq!(m.lines.len(), 5);
        let names = m.device_names();
        let specs: Vec<(usize, &str)> = names.iter().map(|(l, d)| (*l, d.spec.as_str())).collect();
        assert_eq!(
            specs,
            [
                (2, "/dev/xvda1"),
                (2, "/dev/xvdb1"),
                (2, "partitions"),
                (3, "/dev/xvda1"),
                (3, "/dev/xvdb1"),
                (7, "/dev/sd*")
            ]
        );
        assert!(names[0].1.names_kernel_disk());
        assert!(!names[2].1.names_kernel_disk());
        assert!(names[5].1.names_kernel_disk());
        match &m.lines[1].kind {
            MdLineKind::Array {
                md_device, tags, ..
            } => {
                assert_eq!(md_device.as_deref(), Some("/dev/md0"));
                assert!(tags.iter().any(|(k, _)| k == "uuid"));
            }
            other => panic!("{other:?}"),
        }
        assert!(m.lines[1].text.contains('\n'));
        assert!(
            matches!(&m.lines[2].kind, MdLineKind::Other { keyword, .. } if keyword == "MAILADDR")
        );
    }

    #[test]
    fn junk() {
        let m = parse("bogus line\nDEVICE\nARRAY /dev/md0 extra\n  \n");
        let lines: Vec<usize> = m.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 3]);
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(b" \t\n#=,\"ARRAYDEVICE/dev/xvda1md", |s| {
            let _ = parse(s);
        });
    }
}
