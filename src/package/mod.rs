//! Packaging and publishing charts without helm: `package` writes a reproducible `.tgz` whose tar
//! stream equals helm 4's, `index` maintains a static repository's index.yaml, `oci` pushes to a
//! registry with helm's manifest layout.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("flowhelm-doc-package-{}", std::process::id()));
//! let flow = flowhelm::load("examples/search.yml".as_ref(), &|_| None)?;
//! let files = flowhelm::compile(&flow, &flowhelm::ChartOptions::new("search")?)?;
//! flowhelm::write(&dir.join("chart"), &files, false)?;
//!
//! // The same tree and options always give the same bytes.
//! let opts = flowhelm::PackageOptions {
//!     bump: Some(flowhelm::Bump::Minor),
//!     mtime: 1_764_547_200,
//!     ..Default::default()
//! };
//! let first = flowhelm::package(&dir.join("chart"), &dir.join("a"), &opts)?;
//! let again = flowhelm::package(&dir.join("chart"), &dir.join("b"), &opts)?;
//! assert_eq!(first.metadata.version, "0.2.0");
//! assert_eq!(first.digest, again.digest);
//!
//! let index = flowhelm::index(&dir.join("a"), &flowhelm::IndexOptions {
//!     url: "https://charts.example.com".into(),
//!     merge: None,
//!     force: false,
//!     now: flowhelm::package::rfc3339(1_764_547_200, 0),
//! })?;
//! assert_eq!(index.entries["search"][0].urls, ["https://charts.example.com/search-0.2.0.tgz"]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), flowhelm::Error>(())
//! ```

pub mod archive;
pub(crate) mod chartfile;
mod goyaml;
pub(crate) mod ignore;
pub mod index;
pub mod oci;

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::error::{Error, Origin, Result};
pub use chartfile::Metadata;

/// Which part of the chart version a bump increments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bump {
    Major,
    Minor,
    Patch,
}

/// Changes applied to Chart.yaml inside the archive only (the chart directory is not touched),
/// and the time stamped on its entries.
#[derive(Debug, Clone, Default)]
pub struct PackageOptions {
    /// Replaces the chart version.
    pub version: Option<semver::Version>,
    /// Increments the chart version (after `version`, if both are given).
    pub bump: Option<Bump>,
    pub app_version: Option<String>,
    /// Modification time of every entry, in Unix seconds. The CLI takes `SOURCE_DATE_EPOCH`
    /// (the reproducible-builds convention), else 0, so the same tree gives the same bytes.
    pub mtime: u64,
}

/// A written archive.
#[derive(Debug, Clone)]
pub struct Packaged {
    pub path: PathBuf,
    pub metadata: Metadata,
    /// `sha256:<hex>` of the file.
    pub digest: String,
}

/// Package `chart_dir` into `out_dir/<name>-<version>.tgz`.
pub fn package(chart_dir: &Path, out_dir: &Path, opts: &PackageOptions) -> Result<Packaged> {
    let (metadata, bytes) = build(chart_dir, opts)?;
    let path = out_dir.join(metadata.archive_name());
    crate::write::write_file(&path, &bytes)?;
    Ok(Packaged {
        path,
        metadata,
        digest: sha256(&bytes),
    })
}

/// The archive bytes for `chart_dir`, and the metadata written into it.
pub fn build(chart_dir: &Path, opts: &PackageOptions) -> Result<(Metadata, Vec<u8>)> {
    let chart_yaml = chart_dir.join("Chart.yaml");
    let text = fs::read_to_string(&chart_yaml).map_err(|e| {
        Error::io(&chart_yaml, e)
            .with_hint("point flowhelm package at a chart directory (one holding Chart.yaml)")
    })?;
    let mut metadata = Metadata::parse(&text).map_err(|m| Error::input_file(&chart_yaml, m))?;
    apply(&mut metadata, opts, &chart_yaml)?;
    let files = collect(chart_dir)?;
    let entries = order(&metadata, files, chart_dir)?;
    let tar = archive::tar(&entries, opts.mtime).map_err(|m| Error::input_file(chart_dir, m))?;
    Ok((metadata, archive::gzip(&tar)))
}

fn apply(m: &mut Metadata, opts: &PackageOptions, chart_yaml: &Path) -> Result<()> {
    if let Some(v) = &opts.version {
        m.version = v.to_string();
    }
    if let Some(bump) = opts.bump {
        let mut v = m.semver().map_err(|e| Error::input_file(chart_yaml, e))?;
        match bump {
            Bump::Major => v = semver::Version::new(v.major + 1, 0, 0),
            Bump::Minor => v = semver::Version::new(v.major, v.minor + 1, 0),
            Bump::Patch => v = semver::Version::new(v.major, v.minor, v.patch + 1),
        }
        m.version = v.to_string();
    }
    if let Some(a) = &opts.app_version {
        m.app_version.clone_from(a);
    }
    Ok(())
}

