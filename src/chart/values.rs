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

/// Inputs that are not in the Flow itself.
#[derive(Debug, Clone)]
pub struct ValuesOptions {
    /// Image of the gateway, heads and `BaseExecutor` pods (`JINA_GATEWAY_IMAGE`).
    pub jina_image: Image,
}

fn e(key: impl Into<Text>, doc: impl Into<Text>, val: Val) -> Entry {
    Entry::new(key, doc, val)
}

fn s(v: &str) -> Val {
    Val::str(v)
}

fn strings(items: &[String]) -> Val {
    Val::List(items.iter().map(|i| Val::str(i.as_str())).collect())
}

/// A JSON option (`--uses-with`, a `when` filter, gRPC metadata) as the exact text Jina passes
/// (`json.dumps`), empty when unset. Text and not a mapping: helm would rewrite a mapping on its
/// way through (`null` entries dropped, `1.0` printed as `1`, integers past 2^53 rounded), and a
/// key of one shape is replaced cleanly by any override.
fn json_text(v: Option<&serde_json::Value>) -> Val {
    Val::str(v.map(python_json).unwrap_or_default())
}

fn json_text_schema() -> serde_json::Value {
    json!({"type": "string", "pattern": "^(|\\{.*\\})$"})
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

fn global() -> Entry {
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
fn flow_values(flow: &Flow) -> Entry {
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
                    .map(|w| e(x.name.clone(), "", json_text(Some(w))))
            })
            .collect(),
    );
    let metadata = Val::Map(
        flow.executors
            .iter()
            .filter_map(|x| {
                x.grpc_metadata
                    .as_ref()
                    .map(|m| e(x.name.clone(), "", json_text(Some(m))))
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
                "`when` filters per executor, as the JSON text of each \
                (`--graph-conditions`).",
                conditions,
            )
            .schema(|| json!({"type": "object", "additionalProperties": json_text_schema()})),
            e(
                "grpcMetadata",
                "gRPC metadata per executor, as the JSON text of each \
                (`--deployments-metadata`).",
                metadata,
            )
            .schema(|| json!({"type": "object", "additionalProperties": json_text_schema()})),
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

fn image(img: &Image, doc: &'static str) -> Entry {
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
fn split_registry(repository: &str) -> (&str, &str) {
    match repository.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => ("", repository),
    }
}

/// A DNS-1123 label (RFC 1123, lower case), as Kubernetes checks names and volume names.
const DNS_LABEL: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// A DNS-1123 subdomain, what a Secret's name must be (so what a reference to one must be).
const DNS_SUBDOMAIN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// The same without anchors, to allow an empty alternative.
const DNS_SUBDOMAIN_BODY: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
/// A container environment variable's name, as the API server checks it before Kubernetes 1.32
/// relaxed the rule (the chart supports 1.29).
const ENV_NAME: &str = "^[-._a-zA-Z][-._a-zA-Z0-9]*$";
/// A ConfigMap or Secret data key.
const DATA_KEY: &str = "^[-._a-zA-Z0-9]+$";

/// Names of Secrets, as `imagePullSecrets` lists them.
fn secret_names_schema() -> serde_json::Value {
    json!({
        "type": "array",
        "items": {"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 253},
    })
}

fn protocols(ps: &[Protocol]) -> Val {
    Val::List(ps.iter().map(|p| s(p.scheme())).collect())
}

fn protocols_schema() -> serde_json::Value {
    json!({
        "type": "array",
        "minItems": 1,
        "uniqueItems": true,
        "items": {"type": "string", "enum": ["grpc", "http", "websocket"]},
    })
}

fn args(a: &Args) -> Val {
    Val::Map(
        a.iter()
            .map(|(k, v)| {
                let val = match v {
                    ArgValue::Flag(b) => Val::Bool(*b),
                    ArgValue::One(s) => Val::str(s.as_str()),
                    ArgValue::Many(items) => strings(items),
                };
                e(k.clone(), "", val)
            })
            .collect(),
    )
}

fn args_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "additionalProperties": {
            "type": ["string", "boolean", "array"],
            "items": {"type": "string"},
        },
    })
}

fn string_map(m: &indexmap::IndexMap<String, String>) -> Val {
    Val::Map(m.iter().map(|(k, v)| e(k.clone(), "", s(v))).collect())
}

