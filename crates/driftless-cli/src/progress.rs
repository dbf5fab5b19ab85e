//! What a runtime command shows while the migrator works (the migrator prints nothing itself): an indicatif bar on
//! a terminal when several migrations run, plain lines otherwise (logs, CI), and always a final one-line summary.
//! Everything goes to stderr, so that a command's stdout stays machine-readable.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use driftless_migrate::outcome::Step;
use driftless_migrate::{Direction, Progress};
use indicatif::{ProgressBar, ProgressStyle};

/// The CLI's [`Progress`]: a bar when stderr is a terminal and more than one migration runs, plain lines otherwise.
#[derive(Debug, Default)]
pub(crate) struct Terminal {
    bar: Mutex<Option<ProgressBar>>,
}

impl Terminal {
    fn bar(&self) -> Option<ProgressBar> {
        self.bar.lock().ok().and_then(|bar| bar.clone())
    }

    fn line(&self, line: &str) {
        match self.bar() {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl Progress for Terminal {
    fn waiting_for_lock(&self, lock: &str, timeout: Duration) {
        eprintln!(
            "waiting up to {} s for the migration lock ({lock}): another migrator is running against this database",
            timeout.as_secs_f64()
        );
    }

    fn start(&self, total: usize) {
        if total > 1 && std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} {wide_msg} [{elapsed}]") {
                bar.set_style(style);
            }
            if let Ok(mut slot) = self.bar.lock() {
                *slot = Some(bar);
            }
        }
    }

    fn warning(&self, message: &str) {
        self.line(&format!("warning: {message}"));
    }

    fn migration_started(&self, name: &str, direction: Direction) {
        if let Some(bar) = self.bar() {
            bar.set_message(format!("{} {name}", direction.verb()));
        }
    }

    fn statement_algorithm(&self, name: &str, used: &driftless_migrate::AlgorithmUsed) {
        self.line(&format!("  {name}: {used}"));
    }

    fn migration_finished(&self, step: &Step) {
        let verb = if step.direction == Direction::Up { "applied" } else { "reverted" };
        self.line(&format!("{verb} {} ({}) in {} ms", step.name, step.class.as_str(), step.duration.as_millis()));
        if let Some(bar) = self.bar() {
            bar.inc(1);
        }
    }

    fn finished(&self, summary: &str) {
        if let Some(bar) = self.bar.lock().ok().and_then(|mut bar| bar.take()) {
            bar.finish_and_clear();
        }
        eprintln!("{summary}");
    }
}
