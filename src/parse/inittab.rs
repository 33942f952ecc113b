//! Parses sysvinit / busybox `/etc/inittab` (`id:runlevels:action:process`) into entries with
//! line numbers, the default runlevel, and the tty each getty-like process runs on (`/sbin/getty
//! 38400 hvc0`, `/sbin/mingetty xvc0`, `/sbin/agetty -L ttyS0 115200 vt100`). Also home of
//! [`GettyCommand`], the getty command-line reader shared with the upstart and systemd parsers.

pub use super::fstab::LineProblem;
use serde::Serialize;

/// A getty program's command line, read for the terminal it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GettyCommand {
    /// Basename of the program (`agetty`, `getty`, `mingetty`, `mgetty`…).
    pub program: String,
    /// The terminal without `/dev/` (`hvc0`, `ttyS0`, `tty1`, `console`), or the variable as
    /// written (`$TTY`, `%I`) when it is one, or `-` (standard input: systemd's `getty@` sets the
    /// tty with `TTYPath=`); `None` when no port argument was found.
    pub tty: Option<String>,
    /// `true` when `tty` is a shell/upstart (`$DEV`, `${TTY}`) or systemd (`%I`) variable.
    pub tty_is_variable: bool,
    /// Baud rate argument(s) as written (`38400`, `115200,38400,9600`).
    pub baud: Option<String>,
    /// Terminal type argument (`vt100`, `vt100-nav`, `$TERM`).
    pub term: Option<String>,
}

/// Program basenames treated as gettys.
const GETTYS: &[&str] = &[
    "getty", "agetty", "mingetty", "mgetty", "fgetty", "ngetty", "rungetty", "uugetty", "qingy",
    "vgetty", "kmscon",
];

impl GettyCommand {
    /// Reads `command` (`/sbin/agetty -L ttyS0 115200 vt100`). Leading `exec`, a systemd prefix
    /// (`-`, `@`, `+`, `!`, `:`) and a sysvinit `+` are skipped. `None` when the program is not a
    /// getty.
    pub fn parse(command: &str) -> Option<GettyCommand> {
        let all = super::ifcfg::shell_words(command);
        let mut words = all.iter().map(String::as_str);
        let mut prog = words.next()?;
        if prog == "exec" {
            prog = words.next()?;
        }
        let prog = prog.trim_start_matches(['-', '@', '+', '!', ':']);
        let program = prog.rsplit('/').next().unwrap_or(prog);
        if !GETTYS.contains(&program) {
            return None;
        }
        // Short options that take a value, per family.
        let with_value: &[u8] = match program {
            "mgetty" | "vgetty" => b"cxsprnRiCSkmI",
            "mingetty" => b"",
            _ => b"aCdfHIloPrt",
        };
        const LONG_WITH_VALUE: &[&str] = &[
            "--autologin",
            "--chdir",
            "--chroot",
            "--issue-file",
            "--host",
            "--init-string",
            "--login-program",
            "--login-options",
            "--timeout",
            "--delay",
            "--nice",
            "--erase-chars",
            "--kill-chars",
            "--loginprog",
            "--term",
        ];
        let mut positional = Vec::new();
        let mut only_positional = false;
        while let Some(w) = words.next() {
            if only_positional || !w.starts_with('-') || w == "-" {
                positional.push(w);
            } else if w == "--" {
                only_positional = true;
            } else if let Some(long) = w.strip_prefix("--") {
                if !long.contains('=') && LONG_WITH_VALUE.contains(&w) {
                    words.next();
                }
            } else {
                let flags = &w.as_bytes()[1..];
                for (i, f) in flags.iter().enumerate() {
                    if with_value.contains(f) {
                        if i + 1 == flags.len() {
                            words.next();
                        }
                        break;
                    }
                }
            }
        }
        let is_baud = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b',');
        let (port, baud, term) = match positional.as_slice() {
            [] => (None, None, None),
            [a] if is_baud(a) => (None, Some(*a), None),
            [a] => (Some(*a), None, None),
            [a, b, rest @ ..] if is_baud(a) && !is_baud(b) => (Some(*b), Some(*a), rest.first()),
            [a, b, rest @ ..] if is_baud(b) => (Some(*a), Some(*b), rest.first()),
            [a, b, ..] => (Some(*a), None, Some(b)),
        };
        let tty = port.map(|p| p.strip_prefix("/dev/").unwrap_or(p).to_string());
        let tty_is_variable = tty.as_deref().is_some_and(|t| t.contains(['$', '%']));
        Some(GettyCommand {
            program: program.to_string(),
            tty,
            tty_is_variable,
            baud: baud.map(|s| s.to_string()),
            term: term.map(|s| s.to_string()),
        })
    }
}

/// One `id:runlevels:action:process` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InittabEntry {
    /// 1-based line number.
    pub line: usize,
    /// The original line.
    pub text: String,
    /// The id field (busybox: the tty, often empty).
    pub id: String,
    pub runlevels: String,
    pub action: String,
    pub process: String,
    /// The getty the process runs, if it is one.
    pub getty: Option<GettyCommand>,
}

