//! The generated charts on real helm 3.17 and 4.3: `lint --strict`, `template` with default and
//! per-environment values, every object against the strict Kubernetes 1.29 and 1.33 schemas,
//! value changes that reshape the deployment, the closed values schema, and determinism.

mod production;
mod versions;

use std::path::{Path, PathBuf};

use crate::common;
use crate::common::k8s::{
    container_args, documents, find, render, try_find, try_render, validate_all,
};
use crate::common::{flowhelm, generate_chart, helms, run_in, stderr, TempDir};
use crate::common::{podsecurity, semantic};
use crate::test::{unindent, Test};
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
                    let context = format!("{case} {hname} {extra:?}");
                    validate_all(kube, &docs, &context);
                    semantic::assert_no_errors(&docs, &context);
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
    let mut flow = unindent(
        "
        jtype: Flow
        executors:
          - name: enc
            uses: docker://acme/enc:1
            uses_with:
              template: '{{ x }}'
            env:
        ",
    );
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
    let values_check = || {
        Test::in_dir(tmp.path())
            .args(["values", "check"])
            .arg(&chart)
            .arg("-f")
    };
    values_check()
        .arg(common::root().join("examples/search.values-prod.yaml"))
        .run();
    // Comments only: nothing set, as helm reads it.
    values_check()
        .arg("{dir}/comments.yaml")
        .file("comments.yaml", "# nothing for this environment yet\n")
        .run();
    values_check()
        .arg("{dir}/bad.yaml")
        .file(
            "bad.yaml",
            unindent(
                "
                executors:
                  indexer:
                    replicas: two
                ",
            ),
        )
        .status(2)
        .stderr_starts_with("{dir}/bad.yaml:3:5: error: `executors.indexer.replicas`")
        .run();
    values_check()
        .arg("{dir}/bad.yaml")
        .file(
            "bad.yaml",
            unindent(
                "
                executors:
                  indexr:
                    replicas: 2
                ",
            ),
        )
        .status(2)
        .stderr_starts_with(
            "{dir}/bad.yaml:2:3: error: `executors.indexr`: no such key here; did you mean `indexer`?",
        )
        .run();
}

/// Values files whose YAML typing is where readers part ways (go-yaml v2's YAML 1.1 words and
/// numbers, tags, anchors, merges, odd keys, several documents, directives): `values check` must
/// give each the verdict helm 3 and helm 4 give it, and where the two helms disagree it must
/// refuse the file or warn that helm 3 will.
const VALUES_YAML_CASES: &[&str] = &[
    "executors:\n  enc:\n    replicas: 1e3\n",
    "executors:\n  enc:\n    replicas: 0o10\n",
    "executors:\n  enc:\n    replicas: 010\n",
    "executors:\n  enc:\n    replicas: 08\n",
    "executors:\n  enc:\n    replicas: 0x10\n",
    "executors:\n  enc:\n    replicas: 1_0\n",
    "executors:\n  enc:\n    replicas: +3\n",
    "executors:\n  enc:\n    replicas: 1.\n",
    "executors:\n  enc:\n    replicas: 3.0\n",
    "executors:\n  enc:\n    replicas: \"3\"\n",
    "executors:\n  enc:\n    replicas: 1.5\n",
    "executors:\n  enc:\n    replicas: 1e10\n",
    "executors:\n  enc:\n    replicas: 12345678901234567890\n",
    "executors:\n  enc:\n    replicas: -0b11\n",
    "executors:\n  enc:\n    replicas: .inf\n",
    "executors:\n  enc:\n    replicas: .nan\n",
    "executors:\n  enc:\n    replicas: y\n",
    "executors:\n  enc:\n    replicas: !!float \"2\"\n",
    "executors:\n  enc:\n    replicas: !!int \"2\"\n",
    "executors:\n  enc:\n    replicas: !!str 2\n",
    "executors:\n  enc:\n    replicas: !!int 1.5\n",
    "executors:\n  enc:\n    replicas: !foo 2\n",
    "executors:\n  enc:\n    monitoring: yEs\n",
    "executors:\n  enc:\n    monitoring: on\n",
    "executors:\n  enc:\n    monitoring: Off\n",
    "executors:\n  enc:\n    monitoring: y\n",
    "executors:\n  enc:\n    monitoring: !!bool 1\n",
    "gateway:\n  replicas: 0b10\n",
    "gateway:\n  podAnnotations: !!python/object:x.Y {a: b}\n",
    "gateway:\n  podAnnotations: {a: !!binary aGk=}\n",
    "gateway:\n  podAnnotations: {a: !!binary \"!!\"}\n",
    "gateway:\n  podAnnotations: {a: 2001-12-14}\n",
    "gateway:\n  podAnnotations: {a: !!timestamp nope}\n",
    "gateway:\n  podAnnotations: {a: 1:30}\n",
    "gateway:\n  podAnnotations: {a: 1e3}\n",
    "gateway:\n  podAnnotations: {a: !!null x}\n",
    "gateway:\n  podAnnotations:\n    1.0: x\n    0.1234567891: y\n    1e6: z\n",
    "gateway:\n  podAnnotations:\n    ~: x\n",
    "gateway:\n  podAnnotations:\n    12345678901234567890: x\n",
    "gateway:\n  podAnnotations:\n    a: |\n      text",
    "gateway:\n  podAnnotations:\n    a: \"\\x7f\"\n",
    "executorDefaults: &d\n  replicas: 2\nexecutors:\n  enc: *d\n",
    "executors:\n  enc: {replicas: 5, <<: {replicas: 2}}\n",
    "executors:\n  enc: {<<: [{replicas: 2}, {replicas: two}]}\n",
    "executors:\n  enc: {<<: [{replicas: two}, {replicas: 2}]}\n",
    "executors:\n  enc: {<<: 1}\n",
    "executors:\n  enc:\n    replicas: two\n    replicas: 2\n",
    "executors:\n  enc:\n    replicas: 2\n    replicas: two\n",
    "executors:\n  y:\n    replicas: 1\n",
    "? [a]\n: x\n",
    "gateway:\n  imagePullSecrets: [\"Reg Cred\"]\n",
    "global:\n  imagePullSecrets: [regcred, mirror.example.com]\n",
    "executors:\n  enc:\n    env: {1BAD: x}\n",
    "executors:\n  enc:\n    env: {GOOD.name-1: x}\n",
    "executors:\n  enc:\n    envFromSecret: {TOKEN: {name: api, key: \"a b\"}}\n",
    "# comments only\n",
    "~\n",
    "",
    "gateway:\n  replicas: 2\n---\ngateway:\n  replicas: two\n",
    "%YAML 1.1\n---\ngateway:\n  replicas: 2\n",
    "- a\n",
    "a\n",
    "gateway: b: c\n",
    "\tgateway: {}\n",
    "gateway:\n  podAnnotations: {a:\tb}\n",
    "gateway:\n  podAnnotations:\n    a:\tb\n",
    "gateway:\n  podAnnotations:\n    a: b\t# c\n",
    "gateway:\n  podAnnotations:\n\t  a: b\n",
    "\t# a comment\ngateway: {}\n",
    "gateway: {}\n\t\n",
    "gateway:\n  tolerations:\n    - \t{key: a}\n",
    "gateway:\n  podAnnotations:\n    a: \"x\n\ty\"\n",
    "gateway:\n  podAnnotations: {a: [1,\n\t2]}\n",
    "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
];

