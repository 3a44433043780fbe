//! End to end on the pod runner (`scripts/cluster`): charts rendered by real helm run as real
//! Jina processes (gateways, heads, sidecars, executors) in network namespaces, with Services,
//! DNS, Secrets, volumes and probes as a cluster gives them, and requests sent through the whole
//! Flow with Jina's own Client. Every executor image runs the trace executor
//! (tests/fixtures/cluster/executor), which tags each document with the runtime and pod that
//! handled it, so the tests see the exact path a request took.
//!
//! Needs root, and what `scripts/install-tools.sh` installs (iptables, dnsmasq, the pinned
//! jina venv). Clusters run one at a time (a jina process costs about a second of CPU to start;
//! these machines have two cores), and each is torn down when its test ends, pass or fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

use crate::common::{fixtures, flowhelm, root, stderr, stdout, tool, TempDir};
use serde_json::Value as J;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn cluster_cmd() -> Command {
    Command::new(root().join("scripts/cluster"))
}

fn cluster_fixture(name: &str) -> PathBuf {
    fixtures().join("cluster").join(name)
}

/// A chart generated from `flow` and rendered by helm 4 as release `r` in `ns`.
fn render(dir: &Path, flow: &Path, ns: &str, args: &[&str]) -> PathBuf {
    render_as(dir, flow, "r", ns, args)
}

/// [`render`] with another release name.
fn render_as(dir: &Path, flow: &Path, release: &str, ns: &str, args: &[&str]) -> PathBuf {
    let chart = dir.join(format!("chart-{ns}"));
    if !chart.exists() {
        let o = flowhelm()
            .arg("chart")
            .arg(flow)
            .arg("-o")
            .arg(&chart)
            .output()
            .unwrap();
        assert!(o.status.success(), "flowhelm chart: {}", stderr(&o));
    }
    let out = dir.join(format!("render-{ns}-{}.yaml", args.len()));
    let o = Command::new(tool("helm4"))
        .args(["template", release])
        .arg(&chart)
        .args(["-n", ns])
        .args(args)
        .env("HELM_CONFIG_HOME", dir.join("helm"))
        .env("HELM_CACHE_HOME", dir.join("helm"))
        .env("HELM_DATA_HOME", dir.join("helm"))
        .output()
        .unwrap();
    assert!(o.status.success(), "helm template: {}", stderr(&o));
    std::fs::write(&out, &o.stdout).unwrap();
    out
}

/// One pod-runner cluster; `down` when dropped.
struct Cluster {
    dir: TempDir,
    state: PathBuf,
    _one: MutexGuard<'static, ()>,
}

