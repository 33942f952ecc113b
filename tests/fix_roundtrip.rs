//! Fix round trip on every raw corpus image and every target: plan the safe fixes, materialize
//! them into writes, put the writes on a copy of the image with plain file writes, and then
//! `pv2hvm check` on the copy reports no finding with a safe fix, a second plan is empty, and
//! every ext filesystem is `e2fsck -fn` clean and every FAT one `fsck.fat -n` clean.

mod common;

use common::*;
use pv2hvm::fix;
use pv2hvm::guest::Guest;
use pv2hvm::patch::materialize::materialize;
use pv2hvm::rules::{self, Context, Selection, Target};
use serde_json::Value;
use std::path::Path;

const NOW: u32 = 1_700_000_000;

fn raw_images() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/images");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".img"))
        .collect();
    v.sort();
    v
}

/// Plan on the image at `path` for `t`.
fn plan_of(path: &Path, t: Target) -> (Guest, fix::Plan) {
    let g = Guest::open(path).unwrap();
    let p = {
        let cx = Context::new(&g, t);
        let findings = rules::run(&cx, &Selection::default());
        fix::plan(&cx, &findings)
    };
    (g, p)
}

/// `e2fsck -fn` / `fsck.fat -n` on every ext and FAT volume of the image.
fn fsck_all(path: &Path, dir: &Path) {
    let g = Guest::open(path).unwrap();
    for v in &g.volumes {
        let check = match v.fs_type() {
            Some("ext2" | "ext3" | "ext4") => "e2fsck -fn",
            Some("vfat") => "fsck.fat -n",
            _ => continue,
        };
        let part = dir.join(format!("vol{}", v.index));
        sh(&format!(
            "dd if={img} of={part} bs=512 skip={skip} count={count} status=none && {check} {part} >/dev/null 2>&1 || {{ {check} {part}; exit 1; }}",
            img = path.display(),
            part = part.display(),
            skip = v.start / 512,
            count = v.size / 512,
        ));
        std::fs::remove_file(&part).unwrap();
    }
}