/// Settings every workload (gateway, executor) has. The Flow never sets the `fixed` ones, so
/// executors leave them out (they would only be diffed away against executorDefaults).
fn pod(p: &PodSettings, resources: Val, fixed: bool) -> Vec<Entry> {
    let secrets = Val::Map(
        p.env_from_secret
            .iter()
            .map(|(k, r)| {
                e(
                    k.clone(),
                    "",
                    Val::Map(vec![e("name", "", s(&r.name)), e("key", "", s(&r.key))]),
                )
            })
            .collect(),
    );
    let mut entries = vec![
        e(
            "env",
            "Environment variables, stored in the workload's ConfigMap (the Flow's `env`).",
            string_map(&p.env),
        )
        .schema(|| {
            json!({
                "type": "object",
                "propertyNames": {"pattern": ENV_NAME},
                "additionalProperties": {"type": "string"},
            })
        }),
        e(
            "envFromSecret",
            "Environment variables read from Secrets: `VAR: {name: SECRET, key: \
            KEY}` (the Flow's `env_from_secret`).",
            secrets,
        )
        .schema(env_from_secret_schema),
        e(
            "imagePullSecrets",
            "Names of Secrets used to pull this workload's images (the Flow's \
            `image_pull_secrets`).",
            strings(&p.image_pull_secrets),
        )
        .schema(secret_names_schema),
        e(
            "monitoring",
            "Serve Prometheus metrics (`--monitoring`) and add a ServiceMonitor.",
            Val::Bool(p.monitoring),
        ),
        e(
            "timeoutReady",
            "Milliseconds Jina waits for the workload to start (`--timeout-ready`; \
            -1 waits forever); also sets the startup probe's failure threshold.",
            Val::Int(p.timeout_ready.unwrap_or(jina::DEFAULT_TIMEOUT_READY)),
        )
        .schema(|| json!({"type": "integer", "minimum": -1, "maximum": i32::MAX})),
        e(
            "args",
            "Other Jina options, as in the Flow (`snake_case: value`); `true` is a bare \
            flag, lists repeat the value.",
            args(&p.args),
        )
        .schema(args_schema),
        e(
            "resources",
            "Container resources (requests/limits; the default requests keep pods out \
            of the BestEffort class, set real ones); GPU limits come from `gpus`.",
            resources,
        )
        .schema(|| json!({"type": "object"})),
    ];
    if fixed {
        entries.extend(pod_fixed());
    }
    entries
}

fn pod_fixed() -> Vec<Entry> {
    let mut entries = vec![
        e(
            "extraEnv",
            "More container `env` entries, as Kubernetes writes them.",
            Val::List(vec![]),
        )
        .schema(|| json!({"type": "array", "items": {"type": "object"}})),
        e(
            "podAnnotations",
            "Annotations added to the pods.",
            Val::open(),
        ),
        e("podLabels", "Labels added to the pods.", Val::open()),
        e("nodeSelector", "Node selector of the pods.", Val::open()),
        e("tolerations", "Tolerations of the pods.", Val::List(vec![]))
            .schema(|| json!({"type": "array"})),
        e("affinity", "Affinity of the pods.", Val::open()),
        e(
            "podSecurityContext",
            "Pod security context.",
            Val::Map(vec![e(
                "seccompProfile",
                "",
                Val::Map(vec![e("type", "", s("RuntimeDefault"))]),
            )]),
        )
        .schema(|| json!({"type": "object"})),
        e(
            "securityContext",
            "Container security context.",
            Val::Map(vec![
                e("allowPrivilegeEscalation", "", Val::Bool(false)),
                e(
                    "capabilities",
                    "",
                    Val::Map(vec![e("drop", "", Val::List(vec![s("ALL")]))]),
                ),
            ]),
        )
        .schema(|| json!({"type": "object"})),
        e(
            "strategy",
            "Update strategy: a Deployment's `strategy` (`rollingUpdate` only with \
            `RollingUpdate`; `maxSurge` and `maxUnavailable` cannot both be 0), or with \
            persistence a StatefulSet's `updateStrategy` (`RollingUpdate`, one pod at a time, or \
            `OnDelete`).",
            Val::Map(vec![
                e("type", "", s("RollingUpdate")),
                e(
                    "rollingUpdate",
                    "",
                    Val::Map(vec![
                        e("maxSurge", "", Val::Int(1)),
                        e("maxUnavailable", "", Val::Int(0)),
                    ]),
                ),
            ]),
        )
        .schema(strategy_schema),
        e(
            "writableDirs",
            "Paths given an emptyDir of their own, writable with a read-only root \
            filesystem (e.g. `/tmp` and `HOME`).",
            Val::List(vec![]),
        )
        .schema(|| json!({"type": "array", "items": {"type": "string", "pattern": "^/"}})),
        e("extraVolumes", "More pod volumes.", Val::List(vec![]))
            .schema(|| json!({"type": "array", "items": {"type": "object"}})),
        e(
            "extraVolumeMounts",
            "More container volume mounts.",
            Val::List(vec![]),
        )
        .schema(|| json!({"type": "array", "items": {"type": "object"}})),
        e(
            "initContainers",
            "Init containers run before the workload's own, as Kubernetes writes \
            them.",
            Val::List(vec![]),
        )
        .schema(containers_schema),
        e(
            "sidecars",
            "More containers in each pod, as Kubernetes writes them (e.g. a log \
            shipper).",
            Val::List(vec![]),
        )
        .schema(containers_schema),
        e(
            "lifecycle",
            "Lifecycle hooks of the Jina container. The default preStop pause lets \
            endpoints drop the pod before Jina stops; it needs `/bin/sh` in the image (set \
            `preStop: null` for images without one).",
            Val::Map(vec![e(
                "preStop",
                "",
                Val::Map(vec![e(
                    "exec",
                    "",
                    Val::Map(vec![e(
                        "command",
                        "",
                        Val::List(vec![s("/bin/sh"), s("-c"), s("sleep 2")]),
                    )]),
                )]),
            )]),
        )
        .schema(|| {
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "preStop": {"type": ["object", "null"]},
                    "postStart": {"type": ["object", "null"]},
                },
            })
        }),
        probes(),
    ];
    entries.extend(scheduling());
    entries.extend(production());
    entries
}

