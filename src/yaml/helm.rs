//! Values files read as helm reads them, so that `values check` gives helm's verdict.
//!
//! helm (3 and 4) reads a values file with `sigs.k8s.io/yaml`: go-yaml v2 decodes it into untyped
//! Go values with YAML 1.1 rules, then the result goes through JSON into `map[string]any`. That
//! is not the Flow reader's PyYAML-and-Jina typing: `y`, `on` and `Off` are booleans, `1e3` and
//! `08` numbers, `0o10` is 8, a key `1.0` is the string "1", `<<` merges override keys written
//! before them, every number ends up a float64, and `.inf`/`.nan` fail the JSON step. Each rule
//! below was checked against helm 3.17 and 4.3 (tests/it/charts.rs runs the same cases through both).
//!
//! Syntax is granit-parser's, with its libyaml-compatible options; where helm 3 and helm 4
//! disagree (a second document, a `%YAML` directive) the file is refused, since a chart must
//! install with both.

use std::collections::HashMap;

use granit_parser::{Event, ScalarStyle, Span, StructureStyle, Tag};

use super::{Key, Node, Value};
use crate::error::{Error, Pos, Result};

/// Deeper than this is refused: the tree is built and dropped recursively.
const MAX_DEPTH: usize = 1000;

/// Read one values file (its whole text) as helm would, or the located reason helm would give.
pub fn parse(source: &str) -> Result<Node> {
    // granit-parser refuses some tabs libyaml takes as blanks (a flow collection's continuation
    // lines): those lines are read again with spaces for their leading tabs, while the tab rules
    // of libyaml are checked on the text as written.
    let mut text = std::borrow::Cow::Borrowed(source);
    for _ in 0..64 {
        match read(&text, source) {
            Err(e) if e.message().contains("tabs disallowed") => {
                let Some(line) = e.pos().map(|p| p.line) else {
                    return Err(e);
                };
                let Some(fixed) = untab_line(&text, line) else {
                    return Err(e);
                };
                text = std::borrow::Cow::Owned(fixed);
            }
            other => return other,
        }
    }
    read(&text, source)
}

/// `text` with the leading tabs of 1-based `line` as spaces, if it has any.
fn untab_line(text: &str, line: usize) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for (i, l) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if i + 1 == line {
            let rest = l.trim_start_matches([' ', '\t']);
            let lead = &l[..l.len() - rest.len()];
            changed = lead.contains('\t');
            out.push_str(&lead.replace('\t', " "));
            out.push_str(rest);
        } else {
            out.push_str(l);
        }
    }
    changed.then_some(out)
}

fn read(text: &str, written: &str) -> Result<Node> {
    let mut parser_options = granit_parser::Options::default();
    parser_options.bom_inside_document_as_content = true;
    parser_options.block_scalar_eof_without_line_feed = true;
    parser_options.emit_comments = false;
    let mut reader = Reader {
        parser: granit_parser::Parser::new_from_str_with_options(text, parser_options),
        lines: written.split('\n').collect(),
        flow_depth: 0,
        covered: Vec::new(),
        anchors: HashMap::new(),
        decoded: 0,
        aliased: 0,
        depth: 0,
        last: Pos::new(1, 1),
    };
    reader.stream()
}

struct Reader<'a> {
    parser: granit_parser::Parser<'a, granit_parser::StrInput<'a>>,
    lines: Vec<&'a str>,
    /// Inside `[…]` / `{…}`, where libyaml takes tabs as blanks.
    flow_depth: usize,
    /// Lines (1-based, inclusive) that continue a scalar or a flow collection.
    covered: Vec<(usize, usize)>,
    anchors: HashMap<usize, Node>,
    /// go-yaml's count of decoded nodes, and of those reached through an alias.
    decoded: u64,
    aliased: u64,
    depth: usize,
    last: Pos,
}

