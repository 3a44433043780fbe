//! The command-line front end (`flowhelm`). Parses arguments, calls the library, renders errors
//! once, and maps them to exit codes: 0 ok, 1 internal failure, 2 bad input.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::chart::ChartOptions;
use crate::error::{Error, Result};
use crate::flow::{self, Flow};

#[derive(Parser)]
#[command(name = "flowhelm", version, about = "Compile a Jina Flow into a production Helm chart", propagate_version = true)]
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

fn out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::internal(format!("writing output: {e}"))),
        _ => Ok(()),
    }
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Check { flow, format } => {
            let f = load(&flow)?;
            out(&match format {
                Format::Text => crate::topology::to_text(&f),
                Format::Json => crate::topology::to_json(&f),
            })
        }
        Command::Chart(args) => chart(args),
        Command::Values { command: ValuesCommand::Check { chart, values } } => {
            crate::chart::check::check_files(&chart, &values)?;
            out(&format!("{}: values are valid\n", values.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")))
        }
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
        Error::input_file("--chart-version", format!("`{}` is not a SemVer 2 version: {e}", args.chart_version))
            .with_hint("use MAJOR.MINOR.PATCH, e.g. 0.1.0")
    })?;
    opts.skeleton = args.skeleton.clone();
    let flow = load(&args.flow)?;
    let files = crate::chart::compile(&flow, &opts)?;
    let dir = args.output.unwrap_or_else(|| PathBuf::from(&opts.name));
    crate::write::write_chart(&dir, &files, args.force)?;
    out(&format!("wrote chart {} {} to {}\n", opts.name, opts.version, dir.display()))
}
