//! Jina features without a reference export, rendered by real helm and checked against how
//! Jina's k8s exporter builds them (jina/orchestrate/deployments/config/k8s.py and the gateway
//! parser): multi-protocol and websocket gateways, monitoring, custom gateway images, tracing and
//! JSON-valued options, polling ALL, external executors with several hosts.

use crate::common::chart::{Chart, Render};
use crate::common::exact_json;
use crate::common::k8s::{container_args as args, find, flag_values as values, try_find};
use serde_json::Value as J;

#[test]
fn multi_protocol_gateway_gets_composite_gateway_ports_and_services() {
    let flow = "
        jtype: Flow
        with:
          protocol: [grpc, http, websocket]
        executors:
          - name: enc
            uses: docker://acme/enc:1
    ";
    for Render { helm: h, docs } in Chart::flow(flow).render_both_helms() {
        let gw = find(&docs, "Deployment", "rel-demo-gateway");
        let a = args(gw, 0);
        assert_eq!(values(&a, "--uses").unwrap(), ["CompositeGateway"], "{h}");
        assert_eq!(
            values(&a, "--port").unwrap(),
            ["8080", "8081", "8082"],
            "{h}"
        );
        assert_eq!(
            values(&a, "--protocol").unwrap(),
            ["GRPC", "HTTP", "WEBSOCKET"],
            "{h}"
        );
        let ports: Vec<&J> = gw["spec"]["template"]["spec"]["containers"][0]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["containerPort"])
            .collect();
        assert_eq!(ports, [8080, 8081, 8082]);
        // One Service, one named port per protocol (Jina: one Service per extra protocol).
        let svc = find(&docs, "Service", "rel-demo-gateway");
        let ports: Vec<(&str, i64)> = svc["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap(), p["port"].as_i64().unwrap()))
            .collect();
        assert_eq!(ports, [("grpc", 8080), ("http", 8081), ("websocket", 8082)]);
        assert!(try_find(&docs, "Service", "rel-demo-gateway-1-http").is_none());
        // The executors keep gRPC: the gateway address uses their protocol, not the gateway's.
        let addr: J =
            serde_json::from_str(&values(&a, "--deployments-addresses").unwrap()[0]).unwrap();
        assert_eq!(addr["enc"][0], "grpc://rel-demo-enc.demo.svc:8080");
    }
}

#[test]
fn websocket_gateway_and_http_executor() {
    let flow = "
        jtype: Flow
        gateway:
          protocol: websocket
        executors:
          - name: enc
            uses: docker://acme/enc:1
            protocol: http
    ";
    for Render { helm: h, docs } in Chart::flow(flow).render_both_helms() {
        let gw = find(&docs, "Deployment", "rel-demo-gateway");
        let a = args(gw, 0);
        assert_eq!(values(&a, "--uses").unwrap(), ["WebSocketGateway"], "{h}");
        assert_eq!(values(&a, "--protocol").unwrap(), ["WEBSOCKET"]);
        // Native probes: Jina's websocket and http servers answer `GET /`.
        let probe = &gw["spec"]["template"]["spec"]["containers"][0]["startupProbe"]["httpGet"];
        assert_eq!(probe, &serde_json::json!({"path": "/", "port": 8080}));
        let addr: J =
            serde_json::from_str(&values(&a, "--deployments-addresses").unwrap()[0]).unwrap();
        assert_eq!(addr["enc"][0], "http://rel-demo-enc.demo.svc:8080");
        let enc = find(&docs, "Deployment", "rel-demo-enc");
        assert_eq!(values(&args(enc, 0), "--protocol").unwrap(), ["HTTP"]);
    }
}

#[test]
fn monitoring_adds_the_flag_the_metrics_port_and_a_service_monitor() {
    let flow = "
        jtype: Flow
        with:
          monitoring: true
        executors:
          - name: enc
            uses: docker://acme/enc:1
            shards: 2
    ";
    let chart =
        Chart::flow(flow).args(&["--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"]);
    for Render { docs, .. } in chart.render_both_helms() {
        for name in [
            "rel-demo-gateway",
            "rel-demo-enc-0",
            "rel-demo-enc-1",
            "rel-demo-enc-head",
        ] {
            let d = find(&docs, "Deployment", name);
            assert!(args(d, 0).contains(&"--monitoring".to_string()), "{name}");
            let svc = find(&docs, "Service", name);
            assert_eq!(svc["spec"]["ports"][1]["name"], "monitoring");
            assert_eq!(svc["spec"]["ports"][1]["port"], 9090);
            let sm = find(&docs, "ServiceMonitor", name);
            assert_eq!(sm["spec"]["endpoints"][0]["port"], "monitoring");
            assert_eq!(sm["spec"]["selector"]["matchLabels"]["app"], name);
        }
    }
}

#[test]
fn custom_gateway_image_runs_its_config() {
    let flow = "
        jtype: Flow
        gateway:
          uses: docker://acme/my-gateway:2.0
          uses_with:
            greeting: hi
          env:
            MODE: custom
        executors:
          - name: enc
            uses: docker://acme/enc:1
    ";
    for Render { docs, .. } in Chart::flow(flow).render_both_helms() {
        let gw = find(&docs, "Deployment", "rel-demo-gateway");
        assert_eq!(
            gw["spec"]["template"]["spec"]["containers"][0]["image"],
            "acme/my-gateway:2.0"
        );
        let a = args(gw, 0);
        assert_eq!(values(&a, "--uses").unwrap(), ["config.yml"]);
        let with: J = serde_json::from_str(&values(&a, "--uses-with").unwrap()[0]).unwrap();
        assert_eq!(with["greeting"], "hi");
        assert_eq!(
            find(&docs, "ConfigMap", "rel-demo-gateway-configmap")["data"]["MODE"],
            "custom"
        );
    }
}

