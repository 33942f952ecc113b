//! Parses a GRUB 2 `grub.cfg` without running it: a tolerant tokenizer for GRUB script (quotes,
//! escapes, `\` continuation, comments, `;`, braces) and a block walker that finds the menu
//! (`menuentry`, nested `submenu`), what each entry loads (`linux*`, `initrd*`, Xen `multiboot` +
//! `module`), and the top-level settings the audit needs (`default`, `timeout`, terminals,
//! `serial`, `load_env`, `blscfg`). Conditions of `if`/`while` are not evaluated; statements
//! inside them are kept and marked conditional. Every item keeps its line and original text.

use super::cmdline::Cmdline;
use super::text::{numbered_lines, problem, LineProblem};
use serde::Serialize;

/// One word of GRUB script after quote removal. Variable references are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Word {
    /// The word with quotes and escapes removed (`'a b'` → `a b`; `"${x}"` → `${x}`).
    pub value: String,
    /// The word exactly as written.
    pub raw: String,
    /// 1-based line where the word starts.
    pub line: usize,
    /// Byte column where the word starts in that line.
    pub column: usize,
    /// Any part of it was quoted.
    pub quoted: bool,
    /// Holds an unexpanded `$var` / `${var}` (outside single quotes).
    pub has_var: bool,
}

/// One simple command (words up to a newline, `;` or brace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    /// Line of the first word.
    pub line: usize,
    /// Line of the last word (differs with `\` continuation or multi-line quotes).
    pub end_line: usize,
    /// Original text of `line`.
    pub text: String,
    pub words: Vec<Word>,
    /// Inside an `if`/`elif`/`else`/`while`/`until`/`for` (within its menu entry, for entry
    /// commands), or the condition of one.
    pub conditional: bool,
    /// Name of the enclosing `function`, when in a function body (run only when called).
    pub function: Option<String>,
}

impl Command {
    /// The command name (first word's value).
    pub fn name(&self) -> &str {
        self.words.first().map(|w| w.value.as_str()).unwrap_or("")
    }

    /// Argument values after the name.
    pub fn args(&self) -> Vec<&str> {
        self.words
            .iter()
            .skip(1)
            .map(|w| w.value.as_str())
            .collect()
    }
}

/// A variable assignment: `set name=value` or `name=value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub line: usize,
    pub text: String,
    pub name: String,
    /// Value with quotes removed, variables verbatim (`${saved_entry}`).
    pub value: String,
    /// The word holding `name=value`, for edits.
    pub word: Word,
    pub conditional: bool,
    pub function: Option<String>,
}

/// A kernel / hypervisor / module load: `linux /vmlinuz args…`, `multiboot /xen.gz args…`,
/// `module /vmlinuz args…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadCmd {
    pub line: usize,
    pub text: String,
    /// `linux`, `linux16`, `linuxefi`, `multiboot`, `multiboot2`, `module`, `module2`,
    /// `xen_hypervisor`, `xen_module`.
    pub command: String,
    /// Leading `--…` options (`--nounzip`).
    pub flags: Vec<String>,
    /// The file (`/vmlinuz-…`, possibly `($root)/…` or `(hd0,msdos1)/…`); `None` if missing.
    pub path: Option<Word>,
    /// The words after the file, each with its position.
    pub args: Vec<Word>,
    /// `args` joined as GRUB builds the kernel command line.
    pub cmdline: Cmdline,
    pub conditional: bool,
}

/// An `initrd` / `initrd16` / `initrdefi` line (several files allowed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitrdCmd {
    pub line: usize,
    pub text: String,
    pub command: String,
    pub paths: Vec<Word>,
    pub conditional: bool,
}

/// What `search` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    FsUuid,
    Label,
    File,
}

/// `search [--no-floppy] --fs-uuid|--label|--file [--set=root] [--hint…] KEY`, or the
/// `search.fs_uuid KEY VAR` forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchCmd {
    pub line: usize,
    pub text: String,
    /// `None` when no kind flag was given (GRUB then searches files).
    pub kind: Option<SearchKind>,
    /// What is searched for (UUID, label, file); `None` if missing.
    pub key: Option<Word>,
    /// Variable set on success (`root` for `--set`/`--set=root`).
    pub set_var: Option<String>,
    /// `--hint…` values.
    pub hints: Vec<String>,
    pub conditional: bool,
}

/// `terminal_input` / `terminal_output` (or old `terminal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminalCmd {
    pub line: usize,
    pub text: String,
    pub command: String,
    /// Terminal names (`serial`, `console`, `gfxterm`), options (`--append`) included.
    pub args: Vec<String>,
    pub conditional: bool,
}

/// `serial --unit=0 --speed=115200 …`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SerialCmd {
    pub line: usize,
    pub text: String,
    pub args: Vec<String>,
    pub unit: Option<u32>,
    pub speed: Option<u32>,
    pub conditional: bool,
}

/// One item of a menu level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MenuItem {
    /// Index into [`Grub2Config::entries`].
    Entry(usize),
    /// Index into [`Grub2Config::submenus`].
    Submenu(usize),
}

/// Title, id and options of a `menuentry` / `submenu` line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Header {
    pub title: String,
    /// `--id X` or `$menuentry_id_option 'X'`.
    pub id: Option<String>,
    pub classes: Vec<String>,
    /// Other options as written (`--unrestricted`, `--users …`).
    pub options: Vec<String>,
}

/// A `menuentry`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MenuEntry {
    pub line: usize,
    /// Line of the closing brace (the last line when unclosed).
    pub end_line: usize,
    pub text: String,
    pub header: Header,
    /// Titles of the enclosing submenus, outermost first.
    pub submenus: Vec<String>,
    /// GRUB's `>` path: `Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux …`.
    pub path: String,
    /// Numeric position (`[1, 0]` is `1>0`).
    pub position: Vec<usize>,
    /// Defined inside an `if` (or loop) at some level.
    pub conditional: bool,
    /// Defined inside a function body.
    pub in_function: bool,
    /// Every command of the body, in order.
    pub commands: Vec<Command>,
    pub linux: Vec<LoadCmd>,
    pub initrd: Vec<InitrdCmd>,
    /// `multiboot`/`multiboot2`/`xen_hypervisor` (the Xen hypervisor).
    pub multiboot: Vec<LoadCmd>,
    /// `module`/`module2`/`xen_module` (Xen: dom0 kernel, then its initrd).
    pub modules: Vec<LoadCmd>,
    /// `set root=…` / `root=…` in the body.
    pub root: Vec<Setting>,
    pub search: Vec<SearchCmd>,
    pub insmod: Vec<String>,
}

impl MenuEntry {
    /// The title.
    pub fn title(&self) -> &str {
        &self.header.title
    }

    /// A Xen hypervisor entry (`multiboot`/`xen_hypervisor` loading Xen plus modules).
    pub fn is_xen(&self) -> bool {
        !self.multiboot.is_empty() && !self.modules.is_empty()
    }

    /// The Linux kernel load: the `linux*` line, or for a Xen entry the first module.
    pub fn kernel(&self) -> Option<&LoadCmd> {
        if self.is_xen() {
            self.modules.first()
        } else {
            self.linux.last()
        }
    }

