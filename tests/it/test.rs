//! `Test`: one run of the real `flowhelm` binary, described by a builder and checked when it runs.
//!
//! ```ignore
//! Test::new()
//!     .flow("
//!         jtype: Flow
//!         executors:
//!           - name: enc
//!             uses: docker://acme/enc:1
//!             replica: 2
//!     ")
//!     .args(["check", "{flow}"])
//!     .status(2)
//!     .stderr("{flow}:5:5: error: unknown key `replica` in an executor\n  hint: did you mean `replicas`?\n")
//!     .run();
//! ```
//!
//! [`Test::new`] makes a fresh temporary directory (removed when the returned [`Output`] is
//! dropped); [`Test::in_dir`] uses one the test already has, for several runs on the same files.
//! The Flow, if any, is written there as `flow.yml`, other files with [`Test::file`], and the
//! binary runs there unless [`Test::current_dir`] says otherwise. The binary runs without `JINA_GATEWAY_IMAGE` (as
//! [`common::flowhelm`] does) and with stdin empty unless given.
//!
//! **Placeholders.** `{dir}` (the temporary directory) and `{flow}` (the Flow's path in it) are
//! expanded in arguments, environment values and every expected text. Nothing else in braces is
//! touched, so Helm and Jina expressions need no escaping.
//!
//! **Defaults.** The exit code must be 0 unless [`Test::status`] sets another. stdout and stderr
//! are not checked unless an expectation is set for them: [`Test::stdout`]/[`Test::stderr`]
//! (exactly this text; `""` for nothing at all), `stderr_starts_with`, `…_contains` and `…_lacks`,
//! which may be combined and repeated.
//!
//! **Failures.** [`Test::run`] panics naming the command, its directory and environment changes,
//! every unmet expectation (expected against actual exit code, the expected text and the first line
//! where it differs) and the full stdout and stderr. [`Test::run_collecting`] adds that report to
//! a list instead, for tests that check a whole corpus and report every problem at once.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::common::{self, TempDir};

