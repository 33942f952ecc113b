//! The catalog is documented and tested: the README carries exactly the table that
//! `pv2hvm explain --all --table` prints, every rule explains itself, and every rule code
//! appears in the rule tests (where it is made to fire and shown not to).

mod common;

use common::*;

fn codes() -> Vec<String> {
    let (code, out, _) = pv2hvm(&["explain", "--all", "--table"]);
    assert_eq!(code, 0);
    out.lines()
        .skip(2)
        .map(|l| l.split('|').nth(1).unwrap().trim().to_string())
        .collect()
}

#[test]
fn readme_lists_the_catalog_as_explain_prints_it() {
    let (_, table, _) = pv2hvm(&["explain", "--all", "--table"]);
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    assert!(
        readme.contains(&table),
        "README's rule table is stale: paste `pv2hvm explain --all --table` into it"
    );
    assert!(codes().len() >= 40, "the catalog covers the hazards");
}

#[test]
fn every_rule_explains_itself_and_is_tested() {
    let tests_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut all_tests = String::new();
    for e in std::fs::read_dir(&tests_dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("rules_") {
            all_tests.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    for c in codes() {
        let (code, out, _) = pv2hvm(&["explain", &c]);
        assert_eq!(code, 0, "{c}");
        assert!(out.starts_with(&format!("{c} (")), "{out}");
        let quoted = format!("\"{c}\"");
        let n = all_tests.matches(&quoted).count() + all_tests.matches(&c.to_lowercase()).count();
        assert!(
            n >= 2,
            "{c} is not exercised by the rule tests ({n} mentions)"
        );
    }
    let (code, _, err) = pv2hvm(&["explain", "NOPE001"]);
    assert_eq!(code, 2);
    assert!(err.contains("explain --all"), "{err}");
}
