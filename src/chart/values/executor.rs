//! One executor's values (its Flow settings over Jina's defaults), its sidecars, its head, and
//! where an external one is.

use super::{
    e, env_from_secret_schema, image, jina, jina_resources, json, json_table, json_table_schema,
    pod, production, protocols, protocols_schema, rolling_update, s, scheduling, strategy_schema,
    string_map, strings, Entry, Executor, External, Image, IndexMap, Polling, PollingMode, Uses,
    Val, ValuesOptions, DNS_LABEL,
};

pub(super) fn uses_image(u: &Uses, opts: &ValuesOptions) -> (Image, &'static str) {
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

pub(super) fn sidecar(
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
#[expect(
    clippy::too_many_lines,
    reason = "a table of values entries, one per key; declaring values as data (issue 26) splits it"
)]
pub(super) fn executor(x: &Executor, opts: &ValuesOptions, fixed: bool) -> Vec<Entry> {
    let (img, uses) = uses_image(&x.uses, opts);
    // `polling` is the mode of every endpoint not listed (Jina's `*`, empty when the Flow gives
    // none: ANY), `pollingByEndpoint` the rest; a `*` the Flow writes stays in `--polling`.
    let (polling, by_endpoint) = match &x.polling {
        Polling::Uniform(PollingMode::Any) => (String::new(), IndexMap::new()),
        Polling::Uniform(p) => (p.to_string(), IndexMap::new()),
        Polling::PerEndpoint(m) => {
            let mut m: IndexMap<String, String> =
                m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
            let default = m.shift_remove("*").unwrap_or_default();
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
            endpoints not in `pollingByEndpoint` (Jina's `*`); empty: ANY, and no `*` in a \
            per-endpoint `--polling`.",
            s(&polling),
        )
        .schema(|| json!({"type": "string", "enum": ["", "ANY", "ALL"]})),
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
            "`--uses-with`, the arguments of the executor's constructor (a key set to \
            `{$json: TEXT}` gets the JSON value TEXT as written, e.g. `1.0` or `null`, which helm \
            would change).",
            x.uses_with.as_ref().map_or_else(Val::open, json_table),
        )
        .schema(json_table_schema),
        e(
            "usesMetas",
            "`--uses-metas`, laid over the executor's `metas` (keys as in `usesWith`).",
            x.uses_metas.as_ref().map_or_else(Val::open, json_table),
        )
        .schema(json_table_schema),
        e(
            "noReduce",
            "Do not reduce results from several needs (`disable_reduce`): `--no-reduce` \
            for the executor, and the gateway's `--deployments-no-reduce`.",
            Val::Bool(x.no_reduce),
        ),
        e(
            "gpus",
            "GPUs (`gpus`): `--gpus`, and as many `nvidia.com/gpu` limits (`all`: 1); empty \
            for none. A count or `all`: Kubernetes' device plugin picks the devices, so Docker's \
            `device=…` has no meaning here.",
            s(x.gpus.as_deref().unwrap_or("")),
        )
        .schema(|| {
            let pattern = jina::GPUS_PATTERN
                .replacen('^', "^(|", 1)
                .replacen('$', ")$", 1);
            json!({"oneOf": [
                {"type": "string", "pattern": pattern},
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
        entries.push(e("strategy", "", rolling_update(0, 1)).schema(strategy_schema));
    }
    entries
}

/// The head of a sharded executor: a router Jina runs from its own image, scheduled, sized and
/// given credentials apart from the executor (a CPU-only router need not land on the model node
/// pool, nor see the executor's Secrets).
pub(super) fn head(opts: &ValuesOptions) -> Vec<Entry> {
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

pub(super) fn external(ext: Option<&External>) -> Val {
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

pub(super) fn hosts_schema() -> serde_json::Value {
    json!({"type": "array", "items": {"type": "string", "minLength": 1}})
}

pub(super) fn ports_schema() -> serde_json::Value {
    json!({"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 65535}})
}
