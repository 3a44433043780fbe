//! Semantic parity with `jina export kubernetes` (jina 3.34.0): for every reference case in
//! tests/fixtures/jina-reference, the chart rendered with default values by real helm must start
//! the same workloads, containers, arguments (JSON compared parsed), env, ConfigMap data, ports,
//! probes, resources, volumes, Services and annotations as Jina's own export. Names may differ
//! only by the release prefix. Every difference is reported as `object/field: jina=… flowhelm=…`
//! and fails the test unless it is on the commented allow-list of deliberate fixes below (each is
//! documented in docs/flows.md). A second set renders a chart with changed values and compares it
//! with Jina's export of the Flow edited the same way.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common;
use crate::common::k8s::{documents, render};
use crate::common::{flowhelm, helms, stderr, TempDir};
use serde_json::Value as J;

/// Release "rel" of a chart named "demo": objects are called `rel-demo-<jina object name>`.
const PREFIX: &str = "rel-demo-";

/// Jina's probes run `jina ping`, and Jina passes `--replicas` in every pod's arguments; the
/// chart's defaults are Kubernetes' own gRPC / HTTP checks and the count in `spec.replicas` alone
/// (docs/flows.md, deliberate differences), so parity is checked with the chart's `jina-ping`
/// probes and `replicasArg`, for the executors and, when the chart has one, the gateway.
fn with_jina_probes<'a>(chart: &Path, set: &[&'a str]) -> Vec<&'a str> {
    let schema: J =
        serde_json::from_str(&std::fs::read_to_string(chart.join("values.schema.json")).unwrap())
            .unwrap();
    // As on a cluster serving the Prometheus Operator's kind, where Jina's ServiceMonitors apply.
    let mut args = vec![
        "--set",
        "executorDefaults.probes.type=jina-ping",
        "--set",
        "executorDefaults.replicasArg=true",
        "--api-versions",
        "monitoring.coreos.com/v1/ServiceMonitor",
    ];
    if !schema["properties"]["gateway"]["properties"]["probes"].is_null() {
        args.extend([
            "--set",
            "gateway.probes.type=jina-ping",
            "--set",
            "gateway.replicasArg=true",
        ]);
    }
    args.extend_from_slice(set);
    args
}

