//! The `flowhelm` command: a thin front on the library (see `cli`).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
