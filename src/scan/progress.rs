//! The progress bar: images done of the total, rate and ETA on standard error — only when
//! standard error is a terminal, so logs and pipes get nothing but results.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar for `total` files, if standard error is a terminal.
    pub fn new(total: usize) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files  {per_sec}  ETA {eta}  {msg}",
        )
        .expect("template is valid");
        bar.set_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress(Some(bar))
    }

    /// One more file done; `bad` counts the images that will not boot or could not be read.
    pub fn done(&self, bad: usize) {
        if let Some(b) = &self.0 {
            b.inc(1);
            if bad > 0 {
                b.set_message(format!("{bad} not bootable or unreadable"));
            }
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }

    /// Whether a bar is shown (standard error is a terminal).
    pub fn shown(&self) -> bool {
        self.0.is_some()
    }
}