    /// The initrd files: `initrd*` paths, or for a Xen entry the modules after the kernel.
    pub fn initrd_paths(&self) -> Vec<&str> {
        if self.is_xen() {
            self.modules
                .iter()
                .skip(1)
                .filter_map(|m| m.path.as_ref().map(|w| w.value.as_str()))
                .collect()
        } else {
            self.initrd
                .iter()
                .flat_map(|i| i.paths.iter().map(|w| w.value.as_str()))
                .collect()
        }
    }
}

/// A `submenu`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submenu {
    pub line: usize,
    pub end_line: usize,
    pub text: String,
    pub header: Header,
    pub path: String,
    pub position: Vec<usize>,
    pub conditional: bool,
    pub items: Vec<MenuItem>,
}

/// Where `default` leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultTarget {
    /// Index into [`Grub2Config::entries`].
    Entry(usize),
    /// A submenu (GRUB opens it rather than booting).
    Submenu(usize),
    /// `${saved_entry}`: the entry named in `grubenv` (resolve its value with
    /// [`Grub2Config::resolve`]).
    Saved,
    /// No entry has this number, title or id.
    NotFound(String),
    /// Another variable: only known at boot.
    Unresolvable(String),
}

/// The default entry and how sure that is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefaultResolution {
    /// The assignment used (`None`: no `default` set, GRUB boots item 0).
    pub setting: Option<Setting>,
    pub target: DefaultTarget,
    /// Lines of later conditional assignments that may override it at boot.
    pub possible_overrides: Vec<usize>,
}

/// A parsed `grub.cfg`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Grub2Config {
    /// Every simple command outside menu entries (function bodies included, flagged), in order.
    pub commands: Vec<Command>,
    /// Every menu entry, in file order (submenu entries included).
    pub entries: Vec<MenuEntry>,
    pub submenus: Vec<Submenu>,
    /// Top-level menu items in order.
    pub menu: Vec<MenuItem>,
    /// Assignments outside menu entries (function bodies included, flagged).
    pub settings: Vec<Setting>,
    pub terminal_input: Vec<TerminalCmd>,
    pub terminal_output: Vec<TerminalCmd>,
    /// Old-style `terminal` commands.
    pub terminal: Vec<TerminalCmd>,
    pub serial: Vec<SerialCmd>,
    /// Lines of `load_env`.
    pub load_env: Vec<usize>,
    /// Lines of `blscfg` (Fedora/RHEL: entries come from `/boot/loader/entries`).
    pub blscfg: Vec<usize>,
    /// `configfile` commands outside menu entries (an ESP stub chaining to the real config).
    pub configfile: Vec<Command>,
    /// `search` outside menu entries (sets the root the BLS entries are read from).
    pub search: Vec<SearchCmd>,
    /// Names of functions defined.
    pub functions: Vec<String>,
    pub problems: Vec<LineProblem>,
}

impl Grub2Config {
    /// Top-level assignments to `name`, function bodies excluded.
    pub fn settings_named(&self, name: &str) -> Vec<&Setting> {
        self.settings
            .iter()
            .filter(|s| s.name == name && s.function.is_none())
            .collect()
    }

    /// `set timeout=…` values in order.
    pub fn timeouts(&self) -> Vec<&Setting> {
        self.settings_named("timeout")
    }

    /// `true` when `blscfg` is called (entries come from BLS snippets).
    pub fn uses_blscfg(&self) -> bool {
        !self.blscfg.is_empty()
    }

    /// Resolves a `default` value (number, title, id, `>` path, `${saved_entry}`) against the
    /// menu. Pass `grubenv`'s `saved_entry` value here to resolve [`DefaultTarget::Saved`].
    pub fn resolve(&self, value: &str) -> DefaultTarget {
        let v = value.trim();
        if v == "${saved_entry}" || v == "$saved_entry" {
            return DefaultTarget::Saved;
        }
        if super::cmdline::has_variable(v) {
            return DefaultTarget::Unresolvable(v.to_string());
        }
        let v = if v.is_empty() { "0" } else { v };
        let mut items: &[MenuItem] = &self.menu;
        let parts: Vec<&str> = v.split('>').collect();
        for (i, part) in parts.iter().enumerate() {
            let found = if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse::<usize>()
                    .ok()
                    .and_then(|n| items.get(n))
                    .copied()
            } else {
                items.iter().copied().find(|it| {
                    let h = match *it {
                        MenuItem::Entry(e) => &self.entries[e].header,
                        MenuItem::Submenu(s) => &self.submenus[s].header,
                    };
                    h.title == *part || h.id.as_deref() == Some(part)
                })
            };
            match found {
                None => return DefaultTarget::NotFound(v.to_string()),
                Some(MenuItem::Entry(e)) if i + 1 == parts.len() => return DefaultTarget::Entry(e),
                Some(MenuItem::Entry(_)) => return DefaultTarget::NotFound(v.to_string()),
                Some(MenuItem::Submenu(s)) if i + 1 == parts.len() => {
                    return DefaultTarget::Submenu(s)
                }
                Some(MenuItem::Submenu(s)) => items = &self.submenus[s].items,
            }
        }
        DefaultTarget::NotFound(v.to_string())
    }

    /// The default entry: the last unconditional top-level `default` assignment, else the first
    /// conditional one (grub-mkconfig's `else set default="0"` branch); `${next_entry}`
    /// (one-shot `grub-reboot`) assignments are skipped. Later conditional assignments are
    /// listed as possible overrides.
    pub fn default_entry(&self) -> DefaultResolution {
        let mut chosen: Option<&Setting> = None;
        let mut overrides = Vec::new();
        for s in self.settings_named("default") {
            if s.value.contains("next_entry") {
                continue;
            }
            if !s.conditional {
                chosen = Some(s);
                overrides.clear();
            } else if chosen.is_none() {
                chosen = Some(s);
            } else {
                overrides.push(s.line);
            }
        }
        DefaultResolution {
            setting: chosen.cloned(),
            target: self.resolve(chosen.map(|s| s.value.as_str()).unwrap_or("0")),
            possible_overrides: overrides,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

#[derive(Debug)]
enum Tok {
    Word(Word),
    /// Newline or `;`.
    Sep,
    LBrace(usize),
    RBrace(usize),
}

struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    lines: &'a [&'a str],
    problems: Vec<LineProblem>,
}

impl<'a> Lexer<'a> {
    fn line_text(&self, line: usize) -> &str {
        self.lines.get(line.wrapping_sub(1)).copied().unwrap_or("")
    }

