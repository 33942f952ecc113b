//! The guest's init, login and network configuration as rules read it: `/etc/inittab`, upstart
//! jobs, systemd enablement links, `/etc/securetty`, udev network-name rules, `ifcfg-*` files,
//! modprobe configs and Xen guest tools. Each accessor reads and parses its (tiny) files on every
//! call; nothing here is cached.

use super::{parsed, Context, Parsed};
use crate::fs::FileKind;
use crate::guest::inventory::InitKind;
use crate::parse::cmdline::ConsoleKind;
use crate::parse::ifcfg::{self, Ifcfg};
use crate::parse::inittab::{self, Inittab};
use crate::parse::modprobe::{self, ModprobeConf};
use crate::parse::securetty::{self, Securetty};
use crate::parse::systemd_units::{self, EnablementLink};
use crate::parse::udev_net::{self, UdevRules};
use crate::parse::upstart::{self, UpstartJob};
use crate::rules::Target;

/// Most entries read from one directory.
const MAX_DIR_ENTRIES: usize = 1024;

/// Where systemd keeps the administrator's enablement links and masks.
const SYSTEMD_ETC: &str = "/etc/systemd/system";

/// An upstart job file in `/etc/init`.
#[derive(Debug)]
pub struct UpstartJobFile {
    /// Job name (`hvc0` for `/etc/init/hvc0.conf`).
    pub name: String,
    /// `/etc/init/NAME.override` holds `manual`: the job never starts by itself.
    pub manual: bool,
    pub job: Parsed<UpstartJob>,
}

/// A systemd enablement link or mask with its guest path.
#[derive(Debug)]
pub struct UnitLink {
    /// `/etc/systemd/system/getty.target.wants/serial-getty@hvc0.service`.
    pub path: String,
    pub link: EnablementLink,
}

/// A login prompt the guest's init starts on boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveGetty {
    /// Terminal without `/dev/` (`hvc0`, `ttyS0`, `tty1`).
    pub tty: String,
    /// The file that makes it run (inittab, job, enablement link, boot config); `None` for a
    /// getty systemd's generator adds for a console the hypervisor provides.
    pub path: Option<String>,
    pub line: Option<usize>,
    /// The line as written, when there is one.
    pub text: Option<String>,
    /// How it is started, in words (`inittab entry`, `upstart job`, …).
    pub via: &'static str,
    /// It runs on whatever the console is (RHEL 6 `serial.conf`, systemd's generator) rather
    /// than on a terminal named in a config file.
    pub follows_console: bool,
}

impl ActiveGetty {
    /// Runs on the Xen PV console (`hvc*`, `xvc*`).
    pub fn is_pv_console(&self) -> bool {
        ConsoleKind::of(&self.tty) == ConsoleKind::XenPv
    }
}

/// A Xen PV front-end alias in a modprobe config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XenAlias {
    pub path: String,
    pub line: usize,
    pub text: String,
    /// `eth0`, `scsi_hostadapter`.
    pub pattern: String,
    /// The module as written (`xennet`, `xen-blkfront`).
    pub module: String,
    /// `true` for a network alias, `false` for a disk one.
    pub network: bool,
}

/// `true` for an `ifcfg-*` name initscripts ignores (backups, package manager leftovers).
fn ignored_ifcfg(name: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "~",
        ".bak",
        ".orig",
        ".rpmnew",
        ".rpmorig",
        ".rpmsave",
        ".old",
        ".dpkg-old",
    ];
    SUFFIXES.iter().any(|s| name.ends_with(s))
}

