//! `helm push` without helm: upload the chart archive and its metadata to an OCI registry (OCI
//! distribution API: blob upload, then a manifest under the version tag) with helm's media types
//! and manifest layout, so helm pulls what we push. Blocking HTTP on ureq; auth by the registry's
//! challenge (Basic, or a Bearer token fetched from the realm it names).
//!
//! ```
//! use flowhelm::package::oci;
//!
//! let dir = std::env::temp_dir().join(format!("flowhelm-doc-oci-{}", std::process::id()));
//! let flow = flowhelm::load("examples/search.yml".as_ref(), &|_| None)?;
//! flowhelm::write(&dir, &flowhelm::compile(&flow, &flowhelm::ChartOptions::new("search")?)?, false)?;
//! let tgz = std::fs::read(flowhelm::package(&dir, &dir, &Default::default())?.path).unwrap();
//! let opts = oci::PushOptions {
//!     reference: "oci://127.0.0.1:1/charts".into(), // nothing listens here
//!     plain_http: true,
//!     credentials: None,
//!     // Where helm and Docker keep credentials, from the caller's environment (none here).
//!     credential_files: oci::credential_files(&|_| None),
//!     created: "2026-12-01T00:00:00Z".into(),
//! };
//! let err = flowhelm::push(&tgz, &opts).unwrap_err();
//! assert!(err.to_string().starts_with("127.0.0.1:1"), "{err}");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), flowhelm::Error>(())
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use ureq::http;

use super::{chartfile::Metadata, sha256};
use crate::error::{Error, Origin, Result};

pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
pub const CHART_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// Where and how to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// `oci://HOST[:PORT]/PATH`.
    pub reference: String,
    pub plain_http: bool,
    /// Explicit credentials; otherwise `credential_files` are consulted.
    pub credentials: Option<(String, String)>,
    /// helm's and Docker's credential files, first match wins ([`credential_files`] finds them
    /// the way helm does, from an environment).
    pub credential_files: Vec<PathBuf>,
    /// `org.opencontainers.image.created`.
    pub created: String,
}

/// What was pushed: `host/path/name:tag` and the manifest digest.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub reference: String,
    pub digest: String,
}

/// A parsed `oci://` reference, extended by the chart's name and version as helm does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub repository: String,
    pub tag: String,
}

impl Target {
    pub fn new(reference: &str, m: &Metadata) -> Result<Target> {
        let bad = |why: &str| {
            Error::input_at(Origin::Registry(reference.into()), format!("not an OCI registry reference: {why}"))
                .with_hint("use oci://HOST[:PORT]/PATH, e.g. oci://ghcr.io/my-org/charts (no tag: the chart version is the tag)")
        };
        let rest = reference
            .strip_prefix("oci://")
            .ok_or_else(|| bad("it must start with oci://"))?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if host.is_empty() {
            return Err(bad("no registry host"));
        }
        let path = path.trim_matches('/');
        if path.contains(':') || path.contains('@') {
            return Err(bad("a tag or digest cannot be given"));
        }
        let repository = if path.is_empty() {
            m.name.clone()
        } else {
            format!("{path}/{}", m.name)
        };
        Ok(Target {
            host: host.to_string(),
            repository,
            tag: m.version.replace('+', "_"),
        })
    }
}

/// Push a chart archive. The manifest is helm's byte for byte (given the same `created`).
pub fn push(tgz: &[u8], opts: &PushOptions) -> Result<Pushed> {
    let metadata = super::index::chart_metadata(tgz)
        .map_err(|m| Error::input_at(Origin::Registry(opts.reference.clone()), m))?;
    let target = Target::new(&opts.reference, &metadata)?;
    let config = metadata.to_go_json().into_bytes();
    let manifest = manifest(&metadata, &config, tgz, &opts.created);
    let credentials = opts
        .credentials
        .clone()
        .or_else(|| stored_credentials(&target.host, &opts.credential_files));
    let mut client = Client::new(&target, opts.plain_http, credentials);
    client.upload_blob(&config)?;
    client.upload_blob(tgz)?;
    let digest = client.put_manifest(&manifest)?;
    Ok(Pushed {
        reference: format!("{}/{}:{}", target.host, target.repository, target.tag),
        digest,
    })
}

