//! The command line as an operator uses it: help, `ls`, `cat`, exit statuses and messages.

mod common;

use common::*;

fn centos6() -> String {
    corpus_image("centos6-pv.img")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_command_has_help() {
    for cmd in [
        &["--help"][..],
        &["inspect", "--help"],
        &["ls", "--help"],
        &["cat", "--help"],
    ] {
        let (code, out, _) = pv2hvm(cmd);
        assert_eq!(code, 0, "{cmd:?}");
        assert!(out.contains("Usage: pv2hvm"), "{cmd:?}: {out}");
    }
    let (code, _, err) = pv2hvm(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("unrecognized subcommand"), "{err}");
}

#[test]
fn ls_follows_mounts_and_shows_links() {
    let (code, out, err) = pv2hvm(&["ls", "-l", &centos6(), "/boot/grub"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("menu.lst -> ./grub.conf"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with('-') && l.ends_with(" grub.conf")),
        "{out}"
    );
    let (code, out, _) = pv2hvm(&["ls", &centos6()]);
    assert_eq!(code, 0);
    for d in ["boot", "etc", "sbin"] {
        assert!(out.lines().any(|l| l == d), "{d} in {out}");
    }
}

#[test]
fn cat_reads_through_symlinks_and_reports_missing_paths() {
    let (code, menu, _) = pv2hvm(&["cat", &centos6(), "/boot/grub/menu.lst"]);
    let (_, conf, _) = pv2hvm(&["cat", &centos6(), "/boot/grub/grub.conf"]);
    assert_eq!(code, 0);
    assert!(menu.contains("console=hvc0"), "{menu}");
    assert_eq!(menu, conf);
    let (code, out, err) = pv2hvm(&["cat", &centos6(), "/etc/nonexistent"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err.trim(),
        "pv2hvm: /etc/nonexistent: no such file or directory"
    );
    let (code, _, err) = pv2hvm(&["cat", &centos6(), "/etc"]);
    assert_eq!(code, 1);
    assert!(err.contains("is a directory"), "{err}");
    let (code, _, err) = pv2hvm(&["cat", &centos6(), "/etc/fstab", "--max-size", "10"]);
    assert_eq!(code, 1);
    assert!(err.contains("limit"), "{err}");
}

#[test]
fn human_inspect_names_what_matters() {
    let (code, out, err) = pv2hvm(&["inspect", "--stats", &centos6()]);
    assert_eq!(code, 0, "{err}");
    for want in [
        "Table      MBR",
        "Boot code  code area is all zeros",
        "Root       partition 1",
        "CentOS release 6.10 (Final)",
        "Init       upstart",
        "/dev/xvda1",
        "-> partition 1 (by kernel name)",
        "/boot/grub/menu.lst -> ./grub.conf",
        "2.6.32-754.el6.x86_64",
        "Read ",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}
