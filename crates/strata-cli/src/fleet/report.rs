//! What a fleet run prints: one line (or JSON object) per target on stdout, the counts last.
//! Every URL is shown redacted, and every error or warning is scrubbed of the target's
//! password before it is printed.

use super::targets::Target;
use crate::args::OutputFormat;
use crate::CliError;
use std::collections::BTreeMap;
use strata_core::printable::{printable, printable_lines};
use strata_core::report::StepReport;

/// Which run a fleet report is of: the words of its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `up [N]`.
    Up,
    /// `down N`.
    Down,
    /// `goto V`.
    Goto,
}

impl Kind {
    /// The kind of run `request` is (`up` for anything else).
    pub fn of(request: strata_core::plan::Request) -> Kind {
        use strata_core::plan::Request;
        match request {
            Request::Down(_) => Kind::Down,
            Request::Goto(_) => Kind::Goto,
            _ => Kind::Up,
        }
    }

    fn command(self) -> &'static str {
        match self {
            Kind::Up => "up",
            Kind::Down => "down",
            Kind::Goto => "goto",
        }
    }

    /// What was done to each migration.
    fn done(self) -> &'static str {
        match self {
            Kind::Up => "applied",
            Kind::Down => "reverted",
            Kind::Goto => "run",
        }
    }

    /// A target with nothing to do: its status word and its count's words.
    fn settled(self) -> (&'static str, &'static str) {
        match self {
            Kind::Up => ("up-to-date", "up to date"),
            Kind::Down | Kind::Goto => ("no-change", "no change"),
        }
    }
}

/// What `up`, `down N` or `goto V` did on one target.
#[derive(Debug, Default)]
pub struct Outcome {
    /// golang-migrate's version before (`None`: nothing applied).
    pub before: Option<i64>,
    /// And after.
    pub after: Option<i64>,
    /// The migrations run, in order (also those before a failure).
    pub applied: Vec<StepReport>,
    /// Nothing to do: nothing ran (for `up`, no lock was taken either).
    pub up_to_date: bool,
    /// Engine warnings, scrubbed.
    pub warnings: Vec<String>,
    /// The failure, scrubbed.
    pub error: Option<String>,
}

