//! Decides which init system the guest boots with (systemd, upstart or sysvinit) from evidence in
//! its files, and records every fact it used.

use super::read_small;
use crate::fs::FileKind;
use crate::guest::files::GuestFiles;
use serde::Serialize;

/// Largest `/sbin/init` binary scanned for markers.
const INIT_BINARY_LIMIT: u64 = 16 * 1024 * 1024;
/// Most `/etc/init/*.conf` files read.
const MAX_UPSTART_JOBS: usize = 256;

/// Init system families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InitKind {
    Systemd,
    Upstart,
    /// sysvinit, or another `/etc/inittab` reader (BusyBox init).
    Sysvinit,
    Unknown,
}

/// The init system and why we think so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitSystem {
    pub kind: InitKind,
    /// One sentence per fact used, in the order they were checked.
    pub evidence: Vec<String>,
}

/// What the `/sbin/init` path name says (`/lib/systemd/systemd` → systemd).
fn kind_from_name(path: &str) -> Option<InitKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.contains("systemd") {
        Some(InitKind::Systemd)
    } else if name.contains("upstart") {
        Some(InitKind::Upstart)
    } else if name.contains("sysvinit") || name == "busybox" {
        Some(InitKind::Sysvinit)
    } else {
        None
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// What the bytes of an init binary say.
fn kind_from_binary(bytes: &[u8]) -> Option<(InitKind, &'static str)> {
    const MARKERS: &[(&[u8], InitKind, &str)] = &[
        (
            b"com.ubuntu.Upstart",
            InitKind::Upstart,
            "upstart's D-Bus name com.ubuntu.Upstart",
        ),
        (
            b"systemd.unit",
            InitKind::Systemd,
            "systemd's systemd.unit= option",
        ),
        (
            b"INIT_VERSION",
            InitKind::Sysvinit,
            "sysvinit's INIT_VERSION variable",
        ),
        (
            b"BusyBox",
            InitKind::Sysvinit,
            "the BusyBox banner (BusyBox init reads /etc/inittab)",
        ),
    ];
    MARKERS
        .iter()
        .find(|(m, _, _)| contains(bytes, m))
        .map(|(_, k, why)| (*k, *why))
}

/// Examines `/sbin/init`; pushes evidence and returns the kind it points to, if any.
fn sbin_init(files: &dyn GuestFiles, ev: &mut Vec<String>) -> Option<InitKind> {
    let path = "/sbin/init";
    let meta = match files.symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            ev.push(format!("{path} is absent ({e})"));
            return None;
        }
    };
    match meta.kind {
        FileKind::Symlink => {
            let target = files.read_link(path).unwrap_or_default();
            match files.canonicalize(path) {
                Ok(canon) => {
                    ev.push(format!("{path} is a symlink to {target} ({canon})"));
                    let kind = kind_from_name(&canon).or_else(|| kind_from_name(&target));
                    if kind.is_none() {
                        return scan_binary(files, &canon, ev);
                    }
                    kind
                }
                Err(e) => {
                    ev.push(format!(
                        "{path} is a symlink to {target}, which does not resolve ({e})"
                    ));
                    kind_from_name(&target)
                }
            }
        }
        FileKind::File => scan_binary(files, path, ev),
        other => {
            ev.push(format!("{path} is not a regular file ({other:?})"));
            None
        }
    }
}

fn scan_binary(files: &dyn GuestFiles, path: &str, ev: &mut Vec<String>) -> Option<InitKind> {
    match files.read_file(path, INIT_BINARY_LIMIT) {
        Ok(bytes) => match kind_from_binary(&bytes) {
            Some((kind, why)) => {
                ev.push(format!("{path} is a program containing {why}"));
                Some(kind)
            }
            None => {
                ev.push(format!(
                    "{path} is a program ({} bytes) with no known init marker",
                    bytes.len()
                ));
                None
            }
        },
        Err(e) => {
            ev.push(format!("{path} could not be read ({e})"));
            None
        }
    }
}