    fn newline(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Copies the char at `pos` into `out` and advances (keeping UTF-8 intact).
    fn take_char(&mut self, out: &mut String) {
        if let Some(c) = self.s[self.pos..].chars().next() {
            out.push(c);
            self.pos += c.len_utf8();
            if c == '\n' {
                self.newline();
            }
        } else {
            self.pos = self.b.len();
        }
    }

    /// At a `$`: copies a variable reference verbatim; returns whether it was one.
    fn variable(&mut self, out: &mut String) -> bool {
        match self.b.get(self.pos + 1) {
            Some(b'{') => {
                // Up to the closing brace, never past the end of the line.
                let rest = &self.s[self.pos..];
                let end = self.pos
                    + match (rest.find('}'), rest.find('\n')) {
                        (Some(c), Some(n)) if c < n => c + 1,
                        (_, Some(n)) => n,
                        (Some(c), None) => c + 1,
                        (None, None) => rest.len(),
                    };
                out.push_str(&self.s[self.pos..end]);
                self.pos = end;
                true
            }
            Some(&c) if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'?' | b'@' | b'#') => {
                let mut end = self.pos + 2;
                if c.is_ascii_alphabetic() || c == b'_' {
                    while end < self.b.len()
                        && (self.b[end].is_ascii_alphanumeric() || self.b[end] == b'_')
                    {
                        end += 1;
                    }
                } else if c.is_ascii_digit() {
                    while end < self.b.len() && self.b[end].is_ascii_digit() {
                        end += 1;
                    }
                }
                out.push_str(&self.s[self.pos..end]);
                self.pos = end;
                true
            }
            _ => {
                out.push('$');
                self.pos += 1;
                false
            }
        }
    }

    fn word(&mut self) -> Word {
        let start = self.pos;
        let (line, column) = (self.line, self.pos - self.line_start);
        let mut value = String::new();
        let mut quoted = false;
        let mut has_var = false;
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}' => break,
                b'\\' => {
                    self.pos += 1;
                    if self.b.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                        self.newline();
                    } else if self.pos < self.b.len() {
                        self.take_char(&mut value);
                    }
                }
                b'\'' => {
                    quoted = true;
                    let qline = self.line;
                    self.pos += 1;
                    loop {
                        match self.b.get(self.pos) {
                            None => {
                                let t = self.line_text(qline).to_string();
                                self.problems
                                    .push(problem(qline, &t, "unterminated single quote"));
                                break;
                            }
                            Some(b'\'') => {
                                self.pos += 1;
                                break;
                            }
                            Some(_) => self.take_char(&mut value),
                        }
                    }
                }
                b'"' => {
                    quoted = true;
                    let qline = self.line;
                    self.pos += 1;
                    loop {
                        match self.b.get(self.pos) {
                            None => {
                                let t = self.line_text(qline).to_string();
                                self.problems
                                    .push(problem(qline, &t, "unterminated double quote"));
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
                                Some(b'$' | b'"' | b'\\') => {
                                    self.pos += 1;
                                    self.take_char(&mut value);
                                }
                                _ => {
                                    value.push('\\');
                                    self.pos += 1;
                                }
                            },
                            Some(b'$') => has_var |= self.variable(&mut value),
                            Some(_) => self.take_char(&mut value),
                        }
                    }
                }
                b'$' => has_var |= self.variable(&mut value),
                _ => self.take_char(&mut value),
            }
        }
        let end = self.pos.min(self.b.len());
        Word {
            value,
            raw: self.s[start..end].to_string(),
            line,
            column,
            quoted,
            has_var,
        }
    }

    fn tokens(mut self) -> (Vec<Tok>, Vec<LineProblem>) {
        let mut out = Vec::new();
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.newline();
                    out.push(Tok::Sep);
                }
                b';' => {
                    self.pos += 1;
                    out.push(Tok::Sep);
                }
                b'{' => {
                    self.pos += 1;
                    out.push(Tok::LBrace(self.line));
                }
                b'}' => {
                    self.pos += 1;
                    out.push(Tok::RBrace(self.line));
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
                _ => {
                    let w = self.word();
                    out.push(Tok::Word(w));
                }
            }
        }
        (out, self.problems)
    }
}

// ---------------------------------------------------------------------------------------------
// Block walker

#[derive(Debug)]
enum Frame {
    If { line: usize, seen_then: bool },
    Loop { line: usize },
    Function { name: String },
    Entry(usize),
    Submenu(usize),
    Brace { line: usize },
}

/// Commands GRUB 2 provides (core, common modules, distribution patches), for telling junk
/// from configuration. Functions defined in the file are accepted too.
const KNOWN: &[&str] = &[
    "[",
    ".",
    "acpi",
    "all_functional_test",
    "appleloader",
    "authenticate",
    "background_color",
    "background_image",
    "badram",
    "bls_import",
    "blocklist",
    "blscfg",
    "boot",
    "break",
    "cat",
    "chainloader",
    "clear",
    "cmosclean",
    "cmosdump",
    "cmostest",
    "cmp",
    "configfile",
    "continue",
    "cpuid",
    "crc",
    "cryptomount",
    "cutmem",
    "date",
    "decrement",
    "devicetree",
    "distrust",
    "drivemap",
    "echo",
    "eval",
    "exit",
    "export",
    "extract_entries_configfile",
    "extract_entries_source",
    "false",
    "fwsetup",
    "getenv",
    "gettext",
    "gptsync",
    "halt",
    "hashsum",
    "hello",
    "help",
    "hexdump",
    "hwmatch",
    "increment",
    "inb",
    "initrd",
    "initrd16",
    "initrdefi",
    "insmod",
    "keymap",
    "keystatus",
    "kfreebsd",
    "kfreebsd_loadenv",
    "kfreebsd_module",
    "kfreebsd_module_elf",
    "knetbsd",
    "knetbsd_module",
    "knetbsd_module_elf",
    "kopenbsd",
    "kopenbsd_ramdisk",
    "legacy_configfile",
    "legacy_initrd",
    "legacy_kernel",
    "linux",
    "linux16",
    "linuxefi",
    "list_env",
    "list_trusted",
    "load_env",
    "loadfont",
    "loopback",
    "ls",
    "lsacpi",
    "lsefi",
    "lsefimmap",
    "lsefisystab",
    "lsfonts",
    "lsmmap",
    "lsmod",
    "lspci",
    "lssal",
    "md5sum",
    "module",
    "module2",
    "multiboot",
    "multiboot2",
    "nativedisk",
    "normal",
    "normal_exit",
    "outb",
    "parttool",
    "password",
    "password_pbkdf2",
    "play",
    "probe",
    "pxe_unload",
    "read",
    "reboot",
    "regexp",
    "return",
    "rmmod",
    "save_env",
    "search",
    "search.file",
    "search.fs_label",
    "search.fs_uuid",
    "sendkey",
    "serial",
    "set",
    "setparams",
    "setpci",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "shift",
    "sleep",
    "smbios",
    "source",
    "terminal",
    "terminal_input",
    "terminal_output",
    "terminfo",
    "test",
    "tr",
    "true",
    "trust",
    "unset",
    "usb",
    "vbeinfo",
    "vbetest",
    "verify_detached",
    "videoinfo",
    "videotest",
    "xen_hypervisor",
    "xen_module",
];

/// A valid GRUB variable name.
fn is_var_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `name=value` in a word (`None` when the part before `=` is not a variable name).
fn assignment(w: &Word) -> Option<(String, String)> {
    let (n, v) = w.value.split_once('=')?;
    is_var_name(n).then(|| (n.to_string(), v.to_string()))
}

