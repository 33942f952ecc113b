//! BOOT002–BOOT007 and the GRUB console rules CON009–CON011 on real guests built at test time:
//! each fires where its hazard is planted (code, severity per target, path, line) and stays
//! silent on the corrected config. The committed corpus images are checked for sanity too.

mod common;

use common::guest::*;
use common::*;
use serde_json::Value;
use std::path::Path;

const OS: &str = "ID=debian\nVERSION_ID=\"12\"\n";
const KVER: &str = "6.1.0-28-amd64";
const BOOT_IMG: &str = "/usr/lib/grub/i386-pc/boot.img";
const HVM: [&str; 4] = ["xen-hvm", "xen-pvhvm", "kvm", "nitro"];
const ALL: [&str; 5] = ["xen-hvm", "xen-pvhvm", "kvm", "nitro", "xen-pv"];

fn findings(img: &Path, target: &str, code: &str) -> Vec<Value> {
    check_json(img, target)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .cloned()
        .collect()
}

/// (severity, path, line) of each finding of `code`.
fn spots(img: &Path, target: &str, code: &str) -> Vec<(String, String, Option<u64>)> {
    findings(img, target, code)
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64(),
            )
        })
        .collect()
}

fn spot(sev: &str, path: &str, line: Option<u64>) -> (String, String, Option<u64>) {
    (sev.to_string(), path.to_string(), line)
}

fn has(img: &Path, target: &str, code: &str) -> bool {
    codes(img, target).iter().any(|c| c == code)
}

/// A GRUB legacy menu: `head` (global lines), then one entry per kernel path given.
fn menu(head: &str, root: &str, kernels: &[(&str, &str)]) -> String {
    let mut s = head.to_string();
    for (k, i) in kernels {
        s.push_str(&format!(
            "\ntitle Debian {k}\n\troot {root}\n\tkernel {k} root=UUID={ROOT_UUID} ro console=ttyS0\n\tinitrd {i}\n"
        ));
    }
    s
}

const SERIAL: &str = "serial --unit=0 --speed=115200\nterminal --timeout=5 serial console\n";

/// A root filesystem with a kernel and initrd in /boot.
fn base() -> GuestSpec {
    GuestSpec::new()
        .file("/etc/os-release", OS)
        .file(
            "/etc/fstab",
            &format!("UUID={ROOT_UUID} / ext4 defaults 0 1\n"),
        )
        .file(&format!("/boot/vmlinuz-{KVER}"), "kernel")
        .file(&format!("/boot/initrd.img-{KVER}"), "initrd")
}

fn kernel() -> String {
    format!("/boot/vmlinuz-{KVER}")
}
fn initrd() -> String {
    format!("/boot/initrd.img-{KVER}")
}

fn good_menu() -> String {
    menu(
        &format!("default 0\ntimeout 5\n{SERIAL}"),
        "(hd0,0)",
        &[(&kernel(), &initrd())],
    )
}

/// A grub-mkconfig style grub.cfg: `head`, then one entry per (title, kernel, initrd).
fn grub_cfg(head: &str, entries: &[(&str, &str, &str)]) -> String {
    let mut s = head.to_string();
    for (t, k, i) in entries {
        s.push_str(&format!(
            "menuentry '{t}' --class debian $menuentry_id_option 'id-{t}' {{\n\
             \tinsmod ext2\n\tset root='hd0,msdos1'\n\
             \tlinux {k} root=UUID={ROOT_UUID} ro console=ttyS0\n\tinitrd {i}\n}}\n"
        ));
    }
    s
}

const GRUB2_SERIAL: &str =
    "serial --unit=0 --speed=115200\nterminal_input serial console\nterminal_output serial console\n";
const DEFAULTS_SERIAL: &str = "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"console=ttyS0\"\n\
GRUB_TERMINAL=\"serial console\"\nGRUB_SERIAL_COMMAND=\"serial --unit=0 --speed=115200\"\n";

