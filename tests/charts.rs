//! The generated charts on real helm 3.17 and 4.3: `lint --strict`, `template` with default and
//! per-environment values, every object against the strict Kubernetes 1.29 and 1.33 schemas,
//! value changes that reshape the deployment, the closed values schema, and determinism.

mod common;

use std::path::{Path, PathBuf};

use common::k8s::{container_args, documents, render, try_find, try_render, validate_all};
use common::{flowhelm, generate_chart, helms, run_in, stderr, TempDir};
use serde_json::Value as J;

const KUBE_VERSIONS: [&str; 2] = ["1.29.0", "1.33.0"];

/// Every flow the charts are checked on: Jina's reference flows and the bundled examples, with
/// the values files that go with each.
fn flows() -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut out = Vec::new();
    let refs = common::fixtures().join("jina-reference");
    let mut dirs: Vec<_> = std::fs::read_dir(&refs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    out.extend(dirs.into_iter().map(|d| (d.join("flow.yml"), vec![])));
    let ex = common::root().join("examples");
    for name in ["search", "summarizer"] {
        let values = ["dev", "prod"]
            .iter()
            .map(|env| ex.join(format!("{name}.values-{env}.yaml")))
            .collect();
        out.push((ex.join(format!("{name}.yml")), values));
    }
    assert!(out.len() >= 16);
    out
}

fn lint(helm: &Path, chart: &Path, home: &Path, extra: &[&str]) {
    let mut cmd = std::process::Command::new(helm);
    cmd.args(["lint", "--strict"]).arg(chart).args(extra);
    let o = run_in(&mut cmd, home);
    assert!(
        o.status.success(),
        "{} lint --strict {} {extra:?}:\n{}{}",
        helm.display(),
        chart.display(),
        common::stdout(&o),
        stderr(&o)
    );
}

