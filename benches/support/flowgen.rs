//! Synthetic Jina Flows for the benchmarks (`benches/compile.rs`) and `scripts/bench` (through
//! `cargo run --release --example gen-flow`). Deterministic: the same shape and size always give
//! the same text.
//!
//! Shapes:
//! - `chain`: `size` docker executors, each with `uses_with`, chained implicitly (Jina's default).
//! - `dag`: a router, `size - 2` parallel branches each behind a `when` filter, and a merger that
//!   needs all of them (one wide fan-out and fan-in).
//! - `mix`: a chain with side branches, where executors cycle through shards (with per-endpoint
//!   polling and sometimes `uses_before`/`uses_after`), replicas, env, secrets, volumes, GPUs,
//!   extra protocols, monitoring and `timeout_ready`.

use std::fmt::Write as _;

/// The shapes [`generate`] knows.
pub const SHAPES: &[&str] = &["chain", "dag", "mix"];

/// The Flow YAML of `shape` with `size` executors (`size` ≥ 3 for `dag`).
pub fn generate(shape: &str, size: usize) -> Result<String, String> {
    let mut out = String::with_capacity(size * 200);
    out.push_str("jtype: Flow\nwith:\n  name: bench\n  env:\n    JINA_LOG_LEVEL: INFO\n");
    out.push_str("gateway:\n  protocol: [grpc, http]\n  replicas: 2\nexecutors:\n");
    match shape {
        "chain" => chain(&mut out, size),
        "dag" if size >= 3 => dag(&mut out, size),
        "dag" => return Err("the dag shape needs at least 3 executors".into()),
        "mix" => mix(&mut out, size),
        _ => {
            return Err(format!(
                "unknown shape `{shape}` (one of {})",
                SHAPES.join(", ")
            ))
        }
    }
    Ok(out)
}

fn chain(out: &mut String, size: usize) {
    for i in 0..size {
        let _ = write!(
            out,
            "  - name: stage_{i:05}\n    uses: docker://registry.example.com/acme/stage:1.{}.0\n    uses_with:\n      model: m{i}\n      batch_size: 32\n",
            i % 7
        );
    }
}

fn dag(out: &mut String, size: usize) {
    out.push_str("  - name: router\n    uses: docker://registry.example.com/acme/router:2.0.0\n");
    let branches = size - 2;
    for i in 0..branches {
        let _ = write!(
            out,
            "  - name: branch_{i:05}\n    uses: docker://registry.example.com/acme/branch:1.0.0\n    needs: router\n    when:\n      tags__route:\n        $eq: r{i}\n",
        );
    }
    out.push_str(
        "  - name: merger\n    uses: docker://registry.example.com/acme/merger:2.0.0\n    needs: [",
    );
    for i in 0..branches {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "branch_{i:05}");
    }
    out.push_str("]\n    disable_reduce: false\n");
}

fn mix(out: &mut String, size: usize) {
    for i in 0..size {
        let _ = write!(
            out,
            "  - name: exec_{i:05}\n    uses: docker://registry.example.com/acme/exec-{}:0.{}.1\n",
            i % 13,
            i % 5
        );
        // Every tenth executor hangs off the one before its predecessor: a side branch.
        if i >= 2 && i % 10 == 0 {
            let _ = writeln!(out, "    needs: exec_{:05}", i - 2);
        }
        if i % 5 == 1 {
            out.push_str("    shards: 2\n    polling:\n      /index: ANY\n      /search: ALL\n");
            if i % 15 == 1 {
                out.push_str(
                    "    uses_after: docker://registry.example.com/acme/merge-shards:1.0.0\n",
                );
            }
        }
        if i % 3 == 0 {
            out.push_str("    replicas: 2\n");
        }
        let _ = write!(
            out,
            "    env:\n      MODEL_NAME: model-{i}\n      BATCH_SIZE: 16\n      CACHE_DIR: /cache/{i}\n"
        );
        if i % 4 == 0 {
            let _ = write!(
                out,
                "    env_from_secret:\n      DB_PASSWORD:\n        name: db-{}\n        key: password\n    image_pull_secrets: [regcred]\n",
                i % 3
            );
        }
        if i % 7 == 3 {
            let _ = writeln!(out, "    volumes: ['data-{i}:/workspace/data']");
        }
        if i % 6 == 2 {
            out.push_str("    gpus: 1\n");
        }
        if i % 11 == 5 {
            out.push_str("    protocol: [grpc, http]\n");
        }
        if i % 9 == 4 {
            out.push_str("    monitoring: true\n    timeout_ready: 900000\n");
        }
        if i % 2 == 1 {
            let _ = write!(
                out,
                "    uses_with:\n      dim: {}\n      metric: cosine\n",
                128 << (i % 3)
            );
        }
    }
}