// ---------------------------------------------------------------------------------------------
// BOOT002

#[test]
fn boot002_live_config_on_partition_2_without_boot_code() {
    let d = tempfile::tempdir().unwrap();
    // menu.lst is written into the root filesystem (partition 2) before separate_boot() routes
    // /boot files elsewhere; partition 1 is an empty ext2 nothing mounts.
    let img = base()
        .file("/boot/grub/menu.lst", &good_menu())
        .separate_boot()
        .build(d.path());
    for t in HVM {
        assert_eq!(
            spots(&img, t, "BOOT002"),
            vec![spot("warning", "/boot/grub/menu.lst", None)],
            "{t}"
        );
    }
    assert!(!has(&img, "xen-pv", "BOOT002"));
    let f = &findings(&img, "kvm", "BOOT002")[0];
    assert_eq!(f["location"]["volume"]["partition"], 2);
    assert_eq!(f["location"]["volume"]["uuid"], ROOT_UUID);
    assert_eq!(f["fix"]["kind"], "manual");

    // The same disk with GRUB in the MBR: the guest boots itself, nothing chain-loads.
    let d2 = tempfile::tempdir().unwrap();
    let img = base()
        .file("/boot/grub/menu.lst", &good_menu())
        .separate_boot()
        .boot_code(BOOT_IMG)
        .build(d2.path());
    assert!(!has(&img, "kvm", "BOOT002"));

    // /boot on partition 1 holds the config: chain-loading partition 1 finds it.
    let d3 = tempfile::tempdir().unwrap();
    let img = GuestSpec::new()
        .separate_boot()
        .file("/etc/os-release", OS)
        .file(
            "/etc/fstab",
            &format!(
                "UUID={ROOT_UUID} / ext4 defaults 0 1\nUUID={BOOT_UUID} /boot ext2 defaults 0 2\n"
            ),
        )
        .file(&format!("/boot/vmlinuz-{KVER}"), "kernel")
        .file(&format!("/boot/initrd.img-{KVER}"), "initrd")
        .file(
            "/boot/grub/menu.lst",
            &menu(
                &format!("default 0\n{SERIAL}"),
                "(hd0,0)",
                &[(&format!("/vmlinuz-{KVER}"), &format!("/initrd.img-{KVER}"))],
            ),
        )
        .build(d3.path());
    assert!(!has(&img, "kvm", "BOOT002"));
    assert!(has(&img, "kvm", "BOOT001"), "still no boot code");
}

// ---------------------------------------------------------------------------------------------
// BOOT003

#[test]
fn boot003_partition_device_on_partitionless_image() {
    let d = tempfile::tempdir().unwrap();
    let text = format!(
        "default 0\n{SERIAL}\n### BEGIN AUTOMAGIC KERNELS LIST\n# kopt=root=UUID={ROOT_UUID} ro\n\
         # groot=(hd0,0)\n## ## End Default Options ##\n\n\
         title Debian\nroot (hd0,0)\nkernel {k} root=UUID={ROOT_UUID} ro console=ttyS0\ninitrd {i}\n\n\
         title Debian (rescue)\nkernel (hd0,0){k} root=UUID={ROOT_UUID} ro single\ninitrd {i}\n\n\
         ### END DEBIAN AUTOMAGIC KERNELS LIST\n",
        k = kernel(),
        i = initrd()
    );
    let img = base()
        .file("/boot/grub/menu.lst", &text)
        .partitionless()
        .build(d.path());
    let p = "/boot/grub/menu.lst";
    for t in HVM {
        assert_eq!(
            spots(&img, t, "BOOT003"),
            vec![
                spot("error", p, Some(11)),
                spot("warning", p, Some(7)),
                spot("warning", p, Some(16)),
            ],
            "{t}: default entry's root line, groot, the other entry's kernel line"
        );
    }
    assert!(!has(&img, "xen-pv", "BOOT003"));
    let f = &findings(&img, "kvm", "BOOT003")[0];
    assert_eq!(f["fix"]["kind"], "safe");
    assert!(f["fix"]["description"].as_str().unwrap().contains("(hd0)"));
    assert_eq!(f["location"]["volume"]["partition"], 0);
    // The kernel files themselves are found (GRUB paths fall back to the filesystem itself).
    assert!(!has(&img, "kvm", "BOOT005"));

    // Corrected: (hd0) everywhere.
    let d2 = tempfile::tempdir().unwrap();
    let img = base()
        .file("/boot/grub/menu.lst", &text.replace("(hd0,0)", "(hd0)"))
        .partitionless()
        .build(d2.path());
    assert!(!has(&img, "kvm", "BOOT003"));

    // (hd0,0) is right on a partitioned disk.
    let d3 = tempfile::tempdir().unwrap();
    let img = base().file("/boot/grub/menu.lst", &text).build(d3.path());
    assert!(!has(&img, "kvm", "BOOT003"));
}