#[test]
fn every_chart_lints_renders_and_validates_on_both_helms() {
    let tmp = TempDir::new("charts");
    for (flow, values) in flows() {
        let case = flow
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let case = if case == "examples" {
            flow.file_stem().unwrap().to_string_lossy().into_owned()
        } else {
            case
        };
        let chart = tmp.path().join(&case);
        generate_chart(&flow, &chart, "demo");
        let mut variants: Vec<Vec<String>> = vec![vec![]];
        variants.extend(
            values
                .iter()
                .map(|v| vec!["-f".to_string(), v.display().to_string()]),
        );
        for (hname, helm) in helms() {
            for extra in &variants {
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                lint(&helm, &chart, tmp.path(), &extra);
                for kube in KUBE_VERSIONS {
                    let mut args = extra.clone();
                    args.extend(["--kube-version", kube]);
                    let docs = documents(&render(&helm, &chart, tmp.path(), "rel", "demo", &args));
                    validate_all(kube, &docs, &format!("{case} {hname} {extra:?}"));
                }
            }
        }
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .map(|i| args[i + 1].as_str())
}

#[test]
fn shards_and_replicas_reshape_the_deployment() {
    let tmp = TempDir::new("shards");
    let chart = tmp.path().join("c");
    generate_chart(
        &common::fixtures().join("jina-reference/01-single/flow.yml"),
        &chart,
        "demo",
    );
    for (_, helm) in helms() {
        let docs = documents(&render(
            &helm,
            &chart,
            tmp.path(),
            "rel",
            "prod",
            &[
                "--set",
                "executors.encoder.shards=3",
                "--set",
                "executors.encoder.replicas=2",
            ],
        ));
        for i in 0..3 {
            let d = try_find(&docs, "Deployment", &format!("rel-demo-encoder-{i}"))
                .expect("shard workload");
            assert_eq!(d["spec"]["replicas"], 2);
            let args = container_args(d, 0);
            assert_eq!(flag(&args, "--name"), Some(format!("encoder-{i}").as_str()));
            assert_eq!(flag(&args, "--shards"), Some("3"));
            assert_eq!(
                flag(&args, "--shard-id"),
                (i > 0).then(|| i.to_string()).as_deref()
            );
        }
        let head = try_find(&docs, "Deployment", "rel-demo-encoder-head").expect("head");
        assert_eq!(head["spec"]["replicas"], 1);
        let conn: J =
            serde_json::from_str(flag(&container_args(head, 0), "--connection-list").unwrap())
                .unwrap();
        assert_eq!(conn["2"], "rel-demo-encoder-2.prod.svc:8080");
        assert!(try_find(&docs, "Deployment", "rel-demo-encoder").is_none());
        let gw = try_find(&docs, "Deployment", "rel-demo-gateway").unwrap();
        let addr: J =
            serde_json::from_str(flag(&container_args(gw, 0), "--deployments-addresses").unwrap())
                .unwrap();
        assert_eq!(
            addr["encoder"][0],
            "grpc://rel-demo-encoder-head.prod.svc:8080"
        );
        validate_all("1.33.0", &docs, "shards=3");

        let docs = documents(&render(
            &helm,
            &chart,
            tmp.path(),
            "rel",
            "prod",
            &["--set", "executors.encoder.shards=1"],
        ));
        assert!(try_find(&docs, "Deployment", "rel-demo-encoder-head").is_none());
        assert!(try_find(&docs, "Deployment", "rel-demo-encoder").is_some());
    }
}

#[test]
fn images_resources_secrets_and_mesh_follow_values() {
    let tmp = TempDir::new("values");
    let chart = tmp.path().join("c");
    generate_chart(
        &common::fixtures().join("jina-reference/07-env-secrets/flow.yml"),
        &chart,
        "demo",
    );
    let set = [
        "--set",
        "global.imageRegistry=mirror.example.com",
        "--set-string",
        "executors.db_writer.image.tag=9.9",
        "--set",
        "executors.db_writer.resources.limits.cpu=2",
        "--set",
        "executors.db_writer.envFromSecret.SECRET_PASSWORD.name=prod-secret",
        "--set",
        "global.serviceMesh=none",
        "--set",
        "gateway.service.type=LoadBalancer",
    ];
    for (_, helm) in helms() {
        let docs = documents(&render(&helm, &chart, tmp.path(), "r", "ns1", &set));
        let d = try_find(&docs, "Deployment", "r-demo-db-writer").unwrap();
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"], "mirror.example.com/acme/dbwriter:9.9");
        assert_eq!(c["resources"]["limits"]["cpu"], 2);
        let secret = c["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "SECRET_PASSWORD")
            .unwrap();
        assert_eq!(secret["valueFrom"]["secretKeyRef"]["name"], "prod-secret");
        assert!(d["spec"]["template"]["metadata"]["annotations"]
            .get("linkerd.io/inject")
            .is_none());
        assert_eq!(
            try_find(&docs, "Service", "r-demo-gateway").unwrap()["spec"]["type"],
            "LoadBalancer"
        );
        validate_all("1.29.0", &docs, "overrides");
    }
}

#[test]
fn the_values_schema_rejects_unknown_executors_and_wrong_types() {
    let tmp = TempDir::new("schema");
    let chart = tmp.path().join("c");
    generate_chart(
        &common::fixtures().join("jina-reference/01-single/flow.yml"),
        &chart,
        "demo",
    );
    for (hname, helm) in helms() {
        for bad in [
            "executors.encodr.replicas=2",
            "executors.encoder.replicas=two",
            "executors.encoder.replicas=0",
            "gateway.image.pullPolicy=Sometimes",
            "global.serviceMesh=consul",
        ] {
            let r = try_render(&helm, &chart, tmp.path(), "rel", "demo", &["--set", bad]);
            assert!(r.is_err(), "{hname} accepted --set {bad}");
        }
    }
}

#[test]
fn two_releases_share_a_namespace_and_long_names_stay_valid() {
    let tmp = TempDir::new("names");
    let chart = tmp.path().join("c");
    generate_chart(
        &common::fixtures().join("jina-reference/05-replicas-shards/flow.yml"),
        &chart,
        "demo",
    );
    let (_, helm) = &helms()[1];
    let a = documents(&render(helm, &chart, tmp.path(), "a", "shared", &[]));
    let b = documents(&render(helm, &chart, tmp.path(), "b", "shared", &[]));
    for d in &a {
        let name = &d["metadata"]["name"];
        assert!(
            !b.iter()
                .any(|o| o["kind"] == d["kind"] && &o["metadata"]["name"] == name),
            "{name} in both releases"
        );
    }
    let long = "x".repeat(53);
    let docs = documents(&render(
        helm,
        &chart,
        tmp.path(),
        &long,
        "shared",
        &["--set", "executors.Vector_Indexer.shards=12"],
    ));
    validate_all("1.33.0", &docs, "53-character release name");
}

#[test]
fn generation_is_deterministic() {
    let tmp = TempDir::new("det");
    let flow = common::root().join("examples/search.yml");
    generate_chart(&flow, &tmp.path().join("a"), "search");
    generate_chart(&flow, &tmp.path().join("b"), "search");
    let files = |d: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = walk(d)
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(d).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let (a, b) = (files(&tmp.path().join("a")), files(&tmp.path().join("b")));
    assert!(a.len() >= 10);
    assert_eq!(a, b);
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn any_flow_string_reaches_the_manifest_exactly() {
    let tmp = TempDir::new("strings");
    let tricky = [
        ("BRACES", "{{ .Release.Name }}"),
        ("QUOTES", "it's \"quoted\""),
        ("NEWLINE", "line1\nline2"),
        ("YES", "yes"),
        ("OCTAL", "0755"),
        ("NULL", "null"),
        ("UNICODE", "naïve ☃ 日本"),
        ("JINA", "${{ CONTEXT.X }}"),
        ("COLON", "a: b"),
    ];
    let mut flow = String::from("jtype: Flow\nexecutors:\n  - name: enc\n    uses: docker://acme/enc:1\n    uses_with:\n      template: '{{ x }}'\n    env:\n");
    for (k, v) in tricky {
        flow.push_str(&format!(
            "      \"{k}\": {}\n",
            serde_json::to_string(v).unwrap()
        ));
    }
    let path = tmp.path().join("tricky.yml");
    std::fs::write(&path, flow).unwrap();
    let chart = tmp.path().join("c");
    generate_chart(&path, &chart, "tricky");
    for (_, helm) in helms() {
        let docs = documents(&render(&helm, &chart, tmp.path(), "rel", "demo", &[]));
        let cm = try_find(&docs, "ConfigMap", "rel-tricky-enc-configmap").unwrap();
        for (k, v) in tricky {
            assert_eq!(cm["data"][k], v, "env {k}");
        }
        let args = container_args(try_find(&docs, "Deployment", "rel-tricky-enc").unwrap(), 0);
        let with: J = serde_json::from_str(flag(&args, "--uses-with").unwrap()).unwrap();
        assert_eq!(with["template"], "{{ x }}");
    }
}

#[test]
fn values_check_names_the_offending_key() {
    let tmp = TempDir::new("vcheck");
    let chart = tmp.path().join("c");
    generate_chart(
        &common::root().join("examples/search.yml"),
        &chart,
        "search",
    );
    let values_check = |file: &Path| {
        flowhelm()
            .args(["values", "check"])
            .arg(&chart)
            .arg("-f")
            .arg(file)
            .output()
            .unwrap()
    };
    let ok = values_check(&common::root().join("examples/search.values-prod.yaml"));
    assert!(ok.status.success(), "{}", stderr(&ok));
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(&bad, "executors:\n  indexer:\n    replicas: two\n").unwrap();
    let o = values_check(&bad);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "{}:3:5: error: `executors.indexer.replicas`",
            bad.display()
        )),
        "{err}"
    );
    std::fs::write(&bad, "executors:\n  indexr:\n    replicas: 2\n").unwrap();
    let o = values_check(&bad);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with(&format!(
            "{}:2:3: error: `executors.indexr`: no such key here; did you mean `indexer`?",
            bad.display()
        )),
        "{}",
        stderr(&o)
    );
}

