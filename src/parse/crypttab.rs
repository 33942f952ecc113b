//! Parses `/etc/crypttab` (`name device keyfile options`) into entries with line numbers; the
//! device field is classified by [`DeviceRef`] so a rule can spot `/dev/xvda2` behind a LUKS
//! mapping. A line that cannot be read is a problem, never a failure.

pub use super::devref::DeviceRef;
pub use super::fstab::LineProblem;
use serde::Serialize;

/// One crypttab line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrypttabEntry {
    /// 1-based line number.
    pub line: usize,
    /// The original line, without its line ending.
    pub text: String,
    /// The mapping name (`/dev/mapper/<name>`).
    pub name: String,
    /// The encrypted device as written (`UUID=…`, `/dev/xvda2`).
    pub device_spec: String,
    /// `device_spec` classified.
    pub device: DeviceRef,
    /// Third field; `None` when missing, `none` or `-` (ask for a passphrase).
    pub keyfile: Option<String>,
    /// Fourth field split on commas; empty when missing.
    pub options: Vec<String>,
}

impl CrypttabEntry {
    /// `true` when `opt` (`luks`, `swap`, `noauto`…) is among the options.
    pub fn has_option(&self, opt: &str) -> bool {
        self.options
            .iter()
            .any(|o| o == opt || o.split_once('=').is_some_and(|(k, _)| k == opt))
    }
}

/// A parsed crypttab.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Crypttab {
    pub entries: Vec<CrypttabEntry>,
    pub problems: Vec<LineProblem>,
}

/// Parses crypttab text. Blank lines and `#` comments are skipped.
pub fn parse(text: &str) -> Crypttab {
    let mut out = Crypttab::default();
    for (idx, raw) in text.lines().enumerate() {
        let line = idx + 1;
        let original = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = original.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let problem = |message: String| LineProblem {
            line,
            text: original.to_string(),
            message,
        };
        let fields: Vec<&str> = trimmed.split_ascii_whitespace().collect();
        if fields.len() < 2 {
            out.problems.push(problem(
                "only one field (need at least a name and a device)".to_string(),
            ));
            continue;
        }
        if fields.len() > 4 {
            out.problems.push(problem(format!(
                "{} extra field(s) after the options ignored",
                fields.len() - 4
            )));
        }
        let keyfile = fields
            .get(2)
            .filter(|k| **k != "none" && **k != "-")
            .map(|k| k.to_string());
        let options = fields
            .get(3)
            .map(|o| {
                o.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        out.entries.push(CrypttabEntry {
            line,
            text: original.to_string(),
            name: fields[0].to_string(),
            device_spec: fields[1].to_string(),
            device: DeviceRef::parse(fields[1]),
            keyfile,
            options,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_lines() {
        let t = "# <target> <source> <key> <options>\n\
            cryptswap /dev/xvda3 /dev/urandom swap,cipher=aes-xts-plain64\n\
            \n\
            home UUID=2f4e-11 none luks,discard\n\
            data\t/dev/disk/by-uuid/abcd\t-\r\n\
            root /dev/xvdb1\n";
        let c = parse(t);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.entries.len(), 4);
        let e = &c.entries[0];
        assert_eq!((e.line, e.name.as_str()), (2, "cryptswap"));
        assert!(e.device.is_kernel_name());
        assert_eq!(e.keyfile.as_deref(), Some("/dev/urandom"));
        assert!(e.has_option("swap") && e.has_option("cipher"));
        assert_eq!(c.entries[1].device, DeviceRef::Uuid("2f4e-11".into()));
        assert_eq!(c.entries[1].keyfile, None);
        assert_eq!(c.entries[2].keyfile, None);
        assert!(!c.entries[2].text.ends_with('\r'));
        assert!(c.entries[3].options.is_empty());
    }

    #[test]
    fn junk() {
        let c = parse("lonely\na b c d e f\n");
        assert_eq!(c.problems.len(), 2);
        assert_eq!(c.problems[0].line, 1);
        assert_eq!(c.entries.len(), 1);
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(b" \t\n\r#,=UUID/dev/xvda1-none", |s| {
            let _ = parse(s);
        });
    }
}
