//! Line helpers shared by the bootloader config parsers: numbered lines without their line
//! endings, problem records, and deterministic noise for the parsers' no-panic tests.

pub use super::fstab::LineProblem;

/// The lines of `text` as `(1-based line number, line without "\n" or "\r\n")`.
pub fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
}

/// Physical lines joined where one ends in a backslash: (first line number, the original lines
/// joined with `\n`, the body with each backslash dropped and the pieces joined by `joiner`).
pub fn logical_lines(text: &str, joiner: &str) -> Vec<(usize, String, String)> {
    let mut logical: Vec<(usize, String, String)> = Vec::new();
    let mut pending: Option<(usize, String, String)> = None;
    for (idx, raw) in text.lines().enumerate() {
        let original = raw.strip_suffix('\r').unwrap_or(raw);
        let (body, cont) = match original.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (original, false),
        };
        let entry = match pending.take() {
            Some((l, mut t, mut b)) => {
                t.push('\n');
                t.push_str(original);
                b.push_str(joiner);
                b.push_str(body);
                (l, t, b)
            }
            None => (idx + 1, original.to_string(), body.to_string()),
        };
        if cont {
            pending = Some(entry);
        } else {
            logical.push(entry);
        }
    }
    logical.extend(pending);
    logical
}

/// The original text of line `line` (1-based); empty when out of range.
pub fn line_text(text: &str, line: usize) -> String {
    numbered_lines(text)
        .nth(line.saturating_sub(1))
        .map(|(_, l)| l.to_string())
        .unwrap_or_default()
}

/// A [`LineProblem`] for `line` with its original `text`.
pub fn problem(line: usize, text: &str, message: impl Into<String>) -> LineProblem {
    LineProblem {
        line,
        text: text.to_string(),
        message: message.into(),
    }
}

/// Splits `s` at the first run of ASCII whitespace: `("kernel", "/vmlinuz ro")`, with the byte
/// offset of the rest in `s`. The rest is empty when there is nothing after the first word.
pub fn split_word(s: &str) -> (&str, &str, usize) {
    let s_trim = s.trim_start();
    let lead = s.len() - s_trim.len();
    match s_trim.find(|c: char| c.is_ascii_whitespace()) {
        Some(end) => {
            let rest = &s_trim[end..];
            let rest_trim = rest.trim_start();
            let off = lead + end + (rest.len() - rest_trim.len());
            (&s_trim[..end], rest_trim, off)
        }
        None => (s_trim, "", s.len()),
    }
}

/// Deterministic xorshift noise: `rounds` strings of growing length, mostly drawn from
/// `alphabet`, sometimes any byte (lossily decoded). Used by the parsers' random-input tests.
#[cfg(test)]
pub fn noise(rounds: usize, alphabet: &[u8]) -> Vec<String> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut bytes = Vec::new();
        for _ in 0..(round * 4) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = (x >> 24) as u8;
            bytes.push(if b.is_multiple_of(5) {
                b
            } else {
                alphabet[b as usize % alphabet.len()]
            });
        }
        out.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    out
}

/// Every file under the project's `corpus/trees` that `keep` accepts, sorted (for parser tests).
#[cfg(test)]
pub(crate) fn corpus_tree_files(
    keep: &dyn Fn(&std::path::Path) -> bool,
) -> Vec<std::path::PathBuf> {
    fn walk(
        dir: &std::path::Path,
        keep: &dyn Fn(&std::path::Path) -> bool,
        out: &mut Vec<std::path::PathBuf>,
    ) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, keep, out);
            } else if keep(&p) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/trees");
    walk(&root, keep, &mut out);
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_words() {
        let v: Vec<_> = numbered_lines("a\r\nb\n\nc").collect();
        assert_eq!(v, [(1, "a"), (2, "b"), (3, ""), (4, "c")]);
        assert_eq!(line_text("a\nb", 2), "b");
        assert_eq!(line_text("a\nb", 9), "");
        assert_eq!(
            split_word("  kernel\t /vmlinuz ro"),
            ("kernel", "/vmlinuz ro", 10)
        );
        assert_eq!(split_word("hiddenmenu"), ("hiddenmenu", "", 10));
        assert_eq!(split_word(""), ("", "", 0));
    }
}
