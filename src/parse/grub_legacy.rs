//! Parses GRUB legacy (0.97) `menu.lst` / `grub.conf` as read by pygrub, PV-GRUB and a real
//! GRUB: global settings, `title` entries with their `root`/`kernel`/`initrd`/`module` lines, and
//! the Debian `update-grub` automagic options (`# kopt=…`, `# groot=…`) that regenerate the
//! entries, all with line numbers. A line it cannot read becomes a problem, never a failure.

use super::cmdline::Cmdline;
use super::text::{numbered_lines, problem, LineProblem};
use serde::Serialize;

/// One command line as written: `name args…` or `name=args`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// 1-based line number.
    pub line: usize,
    /// The original line.
    pub text: String,
    /// Command name (`kernel`, `default`, …).
    pub name: String,
    /// Everything after the name and its separator (spaces or `=`), as written.
    pub arg_text: String,
    /// Byte column of `arg_text` in the line.
    pub arg_column: usize,
    /// `arg_text` split on whitespace.
    pub args: Vec<String>,
}

/// A GRUB legacy device: `(hd0,0)` is drive `hd0`, partition 0 (0-based, so Linux's `…1`);
/// `(hd0)` is the whole disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrubDevice {
    /// As written, parentheses included.
    pub raw: String,
    /// `hd`, `fd`, `nd`, `cd`.
    pub kind: String,
    /// Drive number (`hd1` → 1); `None` for `(nd)`.
    pub drive: Option<u32>,
    /// 0-based partition number.
    pub partition: Option<u32>,
    /// BSD sub-partition letter (`(hd0,0,a)`, `(hd0,a)`).
    pub bsd_partition: Option<char>,
}

impl GrubDevice {
    /// Parses `(hd0,0)` / `(hd0)` / `(fd0)` / `(nd)` / `(hd0,1,a)`.
    pub fn parse(s: &str) -> Option<GrubDevice> {
        let inner = s.strip_prefix('(')?.strip_suffix(')')?;
        let mut parts = inner.split(',');
        let drive_s = parts.next()?;
        let kind_len = drive_s
            .find(|c: char| !c.is_ascii_lowercase())
            .unwrap_or(drive_s.len());
        let (kind, num) = drive_s.split_at(kind_len);
        if !matches!(kind, "hd" | "fd" | "nd" | "cd") {
            return None;
        }
        let drive = if num.is_empty() {
            if kind != "nd" && kind != "cd" {
                return None;
            }
            None
        } else {
            Some(num.parse::<u32>().ok()?)
        };
        let mut dev = GrubDevice {
            raw: s.to_string(),
            kind: kind.to_string(),
            drive,
            partition: None,
            bsd_partition: None,
        };
        let letter = |p: &str| {
            let mut c = p.chars();
            match (c.next(), c.next()) {
                (Some(l @ 'a'..='h'), None) => Some(l),
                _ => None,
            }
        };
        match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => {}
            (Some(p), None, _) => match p.parse::<u32>() {
                Ok(n) => dev.partition = Some(n),
                Err(_) => dev.bsd_partition = Some(letter(p)?),
            },
            (Some(p), Some(l), None) => {
                dev.partition = Some(p.parse().ok()?);
                dev.bsd_partition = Some(letter(l)?);
            }
            _ => return None,
        }
        Some(dev)
    }

    /// `true` for a whole-disk device such as `(hd0)`.
    pub fn is_whole_disk(&self) -> bool {
        self.partition.is_none() && self.bsd_partition.is_none()
    }
}

/// Splits `(hd0,0)/boot/vmlinuz` into the device and the path. `Err` carries a malformed
/// device prefix (an unclosed or unknown `(…)`).
pub fn split_device(file: &str) -> Result<(Option<GrubDevice>, &str), String> {
    if !file.starts_with('(') {
        return Ok((None, file));
    }
    match file.find(')') {
        Some(end) => match GrubDevice::parse(&file[..=end]) {
            Some(d) => Ok((Some(d), &file[end + 1..])),
            None => Err(file[..=end].to_string()),
        },
        None => Err(file.to_string()),
    }
}

