//! Single values of a Flow checked and turned into the model's types: counts, ports, hosts,
//! protocols, volumes, Secrets, `uses:` and pass-through arguments, each error at the value.

use indexmap::IndexMap;

use crate::error::{did_you_mean, Error, Result};
use crate::flow::model::{ArgValue, Polling, PollingMode, Protocol, SecretRef, Uses, Volume};
use crate::flow::names;
use crate::jina::keys::{KeySpec, Kind};
use crate::yaml::{Key, Node, Value};

/// Check a pass-through value against its declared kind and render it as Jina would.
pub(super) fn arg_value(spec: &KeySpec, value: &Node) -> Result<ArgValue> {
    let what = spec.name;
    let one = |s: String| Ok(ArgValue::One(s));
    match (spec.kind, &value.value) {
        (Kind::Flag, _) => Ok(ArgValue::Flag(value.as_bool(what)?)),
        (Kind::Int, Value::Int(i)) => one(i.to_string()),
        (Kind::Int, _) => Err(value_type(value, what, "an integer")),
        // Jina `json.dumps` every mapping it puts on a command line, whatever the option's type
        // (`expose_endpoints` is `type=str`): the values keep it as a table.
        (Kind::Json | Kind::Str | Kind::IntOrStr, Value::Map(_)) => {
            Ok(ArgValue::Json(value.to_json()))
        }
        (Kind::Json, Value::Str(s)) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(v @ serde_json::Value::Object(_)) => Ok(ArgValue::Json(v)),
            Ok(_) => one(s.clone()),
            Err(_) => Err(value_type(value, what, "a mapping")),
        },
        (Kind::Json, _) => Err(value_type(value, what, "a mapping")),
        (Kind::List | Kind::StrOrList, Value::Seq(items)) => Ok(ArgValue::Many(
            items
                .iter()
                .map(|i| i.as_text(what))
                .collect::<Result<_>>()?,
        )),
        (Kind::List, Value::Null) => Ok(ArgValue::Many(vec![])),
        (Kind::Choice(options), _) => {
            let text = value.as_text(what)?;
            match options.iter().find(|o| o.eq_ignore_ascii_case(&text)) {
                Some(o) => one(o.to_string()),
                None => Err(Error::input(
                    value.pos,
                    format!(
                        "`{what}` must be one of {}, found `{text}`",
                        options.join(", ")
                    ),
                )),
            }
        }
        (Kind::Port, Value::Int(p)) => one(port_number(value, *p, what)?.to_string()),
        (Kind::Port, Value::Seq(_)) => Ok(ArgValue::Many(
            ports(value, what)?.iter().map(u16::to_string).collect(),
        )),
        (Kind::Port, _) => Err(value_type(value, what, "a port number")),
        (_, Value::Seq(_) | Value::Map(_)) => Err(value_type(value, what, "a single value")),
        _ => one(value.as_text(what)?),
    }
}

pub(super) fn value_type(value: &Node, what: &str, expected: &str) -> Error {
    Error::input(
        value.pos,
        format!("`{what}` must be {expected}, found {}", value.type_name()),
    )
}

pub(super) fn unknown_key<'a>(
    key: &Key,
    place: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Error {
    let err = Error::input(key.pos, format!("unknown key `{}` in {place}", key.name));
    match did_you_mean(&key.name, candidates) {
        Some(s) => err.with_hint(format!("did you mean `{s}`?")),
        None => err.with_hint(
            "not an option here (Jina would ignore it); check the spelling or remove it",
        ),
    }
}

pub(super) fn executor_name(value: &Node) -> Result<String> {
    let name = value.as_text("name")?;
    names::check_jina_name(&name, value.pos)?;
    Ok(name)
}

/// A count Kubernetes keeps in an `int32` (`replicas`), or `shards`, whose workloads each need a
/// name and an address in the head's list (the schema's maximum too).
pub(super) fn count(value: &Node, what: &str) -> Result<u32> {
    let n = value.as_int(what)?;
    let max = if what == "shards" {
        crate::jina::MAX_SHARDS
    } else {
        i32::MAX as u32
    };
    if n < 1 || n > i64::from(max) {
        return Err(Error::input(
            value.pos,
            format!("`{what}` must be between 1 and {max}, found {n}"),
        ));
    }
    Ok(n as u32)
}

pub(super) fn port_number(value: &Node, p: i64, what: &str) -> Result<u16> {
    u16::try_from(p)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| Error::input(value.pos, format!("`{what}` {p} is out of range (1-65535)")))
}

