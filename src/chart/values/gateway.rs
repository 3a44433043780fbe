//! The gateway's values, and what reaches it from outside: the `helm test` Pod, Ingress and the
//! Gateway API routes.

use serde_json::json;

use super::parts::{
    e, image, json_table, json_table_schema, protocols, protocols_schema, s, ValuesOptions,
};
use super::pod::{jina_resources, pod, pod_security_context, security_context, service};
use crate::chart::doc::{Entry, Val};
use crate::flow::{Gateway, Uses};

pub(super) fn gateway(gw: &Gateway, opts: &ValuesOptions) -> Vec<Entry> {
    let (img, uses) = match &gw.uses {
        Some(Uses::Docker { image, .. }) => (image.clone(), "config.yml"),
        _ => (opts.jina_image.clone(), ""),
    };
    let uses_with = gw.uses_with.as_ref().map_or_else(Val::open, json_table);
    let mut entries = vec![
        e("enabled", "Deploy the gateway.", Val::Bool(true)),
        image(
            &img,
            "Gateway image (default: `JINA_GATEWAY_IMAGE` at generation time).",
        ),
        e(
            "uses",
            "`--uses` of a custom gateway image (`config.yml`); empty for Jina's built-in \
            gateways.",
            s(uses),
        ),
        e(
            "usesWith",
            "`--uses-with` of a custom gateway (keys as in `executorDefaults.usesWith`).",
            uses_with,
        )
        .schema(json_table_schema),
        e(
            "replicas",
            "Number of gateway pods.",
            Val::Int(i64::from(gw.replicas)),
        )
        .schema(|| json!({"type": "integer", "minimum": 1, "maximum": i32::MAX})),
        e(
            "replicasArg",
            "Also pass the count as Jina's `--replicas`, as Jina's export does (a custom gateway \
            reading `runtime_args.replicas`). Off, changing `replicas` restarts no pod.",
            Val::Bool(false),
        ),
        e(
            "protocols",
            "Protocols served (`grpc`, `http`, `websocket`), one port each.",
            protocols(&gw.protocols),
        )
        .schema(protocols_schema),
        service(),
        ingress(),
        http_route(),
        grpc_route(),
    ];
    entries.extend(pod(&gw.pod, jina_resources(), true));
    entries
}

pub(super) fn test_pod(opts: &ValuesOptions) -> Entry {
    let mut img = image(
        &opts.jina_image,
        "Image with `jina` (default: the gateway's Jina image).",
    )
    .val;
    if let Val::Map(entries) = &mut img {
        for entry in entries.iter_mut().filter(|e| e.key != "pullPolicy") {
            entry.val = s("");
        }
    }
    e(
        "test",
        "The `helm test` Pod: a dry run through the gateway, every gateway protocol answering, and \
            every executor, head and uses_before/after container on the gateway's Jina version.",
        Val::Map(vec![
            e(
                "image",
                "Image with `jina`; empty fields take the gateway's.",
                img,
            ),
            pod_security_context(),
            security_context(),
            e(
                "resources",
                "Container resources.",
                Val::Map(vec![
                    e(
                        "limits",
                        "",
                        Val::Map(vec![e("cpu", "", s("500m")), e("memory", "", s("512Mi"))]),
                    ),
                    e(
                        "requests",
                        "",
                        Val::Map(vec![e("cpu", "", s("100m")), e("memory", "", s("256Mi"))]),
                    ),
                ]),
            )
            .schema(|| json!({"type": "object"})),
            e("nodeSelector", "Node selector.", Val::open()),
            e("tolerations", "Tolerations.", Val::List(vec![])).schema(|| json!({"type": "array"})),
        ]),
    )
}

