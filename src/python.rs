//! Python's formatting of values, which Jina applies to everything it passes on: `str()` of a
//! float and `json.dumps` of a structure. The Flow loader and the chart emitter both need them.

/// Python's `repr`/`str` of a float: the shortest digits that read back as `f`, in fixed
/// notation unless the decimal exponent is below -4 or at least 16 (`1e-05`, `1e+16`), always
/// with a `.` or an exponent.
pub fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..16).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let fixed = format!("{f}");
    if fixed.contains('.') {
        fixed
    } else {
        fixed + ".0"
    }
}

/// `json.dumps` with Python's default separators, which is what Jina passes to its CLI.
pub fn python_json(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Array(items) => format!(
            "[{}]",
            items.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        J::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", ascii_json_string(k), python_json(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        J::String(s) => ascii_json_string(s),
        J::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => python_float(f),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// A JSON string with non-ASCII escaped, as `json.dumps(ensure_ascii=True)`.
fn ascii_json_string(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_default();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_json_matches_json_dumps() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"a": [1, 2.5, "é"], "b": {"c": true, "d": null}}"#).unwrap();
        assert_eq!(
            python_json(&v),
            r#"{"a": [1, 2.5, "\u00e9"], "b": {"c": true, "d": null}}"#
        );
    }
}
