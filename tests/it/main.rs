//! flowhelm's integration tests, built as one test binary (`cargo test --test it`): each module
//! below was a binary of its own. Select a module with a filter, e.g. `cargo test --test it cli::`,
//! or leave one out: `cargo test --test it -- --skip cluster::`.
//!
//! `common` holds the shared helpers (the real flowhelm and helm binaries, temporary directories,
//! schema and API-server checks) and `test` the [`test::Test`] builder for command-line runs.
//!
//! The `cluster` tests need root and start real Jina processes; `scripts/test` runs them after
//! everything else, on their own (as when they were a separate binary), so that no other test
//! competes with them for the CPU.

// A scenario test reads top to bottom as the story it checks; the 80-line limit is src/'s.
#![allow(clippy::too_many_lines)]

mod common;
mod test;

mod charts;
mod cli;
mod cluster;
mod corpus;
mod features;
mod house;
mod invalid;
mod jcloud;
mod library;
mod parity;
mod publish;
mod robustness;
mod snapshots;
mod strings;
mod write;
