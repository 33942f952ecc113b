//! Login-prompt and console rules (CON005–CON008, CON012) on real guests built at test time with
//! sysvinit, upstart and systemd evidence.

mod common;

use common::guest::*;
use common::*;
use serde_json::Value;

const DEBIAN9: &str = "ID=debian\nVERSION_ID=\"9\"\n";
const DEBIAN7: &str = "PRETTY_NAME=\"Debian GNU/Linux 7 (wheezy)\"\nID=debian\nVERSION_ID=\"7\"\n";
const UBUNTU: &str = "ID=ubuntu\nVERSION_ID=\"14.04\"\n";
const CENTOS6: &str = "ID=centos\nVERSION_ID=\"6\"\n";
const HVM: [&str; 4] = ["xen-hvm", "xen-pvhvm", "kvm", "nitro"];

/// A guest booting one GRUB legacy entry (line 5 carries the command line) and a second one.
fn base(os: &str, cmdline: &str) -> GuestSpec {
    GuestSpec::new()
        .file("/etc/os-release", os)
        .file(
            "/etc/fstab",
            &format!("UUID={ROOT_UUID} / ext4 defaults 0 1\n"),
        )
        .file(
            "/boot/grub/menu.lst",
            &format!(
                "default 0\ntimeout 5\ntitle Linux\n\troot (hd0,0)\n\
                 \tkernel /boot/vmlinuz-4.9.0-13-amd64 root=UUID={ROOT_UUID} ro {cmdline}\n\
                 \tinitrd /boot/initrd.img-4.9.0-13-amd64\n\
                 title Linux (serial)\n\troot (hd0,0)\n\
                 \tkernel /boot/vmlinuz-4.9.0-13-amd64 root=UUID={ROOT_UUID} ro console=ttyS0\n\
                 \tinitrd /boot/initrd.img-4.9.0-13-amd64\n"
            ),
        )
        .file("/boot/vmlinuz-4.9.0-13-amd64", "kernel")
        .file("/boot/initrd.img-4.9.0-13-amd64", "initrd")
}

/// sysvinit: a regular /sbin/init with sysvinit's marker and the given inittab.
fn sysvinit(g: GuestSpec, inittab: &str) -> GuestSpec {
    g.file("/sbin/init", "\x7fELF INIT_VERSION=sysvinit-2.88")
        .file("/etc/inittab", inittab)
}

/// upstart: /sbin/initctl and job files in /etc/init.
fn upstart(g: GuestSpec, jobs: &[(&str, &str)]) -> GuestSpec {
    let mut g = g
        .file("/sbin/init", "\x7fELF com.ubuntu.Upstart")
        .file("/sbin/initctl", "\x7fELF initctl");
    for (name, text) in jobs {
        g = g.file(&format!("/etc/init/{name}"), text);
    }
    g
}

/// systemd: /sbin/init -> /lib/systemd/systemd and getty.target.wants links.
fn systemd(g: GuestSpec, wants: &[&str]) -> GuestSpec {
    let mut g = g
        .file("/lib/systemd/systemd", "\x7fELF systemd.unit=")
        .file(
            "/lib/systemd/system/serial-getty@.service",
            "[Service]\nExecStart=-/sbin/agetty --keep-baud 115200,38400,9600 %I $TERM\n",
        )
        .file(
            "/lib/systemd/system/getty@.service",
            "[Service]\nExecStart=-/sbin/agetty --noclear %I $TERM\n",
        )
        .symlink("/sbin/init", "/lib/systemd/systemd");
    for unit in wants {
        let template = if unit.starts_with("serial-getty@") {
            "/lib/systemd/system/serial-getty@.service"
        } else {
            "/lib/systemd/system/getty@.service"
        };
        g = g.symlink(
            &format!("/etc/systemd/system/getty.target.wants/{unit}"),
            template,
        );
    }
    g
}

fn findings(img: &std::path::Path, target: &str, code: &str) -> Vec<Value> {
    check_json(img, target)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .cloned()
        .collect()
}

fn at(f: &Value) -> (String, Option<u64>, String) {
    (
        f["location"]["path"].as_str().unwrap_or("").to_string(),
        f["location"]["line"].as_u64(),
        f["severity"].as_str().unwrap().to_string(),
    )
}

const INITTAB_HVC0: &str = "id:2:initdefault:\n\
si::sysinit:/etc/init.d/rcS\n\
1:2345:respawn:/sbin/getty 38400 tty1\n\
2:23:respawn:/sbin/getty 38400 tty2\n\
#T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100\n\
h0:2345:respawn:/sbin/getty -L 115200 hvc0 vt102\n";