/// Deliberate deviations, each a fix of a Jina defect documented in docs/flows.md:
/// (case globs, object glob, field glob, why). `*` matches any run of characters; `|` separates
/// the cases an entry is for. Cases are those of `jina-reference/` and of the corpus.
const ALLOWED: &[(&str, &str, &str, &str)] = &[
    // Jina's ConfigMap key is lower case, so PYTHONUNBUFFERED is never set; we add the real one.
    (
        "*",
        "*",
        "data.PYTHONUNBUFFERED",
        "ConfigMap: PYTHONUNBUFFERED added",
    ),
    // Jina passes `--timeout 9500` as ONE argv element (ignored by `jina ping`); in head pods with
    // uses_before/after the target is additionally corrupted by a template mis-indentation.
    (
        "*",
        "*",
        "container.*.livenessProbe",
        "liveness probe: `--timeout` and `9500` are two arguments",
    ),
    // Head templates with uses_before/after ping `127.0.0.1:{port_uses}` (never filled) and drop
    // the scheme; every probe here targets `<scheme>://127.0.0.1:<own port>`.
    (
        "*",
        "*-head",
        "container.*.startupProbe",
        "head/sidecar startup probe: real port and scheme",
    ),
    // head, uses-before and uses-after share one network namespace: Jina gives all of them 9090.
    (
        "*",
        "*-head",
        "container.uses-*.args.--port-monitoring",
        "sidecar metrics ports 9091/9092",
    ),
    // StatefulSets: Jina emits a Deployment `strategy` (invalid), mounts only the first volume at
    // the raw `host:container` string and names one claim `<name>-volume`.
    (
        "*volumes*",
        "*",
        "strategy",
        "StatefulSet uses updateStrategy",
    ),
    (
        "*volumes*",
        "*",
        "volumeClaimTemplates",
        "one claim per volume",
    ),
    (
        "*volumes*",
        "*",
        "container.executor.volumeMounts",
        "every volume, mounted at its container path",
    ),
    // volumes + uses_before/after: Jina's StatefulSet template wins for the head, which then has
    // a pointless claim, no uses-before/after containers (yet passes their addresses) and
    // K8S_STATEFULSET_NAME. The head here stays a Deployment running its sidecars.
    (
        "29-volumes-sharded-uses-before",
        "*-head",
        "kind",
        "head of a volume executor: Deployment",
    ),
    (
        "29-volumes-sharded-uses-before",
        "*-head",
        "containers",
        "head runs its uses-before/after",
    ),
    (
        "29-volumes-sharded-uses-before",
        "*-head",
        "container.uses-*",
        "head runs its uses-before/after",
    ),
    (
        "29-volumes-sharded-uses-before",
        "*-head",
        "container.executor.env.K8S_*",
        "head is a Deployment",
    ),
    // `timeout_ready: -1` ("wait for ever"): Jina's startup probe gives up after 10 minutes; ours
    // allows the largest threshold Kubernetes takes.
    (
        "25-gpus-plus-one|31-dalle-style-dag",
        "*",
        "container.executor.startupProbe",
        "timeout_ready -1: the largest failure threshold",
    ),
    // A gateway `host` in the Flow: Jina passes it on (a gateway bound to 127.0.0.1 is out of
    // reach of its Service); the chart's gateway listens on every address of its pod.
    (
        "27-chart-owned-options",
        "gateway",
        "container.gateway.args.--host",
        "the gateway listens on every address",
    ),
    // `$VAR` and `${VAR}` are expanded from the exporting machine by Jina (here the oracle's
    // HOME); the chart keeps them for the executor to expand from its own environment.
    (
        "35-dollar-var-kept",
        "downloader",
        "container.executor.args.--uses-with",
        "$VAR kept for the pod",
    ),
    // `gpus: all` yields no limit at all in Jina; we request one GPU and warn.
    (
        "17-gpus",
        "gpu-all",
        "container.executor.resources",
        "gpus: all → nvidia.com/gpu: 1",
    ),
    // `jcloud:` blocks, which Jina ignores, are translated (README, "Coming from JCloud"): a
    // shared GPU is `gpus: 1` (`--gpus`, a GPU executor's rollout) and `ebs` storage a claim.
    (
        "07-jcloud-everywhere",
        "encoder",
        "container.executor.args.--gpus",
        "jcloud GPU → gpus",
    ),
    (
        "07-jcloud-everywhere",
        "encoder",
        "strategy",
        "jcloud GPU → GPU rollout",
    ),
    (
        "07-jcloud-everywhere",
        "indexer",
        "kind",
        "jcloud storage → StatefulSet",
    ),
    (
        "07-jcloud-everywhere",
        "indexer",
        "strategy",
        "jcloud storage → StatefulSet",
    ),
    (
        "07-jcloud-everywhere",
        "indexer",
        "volumeClaimTemplates",
        "jcloud storage → claim",
    ),
    (
        "07-jcloud-everywhere",
        "indexer",
        "container.executor.volumeMounts",
        "jcloud storage → claim",
    ),
    (
        "07-jcloud-everywhere",
        "indexer",
        "container.executor.env.K8S_*",
        "jcloud storage → StatefulSet",
    ),
    // A StatefulSet's pods get DNS names from a governing headless Service, next to the
    // ordinary one that carries traffic (Jina gives StatefulSets no serviceName).
    (
        "*",
        "*-headless",
        "<object>",
        "StatefulSet governing Service",
    ),
    // One Service per workload with a named port per protocol, instead of one Service per
    // extra protocol.
    (
        "*",
        "*-1-http",
        "<object>",
        "one Service, a port per protocol",
    ),
    (
        "*",
        "*-2-websocket",
        "<object>",
        "one Service, a port per protocol",
    ),
    (
        "*",
        "*-1-grpc",
        "<object>",
        "one Service, a port per protocol",
    ),
    (
        "*",
        "*-1-websocket",
        "<object>",
        "one Service, a port per protocol",
    ),
    (
        "12-gateway-multi-protocol|07-jcloud-everywhere|32-custom-gateway|37-protocols-and-ports-alias",
        "gateway",
        "ports",
        "one Service, a port per protocol",
    ),
    (
        "17-deployment-gateway-section",
        "classifier",
        "ports",
        "one Service, a port per protocol",
    ),
    (
        "17-deployment-gateway-section",
        "classifier",
        "container.executor.ports",
        "every protocol's port declared",
    ),
    // Metrics ports are declared on the containers that serve them.
    (
        "21-monitoring|33-now-style-secrets",
        "*",
        "container.*.ports",
        "metrics ports declared",
    ),
    (
        "28-shards-head-inherit",
        "*",
        "container.*.ports",
        "metrics ports declared",
    ),
    // A GPU executor rolls without a spare GPU: no surge, one pod down at a time.
    (
        "17-gpus|25-gpus-plus-one|31-dalle-style-dag",
        "*",
        "strategy",
        "GPU executors roll without a surge",
    ),
    (
        "28-shards-head-inherit",
        "gpu-indexer-*",
        "strategy",
        "GPU executors roll without a surge",
    ),
    // Jina's pods request nothing, so they are BestEffort (evicted first under memory
    // pressure): every container of Jina's requests 100m CPU and 256Mi here.
    (
        "*",
        "*",
        "container.*.resources",
        "requests for every Jina container",
    ),
    // Jina hands a sharded executor's Secrets to its head, a router that runs no executor
    // code; the head here gets only its own (`head.envFromSecret`).
    (
        "28-shards-head-inherit",
        "*-head",
        "container.executor.env.DB_PASSWORD",
        "heads do not get the executor's Secrets",
    ),
    // The helm test's script and what it asks (Jina's test, if any, is not exported).
    ("*", "gateway-test", "<object>", "helm test ConfigMap"),
    // A head's uses_before/after containers are on its Service, for the helm test's version
    // check.
    (
        "*",
        "*-head",
        "ports",
        "uses_before/after ports on the head's Service",
    ),
    // An external executor with several hosts: Jina uses only the first; we address them all.
    (
        "27-external-variants|15-external-ports-as-text",
        "gateway",
        "container.gateway.args.--deployments-addresses",
        "every external host",
    ),
];

fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| glob(rest, &text[head.len() + i..]))
        }
    }
}

/// The allow-list entries covering a difference (empty: not allowed).
fn allowing(case: &str, object: &str, field: &str) -> Vec<usize> {
    ALLOWED
        .iter()
        .enumerate()
        .filter(|(_, (c, o, f, _))| {
            c.split('|').any(|c| glob(c, case)) && glob(o, object) && glob(f, field)
        })
        .map(|(i, _)| i)
        .collect()
}

/// JSON with sorted keys, the release prefix taken out of strings, and numbers as Jina's
/// `json.loads` reads them (`1.0` is a float, `1` an integer).
fn canonical(v: &J) -> String {
    common::canonical_json(v, &|s| s.replace(PREFIX, ""))
}

fn text(v: &J) -> String {
    match v {
        J::String(s) => s.replace(PREFIX, ""),
        J::Null => "<none>".into(),
        other => canonical(other),
    }
}

/// A value of an argument: JSON compared parsed, anything else as text.
fn arg_value(values: &[String]) -> String {
    let joined = values.join(" ");
    match serde_json::from_str::<J>(&joined) {
        Ok(v @ (J::Object(_) | J::Array(_))) => canonical(&v),
        _ => joined.replace(PREFIX, ""),
    }
}

type Facts = BTreeMap<String, BTreeMap<String, String>>;

