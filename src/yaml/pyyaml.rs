//! A Flow's YAML read as Jina reads it: serde-saphyr's syntax, with PyYAML's YAML 1.1 rules
//! for scalars where they differ from YAML 1.2, because Jina reads the same file with PyYAML.

use granit_parser::{Event, ScalarStyle};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::{Key, Node, Value};
use crate::error::{Error, Pos, Result};
use crate::python::python_float;

/// Parse a YAML document into located nodes.
///
/// Plain documents (the overwhelming majority of Flows) take a direct route over the parser's
/// events; anything else, and every invalid document, goes through serde-saphyr, so results and
/// error messages are those of serde-saphyr either way (see `parse_fast`).
pub fn parse(source: &str) -> Result<Node> {
    if let Some(node) = parse_fast(source) {
        return Ok(node);
    }
    parse_general(source)
}

/// The local tag of the document's root node (`!Flow` gives `Flow`) and where it is, if it has
/// one. Jina reads a Flow file after rewriting every `!word` to `jtype: word`
/// (`JAML.escape`), so a document tagged `!Flow` is a `jtype: Flow`; elsewhere flowhelm reads
/// tags as YAML does (docs/flows.md).
pub fn root_tag(source: &str) -> Option<(Pos, String)> {
    let parser = granit_parser::Parser::new_from_str(source);
    for item in parser {
        let (event, span) = item.ok()?;
        if !event.is_node() {
            continue;
        }
        let tag = event.tag()?;
        return (tag.handle() == "!").then(|| (marker_pos(&span.start), tag.suffix().to_string()));
    }
    None
}

fn saphyr_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.legacy_octal_numbers = true;
    options
}

/// The serde-saphyr route. `source` must be the full text (used to recover the raw text of
/// scalars where PyYAML and YAML 1.2 disagree).
fn parse_general(source: &str) -> Result<Node> {
    let raw: Spanned<RawNode> = serde_saphyr::from_str_with_options(source, saphyr_options())
        .map_err(|e| yaml_error(&e))?;
    convert(raw, source)
}

/// Build the tree straight from granit-parser's events (the parser serde-saphyr itself runs on),
/// or return `None` to leave the document to [`parse_general`].
///
/// serde-saphyr's `Spanned` machinery costs about three quarters of a large Flow's load time,
/// so the common case is read here. The contract is that a `Some` equals what `parse_general`
/// returns, positions included; the differential test below checks it over every fixture, their
/// mutations and a corpus of awkward scalars. To keep that contract cheap to trust, everything
/// unusual gives up rather than being reproduced: parser errors, aliases and anchors, tags,
/// merge keys, non-string or non-scalar keys, duplicate keys, directives, a root that is not a
/// mapping, more than one document, documents near serde-saphyr's budget, and plain scalars
/// whose resolution is not obvious (see [`resolve_plain`]).
fn parse_fast(source: &str) -> Option<Node> {
    let options = saphyr_options();
    let budget = options.budget.clone().unwrap_or_default();
    // Comment text (which the budget counts) is no longer than the source.
    if source.len() > budget.max_total_comment_bytes / 2 {
        return None;
    }
    // The same parser settings serde-saphyr derives from these options, so that both routes
    // accept exactly the same syntax (comment buffering and nesting limits are errors there).
    let mut parser_options = granit_parser::Options::default();
    parser_options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    parser_options.flow_nesting_limit = budget.flow_nesting_limit;
    parser_options.block_nesting_limit = parser_options
        .block_nesting_limit
        .max(budget.max_depth.saturating_add(1));
    parser_options.emit_comments = options.emit_comments;
    parser_options.max_buffered_comment_events = budget.max_buffered_comment_events;
    parser_options.strict_indentation = options.strict_indentation;
    parser_options.bom_inside_document_as_content = options.bom_inside_document_as_content;

    // Half of each budget limit: a document that gets anywhere near one is left to serde-saphyr,
    // which reports the breach, instead of counting exactly as it does.
    let mut reader = FastReader {
        parser: granit_parser::Parser::new_from_str_with_options(source, parser_options),
        events_left: budget.max_events / 2,
        nodes_left: budget.max_nodes / 2,
        scalar_bytes_left: budget.max_total_scalar_bytes / 2,
        depth_left: budget.max_depth / 2,
    };
    reader.document()
}

struct FastReader<'a> {
    parser: granit_parser::Parser<'a, granit_parser::StrInput<'a>>,
    events_left: usize,
    nodes_left: usize,
    scalar_bytes_left: usize,
    depth_left: usize,
}

