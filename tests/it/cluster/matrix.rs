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
                    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
                    let o = ns.cluster.kubectl_stdin(
                        &[
                            "create",
                            "--dry-run=server",
                            "-n",
                            &ns.name,
                            "-o",
                            "name",
                            "-f",
                            "-",
                        ],
                        &list.to_string(),
                    );
                    let created = String::from_utf8_lossy(&o.stdout).lines().count();
                    let err = stderr(&o);
                    if !o.status.success() || !err.trim().is_empty() || created != items.len() {
                        failures.lock().unwrap().push(format!(
                            "{context}: {created} of {} objects accepted:\n{err}",
                            items.len()
                        ));
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
        let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
        let o = c.kubectl_stdin(
            &[
                "create",
                "--dry-run=server",
                "-n",
                &ns.name,
                "-o",
                "name",
                "-f",
                "-",
            ],
            &list.to_string(),
        );
        let created = String::from_utf8_lossy(&o.stdout).lines().count();
        assert!(
            o.status.success() && stderr(&o).trim().is_empty() && created == items.len(),
            "{}: {created} of {} objects accepted:\n{}",
            case.display(),
            items.len(),
            stderr(&o)
        );
    }
    // Encoder, ranker (01) and the Deployment's executor (02): on CPU and on memory.
    assert_eq!(autoscalers, 3);
}
