//! Command-line interface: clap definitions and dispatch to the library.

/// Run the command line; returns the process exit status.
pub fn main() -> i32 {
    0
}