/// A parsed inittab.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inittab {
    pub entries: Vec<InittabEntry>,
    pub problems: Vec<LineProblem>,
}

impl Inittab {
    /// The `initdefault` runlevel (the last one wins), with its line.
    pub fn initdefault(&self) -> Option<(usize, &str)> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.action == "initdefault")
            .map(|e| (e.line, e.runlevels.as_str()))
    }

    /// Every getty entry with a known tty as `(line, tty, action)`, in file order, whatever the
    /// action (an `off` entry is listed too; the rule decides). A busybox entry whose getty names
    /// no port but whose id is a tty (`ttyS0::respawn:/sbin/getty -L 115200`) yields the id.
    pub fn gettys(&self) -> Vec<(usize, &str, &str)> {
        self.entries
            .iter()
            .filter_map(|e| {
                let g = e.getty.as_ref()?;
                let tty = match g.tty.as_deref() {
                    Some(t) => t,
                    None if !e.id.is_empty() => e.id.as_str(),
                    None => return None,
                };
                Some((e.line, tty, e.action.as_str()))
            })
            .collect()
    }
}

const ACTIONS: &[&str] = &[
    "respawn",
    "wait",
    "once",
    "boot",
    "bootwait",
    "off",
    "ondemand",
    "initdefault",
    "sysinit",
    "powerwait",
    "powerfail",
    "powerokwait",
    "powerfailnow",
    "ctrlaltdel",
    "kbrequest",
    // busybox
    "askfirst",
    "shutdown",
    "restart",
];

