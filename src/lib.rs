//! flowhelm compiles a Jina Flow (`jtype: Flow` / `jtype: Deployment` YAML) into a
//! parameterised Helm chart, and packages and publishes charts the way helm does.
//!
//! The pipeline is a handful of functions, each re-exported here:
//!
//! | step | function | takes | gives |
//! |---|---|---|---|
//! | read a Flow | [`load`] / [`load_str`] | a file or text, and an environment for `${{ ENV.X }}` | a checked [`Flow`] |
//! | generate | [`compile`] | a [`Flow`] and [`ChartOptions`] | the chart's [`Files`] |
//! | write | [`write()`] | a directory and [`Files`] | the chart on disk, replaced atomically |
//! | package | [`package()`] | a chart directory and [`PackageOptions`] | a reproducible `.tgz` ([`Packaged`]) |
//! | index | [`index()`] | a directory of archives and [`IndexOptions`] | its `index.yaml` ([`IndexFile`]) |
//! | push | [`push`] | archive bytes and [`PushOptions`] | the chart in an OCI registry ([`Pushed`]) |
//! | all of it | [`publish()`] | a [`Flow`], [`ChartOptions`] and [`PublishOptions`] | [`Published`] |
//!
//! Library functions are pure in the sense that matters to a caller: they read no environment
//! variable and no clock. The process environment (`${{ ENV.X }}`, `JINA_GATEWAY_IMAGE`,
//! `SOURCE_DATE_EPOCH`, where registry credentials live) and the time stamped on index entries
//! and pushed manifests come in as arguments; the `flowhelm` binary is the one place that reads
//! them. Same arguments, byte-identical output.
//!
//! ```
//! # let out = std::env::temp_dir().join(format!("flowhelm-doc-lib-{}", std::process::id()));
//! // `${{ ENV.X }}` in the Flow is looked up here: this caller offers no variables.
//! let flow = flowhelm::load("examples/search.yml".as_ref(), &|_| None)?;
//! let files = flowhelm::compile(&flow, &flowhelm::ChartOptions::new("search")?)?;
//! assert!(files.contains_key("values.schema.json"));
//! flowhelm::write(&out, &files, false)?;
//!
//! let opts = flowhelm::PackageOptions::default(); // entries dated 1970, as SOURCE_DATE_EPOCH=0
//! let packaged = flowhelm::package(&out, &out, &opts)?;
//! assert!(packaged.path.ends_with("search-0.1.0.tgz"));
//! # std::fs::remove_dir_all(&out).unwrap();
//! # Ok::<(), flowhelm::Error>(())
//! ```
//!
//! Errors are [`Error`]s: each names its [`Origin`] (a file with line and column, a flag, an
//! environment variable, a registry), says what is wrong and usually what to do, and tells
//! bad input ([`ErrorKind::Input`]) from everything else. `Display` gives the one-line form
//! the CLI prints, `FILE:LINE:COL: error: WHAT`. Accepted input may still carry [`Warning`]s
//! ([`Flow::warnings`]).
//!
//! `examples/library.rs` is a complete program using the library.

pub mod chart;
pub mod error;
pub mod flow;
pub mod jcloud;
pub mod jina;
pub mod package;
pub mod publish;
pub(crate) mod python;
pub(crate) mod read;
pub mod topology;
pub mod write;
pub mod yaml;

pub use chart::{compile, ChartOptions, Files, SkeletonContext};
pub use error::{Error, ErrorKind, Origin, Pos, Result, Warning};
pub use flow::{load_file as load, load_str, Flow, Image};
pub use package::index::{index_dir as index, IndexFile, IndexOptions};
pub use package::oci::{push, PushOptions, Pushed};
pub use package::{package, Bump, PackageOptions, Packaged};
pub use publish::{publish, PublishOptions, Published, RepoOptions};
pub use write::write_chart as write;