// ---------------------------------------------------------------------------------------------
// BOOT004

#[test]
fn boot004_grub_legacy_default_out_of_range_and_saved() {
    let two = [(kernel(), initrd()), (kernel(), initrd())];
    let two: Vec<(&str, &str)> = two.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let p = "/boot/grub/menu.lst";

    let d = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            p,
            &menu(&format!("default 2\ntimeout 5\n{SERIAL}"), "(hd0,0)", &two),
        )
        .build(d.path());
    for t in ALL {
        assert_eq!(
            spots(&img, t, "BOOT004"),
            vec![spot("error", p, Some(1))],
            "{t}"
        );
    }

    // `default saved` and no /boot/grub/default: only known at boot.
    let d2 = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            p,
            &menu(&format!("default saved\n{SERIAL}"), "(hd0,0)", &two),
        )
        .build(d2.path());
    assert_eq!(
        spots(&img, "kvm", "BOOT004"),
        vec![spot("info", p, Some(1))]
    );

    // `default saved` with /boot/grub/default naming an entry that exists: fine; one that
    // does not: error.
    let d3 = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            p,
            &menu(&format!("default saved\n{SERIAL}"), "(hd0,0)", &two),
        )
        .file("/boot/grub/default", "1\n#\n#\n")
        .build(d3.path());
    assert!(!has(&img, "kvm", "BOOT004"));
    let d4 = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            p,
            &menu(&format!("default saved\n{SERIAL}"), "(hd0,0)", &two),
        )
        .file("/boot/grub/default", "7\n#\n")
        .build(d4.path());
    assert_eq!(
        spots(&img, "kvm", "BOOT004"),
        vec![spot("error", p, Some(1))]
    );

    // Corrected: default 1 of two entries.
    let d5 = tempfile::tempdir().unwrap();
    let img = base()
        .file(p, &menu(&format!("default 1\n{SERIAL}"), "(hd0,0)", &two))
        .build(d5.path());
    assert!(!has(&img, "kvm", "BOOT004"));
}