/// helm's manifest: config + one chart layer, annotations from the metadata, no mediaType field.
pub fn manifest(m: &Metadata, config: &[u8], tgz: &[u8], created: &str) -> Vec<u8> {
    let descriptor = |media: &str, blob: &[u8]| serde_json::json!({"mediaType": media, "digest": sha256(blob), "size": blob.len()});
    let body = serde_json::json!({
        "schemaVersion": 2,
        "config": descriptor(CONFIG_MEDIA_TYPE, config),
        "layers": [descriptor(CHART_MEDIA_TYPE, tgz)],
        "annotations": annotations(m, created),
    });
    go_escape(&body.to_string()).into_bytes()
}

/// The OCI annotations helm derives from Chart.yaml; chart annotations cannot override the
/// title and version.
fn annotations(m: &Metadata, created: &str) -> BTreeMap<String, String> {
    let mut a: BTreeMap<String, String> = BTreeMap::new();
    let oci = |k: &str| format!("org.opencontainers.image.{k}");
    if !m.description.is_empty() {
        a.insert(oci("description"), m.description.clone());
    }
    a.insert(oci("title"), m.name.clone());
    a.insert(oci("version"), m.version.clone());
    a.insert(oci("created"), created.to_string());
    if !m.home.is_empty() {
        a.insert(oci("url"), m.home.clone());
    }
    if let Some(source) = m.sources.first() {
        a.insert(oci("source"), source.clone());
    }
    let authors: Vec<String> = m
        .maintainers
        .iter()
        .map(|p| {
            if p.email.is_empty() {
                p.name.clone()
            } else {
                format!("{} ({})", p.name, p.email)
            }
        })
        .collect();
    if !authors.is_empty() {
        a.insert(oci("authors"), authors.join(", "));
    }
    for (k, v) in &m.annotations {
        if *k != oci("title") && *k != oci("version") {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

fn go_escape(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

struct Client {
    agent: ureq::Agent,
    base: String,
    target: Target,
    credentials: Option<(String, String)>,
    /// The `Authorization` value that worked, reused for later requests.
    auth: Option<String>,
}

impl Client {
    fn new(target: &Target, plain_http: bool, credentials: Option<(String, String)>) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(300)))
            .build()
            .into();
        let scheme = if plain_http { "http" } else { "https" };
        Client {
            agent,
            base: format!("{scheme}://{}", target.host),
            target: target.clone(),
            credentials,
            auth: None,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2/{}/{path}", self.base, self.target.repository)
    }

    fn upload_blob(&mut self, blob: &[u8]) -> Result<()> {
        let digest = sha256(blob);
        if self
            .send("HEAD", &self.url(&format!("blobs/{digest}")), None, None)?
            .status
            == 200
        {
            return Ok(());
        }
        let start = self.send("POST", &self.url("blobs/uploads/"), None, Some(&[]))?;
        let location = match (start.status, start.header("location")) {
            (202, Some(l)) => self.absolute(&l),
            _ => return Err(self.unexpected("starting a blob upload", &start)),
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let put_url = format!("{location}{sep}digest={}", digest.replace(':', "%3A"));
        let done = self.send(
            "PUT",
            &put_url,
            Some("application/octet-stream"),
            Some(blob),
        )?;
        if done.status != 201 {
            return Err(self.unexpected("uploading a blob", &done));
        }
        Ok(())
    }

    fn put_manifest(&mut self, manifest: &[u8]) -> Result<String> {
        let url = self.url(&format!("manifests/{}", self.target.tag));
        let reply = self.send("PUT", &url, Some(MANIFEST_MEDIA_TYPE), Some(manifest))?;
        if reply.status != 201 {
            return Err(self.unexpected("uploading the manifest", &reply));
        }
        Ok(reply
            .header("docker-content-digest")
            .unwrap_or_else(|| sha256(manifest)))
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            format!("{}{location}", self.base)
        }
    }

    /// One request; on a 401 challenge, authenticate and retry once.
    fn send(
        &mut self,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Reply> {
        let reply = self.raw(method, url, content_type, body, self.auth.clone())?;
        if reply.status != 401 {
            return Ok(reply);
        }
        let challenge = reply.header("www-authenticate").unwrap_or_default();
        self.auth = Some(self.authenticate(&challenge)?);
        let again = self.raw(method, url, content_type, body, self.auth.clone())?;
        if again.status == 401 || again.status == 403 {
            return Err(self.auth_failed(&again));
        }
        Ok(again)
    }

    fn raw(
        &self,
        method: &str,
        url: &str,
        ctype: Option<&str>,
        body: Option<&[u8]>,
        auth: Option<String>,
    ) -> Result<Reply> {
        let mut req = http::Request::builder().method(method).uri(url);
        if let Some(c) = ctype {
            req = req.header("Content-Type", c);
        }
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let sent = match body {
            Some(b) => self.agent.run(req.body(b).map_err(|e| {
                Error::internal(format!("{url}: building the request failed")).with_source(e)
            })?),
            None => self.agent.run(req.body(()).map_err(|e| {
                Error::internal(format!("{url}: building the request failed")).with_source(e)
            })?),
        };
        let mut resp = sent.map_err(|e| self.network(url, e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = if method == "HEAD" {
            String::new()
        } else {
            resp.body_mut().read_to_string().unwrap_or_default()
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// The `Authorization` value answering a `WWW-Authenticate` challenge.
    fn authenticate(&self, challenge: &str) -> Result<String> {
        let (scheme, params) = parse_challenge(challenge);
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => self.basic().ok_or_else(|| self.no_credentials()),
            "bearer" => self.bearer_token(&params),
            _ => Err(self.registry_error(format!(
                "unsupported authentication challenge `{challenge}`"
            ))),
        }
    }

    fn basic(&self) -> Option<String> {
        let (user, pass) = self.credentials.as_ref()?;
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        ))
    }

    /// Docker's token flow: ask the realm for a push+pull token on the repository.
    fn bearer_token(&self, params: &BTreeMap<String, String>) -> Result<String> {
        let realm = params
            .get("realm")
            .ok_or_else(|| self.registry_error("Bearer challenge without realm".into()))?;
        let mut url = format!(
            "{realm}?scope={}",
            encode(&format!("repository:{}:pull,push", self.target.repository))
        );
        if let Some(service) = params.get("service") {
            url.push_str(&format!("&service={}", encode(service)));
        }
        let reply = self.raw("GET", &url, None, None, self.basic())?;
        if reply.status == 401 || reply.status == 403 {
            return Err(self.auth_failed(&reply));
        }
        if reply.status != 200 {
            return Err(self.unexpected("fetching a registry token", &reply));
        }
        let json: serde_json::Value = serde_json::from_str(&reply.body).map_err(|e| {
            self.registry_error(format!("{realm}: the token response is not JSON"))
                .with_source(e)
        })?;
        let token = json
            .get("token")
            .or_else(|| json.get("access_token"))
            .and_then(|t| t.as_str());
        token
            .map(|t| format!("Bearer {t}"))
            .ok_or_else(|| self.registry_error(format!("{realm}: token response has no token")))
    }

    fn auth_failed(&self, reply: &Reply) -> Error {
        let who = match &self.credentials {
            Some((user, _)) => format!("as `{user}`"),
            None => "without credentials".into(),
        };
        Error::input_at(Origin::Registry(self.target.host.clone()), format!("authentication {who} failed (HTTP {}){}", reply.status, detail(&reply.body)))
            .with_hint("check the username and password (--username U --password-stdin), or `helm registry login` / `docker login`")
    }

    fn no_credentials(&self) -> Error {
        Error::input_at(Origin::Registry(self.target.host.clone()), "the registry requires credentials and none were found")
            .with_hint("pass --username U --password-stdin, or log in with `helm registry login` or `docker login`")
    }

    fn unexpected(&self, what: &str, reply: &Reply) -> Error {
        self.registry_error(format!(
            "{what} failed: HTTP {}{}",
            reply.status,
            detail(&reply.body)
        ))
    }

    fn network(&self, url: &str, e: ureq::Error) -> Error {
        let hint = if url.starts_with("https://") {
            "is the registry reachable? for a plain-HTTP registry pass --plain-http"
        } else {
            "is the registry running and reachable?"
        };
        self.registry_error(format!("{url}: the request did not get a reply"))
            .with_hint(hint)
            .with_source(e)
    }

    fn registry_error(&self, message: String) -> Error {
        Error::internal_at(Origin::Registry(self.target.host.clone()), message)
    }
}

/// The registry's error message, if it sent one (`{"errors":[{"message":…}]}`).
fn detail(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    match v.pointer("/errors/0/message").and_then(|m| m.as_str()) {
        Some(m) => format!(": {m}"),
        None => String::new(),
    }
}

/// `Bearer realm="…",service="…"` → (`Bearer`, {realm, service}).
fn parse_challenge(h: &str) -> (String, BTreeMap<String, String>) {
    let (scheme, rest) = h.trim().split_once(' ').unwrap_or((h.trim(), ""));
    let mut params = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        let key: String = chars
            .by_ref()
            .skip_while(|c| *c == ',' || c.is_whitespace())
            .take_while(|c| *c != '=')
            .collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = chars.by_ref().take_while(|c| *c != ',').collect();
        }
        params.insert(key.trim().to_ascii_lowercase(), value);
    }
    (scheme.to_string(), params)
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Credentials for `host` from the first of `files` (helm's registry config, Docker's) that
/// has them: inline `auth` or `username`/`password` entries; credential helpers are not run.
pub fn stored_credentials(host: &str, files: &[PathBuf]) -> Option<(String, String)> {
    files.iter().find_map(|f| {
        let text = std::fs::read_to_string(f).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        lookup(json.get("auths")?.as_object()?, host)
    })
}

/// Where helm and Docker keep registry credentials, given an environment (`HOME`,
/// `HELM_REGISTRY_CONFIG`, `HELM_CONFIG_HOME`, `XDG_CONFIG_HOME`, `DOCKER_CONFIG`), in the order
/// they are consulted.
pub fn credential_files(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let env = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let home = env("HOME");
    let helm_config = env("HELM_CONFIG_HOME")
        .or_else(|| env("XDG_CONFIG_HOME").map(|x| x.join("helm")))
        .or_else(|| home.as_ref().map(|h| h.join(".config/helm")));
    let helm =
        env("HELM_REGISTRY_CONFIG").or_else(|| helm_config.map(|c| c.join("registry/config.json")));
    let docker = env("DOCKER_CONFIG")
        .or_else(|| home.map(|h| h.join(".docker")))
        .map(|d| d.join("config.json"));
    helm.into_iter().chain(docker).collect()
}

fn lookup(
    auths: &serde_json::Map<String, serde_json::Value>,
    host: &str,
) -> Option<(String, String)> {
    let aliases: &[&str] =
        if ["docker.io", "registry-1.docker.io", "index.docker.io"].contains(&host) {
            &["docker.io", "registry-1.docker.io", "index.docker.io"]
        } else {
            &[]
        };
    let wanted = |key: &str| {
        let k = key
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let k = k.split('/').next().unwrap_or(k);
        k == host || aliases.contains(&k)
    };
    let entry = auths.iter().find(|(k, _)| wanted(k))?.1;
    if let Some(auth) = entry
        .get("auth")
        .and_then(|a| a.as_str())
        .filter(|a| !a.is_empty())
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth)
            .ok()?;
        let (u, p) = String::from_utf8(decoded)
            .ok()?
            .split_once(':')
            .map(|(u, p)| (u.to_string(), p.to_string()))?;
        return Some((u, p));
    }
    let field = |k: &str| entry.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    Some((field("username")?, field("password")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Metadata {
        Metadata {
            name: "demo".into(),
            version: "1.2.3+build.5".into(),
            ..Metadata::default()
        }
    }

    #[test]
    fn references() {
        let t = Target::new("oci://127.0.0.1:5000/charts/", &meta()).unwrap();
        assert_eq!(
            t,
            Target {
                host: "127.0.0.1:5000".into(),
                repository: "charts/demo".into(),
                tag: "1.2.3_build.5".into()
            }
        );
        assert!(Target::new("https://x/charts", &meta()).is_err());
        assert!(Target::new("oci://x/charts:1.0", &meta()).is_err());
    }

    #[test]
    fn challenges() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.io/token",service="registry.io",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(s, "Bearer");
        assert_eq!(p["realm"], "https://auth.io/token");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        assert_eq!(parse_challenge(r#"Basic realm="x""#).0, "Basic");
    }

    #[test]
    fn docker_config_entries() {
        let auths = serde_json::json!({
            "https://index.docker.io/v1/": {"auth": "dTpw"},
            "reg.io:5000": {"username": "a", "password": "b"},
        });
        let auths = auths.as_object().unwrap();
        assert_eq!(lookup(auths, "docker.io"), Some(("u".into(), "p".into())));
        assert_eq!(lookup(auths, "reg.io:5000"), Some(("a".into(), "b".into())));
        assert_eq!(lookup(auths, "other.io"), None);
    }
}
