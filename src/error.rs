//! Errors and warnings. Each names its [`Origin`] (a file and the line and column in it, a flag,
//! an environment variable, a registry), says what is wrong and, when it can, what to do; the
//! CLI renders them once, at the edge, as `FILE:LINE:COL: error: WHAT`, then one `caused by:`
//! line per error in its cause chain and an optional hint line, and warnings the same way. A
//! message says what flowhelm found or could not do; the cause's own text is left to its
//! `caused by:` line, so no message repeats it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A position in an input file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
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

/// What an error or a warning is about: the part of the user's input to go and fix.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A file: a Flow, a values file, a chart's file, a skeleton template.
    File(PathBuf),
    /// A command-line flag, e.g. `--chart-version`.
    Flag(String),
    /// An environment variable, e.g. `JINA_GATEWAY_IMAGE`.
    Env(String),
    /// An OCI registry: its host, or the `oci://` reference given for it.
    Registry(String),
    /// A value the caller handed to the library, e.g. a chart name.
    Value(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Flag(s) | Origin::Env(s) | Origin::Registry(s) | Origin::Value(s) => {
                f.write_str(s)
            }
        }
    }
}

/// The cause of an error, kept for [`std::error::Error::source`].
type Source = Arc<dyn std::error::Error + Send + Sync>;

/// A located error. `Display` renders the one-line form and, if present, an indented hint;
/// the error it was made from (an I/O error, a template engine's) is its `source()`.
/// Boxed, so that `Result<T, Error>` stays two words wide on the happy path.
#[derive(Debug, Clone)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    kind: ErrorKind,
    origin: Option<Origin>,
    pos: Option<Pos>,
    message: String,
    hint: Option<String>,
    source: Option<Source>,
    /// The message already says all the source says (a missing file): the source is kept for
    /// programs, and left out of the `caused by:` lines.
    source_said: bool,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn new(kind: ErrorKind, origin: Option<Origin>, pos: Option<Pos>, message: String) -> Self {
        Error(Box::new(Inner {
            kind,
            origin,
            pos,
            message,
            hint: None,
            source: None,
            source_said: false,
        }))
    }

    /// An input error at a place in a file the caller names later ([`Error::in_file`]).
    pub fn input(pos: Pos, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Input, None, Some(pos), message.into())
    }

    /// An input error about a whole file rather than a place in it.
    pub fn input_file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::input_at(Origin::File(file.into()), message)
    }

    /// An input error about a flag, an environment variable, a registry or a value.
    pub fn input_at(origin: Origin, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Input, Some(origin), None, message.into())
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, None, None, message.into())
    }

    /// A failure that is not the input's fault but happened somewhere in particular (a
    /// registry that cannot be reached or answers oddly).
    pub fn internal_at(origin: Origin, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, Some(origin), None, message.into())
    }

    /// An I/O failure on `path`, with the OS's error as its source. A missing file or a
    /// directory where a file belongs is the user's mistake, and the message says it in full
    /// (the OS's text would only repeat it); any other failure is ours, and the OS's error is
    /// its `caused by:`.
    pub fn io(path: &std::path::Path, err: std::io::Error) -> Self {
        let origin = Some(Origin::File(path.to_path_buf()));
        let user_error = match err.kind() {
            std::io::ErrorKind::NotFound => Some("no such file or directory"),
            std::io::ErrorKind::IsADirectory => Some("is a directory, not a file"),
            _ => None,
        };
        let (kind, message) = match user_error {
            Some(message) => (ErrorKind::Input, message),
            None => (ErrorKind::Internal, "file system failure"),
        };
        let mut e = Error::new(kind, origin, None, message.into()).with_source(err);
        e.0.source_said = user_error.is_some();
        e
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.0.hint = Some(hint.into());
        self
    }

    /// Keep `cause` as this error's `source()`.
    pub fn with_source(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Arc::new(cause));
        self
    }

    /// Name the file this error is in, unless it already names where it comes from.
    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        if self.0.origin.is_none() {
            self.0.origin = Some(Origin::File(file.into()));
        }
        self
    }

    /// Place the error at `pos` (in the file it names), unless it is placed already.
    pub fn at(mut self, pos: Pos) -> Self {
        self.0.pos.get_or_insert(pos);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// What the error is about, if it says.
    pub fn origin(&self) -> Option<&Origin> {
        self.0.origin.as_ref()
    }

    /// The file the error is in, when its origin is a file.
    pub fn file(&self) -> Option<&std::path::Path> {
        match &self.0.origin {
            Some(Origin::File(path)) => Some(path),
            _ => None,
        }
    }

    /// Line and column in the file, when the error points into one.
    pub fn pos(&self) -> Option<Pos> {
        self.0.pos
    }

    /// What is wrong, without origin, position or hint.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    /// The texts of the cause chain, nearest first; a cause whose text is its predecessor's
    /// (libraries that wrap an error and print it unchanged) is said once.
    pub fn causes(&self) -> Vec<String> {
        let mut texts: Vec<String> = Vec::new();
        let mut next = std::error::Error::source(self);
        if self.0.source_said {
            next = next.and_then(|said| said.source());
        }
        while let Some(cause) = next {
            let text = cause.to_string();
            if texts.last() != Some(&text) {
                texts.push(text);
            }
            next = cause.source();
        }
        texts
    }

    /// The whole diagnostic as the CLI prints it: the one-line form, a `caused by:` line per
    /// cause, then the hint.
    pub fn report(&self) -> String {
        let causes = self.causes();
        Report {
            error: self,
            causes: &causes,
        }
        .to_string()
    }

    /// Process exit code for this error: 2 for bad input, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self.0.kind {
            ErrorKind::Input => 2,
            ErrorKind::Internal => 1,
        }
    }
}

