//! What a plain YAML scalar means to Jina: PyYAML's YAML 1.1 implicit types as Jina's loader
//! keeps them (`jina/jaml/helper.py`: `JinaResolver` drops the `on`/`off` booleans), then, for
//! what is still text, `jina.helper.parse_arg`, which `JAML.expand_dict` applies to every string
//! value (`1e3`, `-.5`, `inf` and `TrUe` are numbers and booleans to Jina). Quoted scalars stay
//! text here, where Jina coerces them too (docs/flows.md, deliberate differences).
//!
//! `parse_arg` retypes substituted `${{ ENV.X }}` values. `pyyaml` and `jina` are the reference
//! table (its cases checked with jina 3.34.0's loader) for where flowhelm's reader still differs;
//! docs/flows.md lists those differences.

/// A plain scalar's meaning.
#[derive(Debug, Clone, PartialEq)]
pub enum Plain {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer beyond 64 bits (Python's are unbounded): its decimal digits.
    BigInt(String),
    Float(f64),
    Str,
    /// A PyYAML date or timestamp, which Jina cannot pass on (`json.dumps` refuses dates).
    Timestamp,
    /// `=`, PyYAML's "value" type, which Jina's loader cannot construct.
    ValueKey,
}

/// PyYAML's resolution of a plain scalar (resolver.py's implicit resolvers, minus `on`/`off`).
pub fn pyyaml(text: &str) -> Plain {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" => return Plain::Bool(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" => return Plain::Bool(false),
        "=" => return Plain::ValueKey,
        _ => {}
    }
    if let Some(p) = yaml_int(text) {
        return p;
    }
    if let Some(f) = yaml_float(text) {
        return Plain::Float(f);
    }
    if is_timestamp(text) {
        return Plain::Timestamp;
    }
    Plain::Str
}

/// What Jina makes of a plain scalar: PyYAML's type, then `parse_arg` for text.
pub fn jina(text: &str) -> Plain {
    match pyyaml(text) {
        Plain::Str => parse_arg(text),
        other => other,
    }
}

/// `jina.helper.parse_arg` of a string (quotes and `[a, b]` lists aside): `int()`, else
/// `float()`, else `''` → None, `true`/`false` in any case → bool, else the text.
pub fn parse_arg(text: &str) -> Plain {
    if let Some(p) = python_int(text) {
        return p;
    }
    if let Some(f) = python_float(text) {
        return Plain::Float(f);
    }
    if text.is_empty() {
        return Plain::Null;
    }
    if text.eq_ignore_ascii_case("true") {
        return Plain::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Plain::Bool(false);
    }
    Plain::Str
}

fn int_of(negative: bool, digits: &str, radix: u32) -> Option<Plain> {
    if digits.is_empty() {
        return None;
    }
    match i128::from_str_radix(digits, radix) {
        Ok(v) => {
            let v = if negative { -v } else { v };
            Some(i64::try_from(v).map_or_else(|_| Plain::BigInt(v.to_string()), Plain::Int))
        }
        // Beyond 128 bits: only plain decimal digits are kept exactly.
        Err(_) if radix == 10 => {
            let trimmed = digits.trim_start_matches('0');
            Some(Plain::BigInt(format!(
                "{}{trimmed}",
                if negative { "-" } else { "" }
            )))
        }
        Err(_) => None,
    }
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// PyYAML's int: `[-+]?0b[01_]+`, `[-+]?0[0-7_]+` (octal), `[-+]?(0|[1-9][0-9_]*)`,
/// `[-+]?0x[0-9a-fA-F_]+`, and sexagesimal `[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`.
fn yaml_int(text: &str) -> Option<Plain> {
    let (negative, body) = split_sign(text);
    let clean = |s: &str| s.replace('_', "");
    if let Some(bin) = body.strip_prefix("0b") {
        return bin
            .bytes()
            .all(|b| matches!(b, b'0' | b'1' | b'_'))
            .then(|| int_of(negative, &clean(bin), 2))
            .flatten();
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'_')
            .then(|| int_of(negative, &clean(hex), 16))
            .flatten();
    }
    if body == "0" {
        return Some(Plain::Int(0));
    }
    if let Some(oct) = body.strip_prefix('0') {
        return (!oct.is_empty() && oct.bytes().all(|b| matches!(b, b'0'..=b'7' | b'_')))
            .then(|| int_of(negative, &clean(oct), 8))
            .flatten();
    }
    let first = body.bytes().next()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    if body.contains(':') {
        let mut parts = body.split(':');
        let head = parts.next()?;
        if !head.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
            return None;
        }
        let mut value: i128 = clean(head).parse().ok()?;
        for part in parts {
            if !is_base60_digit(part) {
                return None;
            }
            value = value
                .checked_mul(60)?
                .checked_add(part.parse::<i128>().ok()?)?;
        }
        let value = if negative { -value } else { value };
        return Some(
            i64::try_from(value).map_or_else(|_| Plain::BigInt(value.to_string()), Plain::Int),
        );
    }
    body.bytes()
        .all(|b| b.is_ascii_digit() || b == b'_')
        .then(|| int_of(negative, &clean(body), 10))
        .flatten()
}