#[test]
fn boot004_grub2_default_names_nothing() {
    let cfg = "/boot/grub/grub.cfg";
    let entries = [
        ("Debian", kernel(), initrd()),
        ("Debian old", kernel(), initrd()),
    ];
    let entries: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|(t, k, i)| (*t, k.as_str(), i.as_str()))
        .collect();

    let d = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            cfg,
            &grub_cfg(
                &format!("set default=\"Debian gone\"\n{GRUB2_SERIAL}"),
                &entries,
            ),
        )
        .file("/etc/default/grub", DEFAULTS_SERIAL)
        .build(d.path());
    for t in ALL {
        assert_eq!(
            spots(&img, t, "BOOT004"),
            vec![spot("error", cfg, Some(1))],
            "{t}"
        );
    }

    // ${saved_entry} from grubenv naming an entry that is gone.
    let head = format!("load_env\nset default=\"${{saved_entry}}\"\n{GRUB2_SERIAL}");
    let env = |v: &str| {
        format!(
            "# GRUB Environment Block\nsaved_entry={v}\n{}",
            "#".repeat(900)
        )
    };
    let d2 = tempfile::tempdir().unwrap();
    let img = base()
        .file(cfg, &grub_cfg(&head, &entries))
        .file("/boot/grub/grubenv", &env("Debian 3.16"))
        .file("/etc/default/grub", DEFAULTS_SERIAL)
        .build(d2.path());
    assert_eq!(
        spots(&img, "kvm", "BOOT004"),
        vec![spot("error", cfg, Some(2))]
    );

    // Corrected: by title, by id, by number, by saved title.
    for (i, head) in [
        format!("set default=\"Debian old\"\n{GRUB2_SERIAL}"),
        format!("set default=\"id-Debian\"\n{GRUB2_SERIAL}"),
        format!("set default=\"1\"\n{GRUB2_SERIAL}"),
        head.clone(),
    ]
    .iter()
    .enumerate()
    {
        let d = tempfile::tempdir().unwrap();
        let img = base()
            .file(cfg, &grub_cfg(head, &entries))
            .file("/boot/grub/grubenv", &env("Debian old"))
            .file("/etc/default/grub", DEFAULTS_SERIAL)
            .build(d.path());
        assert!(!has(&img, "kvm", "BOOT004"), "variant {i}");
    }
}

#[test]
fn boot004_blscfg_saved_entry_is_a_bls_id_and_stale_configs_are_lowered() {
    let cfg = "/boot/grub2/grub.cfg";
    let head = format!(
        "load_env\nset default=\"${{saved_entry}}\"\n{GRUB2_SERIAL}insmod blscfg\nblscfg\n"
    );
    let bls = |v: &str| {
        format!(
            "title Fedora ({v})\nversion {v}\nlinux /boot/vmlinuz-{v}\n\
             initrd /boot/initramfs-{v}.img\noptions root=UUID={ROOT_UUID} ro console=ttyS0\n"
        )
    };
    let build = |saved: &str, dir: &Path| {
        base()
            .file(cfg, &head)
            .file(
                "/boot/grub2/grubenv",
                &format!("# GRUB Environment Block\nsaved_entry={saved}\n"),
            )
            .file("/boot/loader/entries/abc-6.7.4.conf", &bls("6.7.4"))
            .file("/boot/vmlinuz-6.7.4", "k")
            .file("/boot/initramfs-6.7.4.img", "i")
            .file("/etc/default/grub", DEFAULTS_SERIAL)
            .build(dir)
    };
    let d = tempfile::tempdir().unwrap();
    assert!(!has(&build("abc-6.7.4", d.path()), "kvm", "BOOT004"));
    let d2 = tempfile::tempdir().unwrap();
    assert_eq!(
        spots(&build("abc-6.5.6", d2.path()), "kvm", "BOOT004"),
        vec![spot("error", cfg, Some(2))]
    );

    // A menu.lst that pygrub does not read (grub.cfg wins) with a bad default: warning.
    let d3 = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            "/boot/grub/grub.cfg",
            &grub_cfg(GRUB2_SERIAL, &[("Debian", &kernel(), &initrd())]),
        )
        .file("/etc/default/grub", DEFAULTS_SERIAL)
        .file(
            "/boot/grub/menu.lst",
            &menu(
                &format!("default 4\n{SERIAL}"),
                "(hd0,0)",
                &[(&kernel(), &initrd())],
            ),
        )
        .build(d3.path());
    assert_eq!(
        spots(&img, "kvm", "BOOT004"),
        vec![spot("warning", "/boot/grub/menu.lst", Some(1))]
    );
}

// ---------------------------------------------------------------------------------------------
// BOOT005