/// Where and with what priority the pods run: what a head sets on its own too.
fn scheduling() -> Vec<Entry> {
    vec![
        e(
            "topologySpreadConstraints",
            "How the pods spread over zones or nodes; a constraint \
            without `labelSelector` gets the workload's own pod labels.",
            Val::List(vec![]),
        )
        .schema(|| {
            json!({
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["maxSkew", "topologyKey", "whenUnsatisfiable"],
                },
            })
        }),
        e(
            "priorityClassName",
            "PriorityClass of the pods (empty: the cluster's default).",
            s(""),
        )
        .schema(|| {
            json!({
                "type": "string",
                "pattern": format!("^(|{DNS_SUBDOMAIN_BODY})$"),
                "maxLength": 253,
            })
        }),
        e(
            "runtimeClassName",
            "RuntimeClass of the pods (e.g. `nvidia` on clusters whose GPU \
            runtime is not the default; empty: the default).",
            s(""),
        )
        .schema(|| {
            json!({
                "type": "string",
                "pattern": format!("^(|{DNS_SUBDOMAIN_BODY})$"),
                "maxLength": 253,
            })
        }),
        e(
            "terminationGracePeriodSeconds",
            "Seconds a pod has to finish its requests after SIGTERM \
            before it is killed.",
            Val::Int(30),
        )
        .schema(|| json!({"type": "integer", "minimum": 0, "maximum": i32::MAX})),
    ]
}

/// Objects beside the workload: its ServiceAccount, PodDisruptionBudget and
/// HorizontalPodAutoscaler.
fn production() -> Vec<Entry> {
    vec![
        e(
            "serviceAccount",
            "The pods' ServiceAccount.",
            Val::Map(vec![
                e(
                    "create",
                    "Create one for the workload (named after it; a sharded executor's shards \
                share one, its head has its own).",
                    Val::Bool(true),
                ),
                e(
                    "name",
                    "Its name: with `create`, instead of the workload's; without, an existing \
                account (empty: the namespace's `default`).",
                    s(""),
                )
                .schema(|| {
                    json!({
                        "type": "string",
                        "pattern": format!("^(|{DNS_SUBDOMAIN_BODY})$"),
                        "maxLength": 253,
                    })
                }),
                e(
                    "annotations",
                    "Annotations of the created account (e.g. \
                `eks.amazonaws.com/role-arn` for IRSA, `iam.gke.io/gcp-service-account` for \
                Workload Identity).",
                    Val::open(),
                ),
                e(
                    "automount",
                    "Mount the account's API token in the pods (Jina never calls the \
                Kubernetes API).",
                    Val::Bool(false),
                ),
            ]),
        ),
        e(
            "podDisruptionBudget",
            "A PodDisruptionBudget, created when the workload runs more than \
            one pod (or autoscales): a budget on a single pod would block every node drain.",
            Val::Map(vec![
                e("enabled", "Create it.", Val::Bool(true)),
                e(
                    "minAvailable",
                    "Pods that must stay up during a voluntary disruption: a number or a \
                percentage (empty: unset; set at most one of the two).",
                    s(""),
                )
                .schema(budget_schema),
                e(
                    "maxUnavailable",
                    "Pods that may be down at once during a voluntary disruption: a \
                number or a percentage (both empty: 1).",
                    s(""),
                )
                .schema(budget_schema),
            ]),
        ),
        e(
            "autoscaling",
            "A HorizontalPodAutoscaler. On, the workload's `replicas` is left to it \
            (not rendered) and Jina is not told a replica count (see the README).",
            Val::Map(vec![
                e("enabled", "Create it.", Val::Bool(false)),
                e("minReplicas", "Fewest pods.", Val::Int(1))
                    .schema(|| json!({"type": "integer", "minimum": 1, "maximum": i32::MAX})),
                e("maxReplicas", "Most pods.", Val::Int(5))
                    .schema(|| json!({"type": "integer", "minimum": 1, "maximum": i32::MAX})),
                e(
                    "targetCPUUtilizationPercentage",
                    "Average CPU use, in percent of \
                `resources.requests.cpu`, to keep (0: no CPU target).",
                    Val::Int(80),
                )
                .schema(|| json!({"type": "integer", "minimum": 0})),
                e(
                    "targetMemoryUtilizationPercentage",
                    "Average memory use, in percent of \
                `resources.requests.memory`, to keep (0: no memory target).",
                    Val::Int(0),
                )
                .schema(|| json!({"type": "integer", "minimum": 0})),
                e(
                    "behavior",
                    "Scaling behavior, as in an autoscaling/v2 HorizontalPodAutoscaler \
                (`scaleUp`, `scaleDown`).",
                    Val::open(),
                ),
            ]),
        ),
    ]
}

