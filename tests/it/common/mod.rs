//! Shared helpers of the integration tests: the real flowhelm binary, the real helm binaries
//! installed by `scripts/install-tools.sh`, and temporary directories.

pub mod chart;
pub mod k8s;
pub mod kube;
pub mod podsecurity;
pub mod semantic;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

/// A tool installed in `.tools/bin`. Missing tools fail the test (never skip): run
/// `scripts/install-tools.sh` (the README's test command does).
pub fn tool(name: &str) -> PathBuf {
    let p = root().join(".tools/bin").join(name);
    assert!(
        p.is_file(),
        "{} is missing: run scripts/install-tools.sh (or scripts/test)",
        p.display()
    );
    p
}

/// Both helm majors the charts are tested on.
pub fn helms() -> Vec<(&'static str, PathBuf)> {
    vec![("helm3", tool("helm3")), ("helm4", tool("helm4"))]
}

/// Run a command with an isolated helm home under `home`, returning its output.
pub fn run_in(cmd: &mut Command, home: &Path) -> Output {
    cmd.env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env_remove("KUBECONFIG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// JSON text in one canonical form that keeps what Jina's `json.loads` would tell apart: keys
/// sorted, strings and whole numbers exact, a number written with a fraction or an exponent a
/// float (`1.0` is not `1`); layout and escapes do not matter.
pub fn exact_json(text: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    canonical_json(&v, &|s| s.to_string())
}

/// [`exact_json`] of a parsed value, with `string` applied to every string.
pub fn canonical_json(v: &serde_json::Value, string: &dyn Fn(&str) -> String) -> String {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            let sorted: std::collections::BTreeMap<_, _> = m
                .iter()
                .map(|(k, v)| (k.clone(), canonical_json(v, string)))
                .collect();
            let items: Vec<String> = sorted.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
            format!("{{{}}}", items.join(","))
        }
        J::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|v| canonical_json(v, string))
                .collect::<Vec<_>>()
                .join(",")
        ),
        J::Number(n) if n.is_f64() => format!("{:?}", n.as_f64().unwrap_or_default()),
        J::Number(n) => n.to_string(),
        J::String(s) => format!("{:?}", string(s)),
        other => other.to_string(),
    }
}

pub fn flowhelm() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flowhelm"));
    c.env_remove("JINA_GATEWAY_IMAGE");
    c
}

/// Fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "flowhelm-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run `flowhelm chart FLOW -o OUT --name NAME`; panics with stderr on failure.
pub fn generate_chart(flow: &Path, out: &Path, name: &str) {
    let o = flowhelm()
        .arg("chart")
        .arg(flow)
        .arg("-o")
        .arg(out)
        .args(["--name", name])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "flowhelm chart {} failed: {}",
        flow.display(),
        stderr(&o)
    );
}