/// Ports as Jina's `CastToIntAction` reads them: each value's text split at `,` and each part
/// cast with Python's `int()` (`8080`, `'8080'`, `'8080,8081'`, a list of these). Jina keeps a
/// part `int()` refuses as text, with a warning, and then cannot listen on or dial it.
pub(super) fn ports(value: &Node, what: &str) -> Result<Vec<u16>> {
    let items: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    let mut out = Vec::new();
    for item in items {
        let text = item
            .as_text(what)
            .map_err(|_| value_type(item, what, "a port number or a list of them"))?;
        for part in text.split(',') {
            let Some(crate::yaml::resolve::Plain::Int(p)) = crate::yaml::resolve::python_int(part)
            else {
                return Err(Error::input(
                    item.pos,
                    format!("`{what}` `{part}` is not a port number (Jina casts ports with Python's `int()`)"),
                )
                .with_hint("write a number from 1 to 65535, or a list of them"));
            };
            out.push(port_number(item, p, what)?);
        }
    }
    Ok(out)
}

/// External hosts, as Jina's `CastHostAction` reads them (a list, or text split at `,`): each
/// a DNS name or an IP address, since Jina dials it as given.
pub(super) fn hosts(value: &Node) -> Result<Vec<String>> {
    let items: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    let mut out = Vec::new();
    for item in items {
        let text = item.as_text("host")?;
        for host in text.split(',') {
            let ip = host.parse::<std::net::IpAddr>().is_ok();
            let dns = names::is_dns_subdomain(&host.to_ascii_lowercase());
            if !(ip || dns) {
                return Err(Error::input(item.pos, format!("`{host}` is not a host name or IP address"))
                    .with_hint("write a DNS name (`encoder.example.com`) or an IP address; scheme and port go in `port`/`tls`"));
            }
            out.push(host.to_string());
        }
    }
    Ok(out)
}

pub(super) fn string_list(value: &Node, what: &str) -> Result<Vec<String>> {
    match &value.value {
        Value::Null => Ok(vec![]),
        Value::Seq(items) => items.iter().map(|i| i.as_text(what)).collect(),
        _ => Ok(vec![value.as_text(what)?]),
    }
}

/// Names of Secrets: DNS subdomains, or the kubelet can never find them.
pub(super) fn pull_secrets(value: &Node) -> Result<Vec<String>> {
    let names = string_list(value, "image_pull_secrets")?;
    let items: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    for (name, node) in names.iter().zip(items) {
        if !names::is_dns_subdomain(name) {
            return Err(Error::input(
                node.pos,
                format!("image pull secret `{name}` is not a valid Secret name"),
            )
            .with_hint("Secret names are lower-case DNS names (letters, digits, `-` and `.`), at most 253 characters"));
        }
    }
    Ok(names)
}

pub(super) fn json_map(value: &Node, what: &str) -> Result<serde_json::Value> {
    match &value.value {
        Value::Map(_) => Ok(value.to_json()),
        Value::Null => Ok(serde_json::Value::Object(serde_json::Map::new())),
        Value::Str(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(v @ serde_json::Value::Object(_)) => Ok(v),
            _ => Err(value_type(value, what, "a mapping")),
        },
        _ => Err(value_type(value, what, "a mapping")),
    }
}

pub(super) fn protocols(value: &Node) -> Result<Vec<Protocol>> {
    let items: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    let mut out = Vec::new();
    for item in items {
        let text = item.as_text("protocol")?;
        let p = Protocol::parse(&text).ok_or_else(|| {
            Error::input(item.pos, format!("unknown protocol `{text}`"))
                .with_hint("use grpc, http or websocket")
        })?;
        if out.contains(&p) {
            return Err(Error::input(
                item.pos,
                format!("protocol `{text}` is listed twice"),
            ));
        }
        out.push(p);
    }
    if out.is_empty() {
        return Err(Error::input(
            value.pos,
            "`protocol` must name at least one protocol",
        ));
    }
    Ok(out)
}

pub(super) fn polling(value: &Node) -> Result<Polling> {
    let check = |n: &Node| -> Result<PollingMode> {
        let t = n.as_text("polling")?;
        PollingMode::parse(&t).ok_or_else(|| {
            Error::input(
                n.pos,
                format!(
                    "`polling` must be ANY or ALL, found `{}`",
                    t.to_ascii_uppercase()
                ),
            )
        })
    };
    match &value.value {
        Value::Map(m) => Ok(Polling::PerEndpoint(
            m.iter()
                .map(|(k, v)| Ok((k.name.clone(), check(v)?)))
                .collect::<Result<_>>()?,
        )),
        _ => Ok(Polling::Uniform(check(value)?)),
    }
}

/// `gpus` as Kubernetes can run it ([`crate::jina::GPUS_PATTERN`]). A count is written as Jina
/// passes it: its loader reads every string with `parse_arg`, so `'+1'` and `'02'` are 1 and 2.
pub(super) fn gpus(value: &Node) -> Result<String> {
    let text = value.as_text("gpus")?;
    if crate::jina::gpus_ok(&text) {
        return Ok(match crate::yaml::resolve::python_int(&text) {
            Some(crate::yaml::resolve::Plain::Int(n)) => n.to_string(),
            _ => text,
        });
    }
    let err = if text.contains("device=") {
        Error::input(
            value.pos,
            format!("`gpus: {text}` picks GPUs by id, which only Docker can: on Kubernetes the node's device plugin picks them (Jina's export would write `{text}` as the GPU limit, which the API server refuses)"),
        )
    } else {
        Error::input(value.pos, format!("`gpus: {text}` is not a GPU count"))
    };
    Err(err.with_hint("write how many GPUs (`gpus: 2`), or `all`"))
}

