//! Parses the shell-style settings of `/etc/default/grub` and `/etc/sysconfig/grub`:
//! `KEY=value`, `KEY="value"`, `KEY='value'`, `export KEY=…`, comments and `\` continuation.
//! Each assignment keeps its line, raw text, unquoted value and quoting style (so a fix can
//! rewrite it in the same style); `$VAR` references and `$(…)`/backquote substitutions are kept
//! verbatim and flagged. Other shell code (`if`, commands) is kept as opaque lines; assignments
//! under an `if` are marked conditional. As in the shell, the last assignment wins.

use super::cmdline::Cmdline;
use super::text::{problem, LineProblem};
use serde::Serialize;

/// How the value was quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quoting {
    /// `KEY=value` (or an empty `KEY=`).
    None,
    /// `KEY="value"`.
    Double,
    /// `KEY='value'`.
    Single,
    /// Several styles in one value (`KEY="a"'b'c`).
    Mixed,
}

/// One `KEY=value` assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// 1-based line where the assignment starts.
    pub line: usize,
    /// Last line (differs with `\` continuation or a multi-line quoted value).
    pub end_line: usize,
    /// Original text of `line`.
    pub text: String,
    pub key: String,
    /// Value with quotes and escapes removed; `$VAR` and `$(…)` kept verbatim.
    pub value: String,
    /// The value as written (quotes included).
    pub raw_value: String,
    /// Byte column of `raw_value` in `line`.
    pub value_column: usize,
    pub quoting: Quoting,
    /// Preceded by `export`.
    pub exported: bool,
    /// Refers to `$VAR` / `${VAR}`.
    pub has_vars: bool,
    /// Holds `$(…)` or a backquoted command: the value is only known by running it.
    pub command_substitution: bool,
    /// Under an `if`/`case`/loop: may not take effect.
    pub conditional: bool,
}

impl Assignment {
    /// The value as a kernel command line.
    pub fn cmdline(&self) -> Cmdline {
        Cmdline::parse(&self.value)
    }

    /// `true`/`false` values (`GRUB_DISABLE_LINUX_UUID=true`).
    pub fn as_bool(&self) -> Option<bool> {
        match self.value.as_str() {
            "true" | "y" | "yes" | "1" => Some(true),
            "false" | "n" | "no" | "0" => Some(false),
            _ => None,
        }
    }

    /// The value split on whitespace (`GRUB_TERMINAL="serial console"`).
    pub fn words(&self) -> Vec<&str> {
        self.value.split_ascii_whitespace().collect()
    }
}

/// A line of shell code this parser does not model (kept, not a problem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpaqueLine {
    pub line: usize,
    pub text: String,
}

/// A parsed `/etc/default/grub`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GrubDefaults {
    pub assignments: Vec<Assignment>,
    pub opaque: Vec<OpaqueLine>,
    pub problems: Vec<LineProblem>,
}

impl GrubDefaults {
    /// The effective assignment of `key` (the last one, as in the shell).
    pub fn get(&self, key: &str) -> Option<&Assignment> {
        self.assignments.iter().rev().find(|a| a.key == key)
    }

    /// Every assignment of `key`, in order.
    pub fn get_all(&self, key: &str) -> Vec<&Assignment> {
        self.assignments.iter().filter(|a| a.key == key).collect()
    }

