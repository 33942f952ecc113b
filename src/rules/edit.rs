//! Machine-readable fixes: the edits a finding with a safe fix makes to guest files.
//!
//! Paths are canonical guest paths (as in a finding's location). Line numbers are the ORIGINAL
//! line numbers of the file (1-based): several edits on one file compose, because a plan applies
//! them to a buffer keyed by original lines, where insertions and removals shift nothing.
//!
//! Anchored edits (`ReplaceInLine`, `RemoveToken`, `ReplaceLine`, `InsertInQuotedValue`) check
//! that their anchor is still there; a plan skips (and reports) an edit whose anchor is gone.

use serde::Serialize;

/// One change to one guest file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    /// Replace the first occurrence of `old` on `line` by `new`. `old` must stand as a whole
    /// token: when it starts with a letter, digit or `/`, the character before it is the line
    /// start, whitespace, a quote or `=`; when it ends with a letter or digit, the character
    /// after it is the line end, whitespace or a quote. (`(hd0,0)` delimits itself.)
    ReplaceInLine {
        path: String,
        line: usize,
        old: String,
        new: String,
    },
    /// Replace the whole of `line`, which must still read `old`, by `new`.
    ReplaceLine {
        path: String,
        line: usize,
        old: String,
        new: String,
    },
    /// Append ` text` to `line` (trailing whitespace dropped first).
    AppendToLine {
        path: String,
        line: usize,
        text: String,
    },
    /// In the `KEY=value` assignment of `key` on `line`, add `text` (space-separated) at the
    /// end of the value: before the closing quote of `KEY="…"`/`KEY='…'`; an unquoted value
    /// is double-quoted.
    InsertInQuotedValue {
        path: String,
        line: usize,
        key: String,
        text: String,
    },
    /// Remove the whitespace/quote-delimited token `token` from `line` with one adjacent run
    /// of whitespace.
    RemoveToken {
        path: String,
        line: usize,
        token: String,
    },
    /// Insert `lines` after original line `after_line` (0: at the top of the file).
    InsertLines {
        path: String,
        after_line: usize,
        lines: Vec<String>,
    },
    /// Add `lines` at the end of the file (after a newline if the file lacks a final one).
    AppendLines { path: String, lines: Vec<String> },
    /// Put `#` in front of `line` (nothing when it is a comment already).
    CommentOut { path: String, line: usize },
    /// Create the regular file `path` (its directory must exist, the name must not), owned by
    /// root, with permission bits `mode`.
    CreateFile {
        path: String,
        content: String,
        mode: u32,
    },
    /// Create the symbolic link `path` → `target` (its directory must exist).
    CreateSymlink { path: String, target: String },
}

impl Edit {
    /// The guest path the edit changes.
    pub fn path(&self) -> &str {
        match self {
            Edit::ReplaceInLine { path, .. }
            | Edit::ReplaceLine { path, .. }
            | Edit::AppendToLine { path, .. }
            | Edit::InsertInQuotedValue { path, .. }
            | Edit::RemoveToken { path, .. }
            | Edit::InsertLines { path, .. }
            | Edit::AppendLines { path, .. }
            | Edit::CommentOut { path, .. }
            | Edit::CreateFile { path, .. }
            | Edit::CreateSymlink { path, .. } => path,
        }
    }

    /// The original line the edit is anchored on, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            Edit::ReplaceInLine { line, .. }
            | Edit::ReplaceLine { line, .. }
            | Edit::AppendToLine { line, .. }
            | Edit::InsertInQuotedValue { line, .. }
            | Edit::RemoveToken { line, .. }
            | Edit::CommentOut { line, .. } => Some(*line),
            Edit::InsertLines { after_line, .. } => Some(*after_line),
            _ => None,
        }
    }

    /// Creates a new file or link rather than changing text.
    pub fn creates(&self) -> bool {
        matches!(self, Edit::CreateFile { .. } | Edit::CreateSymlink { .. })
    }
}
