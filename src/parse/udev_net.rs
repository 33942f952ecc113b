//! Parses udev rules files such as `/etc/udev/rules.d/70-persistent-net.rules`: each rule's
//! `KEY{attr}OP"value"` pairs with its line number, and the network-name bindings
//! (`ATTR{address}=="00:16:3e:…"` → `NAME="eth0"`) that rename the NIC once its MAC changes.

pub use super::fstab::LineProblem;
use super::ifcfg::{is_xen_mac, normalize_mac};
use serde::Serialize;

/// One `KEY{attr}OP"value"` pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UdevPair {
    /// `SUBSYSTEM`, `ATTR`, `ATTRS`, `NAME`, `KERNEL`…
    pub key: String,
    /// The `{…}` part (`address` in `ATTR{address}`).
    pub attr: Option<String>,
    /// `==`, `!=`, `=`, `+=`, `-=`, `:=`.
    pub op: String,
    pub value: String,
}

/// One rule (a logical line; backslash continuations joined).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UdevRule {
    /// 1-based number of the first physical line.
    pub line: usize,
    /// The original text.
    pub text: String,
    pub pairs: Vec<UdevPair>,
}

impl UdevRule {
    /// The value of the first pair with `key` (and `attr`, when given) and a match operator
    /// (`==`), or for `NAME`-like keys an assignment (`=`, `:=`).
    pub fn value(&self, key: &str, attr: Option<&str>) -> Option<&str> {
        self.pairs
            .iter()
            .find(|p| p.key == key && p.attr.as_deref() == attr && p.op != "!=")
            .map(|p| p.value.as_str())
    }

    /// The MAC address the rule matches (`ATTR{address}==` or `ATTRS{address}==`), lowercased.
    pub fn mac(&self) -> Option<String> {
        self.value("ATTR", Some("address"))
            .or_else(|| self.value("ATTRS", Some("address")))
            .map(normalize_mac)
    }

    /// The interface name the rule assigns (`NAME="eth0"`).
    pub fn name(&self) -> Option<&str> {
        self.pairs
            .iter()
            .find(|p| p.key == "NAME" && p.op != "==" && p.op != "!=")
            .map(|p| p.value.as_str())
    }

    /// `KERNEL==` pattern (`eth*`).
    pub fn kernel(&self) -> Option<&str> {
        self.value("KERNEL", None)
    }

    /// `SUBSYSTEM==` value (`net`).
    pub fn subsystem(&self) -> Option<&str> {
        self.value("SUBSYSTEM", None)
    }

    /// `true` when the matched MAC is in the Xen OUI 00:16:3e.
    pub fn is_xen_mac(&self) -> bool {
        self.mac().is_some_and(|m| is_xen_mac(&m))
    }
}

/// A network-name binding: the rule pins interface `name` to `mac`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetBinding {
    pub line: usize,
    /// Lowercased.
    pub mac: String,
    pub name: String,
    pub kernel: Option<String>,
    /// The MAC is in the Xen OUI 00:16:3e.
    pub xen_mac: bool,
}

/// A parsed rules file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UdevRules {
    pub rules: Vec<UdevRule>,
    pub problems: Vec<LineProblem>,
}

impl UdevRules {
    /// Rules that match a MAC and assign a NAME (the persistent-net bindings).
    pub fn net_bindings(&self) -> Vec<NetBinding> {
        self.rules
            .iter()
            .filter(|r| r.subsystem().is_none_or(|s| s == "net"))
            .filter_map(|r| {
                let mac = r.mac()?;
                let name = r.name()?.to_string();
                Some(NetBinding {
                    line: r.line,
                    xen_mac: is_xen_mac(&mac),
                    mac,
                    name,
                    kernel: r.kernel().map(str::to_string),
                })
            })
            .collect()
    }
}

