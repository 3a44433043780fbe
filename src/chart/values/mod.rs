//! The chart's values, built from a Flow: every setting Jina bakes into its manifests becomes a
//! documented value with the Flow's setting as its default.

use indexmap::IndexMap;
use serde_json::json;

use crate::chart::doc::{diff, Entry, Kind, Text, Val};
use crate::error::Pos;
use crate::flow::{
    ArgValue, Args, Executor, External, Flow, FlowKind, Gateway, Image, PodSettings, Polling,
    PollingMode, Protocol, Uses,
};
use crate::jina;
use crate::python::python_json;

mod executor;
mod gateway;
mod pod;

use executor::executor;
use gateway::{gateway, test_pod};
use pod::{
    env_from_secret_schema, jina_resources, network_policy, pod, pod_security_context, production,
    rolling_update, scheduling, security_context, service, service_monitor, strategy_schema,
};

/// Inputs that are not in the Flow itself.
#[derive(Debug, Clone)]
pub struct ValuesOptions {
    /// Image of the gateway, heads and `BaseExecutor` pods (`JINA_GATEWAY_IMAGE`).
    pub jina_image: Image,
}

pub(super) fn e(key: impl Into<Text>, doc: impl Into<Text>, val: Val) -> Entry {
    Entry::new(key, doc, val)
}

pub(super) fn s(v: &str) -> Val {
    Val::str(v)
}

pub(super) fn strings(items: &[String]) -> Val {
    Val::List(items.iter().map(|i| Val::str(i.as_str())).collect())
}

/// The key of a table that stands for one JSON value given as its text: `{$json: "1.0"}` is
/// the float 1.0, written as is in the JSON Jina receives. The templates (`_json.tpl`) and
/// `values check` know it too.
pub const EXACT_JSON_KEY: &str = "$json";

/// A mapping Jina receives as JSON (`--uses-with`, a `when` filter, gRPC metadata, a dict option
/// in `args`) as a values table, so that `--set executors.x.usesWith.top_k=20` changes one key
/// and helm merges the rest. helm reads every number as a float64 and writes a whole one without
/// its fraction, and deletes `null`s, so what it would change is written as `{$json: TEXT}`:
/// `null`, whole floats (`1.0`), integers beyond 2^53 and lists holding any of these (and a
/// mapping that is itself `{"$json": "…"}`), each as Jina's own `json.dumps` of it.
pub(super) fn json_table(v: &serde_json::Value) -> Val {
    match json_val(v) {
        Val::Map(m) => Val::Map(m),
        _ => Val::open(),
    }
}

fn json_val(v: &serde_json::Value) -> Val {
    use serde_json::Value as J;
    let exact = |v: &J| Val::Map(vec![e(EXACT_JSON_KEY, "", Val::str(python_json(v)))]);
    match v {
        J::Null => exact(v),
        J::Bool(b) => Val::Bool(*b),
        J::String(s) => Val::str(s.as_str()),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if !n.is_f64() && i.unsigned_abs() <= 1 << 53 => Val::Int(i),
            (_, Some(f)) if n.is_f64() && f.is_finite() && f.fract() != 0.0 => Val::Float(f),
            _ => exact(v),
        },
        J::Array(items) => {
            let items: Vec<Val> = items.iter().map(json_val).collect();
            if items.iter().any(is_exact) {
                exact(v)
            } else {
                Val::List(items)
            }
        }
        J::Object(m) if m.len() == 1 && m.get(EXACT_JSON_KEY).is_some_and(J::is_string) => exact(v),
        J::Object(m) => Val::Map(
            m.iter()
                .map(|(k, v)| e(k.clone(), "", json_val(v)))
                .collect(),
        ),
    }
}

/// Whether `v` is (or holds) a `{$json: TEXT}` table.
fn is_exact(v: &Val) -> bool {
    match v {
        Val::Map(m) => m
            .iter()
            .any(|c| c.key == EXACT_JSON_KEY || is_exact(&c.val)),
        Val::List(items) => items.iter().any(is_exact),
        _ => false,
    }
}