impl<'a> FastReader<'a> {
    /// The next event that is not a comment; `None` on errors and at the end.
    fn next(&mut self) -> Option<(Event<'a>, granit_parser::Span)> {
        loop {
            let (event, span) = self.parser.next()?.ok()?;
            self.events_left = self.events_left.checked_sub(1)?;
            let structural = event.is_node()
                || matches!(
                    event,
                    Event::StreamStart
                        | Event::StreamEnd
                        | Event::DocumentStart(..)
                        | Event::DocumentEnd
                        | Event::SequenceEnd
                        | Event::MappingEnd
                );
            // Comments are the only other events with these parser options.
            if structural {
                return Some((event, span));
            }
        }
    }

    fn document(&mut self) -> Option<Node> {
        let Some((Event::StreamStart, _)) = self.next() else {
            return None;
        };
        let Some((Event::DocumentStart(_, None), _)) = self.next() else {
            return None;
        };
        let (event, span) = self.next()?;
        if !matches!(event, Event::MappingStart(..)) {
            return None;
        }
        let root = self.node(event, span)?;
        let Some((Event::DocumentEnd, _)) = self.next() else {
            return None;
        };
        let Some((Event::StreamEnd, _)) = self.next() else {
            return None;
        };
        // Whatever follows the stream end (nothing, normally) is serde-saphyr's to judge.
        match self.parser.next() {
            None => Some(root),
            Some(_) => None,
        }
    }

    fn node(&mut self, event: Event<'a>, span: granit_parser::Span) -> Option<Node> {
        self.nodes_left = self.nodes_left.checked_sub(1)?;
        let pos = marker_pos(&span.start);
        let value = match event {
            Event::Scalar(text, style, 0, None) => {
                self.scalar_bytes_left = self.scalar_bytes_left.checked_sub(text.len())?;
                if style == ScalarStyle::Plain {
                    match resolve_plain(&text)? {
                        Plain::Null => Value::Null,
                        Plain::Bool(b) => Value::Bool(b),
                        Plain::Int(i) => Value::Int(i),
                        Plain::Float(f) => Value::Float(f),
                        Plain::Str => Value::Str(text.into_owned()),
                    }
                } else {
                    Value::Str(text.into_owned())
                }
            }
            Event::SequenceStart(_, 0, None) => {
                self.depth_left = self.depth_left.checked_sub(1)?;
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        (Event::SequenceEnd, _) => break,
                        (event, span) => items.push(self.node(event, span)?),
                    }
                }
                self.depth_left += 1;
                Value::Seq(items)
            }
            Event::MappingStart(_, 0, None) => {
                self.depth_left = self.depth_left.checked_sub(1)?;
                let mut entries = Vec::new();
                loop {
                    let key = match self.next()? {
                        (Event::MappingEnd, _) => break,
                        (event, span) => self.key(event, span)?,
                    };
                    let (event, span) = self.next()?;
                    entries.push((key, self.node(event, span)?));
                }
                if has_duplicate_keys(&entries) {
                    return None;
                }
                self.depth_left += 1;
                Value::Map(entries)
            }
            _ => return None,
        };
        Some(Node { pos, value })
    }

    /// A key that resolves to a string. serde-saphyr tells duplicate keys apart by their text
    /// and YAML type while `KeyText` merges types (`1` and `'1'` are both "1"); with string keys
    /// only, the two agree, so checking names for duplicates is exact.
    fn key(&mut self, event: Event<'a>, span: granit_parser::Span) -> Option<Key> {
        self.nodes_left = self.nodes_left.checked_sub(1)?;
        let Event::Scalar(text, style, 0, None) = event else {
            return None;
        };
        self.scalar_bytes_left = self.scalar_bytes_left.checked_sub(text.len())?;
        // `<<` is a merge key when plain; not worth telling the spellings apart.
        if text == "<<"
            || (style == ScalarStyle::Plain && !matches!(resolve_plain(&text)?, Plain::Str))
        {
            return None;
        }
        Some(Key {
            pos: marker_pos(&span.start),
            name: text.into_owned(),
        })
    }
}

/// serde-saphyr's locations: the parser's 1-based line and 0-based character column, plus one.
fn marker_pos(marker: &granit_parser::Marker) -> Pos {
    Pos::new(marker.line(), marker.col() + 1)
}

fn has_duplicate_keys(entries: &[(Key, Node)]) -> bool {
    if entries.len() <= 16 {
        return entries
            .iter()
            .enumerate()
            .any(|(i, (k, _))| entries[..i].iter().any(|(seen, _)| seen.name == k.name));
    }
    let mut names: Vec<&str> = entries.iter().map(|(k, _)| k.name.as_str()).collect();
    names.sort_unstable();
    names.windows(2).any(|w| w[0] == w[1])
}

