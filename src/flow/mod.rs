//! The Flow model: loading Jina's YAML with located errors, and the resolved topology.
//!
//! ```
//! use flowhelm::flow::{Polling, PollingMode};
//!
//! let flow = flowhelm::load("examples/search.yml".as_ref(), &|_| None)?;
//! assert_eq!(flow.executors[0].name, "segmenter");
//!
//! // `${{ ENV.X }}` is answered by the caller's look-up, never by the process environment.
//! let text = "jtype: Flow\nexecutors:\n  - name: idx\n    uses: docker://acme/idx:${{ ENV.TAG }}\n    shards: 2\n    polling: all\n";
//! let flow = flowhelm::load_str(text, &|name| (name == "TAG").then(|| "1.2".to_string()))?;
//! assert_eq!(flow.executors[0].polling, Polling::Uniform(PollingMode::All));
//!
//! // Bad input is located: line 1, column 8 here.
//! let err = flowhelm::load_str("jtype: Flw\n", &|_| None).unwrap_err();
//! assert_eq!(err.pos(), Some(flowhelm::Pos::new(1, 8)));
//! assert_eq!(err.exit_code(), 2);
//! # Ok::<(), flowhelm::Error>(())
//! ```

mod envsubst;
mod graph;
mod load;
pub mod model;
pub(crate) mod names;

pub use load::{load_file, load_str};
pub use model::*;