/// The chart's files that `.helmignore` keeps, relative `/`-separated paths, in helm's walk
/// order (each directory's entries sorted by name, depth first; symlinks followed).
fn collect(chart_dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let ignore_file = chart_dir.join(".helmignore");
    let rules = match fs::read_to_string(&ignore_file) {
        Ok(text) => ignore::Rules::parse(&text).map_err(|(line, m)| {
            Error::input(crate::error::Pos::new(line, 1), m)
                .in_file(&ignore_file)
                .with_hint("helm's .helmignore has no `**`; a pattern without `/` already matches at any depth")
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ignore::Rules::parse("").unwrap_or_default(),
        Err(e) => return Err(Error::io(&ignore_file, e)),
    };
    let mut files = Vec::new();
    let walk = WalkDir::new(chart_dir)
        .follow_links(true)
        .sort_by_file_name()
        .min_depth(1);
    let mut it = walk.into_iter();
    while let Some(entry) = it.next() {
        let entry = entry.map_err(|e| {
            Error::internal_at(
                Origin::File(chart_dir.into()),
                "listing the chart's files failed",
            )
            .with_source(e)
        })?;
        let rel = relative(chart_dir, entry.path());
        let is_dir = entry.file_type().is_dir();
        if rules.ignored(&rel, is_dir) {
            if is_dir {
                it.skip_current_dir();
            }
            continue;
        }
        if is_dir {
            continue;
        }
        if !entry.file_type().is_file() {
            return Err(Error::input_file(
                entry.path(),
                "not a regular file; charts may hold only regular files",
            )
            .with_hint("remove it or list it in .helmignore"));
        }
        let data = fs::read(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        files.push((rel, data));
    }
    Ok(files)
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// helm's archive order: Chart.yaml (re-serialised), Chart.lock, values.yaml,
/// values.schema.json, templates, then every other file, each group in walk order.
fn order(
    m: &Metadata,
    files: Vec<(String, Vec<u8>)>,
    chart_dir: &Path,
) -> Result<Vec<archive::Entry>> {
    let rank = |rel: &str| match rel {
        "Chart.yaml" => 0,
        "Chart.lock" => 1,
        "values.yaml" => 2,
        "values.schema.json" => 3,
        r if r.starts_with("templates/") => 4,
        _ => 5,
    };
    let mut files = files;
    for (rel, data) in &files {
        check_file(rel, data, chart_dir)?;
    }
    if let Some(chart) = files.iter_mut().find(|(rel, _)| rel == "Chart.yaml") {
        chart.1 = m.to_yaml().into_bytes();
    }
    // A stable sort keeps walk order within each group.
    files.sort_by_key(|(rel, _)| rank(rel));
    Ok(files
        .into_iter()
        .map(|(rel, data)| archive::Entry {
            path: format!("{}/{rel}", m.name),
            data,
        })
        .collect())
}

fn check_file(rel: &str, data: &[u8], chart_dir: &Path) -> Result<()> {
    // helm compares the suffix as written, so `.PROV` is a chart file to it too.
    #[allow(clippy::case_sensitive_file_extension_comparisons)]
    if rel.starts_with("charts/") && !rel.ends_with(".prov") {
        return Err(Error::input_file(
            chart_dir.join(rel),
            "subcharts (charts/) are not supported by flowhelm package",
        )
        .with_hint(
            "package charts with dependencies with `helm package`, or list charts/ in .helmignore",
        ));
    }
    if rel == "values.schema.json" && serde_json::from_slice::<serde_json::Value>(data).is_err() {
        return Err(Error::input_file(
            chart_dir.join(rel),
            "invalid JSON (helm refuses to package it)",
        ));
    }
    Ok(())
}

/// Format a Unix time; fractional digits are trimmed of trailing zeros as Go does.
pub fn rfc3339(secs: u64, nanos: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, mo, d) = civil(days);
    let frac = if nanos == 0 {
        String::new()
    } else {
        format!(".{nanos:09}").trim_end_matches('0').to_string()
    };
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `sha256:<hex>`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_gos() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(1_795_744_528, 158_134_000),
            "2026-11-27T01:55:28.158134Z"
        );
        assert_eq!(rfc3339(951_782_400, 0), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn bumps() {
        let mut m = Metadata {
            version: "1.2.3".into(),
            ..Metadata::default()
        };
        let chart_yaml = Path::new("Chart.yaml");
        let bump = |m: &mut Metadata, bump| {
            let opts = PackageOptions {
                bump: Some(bump),
                ..Default::default()
            };
            apply(m, &opts, chart_yaml)
        };
        bump(&mut m, Bump::Minor).unwrap();
        assert_eq!(m.version, "1.3.0");
        bump(&mut m, Bump::Major).unwrap();
        assert_eq!(m.version, "2.0.0");
        m.version = "v1".into();
        let err = bump(&mut m, Bump::Patch).unwrap_err();
        assert_eq!(err.file(), Some(chart_yaml));
    }
}