#[test]
fn every_raw_image_and_target_round_trips() {
    need("e2fsck", "e2fsprogs");
    need("fsck.fat", "dosfstools");
    let mut changed = 0;
    for image in raw_images() {
        for t in Target::ALL {
            let what = format!("{image} → {}", t.name());
            let tmp = tempfile::tempdir().unwrap();
            let copy = tmp.path().join(&image);
            std::fs::copy(corpus_image(&image), &copy).unwrap();

            let (g, p) = plan_of(&copy, t);
            assert!(p.skipped.is_empty(), "{what}: skipped {:?}", p.skipped);
            let writes = materialize(&g, &p, NOW).unwrap_or_else(|e| panic!("{what}: {e}"));
            drop(g);
            assert_eq!(p.is_empty(), writes.is_empty(), "{what}");
            for w in &writes {
                patch(&copy, w.offset, &w.data);
            }
            changed += usize::from(!p.is_empty());

            let (code, out, err) = pv2hvm(&[
                "check",
                "--format",
                "json",
                "--target",
                t.name(),
                copy.to_str().unwrap(),
            ]);
            assert!(code == 0 || code == 1, "{what}: {err}");
            let j: Value = serde_json::from_str(&out).unwrap();
            let left: Vec<String> = j["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["fix"]["kind"] == "safe")
                .map(|f| format!("{} {}", f["code"], f["message"]))
                .collect();
            assert!(left.is_empty(), "{what}: safe fixes left: {left:#?}");

            let (_, again) = plan_of(&copy, t);
            assert!(
                again.is_empty() && again.skipped.is_empty(),
                "{what}: second plan not empty:\n{}",
                fix::diff::unified(&again)
            );
            fsck_all(&copy, tmp.path());
        }
    }
    assert!(changed >= 20, "only {changed} image/target pairs changed");
}

#[test]
fn clean_guest_plans_nothing() {
    for t in Target::ALL {
        let (_, p) = plan_of(&corpus_image("clean-hvm.img"), t);
        assert!(p.is_empty() && p.skipped.is_empty(), "{}", t.name());
    }
}

/// Plan, materialize and apply on `img` for `t`; then no safe finding is left, a second plan
/// is empty and every filesystem is fsck-clean. Returns the first plan.
fn round_trip(img: &Path, t: Target) -> fix::Plan {
    let what = format!("{} → {}", img.display(), t.name());
    let (g, p) = plan_of(img, t);
    assert!(p.skipped.is_empty(), "{what}: skipped {:?}", p.skipped);
    let writes = materialize(&g, &p, NOW).unwrap_or_else(|e| panic!("{what}: {e}"));
    drop(g);
    for w in &writes {
        patch(img, w.offset, &w.data);
    }
    let g = Guest::open(img).unwrap();
    let cx = Context::new(&g, t);
    let left: Vec<_> = rules::run(&cx, &Selection::default())
        .into_iter()
        .filter(|f| matches!(f.fix, rules::Fix::Safe(_)))
        .map(|f| format!("{} {}", f.code, f.message))
        .collect();
    assert!(left.is_empty(), "{what}: {left:#?}");
    let (_, again) = plan_of(img, t);
    assert!(again.is_empty(), "{what}:\n{}", fix::diff::unified(&again));
    fsck_all(img, img.parent().unwrap());
    p
}

const DEBIAN9: &str = "ID=debian\nVERSION_ID=\"9\"\n";

fn menu_lst(cmdline: &str) -> String {
    format!(
        "default 0\ntimeout 5\ntitle Linux\n\troot (hd0,0)\n\
         \tkernel /boot/vmlinuz-4.9.0-13-amd64 root=UUID={} ro {cmdline}\n\
         \tinitrd /boot/initrd.img-4.9.0-13-amd64\n",
        common::guest::ROOT_UUID
    )
}

#[test]
fn xen_pv_gets_hvc0_back() {
    use common::guest::*;
    let base = || {
        GuestSpec::new()
            .file("/etc/os-release", DEBIAN9)
            .file(
                "/etc/fstab",
                &format!("UUID={ROOT_UUID} / ext4 defaults 0 1\n"),
            )
            .file(
                "/boot/grub/menu.lst",
                &menu_lst("console=tty0 console=ttyS0,115200"),
            )
            .file("/boot/vmlinuz-4.9.0-13-amd64", "kernel")
            .file("/boot/initrd.img-4.9.0-13-amd64", "initrd")
            .file("/boot/config-4.9.0-13-amd64", "CONFIG_XEN=y\n")
    };
    // sysvinit: an hvc0 line after the ttyS0 one.
    let d = tempfile::tempdir().unwrap();
    let img = base()
        .file("/sbin/init", "\x7fELF INIT_VERSION=sysvinit-2.88")
        .file(
            "/etc/inittab",
            "id:2:initdefault:\n1:2345:respawn:/sbin/getty 38400 tty1\n\
             T0:23:respawn:/sbin/getty -L ttyS0 115200 vt100\n",
        )
        .build(d.path());
    let p = round_trip(&img, Target::XenPv);
    assert!(p.codes().contains(&"CON012"), "{:?}", p.codes());
    let d2 = fix::diff::unified(&p);
    assert!(
        d2.contains("+S0:23:respawn:/sbin/getty -L hvc0 115200 vt100"),
        "{d2}"
    );
    assert!(d2.contains("console=ttyS0,115200 console=hvc0"), "{d2}");
    // upstart: hvc0.conf from the ttyS0 job.
    let d = tempfile::tempdir().unwrap();
    let img = base()
        .file("/sbin/init", "\x7fELF com.ubuntu.Upstart")
        .file("/sbin/initctl", "\x7fELF initctl")
        .file(
            "/etc/init/ttyS0.conf",
            "start on stopped rc RUNLEVEL=[2345]\nrespawn\nexec /sbin/getty -8 115200 ttyS0\n",
        )
        .build(d.path());
    let p = round_trip(&img, Target::XenPv);
    assert!(p.files.iter().any(|f| f.path == "/etc/init/hvc0.conf"));
}

#[test]
fn fat_boot_volume_is_edited_in_place() {
    use common::guest::*;
    need("mkfs.fat", "dosfstools");
    need("mcopy", "mtools");
    let d = tempfile::tempdir().unwrap();
    let root = GuestSpec::new()
        .file("/etc/os-release", DEBIAN9)
        .file(
            "/etc/fstab",
            &format!(
                "UUID={ROOT_UUID} / ext4 defaults 0 1\nUUID=1234-ABCD /boot vfat defaults 0 2\n"
            ),
        )
        .file("/etc/securetty", "console\ntty1\n")
        .partitionless()
        .build(d.path());
    let dir = d.path().display();
    let grub = d.path().join("menu.lst");
    std::fs::write(&grub, menu_lst("console=hvc0")).unwrap();
    sh(&format!(
        "cd {dir} && truncate -s 16M disk.img && \
         printf 'label: dos\\nstart=2048, size=8192, type=c\\nstart=10240, size=16384, type=83\\n' | sfdisk -q disk.img && \
         truncate -s 4M boot.fs && mkfs.fat -F 12 -i 1234ABCD boot.fs >/dev/null && \
         MTOOLS_SKIP_CHECK=1 mmd -i boot.fs ::/grub && \
         MTOOLS_SKIP_CHECK=1 mcopy -i boot.fs menu.lst ::/grub/menu.lst && \
         printf kernel > vmlinuz-4.9.0-13-amd64 && printf initrd > initrd.img-4.9.0-13-amd64 && \
         MTOOLS_SKIP_CHECK=1 mcopy -i boot.fs vmlinuz-4.9.0-13-amd64 initrd.img-4.9.0-13-amd64 :: && \
         dd if=boot.fs of=disk.img bs=512 seek=2048 conv=notrunc status=none && \
         dd if={root} of=disk.img bs=512 seek=10240 conv=notrunc status=none",
        root = root.display()
    ));
    let img = d.path().join("disk.img");
    let p = round_trip(&img, Target::Kvm);
    let vols: Vec<usize> = p.files.iter().map(|f| f.volume).collect();
    assert!(vols.contains(&0) && vols.contains(&1), "{vols:?}");
    let (_, out, _) = pv2hvm(&["cat", img.to_str().unwrap(), "/boot/grub/menu.lst"]);
    assert!(out.contains("console=hvc0 console=ttyS0,115200"), "{out}");
}

#[test]
fn refusals_refuse_everything() {
    // Creating a file on FAT is refused, and with it the whole plan.
    let (g, mut p) = plan_of(&corpus_image("gpt-efi.img"), Target::Kvm);
    assert!(!p.is_empty());
    let fat = g
        .volumes
        .iter()
        .find(|v| v.fs_type() == Some("vfat"))
        .expect("gpt-efi has an ESP")
        .index;
    p.files.push(fix::FileChange {
        path: "/boot/efi/new.txt".into(),
        volume: fat,
        fs_path: "/new.txt".into(),
        before: None,
        after: fix::Change::Create {
            content: b"x\n".to_vec(),
            mode: 0o644,
        },
        codes: vec!["TEST"],
    });
    let e = materialize(&g, &p, NOW).unwrap_err();
    assert!(e.contains("FAT"), "{e}");
    // A volume without a writable filesystem.
    let (g, mut p) = plan_of(&corpus_image("gpt-efi.img"), Target::Kvm);
    let none = g
        .volumes
        .iter()
        .find(|v| v.fs_type().is_none())
        .unwrap()
        .index;
    p.files[0].volume = none;
    assert!(materialize(&g, &p, NOW).is_err());
}
