//! The `pv2hvm` binary: argument parsing and dispatch live in the library's `cli` module.

fn main() {
    std::process::exit(pv2hvm::cli::main());
}
