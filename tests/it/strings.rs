//! Any string survives exactly: random strings (every Unicode plane, control characters, YAML and
//! template metacharacters, YAML 1.1 words, long runs) are put in the string-valued places of a
//! Flow (env values, `uses_with` values, the Flow's name) and of a values file (env values,
//! pod annotations); the chart renders with helm 3 and helm 4, each string comes back exactly
//! from the rendered objects, and no object gains or loses a key.
//!
//! `FLOWHELM_STRING_CASES` sets how many strings (default 4000, in batches of 500 per chart).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value as J;

use crate::common;
use crate::common::{k8s, TempDir};
use crate::test::unindent;

/// Strings per batch also put in `uses_with`.
const USES_WITH: usize = 60;

/// xorshift64*: deterministic, so a failure names a seed that reproduces it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{ .Values }}",
    "{{- fail \"x\" }}",
    "[[ x ]]",
    "[% if %]",
    ": ",
    " #",
    "- ",
    "? ",
    "&a",
    "*a",
    "!!str",
    "!tag",
    "|",
    ">",
    "'",
    "\"",
    "\\",
    "%",
    "@",
    "`",
    "---",
    "...",
    "\n---\n",
    "on",
    "yes",
    "y",
    "n",
    "off",
    "null",
    "~",
    "0x10",
    "010",
    ".5",
    "1e3",
    "-.inf",
    ".nan",
    "1:30",
    "true",
    "True",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "a: b",
    "{a: b}",
    "[1, 2]",
    "$(HOME)",
    "$HOME",
];

const SPECIAL: &[char] = &[
    '\u{0}',
    '\u{7}',
    '\u{1b}',
    '\u{7f}',
    '\u{80}',
    '\u{85}',
    '\u{9f}',
    '\u{a0}',
    '\u{ad}',
    '\u{2028}',
    '\u{2029}',
    '\u{200b}',
    '\u{feff}',
    '\u{fffd}',
    '\u{fffe}',
    '\u{ffff}',
    '\u{10000}',
    '\u{1f600}',
    '\u{e0001}',
    '\u{10ffff}',
    'é',
    'ß',
    '中',
    'ي',
];

fn random_char(rng: &mut Rng) -> char {
    match rng.below(6) {
        0 => char::from(32 + rng.below(95) as u8),
        1 => char::from(rng.below(32) as u8),
        2 => SPECIAL[rng.below(SPECIAL.len())],
        3 => loop {
            if let Some(c) = char::from_u32(rng.below(0x11_0000) as u32) {
                break c;
            }
        },
        _ => char::from(b'a' + rng.below(26) as u8),
    }
}

fn random_string(rng: &mut Rng) -> String {
    let mut s = String::new();
    let len = match rng.below(10) {
        0 => 0,
        1 => 500 + rng.below(1500),
        _ => 1 + rng.below(24),
    };
    while s.chars().count() < len {
        if rng.below(4) == 0 {
            s.push_str(PIECES[rng.below(PIECES.len())]);
        } else {
            s.push(random_char(rng));
        }
    }
    // `${{ … }}` is the Flow's own expression syntax, substituted by design.
    s.replace("${{", "$ {{")
}

/// A YAML double-quoted scalar that reads back as exactly `s`: everything outside printable
/// ASCII is escaped, so the Flow itself is valid whatever `s` holds.
fn yaml_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn flow_with(strings: &[String], name: &str) -> String {
    // yaml_quoted() escapes every control character: the name stays on its line.
    let mut y = unindent(&format!(
        "
        jtype: Flow
        with:
          name: {}
        executors:
          - name: enc
            uses: docker://acme/enc:1
            env:
        ",
        yaml_quoted(name)
    ));
    for (i, s) in strings.iter().enumerate() {
        y.push_str(&format!("      S{i:04}: {}\n", yaml_quoted(s)));
    }
    // One argument holds them all, and Linux allows 128 KiB per argument.
    y.push_str("    uses_with:\n");
    for (i, s) in strings.iter().enumerate().take(USES_WITH) {
        y.push_str(&format!("      s{i:04}: {}\n", yaml_quoted(s)));
    }
    y
}

