//! A plan as a unified diff (`--- a/PATH` / `+++ b/PATH` per file; new files and links in git's
//! style, from `/dev/null` with their mode).

use super::plan::{Change, Plan};
use similar::TextDiff;

/// The whole plan as one unified diff.
pub fn unified(plan: &Plan) -> String {
    let mut out = String::new();
    for f in &plan.files {
        let rel = f.path.trim_start_matches('/');
        let a = format!("a/{rel}");
        let b = format!("b/{rel}");
        match &f.after {
            Change::Replace(after) => {
                let before = String::from_utf8_lossy(f.before.as_deref().unwrap_or_default());
                let after = String::from_utf8_lossy(after);
                let diff = TextDiff::from_lines(before.as_ref(), after.as_ref());
                out.push_str(
                    &diff
                        .unified_diff()
                        .context_radius(3)
                        .header(&a, &b)
                        .to_string(),
                );
            }
            Change::Create { content, mode } => {
                out.push_str(&format!("new file mode {:o}\n", 0o100000 | (mode & 0o7777)));
                let after = String::from_utf8_lossy(content);
                let diff = TextDiff::from_lines("", after.as_ref());
                out.push_str(&diff.unified_diff().header("/dev/null", &b).to_string());
            }
            Change::Symlink(target) => {
                out.push_str("new file mode 120000\n");
                let diff = TextDiff::from_lines("", target.as_str());
                out.push_str(&diff.unified_diff().header("/dev/null", &b).to_string());
            }
        }
    }
    out
}
