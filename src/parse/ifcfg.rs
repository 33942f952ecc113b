//! Parses Red Hat `ifcfg-*` network scripts (shell `KEY=value` lines: `DEVICE`, `HWADDR`,
//! `MACADDR`, `ONBOOT`, `BOOTPROTO`…) with line numbers. The shell-assignment reader here is also
//! used for `/etc/sysconfig/kernel` and initramfs-tools' `conf.d/resume`.

pub use super::fstab::LineProblem;
use serde::Serialize;

/// One `KEY=value` line, the value unquoted as the shell would (no expansion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// 1-based line number.
    pub line: usize,
    /// The original line.
    pub text: String,
    pub key: String,
    pub value: String,
}

/// Every assignment of a shell-variable file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Assignments {
    pub assignments: Vec<Assignment>,
    pub problems: Vec<LineProblem>,
}

impl Assignments {
    /// The last assignment of `key` (the one the shell keeps).
    pub fn get(&self, key: &str) -> Option<&Assignment> {
        self.assignments.iter().rev().find(|a| a.key == key)
    }

    /// The value of `key`, if assigned.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|a| a.value.as_str())
    }
}

/// Reads one shell word starting at `s` (quotes removed, backslash escapes applied). Returns the
/// word and the rest, or an error message for an unterminated quote.
fn shell_word(s: &str) -> Result<(String, &str), &'static str> {
    let mut out = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() || c == ';' => return Ok((out, &s[i..])),
            '\'' => {
                chars.next();
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, c)) => out.push(c),
                        None => return Err("unterminated single quote"),
                    }
                }
            }
            '"' => {
                chars.next();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c @ ('"' | '\\' | '$' | '`'))) => out.push(c),
                            Some((_, '\n')) => {}
                            Some((_, c)) => {
                                out.push('\\');
                                out.push(c);
                            }
                            None => return Err("unterminated double quote"),
                        },
                        Some((_, c)) => out.push(c),
                        None => return Err("unterminated double quote"),
                    }
                }
            }
            '\\' => {
                chars.next();
                if let Some((_, c)) = chars.next() {
                    out.push(c);
                }
            }
            c => {
                chars.next();
                out.push(c);
            }
        }
    }
    Ok((out, ""))
}

/// Splits a command line into words the way a shell would (quotes removed, no expansion); an
/// unterminated quote takes the rest of the line. Used for getty command lines.
pub fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        match shell_word(rest) {
            Ok((w, after)) => {
                out.push(w);
                rest = after.trim_start_matches(';').trim_start();
            }
            Err(_) => {
                out.push(rest.trim_matches(['"', '\'']).to_string());
                break;
            }
        }
    }
    out
}

fn valid_name(k: &str) -> bool {
    let mut b = k.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Parses shell `KEY=value` lines (`export KEY=value` too). Blank lines and `#` comments are
/// skipped; a trailing `# comment` after the value is allowed; other shell code is a problem.
pub fn parse_assignments(text: &str) -> Assignments {
    let mut out = Assignments::default();
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
        let body = trimmed
            .strip_prefix("export")
            .filter(|r| r.starts_with([' ', '\t']))
            .map(str::trim_start)
            .unwrap_or(trimmed);
        let Some((key, rest)) = body.split_once('=').filter(|(k, _)| valid_name(k)) else {
            out.problems
                .push(problem("not a KEY=value assignment".to_string()));
            continue;
        };
        match shell_word(rest) {
            Ok((value, after)) => {
                let after = after.trim_start_matches(';').trim();
                if !after.is_empty() && !after.starts_with('#') {
                    out.problems
                        .push(problem(format!("text after the value ignored: {after}")));
                }
                out.assignments.push(Assignment {
                    line,
                    text: original.to_string(),
                    key: key.to_string(),
                    value,
                });
            }
            Err(m) => out.problems.push(problem(m.to_string())),
        }
    }
    out
}

/// Lowercases a MAC address written with `:` or `-` separators (`00:16:3E:5A:21:7C` →
/// `00:16:3e:5a:21:7c`); other text is returned lowercased and trimmed.
pub fn normalize_mac(mac: &str) -> String {
    mac.trim().to_ascii_lowercase().replace('-', ":")
}

/// `true` for a MAC in the Xen OUI `00:16:3e` (what Xen hands to PV and HVM guests by default).
pub fn is_xen_mac(mac: &str) -> bool {
    normalize_mac(mac).starts_with("00:16:3e:")
}

