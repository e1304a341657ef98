//! Live progress of a fleet run on a terminal: one stderr line, redrawn as targets start and
//! end (done / failed / running, with names). Not drawn when stderr is not a terminal: the
//! per-target lines on stdout are the record there.

use std::io::IsTerminal;

/// The progress line's state.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    done: usize,
    failed: usize,
    running: Vec<String>,
    shown: bool,
}

impl Progress {
    /// Progress over `total` targets, or `None` when stderr is not a terminal.
    pub fn on_terminal(total: usize) -> Option<Progress> {
        std::io::stderr()
            .is_terminal()
            .then(|| Progress::new(total))
    }

    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0,
            failed: 0,
            running: Vec::new(),
            shown: false,
        }
    }

    /// `name` started.
    pub fn start(&mut self, name: &str) {
        self.running.push(name.to_string());
        self.draw();
    }

    /// `name` ended. Call [`Progress::clear`] before printing its line, [`Progress::draw`]
    /// after.
    pub fn end(&mut self, name: &str, ok: bool) {
        self.running.retain(|n| n != name);
        self.done += 1;
        if !ok {
            self.failed += 1;
        }
    }

    /// Remove the line, so that other output starts on a clean line.
    pub fn clear(&mut self) {
        if self.shown {
            err!("\r\x1b[K");
            self.shown = false;
        }
    }

    /// Draw the line.
    pub fn draw(&mut self) {
        self.clear();
        err!("{}", line(self, 100));
        self.shown = true;
    }
}

/// `3/10 done, 1 failed, running: a, b, c`, cut to `width` characters.
fn line(p: &Progress, width: usize) -> String {
    let names: Vec<String> = p
        .running
        .iter()
        .map(|n| strata_core::printable::printable(n).to_string())
        .collect();
    let mut text = format!("{}/{} done, {} failed", p.done, p.total, p.failed);
    if !names.is_empty() {
        text.push_str(&format!(", running: {}", names.join(", ")));
    }
    if text.chars().count() > width {
        text = text.chars().take(width.saturating_sub(3)).collect();
        text.push_str("...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_done_and_failed_and_names_the_running() {
        let mut p = Progress::new(4);
        p.running = vec!["a".into(), "b".into(), "c".into()];
        p.end("b", false);
        p.end("a", true);
        assert_eq!(line(&p, 100), "2/4 done, 1 failed, running: c");
        p.running = vec!["tenant_with_a_long_name".into(); 3];
        assert_eq!(line(&p, 30), "2/4 done, 1 failed, running...");
    }
}
