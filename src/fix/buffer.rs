//! A text file as lines keyed by their ORIGINAL line numbers: edits address original lines, so
//! inserting or removing lines never shifts the lines later edits point at.

use crate::rules::Edit;

#[derive(Debug, Clone)]
struct Slot {
    /// Current text (without line ending); `None` once removed.
    text: Option<String>,
    /// The line ended with `\r\n`.
    cr: bool,
    /// Lines inserted after this one.
    after: Vec<String>,
}

/// A file being edited.
#[derive(Debug, Clone)]
pub struct LineBuffer {
    top: Vec<String>,
    lines: Vec<Slot>,
    tail: Vec<String>,
    /// The original ended with a newline (or was empty).
    final_newline: bool,
    /// Line ending for inserted lines.
    crlf: bool,
}

fn opens_token(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '=')
}

fn closes_token(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'')
}

/// Byte position of the first occurrence of `old` in `s` that stands as a whole token.
pub fn find_token(s: &str, old: &str) -> Option<usize> {
    if old.is_empty() {
        return None;
    }
    let first = old.chars().next()?;
    let last = old.chars().next_back()?;
    let check_before = first.is_ascii_alphanumeric() || first == '/';
    let check_after = last.is_ascii_alphanumeric();
    let mut from = 0;
    while let Some(rel) = s[from..].find(old) {
        let at = from + rel;
        let before_ok = !check_before || s[..at].chars().next_back().is_none_or(opens_token);
        let after_ok = !check_after || s[at + old.len()..].chars().next().is_none_or(closes_token);
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + old.len().max(1);
        // stay on a char boundary
        while from < s.len() && !s.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

/// Position of a whitespace/quote-delimited token equal to `token`.
fn find_exact_token(s: &str, token: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(rel) = s[from..].find(token) {
        let at = from + rel;
        let before_ok = s[..at].chars().next_back().is_none_or(opens_token);
        let after_ok = s[at + token.len()..]
            .chars()
            .next()
            .is_none_or(closes_token);
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + token.len().max(1);
        while from < s.len() && !s.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

impl LineBuffer {
    /// Split `text` into lines.
    pub fn new(text: &str) -> LineBuffer {
        let final_newline = text.is_empty() || text.ends_with('\n');
        let body = text.strip_suffix('\n').unwrap_or(text);
        let lines: Vec<Slot> = if text.is_empty() {
            Vec::new()
        } else {
            body.split('\n')
                .map(|l| match l.strip_suffix('\r') {
                    Some(t) => Slot {
                        text: Some(t.to_string()),
                        cr: true,
                        after: Vec::new(),
                    },
                    None => Slot {
                        text: Some(l.to_string()),
                        cr: false,
                        after: Vec::new(),
                    },
                })
                .collect()
        };
        let mut lines = lines;
        // The last line has no line ending of its own when the file lacks a final newline:
        // it gets the file's if lines are added after it.
        let terminated = if final_newline {
            lines.len()
        } else {
            lines.len().saturating_sub(1)
        };
        let crlf = terminated > 0 && lines[..terminated].iter().all(|s| s.cr);
        if !final_newline {
            if let Some(last) = lines.last_mut() {
                if last.cr {
                    // A lone `\r` at the very end is content, not a line ending.
                    if let Some(t) = last.text.as_mut() {
                        t.push('\r');
                    }
                }
                last.cr = crlf;
            }
        }
        LineBuffer {
            top: Vec::new(),
            lines,
            tail: Vec::new(),
            final_newline,
            crlf,
        }
    }

    /// Number of original lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// `true` for an empty file.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn slot(&mut self, line: usize) -> Result<&mut Slot, String> {
        let n = self.lines.len();
        let s = line
            .checked_sub(1)
            .and_then(|i| self.lines.get_mut(i))
            .ok_or_else(|| format!("line {line} is past the end of the file ({n} lines)"))?;
        if s.text.is_none() {
            return Err(format!("line {line} was removed by another edit"));
        }
        Ok(s)
    }

    fn text_mut(&mut self, line: usize) -> Result<&mut String, String> {
        let s = self.slot(line)?;
        Ok(s.text.as_mut().expect("checked by slot"))
    }

    /// Apply one text edit. `Err(reason)` leaves the buffer unchanged.
    pub fn apply(&mut self, edit: &Edit) -> Result<(), String> {
        match edit {
            Edit::ReplaceInLine { line, old, new, .. } => {
                let t = self.text_mut(*line)?;
                let at = find_token(t, old)
                    .ok_or_else(|| format!("`{old}` is not on line {line} any more"))?;
                t.replace_range(at..at + old.len(), new);
                Ok(())
            }
            Edit::ReplaceLine { line, old, new, .. } => {
                let t = self.text_mut(*line)?;
                if t != old {
                    return Err(format!("line {line} no longer reads `{old}`"));
                }
                *t = new.clone();
                Ok(())
            }
            Edit::AppendToLine { line, text, .. } => {
                let t = self.text_mut(*line)?;
                let keep = t.trim_end().len();
                t.truncate(keep);
                if !t.is_empty() {
                    t.push(' ');
                }
                t.push_str(text);
                Ok(())
            }
            Edit::InsertInQuotedValue {
                line, key, text, ..
            } => {
                let t = self.text_mut(*line)?;
                *t = insert_in_value(t, key, text)
                    .ok_or_else(|| format!("no {key}= assignment on line {line}"))?;
                Ok(())
            }
            Edit::RemoveToken { line, token, .. } => {
                let t = self.text_mut(*line)?;
                let at = find_exact_token(t, token)
                    .ok_or_else(|| format!("`{token}` is not on line {line} any more"))?;
                let mut start = at;
                let mut end = at + token.len();
                let trailing = t[end..].len() - t[end..].trim_start().len();
                if trailing > 0 && end + trailing < t.len() {
                    end += trailing;
                } else {
                    let lead = t[..start].len() - t[..start].trim_end().len();
                    start -= lead;
                }
                t.replace_range(start..end, "");
                Ok(())
            }
            Edit::InsertLines {
                after_line, lines, ..
            } => {
                if *after_line == 0 {
                    self.top.extend(lines.iter().cloned());
                    return Ok(());
                }
                let n = self.lines.len();
                let s = self
                    .lines
                    .get_mut(after_line - 1)
                    .ok_or_else(|| format!("line {after_line} is past the end ({n} lines)"))?;
                s.after.extend(lines.iter().cloned());
                Ok(())
            }
            Edit::AppendLines { lines, .. } => {
                self.tail.extend(lines.iter().cloned());
                Ok(())
            }
            Edit::CommentOut { line, .. } => {
                let t = self.text_mut(*line)?;
                if !t.trim_start().starts_with('#') {
                    t.insert(0, '#');
                }
                Ok(())
            }
            Edit::CreateFile { .. } | Edit::CreateSymlink { .. } => {
                Err("creates a file: not a text edit".into())
            }
        }
    }

    /// The edited text.
    pub fn render(&self) -> String {
        let mut out: Vec<(String, bool)> = Vec::new();
        let ins = self.crlf;
        out.extend(self.top.iter().map(|l| (l.clone(), ins)));
        for s in &self.lines {
            if let Some(t) = &s.text {
                out.push((t.clone(), s.cr));
            }
            out.extend(s.after.iter().map(|l| (l.clone(), s.cr)));
        }
        let body_lines = out.len();
        out.extend(self.tail.iter().map(|l| (l.clone(), ins)));
        let mut text = String::new();
        for (i, (l, cr)) in out.iter().enumerate() {
            text.push_str(l);
            let last = i + 1 == out.len();
            let newline = !last || self.final_newline || i >= body_lines;
            if newline {
                if *cr {
                    text.push('\r');
                }
                text.push('\n');
            }
        }
        text
    }
}

/// `line` with `text` added at the end of the value of its `key=` assignment.
fn insert_in_value(line: &str, key: &str, text: &str) -> Option<String> {
    let at = find_key(line, key)?;
    let vstart = at + key.len() + 1;
    let rest = &line[vstart..];
    let first = rest.chars().next();
    match first {
        Some(q @ ('"' | '\'')) => {
            let close = rest[1..].rfind(q)? + 1;
            let inner = &rest[1..close];
            let sep = if inner.trim().is_empty() || inner.ends_with(char::is_whitespace) {
                ""
            } else {
                " "
            };
            let inner_trim = if inner.trim().is_empty() { "" } else { inner };
            Some(format!(
                "{}{q}{inner_trim}{sep}{text}{}",
                &line[..vstart],
                &rest[close..]
            ))
        }
        _ => {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == ';' || c == '#')
                .unwrap_or(rest.len());
            let value = &rest[..end];
            let joined = if value.is_empty() {
                text.to_string()
            } else {
                format!("{value} {text}")
            };
            Some(format!("{}\"{joined}\"{}", &line[..vstart], &rest[end..]))
        }
    }
}

/// Byte position of `key=` as an assignment on `line` (at the start or after `export `).
fn find_key(line: &str, key: &str) -> Option<usize> {
    let pat = format!("{key}=");
    let mut from = 0;
    while let Some(rel) = line[from..].find(&pat) {
        let at = from + rel;
        if line[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == ';')
        {
            return Some(at);
        }
        from = at + pat.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> String {
        "/f".to_string()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            find_token("a root=/dev/xvda1 b", "root=/dev/xvda1"),
            Some(2)
        );
        assert_eq!(find_token("root=/dev/xvda10", "root=/dev/xvda1"), None);
        assert_eq!(
            find_token("# kopt=root=/dev/xvda1 ro", "root=/dev/xvda1"),
            Some(7)
        );
        assert_eq!(find_token("myroot=/dev/xvda1", "root=/dev/xvda1"), None);
        assert_eq!(find_token("root (hd0,0)", "(hd0,0)"), Some(5));
        assert_eq!(find_token("x /dev/xvda1\tdefaults", "/dev/xvda1"), Some(2));
    }

    #[test]
    fn edits_compose_on_original_lines() {
        let mut b = LineBuffer::new("a\nkernel /v root=/dev/xvda1 console=hvc0 \nc\n");
        b.apply(&Edit::InsertLines {
            path: p(),
            after_line: 0,
            lines: vec!["top".into()],
        })
        .unwrap();
        b.apply(&Edit::InsertLines {
            path: p(),
            after_line: 1,
            lines: vec!["x".into()],
        })
        .unwrap();
        b.apply(&Edit::ReplaceInLine {
            path: p(),
            line: 2,
            old: "root=/dev/xvda1".into(),
            new: "root=UUID=u".into(),
        })
        .unwrap();
        b.apply(&Edit::AppendToLine {
            path: p(),
            line: 2,
            text: "console=ttyS0,115200".into(),
        })
        .unwrap();
        b.apply(&Edit::CommentOut { path: p(), line: 3 }).unwrap();
        b.apply(&Edit::AppendLines {
            path: p(),
            lines: vec!["end".into()],
        })
        .unwrap();
        assert_eq!(
            b.render(),
            "top\na\nx\nkernel /v root=UUID=u console=hvc0 console=ttyS0,115200\n#c\nend\n"
        );
        assert!(b
            .apply(&Edit::ReplaceInLine {
                path: p(),
                line: 2,
                old: "root=/dev/xvda1".into(),
                new: "z".into()
            })
            .is_err());
    }

    #[test]
    fn quoted_values_and_tokens() {
        assert_eq!(
            insert_in_value(
                "GRUB_CMDLINE_LINUX=\"console=hvc0\"",
                "GRUB_CMDLINE_LINUX",
                "c=1"
            ),
            Some("GRUB_CMDLINE_LINUX=\"console=hvc0 c=1\"".into())
        );
        assert_eq!(
            insert_in_value("GRUB_CMDLINE_LINUX=\"\"", "GRUB_CMDLINE_LINUX", "c=1"),
            Some("GRUB_CMDLINE_LINUX=\"c=1\"".into())
        );
        assert_eq!(
            insert_in_value("export K=a # x", "K", "b"),
            Some("export K=\"a b\" # x".into())
        );
        assert_eq!(insert_in_value("XK=a", "K", "b"), None);
        let mut b = LineBuffer::new("G=\"console=hvc0 xencons=hvc0\"\r\nx");
        b.apply(&Edit::RemoveToken {
            path: p(),
            line: 1,
            token: "xencons=hvc0".into(),
        })
        .unwrap();
        b.apply(&Edit::AppendLines {
            path: p(),
            lines: vec!["y".into()],
        })
        .unwrap();
        assert_eq!(b.render(), "G=\"console=hvc0\"\r\nx\r\ny\r\n");
        let mut b = LineBuffer::new("a xencons=tty b");
        b.apply(&Edit::RemoveToken {
            path: p(),
            line: 1,
            token: "xencons=tty".into(),
        })
        .unwrap();
        assert_eq!(b.render(), "a b");
        let mut b = LineBuffer::new("a xencons=tty\n");
        b.apply(&Edit::RemoveToken {
            path: p(),
            line: 1,
            token: "xencons=tty".into(),
        })
        .unwrap();
        assert_eq!(b.render(), "a\n");
        for t in ["", "a", "a\n", "a\r\nb", "a\r\nb\r", "a\nb\r\n\n", "\n\n"] {
            assert_eq!(LineBuffer::new(t).render(), t, "{t:?}");
        }
    }
}
