//! `.helmignore` rules with helm's semantics, which differ from `.gitignore` in two ways users
//! trip over: `**` is an error, and a `!` line makes every path that does *not* match it ignored
//! (helm returns "ignored" for non-matches of a negated rule instead of re-including matches).
//! Globs follow Go's `filepath.Match`: `*` and `?` never cross `/`, `[...]` classes, `\` escapes.

/// Where a pattern is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// `/pat`: the whole path, anchored at the chart root.
    Root,
    /// `dir/pat`: the whole path.
    Path,
    /// `pat` (no `/`): the last path component, at any depth.
    Base,
}

#[derive(Debug, Clone)]
struct Pattern {
    glob: Vec<char>,
    negate: bool,
    dir_only: bool,
    scope: Scope,
}

/// Parsed ignore rules, in file order.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

/// Hidden files under `templates/` are never templates; helm always adds this rule last.
const DEFAULT_RULE: &str = "templates/.?*";

impl Rules {
    /// Parse a `.helmignore` text and append helm's default rule. Errors name the 1-based line.
    pub fn parse(text: &str) -> Result<Rules, (usize, String)> {
        let mut rules = Rules::default();
        for (i, line) in text.lines().enumerate() {
            if let Some(p) = parse_rule(line).map_err(|m| (i + 1, m))? {
                rules.patterns.push(p);
            }
        }
        rules
            .patterns
            .extend(parse_rule(DEFAULT_RULE).ok().flatten());
        Ok(rules)
    }

    /// Whether `path` (relative, `/`-separated) is ignored. A directory that is ignored is
    /// skipped with everything below it.
    pub fn ignored(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            if p.negate {
                // helm's rule: a negated pattern ignores what it does not match.
                if (p.dir_only && !is_dir) || !p.matches(path) {
                    return true;
                }
                continue;
            }
            if p.dir_only && !is_dir {
                continue;
            }
            if p.matches(path) {
                return true;
            }
        }
        false
    }
}

fn parse_rule(line: &str) -> Result<Option<Pattern>, String> {
    let rule = line.trim();
    if rule.is_empty() || rule.starts_with('#') {
        return Ok(None);
    }
    if rule.contains("**") {
        return Err(format!(
            "`{rule}`: double-star (**) syntax is not supported by helm"
        ));
    }
    let (negate, rest) = match rule.strip_prefix('!') {
        Some(r) => (true, r),
        None => (false, rule),
    };
    let (dir_only, rest) = match rest.strip_suffix('/') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (scope, glob) = if let Some(r) = rest.strip_prefix('/') {
        (Scope::Root, r)
    } else if rest.contains('/') {
        (Scope::Path, rest)
    } else {
        (Scope::Base, rest)
    };
    let glob: Vec<char> = glob.chars().collect();
    validate(&glob).map_err(|m| format!("`{rule}`: {m}"))?;
    Ok(Some(Pattern {
        glob,
        negate,
        dir_only,
        scope,
    }))
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        let subject = match self.scope {
            Scope::Base => path.rsplit('/').next().unwrap_or(path),
            Scope::Root | Scope::Path => path,
        };
        let name: Vec<char> = subject.chars().collect();
        glob_match(&self.glob, &name)
    }
}

/// Reject malformed globs up front, as helm does when it loads the file.
fn validate(glob: &[char]) -> Result<(), String> {
    let mut i = 0;
    while i < glob.len() {
        match glob[i] {
            '\\' if i + 1 == glob.len() => return Err("trailing `\\`".into()),
            '\\' => i += 2,
            '[' => i = class_end(glob, i).ok_or("unclosed or malformed `[...]` class")?,
            _ => i += 1,
        }
    }
    Ok(())
}

/// The index just past the `]` closing the class that opens at `start`.
fn class_end(glob: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if glob.get(i) == Some(&'^') {
        i += 1;
    }
    let mut first = true;
    loop {
        match glob.get(i)? {
            ']' if !first => return Some(i + 1),
            '\\' => i += 2,
            _ => i += 1,
        }
        first = false;
    }
}

