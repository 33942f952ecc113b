//! Parses an upstart job file (`/etc/init/*.conf`, `*.override`): its stanzas (`start on`,
//! `stop on`, `respawn`, `exec`, `instance`, `env`, `task`…) and `script … end script` blocks with
//! line numbers, and the getty the job runs (`exec /sbin/getty -8 38400 hvc0`). Facts only: an
//! instance job such as RHEL 6 `serial.conf` (`instance $DEV`, started by the
//! `fedora.serial-console-available` event for the primary console) keeps its `$DEV` tty and
//! its start condition unevaluated.

pub use super::fstab::LineProblem;
use super::inittab::GettyCommand;
use serde::Serialize;

/// One stanza (a logical line: an unbalanced `(` or a trailing `\` continues it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stanza {
    /// 1-based first line.
    pub line: usize,
    /// Last line (equal to `line` unless the stanza continues).
    pub end_line: usize,
    /// The original text (continuations joined with `\n`).
    pub text: String,
    /// The stanza keyword, with its second word for two-word forms: `start on`, `stop on`,
    /// `pre-start exec`, `post-stop script`, `respawn limit`, `exec`, `env`…
    pub keyword: String,
    /// The rest, continuation lines joined with single spaces.
    pub args: String,
}

/// A `script … end script` block (also `pre-start script` etc.).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptBlock {
    /// Line of the opening stanza.
    pub line: usize,
    /// Line of `end script` (the last line of the file when missing).
    pub end_line: usize,
    /// `script`, `pre-start script`, `post-stop script`…
    pub keyword: String,
    /// Body lines with their numbers.
    pub body: Vec<(usize, String)>,
    /// Body lines that run a getty.
    pub gettys: Vec<(usize, GettyCommand)>,
}

/// A parsed job file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpstartJob {
    pub stanzas: Vec<Stanza>,
    pub scripts: Vec<ScriptBlock>,
    pub problems: Vec<LineProblem>,
}

impl UpstartJob {
    /// The last stanza with `keyword` (upstart keeps the last one).
    pub fn stanza(&self, keyword: &str) -> Option<&Stanza> {
        self.stanzas.iter().rev().find(|s| s.keyword == keyword)
    }
    /// `start on` condition, as written.
    pub fn start_on(&self) -> Option<&Stanza> {
        self.stanza("start on")
    }
    /// `stop on` condition, as written.
    pub fn stop_on(&self) -> Option<&Stanza> {
        self.stanza("stop on")
    }
    /// `respawn` (without `limit`) is present.
    pub fn respawn(&self) -> bool {
        self.stanza("respawn").is_some()
    }
    /// `task` is present.
    pub fn is_task(&self) -> bool {
        self.stanza("task").is_some()
    }
    /// `instance $DEV` value.
    pub fn instance(&self) -> Option<&str> {
        self.stanza("instance").map(|s| s.args.as_str())
    }
    /// The main `exec` stanza.
    pub fn exec(&self) -> Option<&Stanza> {
        self.stanza("exec")
    }
    /// `env KEY=value` / `env KEY` stanzas as `(line, key, value)`.
    pub fn env(&self) -> Vec<(usize, &str, Option<&str>)> {
        self.stanzas
            .iter()
            .filter(|s| s.keyword == "env")
            .map(|s| match s.args.split_once('=') {
                Some((k, v)) => (s.line, k.trim(), Some(v.trim().trim_matches('"'))),
                None => (s.line, s.args.trim(), None),
            })
            .collect()
    }
    /// The getty the job's main process runs: the `exec` stanza, else a getty line inside the
    /// main `script` block. The tty may be a variable (`$TTY`, `$DEV`) for instance jobs.
    pub fn getty(&self) -> Option<(usize, GettyCommand)> {
        if let Some(e) = self.exec() {
            return GettyCommand::parse(&e.args).map(|g| (e.line, g));
        }
        self.scripts
            .iter()
            .rev()
            .find(|s| s.keyword == "script")
            .and_then(|s| s.gettys.first().cloned())
    }
    /// Words of the `start on` condition with operators, `KEY=value` arguments and parentheses
    /// dropped: `stopped rc RUNLEVEL=[2345]` gives `["stopped", "rc"]`;
    /// `fedora.serial-console-available DEV=* and …` starts with that event name.
    pub fn start_words(&self) -> Vec<&str> {
        self.start_on()
            .map(|s| {
                s.args
                    .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                    .filter(|w| !w.is_empty() && *w != "and" && *w != "or" && !w.contains('='))
                    .collect()
            })
            .unwrap_or_default()
    }
}

