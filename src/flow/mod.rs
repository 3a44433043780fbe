//! The Flow model: loading Jina's YAML with located errors, and the resolved topology.

mod envsubst;
mod graph;
pub(crate) mod load;
pub mod model;
pub mod names;
pub mod node;
pub mod resolve;

pub use load::{load_file, load_str, python_json};
pub use model::*;
