//! What a run shows while it works: an indicatif bar on a terminal when several migrations run, plain lines
//! otherwise (logs, CI, a service starting), and always a final one-line summary. Everything goes to stderr, so
//! that a command's stdout stays machine-readable.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::report::Direction;

/// How a run reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProgressMode {
    /// A bar when stderr is a terminal and more than one migration runs; plain lines otherwise.
    #[default]
    Auto,
    /// Always plain lines.
    Plain,
    /// Nothing but warnings (the summary is still in the returned report).
    Quiet,
}

/// A line about the run before it starts (a wait for the lock), shown unless the mode is quiet.
pub(crate) fn note(mode: ProgressMode, message: &str) {
    if mode != ProgressMode::Quiet {
        eprintln!("{message}");
    }
}

/// The progress of one run.
#[derive(Debug)]
pub(crate) struct Progress {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Starts reporting a run of `total` migrations.
    pub fn start(mode: ProgressMode, total: usize) -> Progress {
        let bar = (mode == ProgressMode::Auto && total > 1 && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} {wide_msg} [{elapsed}]") {
                bar.set_style(style);
            }
            bar
        });
        Progress { mode, bar }
    }

    /// A migration starts.
    pub fn begin(&self, name: &str, direction: Direction) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} {name}", direction.verb()));
        }
    }

    /// A migration finished.
    pub fn done(&self, name: &str, direction: Direction, class: &str, took: Duration) {
        let line = format!(
            "{} {name} ({class}) in {} ms",
            if direction == Direction::Up { "applied" } else { "reverted" },
            took.as_millis()
        );
        match (&self.bar, self.mode) {
            (Some(bar), _) => {
                bar.println(line);
                bar.inc(1);
            }
            (None, ProgressMode::Quiet) => {}
            (None, _) => eprintln!("{line}"),
        }
    }

    /// A warning: always shown, whatever the mode.
    pub fn warn(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("warning: {message}")),
            None => eprintln!("warning: {message}"),
        }
    }

    /// The run ended (successfully or not): clears the bar and prints the summary line.
    pub fn finish(self, summary: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.mode != ProgressMode::Quiet {
            eprintln!("{summary}");
        }
    }
}