/// Equal when they say the same thing; the causes behind them are not compared.
impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        (
            self.0.kind,
            &self.0.origin,
            self.0.pos,
            &self.0.message,
            &self.0.hint,
        ) == (
            other.0.kind,
            &other.0.origin,
            other.0.pos,
            &other.0.message,
            &other.0.hint,
        )
    }
}

impl Eq for Error {}

/// The one rendering of every diagnostic: `ORIGIN:LINE:COL: SEVERITY: MESSAGE`, with as much of
/// the location as is known, then each cause and the hint on indented lines of their own.
fn render(
    f: &mut fmt::Formatter<'_>,
    severity: &str,
    origin: Option<&Origin>,
    pos: Option<Pos>,
    message: &str,
    causes: &[String],
    hint: Option<&str>,
) -> fmt::Result {
    if let Some(origin) = origin {
        write!(f, "{origin}:")?;
        if let Some(pos) = pos {
            write!(f, "{}:{}:", pos.line, pos.col)?;
        }
        f.write_str(" ")?;
    }
    write!(f, "{severity}: {message}")?;
    for cause in causes {
        write!(f, "\n  caused by: {cause}")?;
    }
    if let Some(hint) = hint {
        write!(f, "\n  hint: {hint}")?;
    }
    Ok(())
}

/// `Display` leaves the causes out, as the standard library's convention asks: a caller that
/// prints the chain itself would print them twice. [`Error::report`] has them.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Report {
            error: self,
            causes: &[],
        }
        .fmt(f)
    }
}

struct Report<'a> {
    error: &'a Error,
    causes: &'a [String],
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.error.0;
        let (origin, hint) = (e.origin.as_ref(), e.hint.as_deref());
        render(f, "error", origin, e.pos, &e.message, self.causes, hint)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A located warning: the input is accepted, but something in it has no effect or is suspicious.
/// Rendered as an error is, with `warning` for `error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    origin: Option<Origin>,
    pos: Option<Pos>,
    message: String,
}

impl Warning {
    /// A warning at a place in a file the caller names later ([`Warning::in_file`]).
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        Warning {
            origin: None,
            pos: Some(pos),
            message: message.into(),
        }
    }

    /// A warning about a flag, an environment variable, a registry or a value.
    pub fn about(origin: Origin, message: impl Into<String>) -> Self {
        Warning {
            origin: Some(origin),
            pos: None,
            message: message.into(),
        }
    }

    /// Name the file this warning is in, unless it already names where it comes from.
    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        if self.origin.is_none() {
            self.origin = Some(Origin::File(file.into()));
        }
        self
    }

    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    pub fn pos(&self) -> Option<Pos> {
        self.pos
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        render(
            f,
            "warning",
            self.origin.as_ref(),
            self.pos,
            &self.message,
            &[],
            None,
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

    #[test]
    fn every_origin_renders_in_the_one_line_form() {
        let flag = Error::input_at(Origin::Flag("--chart-version".into()), "`x` is not SemVer");
        assert_eq!(
            flag.to_string(),
            "--chart-version: error: `x` is not SemVer"
        );
        assert_eq!(flag.file(), None);
        let env = Error::input_at(Origin::Env("JINA_GATEWAY_IMAGE".into()), "bad");
        assert_eq!(env.to_string(), "JINA_GATEWAY_IMAGE: error: bad");
        let registry = Error::input_at(Origin::Registry("127.0.0.1:5000".into()), "denied");
        assert_eq!(registry.to_string(), "127.0.0.1:5000: error: denied");
        // A file named later does not replace an origin already given.
        let kept = env.clone().in_file("flow.yml");
        assert_eq!(
            kept.origin(),
            Some(&Origin::Env("JINA_GATEWAY_IMAGE".into()))
        );
        assert_eq!(Error::internal("boom").to_string(), "error: boom");
        assert_eq!(Error::internal("boom").exit_code(), 1);
    }

    #[test]
    fn io_errors_keep_their_cause() {
        use std::error::Error as _;
        let cause = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let e = Error::io(std::path::Path::new("out/values.yaml"), cause);
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert_eq!(e.file(), Some(std::path::Path::new("out/values.yaml")));
        let source = e.source().expect("the I/O error is the source");
        assert_eq!(source.to_string(), "denied");
        // The CLI's rendering says the cause once, after the message and before the hint.
        assert_eq!(
            e.with_hint("check the permissions").report(),
            "out/values.yaml: error: file system failure\n  caused by: denied\n  \
             hint: check the permissions"
        );
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        let e = Error::io(std::path::Path::new("flow.yml"), missing);
        assert_eq!(e.to_string(), "flow.yml: error: no such file or directory");
        // The message says what the OS would: the source is kept but not said again.
        assert!(e.source().is_some());
        assert_eq!(e.report(), e.to_string());
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn warnings_render_as_errors_do() {
        let w = Warning::new(Pos::new(4, 3), "`gpus` has no effect").in_file("flow.yml");
        assert_eq!(w.to_string(), "flow.yml:4:3: warning: `gpus` has no effect");
        let w = Warning::about(Origin::Env("JINA_GATEWAY_IMAGE".into()), "no version");
        assert_eq!(w.to_string(), "JINA_GATEWAY_IMAGE: warning: no version");
        assert_eq!(w.pos(), None);
    }
}
