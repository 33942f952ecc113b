//! `pv2hvm inspect --json` on every committed corpus image, compared field by field with
//! `corpus/manifest.json` — written by hand from the design of each guest, never generated
//! from the tool's output.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// Most bytes an inspection may read from any corpus image.
const MAX_BYTES_READ: u64 = 4 << 20;

fn manifest() -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/manifest.json");
    let text = std::fs::read_to_string(path).expect("corpus/manifest.json");
    serde_json::from_str::<Value>(&text)
        .expect("manifest is JSON")
        .as_array()
        .expect("a list of images")
        .clone()
}

fn inspect(image: &str) -> Value {
    let path = corpus_image(image);
    let (code, out, err) = pv2hvm(&["inspect", "--json", "--stats", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{image}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{image}: bad JSON {e}: {out}"))
}

/// Collects mismatches for one image instead of stopping at the first.
struct Check<'a> {
    image: &'a str,
    errors: Vec<String>,
}

impl Check<'_> {
    fn eq(&mut self, what: &str, got: &Value, want: &Value) {
        if got != want {
            self.errors
                .push(format!("{}: {what}: got {got}, want {want}", self.image));
        }
    }
}

fn volume_by_number<'v>(got: &'v Value, n: &Value) -> Option<&'v Value> {
    got["volumes"]
        .as_array()?
        .iter()
        .find(|v| &v["number"] == n)
}

fn check_volumes(c: &mut Check, got: &Value, want: &Value) {
    let numbers = |v: &Value, key: &str| -> BTreeSet<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["number"].to_string())
            .collect()
    };
    c.eq(
        "volume numbers",
        &Value::from(numbers(got, "volumes").into_iter().collect::<Vec<_>>()),
        &Value::from(numbers(want, "volumes").into_iter().collect::<Vec<_>>()),
    );
    for w in want["volumes"].as_array().unwrap() {
        let Some(g) = volume_by_number(got, &w["number"]) else {
            continue;
        };
        let n = &w["number"];
        let sig = &g["signature"];
        let or_null = |v: &Value| if v.is_null() { Value::Null } else { v.clone() };
        c.eq(
            &format!("volume {n} type"),
            &or_null(&sig["fs_type"]),
            &w["fs_type"],
        );
        c.eq(
            &format!("volume {n} uuid"),
            &or_null(&sig["uuid"]),
            &w["uuid"],
        );
        c.eq(
            &format!("volume {n} label"),
            &or_null(&sig["label"]),
            &w["label"],
        );
    }
}