pub(super) fn ingress() -> Entry {
    e(
        "ingress",
        "An Ingress in front of one of the gateway's protocols (with a controller that speaks it).",
        Val::Map(vec![
            e("enabled", "Create the Ingress.", Val::Bool(false)),
            e("protocol", "The protocol it routes to (empty: the gateway's first).", s(""))
                .schema(|| json!({"type": "string", "enum": ["", "grpc", "http", "websocket"]})),
            e("className", "IngressClass name.", s("")),
            e("annotations", "Ingress annotations.", Val::open()),
            e("hosts", "Hosts and paths routed to the gateway; a path's own `protocol` routes it \
                to another of the gateway's protocols.", Val::List(vec![Val::Map(vec![
                e("host", "", s("flow.example.com")),
                e(
                    "paths",
                    "",
                    Val::List(vec![Val::Map(vec![
                        e("path", "", s("/")),
                        e("pathType", "", s("Prefix")),
                    ])]),
                ),
            ])]))
            .schema(|| json!({"type": "array", "items": {"type": "object", "required": ["host"], "properties": {
                "host": {"type": "string"},
                "paths": {"type": "array", "items": {"type": "object", "properties": {
                    "path": {"type": "string"},
                    "pathType": {"type": "string", "enum": ["Prefix", "Exact", "ImplementationSpecific"]},
                    "protocol": {"type": "string", "enum": ["grpc", "http", "websocket"]},
                }}},
            }}})),
            e(
                "tls",
                "TLS settings, as in an Ingress spec.",
                Val::List(vec![]),
            ).schema(|| json!({"type": "array"})),
        ]),
    )
}

/// The Gateway API's parentRefs, hostnames and rules, as helm's starter chart offers them.
pub(super) fn route(
    key: &'static str,
    doc: &'static str,
    section: &'static str,
    protocol: Option<Entry>,
    rules: Val,
) -> Entry {
    let mut entries = vec![
        e("enabled", "Create it.", Val::Bool(false)),
        e("annotations", "Its annotations.", Val::open()),
    ];
    entries.extend(protocol);
    entries.extend([
        e("parentRefs", "The Gateways (gateway.networking.k8s.io) it attaches to.", Val::List(vec![Val::Map(vec![
            e("name", "", s("gateway")),
            e("sectionName", "", s(section)),
        ])])).schema(|| json!({
            "type": "array",
            "minItems": 1,
            "items": {"type": "object", "required": ["name"]},
        })),
        e("hostnames", "Host names it answers for.", Val::List(vec![s("flow.example.com")]))
            .schema(|| json!({
                "type": "array",
                "items": {
                    "type": "string",
                    "pattern": "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
                    "maxLength": 253,
                },
            })),
        e("rules", "Its rules, as the route's spec writes them; each is sent to the gateway's \
            Service (a rule's own `backendRefs` are replaced; an HTTPRoute rule's `protocol` sends \
            it to `http` or `websocket`).", rules)
            .schema(|| json!({"type": "array", "minItems": 1, "items": {"type": "object"}})),
    ]);
    e(key, doc, Val::Map(entries))
}

pub(super) fn http_route() -> Entry {
    route(
        "httpRoute",
        "A Gateway API HTTPRoute to the gateway's `http` or `websocket` protocol.",
        "http",
        Some(
            e(
                "protocol",
                "The protocol it routes to: `http` or `websocket` (empty: `http` when \
            served, else `websocket`).",
                s(""),
            )
            .schema(|| json!({"type": "string", "enum": ["", "http", "websocket"]})),
        ),
        Val::List(vec![Val::Map(vec![e(
            "matches",
            "",
            Val::List(vec![Val::Map(vec![e(
                "path",
                "",
                Val::Map(vec![e("type", "", s("PathPrefix")), e("value", "", s("/"))]),
            )])]),
        )])]),
    )
}

pub(super) fn grpc_route() -> Entry {
    route(
        "grpcRoute",
        "A Gateway API GRPCRoute to the gateway's `grpc` protocol.",
        "grpc",
        None,
        Val::List(vec![Val::open()]),
    )
}
