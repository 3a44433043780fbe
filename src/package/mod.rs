//! Packaging and publishing charts without helm: `package` writes a reproducible `.tgz` whose tar
//! stream equals helm 4's, `index` maintains a static repository's index.yaml, `oci` pushes to a
//! registry with helm's manifest layout.

pub mod archive;
pub mod chartfile;
mod goyaml;
pub mod ignore;
pub mod index;
pub mod oci;

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::error::{Error, Result};
pub use chartfile::Metadata;

/// Which part of the chart version `--bump` increments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Bump {
    Major,
    Minor,
    Patch,
}

/// Changes applied to Chart.yaml inside the archive only; the chart directory is not touched.
#[derive(Debug, Clone, Default)]
pub struct PackageOptions {
    pub version: Option<String>,
    pub bump: Option<Bump>,
    pub app_version: Option<String>,
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
    apply(&mut metadata, opts)?;
    let files = collect(chart_dir)?;
    let entries = order(&metadata, files, chart_dir)?;
    let tar = archive::tar(&entries, source_date_epoch()?)
        .map_err(|m| Error::input_file(chart_dir, m))?;
    Ok((metadata, archive::gzip(&tar)))
}

fn apply(m: &mut Metadata, opts: &PackageOptions) -> Result<()> {
    let bad = |flag: &str, v: &str, e: semver::Error| {
        Error::input_file(flag, format!("`{v}` is not a SemVer 2 version: {e}"))
            .with_hint("use MAJOR.MINOR.PATCH, e.g. 1.2.0")
    };
    if let Some(v) = &opts.version {
        m.version = semver::Version::parse(v)
            .map_err(|e| bad("--version", v, e))?
            .to_string();
    }
    if let Some(bump) = opts.bump {
        let mut v = m.semver().map_err(|e| Error::input_file("Chart.yaml", e))?;
        match bump {
            Bump::Major => v = semver::Version::new(v.major + 1, 0, 0),
            Bump::Minor => v = semver::Version::new(v.major, v.minor + 1, 0),
            Bump::Patch => v = semver::Version::new(v.major, v.minor, v.patch + 1),
        }
        m.version = v.to_string();
    }
    if let Some(a) = &opts.app_version {
        m.app_version = a.clone();
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
        let entry = entry.map_err(|e| Error::internal(format!("{}: {e}", chart_dir.display())))?;
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

/// The archive mtime: `SOURCE_DATE_EPOCH` when set (the reproducible-builds convention), else 0,
/// so the same tree always gives the same bytes.
pub fn source_date_epoch() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) if !s.trim().is_empty() => s.trim().parse().map_err(|_| {
            Error::input_file(
                "SOURCE_DATE_EPOCH",
                format!("`{s}` is not a number of seconds"),
            )
            .with_hint("set it to a Unix time, e.g. $(git log -1 --format=%ct)")
        }),
        _ => Ok(0),
    }
}

/// `SOURCE_DATE_EPOCH` or now, as RFC 3339 in UTC (Go's RFC3339Nano form).
pub fn timestamp() -> Result<String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) if !s.trim().is_empty() => Ok(rfc3339(source_date_epoch()?, 0)),
        _ => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            Ok(rfc3339(now.as_secs(), now.subsec_nanos()))
        }
    }
}

/// Like [`timestamp`] in whole seconds (helm's `org.opencontainers.image.created`).
pub fn timestamp_seconds() -> Result<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) if !s.trim().is_empty() => Ok(rfc3339(source_date_epoch()?, 0)),
        _ => Ok(rfc3339(now.as_secs(), 0)),
    }
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
        apply(
            &mut m,
            &PackageOptions {
                bump: Some(Bump::Minor),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(m.version, "1.3.0");
        assert!(apply(
            &mut m,
            &PackageOptions {
                version: Some("v1".into()),
                ..Default::default()
            }
        )
        .is_err());
    }
}
