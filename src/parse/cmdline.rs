//! Splits a Linux kernel command line the way the kernel does (`lib/cmdline.c` `next_arg`):
//! whitespace separates parameters, double quotes group (`root="LABEL=my root"`), `--` ends the
//! kernel's parameters (the rest goes to init). Helpers answer what the audit rules ask: the
//! `console=` list, `root=`/`resume=` as [`DeviceRef`]s, and the PV-only arguments.
//! GRUB variables (`$kernelopts`, `${extra_cmdline}`) are kept verbatim and flagged unexpanded.

use super::devref::DeviceRef;
use serde::Serialize;

/// One kernel parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Param {
    /// Name (before the first `=`), surrounding quotes removed as the kernel does.
    pub name: String,
    /// Value after the first `=` (quotes removed); `None` for a bare flag such as `ro`.
    pub value: Option<String>,
    /// The parameter exactly as written, quotes included.
    pub raw: String,
    /// Byte offset of `raw` in the command line string (add the command line's own column in
    /// its config line to get the column in the file).
    pub offset: usize,
    /// Contains a GRUB/shell variable reference (`$name`, `${name}`) left unexpanded.
    pub unexpanded: bool,
}

impl Param {
    /// Value, or `""` for a bare flag.
    pub fn value_str(&self) -> &str {
        self.value.as_deref().unwrap_or("")
    }
}

/// What kind of device a `console=` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsoleKind {
    /// Xen PV console: `hvc*` (pvops kernels) or `xvc*` (old XenLinux kernels).
    XenPv,
    /// Serial port: `ttyS*`, `ttyAMA*`, `ttyUSB*`, `uart*`/`uart8250`.
    Serial,
    /// Virtual terminal on the VGA/framebuffer console: `tty`, `tty0`…`tty63`.
    Vga,
    /// Anything else (`lp0`, `netcon0`, empty, …).
    Other,
}

/// One `console=` parameter: `console=ttyS0,115200n8` is device `ttyS0`, options `115200n8`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Console {
    pub device: String,
    pub options: Option<String>,
    pub kind: ConsoleKind,
    /// Byte offset of the `console=` parameter in the command line.
    pub offset: usize,
}

impl ConsoleKind {
    /// Classifies a console device name.
    pub fn of(device: &str) -> ConsoleKind {
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if let Some(n) = device
            .strip_prefix("hvc")
            .or_else(|| device.strip_prefix("xvc"))
        {
            if digits(n) {
                return ConsoleKind::XenPv;
            }
        }
        for p in ["ttyS", "ttyAMA", "ttyUSB"] {
            if let Some(n) = device.strip_prefix(p) {
                if !n.is_empty() && digits(n) {
                    return ConsoleKind::Serial;
                }
            }
        }
        if device.starts_with("uart") {
            return ConsoleKind::Serial;
        }
        if let Some(n) = device.strip_prefix("tty") {
            if digits(n) {
                return ConsoleKind::Vga;
            }
        }
        ConsoleKind::Other
    }
}

/// A parsed kernel command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cmdline {
    /// The command line as given.
    pub raw: String,
    /// Kernel parameters, in order.
    pub params: Vec<Param>,
    /// Arguments after `--` (passed to init), offsets still relative to `raw`.
    pub init_args: Vec<Param>,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// `true` when `s` holds `$name` or `${…}` (a GRUB or shell variable reference).
pub fn has_variable(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'$' && (w[1] == b'{' || w[1] == b'_' || w[1].is_ascii_alphanumeric()))
}

/// Kernel parameter names treat `-` and `_` alike (`parameq`).
fn name_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes().zip(b.bytes()).all(|(x, y)| {
            let n = |c: u8| if c == b'-' { b'_' } else { c };
            n(x) == n(y)
        })
}