impl Outcome {
    /// No error.
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// What `status` saw on one target.
#[derive(Debug, Default)]
pub struct Seen {
    /// golang-migrate's version (`None`: nothing applied).
    pub version: Option<i64>,
    /// The row is dirty.
    pub dirty: bool,
    /// Migrations not applied yet.
    pub pending: usize,
    /// Applied migrations whose file was edited or deleted since (up or down part).
    pub drifted: usize,
    /// Pending, edited, missing or dirty (as `status --check` counts).
    pub unsettled: usize,
    /// Could not be read (e.g. failing to connect), scrubbed.
    pub error: Option<String>,
}

/// How the targets of an `up`, `down N` or `goto V` ended.
#[derive(Debug, Default)]
pub struct Counts {
    /// Migrations run.
    pub ok: usize,
    /// Nothing to do.
    pub up_to_date: usize,
    /// Failed.
    pub failed: usize,
    /// Not started because the run stopped.
    pub not_started: usize,
    /// Outside `--groups`.
    pub left_out: usize,
}

/// The text of a failure, without the target's password.
pub fn error_text(e: &CliError, url: &str) -> String {
    let text = match e {
        CliError::Usage(m) | CliError::Failed(m) | CliError::Declined(m) => m.clone(),
        CliError::Engine(err) => crate::render::engine_error(err),
        CliError::Exit(code) => format!("exit code {code}"),
    };
    scrub(&text, url)
}

/// `text` with every secret of `url` (its password, a `password=` value), as written and
/// percent-decoded, replaced by `***`.
pub fn scrub(text: &str, url: &str) -> String {
    let mut out = text.to_string();
    for range in strata_drivers::url::secret_ranges(url) {
        let secret = &url[range];
        let decoded = percent_encoding::percent_decode_str(secret).decode_utf8_lossy();
        for form in [secret, decoded.as_ref()] {
            if !form.is_empty() {
                out = out.replace(form, "***");
            }
        }
    }
    out
}

fn version_text(v: Option<i64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The line (or object) of one finished target; a failure's full text also goes to stderr.
pub fn print_up(format: OutputFormat, kind: Kind, target: &Target, o: &Outcome) {
    let (settled, _) = kind.settled();
    for w in &o.warnings {
        errln!("warning: [{}] {}", printable(&target.name), printable(w));
    }
    match format {
        OutputFormat::Json => {
            let value = serde_json::json!({
                "command": kind.command(),
                "name": target.name,
                "url": target.shown_url(),
                "group": target.group,
                "status": if o.error.is_some() { "failed" } else if o.up_to_date { settled } else { "ok" },
                "before": o.before,
                "after": o.after,
                "applied": o.applied,
                "error": o.error,
            });
            outln!("{value}");
        }
        OutputFormat::Text => {
            let head = format!(
                "{} {} {} -> {}",
                printable(&target.name),
                printable(&target.shown_url()),
                version_text(o.before),
                version_text(o.after),
            );
            match &o.error {
                Some(e) => {
                    let first = e.lines().next().unwrap_or_default();
                    outln!(
                        "failed {head} ({} {}): {}",
                        o.applied.len(),
                        kind.done(),
                        printable(first)
                    );
                    print_error(target, e);
                }
                None if o.up_to_date => outln!("{settled} {head}"),
                None => outln!("ok {head} ({} {})", o.applied.len(), kind.done()),
            }
        }
    }
}

/// A target's failure in full, on stderr.
pub fn print_error(target: &Target, error: &str) {
    errln!(
        "error: [{}] {}",
        printable(&target.name),
        printable_lines(error)
    );
}

/// A target the run did not start because a failure stopped it.
pub fn print_not_started(format: OutputFormat, target: &Target) {
    match format {
        OutputFormat::Json => outln!(
            "{}",
            serde_json::json!({
                "name": target.name,
                "url": target.shown_url(),
                "group": target.group,
                "status": "not-started",
            })
        ),
        OutputFormat::Text => outln!(
            "not-started {} {}",
            printable(&target.name),
            printable(&target.shown_url())
        ),
    }
}

/// The last line of `up`, `down N` or `goto V`: the count of each outcome.
pub fn print_up_counts(format: OutputFormat, kind: Kind, c: &Counts, stopped: bool) {
    let (_, settled) = kind.settled();
    match format {
        OutputFormat::Json => outln!(
            "{}",
            serde_json::json!({ "summary": {
                "command": kind.command(),
                "ok": c.ok,
                (settled.replace(' ', "_")): c.up_to_date,
                "failed": c.failed,
                "not_started": c.not_started,
                "left_out": c.left_out,
                "stopped": stopped,
            }})
        ),
        OutputFormat::Text => {
            let mut line = format!(
                "{} ok, {} {settled}, {} failed, {} not started",
                c.ok, c.up_to_date, c.failed, c.not_started
            );
            if c.left_out > 0 {
                line.push_str(&format!(", {} outside --groups", c.left_out));
            }
            if stopped {
                line.push_str(" (stopped after a failure)");
            }
            outln!("{line}");
        }
    }
}

/// `status --targets`: one line per target in list order, then how many are at which
/// version, which are dirty, which have pending migrations, which could not be read.
pub fn print_fleet_status(format: OutputFormat, list: &[Target], seen: &[Seen]) {
    let mut at: BTreeMap<Option<i64>, usize> = BTreeMap::new();
    let mut dirty = Vec::new();
    let mut pending = Vec::new();
    let mut drifted = Vec::new();
    let mut failing = Vec::new();
    for (t, s) in list.iter().zip(seen) {
        if s.error.is_some() {
            failing.push(t.name.as_str());
            continue;
        }
        *at.entry(s.version).or_default() += 1;
        if s.dirty {
            dirty.push(t.name.as_str());
        }
        if s.pending > 0 {
            pending.push(t.name.as_str());
        }
        if s.drifted > 0 {
            drifted.push(t.name.as_str());
        }
    }
    match format {
        OutputFormat::Json => {
            for (t, s) in list.iter().zip(seen) {
                outln!(
                    "{}",
                    serde_json::json!({
                        "name": t.name,
                        "url": t.shown_url(),
                        "group": t.group,
                        "version": s.version,
                        "dirty": s.dirty,
                        "pending": s.pending,
                        "drifted": s.drifted,
                        "unsettled": s.unsettled,
                        "error": s.error,
                    })
                );
            }
            let versions: Vec<_> = at
                .iter()
                .map(|(v, n)| serde_json::json!({ "version": v, "targets": n }))
                .collect();
            outln!(
                "{}",
                serde_json::json!({ "summary": {
                    "versions": versions,
                    "dirty": dirty,
                    "pending": pending,
                    "drifted": drifted,
                    "failing": failing,
                }})
            );
        }
        OutputFormat::Text => {
            for (t, s) in list.iter().zip(seen) {
                let head = format!("{} {}", printable(&t.name), printable(&t.shown_url()));
                match &s.error {
                    Some(e) => outln!(
                        "{head}: failing: {}",
                        printable(e.lines().next().unwrap_or_default())
                    ),
                    None => {
                        let mut line = format!("{head}: version {}", version_text(s.version));
                        if s.dirty {
                            line.push_str(" (dirty)");
                        }
                        if s.pending > 0 {
                            line.push_str(&format!(", {} pending", s.pending));
                        }
                        if s.drifted > 0 {
                            line.push_str(&format!(", {} drifted", s.drifted));
                        }
                        outln!("{line}");
                    }
                }
            }
            for (v, n) in &at {
                outln!("at version {}: {n} target(s)", version_text(*v));
            }
            let names = |v: &[&str]| {
                v.iter()
                    .map(|n| printable(n).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if !dirty.is_empty() {
                outln!("dirty: {}", names(&dirty));
            }
            if !pending.is_empty() {
                outln!("pending migrations: {}", names(&pending));
            }
            if !drifted.is_empty() {
                outln!(
                    "drifted (applied file edited or deleted): {}",
                    names(&drifted)
                );
            }
            if !failing.is_empty() {
                outln!("failing: {}", names(&failing));
            }
            outln!(
                "{} target(s): {} readable, {} failing",
                list.len(),
                list.len() - failing.len(),
                failing.len()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_password_as_written_and_decoded() {
        let url = "postgres://u:p%40ss@h/db";
        assert_eq!(
            scrub("login for u with p@ss and p%40ss failed", url),
            "login for u with *** and *** failed"
        );
        assert_eq!(
            scrub("bad password s3cret", "postgres://h/db?password=s3cret"),
            "bad password ***"
        );
    }
}
