//! Publishing against the real thing: archives checked by helm 3 and 4 and compared with helm 4's
//! own tar stream, a static repository served over HTTP, and a real OCI registry
//! (`docker-registry`), with and without basic auth. Missing tools fail the tests.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{fixtures, flowhelm, helms, run_in, stderr, stdout, TempDir};
use crate::test::Test;

// ---------------------------------------------------------------- helpers

fn ok(o: Output, what: &str) -> Output {
    assert!(
        o.status.success(),
        "{what} failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    o
}

/// A copy of the tiny fixture chart, every file's mtime set to `epoch` (helm 4 stores file mtimes).
fn tiny_chart(tmp: &Path, epoch: u64) -> PathBuf {
    let dir = tmp.join("tiny");
    ok(
        Command::new("cp")
            .arg("-r")
            .arg(fixtures().join("publish/tiny"))
            .arg(&dir)
            .output()
            .unwrap(),
        "cp",
    );
    touch(&dir, epoch);
    dir
}

fn touch(dir: &Path, epoch: u64) {
    let stamp = format!("@{epoch}");
    let o = Command::new("find")
        .arg(dir)
        .args(["-exec", "touch", "-h", "-d", &stamp, "{}", "+"])
        .output()
        .unwrap();
    ok(o, "touch");
}

fn package(chart: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    let o = ok(
        flowhelm()
            .arg("package")
            .arg(chart)
            .arg("-d")
            .arg(out)
            .args(extra)
            .output()
            .unwrap(),
        "flowhelm package",
    );
    let line = stdout(&o);
    let path = line
        .split(" to ")
        .nth(1)
        .and_then(|r| r.split(" (").next())
        .expect("package output names the file");
    PathBuf::from(path)
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn sha256_file(path: &Path) -> String {
    flowhelm::package::sha256(&std::fs::read(path).unwrap())
}

fn helm(bin: &Path, home: &Path, args: &[&str]) -> Output {
    run_in(Command::new(bin).args(args), home)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A background server killed on drop, even when the test panics.
struct Server(Child);

impl Server {
    fn start(cmd: &mut Command, port: u16) -> Server {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let server = Server(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{cmd:?} did not start listening on {port}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `docker-registry` on a free port with filesystem storage under `tmp`, optionally with htpasswd auth.
fn registry(tmp: &Path, auth: Option<(&str, &str)>) -> (Server, String) {
    let port = free_port();
    let mut cfg = format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
        tmp.join("registry-data").display()
    );
    if let Some((user, pass)) = auth {
        let o = ok(
            Command::new("/usr/bin/htpasswd")
                .args(["-Bbn", user, pass])
                .output()
                .unwrap(),
            "htpasswd",
        );
        std::fs::write(tmp.join("htpasswd"), o.stdout).unwrap();
        cfg.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
            tmp.join("htpasswd").display()
        ));
    }
    std::fs::write(tmp.join("registry.yml"), cfg).unwrap();
    let server = Server::start(
        Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(tmp.join("registry.yml")),
        port,
    );
    (server, format!("127.0.0.1:{port}"))
}

fn digest_line(o: &Output) -> String {
    let text = format!("{}{}", stdout(o), stderr(o));
    text.lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_else(|| panic!("no digest in {text}"))
        .trim()
        .to_string()
}

// ---------------------------------------------------------------- package

#[test]
fn archives_match_helm4_tar_stream_and_pass_both_helms() {
    let tmp = TempDir::new("pkg-helm");
    let chart = tiny_chart(tmp.path(), 0);
    let ours = package(&chart, &tmp.path().join("ours"), &[]);
    assert_eq!(ours.file_name().unwrap(), "tiny-0.1.0.tgz");
    let (_, h4) = &helms()[1];
    ok(
        helm(
            h4,
            tmp.path(),
            &[
                "package",
                chart.to_str().unwrap(),
                "-d",
                tmp.path().join("helm").to_str().unwrap(),
            ],
        ),
        "helm4 package",
    );
    let theirs = tmp.path().join("helm/tiny-0.1.0.tgz");
    assert!(
        gunzip(&ours) == gunzip(&theirs),
        "tar streams differ from helm 4's"
    );

    let entries = flowhelm::package::archive::read_tgz(&std::fs::read(&ours).unwrap()).unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        names[..3],
        [
            "tiny/Chart.yaml",
            "tiny/values.yaml",
            "tiny/templates/NOTES.txt"
        ]
    );
    assert!(
        !names
            .iter()
            .any(|n| n.contains(".bak") || n.contains("secret") || n.contains(".scratch")),
        "{names:?}"
    );
    let chart_yaml = String::from_utf8_lossy(&entries[0].data);
    assert!(
        !chart_yaml.contains('#') && !chart_yaml.contains("unknownKey"),
        "{chart_yaml}"
    );

    for (name, bin) in helms() {
        let tgz = ours.to_str().unwrap();
        ok(
            helm(&bin, tmp.path(), &["lint", tgz]),
            &format!("{name} lint"),
        );
        let shown = stdout(&ok(
            helm(&bin, tmp.path(), &["show", "chart", tgz]),
            &format!("{name} show chart"),
        ));
        assert!(
            shown.contains("name: tiny") && shown.contains("version: 0.1.0"),
            "{shown}"
        );
        let rendered = stdout(&ok(
            helm(&bin, tmp.path(), &["template", "x", tgz]),
            &format!("{name} template"),
        ));
        assert!(rendered.contains("greeting: \"hello\""), "{rendered}");
    }
}

#[test]
fn version_flags_rewrite_the_archive_only() {
    let tmp = TempDir::new("pkg-version");
    let chart = tiny_chart(tmp.path(), 0);
    let before = std::fs::read(chart.join("Chart.yaml")).unwrap();
    let out = tmp.path().join("out");
    let set = package(
        &chart,
        &out,
        &["--version", "1.2.3+build.4", "--app-version", "9.9"],
    );
    assert_eq!(set.file_name().unwrap(), "tiny-1.2.3+build.4.tgz");
    let bumped = package(&chart, &out, &["--bump", "minor"]);
    assert_eq!(bumped.file_name().unwrap(), "tiny-0.2.0.tgz");
    assert_eq!(
        std::fs::read(chart.join("Chart.yaml")).unwrap(),
        before,
        "source Chart.yaml changed"
    );
    let (_, h3) = &helms()[0];
    let shown = stdout(&ok(
        helm(h3, tmp.path(), &["show", "chart", set.to_str().unwrap()]),
        "helm3 show chart",
    ));
    assert!(
        shown.contains("version: 1.2.3+build.4") && shown.contains("appVersion: \"9.9\""),
        "{shown}"
    );

    Test::in_dir(tmp.path())
        .arg("package")
        .arg(&chart)
        .args(["--version", "v1"])
        .status(2)
        .stderr_starts_with("--version: error: `v1` is not a SemVer 2 version")
        .run();
}

#[test]
fn packages_are_byte_reproducible() {
    let tmp = TempDir::new("pkg-repro");
    let chart = tiny_chart(tmp.path(), 1_000_000);
    let a = std::fs::read(package(&chart, &tmp.path().join("a"), &[])).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    touch(&chart, 2_000_000);
    let b = std::fs::read(package(&chart, &tmp.path().join("b"), &[])).unwrap();
    assert!(a == b, "two packages of the same chart differ");

    Test::in_dir(tmp.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg("package")
        .arg(&chart)
        .args(["-d", "{dir}/c"])
        .stdout_contains("tiny-0.1.0.tgz")
        .run();
    let listing = Command::new("tar")
        .arg("tvzf")
        .arg(tmp.path().join("c/tiny-0.1.0.tgz"))
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(
        stdout(&listing).contains("2023-11-14 22:13"),
        "{}",
        stdout(&listing)
    );
}

#[test]
fn bad_helmignore_is_an_input_error() {
    let tmp = TempDir::new("pkg-ignore");
    let chart = tiny_chart(tmp.path(), 0);
    std::fs::write(chart.join(".helmignore"), "# ok\nfiles/**/x\n").unwrap();
    Test::in_dir(tmp.path())
        .arg("package")
        .arg(&chart)
        .args(["-d", "{dir}"])
        .status(2)
        .stderr_contains(".helmignore:2:1: error: `files/**/x`: double-star")
        .run();
    assert!(!tmp.path().join("tiny-0.1.0.tgz").exists());
}

#[test]
fn generated_charts_package_like_helm4() {
    let tmp = TempDir::new("pkg-generated");
    let chart = tmp.path().join("flow");
    let flow = fixtures().join("jina-reference/01-single/flow.yml");
    ok(
        flowhelm()
            .arg("chart")
            .arg(&flow)
            .arg("-o")
            .arg(&chart)
            .output()
            .unwrap(),
        "flowhelm chart",
    );
    touch(&chart, 0);
    let ours = package(&chart, &tmp.path().join("ours"), &[]);
    let (_, h4) = &helms()[1];
    ok(
        helm(
            h4,
            tmp.path(),
            &[
                "package",
                chart.to_str().unwrap(),
                "-d",
                tmp.path().join("helm").to_str().unwrap(),
            ],
        ),
        "helm4 package",
    );
    let theirs = tmp.path().join("helm").join(ours.file_name().unwrap());
    assert!(
        gunzip(&ours) == gunzip(&theirs),
        "tar streams differ from helm 4's"
    );
    for (name, bin) in helms() {
        ok(
            helm(&bin, tmp.path(), &["lint", ours.to_str().unwrap()]),
            &format!("{name} lint"),
        );
        ok(
            helm(&bin, tmp.path(), &["template", "x", ours.to_str().unwrap()]),
            &format!("{name} template"),
        );
    }
}

// ---------------------------------------------------------------- static repository

fn index(dir: &Path, url: &str, extra: &[&str]) -> Output {
    flowhelm()
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["repo", "index"])
        .arg(dir)
        .args(["--url", url])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn static_repository_works_with_helm() {
    let tmp = TempDir::new("repo");
    let chart = tiny_chart(tmp.path(), 0);
    let repo = tmp.path().join("repo");
    let tgz = package(&chart, &repo, &[]);
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    ok(index(&repo, &url, &[]), "repo index");
    let yaml = std::fs::read_to_string(repo.join("index.yaml")).unwrap();
    let digest = sha256_file(&tgz);
    assert!(
        yaml.contains(&format!("digest: {}", digest.trim_start_matches("sha256:"))),
        "{yaml}"
    );
    assert!(
        yaml.contains("created: \"2023-11-14T22:13:20Z\"")
            && yaml.contains("generated: \"2023-11-14T22:13:20Z\""),
        "{yaml}"
    );

    let _server = Server::start(
        Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .current_dir(&repo),
        port,
    );
    for (name, bin) in helms() {
        let home = tmp.path().join(name);
        ok(
            helm(&bin, &home, &["repo", "add", "local", &url]),
            &format!("{name} repo add"),
        );
        let found = stdout(&ok(
            helm(&bin, &home, &["search", "repo", "local/tiny"]),
            &format!("{name} search"),
        ));
        assert!(
            found.contains("local/tiny") && found.contains("0.1.0"),
            "{found}"
        );
        let dest = home.join("pulled");
        std::fs::create_dir_all(&dest).unwrap();
        ok(
            helm(
                &bin,
                &home,
                &["pull", "local/tiny", "-d", dest.to_str().unwrap()],
            ),
            &format!("{name} pull"),
        );
        assert_eq!(sha256_file(&dest.join("tiny-0.1.0.tgz")), digest);
    }
}

#[test]
fn index_merge_keeps_old_entries_and_refuses_changed_digests() {
    let tmp = TempDir::new("merge");
    let chart = tiny_chart(tmp.path(), 0);
    let repo = tmp.path().join("repo");
    package(&chart, &repo, &[]);
    ok(
        index(&repo, "https://charts.example.com", &[]),
        "first index",
    );
    let old = repo.join("index.yaml");

    // A later release indexed on its own and merged: 0.1.0 keeps its URL and created time.
    let next = tmp.path().join("next");
    package(&chart, &next, &["--version", "0.2.0"]);
    let o = flowhelm()
        .env("SOURCE_DATE_EPOCH", "1800000000")
        .args(["repo", "index"])
        .arg(&next)
        .args(["--url", "https://charts.example.com/next", "--merge"])
        .arg(&old)
        .output()
        .unwrap();
    ok(o, "merge index");
    let merged = std::fs::read_to_string(next.join("index.yaml")).unwrap();
    let v2 = merged.find("version: 0.2.0").unwrap();
    let v1 = merged.find("version: 0.1.0").unwrap();
    assert!(v2 < v1, "entries are not newest first:\n{merged}");
    assert!(
        merged.contains("created: \"2023-11-14T22:13:20Z\"")
            && merged.contains("created: \"2027-01-15T08:00:00Z\""),
        "{merged}"
    );
    assert!(
        merged.contains("https://charts.example.com/tiny-0.1.0.tgz"),
        "{merged}"
    );

    // The same version with other bytes is refused unless forced.
    std::fs::write(chart.join("values.yaml"), "greeting: changed\n").unwrap();
    let changed = tmp.path().join("changed");
    package(&chart, &changed, &[]);
    let refused = index(
        &changed,
        "https://charts.example.com",
        &["--merge", old.to_str().unwrap()],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("tiny 0.1.0 is already published with digest"),
        "{}",
        stderr(&refused)
    );
    assert!(
        !changed.join("index.yaml").exists(),
        "a refused index was written"
    );
    ok(
        index(
            &changed,
            "https://charts.example.com",
            &["--merge", old.to_str().unwrap(), "--force"],
        ),
        "forced merge",
    );
}

// ---------------------------------------------------------------- OCI

#[test]
fn push_to_a_real_registry_then_pull_with_both_helms() {
    let tmp = TempDir::new("oci");
    let chart = tiny_chart(tmp.path(), 0);
    let tgz = package(
        &chart,
        &tmp.path().join("out"),
        &["--version", "0.3.0+build.1"],
    );
    let (_registry, host) = registry(tmp.path(), None);
    let o = ok(
        flowhelm()
            .arg("push")
            .arg(&tgz)
            .arg(format!("oci://{host}/charts"))
            .arg("--plain-http")
            .output()
            .unwrap(),
        "push",
    );
    assert!(
        stdout(&o).contains(&format!("Pushed: {host}/charts/tiny:0.3.0_build.1")),
        "{}",
        stdout(&o)
    );
    let pushed = digest_line(&o);
    for (name, bin) in helms() {
        let home = tmp.path().join(name);
        let reference = format!("oci://{host}/charts/tiny");
        let shown = ok(
            helm(
                &bin,
                &home,
                &[
                    "show",
                    "chart",
                    &reference,
                    "--version",
                    "0.3.0+build.1",
                    "--plain-http",
                ],
            ),
            &format!("{name} show"),
        );
        assert!(stdout(&shown).contains("name: tiny"), "{}", stdout(&shown));
        let dest = home.join("pulled");
        std::fs::create_dir_all(&dest).unwrap();
        let pulled = ok(
            helm(
                &bin,
                &home,
                &[
                    "pull",
                    &reference,
                    "--version",
                    "0.3.0+build.1",
                    "--plain-http",
                    "-d",
                    dest.to_str().unwrap(),
                ],
            ),
            &format!("{name} pull"),
        );
        assert_eq!(
            digest_line(&pulled),
            pushed,
            "{name} pulled another manifest"
        );
        assert_eq!(
            sha256_file(&dest.join("tiny-0.3.0+build.1.tgz")),
            sha256_file(&tgz)
        );
    }
}

#[test]
fn push_with_basic_auth() {
    let tmp = TempDir::new("oci-auth");
    let chart = tiny_chart(tmp.path(), 0);
    let tgz = package(&chart, &tmp.path().join("out"), &[]);
    let (_registry, host) = registry(tmp.path(), Some(("alice", "s3cret")));
    let push = |password: &str| {
        Test::in_dir(tmp.path())
            .arg("push")
            .arg(&tgz)
            .arg(format!("oci://{host}/charts"))
            .args(["--plain-http", "--username", "alice", "--password-stdin"])
            .stdin(format!("{password}\n"))
    };
    push("nope")
        .status(2)
        .stderr_contains("authentication as `alice` failed")
        .run();
    push("s3cret").run();

    // Without flags, helm's registry config supplies the credentials.
    let config = tmp.path().join("registry-config.json");
    std::fs::write(
        &config,
        format!(r#"{{"auths":{{"{host}":{{"auth":"YWxpY2U6czNjcmV0"}}}}}}"#),
    )
    .unwrap();
    Test::in_dir(tmp.path())
        .env("HELM_REGISTRY_CONFIG", &config)
        .arg("push")
        .arg(&tgz)
        .arg(format!("oci://{host}/other"))
        .arg("--plain-http")
        .run();
    Test::in_dir(tmp.path())
        .env("HELM_REGISTRY_CONFIG", "{dir}/none.json")
        .env("DOCKER_CONFIG", "{dir}")
        .arg("push")
        .arg(&tgz)
        .arg(format!("oci://{host}/other"))
        .arg("--plain-http")
        .status(2)
        .stderr_contains("requires credentials")
        .run();
}

// ---------------------------------------------------------------- publish

#[test]
fn publish_a_flow_to_a_repository_and_a_registry() {
    let tmp = TempDir::new("publish");
    let (_registry, host) = registry(tmp.path(), None);
    let repo = tmp.path().join("repo");
    let flow = fixtures().join("jina-reference/01-single/flow.yml");
    let o = flowhelm()
        .arg("publish")
        .arg(&flow)
        .args(["--name", "single", "--chart-version", "1.0.0", "--repo-dir"])
        .arg(&repo)
        .args([
            "--url",
            "https://charts.example.com",
            "--oci",
            &format!("oci://{host}/flows"),
            "--plain-http",
        ])
        .output()
        .unwrap();
    let o = ok(o, "publish");
    let digest = sha256_file(&repo.join("single-1.0.0.tgz"));
    let yaml = std::fs::read_to_string(repo.join("index.yaml")).unwrap();
    assert!(
        yaml.contains(digest.trim_start_matches("sha256:")),
        "{yaml}"
    );
    assert!(
        stdout(&o).contains(&format!("Pushed: {host}/flows/single:1.0.0")),
        "{}",
        stdout(&o)
    );
    let (_, h4) = &helms()[1];
    ok(
        helm(
            h4,
            tmp.path(),
            &[
                "show",
                "chart",
                &format!("oci://{host}/flows/single"),
                "--version",
                "1.0.0",
                "--plain-http",
            ],
        ),
        "helm4 show",
    );
    // Publishing the same Flow again is a no-op for the repository.
    let again = flowhelm()
        .arg("publish")
        .arg(&flow)
        .args(["--name", "single", "--chart-version", "1.0.0", "--repo-dir"])
        .arg(&repo)
        .args(["--url", "https://charts.example.com"])
        .output()
        .unwrap();
    ok(again, "publish again");
    assert_eq!(sha256_file(&repo.join("single-1.0.0.tgz")), digest);
}
