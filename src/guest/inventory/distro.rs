//! Identifies the guest's distribution and release from its release files (`os-release` first,
//! then the older distribution-specific files), with ids as `os-release` would give them.

use super::read_small;
use crate::guest::files::GuestFiles;
use serde::Serialize;

/// The distribution a guest runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Distro {
    /// `os-release` style id: `centos`, `rhel`, `fedora`, `debian`, `ubuntu`, `opensuse`, `sles`…
    pub id: String,
    /// Human name (`CentOS`, `Debian GNU/Linux`, `Ubuntu`).
    pub name: String,
    /// Release (`6.10`, `7.11`, `14.04`); `None` when the files do not say (Debian testing).
    pub version: Option<String>,
    /// One-line description when a file gives one.
    pub pretty_name: Option<String>,
    /// The guest file(s) the answer came from (`/etc/os-release + /etc/debian_version`).
    pub source: String,
}

/// Parses shell-style `KEY=value` assignments (`os-release`, `lsb-release`): double quotes with
/// backslash escapes, single quotes literal, `#` comments.
pub fn parse_assignments(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let mut value = String::new();
        let mut chars = raw.trim().chars();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, '"') | (None, '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (Some('"'), '\\') | (None, '\\') => {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                }
                (None, '#') => break,
                (None, c) if c.is_whitespace() => break,
                (_, c) => value.push(c),
            }
        }
        out.push((key.to_string(), value));
    }
    out
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn from_os_release(text: &str, source: &str) -> Option<Distro> {
    let kv = parse_assignments(text);
    let id = get(&kv, "ID").map(str::to_lowercase);
    let name = get(&kv, "NAME");
    if id.is_none() && name.is_none() {
        return None;
    }
    Some(Distro {
        // os-release(5): ID defaults to "linux", NAME to "Linux".
        id: id.unwrap_or_else(|| "linux".into()),
        name: name.unwrap_or("Linux").to_string(),
        version: get(&kv, "VERSION_ID").map(str::to_string),
        pretty_name: get(&kv, "PRETTY_NAME").map(str::to_string),
        source: source.to_string(),
    })
}

fn from_lsb_release(text: &str, source: &str) -> Option<Distro> {
    let kv = parse_assignments(text);
    let name = get(&kv, "DISTRIB_ID")?;
    let id = match name.to_lowercase().as_str() {
        "redhatenterpriseserver" | "redhatenterpriseclient" | "redhatenterpriseworkstation" => {
            "rhel".to_string()
        }
        "suse linux" | "suse" => "sles".to_string(),
        other => other.replace(' ', ""),
    };
    Some(Distro {
        id,
        name: name.to_string(),
        version: get(&kv, "DISTRIB_RELEASE").map(str::to_string),
        pretty_name: get(&kv, "DISTRIB_DESCRIPTION").map(str::to_string),
        source: source.to_string(),
    })
}

/// `CentOS release 6.10 (Final)`, `Red Hat Enterprise Linux Server release 5.11 (Tikanga)`,
/// `Fedora release 19 (Schrödinger’s Cat)`, `CentOS Linux release 7.9.2009 (Core)`.
fn from_redhat_release(text: &str, source: &str) -> Option<Distro> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let (name, version) = match line.split_once(" release ") {
        Some((n, rest)) => (n.trim(), rest.split_whitespace().next()),
        None => (line.split(" (").next().unwrap_or(line).trim(), None),
    };
    let lower = name.to_lowercase();
    let id = [
        ("centos stream", "centos"),
        ("centos", "centos"),
        ("red hat enterprise", "rhel"),
        ("fedora", "fedora"),
        ("scientific", "scientific"),
        ("oracle", "ol"),
        ("rocky", "rocky"),
        ("almalinux", "almalinux"),
        ("cloudlinux", "cloudlinux"),
        ("amazon", "amzn"),
    ]
    .iter()
    .find(|(k, _)| lower.contains(k))
    .map(|(_, id)| id.to_string())
    .or_else(|| lower.split_whitespace().next().map(str::to_string))?;
    Some(Distro {
        id,
        name: name.to_string(),
        version: version.map(str::to_string),
        pretty_name: Some(line.to_string()),
        source: source.to_string(),
    })
}