    /// The effective value of `key`.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|a| a.value.as_str())
    }

    pub fn cmdline_linux(&self) -> Option<&Assignment> {
        self.get("GRUB_CMDLINE_LINUX")
    }

    pub fn cmdline_linux_default(&self) -> Option<&Assignment> {
        self.get("GRUB_CMDLINE_LINUX_DEFAULT")
    }

    /// The effective `GRUB_CMDLINE_XEN*` assignments (`GRUB_CMDLINE_XEN`,
    /// `GRUB_CMDLINE_XEN_DEFAULT`, …), one per key, in file order.
    pub fn cmdline_xen(&self) -> Vec<&Assignment> {
        let mut out: Vec<&Assignment> = Vec::new();
        for a in &self.assignments {
            if a.key.starts_with("GRUB_CMDLINE_XEN") {
                out.retain(|b| b.key != a.key);
                out.push(a);
            }
        }
        out
    }

    pub fn terminal(&self) -> Option<&Assignment> {
        self.get("GRUB_TERMINAL")
    }

    pub fn terminal_input(&self) -> Option<&Assignment> {
        self.get("GRUB_TERMINAL_INPUT")
    }

    pub fn terminal_output(&self) -> Option<&Assignment> {
        self.get("GRUB_TERMINAL_OUTPUT")
    }

    pub fn serial_command(&self) -> Option<&Assignment> {
        self.get("GRUB_SERIAL_COMMAND")
    }

    /// `GRUB_DEFAULT` (named so as not to shadow `Default::default`).
    pub fn grub_default(&self) -> Option<&Assignment> {
        self.get("GRUB_DEFAULT")
    }

    pub fn disable_linux_uuid(&self) -> Option<&Assignment> {
        self.get("GRUB_DISABLE_LINUX_UUID")
    }

    pub fn enable_blscfg(&self) -> Option<&Assignment> {
        self.get("GRUB_ENABLE_BLSCFG")
    }

    /// `a`'s value with `$VAR`/`${VAR}` replaced by the values assigned earlier in the file.
    /// `None` when it holds a command substitution or a variable never assigned before it.
    pub fn expand(&self, a: &Assignment) -> Option<String> {
        if a.command_substitution {
            return None;
        }
        let before = |name: &str| {
            self.assignments
                .iter()
                .take_while(|b| !std::ptr::eq(*b, a) && b.line <= a.line)
                .filter(|b| b.key == name)
                .last()
        };
        let v = a.value.as_str();
        let mut out = String::new();
        let mut i = 0;
        let b = v.as_bytes();
        while i < b.len() {
            if b[i] == b'$' {
                let (name, next) = if b.get(i + 1) == Some(&b'{') {
                    let end = v[i..].find('}').map(|e| i + e)?;
                    (&v[i + 2..end], end + 1)
                } else {
                    let mut e = i + 1;
                    while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'_') {
                        e += 1;
                    }
                    (&v[i + 1..e], e)
                };
                if name.is_empty() {
                    out.push('$');
                    i += 1;
                    continue;
                }
                let prior = before(name)?;
                out.push_str(&self.expand(prior)?);
                i = next;
            } else {
                let c = v[i..].chars().next().unwrap_or('\u{fffd}');
                out.push(c);
                i += c.len_utf8().max(1);
            }
        }
        Some(out)
    }
}

/// One shell word.
#[derive(Debug, Default)]
struct ShWord {
    raw: String,
    value: String,
    line: usize,
    column: usize,
    /// Byte index in `raw` of the first unquoted `=` and the value length at that point.
    eq: Option<(usize, usize)>,
    single: bool,
    double: bool,
    bare: bool,
    has_vars: bool,
    subst: bool,
}

struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    problems: Vec<(usize, String)>,
}

