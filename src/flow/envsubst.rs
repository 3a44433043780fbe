//! Jina's `${{ ENV.VAR }}` substitution, applied to every string value of the Flow.
//!
//! Jina expands these when it loads the Flow (`JAML.expand_dict` in `load_config`): it rewrites
//! `${{ ENV.X }}` to `$X` and hands the text to `os.path.expandvars`, which replaces `$X` with the
//! exporting machine's value when it has one and leaves `$X` as it is otherwise. An executor
//! loads its own configuration the same way when it starts, with `uses_with` and `uses_metas`
//! laid over it, so a `$X` left in them is expanded then, from the pod's environment (its `env`,
//! a Secret). flowhelm does the same: a variable the caller's look-up knows is substituted, one
//! it does not becomes `$X`, with a warning naming it.

use crate::error::{Error, Pos, Result, Warning};
use crate::yaml::{Node, Value};

/// A variable left for the executor to expand: where, and its name.
pub type Deferred = (Pos, String);

/// Replace `${{ ENV.X }}` / `${{ env.X }}` in every string of `root`, in place; returns the
/// variables that were not set, each left as `$X`.
pub fn substitute(
    root: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Deferred>> {
    let mut deferred = Vec::new();
    walk(root, lookup, &mut deferred)?;
    Ok(deferred)
}

/// The warning for a variable left as `$X`.
pub fn deferred_warning((pos, name): &Deferred) -> Warning {
    Warning::new(
        *pos,
        format!("environment variable `{name}` is not set: kept as `${name}`, as Jina's export keeps it; an executor expands it in its `uses_with` and `uses_metas` from its own environment when it starts (its `env`, or the pod's)"),
    )
}

fn walk(
    root: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    deferred: &mut Vec<Deferred>,
) -> Result<()> {
    match &mut root.value {
        // Every string of the Flow passes here: a byte search for `$` rules most of them out
        // far cheaper than the substring search.
        Value::Str(s) if s.as_bytes().contains(&b'$') && s.contains("${{") => {
            let replaced = expand(s, root.pos, lookup, deferred)?;
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
        Value::Seq(items) => items.iter_mut().try_for_each(|n| walk(n, lookup, deferred)),
        Value::Map(entries) => entries
            .iter_mut()
            .try_for_each(|(_, n)| walk(n, lookup, deferred)),
        _ => Ok(()),
    }
}

/// What Jina's `parse_arg` makes of a substituted value: Python's `int()`, then `float()`, then
/// `true`/`false` in any case, `""` as None, else the text (`010` is 10, `yes` stays "yes").
/// Integers beyond 64 bits and non-finite floats stay text: no manifest field takes them.
fn retype(text: &str) -> Value {
    use crate::yaml::resolve::{parse_arg, Plain};
    match parse_arg(text) {
        Plain::Int(i) => Value::Int(i),
        Plain::Float(f) if f.is_finite() => Value::Float(f),
        Plain::Bool(b) => Value::Bool(b),
        Plain::Null => Value::Null,
        _ => Value::Str(text.to_string()),
    }
}

fn expand(
    s: &str,
    pos: Pos,
    lookup: &dyn Fn(&str) -> Option<String>,
    deferred: &mut Vec<Deferred>,
) -> Result<String> {
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
            Some(name) if is_var_name(name) => {
                if let Some(v) = lookup(name) {
                    out.push_str(&v);
                } else {
                    out.push('$');
                    out.push_str(name);
                    deferred.push((pos, name.to_string()));
                }
            }
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
        run_deferred(src).map(|(doc, _)| doc)
    }

    fn run_deferred(src: &str) -> Result<(Node, Vec<Deferred>)> {
        let mut doc = crate::yaml::parse_flow(src)?;
        let env = |name: &str| match name {
            "TAG" => Some("1.2.3".to_string()),
            "REPLICAS" => Some("3".to_string()),
            "OCTAL" => Some("010".to_string()),
            "WORD" => Some("yes".to_string()),
            "FLAG" => Some("TRUE".to_string()),
            _ => None,
        };
        let deferred = substitute(&mut doc, &env)?;
        Ok((doc, deferred))
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
    fn an_unset_variable_is_left_for_the_executor_as_jina_leaves_it() {
        let (doc, deferred) = run_deferred(
            "a: x\nb: '${{ ENV.MISSING }}'\nc: 'p-${{ env.MISSING }}-${{ ENV.TAG }}'\n",
        )
        .unwrap();
        assert_eq!(doc.get("b").unwrap().value, Value::Str("$MISSING".into()));
        assert_eq!(
            doc.get("c").unwrap().value,
            Value::Str("p-$MISSING-1.2.3".into())
        );
        assert_eq!(
            deferred,
            vec![
                (Pos::new(2, 4), "MISSING".to_string()),
                (Pos::new(3, 4), "MISSING".to_string())
            ]
        );
        assert!(deferred_warning(&deferred[0])
            .message()
            .starts_with("environment variable `MISSING` is not set: kept as `$MISSING`"));
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