impl Cmdline {
    /// Splits `s` like the kernel. Never fails.
    pub fn parse(s: &str) -> Cmdline {
        let b = s.as_bytes();
        let mut out = Cmdline {
            raw: s.to_string(),
            ..Cmdline::default()
        };
        let mut i = 0;
        let mut after_dashes = false;
        while i < b.len() {
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            let start = i;
            let quoted = b[i] == b'"';
            let mut in_quote = quoted;
            let body = if quoted { i + 1 } else { i };
            let mut j = body;
            let mut equals = None;
            while j < b.len() {
                if is_space(b[j]) && !in_quote {
                    break;
                }
                if equals.is_none() && b[j] == b'=' {
                    equals = Some(j);
                }
                if b[j] == b'"' {
                    in_quote = !in_quote;
                }
                j += 1;
            }
            let end = j;
            i = end;
            // Trailing quote dropped when the argument or its value began with one.
            let value_quoted = equals.is_some_and(|e| b.get(e + 1) == Some(&b'"'));
            let mut body_end = end;
            if (quoted || value_quoted) && end > body && b[end - 1] == b'"' {
                body_end = end - 1;
            }
            let (name, value) = match equals {
                Some(e) if e < body_end => {
                    let mut v = e + 1;
                    if value_quoted {
                        v += 1;
                    }
                    let v = v.min(body_end);
                    (&s[body..e], Some(s[v..body_end].to_string()))
                }
                Some(e) => (&s[body..e.min(body_end)], Some(String::new())),
                None => (&s[body..body_end.max(body)], None),
            };
            let raw = &s[start..end];
            let param = Param {
                name: name.to_string(),
                value,
                raw: raw.to_string(),
                offset: start,
                unexpanded: has_variable(raw),
            };
            if after_dashes {
                out.init_args.push(param);
            } else if param.name == "--" && param.value.is_none() && !quoted {
                after_dashes = true;
            } else {
                out.params.push(param);
            }
        }
        out
    }

    /// Every kernel parameter called `name` (`-` and `_` alike), in order.
    pub fn get_all(&self, name: &str) -> Vec<&Param> {
        self.params
            .iter()
            .filter(|p| name_eq(&p.name, name))
            .collect()
    }