#[test]
fn tracing_grpc_options_and_json_arguments_pass_through() {
    let flow = "
        jtype: Flow
        with:
          tracing: true
          traces_exporter_host: http://otel
          traces_exporter_port: 4317
        executors:
          - name: enc
            uses: docker://acme/enc:1
            grpc_server_options:
              grpc.max_send_message_length: -1
            exit_on_exceptions: [RuntimeError, ValueError]
            uses_metas:
              name: x
            uses_requests:
              /index: encode
            shards: 2
            polling: ALL
    ";
    for Render { docs, .. } in Chart::flow(flow).render_both_helms() {
        let gw = args(find(&docs, "Deployment", "rel-demo-gateway"), 0);
        assert!(gw.contains(&"--tracing".to_string()));
        assert_eq!(values(&gw, "--traces-exporter-port").unwrap(), ["4317"]);
        let shard = args(find(&docs, "Deployment", "rel-demo-enc-1"), 0);
        assert!(shard.contains(&"--tracing".to_string()));
        assert_eq!(
            values(&shard, "--traces-exporter-host").unwrap(),
            ["http://otel"]
        );
        let opts: J =
            serde_json::from_str(&values(&shard, "--grpc-server-options").unwrap()[0]).unwrap();
        assert_eq!(opts["grpc.max_send_message_length"], -1);
        assert_eq!(
            values(&shard, "--exit-on-exceptions").unwrap(),
            ["RuntimeError", "ValueError"]
        );
        let metas: J = serde_json::from_str(&values(&shard, "--uses-metas").unwrap()[0]).unwrap();
        assert_eq!(metas["name"], "x");
        let reqs: J = serde_json::from_str(&values(&shard, "--uses-requests").unwrap()[0]).unwrap();
        assert_eq!(reqs["/index"], "encode");
        assert!(
            values(&shard, "--polling").is_none(),
            "workers never get --polling"
        );
        let head = args(find(&docs, "Deployment", "rel-demo-enc-head"), 0);
        assert_eq!(values(&head, "--polling").unwrap(), ["ALL"]);
        assert_eq!(
            values(&head, "--uses-metas").unwrap(),
            ["{}"],
            "the head does not inherit uses_metas"
        );
    }
}

#[test]
fn external_executor_with_several_hosts_gets_every_address() {
    let flow = "
        jtype: Flow
        executors:
          - name: remote
            external: true
            host: [a.example.com, b.example.com]
            port: [443, 8443]
            tls: true
            grpc_metadata:
              token: abc
    ";
    for Render { docs, .. } in Chart::flow(flow).render_both_helms() {
        assert!(!docs.iter().any(|d| d["metadata"]["name"]
            .as_str()
            .unwrap_or("")
            .contains("remote")));
        let gw = args(find(&docs, "Deployment", "rel-demo-gateway"), 0);
        let addr: J =
            serde_json::from_str(&values(&gw, "--deployments-addresses").unwrap()[0]).unwrap();
        assert_eq!(
            addr["remote"],
            serde_json::json!(["grpcs://a.example.com:443", "grpcs://b.example.com:8443"])
        );
        let meta: J =
            serde_json::from_str(&values(&gw, "--deployments-metadata").unwrap()[0]).unwrap();
        assert_eq!(meta["remote"]["token"], "abc");
    }
}

#[test]
fn executor_with_several_protocols_gets_ports_and_services_per_protocol() {
    let flow = "
        jtype: Flow
        executors:
          - name: enc
            uses: docker://acme/enc:1
            protocol: [grpc, http]
    ";
    for Render { docs, .. } in Chart::flow(flow).render_both_helms() {
        let a = args(find(&docs, "Deployment", "rel-demo-enc"), 0);
        assert_eq!(values(&a, "--port").unwrap(), ["8080", "8081"]);
        assert_eq!(values(&a, "--protocol").unwrap(), ["GRPC", "HTTP"]);
        let svc = find(&docs, "Service", "rel-demo-enc");
        assert_eq!(svc["spec"]["ports"][1]["name"], "http");
        assert_eq!(svc["spec"]["ports"][1]["port"], 8081);
        let c =
            &find(&docs, "Deployment", "rel-demo-enc")["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c["ports"][1]["containerPort"], 8081,
            "every protocol's port is declared"
        );
    }
}

#[test]
fn heads_and_sidecars_inherit_what_jina_copies() {
    // Jina copies the executor's arguments to the head, then drops gpus, uses, uses_with,
    // uses_metas (and workspace, taboo for heads); uses_before/after copy the head's.
    let flow = "
        jtype: Flow
        executors:
          - name: idx
            uses: docker://acme/idx:1
            shards: 2
            gpus: 1
            retries: 3
            workspace: /data/ws
            floating: true
            uses_with: {k: 1}
            uses_before: docker://acme/pre:1
    ";
    for Render { docs, .. } in Chart::flow(flow).render_both_helms() {
        let head = find(&docs, "Deployment", "rel-demo-idx-head");
        let h = args(head, 0);
        assert_eq!(values(&h, "--retries").unwrap(), ["3"]);
        assert!(h.contains(&"--floating".to_string()));
        for absent in [
            "--gpus",
            "--workspace",
            "--uses",
            "--uses-with",
            "--replicas",
        ] {
            assert!(values(&h, absent).is_none(), "head has {absent}");
        }
        assert!(
            head["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"].is_null(),
            "head has no GPU limit"
        );
        assert_eq!(
            values(&h, "--uses-before-address").unwrap(),
            ["127.0.0.1:8078"]
        );
        let side = args(head, 1);
        assert_eq!(values(&side, "--name").unwrap(), ["idx/uses-before"]);
        assert_eq!(values(&side, "--uses").unwrap(), ["config.yml"]);
        assert_eq!(values(&side, "--workspace").unwrap(), ["/data/ws"]);
        assert_eq!(values(&side, "--retries").unwrap(), ["3"]);
        assert_eq!(
            values(&side, "--port-monitoring").unwrap(),
            ["9091"],
            "no clash with the head's 9090"
        );
        assert!(values(&side, "--uses-with").is_none());
        let shard = args(find(&docs, "Deployment", "rel-demo-idx-1"), 0);
        assert_eq!(values(&shard, "--gpus").unwrap(), ["1"]);
        assert_eq!(values(&shard, "--workspace").unwrap(), ["/data/ws"]);
        let with: J = serde_json::from_str(&values(&shard, "--uses-with").unwrap()[0]).unwrap();
        assert_eq!(with["k"], 1);
    }
}