fn values_with(strings: &[String]) -> String {
    let mut y = unindent(
        "
        executors:
          enc:
            env:
        ",
    );
    for (i, s) in strings.iter().enumerate() {
        y.push_str(&format!("      V{i:04}: {}\n", yaml_quoted(s)));
    }
    // Autoscaled, so that the autoscaler's annotations (its own merged with the release's)
    // and the count it starts from are rendered with the strings too.
    y.push_str("    resources: {requests: {cpu: 100m, memory: 64Mi}}\n");
    y.push_str("    podAnnotations:\n");
    for (i, s) in strings.iter().enumerate() {
        y.push_str(&format!("      example.com/a{i:04}: {}\n", yaml_quoted(s)));
    }
    // The autoscaler's extra metrics and the capacity preset's selector (templates of their
    // own: flowhelm.autoscaler, the pod's scheduling).
    y.push_str("    capacity: spot\n    autoscaling:\n      enabled: true\n      metrics:\n");
    // As many as the dull baseline has (3): the shape compares key names.
    for s in strings.iter().take(3) {
        y.push_str(&format!(
            "        - {{type: External, external: {{metric: {{name: {}}}, target: {{type: Value, value: \"1\"}}}}}}\n",
            yaml_quoted(s)
        ));
    }
    // A few on every object (all of them would multiply the render by the object count).
    y.push_str("global:\n  capacity:\n    spot:\n      nodeSelector:\n");
    for (i, s) in strings.iter().enumerate().take(3) {
        y.push_str(&format!(
            "        example.com/n{i:04}: {}\n",
            yaml_quoted(s)
        ));
    }
    // The gateway scaled by KEDA (flowhelm.scaledObject) on a query and a Prometheus named by
    // the strings (never empty: an empty query renders no trigger).
    y.push_str(&format!(
        "  keda:\n    prometheusAddress: {}\n",
        yaml_quoted(&format!("p{}", strings[1]))
    ));
    y.push_str("  commonAnnotations:\n");
    for (i, s) in strings.iter().enumerate().take(16) {
        y.push_str(&format!("    example.com/a{i:04}: {}\n", yaml_quoted(s)));
    }
    y.push_str("gateway:\n  monitoring: true\n  autoscaling:\n    enabled: true\n");
    y.push_str("    targetCPUUtilizationPercentage: 0\n    keda:\n      enabled: true\n");
    y.push_str(&format!(
        "      query: {}\n",
        yaml_quoted(&format!("q{}", strings[0]))
    ));
    y
}

/// Every key path of an object (list positions collapsed), the shape that must not change.
fn shape(v: &J, path: &str, out: &mut BTreeSet<String>) {
    match v {
        J::Object(m) => {
            for (k, child) in m {
                // Keys the test itself varies.
                let k =
                    if k.starts_with('S') || k.starts_with('V') || k.starts_with("example.com/a") {
                        "*"
                    } else {
                        k
                    };
                let p = format!("{path}.{k}");
                out.insert(p.clone());
                shape(child, &p, out);
            }
        }
        J::Array(items) => items
            .iter()
            .for_each(|i| shape(i, &format!("{path}[]"), out)),
        _ => {}
    }
}

fn shapes(docs: &[J]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for d in docs {
        shape(d, d["kind"].as_str().unwrap_or(""), &mut out);
    }
    out
}

fn render(helm: &Path, chart: &Path, home: &Path, values: &Path) -> Vec<J> {
    let v = values.display().to_string();
    let keda = ["--api-versions", "keda.sh/v1alpha1/ScaledObject"];
    k8s::documents(&k8s::render(
        helm,
        chart,
        home,
        "rel",
        "ns",
        &[&["-f", &v][..], &keda].concat(),
    ))
}

