//! SARIF 2.1.0 output, so findings land in existing code-scanning dashboards. Guest paths are
//! relative to the `GUESTROOT` base; findings about the disk itself carry no physical location.

use crate::rules::{registry, Finding, Severity};
use serde_json::{json, Value};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn rules() -> Vec<Value> {
    registry::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.info.code,
                "name": r.info.name,
                "shortDescription": {"text": r.info.summary},
                "fullDescription": {"text": r.info.explanation},
                "help": {"text": r.info.explanation},
                "properties": {"area": r.info.area, "fix": r.info.fix},
            })
        })
        .collect()
}

fn result(image: &str, f: &Finding) -> Value {
    let mut r = json!({
        "ruleId": f.code,
        "ruleIndex": registry::ALL.iter().position(|r| r.info.code == f.code),
        "level": level(f.severity),
        "message": {"text": f.message},
        "properties": {"fix": f.fix, "image": image},
    });
    if let Some(path) = &f.location.path {
        let mut region = json!({});
        if let Some(line) = f.location.line {
            region["startLine"] = json!(line);
        }
        if let Some(t) = &f.text {
            region["snippet"] = json!({"text": t});
        }
        r["locations"] = json!([{
            "physicalLocation": {
                "artifactLocation": {"uri": path.trim_start_matches('/'), "uriBaseId": "GUESTROOT"},
                "region": region,
            }
        }]);
    }
    if let Some(v) = &f.location.volume {
        r["properties"]["volume"] = json!(v);
    }
    r
}

/// One SARIF log with one run for `image`.
pub fn render(image: &str, target: &str, findings: &[Finding]) -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "pv2hvm",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules(),
            }},
            "originalUriBaseIds": {"GUESTROOT": {"description": {"text": format!("the root of the guest in {image}")}}},
            "properties": {"image": image, "target": target},
            "results": findings.iter().map(|f| result(image, f)).collect::<Vec<_>>(),
        }]
    })
}
