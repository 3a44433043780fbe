//! `Chart`, the builder render tests are written with: a Flow (YAML text, an example, a file),
//! the values to lay over it, then the objects helm renders, found by kind and name.
//!
//! ```ignore
//! let chart = Chart::flow("
//!     jtype: Flow
//!     executors:
//!       - name: enc
//!         uses: docker://acme/enc:1
//! ");
//! for r in chart.set("executors.enc.shards", 2).render_both_helms() {
//!     assert_eq!(r.get("Deployment", "rel-demo-enc-head")["spec"]["replicas"], 1, "{}", r.helm);
//! }
//! ```
//!
//! Every render is checked against the strict Kubernetes 1.29 and 1.33 schemas and the
//! API-server rules of `common::semantic` before the test sees it; the chart is generated once,
//! and a clone renders it again with other values.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

use serde_json::Value as J;

use super::k8s::{container_args, documents, find, try_find, try_render, validate_all};
use super::{generate_chart, helms, root, run_in, semantic, stderr, stdout, TempDir};
use crate::test::unindent;

/// The Kubernetes versions every render is validated against.
pub const KUBE_VERSIONS: [&str; 2] = ["1.29.0", "1.33.0"];

/// A generated chart and the `helm template` arguments to render it with.
#[derive(Clone)]
pub struct Chart {
    generated: Rc<Generated>,
    release: String,
    namespace: String,
    args: Vec<String>,
    api_rules: bool,
}

/// The chart's directory, kept while any clone of the builder is alive.
struct Generated {
    tmp: TempDir,
    dir: PathBuf,
}

impl Chart {
    /// The chart of Flow YAML written indented in the test ([`unindent`]ed), named `demo`.
    pub fn flow(yaml: &str) -> Chart {
        let tmp = TempDir::new("chart");
        let path = tmp.path().join("flow.yml");
        std::fs::write(&path, unindent(yaml)).unwrap();
        Chart::generate(tmp, &path, "demo")
    }

    /// The chart of a Flow file, named `demo`.
    pub fn file(flow: &Path) -> Chart {
        Chart::generate(TempDir::new("chart"), flow, "demo")
    }

    /// The chart of `examples/NAME.yml`, named NAME.
    pub fn example(name: &str) -> Chart {
        let path = root().join("examples").join(format!("{name}.yml"));
        Chart::generate(TempDir::new("chart"), &path, name)
    }

    fn generate(tmp: TempDir, flow: &Path, name: &str) -> Chart {
        let dir = tmp.path().join(name);
        generate_chart(flow, &dir, name);
        Chart {
            generated: Rc::new(Generated { tmp, dir }),
            release: "rel".into(),
            namespace: "demo".into(),
            args: Vec::new(),
            api_rules: true,
        }
    }

    /// `--set KEY=VALUE`.
    pub fn set(mut self, key: &str, value: impl std::fmt::Display) -> Chart {
        self.args.extend(["--set".into(), format!("{key}={value}")]);
        self
    }

    /// `-f FILE`; a relative path is the chart's own file (`values-hardened.yaml`).
    pub fn values(mut self, file: impl AsRef<Path>) -> Chart {
        let file = self.generated.dir.join(file.as_ref());
        self.args.extend(["-f".into(), file.display().to_string()]);
        self
    }

    /// Any other `helm template` arguments (`--api-versions`, `--kube-version`, …).
    pub fn args(mut self, args: &[&str]) -> Chart {
        self.args.extend(args.iter().map(|a| (*a).to_string()));
        self
    }

    pub fn release(mut self, name: &str) -> Chart {
        name.clone_into(&mut self.release);
        self
    }

    /// Renders are checked against the schemas only, for a test that looks at what the
    /// API-server rules of `common::semantic` find in them.
    pub fn without_api_rules(mut self) -> Chart {
        self.api_rules = false;
        self
    }

    /// The generated chart's directory.
    pub fn dir(&self) -> &Path {
        &self.generated.dir
    }

    /// The render of each helm (3 and 4), each validated.
    pub fn render_both_helms(&self) -> Vec<Render> {
        helms()
            .into_iter()
            .map(|(helm, path)| self.render_with(helm, &path))
            .collect()
    }

    /// The render of helm 4, validated.
    pub fn render(&self) -> Render {
        self.render_on("helm4")
    }

    /// The render of one helm (`helm3`, `helm4`), validated.
    pub fn render_on(&self, helm: &str) -> Render {
        let (name, path) = helm_named(helm);
        self.render_with(name, &path)
    }

    /// NOTES.txt as helm 4 prints it after an install (`--dry-run=client`: helm 3 wants a
    /// cluster even for that).
    pub fn notes(&self) -> String {
        let (_, helm) = helm_named("helm4");
        let mut cmd = Command::new(helm);
        cmd.args(["install", &self.release])
            .arg(self.dir())
            .args(["--namespace", &self.namespace, "--dry-run=client"])
            .args(&self.args);
        let o = run_in(&mut cmd, self.generated.tmp.path());
        assert!(o.status.success(), "helm install --dry-run: {}", stderr(&o));
        let out = stdout(&o);
        let (_, notes) = out.split_once("NOTES:\n").expect("helm printed NOTES");
        notes.to_string()
    }

    /// What one helm says when it refuses to render; panics if it renders.
    pub fn render_error_on(&self, helm: &str) -> String {
        let (name, path) = helm_named(helm);
        match self.try_render(&path) {
            Ok(_) => panic!(
                "{name} rendered {} with {:?}",
                self.dir().display(),
                self.args
            ),
            Err(e) => e,
        }
    }

    fn try_render(&self, helm: &Path) -> Result<String, String> {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let home = self.generated.tmp.path();
        try_render(
            helm,
            self.dir(),
            home,
            &self.release,
            &self.namespace,
            &args,
        )
    }

    fn render_with(&self, helm: &'static str, path: &Path) -> Render {
        let context = format!("{helm} {} {:?}", self.dir().display(), self.args);
        let text = self
            .try_render(path)
            .unwrap_or_else(|e| panic!("{context} failed:\n{e}"));
        let docs = documents(&text);
        for v in KUBE_VERSIONS {
            validate_all(v, &docs, &context);
        }
        if self.api_rules {
            semantic::assert_no_errors(&docs, &context);
        }
        Render { helm, docs }
    }
}

fn helm_named(helm: &str) -> (&'static str, PathBuf) {
    helms()
        .into_iter()
        .find(|(name, _)| *name == helm)
        .unwrap_or_else(|| panic!("no helm named {helm}"))
}

/// The objects one helm rendered.
pub struct Render {
    /// `helm3` or `helm4`, for assertion messages.
    pub helm: &'static str,
    pub docs: Vec<J>,
}

impl Render {
    /// The object of this kind and name; panics naming it when it is not rendered.
    pub fn get(&self, kind: &str, name: &str) -> &J {
        find(&self.docs, kind, name)
    }

    pub fn try_get(&self, kind: &str, name: &str) -> Option<&J> {
        try_find(&self.docs, kind, name)
    }

    pub fn of_kind(&self, kind: &str) -> Vec<&J> {
        self.docs.iter().filter(|d| d["kind"] == kind).collect()
    }

    /// The names of the objects of a kind, sorted.
    pub fn names(&self, kind: &str) -> BTreeSet<String> {
        self.of_kind(kind)
            .iter()
            .map(|d| d["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// The arguments of a workload's container (`0`: Jina's).
    pub fn args(&self, kind: &str, name: &str, container: usize) -> Vec<String> {
        container_args(self.get(kind, name), container)
    }
}
