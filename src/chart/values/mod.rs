//! The chart's values, built from a Flow: every setting Jina bakes into its manifests becomes a
//! documented value with the Flow's setting as its default.

use serde_json::json;

use crate::chart::doc::{diff, Entry, Kind, Val};
use crate::error::Pos;
use crate::flow::{Executor, Flow, FlowKind};

mod executor;
mod gateway;
mod jcloud;
mod parts;
mod pod;

use executor::executor;
use gateway::{gateway, test_pod};
use parts::{e, json_table, json_table_schema, rows, s, secret_names_schema, strings, Row};
pub use parts::{ValuesOptions, EXACT_JSON_KEY};
use pod::{network_policy, service_monitor};

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
    jcloud::overlay(&mut top, &flow.jcloud);
    let gateway = match &flow.gateway {
        Some(gw) => {
            let mut tree = gateway(gw, opts);
            jcloud::overlay(&mut tree, &gw.pod.jcloud);
            tree
        }
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
            let doc = format!(
                "Executor `{}`: what its Flow entry sets.{}",
                x.name,
                jcloud::executor_note(&x.pod.jcloud)
            );
            let mut tree = executor(x, opts, false);
            jcloud::overlay(&mut tree, &x.pod.jcloud);
            e(x.name.clone(), doc, Val::Map(diff(tree, &defaults)))
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

/// `global`: settings shared by every workload.
fn global() -> Entry {
    e(
        "global",
        "Settings shared by every workload.",
        Val::Map(rows(GLOBAL, &())),
    )
}

const GLOBAL: &[Row<()>] = &[
    Row {
        key: "imageRegistry",
        drives: "",
        doc: "A registry for every image (e.g. a pull-through mirror); see `imageRegistryMode`.",
        val: |()| s(""),
        schema: None,
    },
    Row {
        key: "imageRegistryMode",
        drives: "",
        doc: "`replace`: `imageRegistry` replaces each image's `registry` (a \
            Harbor proxy project for one upstream, `harbor.example.com/dockerhub`); `prefix`: \
            it is put in front of the whole reference, registry included \
            (`mirror.example.com/ghcr.io/acme/x`).",
        val: |()| s("replace"),
        schema: Some(|| json!({"type": "string", "enum": ["replace", "prefix"]})),
    },
    Row {
        key: "storageClass",
        drives: "",
        doc: "Storage class of every volume claim without its own \
            `persistence.storageClass` (empty: the cluster's default class).",
        val: |()| s(""),
        schema: None,
    },
    Row {
        key: "imagePullSecrets",
        drives: "",
        doc: "Names of Secrets used to pull every image, added to each workload's own.",
        val: |()| Val::List(vec![]),
        schema: Some(secret_names_schema),
    },
    Row {
        key: "capacity",
        drives: "",
        doc: "How each kind of node capacity is selected on this cluster, for workloads whose \
            `capacity` names it: `nodeSelector` and `tolerations` added to their pods' (e.g. \
            `karpenter.sh/capacity-type: spot`). Empty, as the chart cannot know a cloud's labels.",
        val: |()| {
            let kind = || {
                Val::Map(vec![
                    e("nodeSelector", "", Val::open()),
                    e("tolerations", "", Val::List(vec![])),
                ])
            };
            Val::Map(vec![e("spot", "", kind()), e("on-demand", "", kind())])
        },
        schema: Some(|| {
            let kind = json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
                    "tolerations": {"type": "array", "items": {"type": "object"}},
                },
            });
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {"spot": kind, "on-demand": kind},
            })
        }),
    },
    Row {
        key: "commonLabels",
        drives: "",
        doc: "Labels added to every object.",
        val: |()| Val::open(),
        schema: None,
    },
    Row {
        key: "commonAnnotations",
        drives: "",
        doc: "Annotations added to every object (not to pods: see `podAnnotations`).",
        val: |()| Val::open(),
        schema: None,
    },
    Row {
        key: "jinaVersionCheck",
        drives: "",
        doc: "Refuse to render when the Jina images (gateway, heads, \
            BaseExecutor executors and uses_before/after, by their tags) and executors' \
            `jinaVersion` name different Jina versions; `false` renders anyway (`helm test` \
            still reports each workload whose version differs from the gateway's).",
        val: |()| Val::Bool(true),
        schema: None,
    },
    Row {
        key: "serviceMesh",
        drives: "",
        doc: "Service mesh that balances gRPC between replicas: `linkerd` (Jina's \
            default annotation), `istio` or `none`.",
        val: |()| s("linkerd"),
        schema: Some(|| json!({"type": "string", "enum": ["linkerd", "istio", "none"]})),
    },
    Row {
        key: "keda",
        drives: "",
        doc: "For workloads autoscaled by KEDA (`autoscaling.keda`).",
        val: |()| {
            Val::Map(vec![e(
                "prometheusAddress",
                "The Prometheus their queries ask (e.g. \
                 `http://prometheus-operated.monitoring.svc:9090`).",
                s(""),
            )])
        },
        schema: None,
    },
    Row {
        key: "loadBalancing",
        drives: "",
        doc: "How gRPC calls are spread over an executor's replicas (a ClusterIP \
            Service spreads connections, and Jina keeps one per address).",
        val: |()| Val::Map(rows(LOAD_BALANCING, &())),
        schema: None,
    },
];

