//! The test cluster: one real single-node Kubernetes (`scripts/cluster`, built from the upstream
//! sources) for the whole test binary. The first test that asks for it starts it; it is torn
//! down when the binary exits (an `atexit` hook), and `scripts/cluster up` first removes what a
//! killed run left under the same state folder. Tests take it one at a time ([`cluster`]): two
//! cores run one Flow's Jina processes at a time well, not two.
//!
//! A test works in namespaces of its own ([`Namespace`], deleted when dropped, pass or fail)
//! and installs charts with real helm 4 (`Release`), after making their images pullable
//! (`scripts/cluster images`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value as J;

use crate::common::{fixtures, root, stderr, stdout, tool, TempDir};

pub struct Cluster {
    state: PathBuf,
    kubeconfig: PathBuf,
    /// Helm's own folders (repositories, cache), apart from the machine's.
    helm_home: TempDir,
}

static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
static STATE: OnceLock<PathBuf> = OnceLock::new();
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

extern "C" fn down_at_exit() {
    if let Some(state) = STATE.get() {
        let _ = cluster_cmd().args(["down", "--state"]).arg(state).output();
    }
}

pub fn cluster_cmd() -> Command {
    Command::new(root().join("scripts/cluster"))
}

fn start() -> Result<Cluster, String> {
    let state = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-cluster");
    STATE.set(state.clone()).ok();
    // SAFETY: registers a plain function; it runs once, at exit, after the tests.
    #[allow(unsafe_code)] // std has no atexit: the cluster goes down however the tests end
    unsafe {
        libc::atexit(down_at_exit)
    };
    let o = cluster_cmd()
        .args(["up", "--state"])
        .arg(&state)
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(format!("scripts/cluster up failed:\n{}", stderr(&o)));
    }
    let o = cluster_cmd()
        .args(["kubeconfig", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    let kubeconfig = PathBuf::from(stdout(&o).trim());
    Ok(Cluster {
        state,
        kubeconfig,
        helm_home: TempDir::new("cluster-helm"),
    })
}

/// The shared cluster, for one test at a time: the guard keeps the others waiting.
pub fn cluster() -> (MutexGuard<'static, ()>, &'static Cluster) {
    let guard = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match SHARED.get_or_init(start) {
        Ok(c) => (guard, c),
        Err(e) => panic!("{e}"),
    }
}

/// Wait until `cond` holds, or fail naming `what`.
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("timed out after {timeout:?} waiting until {what}");
}

