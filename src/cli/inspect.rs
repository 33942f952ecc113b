//! `pv2hvm inspect`: assemble the guest and print what is inside.

use super::{open_guest, ImageArg};
use crate::report::inspect::{render_human, InspectReport};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    image: ImageArg,
    /// Print the versioned JSON document (schema `pv2hvm.inspect`, version 1) instead of text.
    #[arg(long)]
    json: bool,
    /// Also print how many bytes of the image were read and how long it took.
    #[arg(long)]
    stats: bool,
}

/// Run `inspect`.
pub fn run(a: Args) -> i32 {
    let started = Instant::now();
    let guest = match open_guest(&a.image.image) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let report = InspectReport::build(&guest, started, a.stats);
    if a.json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("pv2hvm: cannot encode the report: {e}");
                return super::EXIT_UNREADABLE;
            }
        }
    } else {
        print!("{}", render_human(&report));
    }
    0
}