#[test]
fn boot005_missing_kernel_and_initrd() {
    let p = "/boot/grub/menu.lst";
    let gone_k = "/boot/vmlinuz-3.16.0-6-amd64";
    let gone_i = "/boot/initrd.img-3.16.0-6-amd64";
    let d = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            p,
            &menu(
                &format!("default 0\n{SERIAL}"),
                "(hd0,0)",
                &[(&kernel(), gone_i), (gone_k, &initrd())],
            ),
        )
        .build(d.path());
    // menu(): 3 head lines, then per entry a blank line, title, root, kernel, initrd.
    for t in ALL {
        assert_eq!(
            spots(&img, t, "BOOT005"),
            vec![spot("error", p, Some(8)), spot("warning", p, Some(12))],
            "{t}: the default entry's initrd, the other entry's kernel"
        );
    }
    let f = &findings(&img, "kvm", "BOOT005")[0];
    assert!(f["message"].as_str().unwrap().contains(gone_i));
    assert_eq!(f["fix"]["kind"], "manual");

    // Corrected.
    let d2 = tempfile::tempdir().unwrap();
    let img = base().file(p, &good_menu()).build(d2.path());
    assert!(!has(&img, "kvm", "BOOT005"));
}

#[test]
fn boot005_paths_are_relative_to_a_separate_boot_partition() {
    let p = "/boot/grub/menu.lst";
    let spec = |kernel_path: &str| {
        GuestSpec::new()
            .separate_boot()
            .file("/etc/os-release", OS)
            .file(
                "/etc/fstab",
                &format!(
                    "UUID={ROOT_UUID} / ext4 defaults 0 1\nUUID={BOOT_UUID} /boot ext2 defaults 0 2\n"
                ),
            )
            .file(&format!("/boot/vmlinuz-{KVER}"), "kernel")
            .file(&format!("/boot/initrd.img-{KVER}"), "initrd")
            .file(
                p,
                &menu(
                    &format!("default 0\n{SERIAL}"),
                    "(hd0,0)",
                    &[(kernel_path, &format!("/initrd.img-{KVER}"))],
                ),
            )
    };
    // (hd0,0) is the /boot partition: /vmlinuz-… is /boot/vmlinuz-… of the guest.
    let d = tempfile::tempdir().unwrap();
    let img = spec(&format!("/vmlinuz-{KVER}")).build(d.path());
    assert!(!has(&img, "kvm", "BOOT005"));
    // /boot/vmlinuz-… on the /boot partition is /boot/boot/vmlinuz-…: missing.
    let d2 = tempfile::tempdir().unwrap();
    let img = spec(&kernel()).build(d2.path());
    let f = findings(&img, "kvm", "BOOT005");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["location"]["line"], 7);
    assert!(f[0]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("/boot/boot/vmlinuz-{KVER}")));
}

#[test]
fn boot005_grub2_entries() {
    let cfg = "/boot/grub/grub.cfg";
    let d = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            cfg,
            &grub_cfg(
                &format!("set default=\"0\"\n{GRUB2_SERIAL}"),
                &[("Debian", "/boot/vmlinuz-9.9", &initrd())],
            ),
        )
        .file("/etc/default/grub", DEFAULTS_SERIAL)
        .build(d.path());
    // Head is 4 lines; the entry's linux line is line 8.
    assert_eq!(
        spots(&img, "nitro", "BOOT005"),
        vec![spot("error", cfg, Some(8))]
    );
}

// ---------------------------------------------------------------------------------------------
// BOOT006

