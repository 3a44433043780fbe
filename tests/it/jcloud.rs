//! JCloud's `jcloud:` blocks become chart values. Each case in `tests/fixtures/jcloud/` is a
//! Flow or Deployment written the ways JCloud projects wrote them (none copied), with:
//!
//! - `expect.txt`: exactly what `flowhelm chart flow.yml -o OUT --name demo` prints on stderr in
//!   that directory (the warnings for what cannot be translated, located);
//! - `values.yaml`: values the chart's values.yaml must hold, each key with exactly that value
//!   (a subset: the rest of values.yaml is the snapshots' business).
//!
//! Then the charts render on both helms into what the values say (the capacity preset, the
//! autoscaler's metrics, the gateway's Ingress hosts), and the real API server accepts them
//! (`cluster::jcloud_charts_are_accepted_by_the_api_server`).

use std::path::{Path, PathBuf};

use serde_json::{json, Value as J};

use crate::common::chart::Chart;
use crate::common::{self, TempDir};
use crate::test::Test;

pub fn cases() -> Vec<PathBuf> {
    let root = common::fixtures().join("jcloud");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml_json(text: &str) -> J {
    flowhelm::yaml::parse_helm(text)
        .unwrap_or_else(|e| panic!("not YAML: {e}"))
        .to_json()
}

/// Where `actual` differs from `expected` on the keys `expected` has.
fn subset_problems(expected: &J, actual: &J, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (J::Object(e), J::Object(a)) => {
            for (k, v) in e {
                let p = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => subset_problems(v, av, &p, out),
                    None => out.push(format!("{p}: missing (expected {v})")),
                }
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{path}: expected {expected}, found {actual}")),
    }
}

#[test]
fn each_jcloud_block_becomes_the_values_it_means_and_warns_what_it_cannot() {
    let tmp = TempDir::new("jcloud");
    let cases = cases();
    assert!(cases.len() >= 3, "{} cases", cases.len());
    let mut problems = Vec::new();
    for dir in cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let out = tmp.path().join(&name);
        Test::in_dir(&dir)
            .args([
                "chart".as_ref(),
                "flow.yml".as_ref(),
                "-o".as_ref(),
                out.as_os_str(),
            ])
            .args(["--name", "demo"])
            .stderr(read(&dir.join("expect.txt")))
            .run_collecting(&mut problems);
        let Ok(values) = std::fs::read_to_string(out.join("values.yaml")) else {
            continue; // reported above
        };
        let expected = yaml_json(&read(&dir.join("values.yaml")));
        let mut found = Vec::new();
        subset_problems(&expected, &yaml_json(&values), "", &mut found);
        problems.extend(found.into_iter().map(|p| format!("{name}: values{p}")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn chart(case: &str) -> Chart {
    Chart::file(
        &common::fixtures()
            .join("jcloud")
            .join(case)
            .join("flow.yml"),
    )
}

#[test]
fn a_jcloud_flow_renders_its_tiers_capacity_autoscaler_and_hosts() {
    let spot = "global.capacity.spot.nodeSelector.karpenter\\.sh/capacity-type";
    for r in chart("01-flow")
        .set(spot, "spot")
        .set("global.capacity.spot.tolerations[0].key", "spot")
        .set("global.capacity.spot.tolerations[0].operator", "Exists")
        .render_both_helms()
    {
        let h = &r.helm;
        let enc = r.get("Deployment", "rel-demo-encoder");
        let pod = &enc["spec"]["template"]["spec"];
        // The pod's own selector and tolerations, then the spot preset's.
        assert_eq!(
            pod["nodeSelector"],
            json!({"gpu-type": "a10g", "karpenter.sh/capacity-type": "spot"}),
            "{h}"
        );
        let tolerations: Vec<&str> = pod["tolerations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["key"].as_str().unwrap())
            .collect();
        assert_eq!(tolerations, ["nvidia.com/gpu", "spot"], "{h}");
        let c = &pod["containers"][0];
        assert_eq!(c["resources"]["limits"]["nvidia.com/gpu"], "1", "{h}");
        assert_eq!(c["resources"]["requests"]["memory"], "14G", "{h}");
        assert_eq!(
            enc["spec"]["template"]["metadata"]["labels"]["version"], "1.5",
            "{h}"
        );
        // A GPU executor rolls without a spare GPU.
        assert_eq!(
            enc["spec"]["strategy"]["rollingUpdate"]["maxSurge"], 0,
            "{h}"
        );
        let hpa = r.get("HorizontalPodAutoscaler", "rel-demo-encoder");
        assert_eq!(hpa["spec"]["minReplicas"], 1, "{h}");
        assert_eq!(hpa["spec"]["maxReplicas"], 4, "{h}");
        assert_eq!(
            hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 70,
            "{h}"
        );
        assert_eq!(
            hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 120,
            "{h}"
        );
        // The indexer's storage is a claim on its workspace.
        let idx = r.get("StatefulSet", "rel-demo-indexer");
        let claim = &idx["spec"]["volumeClaimTemplates"][0];
        assert_eq!(
            claim["spec"]["resources"]["requests"]["storage"], "20G",
            "{h}"
        );
        let mounts = &idx["spec"]["template"]["spec"]["containers"][0]["volumeMounts"];
        assert!(
            mounts
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["mountPath"] == "/workspace"),
            "{h}: {mounts}"
        );
        // The gateway's hosts: HTTP through the Ingress (class nginx), gRPC on the route.
        let ing = r.get("Ingress", "rel-demo-gateway");
        assert_eq!(ing["spec"]["ingressClassName"], "nginx", "{h}");
        assert_eq!(ing["spec"]["rules"][0]["host"], "search.example.com", "{h}");
        // Tracing reaches every workload, from the Flow's block.
        for name in ["rel-demo-gateway", "rel-demo-ranker"] {
            let args = r.args("Deployment", name, 0);
            assert!(
                args.contains(&"--tracing".to_string()),
                "{h} {name}: {args:?}"
            );
        }
    }
}

#[test]
fn a_jcloud_deployment_autoscales_on_memory_and_the_capacity_of_a_legacy_flow_is_kept() {
    for r in chart("02-deployment").render_both_helms() {
        let hpa = r.get("HorizontalPodAutoscaler", "rel-demo-summarizer");
        assert_eq!(
            hpa["spec"]["metrics"],
            json!([{"type": "Resource", "resource": {"name": "memory",
                "target": {"type": "AverageValue", "averageValue": "500Mi"}}}]),
            "{}",
            r.helm
        );
        assert_eq!(hpa["spec"]["minReplicas"], 2, "{}", r.helm);
    }
    // Without a preset for it, `capacity` selects nothing: the chart cannot know a cloud's labels.
    for r in chart("03-legacy-2022").render_both_helms() {
        let sts = r.get("StatefulSet", "rel-demo-summarizer");
        let pod = &sts["spec"]["template"]["spec"];
        assert!(pod.get("nodeSelector").is_none(), "{}: {pod}", r.helm);
        let claim = &sts["spec"]["volumeClaimTemplates"][0]["spec"];
        assert_eq!(claim["accessModes"], json!(["ReadWriteMany"]), "{}", r.helm);
    }
}
