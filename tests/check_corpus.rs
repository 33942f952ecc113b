//! `pv2hvm check` on every committed corpus image and every target gives exactly the finding
//! codes that the image's planted hazards call for (`corpus/expected-findings.json`, written by
//! hand), and the clean control guest gives none at all.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

const TARGETS: [&str; 5] = ["xen-hvm", "xen-pvhvm", "kvm", "nitro", "xen-pv"];

fn expected() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/expected-findings.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn actual(image: &str, target: &str) -> (BTreeSet<String>, Value) {
    let path = corpus_image(image);
    let (code, out, err) = pv2hvm(&[
        "check",
        "--format",
        "json",
        "--fail-on",
        "info",
        "--target",
        target,
        path.to_str().unwrap(),
    ]);
    let j: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{image} {target}: {e} {err}"));
    let codes: BTreeSet<String> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        code,
        i32::from(!codes.is_empty()),
        "{image} {target}: exit status"
    );
    (codes, j)
}

#[test]
fn every_image_and_target_gives_exactly_its_planted_findings() {
    let exp = expected();
    let images = exp["images"].as_object().unwrap();
    assert_eq!(images.len(), 11, "every corpus image has expectations");
    let mut errors = Vec::new();
    for (image, per_target) in images {
        for t in TARGETS {
            let want: BTreeSet<String> = per_target[t]
                .as_array()
                .unwrap_or_else(|| panic!("{image}: no {t}"))
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            let (got, _) = actual(image, t);
            if got != want {
                let extra: Vec<_> = got.difference(&want).collect();
                let missing: Vec<_> = want.difference(&got).collect();
                errors.push(format!(
                    "{image} on {t}: unexpected {extra:?}, missing {missing:?}"
                ));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} mismatches:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn the_control_guest_is_clean_on_every_target() {
    for t in TARGETS {
        let (codes, j) = actual("clean-hvm.img", t);
        assert!(codes.is_empty(), "{t}: {codes:?}");
        assert_eq!(
            j["verdict"],
            format!("ready for {t}: no errors or warnings")
        );
    }
}

#[test]
fn every_finding_carries_its_location_and_fix() {
    let (_, j) = actual("centos6-pv.img", "kvm");
    for f in j["findings"].as_array().unwrap() {
        let loc = &f["location"];
        assert!(f["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty() && !m.contains('\n')));
        assert!(
            ["safe", "unsafe", "manual"].contains(&f["fix"]["kind"].as_str().unwrap()),
            "{f}"
        );
        if let Some(path) = loc["path"].as_str() {
            assert!(path.starts_with('/'), "{f}");
            assert!(
                loc["volume"]["partition"].is_u64(),
                "a guest file names its volume: {f}"
            );
            assert!(loc["volume"]["uuid"].is_string(), "{f}");
        }
    }
    let fstab = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "DEV001")
        .unwrap();
    assert_eq!(fstab["location"]["line"], 9);
    assert!(fstab["text"].as_str().unwrap().starts_with("/dev/xvda1"));
}