const SIMPLE: &[&str] = &[
    "respawn",
    "exec",
    "instance",
    "env",
    "export",
    "task",
    "console",
    "description",
    "author",
    "version",
    "emits",
    "usage",
    "normal",
    "kill",
    "expect",
    "chdir",
    "chroot",
    "limit",
    "nice",
    "oom",
    "umask",
    "manual",
    "setuid",
    "setgid",
    "apparmor",
    "cgroup",
    "reload",
];
const PHASES: &[&str] = &["pre-start", "post-start", "pre-stop", "post-stop"];

/// Parentheses depth change of `s` (quotes ignored).
fn paren_delta(s: &str) -> i64 {
    s.chars().fold(0, |d, c| match c {
        '(' => d + 1,
        ')' => d - 1,
        _ => d,
    })
}

/// Parses job file text.
pub fn parse(text: &str) -> UpstartJob {
    let mut out = UpstartJob::default();
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
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // Gather continuation lines.
        let mut text = original.to_string();
        let mut body = trimmed.trim_end_matches('\\').trim().to_string();
        let mut depth = paren_delta(trimmed);
        let mut cont = trimmed.ends_with('\\');
        let mut end_line = line;
        while (depth > 0 || cont) && i < lines.len() {
            let (l, o) = lines[i];
            i += 1;
            end_line = l;
            text.push('\n');
            text.push_str(o);
            let t = o.trim();
            if t.starts_with('#') {
                continue;
            }
            depth += paren_delta(t);
            cont = t.ends_with('\\');
            body.push(' ');
            body.push_str(t.trim_end_matches('\\').trim());
        }
        let problem = |message: String| LineProblem {
            line,
            text: original.to_string(),
            message,
        };
        if depth != 0 {
            out.problems
                .push(problem("unbalanced parentheses".to_string()));
        }
        let (first, rest) = match body.split_once(char::is_whitespace) {
            Some((f, r)) => (f.to_string(), r.trim().to_string()),
            None => (body.clone(), String::new()),
        };
        let (second, rest2) = match rest.split_once(char::is_whitespace) {
            Some((s, r)) => (s.to_string(), r.trim().to_string()),
            None => (rest.clone(), String::new()),
        };
        let (keyword, args) = match first.as_str() {
            "start" | "stop" if second == "on" => (format!("{first} on"), rest2),
            "start" | "stop" => {
                out.problems
                    .push(problem(format!("`{first}` without `on`")));
                continue;
            }
            p if PHASES.contains(&p) && (second == "exec" || second == "script") => {
                (format!("{p} {second}"), rest2)
            }
            p if PHASES.contains(&p) => {
                out.problems
                    .push(problem(format!("`{p}` must be followed by exec or script")));
                continue;
            }
            "respawn" if second == "limit" => ("respawn limit".to_string(), rest2),
            "script" => ("script".to_string(), rest),
            k if SIMPLE.contains(&k) => (k.to_string(), rest),
            "end" => {
                out.problems
                    .push(problem("`end` without a script block".to_string()));
                continue;
            }
            k => {
                out.problems.push(problem(format!("unknown stanza {k:?}")));
                continue;
            }
        };
        if keyword.ends_with("script") {
            let mut block = ScriptBlock {
                line,
                end_line: line,
                keyword: keyword.clone(),
                body: Vec::new(),
                gettys: Vec::new(),
            };
            let mut closed = false;
            while i < lines.len() {
                let (l, o) = lines[i];
                i += 1;
                block.end_line = l;
                let t = o.trim();
                if t.split_ascii_whitespace().eq(["end", "script"]) {
                    closed = true;
                    break;
                }
                if !t.starts_with('#') {
                    if let Some(g) = GettyCommand::parse(t) {
                        block.gettys.push((l, g));
                    }
                }
                block.body.push((l, o.to_string()));
            }
            if !closed {
                out.problems
                    .push(problem(format!("`{keyword}` without `end script`")));
            }
            out.scripts.push(block);
        }
        out.stanzas.push(Stanza {
            line,
            end_line,
            text,
            keyword,
            args,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
    }
    fn load(p: PathBuf) -> UpstartJob {
        parse(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
    }

    #[test]
    fn every_real_job_parses_cleanly() {
        let mut files = vec![];
        for d in [
            "../shared/corpora/configs/upstart",
            "corpus/trees/centos6-pv/etc/init",
            "corpus/trees/ubuntu1404-pv/etc/init",
        ] {
            for f in std::fs::read_dir(root().join(d)).unwrap() {
                files.push(f.unwrap().path());
            }
        }
        for f in ["serial.conf", "tty.conf"] {
            files.push(
                root()
                    .join("../shared/corpora/configs/rhel6-initscripts")
                    .join(f),
            );
        }
        assert!(files.len() >= 15);
        for f in files {
            let j = load(f.clone());
            assert!(j.problems.is_empty(), "{}: {:?}", f.display(), j.problems);
            assert!(!j.stanzas.is_empty(), "{}", f.display());
        }
    }

    #[test]
    fn getty_jobs() {
        let u = load(root().join("corpus/trees/ubuntu1404-pv/etc/init/hvc0.conf"));
        let (line, g) = u.getty().unwrap();
        assert_eq!((line, g.tty.as_deref()), (14, Some("hvc0")));
        assert!(u.respawn());
        let s = u.start_on().unwrap();
        assert_eq!((s.line, s.end_line), (6, 9));
        assert!(s
            .args
            .starts_with("stopped rc RUNLEVEL=[2345] and ( not-container or"));
        assert_eq!(u.stop_on().unwrap().args, "runlevel [!2345]");
        let c6 = load(root().join("corpus/trees/centos6-pv/etc/init/hvc0.conf"));
        assert_eq!(c6.getty().unwrap().1.tty.as_deref(), Some("hvc0"));
        let tty1 = load(root().join("../shared/corpora/configs/upstart/tty1.conf"));
        assert_eq!(tty1.getty().unwrap().1.tty.as_deref(), Some("tty1"));
        let console = load(root().join("../shared/corpora/configs/upstart/console.conf"));
        assert_eq!(console.getty().unwrap().1.tty.as_deref(), Some("console"));
    }

    #[test]
    fn rhel6_instance_jobs() {
        let s = load(root().join("../shared/corpora/configs/rhel6-initscripts/serial.conf"));
        assert_eq!(s.instance(), Some("$DEV"));
        let (_, g) = s.getty().unwrap();
        assert_eq!(g.tty.as_deref(), Some("$DEV"));
        assert!(g.tty_is_variable);
        assert_eq!(g.program, "agetty");
        assert!(s.start_words().contains(&"fedora.serial-console-available"));
        assert!(s.stanza("pre-start exec").is_some());
        assert!(s
            .stanza("post-stop exec")
            .unwrap()
            .args
            .contains("initctl emit"));
        let t = load(root().join("../shared/corpora/configs/rhel6-initscripts/tty.conf"));
        assert_eq!(t.instance(), Some("$TTY"));
        assert_eq!(t.getty().unwrap().1.tty.as_deref(), Some("$TTY"));
        assert!(t.start_on().is_none());
        let st = load(root().join("corpus/trees/centos6-pv/etc/init/start-ttys.conf"));
        assert!(st.is_task());
        assert_eq!(
            st.env(),
            [
                (9, "ACTIVE_CONSOLES", Some("/dev/tty[1-6]")),
                (10, "X_TTY", Some("/dev/tty1"))
            ]
        );
        assert!(st.getty().is_none());
        assert_eq!(st.scripts.len(), 1);
    }

    #[test]
    fn scripts_and_junk() {
        let rcs = load(root().join("../shared/corpora/configs/upstart/rcS.conf"));
        assert_eq!(rcs.scripts.len(), 2);
        assert_eq!(rcs.scripts[0].keyword, "script");
        assert!(rcs.getty().is_none(), "sulogin is not a getty");
        let j = parse(
            "start\nfrobnicate now\npre-start foo\nstart on (a and\nscript\n  exec /sbin/getty 38400 ttyS0\n",
        );
        let lines: Vec<usize> = j.problems.iter().map(|p| p.line).collect();
        // The unbalanced `(` swallows the rest of the file into the condition.
        assert_eq!(lines, [1, 2, 3, 4], "{:?}", j.problems);
        assert_eq!(j.start_on().unwrap().end_line, 6);
        let j = parse(
            "respawn limit 10 5\nscript\n exec /sbin/getty -L ttyS0 115200 vt102\nend script\n",
        );
        assert!(!j.respawn());
        assert_eq!(j.getty().unwrap().1.tty.as_deref(), Some("ttyS0"));
        assert_eq!(j.getty().unwrap().0, 3);
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(
            b" \n#()\\start on exec script end respawn getty",
            |s| {
                let j = parse(s);
                let _ = (j.getty(), j.start_words(), j.env());
            },
        );
    }
}