/// `SUSE Linux Enterprise Server 11 (x86_64)` / `VERSION = 11` / `PATCHLEVEL = 4`, or
/// `openSUSE 13.1 (x86_64)` / `VERSION = 13.1`.
fn from_suse_release(text: &str, source: &str) -> Option<Distro> {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut version = None;
    let mut patch = None;
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "VERSION" => version = Some(v.trim().to_string()),
                "PATCHLEVEL" => patch = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    let version = match (version, patch) {
        (Some(v), Some(p)) if !v.contains('.') && p != "0" => Some(format!("{v}.{p}")),
        (v, _) => v,
    };
    let lower = first.to_lowercase();
    let id = if lower.contains("opensuse") {
        "opensuse"
    } else if lower.contains("desktop") {
        "sled"
    } else {
        "sles"
    };
    let name = first.split(" (").next().unwrap_or(first).trim();
    Some(Distro {
        id: id.to_string(),
        name: name.to_string(),
        version,
        pretty_name: Some(first.to_string()),
        source: source.to_string(),
    })
}

/// `7.11`, `10.13`, `bookworm/sid` (testing: no version).
fn from_debian_version(text: &str, source: &str) -> Option<Distro> {
    let v = text.lines().next()?.trim();
    if v.is_empty() {
        return None;
    }
    let numeric = v.chars().next().is_some_and(|c| c.is_ascii_digit());
    Some(Distro {
        id: "debian".into(),
        name: "Debian GNU/Linux".into(),
        version: numeric.then(|| v.to_string()),
        pretty_name: Some(format!("Debian GNU/Linux {v}")),
        source: source.to_string(),
    })
}

/// A release file's finer version when it extends `os-release`'s (`7` → `7.11`, `7` → `7.9.2009`).
fn refine(d: &mut Distro, files: &dyn GuestFiles) {
    let extra: &[&str] = match d.id.as_str() {
        "debian" => &["/etc/debian_version"],
        "centos" => &["/etc/centos-release"],
        "rhel" | "scientific" | "ol" => &["/etc/redhat-release"],
        _ => &[],
    };
    let Some(base) = d.version.clone() else {
        return;
    };
    for path in extra {
        let Some(text) = read_small(files, path) else {
            continue;
        };
        let finer = if d.id == "debian" {
            from_debian_version(&text, path)
        } else {
            from_redhat_release(&text, path)
        };
        if let Some(v) = finer.and_then(|f| f.version) {
            if v.len() > base.len() && v.starts_with(&format!("{base}.")) {
                d.version = Some(v);
                d.source = format!("{} + {path}", d.source);
                return;
            }
        }
    }
}