/// A `kernel` or `module` line: flags, the file, and the command line after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelLine {
    pub line: usize,
    pub text: String,
    /// `kernel`, `module` or `modulenounzip`.
    pub command: String,
    /// Leading `--type=…`, `--no-mem-option` flags.
    pub flags: Vec<String>,
    /// The file argument as written (`(hd0,0)/vmlinuz` or `/vmlinuz`).
    pub file: String,
    /// The device prefix of `file`, if any.
    pub device: Option<GrubDevice>,
    /// `file` without the device prefix.
    pub path: String,
    /// Everything after the file: the kernel (or Xen dom0 kernel) command line.
    pub cmdline: Cmdline,
    /// Byte column of the command line in the line.
    pub cmdline_column: usize,
}

/// An `initrd` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileLine {
    pub line: usize,
    pub text: String,
    pub file: String,
    pub device: Option<GrubDevice>,
    pub path: String,
}

/// A `root`/`rootnoverify` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootLine {
    pub line: usize,
    pub text: String,
    /// The argument as written (`(hd0,0)`).
    pub raw: String,
    pub device: Option<GrubDevice>,
    /// `rootnoverify`.
    pub noverify: bool,
}

/// One `title` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// 0-based position (what `default N` counts).
    pub index: usize,
    /// Line of the `title` command.
    pub line: usize,
    /// Last line that belongs to the entry (its last command).
    pub end_line: usize,
    pub text: String,
    pub title: String,
    pub root: Option<RootLine>,
    pub kernel: Option<KernelLine>,
    pub initrd: Option<FileLine>,
    /// `module` lines (Xen entries: dom0 kernel, then its initrd).
    pub modules: Vec<KernelLine>,
    pub chainloader: Option<Directive>,
    pub savedefault: Option<Directive>,
    /// Line of a `lock` command.
    pub lock: Option<usize>,
    /// Every command of the entry, in order (the typed fields above included).
    pub commands: Vec<Directive>,
    /// Inside the Debian `### BEGIN AUTOMAGIC KERNELS LIST` section (regenerated by update-grub).
    pub automagic: bool,
}

impl Entry {
    /// A Xen hypervisor entry: `kernel /xen.gz…` plus `module` lines.
    pub fn is_xen(&self) -> bool {
        !self.modules.is_empty()
            && self.kernel.as_ref().is_some_and(|k| {
                let name = k.path.rsplit('/').next().unwrap_or("");
                name.starts_with("xen")
            })
    }

    /// The Linux kernel line: the first `module` of a Xen entry, the `kernel` line otherwise.
    pub fn linux(&self) -> Option<&KernelLine> {
        if self.is_xen() {
            self.modules.first()
        } else {
            self.kernel.as_ref()
        }
    }

    /// The initrd path: `initrd`, or a Xen entry's second `module`.
    pub fn initrd_path(&self) -> Option<&str> {
        if self.is_xen() {
            self.modules.get(1).map(|m| m.path.as_str())
        } else {
            self.initrd.as_ref().map(|i| i.path.as_str())
        }
    }
}

/// The `default` setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultValue {
    Index(u32),
    /// `default saved`: the entry stored by `savedefault` in `/boot/grub/default`.
    Saved,
    /// Neither a number nor `saved`.
    Invalid(String),
}

/// A `default` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefaultLine {
    pub line: usize,
    pub text: String,
    pub value: DefaultValue,
}

/// Which entry boots by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultEntry {
    /// Index into [`GrubLegacy::entries`].
    Entry(usize),
    /// `default saved`: only `/boot/grub/default` knows.
    Saved,
    /// `default N` with fewer entries (GRUB falls back to entry 0, or shows an error).
    OutOfRange { index: u32, entries: usize },
    /// The `default` value is not understood.
    Invalid(String),
}

/// One `# key=value` option of Debian's automagic section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutomagicOption {
    pub line: usize,
    pub text: String,
    /// `kopt`, `groot`, `xenkopt`, `kopt_2_6_8`, …
    pub key: String,
    pub value: String,
    /// Byte column of `value` in the line.
    pub value_column: usize,
}

impl AutomagicOption {
    /// The value as a kernel command line (`kopt`, `xenkopt`, `defoptions`; for `altoptions`
    /// the `(menu suffix)` is skipped).
    pub fn cmdline(&self) -> Cmdline {
        let v = self.value.as_str();
        if self.key == "altoptions" && v.starts_with('(') {
            if let Some(end) = v.find(')') {
                return Cmdline::parse(&v[end + 1..]);
            }
        }
        Cmdline::parse(v)
    }
}