#[test]
fn json_blobs_reach_jina_exactly_even_where_helm_cannot_round_trip() {
    // helm 4 drops null entries of values, prints 1.0 as 1 and rounds integers above 2^53:
    // such values travel as `{$json: TEXT}` in the editable tables, and reach Jina as written.
    let flow = "
        jtype: Flow
        executors:
          - name: enc
            uses: docker://acme/enc:1
            uses_with: {a: null, b: 1.0, c: 0.5, d: 9007199254740993, e: 1e3, f: -.5, g: 1:30, h: '1e3', i: 1e16}
            uses_metas: {threshold: 0.25, name: m}
            when: {tags__x: {$eq: null}}
    ";
    for Render { helm: h, docs } in Chart::flow(flow).render_both_helms() {
        let a = args(find(&docs, "Deployment", "rel-demo-enc"), 0);
        assert_eq!(
            exact_json(&values(&a, "--uses-with").unwrap()[0]),
            // Plain 1e3, -.5 and 1:30 as Jina's loader reads them (parse_arg, PyYAML's base 60).
            exact_json(
                r#"{"a": null, "b": 1.0, "c": 0.5, "d": 9007199254740993, "e": 1000.0, "f": -0.5, "g": 90, "h": "1e3", "i": 1e+16}"#
            ),
            "{h}"
        );
        let metas: J = serde_json::from_str(&values(&a, "--uses-metas").unwrap()[0]).unwrap();
        assert_eq!(metas, serde_json::json!({"threshold": 0.25, "name": "m"}));
        let gw = args(find(&docs, "Deployment", "rel-demo-gateway"), 0);
        let cond: J = serde_json::from_str(&values(&gw, "--graph-conditions").unwrap()[0]).unwrap();
        assert_eq!(cond, serde_json::json!({"enc": {"tags__x": {"$eq": null}}}));
    }
}

fn probes_of(docs: &[J], kind: &str, name: &str) -> Vec<J> {
    let c = &find(docs, kind, name)["spec"]["template"]["spec"]["containers"][0];
    ["startupProbe", "livenessProbe", "readinessProbe"]
        .iter()
        .map(|p| c[*p].clone())
        .collect()
}

#[test]
fn probes_are_native_by_default_and_configurable() {
    let flow = "
        jtype: Flow
        executors:
          - name: enc
            uses: docker://acme/enc:1
            timeout_ready: -1
          - name: web
            uses: docker://acme/web:1
            protocol: http
    ";
    for Render { helm: h, docs } in Chart::flow(flow).render_both_helms() {
        // gRPC health checking for grpc, GET / for http: no process started per probe.
        let [startup, liveness, readiness] =
            <[J; 3]>::try_from(probes_of(&docs, "Deployment", "rel-demo-enc")).unwrap();
        assert_eq!(startup["grpc"], serde_json::json!({"port": 8080}), "{h}");
        assert_eq!(liveness["grpc"]["port"], 8080);
        assert_eq!(readiness["grpc"]["port"], 8080);
        assert!(startup.get("exec").is_none());
        // timeout_ready: -1 waits for ever: the largest threshold Kubernetes takes.
        assert_eq!(startup["failureThreshold"], 2147483647);
        assert_eq!(
            (
                liveness["failureThreshold"].clone(),
                readiness["successThreshold"].clone()
            ),
            (J::from(3), J::from(1))
        );
        let web = probes_of(&docs, "Deployment", "rel-demo-web");
        assert_eq!(
            web[0]["httpGet"],
            serde_json::json!({"path": "/", "port": 8080})
        );
        assert_eq!(web[0]["failureThreshold"], 120, "600 s at a 5 s period");
        let gw = probes_of(&docs, "Deployment", "rel-demo-gateway");
        assert_eq!(gw[1]["grpc"]["port"], 8080);
    }
    // Jina's own `jina ping` probes, a custom handler, thresholds.
    let set = [
        "--set",
        "executorDefaults.probes.type=jina-ping",
        "--set",
        "executors.web.probes.liveness.handler.tcpSocket.port=8080",
        "--set",
        "executors.web.probes.startup.failureThreshold=7",
        "--set",
        "executors.web.probes.readiness.successThreshold=2",
    ];
    for Render { helm: h, docs } in Chart::flow(flow).args(&set).render_both_helms() {
        let enc = probes_of(&docs, "Deployment", "rel-demo-enc");
        assert_eq!(
            enc[0]["exec"]["command"],
            serde_json::json!(["jina", "ping", "executor", "grpc://127.0.0.1:8080"]),
            "{h}"
        );
        assert_eq!(
            enc[1]["exec"]["command"],
            serde_json::json!([
                "jina",
                "ping",
                "executor",
                "grpc://127.0.0.1:8080",
                "--timeout",
                "9500"
            ])
        );
        let web = probes_of(&docs, "Deployment", "rel-demo-web");
        assert_eq!(web[1]["tcpSocket"], serde_json::json!({"port": 8080}));
        assert!(
            web[1].get("exec").is_none(),
            "the handler replaces the one `type` picks"
        );
        assert_eq!(web[0]["failureThreshold"], 7);
        assert_eq!(web[2]["successThreshold"], 2);
        // The gateway keeps its own (native) probes.
        assert!(probes_of(&docs, "Deployment", "rel-demo-gateway")[0]
            .get("grpc")
            .is_some());
    }
}

