//! What a production chart has beside its workloads: ServiceAccounts, disruption budgets,
//! autoscalers, NetworkPolicies from the Flow's graph, scheduling of heads apart from their
//! executors, and Gateway API routes; each only when enabled, valid under the strict schemas and
//! the API server's rules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{flows, KUBE_VERSIONS};
use crate::common;
use crate::common::chart::Chart;
use crate::common::k8s::{container_args, documents, find, render, validate_all};
use crate::common::semantic;
use crate::common::{generate_chart, helms, stdout, TempDir};
use crate::test::{unindent, Test};
use serde_json::Value as J;

fn of_kind<'a>(docs: &'a [J], kind: &str) -> Vec<&'a J> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn names(docs: &[J], kind: &str) -> BTreeSet<String> {
    of_kind(docs, kind)
        .iter()
        .map(|d| d["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn workloads(docs: &[J]) -> Vec<&J> {
    docs.iter()
        .filter(|d| d["kind"] == "Deployment" || d["kind"] == "StatefulSet")
        .collect()
}

fn valid(docs: &[J], context: &str) {
    for v in KUBE_VERSIONS {
        validate_all(v, docs, context);
    }
    semantic::assert_no_errors(docs, context);
}

fn search_chart(tmp: &TempDir) -> std::path::PathBuf {
    let chart = tmp.path().join("search");
    generate_chart(
        &common::root().join("examples/search.yml"),
        &chart,
        "search",
    );
    chart
}

#[test]
fn accounts_and_budgets_by_default_autoscalers_and_policies_only_when_enabled() {
    let chart = Chart::example("search").release("r");
    let r = chart.render();
    let docs = &r.docs;
    // One account per workload, shards sharing their executor's; every pod names one of them.
    let accounts = r.names("ServiceAccount");
    for w in workloads(docs) {
        let pod = &w["spec"]["template"]["spec"];
        let sa = pod["serviceAccountName"].as_str().unwrap();
        assert!(
            accounts.contains(sa),
            "{} runs as {sa}, not rendered",
            w["metadata"]["name"]
        );
        assert_eq!(pod["automountServiceAccountToken"], false);
        // Nothing is BestEffort: every container requests CPU and memory.
        for c in pod["containers"].as_array().unwrap() {
            let req = &c["resources"]["requests"];
            assert!(req["cpu"].is_string() && req["memory"].is_string(), "{c}");
        }
    }
    assert!(accounts.contains("r-search-gateway") && accounts.contains("r-search-indexer-head"));
    assert!(accounts.contains("r-search-indexer") && !accounts.contains("r-search-indexer-0"));
    // Budgets exactly for the workloads of more than one pod.
    let multi: BTreeSet<String> = workloads(docs)
        .iter()
        .filter(|w| w["spec"]["replicas"].as_i64().unwrap() > 1)
        .map(|w| w["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!multi.is_empty());
    assert_eq!(r.names("PodDisruptionBudget"), multi);
    for pdb in r.of_kind("PodDisruptionBudget") {
        assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    }
    for kind in [
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "HTTPRoute",
        "GRPCRoute",
    ] {
        assert!(r.names(kind).is_empty(), "{kind} rendered by default");
    }

    // Turned off: no account (pods run as the namespace's default), no budget.
    let off = chart
        .clone()
        .set("executorDefaults.serviceAccount.create", false)
        .set("executorDefaults.head.serviceAccount.create", false)
        .set("gateway.serviceAccount.create", false)
        .set("executorDefaults.podDisruptionBudget.enabled", false)
        .set("gateway.podDisruptionBudget.enabled", false)
        .render();
    assert!(off.names("ServiceAccount").is_empty() && off.names("PodDisruptionBudget").is_empty());
    for w in workloads(&off.docs) {
        assert!(w["spec"]["template"]["spec"]["serviceAccountName"].is_null());
    }

    // An existing account by name, an IRSA annotation on a created one, a percentage budget.
    let named = chart
        .clone()
        .without_api_rules()
        .set("gateway.serviceAccount.create", false)
        .set("gateway.serviceAccount.name", "edge")
        .args(&["--set-string", "executors.indexer.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::1:role/idx"])
        .set("executors.indexer.serviceAccount.automount", true)
        .set("executorDefaults.podDisruptionBudget.minAvailable", "50%")
        .render();
    let gw = named.get("Deployment", "r-search-gateway");
    assert_eq!(gw["spec"]["template"]["spec"]["serviceAccountName"], "edge");
    let sa = named.get("ServiceAccount", "r-search-indexer");
    assert_eq!(
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::1:role/idx"
    );
    assert_eq!(sa["automountServiceAccountToken"], true);
    let shard = named.get("Deployment", "r-search-indexer-0");
    assert_eq!(
        shard["spec"]["template"]["spec"]["automountServiceAccountToken"],
        true
    );
    let pdb = named.get("PodDisruptionBudget", "r-search-image-encoder");
    assert_eq!(pdb["spec"]["minAvailable"], "50%");
    assert!(pdb["spec"]["maxUnavailable"].is_null());
    let findings = semantic::check(&named.docs);
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "serviceaccount" && f.message.contains("\"edge\"")),
        "an account the render does not create is reported: {findings:?}"
    );
}

#[test]
fn autoscaling_starts_within_its_bounds_and_keeps_selectors_and_arguments() {
    let chart = Chart::example("search").release("r");
    let before = chart.render().docs;
    let after = chart
        .clone()
        .set("executorDefaults.autoscaling.enabled", true)
        .set("executorDefaults.autoscaling.maxReplicas", 8)
        .set(
            "executorDefaults.autoscaling.targetMemoryUtilizationPercentage",
            75,
        )
        .set("gateway.autoscaling.enabled", true)
        .set("gateway.autoscaling.minReplicas", 2)
        .render()
        .docs;
    let hpas = of_kind(&after, "HorizontalPodAutoscaler");
    // Every workload but heads, which have their own `head.autoscaling`, scales.
    let scaled: BTreeSet<String> = workloads(&after)
        .iter()
        .map(|w| w["metadata"]["name"].as_str().unwrap().to_string())
        .filter(|n| !n.ends_with("-head"))
        .collect();
    assert_eq!(names(&after, "HorizontalPodAutoscaler"), scaled);
    for h in &hpas {
        let target = &h["spec"]["scaleTargetRef"];
        let w = find(
            &after,
            target["kind"].as_str().unwrap(),
            target["name"].as_str().unwrap(),
        );
        // The count is always rendered (an omitted one would be patched to null, so 1): with
        // no live workload to keep, where the autoscaler starts.
        let (min, max) = (&h["spec"]["minReplicas"], &h["spec"]["maxReplicas"]);
        let n = w["spec"]["replicas"].as_i64().unwrap();
        assert!(
            min.as_i64().unwrap_or(1) <= n && n <= max.as_i64().unwrap(),
            "{} starts at {n}, outside {min}..{max}",
            target["name"]
        );
        let args = container_args(w, 0);
        assert!(!args.contains(&"--replicas".to_string()), "{args:?}");
    }
    // minReplicas <= maxReplicas: this render is not in the API server's dry-run matrix.
    for h in &hpas {
        let (min, max) = (&h["spec"]["minReplicas"], &h["spec"]["maxReplicas"]);
        assert!(min.as_i64().unwrap_or(1) <= max.as_i64().unwrap(), "{h}");
    }
    let gw = find(&after, "HorizontalPodAutoscaler", "r-search-gateway");
    assert_eq!(gw["spec"]["minReplicas"], 2);
    assert_eq!(gw["spec"]["metrics"].as_array().unwrap().len(), 1);
    let enc = find(&after, "HorizontalPodAutoscaler", "r-search-indexer-1");
    assert_eq!(enc["spec"]["maxReplicas"], 8);
    let metrics: Vec<&str> = enc["spec"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["resource"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(metrics, ["cpu", "memory"]);
    // Autoscaled workloads always get a budget (their count may grow), heads keep theirs off.
    assert_eq!(names(&after, "PodDisruptionBudget"), scaled);
    // A head scales on its own values, not the executor's.
    let head = chart
        .clone()
        .set("executors.indexer.head.autoscaling.enabled", true)
        .set("executors.indexer.head.autoscaling.maxReplicas", 3)
        .render()
        .docs;
    assert_eq!(
        names(&head, "HorizontalPodAutoscaler"),
        BTreeSet::from(["r-search-indexer-head".to_string()])
    );
    assert_eq!(
        find(&head, "HorizontalPodAutoscaler", "r-search-indexer-head")["spec"]["maxReplicas"],
        3
    );
    assert_eq!(
        find(&head, "Deployment", "r-search-indexer-head")["spec"]["replicas"],
        1
    );
    find(&head, "PodDisruptionBudget", "r-search-indexer-head");
    // On and off again: the selectors, pod labels and Service selectors never change, so an
    // upgrade either way keeps the same pods and endpoints.
    for (a, b) in [(&before, &after)] {
        for w in workloads(a) {
            let name = w["metadata"]["name"].as_str().unwrap();
            let other = find(b, w["kind"].as_str().unwrap(), name);
            assert_eq!(w["spec"]["selector"], other["spec"]["selector"], "{name}");
            assert_eq!(
                w["spec"]["template"]["metadata"]["labels"],
                other["spec"]["template"]["metadata"]["labels"],
                "{name}"
            );
        }
        for s in of_kind(a, "Service") {
            let name = s["metadata"]["name"].as_str().unwrap();
            assert_eq!(
                s["spec"]["selector"],
                find(b, "Service", name)["spec"]["selector"]
            );
        }
    }
}

#[test]
fn scaling_values_that_cannot_work_are_refused_naming_the_key() {
    let chart = Chart::example("search").release("r");
    for helm_name in ["helm3", "helm4"] {
        for (args, expect) in [
            (
                vec!["--set", "executorDefaults.podDisruptionBudget.minAvailable=1", "--set", "executorDefaults.podDisruptionBudget.maxUnavailable=1"],
                "executorDefaults.podDisruptionBudget sets both minAvailable and maxUnavailable",
            ),
            (
                vec!["--set", "gateway.autoscaling.enabled=true", "--set", "gateway.autoscaling.minReplicas=9"],
                "gateway.autoscaling.minReplicas (9) is above maxReplicas (5)",
            ),
            (
                vec!["--set", "executors.indexer.autoscaling.enabled=true", "--set", "executors.indexer.resources.requests.cpu=null"],
                "executors.indexer.autoscaling.targetCPUUtilizationPercentage needs executors.indexer.resources.requests.cpu",
            ),
            (
                vec!["--set", "gateway.protocols={grpc}", "--set", "gateway.httpRoute.enabled=true"],
                "gateway.httpRoute routes to protocol websocket, which the gateway does not serve",
            ),
            (
                vec!["--set", "executors.indexer.head.podDisruptionBudget.minAvailable=1", "--set", "executors.indexer.head.podDisruptionBudget.maxUnavailable=1"],
                "executors.indexer.head.podDisruptionBudget sets both",
            ),
        ] {
            let err = chart.clone().args(&args).render_error_on(helm_name);
            assert!(err.contains(expect), "{helm_name} {args:?}: {err}");
        }
    }
}

#[test]
fn heads_are_scheduled_sized_and_credentialed_on_their_own() {
    let chart = Chart::example("search").release("r");
    let mut apart = chart.clone();
    for (key, value) in [
        ("executorDefaults.nodeSelector.pool", "models"),
        ("executorDefaults.tolerations[0].key", "gpu"),
        ("executorDefaults.tolerations[0].operator", "Exists"),
        ("executorDefaults.priorityClassName", "models"),
        ("executorDefaults.runtimeClassName", "nvidia"),
        ("executorDefaults.extraEnv[0].name", "X"),
        ("executorDefaults.extraEnv[0].value", "y"),
        ("executors.indexer.head.nodeSelector.pool", "routers"),
        ("executors.indexer.head.replicas", "2"),
        ("executors.indexer.head.resources.requests.cpu", "50m"),
        ("executorDefaults.topologySpreadConstraints[0].maxSkew", "1"),
        (
            "executorDefaults.topologySpreadConstraints[0].topologyKey",
            "topology.kubernetes.io/zone",
        ),
        (
            "executorDefaults.topologySpreadConstraints[0].whenUnsatisfiable",
            "ScheduleAnyway",
        ),
        ("executorDefaults.terminationGracePeriodSeconds", "90"),
        ("global.commonAnnotations.team", "search"),
    ] {
        apart = apart.set(key, value);
    }
    let docs = apart.render().docs;
    let shard = &find(&docs, "Deployment", "r-search-indexer-0")["spec"]["template"]["spec"];
    let head_obj = find(&docs, "Deployment", "r-search-indexer-head");
    let head = &head_obj["spec"]["template"]["spec"];
    assert_eq!(shard["nodeSelector"]["pool"], "models");
    assert_eq!(shard["priorityClassName"], "models");
    assert_eq!(shard["runtimeClassName"], "nvidia");
    assert_eq!(shard["terminationGracePeriodSeconds"], 90);
    assert_eq!(
        shard["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"]["app"],
        "r-search-indexer-0"
    );
    assert!(shard["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "X"));
    // The head takes none of it: its own node selector, no tolerations, priority or runtime,
    // no executor environment or Secrets; Jina's grace and two replicas with a budget.
    assert_eq!(head["nodeSelector"], serde_json::json!({"pool": "routers"}));
    for key in [
        "tolerations",
        "priorityClassName",
        "runtimeClassName",
        "topologySpreadConstraints",
    ] {
        assert!(head[key].is_null(), "head has {key}: {}", head[key]);
    }
    assert_eq!(head["terminationGracePeriodSeconds"], 30);
    assert!(!head["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "X"));
    assert_eq!(head["containers"][0]["resources"]["requests"]["cpu"], "50m");
    assert_eq!(head_obj["spec"]["replicas"], 2);
    find(&docs, "PodDisruptionBudget", "r-search-indexer-head");
    for d in &docs {
        if d["kind"] != "Pod" {
            assert_eq!(
                d["metadata"]["annotations"]["team"], "search",
                "{} {}",
                d["kind"], d["metadata"]["name"]
            );
        }
    }
    // The Flow's secrets stay with the executor (prod values give the indexer one).
    let docs = chart
        .values(common::root().join("examples/search.values-prod.yaml"))
        .render()
        .docs;
    let env_names = |obj: &J| -> Vec<String> {
        obj["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        env_names(find(&docs, "Deployment", "r-search-indexer-0")).contains(&"DB_PASSWORD".into())
    );
    assert!(
        !env_names(find(&docs, "Deployment", "r-search-indexer-head"))
            .contains(&"DB_PASSWORD".into())
    );
}

#[test]
fn routes_and_the_ingress_reach_every_protocol() {
    let chart = Chart::example("search").release("r");
    let rules = chart.dir().with_file_name("rules.yaml");
    std::fs::write(
        &rules,
        unindent(
            "
            gateway:
              httpRoute:
                rules:
                  - matches: [{path: {type: PathPrefix, value: /}}]
                  - matches: [{path: {type: PathPrefix, value: /ws}}]
                    protocol: websocket
            ",
        ),
    )
    .unwrap();
    let mut for_routes = chart.clone().values(&rules);
    for (key, value) in [
        ("gateway.protocols", "{grpc,http,websocket}"),
        ("gateway.service.ports.http", "80"),
        ("gateway.httpRoute.enabled", "true"),
        ("gateway.grpcRoute.enabled", "true"),
        ("gateway.grpcRoute.hostnames", "{grpc.example.com}"),
        ("gateway.ingress.enabled", "true"),
        ("gateway.ingress.hosts[0].host", "flow.example.com"),
        ("gateway.ingress.hosts[0].paths[0].path", "/"),
        ("gateway.ingress.hosts[0].paths[0].pathType", "Prefix"),
        ("gateway.ingress.hosts[0].paths[1].path", "/ws"),
        ("gateway.ingress.hosts[0].paths[1].pathType", "Prefix"),
        ("gateway.ingress.hosts[0].paths[1].protocol", "websocket"),
        ("gateway.ingress.protocol", "http"),
    ] {
        for_routes = for_routes.set(key, value);
    }
    let websocket_only = chart
        .set("gateway.protocols", "{grpc,websocket}")
        .set("gateway.httpRoute.enabled", true);
    let port = |r: &J| r["spec"]["rules"][0]["backendRefs"][0]["port"].clone();
    for (r, ws) in for_routes
        .render_both_helms()
        .into_iter()
        .zip(websocket_only.render_both_helms())
    {
        let http = r.get("HTTPRoute", "r-search-gateway");
        assert_eq!(port(http), 80);
        // Every protocol reachable: a rule of its own for websocket.
        assert_eq!(http["spec"]["rules"][1]["backendRefs"][0]["port"], 8082);
        assert!(http["spec"]["rules"][1]["protocol"].is_null());
        let grpc = r.get("GRPCRoute", "r-search-gateway");
        assert_eq!(port(grpc), 8080);
        assert_eq!(grpc["spec"]["hostnames"][0], "grpc.example.com");
        let ing = r.get("Ingress", "r-search-gateway");
        let paths = &ing["spec"]["rules"][0]["http"]["paths"];
        // The host and absolute Prefix paths as given (not in the API server's dry-run matrix).
        assert_eq!(ing["spec"]["rules"][0]["host"], "flow.example.com");
        assert_eq!(
            (&paths[0]["path"], &paths[0]["pathType"], &paths[1]["path"]),
            (&J::from("/"), &J::from("Prefix"), &J::from("/ws"))
        );
        assert_eq!(paths[0]["backend"]["service"]["port"]["number"], 80);
        assert_eq!(paths[1]["backend"]["service"]["port"]["number"], 8082);
        // The websocket protocol through the HTTPRoute.
        assert_eq!(
            port(ws.get("HTTPRoute", "r-search-gateway")),
            8081,
            "{}",
            ws.helm
        );
    }
}

// ---------------------------------------------------------------- NetworkPolicy from the graph

/// A pod as a NetworkPolicy sees it: namespace, namespace labels, pod labels, and the ports its
/// containers serve.
struct Pod {
    name: String,
    ns: String,
    ns_labels: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
    ports: Vec<i64>,
}

fn string_map(v: &J) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn selects(sel: &J, labels: &BTreeMap<String, String>) -> bool {
    assert!(
        sel["matchExpressions"].is_null(),
        "matchExpressions not modelled: {sel}"
    );
    string_map(&sel["matchLabels"])
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v))
}

/// Whether a peer list (`from`/`to`, absent: everyone) admits `pod`, for a policy in `ns`.
fn peers_admit(peers: &J, ns: &str, pod: &Pod) -> bool {
    let Some(peers) = peers.as_array() else {
        return true;
    };
    if peers.is_empty() {
        return true;
    }
    peers.iter().any(|p| {
        if !p["ipBlock"].is_null() {
            return false; // pods of the cluster are not in the external blocks the chart names
        }
        let ns_ok = if p["namespaceSelector"].is_null() {
            pod.ns == ns
        } else {
            selects(&p["namespaceSelector"], &pod.ns_labels)
        };
        let pod_ok = p["podSelector"].is_null() || selects(&p["podSelector"], &pod.labels);
        ns_ok && pod_ok
    })
}

fn ports_admit(ports: &J, port: i64, proto: &str) -> bool {
    let Some(ports) = ports.as_array() else {
        return true;
    };
    ports.is_empty()
        || ports.iter().any(|p| {
            p["protocol"].as_str().unwrap_or("TCP") == proto
                && (p["port"].is_null() || p["port"] == port)
        })
}

/// NetworkPolicy semantics: a pod selected by a policy of a direction is isolated in it, and
/// then only what one of those policies' rules admits gets through.
fn allowed(policies: &[&J], src: &Pod, dst: &Pod, port: i64, proto: &str) -> bool {
    let side = |pod: &Pod, dir: &str, key: &str, peer: &Pod| {
        let mine: Vec<&&J> = policies
            .iter()
            .filter(|p| {
                p["metadata"]["namespace"] == pod.ns.as_str()
                    && p["spec"]["policyTypes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| {
                            t == &J::from(if dir == "ingress" {
                                "Ingress"
                            } else {
                                "Egress"
                            })
                        })
                    && selects(&p["spec"]["podSelector"], &pod.labels)
            })
            .collect();
        mine.is_empty()
            || mine.iter().any(|p| {
                p["spec"][dir].as_array().into_iter().flatten().any(|rule| {
                    peers_admit(&rule[key], &pod.ns, peer)
                        && ports_admit(&rule["ports"], port, proto)
                })
            })
    };
    side(dst, "ingress", "from", src) && side(src, "egress", "to", dst)
}

fn release_pods(docs: &[J]) -> Vec<Pod> {
    let demo = BTreeMap::from([(
        "kubernetes.io/metadata.name".to_string(),
        "demo".to_string(),
    )]);
    docs.iter()
        .filter_map(|d| {
            let (meta, spec) = match d["kind"].as_str()? {
                "Deployment" | "StatefulSet" => (
                    &d["spec"]["template"]["metadata"],
                    &d["spec"]["template"]["spec"],
                ),
                "Pod" => (&d["metadata"], &d["spec"]),
                _ => return None,
            };
            let ports = spec["containers"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
                .map(|p| p["containerPort"].as_i64().unwrap())
                .collect();
            Some(Pod {
                name: d["metadata"]["name"].as_str().unwrap().to_string(),
                ns: "demo".into(),
                ns_labels: demo.clone(),
                labels: string_map(&meta["labels"]),
                ports,
            })
        })
        .collect()
}

/// The connections the Flow makes, from `flowhelm check`'s topology: the gateway calls every
/// executor the graph reaches (through its head when sharded), a head calls its shards. Object
/// names as the chart gives them to release `r` of chart `c`.
fn expected_edges(flow: &Path) -> (BTreeSet<(String, String)>, Vec<String>) {
    let topo = Test::new()
        .args(["check", "--format", "json"])
        .arg(flow)
        .run()
        .stdout_json();
    let gateway = !topo["gateway"].is_null();
    let reached: BTreeSet<&str> = topo["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[1].as_str().unwrap())
        .collect();
    let mut edges = BTreeSet::new();
    let mut entries = Vec::new();
    for x in topo["executors"].as_array().unwrap() {
        if x["external"] == true {
            continue;
        }
        let dns = x["object_name"].as_str().unwrap();
        let shards = x["shards"].as_i64().unwrap();
        let entry = if shards > 1 {
            format!("r-c-{dns}-head")
        } else {
            format!("r-c-{dns}")
        };
        if shards > 1 {
            for i in 0..shards {
                edges.insert((entry.clone(), format!("r-c-{dns}-{i}")));
            }
        }
        if gateway {
            assert!(reached.contains(x["name"].as_str().unwrap()), "{x}");
            edges.insert(("r-c-gateway".to_string(), entry));
        } else {
            entries.push(entry);
        }
    }
    if gateway {
        entries.push("r-c-gateway".into());
    }
    (edges, entries)
}

#[test]
fn network_policies_allow_exactly_the_flows_edges() {
    let tmp = TempDir::new("netpol");
    let (_, helm) = &helms()[1];
    let args = [
        "--set", "networkPolicy.enabled=true",
        "--set", "networkPolicy.egress.enabled=true",
        "--set", "networkPolicy.clients[0].namespaceSelector.matchLabels.team=clients",
        "--set", "networkPolicy.metrics[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring",
        "--set", "executorDefaults.monitoring=true",
        "--set", "gateway.monitoring=true",
    ];
    let mut checked = 0;
    for (i, (flow, _)) in flows().into_iter().enumerate() {
        let chart = tmp.path().join(format!("c{i}"));
        generate_chart(&flow, &chart, "c");
        let mut all = args.to_vec();
        let hasgw = std::fs::read_to_string(chart.join("values.yaml"))
            .unwrap()
            .contains("httpRoute:");
        if !hasgw {
            all.truncate(all.len() - 2);
        }
        let docs = documents(&render(helm, &chart, tmp.path(), "r", "demo", &all));
        let context = flow.display().to_string();
        valid(&docs, &context);
        let policies = of_kind(&docs, "NetworkPolicy");
        let pods = release_pods(&docs);
        // Every workload is covered, and the test Pod when there is a gateway.
        let covered = policies
            .iter()
            .filter(|p| !p["spec"]["podSelector"]["matchLabels"]["app"].is_null())
            .count();
        assert_eq!(covered, workloads(&docs).len(), "{context}");
        assert_eq!(policies.len() - covered, usize::from(hasgw), "{context}");
        let (edges, entries) = expected_edges(&flow);
        // The protocol ports each pod serves (not metrics, not uses_before/after's).
        let serving = |p: &Pod| -> Vec<i64> {
            p.ports
                .iter()
                .copied()
                .filter(|&n| (8080..8083).contains(&n))
                .collect()
        };
        for src in &pods {
            for dst in &pods {
                if src.name == dst.name {
                    continue;
                }
                let edge = edges.contains(&(src.name.clone(), dst.name.clone()));
                // The helm test Pod asks every workload, a head's uses_before/after too.
                let test = src
                    .labels
                    .get("app.kubernetes.io/component")
                    .map(String::as_str)
                    == Some("test");
                for port in &dst.ports {
                    let ok = allowed(&policies, src, dst, *port, "TCP");
                    let sidecar = dst.name.ends_with("-head") && (8078..8080).contains(port);
                    let want = ((edge || test) && serving(dst).contains(port)) || (test && sidecar);
                    assert_eq!(ok, want, "{context}: {} -> {}:{port}", src.name, dst.name);
                }
            }
        }
        // Outside the release: the clients' namespace reaches the entry point only, on its
        // protocol ports; the monitoring namespace reaches only metrics ports; others nothing.
        let outsider = |ns: &str, labels: &[(&str, &str)]| Pod {
            name: format!("{ns}-pod"),
            ns: ns.into(),
            ns_labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            labels: BTreeMap::new(),
            ports: vec![],
        };
        let clients = outsider(
            "web",
            &[("team", "clients"), ("kubernetes.io/metadata.name", "web")],
        );
        let prom = outsider(
            "monitoring",
            &[("kubernetes.io/metadata.name", "monitoring")],
        );
        let other = outsider("other", &[("kubernetes.io/metadata.name", "other")]);
        for dst in &pods {
            for port in &dst.ports {
                let entry = entries.contains(&dst.name) && serving(dst).contains(port);
                let metrics = (9090..9093).contains(port);
                assert_eq!(
                    allowed(&policies, &clients, dst, *port, "TCP"),
                    entry,
                    "{context}: clients -> {}:{port}",
                    dst.name
                );
                assert_eq!(
                    allowed(&policies, &prom, dst, *port, "TCP"),
                    metrics,
                    "{context}: monitoring -> {}:{port}",
                    dst.name
                );
                assert!(
                    !allowed(&policies, &other, dst, *port, "TCP"),
                    "{context}: other -> {}:{port}",
                    dst.name
                );
            }
        }
        // DNS is reachable from every workload, and nothing else outside the release.
        let dns = Pod {
            name: "coredns".into(),
            ns: "kube-system".into(),
            ns_labels: BTreeMap::from([(
                "kubernetes.io/metadata.name".into(),
                "kube-system".into(),
            )]),
            labels: BTreeMap::from([("k8s-app".into(), "kube-dns".into())]),
            ports: vec![53],
        };
        // DNS is allowed by port, wherever it runs: OpenShift's DNS pods listen on 5353.
        let openshift_dns = Pod {
            name: "dns-default".into(),
            ns: "openshift-dns".into(),
            ns_labels: BTreeMap::from([(
                "kubernetes.io/metadata.name".into(),
                "openshift-dns".into(),
            )]),
            labels: BTreeMap::from([(
                "dns.operator.openshift.io/daemonset-dns".into(),
                "default".into(),
            )]),
            ports: vec![5353],
        };
        for src in pods.iter().filter(|p| p.labels.contains_key("app")) {
            assert!(
                allowed(&policies, src, &dns, 53, "UDP")
                    && allowed(&policies, src, &dns, 53, "TCP")
                    && allowed(&policies, src, &openshift_dns, 5353, "UDP")
            );
            // (Port 7: external executors' ports are open to any address, tested apart.)
            assert!(
                !allowed(&policies, src, &other, 7, "TCP"),
                "{context}: {} -> other:7",
                src.name
            );
        }
        checked += 1;
    }
    assert!(checked >= 16);
}

#[test]
fn external_executors_are_reachable_through_the_gateways_egress() {
    let chart = Chart::example("summarizer")
        .release("r")
        .set("networkPolicy.enabled", true)
        .set("networkPolicy.egress.enabled", true);
    let port_443 = |r: &&J| r["ports"] == serde_json::json!([{"protocol": "TCP", "port": 443}]);
    let by_ip = chart
        .clone()
        .set("executors.moderation.external.hosts", "{192.0.2.7}");
    for (r, ip) in chart
        .render_both_helms()
        .into_iter()
        .zip(by_ip.render_both_helms())
    {
        // moderation.internal.example.com:443: its port to any address (a policy cannot name a
        // host); with an IP literal, that address alone.
        let egress = r.get("NetworkPolicy", "r-summarizer-gateway")["spec"]["egress"]
            .as_array()
            .unwrap();
        assert!(
            egress.iter().filter(port_443).all(|r| r["to"].is_null()),
            "{}: {egress:?}",
            r.helm
        );
        assert_eq!(egress.iter().filter(port_443).count(), 1, "{}", r.helm);
        let egress = ip.get("NetworkPolicy", "r-summarizer-gateway")["spec"]["egress"]
            .as_array()
            .unwrap();
        let rule = egress.iter().find(port_443).unwrap();
        assert_eq!(
            rule["to"],
            serde_json::json!([{"ipBlock": {"cidr": "192.0.2.7/32"}}]),
            "{}",
            ip.helm
        );
    }
}

/// checkov's score of a render, and the ids of the checks that fail.
fn checkov(yaml: &str, tmp: &Path, tag: &str) -> (f64, BTreeSet<String>) {
    let file = tmp.join(format!("{tag}.yaml"));
    std::fs::write(&file, yaml).unwrap();
    let o = std::process::Command::new(common::root().join("scripts/checkov-score"))
        .arg(&file)
        .arg("--list")
        .output()
        .unwrap();
    assert!(o.status.success(), "checkov-score: {}", common::stderr(&o));
    let out = stdout(&o);
    let first = out.lines().next().unwrap();
    let pct: f64 = first
        .strip_prefix("checkov score ")
        .and_then(|r| r.split('%').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected checkov-score output: {out}"));
    let failing = out
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("CKV"))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    (pct, failing)
}

#[test]
fn the_hardened_profile_lifts_checkov_on_the_production_example() {
    // The chart README lists what still fails, and why: images not pinned by digest (the
    // digests are the environment's) and Secrets passed as environment variables (Jina's
    // env_from_secret design). Everything else passes.
    let tmp = TempDir::new("checkov");
    let chart = search_chart(&tmp);
    let (_, helm) = &helms()[1];
    let prod = common::root().join("examples/search.values-prod.yaml");
    let hardened = chart.join("values-hardened.yaml");
    let (prod, hardened) = (prod.display().to_string(), hardened.display().to_string());
    let yaml = render(
        helm,
        &chart,
        tmp.path(),
        "r",
        "demo",
        &["-f", &hardened, "-f", &prod],
    );
    semantic::assert_no_errors(&documents(&yaml), "hardened + prod");
    let (pct, failing) = checkov(&yaml, tmp.path(), "hardened");
    assert!(
        pct >= 97.0,
        "checkov {pct}% on hardened + prod: {failing:?}"
    );
    let expected: BTreeSet<String> = ["CKV_K8S_35", "CKV_K8S_43"]
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    assert_eq!(failing, expected);
    // Without the profile the figure is lower (recorded in docs/operations.md).
    let plain = render(helm, &chart, tmp.path(), "r", "demo", &["-f", &prod]);
    let (plain_pct, _) = checkov(&plain, tmp.path(), "prod");
    assert!(plain_pct < pct, "{plain_pct} vs {pct}");
}
