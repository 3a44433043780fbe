fn main() {
    std::process::exit(flowhelm::cli::main());
}