/// Every scalar of every object as `Kind/name:path` → value; container args as flags
/// (`…args.--flag` → its values), so a changed option shows as one fact.
fn facts(docs: &[J]) -> std::collections::BTreeMap<String, String> {
    fn walk(prefix: &str, v: &J, out: &mut std::collections::BTreeMap<String, String>) {
        match v {
            J::Object(m) => {
                for (k, v) in m {
                    if k == "args" && v.is_array() {
                        let mut flag = String::from("<command>");
                        for a in v.as_array().unwrap() {
                            let a = a.as_str().unwrap_or_default();
                            if a.starts_with("--") {
                                flag = a.to_string();
                                out.entry(format!("{prefix}.args.{flag}")).or_default();
                            } else {
                                let e = out.entry(format!("{prefix}.args.{flag}")).or_default();
                                e.push_str(a);
                                e.push(' ');
                            }
                        }
                    } else {
                        walk(&format!("{prefix}.{k}"), v, out);
                    }
                }
            }
            J::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    // Containers and ports by name, so one more entry does not shift the rest.
                    let key = item["name"].as_str().map_or(i.to_string(), String::from);
                    walk(&format!("{prefix}[{key}]"), item, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    for d in docs {
        let name = format!(
            "{}/{}:",
            d["kind"].as_str().unwrap_or(""),
            d["metadata"]["name"].as_str().unwrap_or("")
        );
        walk(&name, d, &mut out);
    }
    out
}

fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| glob(rest, &text[head.len() + i..]))
        }
    }
}

#[test]
fn each_typed_value_changes_every_place_it_must_and_nothing_else() {
    // One fact, one value: flipping a key changes what it drives, for the gateway and the
    // executors alike, and nothing else. Each case lists every place its change may touch.
    let flow = "jtype: Flow
gateway:
  protocol: [grpc, http]
executors:
  - name: enc
    uses: docker://acme/enc:1
    gpus: 1
    uses_with: {model: small}
  - name: audit
    uses: docker://acme/audit:1
    needs: enc
    floating: true
  - name: idx
    uses: docker://acme/idx:1
    needs: enc
    shards: 2
    polling: {/search: ALL}
    uses_after: docker://acme/merge:1
  - name: merger
    uses: docker://acme/merger:1
    needs: [idx]
    disable_reduce: true
";
    let chart = Chart::flow(flow);
    let base = facts(&chart.render().docs);
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["executors.merger.noReduce=false"],
            &[
                "Deployment/rel-demo-gateway:*.args.--deployments-no-reduce",
                "Deployment/rel-demo-merger:*.args.--no-reduce",
            ],
        ),
        (
            &["executors.idx.noReduce=true"],
            &[
                "Deployment/rel-demo-gateway:*.args.--deployments-no-reduce",
                "Deployment/rel-demo-idx-0:*.args.--no-reduce",
                "Deployment/rel-demo-idx-1:*.args.--no-reduce",
                "Deployment/rel-demo-idx-head:*[executor].args.--no-reduce",
                "Deployment/rel-demo-idx-head:*[uses-after].args.--no-reduce",
            ],
        ),
        (
            &["flow.floating=null"],
            &["Deployment/rel-demo-audit:*.args.--floating"],
        ),
        (
            &["executors.enc.gpus=2"],
            &[
                "Deployment/rel-demo-enc:*.args.--gpus",
                "Deployment/rel-demo-enc:*.resources.limits.nvidia.com/gpu",
            ],
        ),
        (
            &["executors.enc.gpus="],
            &[
                "Deployment/rel-demo-enc:*.args.--gpus",
                "Deployment/rel-demo-enc:*.resources.limits.nvidia.com/gpu",
            ],
        ),
        (
            &["executors.idx.polling=ALL"],
            &["Deployment/rel-demo-idx-head:*.args.--polling"],
        ),
        (
            &["executors.idx.pollingByEndpoint=null"],
            &["Deployment/rel-demo-idx-head:*.args.--polling"],
        ),
        (
            &["executors.enc.usesWith.model=big"],
            &["Deployment/rel-demo-enc:*.args.--uses-with"],
        ),
        (
            &["executors.enc.usesMetas.name=x"],
            &["Deployment/rel-demo-enc:*.args.--uses-metas"],
        ),
        (
            &["executors.enc.replicas=3"],
            &[
                "Deployment/rel-demo-enc:.spec.replicas",
                "PodDisruptionBudget/rel-demo-enc:*",
            ],
        ),
        (
            // The count stays (`replicas` within the bounds, with no live one to keep).
            &["executors.enc.autoscaling.enabled=true"],
            &[
                "HorizontalPodAutoscaler/rel-demo-enc:*",
                "PodDisruptionBudget/rel-demo-enc:*",
            ],
        ),
        (
            &["executors.idx.head.replicas=2"],
            &[
                "Deployment/rel-demo-idx-head:.spec.replicas",
                "PodDisruptionBudget/rel-demo-idx-head:*",
            ],
        ),
        (
            &["executors.enc.serviceAccount.name=enc-sa"],
            &[
                "Deployment/rel-demo-enc:.spec.template.spec.serviceAccountName",
                "ServiceAccount/enc-sa:*",
                "ServiceAccount/rel-demo-enc:*",
            ],
        ),
        (
            &["executors.enc.timeoutReady=20000"],
            &[
                "Deployment/rel-demo-enc:*.args.--timeout-ready",
                "Deployment/rel-demo-enc:*.startupProbe.failureThreshold",
                "Deployment/rel-demo-enc:.spec.progressDeadlineSeconds",
            ],
        ),
        (
            &["gateway.replicas=3"],
            &[
                "Deployment/rel-demo-gateway:.spec.replicas",
                "PodDisruptionBudget/rel-demo-gateway:*",
            ],
        ),
        (
            &["executors.enc.env.MODE=fast"],
            &[
                "ConfigMap/rel-demo-enc-configmap:.data.MODE",
                "Deployment/rel-demo-enc:.spec.template.metadata.annotations.checksum/config",
            ],
        ),
        (
            &["executors.enc.image.tag=v2"],
            &[
                "Deployment/rel-demo-enc:*.image",
                "ConfigMap/rel-demo-gateway-test:.data.targets.json",
            ],
        ),
        (
            &["executors.idx.usesAfter.enabled=false"],
            &[
                "Deployment/rel-demo-idx-head:*[uses-after]*",
                "Deployment/rel-demo-idx-head:*[executor].args.--uses-after-address",
                "Service/rel-demo-idx-head:*",
                "ConfigMap/rel-demo-gateway-test:.data.targets.json",
            ],
        ),
    ];
    for (sets, expected) in cases {
        let mut args = Vec::new();
        for s in *sets {
            args.push("--set");
            args.push(s);
        }
        let changed = facts(&chart.clone().args(&args).render().docs);
        let keys: std::collections::BTreeSet<&String> = base.keys().chain(changed.keys()).collect();
        let diff: Vec<&String> = keys
            .into_iter()
            .filter(|k| base.get(*k) != changed.get(*k))
            .collect();
        assert!(!diff.is_empty(), "{sets:?} changed nothing");
        for d in &diff {
            assert!(
                expected.iter().any(|p| glob(p, d)),
                "{sets:?} changed {d}, which it should not"
            );
        }
        for p in *expected {
            assert!(
                diff.iter().any(|d| glob(p, d)),
                "{sets:?} did not change {p}: changed {diff:?}"
            );
        }
    }
}