/// The guest's distribution, from the first release file that names one; `None` when no file
/// does (not an error: minimal or non-Linux trees).
pub fn detect(files: &dyn GuestFiles) -> Option<Distro> {
    type Parser = fn(&str, &str) -> Option<Distro>;
    let sources: [(&str, Parser); 7] = [
        ("/etc/os-release", from_os_release),
        ("/usr/lib/os-release", from_os_release),
        ("/etc/lsb-release", from_lsb_release),
        ("/etc/centos-release", from_redhat_release),
        ("/etc/redhat-release", from_redhat_release),
        ("/etc/SuSE-release", from_suse_release),
        ("/etc/debian_version", from_debian_version),
    ];
    for (path, parse) in sources {
        let Some(text) = read_small(files, path) else {
            continue;
        };
        if let Some(mut d) = parse(&text, path) {
            if path.ends_with("os-release") {
                refine(&mut d, files);
            }
            return Some(d);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest::memfiles::MemFiles;

    #[test]
    fn os_release_via_symlink() {
        let t = MemFiles::new()
            .file(
                "/usr/lib/os-release",
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
                 VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n",
            )
            .symlink("/etc/os-release", "../usr/lib/os-release")
            .file("/etc/debian_version", "12.5\n");
        let d = detect(&t).unwrap();
        assert_eq!(d.id, "debian");
        assert_eq!(d.name, "Debian GNU/Linux");
        assert_eq!(d.version.as_deref(), Some("12.5"));
        assert_eq!(
            d.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(d.source, "/etc/os-release + /etc/debian_version");
    }

    #[test]
    fn usr_lib_os_release_only() {
        let t = MemFiles::new().file(
            "/usr/lib/os-release",
            "NAME='Fedora Linux'\nID=fedora\nVERSION_ID=39\n",
        );
        let d = detect(&t).unwrap();
        assert_eq!(
            (d.id.as_str(), d.version.as_deref()),
            ("fedora", Some("39"))
        );
        assert_eq!(d.source, "/usr/lib/os-release");
    }

    #[test]
    fn centos7_os_release_refined() {
        let t = MemFiles::new()
            .file(
                "/etc/os-release",
                "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n\
                 VERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n",
            )
            .file("/etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n")
            .symlink("/etc/redhat-release", "centos-release");
        let d = detect(&t).unwrap();
        assert_eq!(d.id, "centos");
        assert_eq!(d.version.as_deref(), Some("7.9.2009"));
    }

    #[test]
    fn centos6_release_file() {
        let t = MemFiles::new()
            .file("/etc/centos-release", "CentOS release 6.10 (Final)\n")
            .symlink("/etc/redhat-release", "centos-release")
            .file(
                "/etc/lsb-release",
                "LSB_VERSION=base-4.0-amd64:base-4.0-noarch\n",
            );
        let d = detect(&t).unwrap();
        assert_eq!(d.id, "centos");
        assert_eq!(d.name, "CentOS");
        assert_eq!(d.version.as_deref(), Some("6.10"));
        assert_eq!(d.source, "/etc/centos-release");
    }

    #[test]
    fn rhel5_and_fedora() {
        let t = MemFiles::new().file(
            "/etc/redhat-release",
            "Red Hat Enterprise Linux Server release 5.11 (Tikanga)\n",
        );
        let d = detect(&t).unwrap();
        assert_eq!(
            (d.id.as_str(), d.version.as_deref()),
            ("rhel", Some("5.11"))
        );
        let t = MemFiles::new().file("/etc/redhat-release", "Fedora release 16 (Verne)\n");
        let d = detect(&t).unwrap();
        assert_eq!(
            (d.id.as_str(), d.version.as_deref()),
            ("fedora", Some("16"))
        );
    }

    #[test]
    fn ubuntu_lsb_and_debian_version() {
        let t = MemFiles::new()
            .file(
                "/etc/lsb-release",
                "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\n\
                 DISTRIB_DESCRIPTION=\"Ubuntu 14.04.6 LTS\"\n",
            )
            .file("/etc/debian_version", "jessie/sid\n");
        let d = detect(&t).unwrap();
        assert_eq!(d.id, "ubuntu");
        assert_eq!(d.version.as_deref(), Some("14.04"));
        assert_eq!(d.pretty_name.as_deref(), Some("Ubuntu 14.04.6 LTS"));

        let t = MemFiles::new().file("/etc/debian_version", "7.11\n");
        let d = detect(&t).unwrap();
        assert_eq!(
            (d.id.as_str(), d.version.as_deref()),
            ("debian", Some("7.11"))
        );
        let t = MemFiles::new().file("/etc/debian_version", "trixie/sid\n");
        assert_eq!(detect(&t).unwrap().version, None);
    }

    #[test]
    fn suse_release() {
        let t = MemFiles::new().file(
            "/etc/SuSE-release",
            "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n",
        );
        let d = detect(&t).unwrap();
        assert_eq!(
            (d.id.as_str(), d.version.as_deref()),
            ("sles", Some("11.4"))
        );
        let t = MemFiles::new().file(
            "/etc/SuSE-release",
            "openSUSE 13.1 (x86_64)\nVERSION = 13.1\nCODENAME = Bottle\n",
        );
        let d = detect(&t).unwrap();
        assert_eq!(
            (d.id.as_str(), d.version.as_deref()),
            ("opensuse", Some("13.1"))
        );
        assert_eq!(d.name, "openSUSE 13.1");
    }

    #[test]
    fn nothing_or_junk() {
        assert_eq!(detect(&MemFiles::new()), None);
        let t = MemFiles::new()
            .file("/etc/os-release", [0xffu8, 0, 1, b'=', b'"'])
            .dir("/etc/lsb-release")
            .file("/etc/redhat-release", "\n\n");
        assert_eq!(detect(&t), None);
    }

    #[test]
    fn assignment_quoting() {
        let kv =
            parse_assignments("A=\"x \\\"y\\\" z\"\nB='a b'\nC=plain # c\n#D=no\nbad line\nE=\n");
        let m: Vec<(&str, &str)> = kv.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            m,
            [("A", "x \"y\" z"), ("B", "a b"), ("C", "plain"), ("E", "")]
        );
    }
}
