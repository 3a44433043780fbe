//! The whole pipeline in one call: compile a Flow, write the chart, package it, then add the
//! archive to a static repository and/or push it to an OCI registry.
//!
//! ```
//! # let tmp = std::env::temp_dir().join(format!("flowhelm-doc-publish-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&tmp);
//! let flow = flowhelm::load("examples/search.yml".as_ref(), &|_| None)?;
//! let chart = flowhelm::ChartOptions::new("search")?;
//! let opts = flowhelm::PublishOptions {
//!     chart_dir: tmp.join("chart"),
//!     repo: Some(flowhelm::RepoOptions {
//!         dir: tmp.join("repo"),
//!         url: "https://charts.example.com".into(),
//!     }),
//!     now: "2026-12-01T00:00:00Z".into(),
//!     ..Default::default()
//! };
//! let published = flowhelm::publish(&flow, &chart, &opts)?;
//! assert_eq!(published.archive.as_deref(), Some(tmp.join("repo/search-0.1.0.tgz").as_path()));
//! assert_eq!(published.indexed, Some(1));
//! # std::fs::remove_dir_all(&tmp).unwrap();
//! # Ok::<(), flowhelm::Error>(())
//! ```

use std::path::PathBuf;

use crate::chart::{self, ChartOptions};
use crate::error::Result;
use crate::flow::Flow;
use crate::package::{self, index, oci, Metadata, PackageOptions};

/// Where and how to publish.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// Where the chart directory is written (the caller removes it if it is scratch).
    pub chart_dir: PathBuf,
    /// Replace a chart directory flowhelm did not generate, and a published archive of the same
    /// version with other bytes.
    pub force: bool,
    /// How the archive is built (`version` and `bump` are ignored: the chart's version is
    /// [`ChartOptions::version`]).
    pub package: PackageOptions,
    /// A static repository to add the archive to.
    pub repo: Option<RepoOptions>,
    /// A registry to push to.
    pub oci: Option<oci::PushOptions>,
    /// `created` of new index entries and the index's `generated` (RFC 3339).
    pub now: String,
}

/// A static chart repository: a directory served at a URL.
#[derive(Debug, Clone, Default)]
pub struct RepoOptions {
    /// The archive is written here and `index.yaml` here is updated (merged, never rewritten
    /// from scratch).
    pub dir: PathBuf,
    /// The URL the directory is served at.
    pub url: String,
}

/// What [`publish`] did.
#[derive(Debug, Clone)]
pub struct Published {
    /// Chart.yaml as packaged.
    pub metadata: Metadata,
    /// `sha256:<hex>` of the archive.
    pub digest: String,
    /// The archive in the repository directory, when one was given.
    pub archive: Option<PathBuf>,
    /// How many chart versions the repository's index.yaml lists, when one was given.
    pub indexed: Option<usize>,
    /// What was pushed, when a registry was given.
    pub pushed: Option<oci::Pushed>,
}

/// Compile `flow`, write the chart to `opts.chart_dir`, package it, then publish the archive.
/// Nothing is written to the repository if the archive would replace a different one of the same
/// version (unless `force`); the push comes last, so a refused repository pushes nothing.
pub fn publish(flow: &Flow, chart: &ChartOptions, opts: &PublishOptions) -> Result<Published> {
    let files = chart::compile(flow, chart)?;
    crate::write::write_chart(&opts.chart_dir, &files, opts.force)?;
    let build = PackageOptions {
        version: None,
        bump: None,
        ..opts.package.clone()
    };
    let (metadata, tgz) = package::build(&opts.chart_dir, &build)?;
    let mut published = Published {
        digest: package::sha256(&tgz),
        metadata,
        archive: None,
        indexed: None,
        pushed: None,
    };
    if let Some(repo) = &opts.repo {
        let archive = repo.dir.join(published.metadata.archive_name());
        index::check_replace(&archive, &tgz, opts.force)?;
        crate::write::write_file(&archive, &tgz)?;
        let index = index::index_dir(
            &repo.dir,
            &index::IndexOptions {
                url: repo.url.clone(),
                merge: Some(repo.dir.join("index.yaml")),
                force: opts.force,
                now: opts.now.clone(),
            },
        )?;
        published.archive = Some(archive);
        published.indexed = Some(index.entries.values().map(Vec::len).sum());
    }
    if let Some(push) = &opts.oci {
        published.pushed = Some(oci::push(&tgz, push)?);
    }
    Ok(published)
}
