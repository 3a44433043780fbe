//! Chart.yaml as helm models it. Helm re-serialises this model into the archive (so unknown keys
//! and comments are dropped) and sends it as JSON in an OCI config blob; the field order below is
//! helm's struct order, which is the key order of that JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub home: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<Maintainer>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tags: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_version: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kube_version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Maintainer {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Dependency {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Helm always writes this one, even empty.
    #[serde(default)]
    pub repository: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub enabled: bool,
    #[serde(
        default,
        rename = "import-values",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub import_values: Vec<Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias: String,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !b
}

impl Metadata {
    /// Parse and validate Chart.yaml text; the error is a one-line reason.
    pub fn parse(text: &str) -> Result<Metadata, String> {
        // Go's YAML reader lets a repeated key's last value win; so does helm.
        let mut options = serde_saphyr::Options::default();
        options.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::LastWins;
        let m: Metadata = serde_saphyr::from_str_with_options(text, options)
            .map_err(|e| first_line(&e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    fn validate(&self) -> Result<(), String> {
        if self.api_version != "v1" && self.api_version != "v2" {
            return Err(format!(
                "apiVersion must be v1 or v2, not `{}`",
                self.api_version
            ));
        }
        if self.name.is_empty() {
            return Err("`name` is required".into());
        }
        if self.name.contains(['/', '\\']) || self.name == "." || self.name == ".." {
            return Err(format!(
                "chart name `{}` must not contain path separators",
                self.name
            ));
        }
        self.semver().map(|_| ())
    }

    /// The version, which must be strict SemVer 2 (helm 4's rule; no `v` prefix).
    pub fn semver(&self) -> Result<semver::Version, String> {
        semver::Version::parse(&self.version)
            .map_err(|e| format!("version `{}` is not a SemVer 2 version: {e}", self.version))
    }

    /// Chart.yaml as `helm package` writes it into the archive.
    pub fn to_yaml(&self) -> String {
        super::goyaml::to_yaml(&serde_json::to_value(self).expect("metadata is JSON"))
    }

    /// The metadata as Go's encoding/json writes it (struct order, `<>&` escaped): helm's OCI
    /// config blob, byte for byte.
    pub fn to_go_json(&self) -> String {
        let json = serde_json::to_string(self).expect("metadata is JSON");
        json.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
    }

    /// `<name>-<version>.tgz`.
    pub fn archive_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or(s);
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}