/// PyYAML's float: `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?`, `\.[0-9][0-9_]*(…)?`,
/// sexagesimal `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`, `[-+]?\.(inf|Inf|INF)`,
/// `\.(nan|NaN|NAN)`. Note the exponent needs a sign and the mantissa a `.`.
fn yaml_float(text: &str) -> Option<f64> {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    let (negative, body) = split_sign(text);
    let signed = |f: f64| if negative { -f } else { f };
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return Some(signed(f64::INFINITY));
    }
    if body.starts_with('.') && text.len() != body.len() {
        return None; // `-.5`: the dot-first form takes no sign
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['-', '+'])?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let (whole, frac) = mantissa.split_once('.')?;
    if whole.contains(':') {
        if exponent.is_some() || !frac.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
            return None;
        }
        let mut parts = whole.split(':');
        let head = parts.next()?;
        if !head.as_bytes().first()?.is_ascii_digit()
            || !head.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        {
            return None;
        }
        let mut value: f64 = head.replace('_', "").parse().ok()?;
        for part in parts {
            if !is_base60_digit(part) {
                return None;
            }
            value = value * 60.0 + part.parse::<f64>().ok()?;
        }
        let frac: String = frac.replace('_', "");
        let frac: f64 = if frac.is_empty() {
            0.0
        } else {
            format!("0.{frac}").parse().ok()?
        };
        return Some(signed(value + frac));
    }
    let digit_or_underscore = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let ok = if whole.is_empty() {
        frac.as_bytes().first().is_some_and(u8::is_ascii_digit) && digit_or_underscore(frac)
    } else {
        whole.as_bytes()[0].is_ascii_digit()
            && digit_or_underscore(whole)
            && digit_or_underscore(frac)
    };
    if !ok {
        return None;
    }
    body.replace('_', "").parse::<f64>().ok().map(signed)
}

/// One `:`-separated digit of a sexagesimal number: `[0-5]?[0-9]`.
fn is_base60_digit(part: &str) -> bool {
    let b = part.as_bytes();
    matches!(b.len(), 1 | 2) && b.iter().all(u8::is_ascii_digit) && (b.len() == 1 || b[0] <= b'5')
}

/// PyYAML's timestamp: `YYYY-MM-DD`, or that with a time (`T` or blanks), fraction and zone.
fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if b.len() < 8 || !digits(&b[..4]) || b[4] != b'-' {
        return false;
    }
    let rest = &text[5..];
    let (date, time) = match rest.find(['T', 't', ' ', '\t']) {
        Some(i) => (
            &rest[..i],
            Some(rest[i..].trim_start_matches(['T', 't', ' ', '\t'])),
        ),
        None => (rest, None),
    };
    let Some((month, day)) = date.split_once('-') else {
        return false;
    };
    let (m, d) = (month.as_bytes(), day.as_bytes());
    match time {
        None => m.len() == 2 && d.len() == 2 && digits(m) && digits(d),
        Some(t) => {
            if !(1..=2).contains(&m.len())
                || !(1..=2).contains(&d.len())
                || !digits(m)
                || !digits(d)
            {
                return false;
            }
            let t = t.trim_end_matches('Z');
            let clock = t.split([' ', '\t', '+', '-']).next().unwrap_or("");
            let mut parts = clock.split(':');
            let (h, mi, s) = (parts.next(), parts.next(), parts.next());
            matches!((h, mi, s), (Some(h), Some(mi), Some(s)) if (1..=2).contains(&h.len()) && digits(h.as_bytes()) && mi.len() == 2 && digits(mi.as_bytes()) && s.len() >= 2 && digits(&s.as_bytes()[..2]))
        }
    }
}