/// A JSON table's schema: any keys (the `{$json: TEXT}` rule is checked at render and by
/// `values check`).
pub(super) fn json_table_schema() -> serde_json::Value {
    json!({"type": "object"})
}

/// The whole values tree.
pub fn build(flow: &Flow, opts: &ValuesOptions) -> Vec<Entry> {
    let mut top = vec![
        e(
            "nameOverride",
            "Replaces the chart name in object names.",
            s(""),
        ),
        e(
            "fullnameOverride",
            "Replaces `<release>-<chart>` as the prefix of every object name.",
            s(""),
        ),
        global(),
        flow_values(flow),
    ];
    let gateway = match &flow.gateway {
        Some(gw) => gateway(gw, opts),
        None => vec![e(
            "enabled",
            "Deploy the gateway (`jtype: Deployment` charts have none).",
            Val::Bool(false),
        )],
    };
    top.push(e(
        "gateway",
        "The Jina gateway: the entry point clients talk to.",
        Val::Map(gateway),
    ));
    // Executors list only what their Flow entry sets; the rest comes from executorDefaults,
    // which the templates lay under each of them. values.yaml stays proportional to the Flow.
    // An executor with nothing set is what executorDefaults describes.
    let defaults = executor(&Executor::new(String::new(), Pos::new(1, 1)), opts, true);
    let executors = flow
        .executors
        .iter()
        .map(|x| {
            let doc = format!("Executor `{}`: what its Flow entry sets.", x.name);
            e(
                x.name.clone(),
                doc,
                Val::Map(diff(executor(x, opts, false), &defaults)),
            )
        })
        .collect();
    top.push(
        e(
            "executorDefaults",
            "Settings of every executor, under what its own block in `executors` sets (maps are \
                merged key by key). Set resources, probes or scheduling for all executors here.",
            Val::Map(defaults),
        )
        .kind(Kind::Definition("executor")),
    );
    top.push(
        e(
            "executors",
            "One entry per executor of the Flow, keyed by its Jina name; the keys are those of \
                `executorDefaults`.",
            Val::Map(executors),
        )
        .kind(Kind::Instances("executor")),
    );
    top.push(
        e(
            "extraObjects",
            "Extra Kubernetes objects to deploy with the release (e.g. a ConfigMap or Secret): \
            mappings, or YAML text; each is rendered with `tpl`.",
            Val::List(vec![]),
        )
        .schema(|| json!({"type": "array", "items": {"type": ["object", "string"]}})),
    );
    top.push(network_policy());
    top.push(service_monitor());
    top.push(test_pod(opts));
    top
}

