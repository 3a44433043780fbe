//! The command-line front end (`flowhelm`). Parses arguments, reads what the library must not
//! (the environment, the clock, standard input), calls the library, renders errors and warnings
//! once, and maps errors to exit codes: 0 ok, 1 internal failure, 2 bad input.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use flowhelm::package::{index, oci};
use flowhelm::{ChartOptions, Error, Flow, Image, Origin, Result, Warning};

#[derive(Parser)]
#[command(
    name = "flowhelm",
    version,
    about = "Compile a Jina Flow into a production Helm chart",
    propagate_version = true
)]
pub struct Cli {
    /// How errors and warnings are written to stderr: `human` lines, or `json`, one object per
    /// line (for programs that call flowhelm, such as its Python package).
    #[arg(
        long = "message-format",
        value_enum,
        global = true,
        default_value_t = MessageFormat::Human
    )]
    pub message_format: MessageFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// Validate a Flow and print its resolved topology.
    Check {
        /// The Flow YAML (`jtype: Flow` or `jtype: Deployment`).
        flow: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Compile a Flow into a Helm chart directory.
    Chart(ChartArgs),
    /// Work with values files of a generated chart.
    Values {
        #[command(subcommand)]
        command: ValuesCommand,
    },
    /// Package a chart directory into a reproducible `<name>-<version>.tgz` (like `helm package`).
    // `--version` sets the chart version here, as in `helm package`.
    #[command(disable_version_flag = true)]
    Package(PackageArgs),
    /// Work with static chart repositories.
    Repo {
        #[command(subcommand)]
        command: RepoCommand,
    },
    /// Push a packaged chart to an OCI registry (like `helm push`).
    Push(PushArgs),
    /// Compile a Flow, package it, and publish it to a static repository and/or an OCI registry.
    Publish(PublishArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(clap::Args)]
pub struct ChartArgs {
    /// The Flow YAML.
    pub flow: PathBuf,
    /// Output directory (default: the chart name).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Chart name (default: the Flow file name).
    #[arg(long)]
    pub name: Option<String>,
    /// Chart version (SemVer 2).
    #[arg(long = "chart-version", default_value = "0.1.0")]
    pub chart_version: String,
    /// A chart skeleton directory replacing the built-in one (like a Helm starter).
    #[arg(long)]
    pub skeleton: Option<PathBuf>,
    /// Replace an existing output directory that flowhelm did not generate.
    #[arg(long)]
    pub force: bool,
}

#[derive(Subcommand)]
pub enum ValuesCommand {
    /// Validate values files against a chart's values.schema.json.
    Check {
        /// The chart directory.
        chart: PathBuf,
        /// Values files, merged in order as `helm -f` does.
        #[arg(short = 'f', long = "values", required = true)]
        values: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Run the CLI with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let _ = MESSAGE_FORMAT.set(cli.message_format);
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            report(
                "error",
                e.origin(),
                e.pos(),
                e.message(),
                &e.causes(),
                e.hint(),
                &e.report(),
            );
            e.exit_code()
        }
    }
}

/// `--message-format`, set once when the arguments are parsed.
static MESSAGE_FORMAT: std::sync::OnceLock<MessageFormat> = std::sync::OnceLock::new();

fn warn(w: &Warning) {
    report(
        "warning",
        w.origin(),
        w.pos(),
        w.message(),
        &[],
        None,
        &w.to_string(),
    );
}

/// Writes one diagnostic to stderr: its human rendering, or under `--message-format json` an
/// object with every part of it, so a caller needs no parsing of the text.
fn report(
    severity: &str,
    origin: Option<&Origin>,
    pos: Option<flowhelm::Pos>,
    message: &str,
    causes: &[String],
    hint: Option<&str>,
    human: &str,
) {
    if MESSAGE_FORMAT.get() != Some(&MessageFormat::Json) {
        eprintln!("{human}");
        return;
    }
    let origin = origin.map(|o| {
        let kind = match o {
            Origin::File(_) => "file",
            Origin::Flag(_) => "flag",
            Origin::Env(_) => "env",
            Origin::Registry(_) => "registry",
            Origin::Value(_) => "value",
            _ => "other",
        };
        serde_json::json!({"kind": kind, "name": o.to_string()})
    });
    let line = serde_json::json!({
        "severity": severity,
        "origin": origin,
        "line": pos.map(|p| p.line),
        "column": pos.map(|p| p.col),
        "message": message,
        "causes": causes,
        "hint": hint,
    });
    eprintln!("{line}");
}

