//! Names: Jina's executor names, their Kubernetes forms, and image references.
//!
//! Jina turns `Vector_Indexer` into `vector-indexer` and emits whatever comes out, valid or not,
//! colliding or not. flowhelm checks every name the chart can produce before writing anything.

use std::collections::HashMap;

use crate::error::{Error, Pos, Result};
use crate::flow::model::{Executor, Image};

use crate::jina::MAX_EXECUTOR_NAME as MAX_NAME;

/// Names the chart uses for itself.
const RESERVED: &[&str] = &["gateway", "start-gateway", "end-gateway"];

/// Jina's `to_compatible_name`.
pub fn dns_name(name: &str) -> String {
    // One pass instead of two allocating ones for the usual ASCII name (called twice per
    // executor while loading).
    if name.is_ascii() {
        return name
            .bytes()
            .map(|b| match b {
                b'/' | b'_' => '-',
                _ => char::from(b.to_ascii_lowercase()),
            })
            .collect();
    }
    name.replace(['/', '_'], "-").to_lowercase()
}

pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// A label's name part or value: at most 63 characters of letters, digits, `-`, `_` and `.`,
/// beginning and ending with a letter or digit (a value may also be empty).
fn is_label_word(s: &str) -> bool {
    s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.bytes().next().is_none_or(|b| b.is_ascii_alphanumeric())
        && s.bytes().last().is_none_or(|b| b.is_ascii_alphanumeric())
}

/// Check a label (or node selector) as the API server does: the key is an optional DNS
/// subdomain prefix and `/`, then a non-empty name; the value may be empty. The error says what
/// is wrong.
pub fn check_label(key: &str, value: &str) -> std::result::Result<(), &'static str> {
    let name = match key.split_once('/') {
        Some((prefix, name)) => {
            if !is_dns_subdomain(prefix) {
                return Err("its prefix must be a lower-case DNS subdomain");
            }
            name
        }
        None => key,
    };
    if name.is_empty() || !is_label_word(name) {
        return Err("its name must be 1 to 63 letters, digits, `-`, `_` or `.`, beginning and ending with a letter or digit");
    }
    if !is_label_word(value) {
        return Err("its value must be at most 63 letters, digits, `-`, `_` or `.`, beginning and ending with a letter or digit");
    }
    Ok(())
}

/// A host name an Ingress or route takes: a lower-case DNS subdomain, or one under `*.`.
pub fn is_host(s: &str) -> bool {
    let s = s.strip_prefix("*.").unwrap_or(s);
    !s.is_empty() && is_dns_subdomain(s)
}

/// An executor name must be a Python identifier for Jina and a DNS label once converted.
pub fn check_jina_name(name: &str, pos: Pos) -> Result<()> {
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !ident {
        return Err(Error::input(pos, format!("executor name `{name}` is not a valid Jina name"))
            .with_hint("use letters, digits and `_`, starting with a letter (Jina requires a Python identifier)"));
    }
    if name.len() > MAX_NAME {
        return Err(Error::input(pos, format!("executor name `{name}` is {} characters long; at most {MAX_NAME} fit in Kubernetes names", name.len()))
            .with_hint("shorten it: `-head` and shard suffixes must still fit in 63 characters"));
    }
    let dns = dns_name(name);
    if !is_dns_label(&dns) || !name.is_ascii() {
        return Err(Error::input(pos, format!("executor name `{name}` becomes `{dns}` on Kubernetes, which is not a valid object name"))
            .with_hint("start and end the name with a letter or digit (Jina would emit a broken manifest)"));
    }
    if RESERVED.contains(&dns.as_str()) {
        return Err(Error::input(
            pos,
            format!("executor name `{name}` is reserved for the gateway"),
        ));
    }
    Ok(())
}