/// The Debian `### BEGIN AUTOMAGIC KERNELS LIST` … `### END DEBIAN AUTOMAGIC KERNELS LIST`
/// section. update-grub rewrites the entries inside from these options, so a fix to the entries
/// must edit the options too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Automagic {
    pub begin_line: usize,
    /// `None` when the END marker is missing.
    pub end_line: Option<usize>,
    pub options: Vec<AutomagicOption>,
}

impl Automagic {
    /// The option `key` as update-grub's `GetMenuOpt` reads it (the first match).
    pub fn get(&self, key: &str) -> Option<&AutomagicOption> {
        self.options.iter().find(|o| o.key == key)
    }

    /// Every option `key` (`altoptions` may repeat).
    pub fn get_all(&self, key: &str) -> Vec<&AutomagicOption> {
        self.options.iter().filter(|o| o.key == key).collect()
    }

    /// `# kopt=` (default kernel options).
    pub fn kopt(&self) -> Option<&AutomagicOption> {
        self.get("kopt")
    }

    /// `# groot=` (GRUB root device written into each entry).
    pub fn groot(&self) -> Option<&AutomagicOption> {
        self.get("groot")
    }

    /// `# xenkopt=` (dom0 kernel options of Xen entries).
    pub fn xenkopt(&self) -> Option<&AutomagicOption> {
        self.get("xenkopt")
    }
}

/// A parsed `menu.lst` / `grub.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GrubLegacy {
    /// Every command before the first `title`, in order.
    pub globals: Vec<Directive>,
    pub default: Option<DefaultLine>,
    pub fallback: Option<Directive>,
    pub timeout: Option<Directive>,
    pub hiddenmenu: Option<Directive>,
    pub splashimage: Option<Directive>,
    pub serial: Option<Directive>,
    pub terminal: Option<Directive>,
    pub password: Option<Directive>,
    pub color: Option<Directive>,
    pub entries: Vec<Entry>,
    pub automagic: Option<Automagic>,
    pub problems: Vec<LineProblem>,
}

impl GrubLegacy {
    /// Resolves `default` to an entry (no `default` line means entry 0).
    pub fn default_entry(&self) -> DefaultEntry {
        let index = match self.default.as_ref().map(|d| &d.value) {
            None => 0,
            Some(DefaultValue::Index(n)) => *n,
            Some(DefaultValue::Saved) => return DefaultEntry::Saved,
            Some(DefaultValue::Invalid(s)) => return DefaultEntry::Invalid(s.clone()),
        };
        match usize::try_from(index) {
            Ok(i) if i < self.entries.len() => DefaultEntry::Entry(i),
            _ => DefaultEntry::OutOfRange {
                index,
                entries: self.entries.len(),
            },
        }
    }

    /// `fallback` entry numbers (GRUB accepts a list).
    pub fn fallback_indices(&self) -> Vec<u32> {
        self.fallback
            .as_ref()
            .map(|d| d.args.iter().filter_map(|a| a.parse().ok()).collect())
            .unwrap_or_default()
    }

    /// `timeout` in seconds.
    pub fn timeout_secs(&self) -> Option<u32> {
        self.timeout
            .as_ref()
            .and_then(|d| d.args.first())
            .and_then(|a| a.parse().ok())
    }
}

/// Commands GRUB legacy knows (menu and command-line), for telling junk from configuration.
const KNOWN: &[&str] = &[
    "background",
    "blocklist",
    "boot",
    "bootp",
    "cat",
    "chainloader",
    "clear",
    "cmp",
    "color",
    "configfile",
    "debug",
    "default",
    "device",
    "dhcp",
    "displayapm",
    "displaymem",
    "embed",
    "fallback",
    "find",
    "foreground",
    "fstest",
    "geometry",
    "gfxmenu",
    "halt",
    "help",
    "hiddenmenu",
    "hide",
    "ifconfig",
    "impsprobe",
    "initrd",
    "install",
    "ioprobe",
    "kernel",
    "lock",
    "makeactive",
    "map",
    "md5crypt",
    "module",
    "modulenounzip",
    "pager",
    "partnew",
    "parttype",
    "password",
    "pause",
    "quit",
    "rarp",
    "read",
    "reboot",
    "root",
    "rootnoverify",
    "savedefault",
    "serial",
    "setkey",
    "setup",
    "splashimage",
    "terminal",
    "terminfo",
    "testload",
    "testvbe",
    "tftpserver",
    "timeout",
    "title",
    "unhide",
    "uppermem",
    "vbeprobe",
    "viewport",
    "shade",
];