fn container_facts(c: &J, facts: &mut BTreeMap<String, String>) {
    let name = c["name"].as_str().unwrap_or_default();
    let mut put = |k: &str, v: String| {
        facts.insert(format!("container.{name}.{k}"), v);
    };
    put("image", text(&c["image"]));
    put("imagePullPolicy", text(&c["imagePullPolicy"]));
    put("command", text(&c["command"]));
    let args: Vec<String> = c["args"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a.as_str().unwrap_or_default().to_string())
        .collect();
    put("args[0]", args.first().cloned().unwrap_or_default());
    let mut flags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = None;
    for a in args.iter().skip(1) {
        if a.starts_with("--") {
            flags.entry(a.clone()).or_default();
            current = Some(a.clone());
        } else if let Some(f) = &current {
            flags.get_mut(f).unwrap().push(a.clone());
        } else {
            put("args.<positional>", a.clone());
        }
    }
    for (f, values) in flags {
        put(&format!("args.{f}"), arg_value(&values));
    }
    for e in c["env"].as_array().into_iter().flatten() {
        let n = e["name"].as_str().unwrap_or_default();
        let v = if e.get("value").is_some() {
            text(&e["value"])
        } else {
            canonical(&e["valueFrom"])
        };
        put(&format!("env.{n}"), v);
    }
    put("envFrom", canonical(&c["envFrom"]));
    let ports: Vec<String> = c["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["containerPort"].to_string())
        .collect();
    put("ports", ports.join(","));
    for probe in ["startupProbe", "livenessProbe"] {
        let p = &c[probe];
        put(
            probe,
            format!(
                "{} initial={} period={} timeout={} failure={}",
                text(&p["exec"]["command"]),
                p["initialDelaySeconds"],
                p["periodSeconds"],
                p["timeoutSeconds"],
                p["failureThreshold"]
            ),
        );
    }
    put("lifecycle", canonical(&c["lifecycle"]));
    put("resources", canonical(&c["resources"]));
    put("volumeMounts", canonical(&c["volumeMounts"]));
}

fn facts_of(docs: &[J]) -> Facts {
    let mut all = Facts::new();
    for d in docs {
        let kind = d["kind"].as_str().unwrap_or_default();
        let name = text(&d["metadata"]["name"]);
        let mut f = BTreeMap::new();
        match kind {
            "ConfigMap" => {
                for (k, v) in d["data"].as_object().into_iter().flatten() {
                    f.insert(format!("data.{k}"), text(v));
                }
            }
            "Service" => {
                f.insert("type".into(), text(&d["spec"]["type"]));
                let ports: Vec<String> = d["spec"]["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| format!("{}:{}/{}", p["port"], p["targetPort"], text(&p["protocol"])))
                    .collect();
                f.insert("ports".into(), ports.join(","));
                f.insert("selector.app".into(), text(&d["spec"]["selector"]["app"]));
            }
            "Deployment" | "StatefulSet" => {
                let spec = &d["spec"];
                let pod = &spec["template"];
                f.insert("kind".into(), kind.into());
                f.insert("replicas".into(), spec["replicas"].to_string());
                if kind == "Deployment" || spec.get("strategy").is_some() {
                    f.insert("strategy".into(), canonical(&spec["strategy"]));
                }
                f.insert(
                    "volumeClaimTemplates".into(),
                    canonical(&spec["volumeClaimTemplates"]),
                );
                for l in ["app", "jina_deployment_name", "ns", "pod_type", "shard_id"] {
                    f.insert(format!("label.{l}"), text(&pod["metadata"]["labels"][l]));
                }
                f.insert(
                    "annotation.linkerd".into(),
                    text(&pod["metadata"]["annotations"]["linkerd.io/inject"]),
                );
                f.insert(
                    "imagePullSecrets".into(),
                    canonical(&pod["spec"]["imagePullSecrets"]),
                );
                let containers = pod["spec"]["containers"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                f.insert(
                    "containers".into(),
                    containers
                        .iter()
                        .map(|c| text(&c["name"]))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                for c in &containers {
                    container_facts(c, &mut f);
                }
            }
            "ServiceMonitor" => {
                f.insert("endpoints".into(), canonical(&d["spec"]["endpoints"]));
                f.insert(
                    "selector.app".into(),
                    text(&d["spec"]["selector"]["matchLabels"]["app"]),
                );
            }
            // Objects Jina never emits (Ingress, test Pod, extra objects) are not compared.
            _ => continue,
        }
        // The workload kind is a fact; key Deployments and StatefulSets alike.
        let key_kind = if kind == "StatefulSet" {
            "Deployment"
        } else {
            kind
        };
        all.insert(format!("{key_kind}/{name}"), f);
    }
    all
}

fn jina_docs(case_dir: &Path) -> Vec<J> {
    let mut docs = Vec::new();
    let mut stack = vec![case_dir.join("jina-out")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yml") {
                docs.extend(documents(&std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    docs
}

/// Every difference as `object/field: jina=… flowhelm=…`, split into (unexpected, allowed).
fn diff(case: &str, jina: &Facts, ours: &Facts) -> (Vec<String>, Vec<usize>) {
    let (mut bad, mut ok) = (Vec::new(), Vec::new());
    let none = BTreeMap::new();
    for obj in jina
        .keys()
        .chain(ours.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (j, o) = (jina.get(obj), ours.get(obj));
        if j.is_none() || o.is_none() {
            let short = obj.split_once('/').map_or(obj.as_str(), |(_, n)| n);
            let allowed = allowing(case, short, "<object>");
            if allowed.is_empty() {
                bad.push(format!(
                    "{obj}: jina={} flowhelm={}",
                    if j.is_some() { "present" } else { "absent" },
                    if o.is_some() { "present" } else { "absent" }
                ));
            } else {
                ok.extend(allowed);
            }
            continue;
        }
        let (j, o) = (j.unwrap_or(&none), o.unwrap_or(&none));
        for field in j
            .keys()
            .chain(o.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (jv, ov) = (
                j.get(field).map_or("<none>", String::as_str),
                o.get(field).map_or("<none>", String::as_str),
            );
            if jv != ov {
                let line = format!("{obj}/{field}: jina={jv} flowhelm={ov}");
                let short = obj.split_once('/').map_or(obj.as_str(), |(_, n)| n);
                let allowed = allowing(case, short, field);
                if allowed.is_empty() {
                    bad.push(line);
                } else {
                    ok.extend(allowed);
                }
            }
        }
    }
    (bad, ok)
}

/// The `JINA_GATEWAY_IMAGE` a case was exported with (from its cmd.txt).
fn gateway_image(dir: &Path) -> String {
    let cmd = std::fs::read_to_string(dir.join("cmd.txt")).unwrap();
    cmd.split_whitespace()
        .find_map(|w| w.strip_prefix("JINA_GATEWAY_IMAGE="))
        .expect("cmd.txt names the gateway image")
        .to_string()
}

/// The namespace Jina exported a case into (`--k8s-namespace`, or the Flow name, or `default`).
fn namespace(jina: &[J]) -> String {
    jina.iter()
        .find_map(|d| d["metadata"]["namespace"].as_str())
        .unwrap_or("default")
        .to_string()
}

/// A reference case's directory: `tests/fixtures/jina-reference/<case>`, or a corpus Flow.
fn case_dir(case: &str) -> std::path::PathBuf {
    let reference = common::fixtures().join("jina-reference").join(case);
    if reference.is_dir() {
        reference
    } else {
        common::fixtures().join("corpus").join(case)
    }
}

fn chart_for(case: &str, tmp: &Path) -> std::path::PathBuf {
    let dir = case_dir(case);
    let out = tmp.join(case);
    if !out.exists() {
        let mut cmd = flowhelm();
        cmd.env("JINA_GATEWAY_IMAGE", gateway_image(&dir));
        // The variables the case was exported with (`${{ ENV.X }}`), as Jina saw them.
        for line in std::fs::read_to_string(dir.join("env"))
            .unwrap_or_default()
            .lines()
        {
            if let Some((k, v)) = line.split_once('=') {
                cmd.env(k, v);
            }
        }
        let o = cmd
            .arg("chart")
            .arg(dir.join("flow.yml"))
            .arg("-o")
            .arg(&out)
            .args(["--name", "demo"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{case}: {}", stderr(&o));
    }
    out
}

fn compare(chart_case: &str, set: &[&str], jina_case: &str, tmp: &Path) -> Vec<String> {
    let chart = chart_for(chart_case, tmp);
    let jina_objects = jina_docs(&case_dir(jina_case));
    let ns = namespace(&jina_objects);
    let jina = facts_of(&jina_objects);
    let compared: usize = jina.values().map(BTreeMap::len).sum();
    assert!(
        jina.len() >= 3 && compared >= 30,
        "{jina_case}: only {compared} facts from Jina's export"
    );
    let mut report = Vec::new();
    for (hname, helm) in helms() {
        let args = with_jina_probes(&chart, set);
        let ours = facts_of(&documents(&render(&helm, &chart, tmp, "rel", &ns, &args)));
        let (bad, _) = diff(jina_case, &jina, &ours);
        report.extend(
            bad.into_iter()
                .map(|l| format!("{chart_case} {set:?} vs jina {jina_case} ({hname}): {l}")),
        );
    }
    report
}

fn cases() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(common::fixtures().join("jina-reference"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("jina-out").is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The corpus Flows flowhelm accepts (each has Jina's export).
fn corpus_cases() -> Vec<String> {
    crate::corpus::cases()
        .into_iter()
        .filter(super::corpus::Case::accepted)
        .map(|c| c.name)
        .collect()
}

#[test]
fn every_accepted_corpus_flow_runs_jina_as_jinas_export_does() {
    let tmp = TempDir::new("parity-corpus");
    let cases = corpus_cases();
    assert!(cases.len() >= 25, "accepted corpus Flows: {}", cases.len());
    let mut report = Vec::new();
    for case in &cases {
        report.extend(compare(case, &[], case, tmp.path()));
    }
    assert!(
        report.is_empty(),
        "{} unexplained differences from Jina's export:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn default_values_run_jina_exactly_as_jina_exports_it() {
    let tmp = TempDir::new("parity");
    let cases = cases();
    assert!(cases.len() >= 33, "reference cases: {}", cases.len());
    let mut report = Vec::new();
    for case in &cases {
        report.extend(compare(case, &[], case, tmp.path()));
    }
    assert!(
        report.is_empty(),
        "{} unexplained differences from Jina's export:\n{}",
        report.len(),
        report.join("\n")
    );
}

/// Changing a value gives what Jina exports for the Flow edited the same way: these pairs of
/// reference Flows differ only in the values set here.
#[test]
fn changed_values_match_jinas_export_of_the_edited_flow() {
    let tmp = TempDir::new("parity-set");
    let pairs: &[(&str, &[&str], &str)] = &[
        (
            "09-gateway-replicas",
            &[
                "--set",
                "executors.encoder.replicas=3",
                "--set",
                "gateway.replicas=1",
            ],
            "02-replicas",
        ),
        (
            "02-replicas",
            &[
                "--set",
                "executors.encoder.replicas=1",
                "--set",
                "gateway.replicas=3",
            ],
            "09-gateway-replicas",
        ),
        (
            "09-gateway-replicas",
            &[
                "--set",
                "gateway.replicas=1",
                "--set",
                "gateway.protocols={http}",
                "--set",
                "gateway.args.cors=true",
            ],
            "10-gateway-http",
        ),
        (
            "14-uses-before-after",
            &[
                "--set",
                "executors.indexer.shards=3",
                "--set",
                "executors.indexer.polling=ANY",
                "--set",
                "executors.indexer.usesBefore.enabled=false",
                "--set",
                "executors.indexer.usesAfter.enabled=false",
            ],
            "03-shards-any",
        ),
        (
            "02-replicas",
            &[
                "--set",
                "executors.encoder.replicas=1",
                "--set",
                "gateway.protocols={websocket}",
            ],
            "11-gateway-websocket",
        ),
        (
            "02-replicas",
            &[
                "--set",
                "executors.encoder.replicas=1",
                "--set",
                "gateway.protocols={grpc,http,websocket}",
            ],
            "12-gateway-multi-protocol",
        ),
        (
            "14-uses-before-after",
            &[
                "--set",
                "executors.indexer.usesBefore.enabled=false",
                "--set",
                "executors.indexer.usesAfter.enabled=false",
            ],
            "04-shards-all",
        ),
        (
            "03-shards-any",
            &[
                "--set",
                "executors.indexer.shards=2",
                "--set",
                "executors.indexer.polling=ALL",
            ],
            "04-shards-all",
        ),
        (
            "04-shards-all",
            &[
                "--set",
                "executors.indexer.shards=3",
                "--set",
                "executors.indexer.polling=ANY",
            ],
            "03-shards-any",
        ),
        // uses_before/after kept as values start once the executor is sharded, and vanish again.
        (
            "38-uses-before-unsharded",
            &[
                "--set",
                "executors.indexer.shards=2",
                "--set",
                "executors.indexer.polling=ALL",
            ],
            "14-uses-before-after",
        ),
        (
            "14-uses-before-after",
            &[
                "--set",
                "executors.indexer.shards=1",
                "--set",
                "executors.indexer.polling=ANY",
            ],
            "38-uses-before-unsharded",
        ),
    ];
    let mut report = Vec::new();
    for (chart_case, set, jina_case) in pairs {
        report.extend(compare(chart_case, set, jina_case, tmp.path()));
    }
    assert!(
        report.is_empty(),
        "{} differences:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn every_allowed_deviation_is_exercised() {
    // An allow-list entry that no reference case needs is dead weight (or hides a regression).
    let tmp = TempDir::new("parity-allow");
    let (_, helm) = &helms()[1];
    let mut used = vec![false; ALLOWED.len()];
    for case in cases().into_iter().chain(corpus_cases()) {
        let chart = chart_for(&case, tmp.path());
        let jina_objects = jina_docs(&case_dir(&case));
        let jina = facts_of(&jina_objects);
        let ours = facts_of(&documents(&render(
            helm,
            &chart,
            tmp.path(),
            "rel",
            &namespace(&jina_objects),
            &with_jina_probes(&chart, &[]),
        )));
        for i in diff(&case, &jina, &ours).1 {
            used[i] = true;
        }
    }
    let unused: Vec<_> = ALLOWED
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(a, _)| a.3)
        .collect();
    assert!(
        unused.is_empty(),
        "allow-list entries never needed: {unused:?}"
    );
}

#[test]
fn the_diff_reports_a_changed_argument() {
    // The comparison itself must be able to fail: a changed flag value is reported, not allowed.
    let tmp = TempDir::new("parity-neg");
    let report = compare(
        "02-replicas",
        &["--set", "executors.encoder.replicas=2"],
        "02-replicas",
        tmp.path(),
    );
    assert!(
        report
            .iter()
            .any(|l| l.contains("container.executor.args.--replicas: jina=3 flowhelm=2")),
        "{report:#?}"
    );
}