/// No two executors may share a name, or produce the same object name (`Encoder` vs `encoder`,
/// `idx_0` vs shard 0 of `idx`, `idx_head` vs the head of `idx`): shard counts are values, so
/// every executor is checked as if it were sharded.
pub fn check(executors: &[Executor]) -> Result<()> {
    let mut by_name: HashMap<&str, &Executor> = HashMap::with_capacity(executors.len());
    let mut by_dns: HashMap<&str, &Executor> = HashMap::with_capacity(executors.len());
    for e in executors {
        if let Some(first) = by_name.insert(&e.name, e) {
            return Err(
                Error::input(e.pos, format!("duplicate executor name `{}`", e.name)).with_hint(
                    format!("the first `{}` is at line {}", first.name, first.pos.line),
                ),
            );
        }
        if let Some(first) = by_dns.insert(&e.dns, e) {
            return Err(collision(e, first, &e.dns));
        }
    }
    for e in executors {
        for base in derived_from(&e.dns) {
            if let Some(owner) = by_dns.get(base) {
                return Err(collision(e, owner, &e.dns));
            }
        }
        if gateway_service_name(&e.dns) {
            return Err(Error::input(
                e.pos,
                format!(
                    "executor name `{}` collides with a gateway Service name",
                    e.name
                ),
            ));
        }
    }
    Ok(())
}

/// The executor whose objects a name could belong to: `x-head` (head), `x-12` (shard 12), and
/// `x-1-http` (Service of a second protocol) all belong to `x`; returns candidate owners.
fn derived_from(dns: &str) -> Vec<&str> {
    let is_index = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut owners = Vec::new();
    if let Some((base, suffix)) = dns.rsplit_once('-') {
        if suffix == "head" || is_index(suffix) {
            owners.push(base);
        }
        if ["grpc", "http", "websocket"].contains(&suffix) {
            if let Some((owner, index)) = base.rsplit_once('-') {
                if is_index(index) {
                    owners.push(owner);
                    // a shard's extra-protocol Service: `x-0-1-http`
                    if let Some((o, i)) = owner.rsplit_once('-') {
                        if is_index(i) {
                            owners.push(o);
                        }
                    }
                }
            }
        }
    }
    owners
}

/// `gateway-<i>-<protocol>` Services exist for multi-protocol gateways.
fn gateway_service_name(dns: &str) -> bool {
    dns.starts_with("gateway-")
}

fn collision(e: &Executor, other: &Executor, object: &str) -> Error {
    Error::input(
        e.pos,
        format!(
            "executor `{}` and executor `{}` (line {}) both produce Kubernetes objects named `{object}`",
            e.name, other.name, other.pos.line
        ),
    )
    .with_hint("rename one of them")
}

/// Split a Docker image reference into repository, tag and digest.
pub fn parse_image(text: &str) -> std::result::Result<Image, String> {
    let (rest, digest) = match text.split_once('@') {
        Some((r, d)) => {
            if !is_digest(d) {
                return Err(format!(
                    "`{d}` is not an image digest (`sha256:` and 64 lower-case hex digits)"
                ));
            }
            (r, d.to_string())
        }
        None => (text, String::new()),
    };
    // A `:` after the last `/` starts the tag; one before it is a registry port.
    let (repository, tag) = match rest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (rest, ""),
    };
    let tag_ok = tag.is_empty()
        || (tag.len() <= 128
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            && !tag.starts_with(['.', '-']));
    if !tag_ok {
        return Err(format!("`{tag}` is not a valid image tag"));
    }
    if repository.len() > 255 {
        return Err(format!(
            "image repository `{repository}` is {} characters long; at most 255 are allowed",
            repository.len()
        ));
    }
    if let Err(why) = check_repository(repository) {
        return Err(format!("`{text}` is not a valid image reference: {why}"));
    }
    Ok(Image {
        repository: repository.to_string(),
        tag: tag.to_string(),
        digest,
    })
}

