//! Strings written as literals that YAML, JSON and Markdown all read back exactly.

use super::Val;

/// A value as compact JSON, as `serde_json::to_string` would write it.
pub(super) fn push_json(out: &mut String, v: &Val) {
    match v {
        Val::Str(s) => push_json_string(out, s),
        Val::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json(out, item);
            }
            out.push(']');
        }
        Val::Map(entries) => {
            out.push('{');
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, &e.key);
                out.push(':');
                push_json(out, &e.val);
            }
            out.push('}');
        }
        scalar => out.push_str(&serde_json::to_string(&scalar.to_json()).unwrap_or_default()),
    }
}

/// A JSON string literal (valid YAML double-quoted scalar too), escaped as serde_json does.
/// A double-quoted string both JSON and YAML read back exactly: besides JSON's escapes, every
/// character YAML does not allow as printable text (C0, DEL, C1, surrogates' neighbours U+FFFE/
/// U+FFFF) and every one a YAML 1.1 reader folds or drops (NEL, the line and paragraph
/// separators, the byte-order mark) is written as `\uXXXX`.
pub(super) fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    if !s.chars().any(needs_escape) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a double-quoted scalar JSON and every YAML reader take back exactly.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_string(&mut out, s);
    out
}

pub(super) fn needs_escape(c: char) -> bool {
    matches!(c, '\0'..='\u{1f}' | '"' | '\\' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// Markdown inline code showing `text` as it is: a backtick fence longer than any run inside,
/// `|` escaped (GitHub tables split cells before reading code spans), line breaks and other
/// control characters written as their JSON escapes so the span stays on one line.
pub fn md_code(text: &str) -> String {
    let mut body = String::new();
    for c in text.chars() {
        match c {
            '|' => body.push_str("\\|"),
            '\n' => body.push_str("\\n"),
            '\r' => body.push_str("\\r"),
            '\t' => body.push_str("\\t"),
            c if needs_escape(c) && c != '"' && c != '\\' => {
                body.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => body.push(c),
        }
    }
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') || body.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// Markdown text on one line: line breaks become spaces, other control characters are dropped
/// (a warning in a list item must not end the item or start a heading).
pub fn md_line(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => Some(' '),
            c if needs_escape(c) && c != '"' && c != '\\' => None,
            c => Some(c),
        })
        .collect()
}