/// Menu-wide settings that have no effect inside an entry.
const GLOBAL_ONLY: &[&str] = &[
    "default",
    "fallback",
    "timeout",
    "hiddenmenu",
    "splashimage",
];

/// Splits a command line into name and argument the way GRUB legacy does: the name ends at
/// whitespace or `=`, then any run of whitespace and `=` is skipped.
fn directive(line: usize, original: &str) -> Directive {
    let lead = original.len() - original.trim_start().len();
    let body = &original[lead..];
    let name_end = body
        .find(|c: char| c.is_ascii_whitespace() || c == '=')
        .unwrap_or(body.len());
    let after = &body[name_end..];
    let arg = after.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '=');
    let arg_column = lead + name_end + (after.len() - arg.len());
    let arg_text = arg.trim_end();
    Directive {
        line,
        text: original.to_string(),
        name: body[..name_end].to_string(),
        arg_text: arg_text.to_string(),
        arg_column,
        args: arg_text
            .split_ascii_whitespace()
            .map(String::from)
            .collect(),
    }
}

/// `kernel [--flags] FILE args…` → (flags, file, cmdline, cmdline column).
fn kernel_line(d: &Directive, problems: &mut Vec<LineProblem>) -> Option<KernelLine> {
    let mut rest = d.arg_text.as_str();
    let mut col = d.arg_column;
    let mut flags = Vec::new();
    loop {
        let (word, after, off) = super::text::split_word(rest);
        if word.starts_with("--") {
            flags.push(word.to_string());
            rest = after;
            col += off;
            continue;
        }
        if word.is_empty() {
            problems.push(problem(
                d.line,
                &d.text,
                format!("`{}` without a file", d.name),
            ));
            return None;
        }
        let (device, path) = match split_device(word) {
            Ok((dev, path)) => (dev, path.to_string()),
            Err(bad) => {
                problems.push(problem(
                    d.line,
                    &d.text,
                    format!("unreadable GRUB device {bad:?}"),
                ));
                (None, word.to_string())
            }
        };
        let cmdline_column = if after.is_empty() {
            d.arg_column + d.arg_text.len()
        } else {
            col + off
        };
        return Some(KernelLine {
            line: d.line,
            text: d.text.clone(),
            command: d.name.clone(),
            flags,
            file: word.to_string(),
            device,
            path,
            cmdline: Cmdline::parse(after),
            cmdline_column,
        });
    }
}

/// Parses an automagic option comment: `# key=value` (one `#`, optional spaces).
fn automagic_option(line: usize, original: &str) -> Option<AutomagicOption> {
    let t = original.trim_start();
    let lead = original.len() - t.len();
    let after_hash = t.strip_prefix('#')?;
    if after_hash.starts_with('#') {
        return None;
    }
    let body = after_hash.trim_start();
    let eq = body.find('=')?;
    let key = &body[..eq];
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let value_column = lead + 1 + (after_hash.len() - body.len()) + eq + 1;
    Some(AutomagicOption {
        line,
        text: original.to_string(),
        key: key.to_string(),
        value: body[eq + 1..].trim_end().to_string(),
        value_column,
    })
}

/// Parses `menu.lst` / `grub.conf` text. Never fails.
pub fn parse(text: &str) -> GrubLegacy {
    let mut cfg = GrubLegacy::default();
    let mut in_automagic = false;
    for (line, original) in numbered_lines(text) {
        let trimmed = original.trim();
        if trimmed.starts_with("### BEGIN AUTOMAGIC KERNELS LIST") {
            if cfg.automagic.is_none() {
                cfg.automagic = Some(Automagic {
                    begin_line: line,
                    end_line: None,
                    options: Vec::new(),
                });
            }
            in_automagic = true;
            continue;
        }
        if trimmed.starts_with("### END DEBIAN AUTOMAGIC KERNELS LIST")
            || trimmed.starts_with("### END AUTOMAGIC KERNELS LIST")
        {
            if let Some(a) = cfg.automagic.as_mut() {
                a.end_line = Some(line);
            }
            in_automagic = false;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            if in_automagic {
                if let (Some(opt), Some(a)) =
                    (automagic_option(line, original), cfg.automagic.as_mut())
                {
                    a.options.push(opt);
                }
            }
            continue;
        }
        let d = directive(line, original);
        let name = d.name.as_str();
        if !KNOWN.contains(&name) {
            cfg.problems.push(problem(
                line,
                original,
                format!("unknown GRUB legacy command {name:?}"),
            ));
        }
        if name == "title" {
            cfg.entries.push(Entry {
                index: cfg.entries.len(),
                line,
                end_line: line,
                text: original.to_string(),
                title: d.arg_text.clone(),
                root: None,
                kernel: None,
                initrd: None,
                modules: Vec::new(),
                chainloader: None,
                savedefault: None,
                lock: None,
                commands: Vec::new(),
                automagic: in_automagic,
            });
            continue;
        }
        match cfg.entries.last_mut() {
            None => global(&mut cfg, d),
            Some(entry) => entry_command(entry, d, &mut cfg.problems),
        }
    }
    if let Some(a) = &cfg.automagic {
        if a.end_line.is_none() {
            cfg.problems.push(problem(
                a.begin_line,
                "### BEGIN AUTOMAGIC KERNELS LIST",
                "automagic section has no END marker",
            ));
        }
    }
    cfg
}

