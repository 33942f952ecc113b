//! Parses `/etc/securetty`: the terminals root may log in on (one per line). Without `ttyS0`
//! here, root cannot log in on the serial console after the move.

pub use super::fstab::LineProblem;
use serde::Serialize;

/// One listed terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecureTty {
    /// 1-based line number.
    pub line: usize,
    /// The terminal as listed (`ttyS0`, `hvc0`, `vc/1`, `:0`).
    pub tty: String,
}

/// A parsed securetty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Securetty {
    pub ttys: Vec<SecureTty>,
    pub problems: Vec<LineProblem>,
}

impl Securetty {
    /// `true` when `tty` (with or without `/dev/`) is listed.
    pub fn contains(&self, tty: &str) -> bool {
        self.line_of(tty).is_some()
    }

    /// The line listing `tty` (with or without `/dev/`).
    pub fn line_of(&self, tty: &str) -> Option<usize> {
        let want = tty.strip_prefix("/dev/").unwrap_or(tty);
        self.ttys
            .iter()
            .find(|t| t.tty.strip_prefix("/dev/").unwrap_or(&t.tty) == want)
            .map(|t| t.line)
    }
}

/// Parses securetty text; blank lines and `#` comments are skipped.
pub fn parse(text: &str) -> Securetty {
    let mut out = Securetty::default();
    for (idx, raw) in text.lines().enumerate() {
        let original = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = original.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut words = trimmed.split_ascii_whitespace();
        let tty = words.next().unwrap_or_default();
        if words.next().is_some() {
            out.problems.push(LineProblem {
                line: idx + 1,
                text: original.to_string(),
                message: "more than one word: pam_securetty compares the whole line".to_string(),
            });
            continue;
        }
        out.ttys.push(SecureTty {
            line: idx + 1,
            tty: tty.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn real_files() {
        let m = Path::new(env!("CARGO_MANIFEST_DIR"));
        let xt = parse(
            &std::fs::read_to_string(
                m.join("../shared/corpora/configs/xen-tools-bookworm/securetty"),
            )
            .unwrap(),
        );
        assert!(xt.problems.is_empty());
        assert!(xt.contains("hvc0") && !xt.contains("ttyS0"));
        for (rel, ttys0) in [
            ("centos6-pv/etc/securetty", false),
            ("debian7-pv/etc/securetty", true),
            ("debian9-sysv/etc/securetty", true),
            ("ubuntu1404-pv/etc/securetty", true),
            ("xentools-partitionless/etc/securetty", false),
            ("centos7-pv/root/etc/securetty", true),
            ("multipart-mbr/root/etc/securetty", false),
        ] {
            let s = parse(&std::fs::read_to_string(m.join("corpus/trees").join(rel)).unwrap());
            assert!(s.problems.is_empty(), "{rel}: {:?}", s.problems);
            assert_eq!(s.contains("ttyS0"), ttys0, "{rel}");
            assert!(s.contains("/dev/xvc0"), "{rel}");
        }
        let c6 = parse(
            &std::fs::read_to_string(m.join("corpus/trees/centos6-pv/etc/securetty")).unwrap(),
        );
        assert_eq!(c6.ttys[0].tty, "console");
        let hvc0 = c6.ttys.iter().find(|t| t.tty == "hvc0").unwrap();
        assert_eq!(c6.line_of("hvc0"), Some(hvc0.line));
    }

    #[test]
    fn junk() {
        let s = parse("ttyS0\n# c\n\n  hvc0  \nfoo bar\n");
        assert_eq!(s.ttys.len(), 2);
        assert_eq!(s.ttys[1].line, 4);
        assert_eq!(s.problems[0].line, 5);
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(b" \n#/devttyS0hvc", |s| {
            let t = parse(s);
            let _ = t.contains("ttyS0");
        });
    }
}