/// Every values table the chart turns into JSON for Jina, a `--set` of one key in it, and the
/// flag of which container it must change: `(set arguments, object kind, object, container,
/// flag, the flag's whole JSON after the set)`.
type TableCase = (
    &'static [&'static str],
    &'static str,
    &'static str,
    usize,
    &'static str,
    &'static str,
);

#[test]
fn set_of_one_key_in_each_table_reaches_the_container_exactly() {
    // One key set, the Flow's other keys kept exactly (whole floats, nulls, big integers
    // included), on both helms; `null` removes a key, `{$json: TEXT}` gives an exact value.
    let flow = r"
        jtype: Flow
        gateway:
          uses: docker://acme/gw:1
          protocol: [grpc, http]
          uses_with: {greeting: hi, limit: 1.0}
          expose_endpoints:
            /a: {methods: [POST]}
        executors:
          - name: enc
            uses: docker://acme/enc:1
            uses_with: {model: small, threshold: 1.0, fallback: null, seed: 18014398509481985}
            uses_metas: {name: enc}
            uses_requests: {/a: f}
            when: {tags__lang: {$eq: en}}
          - name: idx
            uses: docker://acme/idx:1
            shards: 2
            polling: {/search: ALL}
          - name: remote
            external: true
            host: remote.example.com
            port: 443
            grpc_metadata: {x-tenant: acme}
    ";
    let cases: &[TableCase] = &[
        (
            &["--set", "executors.enc.usesWith.top_k=20"],
            "Deployment",
            "rel-demo-enc",
            0,
            "--uses-with",
            concat!(
                r#"{"model":"small","threshold":1.0,"fallback":null,"seed":18014398509481985"#,
                r#","top_k":20}"#
            ),
        ),
        (
            &["--set-json", "executors.enc.usesWith.temperature=0.7"],
            "Deployment",
            "rel-demo-enc",
            0,
            "--uses-with",
            concat!(
                r#"{"model":"small","threshold":1.0,"fallback":null,"seed":18014398509481985"#,
                r#","temperature":0.7}"#
            ),
        ),
        (
            &["--set-string", "executors.enc.usesWith.threshold.$json=2.0"],
            "Deployment",
            "rel-demo-enc",
            0,
            "--uses-with",
            r#"{"model":"small","threshold":2.0,"fallback":null,"seed":18014398509481985}"#,
        ),
        (
            &["--set", "executors.enc.usesWith.model=null"],
            "Deployment",
            "rel-demo-enc",
            0,
            "--uses-with",
            r#"{"threshold":1.0,"fallback":null,"seed":18014398509481985}"#,
        ),
        (
            &["--set", "executors.enc.usesMetas.workspace=/w"],
            "Deployment",
            "rel-demo-enc",
            0,
            "--uses-metas",
            r#"{"name":"enc","workspace":"/w"}"#,
        ),
        (
            &["--set", "executors.enc.args.uses_requests./b=g"],
            "Deployment",
            "rel-demo-enc",
            0,
            "--uses-requests",
            r#"{"/a":"f","/b":"g"}"#,
        ),
        (
            &["--set", "gateway.usesWith.greeting=hello"],
            "Deployment",
            "rel-demo-gateway",
            0,
            "--uses-with",
            r#"{"greeting":"hello","limit":1.0}"#,
        ),
        (
            &["--set", "gateway.args.expose_endpoints./b.methods={GET}"],
            "Deployment",
            "rel-demo-gateway",
            0,
            "--expose-endpoints",
            r#"{"/a":{"methods":["POST"]},"/b":{"methods":["GET"]}}"#,
        ),
        (
            &["--set", "executors.idx.pollingByEndpoint./index=ALL"],
            "Deployment",
            "rel-demo-idx-head",
            0,
            "--polling",
            r#"{"/search":"ALL","/index":"ALL"}"#,
        ),
        (
            &["--set", "flow.conditions.enc.tags__kind.$eq=text"],
            "Deployment",
            "rel-demo-gateway",
            0,
            "--graph-conditions",
            r#"{"enc":{"tags__lang":{"$eq":"en"},"tags__kind":{"$eq":"text"}}}"#,
        ),
        (
            &["--set", "flow.grpcMetadata.remote.x-region=eu"],
            "Deployment",
            "rel-demo-gateway",
            0,
            "--deployments-metadata",
            r#"{"remote":{"x-tenant":"acme","x-region":"eu"}}"#,
        ),
    ];
    let chart = Chart::flow(flow);
    for Render {
        helm: h,
        docs: base,
    } in chart.render_both_helms()
    {
        for (set, kind, object, container, flag, want) in cases {
            let docs = chart.clone().args(set).render_on(h).docs;
            let got = values(&args(find(&docs, kind, object), *container), flag)
                .unwrap_or_else(|| panic!("{h} {set:?}: {object} has no {flag}"));
            assert_eq!(
                exact_json(&got[0]),
                exact_json(want),
                "{h} {set:?}: {object} {flag}"
            );
            // Nothing else of that container changed.
            let before = args(find(&base, kind, object), *container);
            let after = args(find(&docs, kind, object), *container);
            let others = |a: &[String]| {
                let mut out = a.to_vec();
                if let Some(i) = out.iter().position(|x| x == flag) {
                    out.drain(i..i + 2);
                }
                out
            };
            assert_eq!(others(&before), others(&after), "{h} {set:?}");
        }
    }
}

