//! Parses initramfs-tools' `/etc/initramfs-tools/conf.d/resume` (`RESUME=UUID=…` or
//! `RESUME=/dev/xvda2`): the swap device the initramfs resumes from, classified by [`DeviceRef`].

pub use super::devref::DeviceRef;
pub use super::fstab::LineProblem;
use super::ifcfg::{parse_assignments, Assignments};
use serde::Serialize;

/// The `RESUME=` setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resume {
    /// 1-based line number of the (last) `RESUME=` line.
    pub line: usize,
    /// The original line.
    pub text: String,
    /// The value as written (unquoted).
    pub spec: String,
    /// `None` for the special values `none` / `auto` / empty (no device named).
    pub device: Option<DeviceRef>,
}

/// A parsed resume file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResumeConf {
    pub resume: Option<Resume>,
    /// Every assignment in the file (it is sourced by a shell).
    pub vars: Assignments,
}

/// Parses the resume file.
pub fn parse(text: &str) -> ResumeConf {
    let vars = parse_assignments(text);
    let resume = vars.get("RESUME").map(|a| {
        let spec = a.value.trim().to_string();
        let device = match spec.to_ascii_lowercase().as_str() {
            "" | "none" | "auto" => None,
            _ => Some(DeviceRef::parse(&spec)),
        };
        Resume {
            line: a.line,
            text: a.text.clone(),
            spec,
            device,
        }
    });
    ResumeConf { resume, vars }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn corpus_resume() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/trees/debian9-sysv/etc/initramfs-tools/conf.d/resume");
        let r = parse(&std::fs::read_to_string(p).unwrap());
        assert!(r.vars.problems.is_empty());
        let res = r.resume.unwrap();
        assert_eq!((res.line, res.spec.as_str()), (1, "/dev/xvda2"));
        assert!(res.device.unwrap().is_kernel_name());
    }

    #[test]
    fn forms() {
        let r = parse("# c\nRESUME=\"UUID=1234-abcd\"\n");
        assert_eq!(
            r.resume.unwrap().device,
            Some(DeviceRef::Uuid("1234-abcd".into()))
        );
        assert_eq!(parse("RESUME=none\n").resume.unwrap().device, None);
        assert_eq!(parse("RESUME=auto\n").resume.unwrap().device, None);
        assert!(parse("# nothing\n").resume.is_none());
        let r = parse("RESUME=/dev/xvda2\nRESUME=LABEL=swap\njunk here\n");
        assert_eq!(r.resume.as_ref().unwrap().line, 2);
        assert_eq!(r.vars.problems.len(), 1);
    }

    #[test]
    fn random_bytes_never_panic() {
        crate::parse::inittab::tests_support::fuzz(b" \n#='\"RESUME=UUID/dev/xvda2", |s| {
            let _ = parse(s);
        });
    }
}
