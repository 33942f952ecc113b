//! Fix plans on the corpus images: the unified diff holds the expected edits, nothing is
//! skipped, the diff is well formed, and only safe findings of the expected codes contribute.

mod common;

use common::*;
use pv2hvm::fix::{self, Change, Plan};
use pv2hvm::guest::Guest;
use pv2hvm::rules::{self, Context, Fix, Selection, Target};
use serde_json::Value;
use std::collections::BTreeSet;

fn plan(image: &str, t: Target) -> (Plan, String, Vec<rules::Finding>) {
    let g = Guest::open(&corpus_image(image)).unwrap();
    let cx = Context::new(&g, t);
    let findings = rules::run(&cx, &Selection::default());
    let p = fix::plan(&cx, &findings);
    let d = fix::diff::unified(&p);
    (p, d, findings)
}

/// The diff has `line` as a whole line.
fn has(diff: &str, line: &str) -> bool {
    diff.lines().any(|l| l == line)
}

fn assert_lines(diff: &str, lines: &[&str]) {
    for l in lines {
        assert!(has(diff, l), "missing {l:?} in\n{diff}");
    }
}

/// Every file section starts with `--- a/P` (or `--- /dev/null`) then `+++ b/P`, and every
/// other line is a hunk header or starts with ' ', '+', '-' or '\'.
fn assert_well_formed(diff: &str, p: &Plan) {
    let mut lines = diff.lines().peekable();
    let mut files = 0;
    while let Some(l) = lines.next() {
        if l.starts_with("new file mode ") {
            continue;
        }
        if let Some(a) = l.strip_prefix("--- ") {
            let b = lines.next().expect("+++ after ---");
            let b = b.strip_prefix("+++ b/").expect("+++ b/PATH");
            assert!(a == "/dev/null" || a == format!("a/{b}"), "{a} vs {b}");
            files += 1;
            continue;
        }
        assert!(
            l.starts_with("@@ ")
                || l.starts_with(' ')
                || l.starts_with('+')
                || l.starts_with('-')
                || l.starts_with('\\'),
            "bad diff line {l:?}"
        );
    }
    assert_eq!(files, p.files.len());
}

fn expected(image: &str, target: &str) -> BTreeSet<String> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/expected-findings.json");
    let j: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    j["images"][image][target]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_image_and_target_plans_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/images");
    for e in std::fs::read_dir(dir).unwrap() {
        let image = e.unwrap().file_name().to_string_lossy().into_owned();
        if !(image.ends_with(".img") || image.ends_with(".qcow2")) {
            continue;
        }
        for t in Target::ALL {
            let what = format!("{image} → {}", t.name());
            let (p, d, findings) = plan(&image, t);
            assert!(p.skipped.is_empty(), "{what}: {:?}", p.skipped);
            assert_well_formed(&d, &p);
            let want = expected(&image, t.name());
            for c in p.codes() {
                assert!(
                    want.contains(c),
                    "{what}: {c} changes files but is not expected"
                );
            }
            for f in &findings {
                match f.fix {
                    Fix::Safe(_) => assert!(!f.edits.is_empty(), "{what}: {} has no edits", f.code),
                    _ => assert!(f.edits.is_empty(), "{what}: {} is not safe", f.code),
                }
            }
        }
    }
}

#[test]
fn centos6_grub_conf_fstab_and_consoles() {
    let (p, d, _) = plan("centos6-pv.img", Target::Kvm);
    assert_lines(
        &d,
        &[
            "--- a/boot/grub/grub.conf",
            "+++ b/boot/grub/grub.conf",
            "-splashimage=(hd0,0)/boot/grub/splash.xpm.gz",
            "+#splashimage=(hd0,0)/boot/grub/splash.xpm.gz",
            "+serial --unit=0 --speed=115200",
            "+terminal --timeout=5 serial console",
            "+\tkernel /boot/vmlinuz-2.6.32-754.el6.x86_64 ro root=UUID=612adebf-dbb9-4670-9061-175f93afa2fb rd_NO_LUKS LANG=en_US.UTF-8 rd_NO_MD SYSFONT=latarcyrheb-sun16 crashkernel=auto KEYBOARDTYPE=pc KEYTABLE=us rd_NO_DM console=hvc0 rhgb quiet console=ttyS0,115200",
            "+UUID=612adebf-dbb9-4670-9061-175f93afa2fb              /                       ext4    defaults,noatime 1 1",
            "+ttyS0",
            "+#HWADDR=00:16:3E:5A:21:7C",
            "new file mode 100644",
            "--- /dev/null",
            "+++ b/etc/init/ttyS0.conf",
            "+exec /sbin/agetty /dev/ttyS0 38400 vt100-nav",
        ],
    );
    // serial and terminal come before the first title.
    let conf = p
        .files
        .iter()
        .find(|f| f.path == "/boot/grub/grub.conf")
        .unwrap();
    let Change::Replace(after) = &conf.after else {
        panic!()
    };
    let text = String::from_utf8_lossy(after);
    let serial = text.find("\nserial --unit=0").unwrap();
    let title = text.find("\ntitle ").unwrap();
    assert!(serial < title);
    let mut codes = conf.codes.clone();
    codes.sort_unstable();
    assert_eq!(codes, ["CON001", "CON009", "CON010", "DEV006"]);
    // On xen-pvhvm the xvd names stay: only console and network fixes.
    let (_, d, _) = plan("centos6-pv.img", Target::XenPvhvm);
    assert!(d.contains("console=hvc0 rhgb quiet console=ttyS0,115200"));
    assert!(!d.contains("root=UUID="));
}