/// Python's `int(s)`: optional blanks and sign, decimal digits with single `_` between them.
pub fn python_int(text: &str) -> Option<Plain> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (negative, body) = split_sign(t);
    let ok = !body.is_empty()
        && body.as_bytes()[0].is_ascii_digit()
        && body.as_bytes()[body.len() - 1].is_ascii_digit()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        && !body.contains("__");
    ok.then(|| int_of(negative, &body.replace('_', ""), 10))
        .flatten()
}

/// Python's `float(s)`: `int` shapes, decimals, exponents, `inf`/`infinity`/`nan` in any case.
fn python_float(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (negative, body) = split_sign(t);
    let signed = |f: f64| if negative { -f } else { f };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(signed(f64::INFINITY));
    }
    if lower == "nan" {
        return Some(f64::NAN);
    }
    // Digits with single `_` between digits, one `.`, an exponent with an optional sign.
    let (mantissa, exponent) = match lower.find('e') {
        Some(i) => (&lower[..i], Some(&lower[i + 1..])),
        None => (lower.as_str(), None),
    };
    let grouped = |s: &str| {
        s.is_empty()
            || (s.as_bytes()[0].is_ascii_digit()
                && s.as_bytes()[s.len() - 1].is_ascii_digit()
                && s.bytes().all(|b| b.is_ascii_digit() || b == b'_')
                && !s.contains("__"))
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (whole.is_empty() && frac.is_empty()) || !grouped(whole) || !grouped(frac) {
        return None;
    }
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['-', '+']).unwrap_or(exp);
        if digits.is_empty() || !grouped(digits) {
            return None;
        }
    }
    lower.replace('_', "").parse::<f64>().ok().map(signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_mean_what_they_mean_to_jina() {
        // (text, what PyYAML with Jina's resolver then parse_arg makes of it), checked with
        // jina 3.34.0's JAML loader.
        let cases: &[(&str, Plain)] = &[
            ("y", Plain::Str),
            ("n", Plain::Str),
            ("yes", Plain::Bool(true)),
            ("yEs", Plain::Str),
            ("on", Plain::Str),
            ("OFF", Plain::Str),
            ("TrUe", Plain::Bool(true)),
            ("True", Plain::Bool(true)),
            ("null", Plain::Null),
            ("nUll", Plain::Str),
            ("010", Plain::Int(8)),
            ("0x10", Plain::Int(16)),
            ("0b101", Plain::Int(5)),
            ("0o17", Plain::Str),
            ("1_000", Plain::Int(1000)),
            ("1:30", Plain::Int(90)),
            ("123", Plain::Int(123)),
            ("1e3", Plain::Float(1000.0)),
            ("1.5e3", Plain::Float(1500.0)),
            ("-.5", Plain::Float(-0.5)),
            ("+.5", Plain::Float(0.5)),
            (".5", Plain::Float(0.5)),
            ("1.", Plain::Float(1.0)),
            ("inf", Plain::Float(f64::INFINITY)),
            ("-.inf", Plain::Float(f64::NEG_INFINITY)),
            ("2001-12-14", Plain::Timestamp),
            (
                "12345678901234567890123",
                Plain::BigInt("12345678901234567890123".into()),
            ),
            ("v1", Plain::Str),
            ("1.2.3", Plain::Str),
            ("=", Plain::ValueKey),
        ];
        for (text, want) in cases {
            assert_eq!(&jina(text), want, "{text}");
        }
        assert!(matches!(jina(".nan"), Plain::Float(f) if f.is_nan()));
    }
}
