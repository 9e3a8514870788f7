//! Progress for long operations (`import`, `check`): drawn on standard
//! error when it is a terminal, never into a pipe or a file, and cleared
//! when the operation ends so the result is all that stays.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress display, hidden unless standard error is a terminal.
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A display on standard error if it is a terminal, else a hidden one.
    pub(crate) fn on_stderr() -> Self {
        Self::new(std::io::stderr().is_terminal())
    }

    /// A display drawn only when `terminal` is true.
    pub(crate) fn new(terminal: bool) -> Self {
        let bar = if terminal {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        Self { bar }
    }

    /// Whether nothing is drawn.
    #[cfg(test)]
    pub(crate) fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// A phase begins: a bar of `total` steps, or a spinner with the time
    /// taken when `total` is 0 (not counted).
    pub(crate) fn phase(&self, what: &'static str, total: u64) {
        self.bar.set_message(what);
        if total > 0 {
            self.bar.disable_steady_tick();
            self.bar.set_style(
                ProgressStyle::with_template(
                    "{msg:<20} [{bar:30}] {human_pos}/{human_len} ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            self.bar.set_length(total);
        } else {
            self.bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            self.bar.enable_steady_tick(Duration::from_millis(120));
        }
        self.bar.set_position(0);
    }

    /// `steps` more steps are done.
    pub(crate) fn advance(&self, steps: u64) {
        self.bar.inc(steps);
    }

    /// Sets what is being worked on.
    pub(crate) fn message(&self, text: String) {
        self.bar.set_message(text);
    }

    /// Clears the display.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl entitle_store::import::ImportProgress for Progress {
    fn phase(&self, what: &'static str, total: u64) {
        Progress::phase(self, what, total);
    }

    fn advance(&self, steps: u64) {
        Progress::advance(self, steps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_drawn_unless_on_a_terminal() {
        assert!(Progress::new(false).is_hidden());
        // In `cargo test` standard error is captured or piped: hidden.
        assert!(Progress::on_stderr().is_hidden() || std::io::stderr().is_terminal());
    }
}