#[test]
fn con005_inittab_getty_on_hvc0_only() {
    let d = tempfile::tempdir().unwrap();
    let img = sysvinit(base(DEBIAN9, "console=hvc0"), INITTAB_HVC0).build(d.path());
    for t in HVM {
        let f = findings(&img, t, "CON005");
        assert_eq!(f.len(), 1, "{t}: {f:?}");
        let sev = if t == "xen-pvhvm" { "warning" } else { "error" };
        assert_eq!(
            at(&f[0]),
            ("/etc/inittab".to_string(), Some(6), sev.to_string()),
            "{t}"
        );
        assert_eq!(
            f[0]["text"],
            "h0:2345:respawn:/sbin/getty -L 115200 hvc0 vt102"
        );
        assert_eq!(f[0]["fix"]["kind"], "safe");
        assert!(f[0]["fix"]["description"]
            .as_str()
            .unwrap()
            .contains("ttyS0"));
    }
    assert!(findings(&img, "xen-pv", "CON005").is_empty());

    // Debian 7 has no hvc0 under HVM: an error on xen-pvhvm too, and the fix replaces hvc0.
    let d7 = tempfile::tempdir().unwrap();
    let img = sysvinit(base(DEBIAN7, "console=hvc0"), INITTAB_HVC0).build(d7.path());
    let f = findings(&img, "xen-pvhvm", "CON005");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["severity"], "error");
    assert!(f[0]["fix"]["description"]
        .as_str()
        .unwrap()
        .starts_with("replace hvc0 by ttyS0"));

    // A ttyS0 line switched `off` does not count; an xvc0 (XenLinux) getty is a PV console too.
    let d2 = tempfile::tempdir().unwrap();
    let img = sysvinit(
        base(DEBIAN9, "console=xvc0"),
        "id:3:initdefault:\nco:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav\n\
         S0:2345:off:/sbin/agetty ttyS0 115200\n",
    )
    .build(d2.path());
    let f = findings(&img, "kvm", "CON005");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(at(&f[0]).1, Some(2));
}

#[test]
fn con005_not_with_a_ttys0_getty_or_another_init() {
    let d = tempfile::tempdir().unwrap();
    let inittab = format!("{INITTAB_HVC0}T0:23:respawn:/sbin/getty -L ttyS0 115200 vt100\n");
    let img = sysvinit(base(DEBIAN9, "console=hvc0"), &inittab).build(d.path());
    for t in HVM {
        assert!(findings(&img, t, "CON005").is_empty(), "{t}");
    }
    // The same inittab on a systemd guest is not read for gettys.
    let d2 = tempfile::tempdir().unwrap();
    let img = systemd(base(DEBIAN9, "console=hvc0"), &[])
        .file("/etc/inittab", INITTAB_HVC0)
        .build(d2.path());
    assert!(!codes(&img, "kvm").contains(&"CON005".to_string()));
}

const HVC0_JOB: &str = "# hvc0 - getty\n\
#\n\
start on stopped rc RUNLEVEL=[2345]\n\
stop on runlevel [!2345]\n\
\n\
respawn\n\
exec /sbin/getty -8 38400 hvc0\n";
const TTY1_JOB: &str =
    "start on stopped rc RUNLEVEL=[2345]\nstop on runlevel [!2345]\nrespawn\nexec /sbin/getty -8 38400 tty1\n";
const SERIAL_JOB: &str =
    "start on fedora.serial-console-available DEV=* and stopped rc RUNLEVEL=[2345]\n\
stop on runlevel [S016]\n\
instance $DEV\n\
respawn\n\
pre-start exec /sbin/securetty $DEV\n\
exec /sbin/agetty /dev/$DEV $SPEED vt100-nav\n";

#[test]
fn con006_upstart_hvc0_job_without_ttys0() {
    let d = tempfile::tempdir().unwrap();
    let img = upstart(
        base(UBUNTU, "console=hvc0"),
        &[("hvc0.conf", HVC0_JOB), ("tty1.conf", TTY1_JOB)],
    )
    .build(d.path());
    for t in HVM {
        let f = findings(&img, t, "CON006");
        assert_eq!(f.len(), 1, "{t}: {f:?}");
        let sev = if t == "xen-pvhvm" { "warning" } else { "error" };
        assert_eq!(
            at(&f[0]),
            ("/etc/init/hvc0.conf".to_string(), Some(7), sev.to_string())
        );
        assert_eq!(f[0]["text"], "exec /sbin/getty -8 38400 hvc0");
        assert!(f[0]["fix"]["description"]
            .as_str()
            .unwrap()
            .contains("/etc/init/ttyS0.conf"));
    }
    assert!(findings(&img, "xen-pv", "CON006").is_empty());

    // RHEL 6: serial.conf serves the primary console only; with console=hvc0 last it is hvc0.
    let d2 = tempfile::tempdir().unwrap();
    let img = upstart(
        base(CENTOS6, "console=ttyS0,115200 console=hvc0"),
        &[("hvc0.conf", HVC0_JOB), ("serial.conf", SERIAL_JOB)],
    )
    .build(d2.path());
    let f = findings(&img, "nitro", "CON006");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(at(&f[0]).0, "/etc/init/hvc0.conf");
}