/// Parses `menuentry`/`submenu` arguments (after the keyword).
fn header(words: &[Word]) -> Header {
    let mut h = Header::default();
    let mut title = None;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let v = w.value.as_str();
        let next = || words.get(i + 1).map(|n| n.value.clone());
        if w.raw.starts_with("$menuentry_id_option") || w.raw.starts_with("${menuentry_id_option}")
        {
            h.id = next();
            i += 2;
            continue;
        }
        if let Some(opt) = v.strip_prefix("--") {
            let (name, inline) = match opt.split_once('=') {
                Some((n, val)) => (n, Some(val.to_string())),
                None => (opt, None),
            };
            let takes_arg = matches!(name, "class" | "users" | "hotkey" | "id");
            let (val, step) = match (takes_arg, inline) {
                (true, Some(val)) => (Some(val), 1),
                (true, None) => (next(), 2),
                (false, _) => (None, 1),
            };
            match name {
                "class" => h.classes.extend(val),
                "id" => h.id = val,
                _ => {
                    h.options.push(v.to_string());
                    if let (true, Some(val)) = (step == 2, val) {
                        h.options.push(val);
                    }
                }
            }
            i += step;
            continue;
        }
        if title.is_none() {
            title = Some(v.to_string());
        }
        i += 1;
    }
    h.title = title.unwrap_or_default();
    h
}

/// Builds a kernel command line from GRUB words as `grub_create_loader_cmdline` does: joined
/// with spaces, a word holding a space wrapped in double quotes.
fn join_cmdline(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| {
            if w.value.contains(' ') {
                format!("\"{}\"", w.value)
            } else {
                w.value.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn load_cmd(c: &Command) -> LoadCmd {
    let mut rest = &c.words[1..];
    let mut flags = Vec::new();
    while let Some(w) = rest.first() {
        if w.value.starts_with("--") {
            flags.push(w.value.clone());
            rest = &rest[1..];
        } else {
            break;
        }
    }
    let path = rest.first().cloned();
    let args = rest.get(1..).map(<[Word]>::to_vec).unwrap_or_default();
    LoadCmd {
        line: c.line,
        text: c.text.clone(),
        command: c.name().to_string(),
        flags,
        path,
        cmdline: Cmdline::parse(&join_cmdline(&args)),
        args,
        conditional: c.conditional,
    }
}

fn search_cmd(c: &Command) -> SearchCmd {
    let mut s = SearchCmd {
        line: c.line,
        text: c.text.clone(),
        kind: None,
        key: None,
        set_var: None,
        hints: Vec::new(),
        conditional: c.conditional,
    };
    let name = c.name();
    let args = &c.words[1..];
    if let Some(kind) = name.strip_prefix("search.") {
        s.kind = match kind {
            "fs_uuid" => Some(SearchKind::FsUuid),
            "fs_label" => Some(SearchKind::Label),
            _ => Some(SearchKind::File),
        };
        s.key = args.first().cloned();
        s.set_var = args.get(1).map(|w| w.value.clone());
        return s;
    }
    let mut i = 0;
    while i < args.len() {
        let v = args[i].value.as_str();
        match v {
            "--fs-uuid" | "-u" => s.kind = Some(SearchKind::FsUuid),
            "--label" | "-l" => s.kind = Some(SearchKind::Label),
            "--file" | "-f" => s.kind = Some(SearchKind::File),
            "--set" | "-s" => {
                // `--set root` or a bare `--set` (which means root).
                match args.get(i + 1) {
                    Some(n) if is_var_name(&n.value) && i + 2 < args.len() => {
                        s.set_var = Some(n.value.clone());
                        i += 1;
                    }
                    _ => s.set_var = Some("root".to_string()),
                }
            }
            _ if v.starts_with("--set=") => s.set_var = Some(v["--set=".len()..].to_string()),
            _ if v.starts_with("--hint") => {
                if let Some((_, h)) = v.split_once('=') {
                    s.hints.push(h.to_string());
                } else if let Some(n) = args.get(i + 1) {
                    s.hints.push(n.value.clone());
                    i += 1;
                }
            }
            _ if v.starts_with('-') => {}
            _ => s.key = Some(args[i].clone()),
        }
        i += 1;
    }
    s
}

fn serial_cmd(c: &Command) -> SerialCmd {
    let args: Vec<String> = c.words[1..].iter().map(|w| w.value.clone()).collect();
    let mut unit = None;
    let mut speed = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (a, None),
        };
        let value = || inline.or_else(|| args.get(i + 1).map(String::as_str));
        match key {
            "--unit" | "-u" => unit = value().and_then(|v| v.parse().ok()),
            "--speed" | "-s" => speed = value().and_then(|v| v.parse().ok()),
            _ => {
                if let Some(n) = a.strip_prefix("com") {
                    unit = n.parse().ok().or(unit);
                }
            }
        }
        i += 1;
    }
    SerialCmd {
        line: c.line,
        text: c.text.clone(),
        args,
        unit,
        speed,
        conditional: c.conditional,
    }
}

fn terminal_cmd(c: &Command) -> TerminalCmd {
    TerminalCmd {
        line: c.line,
        text: c.text.clone(),
        command: c.name().to_string(),
        args: c.words[1..].iter().map(|w| w.value.clone()).collect(),
        conditional: c.conditional,
    }
}

struct Walker<'a> {
    lines: &'a [&'a str],
    cfg: Grub2Config,
    stack: Vec<Frame>,
    /// A `menuentry`/`submenu`/`function` header whose `{` has not been seen yet.
    pending: Option<Vec<Word>>,
    /// Commands whose name is not known, checked once all functions are known.
    unknown: Vec<(usize, String, String)>,
}

