//! A static chart repository's index.yaml, as `helm repo index [--merge]` writes it, with one
//! safety rule helm lacks: a chart version already published with other bytes is refused
//! unless forced, because clients that cached the old digest would fail to verify the new one.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{archive, chartfile::Metadata, sha256};
use crate::error::{Error, Result};

/// One chart version in the index: the Chart.yaml metadata plus where and what the archive is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChartVersion {
    #[serde(flatten)]
    pub metadata: Metadata,
    #[serde(default)]
    pub urls: Vec<String>,
    /// helm writes Go's zero time for entries that never had one.
    #[serde(default = "zero_time")]
    pub created: String,
    #[serde(default)]
    pub digest: String,
}

fn zero_time() -> String {
    "0001-01-01T00:00:00Z".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexFile {
    pub api_version: String,
    #[serde(default)]
    pub entries: BTreeMap<String, Vec<ChartVersion>>,
    #[serde(default)]
    pub generated: String,
}

/// How to index.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Base URL the archives will be served from.
    pub url: String,
    /// An existing index to merge into.
    pub merge: Option<PathBuf>,
    /// Replace a published version whose digest differs.
    pub force: bool,
    /// `created` of new entries and `generated`.
    pub now: String,
}

/// Index the `.tgz` files in `dir` (and one level below), write `dir/index.yaml`, return it.
pub fn index_dir(dir: &Path, opts: &IndexOptions) -> Result<IndexFile> {
    let mut index = IndexFile {
        api_version: "v1".into(),
        entries: BTreeMap::new(),
        generated: opts.now.clone(),
    };
    for rel in archives(dir)? {
        let entry = load_entry(dir, &rel, opts)?;
        index
            .entries
            .entry(entry.metadata.name.clone())
            .or_default()
            .push(entry);
    }
    if let Some(old) = &opts.merge {
        if old.exists() {
            merge(&mut index, load(old)?, old, opts.force)?;
        }
    }
    for versions in index.entries.values_mut() {
        versions.sort_by(|a, b| newest_first(&a.metadata.version, &b.metadata.version));
    }
    let yaml = super::goyaml::to_yaml(&serde_json::to_value(&index).expect("index is JSON"));
    crate::write::write_file(&dir.join("index.yaml"), yaml.as_bytes())?;
    Ok(index)
}

/// Archive paths relative to `dir`, sorted: `*.tgz` and `*/*.tgz`, like helm.
fn archives(dir: &Path) -> Result<Vec<String>> {
    let list = |d: &Path| -> Result<Vec<fs::DirEntry>> {
        let rd = fs::read_dir(d).map_err(|e| Error::io(d, e))?;
        rd.collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::io(d, e))
    };
    let is_tgz =
        |e: &fs::DirEntry| e.file_name().to_string_lossy().ends_with(".tgz") && e.path().is_file();
    let mut out = Vec::new();
    for e in list(dir)? {
        let name = e.file_name().to_string_lossy().into_owned();
        if is_tgz(&e) {
            out.push(name);
        } else if e.path().is_dir() {
            out.extend(
                list(&e.path())?
                    .iter()
                    .filter(|s| is_tgz(s))
                    .map(|s| format!("{name}/{}", s.file_name().to_string_lossy())),
            );
        }
    }
    out.sort();
    Ok(out)
}

fn load_entry(dir: &Path, rel: &str, opts: &IndexOptions) -> Result<ChartVersion> {
    let path = dir.join(rel);
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let metadata = chart_metadata(&bytes).map_err(|m| Error::input_file(&path, m))?;
    Ok(ChartVersion {
        metadata,
        urls: vec![format!("{}/{rel}", opts.url.trim_end_matches('/'))],
        created: opts.now.clone(),
        digest: sha256(&bytes).trim_start_matches("sha256:").to_string(),
    })
}

/// The metadata of a chart archive: its top-level `<name>/Chart.yaml`.
pub fn chart_metadata(tgz: &[u8]) -> Result<Metadata, String> {
    let entries = archive::read_tgz(tgz)?;
    let chart = entries
        .iter()
        .find(|e| e.path.split('/').count() == 2 && e.path.ends_with("/Chart.yaml"))
        .ok_or("not a chart archive: no <name>/Chart.yaml inside")?;
    Metadata::parse(&String::from_utf8_lossy(&chart.data)).map_err(|m| format!("Chart.yaml: {m}"))
}

fn load(path: &Path) -> Result<IndexFile> {
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let index: IndexFile = serde_saphyr::from_str(&text).map_err(|e| {
        Error::input_file(
            path,
            format!(
                "not a helm index: {}",
                e.to_string().lines().next().unwrap_or("")
            ),
        )
    })?;
    if index.api_version != "v1" {
        return Err(Error::input_file(
            path,
            format!("unsupported index apiVersion `{}`", index.api_version),
        ));
    }
    Ok(index)
}

/// Keep every old entry the new index lacks. For a version present in both, identical bytes keep
/// the old entry's `created` (re-indexing changes nothing); different bytes are refused unless
/// `force`, and then the new archive wins.
fn merge(index: &mut IndexFile, old: IndexFile, old_path: &Path, force: bool) -> Result<()> {
    for (name, versions) in old.entries {
        let current = index.entries.entry(name.clone()).or_default();
        for old_entry in versions {
            match current.iter_mut().find(|e| e.metadata.version == old_entry.metadata.version) {
                None => current.push(old_entry),
                Some(new) if new.digest == old_entry.digest => new.created = old_entry.created,
                Some(_) if force => {}
                Some(new) => {
                    return Err(Error::input_file(
                        old_path,
                        format!(
                            "{name} {} is already published with digest {}, but the new archive's digest is {}",
                            new.metadata.version, old_entry.digest, new.digest
                        ),
                    )
                    .with_hint("bump the chart version (flowhelm package --bump patch), or pass --force to replace it"))
                }
            }
        }
    }
    Ok(())
}

/// Refuse to overwrite an existing archive with different bytes unless `force`: it may already
/// be downloaded by digest.
pub fn check_replace(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    match fs::read(path) {
        Ok(old) if old != bytes && !force => Err(Error::input_file(
            path,
            "a different archive of this chart version is already in the repository",
        )
        .with_hint("bump the chart version (--chart-version), or pass --force to replace it")),
        _ => Ok(()),
    }
}

fn newest_first(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(x), Ok(y)) => y.cmp(&x),
        _ => b.cmp(a),
    }
}