#[test]
fn boot006_menu_lst_and_grub_cfg_disagree() {
    let old_k = "/boot/vmlinuz-3.16.0-6-amd64";
    let old_i = "/boot/initrd.img-3.16.0-6-amd64";
    let build = |menu_kernel: &str, menu_initrd: &str, dir: &Path| {
        base()
            .file("/boot/vmlinuz-3.16.0-6-amd64", "old")
            .file("/boot/initrd.img-3.16.0-6-amd64", "old")
            .file(
                "/boot/grub/grub.cfg",
                &grub_cfg(GRUB2_SERIAL, &[("Debian", &kernel(), &initrd())]),
            )
            .file("/etc/default/grub", DEFAULTS_SERIAL)
            .file(
                "/boot/grub/menu.lst",
                &menu(
                    &format!("default 0\n{SERIAL}"),
                    "(hd0,0)",
                    &[(menu_kernel, menu_initrd)],
                ),
            )
            .build(dir)
    };
    let d = tempfile::tempdir().unwrap();
    let img = build(old_k, old_i, d.path());
    for t in ALL {
        assert_eq!(
            spots(&img, t, "BOOT006"),
            vec![spot("warning", "/boot/grub/menu.lst", None)],
            "{t}"
        );
    }
    let msg = findings(&img, "kvm", "BOOT006")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains(old_k) && msg.contains(&kernel()), "{msg}");

    // Same kernel in both: nothing stale.
    let d2 = tempfile::tempdir().unwrap();
    let img = build(&kernel(), &initrd(), d2.path());
    assert!(!has(&img, "kvm", "BOOT006"));

    // Only menu.lst: nothing to compare.
    let d3 = tempfile::tempdir().unwrap();
    let img = base()
        .file("/boot/grub/menu.lst", &good_menu())
        .build(d3.path());
    assert!(!has(&img, "kvm", "BOOT006"));
}

// ---------------------------------------------------------------------------------------------
// BOOT007