#[test]
fn values_check_gives_helms_verdict_on_yaml_that_readers_type_differently() {
    let tmp = TempDir::new("vyaml");
    let flow = tmp.path().join("f.yml");
    std::fs::write(
        &flow,
        unindent(
            "
            jtype: Flow
            executors:
              - name: enc
                uses: docker://acme/enc:1
            ",
        ),
    )
    .unwrap();
    let chart = tmp.path().join("c");
    generate_chart(&flow, &chart, "vyaml");
    let files: Vec<PathBuf> = VALUES_YAML_CASES
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let f = tmp.path().join(format!("case{i}.yaml"));
            std::fs::write(&f, text).unwrap();
            f
        })
        .collect();
    // One thread per helm: each case is a process start, and there are two cores.
    let verdicts: Vec<Vec<Result<String, String>>> = std::thread::scope(|s| {
        let jobs: Vec<_> = helms()
            .into_iter()
            .map(|(name, helm)| {
                let (files, chart, home) = (&files, &chart, tmp.path().join(name));
                s.spawn(move || {
                    files
                        .iter()
                        .map(|f| {
                            let f = f.display().to_string();
                            try_render(&helm, chart, &home, "rel", "ns", &["-f", &f])
                        })
                        .collect()
                })
            })
            .collect();
        jobs.into_iter().map(|j| j.join().unwrap()).collect()
    });
    let (mut accepted, mut refused, mut split) = (0, 0, 0);
    for (i, f) in files.iter().enumerate() {
        let text = VALUES_YAML_CASES[i];
        let o = flowhelm()
            .args(["values", "check"])
            .arg(&chart)
            .arg("-f")
            .arg(f)
            .output()
            .unwrap();
        let err = stderr(&o);
        let (h3, h4) = (&verdicts[0][i], &verdicts[1][i]);
        match (h3.is_ok(), h4.is_ok()) {
            (true, true) => {
                accepted += 1;
                assert!(
                    o.status.success(),
                    "{text:?}: helm 3 and 4 accept it, values check says:\n{err}"
                );
            }
            (false, false) => {
                refused += 1;
                assert_eq!(
                    o.status.code(),
                    Some(2),
                    "{text:?}: helm 3 and 4 refuse it ({}), values check passes it",
                    h4.as_ref().unwrap_err()
                );
                // Located: `file:line:col: error: …` (an empty-but-wrong root has no line).
                let located = format!("{}:", f.display());
                assert!(err.starts_with(&located), "{text:?}: {err}");
            }
            _ => {
                split += 1;
                let refused_or_warned = o.status.code() == Some(2) || err.contains("helm 3");
                assert!(refused_or_warned, "{text:?}: helm 3 says {h3:?}, helm 4 {h4:?}; values check neither refuses nor warns:\n{err}");
            }
        }
    }
    assert!(
        accepted >= 25 && refused >= 20 && split >= 3,
        "{accepted} accepted, {refused} refused, {split} split"
    );
}