/// Characters helm 3 cannot take in values at all when a chart has a schema: it re-encodes the
/// values as YAML to validate them, and its YAML writer puts these out raw where its reader then
/// refuses them ("control characters are not allowed"). helm 4 takes them; flowhelm warns.
fn helm3_can_hold(c: char) -> bool {
    !matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

#[test]
fn any_string_in_a_flow_or_a_values_file_reaches_the_objects_exactly() {
    let cases: usize = std::env::var("FLOWHELM_STRING_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000);
    let tmp = TempDir::new("strings");
    let home = tmp.path().join("home");
    // The shape every render must keep: the same Flow and values with dull strings.
    let dull: Vec<String> = (0..3).map(|i| format!("x{i}")).collect();
    let baseline_flow = tmp.path().join("baseline.yml");
    std::fs::write(&baseline_flow, flow_with(&dull, "flow")).unwrap();
    let baseline_chart = tmp.path().join("baseline");
    common::generate_chart(&baseline_flow, &baseline_chart, "strings");
    let baseline_values = tmp.path().join("baseline-values.yaml");
    std::fs::write(&baseline_values, values_with(&dull)).unwrap();
    let want: Vec<BTreeSet<String>> = common::helms()
        .iter()
        .map(|(_, helm)| shapes(&render(helm, &baseline_chart, &home, &baseline_values)))
        .collect();

    let batch = 500;
    for b in 0..cases.div_ceil(batch) {
        let seed = 0x9E37_79B9_7F4A_7C15 ^ (b as u64 + 1);
        let mut rng = Rng(seed);
        let all: Vec<String> = (0..batch.min(cases - b * batch))
            .map(|_| random_string(&mut rng))
            .collect();
        let name = random_string(&mut rng);
        let mut chart = tmp.path().to_path_buf();
        for (i, (helm_name, helm)) in common::helms().into_iter().enumerate() {
            let for_helm = |s: &String| -> String {
                if helm_name == "helm3" {
                    s.chars()
                        .map(|c| if helm3_can_hold(c) { c } else { 'X' })
                        .collect()
                } else {
                    s.clone()
                }
            };
            let strings: Vec<String> = all.iter().map(for_helm).collect();
            let name = for_helm(&name);
            let flow = tmp.path().join(format!("flow-{b}-{helm_name}.yml"));
            std::fs::write(&flow, flow_with(&strings, &name)).unwrap();
            chart = tmp.path().join(format!("chart-{b}-{helm_name}"));
            common::generate_chart(&flow, &chart, "strings");
            let values = tmp.path().join(format!("values-{b}-{helm_name}.yaml"));
            std::fs::write(&values, values_with(&strings)).unwrap();
            let docs = render(&helm, &chart, &home, &values);
            let context = format!("{helm_name}, seed {seed:#x}");
            assert_eq!(
                shapes(&docs),
                want[i],
                "{context}: the objects' keys changed"
            );
            let cm = docs
                .iter()
                .find(|d| {
                    d["kind"] == "ConfigMap"
                        && d["metadata"]["name"]
                            .as_str()
                            .is_some_and(|n| n.ends_with("-enc-configmap"))
                })
                .unwrap_or_else(|| panic!("{context}: no ConfigMap for enc"));
            let deploy = k8s::find(&docs, "Deployment", "rel-strings-enc");
            let args = k8s::container_args(deploy, 0);
            let uses_with: J =
                serde_json::from_str(&k8s::flag_values(&args, "--uses-with").unwrap()[0]).unwrap();
            let scaled = k8s::find(&docs, "ScaledObject", "rel-strings-gateway");
            let prometheus = &scaled["spec"]["triggers"][0]["metadata"];
            assert_eq!(
                prometheus["query"],
                J::String(format!("q{}", strings[0])),
                "{context}: query"
            );
            assert_eq!(
                prometheus["serverAddress"],
                J::String(format!("p{}", strings[1])),
                "{context}: prometheusAddress"
            );
            let annotations = &deploy["spec"]["template"]["metadata"]["annotations"];
            for (j, s) in strings.iter().enumerate() {
                let want = J::String(s.clone());
                assert_eq!(
                    cm["data"][format!("S{j:04}")],
                    want,
                    "{context}: Flow env value {j} {s:?}"
                );
                if j < USES_WITH {
                    assert_eq!(
                        uses_with[format!("s{j:04}")],
                        want,
                        "{context}: uses_with value {j} {s:?}"
                    );
                }
                assert_eq!(
                    cm["data"][format!("V{j:04}")],
                    want,
                    "{context}: values-file env value {j} {s:?}"
                );
                assert_eq!(
                    annotations[format!("example.com/a{j:04}")],
                    want,
                    "{context}: annotation {j} {s:?}"
                );
            }
        }
        // The Flow's name reaches values.yaml (flow.name) and the README.
        let values_yaml = flowhelm::yaml::parse_helm(
            &std::fs::read_to_string(chart.join("values.yaml")).unwrap(),
        )
        .unwrap()
        .to_json();
        assert_eq!(
            values_yaml["flow"]["name"],
            J::String(name.clone()),
            "seed {seed:#x}: flow.name"
        );
        let readme = std::fs::read_to_string(chart.join("README.md")).unwrap();
        let intro = readme.lines().nth(2).unwrap_or_default();
        assert!(
            intro.starts_with("A Helm chart for the Jina Flow `")
                && intro
                    .ends_with(", generated by [flowhelm](https://github.com/flowhelm/flowhelm)."),
            "seed {seed:#x}: the Flow name broke the README: {intro:?}"
        );
    }
}

/// Chart names (any flowhelm takes: DNS labels, so the YAML words `null`, `on`, `1e3`, `0x10`…
/// too) and the names derived from the release (release names helm takes that start with a
/// letter, `nameOverride`, `fullnameOverride`) reach every object kind the chart can render,
/// with every toggle on, as strings: each object keeps the keys and the value types of a render
/// with plain names, passes the Kubernetes schemas, and labels it with the names given.
#[test]
fn chart_and_release_names_reach_every_object_kind_as_strings() {
    let tmp = TempDir::new("names");
    let home = tmp.path().join("home");
    let flows = [
        (
            "flow",
            unindent(
                "
                jtype: Flow
                gateway:
                  protocol: [grpc, http]
                executors:
                  - name: enc
                    uses: docker://acme/enc:1
                    replicas: 2
                    monitoring: true
                  - name: idx
                    uses: docker://acme/idx:1
                    shards: 2
                    volumes: /data
                    uses_before: docker://acme/pre:1
                    uses_after: docker://acme/post:1
                ",
            ),
        ),
        (
            "deployment",
            unindent(
                "
                jtype: Deployment
                with:
                  uses: docker://acme/one:1
                  replicas: 2
                ",
            ),
        ),
    ];
    // Every toggle that adds objects.
    let toggles: Vec<&str> = vec![
        "--api-versions",
        "monitoring.coreos.com/v1/ServiceMonitor",
        "--set",
        "global.serviceMesh=none",
        "--set",
        "networkPolicy.enabled=true",
        "--set",
        "networkPolicy.egress.enabled=true",
        "--set",
        "executorDefaults.autoscaling.enabled=true",
        "--set",
        "executorDefaults.head.autoscaling.enabled=true",
        "--set",
        "gateway.autoscaling.enabled=true",
        "--set",
        "gateway.ingress.enabled=true",
        "--set",
        "gateway.httpRoute.enabled=true",
        "--set",
        "gateway.grpcRoute.enabled=true",
        "--set",
        "gateway.monitoring=true",
        "--api-versions",
        "keda.sh/v1alpha1/ScaledObject",
        "--set",
        "global.keda.prometheusAddress=http://prometheus.monitoring.svc:9090",
        "--set",
        "gateway.autoscaling.keda.enabled=true",
        "--set",
        "gateway.autoscaling.keda.metric=concurrency",
    ];
    let words = [
        "null", "on", "off", "yes", "no", "y", "n", "true", "false", "nan", "inf", "1e3", "0x10",
        "010", "123", "0o7", "1-2", "e1",
    ];
    let mut rng = Rng(0x0005_eed0_fa11_a6e5);
    // (chart name, release, values that rename: nameOverride / fullnameOverride)
    let mut cases: Vec<(String, String, Vec<String>)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let release = if w.starts_with(|c: char| c.is_ascii_lowercase()) {
            w.to_string()
        } else {
            format!("r{w}")
        };
        cases.push((w.to_string(), release, vec![]));
        let chart = words[(i + 5) % words.len()].to_string();
        cases.push((chart, "rel".into(), vec![format!("nameOverride={w}")]));
    }
    for _ in 0..8 {
        let chart = dns_label(&mut rng, false, 53);
        let release = dns_label(&mut rng, true, 53);
        let over = match rng.below(3) {
            0 => vec![],
            1 => vec![format!("nameOverride={}", dns_label(&mut rng, false, 40))],
            _ => vec![format!(
                "fullnameOverride={}",
                dns_label(&mut rng, true, 40)
            )],
        };
        cases.push((chart, release, over));
    }
    cases.push((
        "null".into(),
        "on".into(),
        vec!["fullnameOverride=yes".into()],
    ));

    let typed = |docs: &[J]| {
        let mut out = BTreeSet::new();
        for d in docs {
            typed_shape(d, d["kind"].as_str().unwrap_or(""), &mut out);
        }
        out
    };
    for (flow_name, flow) in &flows {
        let path = tmp.path().join(format!("{flow_name}.yml"));
        std::fs::write(&path, flow).unwrap();
        // A `jtype: Deployment` chart has no gateway to toggle.
        let toggles: Vec<&str> = if *flow_name == "flow" {
            toggles.clone()
        } else {
            toggles
                .chunks(2)
                .filter(|pair| !pair[1].starts_with("gateway."))
                .flatten()
                .copied()
                .collect()
        };
        let baseline_chart = tmp.path().join(format!("{flow_name}-baseline"));
        common::generate_chart(&path, &baseline_chart, "demo");
        let want: Vec<(BTreeSet<String>, BTreeSet<String>)> = common::helms()
            .iter()
            .map(|(_, helm)| {
                let docs = k8s::documents(&k8s::render(
                    helm,
                    &baseline_chart,
                    &home,
                    "rel",
                    "ns",
                    &toggles,
                ));
                let kinds: BTreeSet<String> = docs
                    .iter()
                    .map(|d| d["kind"].as_str().unwrap_or("").to_string())
                    .collect();
                (typed(&docs), kinds)
            })
            .collect();
        if *flow_name == "flow" {
            for kind in [
                "ConfigMap",
                "Service",
                "Deployment",
                "StatefulSet",
                "ServiceAccount",
                "PodDisruptionBudget",
                "HorizontalPodAutoscaler",
                "ScaledObject",
                "NetworkPolicy",
                "ServiceMonitor",
                "Ingress",
                "HTTPRoute",
                "GRPCRoute",
                "Pod",
            ] {
                assert!(want[1].1.contains(kind), "the toggles render no {kind}");
            }
        }
        for (chart_name, release, over) in &cases {
            let chart = tmp.path().join(format!("{flow_name}-{chart_name}"));
            if !chart.exists() {
                common::generate_chart(&path, &chart, chart_name);
            }
            let mut args = toggles.clone();
            for o in over {
                args.extend(["--set-string", o.as_str()]);
            }
            let name = over
                .iter()
                .find_map(|o| o.strip_prefix("nameOverride="))
                .unwrap_or(chart_name);
            for (i, (h, helm)) in common::helms().into_iter().enumerate() {
                let context = format!(
                    "{h}, {flow_name}, chart {chart_name:?}, release {release:?}, {over:?}"
                );
                let docs = k8s::documents(&k8s::render(&helm, &chart, &home, release, "ns", &args));
                assert_eq!(
                    typed(&docs),
                    want[i].0,
                    "{context}: keys or value types changed"
                );
                k8s::validate_all("1.33.0", &docs, &context);
                for d in &docs {
                    let labels = &d["metadata"]["labels"];
                    if d["kind"] == "Pod" || labels.get("app.kubernetes.io/managed-by").is_some() {
                        assert_eq!(labels["app.kubernetes.io/name"], J::from(name), "{context}");
                        assert_eq!(
                            labels["app.kubernetes.io/part-of"],
                            J::from(name),
                            "{context}"
                        );
                        assert_eq!(
                            labels["app.kubernetes.io/instance"],
                            J::from(release.as_str()),
                            "{context}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn a_release_name_no_service_could_carry_is_refused_naming_the_override() {
    // helm takes `my.release`, but `my.release-demo-gateway` is no Service name.
    let tmp = TempDir::new("dotted");
    let flow = tmp.path().join("f.yml");
    std::fs::write(
        &flow,
        "jtype: Flow\nexecutors:\n  - name: enc\n    uses: docker://acme/enc:1\n",
    )
    .unwrap();
    let chart = tmp.path().join("c");
    common::generate_chart(&flow, &chart, "demo");
    for (h, helm) in common::helms() {
        let err = k8s::try_render(&helm, &chart, tmp.path(), "my.release", "ns", &[])
            .expect_err(&format!("{h} rendered a dotted release"));
        assert!(err.contains("object names start with \"my.release-demo\", and Service names may only hold lower-case letters, digits and '-'"), "{h}: {err}");
        k8s::render(
            &helm,
            &chart,
            tmp.path(),
            "my.release",
            "ns",
            &["--set", "fullnameOverride=mine"],
        );
    }
}

/// A random DNS label of at most `max` characters (starting with a letter if `letter`).
fn dns_label(rng: &mut Rng, letter: bool, max: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-";
    let len = 1 + rng.below(max);
    (0..len)
        .map(|i| {
            let pool = match i {
                0 if letter => 26,
                _ if i == 0 || i + 1 == len => 36,
                _ => 37,
            };
            ALPHABET[rng.below(pool)] as char
        })
        .collect()
}

/// Every key path of an object with the JSON type of what is there (list positions collapsed):
/// a name written unquoted would turn a string into null, a boolean or a number.
fn typed_shape(v: &J, path: &str, out: &mut BTreeSet<String>) {
    match v {
        J::Object(m) => {
            for (k, child) in m {
                typed_shape(child, &format!("{path}.{k}"), out);
            }
            out.insert(format!("{path}:object"));
        }
        J::Array(items) => {
            for i in items {
                typed_shape(i, &format!("{path}[]"), out);
            }
            out.insert(format!("{path}:list"));
        }
        J::String(_) => {
            out.insert(format!("{path}:string"));
        }
        J::Number(_) => {
            out.insert(format!("{path}:number"));
        }
        J::Bool(_) => {
            out.insert(format!("{path}:bool"));
        }
        J::Null => {
            out.insert(format!("{path}:null"));
        }
    }
}