/// A PodDisruptionBudget count: a number, a percentage, or empty for unset.
fn budget_schema() -> serde_json::Value {
    json!({"oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^([0-9]+%)?$"},
    ]})
}

fn containers_schema() -> serde_json::Value {
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "pattern": DNS_LABEL, "maxLength": 63}},
        },
    })
}

/// Which thresholds a probe offers: the startup one derives its failure threshold from
/// `timeoutReady`, and only readiness may need several successes (the API server requires 1
/// for the others).
#[derive(Clone, Copy)]
enum Thresholds {
    Derived,
    Failure,
    FailureAndSuccess,
}

fn strategy_schema() -> serde_json::Value {
    let count = json!({"oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^[0-9]+%$"},
    ]});
    json!({"type": "object", "additionalProperties": false, "properties": {
        "type": {"type": "string", "enum": ["RollingUpdate", "Recreate", "OnDelete"]},
        "rollingUpdate": {"type": "object", "additionalProperties": false, "properties": {
            "maxSurge": count, "maxUnavailable": count}}}})
}

fn probe(key: &'static str, doc: &'static str, timings: [i64; 3], t: Thresholds) -> Entry {
    let [initial, period, timeout] = timings;
    let mut entries = vec![
        e("enabled", "", Val::Bool(true)),
        e("initialDelaySeconds", "", Val::Int(initial)),
        e("periodSeconds", "", Val::Int(period)),
        e("timeoutSeconds", "", Val::Int(timeout)),
    ];
    if !matches!(t, Thresholds::Derived) {
        entries.push(e("failureThreshold", "", Val::Int(3)));
    }
    if matches!(t, Thresholds::FailureAndSuccess) {
        entries.push(e("successThreshold", "", Val::Int(1)));
    }
    entries.push(e("handler", "", Val::open()));
    let entry = e(key, doc, Val::Map(entries));
    match t {
        Thresholds::FailureAndSuccess => entry.schema(|| probe_schema(true)),
        _ => entry.schema(|| probe_schema(false)),
    }
}

fn probe_schema(success: bool) -> serde_json::Value {
    let mut schema = json!({"type": "object", "additionalProperties": false, "properties": {
        "enabled": {"type": "boolean"},
        "initialDelaySeconds": {"type": "integer", "minimum": 0},
        "periodSeconds": {"type": "integer", "minimum": 1},
        "timeoutSeconds": {"type": "integer", "minimum": 1},
        "failureThreshold": {"type": "integer", "minimum": 1, "maximum": 2147483647},
        "handler": {
            "type": "object",
            "maxProperties": 1,
            "propertyNames": {"enum": ["exec", "grpc", "httpGet", "tcpSocket"]},
        },
    }});
    if success {
        schema["properties"]["successThreshold"] = json!({"type": "integer", "minimum": 1});
    }
    schema
}

fn probes() -> Entry {
    e(
        "probes",
        "How Kubernetes checks the workload. The startup probe allows `timeoutReady` before the \
            liveness probe starts, so slow model loads are not killed; each probe's `handler` (a \
            Kubernetes probe handler: `exec`, `grpc`, `httpGet` or `tcpSocket`) replaces the one \
            `type` picks.",
        Val::Map(vec![
            e(
                "type",
                "`native`: Kubernetes' own gRPC health check (grpc) or `GET /` (http, \
                websocket), answered by Jina's servers with no process per probe. `jina-ping`: \
                `jina ping` inside the container, as Jina's export does (about 0.6 s of CPU and 90 \
                MB of memory per probe).",
                s("native"),
            )
            .schema(|| json!({"type": "string", "enum": ["native", "jina-ping"]})),
            probe(
                "startup",
                "Startup probe; its failure threshold is derived from `timeoutReady` \
                (-1: no limit) unless `failureThreshold` is set.",
                [5, 5, 10],
                Thresholds::Derived,
            ),
            probe(
                "liveness",
                "Liveness probe.",
                [30, 5, 10],
                Thresholds::Failure,
            ),
            probe(
                "readiness",
                "Readiness probe (Jina has none; keeps traffic off pods that \
                stopped answering).",
                [5, 10, 10],
                Thresholds::FailureAndSuccess,
            ),
        ]),
    )
}