/// The distribution reference grammar: `[host[:port]/]component(/component)*`.
fn check_repository(repository: &str) -> std::result::Result<(), String> {
    let parts: Vec<&str> = repository.split('/').collect();
    let has_host = parts.len() > 1
        && (parts[0].contains(['.', ':'])
            || parts[0] == "localhost"
            || parts[0].bytes().any(|b| b.is_ascii_uppercase()));
    let path = if has_host {
        check_host(parts[0])?;
        &parts[1..]
    } else {
        &parts[..]
    };
    match path.iter().find(|p| !is_path_component(p)) {
        Some(p) => Err(format!(
            "`{p}` must be lower-case letters and digits, joined by `.`, `_`, `__` or dashes"
        )),
        None => Ok(()),
    }
}

fn check_host(host: &str) -> std::result::Result<(), String> {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !name.split('.').all(label) {
        return Err(format!("registry host `{name}` is not a host name"));
    }
    match port {
        Some(p)
            if !p.bytes().all(|b| b.is_ascii_digit())
                || !matches!(p.parse::<u32>(), Ok(1..=65535)) =>
        {
            Err(format!(
                "registry port `{p}` is not a port number (1-65535)"
            ))
        }
        _ => Ok(()),
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_path_component(p: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = p.as_bytes();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &p[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-')) {
            return false;
        }
    }
    true
}

/// `algorithm:hex`, the hex as long as the algorithm's output where it is a known one.
fn is_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = !alg.is_empty()
        && alg.split(['+', '.', '_', '-']).all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    let len_ok = match alg {
        "sha256" => hex.len() == 64,
        "sha384" => hex.len() == 96,
        "sha512" => hex.len() == 128,
        _ => hex.len() >= 32,
    };
    let hex_ok = hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    alg_ok && len_ok && hex_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_split_into_values() {
        let i = parse_image("myregistry.io:5000/acme/enc:1.0.0").unwrap();
        assert_eq!(
            (i.repository.as_str(), i.tag.as_str()),
            ("myregistry.io:5000/acme/enc", "1.0.0")
        );
        let i = parse_image("acme/enc").unwrap();
        assert_eq!(i.tag, "");
        assert!(parse_image("Acme/Enc:1").is_err());
        assert!(parse_image("acme/enc:bad tag").is_err());
        assert!(parse_image("acme//enc").is_err());
        assert!(parse_image("reg.io:99999/acme/enc:1").is_err());
        assert!(parse_image("reg.io:http/acme/enc").is_err());
        assert!(parse_image("acme/enc@sha256:abcd").is_err());
        assert!(parse_image(&format!("acme/{}", "a".repeat(300))).is_err());
        assert!(parse_image("acme/a..b").is_err());
        assert!(parse_image("acme/a___b").is_err());
        assert!(parse_image("acme/a--b__c.d").is_ok());
        assert!(parse_image(&format!("acme/enc@sha256:{}", "0".repeat(64))).is_ok());
    }

    #[test]
    fn derived_names_find_their_owner() {
        assert_eq!(derived_from("idx-head"), ["idx"]);
        assert_eq!(derived_from("idx-3"), ["idx"]);
        assert_eq!(derived_from("idx-1-http"), ["idx"]);
        assert_eq!(derived_from("idx-0-1-websocket"), ["idx-0", "idx"]);
        assert!(derived_from("my-encoder").is_empty());
    }

    #[test]
    fn dns_names_follow_jina() {
        assert_eq!(dns_name("Vector_Indexer"), "vector-indexer");
        assert!(check_jina_name("_private", Pos::new(1, 1)).is_err());
        assert!(check_jina_name("trailing_", Pos::new(1, 1)).is_err());
        assert!(check_jina_name(&"a".repeat(70), Pos::new(1, 1)).is_err());
        assert!(check_jina_name("my-exec", Pos::new(1, 1)).is_err());
        assert!(check_jina_name("encoder_2", Pos::new(1, 1)).is_ok());
    }
}
