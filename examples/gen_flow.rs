//! Writes a synthetic Flow for benchmarking to stdout (or `-o FILE`):
//!
//! ```sh
//! cargo run --release --example gen-flow -- --shape chain --size 1000 -o target/bench/chain-1000.yml
//! ```
//!
//! Shapes: `chain`, `dag` (fan-out/fan-in with `when`), `mix` (shards, replicas, env, secrets,
//! volumes, GPUs). The same generator feeds `cargo bench` (`benches/compile.rs`).

#[path = "../benches/support/flowgen.rs"]
mod flowgen;

fn main() {
    let mut shape = String::from("chain");
    let mut size = 100usize;
    let mut output = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--shape" => shape = value(),
            "--size" => {
                size = value()
                    .parse()
                    .unwrap_or_else(|_| usage("--size takes a number"));
            }
            "-o" | "--output" => output = Some(value()),
            "-h" | "--help" => usage(""),
            _ => usage(&format!("unknown argument {a}")),
        }
    }
    let text = flowgen::generate(&shape, size).unwrap_or_else(|e| usage(&e));
    match output {
        Some(path) => {
            std::fs::write(&path, text).unwrap_or_else(|e| usage(&format!("{path}: {e}")));
        }
        None => print!("{text}"),
    }
}

fn usage(error: &str) -> ! {
    if !error.is_empty() {
        eprintln!("gen-flow: {error}");
    }
    eprintln!(
        "usage: gen-flow [--shape {}] [--size N] [-o FILE]",
        flowgen::SHAPES.join("|")
    );
    std::process::exit(if error.is_empty() { 0 } else { 2 })
}