impl Cluster {
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new(tool("kubectl"))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .output()
            .unwrap()
    }

    /// kubectl's output, failing the test when it fails.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let o = self.kubectl(args);
        assert!(o.status.success(), "kubectl {args:?}: {}", stderr(&o));
        stdout(&o)
    }

    pub fn kubectl_json(&self, args: &[&str]) -> J {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.kubectl_ok(&all)).unwrap()
    }

    /// kubectl reading `text` from standard input.
    pub fn kubectl_stdin(&self, args: &[&str], text: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new(tool("kubectl"))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn helm(&self, args: &[&str]) -> Output {
        let home = self.helm_home.path();
        Command::new(tool("helm4"))
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_DATA_HOME", home.join("data"))
            .output()
            .unwrap()
    }

    /// `scripts/cluster images` for these manifests, with the default image map or `map`.
    pub fn images(&self, manifests: &Path, map: Option<&Path>) {
        let mut c = cluster_cmd();
        c.args(["images", "--state"])
            .arg(&self.state)
            .arg("--manifests")
            .arg(manifests);
        if let Some(m) = map {
            c.arg("--images").arg(m);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "cluster images: {}", stderr(&o));
    }

    /// Documents returned by a request of `docs` documents through `service`
    /// (`NAME.NS[:PORT]`), sent with Jina's Client from the node.
    pub fn client(
        &self,
        service: &str,
        protocol: &str,
        endpoint: &str,
        docs: usize,
        tags: &str,
    ) -> Vec<J> {
        let o = self.try_client(service, protocol, endpoint, docs, tags);
        returned(&o, &format!("{service} {protocol} {endpoint}"), docs)
    }

    pub fn try_client(
        &self,
        service: &str,
        protocol: &str,
        endpoint: &str,
        docs: usize,
        tags: &str,
    ) -> Output {
        self.client_cmd(service, protocol, endpoint, docs, tags)
            .output()
            .unwrap()
    }

    /// Waits until a request of one document to `endpoint` through `service` is answered. A
    /// gateway just Ready (or just behind its Service) may still refuse a first call (a gRPC
    /// GOAWAY, a connection reset); what a test asserts comes after this.
    pub fn wait_answers(&self, service: &str, protocol: &str, endpoint: &str) {
        wait_until(
            Duration::from_secs(180),
            &format!("{service} answers {protocol} {endpoint}"),
            || {
                self.try_client(service, protocol, endpoint, 1, "{}")
                    .status
                    .success()
            },
        );
    }

    /// `calls` gRPC calls of one document each to endpoint `/` (Jina's Client sends up to 100
    /// documents per call by default, which a balancer sees as one call).
    pub fn calls(&self, service: &str, calls: usize) -> Vec<J> {
        self.try_calls(service, calls)
            .unwrap_or_else(|e| panic!("client {service} failed {e}"))
    }

    /// [`Cluster::calls`], or how the client failed (its exit status, stderr and stdout).
    pub fn try_calls(&self, service: &str, calls: usize) -> Result<Vec<J>, String> {
        self.try_calls_tagged(service, calls, "{}")
    }

    /// [`Cluster::try_calls`] of documents with these tags.
    pub fn try_calls_tagged(
        &self,
        service: &str,
        calls: usize,
        tags: &str,
    ) -> Result<Vec<J>, String> {
        let o = self
            .client_cmd(service, "grpc", "/", calls, tags)
            .args(["--request-size", "1"])
            .output()
            .unwrap();
        if !o.status.success() {
            return Err(format!(
                "({}): {}\nstdout: {}",
                o.status,
                stderr(&o),
                stdout(&o)
            ));
        }
        Ok(returned(&o, service, calls))
    }

    fn client_cmd(
        &self,
        service: &str,
        protocol: &str,
        endpoint: &str,
        docs: usize,
        tags: &str,
    ) -> Command {
        let mut c = cluster_cmd();
        c.args(["client", "--state"])
            .arg(&self.state)
            .args(["--service", service, "--protocol", protocol])
            .args(["--endpoint", endpoint, "--docs", &docs.to_string()])
            .args(["--tags", tags, "--timeout", "120"]);
        c
    }
}

/// The documents a successful `scripts/cluster client` printed, `docs` of them.
fn returned(o: &Output, what: &str, docs: usize) -> Vec<J> {
    assert!(
        o.status.success(),
        "client {what} failed ({}): {}\nstdout: {}",
        o.status,
        stderr(o),
        stdout(o)
    );
    let out: Vec<J> = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("client output is not JSON ({e}): {}", stdout(o)));
    assert_eq!(out.len(), docs, "documents returned: {out:?}");
    out
}

/// A label on the node while it lives (`KEY=VALUE`), as a node pool's label.
pub struct NodeLabel<'c> {
    cluster: &'c Cluster,
    key: String,
}

impl<'c> NodeLabel<'c> {
    pub fn new(cluster: &'c Cluster, label: &str) -> NodeLabel<'c> {
        cluster.kubectl_ok(&["label", "nodes", "--all", "--overwrite", label]);
        let key = label.split('=').next().unwrap().to_string();
        NodeLabel { cluster, key }
    }
}

impl Drop for NodeLabel<'_> {
    fn drop(&mut self) {
        let _ = self
            .cluster
            .kubectl(&["label", "nodes", "--all", &format!("{}-", self.key)]);
    }
}

/// The node cordoned (no new pod scheduled) while it lives; uncordoned when dropped, pass or fail.
pub struct Cordon<'c> {
    cluster: &'c Cluster,
}

impl<'c> Cordon<'c> {
    pub fn new(cluster: &'c Cluster) -> Cordon<'c> {
        cluster.kubectl_ok(&["cordon", NODE]);
        Cordon { cluster }
    }
}

impl Drop for Cordon<'_> {
    fn drop(&mut self) {
        let _ = self.cluster.kubectl(&["uncordon", NODE]);
    }
}

/// The cluster's one node (cluster/kube/net.py).
pub const NODE: &str = "flowhelm-node";

