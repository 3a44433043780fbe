//! Jina's `${{ ENV.VAR }}` substitution, applied to every string value of the Flow.
//!
//! Jina expands these at export time. flowhelm does the same at generation time; an unset
//! variable is an error (Jina would leave the text as is and deploy it literally).

use crate::error::{Error, Pos, Result};
use crate::yaml::{Node, Value};

/// Replace `${{ ENV.X }}` / `${{ env.X }}` in every string of `root`, in place.
pub fn substitute(root: &mut Node, lookup: &dyn Fn(&str) -> Option<String>) -> Result<()> {
    match &mut root.value {
        // Every string of the Flow passes here: a byte search for `$` rules most of them out
        // far cheaper than the substring search.
        Value::Str(s) if s.as_bytes().contains(&b'$') && s.contains("${{") => {
            let replaced = expand(s, root.pos, lookup)?;
            if replaced != *s {
                // Jina re-reads a substituted value (`parse_arg`): "3" becomes 3, "true" True.
                let whole = s.trim_start().starts_with("${{") && s.trim_end().ends_with("}}");
                root.value = if whole {
                    retype(&replaced)
                } else {
                    Value::Str(replaced)
                };
            }
            Ok(())
        }
        Value::Seq(items) => items.iter_mut().try_for_each(|n| substitute(n, lookup)),
        Value::Map(entries) => entries
            .iter_mut()
            .try_for_each(|(_, n)| substitute(n, lookup)),
        _ => Ok(()),
    }
}

/// What Jina's `parse_arg` makes of a substituted value: Python's `int()`, then `float()`, then
/// `true`/`false` in any case, `""` as None, else the text (`010` is 10, `yes` stays "yes").
/// Integers beyond 64 bits and non-finite floats stay text: no manifest field takes them.
fn retype(text: &str) -> Value {
    use crate::flow::resolve::{parse_arg, Plain};
    match parse_arg(text) {
        Plain::Int(i) => Value::Int(i),
        Plain::Float(f) if f.is_finite() => Value::Float(f),
        Plain::Bool(b) => Value::Bool(b),
        Plain::Null => Value::Null,
        _ => Value::Str(text.to_string()),
    }
}

fn expand(s: &str, pos: Pos, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else {
            return Err(Error::input(pos, "unterminated `${{` expression")
                .with_hint("write `${{ ENV.NAME }}`"));
        };
        let expr = after[..end].trim();
        let var = expr
            .strip_prefix("ENV.")
            .or_else(|| expr.strip_prefix("env."));
        match var {
            Some(name) if is_var_name(name) => match lookup(name) {
                Some(v) => out.push_str(&v),
                None => {
                    return Err(Error::input(
                        pos,
                        format!("environment variable `{name}` is not set"),
                    )
                    .with_hint(format!(
                        "export {name}=… before running flowhelm, or replace `${{{{ ENV.{name} }}}}` with a value"
                    )))
                }
            },
            // Context variables and internal references are resolved by Jina's Python side;
            // they cannot be known here, so keep them untouched.
            _ => out.push_str(&rest[start..start + 3 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str) -> Result<Node> {
        let mut doc = crate::yaml::parse_flow(src)?;
        let env = |name: &str| match name {
            "TAG" => Some("1.2.3".to_string()),
            "REPLICAS" => Some("3".to_string()),
            "OCTAL" => Some("010".to_string()),
            "WORD" => Some("yes".to_string()),
            "FLAG" => Some("TRUE".to_string()),
            _ => None,
        };
        substitute(&mut doc, &env)?;
        Ok(doc)
    }

    #[test]
    fn expands_inside_strings() {
        let doc = run("uses: docker://acme/enc:${{ ENV.TAG }}\n").unwrap();
        assert_eq!(
            doc.get("uses").unwrap().value,
            Value::Str("docker://acme/enc:1.2.3".into())
        );
    }

    #[test]
    fn whole_value_is_retyped_like_jina() {
        let doc = run("replicas: ${{ env.REPLICAS }}\n").unwrap();
        assert_eq!(doc.get("replicas").unwrap().value, Value::Int(3));
        // Python's int("010") is 10, where YAML 1.1 would read octal 8; "yes" is no boolean
        // to parse_arg, "TRUE" is.
        let doc = run("a: ${{ ENV.OCTAL }}\nb: ${{ ENV.WORD }}\nc: ${{ ENV.FLAG }}\n").unwrap();
        assert_eq!(doc.get("a").unwrap().value, Value::Int(10));
        assert_eq!(doc.get("b").unwrap().value, Value::Str("yes".into()));
        assert_eq!(doc.get("c").unwrap().value, Value::Bool(true));
    }

    #[test]
    fn unset_variable_names_it() {
        let err = run("a: x\nb: '${{ ENV.MISSING }}'\n").unwrap_err();
        assert_eq!(err.pos(), Some(Pos::new(2, 4)));
        assert_eq!(err.message(), "environment variable `MISSING` is not set");
    }

    #[test]
    fn several_variables_in_one_string_stay_text() {
        let doc = run("a: '${{ ENV.REPLICAS }}-${{ env.TAG }}'\n").unwrap();
        assert_eq!(doc.get("a").unwrap().value, Value::Str("3-1.2.3".into()));
    }

    #[test]
    fn unterminated_expressions_are_errors() {
        let err = run("a: '${{ ENV.TAG'\n").unwrap_err();
        assert_eq!(err.pos(), Some(Pos::new(1, 4)));
        assert_eq!(err.message(), "unterminated `${{` expression");
    }

    #[test]
    fn context_references_are_kept() {
        let doc = run("a: ${{ CONTEXT.X }}\n").unwrap();
        assert_eq!(
            doc.get("a").unwrap().value,
            Value::Str("${{ CONTEXT.X }}".into())
        );
    }
}