impl Walker<'_> {
    fn text(&self, line: usize) -> String {
        self.lines
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or("")
            .to_string()
    }

    fn problem(&mut self, line: usize, msg: impl Into<String>) {
        let t = self.text(line);
        self.cfg.problems.push(problem(line, &t, msg));
    }

    fn innermost_entry(&self) -> Option<usize> {
        self.stack.iter().rev().find_map(|f| match f {
            Frame::Entry(e) => Some(*e),
            _ => None,
        })
    }

    /// Conditional frames above the innermost entry (or anywhere when outside entries).
    fn conditional(&self) -> bool {
        for f in self.stack.iter().rev() {
            match f {
                Frame::Entry(_) => return false,
                Frame::If { .. } | Frame::Loop { .. } => return true,
                _ => {}
            }
        }
        false
    }

    fn function(&self) -> Option<String> {
        self.stack.iter().rev().find_map(|f| match f {
            Frame::Function { name } => Some(name.clone()),
            _ => None,
        })
    }

    fn menu_parent(&self) -> Option<usize> {
        self.stack.iter().rev().find_map(|f| match f {
            Frame::Submenu(s) => Some(*s),
            _ => None,
        })
    }

    fn any_conditional(&self) -> bool {
        self.stack
            .iter()
            .any(|f| matches!(f, Frame::If { .. } | Frame::Loop { .. }))
    }

    fn make_command(&self, words: Vec<Word>, conditional: bool) -> Command {
        let line = words.first().map_or(0, |w| w.line);
        Command {
            line,
            end_line: words.last().map_or(line, |w| w.line),
            text: self.text(line),
            words,
            conditional,
            function: self.function(),
        }
    }

    /// A simple command (keywords already handled).
    fn simple(&mut self, words: Vec<Word>, condition: bool) {
        if words.is_empty() {
            return;
        }
        let cond = condition || self.conditional();
        let cmd = self.make_command(words, cond);
        let name = cmd.name().to_string();
        let first = &cmd.words[0];
        let is_assign = assignment(first).is_some();
        if !is_assign && !first.has_var && !KNOWN.contains(&name.as_str()) {
            self.unknown
                .push((cmd.line, name.clone(), cmd.text.clone()));
        }
        // Assignments: `set a=b` or `a=b`.
        let assigned: Vec<&Word> = if name == "set" {
            cmd.words[1..].iter().collect()
        } else if is_assign {
            vec![first]
        } else {
            Vec::new()
        };
        let settings: Vec<Setting> = assigned
            .into_iter()
            .filter_map(|w| {
                assignment(w).map(|(n, v)| Setting {
                    line: w.line,
                    text: self.text(w.line),
                    name: n,
                    value: v,
                    word: w.clone(),
                    conditional: cond,
                    function: cmd.function.clone(),
                })
            })
            .collect();
        if let Some(e) = self.innermost_entry() {
            let entry = &mut self.cfg.entries[e];
            entry
                .root
                .extend(settings.into_iter().filter(|s| s.name == "root"));
            match name.as_str() {
                "linux" | "linux16" | "linuxefi" => entry.linux.push(load_cmd(&cmd)),
                "multiboot" | "multiboot2" | "xen_hypervisor" => {
                    entry.multiboot.push(load_cmd(&cmd))
                }
                "module" | "module2" | "xen_module" => entry.modules.push(load_cmd(&cmd)),
                "initrd" | "initrd16" | "initrdefi" => entry.initrd.push(InitrdCmd {
                    line: cmd.line,
                    text: cmd.text.clone(),
                    command: name.clone(),
                    paths: cmd.words[1..]
                        .iter()
                        .filter(|w| !w.value.starts_with("--"))
                        .cloned()
                        .collect(),
                    conditional: cmd.conditional,
                }),
                "search" | "search.fs_uuid" | "search.fs_label" | "search.file" => {
                    entry.search.push(search_cmd(&cmd))
                }
                "insmod" => entry
                    .insmod
                    .extend(cmd.words[1..].iter().map(|w| w.value.clone())),
                _ => {}
            }
            entry.commands.push(cmd);
            return;
        }
        self.cfg.settings.extend(settings);
        if cmd.function.is_none() {
            match name.as_str() {
                "terminal_input" => self.cfg.terminal_input.push(terminal_cmd(&cmd)),
                "terminal_output" => self.cfg.terminal_output.push(terminal_cmd(&cmd)),
                "terminal" => self.cfg.terminal.push(terminal_cmd(&cmd)),
                "serial" => self.cfg.serial.push(serial_cmd(&cmd)),
                "load_env" => self.cfg.load_env.push(cmd.line),
                "blscfg" => self.cfg.blscfg.push(cmd.line),
                "configfile" => self.cfg.configfile.push(cmd.clone()),
                "search" | "search.fs_uuid" | "search.fs_label" | "search.file" => {
                    self.cfg.search.push(search_cmd(&cmd))
                }
                _ => {}
            }
        }
        self.cfg.commands.push(cmd);
    }

    /// Handles keywords at the start of a command, then the simple command.
    fn statement(&mut self, mut words: Vec<Word>) {
        while let Some(first) = words.first() {
            if first.quoted {
                break;
            }
            let line = first.line;
            match first.value.as_str() {
                "if" => {
                    self.stack.push(Frame::If {
                        line,
                        seen_then: false,
                    });
                    words.remove(0);
                    self.simple(words, true);
                    return;
                }
                "while" | "until" => {
                    self.stack.push(Frame::Loop { line });
                    words.remove(0);
                    self.simple(words, true);
                    return;
                }
                "for" => {
                    self.stack.push(Frame::Loop { line });
                    return;
                }
                "elif" => {
                    if !matches!(self.stack.last(), Some(Frame::If { .. })) {
                        self.problem(line, "`elif` outside an `if`");
                    }
                    words.remove(0);
                    self.simple(words, true);
                    return;
                }
                "then" | "else" => {
                    match self.stack.last_mut() {
                        Some(Frame::If { seen_then, .. }) => *seen_then = true,
                        _ => self.problem(line, format!("`{}` outside an `if`", first.value)),
                    }
                    words.remove(0);
                }
                "do" => {
                    if !matches!(self.stack.last(), Some(Frame::Loop { .. })) {
                        self.problem(line, "`do` outside a loop");
                    }
                    words.remove(0);
                }
                "fi" => {
                    match self.stack.last() {
                        Some(Frame::If { seen_then, .. }) => {
                            if !seen_then {
                                self.problem(line, "`if` closed without `then`");
                            }
                            self.stack.pop();
                        }
                        _ => self.problem(line, "`fi` without `if`"),
                    }
                    words.remove(0);
                }
                "done" => {
                    match self.stack.last() {
                        Some(Frame::Loop { .. }) => {
                            self.stack.pop();
                        }
                        _ => self.problem(line, "`done` without a loop"),
                    }
                    words.remove(0);
                }
                "menuentry" | "submenu" | "function" => {
                    // The body's `{` comes next (possibly after newlines).
                    self.pending = Some(words);
                    return;
                }
                _ => break,
            }
        }
        self.simple(words, false);
    }

    fn open_brace(&mut self, line: usize, header_words: Option<Vec<Word>>) {
        let Some(words) = header_words.filter(|w| !w.is_empty()) else {
            self.problem(line, "`{` without menuentry, submenu or function");
            self.stack.push(Frame::Brace { line });
            return;
        };
        let hline = words[0].line;
        let kind = words[0].value.clone();
        if kind == "function" {
            let name = words.get(1).map(|w| w.value.clone()).unwrap_or_default();
            if name.is_empty() {
                self.problem(hline, "function without a name");
            }
            self.cfg.functions.push(name.clone());
            self.stack.push(Frame::Function { name });
            return;
        }
        let h = header(&words[1..]);
        if h.title.is_empty() {
            self.problem(hline, format!("{kind} without a title"));
        }
        let parent = self.menu_parent();
        let (mut position, submenus, siblings) = match parent {
            Some(s) => {
                let sm = &self.cfg.submenus[s];
                let mut titles: Vec<String> = sm.path.split('>').map(String::from).collect();
                if sm.path.is_empty() {
                    titles.clear();
                }
                (sm.position.clone(), titles, sm.items.len())
            }
            None => (Vec::new(), Vec::new(), self.cfg.menu.len()),
        };
        position.push(siblings);
        let mut path_parts = submenus.clone();
        path_parts.push(h.title.clone());
        let path = path_parts.join(">");
        let conditional = self.any_conditional();
        let item = if kind == "submenu" {
            let idx = self.cfg.submenus.len();
            self.cfg.submenus.push(Submenu {
                line: hline,
                end_line: hline,
                text: self.text(hline),
                header: h,
                path,
                position,
                conditional,
                items: Vec::new(),
            });
            self.stack.push(Frame::Submenu(idx));
            MenuItem::Submenu(idx)
        } else {
            let idx = self.cfg.entries.len();
            let in_function = self.function().is_some();
            self.cfg.entries.push(MenuEntry {
                line: hline,
                end_line: hline,
                text: self.text(hline),
                header: h,
                submenus,
                path,
                position,
                conditional,
                in_function,
                commands: Vec::new(),
                linux: Vec::new(),
                initrd: Vec::new(),
                multiboot: Vec::new(),
                modules: Vec::new(),
                root: Vec::new(),
                search: Vec::new(),
                insmod: Vec::new(),
            });
            self.stack.push(Frame::Entry(idx));
            MenuItem::Entry(idx)
        };
        match parent {
            Some(s) => self.cfg.submenus[s].items.push(item),
            None => self.cfg.menu.push(item),
        }
    }

    fn close_brace(&mut self, line: usize) {
        // Unclosed `if`/loops inside the block are reported and dropped.
        while let Some(f) = self.stack.last() {
            match f {
                Frame::If { line: l, .. } | Frame::Loop { line: l } => {
                    let l = *l;
                    self.problem(l, "block not closed before `}`");
                    self.stack.pop();
                }
                _ => break,
            }
        }
        match self.stack.pop() {
            Some(Frame::Entry(e)) => self.cfg.entries[e].end_line = line,
            Some(Frame::Submenu(s)) => self.cfg.submenus[s].end_line = line,
            Some(Frame::Function { .. } | Frame::Brace { .. }) => {}
            Some(Frame::If { .. } | Frame::Loop { .. }) => {}
            None => self.problem(line, "`}` without an open block"),
        }
    }

    fn flush_pending(&mut self) {
        if let Some(words) = self.pending.take() {
            let line = words.first().map_or(0, |w| w.line);
            let kind = words.first().map(|w| w.value.clone()).unwrap_or_default();
            self.problem(line, format!("{kind} without a `{{` body"));
        }
    }
}

