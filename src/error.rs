//! Errors and warnings. Input errors carry the file and the line/column they point at and are
//! rendered once, at the edge, as `FILE:LINE:COL: error: WHAT` plus an optional hint line.

use std::fmt;
use std::path::PathBuf;

/// A position in an input file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    pub const fn new(line: usize, col: usize) -> Self {
        Pos { line, col }
    }
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The user's input is wrong (exit code 2).
    Input,
    /// Reading or writing files failed, or another internal failure (exit code 1).
    Internal,
}

/// A located error. `Display` renders the one-line form and, if present, an indented hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub file: Option<PathBuf>,
    pub pos: Option<Pos>,
    pub message: String,
    pub hint: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(pos: Pos, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Input,
            file: None,
            pos: Some(pos),
            message: message.into(),
            hint: None,
        }
    }

    /// An input error that is about a whole file rather than a place in it.
    pub fn input_file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Input,
            file: Some(file.into()),
            pos: None,
            message: message.into(),
            hint: None,
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Internal,
            file: None,
            pos: None,
            message: message.into(),
            hint: None,
        }
    }

    /// An I/O failure on `path`; missing files are the user's mistake, the rest are ours.
    pub fn io(path: &std::path::Path, err: std::io::Error) -> Self {
        let kind = match err.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::IsADirectory => ErrorKind::Input,
            _ => ErrorKind::Internal,
        };
        Error {
            kind,
            file: Some(path.to_path_buf()),
            pos: None,
            message: match err.kind() {
                std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
                _ => err.to_string(),
            },
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        if self.file.is_none() {
            self.file = Some(file.into());
        }
        self
    }

    /// Process exit code for this error: 2 for bad input, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Input => 2,
            ErrorKind::Internal => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
            if let Some(pos) = self.pos {
                write!(f, "{}:{}:", pos.line, pos.col)?;
            }
            f.write_str(" ")?;
        }
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A located warning: the input is accepted, but something in it has no effect or is suspicious.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub pos: Pos,
    pub message: String,
}

impl Warning {
    pub fn render(&self, file: &std::path::Path) -> String {
        format!(
            "{}:{}:{}: warning: {}",
            file.display(),
            self.pos.line,
            self.pos.col,
            self.message
        )
    }
}

/// The closest candidate to `word` within a small edit distance, for "did you mean" hints.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_pick_the_nearest_key() {
        let keys = ["replicas", "shards", "polling"];
        assert_eq!(did_you_mean("replica", keys), Some("replicas"));
        assert_eq!(did_you_mean("shard", keys), Some("shards"));
        assert_eq!(did_you_mean("xyzzy", keys), None);
    }

    #[test]
    fn display_is_one_line_plus_hint() {
        let e = Error::input(Pos::new(3, 5), "unknown key `replica`")
            .in_file("flow.yml")
            .with_hint("did you mean `replicas`?");
        assert_eq!(
            e.to_string(),
            "flow.yml:3:5: error: unknown key `replica`\n  hint: did you mean `replicas`?"
        );
        assert_eq!(e.exit_code(), 2);
    }
}