impl Scanner<'_> {
    fn newline(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }

    fn push_char(&mut self, w: &mut ShWord) {
        if let Some(c) = self.s[self.pos..].chars().next() {
            w.value.push(c);
            self.pos += c.len_utf8();
            if c == '\n' {
                self.newline();
            }
        } else {
            self.pos = self.b.len();
        }
    }

    /// At `$`: copies `$NAME`, `${…}`, `$(…)` verbatim.
    fn dollar(&mut self, w: &mut ShWord) {
        let start = self.pos;
        match self.b.get(self.pos + 1) {
            Some(b'(') => {
                w.subst = true;
                let mut depth = 0usize;
                let mut quote: Option<u8> = None;
                while self.pos < self.b.len() {
                    let c = self.b[self.pos];
                    match (quote, c) {
                        (Some(q), _) if c == q => quote = None,
                        (Some(_), _) => {}
                        (None, b'\'' | b'"' | b'`') => quote = Some(c),
                        (None, b'(') => depth += 1,
                        (None, b')') => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.pos += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    if c == b'\n' {
                        self.pos += 1;
                        self.newline();
                    } else {
                        self.pos += 1;
                    }
                }
                if depth > 0 {
                    self.problems
                        .push((self.line, "unterminated `$(`".to_string()));
                }
            }
            Some(b'{') => {
                w.has_vars = true;
                // Up to the closing brace, never past the end of the line.
                let rest = &self.s[self.pos..];
                self.pos += match (rest.find('}'), rest.find('\n')) {
                    (Some(c), Some(n)) if c < n => c + 1,
                    (_, Some(n)) => n,
                    (Some(c), None) => c + 1,
                    (None, None) => rest.len(),
                };
            }
            Some(&c) if c.is_ascii_alphanumeric() || c == b'_' => {
                w.has_vars = true;
                self.pos += 2;
                while self.pos < self.b.len()
                    && (self.b[self.pos].is_ascii_alphanumeric() || self.b[self.pos] == b'_')
                {
                    self.pos += 1;
                }
            }
            _ => self.pos += 1,
        }
        let end = self.pos.min(self.b.len());
        // Keep the text verbatim (it may span lines; line counting was done above).
        w.value.push_str(&self.s[start..end]);
    }

    fn backquote(&mut self, w: &mut ShWord) {
        w.subst = true;
        let start = self.pos;
        self.pos += 1;
        while self.pos < self.b.len() && self.b[self.pos] != b'`' {
            if self.b[self.pos] == b'\\' {
                self.pos += 1;
            }
            if self.b.get(self.pos) == Some(&b'\n') {
                self.pos += 1;
                self.newline();
            } else {
                self.pos += 1;
            }
        }
        if self.pos >= self.b.len() {
            self.problems
                .push((self.line, "unterminated backquote".to_string()));
        } else {
            self.pos += 1;
        }
        let end = self.pos.min(self.b.len());
        w.value.push_str(&self.s[start..end]);
    }

    fn word(&mut self) -> ShWord {
        let start = self.pos;
        let mut w = ShWord {
            line: self.line,
            column: self.pos - self.line_start,
            ..ShWord::default()
        };
        while self.pos < self.b.len() {
            let after_eq = w.eq.is_some();
            match self.b[self.pos] {
                b' ' | b'\t' | b'\r' | b'\n' | b';' => break,
                b'=' if w.eq.is_none() => {
                    w.eq = Some((self.pos - start, w.value.len()));
                    w.value.push('=');
                    self.pos += 1;
                }
                b'\\' => {
                    self.pos += 1;
                    if self.b.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                        self.newline();
                    } else if self.pos < self.b.len() {
                        w.bare |= after_eq;
                        self.push_char(&mut w);
                    }
                }
                b'\'' => {
                    w.single |= after_eq;
                    let qline = self.line;
                    self.pos += 1;
                    while self.pos < self.b.len() && self.b[self.pos] != b'\'' {
                        self.push_char(&mut w);
                    }
                    if self.pos >= self.b.len() {
                        self.problems
                            .push((qline, "unterminated single quote".to_string()));
                    } else {
                        self.pos += 1;
                    }
                }
                b'"' => {
                    w.double |= after_eq;
                    let qline = self.line;
                    self.pos += 1;
                    loop {
                        match self.b.get(self.pos) {
                            None => {
                                self.problems
                                    .push((qline, "unterminated double quote".to_string()));
                                break;
                            }
                            Some(b'"') => {
                                self.pos += 1;
                                break;
                            }
                            Some(b'\\') => match self.b.get(self.pos + 1) {
                                Some(b'\n') => {
                                    self.pos += 2;
                                    self.newline();
                                }
                                Some(b'$' | b'`' | b'"' | b'\\') => {
                                    self.pos += 1;
                                    self.push_char(&mut w);
                                }
                                _ => {
                                    w.value.push('\\');
                                    self.pos += 1;
                                }
                            },
                            Some(b'$') => self.dollar(&mut w),
                            Some(b'`') => self.backquote(&mut w),
                            Some(_) => self.push_char(&mut w),
                        }
                    }
                }
                b'$' => {
                    w.bare |= after_eq;
                    self.dollar(&mut w);
                }
                b'`' => {
                    w.bare |= after_eq;
                    self.backquote(&mut w);
                }
                _ => {
                    w.bare |= after_eq;
                    self.push_char(&mut w);
                }
            }
        }
        w.raw = self.s[start..self.pos.min(self.b.len())].to_string();
        w
    }

    /// Statements: words up to an unquoted newline or `;`, with the line each starts on.
    fn statements(&mut self) -> Vec<Vec<ShWord>> {
        let mut out = Vec::new();
        let mut cur: Vec<ShWord> = Vec::new();
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' | b';' => {
                    if self.b[self.pos] == b'\n' {
                        self.pos += 1;
                        self.newline();
                    } else {
                        self.pos += 1;
                    }
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                }
                b'#' => {
                    while self.pos < self.b.len() && self.b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'\\' if self.b.get(self.pos + 1) == Some(&b'\n') => {
                    self.pos += 2;
                    self.newline();
                }
                _ => cur.push(self.word()),
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }
}