#[expect(
    clippy::too_many_lines,
    reason = "a table of values entries, one per key; declaring values as data (issue 26) splits it"
)]
pub(super) fn global() -> Entry {
    e(
        "global",
        "Settings shared by every workload.",
        Val::Map(vec![
            e(
                "imageRegistry",
                "A registry for every image (e.g. a pull-through mirror); see \
                `imageRegistryMode`.",
                s(""),
            ),
            e(
                "imageRegistryMode",
                "`replace`: `imageRegistry` replaces each image's `registry` (a \
                Harbor proxy project for one upstream, `harbor.example.com/dockerhub`); `prefix`: \
                it is put in front of the whole reference, registry included \
                (`mirror.example.com/ghcr.io/acme/x`).",
                s("replace"),
            )
            .schema(|| json!({"type": "string", "enum": ["replace", "prefix"]})),
            e(
                "storageClass",
                "Storage class of every volume claim without its own \
                `persistence.storageClass` (empty: the cluster's default class).",
                s(""),
            ),
            e(
                "imagePullSecrets",
                "Names of Secrets used to pull every image, added to each \
                workload's own.",
                Val::List(vec![]),
            )
            .schema(secret_names_schema),
            e("commonLabels", "Labels added to every object.", Val::open()),
            e(
                "commonAnnotations",
                "Annotations added to every object (not to pods: see \
                `podAnnotations`).",
                Val::open(),
            ),
            e(
                "jinaVersionCheck",
                "Refuse to render when the Jina images (gateway, heads, \
                BaseExecutor executors and uses_before/after, by their tags) and executors' \
                `jinaVersion` name different Jina versions; `false` renders anyway (`helm test` \
                still reports each workload whose version differs from the gateway's).",
                Val::Bool(true),
            ),
            e(
                "serviceMesh",
                "Service mesh that balances gRPC between replicas: `linkerd` (Jina's \
                default annotation), `istio` or `none`.",
                s("linkerd"),
            )
            .schema(|| json!({"type": "string", "enum": ["linkerd", "istio", "none"]})),
            e(
                "loadBalancing",
                "How gRPC calls are spread over an executor's replicas (a ClusterIP \
                Service spreads connections, and Jina keeps one per address).",
                Val::Map(vec![
                    e(
                        "mode",
                        "`auto`: `jina` when `serviceMesh` is `none`, else `mesh`; `mesh`: the \
                    mesh balances (`serviceMesh`); `jina`: the gateway and heads resolve a \
                    headless `<workload>-pods` Service to every Ready pod and spread calls with \
                    gRPC's round_robin, and executors close connections after `maxConnectionAgeMs` \
                    so that clients find new pods.",
                        s("auto"),
                    )
                    .schema(|| json!({"type": "string", "enum": ["auto", "mesh", "jina"]})),
                    e(
                        "maxConnectionAgeMs",
                        "`jina` mode: executors end each client connection after \
                    this long (±10 %), so clients re-resolve; bounds how soon a new pod gets calls \
                    and a not-Ready one stops getting them.",
                        Val::Int(30_000),
                    )
                    .schema(|| json!({"type": "integer", "minimum": 1000, "maximum": i32::MAX})),
                    e(
                        "maxConnectionAgeGraceMs",
                        "`jina` mode: how long calls in flight may finish on \
                    a connection being closed.",
                        Val::Int(30_000),
                    )
                    .schema(|| json!({"type": "integer", "minimum": 0, "maximum": i32::MAX})),
                    e(
                        "resolveIntervalMs",
                        "`jina` mode: the shortest time between two DNS resolutions \
                    of one channel (gRPC's default is 30 s).",
                        Val::Int(5_000),
                    )
                    .schema(|| json!({"type": "integer", "minimum": 0, "maximum": i32::MAX})),
                ]),
            ),
        ]),
    )
}

/// Topology that Jina bakes into the gateway's arguments. Generated from the Flow; not meant to
/// be edited per environment.
pub(super) fn flow_values(flow: &Flow) -> Entry {
    let graph = flow.graph_description();
    let graph = Val::Map(
        graph
            .iter()
            .map(|(k, v)| e(k.clone(), "", strings(v)))
            .collect(),
    );
    let conditions = Val::Map(
        flow.executors
            .iter()
            .filter_map(|x| {
                x.when
                    .as_ref()
                    .map(|w| e(x.name.clone(), "", json_table(w)))
            })
            .collect(),
    );
    let metadata = Val::Map(
        flow.executors
            .iter()
            .filter_map(|x| {
                x.grpc_metadata
                    .as_ref()
                    .map(|m| e(x.name.clone(), "", json_table(m)))
            })
            .collect(),
    );
    let floating: Vec<String> = flow
        .executors
        .iter()
        .filter(|x| x.floating)
        .map(|x| x.name.clone())
        .collect();
    let floating = strings(&floating);
    let kind = match flow.kind {
        FlowKind::Flow => "Flow",
        FlowKind::Deployment => "Deployment",
    };
    e(
        "flow",
        "The Flow's topology as Jina's gateway reads it (generated by flowhelm; change the Flow \
            and regenerate instead of editing).",
        Val::Map(vec![
            e(
                "kind",
                "`Flow` or `Deployment`, from the Flow's `jtype`.",
                s(kind),
            ),
            e(
                "name",
                "The Flow's name (`with: {name: …}`), or the chart name.",
                s(flow.name.as_deref().unwrap_or("")),
            ),
            e(
                "graph",
                "Edges of the executor graph (`--graph-description`).",
                graph,
            )
            .schema(|| json!({"type": "object"})),
            e(
                "conditions",
                "`when` filters per executor (`--graph-conditions`).",
                conditions,
            )
            .schema(|| json!({"type": "object", "additionalProperties": json_table_schema()})),
            e(
                "grpcMetadata",
                "gRPC metadata per executor (`--deployments-metadata`).",
                metadata,
            )
            .schema(|| json!({"type": "object", "additionalProperties": json_table_schema()})),
            e(
                "floating",
                "Floating executors: the gateway does not wait for them (`floating: \
                true`, `--floating`).",
                floating,
            )
            .schema(|| json!({"type": "array", "items": {"type": "string"}})),
        ]),
    )
}

