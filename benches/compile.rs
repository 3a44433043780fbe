//! `cargo bench --bench compile`: the cost of each stage of `flowhelm chart` on synthetic Flows
//! (`benches/support/flowgen.rs`) of 10 to 1500 executors (the largest whose gateway can start), per shape:
//! `parse` (YAML → validated Flow), `compile` (values, schema, README, skeleton rendering) and
//! `write` (the atomic directory write). `scripts/bench` times the whole CLI and helm.
//!
//! Under `cargo test` (no `--bench` argument) divan runs each benchmark once, as a smoke test, and
//! only at the small sizes so the test suite stays fast.

use std::path::PathBuf;

use divan::Bencher;
use flowhelm::chart::{compile, ChartOptions};
use flowhelm::flow::{load_str, Flow};

#[path = "support/flowgen.rs"]
mod flowgen;

fn main() {
    let divan = divan::Divan::from_args();
    if std::env::args().any(|a| a == "--bench") {
        divan.main();
    } else {
        divan.skip_regex("1000|1500").main();
    }
}

fn text(shape: &str, size: usize) -> String {
    flowgen::generate(shape, size).expect("a valid shape")
}

fn flow(shape: &str, size: usize) -> Flow {
    load_str(&text(shape, size), &|_| None).expect("generated Flows are valid")
}

fn options() -> ChartOptions {
    // The library's default Jina image is jina 3.34.0's, whatever the environment says.
    ChartOptions::new("bench").expect("a valid name")
}

#[divan::bench(args = flowgen::SHAPES, consts = [10, 100, 1000, 1500], sample_count = 20)]
fn parse<const N: usize>(b: Bencher, shape: &str) {
    let source = text(shape, N);
    b.counter(divan::counter::BytesCount::of_str(&source))
        .bench(|| load_str(divan::black_box(&source), &|_| None).unwrap());
}

#[divan::bench(args = flowgen::SHAPES, consts = [10, 100, 1000, 1500], sample_count = 20)]
fn compile_chart<const N: usize>(b: Bencher, shape: &str) {
    let f = flow(shape, N);
    let opts = options();
    b.bench(|| compile(divan::black_box(&f), &opts).unwrap());
}

#[divan::bench(args = flowgen::SHAPES, consts = [10, 100, 1000, 1500], sample_count = 20)]
fn write<const N: usize>(b: Bencher, shape: &str) {
    let files = compile(&flow(shape, N), &options()).unwrap();
    let dir = Scratch::new(&format!("{shape}-{N}"));
    let out = dir.0.join("chart");
    b.bench(|| flowhelm::write::write_chart(&out, divan::black_box(&files), false).unwrap());
}

/// A directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("flowhelm-bench-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