/// A scalar as go-yaml decodes it untyped, before the JSON step (timestamps stay text).
#[derive(Debug, Clone, PartialEq)]
enum Typed {
    Null,
    Bool(bool),
    /// An int64 or, above its range, a uint64.
    Int(i128),
    Float(f64),
    Str(String),
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span)> {
        match self.parser.next() {
            Some(Ok((event, span))) => {
                self.last = pos(&span);
                Ok((event, span))
            }
            Some(Err(e)) => {
                let m = e.marker();
                Err(Error::input(
                    Pos::new(m.line(), m.col() + 1),
                    format!("invalid YAML: {}", e.info()),
                ))
            }
            None => Err(Error::input(self.last, "invalid YAML: the file ends early")),
        }
    }

    fn stream(&mut self) -> Result<Node> {
        self.next()?; // StreamStart
        let (event, span) = self.next()?;
        let root = match event {
            Event::StreamEnd => return Ok(empty()),
            Event::DocumentStart(_, Some(_)) => {
                return Err(Error::input(
                    pos(&span),
                    "a `%YAML` directive: helm 4 refuses it (\"did not find expected <document start>\"), helm 3 reads on",
                )
                .with_hint("delete the `%YAML` line"))
            }
            Event::DocumentStart(..) => {
                let (event, span) = self.next()?;
                let root = self.node(event, span)?;
                self.next()?; // DocumentEnd
                root
            }
            _ => return Err(Error::input(pos(&span), "invalid YAML: no document")),
        };
        self.tabbed_lines()?;
        let (event, span) = self.next()?;
        if !matches!(event, Event::StreamEnd) {
            return Err(Error::input(pos(&span), "the file holds more than one YAML document: helm 3 reads only the first, helm 4 merges them")
                .with_hint("put the documents in one mapping, or in separate files passed with -f in the same order"));
        }
        match root.value {
            Value::Null => Ok(empty()),
            Value::Map(_) => Ok(root),
            _ => Err(Error::input(
                root.pos,
                format!("a values file must be a mapping, not {}", root.type_name()),
            )),
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node> {
        let at = pos(&span);
        self.count(at)?;
        self.tab_before(&span)?;
        let (anchor, node) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.cover(&span, span.end.line());
                let value = scalar(&text, style, tag.as_deref())
                    .and_then(json_value)
                    .map_err(|m| Error::input(at, m))?;
                (anchor, Node::new(at, value))
            }
            Event::SequenceStart(style, anchor, _) => {
                self.enter(at, style)?;
                let mut items = Vec::new();
                let end = loop {
                    match self.next()? {
                        (Event::SequenceEnd, end) => break end,
                        (event, span) => items.push(self.node(event, span)?),
                    }
                };
                self.leave(&span, &end, style);
                (anchor, Node::new(at, Value::Seq(items)))
            }
            Event::MappingStart(style, anchor, _) => {
                self.enter(at, style)?;
                let (map, end) = self.mapping(at)?;
                self.leave(&span, &end, style);
                (anchor, map)
            }
            Event::Alias(id) => {
                let target = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| Error::input(at, "invalid YAML: unknown anchor"))?;
                let nodes = count_nodes(&target);
                self.aliased += nodes;
                self.decoded += nodes;
                self.count(at)?;
                (0, Node::new(at, target.value))
            }
            _ => return Err(Error::input(at, "invalid YAML: unexpected event")),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn enter(&mut self, at: Pos, style: StructureStyle) -> Result<()> {
        self.depth += 1;
        if style == StructureStyle::Flow {
            self.flow_depth += 1;
        }
        if self.depth > MAX_DEPTH {
            return Err(Error::input(
                at,
                format!("the file nests mappings and lists more than {MAX_DEPTH} levels deep; `values check` reads no deeper"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self, start: &Span, end: &Span, style: StructureStyle) {
        self.depth -= 1;
        if style == StructureStyle::Flow {
            self.flow_depth -= 1;
            self.cover(start, end.end.line());
        }
    }

    fn cover(&mut self, start: &Span, last_line: usize) {
        if last_line > start.start.line() {
            self.covered.push((start.start.line() + 1, last_line));
        }
    }

    /// libyaml takes a tab as a blank only inside flow collections or where a simple key cannot
    /// start; before a token at a line's start or after `-` / `?` it stops ("found character that
    /// cannot start any token").
    fn tab_before(&self, span: &Span) -> Result<()> {
        if self.flow_depth > 0 {
            return Ok(());
        }
        let Some(line) = self.lines.get(span.start.line().wrapping_sub(1)) else {
            return Ok(());
        };
        let before: String = line.chars().take(span.start.col()).collect();
        let content = before.trim_end_matches([' ', '\t']);
        let gap = &before[content.len()..];
        let opens = content.is_empty() || content.ends_with(['-', '?']);
        if gap.contains('\t') && opens {
            return Err(tab_error(span.start.line(), content.chars().count() + 1));
        }
        Ok(())
    }

    /// Comment and blank lines outside scalars and flow collections may not start with a tab.
    fn tabbed_lines(&self) -> Result<()> {
        for (i, line) in self.lines.iter().enumerate() {
            let n = i + 1;
            let blank = line.trim_start_matches([' ', '\t']);
            let lead = &line[..line.len() - blank.len()];
            if !lead.contains('\t')
                || !(blank.is_empty() || blank.starts_with('#') || blank == "\r")
            {
                continue;
            }
            if self.covered.iter().any(|&(a, b)| (a..=b).contains(&n)) {
                continue;
            }
            return Err(tab_error(n, lead.find('\t').unwrap_or(0) + 1));
        }
        Ok(())
    }

    /// go-yaml v2's guard against alias bombs ("document contains excessive aliasing").
    fn count(&mut self, at: Pos) -> Result<()> {
        self.decoded += 1;
        let ratio = match self.decoded {
            0..=400_000 => 0.99,
            4_000_000.. => 0.10,
            d => 0.99 - 0.89 * ((d - 400_000) as f64 / 3_600_000.0),
        };
        if self.aliased > 100
            && self.decoded > 1000
            && self.aliased as f64 / self.decoded as f64 > ratio
        {
            return Err(Error::input(
                at,
                "the file expands aliases (`*name`) into far more values than it writes; helm refuses it (\"document contains excessive aliasing\")",
            ));
        }
        Ok(())
    }

    /// A mapping's entries in go-yaml v2's order of effect: later keys replace earlier ones, and
    /// a `<<` merge sets its keys where it stands (so it overrides keys written before it).
    fn mapping(&mut self, at: Pos) -> Result<(Node, Span)> {
        let mut entries = Entries::default();
        let end = loop {
            let (event, span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break span;
            }
            let kpos = pos(&span);
            let merge = matches!(&event, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<")
                || matches!(&event, Event::Scalar(t, _, _, Some(tag)) if short_tag(tag) == "!!merge" && t == "<<");
            let name = match event {
                Event::Scalar(text, style, anchor, tag) => {
                    self.count(kpos)?;
                    self.tab_before(&span)?;
                    self.cover(&span, span.end.line());
                    let typed =
                        scalar(&text, style, tag.as_deref()).map_err(|m| Error::input(kpos, m))?;
                    if anchor != 0 {
                        let value = json_value(typed.clone()).map_err(|m| Error::input(kpos, m))?;
                        self.anchors.insert(anchor, Node::new(kpos, value));
                    }
                    key_text(typed)
                }
                event => {
                    let key = self.node(event, span)?;
                    match key.value {
                        Value::Seq(_) | Value::Map(_) => Err(
                            "a list or mapping as a key: helm refuses it (\"invalid map key\")"
                                .to_string(),
                        ),
                        Value::Null => key_text(Typed::Null),
                        Value::Bool(b) => key_text(Typed::Bool(b)),
                        Value::Int(i) => key_text(Typed::Int(i.into())),
                        Value::Float(f) => key_text(Typed::Float(f)),
                        Value::Str(s) => key_text(Typed::Str(s)),
                    }
                }
            };
            let (event, span) = self.next()?;
            let value = self.node(event, span)?;
            if merge {
                for (k, v) in merged(&value)? {
                    entries.set(k, v);
                }
                continue;
            }
            let name = name.map_err(|m| Error::input(kpos, m))?;
            entries.set(Key { pos: kpos, name }, value);
        };
        Ok((Node::new(at, Value::Map(entries.into_vec())), end))
    }
}

fn tab_error(line: usize, col: usize) -> Error {
    Error::input(
        Pos::new(line, col),
        "a tab where helm's YAML reader needs spaces (\"found character that cannot start any token\")",
    )
    .with_hint("indent with spaces")
}

fn empty() -> Node {
    Node::new(Pos::new(1, 1), Value::Map(Vec::new()))
}

fn pos(span: &Span) -> Pos {
    Pos::new(span.start.line(), span.start.col() + 1)
}

fn count_nodes(node: &Node) -> u64 {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<u64>(),
        Value::Map(entries) => 1 + entries.iter().map(|(_, v)| count_nodes(v)).sum::<u64>(),
        _ => 1,
    }
}

/// A mapping being built: later keys win, and the entry moves to the end so that a located
/// error points at the winner.
#[derive(Default)]
struct Entries {
    slots: Vec<Option<(Key, Node)>>,
    index: HashMap<String, usize>,
}

impl Entries {
    fn set(&mut self, key: Key, value: Node) {
        if let Some(old) = self.index.insert(key.name.clone(), self.slots.len()) {
            self.slots[old] = None;
        }
        self.slots.push(Some((key, value)));
    }

    fn into_vec(self) -> Vec<(Key, Node)> {
        self.slots.into_iter().flatten().collect()
    }
}

/// The entries a `<<` value contributes: a mapping's, or a list of mappings' with the earlier
/// mappings winning.
fn merged(value: &Node) -> Result<Vec<(Key, Node)>> {
    let bad = || {
        Error::input(
            value.pos,
            "`<<` (merge) needs a mapping or a list of mappings; helm refuses anything else",
        )
    };
    match &value.value {
        Value::Map(entries) => Ok(entries.clone()),
        Value::Seq(items) => {
            let mut out = Entries::default();
            for item in items.iter().rev() {
                let Value::Map(entries) = &item.value else {
                    return Err(bad());
                };
                for (k, v) in entries {
                    out.set(k.clone(), v.clone());
                }
            }
            Ok(out.into_vec())
        }
        _ => Err(bad()),
    }
}

/// A key as sigs.k8s.io/yaml turns it into a JSON member name.
fn key_text(key: Typed) -> std::result::Result<String, String> {
    match key {
        Typed::Str(s) => Ok(s),
        Typed::Bool(b) => Ok(b.to_string()),
        Typed::Int(i) if i64::try_from(i).is_ok() => Ok(i.to_string()),
        Typed::Int(_) => Err("an integer key above 2^63-1: helm refuses it (\"unsupported map key of type: uint64\")".into()),
        // go-yaml formats float keys as 32-bit floats ('g', shortest): 0.1234567891 → "0.12345679".
        Typed::Float(f) if f.is_nan() => Ok(".nan".into()),
        Typed::Float(f) if f.is_infinite() => Ok(if f > 0.0 { ".inf" } else { "-.inf" }.into()),
        Typed::Float(f) => Ok(go_float_g32(f)),
        Typed::Null => Err("a null key (`~:` or `:`): helm refuses it (\"unsupported map key\")".into()),
    }
}

/// A value after the JSON step: every number a float64, which NaN and infinities cannot be.
fn json_value(typed: Typed) -> std::result::Result<Value, String> {
    Ok(match typed {
        Typed::Null => Value::Null,
        Typed::Bool(b) => Value::Bool(b),
        Typed::Int(i) => number(i as f64)?,
        Typed::Float(f) => number(f)?,
        Typed::Str(s) => Value::Str(s),
    })
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`.
fn go_float_g32(f: f64) -> String {
    let f = f as f32;
    // Rust's shortest round-trip digits for f32 are Go's; only the layout differs.
    let sci = format!("{f:e}"); // e.g. "1.2345679e-1", "1e6"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    // Shortest formatting decides with precision 6, whatever the digits.
    if (-4..6).contains(&exp) {
        let mut s = format!("{f}");
        if s.ends_with(".0") {
            s.truncate(s.len() - 2);
        }
        s
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// The number of a JSON value after helm's round trip through float64.
fn number(f: f64) -> std::result::Result<Value, String> {
    if !f.is_finite() {
        let what = if f.is_nan() { "NaN" } else { "infinity" };
        return Err(format!(
            "{what} cannot be a value: helm refuses it when converting the file to JSON"
        ));
    }
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        Ok(Value::Int(f as i64))
    } else {
        Ok(Value::Float(f))
    }
}

fn short_tag(tag: &Tag) -> String {
    if tag.handle() == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix())
    } else {
        format!("{}{}", tag.handle(), tag.suffix())
    }
}

/// A scalar as go-yaml v2 decodes it into an untyped value.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> std::result::Result<Typed, String> {
    let tag = tag.map(short_tag).unwrap_or_default();
    let text_value = || Typed::Str(text.to_string());
    if tag.is_empty() && style != ScalarStyle::Plain {
        return Ok(text_value());
    }
    if tag == "!!binary" {
        return base64(text)
            .map(|bytes| Typed::Str(String::from_utf8_lossy(&bytes).into_owned()))
            .ok_or_else(|| "`!!binary` holds invalid base64: helm refuses it".to_string());
    }
    if !matches!(
        tag.as_str(),
        "" | "!!str" | "!!bool" | "!!int" | "!!float" | "!!null" | "!!timestamp"
    ) {
        return Ok(text_value()); // go-yaml ignores tags it does not know
    }
    let resolved = if tag == "!!str" {
        Resolved::Str
    } else {
        resolve(text, tag.is_empty() || tag == "!!timestamp")
    };
    Ok(match (tag.as_str(), resolved) {
        ("!!float", Resolved::Int(i)) => Typed::Float(i as f64),
        ("" | "!!timestamp", Resolved::Timestamp) | ("" | "!!str", Resolved::Str) => text_value(),
        ("" | "!!null", Resolved::Null) => Typed::Null,
        ("" | "!!bool", Resolved::Bool(b)) => Typed::Bool(b),
        ("" | "!!int", Resolved::Int(i)) => Typed::Int(i),
        ("" | "!!float", Resolved::Float(f)) => Typed::Float(f),
        (_, r) => {
            return Err(format!(
                "`{tag} {text}`: helm refuses it (\"cannot decode {} `{text}` as a {tag}\")",
                r.tag()
            ))
        }
    })
}

#[derive(Debug, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    /// Any integer go-yaml accepts (int64 or uint64).
    Int(i128),
    Float(f64),
    Str,
    Timestamp,
}

impl Resolved {
    fn tag(&self) -> &'static str {
        match self {
            Resolved::Null => "!!null",
            Resolved::Bool(_) => "!!bool",
            Resolved::Int(_) => "!!int",
            Resolved::Float(_) => "!!float",
            Resolved::Str => "!!str",
            Resolved::Timestamp => "!!timestamp",
        }
    }
}

/// go-yaml v2's `resolve` for an untagged (or `!!bool`/`!!int`/… tagged) scalar.
fn resolve(text: &str, timestamps: bool) -> Resolved {
    const TRUE: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
    ];
    const FALSE: &[&str] = &[
        "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
    ];
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        t if TRUE.contains(&t) => return Resolved::Bool(true),
        t if FALSE.contains(&t) => return Resolved::Bool(false),
        _ => {}
    }
    match text.as_bytes()[0] {
        b'.' => go_float(text).map_or(Resolved::Str, Resolved::Float),
        b'0'..=b'9' | b'+' | b'-' => {
            if timestamps && is_timestamp(text) {
                return Resolved::Timestamp;
            }
            let plain = text.replace('_', "");
            if let Some(i) = go_int(&plain) {
                return Resolved::Int(i);
            }
            if yaml_style_float(&plain) {
                if let Some(f) = go_float(&plain) {
                    return Resolved::Float(f);
                }
            }
            Resolved::Str
        }
        _ => Resolved::Str,
    }
}

/// `strconv.ParseInt(s, 0, 64)`, then `ParseUint`, then go-yaml's own `0b`/`-0b` forms.
fn go_int(s: &str) -> Option<i128> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    // Go's base-0 prefixes need a digit after them; a lone leading 0 means octal.
    let prefixed = |p: &str| lower.len() >= 3 && lower.starts_with(p);
    let (radix, digits) = match () {
        () if prefixed("0x") => (16, &lower[2..]),
        () if prefixed("0o") => (8, &lower[2..]),
        () if prefixed("0b") => (2, &lower[2..]),
        () => match lower.strip_prefix('0') {
            Some(rest) => (8, rest),
            None => (10, lower.as_str()),
        },
    };
    if digits.is_empty() && radix != 8 {
        return None;
    }
    if !digits.chars().all(|c| c.is_digit(radix)) || (digits.is_empty() && body.is_empty()) {
        return None;
    }
    let magnitude = if digits.is_empty() {
        0
    } else {
        u128::from_str_radix(digits, radix).ok()?
    };
    if negative {
        (magnitude <= 1 << 63).then(|| -(magnitude as i128))
    } else if magnitude <= u128::from(u64::MAX) {
        // A `+` is ParseInt's only; ParseUint takes no sign, but its range is what remains.
        (magnitude <= i64::MAX as u128 || !s.starts_with('+')).then_some(magnitude as i128)
    } else {
        None
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)))
}

/// `strconv.ParseFloat(s, 64)` for decimal text: overflow is an error, underflow is zero.
fn go_float(s: &str) -> Option<f64> {
    if !yaml_style_float(s) {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// go-yaml's timestamp shapes: `2006-1-2`, optionally with a time (`T`, `t` or a space) and,
/// after `T`/`t`, a zone.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some((b[i], &s[i + 1..]))),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let num = |t: &str, max: usize| {
        t.len() <= max && !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit())
    };
    if parts.len() != 3 || !num(parts[1], 2) || !num(parts[2], 2) {
        return false;
    }
    let month: u32 = parts[1].parse().unwrap_or(0);
    let day: u32 = parts[2].parse().unwrap_or(0);
    let year: u32 = parts[0].parse().unwrap_or(0);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day == 0 || day > days[month as usize - 1] {
        return false;
    }
    let Some((sep, rest)) = time else {
        return true;
    };
    let (clock, zone) = if sep == b' ' {
        (rest, "")
    } else {
        match rest.find(['Z', '+', '-']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => return false,
        }
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, "0"));
    let hms: Vec<&str> = hms.split(':').collect();
    let zone_ok = zone.is_empty() && sep == b' '
        || zone == "Z"
        || (zone.len() == 6 && num(&zone[1..3], 2) && &zone[3..4] == ":" && num(&zone[4..6], 2));
    hms.len() == 3
        && hms.iter().all(|p| num(p, 2))
        && hms[0].parse::<u32>().unwrap_or(99) < 24
        && hms[1].parse::<u32>().unwrap_or(99) < 60
        && hms[2].parse::<u32>().unwrap_or(99) < 60
        && num(frac, 9)
        && zone_ok
}

/// Go's `base64.StdEncoding.DecodeString`, which skips line breaks.
fn base64(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b'\r' | b'\n'))
        .collect();
    if clean.len() % 4 != 0 {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let chunks = clean.chunks(4).count();
    for (i, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = n << 6 | value(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(src: &str) -> serde_json::Value {
        parse(&format!("a: {src}\n")).unwrap().to_json()["a"].clone()
    }

    #[test]
    fn scalars_resolve_as_go_yaml_v2_then_json() {
        use serde_json::json;
        let cases = [
            ("y", json!(true)),
            ("On", json!(true)),
            ("Off", json!(false)),
            ("yEs", json!("yEs")),
            ("1e3", json!(1000)),
            ("0o10", json!(8)),
            ("010", json!(8)),
            ("08", json!(8)),
            ("0x_1F", json!(31)),
            ("1__0", json!(10)),
            ("+12", json!(12)),
            ("-0b11", json!(-3)),
            ("0B1", json!(1)),
            ("0b2", json!("0b2")),
            ("0o", json!("0o")),
            ("1e", json!("1e")),
            ("1e400", json!("1e400")),
            ("1e-400", json!(0)),
            (".5", json!(0.5)),
            ("1.", json!(1)),
            ("._5", json!("._5")),
            ("1_0.5", json!(10.5)),
            ("0x1p3", json!("0x1p3")),
            ("1:30", json!("1:30")),
            ("2001-12-14", json!("2001-12-14")),
            ("~", json!(null)),
            ("\"1\"", json!("1")),
            ("!!float \"1\"", json!(1)),
            ("!!int \"1\"", json!(1)),
            ("!!str 1", json!("1")),
            ("!!bool yes", json!(true)),
            ("!!binary aGVsbG8=", json!("hello")),
            ("!custom x", json!("x")),
            ("!!timestamp 2001-12-14", json!("2001-12-14")),
            ("12345678901234567890", json!(12345678901234567890.0_f64)),
        ];
        for (src, want) in cases {
            assert_eq!(value(src), want, "{src}");
        }
    }

    #[test]
    fn helms_refusals_are_located_errors() {
        for src in [
            "a: .inf",
            "a: !!int 1.5",
            "a: !!null x",
            "a: !!bool 1",
            "a: !!timestamp foo",
            "a: !!binary \"!!\"",
            "~: x",
            "[a]: x",
            "12345678901234567890: x",
            "c: {<<: 1}",
            "a: 1\n---\nb: 2",
            "%YAML 1.1\n---\na: 1",
            "- a",
        ] {
            let e = parse(src).unwrap_err();
            assert!(e.pos().is_some(), "{src}: {e:?}");
        }
    }

    #[test]
    fn keys_and_merges_follow_go_yaml() {
        let j = |src: &str| parse(src).unwrap().to_json();
        assert_eq!(j("1e6: x\n0.1234567891: y\n1.0: z\ny: w\n")["1e+06"], "x");
        assert_eq!(j("0.1234567891: y\n")["0.12345679"], true);
        assert_eq!(j("1.0: z\n")["1"], "z");
        assert_eq!(j("y: w\n")["true"], "w");
        let m = j("x: &x {q: 2, r: 1}\nc: {q: 3, <<: *x}\n");
        assert_eq!(m["c"], serde_json::json!({"q": 2, "r": 1}));
        let m = j("x: &x {q: 2}\nz: &z {q: 5, s: 1}\nc: {<<: [*x, *z]}\n");
        assert_eq!(m["c"], serde_json::json!({"q": 2, "s": 1}));
        assert_eq!(j("a: 1\na: 2\n")["a"], 2);
        assert_eq!(j("# only comments\n"), serde_json::json!({}));
        assert_eq!(j("a: |\n  text"), serde_json::json!({"a": "text"}));
    }

    #[test]
    fn float_keys_print_as_go_does() {
        for (f, want) in [
            (1000.0, "1000"),
            (1e6, "1e+06"),
            (1.5, "1.5"),
            (0.1234567891, "0.12345679"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
        ] {
            assert_eq!(go_float_g32(f), want, "{f}");
        }
    }
}
