//! A YAML emitter that writes what helm writes for Chart.yaml and index.yaml (Go's yaml.v2
//! behind sigs.k8s.io/yaml): sorted keys, indentless sequences, plain scalars unless a string
//! would read back as another type (then `"…"`) or starts with an indicator (then `'…'`), and
//! long scalars folded at spaces past column 80. Matching it is what makes our Chart.yaml bytes,
//! and so our tar stream, equal helm's.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

const WIDTH: usize = 80;

/// Serialise a JSON-shaped value as a YAML document.
pub fn to_yaml(v: &Value) -> String {
    let mut out = Emitter::default();
    match v {
        Value::Object(m) if !m.is_empty() => out.mapping(m, 0),
        Value::Array(a) if !a.is_empty() => out.sequence(a, 0),
        other => {
            out.inline(other, 0, false);
            out.newline();
        }
    }
    out.text
}

#[derive(Default)]
struct Emitter {
    text: String,
    column: usize,
}

impl Emitter {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.column = match s.rfind('\n') {
            Some(i) => s[i + 1..].chars().count(),
            None => self.column + s.chars().count(),
        };
    }

    fn newline(&mut self) {
        self.push("\n");
    }

    fn indent(&mut self, n: usize) {
        if self.column != 0 {
            self.newline();
        }
        self.push(&" ".repeat(n));
    }

    /// A block mapping whose keys start at column `at`; the first key continues the current line.
    fn mapping(&mut self, m: &serde_json::Map<String, Value>, at: usize) {
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort();
        for (i, k) in keys.into_iter().enumerate() {
            if i > 0 || self.column == 0 {
                self.indent(at);
            }
            self.scalar(k, at, false);
            self.push(":");
            self.value(&m[k], at);
        }
        if self.column != 0 {
            self.newline();
        }
    }

    /// Sequences inside mappings are indentless, as yaml.v2 writes them.
    fn sequence(&mut self, a: &[Value], at: usize) {
        for item in a {
            self.indent(at);
            self.push("-");
            match item {
                Value::Object(m) if !m.is_empty() => {
                    self.push(" ");
                    self.mapping(m, at + 2);
                }
                Value::Array(s) if !s.is_empty() => {
                    self.push(" ");
                    self.column = at + 2;
                    self.sequence(s, at + 2);
                }
                other => {
                    self.push(" ");
                    self.inline(other, at + 2, true);
                }
            }
        }
        if self.column != 0 {
            self.newline();
        }
    }

    fn value(&mut self, v: &Value, at: usize) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                self.newline();
                self.mapping(m, at + 2);
            }
            Value::Array(a) if !a.is_empty() => {
                self.newline();
                self.sequence(a, at);
            }
            other => {
                self.push(" ");
                self.inline(other, at + 2, true);
            }
        }
    }

    fn inline(&mut self, v: &Value, indent: usize, breaks: bool) {
        match v {
            Value::Null => self.push("null"),
            Value::Bool(b) => self.push(if *b { "true" } else { "false" }),
            Value::Number(n) => self.push(&n.to_string()),
            Value::String(s) => self.scalar(s, indent, breaks),
            Value::Object(_) => self.push("{}"),
            Value::Array(_) => self.push("[]"),
        }
    }

    fn scalar(&mut self, s: &str, indent: usize, breaks: bool) {
        match style(s) {
            Style::Plain => self.folded(s, indent, breaks, ""),
            Style::Single => {
                self.push("'");
                self.folded(&s.replace('\'', "''"), indent, breaks, "'");
            }
            Style::Double => {
                self.push("\"");
                self.folded(&escape(s), indent, breaks, "\"");
            }
            Style::Literal => self.literal(s, indent),
        }
    }

    /// Write `s`, replacing a single space by a line break once past the width, then `close`.
    fn folded(&mut self, s: &str, indent: usize, breaks: bool, close: &str) {
        let chars: Vec<char> = s.chars().collect();
        let quoted = !close.is_empty();
        let mut prev_space = false;
        for (i, &c) in chars.iter().enumerate() {
            let next_space = chars.get(i + 1) == Some(&' ');
            let interior = !quoted || (i > 0 && i + 1 < chars.len());
            if c == ' ' && breaks && !prev_space && self.column > WIDTH && !next_space && interior {
                self.indent(indent);
            } else {
                self.push(c.encode_utf8(&mut [0; 4]));
            }
            prev_space = c == ' ';
        }
        self.push(close);
    }

    fn literal(&mut self, s: &str, indent: usize) {
        let chomp = if !s.ends_with('\n') {
            "-"
        } else if s.ends_with("\n\n") || s == "\n" {
            "+"
        } else {
            ""
        };
        let indicator = if s.starts_with([' ', '\n']) { "2" } else { "" };
        self.push(&format!("|{indicator}{chomp}"));
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            self.newline();
            if !line.is_empty() {
                self.push(&" ".repeat(indent));
                self.push(line);
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn style(s: &str) -> Style {
    if s.contains('\n') && s.chars().all(|c| c == '\n' || !c.is_control()) && !has_space_break(s) {
        return Style::Literal;
    }
    if s.chars().any(|c| c.is_control() && c != '\n') || s.contains('\n') {
        return Style::Double;
    }
    if reads_as_other_type(s) {
        return Style::Double;
    }
    if plain_allowed(s) {
        Style::Plain
    } else {
        Style::Single
    }
}

fn has_space_break(s: &str) -> bool {
    s.contains(" \n") || s.ends_with(' ')
}

/// Whether yaml.v2 would read the plain text as a non-string (so it must be quoted).
fn reads_as_other_type(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN", "<<",
    ];
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|(?i:inf|infinity|nan))$",
        )
        .expect("valid regex")
    });
    static BASE60: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$").expect("valid regex")
    });
    static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2})?)?$")
            .expect("valid regex")
    });
    if WORDS.contains(&s) {
        return true;
    }
    // yaml.v2 only tries numbers and dates for text starting like one.
    if !s.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c)) {
        return false;
    }
    NUMBER.is_match(&s.replace('_', "")) || BASE60.is_match(s) || TIMESTAMP.is_match(s)
}