/// `true` when the text has upstart job stanzas (`start on`, `exec`, `respawn`, `script`…).
pub fn has_upstart_stanzas(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        let mut words = l.split_whitespace();
        let (first, second) = (words.next(), words.next());
        matches!(
            first,
            Some(
                "exec"
                    | "script"
                    | "pre-start"
                    | "post-start"
                    | "pre-stop"
                    | "post-stop"
                    | "respawn"
                    | "task"
                    | "instance"
                    | "emits"
                    | "console"
            )
        ) || (matches!(first, Some("start" | "stop")) && second == Some("on"))
    })
}

/// Upstart job files under `/etc/init` (names), read with a bound.
fn upstart_jobs(files: &dyn GuestFiles) -> Vec<String> {
    let Ok(entries) = files.read_dir("/etc/init") else {
        return Vec::new();
    };
    entries
        .into_iter()
        .filter(|e| e.name.ends_with(".conf"))
        .take(MAX_UPSTART_JOBS)
        .filter(|e| {
            read_small(files, &format!("/etc/init/{}", e.name))
                .is_some_and(|t| has_upstart_stanzas(&t))
        })
        .map(|e| e.name)
        .collect()
}

/// What `/etc/inittab` holds: (initdefault runlevel, count of sysinit/respawn/wait entries).
fn inittab(text: &str) -> (Option<String>, usize) {
    let mut default = None;
    let mut active = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 3 {
            continue;
        }
        match fields[2] {
            "initdefault" => default = Some(fields[1].to_string()),
            "sysinit" | "respawn" | "wait" | "once" | "boot" | "bootwait" | "askfirst" => {
                active += 1
            }
            _ => {}
        }
    }
    (default, active)
}