/// A namespace of one test; deleted (and waited for, so the next test has the node's CPU) when
/// dropped.
pub struct Namespace<'c> {
    pub cluster: &'c Cluster,
    pub name: String,
}

impl<'c> Namespace<'c> {
    pub fn new(cluster: &'c Cluster, name: &str) -> Namespace<'c> {
        let _ = cluster.kubectl(&["delete", "namespace", name, "--wait", "--timeout=180s"]);
        cluster.kubectl_ok(&["create", "namespace", name]);
        // The service-account controller adds `default` a moment later; until then a pod of
        // the namespace is refused for the want of it.
        wait_until(
            Duration::from_secs(60),
            &format!("namespace {name} has its default ServiceAccount"),
            || {
                let args = ["get", "serviceaccount", "default", "-n", name];
                cluster.kubectl(&args).status.success()
            },
        );
        Namespace {
            cluster,
            name: name.to_string(),
        }
    }

    /// With PodSecurity `level` enforced, as a platform team labels a tenant's namespace.
    pub fn enforcing(cluster: &'c Cluster, name: &str, level: &str) -> Namespace<'c> {
        let ns = Namespace::new(cluster, name);
        cluster.kubectl_ok(&[
            "label",
            "namespace",
            name,
            &format!("pod-security.kubernetes.io/enforce={level}"),
            "pod-security.kubernetes.io/enforce-version=latest",
        ]);
        ns
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        self.cluster.kubectl(&all)
    }

    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        self.cluster.kubectl_ok(&all)
    }

    pub fn json(&self, args: &[&str]) -> J {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        self.cluster.kubectl_json(&all)
    }

    /// A Secret with one key.
    pub fn secret(&self, name: &str, key: &str, value: &str) {
        self.kubectl_ok(&[
            "create",
            "secret",
            "generic",
            name,
            &format!("--from-literal={key}={value}"),
        ]);
    }

    pub fn pods(&self) -> Vec<J> {
        self.json(&["get", "pods"])["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Names of the pods whose name starts with `prefix`, not being deleted.
    pub fn pods_named(&self, prefix: &str) -> Vec<String> {
        self.pods()
            .iter()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
            .filter(|n| n.starts_with(prefix))
            .collect()
    }

    /// Waits until exactly `n` pods are named `prefix*`, counting those being deleted: a pod
    /// in its grace period still answers on the connections it holds (the gateway keeps one
    /// per Service), so for a client the rollout ends only when the old pods are gone. `helm
    /// --wait` returns once the new pods are Ready.
    pub fn wait_rolled_out(&self, prefix: &str, n: usize) {
        wait_until(
            Duration::from_secs(180),
            &format!("only {n} pods named {prefix}* remain in {}", self.name),
            || {
                let names = self.pods().into_iter();
                names
                    .filter(|p| p["metadata"]["name"].as_str().unwrap().starts_with(prefix))
                    .count()
                    == n
            },
        );
    }

    pub fn pod_named(&self, prefix: &str) -> String {
        let names = self.pods_named(prefix);
        assert!(!names.is_empty(), "no pod named {prefix}* in {}", self.name);
        names[0].clone()
    }

    /// `kubectl exec` in a pod's first container: (exit code, stdout).
    pub fn exec(&self, pod: &str, argv: &[&str]) -> (i32, String) {
        let mut args = vec!["exec", pod, "--"];
        args.extend_from_slice(argv);
        let o = self.kubectl(&args);
        (o.status.code().unwrap_or(-1), stdout(&o))
    }

    /// Names of the Ready pods behind a Service (its EndpointSlices).
    pub fn endpoints(&self, service: &str) -> Vec<String> {
        let slices = self.json(&[
            "get",
            "endpointslices",
            "-l",
            &format!("kubernetes.io/service-name={service}"),
        ]);
        let mut pods: Vec<String> = slices["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
            .filter(|e| e["conditions"]["ready"] == true)
            .filter_map(|e| e["targetRef"]["name"].as_str().map(String::from))
            .collect();
        pods.sort();
        pods.dedup();
        pods
    }

    /// Waits until exactly `n` Ready pods stand behind a Service. The EndpointSlice controller
    /// follows pod readiness a moment later, so right after `helm --wait` a new replica may be
    /// Ready and not yet listed.
    pub fn wait_endpoints(&self, service: &str, n: usize) {
        wait_until(
            Duration::from_secs(60),
            &format!("{n} Ready endpoints back {service} in {}", self.name),
            || self.endpoints(service).len() == n,
        );
    }

    /// Every pod but helm's test Pods and pods on their way out Ready, no container restarted.
    /// `helm --wait` returns once the new pods are Ready, while the old ones may still be
    /// stopping: deleted (a deletion timestamp), or already `Succeeded` (Jina exits 0 on
    /// SIGTERM; with `restartPolicy: Always` only a pod being deleted ends so).
    pub fn assert_healthy(&self) {
        for p in self.pods() {
            let leaving = p["metadata"]["deletionTimestamp"].is_string()
                || p["status"]["phase"] == "Succeeded";
            if p["metadata"]["annotations"]["helm.sh/hook"].is_string() || leaving {
                continue;
            }
            let name = &p["metadata"]["name"];
            let ready = p["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["status"] == "True");
            assert!(ready, "pod {name} not Ready: {:#}", p["status"]);
            for c in p["status"]["containerStatuses"].as_array().unwrap() {
                assert_eq!(c["restartCount"], 0, "{name}: container restarted: {c:#}");
            }
        }
    }

    /// The environment of a pod's Jina container, as its process sees it.
    pub fn env_of(&self, pod: &str, names: &[&str]) -> std::collections::BTreeMap<String, J> {
        let script = format!(
            "import json, os; print(json.dumps({{k: os.environ.get(k) for k in {names:?}}}))"
        );
        let (code, out) = self.exec(pod, &["python", "-c", &script]);
        assert_eq!(code, 0, "exec in {pod}: {out}");
        serde_json::from_str(&out).unwrap()
    }

    /// A pod deleted as `kubectl delete pod` does (graceful), waited for.
    /// A pod that only waits, to open connections from (Jina's image, for its Python), Ready.
    pub fn idle_pod(&self, name: &str) -> String {
        let dir = TempDir::new(&format!("idle-{}", self.name));
        let manifest = dir.path().join("pod.json");
        let pod = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": self.name},
            "spec": {
                "terminationGracePeriodSeconds": 0,
                "containers": [{
                    "name": "idle",
                    "image": "jinaai/jina:3.34.0-py311-standard",
                    "command": ["python", "-c", "import time; time.sleep(86400)"],
                }],
            },
        });
        std::fs::write(&manifest, pod.to_string()).unwrap();
        self.cluster.images(&manifest, None);
        self.kubectl_ok(&["apply", "-f", manifest.to_str().unwrap()]);
        let pod = format!("pod/{name}");
        self.kubectl_ok(&["wait", "--for=condition=Ready", &pod, "--timeout=180s"]);
        name.to_string()
    }

    /// Whether pod `from` of this namespace opens a TCP connection to `port` of pod `to` (of
    /// namespace `to_ns`) within 3 s.
    pub fn connects(&self, from: &str, to_ns: &Namespace, to: &str, port: u16) -> bool {
        let ip = to_ns.json(&["get", "pod", to])["status"]["podIP"]
            .as_str()
            .unwrap()
            .to_string();
        let probe = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)";
        self.exec(from, &["python", "-c", probe, &ip, &port.to_string()])
            .0
            == 0
    }

    pub fn delete_pod(&self, pod: &str) {
        self.kubectl_ok(&["delete", "pod", pod, "--wait", "--timeout=120s"]);
    }
}

impl Drop for Namespace<'_> {
    fn drop(&mut self) {
        let _ = self.cluster.kubectl(&[
            "delete",
            "namespace",
            &self.name,
            "--wait",
            "--timeout=180s",
        ]);
    }
}

/// Whether the chart deploys a gateway (`jtype: Deployment` charts have none: their schema
/// allows only `gateway.enabled`).
fn has_gateway(chart: &Path) -> bool {
    let schema: J =
        serde_json::from_slice(&std::fs::read(chart.join("values.schema.json")).unwrap()).unwrap();
    !schema["properties"]["gateway"]["properties"]["resources"].is_null()
}

/// A helm release of a chart generated by flowhelm, in one namespace.
pub struct Release<'n, 'c> {
    pub ns: &'n Namespace<'c>,
    pub name: String,
    pub chart: PathBuf,
    /// Values every install and upgrade of the tests gets first (small CPU requests).
    pub base: Vec<String>,
    pub image_map: Option<PathBuf>,
    dir: TempDir,
}

impl<'n, 'c> Release<'n, 'c> {
    /// `flowhelm chart FLOW`, to be installed as release `name` in `ns`.
    pub fn new(ns: &'n Namespace<'c>, name: &str, flow: &Path) -> Release<'n, 'c> {
        let dir = TempDir::new(&format!("release-{}", ns.name));
        let chart = dir.path().join("chart");
        let o = crate::common::flowhelm()
            .arg("chart")
            .arg(flow)
            .arg("-o")
            .arg(&chart)
            .output()
            .unwrap();
        assert!(o.status.success(), "flowhelm chart: {}", stderr(&o));
        let mut base = vec![];
        for small in ["small-requests.yaml", "small-requests-gateway.yaml"] {
            if small.contains("gateway") && !has_gateway(&chart) {
                continue;
            }
            let path = fixtures().join("cluster").join(small);
            base.extend(["-f".to_string(), path.display().to_string()]);
        }
        Release {
            ns,
            name: name.to_string(),
            chart,
            base,
            image_map: None,
            dir,
        }
    }