fn check_fstab(c: &mut Check, got: &Value, want: &Value) {
    let entries = got["fstab"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let wanted = want["fstab"].as_array().unwrap();
    for w in wanted {
        let Some(g) = entries.iter().find(|e| e["line"] == w["line"]) else {
            c.errors
                .push(format!("{}: fstab line {} missing", c.image, w["line"]));
            continue;
        };
        let l = &w["line"];
        c.eq(&format!("fstab line {l} spec"), &g["spec"], &w["spec"]);
        c.eq(
            &format!("fstab line {l} mountpoint"),
            &g["mountpoint"],
            &w["mountpoint"],
        );
        let res = &g["resolution"];
        let resolved = if res["status"] == "volume" {
            res["number"].clone()
        } else {
            Value::Null
        };
        c.eq(
            &format!("fstab line {l} resolves to"),
            &resolved,
            &w["resolves_to"],
        );
        if w["resolves_to"].is_null() {
            c.eq(
                &format!("fstab line {l} status"),
                &res["status"],
                &"missing".into(),
            );
        }
    }
    for g in &entries {
        if !wanted.iter().any(|w| w["line"] == g["line"]) {
            c.eq(
                &format!("fstab line {} (not a disk)", g["line"]),
                &g["resolution"]["status"],
                &"not_a_device".into(),
            );
        }
    }
}

fn check_inventory(c: &mut Check, got: &Value, want: &Value) {
    let inv = &got["inventory"];
    c.eq("distro id", &inv["distro"]["id"], &want["distro"]["id"]);
    c.eq(
        "distro version",
        &inv["distro"]["version"],
        &want["distro"]["version"],
    );
    c.eq("init", &inv["init"]["kind"], &want["init"]);
    let configs: BTreeSet<String> = inv["boot_configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["path"].as_str().unwrap().to_string())
        .collect();
    let want_configs: BTreeSet<String> = want["bootloader_configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap().to_string())
        .collect();
    c.eq(
        "bootloader configs",
        &Value::from(configs.into_iter().collect::<Vec<_>>()),
        &Value::from(want_configs.into_iter().collect::<Vec<_>>()),
    );
    let kernels = |v: &Value| -> BTreeSet<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|k| (k["version"].to_string(), k["initrd"].to_string()))
            .collect()
    };
    c.eq(
        "kernels (version, initrd)",
        &Value::from(format!("{:?}", kernels(&inv["kernels"]))),
        &Value::from(format!("{:?}", kernels(&want["kernels"]))),
    );
}

#[test]
fn inspect_matches_the_manifest_for_every_corpus_image() {
    let images = manifest();
    assert!(images.len() >= 10, "the corpus lists every guest");
    let mut all = Vec::new();
    for want in &images {
        let image = want["image"].as_str().unwrap();
        let got = inspect(image);
        let mut c = Check {
            image,
            errors: Vec::new(),
        };
        c.eq("schema", &got["schema"], &"pv2hvm.inspect".into());
        c.eq("format", &got["image"]["format"], &want["format"]);
        c.eq(
            "table",
            &got["partition_table"]["kind"],
            &want["partition_table"],
        );
        let code = want["mbr_boot_code"].as_str().unwrap().replace('-', "_");
        c.eq("boot code", &got["boot_code"]["kind"], &code.into());
        c.eq(
            "root partition",
            &got["root"]["partition"],
            &want["root_partition"],
        );
        check_volumes(&mut c, &got, want);
        check_fstab(&mut c, &got, want);
        check_inventory(&mut c, &got, want);
        let read = got["stats"]["bytes_read"].as_u64().unwrap();
        if read > MAX_BYTES_READ {
            c.errors.push(format!("{image}: read {read} bytes"));
        }
        println!("{image}: {read} bytes read");
        all.extend(c.errors);
    }
    assert!(
        all.is_empty(),
        "{} mismatches:\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn qcow2_and_raw_give_the_same_guest() {
    let raw = inspect("gpt-efi.img");
    let q = inspect("gpt-efi.qcow2");
    assert_eq!(q["image"]["format"], "qcow2");
    for key in [
        "partition_table",
        "volumes",
        "fstab",
        "mounts",
        "inventory",
        "root",
    ] {
        assert_eq!(raw[key], q[key], "{key} differs between raw and qcow2");
    }
}

#[test]
fn a_qcow2_overlay_reads_through_its_backing_chain() {
    let over = inspect("gpt-efi-overlay.qcow2");
    assert_eq!(
        over["image"]["backing_chain"],
        serde_json::json!(["gpt-efi.qcow2"])
    );
    let path = corpus_image("gpt-efi-overlay.qcow2");
    let base = corpus_image("gpt-efi.qcow2");
    let (_, entries, _) = pv2hvm(&["ls", base.to_str().unwrap(), "/boot/loader/entries"]);
    let mut changed = 0;
    for name in entries.lines() {
        let p = format!("/boot/loader/entries/{name}");
        let (c1, top, _) = pv2hvm(&["cat", path.to_str().unwrap(), &p]);
        let (c2, bottom, _) = pv2hvm(&["cat", base.to_str().unwrap(), &p]);
        assert_eq!((c1, c2), (0, 0));
        if top != bottom {
            assert!(top.contains("console=ttyS0") && !bottom.contains("console=ttyS0"));
            changed += 1;
        }
    }
    assert_eq!(changed, 1, "the overlay's top layer changes one boot entry");
}