#[test]
fn an_exact_value_must_be_json_text_alone_and_args_may_not_take_the_charts_options() {
    // Refused at render, naming the values key, on both helms.
    let flow = "
        jtype: Flow
        executors:
          - name: enc
            uses: docker://acme/enc:1
            uses_with: {model: {name: small}}
    ";
    let chart = Chart::flow(flow);
    let cases: &[(&[&str], &str)] = &[
        (
            &["--set-string", "executors.enc.usesWith.model.$json=1.0"],
            "executors.enc.usesWith.model: a table with a `$json` key stands for one JSON value",
        ),
        (
            &["--set-string", "executors.enc.usesWith.seed.$json=1.0.0"],
            "executors.enc.usesWith.seed.$json is not the text of one JSON value",
        ),
        (
            &["--set-string", "executors.enc.args.port=9000"],
            "executors.enc.args.port: the chart passes --port itself, and an args entry would override it; use `executors.enc.protocols`",
        ),
        (
            &["--set", "executorDefaults.args.k8s-namespace=other"],
            "executorDefaults.args.k8s-namespace: the chart passes --k8s-namespace itself",
        ),
        (
            &["--set-string", "gateway.args.replicas=3"],
            "gateway.args.replicas: the chart passes --replicas itself, and an args entry would override it; use `gateway.replicas`",
        ),
    ];
    for h in ["helm3", "helm4"] {
        for (set, want) in cases {
            let err = chart.clone().args(set).render_error_on(h);
            assert!(err.contains(want), "{h} {set:?}: {err}");
        }
        // The same, set to null, removes the key and renders.
        chart
            .clone()
            .set("executors.enc.usesWith.model.name", "null")
            .args(&["--set-string", "executors.enc.usesWith.model.$json=1.0"])
            .render_on(h);
    }
}

#[test]
fn shards_set_by_value_get_a_head_that_connects_to_each() {
    let chart = Chart::flow(
        "
        jtype: Flow
        executors:
          - name: enc
            uses: docker://acme/enc:1
        ",
    );
    for r in chart.set("executors.enc.shards", 3).render_both_helms() {
        let shards: Vec<String> = (0..3).map(|i| format!("rel-demo-enc-{i}")).collect();
        assert!(
            shards.iter().all(|s| r.try_get("Deployment", s).is_some()),
            "{}",
            r.helm
        );
        let head = r.args("Deployment", "rel-demo-enc-head", 0);
        let list: J =
            serde_json::from_str(&values(&head, "--connection-list").unwrap()[0]).unwrap();
        assert_eq!(list.as_object().unwrap().len(), 3, "{}: {list}", r.helm);
        assert!(
            r.try_get("Deployment", "rel-demo-enc").is_none(),
            "{}",
            r.helm
        );
    }
}