/// libyaml's block-context rules for plain scalars.
fn plain_allowed(s: &str) -> bool {
    if s.starts_with("---")
        || s.starts_with("...")
        || s.starts_with([' ', '\t'])
        || s.ends_with([' ', '\t'])
    {
        return false;
    }
    let chars: Vec<char> = s.chars().collect();
    let space_at = |i: usize| chars.get(i).is_none_or(|c| c.is_whitespace());
    for (i, &c) in chars.iter().enumerate() {
        let blocked = if i == 0 {
            "#,[]{}&*!|>'\"%@`".contains(c) || ("?:-".contains(c) && space_at(1))
        } else {
            (c == ':' && space_at(i + 1)) || (c == '#' && chars[i - 1].is_whitespace())
        };
        if blocked {
            return false;
        }
    }
    true
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_like_helm() {
        let v = json!({
            "version": "0.1.0", "name": "demo", "apiVersion": "v2", "appVersion": "1.16.0",
            "annotations": {"z": "1", "a": ">x"},
            "keywords": ["a", "yes", "1.0"],
            "description": "A very long description that goes on and on for more than eighty characters in total, really it does",
            "dependencies": [{"name": "sub", "repository": "", "version": "0.1.0"}],
            "created": "2026-11-27T01:55:28.158134468Z",
        });
        let expected = "annotations:\n  a: '>x'\n  z: \"1\"\napiVersion: v2\nappVersion: 1.16.0\n\
created: \"2026-11-27T01:55:28.158134468Z\"\ndependencies:\n- name: sub\n  repository: \"\"\n  version: 0.1.0\n\
description: A very long description that goes on and on for more than eighty characters\n  in total, really it does\n\
keywords:\n- a\n- \"yes\"\n- \"1.0\"\nname: demo\nversion: 0.1.0\n";
        assert_eq!(to_yaml(&v), expected);
    }

    #[test]
    fn quoting() {
        assert_eq!(style("1.16.0"), Style::Plain);
        assert_eq!(style("3.34"), Style::Double);
        assert_eq!(style("1_000"), Style::Double);
        assert_eq!(style("1:30"), Style::Double);
        assert_eq!(style(">=1.29.0-0"), Style::Single);
        assert_eq!(style("a: b"), Style::Single);
        assert_eq!(style("https://x.io/a#b"), Style::Plain);
        assert_eq!(style("a\nb"), Style::Literal);
    }
}