fn gateway(gw: &Gateway, opts: &ValuesOptions) -> Vec<Entry> {
    let (img, uses) = match &gw.uses {
        Some(Uses::Docker { image, .. }) => (image.clone(), "config.yml"),
        _ => (opts.jina_image.clone(), ""),
    };
    let uses_with = json_text(gw.uses_with.as_ref());
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
            "`--uses-with` of a custom gateway: its exact JSON text (empty: none).",
            uses_with,
        )
        .schema(json_text_schema),
        e(
            "replicas",
            "Number of gateway pods.",
            Val::Int(i64::from(gw.replicas)),
        )
        .schema(|| json!({"type": "integer", "minimum": 1, "maximum": i32::MAX})),
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

fn service() -> Entry {
    let per_protocol = || {
        json!({"type": "object", "additionalProperties": false, "properties": {
        "grpc": {"type": "integer", "minimum": 1, "maximum": 65535},
        "http": {"type": "integer", "minimum": 1, "maximum": 65535},
        "websocket": {"type": "integer", "minimum": 1, "maximum": 65535}}})
    };
    e(
        "service",
        "The gateway's Service: one port per protocol (named `grpc`, `http`, `websocket`).",
        Val::Map(vec![
            e("type", "Service type.", s("ClusterIP")).schema(
                || json!({"type": "string", "enum": ["ClusterIP", "NodePort", "LoadBalancer"]}),
            ),
            e(
                "annotations",
                "Service annotations (e.g. for a cloud load balancer).",
                Val::open(),
            ),
            e(
                "ports",
                "Port clients use, by protocol (`http: 80`); default: the gateway's own \
                port for it.",
                Val::open(),
            )
            .schema(per_protocol),
            e(
                "nodePorts",
                "Node ports by protocol (`grpc: 30080`); only with type NodePort or \
                LoadBalancer.",
                Val::open(),
            )
            .schema(per_protocol),
            e(
                "loadBalancerSourceRanges",
                "CIDRs allowed to reach the load balancer; only with \
                type LoadBalancer.",
                Val::List(vec![]),
            )
            .schema(|| json!({"type": "array", "items": {"type": "string"}})),
        ]),
    )
}

fn network_policy() -> Entry {
    let peers = || json!({"type": "array", "items": {"type": "object"}});
    e(
        "networkPolicy",
        "NetworkPolicies from the Flow's graph: each executor, shard and head accepts traffic only \
            from the pods that call it in the Flow (the gateway, or its head); the entry point \
            (the gateway, or a `jtype: Deployment`'s executor) from `clients`.",
        Val::Map(vec![
            e("enabled", "Create one NetworkPolicy per workload.", Val::Bool(false)),
            e("clients", "Who may reach the entry point's protocol ports, as NetworkPolicy `from` \
                peers (empty: any source). The `helm test` Pod is always allowed.", Val::List(vec![]))
                .schema(peers),
            e("metrics", "Who may scrape metrics ports (workloads with `monitoring`), as `from` \
                peers (empty: any source).", Val::List(vec![]))
                .schema(peers),
            e("egress", "Restrict what pods may connect to.", Val::Map(vec![
                e("enabled", "Allow only DNS, the Flow's own edges (gateway to executors and \
                    heads, heads to shards), external executors' ports, and `extra`.", Val::Bool(false)),
                e("dns", "Where DNS is, as `to` peers (port 53, UDP and TCP).", Val::List(vec![Val::Map(vec![
                    e(
                        "namespaceSelector",
                        "",
                        Val::Map(vec![e(
                            "matchLabels",
                            "",
                            Val::Map(vec![e("kubernetes.io/metadata.name", "", s("kube-system"))]),
                        )]),
                    ),
                    e(
                        "podSelector",
                        "",
                        Val::Map(vec![e(
                            "matchLabels",
                            "",
                            Val::Map(vec![e("k8s-app", "", s("kube-dns"))]),
                        )]),
                    ),
                ])])).schema(peers),
                e("extra", "More egress rules for every workload, as a NetworkPolicy writes them \
                    (`to`, `ports`).", Val::List(vec![]))
                    .schema(|| json!({"type": "array", "items": {"type": "object"}})),
            ])),
        ]),
    )
}

fn service_monitor() -> Entry {
    e(
        "serviceMonitor",
        "Prometheus Operator ServiceMonitors for the workloads with `monitoring` on, created only \
            when the cluster serves monitoring.coreos.com/v1 ServiceMonitor.",
        Val::Map(vec![
            e("enabled", "Create them.", Val::Bool(true)),
            e(
                "labels",
                "Labels the Prometheus selects them by (kube-prometheus-stack: `release: \
                <its release>`).",
                Val::open(),
            ),
            e(
                "interval",
                "Scrape interval (empty: Prometheus' default).",
                s(""),
            ),
            e(
                "scrapeTimeout",
                "Scrape timeout (empty: Prometheus' default).",
                s(""),
            ),
            e(
                "relabelings",
                "Relabelings of every endpoint.",
                Val::List(vec![]),
            )
            .schema(|| json!({"type": "array", "items": {"type": "object"}})),
        ]),
    )
}

