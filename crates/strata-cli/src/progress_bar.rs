//! The progress bar of a long migration run on a terminal (indicatif): `[n/N] version name`,
//! the running migration's elapsed time and a bar of the finished share, on stderr under the
//! per-migration lines. Drawn only when stderr is a terminal and the run is long: more than
//! [`FEW`] migrations, or one running for [`SLOW`]. Elsewhere nothing changes: the plain lines
//! are the whole output, byte for byte.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A run of more migrations than this gets the bar from its start.
pub const FEW: usize = 3;
/// A migration running this long gets the bar in a shorter run too.
pub const SLOW: Duration = Duration::from_secs(2);

/// Whether the bar is drawn: on a terminal only, for a run of more than [`FEW`] migrations or
/// once the running migration has taken [`SLOW`].
pub fn shows(terminal: bool, planned: usize, running_for: Duration) -> bool {
    terminal && (planned > FEW || running_for >= SLOW)
}

/// How often the bar's elapsed time is redrawn, and a short run checked for a slow migration.
const TICK: Duration = Duration::from_millis(200);

/// The bar of one run.
pub struct RunBar {
    bar: ProgressBar,
    total: usize,
    done: usize,
    /// Shows the bar once a migration of a short run turns slow; stopped on drop.
    watcher: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl RunBar {
    /// The bar of a run of `planned` migrations, or `None` when stderr is not a terminal.
    pub fn on_terminal(planned: usize) -> Option<RunBar> {
        if !std::io::stderr().is_terminal() || planned == 0 {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(planned as u64), ProgressDrawTarget::hidden())
            .with_style(
                ProgressStyle::with_template("{msg} {elapsed} [{bar:30}]")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
        let mut run = RunBar {
            bar,
            total: planned,
            done: 0,
            watcher: None,
        };
        if shows(true, planned, Duration::ZERO) {
            show(&run.bar);
        } else {
            let stop = Arc::new(AtomicBool::new(false));
            let (bar, flag) = (run.bar.clone(), stop.clone());
            let handle = std::thread::spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    if bar.is_hidden() && shows(true, planned, bar.elapsed()) {
                        show(&bar);
                    }
                }
            });
            run.watcher = Some((stop, handle));
        }
        Some(run)
    }

    /// Migration `version` `name` started: the next of the run.
    pub fn started(&mut self, version: impl std::fmt::Display, name: &str) {
        let n = (self.done + 1).min(self.total);
        self.bar.reset_elapsed();
        self.bar
            .set_message(format!("[{n}/{}] {version} {name}", self.total));
    }

    /// The running migration ended.
    pub fn finished(&mut self) {
        self.done += 1;
        self.bar.set_position(self.done as u64);
    }

    /// Print through `print` with the bar out of the way (it is drawn again after).
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        self.bar.suspend(print)
    }
}

/// Start drawing `bar` on stderr, redrawn every [`TICK`] so that its elapsed time moves.
fn show(bar: &ProgressBar) {
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.enable_steady_tick(TICK);
}

impl Drop for RunBar {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.watcher.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
        // What stays on the screen is the plain lines, as in a pipe.
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_on_a_terminal_for_many_migrations_or_a_slow_one() {
        assert!(shows(true, FEW + 1, Duration::ZERO));
        assert!(!shows(true, FEW, Duration::ZERO));
        assert!(!shows(true, 1, SLOW - Duration::from_millis(1)));
        assert!(shows(true, 1, SLOW));
        // Never in a pipe or a file, however long the run.
        assert!(!shows(false, 1000, SLOW * 100));
    }
}