/// What an untagged plain scalar resolves to (`Str`: its own text).
#[derive(Debug, PartialEq)]
enum Plain {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

/// Resolve a plain scalar as `parse_general` does (serde-saphyr with legacy octal numbers, then
/// `convert`), or `None` when the spelling is one whose resolution is not plainly certain:
/// signs other than on a short decimal integer, leading zeros, radix prefixes, underscores,
/// exponents, `.inf`/`.nan`, `1.` and `.5`, over-long integers.
///
/// The reasoning for `Str`: serde-saphyr's integers are an optional sign, an optional radix
/// prefix (`0x`, `0o`, `0b`, any case) and hex digits or `_`; its floats are Rust's `f64` syntax
/// (digits, `.`, `e`, and a sign at the start or after the exponent marker) or `.inf`/`.nan`,
/// since Rust's `inf`/`nan` spellings are refused as non-finite. Text outside those shapes is a
/// string.
fn resolve_plain(text: &str) -> Option<Plain> {
    match saphyr_plain(text)? {
        Plain::Str if jina_retypes(text) => None,
        plain => Some(plain),
    }
}

/// serde-saphyr's reading of a plain scalar (see [`resolve_plain`]).
fn saphyr_plain(text: &str) -> Option<Plain> {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Plain::Null);
    }
    let bytes = text.as_bytes();
    let padding = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    if bytes.first().is_some_and(padding) || bytes.last().is_some_and(padding) {
        return None;
    }
    const TRUE: &[&str] = &["y", "yes", "true", "on"];
    const FALSE: &[&str] = &["n", "no", "false", "off"];
    let is = |words: &[&str]| words.iter().any(|t| text.eq_ignore_ascii_case(t));
    if (is(TRUE) || is(FALSE)) && ambiguous_bool(text) {
        return None; // refused by the general route, with its position
    }
    if is(TRUE) {
        return Some(Plain::Bool(true));
    }
    if is(FALSE) {
        return Some(Plain::Bool(false));
    }
    let (negative, unsigned) = match text.strip_prefix(['+', '-']) {
        Some(rest) => (bytes[0] == b'-', rest),
        None => (false, text),
    };
    let digits = unsigned.as_bytes();
    if !matches!(digits.first(), Some(b'0'..=b'9' | b'.')) {
        return Some(Plain::Str);
    }
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return None;
    }
    let numeric = |b: &u8| {
        b.is_ascii_hexdigit() || matches!(b, b'x' | b'X' | b'o' | b'O' | b'_' | b'.' | b'+' | b'-')
    };
    if !digits.iter().all(numeric) {
        return Some(Plain::Str);
    }
    // A sign inside the text is only valid right after an exponent marker.
    let misplaced_sign = digits.iter().enumerate().any(|(i, b)| {
        matches!(b, b'+' | b'-') && (i == 0 || !matches!(digits[i - 1], b'e' | b'E'))
    });
    if misplaced_sign {
        return Some(Plain::Str);
    }
    let all_digits = digits.iter().all(u8::is_ascii_digit);
    if text.len() != unsigned.len() {
        // Only `-` and a decimal without a leading zero, short enough for i64.
        if negative && all_digits && digits[0] != b'0' && digits.len() <= 18 {
            return unsigned.parse::<i64>().ok().map(|i| Plain::Int(-i));
        }
        return None;
    }
    if unsigned == "0" {
        return Some(Plain::Int(0));
    }
    if all_digits {
        if digits[0] == b'0' || digits.len() > 18 {
            return None;
        }
        return unsigned.parse().ok().map(Plain::Int);
    }
    let dots = digits.iter().filter(|&&b| b == b'.').count();
    let digits_and_dots = digits.iter().all(|b| b.is_ascii_digit() || *b == b'.');
    if digits_and_dots && dots >= 2 {
        return Some(Plain::Str);
    }
    if digits_and_dots && dots == 1 && digits[0] != b'.' && digits[digits.len() - 1] != b'.' {
        return unsigned
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Plain::Float);
    }
    None
}

/// A resource limit of the YAML reader, said as what the file does too much of, with the limit.
fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    let b = serde_saphyr::budget::Budget::default();
    let (what, limit) = match breach {
        B::Depth { .. } => ("nests mappings and lists too deeply", b.max_depth),
        B::Nodes { .. } => ("has too many values", b.max_nodes),
        B::Events { .. } => ("is too large", b.max_events),
        B::Aliases { .. } => ("uses too many aliases (`*name`)", b.max_aliases),
        B::Anchors { .. } => ("defines too many anchors (`&name`)", b.max_anchors),
        B::ScalarBytes { .. } => ("holds too much text", b.max_total_scalar_bytes),
        B::CommentBytes { .. } => ("holds too many comments", b.max_total_comment_bytes),
        B::MergeKeys { .. } => ("uses too many merge keys (`<<`)", b.max_merge_keys),
        B::Documents { .. } => ("holds too many documents", b.max_documents),
        _ => ("expands too much (aliases or nesting)", 0),
    };
    if limit == 0 {
        format!("the file {what} for flowhelm's YAML reader")
    } else {
        format!("the file {what}: flowhelm's YAML reader allows {limit}")
    }
}