/// `executors.X: null` deletes the executor in helm's merge while `flow.graph` still routes to it:
/// `values check` and the render both refuse it, naming the key.
#[test]
fn an_executor_removed_by_null_is_refused_where_the_gateway_would_still_route_to_it() {
    let tmp = TempDir::new("nullexec");
    let chart = tmp.path().join("c");
    generate_chart(
        &common::root().join("examples/search.yml"),
        &chart,
        "search",
    );
    let file = tmp.path().join("null.yaml");
    Test::in_dir(tmp.path())
        .file(
            "null.yaml",
            unindent(
                "
                # drop it
                executors:
                  indexer: null
                ",
            ),
        )
        .args(["values", "check"])
        .arg(&chart)
        .args(["-f", "{dir}/null.yaml"])
        .status(2)
        .stderr_starts_with("{dir}/null.yaml:3:3: error: `executors.indexer` is removed (null), but `flow.graph` still routes requests to `indexer`")
        .run();
    let home = tmp.path().join("home");
    for (name, helm) in helms() {
        let f = file.display().to_string();
        let err = try_render(&helm, &chart, &home, "rel", "ns", &["-f", &f]).unwrap_err();
        assert!(err.contains("executors.indexer is removed (null), but flow.graph still routes requests to indexer"), "{name}: {err}");
    }
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

/// A Flow with the longest executor name flowhelm accepts, sharded and with a volume.
const LONG_NAMES: &str = "jtype: Flow
executors:
  - name: an_executor_whose_name_is_as_long_as_flowhelm_allows
    uses: docker://acme/x:1
    shards: 12
    volumes: ['/data']
    uses_after: docker://acme/merge:1
  - name: second
    uses: docker://acme/y:1
    protocol: [grpc, http, websocket]
";

/// Settings that reshape every chart, laid over executorDefaults and the gateway.
fn toggles() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "persistent shards",
            vec![
                "--set",
                "executorDefaults.persistence.enabled=true",
                "--set",
                "executorDefaults.persistence.volumes.toggled.mountPath=/toggled",
                "--set",
                "executorDefaults.shards=3",
            ],
        ),
        (
            "rollout counts and pod DNS",
            vec![
                "--set",
                "executorDefaults.revisionHistoryLimit=0",
                "--set",
                "executorDefaults.minReadySeconds=5",
                "--set",
                "executorDefaults.progressDeadlineSeconds=1200",
                "--set",
                "executorDefaults.schedulerName=default-scheduler",
                "--set",
                "executorDefaults.dnsConfig.options[0].name=ndots",
                "--set-string",
                "executorDefaults.dnsConfig.options[0].value=2",
                "--set",
                "executorDefaults.hostAliases[0].ip=10.0.0.9",
                "--set",
                "executorDefaults.hostAliases[0].hostnames[0]=models.internal",
            ],
        ),
        ("one shard", vec!["--set", "executorDefaults.shards=1"]),
        ("twelve shards", vec!["--set", "executorDefaults.shards=12"]),
        (
            "three protocols behind a load balancer",
            vec![
                "--set",
                "gateway.protocols={grpc,http,websocket}",
                "--set",
                "gateway.service.type=LoadBalancer",
                "--set",
                "gateway.service.loadBalancerSourceRanges={10.0.0.0/8}",
                "--set",
                "gateway.service.ports.http=80",
            ],
        ),
        (
            "monitoring",
            vec![
                "--set",
                "executorDefaults.monitoring=true",
                "--set",
                "gateway.monitoring=true",
                "--api-versions",
                "monitoring.coreos.com/v1/ServiceMonitor",
            ],
        ),
        (
            "Recreate",
            vec![
                "--set",
                "executorDefaults.strategy.type=Recreate",
                "--set",
                "gateway.strategy.type=Recreate",
            ],
        ),
        (
            "balanced without a mesh, persistent shards",
            vec![
                "--set",
                "global.serviceMesh=none",
                "--set",
                "executorDefaults.persistence.enabled=true",
                "--set",
                "executorDefaults.persistence.volumes.toggled.mountPath=/toggled",
                "--set",
                "executorDefaults.shards=2",
            ],
        ),
        (
            "autoscaled behind an Ingress, with NetworkPolicies",
            vec![
                "--set",
                "executorDefaults.autoscaling.enabled=true",
                "--set",
                "gateway.autoscaling.enabled=true",
                "--set",
                "gateway.ingress.enabled=true",
                "--set",
                "networkPolicy.enabled=true",
            ],
        ),
        (
            "maxSurge 0",
            vec![
                "--set",
                "executorDefaults.strategy.rollingUpdate.maxSurge=0",
                "--set",
                "executorDefaults.strategy.rollingUpdate.maxUnavailable=1",
            ],
        ),
    ]
}

/// One render of the matrix: the chart, helm's arguments, the release name, and whether the
/// render must pass PodSecurity `restricted`.
pub(crate) type MatrixJob = (PathBuf, Vec<String>, String, bool);

/// The render matrix: every reference Flow and example, and a Flow of the longest names, with
/// default values, their values files, a 50-character release name and each toggle. Charts are
/// generated under `tmp`. The real API server judges the same matrix (`cluster::matrix`).
pub(crate) fn render_matrix(tmp: &Path) -> Vec<MatrixJob> {
    let long = tmp.join("long.yml");
    std::fs::write(&long, LONG_NAMES).unwrap();
    let mut cases = flows();
    cases.push((long, vec![]));
    let release50 = "a-release-name-of-fifty-characters-for-the-matrix0";
    assert_eq!(release50.len(), 50);
    cases
        .iter()
        .enumerate()
        .flat_map(|(i, (flow, values))| {
            let chart = tmp.join(format!("c{i}"));
            generate_chart(flow, &chart, "demo");
            let hardened = vec![
                "-f".to_string(),
                chart.join("values-hardened.yaml").display().to_string(),
            ];
            let mut variants: Vec<(Vec<String>, String, bool)> = vec![
                (vec![], "rel".into(), false),
                (vec![], release50.into(), false),
                (hardened.clone(), release50.into(), true),
            ];
            for v in values {
                let file = vec!["-f".into(), v.display().to_string()];
                variants.push((file.clone(), release50.into(), false));
                variants.push(([hardened.clone(), file].concat(), release50.into(), true));
            }
            let gateway = std::fs::read_to_string(chart.join("values.schema.json"))
                .unwrap()
                .contains("\"loadBalancerSourceRanges\"");
            for (name, t) in toggles() {
                if !gateway
                    && (name.contains("protocols")
                        || name.contains("Ingress")
                        || name == "monitoring"
                        || name == "Recreate")
                {
                    continue; // a jtype: Deployment chart has no gateway
                }
                // StatefulSets cannot Recreate: that render is refused, on purpose (tested apart).
                let volumes = std::fs::read_to_string(chart.join("values.yaml"))
                    .unwrap()
                    .contains("mountPath:");
                if name == "Recreate" && volumes {
                    continue;
                }
                let t: Vec<String> = t.iter().map(std::string::ToString::to_string).collect();
                if name == "persistent shards" {
                    variants.push((
                        [hardened.clone(), t.clone()].concat(),
                        release50.into(),
                        true,
                    ));
                }
                variants.push((t, release50.into(), false));
            }
            variants
                .into_iter()
                .map(move |(args, release, restricted)| (chart.clone(), args, release, restricted))
        })
        .collect()
}

