//! The render matrix (`charts::render_matrix`: every reference Flow and example × values
//! variants × release names) judged by the real API server: each render is created with
//! `kubectl create --dry-run=server`, which runs every object through the API server's
//! defaulting, validation and admission (PodSecurity included) without storing it. Hardened
//! renders go to a namespace that enforces PodSecurity `restricted`. An API warning fails too:
//! for a workload, PodSecurity's verdict is a warning (only its pods are refused).
//!
//! Kinds whose CRDs the cluster does not serve (ServiceMonitor, HTTPRoute, GRPCRoute) cannot be
//! created, not even in a dry run; the cross-object rules in `common::semantic` judge them.

use std::sync::Mutex;

use serde_json::{json, Value as J};

use crate::charts::render_matrix;
use crate::common::k8s::{documents, try_render};
use crate::common::kube::{cluster, Namespace};
use crate::common::{helms, stderr, TempDir};

/// Kinds of the charts that come from CRDs this cluster does not have.
const WITHOUT_CRD: [&str; 3] = ["ServiceMonitor", "HTTPRoute", "GRPCRoute"];

#[test]
fn the_api_server_accepts_every_render_of_the_matrix() {
    let tmp = TempDir::new("server-matrix");
    let jobs = render_matrix(tmp.path());
    assert!(jobs.len() > 100, "{} renders", jobs.len());
    let (_one, c) = cluster();
    let open = Namespace::new(c, "matrix");
    let restricted = Namespace::enforcing(c, "matrix-restricted", "restricted");
    let (_, helm) = &helms()[1];
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for part in jobs.chunks(jobs.len().div_ceil(2)) {
            let (failures, open, restricted) = (&failures, &open, &restricted);
            let home = tmp.path();
            scope.spawn(move || {
                for (chart, args, release, hardened) in part {
                    let ns = if *hardened { restricted } else { open };
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let context = format!("{} {release} {args:?}", chart.display());
                    let docs = match try_render(helm, chart, home, release, &ns.name, &args) {
                        Ok(y) => documents(&y),
                        Err(e) => {
                            failures.lock().unwrap().push(format!("{context}: {e}"));
                            continue;
                        }
                    };
                    let items: Vec<J> = docs
                        .into_iter()
                        .filter(|d| !WITHOUT_CRD.contains(&d["kind"].as_str().unwrap_or("")))
                        .collect();
                    if let Err(e) = server_accepts(ns, items) {
                        failures.lock().unwrap().push(format!("{context}: {e}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "the API server refuses {} of {} renders:\n{}",
        failures.len(),
        jobs.len(),
        failures.join("\n")
    );
}

/// The charts of the JCloud fixtures (`tests/fixtures/jcloud/`), whose values come from
/// `jcloud:` blocks (instance tiers, claims, autoscalers on CPU and on memory, disruption
/// budgets, node selectors, tolerations, labels written as numbers), accepted by the API server,
/// with the spot preset filled in.
#[test]
fn jcloud_charts_are_accepted_by_the_api_server() {
    let tmp = TempDir::new("server-jcloud");
    let (_one, c) = cluster();
    let ns = Namespace::new(c, "jcloud");
    let (_, helm) = &helms()[1];
    let spot = "global.capacity.spot.nodeSelector.karpenter\\.sh/capacity-type=spot";
    let mut autoscalers = 0;
    for (i, case) in crate::jcloud::cases().iter().enumerate() {
        let chart = tmp.path().join(format!("c{i}"));
        crate::common::generate_chart(&case.join("flow.yml"), &chart, "demo");
        let yaml = try_render(helm, &chart, tmp.path(), "rel", &ns.name, &["--set", spot])
            .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        let items: Vec<J> = documents(&yaml)
            .into_iter()
            .filter(|d| !WITHOUT_CRD.contains(&d["kind"].as_str().unwrap_or("")))
            .collect();
        autoscalers += items
            .iter()
            .filter(|d| d["kind"] == "HorizontalPodAutoscaler")
            .count();
        if let Err(e) = server_accepts(&ns, items) {
            panic!("{}: {e}", case.display());
        }
    }
    // Encoder, ranker (01) and the Deployment's executor (02): on CPU and on memory.
    assert_eq!(autoscalers, 3);
}

/// Creates `items` with `--dry-run=server`: every one accepted, without a warning.
fn server_accepts(ns: &Namespace, items: Vec<J>) -> Result<(), String> {
    let n = items.len();
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    let args = [
        "create",
        "--dry-run=server",
        "-n",
        &ns.name,
        "-o",
        "name",
        "-f",
        "-",
    ];
    let o = ns.cluster.kubectl_stdin(&args, &list.to_string());
    let created = String::from_utf8_lossy(&o.stdout).lines().count();
    if o.status.success() && stderr(&o).trim().is_empty() && created == n {
        Ok(())
    } else {
        Err(format!(
            "{created} of {n} objects accepted:\n{}",
            stderr(&o)
        ))
    }
}

/// KEDA's ScaledObject CRD, from KEDA's module, is served by the cluster: a chart asking for KEDA
/// renders a ScaledObject in place of the HorizontalPodAutoscaler (helm reads the API from the
/// cluster): the image encoder down to 0 pods on a query of the user's, the segmenter on
/// requests per second and CPU, the gateway on requests in flight; the API server accepts every
/// object, the ScaledObjects judged by KEDA's own schema.
#[test]
fn keda_scaled_objects_replace_the_autoscaler_where_the_cluster_serves_them() {
    let tmp = TempDir::new("server-keda");
    let (_one, c) = cluster();
    let ns = Namespace::new(c, "keda");
    let chart = tmp.path().join("search");
    crate::common::generate_chart(
        &crate::common::root().join("examples/search.yml"),
        &chart,
        "search",
    );
    let values = tmp.path().join("keda.yaml");
    let query = serde_json::to_string(&gateway_rate(&ns.name)).unwrap();
    std::fs::write(&values, KEDA_VALUES.replace("QUERY", &query)).unwrap();
    let chart_arg = chart.to_str().unwrap();
    let values_arg = values.to_str().unwrap();
    let o = c.helm(&[
        "install",
        "r",
        chart_arg,
        "-n",
        &ns.name,
        "-f",
        values_arg,
        "--dry-run=server",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = crate::common::stdout(&o);
    let manifest = out
        .split("\nMANIFEST:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"));
    let manifest = manifest.split("\nNOTES:\n").next().unwrap();
    let docs = documents(manifest);
    let kinds = |kind: &str| -> Vec<&J> { docs.iter().filter(|d| d["kind"] == kind).collect() };
    assert!(kinds("HorizontalPodAutoscaler").is_empty(), "{manifest}");
    let scaled = kinds("ScaledObject");
    let names: Vec<&str> = scaled
        .iter()
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "r-search-image-encoder",
            "r-search-segmenter",
            "r-search-gateway"
        ],
        "{manifest}"
    );
    // To 0 pods on the user's query (the gateway's requests, which exist without the encoder's
    // pods), woken above 0.5.
    let encoder = &scaled[0]["spec"];
    assert_eq!(encoder["minReplicaCount"], 0);
    let trigger = &encoder["triggers"][0]["metadata"];
    assert_eq!(trigger["query"], gateway_rate(&ns.name));
    assert_eq!(trigger["activationThreshold"], "0.5");
    // On requests per second and CPU; the gateway on requests in flight.
    let series = |metric: &str, workload: &str| {
        format!(
            "sum(rate({metric}{{namespace=\"{}\",service=\"{workload}\"}}[1m]))",
            ns.name
        )
    };
    let segmenter = &scaled[1]["spec"]["triggers"];
    assert_eq!(segmenter[0]["type"], "cpu");
    assert_eq!(
        segmenter[1]["metadata"]["query"],
        series("jina_receiving_request_seconds_count", "r-search-segmenter")
    );
    assert_eq!(
        scaled[2]["spec"]["triggers"][0]["metadata"]["query"],
        series("jina_receiving_request_seconds_sum", "r-search-gateway")
    );
    // Where the cluster serves no ScaledObject (`helm template` without the API), the
    // HorizontalPodAutoscaler stands in, keeping a pod.
    let (_, helm) = &helms()[1];
    let plain = try_render(helm, &chart, tmp.path(), "r", &ns.name, &["-f", values_arg]).unwrap();
    let hpas: Vec<J> = documents(&plain)
        .into_iter()
        .filter(|d| d["kind"] == "HorizontalPodAutoscaler")
        .collect();
    assert_eq!(hpas.len(), 3);
    assert_eq!(hpas[0]["spec"]["minReplicas"], 1);
    let items = docs
        .into_iter()
        .chain(hpas)
        .filter(|d| !WITHOUT_CRD.contains(&d["kind"].as_str().unwrap_or("")))
        .collect();
    server_accepts(&ns, items).unwrap();
}

/// The gateway's requests per second: a series that exists while an executor has no pod.
fn gateway_rate(ns: &str) -> String {
    format!("sum(rate(jina_receiving_request_seconds_count{{namespace=\"{ns}\",service=\"r-search-gateway\"}}[2m]))")
}

const KEDA_VALUES: &str = r#"
global:
  keda:
    prometheusAddress: http://prometheus-operated.monitoring.svc:9090
executors:
  image_encoder:
    autoscaling:
      enabled: true
      minReplicas: 0
      maxReplicas: 4
      targetCPUUtilizationPercentage: 0
      behavior: {scaleDown: {stabilizationWindowSeconds: 60}}
      keda: {enabled: true, query: QUERY, target: "5", activationTarget: "0.5"}
  segmenter:
    monitoring: true
    resources: {requests: {cpu: 100m}}
    autoscaling:
      enabled: true
      keda: {enabled: true, metric: rps, target: "20"}
gateway:
  monitoring: true
  autoscaling:
    enabled: true
    targetCPUUtilizationPercentage: 0
    keda: {enabled: true, metric: concurrency, target: "2"}
"#;