/// `text` without the leading whitespace all its non-blank lines share, and without its first line
/// when that one is blank, so that an indented literal can start on the line after its opening
/// quote. Blank lines come out empty, so a literal whose closing quote is indented ends with `\n`.
pub fn unindent(text: &str) -> String {
    let text = match text.split_once('\n') {
        Some((first, rest)) if first.trim().is_empty() => rest,
        _ => text,
    };
    let blank = |line: &str| line.trim_matches([' ', '\t']).is_empty();
    let indent = |line: &str| line.len() - line.trim_start_matches([' ', '\t']).len();
    // The longest prefix of leading whitespace that every non-blank line starts with.
    let mut common: Option<&str> = None;
    for line in text.split('\n').filter(|l| !blank(l)) {
        let own = &line[..indent(line)];
        common = Some(match common {
            None => own,
            Some(c) => {
                let same = c
                    .bytes()
                    .zip(own.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                &c[..same]
            }
        });
    }
    let common = common.unwrap_or("");
    text.split('\n')
        .map(|line| {
            if blank(line) {
                ""
            } else {
                &line[common.len()..]
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

enum Dir {
    Temp(TempDir),
    Given(PathBuf),
}

impl Dir {
    fn path(&self) -> &Path {
        match self {
            Dir::Temp(t) => t.path(),
            Dir::Given(p) => p,
        }
    }
}

/// What one stream must look like.
enum Expect {
    Exactly(String),
    StartsWith(String),
    Contains(String),
    Lacks(String),
}

/// One run of `flowhelm`; see the module documentation.
#[must_use = "a Test does nothing until .run()"]
pub struct Test {
    dir: Dir,
    current_dir: Option<PathBuf>,
    flow: Option<String>,
    files: Vec<(PathBuf, Vec<u8>)>,
    args: Vec<OsString>,
    env: Vec<(OsString, Option<OsString>)>,
    stdin: Option<Vec<u8>>,
    status: i32,
    stdout: Vec<Expect>,
    stderr: Vec<Expect>,
}

impl Test {
    /// A run in a fresh temporary directory.
    pub fn new() -> Test {
        Test::with_dir(Dir::Temp(TempDir::new("test")))
    }

    /// A run in `dir`, which the test owns (it is neither emptied nor removed): for a sequence of
    /// runs on the same files.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Test {
        Test::with_dir(Dir::Given(dir.into()))
    }

    fn with_dir(dir: Dir) -> Test {
        Test {
            dir,
            current_dir: None,
            flow: None,
            files: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            status: 0,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }

    /// The Flow, [`unindent`]ed, written as `flow.yml` in the test's directory (`{flow}`).
    pub fn flow(mut self, yaml: impl AsRef<str>) -> Test {
        self.flow = Some(unindent(yaml.as_ref()));
        self
    }

    /// Another file in the test's directory (`path` relative to it), written as given.
    pub fn file(mut self, path: impl Into<PathBuf>, contents: impl AsRef<[u8]>) -> Test {
        self.files.push((path.into(), contents.as_ref().to_vec()));
        self
    }

    /// One argument; placeholders are expanded.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Test {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    /// Several arguments; placeholders are expanded.
    pub fn args<I>(mut self, args: I) -> Test
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Set a variable in the binary's environment; placeholders are expanded in `value`.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Test {
        self.env.push((
            key.as_ref().to_os_string(),
            Some(value.as_ref().to_os_string()),
        ));
        self
    }

    /// Remove a variable from the binary's environment.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Test {
        self.env.push((key.as_ref().to_os_string(), None));
        self
    }

    /// Run the binary in `dir` instead of the test's directory (relative paths in arguments and
    /// messages are then relative to it).
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Test {
        self.current_dir = Some(dir.into());
        self
    }

    /// What the binary reads on stdin (otherwise nothing).
    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Test {
        self.stdin = Some(input.as_ref().to_vec());
        self
    }

    /// The expected exit code (0 unless set).
    pub fn status(mut self, code: i32) -> Test {
        self.status = code;
        self
    }

    /// stdout must be exactly `text`.
    pub fn stdout(mut self, text: impl Into<String>) -> Test {
        self.stdout.push(Expect::Exactly(text.into()));
        self
    }

    /// stdout must contain `text`.
    pub fn stdout_contains(mut self, text: impl Into<String>) -> Test {
        self.stdout.push(Expect::Contains(text.into()));
        self
    }

    /// stdout must not contain `text`.
    pub fn stdout_lacks(mut self, text: impl Into<String>) -> Test {
        self.stdout.push(Expect::Lacks(text.into()));
        self
    }

    /// stderr must be exactly `text`.
    pub fn stderr(mut self, text: impl Into<String>) -> Test {
        self.stderr.push(Expect::Exactly(text.into()));
        self
    }

    /// stderr must start with `text`.
    pub fn stderr_starts_with(mut self, text: impl Into<String>) -> Test {
        self.stderr.push(Expect::StartsWith(text.into()));
        self
    }

    /// stderr must contain `text`.
    pub fn stderr_contains(mut self, text: impl Into<String>) -> Test {
        self.stderr.push(Expect::Contains(text.into()));
        self
    }

    /// stderr must not contain `text`.
    pub fn stderr_lacks(mut self, text: impl Into<String>) -> Test {
        self.stderr.push(Expect::Lacks(text.into()));
        self
    }

    /// Run the binary and check every expectation; panics with a full report if one fails.
    #[track_caller]
    pub fn run(self) -> Output {
        let (out, report) = self.execute();
        if let Some(report) = report {
            panic!("{report}");
        }
        out
    }

    /// [`Test::run`], but a failure's report is pushed onto `problems` instead of panicking.
    pub fn run_collecting(self, problems: &mut Vec<String>) -> Output {
        let (out, report) = self.execute();
        problems.extend(report);
        out
    }

    fn flow_path(&self) -> PathBuf {
        self.dir.path().join("flow.yml")
    }

    /// `text` with `{dir}` and `{flow}` expanded.
    fn expand(&self, text: &str) -> String {
        if text.contains("{flow}") {
            assert!(
                self.flow.is_some(),
                "`{text}` refers to {{flow}}, but the test has no .flow()"
            );
        }
        text.replace("{flow}", &self.flow_path().display().to_string())
            .replace("{dir}", &self.dir.path().display().to_string())
    }

    fn expand_os(&self, arg: &OsStr) -> OsString {
        match arg.to_str() {
            Some(s) => self.expand(s).into(),
            None => arg.to_os_string(),
        }
    }

    fn execute(self) -> (Output, Option<String>) {
        let dir = self.dir.path().to_path_buf();
        if let Some(flow) = &self.flow {
            std::fs::write(self.flow_path(), flow).unwrap();
        }
        for (path, contents) in &self.files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, contents).unwrap();
        }
        let args: Vec<OsString> = self.args.iter().map(|a| self.expand_os(a)).collect();
        let cwd = self.current_dir.clone().unwrap_or_else(|| dir.clone());

        let mut cmd = common::flowhelm();
        cmd.args(&args).current_dir(&cwd);
        let mut env_notes = vec!["without JINA_GATEWAY_IMAGE".to_string()];
        for (key, value) in &self.env {
            if let Some(v) = value {
                let v = self.expand_os(v);
                env_notes.push(format!("{}={}", key.to_string_lossy(), v.to_string_lossy()));
                cmd.env(key, v);
            } else {
                env_notes.push(format!("without {}", key.to_string_lossy()));
                cmd.env_remove(key);
            }
        }
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        if let Some(input) = &self.stdin {
            // A binary that exits without reading its input closes the pipe; that is its business.
            let _ = child.stdin.take().unwrap().write_all(input);
        }
        let output = child.wait_with_output().unwrap();

        let status = output.status.code();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let mut unmet = Vec::new();
        if status != Some(self.status) {
            unmet.push(format!(
                "exit code: expected {}, got {}",
                self.status,
                match status {
                    Some(code) => code.to_string(),
                    None => format!("none ({})", output.status),
                }
            ));
        }
        for (name, expects, actual) in [
            ("stdout", &self.stdout, &stdout),
            ("stderr", &self.stderr, &stderr),
        ] {
            unmet.extend(expects.iter().filter_map(|e| self.unmet(name, e, actual)));
        }
        let out = Output {
            stdout,
            stderr,
            flow: self.flow.as_ref().map(|_| self.flow_path()),
            command: format!(
                "`{}` in {} ({})",
                shell_words(&args),
                cwd.display(),
                env_notes.join(", ")
            ),
            dir: self.dir,
        };
        let report = (!unmet.is_empty()).then(|| out.report(&unmet));
        (out, report)
    }

    fn unmet(&self, stream: &str, expect: &Expect, actual: &str) -> Option<String> {
        match expect {
            Expect::Exactly(text) => {
                let want = self.expand(text);
                (actual != want).then(|| {
                    format!(
                        "{stream}: expected exactly this (first difference on line {}):\n{}",
                        first_difference(actual, &want),
                        quoted(&want)
                    )
                })
            }
            Expect::StartsWith(text) => {
                let want = self.expand(text);
                (!actual.starts_with(&want)).then(|| {
                    format!(
                        "{stream}: expected to start with this (first difference on line {}):\n{}",
                        first_difference(actual, &want),
                        quoted(&want)
                    )
                })
            }
            Expect::Contains(text) => {
                let want = self.expand(text);
                (!actual.contains(&want))
                    .then(|| format!("{stream}: expected to contain:\n{}", quoted(&want)))
            }
            Expect::Lacks(text) => {
                let want = self.expand(text);
                actual
                    .contains(&want)
                    .then(|| format!("{stream}: expected not to contain:\n{}", quoted(&want)))
            }
        }
    }
}

/// The 1-based number of the first line where `actual` and `want` differ (a line of `want` that
/// `actual` lacks counts as different).
fn first_difference(actual: &str, want: &str) -> usize {
    let (mut a, mut w) = (actual.split('\n'), want.split('\n'));
    let mut n = 1;
    loop {
        match (a.next(), w.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            _ => return n,
        }
    }
}

/// `text` indented by `| ` per line, so that leading and trailing whitespace shows.
fn quoted(text: &str) -> String {
    if text.is_empty() {
        return "  (nothing)".to_string();
    }
    text.split('\n')
        .map(|l| format!("  | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The command as a shell would take it: `flowhelm` and its arguments, quoted where needed.
fn shell_words(args: &[OsString]) -> String {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c))
    };
    std::iter::once("flowhelm".to_string())
        .chain(args.iter().map(|a| {
            let a = a.to_string_lossy();
            if plain(&a) {
                a.into_owned()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        }))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a [`Test`] run printed, with its directory (kept until this is dropped).
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    flow: Option<PathBuf>,
    command: String,
    dir: Dir,
}

impl Output {
    /// The test's directory (`{dir}`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The Flow's path (`{flow}`); panics if the test had none.
    pub fn flow(&self) -> &Path {
        self.flow.as_deref().expect("the test has no .flow()")
    }

    /// stdout parsed as JSON; panics with the full output if it is not JSON.
    #[track_caller]
    pub fn stdout_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("{}", self.report(&[format!("stdout: expected JSON ({e})")]))
        })
    }

    fn report(&self, unmet: &[String]) -> String {
        let mut text = format!("{}:\n", self.command);
        for u in unmet {
            text.push_str(&format!("- {u}\n"));
        }
        for (name, stream) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            text.push_str(&format!(
                "--- {name} ({} bytes) ---\n{stream}",
                stream.len()
            ));
            if !stream.is_empty() && !stream.ends_with('\n') {
                text.push_str("\n(no newline at the end)\n");
            }
        }
        text.push_str("--- end ---");
        text
    }
}