#[test]
fn boot007_no_bootloader_config() {
    let d = tempfile::tempdir().unwrap();
    // /etc/default/grub alone is an input to grub-mkconfig, not a config anything boots.
    let img = base()
        .file("/etc/default/grub", DEFAULTS_SERIAL)
        .build(d.path());
    for t in ALL {
        let f = findings(&img, t, "BOOT007");
        assert_eq!(f.len(), 1, "{t}");
        assert_eq!(f[0]["severity"], "error", "{t}");
        assert_eq!(f[0]["location"]["volume"]["uuid"], ROOT_UUID);
    }

    for (name, path, text) in [
        ("menu.lst", "/boot/grub/menu.lst", good_menu()),
        (
            "extlinux",
            "/boot/extlinux/extlinux.conf",
            format!("DEFAULT linux\nLABEL linux\n  KERNEL {}\n", kernel()),
        ),
    ] {
        let d = tempfile::tempdir().unwrap();
        let img = base().file(path, &text).build(d.path());
        assert!(!has(&img, "kvm", "BOOT007"), "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// CON009

#[test]
fn con009_grub_legacy_without_serial_terminal() {
    let p = "/boot/grub/menu.lst";
    let build = |head: &str, dir: &Path| {
        base()
            .file(p, &menu(head, "(hd0,0)", &[(&kernel(), &initrd())]))
            .build(dir)
    };
    let d = tempfile::tempdir().unwrap();
    let img = build("default 0\ntimeout 5\n", d.path());
    for t in HVM {
        assert_eq!(
            spots(&img, t, "CON009"),
            vec![spot("warning", p, None)],
            "{t}"
        );
    }
    assert!(!has(&img, "xen-pv", "CON009"));
    assert_eq!(findings(&img, "kvm", "CON009")[0]["fix"]["kind"], "safe");

    // A serial line but a terminal line without serial: reported on the terminal line.
    let d2 = tempfile::tempdir().unwrap();
    let img = build(
        "default 0\nserial --unit=0 --speed=115200\nterminal console\n",
        d2.path(),
    );
    assert_eq!(
        spots(&img, "kvm", "CON009"),
        vec![spot("warning", p, Some(3))]
    );

    // Corrected.
    let d3 = tempfile::tempdir().unwrap();
    let img = build(&format!("default 0\n{SERIAL}"), d3.path());
    assert!(!has(&img, "kvm", "CON009"));

    // Not the live config (grub.cfg is): CON009 is about the config that boots.
    let d4 = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            p,
            &menu("default 0\n", "(hd0,0)", &[(&kernel(), &initrd())]),
        )
        .file(
            "/boot/grub/grub.cfg",
            &grub_cfg(GRUB2_SERIAL, &[("Debian", &kernel(), &initrd())]),
        )
        .file("/etc/default/grub", DEFAULTS_SERIAL)
        .build(d4.path());
    assert!(!has(&img, "kvm", "CON009"));
}

// ---------------------------------------------------------------------------------------------
// CON010

#[test]
fn con010_splashimage() {
    let p = "/boot/grub/menu.lst";
    let head = format!("default 0\nsplashimage=(hd0,0)/boot/grub/splash.xpm.gz\n{SERIAL}");
    let d = tempfile::tempdir().unwrap();
    let img = base()
        .file(p, &menu(&head, "(hd0,0)", &[(&kernel(), &initrd())]))
        .build(d.path());
    for t in HVM {
        assert_eq!(
            spots(&img, t, "CON010"),
            vec![spot("warning", p, Some(2))],
            "{t}"
        );
    }
    assert!(!has(&img, "xen-pv", "CON010"));
    let f = &findings(&img, "kvm", "CON010")[0];
    assert_eq!(f["text"], "splashimage=(hd0,0)/boot/grub/splash.xpm.gz");
    assert_eq!(f["fix"]["kind"], "safe");

    // In a menu.lst that does not boot (grub.cfg is live): info.
    let d2 = tempfile::tempdir().unwrap();
    let img = base()
        .file(p, &menu(&head, "(hd0,0)", &[(&kernel(), &initrd())]))
        .file(
            "/boot/grub/grub.cfg",
            &grub_cfg(GRUB2_SERIAL, &[("Debian", &kernel(), &initrd())]),
        )
        .file("/etc/default/grub", DEFAULTS_SERIAL)
        .build(d2.path());
    assert_eq!(spots(&img, "kvm", "CON010"), vec![spot("info", p, Some(2))]);

    // Corrected: commented out.
    let d3 = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            p,
            &menu(
                &head.replace("splashimage", "#splashimage"),
                "(hd0,0)",
                &[(&kernel(), &initrd())],
            ),
        )
        .build(d3.path());
    assert!(!has(&img, "kvm", "CON010"));
}

// ---------------------------------------------------------------------------------------------
// CON011

#[test]
fn con011_grub2_without_serial_terminal() {
    let cfg = "/boot/grub/grub.cfg";
    let entries = [("Debian", kernel(), initrd())];
    let entries: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|(t, k, i)| (*t, k.as_str(), i.as_str()))
        .collect();
    let d = tempfile::tempdir().unwrap();
    let img = base()
        .file(
            cfg,
            &grub_cfg("set default=\"0\"\nterminal_output gfxterm\n", &entries),
        )
        .file(
            "/etc/default/grub",
            "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"console=ttyS0\"\n",
        )
        .build(d.path());
    for t in HVM {
        assert_eq!(
            spots(&img, t, "CON011"),
            vec![
                spot("warning", cfg, Some(2)),
                spot("warning", "/etc/default/grub", None)
            ],
            "{t}"
        );
    }
    assert!(!has(&img, "xen-pv", "CON011"));

    // grub.cfg edited by hand but /etc/default/grub still says console: the next grub-mkconfig
    // undoes it.
    let d2 = tempfile::tempdir().unwrap();
    let img = base()
        .file(cfg, &grub_cfg(GRUB2_SERIAL, &entries))
        .file(
            "/etc/default/grub",
            "GRUB_DEFAULT=0\nGRUB_TERMINAL_OUTPUT=\"console\"\n",
        )
        .build(d2.path());
    assert_eq!(
        spots(&img, "kvm", "CON011"),
        vec![spot("warning", "/etc/default/grub", Some(2))]
    );

    // Corrected: both.
    let d3 = tempfile::tempdir().unwrap();
    let img = base()
        .file(cfg, &grub_cfg(GRUB2_SERIAL, &entries))
        .file("/etc/default/grub", DEFAULTS_SERIAL)
        .build(d3.path());
    assert!(!has(&img, "kvm", "CON011"));

    // A GRUB legacy guest with a leftover /etc/default/grub: CON009's business, not CON011's.
    let d4 = tempfile::tempdir().unwrap();
    let img = base()
        .file("/boot/grub/menu.lst", &good_menu())
        .file("/etc/default/grub", "GRUB_DEFAULT=0\n")
        .build(d4.path());
    assert!(!has(&img, "kvm", "CON011"));
}