/// The process environment, for `${{ ENV.X }}` in Flows and for finding credential files.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn load(path: &Path) -> Result<Flow> {
    let flow = flowhelm::load(path, &env)?;
    for w in &flow.warnings {
        warn(&w.clone().in_file(path));
    }
    Ok(flow)
}

const JINA_IMAGE_VAR: &str = "JINA_GATEWAY_IMAGE";

/// The image of the gateway, heads and BaseExecutor pods: `JINA_GATEWAY_IMAGE` (as Jina), else
/// jina 3.34.0's.
fn jina_image() -> Result<Image> {
    let reference = env(JINA_IMAGE_VAR).unwrap_or_else(|| flowhelm::jina::DEFAULT_IMAGE.into());
    flowhelm::chart::jina_image(&reference, Origin::Env(JINA_IMAGE_VAR.into()))
}

/// JCloud's `version` picks the Jina images' version, unless `JINA_GATEWAY_IMAGE` names the
/// image (as it does for Jina's export): the tag keeps the default image's Python and variant.
fn jcloud_version(
    opts: &mut ChartOptions,
    version: &str,
    pos: flowhelm::Pos,
    flow: &Path,
) -> Result<()> {
    let default_tag = flowhelm::chart::jina_image(
        flowhelm::jina::DEFAULT_IMAGE,
        Origin::Value("jina image".into()),
    )?
    .tag;
    let suffix = default_tag.split_once('-').map_or("", |(_, rest)| rest);
    let tag = if suffix.is_empty() {
        version.to_string()
    } else {
        format!("{version}-{suffix}")
    };
    if env(JINA_IMAGE_VAR).is_some() {
        if opts.jina_image.tag != tag {
            warn(&flowhelm::Warning::new(pos, format!("`jcloud.version: {version}` is not applied: {JINA_IMAGE_VAR} names the Jina image (`{}`)", opts.jina_image.reference())).in_file(flow));
        }
        return Ok(());
    }
    if opts.jina_image.tag == tag {
        return Ok(());
    }
    opts.jina_image.tag = tag;
    warn(&flowhelm::Warning::new(pos, format!("`jcloud.version: {version}` makes the Jina images `{}`: check that this tag exists (JCloud chose the Python), or name the image with {JINA_IMAGE_VAR}", opts.jina_image.reference())).in_file(flow));
    Ok(())
}

/// Warn when the Jina image's tag carries no Jina version.
fn warn_jina_image(image: &Image) {
    for w in flowhelm::chart::jina_image_warnings(image, Origin::Env(JINA_IMAGE_VAR.into())) {
        warn(&w);
    }
}

/// An error located in the Flow (a list too long to start, …) names the Flow file.
fn in_flow(e: Error, flow: &Path) -> Error {
    match e.pos() {
        Some(_) => e.in_file(flow),
        None => e,
    }
}

/// `SOURCE_DATE_EPOCH` (the reproducible-builds convention), if set.
fn source_date_epoch() -> Result<Option<u64>> {
    match env("SOURCE_DATE_EPOCH") {
        Some(s) if !s.trim().is_empty() => s.trim().parse().map(Some).map_err(|_| {
            Error::input_at(
                Origin::Env("SOURCE_DATE_EPOCH".into()),
                format!("`{s}` is not a number of seconds"),
            )
            .with_hint("set it to a Unix time, e.g. $(git log -1 --format=%ct)")
        }),
        _ => Ok(None),
    }
}

/// The time stamped on index entries (RFC 3339, nanoseconds) and on pushed manifests (whole
/// seconds, as helm): `SOURCE_DATE_EPOCH` when set, else now.
fn now(fraction: bool) -> Result<String> {
    if let Some(secs) = source_date_epoch()? {
        return Ok(flowhelm::package::rfc3339(secs, 0));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let nanos = if fraction { now.subsec_nanos() } else { 0 };
    Ok(flowhelm::package::rfc3339(now.as_secs(), nanos))
}

fn semver_flag(flag: &str, value: &str, example: &str) -> Result<semver::Version> {
    semver::Version::parse(value).map_err(|e| {
        Error::input_at(
            Origin::Flag(flag.into()),
            format!("`{value}` is not a SemVer 2 version"),
        )
        .with_hint(format!("use MAJOR.MINOR.PATCH, e.g. {example}"))
        .with_source(e)
    })
}

fn out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::internal("writing the output failed").with_source(e))
        }
        _ => Ok(()),
    }
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Check { flow, format } => {
            let f = load(&flow)?;
            warn_jina_image(&jina_image()?);
            out(&match format {
                Format::Text => flowhelm::topology::to_text(&f),
                Format::Json => flowhelm::topology::to_json(&f),
            })
        }
        Command::Chart(args) => chart(args),
        Command::Values {
            command: ValuesCommand::Check { chart, values },
        } => {
            for w in flowhelm::chart::check::check_files(&chart, &values)? {
                warn(&w);
            }
            out(&format!(
                "{}: values are valid\n",
                values
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
        Command::Package(args) => package(args),
        Command::Repo {
            command: RepoCommand::Index(args),
        } => repo_index(args),
        Command::Push(args) => push(args),
        Command::Publish(args) => publish(args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "flowhelm", &mut std::io::stdout());
            Ok(())
        }
    }
}