fn global(cfg: &mut GrubLegacy, d: Directive) {
    let slot = match d.name.as_str() {
        "default" => {
            let value = match d.args.first().map(String::as_str) {
                Some("saved") => DefaultValue::Saved,
                Some(n) => match n.parse::<u32>() {
                    Ok(n) => DefaultValue::Index(n),
                    Err(_) => {
                        cfg.problems.push(problem(
                            d.line,
                            &d.text,
                            format!("default {n:?} is neither an entry number nor `saved`"),
                        ));
                        DefaultValue::Invalid(n.to_string())
                    }
                },
                None => {
                    cfg.problems
                        .push(problem(d.line, &d.text, "`default` without a value"));
                    DefaultValue::Invalid(String::new())
                }
            };
            cfg.default = Some(DefaultLine {
                line: d.line,
                text: d.text.clone(),
                value,
            });
            None
        }
        "fallback" => Some(&mut cfg.fallback),
        "timeout" => {
            if d.args.first().and_then(|a| a.parse::<u32>().ok()).is_none() {
                cfg.problems
                    .push(problem(d.line, &d.text, "timeout is not a number"));
            }
            Some(&mut cfg.timeout)
        }
        "hiddenmenu" => Some(&mut cfg.hiddenmenu),
        "splashimage" => Some(&mut cfg.splashimage),
        "serial" => Some(&mut cfg.serial),
        "terminal" => Some(&mut cfg.terminal),
        "password" => Some(&mut cfg.password),
        "color" => Some(&mut cfg.color),
        "kernel" | "initrd" | "module" | "modulenounzip" | "chainloader" | "savedefault"
        | "lock" | "boot" => {
            cfg.problems.push(problem(
                d.line,
                &d.text,
                format!("`{}` before any `title`: not part of an entry", d.name),
            ));
            None
        }
        _ => None,
    };
    if let Some(slot) = slot {
        *slot = Some(d.clone());
    }
    cfg.globals.push(d);
}

fn file_line(d: &Directive, problems: &mut Vec<LineProblem>) -> FileLine {
    let file = d.args.first().cloned().unwrap_or_default();
    if file.is_empty() {
        problems.push(problem(
            d.line,
            &d.text,
            format!("`{}` without a file", d.name),
        ));
    }
    let (device, path) = match split_device(&file) {
        Ok((dev, p)) => (dev, p.to_string()),
        Err(bad) => {
            problems.push(problem(
                d.line,
                &d.text,
                format!("unreadable GRUB device {bad:?}"),
            ));
            (None, file.clone())
        }
    };
    FileLine {
        line: d.line,
        text: d.text.clone(),
        file,
        device,
        path,
    }
}

