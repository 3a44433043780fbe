//! What a chart can start at all: Linux refuses to exec a process with one argument longer
//! than [`jina::MAX_ARG_LEN`], and the gateway's address and graph lists and a head's shard list
//! grow with the Flow. The chart's templates check the exact lengths at render (release and
//! namespace names are only known then); here a Flow is refused when even the shortest names a
//! release can have (the chart name alone, a one-letter namespace) would not fit.

use serde_json::{json, Value as J};

use crate::error::{Error, Pos, Result};
use crate::flow::{Flow, FlowKind};
use crate::jina;

/// The shortest namespace a release can be installed in.
const SHORTEST_NAMESPACE: &str = "n";

/// What the API server stores in one ConfigMap (its `data` keys and values together).
const MAX_CONFIG_MAP: usize = 1024 * 1024;

pub fn check(flow: &Flow, chart: &str) -> Result<()> {
    pods(flow)?;
    if flow.kind == FlowKind::Flow {
        let addresses = gateway_addresses(flow, chart);
        let count = flow.executors.len();
        too_long(
            &addresses.to_string(),
            "--deployments-addresses",
            "the gateway",
            count,
            "executors",
            Pos::new(1, 1),
        )?;
        let graph = serde_json::to_string(&flow.graph_description()).unwrap_or_default();
        too_long(
            &graph,
            "--graph-description",
            "the gateway",
            count,
            "executors",
            Pos::new(1, 1),
        )?;
    }
    for x in flow
        .executors
        .iter()
        .filter(|x| x.shards > 1 && x.external.is_none())
    {
        let list: serde_json::Map<String, J> = (0..x.shards)
            .map(|i| {
                (
                    i.to_string(),
                    json!(format!(
                        "{chart}-{}-{i}.{SHORTEST_NAMESPACE}.svc:{}",
                        x.dns,
                        jina::PORT
                    )),
                )
            })
            .collect();
        let what = format!("`{}`'s head", x.name);
        too_long(
            &J::Object(list).to_string(),
            "--connection-list",
            &what,
            x.shards as usize,
            "shards",
            x.pos,
        )?;
    }
    Ok(())
}

/// Each pod's ConfigMap (its `env`) and the JSON blobs that become one argument each.
fn pods(flow: &Flow) -> Result<()> {
    let gateway = flow
        .gateway
        .iter()
        .map(|g| ("the gateway".to_string(), g.pos, &g.pod, &g.uses_with));
    let executors = flow
        .executors
        .iter()
        .map(|x| (format!("`{}`", x.name), x.pos, &x.pod, &x.uses_with));
    for (who, pos, pod, uses_with) in gateway.chain(executors) {
        let size: usize = pod.env.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > MAX_CONFIG_MAP {
            return Err(Error::input(
                pos,
                format!(
                    "{who}'s `env` is {size} bytes; a ConfigMap holds at most {MAX_CONFIG_MAP}"
                ),
            )
            .with_hint("move large data into a volume or an image, and keep `env` to settings"));
        }
        if let Some((k, v)) = pod
            .env
            .iter()
            .find(|(k, v)| k.len() + v.len() + 1 >= jina::MAX_ARG_LEN)
        {
            return Err(Error::input(
                pos,
                format!("{who}'s `env.{k}` is {} bytes, over Linux's {}-byte limit for one environment variable (MAX_ARG_STRLEN): it could not start", k.len() + v.len() + 1, jina::MAX_ARG_LEN),
            )
            .with_hint("move large data into a volume or an image"));
        }
        // The chart writes it with helm's toJson, which escapes `<`, `>` and `&` in six bytes
        // where `json.dumps` writes one, and non-ASCII raw where `json.dumps` escapes it: the
        // longer of the two bounds it.
        let blob = uses_with
            .as_ref()
            .map(crate::python::python_json)
            .unwrap_or_default();
        let len = blob.len() + 5 * blob.bytes().filter(|b| b"<>&".contains(b)).count();
        if len >= jina::MAX_ARG_LEN {
            return Err(Error::input(
                pos,
                format!("{who}'s `uses_with` is {len} bytes as `--uses-with`, over Linux's {}-byte limit for one argument (MAX_ARG_STRLEN): it could not start", jina::MAX_ARG_LEN),
            )
            .with_hint("pass large data through a volume or the image, and keep `uses_with` to settings"));
        }
    }
    Ok(())
}

fn gateway_addresses(flow: &Flow, chart: &str) -> J {
    let mut out = serde_json::Map::new();
    for x in &flow.executors {
        let scheme = x.protocol().scheme();
        let list: Vec<String> = if let Some(ext) = &x.external {
            ext.hosts
                .iter()
                .map(|h| format!("{scheme}://{h}:{}", ext.ports[0]))
                .collect()
        } else {
            let head = if x.shards > 1 { "-head" } else { "" };
            vec![format!(
                "{scheme}://{chart}-{}{head}.{SHORTEST_NAMESPACE}.svc:{}",
                x.dns,
                jina::PORT
            )]
        };
        out.insert(x.name.clone(), json!(list));
    }
    J::Object(out)
}

fn too_long(text: &str, flag: &str, who: &str, count: usize, items: &str, pos: Pos) -> Result<()> {
    if text.len() < jina::MAX_ARG_LEN {
        return Ok(());
    }
    let fit = count * (jina::MAX_ARG_LEN - 1) / text.len();
    Err(Error::input(
        pos,
        format!(
            "{who}'s {flag} would be at least {} bytes, over Linux's {}-byte limit for one argument (MAX_ARG_STRLEN): it could not start",
            text.len(),
            jina::MAX_ARG_LEN
        ),
    )
    .with_hint(format!("at most about {fit} of its {count} {items} fit; split the Flow")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Flow {
        let mut yaml = String::from("jtype: Flow\nexecutors:\n");
        for i in 0..n {
            yaml.push_str(&format!(
                "  - name: executor_number_{i:05}\n    uses: docker://acme/x:1\n"
            ));
        }
        crate::flow::load_str(&yaml, &|_| None).unwrap()
    }

    #[test]
    fn a_flow_too_large_to_start_is_refused_with_how_many_fit() {
        assert!(check(&chain(100), "demo").is_ok());
        let err = check(&chain(3000), "demo").unwrap_err().to_string();
        assert!(
            err.contains("--deployments-addresses") && err.contains("MAX_ARG_STRLEN"),
            "{err}"
        );
        assert!(err.contains("at most about"), "{err}");
    }
}