/// Parses inittab text. Blank lines and `#` comments are skipped.
pub fn parse(text: &str) -> Inittab {
    let mut out = Inittab::default();
    for (line, original) in super::text::numbered_lines(text) {
        let trimmed = original.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let problem = |message: String| super::text::problem(line, original, message);
        let fields: Vec<&str> = trimmed.splitn(4, ':').collect();
        if fields.len() < 4 {
            out.problems.push(problem(format!(
                "{} field(s); need id:runlevels:action:process",
                fields.len()
            )));
            continue;
        }
        let action = fields[2].trim();
        if !ACTIONS.contains(&action) {
            out.problems
                .push(problem(format!("unknown action {action:?}")));
        }
        let process = fields[3].trim();
        let entry = InittabEntry {
            line,
            text: original.to_string(),
            id: fields[0].trim().to_string(),
            runlevels: fields[1].trim().to_string(),
            action: action.to_string(),
            process: process.to_string(),
            getty: GettyCommand::parse(process),
        };
        if action == "initdefault" && entry.runlevels.is_empty() {
            out.problems
                .push(problem("initdefault without a runlevel".to_string()));
        }
        out.entries.push(entry);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests_support {
    /// Runs `f` on 300 deterministic pseudo-random texts biased towards `alphabet`.
    pub fn fuzz(alphabet: &[u8], mut f: impl FnMut(&str)) {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
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
            f(&String::from_utf8_lossy(&bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn manifest() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
    }
    fn read(p: PathBuf) -> String {
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn every_real_inittab_parses_cleanly() {
        let configs = manifest().join("../shared/corpora/configs");
        let trees = manifest().join("corpus/trees");
        let files = [
            configs.join("augeas/etc_inittab"),
            configs.join("rhel5-initscripts/inittab"),
            configs.join("rhel6-initscripts/inittab"),
            trees.join("centos6-pv/etc/inittab"),
            trees.join("debian7-pv/etc/inittab"),
            trees.join("debian9-sysv/etc/inittab"),
            trees.join("multipart-mbr/root/etc/inittab"),
        ];
        for f in files {
            let t = parse(&read(f.clone()));
            assert!(t.problems.is_empty(), "{}: {:?}", f.display(), t.problems);
            assert!(t.initdefault().is_some(), "{}", f.display());
        }
    }

    #[test]
    fn rhel5_gettys_on_tty1_to_6() {
        let t = parse(&read(
            manifest().join("../shared/corpora/configs/rhel5-initscripts/inittab"),
        ));
        let g = t.gettys();
        let ttys: Vec<&str> = g.iter().map(|(_, t, _)| *t).collect();
        assert_eq!(ttys, ["tty1", "tty2", "tty3", "tty4", "tty5", "tty6"]);
        assert!(g.iter().all(|(_, _, a)| *a == "respawn"));
        assert_eq!(t.initdefault().map(|(_, r)| r), Some("3"));
        let e = t.entries.iter().find(|e| e.id == "1").unwrap();
        assert_eq!(e.getty.as_ref().unwrap().program, "mingetty");
        assert_eq!(e.text, "1:2345:respawn:/sbin/mingetty tty1");
        // prefdm is not a getty
        assert!(t
            .entries
            .iter()
            .find(|e| e.id == "x")
            .unwrap()
            .getty
            .is_none());
    }

    #[test]
    fn corpus_xen_consoles() {
        let trees = manifest().join("corpus/trees");
        let d7 = parse(&read(trees.join("debian7-pv/etc/inittab")));
        let g = d7.gettys();
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!((g[0].1, g[0].2), ("hvc0", "respawn"));
        assert_eq!(d7.initdefault().map(|(_, r)| r), Some("2"));
        let d9 = parse(&read(trees.join("debian9-sysv/etc/inittab")));
        let ttys: Vec<&str> = d9.gettys().iter().map(|(_, t, _)| *t).collect();
        assert_eq!(
            ttys,
            ["tty1", "tty2", "tty3", "tty4", "tty5", "tty6", "hvc0"]
        );
        let c5 = parse(&read(trees.join("multipart-mbr/root/etc/inittab")));
        let g = c5.gettys();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].1, "xvc0");
        let co = c5.entries.iter().find(|e| e.id == "co").unwrap();
        let gc = co.getty.as_ref().unwrap();
        assert_eq!(gc.program, "agetty");
        assert_eq!(gc.baud.as_deref(), Some("9600"));
        assert_eq!(gc.term.as_deref(), Some("vt100-nav"));
        let c6 = parse(&read(trees.join("centos6-pv/etc/inittab")));
        assert!(c6.gettys().is_empty());
        assert_eq!(c6.initdefault(), Some((26, "3")));
    }

    #[test]
    fn getty_command_forms() {
        let tty = |c: &str| GettyCommand::parse(c).and_then(|g| g.tty);
        assert_eq!(tty("/sbin/getty 38400 hvc0").as_deref(), Some("hvc0"));
        assert_eq!(tty("/sbin/mingetty xvc0").as_deref(), Some("xvc0"));
        assert_eq!(
            tty("/sbin/mingetty --noclear tty1").as_deref(),
            Some("tty1")
        );
        assert_eq!(
            tty("/sbin/agetty -L ttyS0 115200 vt100").as_deref(),
            Some("ttyS0")
        );
        assert_eq!(tty("getty -L 9600 ttyS0").as_deref(), Some("ttyS0"));
        assert_eq!(
            tty("/sbin/getty -L 115200 hvc0 vt102").as_deref(),
            Some("hvc0")
        );
        assert_eq!(
            tty("/sbin/getty --noclear 38400 tty1").as_deref(),
            Some("tty1")
        );
        assert_eq!(
            tty("/sbin/agetty /dev/hvc0 38400 vt100-nav").as_deref(),
            Some("hvc0")
        );
        assert_eq!(
            tty("exec /sbin/getty -8 38400 tty1").as_deref(),
            Some("tty1")
        );
        assert_eq!(
            tty("/sbin/mgetty -x0 -s 57600 ttyS3").as_deref(),
            Some("ttyS3")
        );
        assert_eq!(
            tty("-/sbin/agetty --keep-baud 115200,38400,9600 %I $TERM").as_deref(),
            Some("%I")
        );
        assert_eq!(
            tty("/sbin/agetty -o '-p -- \\u' --noclear - $TERM").as_deref(),
            Some("-")
        );
        assert_eq!(
            tty("/sbin/agetty -a root --autologin root ttyS1").as_deref(),
            Some("ttyS1")
        );
        let g = GettyCommand::parse("exec /sbin/agetty /dev/$DEV $SPEED vt100-nav").unwrap();
        assert_eq!(g.tty.as_deref(), Some("$DEV"));
        assert!(g.tty_is_variable);
        assert!(GettyCommand::parse("/etc/X11/prefdm -nodaemon").is_none());
        assert!(GettyCommand::parse("/sbin/sulogin").is_none());
        assert!(GettyCommand::parse("").is_none());
    }

    #[test]
    fn busybox_and_junk() {
        let t = parse(
            "::sysinit:/etc/init.d/rcS\nttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100\n\
             hvc0::respawn:/sbin/getty 38400\n::respawn:/sbin/getty 38400 tty1\n\
             garbage\nx:1:bogus:/bin/true\nid::initdefault:\n\
             p:2:once:/bin/echo \"a:b\"\n",
        );
        let g = t.gettys();
        let ttys: Vec<&str> = g.iter().map(|(_, t, _)| *t).collect();
        assert_eq!(ttys, ["ttyS0", "hvc0", "tty1"]);
        let lines: Vec<usize> = t.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [5, 6, 7]);
        assert_eq!(t.entries.last().unwrap().process, "/bin/echo \"a:b\"");
    }

    #[test]
    fn random_bytes_never_panic() {
        tests_support::fuzz(b" \t\n#:-1234respawn/sbin/getty hvc0 -L", |s| {
            let t = parse(s);
            let _ = (t.gettys(), t.initdefault());
            let _ = GettyCommand::parse(s);
        });
    }
}
