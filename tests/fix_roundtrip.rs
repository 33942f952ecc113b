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
fn fsck_all(path: &Path, dir: &Path, what: &str) {
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
        let _ = what;
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
            fsck_all(&copy, tmp.path(), &what);
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