/// Parses `grub.cfg` text. Never fails.
pub fn parse(text: &str) -> Grub2Config {
    let lines: Vec<&str> = numbered_lines(text).map(|(_, l)| l).collect();
    let lexer = Lexer {
        s: text,
        b: text.as_bytes(),
        pos: 0,
        line: 1,
        line_start: 0,
        lines: &lines,
        problems: Vec::new(),
    };
    let (tokens, lex_problems) = lexer.tokens();
    let mut w = Walker {
        lines: &lines,
        cfg: Grub2Config::default(),
        stack: Vec::new(),
        pending: None,
        unknown: Vec::new(),
    };
    w.cfg.problems = lex_problems;
    let mut cur: Vec<Word> = Vec::new();
    for tok in tokens {
        match tok {
            Tok::Word(word) => {
                if w.pending.is_some() && cur.is_empty() {
                    // A header followed by something other than `{`.
                    w.flush_pending();
                }
                cur.push(word);
            }
            Tok::Sep => {
                if !cur.is_empty() {
                    w.statement(std::mem::take(&mut cur));
                }
            }
            Tok::LBrace(line) => {
                if !cur.is_empty() {
                    w.statement(std::mem::take(&mut cur));
                }
                let header = w.pending.take();
                w.open_brace(line, header);
            }
            Tok::RBrace(line) => {
                if !cur.is_empty() {
                    w.statement(std::mem::take(&mut cur));
                }
                w.flush_pending();
                w.close_brace(line);
            }
        }
    }
    if !cur.is_empty() {
        w.statement(cur);
    }
    w.flush_pending();
    let last_line = lines.len().max(1);
    while let Some(f) = w.stack.pop() {
        let (line, what) = match f {
            Frame::If { line, .. } => (line, "`if` without `fi`"),
            Frame::Loop { line } => (line, "loop without `done`"),
            Frame::Function { .. } => (last_line, "function body not closed"),
            Frame::Brace { line } => (line, "`{` not closed"),
            Frame::Entry(e) => {
                w.cfg.entries[e].end_line = last_line;
                (w.cfg.entries[e].line, "menuentry not closed")
            }
            Frame::Submenu(s) => {
                w.cfg.submenus[s].end_line = last_line;
                (w.cfg.submenus[s].line, "submenu not closed")
            }
        };
        w.problem(line, what);
    }
    let unknown = std::mem::take(&mut w.unknown);
    for (line, name, text) in unknown {
        if !w.cfg.functions.contains(&name) {
            w.cfg.problems.push(problem(
                line,
                &text,
                format!("unknown GRUB command {name:?}"),
            ));
        }
    }
    w.cfg.problems.sort_by_key(|p| p.line);
    w.cfg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::cmdline::ConsoleKind;
    use crate::parse::devref::DeviceRef;
    use std::path::{Path, PathBuf};

    fn configs() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/configs")
    }

    fn clean(p: &Path) -> Grub2Config {
        let text = std::fs::read_to_string(p)
            .unwrap_or_else(|e| panic!("test corpus file {} missing: {e}", p.display()));
        let cfg = parse(&text);
        assert!(
            cfg.problems.is_empty(),
            "{}: {:#?}",
            p.display(),
            cfg.problems
        );
        cfg
    }

    fn tree_cfgs() -> Vec<PathBuf> {
        crate::parse::text::corpus_tree_files(&|p: &Path| {
            p.file_name().and_then(|n| n.to_str()) == Some("grub.cfg")
        })
    }

    #[test]
    fn every_corpus_grub_cfg_parses_cleanly() {
        let mut files = vec![configs().join("debian12-grub-mkconfig.grub.cfg")];
        for f in std::fs::read_dir(configs().join("xen-pygrub")).unwrap() {
            let p = f.unwrap().path();
            if p.extension().and_then(|e| e.to_str()) == Some("grub2") {
                files.push(p);
            }
        }
        let trees = tree_cfgs();
        assert!(trees.len() >= 4, "{trees:?}");
        files.extend(trees);
        assert!(files.len() >= 10);
        for f in files {
            let cfg = clean(&f);
            let d = cfg.default_entry();
            if cfg.menu.is_empty() {
                // The ESP stub that chains to the real config; BLS configs.
                assert!(
                    cfg.uses_blscfg() || !cfg.configfile.is_empty(),
                    "{}",
                    f.display()
                );
                continue;
            }
            assert!(
                !matches!(d.target, DefaultTarget::NotFound(_)),
                "{}: {d:?}",
                f.display()
            );
            for e in &cfg.entries {
                if e.header.title.starts_with("Memory test") || e.header.title.contains("UEFI") {
                    continue;
                }
                let k = e
                    .kernel()
                    .unwrap_or_else(|| panic!("{}: {}", f.display(), e.path));
                assert!(k.cmdline.root().is_some(), "{}: {}", f.display(), e.path);
            }
        }
    }

    #[test]
    fn debian12_mkconfig() {
        let cfg = clean(&configs().join("debian12-grub-mkconfig.grub.cfg"));
        assert_eq!(cfg.entries.len(), 3);
        assert_eq!(cfg.submenus.len(), 1);
        assert_eq!(cfg.menu, [MenuItem::Entry(0), MenuItem::Submenu(0)]);
        let sm = &cfg.submenus[0];
        assert_eq!(sm.header.title, "Advanced options for Debian GNU/Linux");
        assert_eq!(
            sm.header.id.as_deref(),
            Some("gnulinux-advanced-cd36ef74-48ad-478a-ab79-643a93de686d")
        );
        assert_eq!((sm.line, sm.end_line), (111, 134));
        assert_eq!(sm.items, [MenuItem::Entry(1), MenuItem::Entry(2)]);
        let e = &cfg.entries[1];
        assert_eq!(
            e.path,
            "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-50-cloud-amd64"
        );
        assert_eq!(e.position, [1, 0]);
        assert_eq!(e.submenus, ["Advanced options for Debian GNU/Linux"]);
        assert_eq!(e.header.classes, ["debian", "gnu-linux", "gnu", "os"]);
        let k = e.kernel().unwrap();
        assert_eq!(k.line, 119);
        assert_eq!(k.command, "linux");
        assert_eq!(
            k.path.as_ref().unwrap().value,
            "/boot/vmlinuz-6.1.0-50-cloud-amd64"
        );
        let cons = k.cmdline.consoles();
        assert_eq!(cons.len(), 1);
        assert_eq!(
            (cons[0].device.as_str(), cons[0].kind),
            ("hvc0", ConsoleKind::XenPv)
        );
        assert_eq!(k.cmdline.xencons().len(), 1);
        assert_eq!(
            k.cmdline.root_device(),
            Some(DeviceRef::Uuid(
                "cd36ef74-48ad-478a-ab79-643a93de686d".into()
            ))
        );
        // Each argument word keeps its place in the file for edits.
        let w = k.args.iter().find(|w| w.value == "console=hvc0").unwrap();
        assert_eq!(w.line, 119);
        assert_eq!(&k.text[w.column..][..12], "console=hvc0");
        assert_eq!(e.initrd_paths(), ["/boot/initrd.img-6.1.0-50-cloud-amd64"]);
        assert_eq!(e.initrd[0].line, 121);
        let s = &e.search[0];
        assert_eq!(s.kind, Some(SearchKind::FsUuid));
        assert_eq!(s.set_var.as_deref(), Some("root"));
        assert_eq!(
            s.key.as_ref().unwrap().value,
            "cd36ef74-48ad-478a-ab79-643a93de686d"
        );
        assert!(e.insmod.contains(&"ext2".to_string()));
        // `if [ x$grub_platform = xxen ]; then insmod xzio; …; fi` on one line.
        assert!(e.insmod.contains(&"xzio".to_string()));
        assert!(e
            .commands
            .iter()
            .any(|c| c.name() == "insmod" && c.args() == ["xzio"] && c.conditional));
        assert!(!e
            .commands
            .iter()
            .any(|c| c.name() == "linux" && c.conditional));
        let rec = &cfg.entries[2];
        assert!(rec.kernel().unwrap().cmdline.has("single"));
        // Top level.
        let d = cfg.default_entry();
        assert_eq!(d.target, DefaultTarget::Entry(0));
        assert_eq!(d.setting.as_ref().unwrap().line, 19);
        assert!(d.setting.as_ref().unwrap().conditional);
        assert_eq!(cfg.load_env, [11]);
        assert_eq!(cfg.terminal_output.len(), 1);
        assert_eq!(cfg.terminal_output[0].args, ["gfxterm"]);
        assert_eq!(cfg.terminal_output[0].line, 74);
        let t: Vec<_> = cfg
            .timeouts()
            .iter()
            .map(|s| (s.line, s.value.as_str()))
            .collect();
        assert_eq!(t, [(76, "30"), (80, "5"), (84, "5")]);
        assert!(cfg.functions.contains(&"load_video".to_string()));
        // Function bodies are kept but flagged.
        assert!(cfg
            .settings
            .iter()
            .any(|s| s.name == "saved_entry" && s.function.as_deref() == Some("savedefault")));
        assert!(!cfg.uses_blscfg());
        // Resolution by title, id and `>` paths.
        assert_eq!(cfg.resolve("Debian GNU/Linux"), DefaultTarget::Entry(0));
        assert_eq!(cfg.resolve("1>1"), DefaultTarget::Entry(2));
        assert_eq!(
            cfg.resolve("gnulinux-advanced-cd36ef74-48ad-478a-ab79-643a93de686d>gnulinux-6.1.0-50-cloud-amd64-recovery-cd36ef74-48ad-478a-ab79-643a93de686d"),
            DefaultTarget::Entry(2)
        );
        assert_eq!(
            cfg.resolve("Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-50-cloud-amd64"),
            DefaultTarget::Entry(1)
        );
        assert_eq!(cfg.resolve("1"), DefaultTarget::Submenu(0));
        assert_eq!(cfg.resolve("2"), DefaultTarget::NotFound("2".into()));
        assert_eq!(cfg.resolve("0>1"), DefaultTarget::NotFound("0>1".into()));
        assert_eq!(
            cfg.resolve("${foo}"),
            DefaultTarget::Unresolvable("${foo}".into())
        );
    }

    #[test]
    fn fedora16_xen_submenu() {
        let cfg = clean(&configs().join("xen-pygrub/fedora-16-with-xen.grub2"));
        let d = cfg.default_entry();
        assert_eq!(d.target, DefaultTarget::Saved);
        assert!(!d.setting.unwrap().conditional);
        assert_eq!(cfg.entries.len(), 4);
        let xen = &cfg.entries[2];
        assert!(xen.is_xen());
        assert_eq!(xen.submenus, ["Xen 4.1"]);
        assert_eq!(xen.multiboot[0].path.as_ref().unwrap().value, "/xen-4.1.gz");
        let k = xen.kernel().unwrap();
        assert_eq!(k.line, 77);
        assert_eq!(
            k.cmdline.root_device(),
            Some(DeviceRef::Lvm("/dev/mapper/VolGroup-lv_root".into()))
        );
        assert_eq!(
            xen.initrd_paths(),
            ["/initramfs-3.1.0-0.rc9.git0.0.fc16.x86_64.img"]
        );
        assert_eq!(xen.root[0].value, "(hd0,gpt2)");
        assert_eq!(xen.root[0].line, 72);
        assert!(!cfg.entries[0].is_xen());
        assert_eq!(cfg.resolve("Xen 4.1>1"), DefaultTarget::Entry(3));
    }

    #[test]
    fn linux16_and_conditional_search() {
        let cfg = clean(&configs().join("xen-pygrub/rhel-7-beta.grub2"));
        let e = &cfg.entries[0];
        let k = e.kernel().unwrap();
        assert_eq!((k.command.as_str(), k.line), ("linux16", 77));
        assert_eq!(e.initrd[0].command, "initrd16");
        assert_eq!(e.search.len(), 2);
        assert!(e.search.iter().all(|s| s.conditional));
        assert_eq!(e.search[0].hints, ["hd0,msdos1"]);
        assert_eq!(cfg.default_entry().target, DefaultTarget::Saved);
    }

    #[test]
    fn centos7_tree_default_and_overrides() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/trees/centos7-pv/boot/grub2/grub.cfg");
        let cfg = clean(&p);
        let d = cfg.default_entry();
        assert_eq!(d.target, DefaultTarget::Saved);
        assert_eq!(d.setting.as_ref().unwrap().line, 20);
        assert_eq!(d.possible_overrides, [117]);
        assert_eq!(
            cfg.resolve("CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)"),
            DefaultTarget::Entry(0)
        );
        assert_eq!(cfg.terminal_output[0].args, ["console"]);
    }

    #[test]
    fn serial_and_terminals() {
        let p =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees/clean-hvm/boot/grub/grub.cfg");
        let cfg = clean(&p);
        let s = &cfg.serial[0];
        assert_eq!((s.line, s.unit, s.speed), (58, Some(0), Some(115200)));
        assert_eq!(cfg.terminal_input[0].args, ["serial", "console"]);
        assert_eq!(cfg.terminal_output[0].args, ["serial", "console"]);
        let c = cfg.entries[0].kernel().unwrap().cmdline.consoles();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].device, "hvc0");
        assert_eq!(c[2].options.as_deref(), Some("115200"));
        let s = serial_cmd(&parse("serial -u 1 -s 9600 com1\n").commands[0]);
        assert_eq!((s.unit, s.speed), (Some(1), Some(9600)));
    }

    #[test]
    fn fedora_blscfg_tree() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/trees/gpt-efi/root/boot/grub2/grub.cfg");
        let cfg = clean(&p);
        assert_eq!(cfg.blscfg, [111]);
        assert!(cfg.uses_blscfg());
        assert_eq!(cfg.load_env, [12, 14]);
        let d = cfg.default_entry();
        assert_eq!(d.target, DefaultTarget::Saved);
        assert_eq!(d.possible_overrides, [91]);
        // The UEFI firmware entry sits inside `if [ "$grub_platform" = "efi" ]`.
        assert_eq!(cfg.entries.len(), 1);
        assert!(cfg.entries[0].conditional);
        assert_eq!(cfg.entries[0].header.id.as_deref(), Some("uefi-firmware"));
        assert_eq!(cfg.search.len(), 2);
        assert!(cfg.search.iter().all(|s| s.conditional));
        let s = &cfg.search[1];
        assert_eq!(
            s.key.as_ref().unwrap().value,
            "764a42dd-1f6d-4edb-ab88-19124d6c1d90"
        );
    }

    #[test]
    fn esp_stub_chains_to_real_config() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/trees/gpt-efi/esp/EFI/fedora/grub.cfg");
        let cfg = clean(&p);
        assert_eq!(cfg.configfile[0].args(), ["$prefix/grub.cfg"]);
        assert_eq!(cfg.search[0].set_var.as_deref(), Some("dev"));
        assert!(cfg.settings_named("prefix")[0].word.has_var);
    }

    #[test]
    fn quoting_escapes_continuation() {
        let text = "set a='x y' b=\"q \\\"r\\\" $v ${w}\" c=d\\ e\n\
                    menuentry \"T\\\"1\" --id=e1 {\n  linux /vm root=\"LABEL=my root\" \\\n    console=ttyS0 # c\n  initrd /a /b; echo hi\n}\n\
                    menuentry 'multi\nline' { linux /k 'a;b' }\n";
        let cfg = parse(text);
        assert!(cfg.problems.is_empty(), "{:#?}", cfg.problems);
        let vals: Vec<_> = cfg
            .settings
            .iter()
            .map(|s| (s.name.as_str(), s.value.as_str()))
            .collect();
        assert_eq!(vals, [("a", "x y"), ("b", "q \"r\" $v ${w}"), ("c", "d e")]);
        assert!(cfg.settings[1].word.has_var);
        assert!(!cfg.settings[0].word.has_var);
        let e = &cfg.entries[0];
        assert_eq!(e.header.title, "T\"1");
        assert_eq!(e.header.id.as_deref(), Some("e1"));
        let k = e.kernel().unwrap();
        assert_eq!(
            k.cmdline.root_device(),
            Some(DeviceRef::Label("my root".into()))
        );
        assert_eq!(k.cmdline.consoles()[0].device, "ttyS0");
        assert_eq!(k.args[1].line, 4);
        assert_eq!(e.initrd_paths(), ["/a", "/b"]);
        assert_eq!(e.commands.len(), 3);
        let e2 = &cfg.entries[1];
        assert_eq!(e2.header.title, "multi\nline");
        assert_eq!(e2.line, 7);
        assert_eq!(e2.end_line, 8);
        assert_eq!(e2.kernel().unwrap().args[0].value, "a;b");
        assert_eq!(e2.kernel().unwrap().line, 8);
    }

    #[test]
    fn junk_is_problems() {
        let text = "}\nfi\nfrobnicate now\nset x='open\nmenuentry 'a' {\n  linux /k\n";
        let cfg = parse(text);
        let got: Vec<_> = cfg
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "`}` without an open block"),
                (2, "`fi` without `if`"),
                (3, "unknown GRUB command \"frobnicate\""),
                (5, "unterminated single quote"),
            ],
            "{got:#?}"
        );
        let cfg = parse("menuentry 'a' {\n if true; then\n linux /k\n}\nmenuentry 'b'\nlinux /x\n");
        let msgs: Vec<_> = cfg
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            msgs,
            [
                (2, "block not closed before `}`"),
                (5, "menuentry without a `{` body")
            ]
        );
        assert_eq!(cfg.entries.len(), 1);
        assert!(cfg.entries[0].linux[0].conditional);
        let cfg = parse("menuentry 'a' {\n linux /k\n");
        assert_eq!(cfg.problems[0].message, "menuentry not closed");
        assert_eq!(cfg.entries[0].end_line, 2);
    }

    #[test]
    fn default_forms() {
        let menu = "menuentry 'A' --id a { linux /a root=/dev/xvda1 }\nmenuentry 'B' --id b { linux /b }\n";
        let d = parse(&format!("set default=b\n{menu}")).default_entry();
        assert_eq!(d.target, DefaultTarget::Entry(1));
        let d = parse(&format!("set default=\"B\"\n{menu}")).default_entry();
        assert_eq!(d.target, DefaultTarget::Entry(1));
        let d = parse(menu).default_entry();
        assert_eq!((d.setting, d.target), (None, DefaultTarget::Entry(0)));
        let d = parse(&format!("set default=saved\n{menu}")).default_entry();
        assert_eq!(d.target, DefaultTarget::NotFound("saved".into()));
        let d = parse(&format!("set default=0\nset default=1\n{menu}")).default_entry();
        assert_eq!(d.target, DefaultTarget::Entry(1));
        let d = parse(&format!("set default=$x\n{menu}")).default_entry();
        assert_eq!(d.target, DefaultTarget::Unresolvable("$x".into()));
    }

    #[test]
    fn random_bytes_never_panic() {
        for s in crate::parse::text::noise(400, b" \t\n;{}'\"\\$#=menuentry if fi linux>01") {
            let cfg = parse(&s);
            let _ = cfg.default_entry();
            let lines: Vec<&str> = s.lines().collect();
            for e in &cfg.entries {
                let _ = (e.kernel(), e.initrd_paths(), e.is_xen());
                for w in e
                    .commands
                    .iter()
                    .chain(&cfg.commands)
                    .flat_map(|c| &c.words)
                {
                    let l = lines.get(w.line - 1).map_or(0, |l| l.len());
                    assert!(w.column <= l, "{w:?} in {s:?}");
                }
            }
        }
        for s in [
            "${",
            "\"$",
            "'",
            "\\",
            "{{{",
            "}}}",
            "menuentry {",
            "if",
            "$",
        ] {
            let _ = parse(s).default_entry();
        }
    }
}
