//! What a runtime command shows while the migrator works (the migrator prints nothing itself): an indicatif bar on
//! a terminal when several migrations run, plain lines otherwise (logs, CI), and always a final one-line summary.
//! Everything goes to stderr, so that a command's stdout stays machine-readable.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use driftless_migrate::outcome::Step;
use driftless_migrate::{BackfillProgress, Direction, Progress};
use indicatif::{ProgressBar, ProgressStyle};

/// The CLI's [`Progress`]: a bar when stderr is a terminal and more than one migration runs, plain lines otherwise.
#[derive(Debug, Default)]
pub(crate) struct Terminal {
    bar: Mutex<Option<ProgressBar>>,
    /// The running backfill: its own bar on a terminal (when no migrations bar shows it), and when its last plain
    /// line was printed.
    backfill: Mutex<Option<(Option<ProgressBar>, Instant)>>,
}

/// How often a backfill prints a plain line when stderr is not a terminal.
const BACKFILL_LINE_EVERY: Duration = Duration::from_secs(5);

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

    /// On a terminal: the migrations bar's message, or a bar of its own (rows done of the estimate, rows/s, ETA).
    /// Otherwise: plain lines, when it starts, at most every 5 s, and when it is done.
    fn backfill_progress(&self, p: &BackfillProgress) {
        let Ok(mut slot) = self.backfill.lock() else { return };
        let terminal = std::io::stderr().is_terminal();
        if slot.is_none() {
            let own = (terminal && self.bar().is_none()).then(|| {
                let bar = ProgressBar::new(p.rows_total);
                if let Ok(style) =
                    ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} rows {wide_msg} [{elapsed}]")
                {
                    bar.set_style(style);
                }
                bar
            });
            if !terminal {
                eprintln!("{}", p.line());
            }
            *slot = Some((own, Instant::now()));
        }
        let Some((own, last_line)) = slot.as_mut() else { return };
        let rate = format!("{} {:.0} rows/s", p.table, p.rows_per_second());
        let eta = p.eta().map(|eta| format!(", ETA {} s", eta.as_secs())).unwrap_or_default();
        match (own.as_ref(), self.bar()) {
            (Some(bar), _) => {
                bar.set_length(p.rows_total.max(p.rows_done));
                bar.set_position(p.rows_done);
                bar.set_message(format!("{rate}{eta}"));
            }
            (None, Some(bar)) if terminal => bar.set_message(p.line()),
            _ if !terminal && p.batches > 0 && (p.finished || last_line.elapsed() >= BACKFILL_LINE_EVERY) => {
                eprintln!("{}", p.line());
                *last_line = Instant::now();
            }
            _ => {}
        }
        if p.finished {
            if let Some(bar) = own.take() {
                bar.finish_and_clear();
            }
            if terminal {
                self.line(&p.line());
            }
            *slot = None;
        }
    }

    fn finished(&self, summary: &str) {
        // A backfill that failed never said it finished: its bar goes too.
        if let Some((Some(bar), _)) = self.backfill.lock().ok().and_then(|mut slot| slot.take()) {
            bar.finish_and_clear();
        }
        if let Some(bar) = self.bar.lock().ok().and_then(|mut bar| bar.take()) {
            bar.finish_and_clear();
        }
        eprintln!("{summary}");
    }
}
