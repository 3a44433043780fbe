//! What `flowhelm check` prints: the resolved topology, as text or JSON.

use serde::Serialize;

use crate::flow::{Flow, FlowKind, Polling};

#[derive(Serialize)]
struct Node<'a> {
    name: &'a str,
    object_name: &'a str,
    image: String,
    replicas: u32,
    shards: u32,
    polling: &'a Polling,
    protocol: &'static str,
    external: bool,
    floating: bool,
    statefulset: bool,
    needs: &'a [String],
}

#[derive(Serialize)]
struct Topology<'a> {
    kind: FlowKind,
    name: Option<&'a str>,
    gateway: Option<Gateway>,
    executors: Vec<Node<'a>>,
    edges: Vec<(String, String)>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct Gateway {
    replicas: u32,
    protocols: Vec<&'static str>,
}

fn image(u: &crate::flow::Uses) -> String {
    match u {
        crate::flow::Uses::Base => "<jina base image>".into(),
        crate::flow::Uses::Docker { image, .. } => image.reference(),
        crate::flow::Uses::Hub { uri } => uri.clone(),
    }
}

fn topology(flow: &Flow) -> Topology<'_> {
    Topology {
        kind: flow.kind,
        name: flow.name.as_deref(),
        gateway: flow.gateway.as_ref().map(|g| Gateway {
            replicas: g.replicas,
            protocols: g.protocols.iter().map(|p| p.scheme()).collect(),
        }),
        executors: flow
            .executors
            .iter()
            .map(|x| Node {
                name: &x.name,
                object_name: &x.dns,
                image: image(&x.uses),
                replicas: x.replicas,
                shards: x.shards,
                polling: &x.polling,
                protocol: x.protocol().scheme(),
                external: x.external.is_some(),
                floating: x.floating,
                statefulset: !x.volumes.is_empty(),
                needs: &x.needs,
            })
            .collect(),
        edges: flow.edges(),
        warnings: flow
            .warnings
            .iter()
            .map(|w| w.message().to_string())
            .collect(),
    }
}

/// Machine-readable topology.
pub fn to_json(flow: &Flow) -> String {
    serde_json::to_string_pretty(&topology(flow)).unwrap_or_default() + "\n"
}

/// Human-readable topology.
pub fn to_text(flow: &Flow) -> String {
    let mut out = String::new();
    let kind = match flow.kind {
        FlowKind::Flow => "Flow",
        FlowKind::Deployment => "Deployment",
    };
    out.push_str(&format!(
        "{kind}{}\n",
        flow.name
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default()
    ));
    if let Some(g) = &flow.gateway {
        let protos: Vec<&str> = g.protocols.iter().map(|p| p.scheme()).collect();
        out.push_str(&format!(
            "  gateway        replicas={} protocols={}\n",
            g.replicas,
            protos.join(",")
        ));
    }
    for x in &flow.executors {
        let mut line = format!("  {:<14} image={}", x.name, image(&x.uses));
        if x.external.is_some() {
            line.push_str(" external");
        } else {
            line.push_str(&format!(" shards={} replicas={}", x.shards, x.replicas));
            if x.shards > 1 {
                let polling = match &x.polling {
                    Polling::Uniform(p) => p.to_string(),
                    Polling::PerEndpoint(_) => "per-endpoint".into(),
                };
                line.push_str(&format!(" polling={polling} (+head)"));
            }
            if !x.volumes.is_empty() {
                line.push_str(" statefulset");
            }
        }
        if x.floating {
            line.push_str(" floating");
        }
        out.push_str(&line);
        out.push('\n');
    }
    let edges = flow.edges();
    if !edges.is_empty() {
        out.push_str("edges:\n");
        for (from, to) in edges {
            out.push_str(&format!("  {from} -> {to}\n"));
        }
    }
    out
}
