//! Using flowhelm as a library: compile a Flow, look at what was generated, write the chart,
//! package it and index it into a static repository, all without the `flowhelm` binary.
//!
//! ```text
//! cargo run --example library -- examples/search.yml /tmp/charts
//! ```
//!
//! The caller decides what the library never reads by itself: here the Flow's `${{ ENV.X }}`
//! see the process environment, the archive is dated by `SOURCE_DATE_EPOCH` (else 1970, so the
//! bytes are reproducible) and the index by the same.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(flow), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: library FLOW OUT_DIR");
        return ExitCode::from(2);
    };
    match run(&flow, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The same one-line form the CLI prints; the cause, if any, below it.
            eprintln!("{e}");
            if let Some(cause) = std::error::Error::source(&e) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}

fn run(flow_path: &std::path::Path, out: &std::path::Path) -> flowhelm::Result<()> {
    let env = |name: &str| std::env::var(name).ok();
    let flow = flowhelm::load(flow_path, &env)?;
    for w in &flow.warnings {
        eprintln!("{}", w.clone().in_file(flow_path));
    }
    println!(
        "{}: {} executors, edges {:?}",
        flow_path.display(),
        flow.executors.len(),
        flow.edges()
    );

    let name = flow_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("flow");
    let opts = flowhelm::ChartOptions::new(name)?;
    let files = flowhelm::compile(&flow, &opts)?;
    let chart_dir = out.join(&opts.name);
    flowhelm::write(&chart_dir, &files, false)?;
    println!("wrote {} files to {}", files.len(), chart_dir.display());

    let epoch = env("SOURCE_DATE_EPOCH").and_then(|s| s.trim().parse().ok());
    let package = flowhelm::PackageOptions {
        mtime: epoch.unwrap_or(0),
        ..Default::default()
    };
    let repo = out.join("repo");
    let packaged = flowhelm::package(&chart_dir, &repo, &package)?;
    println!("packaged {} ({})", packaged.path.display(), packaged.digest);

    let index = flowhelm::index(
        &repo,
        &flowhelm::IndexOptions {
            url: "https://charts.example.com".into(),
            merge: Some(repo.join("index.yaml")).filter(|p| p.exists()),
            force: false,
            now: flowhelm::package::rfc3339(epoch.unwrap_or(0), 0),
        },
    )?;
    let versions: usize = index.entries.values().map(Vec::len).sum();
    println!("indexed {versions} chart versions in {}", repo.display());
    Ok(())
}