/// `executorDefaults` lies under every executor's own block: maps merge key by key, the
/// executor's explicit values win even when they are false or "" (where sprig's `merge` would
/// let the default through), and executors that set nothing get the defaults.
#[test]
fn executor_defaults_lie_under_each_executors_own_values() {
    let tmp = TempDir::new("defaults");
    let chart = tmp.path().join("c");
    generate_chart(
        &common::root().join("examples/search.yml"),
        &chart,
        "search",
    );
    let prod = common::root().join("examples/search.values-prod.yaml");
    let args = [
        "-f",
        prod.to_str().unwrap(),
        "--set",
        "executorDefaults.monitoring=true",
        "--set",
        "executors.indexer.monitoring=false",
        "--set-string",
        "executors.segmenter.image.tag=",
        "--set",
        "executorDefaults.probes.readiness.enabled=false",
        "--set",
        "executors.segmenter.probes.readiness.enabled=true",
    ];
    for (hname, helm) in helms() {
        let docs = documents(&render(&helm, &chart, tmp.path(), "r", "ns", &args));
        let workload = |name: &str| {
            try_find(&docs, "Deployment", name)
                .unwrap_or_else(|| panic!("{hname}: no Deployment {name}"))
        };
        let pod = |name: &str| workload(name)["spec"]["template"]["spec"].clone();
        let monitored = |name: &str| {
            container_args(workload(name), 0)
                .iter()
                .any(|a| a == "--monitoring")
        };
        // Defaults only: the segmenter sets no resources or node selector of its own.
        let seg = pod("r-search-segmenter");
        assert_eq!(seg["nodeSelector"]["workload"], "models", "{hname}");
        assert_eq!(
            seg["containers"][0]["resources"]["requests"]["memory"], "1Gi",
            "{hname}"
        );
        // An explicit "" beats the Flow's tag; an explicit true beats the default false.
        assert_eq!(
            seg["containers"][0]["image"], "ghcr.io/acme/segmenter",
            "{hname}"
        );
        assert!(
            seg["containers"][0].get("readinessProbe").is_some(),
            "{hname}"
        );
        // Maps merge: the executor's keys win one by one, the defaults' other keys stay.
        let text = pod("r-search-text-encoder");
        let res = &text["containers"][0]["resources"];
        assert_eq!(res["requests"]["cpu"], "500m", "{hname}");
        assert_eq!(res["limits"]["nvidia.com/gpu"], "1", "{hname}");
        assert_eq!(res["limits"]["memory"], "8Gi", "{hname}");
        assert!(
            text["containers"][0].get("readinessProbe").is_none(),
            "{hname}"
        );
        let image = pod("r-search-image-encoder");
        assert_eq!(
            image["containers"][0]["resources"]["requests"]["cpu"], "2",
            "{hname}"
        );
        assert_eq!(
            image["containers"][0]["resources"]["requests"]["memory"], "4Gi",
            "{hname}"
        );
        // An explicit false beats the default true.
        assert!(monitored("r-search-image-encoder"), "{hname}");
        assert!(!monitored("r-search-indexer-0"), "{hname}");
        assert!(!monitored("r-search-indexer-head"), "{hname}");
        assert_eq!(
            pod("r-search-indexer-1")["nodeSelector"]["workload"],
            "models",
            "{hname}"
        );
        validate_all("1.33.0", &docs, "executor defaults");
    }
}
