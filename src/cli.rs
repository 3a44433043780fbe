//! The command-line front end (`flowhelm`). Parses arguments, calls the library, renders errors
//! once, and maps them to exit codes: 0 ok, 1 internal failure, 2 bad input.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::chart::ChartOptions;
use crate::error::{Error, Result};
use crate::flow::{self, Flow};

#[derive(Parser)]
#[command(
    name = "flowhelm",
    version,
    about = "Compile a Jina Flow into a production Helm chart",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
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
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

fn load(path: &Path) -> Result<Flow> {
    let flow = flow::load_file(path)?;
    for w in &flow.warnings {
        eprintln!("{}", w.render(path));
    }
    Ok(flow)
}

fn warn_jina_image(image: &crate::flow::Image) {
    for w in crate::chart::jina_image_warnings(image) {
        eprintln!("{w}");
    }
}

fn out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::internal(format!("writing output: {e}")))
        }
        _ => Ok(()),
    }
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Check { flow, format } => {
            let f = load(&flow)?;
            warn_jina_image(&crate::chart::jina_image_from_env()?);
            out(&match format {
                Format::Text => crate::topology::to_text(&f),
                Format::Json => crate::topology::to_json(&f),
            })
        }
        Command::Chart(args) => chart(args),
        Command::Values {
            command: ValuesCommand::Check { chart, values },
        } => {
            for (file, w) in crate::chart::check::check_files(&chart, &values)? {
                eprintln!("{}", w.render(&file));
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
    let stem = args
        .flow
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "flow".into());
    let name = args.name.clone().unwrap_or(stem);
    let mut opts = ChartOptions::new(&name)?;
    opts.version = semver::Version::parse(&args.chart_version).map_err(|e| {
        Error::input_file(
            "--chart-version",
            format!("`{}` is not a SemVer 2 version: {e}", args.chart_version),
        )
        .with_hint("use MAJOR.MINOR.PATCH, e.g. 0.1.0")
    })?;
    opts.skeleton = args.skeleton.clone();
    let flow = load(&args.flow)?;
    warn_jina_image(&opts.jina_image);
    // Errors located in the Flow (a list too long to start, …) name the Flow file.
    let files = crate::chart::compile(&flow, &opts).map_err(|e| match e.pos {
        Some(_) => e.in_file(&args.flow),
        None => e,
    })?;
    let dir = args.output.unwrap_or_else(|| PathBuf::from(&opts.name));
    crate::write::write_chart(&dir, &files, args.force)?;
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
    pub bump: Option<crate::package::Bump>,
    /// Set the appVersion in the archive.
    #[arg(long = "app-version")]
    pub app_version: Option<String>,
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
    let opts = crate::package::PackageOptions {
        version: args.version,
        bump: args.bump,
        app_version: args.app_version,
    };
    let p = crate::package::package(&args.chart, &args.destination, &opts)?;
    out(&format!(
        "packaged {} {} to {} ({})\n",
        p.metadata.name,
        p.metadata.version,
        p.path.display(),
        p.digest
    ))
}

fn repo_index(args: RepoIndexArgs) -> Result<()> {
    let opts = crate::package::index::IndexOptions {
        url: args.url,
        merge: args.merge,
        force: args.force,
        now: crate::package::timestamp()?,
    };
    let index = crate::package::index::index_dir(&args.dir, &opts)?;
    let count: usize = index.entries.values().map(Vec::len).sum();
    out(&format!(
        "indexed {count} chart versions into {}\n",
        args.dir.join("index.yaml").display()
    ))
}

fn push(args: PushArgs) -> Result<()> {
    let tgz = std::fs::read(&args.archive).map_err(|e| Error::io(&args.archive, e))?;
    push_bytes(&tgz, &args.remote, &args.registry)
}

fn push_bytes(tgz: &[u8], remote: &str, registry: &RegistryArgs) -> Result<()> {
    let credentials = match &registry.username {
        Some(user) => Some((user.clone(), read_password()?)),
        None => None,
    };
    let opts = crate::package::oci::PushOptions {
        reference: remote.to_string(),
        plain_http: registry.plain_http,
        credentials,
        created: crate::package::timestamp_seconds()?,
    };
    let pushed = crate::package::oci::push(tgz, &opts)?;
    out(&format!(
        "Pushed: {}\nDigest: {}\n",
        pushed.reference, pushed.digest
    ))
}

fn read_password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::internal(format!("reading the password from stdin: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(Error::input_file(
            "--password-stdin",
            "no password on standard input",
        ));
    }
    Ok(password)
}

/// Generate with the `chart` command (into --output, or a temporary directory), package, then
/// index and/or push.
fn publish(mut args: PublishArgs) -> Result<()> {
    let scratch = Scratch::new()?;
    if args.chart.output.is_none() {
        args.chart.output = Some(scratch.0.join("chart"));
    }
    let chart_dir = args.chart.output.clone().unwrap_or_default();
    // `--force` (of the chart command) also allows replacing a published archive.
    let force = args.chart.force;
    chart(args.chart)?;
    let (metadata, tgz) =
        crate::package::build(&chart_dir, &crate::package::PackageOptions::default())?;
    if let (Some(dir), Some(url)) = (&args.repo_dir, &args.url) {
        let archive = dir.join(metadata.archive_name());
        crate::package::index::check_replace(&archive, &tgz, force)?;
        crate::write::write_file(&archive, &tgz)?;
        repo_index(RepoIndexArgs {
            dir: dir.clone(),
            url: url.clone(),
            merge: Some(dir.join("index.yaml")),
            force,
        })?;
    }
    if let Some(remote) = &args.oci {
        push_bytes(&tgz, remote, &args.registry)?;
    }
    Ok(())
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
