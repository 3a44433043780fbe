//! flowhelm compiles a Jina Flow (`jtype: Flow` / `jtype: Deployment` YAML) into a
//! parameterised Helm chart, and packages and publishes charts.
//!
//! ```no_run
//! let flow = flowhelm::flow::load_file("flow.yml".as_ref())?;
//! let opts = flowhelm::chart::ChartOptions::new("my-flow")?;
//! let files = flowhelm::chart::compile(&flow, &opts)?;
//! flowhelm::write::write_chart("charts/my-flow".as_ref(), &files, false)?;
//! # Ok::<(), flowhelm::Error>(())
//! ```

pub mod chart;
pub mod cli;
pub mod error;
pub mod flow;
pub mod jina;
pub mod package;
pub mod read;
pub mod topology;
pub mod write;

pub use error::{Error, ErrorKind, Result, Warning};