// ---------------------------------------------------------------------------------------------
// The committed corpus: the planted bootloader hazards are found, the clean image is quiet.

fn corpus_spots(image: &str, target: &str) -> Vec<(String, String, String, Option<u64>)> {
    let j = check_json(&corpus_image(image), target);
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let c = f["code"].as_str().unwrap();
            (c.starts_with("BOOT") && c != "BOOT001") || ["CON009", "CON010", "CON011"].contains(&c)
        })
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn corpus_bootloader_hazards() {
    let codes_of = |image: &str, target: &str| {
        let mut v: Vec<String> = corpus_spots(image, target)
            .into_iter()
            .map(|s| s.0)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    assert!(codes_of("clean-hvm.img", "kvm").is_empty());
    assert!(codes_of("clean-hvm.img", "xen-pv").is_empty());
    // centos6: splashimage, no serial lines, the second entry's initrd is missing.
    let c6 = corpus_spots("centos6-pv.img", "kvm");
    assert!(c6.contains(&(
        "CON010".into(),
        "warning".into(),
        "/boot/grub/grub.conf".into(),
        Some(12)
    )));
    assert!(c6.iter().any(|s| s.0 == "CON009"));
    assert!(c6.contains(&(
        "BOOT005".into(),
        "warning".into(),
        "/boot/grub/grub.conf".into(),
        Some(21)
    )));
    // debian9: a stale jessie menu.lst beside the live grub.cfg; its kernels are gone.
    let d9 = codes_of("debian9-sysv.img", "kvm");
    for c in ["BOOT005", "BOOT006", "CON011"] {
        assert!(d9.contains(&c.to_string()), "debian9 {c}: {d9:?}");
    }
    assert!(corpus_spots("debian9-sysv.img", "kvm")
        .iter()
        .filter(|s| s.0 == "BOOT005")
        .all(|s| s.1 == "warning" && s.2 == "/boot/grub/menu.lst"));
    // xentools: (hd0,0) on a bare filesystem.
    let xt = corpus_spots("xentools-partitionless.img", "xen-hvm");
    assert!(xt.iter().any(|s| s.0 == "BOOT003" && s.1 == "error"));
    assert!(!codes_of("xentools-partitionless.img", "xen-pv").contains(&"BOOT003".to_string()));
    // gpt-efi: the 6.5.6 BLS entry's files are missing (not the default: warning); grubenv's
    // saved_entry names the 6.7.4 BLS entry, so the default is valid.
    for img in ["gpt-efi.img", "gpt-efi.qcow2", "gpt-efi-overlay.qcow2"] {
        let g = corpus_spots(img, "kvm");
        assert_eq!(
            g.iter()
                .filter(|s| s.0 == "BOOT005" && s.1 == "warning")
                .count(),
            2,
            "{img}"
        );
        assert!(!g.iter().any(|s| s.0 == "BOOT004"), "{img}");
    }
    // Every guest has a config.
    for img in [
        "centos6-pv.img",
        "centos7-pv.img",
        "debian7-pv.img",
        "debian9-sysv.img",
        "multipart-mbr.img",
        "ubuntu1404-pv.img",
        "xentools-partitionless.img",
        "gpt-efi.img",
    ] {
        assert!(
            !codes_of(img, "kvm").contains(&"BOOT007".to_string()),
            "{img}"
        );
    }
}