#[test]
fn the_render_matrix_passes_the_api_servers_rules() {
    // The cross-object rules a dry run on the API server cannot judge (`semantic`), and
    // PodSecurity `restricted` on the hardened renders: zero errors.
    let tmp = TempDir::new("matrix");
    let jobs = render_matrix(tmp.path());
    let (_, helm) = &helms()[1];
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for part in jobs.chunks(jobs.len().div_ceil(2)) {
            let failures = &failures;
            let tmp = tmp.path();
            scope.spawn(move || {
                for (chart, args, release, restricted) in part {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let docs = match try_render(helm, chart, tmp, release, "demo", &args) {
                        Ok(y) => documents(&y),
                        Err(e) => {
                            failures
                                .lock()
                                .unwrap()
                                .push(format!("{} {release} {args:?}: {e}", chart.display()));
                            continue;
                        }
                    };
                    let mut errors: Vec<String> = semantic::check(&docs)
                        .into_iter()
                        .filter(|f| f.severity == semantic::Severity::Error)
                        .map(|f| f.to_string())
                        .collect();
                    if *restricted {
                        errors.extend(
                            podsecurity::restricted(&docs)
                                .into_iter()
                                .map(|v| format!("PodSecurity restricted: {v}")),
                        );
                    }
                    if !errors.is_empty() {
                        failures.lock().unwrap().push(format!(
                            "{} {release} {args:?}:\n  {}",
                            chart.display(),
                            errors.join("\n  ")
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} renders break the API server's rules:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn render_long(args: &[&str], release: &str) -> (TempDir, Vec<J>) {
    let tmp = TempDir::new("names");
    let flow = tmp.path().join("long.yml");
    std::fs::write(&flow, LONG_NAMES).unwrap();
    let chart = tmp.path().join("c");
    generate_chart(&flow, &chart, "demo");
    let (_, helm) = &helms()[1];
    let docs = documents(&render(helm, &chart, tmp.path(), release, "demo", args));
    (tmp, docs)
}

fn names_of<'a>(docs: &'a [J], kind: &str) -> Vec<&'a str> {
    docs.iter()
        .filter(|d| d["kind"] == kind)
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect()
}

#[test]
fn names_fit_their_kind_and_keep_the_component_when_cut() {
    // A 34-character release: StatefulSets (52 at most), Services and workloads (63), each cut
    // name still ending in its component and suffix.
    let release = "a-release-name-of-34-characters-xx";
    assert_eq!(release.len(), 34);
    let (_tmp, docs) = render_long(&[], release);
    let component = "an-executor-whose-name-is-as-long-as-flowhelm-allows";
    let sts = names_of(&docs, "StatefulSet");
    assert_eq!(sts.len(), 12);
    for n in &sts {
        assert!(n.len() <= 52, "{n}: {}", n.len());
        assert!(
            n.contains("an-executor-whose-name"),
            "{n} lost its component"
        );
    }
    for kind in ["Service", "Deployment", "ConfigMap"] {
        for n in names_of(&docs, kind) {
            assert!(
                n.len() <= if kind == "ConfigMap" { 253 } else { 63 },
                "{kind} {n}: {}",
                n.len()
            );
        }
    }
    let head = names_of(&docs, "Deployment")
        .into_iter()
        .find(|n| n.ends_with("-head"))
        .unwrap()
        .to_string();
    assert!(
        head.contains(&component[..30]) && head.len() <= 52,
        "{head}"
    );
    let gateway = names_of(&docs, "Deployment")
        .into_iter()
        .find(|n| n.ends_with("gateway"))
        .unwrap();
    assert_eq!(gateway, format!("{release}-demo-gateway"));
    // Shard 11 of the long executor: too long for any prefix, so the component itself is cut,
    // after the prefix's initial and a hash: "a<hash>-<component cut>-11".
    let last = sts.iter().find(|n| n.ends_with("-11")).unwrap();
    assert!(
        last.starts_with('a') && last.contains(&format!("-{}", &component[..30])),
        "{last}"
    );
    semantic::assert_no_errors(&docs, "long names");
}

#[test]
fn a_persistent_executor_keeps_a_cluster_ip_service_and_gets_a_headless_one() {
    let (_tmp, docs) = render_long(&[], "rel");
    for sts in docs.iter().filter(|d| d["kind"] == "StatefulSet") {
        let name = sts["metadata"]["name"].as_str().unwrap();
        let svc = find(&docs, "Service", name);
        assert!(
            svc["spec"].get("clusterIP").is_none()
                && svc["spec"].get("publishNotReadyAddresses").is_none(),
            "{name}: {svc}"
        );
        let headless = find(&docs, "Service", &format!("{name}-headless"));
        assert_eq!(headless["spec"]["clusterIP"], "None");
        assert_eq!(headless["spec"]["publishNotReadyAddresses"], true);
        assert_eq!(sts["spec"]["serviceName"], format!("{name}-headless"));
    }
    // The ordinary Service is the same with persistence off: an upgrade never changes its clusterIP.
    let (_t2, flat) = render_long(&["--set", "executors.an_executor_whose_name_is_as_long_as_flowhelm_allows.persistence.enabled=false"], "rel");
    let a = docs
        .iter()
        .find(|d| d["kind"] == "Service" && d["metadata"]["name"].as_str().unwrap().ends_with("-0"))
        .unwrap();
    let b = find(&flat, "Service", a["metadata"]["name"].as_str().unwrap());
    assert_eq!(a["spec"], b["spec"]);
}

#[test]
fn one_gateway_service_carries_every_protocol_and_only_the_options_its_type_takes() {
    let set = |extra: &[&'static str]| {
        let mut v = vec!["--set", "gateway.protocols={grpc,http,websocket}"];
        v.extend_from_slice(extra);
        v
    };
    let (_t, docs) = render_long(
        &set(&[
            "--set",
            "gateway.service.type=LoadBalancer",
            "--set",
            "gateway.service.loadBalancerSourceRanges={10.0.0.0/8}",
            "--set",
            "gateway.service.ports.http=80",
            "--set",
            "gateway.service.nodePorts.grpc=30080",
        ]),
        "rel",
    );
    let services: Vec<&J> = docs
        .iter()
        .filter(|d| {
            d["kind"] == "Service"
                && d["metadata"]["labels"]["app.kubernetes.io/component"] == "gateway"
        })
        .collect();
    assert_eq!(services.len(), 1, "one gateway Service");
    let spec = &services[0]["spec"];
    let ports: Vec<(String, i64, i64, String)> = spec["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["port"].as_i64().unwrap(),
                p["targetPort"].as_i64().unwrap(),
                p["appProtocol"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        ports,
        vec![
            ("grpc".into(), 8080, 8080, "grpc".into()),
            ("http".into(), 80, 8081, "http".into()),
            ("websocket".into(), 8082, 8082, "kubernetes.io/ws".into())
        ]
    );
    assert_eq!(spec["loadBalancerSourceRanges"][0], "10.0.0.0/8");
    assert_eq!(spec["ports"][0]["nodePort"], 30080);
    // ClusterIP: the same values render neither node ports nor source ranges.
    let (_t2, docs) = render_long(
        &set(&[
            "--set",
            "gateway.service.loadBalancerSourceRanges={10.0.0.0/8}",
            "--set",
            "gateway.service.nodePorts.grpc=30080",
        ]),
        "rel",
    );
    let svc = find(&docs, "Service", "rel-demo-gateway");
    assert!(svc["spec"].get("loadBalancerSourceRanges").is_none());
    assert!(
        svc["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("nodePort").is_none()),
        "{svc}"
    );
    semantic::assert_no_errors(&docs, "ClusterIP gateway");
    // An executor serving three protocols: one Service, three ports.
    let second = find(&docs, "Service", "rel-demo-second");
    assert_eq!(second["spec"]["ports"].as_array().unwrap().len(), 3);
}

#[test]
fn service_monitors_need_the_crd_and_scrape_every_metrics_port() {
    let mon = [
        "--set",
        "executorDefaults.monitoring=true",
        "--set",
        "serviceMonitor.labels.release=kps",
    ];
    let (_t, docs) = render_long(&mon, "rel");
    assert!(
        names_of(&docs, "ServiceMonitor").is_empty(),
        "no CRD, no ServiceMonitor"
    );
    let mut with_crd = mon.to_vec();
    with_crd.extend(["--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"]);
    let (_t2, docs) = render_long(&with_crd, "rel");
    let head = docs
        .iter()
        .find(|d| {
            d["kind"] == "ServiceMonitor"
                && d["metadata"]["name"].as_str().unwrap().ends_with("-head")
        })
        .unwrap();
    assert_eq!(head["metadata"]["labels"]["release"], "kps");
    let ports: Vec<&str> = head["spec"]["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["port"].as_str().unwrap())
        .collect();
    assert_eq!(
        ports,
        ["monitoring", "mon-uses-after"],
        "the uses_after sidecar's metrics are scraped too"
    );
    let pod = &docs
        .iter()
        .find(|d| {
            d["kind"] == "Deployment" && d["metadata"]["name"].as_str().unwrap().ends_with("-head")
        })
        .unwrap()["spec"]["template"]["spec"];
    let declared: Vec<i64> = pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["containerPort"].as_i64().unwrap())
        })
        .collect();
    assert!(
        declared.contains(&9090) && declared.contains(&9092),
        "{declared:?}"
    );
    semantic::assert_no_errors(&docs, "monitoring");
}

#[test]
fn strategies_render_only_what_their_type_allows_and_impossible_ones_are_refused() {
    let (_t, docs) = render_long(&["--set", "executors.second.strategy.type=Recreate"], "rel");
    let d = find(&docs, "Deployment", "rel-demo-second");
    assert_eq!(
        d["spec"]["strategy"],
        serde_json::json!({"type": "Recreate"})
    );
    let tmp = TempDir::new("strategy");
    let flow = tmp.path().join("f.yml");
    std::fs::write(&flow, LONG_NAMES).unwrap();
    let chart = tmp.path().join("c");
    generate_chart(&flow, &chart, "demo");
    for (_, helm) in helms() {
        let err = try_render(
            &helm,
            &chart,
            tmp.path(),
            "rel",
            "demo",
            &[
                "--set",
                "executorDefaults.strategy.rollingUpdate.maxSurge=0",
            ],
        )
        .unwrap_err();
        // The default comes from executorDefaults, and is refused there, once.
        assert!(
            err.contains(
                "executorDefaults.strategy.rollingUpdate: maxSurge and maxUnavailable are both 0"
            ),
            "{err}"
        );
        let err = try_render(
            &helm,
            &chart,
            tmp.path(),
            "rel",
            "demo",
            &[
                "--set",
                "executorDefaults.strategy.type=Recreate",
                "--set",
                "executorDefaults.persistence.enabled=true",
            ],
        )
        .unwrap_err();
        assert!(err.contains("cannot Recreate"), "{err}");
    }
    // A GPU executor rolls without a spare GPU.
    let gpu = tmp.path().join("gpu.yml");
    std::fs::write(
        &gpu,
        unindent(
            "
            jtype: Flow
            executors:
              - name: enc
                uses: docker://acme/x:1
                gpus: 1
            ",
        ),
    )
    .unwrap();
    let chart = tmp.path().join("g");
    generate_chart(&gpu, &chart, "demo");
    let docs = documents(&render(
        &helms()[1].1,
        &chart,
        tmp.path(),
        "rel",
        "demo",
        &[],
    ));
    let d = find(&docs, "Deployment", "rel-demo-enc");
    assert_eq!(
        d["spec"]["strategy"]["rollingUpdate"],
        serde_json::json!({"maxSurge": 0, "maxUnavailable": 1})
    );
}

#[test]
fn values_check_warns_when_an_empty_map_would_not_clear_a_default() {
    let tmp = TempDir::new("emptymap");
    let chart = tmp.path().join("c");
    generate_chart(&common::root().join("examples/search.yml"), &chart, "demo");
    Test::in_dir(tmp.path())
        .file(
            "v.yaml",
            unindent(
                "
                executorDefaults:
                  nodeSelector: {pool: gpu}
                executors:
                  segmenter:
                    nodeSelector: {}
                ",
            ),
        )
        .args(["values", "check"])
        .arg(&chart)
        .args(["-f", "{dir}/v.yaml"])
        .stderr_contains("v.yaml:5:5: warning: `executors.segmenter.nodeSelector: {}` leaves")
        .run();
}

#[test]
fn pods_get_no_service_links_and_claims_the_cluster_default_class() {
    let (_t, docs) = render_long(&[], "rel");
    for d in docs
        .iter()
        .filter(|d| matches!(d["kind"].as_str(), Some("Deployment" | "StatefulSet")))
    {
        assert_eq!(
            d["spec"]["template"]["spec"]["enableServiceLinks"], false,
            "{}",
            d["metadata"]["name"]
        );
    }
    let sts = docs.iter().find(|d| d["kind"] == "StatefulSet").unwrap();
    let claim = &sts["spec"]["volumeClaimTemplates"][0]["spec"];
    assert!(
        claim.get("storageClassName").is_none(),
        "the cluster's default class: {claim}"
    );
    assert_eq!(
        sts["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"],
        "Retain"
    );
    let (_t2, docs) = render_long(&["--set", "global.storageClass=fast"], "rel");
    let sts = docs.iter().find(|d| d["kind"] == "StatefulSet").unwrap();
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"],
        "fast"
    );
    let (_t3, docs) = render_long(
        &[
            "--set",
            "global.storageClass=fast",
            "--set",
            "executorDefaults.persistence.storageClass=-",
        ],
        "rel",
    );
    let sts = docs.iter().find(|d| d["kind"] == "StatefulSet").unwrap();
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"],
        ""
    );
}

#[test]
fn names_keys_and_registries_the_api_server_would_reject_are_refused() {
    let tmp = TempDir::new("refuse");
    let chart = tmp.path().join("c");
    generate_chart(
        &common::fixtures().join("jina-reference/16-volumes/flow.yml"),
        &chart,
        "demo",
    );
    for (_, helm) in helms() {
        for (args, want) in [
            (
                vec!["--set", "executors.storage.dnsName=Not_A_Label"],
                "dnsName",
            ),
            (
                vec![
                    "--set",
                    "executors.storage.persistence.volumes.Bad_Name.mountPath=/x",
                ],
                "Bad_Name",
            ),
            (
                vec![
                    "--set",
                    "executors.storage.persistence.volumes.again.mountPath=/app/data",
                ],
                "both mount /app/data",
            ),
        ] {
            let err = try_render(&helm, &chart, tmp.path(), "rel", "demo", &args).unwrap_err();
            assert!(err.contains(want), "{args:?}: {err}");
        }
        let err = try_render(&helm, &chart, tmp.path(), "1st", "demo", &[]).unwrap_err();
        assert!(
            err.contains("Service names must start with a letter")
                && err.contains("fullnameOverride"),
            "{err}"
        );
    }
    // extraObjects as YAML text; global.imageRegistry replacing or prefixing the registry.
    let docs = documents(&render(&helms()[1].1, &chart, tmp.path(), "rel", "demo", &[
        "--set-string", "extraObjects[0]=apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-{{ .Release.Name }}",
        "--set", "global.imageRegistry=harbor.example.com/proxy",
    ]));
    assert!(try_find(&docs, "ConfigMap", "extra-rel").is_some());
    let image = find(&docs, "StatefulSet", "rel-demo-storage")["spec"]["template"]["spec"]
        ["containers"][0]["image"]
        .clone();
    assert_eq!(image, "harbor.example.com/proxy/acme/storage:1");
    let docs = documents(&render(
        &helms()[1].1,
        &chart,
        tmp.path(),
        "rel",
        "demo",
        &[
            "--set",
            "global.imageRegistry=mirror.example.com",
            "--set",
            "global.imageRegistryMode=prefix",
        ],
    ));
    let gw = find(&docs, "Deployment", "rel-demo-gateway")["spec"]["template"]["spec"]
        ["containers"][0]["image"]
        .clone();
    assert_eq!(gw, "mirror.example.com/jinaai/jina:3.34.0-py311-standard");
}

#[test]
fn arguments_linux_could_not_pass_are_refused_at_generation_and_at_render() {
    let tmp = TempDir::new("argmax");
    // At generation: a Flow whose gateway could not start even with the shortest names.
    let mut yaml = String::from("jtype: Flow\nexecutors:\n");
    for i in 0..3000 {
        yaml.push_str(&format!(
            "  - name: executor_with_a_long_name_{i:05}\n    uses: docker://acme/x:1\n"
        ));
    }
    let flow = tmp.path().join("big.yml");
    std::fs::write(&flow, yaml).unwrap();
    Test::in_dir(tmp.path())
        .arg("chart")
        .arg(&flow)
        .args(["-o", "{dir}/big"])
        .status(2)
        .stderr_contains("MAX_ARG_STRLEN")
        .stderr_contains("at most about")
        .run();
    assert!(!tmp.path().join("big").exists());
    // At render: a head with more shards than its list can carry.
    let chart = tmp.path().join("c");
    generate_chart(
        &common::fixtures().join("jina-reference/03-shards-any/flow.yml"),
        &chart,
        "demo",
    );
    let release = "a-long-release-name-for-the-argument-limit";
    let err = try_render(
        &helms()[1].1,
        &chart,
        tmp.path(),
        release,
        "a-long-namespace-name-as-well",
        &["--set", "executors.indexer.shards=2500"],
    )
    .unwrap_err();
    assert!(
        err.contains("--connection-list")
            && err.contains("MAX_ARG_STRLEN")
            && err.contains("shards fit"),
        "{err}"
    );
}

#[test]
fn the_test_pod_is_configurable() {
    let (_t, docs) = render_long(
        &[
            "--set",
            "test.image.repository=acme/tester",
            "--set",
            "test.image.tag=v1",
            "--set",
            "test.nodeSelector.pool=system",
            "--set",
            "test.resources.limits.cpu=1",
        ],
        "rel",
    );
    let pod = find(&docs, "Pod", "rel-demo-gateway-test");
    let c = &pod["spec"]["containers"][0];
    assert_eq!(c["image"], "acme/tester:v1");
    assert_eq!(c["resources"]["limits"]["cpu"], 1);
    assert_eq!(pod["spec"]["nodeSelector"]["pool"], "system");
}

#[test]
fn the_shipped_hardened_values_are_what_pod_security_restricted_needs() {
    // Default values miss only runAsNonRoot (a UID must be chosen); values-hardened.yaml adds it
    // and passes; a later values file can still break it, and the check says where.
    let tmp = TempDir::new("restricted");
    let chart = tmp.path().join("chart");
    generate_chart(&common::root().join("examples/search.yml"), &chart, "demo");
    let (_, helm) = &helms()[1];
    let hardened = chart.join("values-hardened.yaml");
    let hardened = hardened.to_str().unwrap();
    let violations = |args: &[&str]| {
        let docs = documents(&render(helm, &chart, tmp.path(), "rel", "demo", args));
        podsecurity::restricted(&docs)
    };
    let defaults = violations(&[]);
    assert!(!defaults.is_empty());
    assert!(
        defaults
            .iter()
            .all(|v| v.contains(": runAsNonRoot != true:")),
        "{defaults:#?}"
    );
    assert_eq!(violations(&["-f", hardened]), Vec::<String>::new());
    let broken = violations(&[
        "-f",
        hardened,
        "--set",
        "executors.segmenter.securityContext.privileged=true",
        "--set",
        "gateway.securityContext.allowPrivilegeEscalation=true",
    ]);
    assert_eq!(broken.len(), 2, "{broken:#?}");
    let found = |object: &str, check: &str| {
        broken
            .iter()
            .any(|v| v.contains(object) && v.contains(check))
    };
    assert!(found("gateway", "allowPrivilegeEscalation"), "{broken:#?}");
    assert!(found("segmenter", ": privileged:"), "{broken:#?}");
}

/// `helm template` of `chart` with one values file: whether it rendered, and helm's stderr (the
/// coalescing warnings helm logs and otherwise ignores).
fn helm_verdict(helm: &Path, chart: &Path, home: &Path, values: &Path) -> (bool, String) {
    let mut cmd = std::process::Command::new(helm);
    cmd.args(["template", "rel"])
        .arg(chart)
        .args(["--namespace", "demo", "-f"])
        .arg(values);
    let o = run_in(&mut cmd, home);
    (o.status.success(), stderr(&o))
}

#[test]
fn values_check_refuses_what_helm_would_drop_by_shape_or_number() {
    let tmp = TempDir::new("vshape");
    let flow = tmp.path().join("f.yml");
    std::fs::write(
        &flow,
        unindent(
            "
            jtype: Flow
            executors:
              - name: enc
                uses: docker://acme/enc:1
                uses_with: {model: small, nested: {a: 1}}
            ",
        ),
    )
    .unwrap();
    let chart = tmp.path().join("c");
    generate_chart(&flow, &chart, "demo");
    let check = |name: &str, text: &str| {
        Test::in_dir(tmp.path())
            .args(["values", "check"])
            .arg(&chart)
            .args(["-f".to_string(), format!("{{dir}}/{name}")])
            .file(name, unindent(text))
    };
    // helm renders these, keeping the file's value and logging that it dropped the chart's: the
    // check refuses them at the key.
    let dropped: &[(&str, &str, &str, &str)] = &[
        (
            "table.yaml",
            "
            executors:
              enc:
                usesWith:
                  model: {name: x}
            ",
            "{dir}/table.yaml:4:7: error: `executors.enc.usesWith.model` is a table here but a string in the chart",
            "is a table. Ignoring non-table value",
        ),
        (
            "flat.yaml",
            "
            executors:
              enc:
                usesWith:
                  nested: flat
            ",
            "{dir}/flat.yaml:4:7: error: `executors.enc.usesWith.nested` is a string here but a table in the chart",
            "cannot overwrite table with non table",
        ),
    ];
    for (name, text, error, helm_says) in dropped {
        let out = check(name, text).status(2).stderr_starts_with(*error).run();
        for (h, helm) in helms() {
            let (ok, log) = helm_verdict(&helm, &chart, tmp.path(), &out.dir().join(name));
            assert!(ok && log.contains(helm_says), "{h} {name}: {ok} {log}");
        }
    }
    // An exact value may replace a value of another shape; one laid over a table must clear the
    // table's other keys; numbers helm would change are warned about or refused.
    check(
        "exact.yaml",
        "
        executors:
          enc:
            usesWith:
              model: {$json: 'null'}
              nested: {$json: '[1.0]', a: null}
        ",
    )
    .stderr("")
    .run();
    check(
        "merged.yaml",
        "
        executors:
          enc:
            usesWith:
              nested: {$json: '1'}
        ",
    )
    .status(2)
    .stderr_starts_with("{dir}/merged.yaml:4:16: error: `executors.enc.usesWith.nested`: a table with `$json` stands for one JSON value, but this one also has a (after helm's merge)")
    .run();
    check(
        "float.yaml",
        "
        executors:
          enc:
            usesWith:
              threshold: 1.0
        ",
    )
    .stderr("{dir}/float.yaml:4:18: warning: `executors.enc.usesWith.threshold: 1.0` reaches Jina as the integer 1: helm reads every number as a float64 and writes a whole one without its fraction; write `{$json: \"1.0\"}` for the float\n")
    .run();
    check(
        "big.yaml",
        "
        executors:
          enc:
            usesWith:
              seed: 18014398509481985
        ",
    )
    .status(2)
    .stderr_starts_with("{dir}/big.yaml:4:13: error: `executors.enc.usesWith.seed` is 18014398509481985, past 2^53: helm reads every number as a float64, which would pass 18014398509481984 to Jina\n  hint: write `{$json: \"18014398509481985\"}` to pass it as written")
    .run();
    check(
        "port.yaml",
        "
        executors:
          enc:
            args:
              port: 9000
        ",
    )
    .status(2)
    .stderr_starts_with("{dir}/port.yaml:4:7: error: `executors.enc.args.port`: the chart passes --port itself, and an args entry would override it\n  hint: use `executors.enc.protocols`")
    .run();
}

#[test]
fn one_verdict_for_gpus_at_generation_in_the_schema_and_in_values_check() {
    let tmp = TempDir::new("gpus");
    let flow = tmp.path().join("f.yml");
    std::fs::write(
        &flow,
        "jtype: Flow\nexecutors:\n  - name: enc\n    uses: docker://acme/enc:1\n",
    )
    .unwrap();
    let chart = tmp.path().join("c");
    generate_chart(&flow, &chart, "demo");
    let (_, helm) = &helms()[1];
    for (text, ok) in [
        ("2", true),
        ("+1", true),
        ("all", true),
        ("0", true),
        ("device=0", false),
        ("device=,", false),
        ("-1", false),
        ("1.5", false),
        ("lots", false),
    ] {
        let name = text.replace(['=', ','], "_");
        let gpu_flow = tmp.path().join(format!("gpus-{name}.yml"));
        std::fs::write(
            &gpu_flow,
            format!("jtype: Flow\nexecutors:\n  - name: enc\n    uses: docker://acme/enc:1\n    gpus: '{text}'\n"),
        )
        .unwrap();
        let gen = flowhelm()
            .arg("check")
            .arg(&gpu_flow)
            .output()
            .unwrap()
            .status
            .success();
        let values = tmp.path().join(format!("gpus-{name}.yaml"));
        std::fs::write(
            &values,
            format!("executors:\n  enc:\n    gpus: \"{text}\"\n"),
        )
        .unwrap();
        let check = flowhelm()
            .args(["values", "check"])
            .arg(&chart)
            .arg("-f")
            .arg(&values)
            .output()
            .unwrap()
            .status
            .success();
        let (render, _) = helm_verdict(helm, &chart, tmp.path(), &values);
        assert_eq!(
            (gen, check, render),
            (ok, ok, ok),
            "gpus {text:?}: generation, values check, helm"
        );
    }
}