fn yaml_error(e: &serde_saphyr::Error) -> Error {
    if let serde_saphyr::Error::Budget { breach, location } = e {
        let pos = Pos::new(
            (location.line() as usize).max(1),
            (location.column() as usize).max(1),
        );
        return Error::input(pos, format!("invalid YAML: {}", budget_message(breach)))
            .with_hint("a Flow this large or deep is not one Jina could serve either; check the file is the Flow you meant");
    }
    let pos = e
        .location()
        .map(|l| Pos::new(l.line() as usize, l.column() as usize))
        .filter(|p| p.line > 0)
        .unwrap_or(Pos::new(1, 1));
    let text = e.without_snippet().to_string();
    let message = strip_location_prefix(&text).trim().to_string();
    let message = message
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
        .replace('\n', " ");
    let message = strip_location_suffix(&message);
    // serde-saphyr names its own API here; say what is wrong with the file instead.
    let message = message.replace("rejected by the configured policy", "is not allowed");
    // serde-saphyr refuses `.inf`/`.nan` itself; say it as the plain-scalar rule does.
    if let Some(rest) = message.strip_prefix("non-finite float `") {
        if let Some(text) = rest.split('`').next() {
            if let Err(e) = jina_plain(pos, text) {
                return e;
            }
        }
    }
    let message = if message.starts_with("recursion limit exceeded") {
        "the file nests lists and mappings too deeply for flowhelm's YAML reader".to_string()
    } else if message.starts_with("multiple YAML documents detected") {
        "the file holds more than one YAML document; a Flow is a single document".to_string()
    } else if let Some(key) = message.strip_prefix("duplicate mapping key: ") {
        format!("duplicate key `{key}`")
    } else {
        message.clone()
    };
    Error::input(pos, format!("invalid YAML: {message}"))
}

/// Some messages end in ` at line L, column C`, which the rendered position already says.
fn strip_location_suffix(text: &str) -> &str {
    if let Some(idx) = text.rfind(" at line ") {
        let tail = &text[idx + " at line ".len()..];
        let located = tail.split_once(", column ").is_some_and(|(l, c)| {
            !l.is_empty()
                && !c.is_empty()
                && l.bytes().all(|b| b.is_ascii_digit())
                && c.bytes().all(|b| b.is_ascii_digit())
        });
        if located {
            return &text[..idx];
        }
    }
    text
}

/// serde-saphyr's plain message reads `error: line L column C: WHAT`; keep WHAT.
fn strip_location_prefix(text: &str) -> &str {
    let text = text.strip_prefix("error: ").unwrap_or(text);
    if text.starts_with("line ") {
        if let Some(idx) = text.find(": ") {
            return &text[idx + 2..];
        }
    }
    text
}

fn pos_of(loc: &serde_saphyr::Location) -> Pos {
    Pos::new(loc.line() as usize, loc.column() as usize)
}

/// The spellings YAML 1.1 readers take for booleans and PyYAML (so Jina) does not: `y`, `n`,
/// `on`, `off` (Jina drops those from its resolver) and mixed case (`yEs`). flowhelm refuses them
/// rather than guess which reader the user had in mind.
fn ambiguous_bool(text: &str) -> bool {
    const WORDS: &[&str] = &["y", "n", "yes", "no", "true", "false", "on", "off"];
    if !WORDS.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        return false; // quoted, tagged or spelt otherwise: not a plain boolean word
    }
    const PYYAML: &[&str] = &[
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
    ];
    !PYYAML.contains(&text)
}

fn ambiguous_bool_error(pos: Pos, text: &str) -> Error {
    Error::input(pos, format!("plain `{text}` is true or false to some YAML readers and the string \"{text}\" to Jina"))
        .with_hint(format!("quote it (`\"{text}\"`) for the text, or write `true`/`false`"))
}

/// Whether Jina reads a plain scalar that serde-saphyr takes as text as something else
/// (`1e3`, `-.5`, `1:30`, `inf`).
fn jina_retypes(text: &str) -> bool {
    use crate::yaml::resolve::{self, Plain as P};
    let maybe = text.as_bytes().first().is_some_and(|b| {
        b.is_ascii_digit()
            || matches!(
                b,
                b'+' | b'-' | b'.' | b'i' | b'I' | b'n' | b'N' | b't' | b'T' | b'f' | b'F'
            )
    });
    maybe && !matches!(resolve::jina(text), P::Str | P::Timestamp | P::ValueKey)
}