fn test_pod(opts: &ValuesOptions) -> Entry {
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
            e(
                "podSecurityContext",
                "Pod security context.",
                Val::Map(vec![e(
                    "seccompProfile",
                    "",
                    Val::Map(vec![e("type", "", s("RuntimeDefault"))]),
                )]),
            )
            .schema(|| json!({"type": "object"})),
            e(
                "securityContext",
                "Container security context.",
                Val::Map(vec![
                    e("allowPrivilegeEscalation", "", Val::Bool(false)),
                    e(
                        "capabilities",
                        "",
                        Val::Map(vec![e("drop", "", Val::List(vec![s("ALL")]))]),
                    ),
                ]),
            )
            .schema(|| json!({"type": "object"})),
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

fn ingress() -> Entry {
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
fn route(
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

fn http_route() -> Entry {
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

fn grpc_route() -> Entry {
    route(
        "grpcRoute",
        "A Gateway API GRPCRoute to the gateway's `grpc` protocol.",
        "grpc",
        None,
        Val::List(vec![Val::open()]),
    )
}

fn uses_image(u: &Uses, opts: &ValuesOptions) -> (Image, &'static str) {
    match u {
        Uses::Docker { image, .. } => (image.clone(), "config.yml"),
        // The Hub resolves these at export time; without network the image must be set by hand.
        Uses::Hub { .. } => (
            Image {
                repository: String::new(),
                tag: String::new(),
                digest: String::new(),
            },
            "config.yml",
        ),
        Uses::Base => (opts.jina_image.clone(), ""),
    }
}

fn sidecar(
    key: &'static str,
    doc: &'static str,
    u: Option<&Uses>,
    port: i64,
    opts: &ValuesOptions,
) -> Entry {
    let (img, uses) = u.map_or((opts.jina_image.clone(), ""), |u| uses_image(u, opts));
    e(
        key,
        doc,
        Val::Map(vec![
            e(
                "enabled",
                "Run this container in the head pod (only when `shards` > 1, as in Jina).",
                Val::Bool(u.is_some()),
            ),
            image(&img, "Image of the container."),
            e(
                "uses",
                "`--uses` passed to it (`config.yml` for docker images, empty for BaseExecutor).",
                s(uses),
            ),
            e(
                "port",
                "Port it listens on inside the head pod.",
                Val::Int(port),
            ),
            e("resources", "Container resources.", jina_resources())
                .schema(|| json!({"type": "object"})),
        ]),
    )
}

/// Every value of one executor: its Flow settings over Jina's defaults.
fn executor(x: &Executor, opts: &ValuesOptions, fixed: bool) -> Vec<Entry> {
    let (img, uses) = uses_image(&x.uses, opts);
    // `polling` is the default for every endpoint (Jina's `*`), `pollingByEndpoint` the rest.
    let (polling, by_endpoint) = match &x.polling {
        Polling::Uniform(p) => (p.to_string(), IndexMap::new()),
        Polling::PerEndpoint(m) => {
            let mut m: IndexMap<String, String> =
                m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
            let default = m
                .shift_remove("*")
                .unwrap_or_else(|| PollingMode::Any.to_string());
            (default, m)
        }
    };
    let volumes = Val::Map(
        x.volumes
            .iter()
            .enumerate()
            .map(|(i, v)| {
                e(
                    format!("volume-{i}"),
                    "",
                    Val::Map(vec![e("mountPath", "", s(&v.mount_path))]),
                )
            })
            .collect(),
    );
    let mut entries = vec![
        image(
            &img,
            if matches!(x.uses, Uses::Hub { .. }) {
                "Executor image. REQUIRED: the Flow's `jinaai+docker://` is resolved by Jina Hub, \
                which flowhelm cannot reach; set the image it resolves to."
            } else {
                "Executor image (the Flow's `uses: docker://…`)."
            },
        ),
        e(
            "uses",
            "`--uses` passed to the executor: `config.yml` for docker images, empty for \
            BaseExecutor.",
            s(uses),
        ),
        e(
            "dnsName",
            "The executor's name in Kubernetes object names (each executor has its own; a \
            DNS label).",
            s(&x.dns),
        )
        .schema(|| {
            json!({
                "type": "string",
                "pattern": "^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$",
                "maxLength": 53,
            })
        }),
        e(
            "replicas",
            "Pods per shard.",
            Val::Int(i64::from(x.replicas)),
        )
        .schema(|| json!({"type": "integer", "minimum": 1, "maximum": i32::MAX})),
        e(
            "shards",
            "Shards; above 1 a head pod fans requests out to one workload per shard.",
            Val::Int(i64::from(x.shards)),
        )
        .schema(|| json!({"type": "integer", "minimum": 1, "maximum": jina::MAX_SHARDS})),
        e(
            "polling",
            "How the head polls shards: `ANY` (one shard) or `ALL` (every shard), for \
            endpoints not in `pollingByEndpoint`.",
            s(&polling),
        )
        .schema(|| json!({"type": "string", "enum": ["ANY", "ALL"]})),
        e(
            "pollingByEndpoint",
            "Polling of particular endpoints (`/search: ALL`), over `polling`.",
            string_map(&by_endpoint),
        )
        .schema(|| {
            json!({
                "type": "object",
                "additionalProperties": {"type": "string", "enum": ["ANY", "ALL"]},
            })
        }),
        e(
            "protocols",
            "Protocols the executor serves (the first is used by the gateway).",
            protocols(&x.protocols),
        )
        .schema(protocols_schema),
        e(
            "usesWith",
            "`--uses-with`, the arguments of the executor's constructor: their exact \
            JSON text (empty: none).",
            json_text(x.uses_with.as_ref()),
        )
        .schema(json_text_schema),
        e(
            "usesMetas",
            "`--uses-metas`: its exact JSON text (empty: `{}`).",
            json_text(x.uses_metas.as_ref()),
        )
        .schema(json_text_schema),
        e(
            "noReduce",
            "Do not reduce results from several needs (`disable_reduce`): `--no-reduce` \
            for the executor, and the gateway's `--deployments-no-reduce`.",
            Val::Bool(x.no_reduce),
        ),
        e(
            "gpus",
            "GPUs (`gpus`): `--gpus`, and as many `nvidia.com/gpu` limits (`all`: 1); empty \
            for none.",
            s(x.gpus.as_deref().unwrap_or("")),
        )
        .schema(|| {
            json!({"oneOf": [
                {"type": "string", "pattern": "^(|[0-9]+|all)$"},
                {"type": "integer", "minimum": 0},
            ]})
        }),
        e(
            "jinaVersion",
            "The Jina version the executor's image is built on (`3.34.0`; empty: \
            unknown, or read from the tag of a BaseExecutor's Jina image): it must match the Jina \
            images' (see `global.jinaVersionCheck`) and is the workload's \
            `app.kubernetes.io/version`.",
            s(""),
        )
        .schema(|| json!({"type": "string", "pattern": "^(|[0-9]+\\.[0-9]+\\.[0-9]+)$"})),
    ];
    // Parts the Flow leaves at their defaults are only built for executorDefaults (`fixed`):
    // an executor's tree exists to be diffed against it, and these would diff away.
    if fixed || x.external.is_some() {
        entries.push(e(
            "external",
            "An executor served outside the cluster (`external: true`).",
            external(x.external.as_ref()),
        ));
    }
    if fixed || !x.volumes.is_empty() {
        let mut persistence = vec![
            e(
                "enabled",
                "Run as a StatefulSet with volume claims.",
                Val::Bool(!x.volumes.is_empty()),
            ),
            e(
                "volumes",
                "Volumes by name (a DNS label): `{mountPath, size}`.",
                volumes,
            )
            .schema(|| {
                json!({
                    "type": "object",
                    "propertyNames": {"pattern": DNS_LABEL, "maxLength": 63},
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["mountPath"],
                        "properties": {
                            "mountPath": {"type": "string", "pattern": "^/"},
                            "size": {"type": "string"},
                        },
                    },
                })
            }),
        ];
        if fixed {
            persistence.extend([
                e("size", "Requested size of each volume.", s("10G")),
                e(
                    "accessModes",
                    "Access modes of the claims.",
                    Val::List(vec![s("ReadWriteOnce")]),
                )
                .schema(|| {
                    json!({
                        "type": "array",
                        "items": {
                            "type": "string",
                            "enum": [
                                "ReadWriteOnce",
                                "ReadOnlyMany",
                                "ReadWriteMany",
                                "ReadWriteOncePod",
                            ],
                        },
                    })
                }),
                e(
                    "storageClass",
                    "Storage class of the claims (empty: `global.storageClass`, else \
                    the cluster's default; `-`: no class, for pre-provisioned volumes).",
                    s(""),
                ),
                e(
                    "retentionPolicy",
                    "`persistentVolumeClaimRetentionPolicy`: what happens to the \
                    claims when the StatefulSet is deleted or scaled down (`Retain` or `Delete`).",
                    Val::Map(vec![
                        e("whenDeleted", "", s("Retain")),
                        e("whenScaled", "", s("Retain")),
                    ]),
                )
                .schema(|| {
                    json!({"type": "object", "additionalProperties": false, "properties": {
                    "whenDeleted": {"type": "string", "enum": ["Retain", "Delete"]},
                    "whenScaled": {"type": "string", "enum": ["Retain", "Delete"]}}})
                }),
            ]);
        }
        entries.push(e(
            "persistence",
            "Volumes from the Flow's `volumes`: the executor runs as a \
            StatefulSet with one PersistentVolumeClaim per volume.",
            Val::Map(persistence),
        ));
    }
    if fixed {
        entries.push(e(
            "head",
            "The head pod of a sharded executor.",
            Val::Map(head(opts)),
        ));
    }
    let sidecars = [
        (
            "usesBefore",
            "`uses_before`: a container in the head pod that runs before the shards.",
            x.uses_before.as_ref(),
            i64::from(jina::USES_BEFORE_PORT),
        ),
        (
            "usesAfter",
            "`uses_after`: a container in the head pod that runs after the shards.",
            x.uses_after.as_ref(),
            i64::from(jina::USES_AFTER_PORT),
        ),
    ];
    for (key, doc, uses, port) in sidecars {
        if fixed || uses.is_some() {
            entries.push(sidecar(key, doc, uses, port, opts));
        }
    }
    entries.extend(pod(&x.pod, jina_resources(), fixed));
    // A GPU executor rolls without a spare GPU: one pod down at a time, none added.
    if x.gpus.is_some() {
        entries.push(
            e(
                "strategy",
                "",
                Val::Map(vec![
                    e("type", "", s("RollingUpdate")),
                    e(
                        "rollingUpdate",
                        "",
                        Val::Map(vec![
                            e("maxSurge", "", Val::Int(0)),
                            e("maxUnavailable", "", Val::Int(1)),
                        ]),
                    ),
                ]),
            )
            .schema(strategy_schema),
        );
    }
    entries
}

/// The head of a sharded executor: a router Jina runs from its own image, scheduled, sized and
/// given credentials apart from the executor (a CPU-only router need not land on the model node
/// pool, nor see the executor's Secrets).
fn head(opts: &ValuesOptions) -> Vec<Entry> {
    let mut entries = vec![
        image(&opts.jina_image, "Head image (Jina's base image)."),
        e(
            "replicas",
            "Head pods. Jina runs one; heads keep no state, so more behind the head's \
            Service survive a node drain.",
            Val::Int(1),
        )
        .schema(|| json!({"type": "integer", "minimum": 1, "maximum": i32::MAX})),
        e("resources", "Head container resources.", jina_resources())
            .schema(|| json!({"type": "object"})),
        e(
            "envFromSecret",
            "Environment variables of the head container read from Secrets (the \
            executor's are not given to it).",
            Val::open(),
        )
        .schema(env_from_secret_schema),
        e(
            "nodeSelector",
            "Node selector of the head pods (the executor's is not inherited).",
            Val::open(),
        ),
        e(
            "tolerations",
            "Tolerations of the head pods.",
            Val::List(vec![]),
        )
        .schema(|| json!({"type": "array"})),
        e("affinity", "Affinity of the head pods.", Val::open()),
    ];
    entries.extend(scheduling());
    entries.extend(production());
    entries
}

/// Requests for a process of Jina's own (gateway, head): enough that it is not BestEffort, the
/// first to be evicted under memory pressure.
fn jina_resources() -> Val {
    Val::Map(vec![e(
        "requests",
        "",
        Val::Map(vec![e("cpu", "", s("100m")), e("memory", "", s("256Mi"))]),
    )])
}

fn env_from_secret_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "propertyNames": {"pattern": ENV_NAME},
        "additionalProperties": {
            "type": "object",
            "additionalProperties": false,
            "required": ["name", "key"],
            "properties": {
                "name": {"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 253},
                "key": {"type": "string", "pattern": DATA_KEY, "maxLength": 253},
            },
        },
    })
}

fn external(ext: Option<&External>) -> Val {
    let hosts = ext.map_or(&[][..], |x| &x.hosts[..]);
    let ports = ext.map_or(&[][..], |x| &x.ports[..]);
    Val::Map(vec![
        e(
            "enabled",
            "The executor runs outside the cluster; nothing is deployed for it.",
            Val::Bool(ext.is_some()),
        ),
        e(
            "hosts",
            "Its hosts (the gateway balances across them).",
            strings(hosts),
        )
        .schema(hosts_schema),
        e(
            "ports",
            "Its ports, one per host or one for all.",
            Val::List(ports.iter().map(|p| Val::Int(i64::from(*p))).collect()),
        )
        .schema(ports_schema),
        e(
            "tls",
            "Connect with TLS.",
            Val::Bool(ext.is_some_and(|x| x.tls)),
        ),
    ])
}

fn hosts_schema() -> serde_json::Value {
    json!({"type": "array", "items": {"type": "string", "minLength": 1}})
}

fn ports_schema() -> serde_json::Value {
    json!({"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 65535}})
}