#[test]
fn con006_not_with_a_ttys0_job_or_primary_serial_console() {
    let ttys0 = HVC0_JOB.replace("hvc0", "ttyS0");
    let d = tempfile::tempdir().unwrap();
    let img = upstart(
        base(UBUNTU, "console=hvc0"),
        &[("hvc0.conf", HVC0_JOB), ("ttyS0.conf", &ttys0)],
    )
    .build(d.path());
    assert!(findings(&img, "kvm", "CON006").is_empty());

    // serial.conf counts for ttyS0 when the default entry's last console= is ttyS0.
    let d2 = tempfile::tempdir().unwrap();
    let img = upstart(
        base(CENTOS6, "console=hvc0 console=ttyS0,115200"),
        &[("hvc0.conf", HVC0_JOB), ("serial.conf", SERIAL_JOB)],
    )
    .build(d2.path());
    for t in HVM {
        assert!(findings(&img, t, "CON006").is_empty(), "{t}");
    }

    // A job an override marks `manual` does not start.
    let d3 = tempfile::tempdir().unwrap();
    let img = upstart(
        base(UBUNTU, "console=hvc0"),
        &[("hvc0.conf", HVC0_JOB), ("hvc0.override", "manual\n")],
    )
    .build(d3.path());
    assert!(findings(&img, "kvm", "CON006").is_empty());
}

#[test]
fn con007_systemd_hvc0_getty_enabled() {
    let d = tempfile::tempdir().unwrap();
    let img = systemd(
        base(DEBIAN9, "console=hvc0"),
        &["getty@tty1.service", "serial-getty@hvc0.service"],
    )
    .build(d.path());
    for t in HVM {
        let f = findings(&img, t, "CON007");
        assert_eq!(f.len(), 1, "{t}: {f:?}");
        assert_eq!(
            at(&f[0]),
            (
                "/etc/systemd/system/getty.target.wants/serial-getty@hvc0.service".to_string(),
                None,
                "warning".to_string()
            )
        );
        assert!(f[0]["fix"]["description"]
            .as_str()
            .unwrap()
            .contains("serial-getty@ttyS0.service -> /lib/systemd/system/serial-getty@.service"));
    }
    assert!(findings(&img, "xen-pv", "CON007").is_empty());
}

#[test]
fn con007_not_with_console_ttys0_or_a_ttys0_getty() {
    // console=ttyS0 on the default entry: systemd-getty-generator starts a ttyS0 getty itself.
    let d = tempfile::tempdir().unwrap();
    let img = systemd(
        base(DEBIAN9, "console=hvc0 console=ttyS0,115200n8"),
        &["serial-getty@hvc0.service"],
    )
    .build(d.path());
    for t in HVM {
        assert!(findings(&img, t, "CON007").is_empty(), "{t}");
    }
    let d2 = tempfile::tempdir().unwrap();
    let img = systemd(
        base(DEBIAN9, "console=hvc0"),
        &["serial-getty@hvc0.service", "serial-getty@ttyS0.service"],
    )
    .build(d2.path());
    assert!(findings(&img, "kvm", "CON007").is_empty());
    // A masked ttyS0 getty does not count, even with console=ttyS0.
    let d3 = tempfile::tempdir().unwrap();
    let img = systemd(
        base(DEBIAN9, "console=hvc0 console=ttyS0"),
        &["serial-getty@hvc0.service"],
    )
    .symlink(
        "/etc/systemd/system/serial-getty@ttyS0.service",
        "/dev/null",
    )
    .build(d3.path());
    assert_eq!(findings(&img, "kvm", "CON007").len(), 1);
}

const SECURETTY_PV: &str = "console\ntty1\ntty2\nhvc0\nxvc0\n";

#[test]
fn con008_securetty_without_target_console() {
    let d = tempfile::tempdir().unwrap();
    let img = base(DEBIAN9, "console=hvc0")
        .file("/etc/securetty", SECURETTY_PV)
        .build(d.path());
    for t in HVM {
        let f = findings(&img, t, "CON008");
        assert_eq!(f.len(), 1, "{t}");
        assert_eq!(
            at(&f[0]),
            ("/etc/securetty".to_string(), None, "warning".to_string())
        );
        assert!(f[0]["message"].as_str().unwrap().contains("ttyS0"));
        assert_eq!(
            f[0]["fix"]["description"],
            "add a line ttyS0 to /etc/securetty"
        );
    }
    assert!(
        findings(&img, "xen-pv", "CON008").is_empty(),
        "hvc0 is listed"
    );
    // Back to PV with a serial-only securetty: hvc0 is missing.
    let d2 = tempfile::tempdir().unwrap();
    let img = base(DEBIAN9, "console=hvc0")
        .file("/etc/securetty", "console\ntty1\nttyS0\n")
        .build(d2.path());
    let f = findings(&img, "xen-pv", "CON008");
    assert_eq!(f.len(), 1);
    assert!(f[0]["message"].as_str().unwrap().contains("hvc0"));
    assert!(findings(&img, "kvm", "CON008").is_empty());
}