/// `global.loadBalancing`: balancing gRPC with or without a mesh.
const LOAD_BALANCING: &[Row<()>] = &[
    Row {
        key: "mode",
        drives: "",
        doc: "`auto`: `jina` when `serviceMesh` is `none`, else `mesh`; `mesh`: the \
            mesh balances (`serviceMesh`); `jina`: the gateway and heads resolve a \
            headless `<workload>-pods` Service to every Ready pod and spread calls with \
            gRPC's round_robin, and executors close connections after `maxConnectionAgeMs` \
            so that clients find new pods.",
        val: |()| s("auto"),
        schema: Some(|| json!({"type": "string", "enum": ["auto", "mesh", "jina"]})),
    },
    Row {
        key: "maxConnectionAgeMs",
        drives: "",
        doc: "`jina` mode: executors end each client connection after \
            this long (±10 %), so clients re-resolve; bounds how soon a new pod gets calls \
            and a not-Ready one stops getting them.",
        val: |()| Val::Int(30_000),
        schema: Some(|| json!({"type": "integer", "minimum": 1000, "maximum": i32::MAX})),
    },
    Row {
        key: "maxConnectionAgeGraceMs",
        drives: "",
        doc: "`jina` mode: how long calls in flight may finish on a connection being closed.",
        val: |()| Val::Int(30_000),
        schema: Some(|| json!({"type": "integer", "minimum": 0, "maximum": i32::MAX})),
    },
    Row {
        key: "resolveIntervalMs",
        drives: "",
        doc: "`jina` mode: the shortest time between two DNS resolutions \
            of one channel (gRPC's default is 30 s).",
        val: |()| Val::Int(5_000),
        schema: Some(|| json!({"type": "integer", "minimum": 0, "maximum": i32::MAX})),
    },
];

/// Topology that Jina bakes into the gateway's arguments. Generated from the Flow; not meant to
/// be edited per environment.
fn flow_values(flow: &Flow) -> Entry {
    e(
        "flow",
        "The Flow's topology as Jina's gateway reads it (generated by flowhelm; change the Flow \
            and regenerate instead of editing).",
        Val::Map(rows(FLOW, flow)),
    )
}

const FLOW: &[Row<Flow>] = &[
    Row {
        key: "kind",
        drives: "",
        doc: "`Flow` or `Deployment`, from the Flow's `jtype`.",
        val: |flow| {
            s(match flow.kind {
                FlowKind::Flow => "Flow",
                FlowKind::Deployment => "Deployment",
            })
        },
        schema: None,
    },
    Row {
        key: "name",
        drives: "",
        doc: "The Flow's name (`with: {name: …}`), or the chart name.",
        val: |flow| s(flow.name.as_deref().unwrap_or("")),
        schema: None,
    },
    Row {
        key: "graph",
        drives: "",
        doc: "Edges of the executor graph (`--graph-description`).",
        val: |flow| {
            let graph = flow.graph_description();
            Val::Map(
                graph
                    .iter()
                    .map(|(k, v)| e(k.clone(), "", strings(v)))
                    .collect(),
            )
        },
        schema: Some(|| json!({"type": "object"})),
    },
    Row {
        key: "conditions",
        drives: "",
        doc: "`when` filters per executor (`--graph-conditions`).",
        val: |flow| per_executor(flow, |x| x.when.as_ref()),
        schema: Some(|| json!({"type": "object", "additionalProperties": json_table_schema()})),
    },
    Row {
        key: "grpcMetadata",
        drives: "",
        doc: "gRPC metadata per executor (`--deployments-metadata`).",
        val: |flow| per_executor(flow, |x| x.grpc_metadata.as_ref()),
        schema: Some(|| json!({"type": "object", "additionalProperties": json_table_schema()})),
    },
    Row {
        key: "floating",
        drives: "",
        doc: "Floating executors: the gateway does not wait for them (`floating: \
            true`, `--floating`).",
        val: |flow| {
            let floating: Vec<String> = flow
                .executors
                .iter()
                .filter(|x| x.floating)
                .map(|x| x.name.clone())
                .collect();
            strings(&floating)
        },
        schema: Some(|| json!({"type": "array", "items": {"type": "string"}})),
    },
];

/// A JSON table per executor that has the mapping `of` picks, keyed by its name.
fn per_executor(flow: &Flow, of: fn(&Executor) -> Option<&serde_json::Value>) -> Val {
    Val::Map(
        flow.executors
            .iter()
            .filter_map(|x| of(x).map(|v| e(x.name.clone(), "", json_table(v))))
            .collect(),
    )
}