fn chart(args: ChartArgs) -> Result<()> {
    let (flow, opts) = chart_inputs(&args)?;
    let dir = output_dir(&args, &opts);
    let files = flowhelm::compile(&flow, &opts).map_err(|e| in_flow(e, &args.flow))?;
    flowhelm::write(&dir, &files, args.force)?;
    wrote(&opts, &dir)
}

/// The Flow and the options the chart is compiled with, warnings printed.
fn chart_inputs(args: &ChartArgs) -> Result<(Flow, ChartOptions)> {
    let stem = args
        .flow
        .file_stem()
        .map_or_else(|| "flow".into(), |s| s.to_string_lossy().into_owned());
    let name = args.name.clone().unwrap_or(stem);
    let mut opts = ChartOptions::new(&name)?;
    opts.jina_image = jina_image()?;
    opts.version = semver_flag("--chart-version", &args.chart_version, "0.1.0")?;
    opts.skeleton.clone_from(&args.skeleton);
    let flow = load(&args.flow)?;
    if let Some((version, pos)) = &flow.jcloud_version {
        jcloud_version(&mut opts, version, *pos, &args.flow)?;
    }
    warn_jina_image(&opts.jina_image);
    Ok((flow, opts))
}

fn output_dir(args: &ChartArgs, opts: &ChartOptions) -> PathBuf {
    args.output
        .clone()
        .unwrap_or_else(|| PathBuf::from(&opts.name))
}

fn wrote(opts: &ChartOptions, dir: &Path) -> Result<()> {
    out(&format!(
        "wrote chart {} {} to {}\n",
        opts.name,
        opts.version,
        dir.display()
    ))
}

#[derive(clap::Args)]
pub struct PackageArgs {
    /// The chart directory.
    pub chart: PathBuf,
    /// Where to write the archive.
    #[arg(short = 'd', long = "destination", default_value = ".")]
    pub destination: PathBuf,
    /// Set the chart version in the archive (SemVer 2).
    #[arg(long, conflicts_with = "bump")]
    pub version: Option<String>,
    /// Increment the chart version from Chart.yaml in the archive.
    #[arg(long, value_enum)]
    pub bump: Option<Bump>,
    /// Set the appVersion in the archive.
    #[arg(long = "app-version")]
    pub app_version: Option<String>,
}

/// Which part of the chart version `--bump` increments.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Bump {
    Major,
    Minor,
    Patch,
}

impl From<Bump> for flowhelm::Bump {
    fn from(b: Bump) -> Self {
        match b {
            Bump::Major => flowhelm::Bump::Major,
            Bump::Minor => flowhelm::Bump::Minor,
            Bump::Patch => flowhelm::Bump::Patch,
        }
    }
}

#[derive(Subcommand)]
pub enum RepoCommand {
    /// Write index.yaml for the chart archives in a directory (like `helm repo index`).
    Index(RepoIndexArgs),
}

#[derive(clap::Args)]
pub struct RepoIndexArgs {
    /// The directory holding the .tgz files; index.yaml is written there.
    pub dir: PathBuf,
    /// The URL the directory is served at.
    #[arg(long)]
    pub url: String,
    /// Merge into this existing index (its entries and their created times are kept).
    #[arg(long)]
    pub merge: Option<PathBuf>,
    /// Replace an already indexed chart version whose archive changed.
    #[arg(long)]
    pub force: bool,
}

#[derive(clap::Args)]
pub struct PushArgs {
    /// The chart archive.
    pub archive: PathBuf,
    /// The registry and path: oci://HOST[:PORT]/PATH.
    pub remote: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(clap::Args)]
pub struct RegistryArgs {
    /// Use HTTP instead of HTTPS.
    #[arg(long = "plain-http")]
    pub plain_http: bool,
    /// Registry user (default: credentials stored by `helm registry login` or `docker login`).
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the registry password from standard input.
    #[arg(long = "password-stdin", requires = "username")]
    pub password_stdin: bool,
}