/// Go `filepath.Match` on pre-validated globs.
fn glob_match(glob: &[char], name: &[char]) -> bool {
    let Some(&c) = glob.first() else {
        return name.is_empty();
    };
    match c {
        '*' => {
            let rest = &glob[1..];
            (0..=name.len())
                .take_while(|&i| i == 0 || name[i - 1] != '/')
                .any(|i| glob_match(rest, &name[i..]))
        }
        '?' => name.first().is_some_and(|&n| n != '/') && glob_match(&glob[1..], &name[1..]),
        '[' => {
            let end = class_end(glob, 0).unwrap_or(glob.len());
            name.first()
                .is_some_and(|&n| class_matches(&glob[1..end - 1], n))
                && glob_match(&glob[end..], &name[1..])
        }
        '\\' => name.first() == glob.get(1) && glob_match(&glob[2..], &name[1..]),
        _ => name.first() == Some(&c) && glob_match(&glob[1..], &name[1..]),
    }
}

/// `body` is the class without its brackets, e.g. `^a-z\]`.
fn class_matches(body: &[char], n: char) -> bool {
    let (negated, mut body) = match body.split_first() {
        Some(('^', rest)) => (true, rest),
        _ => (false, body),
    };
    let mut hit = false;
    while !body.is_empty() {
        let (lo, rest) = class_char(body);
        let (hi, rest) = match rest.split_first() {
            Some(('-', r)) if !r.is_empty() => class_char(r),
            _ => (lo, rest),
        };
        hit |= lo <= n && n <= hi;
        body = rest;
    }
    hit != negated
}

fn class_char(body: &[char]) -> (char, &[char]) {
    match body {
        ['\\', c, rest @ ..] | [c, rest @ ..] => (*c, rest),
        [] => ('\0', body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Rules {
        Rules::parse(text).unwrap()
    }

    #[test]
    fn basename_patterns_match_at_any_depth() {
        let r = rules("*.bak\n# comment\n\n");
        assert!(r.ignored("top.bak", false));
        assert!(r.ignored("files/sub/b.bak", false));
        assert!(!r.ignored("files/b.txt", false));
    }

    #[test]
    fn slash_patterns_are_structural() {
        let r = rules("files/*.txt\n/root.txt\nsecret/\n");
        assert!(r.ignored("files/a.txt", false));
        assert!(!r.ignored("files/sub/a.txt", false));
        assert!(r.ignored("root.txt", false));
        assert!(r.ignored("secret", true));
        assert!(!r.ignored("secret", false));
    }

    #[test]
    fn hidden_templates_are_always_ignored() {
        let r = rules("");
        assert!(r.ignored("templates/.hidden", false));
        assert!(!r.ignored("templates/x.yaml", false));
        assert!(!r.ignored(".helmignore", false));
    }

    #[test]
    fn negation_ignores_everything_else() {
        let r = rules("!keep.txt\n");
        assert!(!r.ignored("keep.txt", false));
        assert!(r.ignored("Chart.yaml", false));
    }

    #[test]
    fn classes_and_escapes() {
        let r = rules("[a-c]?.md\n\\*star\n[^x]y\n");
        assert!(r.ignored("b1.md", false));
        assert!(!r.ignored("d1.md", false));
        assert!(r.ignored("*star", false));
        assert!(!r.ignored("astar", false));
        assert!(r.ignored("zy", false));
        assert!(!r.ignored("xy", false));
    }

    #[test]
    fn bad_rules_are_errors() {
        assert_eq!(Rules::parse("a\n**/x\n").unwrap_err().0, 2);
        assert!(Rules::parse("[abc\n").is_err());
        assert!(Rules::parse("abc\\\n").is_err());
    }
}