pub(super) fn volumes(value: &Node) -> Result<Vec<Volume>> {
    let items: Vec<&Node> = match &value.value {
        Value::Null => vec![],
        Value::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    items
        .into_iter()
        .map(|item| {
            let source = item.as_text("volumes")?;
            let mount_path = match source.split(':').collect::<Vec<_>>().as_slice() {
                [only] => only.to_string(),
                [_, container] | [_, container, _] => container.to_string(),
                _ => String::new(),
            };
            if !mount_path.starts_with('/') {
                return Err(Error::input(
                    item.pos,
                    format!("volume `{source}` has no absolute container path"),
                )
                .with_hint("write `HOST:/container/path` or `/container/path`"));
            }
            Ok((item.pos, Volume { source, mount_path }))
        })
        .collect::<Result<Vec<_>>>()
        .and_then(|located| {
            let mut seen = std::collections::HashSet::new();
            for (pos, v) in &located {
                if !seen.insert(v.mount_path.trim_end_matches('/').to_string()) {
                    return Err(Error::input(*pos, format!("two volumes are mounted at `{}`", v.mount_path))
                        .with_hint("Kubernetes refuses a pod with two mounts at one path: give each volume its own container path"));
                }
            }
            Ok(located.into_iter().map(|(_, v)| v).collect())
        })
}

pub(super) fn env_from_secret(value: &Node) -> Result<IndexMap<String, SecretRef>> {
    let mut out = IndexMap::new();
    if value.is_null() {
        return Ok(out);
    }
    for (k, v) in value.as_map("env_from_secret")? {
        if !is_env_name(&k.name) {
            return Err(Error::input(
                k.pos,
                format!("`{}` is not a valid environment variable name", k.name),
            ));
        }
        let hint = "write `VAR: {name: SECRET, key: KEY}`";
        let entry = v
            .as_map(&format!("env_from_secret.{}", k.name))
            .map_err(|e| e.with_hint(hint))?;
        let mut name = None;
        let mut key = None;
        for (ek, ev) in entry {
            match ek.name.as_str() {
                "name" => name = Some(ev.as_text("name")?),
                "key" => key = Some(ev.as_text("key")?),
                _ => {
                    return Err(unknown_key(
                        ek,
                        &format!("`env_from_secret.{}`", k.name),
                        ["name", "key"],
                    ))
                }
            }
        }
        let (Some(name), Some(key)) = (name, key) else {
            return Err(Error::input(
                v.pos,
                format!("`env_from_secret.{}` needs both `name` and `key`", k.name),
            )
            .with_hint(hint));
        };
        if !names::is_dns_subdomain(&name) {
            return Err(Error::input(
                v.pos,
                format!("secret name `{name}` is not a valid Kubernetes name"),
            ));
        }
        if !is_data_key(&key) {
            return Err(Error::input(
                v.pos,
                format!("secret key `{key}` is not a valid Secret data key"),
            )
            .with_hint(
                "a Secret's keys are letters, digits, `-`, `_` and `.`, at most 253 of them",
            ));
        }
        out.insert(k.name.clone(), SecretRef { name, key });
    }
    Ok(out)
}

/// A ConfigMap or Secret data key (`IsConfigMapKey`).
pub(super) fn is_data_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && key != "."
        && key != ".."
}

pub(super) fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

pub(super) fn sidecar(value: &Node, what: &str) -> Result<Option<Uses>> {
    if value.is_null() {
        return Ok(None);
    }
    uses(value, what).map(Some)
}

/// Classify a `uses:` value the way Jina's `validate_uses` does for Kubernetes.
pub(super) fn uses(value: &Node, what: &str) -> Result<Uses> {
    let text = value.as_str(what).map_err(|e| {
        e.with_hint("Kubernetes needs a containerized executor: `docker://IMAGE` or `jinaai+docker://USER/NAME`")
    })?;
    if text == "BaseExecutor" {
        return Ok(Uses::Base);
    }
    if let Some(image) = text.strip_prefix("docker://") {
        return Ok(Uses::Docker {
            image: names::parse_image(image).map_err(|m| {
                Error::input(value.pos, format!("`{what}`: {m}"))
                    .with_hint("write `docker://REGISTRY/REPOSITORY:TAG`")
            })?,
            source: text.to_string(),
        });
    }
    if text.starts_with("jinaai+docker://") || text.starts_with("jinahub+docker://") {
        return Ok(Uses::Hub {
            uri: text.to_string(),
        });
    }
    Err(Error::input(value.pos, format!("`{what}: {text}` is not a containerized executor"))
        .with_hint("Kubernetes runs images: use `docker://IMAGE` (build and push the executor first) or `jinaai+docker://USER/NAME`"))
}