    /// The last parameter called `name` (the one the kernel acts on for `root=`, `resume=`…).
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.params.iter().rev().find(|p| name_eq(&p.name, name))
    }

    /// `true` when a parameter called `name` is present, with or without a value.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Value of the last `name=` parameter.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|p| p.value.as_deref())
    }

    /// Each `console=` in order (the last one becomes `/dev/console`).
    pub fn consoles(&self) -> Vec<Console> {
        self.get_all("console")
            .into_iter()
            .map(|p| {
                let v = p.value_str();
                let (device, options) = match v.split_once(',') {
                    Some((d, o)) => (d, Some(o.to_string())),
                    None => (v, None),
                };
                Console {
                    device: device.to_string(),
                    options,
                    kind: ConsoleKind::of(device),
                    offset: p.offset,
                }
            })
            .collect()
    }

    /// The effective `root=` parameter (the last one).
    pub fn root(&self) -> Option<&Param> {
        self.get("root")
    }

    /// `root=` classified; `None` when absent or unexpanded.
    pub fn root_device(&self) -> Option<DeviceRef> {
        self.root()
            .filter(|p| !p.unexpanded)
            .map(|p| DeviceRef::parse(p.value_str()))
    }

    /// The effective `resume=` parameter (the last one).
    pub fn resume(&self) -> Option<&Param> {
        self.get("resume")
    }

    /// `resume=` classified; `None` when absent or unexpanded.
    pub fn resume_device(&self) -> Option<DeviceRef> {
        self.resume()
            .filter(|p| !p.unexpanded)
            .map(|p| DeviceRef::parse(p.value_str()))
    }

    /// `xencons=` parameters (XenLinux / early pvops PV console selection).
    pub fn xencons(&self) -> Vec<&Param> {
        self.get_all("xencons")
    }

    /// `earlyprintk=xen…` parameters.
    pub fn earlyprintk_xen(&self) -> Vec<&Param> {
        self.get_all("earlyprintk")
            .into_iter()
            .filter(|p| p.value_str().starts_with("xen"))
            .collect()
    }

    /// Every PV-only argument (`xencons=`, `earlyprintk=xen`), in command-line order.
    pub fn pv_only_args(&self) -> Vec<&Param> {
        self.params
            .iter()
            .filter(|p| {
                name_eq(&p.name, "xencons")
                    || (name_eq(&p.name, "earlyprintk") && p.value_str().starts_with("xen"))
            })
            .collect()
    }

    /// `true` when any parameter holds an unexpanded variable: the real command line is only
    /// known at boot (`$kernelopts` in BLS entries, `$tuned_params`).
    pub fn has_unexpanded(&self) -> bool {
        self.params
            .iter()
            .chain(&self.init_args)
            .any(|p| p.unexpanded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::devref::DiskPrefix;

    fn names(c: &Cmdline) -> Vec<(&str, Option<&str>)> {
        c.params
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_deref()))
            .collect()
    }

    #[test]
    fn splits_like_the_kernel() {
        let c = Cmdline::parse("  ro root=/dev/xvda1\tconsole=hvc0  quiet ");
        assert_eq!(
            names(&c),
            [
                ("ro", None),
                ("root", Some("/dev/xvda1")),
                ("console", Some("hvc0")),
                ("quiet", None)
            ]
        );
        assert_eq!(c.params[1].offset, 5);
        assert_eq!(c.params[2].raw, "console=hvc0");
        assert_eq!(&c.raw[c.params[2].offset..][..12], "console=hvc0");
    }

    #[test]
    fn quotes() {
        let c = Cmdline::parse(r#"root="LABEL=my root" "quoted flag" a="b c"d x="" e="#);
        assert_eq!(
            names(&c),
            [
                ("root", Some("LABEL=my root")),
                ("quoted flag", None),
                ("a", Some("b c\"d")),
                ("x", Some("")),
                ("e", Some("")),
            ]
        );
        assert_eq!(c.params[0].raw, r#"root="LABEL=my root""#);
        assert_eq!(
            c.root_device(),
            Some(DeviceRef::Label("my root".to_string()))
        );
        // A quote opened and never closed swallows the rest, as in the kernel.
        let c = Cmdline::parse(r#"a "b c d"#);
        assert_eq!(names(&c), [("a", None), ("b c d", None)]);
        let c = Cmdline::parse("\"");
        assert_eq!(names(&c), [("", None)]);
    }

    #[test]
    fn double_dash_ends_kernel_args() {
        let c = Cmdline::parse("ro console=ttyS0 -- single console=hvc0");
        assert_eq!(c.consoles().len(), 1);
        assert_eq!(c.init_args.len(), 2);
        assert_eq!(c.init_args[0].name, "single");
    }

    #[test]
    fn consoles_root_resume_pv() {
        let c = Cmdline::parse(
            "root=/dev/xvda1 resume=UUID=abc console=tty0 console=ttyS0,115200n8 console=hvc0 \
             console=xvc0 xencons=tty earlyprintk=xen,keep earlyprintk=vga root=/dev/sda2",
        );
        let cons = c.consoles();
        let v: Vec<_> = cons
            .iter()
            .map(|c| (c.device.as_str(), c.options.as_deref(), c.kind))
            .collect();
        assert_eq!(
            v,
            [
                ("tty0", None, ConsoleKind::Vga),
                ("ttyS0", Some("115200n8"), ConsoleKind::Serial),
                ("hvc0", None, ConsoleKind::XenPv),
                ("xvc0", None, ConsoleKind::XenPv),
            ]
        );
        assert_eq!(c.get_all("root").len(), 2);
        match c.root_device() {
            Some(DeviceRef::KernelName { disk, partition }) => {
                assert_eq!((disk.prefix, partition), (DiskPrefix::Sd, Some(2)))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.resume_device(), Some(DeviceRef::Uuid("abc".into())));
        assert_eq!(c.xencons().len(), 1);
        assert_eq!(c.earlyprintk_xen().len(), 1);
        let pv: Vec<_> = c.pv_only_args().iter().map(|p| p.raw.as_str()).collect();
        assert_eq!(pv, ["xencons=tty", "earlyprintk=xen,keep"]);
        assert!(!c.has_unexpanded());
        assert_eq!(ConsoleKind::of("uart8250"), ConsoleKind::Serial);
        assert_eq!(ConsoleKind::of("ttyS"), ConsoleKind::Other);
        assert_eq!(ConsoleKind::of("lp0"), ConsoleKind::Other);
    }

    #[test]
    fn grub_variables_are_unexpanded() {
        let c = Cmdline::parse("$kernelopts ${extra_cmdline} root=$root_dev ro cost=$5");
        let flags: Vec<bool> = c.params.iter().map(|p| p.unexpanded).collect();
        assert_eq!(flags, [true, true, true, false, true]);
        assert_eq!(c.params[0].name, "$kernelopts");
        assert!(c.has_unexpanded());
        assert_eq!(c.root_device(), None);
        assert!(c.root().is_some());
    }

    #[test]
    fn dash_underscore_names() {
        let c = Cmdline::parse("rd.lvm.lv=a net-ifnames=0");
        assert_eq!(c.value("net_ifnames"), Some("0"));
        assert!(c.has("rd.lvm.lv"));
    }

    #[test]
    fn random_bytes_never_panic() {
        for s in crate::parse::text::noise(400, b" \t\"=,$-{}_console=hvc0root") {
            let c = Cmdline::parse(&s);
            let _ = (
                c.consoles(),
                c.root_device(),
                c.resume_device(),
                c.pv_only_args(),
            );
            for p in &c.params {
                assert_eq!(&s[p.offset..p.offset + p.raw.len()], p.raw);
            }
        }
    }
}