fn is_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `w` as an assignment word: its key, when the part before the first unquoted `=` is a name.
fn assign_key(w: &ShWord) -> Option<String> {
    let (_, vlen) = w.eq?;
    let key = &w.value[..vlen];
    is_name(key).then(|| key.to_string())
}

/// Parses `/etc/default/grub` (or `/etc/sysconfig/grub`) text. Never fails.
pub fn parse(text: &str) -> GrubDefaults {
    let lines: Vec<&str> = super::text::numbered_lines(text).map(|(_, l)| l).collect();
    let line_text = |n: usize| {
        lines
            .get(n.wrapping_sub(1))
            .copied()
            .unwrap_or("")
            .to_string()
    };
    let mut sc = Scanner {
        s: text,
        b: text.as_bytes(),
        pos: 0,
        line: 1,
        line_start: 0,
        problems: Vec::new(),
    };
    let statements = sc.statements();
    let mut out = GrubDefaults::default();
    for (line, msg) in std::mem::take(&mut sc.problems) {
        out.problems.push(problem(line, &line_text(line), msg));
    }
    let mut depth = 0usize;
    for mut words in statements {
        let line = words[0].line;
        // Shell control keywords: track nesting, keep the line as opaque.
        let mut opaque = false;
        while let Some(first) = words.first() {
            if first.single || first.double || first.eq.is_some() {
                break;
            }
            match first.raw.as_str() {
                "if" | "case" | "while" | "until" | "for" => {
                    depth += 1;
                    opaque = true;
                    words.clear();
                }
                "fi" | "esac" | "done" => {
                    if depth == 0 {
                        out.problems.push(problem(
                            line,
                            &line_text(line),
                            format!("`{}` without its opening keyword", first.raw),
                        ));
                    }
                    depth = depth.saturating_sub(1);
                    opaque = true;
                    words.remove(0);
                }
                "then" | "else" | "elif" | "do" => {
                    opaque = true;
                    if first.raw == "elif" {
                        words.clear();
                    } else {
                        words.remove(0);
                    }
                }
                _ => break,
            }
        }
        if opaque && out.opaque.last().map(|o| o.line) != Some(line) {
            out.opaque.push(OpaqueLine {
                line,
                text: line_text(line),
            });
        }
        if words.is_empty() {
            continue;
        }
        let exported = words[0].raw == "export";
        let body: &[ShWord] = if exported { &words[1..] } else { &words[..] };
        if body.first().and_then(assign_key).is_none() {
            if exported {
                continue; // `export NAME` with no value.
            }
            let w0 = &words[0];
            let t = line_text(w0.line);
            if w0.raw.contains('=') || words.get(1).is_some_and(|w| w.raw.starts_with('=')) {
                out.problems.push(problem(
                    w0.line,
                    &t,
                    "not an assignment: no spaces are allowed around `=`",
                ));
            } else {
                if out.opaque.last().map(|o| o.line) != Some(w0.line) {
                    out.opaque.push(OpaqueLine {
                        line: w0.line,
                        text: t,
                    });
                }
            }
            continue;
        }
        let mut iter = body.iter();
        for w in iter.by_ref() {
            let Some(key) = assign_key(w) else {
                let t = line_text(w.line);
                out.problems.push(problem(
                    w.line,
                    &t,
                    format!(
                        "unquoted space in a value: the shell would run {:?} as a command",
                        w.raw
                    ),
                ));
                break;
            };
            let (eq_raw, eq_val) = w.eq.unwrap_or((0, 0));
            let quoting = match (w.bare, w.single, w.double) {
                (_, false, false) => Quoting::None,
                (false, true, false) => Quoting::Single,
                (false, false, true) => Quoting::Double,
                _ => Quoting::Mixed,
            };
            let end_line = w.line + w.raw.matches('\n').count();
            out.assignments.push(Assignment {
                line: w.line,
                end_line,
                text: line_text(w.line),
                key,
                value: w.value[eq_val + 1..].to_string(),
                raw_value: w.raw[eq_raw + 1..].to_string(),
                value_column: w.column + eq_raw + 1,
                quoting,
                exported,
                has_vars: w.has_vars,
                command_substitution: w.subst,
                conditional: depth > 0,
            });
        }
    }
    if depth > 0 {
        let last = lines.len();
        out.problems.push(problem(
            last,
            &line_text(last),
            "shell block (`if`/`case`/loop) not closed at end of file",
        ));
    }
    out.problems.sort_by_key(|p| p.line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::cmdline::ConsoleKind;
    use std::path::{Path, PathBuf};

    fn configs() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/configs")
    }

    fn clean(p: &Path) -> GrubDefaults {
        let text = std::fs::read_to_string(p)
            .unwrap_or_else(|e| panic!("test corpus file {} missing: {e}", p.display()));
        let d = parse(&text);
        assert!(d.problems.is_empty(), "{}: {:#?}", p.display(), d.problems);
        assert!(d.opaque.is_empty(), "{}: {:#?}", p.display(), d.opaque);
        d
    }

    fn tree_defaults() -> Vec<PathBuf> {
        let mut out = Vec::new();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees");
        for t in std::fs::read_dir(&root).unwrap().flatten() {
            for sub in [
                "etc/default/grub",
                "root/etc/default/grub",
                "etc/sysconfig/grub",
            ] {
                let p = t.path().join(sub);
                if p.is_file() {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn every_corpus_defaults_file_parses_cleanly() {
        let mut files = vec![
            configs().join("debian12-default-grub"),
            configs().join("augeas/etc_sysconfig_grub"),
            configs().join("xen-tools-bookworm/grub"),
        ];
        let trees = tree_defaults();
        assert!(trees.len() >= 5, "{trees:?}");
        files.extend(trees);
        for f in files {
            clean(&f);
        }
    }

    #[test]
    fn debian12_default_grub() {
        let d = clean(&configs().join("debian12-default-grub"));
        let c = d.cmdline_linux().unwrap();
        assert_eq!(c.line, 10);
        assert_eq!(c.value, "console=hvc0 xencons=hvc0");
        assert_eq!(c.raw_value, "\"console=hvc0 xencons=hvc0\"");
        assert_eq!(c.quoting, Quoting::Double);
        assert_eq!(&c.text[c.value_column..], c.raw_value);
        let cl = c.cmdline();
        assert_eq!(cl.consoles()[0].kind, ConsoleKind::XenPv);
        assert_eq!(cl.pv_only_args().len(), 1);
        assert_eq!(d.cmdline_linux_default().unwrap().value, "quiet");
        assert_eq!(d.grub_default().unwrap().value, "0");
        assert_eq!(d.grub_default().unwrap().quoting, Quoting::None);
        let dist = d.get("GRUB_DISTRIBUTOR").unwrap();
        assert!(dist.command_substitution);
        assert_eq!(
            dist.value,
            "`lsb_release -i -s 2> /dev/null || echo Debian`"
        );
        assert!(d.terminal().is_none(), "commented out");
        assert!(d.disable_linux_uuid().is_none());
        assert_eq!(d.expand(dist), None);
    }

    #[test]
    fn tree_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees");
        let d = clean(&root.join("clean-hvm/etc/default/grub"));
        assert_eq!(d.terminal().unwrap().words(), ["serial", "console"]);
        assert_eq!(
            d.serial_command().unwrap().value,
            "serial --unit=0 --speed=115200"
        );
        assert_eq!(d.cmdline_linux_default().unwrap().value, "");
        assert_eq!(d.cmdline_linux_default().unwrap().quoting, Quoting::Double);
        let d = clean(&root.join("gpt-efi/root/etc/default/grub"));
        assert_eq!(d.enable_blscfg().unwrap().as_bool(), Some(true));
        assert_eq!(d.grub_default().unwrap().value, "saved");
        assert_eq!(d.terminal_output().unwrap().value, "console");
        let dist = d.get("GRUB_DISTRIBUTOR").unwrap();
        assert!(dist.command_substitution);
        assert_eq!(dist.quoting, Quoting::Double);
        let d = clean(&configs().join("augeas/etc_sysconfig_grub"));
        assert_eq!(d.value("boot"), Some("/dev/sda"));
        assert_eq!(d.get("forcelba").unwrap().line, 2);
    }

    #[test]
    fn quoting_styles_continuation_and_last_wins() {
        let text = "# c\nexport GRUB_A='x y' \nGRUB_B=\"a \\\"q\\\" \\$d\"\nGRUB_C=plain\\ word # tail\n\
                    GRUB_D=\"one \\\n  two\"\nGRUB_E=\"m\"'n'o\nGRUB_A=second\nGRUB_F=\nGRUB_G=\"$GRUB_C ${GRUB_A} z\"\n\
                    GRUB_H=\"multi\nline\"; GRUB_I=1\n";
        let d = parse(text);
        assert!(d.problems.is_empty(), "{:#?}", d.problems);
        let a = &d.get_all("GRUB_A");
        assert_eq!(a.len(), 2);
        assert!(a[0].exported);
        assert_eq!(
            (a[0].value.as_str(), a[0].quoting),
            ("x y", Quoting::Single)
        );
        assert_eq!(d.value("GRUB_A"), Some("second"));
        assert_eq!(d.value("GRUB_B"), Some("a \"q\" $d"));
        assert!(!d.get("GRUB_B").unwrap().has_vars);
        assert_eq!(d.value("GRUB_C"), Some("plain word"));
        let dd = d.get("GRUB_D").unwrap();
        assert_eq!(dd.value, "one   two");
        assert_eq!((dd.line, dd.end_line), (5, 6));
        assert_eq!(d.get("GRUB_E").unwrap().quoting, Quoting::Mixed);
        assert_eq!(d.get("GRUB_E").unwrap().value, "mno");
        assert_eq!(d.get("GRUB_F").unwrap().value, "");
        let g = d.get("GRUB_G").unwrap();
        assert!(g.has_vars);
        assert_eq!(g.value, "$GRUB_C ${GRUB_A} z");
        assert_eq!(d.expand(g).as_deref(), Some("plain word second z"));
        let h = d.get("GRUB_H").unwrap();
        assert_eq!(
            (h.value.as_str(), h.line, h.end_line),
            ("multi\nline", 11, 12)
        );
        assert_eq!(d.get("GRUB_I").unwrap().line, 12);
        assert_eq!(d.get("GRUB_A").unwrap().line, 8);
        assert_eq!(d.get("GRUB_B").unwrap().value_column, 7);
    }

    #[test]
    fn shell_code_is_opaque_and_conditional() {
        let text = "if [ -e /x ]; then\n  GRUB_X=1\nelse GRUB_X=2\nfi\nGRUB_Y=\"$(cat /f)\"\n. /etc/other\nGRUB_CMDLINE_XEN=\"a\"\nGRUB_CMDLINE_XEN_DEFAULT=b\nGRUB_CMDLINE_XEN=c\n";
        let d = parse(text);
        assert!(d.problems.is_empty(), "{:#?}", d.problems);
        let x = d.get_all("GRUB_X");
        assert!(x.iter().all(|a| a.conditional));
        assert_eq!(x[1].line, 3);
        assert!(d.get("GRUB_Y").unwrap().command_substitution);
        let opaque: Vec<usize> = d.opaque.iter().map(|o| o.line).collect();
        assert_eq!(opaque, [1, 3, 4, 6]);
        let xen: Vec<_> = d
            .cmdline_xen()
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            xen,
            [("GRUB_CMDLINE_XEN_DEFAULT", "b"), ("GRUB_CMDLINE_XEN", "c")]
        );
        assert!(!d.get("GRUB_CMDLINE_XEN").unwrap().conditional);
    }

    #[test]
    fn junk_lines_are_problems() {
        let text = "GRUB_A = 1\nGRUB_B=a b\nGRUB_C=\"open\nfi\n";
        let d = parse(text);
        let got: Vec<usize> = d.problems.iter().map(|p| p.line).collect();
        assert_eq!(got, [1, 2, 3], "{:#?}", d.problems);
        assert_eq!(d.value("GRUB_B"), Some("a"));
        assert!(d.problems[1].message.contains("\"b\""));
        let d = parse("if true; then\nGRUB_Z=1\n");
        assert_eq!(d.problems.len(), 1);
        let d = parse("fi\nGRUB_Q=`x\n");
        assert_eq!(d.problems.len(), 2);
    }

    #[test]
    fn random_bytes_never_panic() {
        for s in crate::parse::text::noise(400, b" \t\n#=\"'\\$`(){}GRUB_Aif fiexport;") {
            let d = parse(&s);
            for a in &d.assignments {
                let _ = (d.expand(a), a.cmdline(), a.as_bool());
                assert!(a.value_column <= a.text.len() || a.line > s.lines().count());
            }
        }
    }
}