#[test]
fn rollout_counts_and_pod_dns_are_passed_as_set_zero_included_and_left_to_kubernetes_when_empty() {
    let chart = Chart::flow(
        "
        jtype: Flow
        executors:
          - name: enc
            uses: docker://acme/enc:1
            shards: 2
          - name: store
            uses: docker://acme/store:1
            volumes: /data
        ",
    );
    let spec = |r: &Render, kind: &str, name: &str| r.get(kind, name)["spec"].clone();
    let fields = ["revisionHistoryLimit", "minReadySeconds"];
    for r in chart.render_both_helms() {
        let enc = spec(&r, "Deployment", "rel-demo-enc-0");
        for field in fields {
            assert!(enc[field].is_null(), "{}: {field} {}", r.helm, enc[field]);
        }
        // Empty, the progress deadline covers the startup budget (5 s + 120 probes of 5 s for
        // Jina's 600 s timeoutReady) and 120 s for scheduling and the image pull.
        assert_eq!(enc["progressDeadlineSeconds"], 725, "{}", r.helm);
        let pod = &enc["template"]["spec"];
        for field in ["schedulerName", "dnsConfig", "hostAliases"] {
            assert!(pod[field].is_null(), "{}: {field} {}", r.helm, pod[field]);
        }
    }
    let set = chart
        .clone()
        .set("executorDefaults.revisionHistoryLimit", 0)
        .set("executorDefaults.minReadySeconds", 0)
        .set("executorDefaults.progressDeadlineSeconds", 1800)
        .set("executorDefaults.schedulerName", "gpu-binpack")
        .set("executorDefaults.dnsConfig.options[0].name", "ndots")
        .args(&[
            "--set-string",
            "executorDefaults.dnsConfig.options[0].value=2",
        ])
        .set("executorDefaults.hostAliases[0].ip", "10.0.0.9")
        .set(
            "executorDefaults.hostAliases[0].hostnames[0]",
            "models.internal",
        )
        .set("executors.store.revisionHistoryLimit", 2)
        .set("executors.store.minReadySeconds", 15)
        .set("gateway.revisionHistoryLimit", 5);
    for r in set.render_both_helms() {
        let h = r.helm;
        for name in ["rel-demo-enc-0", "rel-demo-enc-head"] {
            let s = spec(&r, "Deployment", name);
            assert_eq!(
                (&s["revisionHistoryLimit"], &s["minReadySeconds"]),
                (&J::from(0), &J::from(0)),
                "{h} {name}"
            );
            assert_eq!(s["progressDeadlineSeconds"], 1800, "{h} {name}");
            let pod = &s["template"]["spec"];
            assert_eq!(pod["schedulerName"], "gpu-binpack", "{h} {name}");
            assert_eq!(pod["dnsConfig"]["options"][0]["value"], "2", "{h} {name}");
            assert_eq!(
                pod["hostAliases"][0]["hostnames"][0], "models.internal",
                "{h}"
            );
        }
        // A StatefulSet has no progress deadline.
        let store = spec(&r, "StatefulSet", "rel-demo-store");
        assert_eq!(store["revisionHistoryLimit"], 2, "{h}");
        assert_eq!(store["minReadySeconds"], 15, "{h}");
        assert!(store["progressDeadlineSeconds"].is_null(), "{h}");
        assert_eq!(
            spec(&r, "Deployment", "rel-demo-gateway")["revisionHistoryLimit"],
            5,
            "{h}"
        );
    }
    for helm in ["helm3", "helm4"] {
        let err = chart
            .clone()
            .set("gateway.revisionHistoryLimit", -1)
            .render_error_on(helm);
        assert!(err.contains("revisionHistoryLimit"), "{helm}: {err}");
        let err = chart
            .clone()
            .set("executors.enc.minReadySeconds", 60)
            .set("executors.enc.progressDeadlineSeconds", 60)
            .render_error_on(helm);
        assert!(
            err.contains(
                "rel-demo-enc-0: progressDeadlineSeconds (60) must be more than minReadySeconds (60)"
            ),
            "{helm}: {err}"
        );
    }
}

#[test]
fn slow_starts_move_the_progress_deadline_and_notes_give_the_wait_timeout() {
    let chart = Chart::flow(
        "
        jtype: Flow
        executors:
          - name: enc
            uses: docker://acme/enc:1
          - name: llm
            uses: docker://acme/llm:1
            timeout_ready: 1500000
          - name: forever
            uses: docker://acme/forever:1
            timeout_ready: -1
        ",
    );
    let deadline = |r: &Render, name: &str| {
        r.get("Deployment", name)["spec"]["progressDeadlineSeconds"].clone()
    };
    for r in chart.render_both_helms() {
        let h = r.helm;
        assert_eq!(deadline(&r, "rel-demo-enc"), 725, "{h}");
        // 25 min of model load: 5 + 300 × 5 s of startup probes, + 120 s.
        assert_eq!(deadline(&r, "rel-demo-llm"), 1625, "{h}");
        // No limit: the largest deadline Kubernetes takes.
        assert_eq!(deadline(&r, "rel-demo-forever"), i64::from(i32::MAX), "{h}");
    }
    // minReadySeconds counts, an explicit deadline wins, and Kubernetes' 600 s is the floor.
    let set = chart
        .clone()
        .set("executors.llm.minReadySeconds", 30)
        .set("executors.enc.progressDeadlineSeconds", 300)
        .set("executors.forever.timeoutReady", 1000);
    for r in set.render_both_helms() {
        assert_eq!(deadline(&r, "rel-demo-llm"), 1655, "{}", r.helm);
        assert_eq!(deadline(&r, "rel-demo-enc"), 300, "{}", r.helm);
        assert_eq!(deadline(&r, "rel-demo-forever"), 600, "{}", r.helm);
    }
    let notes = chart
        .clone()
        .set("executors.forever.timeoutReady", 1000)
        .notes();
    assert!(
        notes.contains("llm: up to 1505 s to start") && notes.contains("--wait --timeout 1625s"),
        "{notes}"
    );
}