#[test]
fn unindent_removes_the_shared_indentation_and_the_opening_blank_line() {
    assert_eq!(
        unindent(
            "
            jtype: Flow
            executors:
              - name: a

                uses: docker://acme/a:1
            "
        ),
        "jtype: Flow\nexecutors:\n  - name: a\n\n    uses: docker://acme/a:1\n"
    );
    // Already flush left: unchanged, trailing text without a newline included.
    assert_eq!(unindent("a:\n  b: 1"), "a:\n  b: 1");
    assert_eq!(unindent(""), "");
    // Tabs count only when every line has them in the same place.
    assert_eq!(unindent("\n\t  a:\n\t    b\n"), "a:\n  b\n");
    assert_eq!(unindent("  a:\n\tb\n"), "  a:\n\tb\n");
}

#[test]
fn a_test_checks_status_and_streams_and_expands_placeholders() {
    let out = Test::new()
        .flow(
            "
            jtype: Flow
            executors:
              - name: enc
                uses: docker://acme/enc:1
                replica: 2
            ",
        )
        .args(["check", "{flow}"])
        .status(2)
        .stdout("")
        .stderr(
            "{flow}:5:5: error: unknown key `replica` in an executor\n  \
             hint: did you mean `replicas`?\n",
        )
        .stderr_starts_with("{flow}:5:5: error: ")
        .stderr_contains("`replica`")
        .stderr_lacks("panicked")
        .run();
    assert!(out.flow().starts_with(out.dir()));
    assert_eq!(
        std::fs::read_to_string(out.flow()).unwrap(),
        "jtype: Flow\nexecutors:\n  - name: enc\n    uses: docker://acme/enc:1\n    replica: 2\n"
    );
}

#[test]
fn a_failed_expectation_reports_the_command_and_both_streams() {
    let mut problems = Vec::new();
    let out = Test::new()
        .args(["check", "{dir}/missing.yml"])
        .env("FLOWHELM_TEST_MARKER", "x")
        .stdout("something")
        .stderr_lacks("error")
        .run_collecting(&mut problems);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let report = &problems[0];
    let missing = out.dir().join("missing.yml").display().to_string();
    for part in [
        format!("`flowhelm check {missing}` in {}", out.dir().display()),
        "FLOWHELM_TEST_MARKER=x".to_string(),
        "exit code: expected 0, got 2".to_string(),
        "stdout: expected exactly this (first difference on line 1):\n  | something".to_string(),
        "stderr: expected not to contain:\n  | error".to_string(),
        "--- stdout (0 bytes) ---\n--- stderr (".to_string(),
        out.stderr.clone(),
    ] {
        assert!(
            report.contains(&part),
            "{part:?} is missing from:\n{report}"
        );
    }
    assert!(out.stderr.starts_with(&format!("{missing}: error: ")));
}