impl<'g> Context<'g> {
    /// Names of the entries of `dir` (none when it is missing), sorted, capped.
    fn dir_entries(&self, dir: &str) -> Vec<(String, FileKind)> {
        self.guest
            .files()
            .read_dir(dir)
            .map(|v| {
                v.into_iter()
                    .take(MAX_DIR_ENTRIES)
                    .map(|e| (e.name, e.kind))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Parse every file of `dir` whose name passes `keep`, once per canonical path.
    fn parse_dir<T>(
        &self,
        dir: &str,
        keep: fn(&str) -> bool,
        parse: fn(&str) -> T,
    ) -> Vec<Parsed<T>> {
        let mut out: Vec<Parsed<T>> = Vec::new();
        for (name, _) in self.dir_entries(dir) {
            if !keep(&name) {
                continue;
            }
            let Some(p) = parsed::file(self.guest.files(), &format!("{dir}/{name}"), parse) else {
                continue;
            };
            if !out.iter().any(|q| q.path == p.path) {
                out.push(p);
            }
        }
        out
    }

    /// `/etc/inittab`, parsed.
    pub fn inittab(&self) -> Option<Parsed<Inittab>> {
        parsed::file(self.guest.files(), "/etc/inittab", inittab::parse)
    }

    /// Every `/etc/init/*.conf` upstart job, with whether an override disables it.
    pub fn upstart_jobs(&self) -> Vec<UpstartJobFile> {
        let mut out = Vec::new();
        for (name, _) in self.dir_entries("/etc/init") {
            let Some(job) = name.strip_suffix(".conf") else {
                continue;
            };
            let files = self.guest.files();
            let Some(p) = parsed::file(files, &format!("/etc/init/{name}"), upstart::parse) else {
                continue;
            };
            let manual = parsed::file(files, &format!("/etc/init/{job}.override"), upstart::parse)
                .is_some_and(|o| o.doc.stanza("manual").is_some());
            out.push(UpstartJobFile {
                name: job.to_string(),
                manual,
                job: p,
            });
        }
        out
    }

    /// systemd enablement links in `/etc/systemd/system/*.wants/` (and `.requires/`,
    /// `.upholds/`), and the links directly in `/etc/systemd/system` (masks, aliases).
    pub fn getty_links(&self) -> Vec<UnitLink> {
        let files = self.guest.files();
        let mut out = Vec::new();
        let link = |dir: &str, path: String, name: &str| -> Option<UnitLink> {
            let target = files.read_link(&path).ok()?;
            Some(UnitLink {
                link: systemd_units::parse_link(dir, name, &target),
                path,
            })
        };
        for (name, kind) in self.dir_entries(SYSTEMD_ETC) {
            let path = format!("{SYSTEMD_ETC}/{name}");
            match kind {
                FileKind::Symlink => out.extend(link("", path, &name)),
                FileKind::Dir
                    if [".wants", ".requires", ".upholds"]
                        .iter()
                        .any(|s| name.ends_with(s)) =>
                {
                    for (unit, k) in self.dir_entries(&path) {
                        if k == FileKind::Symlink {
                            out.extend(link(&name, format!("{path}/{unit}"), &unit));
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// `/etc/securetty`, parsed (`None`: no file, so no restriction).
    pub fn securetty(&self) -> Option<Parsed<Securetty>> {
        parsed::file(self.guest.files(), "/etc/securetty", securetty::parse)
    }

    /// Every `/etc/udev/rules.d/*.rules` file (`70-persistent-net.rules` among them).
    pub fn udev_net_rules(&self) -> Vec<Parsed<UdevRules>> {
        self.parse_dir(
            "/etc/udev/rules.d",
            |n| n.ends_with(".rules"),
            udev_net::parse,
        )
    }

    /// Every `ifcfg-*` in `/etc/sysconfig/network-scripts` (Red Hat) and
    /// `/etc/sysconfig/network` (SUSE), without the backups initscripts skips.
    pub fn ifcfg_files(&self) -> Vec<Parsed<Ifcfg>> {
        let keep = |n: &str| n.starts_with("ifcfg-") && n.len() > 6 && !ignored_ifcfg(n);
        let mut out = self.parse_dir("/etc/sysconfig/network-scripts", keep, ifcfg::parse);
        for p in self.parse_dir("/etc/sysconfig/network", keep, ifcfg::parse) {
            if !out.iter().any(|q| q.path == p.path) {
                out.push(p);
            }
        }
        out
    }

    /// `/etc/modprobe.conf` and every `/etc/modprobe.d/*.conf`.
    pub fn modprobe_confs(&self) -> Vec<Parsed<ModprobeConf>> {
        let mut out: Vec<Parsed<ModprobeConf>> =
            parsed::file(self.guest.files(), "/etc/modprobe.conf", modprobe::parse)
                .into_iter()
                .collect();
        for p in self.parse_dir("/etc/modprobe.d", |n| n.ends_with(".conf"), modprobe::parse) {
            if !out.iter().any(|q| q.path == p.path) {
                out.push(p);
            }
        }
        out
    }

    /// `alias ethN xennet|xen-netfront|xen-vnif` and `alias scsi_hostadapterN
    /// xenblk|xen-blkfront|xen-vbd` lines of every modprobe config.
    pub fn xen_driver_aliases(&self) -> Vec<XenAlias> {
        let is_eth = |p: &str| {
            p.strip_prefix("eth")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let is_hostadapter = |p: &str| {
            p.strip_prefix("scsi_hostadapter")
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        };
        let mut out = Vec::new();
        for conf in self.modprobe_confs() {
            for l in &conf.doc.lines {
                let modprobe::ModprobeCommand::Alias { pattern, module } = &l.command else {
                    continue;
                };
                let m = modprobe::normalize_module_name(module);
                let network = match m.as_str() {
                    "xennet" | "xen_netfront" | "xen_vnif" if is_eth(pattern) => true,
                    "xenblk" | "xen_blkfront" | "xen_vbd" if is_hostadapter(pattern) => false,
                    _ => continue,
                };
                out.push(XenAlias {
                    path: conf.path.clone(),
                    line: l.line,
                    text: l.text.clone(),
                    pattern: pattern.clone(),
                    module: module.clone(),
                    network,
                });
            }
        }
        out
    }

    /// Files of the XenServer guest tools (xe-guest-utilities) present in the guest.
    pub fn xen_guest_tools(&self) -> Vec<String> {
        const PATHS: &[&str] = &[
            "/usr/sbin/xe-daemon",
            "/usr/sbin/xe-linux-distribution",
            "/etc/init.d/xe-linux-distribution",
            "/etc/systemd/system/xe-linux-distribution.service",
            "/lib/systemd/system/xe-linux-distribution.service",
            "/usr/lib/systemd/system/xe-linux-distribution.service",
            "/etc/systemd/system/multi-user.target.wants/xe-linux-distribution.service",
        ];
        let files = self.guest.files();
        let mut out: Vec<String> = Vec::new();
        for p in PATHS {
            if files.exists(p) {
                let c = files.canonicalize(p).unwrap_or_else(|_| p.to_string());
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// The device `/dev/console` is on the target when the default entry boots: its last
    /// `console=`; without one, the PV console (hvc0, xvc0 for XenLinux kernels) on xen-pv and
    /// the VGA console (tty0) elsewhere. `None` without a default entry.
    pub fn console_device(&self) -> Option<String> {
        let e = self.default_entry()?;
        if let Some(c) = e.cmdline.consoles().last() {
            return Some(c.device.clone());
        }
        Some(if self.target == Target::XenPv {
            if e.kernel_version().is_some_and(|v| v.contains("xen")) {
                "xvc0".to_string()
            } else {
                "hvc0".to_string()
            }
        } else {
            "tty0".to_string()
        })
    }

    /// The login prompts the guest's init (as detected) starts on the target: inittab entries
    /// (sysvinit), upstart jobs (a job with a variable tty started by
    /// `fedora.serial-console-available`, RHEL 6 `serial.conf`, serves the primary console only),
    /// or systemd enabled getty units plus those `systemd-getty-generator` adds (every non-VGA
    /// `console=` of the default entry, and hvc0 where the hypervisor provides it) unless masked.
    pub fn gettys(&self) -> Vec<ActiveGetty> {
        match self.inventory.init.kind {
            InitKind::Sysvinit => self.inittab_gettys(),
            InitKind::Upstart => self.upstart_gettys(),
            InitKind::Systemd => self.systemd_gettys(),
            InitKind::Unknown => Vec::new(),
        }
    }

    fn inittab_gettys(&self) -> Vec<ActiveGetty> {
        let Some(t) = self.inittab() else {
            return Vec::new();
        };
        t.doc
            .gettys()
            .into_iter()
            .filter(|(_, _, action)| *action != "off")
            .map(|(line, tty, _)| ActiveGetty {
                tty: tty.to_string(),
                path: Some(t.path.clone()),
                line: Some(line),
                text: t
                    .doc
                    .entries
                    .iter()
                    .find(|e| e.line == line)
                    .map(|e| e.text.clone()),
                via: "inittab entry",
                follows_console: false,
            })
            .collect()
    }

    fn upstart_gettys(&self) -> Vec<ActiveGetty> {
        let console = self.console_device();
        let mut out = Vec::new();
        for j in self.upstart_jobs() {
            if j.manual {
                continue;
            }
            let Some((line, g)) = j.job.doc.getty() else {
                continue;
            };
            let Some(tty) = g.tty else { continue };
            let text = j
                .job
                .doc
                .stanzas
                .iter()
                .find(|s| s.line == line)
                .map(|s| s.text.clone());
            let (tty, via, follows_console) = if !g.tty_is_variable {
                (tty, "upstart job", false)
            } else if j
                .job
                .doc
                .start_words()
                .contains(&"fedora.serial-console-available")
            {
                // Only for a serial or PV primary console; a VGA one gets the tty jobs.
                match &console {
                    Some(c) if ConsoleKind::of(c) != ConsoleKind::Vga => {
                        (c.clone(), "upstart job for the primary console", true)
                    }
                    _ => continue,
                }
            } else {
                continue;
            };
            out.push(ActiveGetty {
                tty,
                path: Some(j.job.path.clone()),
                line: Some(line),
                text,
                via,
                follows_console,
            });
        }
        out
    }

    fn systemd_gettys(&self) -> Vec<ActiveGetty> {
        let links = self.getty_links();
        let masked = |unit: &str| {
            links
                .iter()
                .any(|l| l.link.masked && l.link.wanted_by.is_none() && l.link.name == unit)
        };
        let mut out: Vec<ActiveGetty> = Vec::new();
        for l in &links {
            if l.link.masked || l.link.wanted_by.is_none() {
                continue;
            }
            let Some(tty) = &l.link.getty_tty else {
                continue;
            };
            if masked(&l.link.name) {
                continue;
            }
            out.push(ActiveGetty {
                tty: tty.clone(),
                path: Some(l.path.clone()),
                line: None,
                text: Some(format!("{} -> {}", l.link.name, l.link.target)),
                via: "enabled systemd unit",
                follows_console: false,
            });
        }
        let mut generated: Vec<ActiveGetty> = Vec::new();
        if let Some(e) = self.default_entry() {
            for c in e.cmdline.consoles() {
                if matches!(c.kind, ConsoleKind::Vga) || c.device.is_empty() {
                    continue;
                }
                generated.push(ActiveGetty {
                    tty: c.device.clone(),
                    path: Some(e.config.clone()),
                    line: Some(e.cmdline_line),
                    text: Some(e.cmdline_text.clone()),
                    via: "systemd-getty-generator (console= on the default entry)",
                    follows_console: true,
                });
            }
        }
        if matches!(self.target, Target::XenPv | Target::XenPvhvm) {
            generated.push(ActiveGetty {
                tty: "hvc0".to_string(),
                path: None,
                line: None,
                text: None,
                via: "systemd-getty-generator (the Xen console exists)",
                follows_console: true,
            });
        }
        for g in generated {
            let unit = format!("serial-getty@{}.service", g.tty);
            if !masked(&unit) && !out.iter().any(|o| o.tty == g.tty) {
                out.push(g);
            }
        }
        out
    }
}