impl Cluster {
    fn new(tag: &str) -> Cluster {
        let one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let dir = TempDir::new(tag);
        let state = dir.path().join("state");
        Cluster {
            dir,
            state,
            _one: one,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `up` with the given manifests; the output, whatever the outcome.
    fn try_up(&self, manifests: &[PathBuf], ns: &str, extra: &[&str]) -> Output {
        let mut c = cluster_cmd();
        c.arg("up").arg("--state").arg(&self.state);
        for m in manifests {
            c.arg("--manifests").arg(m);
        }
        c.args(["--namespace", ns, "--timeout", "150"]).args(extra);
        c.output().unwrap()
    }

    fn up(&self, manifests: &[PathBuf], ns: &str, extra: &[&str]) {
        let o = self.try_up(manifests, ns, extra);
        assert!(
            o.status.success(),
            "cluster up failed:\n{}{}",
            stdout(&o),
            stderr(&o)
        );
    }

    fn run(&self, args: &[&str]) -> Output {
        cluster_cmd()
            .arg(args[0])
            .arg("--state")
            .arg(&self.state)
            .args(&args[1..])
            .output()
            .unwrap()
    }

    fn status(&self) -> J {
        let o = self.run(&["status"]);
        assert!(o.status.success(), "status: {}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    }

    /// Documents returned by a request of `docs` documents through `service`.
    fn client(
        &self,
        service: &str,
        protocol: &str,
        endpoint: &str,
        docs: usize,
        tags: &str,
    ) -> Vec<J> {
        let o = self.run(&[
            "client",
            "--service",
            service,
            "--protocol",
            protocol,
            "--endpoint",
            endpoint,
            "--docs",
            &docs.to_string(),
            "--tags",
            tags,
        ]);
        assert!(
            o.status.success(),
            "client {service} {protocol} {endpoint} failed: {}",
            stderr(&o)
        );
        let out: Vec<J> = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("client output is not JSON ({e}): {}", stdout(&o)));
        assert_eq!(out.len(), docs, "documents returned: {out:?}");
        out
    }

    fn exec(&self, pod: &str, argv: &[&str]) -> (i32, String) {
        let mut args = vec!["exec", pod, "--"];
        args.extend_from_slice(argv);
        let o = self.run(&args);
        (o.status.code().unwrap_or(-1), stdout(&o))
    }

    fn pods(&self) -> Vec<J> {
        self.status()["pods"].as_array().unwrap().clone()
    }

    fn pod_named(&self, prefix: &str) -> String {
        let names: Vec<String> = self
            .pods()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .filter(|n| n.starts_with(prefix))
            .collect();
        assert!(!names.is_empty(), "no pod named {prefix}*");
        names[0].clone()
    }

    /// Every pod Ready, none restarted.
    fn assert_healthy(&self) {
        for p in self.pods() {
            if p["test"].as_bool().unwrap() {
                continue;
            }
            assert!(p["ready"].as_bool().unwrap(), "pod not Ready: {p:#}");
            for c in p["containers"].as_array().unwrap() {
                assert_eq!(c["restarts"], 0, "container restarted: {c:#}");
            }
        }
    }

    /// `scripts/cluster test` passes and ran at least one test Pod.
    fn assert_helm_test(&self) {
        let o = self.run(&["test"]);
        assert!(
            o.status.success(),
            "helm test hooks failed:\n{}{}",
            stdout(&o),
            stderr(&o)
        );
        let results: Vec<J> = serde_json::from_slice(&o.stdout).unwrap();
        assert!(!results.is_empty());
    }

    /// Endpoints (pod names) of a Service.
    fn endpoints(&self, service: &str) -> Vec<String> {
        let status = self.status();
        let svc = status["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == service)
            .unwrap_or_else(|| panic!("no Service {service}"))
            .clone();
        svc["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["pod"].as_str().unwrap().to_string())
            .collect()
    }

    fn namespaces_left(&self) -> Vec<String> {
        let id = cluster_id(&self.state);
        let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
        stdout(&out)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(&format!("fh{id}-")))
            .map(String::from)
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.run(&["down"]);
    }
}

/// The runner names its namespaces `fh<first 8 hex of sha256(state path)>-…`.
fn cluster_id(state: &Path) -> String {
    let o = Command::new("python3")
        .args([
            "-c",
            "import hashlib,os,sys; print(hashlib.sha256(os.path.abspath(sys.argv[1]).encode()).hexdigest()[:8])",
        ])
        .arg(state)
        .output()
        .unwrap();
    stdout(&o).trim().to_string()
}

/// The runtimes that handled a document (its tags minus the ones the request set).
fn visits(doc: &J) -> BTreeSet<String> {
    doc["tags"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.is_object())
        .map(|(k, _)| k.clone())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Pods that handled `runtime` over all documents.
fn pods_of(docs: &[J], runtime: &str) -> BTreeSet<String> {
    docs.iter()
        .filter_map(|d| d["tags"][runtime]["pod"].as_str().map(String::from))
        .collect()
}

fn secrets_file(dir: &Path, entries: &[(&str, &str, &str, &str)]) -> PathBuf {
    let mut text = String::new();
    for (ns, name, key, value) in entries {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {ns}}}\nstringData: {{{key}: {value}}}\n"
        ));
    }
    let p = dir.join("secrets.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

fn env_of(c: &Cluster, pod: &str, names: &[&str]) -> BTreeMap<String, J> {
    let script =
        format!("import json, os; print(json.dumps({{k: os.environ.get(k) for k in {names:?}}}))");
    let (code, out) = c.exec(pod, &["python", "-c", &script]);
    assert_eq!(code, 0, "exec in {pod}: {out}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn runner_behaves_as_kubelet_kube_proxy_and_dns() {
    let c = Cluster::new("runner");
    let images = cluster_fixture("echo-images.yaml");
    c.up(
        &[cluster_fixture("selftest.yaml")],
        "rt",
        &["--images", images.to_str().unwrap()],
    );
    let pods: Vec<String> = c
        .pods()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(pods.len(), 3);
    for p in &pods {
        // Deployment pods are <name>-<template hash>-<5 random>.
        let parts: Vec<&str> = p.split('-').collect();
        assert_eq!(
            (parts.len(), parts[0], parts[1].len(), parts[2].len()),
            (3, "echo", 10, 5),
            "{p}"
        );
    }
    let pod = &pods[0];

    // The environment a kubelet builds: $(VAR) expansion, envFrom keys that are not variable
    // names skipped, the downward API, service links.
    let env = env_of(
        &c,
        pod,
        &[
            "ADDRESS",
            "GREETING",
            "dotted.name",
            "9lives",
            "bad key",
            "POD_NS",
            "TIER",
            "K8S_POD_NAME",
            "HOSTNAME",
            "ECHO_SERVICE_PORT",
        ],
    );
    let ip = c.pods()[0]["ip"].as_str().unwrap().to_string();
    assert_eq!(env["ADDRESS"], format!("{ip}:8080 $(UNDEFINED) $(PORT)"));
    assert_eq!(env["GREETING"], "hello");
    assert_eq!(env["dotted.name"], "kept");
    assert_eq!(env["9lives"], J::Null);
    assert_eq!(env["bad key"], J::Null);
    assert_eq!(env["POD_NS"], "rt");
    assert_eq!(env["TIER"], "test");
    assert_eq!(env["K8S_POD_NAME"], pod.as_str());
    assert_eq!(env["HOSTNAME"], pod.as_str());
    assert_eq!(env["ECHO_SERVICE_PORT"], "80");

    // kube-proxy: new connections spread over the endpoints, one connection stays on one pod.
    let fetch = |args: &[&str]| -> BTreeMap<String, usize> {
        let mut argv = vec!["python", "fetch.py"];
        argv.extend_from_slice(args);
        let (code, out) = c.exec(pod, &argv);
        assert_eq!(code, 0, "{out}");
        let mut counts = BTreeMap::new();
        for line in out.lines() {
            *counts.entry(line.to_string()).or_insert(0) += 1;
        }
        counts
    };
    let spread = fetch(&["http://echo.rt.svc:80/", "30"]);
    assert!(spread.len() >= 2, "30 new connections reached {spread:?}");
    let sticky = fetch(&["http://echo/", "20", "--keep-alive"]);
    assert_eq!(sticky.len(), 1, "one connection reached {sticky:?}");

    // DNS: a headless Service resolves to every Ready pod.
    let (_, out) = c.exec(
        pod,
        &[
            "python",
            "-c",
            "import socket; print(sorted(socket.gethostbyname_ex('echo-headless')[2]))",
        ],
    );
    assert_eq!(out.matches("10.244.").count(), 3, "{out}");

    // Readiness gates endpoints: a pod that fails it receives no new connections.
    let victim = pods[1].clone();
    assert_eq!(c.exec(&victim, &["touch", "/tmp/not-ready"]).0, 0);
    wait_until(
        || !c.endpoints("echo").contains(&victim),
        "the not-Ready pod leaves the endpoints",
    );
    assert!(!c.endpoints("echo-headless").contains(&victim));
    let after = fetch(&["http://echo/", "20"]);
    assert!(!after.contains_key(&victim), "{after:?}");

    // A failing liveness probe restarts the container (its /tmp is its own, so it comes back).
    assert_eq!(c.exec(&pods[2], &["touch", "/tmp/dead"]).0, 0);
    wait_until(
        || {
            let p = c
                .pods()
                .into_iter()
                .find(|p| p["name"] == pods[2].as_str())
                .unwrap();
            p["containers"][0]["restarts"] == 1 && p["ready"] == true
        },
        "the container restarts after its liveness probe fails, and is Ready again",
    );
    let p = c
        .pods()
        .into_iter()
        .find(|p| p["name"] == pods[2].as_str())
        .unwrap();
    let last = &p["containers"][0]["lastTermination"];
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("Liveness probe failed"),
        "{last}"
    );
}

fn wait_until(mut cond: impl FnMut() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    while std::time::Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    panic!("timed out waiting until {what}");
}

#[test]
fn runner_reports_what_keeps_pods_from_starting_and_leaves_nothing() {
    let c = Cluster::new("negative");
    let reference = fixtures().join("jina-reference");
    // A Flow whose Secrets are not given, and one whose executor image runs something broken.
    let secrets = render(
        c.path(),
        &reference.join("07-env-secrets/flow.yml"),
        "nosecret",
        &[],
    );
    let broken = render(
        c.path(),
        &reference.join("01-single/flow.yml"),
        "broken",
        &[],
    );
    let images = cluster_fixture("broken-images.yaml");
    let links_before = stdout(&Command::new("ip").args(["-o", "link"]).output().unwrap());
    let o = c.try_up(
        &[
            secrets,
            broken,
            cluster_fixture("selftest-long-statefulset.yaml"),
        ],
        "nosecret",
        &["--images", images.to_str().unwrap(), "--timeout", "25"],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // The first Secret the container's env reads that is missing.
    assert!(
        err.contains(
            "container executor: CreateContainerConfigError: secret \"api-credentials\" not found"
        ),
        "{err}"
    );
    let broken = err
        .lines()
        .find(|l| l.contains("pod broken/r-flow-encoder-"))
        .unwrap_or_else(|| panic!("{err}"));
    // jina exits 0 when its executor fails to load; the kubelet restarts it all the same.
    assert!(
        broken.contains("CrashLoopBackOff") && broken.contains("can not find config.yml"),
        "{broken}"
    );
    assert!(err.contains("kubernetes#64023"), "{err}");
    // `up` failed, so it tore everything down; its last status says why.
    let status = c.status();
    assert_eq!(status["running"], false);
    let pod = status["pods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["namespace"] == "nosecret" && p["name"].as_str().unwrap().contains("db-writer"))
        .unwrap()
        .clone();
    assert_eq!(pod["containers"][0]["reason"], "CreateContainerConfigError");
    assert!(c.namespaces_left().is_empty(), "{:?}", c.namespaces_left());
    let pids: Vec<i64> = status["pods"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["containers"].as_array().unwrap().clone())
        .filter_map(|c| c["lastPid"].as_i64())
        .collect();
    assert!(!pids.is_empty());
    for pid in pids {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} survived `down`"
        );
    }
    let links_after = stdout(&Command::new("ip").args(["-o", "link"]).output().unwrap());
    assert_eq!(links_before, links_after, "the machine's own links changed");
    // down is idempotent.
    assert!(c.run(&["down"]).status.success());
    assert!(c.run(&["down"]).status.success());
}

#[test]
fn search_example_runs_with_default_values() {
    let c = Cluster::new("search");
    let manifests = render(c.path(), &root().join("examples/search.yml"), "search", &[]);
    let secrets = secrets_file(c.path(), &[("search", "indexer-db", "password", "s3cret")]);
    c.up(
        &[manifests],
        "search",
        &["--secrets", secrets.to_str().unwrap()],
    );
    c.assert_healthy();

    // The graph: segmenter, then the encoder its `when` filter picks, then the sharded
    // indexer, which polls /index ANY (one shard) and /search ALL (both).
    let encoders = [("text", "text_encoder"), ("image", "image_encoder")];
    for (service, protocol) in [
        ("r-search-gateway", "grpc"),
        ("r-search-gateway:8081", "http"), // one gateway Service, a port per protocol
    ] {
        // Over http one modality is enough: the graph is the gateway's, whatever the protocol.
        let encoders = if protocol == "grpc" {
            &encoders[..]
        } else {
            &encoders[1..]
        };
        for &(modality, encoder) in encoders {
            let tags = format!("{{\"modality\": \"{modality}\"}}");
            for doc in c.client(service, protocol, "/search", 2, &tags) {
                assert_eq!(
                    visits(&doc),
                    set(&["segmenter", encoder, "indexer-0", "indexer-1"]),
                    "{protocol} /search"
                );
            }
            let docs = c.client(service, protocol, "/index", 4, &tags);
            for doc in &docs {
                let v = visits(doc);
                let shards = v.iter().filter(|n| n.starts_with("indexer-")).count();
                assert_eq!(shards, 1, "{protocol} /index polls one shard: {v:?}");
                assert!(v.contains("segmenter") && v.contains(encoder), "{v:?}");
            }
        }
    }
    // image_encoder has two replicas Ready behind its Service.
    assert_eq!(c.endpoints("r-search-image-encoder").len(), 2);
    // env from the Flow, the Secret from env_from_secret.
    let indexer = c.pod_named("r-search-indexer-0-");
    let env = env_of(
        &c,
        &indexer,
        &["INDEX_METRIC", "DB_PASSWORD", "K8S_POD_NAME"],
    );
    assert_eq!(env["INDEX_METRIC"], "cosine");
    assert_eq!(env["DB_PASSWORD"], "s3cret");
    assert_eq!(env["K8S_POD_NAME"], indexer.as_str());
    // helm test: the dry run, every gateway protocol, and one Jina version everywhere.
    c.assert_helm_test();
    c.assert_healthy();

    // The segmenter rebuilt on jina 3.33.0 (the trace executor on a second pinned release, the
    // same jina-proto): nothing at render can tell (its image is the user's), requests still
    // flow, and helm test names it with its image.
    let older = render(
        c.path(),
        &root().join("examples/search.yml"),
        "search",
        &[
            "--set",
            "executors.segmenter.image.repository=trace/jina-3.33.0",
            "--set",
            "executors.segmenter.image.tag=v1",
        ],
    );
    c.up(
        &[older],
        "search",
        &["--secrets", secrets.to_str().unwrap()],
    );
    for doc in c.client(
        "r-search-gateway",
        "grpc",
        "/search",
        2,
        "{\"modality\": \"text\"}",
    ) {
        assert!(visits(&doc).contains("segmenter"), "{doc}");
    }
    let (_, out) = c.exec(
        &c.pod_named("r-search-segmenter-"),
        &["python", "-c", "import jina; print(jina.__version__)"],
    );
    assert_eq!(out.trim(), "3.33.0");
    let o = c.run(&["test"]);
    assert!(
        !o.status.success(),
        "helm test passed with two Jina versions"
    );
    let report = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        report.contains("FAIL: executor segmenter (r-search-segmenter) runs jina 3.33.0, the gateway 3.34.0: image ghcr.io/trace/jina-3.33.0:v1"),
        "{report}"
    );
    assert!(!report.contains("FAIL: executor text_encoder"), "{report}");
}

#[test]
fn search_example_prod_values_then_value_changes_apply_to_the_running_set() {
    let c = Cluster::new("search-prod");
    let flow = root().join("examples/search.yml");
    let prod = root().join("examples/search.values-prod.yaml");
    let prod = prod.to_str().unwrap();
    // The shipped hardened profile under production values (non-root, read-only root
    // filesystem, NetworkPolicies, limits), replica counts lowered to fit two cores, and the
    // indexer's head replicated (heads keep no state).
    let chart = c.path().join("chart-prod"); // where render() keeps the chart of namespace prod
    let o = flowhelm()
        .arg("chart")
        .arg(&flow)
        .arg("-o")
        .arg(&chart)
        .output()
        .unwrap();
    assert!(o.status.success(), "flowhelm chart: {}", stderr(&o));
    let hardened = chart.join("values-hardened.yaml");
    let lowered = [
        "-f",
        hardened.to_str().unwrap(),
        "-f",
        prod,
        "--set",
        "executors.indexer.head.replicas=2",
        "--set",
        "gateway.replicas=1",
        "--set",
        "executors.image_encoder.replicas=1",
        "--set",
        "executors.text_encoder.replicas=1",
        "--set",
        "executors.indexer.shards=2",
        "--set",
        "executors.indexer.replicas=1",
    ];
    let secrets = secrets_file(
        c.path(),
        &[("prod", "indexer-db-prod", "password", "prod-secret")],
    );
    let secrets = secrets.to_str().unwrap();
    c.up(
        &[render(c.path(), &flow, "prod", &lowered)],
        "prod",
        &["--secrets", secrets],
    );
    c.assert_healthy();
    let docs = c.client(
        "r-search-gateway",
        "grpc",
        "/search",
        2,
        "{\"modality\": \"text\"}",
    );
    for doc in &docs {
        assert_eq!(
            visits(doc),
            set(&["segmenter", "text_encoder", "indexer-0", "indexer-1"])
        );
    }
    let indexer = c.pod_named("r-search-indexer-0-");
    assert_eq!(
        env_of(&c, &indexer, &["DB_PASSWORD"])["DB_PASSWORD"],
        "prod-secret"
    );
    // Two heads behind the head's Service, both Ready; the pods run as UID 10001 on a
    // read-only root.
    assert_eq!(c.endpoints("r-search-indexer-head").len(), 2);
    let (_, out) = c.exec(
        &indexer,
        &["sh", "-c", "id -u; touch /x 2>/dev/null; echo $?"],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first(), Some(&"10001"), "{out}");
    assert_ne!(
        lines.last(),
        Some(&"0"),
        "the root filesystem is writable: {out}"
    );

    // Three shards: the same chart re-rendered and applied to the running set.
    let mut three = lowered.to_vec();
    three.extend(["--set", "executors.indexer.shards=3"]);
    c.up(
        &[render(c.path(), &flow, "prod", &three)],
        "prod",
        &["--secrets", secrets],
    );
    for doc in c.client(
        "r-search-gateway",
        "grpc",
        "/search",
        2,
        "{\"modality\": \"image\"}",
    ) {
        assert_eq!(
            visits(&doc),
            set(&[
                "segmenter",
                "image_encoder",
                "indexer-0",
                "indexer-1",
                "indexer-2"
            ])
        );
    }
    // Three replicas of an executor: three pods Ready behind its Service, all serving.
    three.extend(["--set", "executors.image_encoder.replicas=3"]);
    c.up(
        &[render(c.path(), &flow, "prod", &three)],
        "prod",
        &["--secrets", secrets],
    );
    assert_eq!(c.endpoints("r-search-image-encoder").len(), 3);
    let image_pods: Vec<J> = c
        .pods()
        .into_iter()
        .filter(|p| {
            p["name"]
                .as_str()
                .unwrap()
                .starts_with("r-search-image-encoder-")
        })
        .collect();
    assert_eq!(image_pods.len(), 3, "old pods are gone after the rollout");
    assert!(image_pods.iter().all(|p| p["ready"] == true));
    c.client(
        "r-search-gateway",
        "grpc",
        "/index",
        3,
        "{\"modality\": \"image\"}",
    );
    c.assert_helm_test();
}

#[test]
fn summarizer_example_runs_with_its_volume_an_external_executor_a_long_release_name_and_readiness()
{
    // The release name makes the summarizer's StatefulSet as long as a StatefulSet can be
    // (52): its pods start. The chart's values-hardened.yaml (PodSecurity "restricted"): pods
    // run as UID 10001 with a read-only root and still write their claims. The Flow's external
    // moderation service is replaced by a stand-in in another namespace. A readiness probe that
    // can be made to fail shows an ordinary Service keeps new connections off a pod that is not
    // Ready, though it still serves gRPC.
    let c = Cluster::new("summarizer");
    let hardened = c.path().join("chart-summarizer/values-hardened.yaml");
    let release = "a-release-name-of-thirty-four-chars";
    let readiness = r#"executors.summarizer.probes.readiness={"handler":{"exec":{"command":["sh","-c","test ! -e /tmp/not-ready"]}},"periodSeconds":1,"timeoutSeconds":5,"failureThreshold":1,"initialDelaySeconds":1}"#;
    let manifests = render_as(
        c.path(),
        &root().join("examples/summarizer.yml"),
        release,
        "summarizer",
        &[
            "--set",
            "executors.moderation.external.hosts={moderation.ext.svc}",
            "--set",
            "executors.moderation.external.ports={8080}",
            "--set",
            "executors.moderation.external.tls=false",
            "--set-json",
            readiness,
            "-f",
            hardened.to_str().unwrap(),
        ],
    );
    c.up(
        &[manifests, cluster_fixture("external-standin.yaml")],
        "summarizer",
        &[],
    );
    c.assert_healthy();
    let gateway = format!("{release}-summarizer-gateway");
    let docs = c.client(&gateway, "http", "/index", 3, "{}");
    for doc in &docs {
        assert_eq!(visits(doc), set(&["moderation", "summarizer"]));
    }
    assert!(pods_of(&docs, "moderation")
        .iter()
        .all(|p| p.starts_with("moderation-")));
    let sts: BTreeSet<String> = c
        .pods()
        .iter()
        .filter(|p| p["owner"]["kind"] == "StatefulSet")
        .map(|p| p["owner"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sts.len(), 1);
    let sts = sts.into_iter().next().unwrap();
    assert!(
        sts.len() == 52 && sts.contains("summarizer"),
        "{sts}: {}",
        sts.len()
    );
    let (pod0, pod1) = (format!("{sts}-0"), format!("{sts}-1"));

    for pod in [c.pod_named(&format!("{gateway}-")), pod0.clone()] {
        let (code, out) = c.exec(
            &pod,
            &[
                "sh",
                "-c",
                "id -u; id -g; touch /x 2>/dev/null || echo read-only",
            ],
        );
        assert_eq!(
            (code, out.as_str()),
            (0, "10001\n10001\nread-only\n"),
            "{pod}"
        );
    }
    // A StatefulSet: pods <name>-<ordinal>, each with its own claim mounted at the Flow's path,
    // kept when the pod is replaced.
    let (code, out) = c.exec(
        &pod0,
        &["sh", "-c", "echo kept > /models/marker && echo $HF_HOME"],
    );
    assert_eq!((code, out.trim()), (0, "/models"));
    let o = c.run(&["delete-pod", &pod0]);
    assert!(o.status.success(), "{}", stderr(&o));
    wait_until(
        || {
            c.pods()
                .iter()
                .any(|p| p["name"] == pod0.as_str() && p["ready"] == true)
        },
        "the StatefulSet replaces its pod",
    );
    assert_eq!(
        c.exec(&pod0, &["cat", "/models/marker"]),
        (0, "kept\n".to_string())
    );
    let (_, other) = c.exec(&pod1, &["ls", "/models"]);
    assert_eq!(other.trim(), "", "each pod has its own claim");
    // monitoring: true serves metrics on 9090.
    let (code, out) = c.exec(
        &pod0,
        &[
            "python",
            "-c",
            "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9090/').status)",
        ],
    );
    assert_eq!((code, out.trim()), (0, "200"));
    c.client(&gateway, "http", "/search", 2, "{}");
    c.assert_helm_test();

    // Readiness: the not-Ready pod leaves the Service; a fresh gateway (a fresh connection)
    // reaches only the Ready one.
    assert_eq!(c.exec(&pod0, &["touch", "/tmp/not-ready"]).0, 0);
    wait_until(
        || c.endpoints(&sts) == vec![pod1.clone()],
        "the not-Ready pod leaves its Service's endpoints",
    );
    let gateway_pods = || -> Vec<(String, bool)> {
        c.pods()
            .iter()
            .filter(|p| p["test"] == false && p["owner"]["kind"] == "Deployment")
            .map(|p| (p["name"].as_str().unwrap().to_string(), p["ready"] == true))
            .filter(|(name, _)| name.starts_with(&format!("{gateway}-")))
            .collect()
    };
    let old = gateway_pods()[0].0.clone();
    assert!(c.run(&["delete-pod", &old]).status.success());
    wait_until(
        || {
            gateway_pods()
                .iter()
                .any(|(name, ready)| *name != old && *ready)
        },
        "the gateway is replaced",
    );
    let docs = c.client(&gateway, "http", "/index", 8, "{}");
    assert_eq!(pods_of(&docs, "summarizer"), set(&[pod1.as_str()]));
}

#[test]
fn reference_flows_run_shards_sidecars_protocols_secrets_and_a_deployment() {
    let c = Cluster::new("reference");
    let reference = fixtures().join("jina-reference");
    let cases = [
        ("07-env-secrets", "env"),
        ("12-gateway-multi-protocol", "multi"),
        ("14-uses-before-after", "sidecars"),
        ("20-deployment-jtype", "deployment"),
    ];
    let manifests: Vec<PathBuf> = cases
        .iter()
        .map(|(case, ns)| render(c.path(), &reference.join(case).join("flow.yml"), ns, &[]))
        .collect();
    let secrets = secrets_file(
        c.path(),
        &[
            ("env", "mysecret", "password", "pw"),
            ("env", "api-credentials", "token", "tok"),
        ],
    );
    c.up(&manifests, "env", &["--secrets", secrets.to_str().unwrap()]);
    c.assert_healthy();

    // A gateway serving grpc, http and websocket: each protocol reaches the executor.
    for (service, protocol) in [
        ("r-flow-gateway.multi", "grpc"),
        ("r-flow-gateway.multi:8081", "http"),
        ("r-flow-gateway.multi:8082", "websocket"),
    ] {
        for doc in c.client(service, protocol, "/", 2, "{}") {
            assert_eq!(visits(&doc), set(&["encoder"]), "{protocol}");
        }
    }
    // uses_before, both shards (polling ALL), then uses_after merging them.
    for doc in c.client("r-flow-gateway.sidecars", "grpc", "/", 3, "{}") {
        assert_eq!(
            visits(&doc),
            set(&[
                "indexer/uses-before",
                "indexer-0",
                "indexer-1",
                "indexer/uses-after"
            ])
        );
    }
    // jtype: Deployment has no gateway: the client talks to the head, which picks one shard.
    let docs = c.client("r-flow-standalone-head.deployment", "grpc", "/", 6, "{}");
    let mut shards = BTreeSet::new();
    for doc in &docs {
        let v = visits(doc);
        assert_eq!(v.len(), 1, "{v:?}");
        shards.extend(v);
    }
    assert!(shards.is_subset(&set(&["standalone-0", "standalone-1"])));
    // Each shard of the Deployment has two replicas Ready behind its Service.
    assert_eq!(c.endpoints("r-flow-standalone-0").len(), 2);
    // env and env_from_secret.
    let pod = c.pod_named("r-flow-db-writer-");
    let env = env_of(
        &c,
        &pod,
        &["LOG_FORMAT", "BATCH_SIZE", "SECRET_PASSWORD", "API_TOKEN"],
    );
    assert_eq!(env["LOG_FORMAT"], "json");
    assert_eq!(env["BATCH_SIZE"], "32");
    assert_eq!(env["SECRET_PASSWORD"], "pw");
    assert_eq!(env["API_TOKEN"], "tok");
    c.client("r-flow-gateway.env", "grpc", "/", 1, "{}");
    c.assert_helm_test();
}

/// How many documents each pod of `runtime` (a Jina name: `enc`, `idx-0`) served.
fn served_by(docs: &[J], runtime: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for d in docs {
        if let Some(pod) = d["tags"][runtime]["pod"].as_str() {
            *out.entry(pod.to_string()).or_insert(0) += 1;
        }
    }
    out
}

/// The manifests with one Deployment's `spec.replicas` changed and nothing else, as an
/// autoscaler changes it (a values change also changes Jina's `--replicas`, which rolls the pods).
fn scaled(manifests: &Path, deployment: &str, replicas: u32, out: &Path) -> PathBuf {
    let text = std::fs::read_to_string(manifests).unwrap();
    let name = format!("name: \"{deployment}\"");
    let docs: Vec<String> = text
        .split("\n---")
        .map(|d| {
            if d.contains("kind: \"Deployment\"") && d.contains(&name) {
                let at = d
                    .find("\n  replicas: ")
                    .expect("a Deployment's spec.replicas");
                let end = at + d[at + 1..].find('\n').unwrap() + 1;
                format!("{}\n  replicas: {replicas}{}", &d[..at], &d[end..])
            } else {
                d.to_string()
            }
        })
        .collect();
    std::fs::write(out, docs.join("\n---")).unwrap();
    out.to_path_buf()
}

/// How often each pod's readiness probe has failed: a pod that left its Service's endpoints
/// for a moment restarts the clock of every "within the bound" claim.
fn readiness_failures(c: &Cluster, prefix: &str) -> BTreeMap<String, u64> {
    c.pods()
        .iter()
        .filter(|p| p["name"].as_str().unwrap().starts_with(prefix))
        .map(|p| {
            let failures = p["containers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["probes"]["readiness"]["failures"].as_u64().unwrap_or(0));
            (p["name"].as_str().unwrap().to_string(), failures.sum())
        })
        .collect()
}

/// Without a mesh a ClusterIP Service spreads connections, and the gateway keeps one: one pod
/// serves everything. loadBalancing `jina` (the default once serviceMesh is none) spreads calls
/// over every Ready pod, behind the gateway and behind a head, picks up a pod an autoscaler adds
/// within the stated bound, stops sending to a pod that is not Ready within the same bound, and
/// loses no request when a pod is deleted.
#[test]
fn requests_spread_over_replicas_without_a_mesh() {
    let c = Cluster::new("balance");
    let flow = cluster_fixture("balancing.yml");
    let none = ["--set", "global.serviceMesh=none"];
    // Short connection ages so the test sees re-resolution in seconds: A = 3 s, R = 1 s.
    // A readiness probe a test can fail (`touch /tmp/not-ready` in the container).
    let readiness = r#"executors.enc.probes.readiness={"handler":{"exec":{"command":["sh","-c","test ! -e /tmp/not-ready"]}},"periodSeconds":1,"timeoutSeconds":5,"failureThreshold":1,"initialDelaySeconds":1}"#;
    let fast = [
        "--set",
        "global.loadBalancing.maxConnectionAgeMs=3000",
        "--set",
        "global.loadBalancing.maxConnectionAgeGraceMs=3000",
        "--set",
        "global.loadBalancing.resolveIntervalMs=1000",
        "--set-json",
        readiness,
    ];
    let render_to = |name: &str, args: &[&str]| {
        let out = render(c.path(), &flow, "lb", args);
        let to = c.path().join(name);
        std::fs::rename(&out, &to).unwrap();
        to
    };
    let baseline = render_to(
        "mesh.yaml",
        &[none[0], none[1], "--set", "global.loadBalancing.mode=mesh"],
    );
    c.up(&[baseline], "lb", &[]);
    c.assert_healthy();
    let docs = c.client("r-balancing-gateway", "grpc", "/", 60, "{}");
    let enc = served_by(&docs, "enc");
    assert!(
        enc.values().max() >= Some(&57),
        "without balancing one pod should serve (nearly) all: {enc:?}"
    );

    // The README's bound for a Ready pod to get calls: 1.1 A + R plus DNS (the runner publishes
    // a Ready change at once: 2 s of slack). A rollout starts the gateway while the executor's
    // pods are still coming up, so the spread is measured once the bound has passed.
    let bound = std::time::Duration::from_millis(1100 * 3 + 1000 + 2000);
    let mut args: Vec<&str> = none.to_vec();
    args.extend(fast);
    let balanced = render_to("jina.yaml", &args);
    c.up(std::slice::from_ref(&balanced), "lb", &[]);
    c.assert_healthy();
    std::thread::sleep(bound);
    let docs = c.client("r-balancing-gateway", "grpc", "/", 60, "{}");
    for runtime in ["enc", "idx-0", "idx-1"] {
        let served = served_by(&docs, runtime);
        assert_eq!(served.len(), 3, "{runtime}: {served:?}");
        assert!(
            served.values().all(|&n| n >= 12),
            "{runtime}: every replica should serve at least 20% of 60: {served:?}"
        );
    }

    // A values change: `--replicas` is in the executor's arguments, so the pods roll, and within
    // the bound the gateway's channel has re-resolved to the four new ones.
    let mut four = args.clone();
    four.extend(["--set", "executors.enc.replicas=4"]);
    let four = render_to("jina-4.yaml", &four);
    // The calls are counted over up to three rounds: a channel re-resolves on a connection's
    // age, and the first round may come before the last connection made before the rollout
    // ended has reached it (CI once saw 3 of 4 pods in a single round of 40).
    c.up(std::slice::from_ref(&four), "lb", &[]);
    std::thread::sleep(bound);
    let mut served = BTreeMap::new();
    for _ in 0..3 {
        let docs = c.client("r-balancing-gateway", "grpc", "/", 20, "{}");
        for (pod, n) in served_by(&docs, "enc") {
            *served.entry(pod).or_insert(0) += n;
        }
        if served.len() == 4 {
            break;
        }
    }
    assert_eq!(
        served.len(),
        4,
        "after --set replicas=4: {served:?}; readiness failures: {:?}",
        readiness_failures(&c, "r-balancing-enc-")
    );

    // An autoscaler's change (spec.replicas only): the new pod gets calls once the gateway's
    // connections reach their age.
    let five = scaled(&four, "r-balancing-enc", 5, &c.path().join("jina-5.yaml"));
    c.up(&[five], "lb", &[]);
    let ready = std::time::Instant::now();
    let mut seen = 0;
    while ready.elapsed() < bound && seen < 5 {
        let docs = c.client("r-balancing-gateway", "grpc", "/", 10, "{}");
        seen = served_by(&docs, "enc").len();
    }
    assert_eq!(
        seen,
        5,
        "the fifth pod got no call within {bound:?}; readiness failures: {:?}",
        readiness_failures(&c, "r-balancing-enc-")
    );

    // A pod that stops being Ready (it still serves gRPC) gets no new call once the same bound
    // has passed since it left the Service's endpoints.
    let unready = c.pod_named("r-balancing-enc-");
    assert_eq!(c.exec(&unready, &["touch", "/tmp/not-ready"]).0, 0);
    wait_until(
        || !c.endpoints("r-balancing-enc-pods").contains(&unready),
        "the not-Ready pod leaves the -pods Service",
    );
    let left = std::time::Instant::now();
    while left.elapsed() < bound {
        c.client("r-balancing-gateway", "grpc", "/", 10, "{}");
    }
    let docs = c.client("r-balancing-gateway", "grpc", "/", 20, "{}");
    let served = served_by(&docs, "enc");
    assert!(
        !served.contains_key(&unready),
        "{bound:?} after leaving the endpoints: {served:?}"
    );
    assert_eq!(served.len(), 4, "{served:?}");

    // A pod deleted while requests flow: Jina retries a failed call on a new channel, so no
    // request fails, and once the replacement is Ready the deleted pod gets nothing.
    let victim = c
        .endpoints("r-balancing-enc-pods")
        .into_iter()
        .next()
        .expect("a Ready enc pod");
    let during = std::thread::scope(|s| {
        let load = s.spawn(|| {
            (0..6)
                .map(|_| c.client("r-balancing-gateway", "grpc", "/", 5, "{}").len())
                .sum::<usize>()
        });
        let o = c.run(&["delete-pod", &victim]);
        assert!(o.status.success(), "delete-pod: {}", stderr(&o));
        load.join().unwrap()
    });
    assert_eq!(during, 30);
    wait_until(
        || {
            let ready = c.endpoints("r-balancing-enc-pods");
            ready.len() == 4 && !ready.contains(&victim)
        },
        "the replacement pod Ready",
    );
    let docs = c.client("r-balancing-gateway", "grpc", "/", 60, "{}");
    let served = served_by(&docs, "enc");
    assert!(
        !served.contains_key(&victim) && !served.contains_key(&unready),
        "{served:?}"
    );
    assert_eq!(served.values().sum::<usize>(), 60);
}