/// What Jina makes of a plain scalar, or `None` for text. Values Jina would read but flowhelm
/// cannot pass on exactly are refused: integers beyond 64 bits (Python's are unbounded, the
/// tree's are i64, and helm rounds typed numbers to float64) and infinities and NaN (JSON has
/// no such numbers).
fn jina_plain(pos: Pos, text: &str) -> Result<Option<Value>> {
    use crate::yaml::resolve::{self, Plain as P};
    Ok(Some(match resolve::jina(text) {
        P::Null => Value::Null,
        P::Bool(b) => Value::Bool(b),
        P::Int(i) => Value::Int(i),
        P::Float(f) if f.is_finite() => Value::Float(f),
        P::Float(_) => {
            return Err(Error::input(pos, format!("plain `{text}` is infinity or NaN to Jina, which flowhelm cannot pass on (JSON has no such number)"))
                .with_hint(format!("quote it (`\"{text}\"`) for the text")))
        }
        P::BigInt(_) => {
            return Err(Error::input(pos, format!("`{text}` is an integer beyond 64 bits: Jina keeps it exactly, flowhelm's values cannot"))
                .with_hint(format!("quote it (`\"{text}\"`) for the text")))
        }
        P::Str | P::Timestamp | P::ValueKey => return Ok(None),
    }))
}

fn convert(raw: Spanned<RawNode>, source: &str) -> Result<Node> {
    let pos = pos_of(&raw.referenced);
    let text_of = |loc: &serde_saphyr::Location| {
        let span = loc.span();
        match (span.byte_offset(), span.byte_len()) {
            (Some(start), Some(len)) => source
                .get(start as usize..(start + len) as usize)
                .unwrap_or(""),
            _ => "",
        }
    };
    let raw_text = || text_of(&raw.referenced);
    // A plain scalar means what Jina makes of it (PyYAML's types, then `parse_arg`); quoted,
    // tagged and anchored ones keep serde-saphyr's reading. Spans leave quotes and tags out, so a
    // scalar is plain when the text before it ends in an indicator (or nothing).
    let plain = |t: &str| {
        let start = raw.referenced.span().byte_offset().unwrap_or(0) as usize;
        let before = source
            .get(..start)
            .unwrap_or("")
            .trim_end_matches([' ', '\t', '\r', '\n']);
        !t.is_empty()
            && !t.starts_with(['"', '\'', '|', '>'])
            && (before.is_empty() || before.ends_with([':', '-', '[', ',', '{', '?']))
    };
    let value = match raw.value {
        RawNode::Null | RawNode::Bool(_) | RawNode::Int(_) | RawNode::Float(_)
            if plain(raw_text()) =>
        {
            let t = raw_text();
            if ambiguous_bool(t) {
                return Err(ambiguous_bool_error(pos, t));
            }
            jina_plain(pos, t)?.unwrap_or_else(|| Value::Str(t.to_string()))
        }
        RawNode::Str(s) if raw_text() == s && plain(&s) => {
            jina_plain(pos, &s)?.unwrap_or(Value::Str(s))
        }
        RawNode::Null => Value::Null,
        RawNode::Bool(b) => Value::Bool(b),
        RawNode::Int(i) => Value::Int(i),
        RawNode::Float(f) => Value::Float(f),
        RawNode::Str(s) => Value::Str(s),
        RawNode::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|n| convert(n, source))
                .collect::<Result<_>>()?,
        ),
        RawNode::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let kpos = pos_of(&k.referenced);
                    let ktext = text_of(&k.referenced);
                    if matches!(k.value.0.as_str(), "True" | "False") && ambiguous_bool(ktext) {
                        return Err(ambiguous_bool_error(kpos, ktext));
                    }
                    let key = Key {
                        pos: kpos,
                        name: k.value.0,
                    };
                    Ok((key, convert(v, source)?))
                })
                .collect::<Result<_>>()?,
        ),
    };
    Ok(Node { pos, value })
}

/// What serde-saphyr hands us before positions are flattened.
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<KeyText>, Spanned<RawNode>)>),
}