    pub fn with_images(mut self, map: &Path) -> Self {
        self.image_map = Some(map.to_path_buf());
        self
    }

    fn args<'a>(&'a self, extra: &'a [&'a str]) -> Vec<&'a str> {
        let mut all: Vec<&str> = self.base.iter().map(String::as_str).collect();
        all.extend_from_slice(extra);
        all
    }

    /// `helm template` with the same values, as the manifests the cluster gets.
    pub fn template(&self, extra: &[&str]) -> PathBuf {
        let mut args = vec!["template", &self.name];
        let chart = self.chart.to_str().unwrap();
        args.extend([chart, "-n", &self.ns.name]);
        args.extend(self.args(extra));
        let o = self.ns.cluster.helm(&args);
        assert!(o.status.success(), "helm template: {}", stderr(&o));
        let out = self.dir.path().join("manifests.yaml");
        std::fs::write(&out, &o.stdout).unwrap();
        out
    }

    /// `helm install` or `upgrade --install` with `--wait`; the output, whatever the outcome.
    pub fn try_apply(&self, verb: &str, extra: &[&str], timeout: &str) -> Output {
        let manifests = self.template(extra);
        self.ns
            .cluster
            .images(&manifests, self.image_map.as_deref());
        let mut args = vec![verb, &self.name];
        if verb == "upgrade" {
            args.push("--install");
        }
        let chart = self.chart.to_str().unwrap();
        args.extend([chart, "-n", &self.ns.name, "--wait", "--timeout", timeout]);
        args.extend(self.args(extra));
        self.ns.cluster.helm(&args)
    }

    pub fn install(&self, extra: &[&str]) {
        let o = self.try_apply("install", extra, "5m");
        assert!(o.status.success(), "helm install: {}", self.why(&o));
    }

    pub fn upgrade(&self, extra: &[&str]) {
        let o = self.try_apply("upgrade", extra, "5m");
        assert!(o.status.success(), "helm upgrade: {}", self.why(&o));
    }

    /// helm's error, with what keeps the namespace's pods from being Ready.
    pub fn why(&self, o: &Output) -> String {
        let pods = self.ns.kubectl(&["get", "pods", "-o", "wide"]);
        let events = self
            .ns
            .kubectl(&["get", "events", "--sort-by=.lastTimestamp"]);
        format!(
            "{}{}\n{}\n{}",
            stdout(o),
            stderr(o),
            stdout(&pods),
            stdout(&events)
        )
    }

    /// `helm test --logs`: the outcome and everything it printed.
    pub fn test(&self) -> (bool, String) {
        let o = self
            .ns
            .cluster
            .helm(&["test", &self.name, "-n", &self.ns.name, "--logs"]);
        (o.status.success(), format!("{}{}", stdout(&o), stderr(&o)))
    }

    pub fn assert_test(&self) {
        let (ok, out) = self.test();
        assert!(ok, "helm test failed:\n{out}");
        assert!(out.contains("Phase:          Succeeded"), "{out}");
    }
}