#[test]
fn con008_not_without_securetty_or_with_ttys0() {
    let d = tempfile::tempdir().unwrap();
    let img = base(DEBIAN9, "console=hvc0").build(d.path());
    for t in ["kvm", "xen-pv"] {
        assert!(findings(&img, t, "CON008").is_empty(), "{t}");
    }
    let d2 = tempfile::tempdir().unwrap();
    let img = base(DEBIAN9, "console=hvc0")
        .file("/etc/securetty", "console\n/dev/ttyS0\nhvc0\n")
        .build(d2.path());
    for t in ["nitro", "xen-pv"] {
        assert!(findings(&img, t, "CON008").is_empty(), "{t}");
    }
}

#[test]
fn con012_pv_console_left_out_on_xen_pv() {
    // The default entry sends the console to ttyS0 only, and the only getty is on ttyS0.
    let d = tempfile::tempdir().unwrap();
    let img = sysvinit(
        base(DEBIAN9, "console=tty0 console=ttyS0,115200"),
        "id:2:initdefault:\n1:2345:respawn:/sbin/getty 38400 tty1\n\
         T0:23:respawn:/sbin/getty -L ttyS0 115200 vt100\n",
    )
    .build(d.path());
    let f = findings(&img, "xen-pv", "CON012");
    assert_eq!(f.len(), 2, "{f:?}");
    let got: Vec<_> = f.iter().map(at).collect();
    assert!(got.contains(&(
        "/boot/grub/menu.lst".to_string(),
        Some(5),
        "warning".to_string()
    )));
    assert!(got.contains(&("/etc/inittab".to_string(), Some(3), "warning".to_string())));
    for t in HVM {
        assert!(findings(&img, t, "CON012").is_empty(), "{t}");
    }
    // systemd: the generator adds hvc0 on xen-pv, unless serial-getty@hvc0 is masked.
    let d2 = tempfile::tempdir().unwrap();
    let img = systemd(
        base(DEBIAN9, "console=hvc0 console=ttyS0"),
        &["serial-getty@ttyS0.service"],
    )
    .symlink("/etc/systemd/system/serial-getty@hvc0.service", "/dev/null")
    .build(d2.path());
    let f = findings(&img, "xen-pv", "CON012");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        at(&f[0]).0,
        "/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"
    );
}

#[test]
fn con012_not_when_hvc0_is_served() {
    let d = tempfile::tempdir().unwrap();
    let img = sysvinit(
        base(DEBIAN9, "console=ttyS0 console=hvc0"),
        &format!("{INITTAB_HVC0}T0:23:respawn:/sbin/getty -L ttyS0 115200 vt100\n"),
    )
    .build(d.path());
    assert!(findings(&img, "xen-pv", "CON012").is_empty());
    // No console= at all: the PV kernel uses hvc0 by itself; systemd's generator serves it.
    let d2 = tempfile::tempdir().unwrap();
    let img = systemd(base(DEBIAN9, "quiet"), &["serial-getty@ttyS0.service"]).build(d2.path());
    assert!(findings(&img, "xen-pv", "CON012").is_empty());
    // RHEL 6 serial.conf serves hvc0 when it is the primary console.
    let d3 = tempfile::tempdir().unwrap();
    let ttys0 = HVC0_JOB.replace("hvc0", "ttyS0");
    let img = upstart(
        base(CENTOS6, "console=hvc0"),
        &[("serial.conf", SERIAL_JOB), ("ttyS0.conf", &ttys0)],
    )
    .build(d3.path());
    assert!(findings(&img, "xen-pv", "CON012").is_empty());
}

#[test]
fn corpus_images_console_login_hazards() {
    let c = |img: &str, t: &str| codes(&corpus_image(img), t);
    assert!(c("debian7-pv.img", "xen-pvhvm").contains(&"CON005".to_string()));
    assert!(c("ubuntu1404-pv.img", "kvm").contains(&"CON006".to_string()));
    assert!(c("centos6-pv.img", "kvm").contains(&"CON006".to_string()));
    assert!(c("centos7-pv.img", "nitro").contains(&"CON007".to_string()));
    assert!(!c("centos7-pv.img", "nitro").contains(&"CON008".to_string()));
    assert!(c("xentools-partitionless.img", "kvm").contains(&"CON008".to_string()));
}