/// A mapping key read as text whatever its YAML type (`1: x` has key "1", `yes: x` key "True").
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let node = RawNode::deserialize(d)?;
        let text = match node {
            RawNode::Null => "None".to_string(),
            RawNode::Bool(b) => if b { "True" } else { "False" }.to_string(),
            RawNode::Int(i) => i.to_string(),
            RawNode::Float(f) => python_float(f),
            RawNode::Str(s) => s,
            RawNode::Seq(_) | RawNode::Map(_) => {
                return Err(serde::de::Error::custom("a mapping key must be a scalar"))
            }
        };
        Ok(KeyText(text))
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Int(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<RawNode, E> {
        i64::try_from(v)
            .map(RawNode::Int)
            .or(Ok(RawNode::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> std::result::Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = a.next_element()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> std::result::Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = a.next_entry()? {
            entries.push(entry);
        }
        Ok(RawNode::Map(entries))
    }
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

/// The benchmarks' Flow generator, for the differential test.
#[cfg(test)]
#[allow(dead_code)]
#[path = "../../benches/support/flowgen.rs"]
mod flowgen;

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(src: &str) -> Value {
        parse(&format!("k: {src}\n"))
            .unwrap()
            .get("k")
            .unwrap()
            .value
            .clone()
    }

    #[test]
    fn scalars_follow_pyyaml() {
        assert_eq!(scalar("yes"), Value::Bool(true));
        assert_eq!(scalar("NO"), Value::Bool(false));
        // YAML 1.1 booleans PyYAML (or Jina's resolver) does not take are refused, located.
        for text in ["Off", "on", "y", "N", "yEs"] {
            let err = parse(&format!("k: {text}\n")).unwrap_err();
            assert_eq!(err.pos(), Some(Pos::new(1, 4)), "{text}");
            assert!(
                err.message().contains("to Jina"),
                "{text}: {}",
                err.message()
            );
        }
        assert!(parse("on: 1\n").is_err());
        assert_eq!(scalar("0755"), Value::Int(493));
        assert_eq!(scalar("1_000"), Value::Int(1000));
        assert_eq!(scalar("0o755"), Value::Str("0o755".into()));
        assert_eq!(scalar("3.34"), Value::Float(3.34));
        // Jina's `parse_arg` retypes what PyYAML leaves as text; quotes and tags keep the text.
        assert_eq!(scalar("1e3"), Value::Float(1000.0));
        assert_eq!(scalar("-.5"), Value::Float(-0.5));
        assert_eq!(scalar("1:30"), Value::Int(90));
        assert_eq!(scalar("'1e3'"), Value::Str("1e3".into()));
        assert_eq!(scalar("!!str 1e3"), Value::Str("1e3".into()));
        assert_eq!(scalar("!!float \"1\""), Value::Float(1.0));
        assert_eq!(scalar("2001-12-14"), Value::Str("2001-12-14".into()));
        for text in ["inf", ".inf", "-.inf", ".nan", "123456789012345678901234"] {
            let err = parse(&format!("k: {text}\n")).unwrap_err();
            assert_eq!(err.pos(), Some(Pos::new(1, 4)), "{text}");
        }
        assert_eq!(scalar("'0755'"), Value::Str("0755".into()));
        assert_eq!(scalar("~"), Value::Null);
    }

    #[test]
    fn floats_are_written_as_python_does() {
        for (f, want) in [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123456789.0, "123456789.0"),
            (-2.5e-7, "-2.5e-07"),
            (1e22, "1e+22"),
        ] {
            assert_eq!(python_float(f), want, "{f}");
        }
    }

    #[test]
    fn positions_are_one_based() {
        let doc = parse("a:\n  b: 1\n").unwrap();
        let b = doc.get("a").unwrap().get("b").unwrap();
        assert_eq!(b.pos, Pos::new(2, 6));
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = parse("a: 1\n  b: [\n").unwrap_err();
        assert_eq!(err.pos(), Some(Pos::new(2, 4)));
        assert!(
            err.message().starts_with("invalid YAML: "),
            "{}",
            err.message()
        );
    }

    #[test]
    fn yaml_messages_do_not_repeat_the_position() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.pos(), Some(Pos::new(3, 1)));
        assert_eq!(err.message(), "invalid YAML: duplicate key `a`");
        let err = parse("a: [1\n").unwrap_err();
        assert!(!err.message().contains(" at line "), "{}", err.message());
        assert_eq!(
            strip_location_suffix("bad thing at line 3, column 14"),
            "bad thing"
        );
        assert_eq!(
            strip_location_suffix("keep at line three"),
            "keep at line three"
        );
    }

    /// Whether the fast route took `source`; when it did, its tree must equal the general one.
    fn same_as_general(source: &str) -> bool {
        let Some(fast) = parse_fast(source) else {
            return false;
        };
        match parse_general(source) {
            Ok(general) => assert_eq!(fast, general, "the two routes differ on:\n{source}"),
            Err(e) => panic!("the fast route accepted what serde-saphyr rejects ({e}):\n{source}"),
        }
        true
    }

    fn fixture_files() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut out: Vec<(String, String)> = walkdir::WalkDir::new(root)
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .map(|p| {
                (
                    p.display().to_string(),
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn fast_route_agrees_on_every_fixture() {
        let files = fixture_files();
        assert!(files.len() >= 150, "{} fixtures", files.len());
        let mut flows = 0;
        for (path, text) in &files {
            let taken = same_as_general(text);
            // Every reference Flow is ordinary YAML; if the fast route left them, it would be
            // fast for nothing (Jina's own multi-document output is left, as it should be).
            if path.ends_with("flow.yml") && path.contains("jina-reference") {
                assert!(taken, "{path} left to the general route");
                flows += 1;
            }
        }
        assert!(flows >= 30, "{flows} reference Flows");
    }

    /// The mutations of tests/it/robustness.rs (every cut, tests/fixtures/hostile-lines.json), which reach the error and
    /// edge paths of the parser rather than valid Flows.
    #[test]
    fn fast_route_agrees_on_mutated_fixtures() {
        let hostile: Vec<String> = serde_json::from_str(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/hostile-lines.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let flows: Vec<(String, String)> = fixture_files()
            .into_iter()
            .filter(|(path, _)| path.ends_with("flow.yml") || path.contains("/invalid/"))
            .collect();
        assert!(flows.len() >= 40);
        let (mut tried, mut taken) = (0, 0);
        let mut check = |doc: &str| {
            tried += 1;
            taken += usize::from(same_as_general(doc));
        };
        for (_, text) in &flows {
            for (i, _) in text.char_indices() {
                check(&text[..i]);
            }
            let lines: Vec<&str> = text.lines().collect();
            for i in 0..lines.len() {
                let indent = &lines[i][..lines[i].len() - lines[i].trim_start().len()];
                for h in &hostile {
                    let mut changed = lines.clone();
                    let replacement = format!("{indent}{h}");
                    changed[i] = &replacement;
                    check(&changed.join("\n"));
                }
            }
        }
        // A third of the cuts and replacements still read as a plain document (17k of 51k).
        assert!(taken * 4 > tried, "{taken} of {tried} taken");
    }

    const SCALARS: &[&str] = &[
        // YAML 1.1 booleans and nulls, in every case.
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "yEs",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "true",
        "True",
        "TRUE",
        "tRUE",
        "false",
        "False",
        "FALSE",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "null",
        "Null",
        "NULL",
        "nULL",
        "~",
        "",
        "None",
        "none",
        // Integers in every spelling.
        "0",
        "00",
        "-0",
        "+0",
        "1",
        "+12",
        "-12",
        "-012",
        "0755",
        "0789",
        "08",
        "0x1F",
        "0X1F",
        "0x",
        "0xg",
        "0o17",
        "0O17",
        "-0o17",
        "0b101",
        "0B101",
        "0b",
        "1_000",
        "1__0",
        "_1",
        "1_",
        "0_755",
        "0x_1F",
        "123456789012345678",
        "1234567890123456789",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "18446744073709551616",
        "99999999999999999999999",
        "190:20:30",
        "-1:30",
        "1,000",
        // Floats and what is not quite one.
        ".5",
        "-.5",
        "+.5",
        "1.",
        "-1.",
        "1.5",
        "-1.5",
        "+1.5",
        "0.5",
        "00.5",
        "3.34",
        "1.0e3",
        "1.0E+3",
        "1.0e-3",
        "1e3",
        "1E3",
        "-1e3",
        "1e400",
        "-1e400",
        "1.0e400",
        "1.5e",
        "1.5e+",
        "1.5.5",
        "1.2.3",
        "0.0.0.0",
        "..",
        ".",
        "-",
        "+",
        "1-2",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "1e",
        "e3",
        ".e3",
        "1.5_0",
        "1_0.5",
        ".inf",
        ".Inf",
        ".INF",
        "-.inf",
        "-.Inf",
        "+.inf",
        ".iNf",
        ".nan",
        ".NaN",
        ".NAN",
        "-.nan",
        "+.NaN",
        ".nAn",
        "inf",
        "-inf",
        "infinity",
        "Infinity",
        "nan",
        "NaN",
        "-nan",
        // Ordinary strings, some close to numbers.
        "abc",
        "deadbeef",
        "0xdeadbeef",
        "a1",
        "1a",
        "10s",
        "1d",
        "5m",
        "2Gi",
        "500m",
        "v1.2",
        "1.2-slim",
        "docker://a/b:1.0",
        "/index",
        "$eq",
        "./data",
        ".hidden",
        "-v",
        "--port",
        "a b",
        "a  b",
        "x:y",
        "<<",
        "=",
        "é",
        "ключ",
        "名前",
        "0é",
        "1.5é",
    ];

    #[test]
    fn plain_scalars_resolve_as_in_serde_saphyr() {
        for s in SCALARS {
            let Some(plain) = resolve_plain(s) else {
                continue;
            };
            // Some spellings (`-`) cannot be written as a plain value at all.
            let Ok(general) = parse_general(&format!("k: {s}\n")) else {
                continue;
            };
            let got = &general.get("k").unwrap().value;
            let want = match plain {
                Plain::Null => Value::Null,
                Plain::Bool(b) => Value::Bool(b),
                Plain::Int(i) => Value::Int(i),
                Plain::Float(f) => Value::Float(f),
                Plain::Str => Value::Str(s.to_string()),
            };
            assert_eq!(got, &want, "{s:?}");
        }
    }

    #[test]
    fn fast_route_agrees_on_scalars_in_every_position() {
        let mut docs = Vec::new();
        for s in SCALARS {
            for template in [
                "k: {}\n",
                "{}: v\n",
                "k:\n  - {}\n",
                "k: [{}]\n",
                "k: {{{}: 1}}\n",
                "k: '{}'\n",
                "k: \"{}\"\n",
                "'{}': v\n",
                "a: 1\nb:\n  c: {}\n  {}: 2\n",
            ] {
                docs.push(
                    template
                        .replace("{}", s)
                        .replace("{{", "{")
                        .replace("}}", "}"),
                );
            }
        }
        for doc in &docs {
            same_as_general(doc);
        }
        // Every short spelling over the characters numbers are made of.
        let alphabet = [
            "0", "1", "7", "8", ".", "e", "E", "+", "-", "_", "x", "o", "b", "a", "i", "n", "f",
            ":",
        ];
        let mut words: Vec<String> = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            for w in &longer {
                same_as_general(&format!("k: {w}\n"));
            }
            words = longer;
        }
    }

    #[test]
    fn fast_route_agrees_on_layout() {
        let docs = [
            "k: a\n  b\n",
            "k: a\n\n  b\n",
            "k: 1\n  2\n",
            "k: |\n  line1\n  line2\n",
            "k: |-\n  x\n",
            "k: |+\n  x\n\n",
            "k: >\n  a\n  b\n\n  c\n",
            "k: >2\n   a\n",
            "k: 'a\n  b'\n",
            "k: \"a\\n\\tb\\u00e9 \\x41\"\n",
            "k: 'it''s'\n",
            "# c\nk: v # c\n# end\n",
            "名前: 値\nnext: 1\n",
            "ключ: значение\nx:\n  é: [a, é, {ü: 1}]\n",
            "\u{feff}k: v\n",
            "k: v\r\nl:\r\n  - w\r\n",
            "k:\tv\n",
            "---\nk: v\n",
            "--- # c\nk: v\n...\n",
            "%YAML 1.2\n---\nk: v\n",
            "k: v\n---\nk: w\n",
            "k: v\n...\n---\nk: w\n",
            "? a\n: b\n",
            "? [a, b]\n: c\n",
            "{a: 1, b: [2, 3]}\n",
            "[a, b]\n",
            "plain\n",
            "",
            "# only a comment\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: !custom x\n",
            "base: &b {x: 1}\nd:\n  <<: *b\n",
            "a: 1\na: 2\n",
            "a: 1\n'a': 2\n",
            "yes: 1\n'yes': 2\n",
            "1: a\n'1': b\n",
            "k:\n- a\n- b\n",
            "k:\n  -\n  - ~\n  - \n",
            "k: [a, b, ]\n",
            "k: {a: , b}\n",
            "a:\n  b:\n    c:\n      d: [[[[1]]]]\n",
        ];
        for doc in docs {
            same_as_general(doc);
        }
        for doc in [
            "k: v\n",
            "? a\n: b\n",
            "k: v\r\nl:\r\n  - w\r\n",
            "名前: 値\nnext: 1\n",
        ] {
            assert!(parse_fast(doc).is_some(), "{doc:?}");
        }
        for doc in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "base: &b {x: 1}\nd:\n  <<: *b\n",
            "a: 1\na: 2\n",
            "a: 1\n'a': 2\n",
            "yes: 1\n",
            "k: v\n---\nk: w\n",
            "%YAML 1.2\n---\nk: v\n",
            "",
            "[a]\n",
            "k: [a\n",
        ] {
            assert!(parse_fast(doc).is_none(), "{doc:?}");
        }
    }

    /// Deep documents are left to serde-saphyr, which enforces its depth budget.
    #[test]
    fn deep_documents_take_the_general_route() {
        let nested = |depth: usize| format!("k: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        assert!(same_as_general(&nested(20)));
        assert!(parse_fast(&nested(40)).is_none());
        assert!(parse_fast(&nested(100)).is_none());
    }

    /// The benchmark Flows are what the fast route is for: it must take them.
    #[test]
    fn fast_route_takes_generated_flows() {
        for shape in super::flowgen::SHAPES {
            let text = super::flowgen::generate(shape, 60).unwrap();
            assert!(same_as_general(&text), "{shape}");
        }
    }

    #[test]
    fn python_str_of_floats() {
        assert_eq!(python_float(1.0), "1.0");
        assert_eq!(python_float(0.5), "0.5");
    }
}