/// A parsed `ifcfg-*` file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ifcfg {
    #[serde(flatten)]
    pub vars: Assignments,
}

impl Ifcfg {
    /// `DEVICE=`.
    pub fn device(&self) -> Option<&Assignment> {
        self.vars.get("DEVICE")
    }
    /// `HWADDR=` (binds the config to a NIC by MAC), value normalised by [`normalize_mac`].
    pub fn hwaddr(&self) -> Option<(usize, String)> {
        self.vars
            .get("HWADDR")
            .filter(|a| !a.value.trim().is_empty())
            .map(|a| (a.line, normalize_mac(&a.value)))
    }
    /// `MACADDR=` (sets the NIC's MAC), normalised.
    pub fn macaddr(&self) -> Option<(usize, String)> {
        self.vars
            .get("MACADDR")
            .filter(|a| !a.value.trim().is_empty())
            .map(|a| (a.line, normalize_mac(&a.value)))
    }
    /// `ONBOOT=`: `Some(true)` for yes/true/1 (any case), `Some(false)` otherwise, `None` unset.
    pub fn onboot(&self) -> Option<bool> {
        self.vars
            .value("ONBOOT")
            .map(|v| matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1" | "y"))
    }
    /// `BOOTPROTO=` lowercased (`dhcp`, `static`, `none`).
    pub fn bootproto(&self) -> Option<String> {
        self.vars.value("BOOTPROTO").map(|v| v.to_ascii_lowercase())
    }
}

/// Parses an `ifcfg-*` file.
pub fn parse(text: &str) -> Ifcfg {
    Ifcfg {
        vars: parse_assignments(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn tree(rel: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/trees")
            .join(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn corpus_ifcfgs() {
        let c6 = parse(&tree("centos6-pv/etc/sysconfig/network-scripts/ifcfg-eth0"));
        assert!(c6.vars.problems.is_empty(), "{:?}", c6.vars.problems);
        assert_eq!(c6.device().unwrap().value, "eth0");
        assert_eq!(c6.hwaddr(), Some((2, "00:16:3e:5a:21:7c".to_string())));
        assert!(is_xen_mac(&c6.hwaddr().unwrap().1));
        assert_eq!(c6.onboot(), Some(true));
        assert_eq!(c6.bootproto().as_deref(), Some("none"));
        let lo = parse(&tree("centos6-pv/etc/sysconfig/network-scripts/ifcfg-lo"));
        assert!(lo.vars.problems.is_empty(), "{:?}", lo.vars.problems);
        let c7 = parse(&tree(
            "centos7-pv/root/etc/sysconfig/network-scripts/ifcfg-eth0",
        ));
        assert!(c7.vars.problems.is_empty(), "{:?}", c7.vars.problems);
        assert_eq!(c7.hwaddr(), None);
        assert_eq!(c7.bootproto().as_deref(), Some("dhcp"));
        assert_eq!(c7.device().unwrap().line, 8);
        let c5 = parse(&tree(
            "multipart-mbr/root/etc/sysconfig/network-scripts/ifcfg-eth0",
        ));
        assert!(c5.vars.problems.is_empty());
        assert_eq!(c5.hwaddr().unwrap().1, "00:16:3e:71:4b:0d");
    }

    #[test]
    fn quoting_and_junk() {
        let a = parse_assignments(
            "A='x y'\nexport B=\"q\\\"z\" # c\nC=a\"b c\"'d'\nD=\nE=1 F=2\nG='open\n\
             if [ x ]; then\n9X=1\nH=\"\\$HOME\\n\"\n",
        );
        assert_eq!(a.value("A"), Some("x y"));
        assert_eq!(a.value("B"), Some("q\"z"));
        assert_eq!(a.value("C"), Some("ab cd"));
        assert_eq!(a.value("D"), Some(""));
        assert_eq!(a.value("E"), Some("1"));
        assert_eq!(a.value("H"), Some("$HOME\\n"));
        let lines: Vec<usize> = a.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [5, 6, 7, 8], "{:?}", a.problems);
        assert_eq!(normalize_mac("00-16-3E-AA-bb-CC "), "00:16:3e:aa:bb:cc");
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(b" \t\n#='\"\\;$HWADDR=0:16", |s| {
            let f = parse(s);
            let _ = (f.hwaddr(), f.onboot(), f.macaddr());
        });
    }
}