/// Reads one pair at the start of `s`; returns it and the rest.
fn pair(s: &str) -> Result<(UdevPair, &str), String> {
    let key_end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let key = &s[..key_end];
    if key.is_empty() {
        return Err(format!("expected a key at {:?}", first_chars(s)));
    }
    let mut rest = &s[key_end..];
    let mut attr = None;
    if let Some(r) = rest.strip_prefix('{') {
        let Some(end) = r.find('}') else {
            return Err(format!("unterminated {{ after {key}"));
        };
        attr = Some(r[..end].to_string());
        rest = &r[end + 1..];
    }
    rest = rest.trim_start();
    let op = ["==", "!=", "+=", "-=", ":=", "="]
        .into_iter()
        .find(|o| rest.starts_with(o))
        .ok_or_else(|| format!("no operator after {key}"))?;
    rest = rest[op.len()..].trim_start();
    let Some(r) = rest.strip_prefix('"') else {
        return Err(format!("value of {key} is not double-quoted"));
    };
    // Backslash escapes a quote inside the value.
    let mut value = String::new();
    let mut chars = r.char_indices();
    let end = loop {
        match chars.next() {
            Some((i, '"')) => break i,
            Some((_, '\\')) => match chars.next() {
                Some((_, c)) => {
                    if c != '"' {
                        value.push('\\');
                    }
                    value.push(c);
                }
                None => return Err(format!("unterminated value of {key}")),
            },
            Some((_, c)) => value.push(c),
            None => return Err(format!("unterminated value of {key}")),
        }
    };
    Ok((
        UdevPair {
            key: key.to_string(),
            attr,
            op: op.to_string(),
            value,
        },
        &r[end + 1..],
    ))
}

fn first_chars(s: &str) -> String {
    s.chars().take(20).collect()
}

/// Parses rules text. Blank lines and `#` comments are skipped; a trailing backslash continues a
/// rule. A pair that cannot be read makes the line a problem (the pairs before it are kept).
pub fn parse(text: &str) -> UdevRules {
    let mut out = UdevRules::default();
    let logical = super::text::logical_lines(text, "");
    for (line, text, body) in logical {
        let trimmed = body.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut pairs = Vec::new();
        let mut rest = trimmed;
        loop {
            rest = rest.trim_start().trim_start_matches(',').trim_start();
            if rest.is_empty() {
                break;
            }
            match pair(rest) {
                Ok((p, r)) => {
                    pairs.push(p);
                    rest = r;
                }
                Err(message) => {
                    out.problems.push(LineProblem {
                        line,
                        text: text.clone(),
                        message,
                    });
                    break;
                }
            }
        }
        if !pairs.is_empty() {
            out.rules.push(UdevRule { line, text, pairs });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn corpus_persistent_net() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees");
        for (rel, line, mac) in [
            (
                "centos6-pv/etc/udev/rules.d/70-persistent-net.rules",
                8,
                "00:16:3e:5a:21:7c",
            ),
            (
                "debian7-pv/etc/udev/rules.d/70-persistent-net.rules",
                8,
                "00:16:3e:0c:7a:91",
            ),
        ] {
            let r = parse(&std::fs::read_to_string(root.join(rel)).unwrap());
            assert!(r.problems.is_empty(), "{rel}: {:?}", r.problems);
            let b = r.net_bindings();
            assert_eq!(b.len(), 1, "{rel}");
            assert_eq!(
                (b[0].line, b[0].mac.as_str(), b[0].name.as_str()),
                (line, mac, "eth0")
            );
            assert!(b[0].xen_mac);
            assert_eq!(b[0].kernel.as_deref(), Some("eth*"));
            assert!(r.rules[0].is_xen_mac());
        }
    }

    #[test]
    fn forms_and_junk() {
        let t = "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"52:54:00:AB:CD:EF\", \\\n\
                 NAME=\"eth1\"\n\
                 KERNEL==\"sda\", SYMLINK+=\"disk\"\n\
                 SUBSYSTEM==\"net\" NAME=\"x\" ATTR{address}=\"0\n\
                 garbage here\n\
                 SUBSYSTEM==\"net\", ATTRS{address}==\"00:16:3e:00:00:01\", NAME:=\"eth2\"\n";
        let r = parse(t);
        let b = r.net_bindings();
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].line, b[0].mac.as_str()), (1, "52:54:00:ab:cd:ef"));
        assert!(!b[0].xen_mac);
        assert_eq!((b[1].name.as_str(), b[1].xen_mac), ("eth2", true));
        let lines: Vec<usize> = r.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [4, 5]);
        assert_eq!(r.rules[1].value("SYMLINK", None), Some("disk"));
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(b" \n#\\\",={}ATTR{address}==NAME", |s| {
            let r = parse(s);
            let _ = r.net_bindings();
        });
    }
}
