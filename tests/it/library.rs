//! The crate as a library, used the way another program would: only through the root's
//! re-exports and public modules. What the library must not read for itself (environment, clock)
//! is an argument, and the CLI is the one place that reads it; what the CLI prints is what the
//! library returns.

use std::path::Path;

use crate::common::{self, TempDir};
use crate::test::{unindent, Test};

fn search() -> std::path::PathBuf {
    common::root().join("examples/search.yml")
}

#[test]
fn env_lookups_are_the_callers_not_the_process() {
    // PATH is set in every test process; the library must still ask the caller.
    let text = unindent(
        "
        jtype: Flow
        executors:
          - name: enc
            uses: docker://acme/enc:1
            env:
              P: ${{ ENV.PATH }}
        ",
    );
    // Unset for the caller: left for the executor, as Jina leaves it, with a warning.
    let flow = flowhelm::load_str(&text, &|_| None).unwrap();
    assert_eq!(flow.executors[0].pod.env["P"], "$PATH");
    assert_eq!(flow.warnings[0].pos(), Some(flowhelm::Pos::new(6, 10)));
    assert!(flow.warnings[0]
        .message()
        .starts_with("environment variable `PATH` is not set"));
    let flow = flowhelm::load_str(&text, &|name| (name == "PATH").then(|| "/x".into())).unwrap();
    assert_eq!(flow.executors[0].pod.env["P"], "/x");
}

#[test]
fn the_default_jina_image_is_the_librarys_whatever_the_cli_would_read() {
    let opts = flowhelm::ChartOptions::new("search").unwrap();
    assert_eq!(opts.jina_image.reference(), flowhelm::jina::DEFAULT_IMAGE);
    // The CLI reads JINA_GATEWAY_IMAGE and names it when it is wrong.
    Test::new()
        .args(["check".as_ref(), search().as_os_str()])
        .env("JINA_GATEWAY_IMAGE", "Not An Image")
        .status(2)
        .stderr_starts_with("JINA_GATEWAY_IMAGE: error: ")
        .run();
    let err = flowhelm::chart::jina_image("Not An Image", flowhelm::Origin::Value("x".into()))
        .unwrap_err();
    assert_eq!(err.origin(), Some(&flowhelm::Origin::Value("x".into())));
    assert!(err.hint().is_some());
}

/// `flowhelm publish` and `flowhelm::publish` give the same archive and index for the same
/// inputs: the CLI adds nothing but the environment and the clock.
#[test]
fn publish_in_the_library_matches_the_cli() {
    let tmp = TempDir::new("library-publish");
    let flow = flowhelm::load(&search(), &|_| None).unwrap();
    let chart = flowhelm::ChartOptions::new("search").unwrap();
    let epoch = 1_764_547_200;
    let opts = flowhelm::PublishOptions {
        chart_dir: tmp.path().join("lib/chart"),
        package: flowhelm::PackageOptions {
            mtime: epoch,
            ..Default::default()
        },
        repo: Some(flowhelm::RepoOptions {
            dir: tmp.path().join("lib/repo"),
            url: "https://charts.example.com".into(),
        }),
        now: "2025-12-01T00:00:00Z".into(),
        ..Default::default()
    };
    let published = flowhelm::publish(&flow, &chart, &opts).unwrap();
    assert_eq!(published.indexed, Some(1));
    assert!(published.pushed.is_none());
    let archive = published.archive.unwrap();
    assert_eq!(
        published.digest,
        flowhelm::package::sha256(&std::fs::read(&archive).unwrap())
    );

    let out = Test::in_dir(tmp.path())
        .args(["publish".as_ref(), search().as_os_str()])
        .args(["--name", "search", "--repo-dir", "{dir}/cli/repo"])
        .args(["--url", "https://charts.example.com"])
        .env("SOURCE_DATE_EPOCH", epoch.to_string())
        .run();
    assert!(
        out.stdout.contains("indexed 1 chart versions"),
        "{}",
        out.stdout
    );
    let cli = tmp.path().join("cli/repo");
    assert_eq!(
        std::fs::read(&archive).unwrap(),
        std::fs::read(cli.join("search-0.1.0.tgz")).unwrap(),
        "the same archive bytes"
    );
    let index = |dir: &Path| std::fs::read_to_string(dir.join("index.yaml")).unwrap();
    assert_eq!(index(&tmp.path().join("lib/repo")), index(&cli));
}

#[test]
fn errors_say_where_they_come_from_and_keep_their_cause() {
    use std::error::Error as _;
    let tmp = TempDir::new("library-errors");
    let missing = tmp.path().join("nope.yml");
    let err = flowhelm::load(&missing, &|_| None).unwrap_err();
    assert_eq!(err.file(), Some(missing.as_path()));
    assert_eq!(err.kind(), flowhelm::ErrorKind::Input);
    assert!(err.source().is_some(), "the I/O error is kept");

    let err = flowhelm::ChartOptions::new("Not_A Name").unwrap_err();
    assert!(matches!(err.origin(), Some(flowhelm::Origin::Value(_))));
    assert_eq!(err.exit_code(), 2);

    // A chart directory without Chart.yaml cannot be packaged; the error names the file.
    let err = flowhelm::package(tmp.path(), tmp.path(), &flowhelm::PackageOptions::default())
        .unwrap_err();
    assert_eq!(err.file(), Some(tmp.path().join("Chart.yaml").as_path()));
}
