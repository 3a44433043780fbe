//! One Jina version across a release: read from the tags of Jina's own images and from
//! executors' `jinaVersion`, refused at render and by `values check` when they differ, warned
//! about at generation when the Jina image's tag carries none.

use crate::common::chart::Chart;
use crate::common::k8s::{documents, render, try_render};
use crate::common::{generate_chart, helms, TempDir};
use crate::test::{unindent, Test};
use serde_json::Value as J;

const BASE_FLOW: &str = "jtype: Flow
executors:
  - name: plain
  - name: idx
    uses: docker://acme/idx:1
    shards: 2
    uses_before: docker://acme/pre:1
";

fn version(doc: &J) -> &J {
    &doc["metadata"]["labels"]["app.kubernetes.io/version"]
}

#[test]
fn jina_images_of_different_versions_are_refused_naming_their_keys() {
    let chart = Chart::flow(BASE_FLOW).release("r");
    for helm in ["helm3", "helm4"] {
        let r = chart.render_on(helm);
        assert!(r
            .docs
            .iter()
            .all(|d| d["kind"] == "Pod" || version(d) == "3.34.0"));
        // The gateway on 3.20: refused, naming what runs each version.
        let err = chart
            .clone()
            .set("gateway.image.tag", "3.20.0-py38-standard")
            .render_error_on(helm);
        assert!(
            err.contains("different Jina versions: 3.20.0 (gateway.image.tag); 3.34.0 (executorDefaults.head.image.tag, executorDefaults.image.tag)"),
            "{helm}: {err}"
        );
        assert!(err.contains("global.jinaVersionCheck=false"), "{err}");
        // One executor's head and a BaseExecutor's image: their own keys.
        let err = chart
            .clone()
            .set("executors.idx.head.image.tag", "3.33.0")
            .set("executors.plain.image.tag", "3.33.0-py311-perf")
            .render_error_on(helm);
        assert!(
            err.contains("3.33.0 (executors.idx.head.image.tag, executors.plain.image.tag); 3.34.0 (gateway.image.tag)."),
            "{helm}: {err}"
        );
        // An executor's own image says its version through jinaVersion.
        let err = chart
            .clone()
            .set("executors.idx.jinaVersion", "3.33.0")
            .render_error_on(helm);
        assert!(
            err.contains("3.33.0 (executors.idx.jinaVersion)"),
            "{helm}: {err}"
        );
        let r = chart
            .clone()
            .set("executors.idx.jinaVersion", "3.34.0")
            .render_on(helm);
        assert_eq!(version(r.get("Deployment", "r-demo-idx-0")), "3.34.0");
        // Overridden: rendered, each workload labelled with its own version.
        let r = chart
            .clone()
            .set("global.jinaVersionCheck", false)
            .set("gateway.image.tag", "3.20.0-py38-standard")
            .set("executors.idx.jinaVersion", "3.33.0")
            .render_on(helm);
        assert_eq!(version(r.get("Deployment", "r-demo-gateway")), "3.20.0");
        assert_eq!(version(r.get("Service", "r-demo-gateway")), "3.20.0");
        assert_eq!(version(r.get("Deployment", "r-demo-idx-1")), "3.33.0");
        assert_eq!(version(r.get("Deployment", "r-demo-idx-head")), "3.34.0");
        assert_eq!(version(r.get("Deployment", "r-demo-plain")), "3.34.0");
    }
}

#[test]
fn values_check_reports_the_version_mismatch_before_install() {
    let tmp = TempDir::new("versions-check");
    let flow = tmp.path().join("f.yml");
    std::fs::write(&flow, BASE_FLOW).unwrap();
    let chart = tmp.path().join("c");
    generate_chart(&flow, &chart, "c");
    let values = tmp.path().join("v.yaml");
    let values_check = || {
        Test::in_dir(tmp.path())
            .args(["values", "check"])
            .arg(&chart)
            .args(["-f", "{dir}/v.yaml"])
    };
    let out = values_check()
        .file(
            "v.yaml",
            unindent(
                "
                # staging
                gateway:
                  image:
                    tag: 3.20.0-py38-standard
                ",
            ),
        )
        .status(2)
        .stderr_starts_with("{dir}/v.yaml:4:5: error: ")
        .run();
    let err = &out.stderr;
    let first = err.lines().next().unwrap();
    assert!(first.contains("different Jina versions: 3.20.0 (gateway.image.tag); 3.34.0 (executorDefaults.head.image.tag, executorDefaults.image.tag)"), "{err}");
    // The same text as the render's refusal.
    let (_, helm) = &helms()[1];
    let render_err = try_render(
        helm,
        &chart,
        tmp.path(),
        "r",
        "demo",
        &["-f", values.to_str().unwrap()],
    )
    .unwrap_err();
    let message = first.split(" error: ").nth(1).unwrap();
    assert!(render_err.contains(message), "{render_err}\n{message}");
    // Overridden in the file: valid.
    values_check()
        .file(
            "v.yaml",
            unindent(
                "
                global:
                  jinaVersionCheck: false
                gateway:
                  image:
                    tag: 3.20.0-py38-standard
                ",
            ),
        )
        .run();
}

#[test]
fn a_jina_image_without_a_version_tag_is_warned_about_not_claimed() {
    let tmp = TempDir::new("versions-latest");
    let flow = tmp.path().join("f.yml");
    std::fs::write(&flow, BASE_FLOW).unwrap();
    let chart = tmp.path().join("c");
    for cmd in [vec!["chart", "-o", chart.to_str().unwrap()], vec!["check"]] {
        Test::in_dir(tmp.path())
            .env("JINA_GATEWAY_IMAGE", "jinaai/jina:latest")
            .args(&cmd[..1])
            .arg(&flow)
            .args(&cmd[1..])
            .stderr_contains("JINA_GATEWAY_IMAGE: warning: the Jina image `jinaai/jina:latest` carries no Jina version in its tag")
            .run();
    }
    let chart_yaml = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
    assert!(!chart_yaml.contains("appVersion"), "{chart_yaml}");
    let (_, helm) = &helms()[1];
    let docs = documents(&render(helm, &chart, tmp.path(), "r", "demo", &[]));
    assert!(
        docs.iter().all(|d| version(d).is_null()),
        "no object claims a version"
    );
    // A versioned image: no warning, and its version is the chart's.
    Test::in_dir(tmp.path())
        .env("JINA_GATEWAY_IMAGE", "jinaai/jina:3.33.0-py311-standard")
        .arg("check")
        .arg(&flow)
        .stderr_lacks("warning")
        .run();
}