#[test]
fn debian7_replaces_hvc0_in_inittab_and_edits_kopt() {
    let (_, d, _) = plan("debian7-pv.img", Target::XenPvhvm);
    assert_lines(
        &d,
        &[
            "-1:2345:respawn:/sbin/getty 38400 hvc0",
            "+1:2345:respawn:/sbin/getty 38400 ttyS0",
            "+# kopt=root=/dev/xvda1 ro console=hvc0 console=ttyS0,115200",
        ],
    );
    let (_, d, _) = plan("debian7-pv.img", Target::Nitro);
    assert_lines(
        &d,
        &["+# kopt=root=UUID=6dc85842-73f5-4ba2-b5f1-5ecc483ce405 ro console=hvc0 console=ttyS0,115200"],
    );
}

#[test]
fn debian9_adds_a_ttys0_getty_and_grub2_serial() {
    let (_, d, _) = plan("debian9-sysv.img", Target::Kvm);
    assert_lines(
        &d,
        &[
            " h0:2345:respawn:/sbin/getty -L 115200 hvc0 vt102",
            "+T0:2345:respawn:/sbin/getty -L 115200 ttyS0 vt102",
            "-terminal_output gfxterm",
            "+terminal_output serial console",
            "+terminal_input serial console",
            "+serial --unit=0 --speed=115200",
            "+GRUB_TERMINAL=\"serial console\"",
            "+GRUB_SERIAL_COMMAND=\"serial --unit=0 --speed=115200\"",
            "+GRUB_CMDLINE_LINUX=\"console=hvc0 console=ttyS0,115200\"",
            "-RESUME=/dev/xvda2",
            "+RESUME=UUID=22cdb20c-574f-47c7-8b90-6d14dee59b63",
        ],
    );
}

#[test]
fn ubuntu1404_copies_the_hvc0_job() {
    let (p, d, _) = plan("ubuntu1404-pv.img", Target::XenHvm);
    assert_lines(
        &d,
        &[
            "+++ b/etc/init/ttyS0.conf",
            "+exec /sbin/getty -8 38400 ttyS0",
        ],
    );
    let job = p
        .files
        .iter()
        .find(|f| f.path == "/etc/init/ttyS0.conf")
        .unwrap();
    assert!(matches!(job.after, Change::Create { mode: 0o644, .. }));
    assert_eq!(job.codes, ["CON006"]);
}

#[test]
fn systemd_gets_a_serial_getty_link() {
    let (p, d, _) = plan("centos7-pv.img", Target::Kvm);
    assert_lines(
        &d,
        &[
            "new file mode 120000",
            "+++ b/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service",
            "+/usr/lib/systemd/system/serial-getty@.service",
            "-GRUB_TERMINAL_OUTPUT=\"console\"",
            "+GRUB_TERMINAL=\"serial console\"",
        ],
    );
    assert!(p
        .files
        .iter()
        .any(|f| matches!(&f.after, Change::Symlink(t) if t.ends_with("serial-getty@.service"))));
}

#[test]
fn partitionless_xentools_guest() {
    let (_, d, _) = plan("xentools-partitionless.img", Target::XenHvm);
    assert_lines(
        &d,
        &[
            "-root\t\t(hd0,0)",
            "+root\t\t(hd0)",
            "+# groot=(hd0)",
            "+kernel\t\t/boot/vmlinuz-6.1.0-28-amd64 root=UUID=d3e1f1c3-6d06-4275-8067-81e47001a1c9 ro elevator=noop console=tty0 console=ttyS0,115200",
            "+# kopt=root=UUID=d3e1f1c3-6d06-4275-8067-81e47001a1c9 ro elevator=noop",
            "+GRUB_CMDLINE_LINUX=\"console=hvc0 console=ttyS0,115200\"",
        ],
    );
    // The unresolvable swap line stays (its fix is manual).
    assert!(!d.contains("-/dev/xvda2 none swap"));
}

#[test]
fn findings_serialise_their_edits() {
    let (_, _, findings) = plan("centos6-pv.img", Target::Kvm);
    let j = serde_json::to_value(&findings).unwrap();
    let f = j
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "DEV001")
        .unwrap();
    assert_eq!(f["edits"][0]["op"], "replace_in_line");
    assert_eq!(f["edits"][0]["old"], "/dev/xvda1");
    assert_eq!(f["edits"][0]["path"], "/etc/fstab");
    let m = j
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "BOOT001")
        .unwrap();
    assert_eq!(m["edits"], serde_json::json!([]));
}