#[test]
fn replica_counts_stay_out_of_the_pod_template_unless_asked_and_autoscalers_start_within_bounds() {
    let chart = Chart::flow(
        "
        jtype: Flow
        with:
          replicas: 2
        executors:
          - name: enc
            uses: docker://acme/enc:1
            replicas: 3
        ",
    );
    let gateway_args = |r: &Render| args(r.get("Deployment", "rel-demo-gateway"), 0);
    for r in chart.render_both_helms() {
        let enc = r.get("Deployment", "rel-demo-enc");
        assert_eq!(enc["spec"]["replicas"], 3, "{}", r.helm);
        assert!(values(&args(enc, 0), "--replicas").is_none(), "{}", r.helm);
        assert!(
            values(&gateway_args(&r), "--replicas").is_none(),
            "{}",
            r.helm
        );
    }
    let asked = chart
        .clone()
        .set("executors.enc.replicasArg", true)
        .set("gateway.replicasArg", true);
    for r in asked.render_both_helms() {
        let enc = r.get("Deployment", "rel-demo-enc");
        assert_eq!(
            values(&args(enc, 0), "--replicas").unwrap(),
            ["3"],
            "{}",
            r.helm
        );
        assert_eq!(
            values(&gateway_args(&r), "--replicas").unwrap(),
            ["2"],
            "{}",
            r.helm
        );
    }
    // Under an autoscaler the count is never omitted (Helm would patch it to null, and the API
    // server make it 1): with no live workload to keep, `replicas` within the autoscaler's bounds.
    for (replicas, min, max, want) in [(3, 1, 5, 3), (3, 4, 6, 4), (3, 1, 2, 2)] {
        let scaled = asked
            .clone()
            .set("executors.enc.replicas", replicas)
            .set("executors.enc.autoscaling.enabled", true)
            .set("executors.enc.autoscaling.minReplicas", min)
            .set("executors.enc.autoscaling.maxReplicas", max);
        for r in scaled.render_both_helms() {
            let enc = r.get("Deployment", "rel-demo-enc");
            assert_eq!(
                enc["spec"]["replicas"], want,
                "{} {replicas} in {min}..{max}",
                r.helm
            );
            assert!(values(&args(enc, 0), "--replicas").is_none(), "{}", r.helm);
            let hpa = r.get("HorizontalPodAutoscaler", "rel-demo-enc");
            assert_eq!(
                hpa["metadata"]["annotations"]["flowhelm/replicas"],
                replicas.to_string(),
                "{}",
                r.helm
            );
        }
    }
}

/// KEDA: a ScaledObject only where the cluster serves its API (elsewhere the autoscaler, which
/// keeps a pod), its Prometheus named, its metric served; 0 pods only on a query of the user's,
/// since a workload without pods serves none of the metrics that would wake it.
#[test]
fn keda_scales_where_it_is_served_and_to_zero_only_on_a_query() {
    let chart = Chart::flow(
        "
        jtype: Flow
        executors:
          - name: enc
            uses: docker://acme/enc:1
            monitoring: true
        ",
    )
    .set("executors.enc.autoscaling.enabled", true)
    .set(
        "executors.enc.autoscaling.targetCPUUtilizationPercentage",
        0,
    )
    .set("executors.enc.autoscaling.keda.enabled", true)
    .set("executors.enc.autoscaling.keda.metric", "rps");
    let served = ["--api-versions", "keda.sh/v1alpha1/ScaledObject"];
    let address = "global.keda.prometheusAddress=http://prom:9090";
    for h in ["helm3", "helm4"] {
        let r = chart.clone().render_on(h);
        assert!(r.try_get("ScaledObject", "rel-demo-enc").is_none(), "{h}");
        assert!(
            r.try_get("HorizontalPodAutoscaler", "rel-demo-enc")
                .is_some(),
            "{h}"
        );
        let err = chart.clone().args(&served).render_error_on(h);
        assert!(
            err.contains("set global.keda.prometheusAddress"),
            "{h}: {err}"
        );
        let r = chart
            .clone()
            .args(&served)
            .args(&["--set", address])
            .render_on(h);
        assert!(
            r.try_get("HorizontalPodAutoscaler", "rel-demo-enc")
                .is_none(),
            "{h}"
        );
        let so = r.get("ScaledObject", "rel-demo-enc");
        assert_eq!(
            so["spec"]["triggers"][0]["metadata"]["serverAddress"],
            "http://prom:9090"
        );
        let err = chart
            .clone()
            .set("executors.enc.monitoring", false)
            .args(&served)
            .args(&["--set", address])
            .render_error_on(h);
        assert!(err.contains("set its monitoring to true"), "{h}: {err}");
        let zero = chart
            .clone()
            .set("executors.enc.autoscaling.minReplicas", 0);
        let err = zero.clone().render_error_on(h);
        assert!(
            err.contains("executors.enc.autoscaling.minReplicas is 0")
                && err.contains("keda.query"),
            "{h}: {err}"
        );
        let zero = zero.set("executors.enc.autoscaling.keda.query", "sum(up)");
        let hpa = zero.clone().render_on(h);
        assert_eq!(
            hpa.get("HorizontalPodAutoscaler", "rel-demo-enc")["spec"]["minReplicas"],
            1
        );
        let keda = zero.args(&served).args(&["--set", address]).render_on(h);
        let so = &keda.get("ScaledObject", "rel-demo-enc")["spec"];
        assert_eq!(so["minReplicaCount"], 0, "{h}");
        assert_eq!(so["triggers"][0]["metadata"]["query"], "sum(up)", "{h}");
    }
}

#[test]
fn volume_sizes_must_be_quantities_the_api_server_reads() {
    let chart = Chart::flow(
        "
        jtype: Flow
        executors:
          - name: store
            uses: docker://acme/store:1
            volumes: /data
        ",
    );
    for size in ["1.5Gi", "500M", "5e9", "+.5Ti", "10Ki"] {
        for r in chart
            .clone()
            .set("executorDefaults.persistence.size", size)
            .render_both_helms()
        {
            let claim = &r.get("StatefulSet", "rel-demo-store")["spec"]["volumeClaimTemplates"][0];
            assert_eq!(
                claim["spec"]["resources"]["requests"]["storage"], size,
                "{}",
                r.helm
            );
        }
    }
    for (key, size) in [
        ("executorDefaults.persistence.size", "1.5 Gi"),
        ("executorDefaults.persistence.size", "10GB"),
        ("executorDefaults.persistence.size", "-1Gi"),
        ("executors.store.persistence.volumes.volume-0.size", "lots"),
    ] {
        for helm in ["helm3", "helm4"] {
            let err = chart.clone().set(key, size).render_error_on(helm);
            assert!(
                err.contains("size") && err.contains("pattern"),
                "{helm} {size}: {err}"
            );
        }
    }
}