#[derive(clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub chart: ChartArgs,
    /// Static repository directory: the archive is written there and index.yaml updated.
    #[arg(long = "repo-dir", requires = "url", required_unless_present = "oci")]
    pub repo_dir: Option<PathBuf>,
    /// The URL the repository directory is served at.
    #[arg(long, requires = "repo_dir")]
    pub url: Option<String>,
    /// Also push to this OCI registry path: oci://HOST[:PORT]/PATH.
    #[arg(long)]
    pub oci: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

fn package(args: PackageArgs) -> Result<()> {
    let opts = flowhelm::PackageOptions {
        version: args
            .version
            .as_deref()
            .map(|v| semver_flag("--version", v, "1.2.0"))
            .transpose()?,
        bump: args.bump.map(Into::into),
        app_version: args.app_version,
        mtime: source_date_epoch()?.unwrap_or(0),
    };
    let p = flowhelm::package(&args.chart, &args.destination, &opts)?;
    out(&format!(
        "packaged {} {} to {} ({})\n",
        p.metadata.name,
        p.metadata.version,
        p.path.display(),
        p.digest
    ))
}

fn repo_index(args: RepoIndexArgs) -> Result<()> {
    let opts = index::IndexOptions {
        url: args.url,
        merge: args.merge,
        force: args.force,
        now: now(true)?,
    };
    let index = flowhelm::index(&args.dir, &opts)?;
    indexed(index.entries.values().map(Vec::len).sum(), &args.dir)
}

fn indexed(count: usize, dir: &Path) -> Result<()> {
    out(&format!(
        "indexed {count} chart versions into {}\n",
        dir.join("index.yaml").display()
    ))
}

fn push(args: PushArgs) -> Result<()> {
    let tgz = std::fs::read(&args.archive).map_err(|e| Error::io(&args.archive, e))?;
    let pushed = flowhelm::push(&tgz, &push_options(&args.remote, &args.registry)?)?;
    pushed_to(&pushed)
}

fn push_options(remote: &str, registry: &RegistryArgs) -> Result<oci::PushOptions> {
    let credentials = match &registry.username {
        Some(user) => Some((user.clone(), read_password()?)),
        None => None,
    };
    Ok(oci::PushOptions {
        reference: remote.to_string(),
        plain_http: registry.plain_http,
        credentials,
        credential_files: oci::credential_files(&env),
        created: now(false)?,
    })
}

fn pushed_to(pushed: &flowhelm::Pushed) -> Result<()> {
    out(&format!(
        "Pushed: {}\nDigest: {}\n",
        pushed.reference, pushed.digest
    ))
}

fn read_password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::internal("reading the password from stdin failed").with_source(e))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(Error::input_at(
            Origin::Flag("--password-stdin".into()),
            "no password on standard input",
        ));
    }
    Ok(password)
}

/// The library's publish, into --output or a temporary directory, printing what the `chart`,
/// `repo index` and `push` commands print.
fn publish(args: PublishArgs) -> Result<()> {
    let scratch = Scratch::new()?;
    let (flow, chart) = chart_inputs(&args.chart)?;
    let chart_dir = match &args.chart.output {
        Some(dir) => dir.clone(),
        None => scratch.0.join("chart"),
    };
    let repo = match (&args.repo_dir, &args.url) {
        (Some(dir), Some(url)) => Some(flowhelm::RepoOptions {
            dir: dir.clone(),
            url: url.clone(),
        }),
        _ => None,
    };
    let oci = match &args.oci {
        Some(remote) => Some(push_options(remote, &args.registry)?),
        None => None,
    };
    let opts = flowhelm::PublishOptions {
        chart_dir: chart_dir.clone(),
        // `--force` (of the chart command) also allows replacing a published archive.
        force: args.chart.force,
        package: flowhelm::PackageOptions {
            mtime: source_date_epoch()?.unwrap_or(0),
            ..Default::default()
        },
        repo,
        oci,
        now: now(true)?,
    };
    let published =
        flowhelm::publish(&flow, &chart, &opts).map_err(|e| in_flow(e, &args.chart.flow))?;
    wrote(&chart, &chart_dir)?;
    if let (Some(count), Some(dir)) = (published.indexed, &args.repo_dir) {
        indexed(count, dir)?;
    }
    match &published.pushed {
        Some(pushed) => pushed_to(pushed),
        None => Ok(()),
    }
}

/// A temporary directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("flowhelm-publish-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