pub(super) fn image(img: &Image, doc: &'static str) -> Entry {
    let (registry, repository) = split_registry(&img.repository);
    e(
        "image",
        doc,
        Val::Map(vec![
            e(
                "registry",
                "Image registry (empty: Docker Hub); `global.imageRegistry` can replace it.",
                s(registry),
            ),
            e(
                "repository",
                "Image repository, without the registry.",
                s(repository),
            ),
            e(
                "tag",
                "Image tag (empty: none, as written in the Flow).",
                s(&img.tag),
            ),
            e(
                "digest",
                "Image digest (`sha256:…`); wins over the tag when set.",
                s(&img.digest),
            ),
            e("pullPolicy", "Image pull policy.", s("IfNotPresent"))
                .schema(|| json!({"type": "string", "enum": ["Always", "IfNotPresent", "Never"]})),
        ]),
    )
}

/// `ghcr.io/acme/x` → (`ghcr.io`, `acme/x`): the first path part is a registry when it looks
/// like a host (a `.` or `:`, or `localhost`), as the container runtimes decide.
pub(super) fn split_registry(repository: &str) -> (&str, &str) {
    match repository.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => ("", repository),
    }
}

/// A DNS-1123 label (RFC 1123, lower case), as Kubernetes checks names and volume names.
pub(super) const DNS_LABEL: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// A DNS-1123 subdomain, what a Secret's name must be (so what a reference to one must be).
pub(super) const DNS_SUBDOMAIN: &str =
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// The same without anchors, to allow an empty alternative.
pub(super) const DNS_SUBDOMAIN_BODY: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
/// A container environment variable's name, as the API server checks it before Kubernetes 1.32
/// relaxed the rule (the chart supports 1.29).
pub(super) const ENV_NAME: &str = "^[-._a-zA-Z][-._a-zA-Z0-9]*$";
/// A ConfigMap or Secret data key.
pub(super) const DATA_KEY: &str = "^[-._a-zA-Z0-9]+$";

/// Names of Secrets, as `imagePullSecrets` lists them.
pub(super) fn secret_names_schema() -> serde_json::Value {
    json!({
        "type": "array",
        "items": {"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 253},
    })
}

pub(super) fn protocols(ps: &[Protocol]) -> Val {
    Val::List(ps.iter().map(|p| s(p.scheme())).collect())
}

pub(super) fn protocols_schema() -> serde_json::Value {
    json!({
        "type": "array",
        "minItems": 1,
        "uniqueItems": true,
        "items": {"type": "string", "enum": ["grpc", "http", "websocket"]},
    })
}

pub(super) fn args(a: &Args) -> Val {
    Val::Map(
        a.iter()
            .map(|(k, v)| {
                let val = match v {
                    ArgValue::Flag(b) => Val::Bool(*b),
                    ArgValue::One(s) => Val::str(s.as_str()),
                    ArgValue::Many(items) => strings(items),
                    ArgValue::Json(v) => json_table(v),
                };
                e(k.clone(), "", val)
            })
            .collect(),
    )
}

pub(super) fn args_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "additionalProperties": {
            "type": ["string", "boolean", "array", "object"],
            "items": {"type": "string"},
        },
    })
}

pub(super) fn string_map(m: &indexmap::IndexMap<String, String>) -> Val {
    Val::Map(m.iter().map(|(k, v)| e(k.clone(), "", s(v))).collect())
}