/// The guest's init system, decided from evidence: `/sbin/init` first (what the kernel runs), then
/// the presence of each system's binaries and configuration.
pub fn detect(files: &dyn GuestFiles) -> InitSystem {
    let mut ev = Vec::new();
    let from_init = sbin_init(files, &mut ev);

    let systemd_bin = ["/lib/systemd/systemd", "/usr/lib/systemd/systemd"]
        .into_iter()
        .find(|p| files.metadata(p).is_ok_and(|m| m.kind == FileKind::File));
    if let Some(p) = systemd_bin {
        ev.push(format!("the systemd binary {p} is present"));
    }

    let upstart_bins: Vec<&str> = ["/sbin/initctl", "/sbin/upstart"]
        .into_iter()
        .filter(|p| files.exists(p))
        .collect();
    for p in &upstart_bins {
        ev.push(format!("upstart's {p} is present"));
    }
    let jobs = upstart_jobs(files);
    if !jobs.is_empty() {
        let shown: Vec<&str> = jobs.iter().take(5).map(String::as_str).collect();
        ev.push(format!(
            "/etc/init holds {} upstart job file{} ({}{})",
            jobs.len(),
            if jobs.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if jobs.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        ));
    }

    let (initdefault, inittab_active) = match read_small(files, "/etc/inittab") {
        Some(text) => {
            let (d, n) = inittab(&text);
            match (&d, n) {
                (Some(rl), 0) => ev.push(format!(
                    "/etc/inittab only sets the default runlevel {rl} (upstart and sysvinit both read it)"
                )),
                (_, n) if n > 0 => ev.push(format!(
                    "/etc/inittab has {n} sysvinit process entr{}{}",
                    if n == 1 { "y" } else { "ies" },
                    d.as_deref().map(|rl| format!(", default runlevel {rl}")).unwrap_or_default()
                )),
                _ => ev.push("/etc/inittab has no entries".to_string()),
            }
            (d, n)
        }
        None => (None, 0),
    };

    // A regular /sbin/init that is not systemd is what the kernel runs: an installed systemd
    // package (Debian 9 with sysvinit-core keeps it) is then not PID 1.
    let own_init = files
        .symlink_metadata("/sbin/init")
        .is_ok_and(|m| m.kind == FileKind::File);
    let kind = if let Some(k) = from_init {
        k
    } else if !jobs.is_empty() && !upstart_bins.is_empty() {
        InitKind::Upstart
    } else if inittab_active > 0 && (own_init || systemd_bin.is_none()) {
        if systemd_bin.is_some() {
            ev.push(
                "/sbin/init is a program of its own, not systemd, so systemd is installed but not PID 1"
                    .to_string(),
            );
        }
        InitKind::Sysvinit
    } else if systemd_bin.is_some() {
        InitKind::Systemd
    } else if !jobs.is_empty() || !upstart_bins.is_empty() {
        InitKind::Upstart
    } else if initdefault.is_some() {
        InitKind::Sysvinit
    } else {
        InitKind::Unknown
    };
    if from_init.is_none() && kind != InitKind::Unknown {
        ev.push(format!(
            "/sbin/init did not decide it; {kind:?} chosen from the other evidence"
        ));
    }
    InitSystem { kind, evidence: ev }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest::memfiles::MemFiles;
    use std::path::Path;

    fn corpus(rel: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpora/configs")
            .join(rel);
        std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("test corpus file {} missing: {e}", p.display()))
    }

    #[test]
    fn every_corpus_inittab_and_upstart_job() {
        for (rel, default, active) in [
            ("rhel5-initscripts/inittab", "3", true),
            ("rhel6-initscripts/inittab", "3", false),
            ("augeas/etc_inittab", "5", true),
        ] {
            let (d, n) = inittab(&corpus(rel));
            assert_eq!(d.as_deref(), Some(default), "{rel}");
            assert_eq!(n > 0, active, "{rel}: {n}");
        }
        for rel in [
            "upstart/tty1.conf",
            "upstart/console.conf",
            "upstart/rcS.conf",
            "rhel6-initscripts/tty.conf",
            "rhel6-initscripts/serial.conf",
        ] {
            assert!(has_upstart_stanzas(&corpus(rel)), "{rel}");
        }
        assert!(!has_upstart_stanzas(&corpus("rhel5-initscripts/inittab")));
        assert!(!has_upstart_stanzas("# exec /bin/false\n\nstart\n"));
    }

    #[test]
    fn sysvinit_binary_wins_over_an_installed_systemd() {
        let t = MemFiles::new()
            .file("/lib/systemd/systemd", "systemd")
            .file("/sbin/init", "some init program")
            .file(
                "/etc/inittab",
                "id:2:initdefault:\n1:2345:respawn:/sbin/getty 38400 hvc0\n",
            );
        assert_eq!(detect(&t).kind, InitKind::Sysvinit);
        let t = MemFiles::new()
            .file("/lib/systemd/systemd", "systemd")
            .file("/etc/inittab", "id:2:initdefault:\n");
        assert_eq!(detect(&t).kind, InitKind::Systemd);
    }

    #[test]
    fn systemd_symlink() {
        let t = MemFiles::new()
            .file("/lib/systemd/systemd", "\x7fELF")
            .symlink("/sbin/init", "/lib/systemd/systemd")
            .file(
                "/etc/inittab",
                "id:2:initdefault:\n1:2345:respawn:/sbin/getty 38400 tty1\n",
            );
        let i = detect(&t);
        assert_eq!(i.kind, InitKind::Systemd);
        assert!(i.evidence[0].contains("symlink to /lib/systemd/systemd"));
    }

    #[test]
    fn merged_usr_systemd() {
        let t = MemFiles::new()
            .file("/usr/lib/systemd/systemd", "\x7fELF")
            .symlink("/usr/sbin/init", "../lib/systemd/systemd")
            .symlink("/sbin", "usr/sbin")
            .symlink("/lib", "usr/lib");
        let i = detect(&t);
        assert_eq!(i.kind, InitKind::Systemd, "{:?}", i.evidence);
        assert!(i.evidence[0].contains("(/usr/lib/systemd/systemd)"));
    }

    #[test]
    fn rhel6_upstart_with_initdefault_inittab() {
        let t = MemFiles::new()
            .file("/sbin/init", "\x7fELF...no markers...")
            .file("/sbin/initctl", "\x7fELF")
            .file("/etc/inittab", corpus("rhel6-initscripts/inittab"))
            .file("/etc/init/tty.conf", corpus("rhel6-initscripts/tty.conf"))
            .file(
                "/etc/init/serial.conf",
                corpus("rhel6-initscripts/serial.conf"),
            )
            .file("/etc/init/notes.conf", "# just a comment\n");
        let i = detect(&t);
        assert_eq!(i.kind, InitKind::Upstart, "{:?}", i.evidence);
        let all = i.evidence.join("\n");
        assert!(all.contains("2 upstart job files"), "{all}");
        assert!(all.contains("only sets the default runlevel 3"), "{all}");
    }

    #[test]
    fn ubuntu_upstart_binary_marker() {
        let t = MemFiles::new()
            .file("/sbin/init", b"\x7fELF\0com.ubuntu.Upstart\0".as_slice())
            .file("/etc/init/tty1.conf", corpus("upstart/tty1.conf"))
            .file("/etc/init/rcS.conf", corpus("upstart/rcS.conf"))
            .file("/etc/init/console.conf", corpus("upstart/console.conf"))
            // A systemd package installed but not used as init.
            .file("/lib/systemd/systemd", "\x7fELF");
        let i = detect(&t);
        assert_eq!(i.kind, InitKind::Upstart);
        assert!(i.evidence.iter().any(|e| e.contains("3 upstart job files")));
    }

    #[test]
    fn rhel5_sysvinit() {
        let t = MemFiles::new()
            .file(
                "/sbin/init",
                b"\x7fELF\0INIT_VERSION=sysvinit-2.86\0".as_slice(),
            )
            .file("/etc/inittab", corpus("rhel5-initscripts/inittab"));
        let i = detect(&t);
        assert_eq!(i.kind, InitKind::Sysvinit);
        assert!(i.evidence.iter().any(|e| e.contains("default runlevel 3")));
    }

    #[test]
    fn debian_sysvinit_with_systemd_installed() {
        // Debian 8 with sysvinit-core: /sbin/init is sysvinit even though systemd is installed.
        let t = MemFiles::new()
            .file("/sbin/init", b"..INIT_VERSION..".as_slice())
            .file("/lib/systemd/systemd", "\x7fELF")
            .file("/etc/inittab", corpus("augeas/etc_inittab"));
        assert_eq!(detect(&t).kind, InitKind::Sysvinit);
    }

    #[test]
    fn fallbacks_without_sbin_init() {
        let t = MemFiles::new().file("/etc/inittab", corpus("rhel5-initscripts/inittab"));
        let i = detect(&t);
        assert_eq!(i.kind, InitKind::Sysvinit);
        assert!(i.evidence[0].contains("absent"));
        let t = MemFiles::new().file("/usr/lib/systemd/systemd", "x");
        assert_eq!(detect(&t).kind, InitKind::Systemd);
        assert_eq!(detect(&MemFiles::new()).kind, InitKind::Unknown);
    }

    #[test]
    fn dangling_or_odd_init() {
        let t = MemFiles::new().symlink("/sbin/init", "../lib/systemd/systemd");
        let i = detect(&t);
        assert_eq!(i.kind, InitKind::Systemd);
        assert!(i.evidence[0].contains("does not resolve"));
        let t = MemFiles::new()
            .symlink("/sbin/init", "/sbin/init")
            .special("/sbin/upstart");
        let i = detect(&t);
        assert_eq!(i.kind, InitKind::Upstart);
        let t = MemFiles::new()
            .symlink("/sbin/init", "/bin/busybox")
            .file("/bin/busybox", "");
        assert_eq!(detect(&t).kind, InitKind::Sysvinit);
    }
}