fn entry_command(entry: &mut Entry, d: Directive, problems: &mut Vec<LineProblem>) {
    entry.end_line = d.line;
    let dup = |problems: &mut Vec<LineProblem>, what: &str| {
        problems.push(problem(
            d.line,
            &d.text,
            format!(
                "second `{what}` in entry {:?}: GRUB uses the last one",
                entry.title
            ),
        ))
    };
    match d.name.as_str() {
        "root" | "rootnoverify" => {
            if entry.root.is_some() {
                dup(problems, "root");
            }
            let raw = d.args.first().cloned().unwrap_or_default();
            let device = GrubDevice::parse(&raw);
            if device.is_none() {
                problems.push(problem(
                    d.line,
                    &d.text,
                    format!("unreadable GRUB device {raw:?}"),
                ));
            }
            entry.root = Some(RootLine {
                line: d.line,
                text: d.text.clone(),
                raw,
                device,
                noverify: d.name == "rootnoverify",
            });
        }
        "kernel" => {
            if entry.kernel.is_some() {
                dup(problems, "kernel");
            }
            if let Some(k) = kernel_line(&d, problems) {
                entry.kernel = Some(k);
            }
        }
        "module" | "modulenounzip" => {
            if let Some(k) = kernel_line(&d, problems) {
                entry.modules.push(k);
            }
        }
        "initrd" => {
            if entry.initrd.is_some() {
                dup(problems, "initrd");
            }
            entry.initrd = Some(file_line(&d, problems));
        }
        "chainloader" => entry.chainloader = Some(d.clone()),
        "savedefault" => entry.savedefault = Some(d.clone()),
        "lock" => entry.lock = Some(d.line),
        name if GLOBAL_ONLY.contains(&name) => problems.push(problem(
            d.line,
            &d.text,
            format!(
                "menu setting `{name}` inside entry {:?} has no effect there",
                entry.title
            ),
        )),
        _ => {}
    }
    entry.commands.push(d);
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

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p)
            .unwrap_or_else(|e| panic!("test corpus file {} missing: {e}", p.display()))
    }

    fn clean(p: &Path) -> GrubLegacy {
        let cfg = parse(&read(p));
        assert!(
            cfg.problems.is_empty(),
            "{}: {:#?}",
            p.display(),
            cfg.problems
        );
        assert!(!cfg.entries.is_empty(), "{}", p.display());
        cfg
    }

    /// Every `menu.lst` / `grub.conf` under the project's corpus trees.
    fn corpus_tree_files() -> Vec<PathBuf> {
        crate::parse::text::corpus_tree_files(&|p: &Path| {
            matches!(
                p.file_name().and_then(|n| n.to_str()),
                Some("menu.lst" | "grub.conf")
            )
        })
    }

    #[test]
    fn every_corpus_menu_parses_cleanly() {
        let mut files = vec![
            configs().join("augeas/boot_grub_grub.conf"),
            configs().join("debian12-grub-legacy-update-grub.menu.lst"),
            configs().join("xen-tools-bookworm/menu.lst"),
        ];
        let trees = corpus_tree_files();
        assert!(trees.len() >= 6, "{trees:?}");
        files.extend(trees);
        for f in files {
            let cfg = clean(&f);
            for e in &cfg.entries {
                assert!(e.linux().is_some(), "{}: {}", f.display(), e.title);
            }
            assert!(
                matches!(cfg.default_entry(), DefaultEntry::Entry(_)),
                "{}",
                f.display()
            );
        }
    }

    #[test]
    fn fedora_grub_conf() {
        let cfg = clean(&configs().join("augeas/boot_grub_grub.conf"));
        assert_eq!(cfg.entries.len(), 4);
        assert_eq!(cfg.default_entry(), DefaultEntry::Entry(0));
        assert_eq!(cfg.default.as_ref().unwrap().line, 10);
        assert_eq!(cfg.timeout_secs(), Some(5));
        assert_eq!(cfg.hiddenmenu.as_ref().unwrap().line, 13);
        let splash = cfg.splashimage.as_ref().unwrap();
        assert_eq!(splash.line, 12);
        assert_eq!(splash.arg_text, "(hd0,0)/grub/splash.xpm.gz");
        let e = &cfg.entries[0];
        assert_eq!(e.title, "Fedora (2.6.24.4-64.fc8)");
        let root = e.root.as_ref().unwrap();
        assert_eq!(root.line, 15);
        let dev = root.device.as_ref().unwrap();
        assert_eq!(
            (dev.kind.as_str(), dev.drive, dev.partition),
            ("hd", Some(0), Some(0))
        );
        let k = e.kernel.as_ref().unwrap();
        assert_eq!((k.line, k.path.as_str()), (16, "/vmlinuz-2.6.24.4-64.fc8"));
        assert_eq!(
            k.cmdline.root_device(),
            Some(DeviceRef::Lvm("/dev/vg00/lv00".into()))
        );
        assert_eq!(&k.text[k.cmdline_column..], "ro root=/dev/vg00/lv00");
        assert_eq!(e.initrd_path(), Some("/initrd-2.6.24.4-64.fc8.img"));
        // The Xen entry: hypervisor as kernel, dom0 kernel and initrd as modules.
        let xen = &cfg.entries[2];
        assert!(xen.is_xen());
        assert_eq!(xen.kernel.as_ref().unwrap().path, "/xen.gz-2.6.21.7-3.fc8");
        let linux = xen.linux().unwrap();
        assert_eq!(
            (linux.line, linux.path.as_str()),
            (25, "/vmlinuz-2.6.21.7-3.fc8xen")
        );
        assert!(linux.cmdline.root().is_some());
        assert_eq!(xen.initrd_path(), Some("/initrd-2.6.21.7-3.fc8xen.img"));
        assert!(!cfg.entries[0].is_xen());
        let last = &cfg.entries[3];
        assert_eq!(last.savedefault.as_ref().unwrap().line, 31);
        assert_eq!(last.end_line, 31);
    }

    #[test]
    fn debian_update_grub_menu_lst() {
        let cfg = clean(&configs().join("debian12-grub-legacy-update-grub.menu.lst"));
        assert_eq!(cfg.default.as_ref().unwrap().value, DefaultValue::Index(0));
        assert_eq!(
            cfg.color.as_ref().unwrap().args,
            ["cyan/blue", "white/blue"]
        );
        let a = cfg.automagic.as_ref().unwrap();
        assert_eq!((a.begin_line, a.end_line), (48, Some(132)));
        let kopt = a.kopt().unwrap();
        assert_eq!(kopt.line, 62);
        assert_eq!(kopt.value, "root=/dev/xvda1 ro console=hvc0");
        assert_eq!(&kopt.text[kopt.value_column..], kopt.value);
        assert!(kopt.cmdline().root_device().unwrap().is_kernel_name());
        assert_eq!(a.groot().unwrap().value, "(hd0,0)");
        assert_eq!(a.groot().unwrap().line, 66);
        assert_eq!(a.xenkopt().unwrap().value, "console=tty0");
        assert_eq!(a.get("defoptions").unwrap().value, "");
        let alt = a.get("altoptions").unwrap();
        assert_eq!(alt.line, 98);
        assert!(alt.cmdline().has("single"));
        // `## e.g. kopt=…` doc comments are not options.
        assert_eq!(a.get_all("kopt").len(), 1);
        assert_eq!(cfg.entries.len(), 2);
        let e = &cfg.entries[1];
        assert!(e.automagic);
        assert_eq!(
            e.title,
            "Debian GNU/Linux, kernel 6.1.0-50-cloud-amd64 (single-user mode)"
        );
        let k = e.kernel.as_ref().unwrap();
        assert_eq!(k.line, 129);
        let cons = k.cmdline.consoles();
        assert_eq!(cons.len(), 1);
        assert_eq!(cons[0].kind, ConsoleKind::XenPv);
        assert_eq!(
            &k.text[k.cmdline_column + cons[0].offset..][..12],
            "console=hvc0"
        );
    }

    #[test]
    fn xen_tools_menu_lst_static_entries() {
        let cfg = clean(&configs().join("xen-tools-bookworm/menu.lst"));
        assert_eq!(cfg.entries.len(), 6);
        assert_eq!(cfg.automagic.as_ref().unwrap().kopt().unwrap().line, 18);
        assert!(cfg.entries[1].automagic);
        assert!(!cfg.entries[2].automagic);
        assert_eq!(cfg.entries[4].kernel.as_ref().unwrap().path, "/vmlinuz");
        assert_eq!(cfg.entries[5].line, 109);
    }

    #[test]
    fn default_resolution() {
        let two = "title a\nkernel /a\ntitle b\nkernel /b\n";
        assert_eq!(parse(two).default_entry(), DefaultEntry::Entry(0));
        let c = parse(&format!("default 1\n{two}"));
        assert_eq!(c.default_entry(), DefaultEntry::Entry(1));
        let c = parse(&format!("default=5\n{two}"));
        assert_eq!(
            c.default_entry(),
            DefaultEntry::OutOfRange {
                index: 5,
                entries: 2
            }
        );
        assert!(c.problems.is_empty());
        let c = parse(&format!("default saved\nfallback 1 0\n{two}"));
        assert_eq!(c.default_entry(), DefaultEntry::Saved);
        assert_eq!(c.fallback_indices(), [1, 0]);
        let c = parse(&format!("default x\n{two}"));
        assert_eq!(c.default_entry(), DefaultEntry::Invalid("x".into()));
        assert_eq!(c.problems.len(), 1);
    }

    #[test]
    fn serial_terminal_and_equals_forms() {
        let c = parse(
            "serial --unit=0 --speed=115200\nterminal --timeout=5 serial console\n\
             timeout = 10\npassword --md5 $1$abc\ntitle T\n  root=(hd0)\n  kernel=(hd0,1)/boot/vmlinuz root=/dev/xvda2 console=ttyS0,115200\n  lock\n  chainloader +1\n",
        );
        assert!(c.problems.is_empty(), "{:#?}", c.problems);
        assert_eq!(
            c.serial.as_ref().unwrap().args,
            ["--unit=0", "--speed=115200"]
        );
        assert_eq!(
            c.terminal.as_ref().unwrap().args,
            ["--timeout=5", "serial", "console"]
        );
        assert_eq!(c.timeout_secs(), Some(10));
        assert_eq!(c.password.as_ref().unwrap().args[0], "--md5");
        let e = &c.entries[0];
        assert!(e
            .root
            .as_ref()
            .unwrap()
            .device
            .as_ref()
            .unwrap()
            .is_whole_disk());
        let k = e.kernel.as_ref().unwrap();
        assert_eq!(k.device.as_ref().unwrap().partition, Some(1));
        assert_eq!(k.path, "/boot/vmlinuz");
        assert_eq!(k.cmdline.consoles()[0].options.as_deref(), Some("115200"));
        assert_eq!(e.lock, Some(8));
        assert_eq!(e.chainloader.as_ref().unwrap().arg_text, "+1");
    }

    #[test]
    fn devices() {
        let d = GrubDevice::parse("(hd1,2,a)").unwrap();
        assert_eq!(
            (d.drive, d.partition, d.bsd_partition),
            (Some(1), Some(2), Some('a'))
        );
        let d = GrubDevice::parse("(hd0,b)").unwrap();
        assert_eq!((d.partition, d.bsd_partition), (None, Some('b')));
        assert_eq!(GrubDevice::parse("(nd)").unwrap().drive, None);
        assert!(GrubDevice::parse("(fd0)").unwrap().is_whole_disk());
        for bad in [
            "hd0",
            "(hd0",
            "(xy0)",
            "(hd)",
            "(hd0,x1)",
            "(hd0,1,2,3)",
            "()",
            "(hd-1)",
        ] {
            assert!(GrubDevice::parse(bad).is_none(), "{bad}");
        }
        assert!(split_device("(hd0,0/vmlinuz").is_err());
        assert_eq!(split_device("/vmlinuz").unwrap(), (None, "/vmlinuz"));
    }

    #[test]
    fn kernel_flags() {
        let c = parse("title x\nkernel --type=linux --no-mem-option /vmlinuz ro\n");
        let k = c.entries[0].kernel.as_ref().unwrap();
        assert_eq!(k.flags, ["--type=linux", "--no-mem-option"]);
        assert_eq!(k.path, "/vmlinuz");
        assert_eq!(&k.text[k.cmdline_column..], "ro");
        let c = parse("title x\nkernel /vmlinuz\n");
        let k = c.entries[0].kernel.as_ref().unwrap();
        assert!(k.cmdline.params.is_empty());
        assert_eq!(k.cmdline_column, k.text.len());
    }

    #[test]
    fn junk_lines_are_problems() {
        let text = "garbage here\nkernel /early\ntimeout x\ndefault\ntitle A\n root (hd0,\n kernel\n \
                    initrd\n default 1\n kernel /a\n kernel /b\n### BEGIN AUTOMAGIC KERNELS LIST\n# kopt=x\n";
        let c = parse(text);
        let lines: Vec<usize> = c.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 6, 7, 8, 9, 11, 12], "{:#?}", c.problems);
        assert_eq!(c.problems[0].text, "garbage here");
        assert_eq!(c.entries.len(), 1);
        assert_eq!(c.entries[0].kernel.as_ref().unwrap().path, "/b");
        assert_eq!(c.automagic.as_ref().unwrap().kopt().unwrap().value, "x");
    }

    #[test]
    fn random_bytes_never_panic() {
        for s in crate::parse::text::noise(300, b" \t\n#=()/,hd0123titlekernelroot") {
            let c = parse(&s);
            let _ = c.default_entry();
            for e in &c.entries {
                let _ = (e.linux(), e.initrd_path(), e.is_xen());
                if let Some(k) = &e.kernel {
                    assert!(k.cmdline_column <= k.text.len());
                }
            }
        }
    }
}
