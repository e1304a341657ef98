//! `verify`: for each migration with a down part, snapshot, up, snapshot, down, snapshot
//! (compare with the first), up again, snapshot (compare with the second). The loop runs
//! through a [`SchemaSession`]; deciding each outcome from the snapshots is pure.

use super::diff::{diff, Difference};
use super::entries::before_both;
use super::model::Snapshot;
use super::session::{Refreshed, SchemaSession};
use crate::driver::DriverError;
use crate::migration::{Migration, Script, TxMode, Version};
use std::time::{Duration, Instant};

/// Where the round trips run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All of them inside one transaction that is rolled back at the end: nothing is left on
    /// the database. Migrations that cannot run in a transaction stop the run (`Skipped`).
    RolledBack,
    /// Each script as it would run (no-transaction ones statement by statement), changes kept:
    /// a scratch database (`unwind: false`), or the target with `--on-target` (then `unwind`
    /// runs the downs of the migrations verified, newest first, at the end).
    Applied {
        /// Run the downs at the end, to leave the database as found.
        unwind: bool,
    },
}

/// How one migration's round trip went.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Down restored the schema and up ran again to the same schema.
    Ok,
    /// Down left the schema different from before up (the differences, before -> after down),
    /// or up after down gave another schema (those differences too).
    DownDoesNotRestore(Vec<Difference>),
    /// Only the order of some table's columns differs (a failure only when strict).
    OnlyColumnOrder(Vec<Difference>),
    /// Up failed the second time, after down.
    ReUpFails(DriverError),
    /// Up failed the first time: verification stops there.
    UpFails(DriverError),
    /// Down failed.
    DownFails(DriverError),
    /// No down part: up applied, nothing to verify.
    NoDownPart,
    /// Not verified, with why (cannot run in a transaction, too large to hold in memory, ...).
    Skipped(String),
}

/// Equal outcomes: driver errors compare by what they say (their causes cannot be compared).
impl PartialEq for Outcome {
    fn eq(&self, other: &Outcome) -> bool {
        use Outcome::*;
        match (self, other) {
            (Ok, Ok) | (NoDownPart, NoDownPart) => true,
            (DownDoesNotRestore(a), DownDoesNotRestore(b))
            | (OnlyColumnOrder(a), OnlyColumnOrder(b)) => a == b,
            (ReUpFails(a), ReUpFails(b))
            | (UpFails(a), UpFails(b))
            | (DownFails(a), DownFails(b)) => a.to_string() == b.to_string(),
            (Skipped(a), Skipped(b)) => a == b,
            _ => false,
        }
    }
}

impl Outcome {
    /// A failure, `strict` counting column-order-only differences as one.
    pub fn failed(&self, strict: bool) -> bool {
        match self {
            Outcome::Ok | Outcome::NoDownPart | Outcome::Skipped(_) => false,
            Outcome::OnlyColumnOrder(_) => strict,
            _ => true,
        }
    }
}

/// One migration's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its version.
    pub version: Version,
    /// Its name.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
    /// Wall time of its round trip, snapshots included.
    pub duration: Duration,
}

/// What a round trip says, from the differences after down (before up -> after down) and
/// those after up again (after up -> after re-up), or re-up's error. Pure.
///
/// A down that leaves something behind often makes the second up fail on it: the differences
/// are the cause and are what is reported.
pub fn judge(
    after_down: Vec<Difference>,
    after_reup: Result<Vec<Difference>, DriverError>,
) -> Outcome {
    let real = |d: &[Difference]| {
        d.iter()
            .filter(|d| !d.order_only())
            .cloned()
            .collect::<Vec<_>>()
    };
    let down_real = real(&after_down);
    match after_reup {
        Err(e) if down_real.is_empty() => Outcome::ReUpFails(e),
        Err(_) => Outcome::DownDoesNotRestore(down_real),
        Ok(reup) => {
            let mut all = after_down;
            all.extend(reup);
            if all.is_empty() {
                Outcome::Ok
            } else if all.iter().all(Difference::order_only) {
                Outcome::OnlyColumnOrder(all)
            } else {
                Outcome::DownDoesNotRestore(real(&all))
            }
        }
    }
}

/// Undoes a failed script inside the transaction.
const SAVEPOINT: &str = "strata_verify";
/// Where each round trip returns to: the schema up left, which the next migrations expect.
const AFTER_UP: &str = "strata_verify_up";

/// Verify `migrations` (in order) on `session`. Stops after a migration whose up fails, or one
/// that cannot be verified in `mode` (its up is needed by the ones after it): those after it
/// are not in the result. Database errors outside a migration's own SQL end the run.
pub fn verify(
    session: &mut dyn SchemaSession,
    migrations: &[&Migration],
    mode: Mode,
) -> Result<Vec<Entry>, DriverError> {
    let mut out = Vec::new();
    let rolled_back = mode == Mode::RolledBack;
    if rolled_back {
        session.execute("BEGIN")?;
    }
    let result = start_tracking(session, mode)
        .and_then(|tracking| run_all(session, migrations, rolled_back, tracking, &mut out));
    if rolled_back {
        let end = session.execute("ROLLBACK");
        let untracked = session.track(false);
        result?;
        end?;
        untracked?;
    } else {
        let untracked = session.track(false);
        result?;
        untracked?;
        if mode == (Mode::Applied { unwind: true }) {
            unwind(session, migrations, &out)?;
        }
    }
    Ok(out)
}

/// Ask the session to follow what each step touches: inside the rolled-back transaction, or
/// (committed) on a scratch database; never on a target changed for real, where it would leave
/// something behind if the run were killed.
fn start_tracking(session: &mut dyn SchemaSession, mode: Mode) -> Result<bool, DriverError> {
    match mode {
        Mode::RolledBack => session.track(true),
        Mode::Applied { unwind: false } => {
            session.execute("BEGIN")?;
            let on = session.track(true);
            let end = session.execute(if on.is_ok() { "COMMIT" } else { "ROLLBACK" });
            let on = on?;
            end?;
            Ok(on)
        }
        Mode::Applied { unwind: true } => Ok(false),
    }
}

/// Downs of the applied migrations, newest first.
fn unwind(
    session: &mut dyn SchemaSession,
    migrations: &[&Migration],
    out: &[Entry],
) -> Result<(), DriverError> {
    for e in out.iter().rev() {
        if matches!(e.outcome, Outcome::UpFails(_) | Outcome::Skipped(_)) {
            continue;
        }
        let m = migrations
            .iter()
            .find(|m| m.version == e.version)
            .expect("verified migration");
        if let Some(down) = &m.down {
            session.run(down)?;
        }
    }
    Ok(())
}

fn run_all(
    session: &mut dyn SchemaSession,
    migrations: &[&Migration],
    rolled_back: bool,
    tracking: bool,
    out: &mut Vec<Entry>,
) -> Result<(), DriverError> {
    // The schema as the last round trip left it, when known: the next one's "before up".
    let mut known = None;
    for m in migrations {
        let started = Instant::now();
        let (outcome, go_on) = one(session, m, rolled_back, tracking, &mut known)?;
        out.push(Entry {
            version: m.version,
            name: m.name.clone(),
            outcome,
            duration: started.elapsed(),
        });
        if !go_on {
            break;
        }
    }
    Ok(())
}

/// One round trip; `false` when the ones after it cannot be verified. `tracking`: the session
/// refreshes a snapshot cheaply.
fn one(
    s: &mut dyn SchemaSession,
    m: &Migration,
    rolled_back: bool,
    tracking: bool,
    known: &mut Option<Snapshot>,
) -> Result<(Outcome, bool), DriverError> {
    let before = known.take();
    let Some(up) = &m.up else {
        return Ok((Outcome::Skipped("no up part".into()), true));
    };
    let scripts = [Some(up), m.down.as_ref()];
    if scripts.iter().flatten().any(|s| s.streamed.is_some()) {
        return Ok((
            Outcome::Skipped(
                "too large to verify: the file is streamed, not held in memory".into(),
            ),
            false,
        ));
    }
    if rolled_back
        && scripts
            .iter()
            .flatten()
            .any(|s| s.mode != TxMode::Transaction)
    {
        return Ok((
            Outcome::Skipped("runs without a transaction: verify it on a scratch database".into()),
            false,
        ));
    }
    let guarded = |s: &mut dyn SchemaSession, script: &Script| guarded(s, script, rolled_back);
    if m.down.is_none() {
        return Ok(match guarded(s, up)? {
            Ok(()) => {
                // Cheap to keep up to date when tracking; else the next one snapshots.
                if let (Some(mut schema), true) = (before, tracking) {
                    s.refresh(&mut schema)?;
                    *known = Some(schema);
                }
                (Outcome::NoDownPart, true)
            }
            Err(e) => (Outcome::UpFails(e), false),
        });
    };
    let mut schema = match before {
        Some(b) => b,
        None => s.snapshot()?,
    };
    if let Err(e) = guarded(s, up)? {
        return Ok((Outcome::UpFails(e), false));
    }
    let up_step = s.refresh(&mut schema)?;
    if rolled_back {
        s.defer(&format!("SAVEPOINT {AFTER_UP}"))?;
    }
    let outcome = round_trip(s, m, &mut schema, up_step, rolled_back)?;
    if rolled_back {
        s.defer(&format!(
            "ROLLBACK TO SAVEPOINT {AFTER_UP}; RELEASE SAVEPOINT {AFTER_UP}"
        ))?;
        *known = Some(schema);
        return Ok((outcome, true));
    }
    // Applied for real: after a failed down or re-up, the schema is not what the next
    // migrations expect, unless down left up's objects behind (then it is, near enough).
    let go_on = !matches!(&outcome, Outcome::DownFails(_) | Outcome::ReUpFails(_));
    if outcome == Outcome::Ok {
        // Up again gave up's schema, which `schema` now holds.
        *known = Some(schema);
    }
    Ok((outcome, go_on))
}

/// Run `script`; inside the transaction, a failure is undone to a savepoint and the run goes
/// on. The outer error: the database failed outside the script.
fn guarded(
    s: &mut dyn SchemaSession,
    script: &Script,
    rolled_back: bool,
) -> Result<Result<(), DriverError>, DriverError> {
    if !rolled_back {
        return Ok(s.run(script));
    }
    s.run_guarded(script, SAVEPOINT)
}

/// Down, snapshot, up again, snapshot: the outcome. `schema` is the schema after up, and
/// `up_step` what up changed in it. Each comparison covers only the entries the steps
/// touched (the others are the same on both sides). Inside the transaction, `schema` is left
/// as it was after up (the caller rolls back to it); else it is the schema now.
fn round_trip(
    s: &mut dyn SchemaSession,
    m: &Migration,
    schema: &mut Snapshot,
    up_step: Refreshed,
    rolled_back: bool,
) -> Result<Outcome, DriverError> {
    let guarded = |s: &mut dyn SchemaSession, script: &Script| guarded(s, script, rolled_back);
    let (Some(up), Some(down)) = (&m.up, &m.down) else {
        unreachable!("round_trip is called for migrations with both parts")
    };
    if let Err(e) = guarded(s, down)? {
        return Ok(Outcome::DownFails(e));
    }
    let down_step = s.refresh(schema)?;
    let touched = up_step.entries.union(&down_step.entries);
    let before_up = before_both(&up_step.before, &up_step.entries, &down_step.before);
    let after_down = diff(&before_up, &schema.restrict(&touched));
    let after_reup = match guarded(s, up)? {
        Ok(()) => {
            let reup_step = s.refresh(schema)?;
            let touched = down_step.entries.union(&reup_step.entries);
            let after_up = before_both(&down_step.before, &down_step.entries, &reup_step.before);
            let differences = diff(&after_up, &schema.restrict(&touched));
            if rolled_back {
                schema.replace(&touched, after_up);
            }
            Ok(differences)
        }
        Err(e) => {
            if rolled_back {
                schema.replace(&down_step.entries, down_step.before);
            }
            Err(e)
        }
    };
    Ok(judge(after_down, after_reup))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::entries::{Entries, Named};
    use crate::schema::model::{Column, Name, Table};
    use std::collections::BTreeSet;

    fn with(cols: &[&str]) -> Snapshot {
        let mut s = Snapshot::default();
        let t = Table {
            name: Name::new("public", "t"),
            columns: cols
                .iter()
                .map(|c| Column {
                    name: c.to_string(),
                    data_type: "integer".into(),
                    ..Column::default()
                })
                .collect(),
            ..Table::default()
        };
        s.tables.insert("public.t".into(), t);
        s
    }

    #[test]
    fn judge_tells_ok_order_and_left_behind_apart() {
        let empty = Snapshot::default();
        let up = with(&["a", "b"]);
        assert_eq!(judge(diff(&empty, &empty), Ok(diff(&up, &up))), Outcome::Ok);
        let left = judge(diff(&empty, &up), Ok(vec![]));
        assert!(
            matches!(&left, Outcome::DownDoesNotRestore(d) if d[0].subject == "table t"),
            "{left:?}"
        );
        let o = judge(diff(&with(&["a", "b"]), &with(&["b", "a"])), Ok(vec![]));
        assert!(matches!(&o, Outcome::OnlyColumnOrder(_)), "{o:?}");
        assert!(!o.failed(false));
        assert!(o.failed(true));
    }

    #[test]
    fn a_re_up_failing_on_what_down_left_reports_the_leftover() {
        let left = judge(
            diff(&Snapshot::default(), &with(&["a"])),
            Err(DriverError::statement("exists")),
        );
        assert!(
            matches!(&left, Outcome::DownDoesNotRestore(d) if d[0].subject == "table t"),
            "{left:?}"
        );
        let e = judge(vec![], Err(DriverError::statement("boom")));
        assert_eq!(e, Outcome::ReUpFails(DriverError::statement("boom")));
    }

    /// A database in memory: scripts are `create T` / `drop T` / `fail`, one per line;
    /// transactions and savepoints keep copies of the state. When tracking, it logs the tables
    /// each script touches (savepoints undo the log too), and a refresh reads only those.
    #[derive(Default)]
    struct Fake {
        state: Snapshot,
        /// Saved states: the transaction's start, then savepoints by name; with the log.
        saved: Vec<(String, Snapshot, Option<BTreeSet<String>>)>,
        snapshots: usize,
        log: Vec<String>,
        /// Tracking: the tables touched since the last snapshot or refresh.
        touched: Option<BTreeSet<String>>,
        refreshes: usize,
        /// Tracking is available.
        can_track: bool,
    }

    impl SchemaSession for Fake {
        fn snapshot(&mut self) -> Result<Snapshot, DriverError> {
            self.snapshots += 1;
            if let Some(t) = &mut self.touched {
                t.clear();
            }
            Ok(self.state.clone())
        }
        fn track(&mut self, on: bool) -> Result<bool, DriverError> {
            self.touched = (on && self.can_track).then(BTreeSet::new);
            Ok(self.touched.is_some())
        }
        fn refresh(&mut self, schema: &mut Snapshot) -> Result<Refreshed, DriverError> {
            let Some(touched) = &mut self.touched else {
                let now = self.snapshot()?;
                return Ok(Refreshed {
                    entries: Entries::All,
                    before: std::mem::replace(schema, now),
                });
            };
            self.refreshes += 1;
            let entries = Entries::Some(Named {
                rels: std::mem::take(touched),
                ..Named::default()
            });
            let before = schema.take(&entries);
            schema.put(self.state.restrict(&entries));
            // The caller's bookkeeping: `schema` was the state at the last refresh.
            assert_eq!(*schema, self.state, "refresh {}", self.refreshes);
            Ok(Refreshed { entries, before })
        }
        fn run(&mut self, script: &Script) -> Result<(), DriverError> {
            for line in script.sql.lines() {
                match line.split_once(' ') {
                    Some(("create", t)) => {
                        if self.state.tables.contains_key(&format!("public.{t}")) {
                            return Err(DriverError::statement(format!("{t} exists")));
                        }
                        self.state = with_table(&self.state, t);
                        self.touch(t);
                    }
                    Some(("drop", t)) => {
                        self.state.tables.remove(&format!("public.{t}"));
                        self.touch(t);
                    }
                    _ => return Err(DriverError::statement("boom")),
                }
            }
            Ok(())
        }
        fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
            if let Some((first, rest)) = sql.split_once("; ") {
                self.execute(first)?;
                return self.execute(rest);
            }
            self.log.push(sql.to_string());
            let words: Vec<&str> = sql.split(' ').collect();
            match words.as_slice() {
                ["BEGIN"] => self
                    .saved
                    .push(("".into(), self.state.clone(), self.touched.clone())),
                ["ROLLBACK"] => {
                    let start = self.saved.drain(..).next().expect("in a transaction");
                    (self.state, self.touched) = (start.1, start.2);
                }
                ["SAVEPOINT", n] => {
                    self.saved
                        .push((n.to_string(), self.state.clone(), self.touched.clone()))
                }
                ["ROLLBACK", "TO", "SAVEPOINT", n] => {
                    let saved = self
                        .saved
                        .iter()
                        .rev()
                        .find(|(s, ..)| s == n)
                        .expect("savepoint");
                    (self.state, self.touched) = (saved.1.clone(), saved.2.clone());
                }
                ["RELEASE", "SAVEPOINT", n] => {
                    let at = self
                        .saved
                        .iter()
                        .rposition(|(s, ..)| s == n)
                        .expect("savepoint");
                    self.saved.truncate(at);
                }
                _ => panic!("unexpected {sql}"),
            }
            Ok(())
        }
        fn dump_data(&mut self) -> Result<crate::schema::render::DumpData, DriverError> {
            Ok(Default::default())
        }
    }

    impl Fake {
        fn touch(&mut self, table: &str) {
            if let Some(t) = &mut self.touched {
                t.insert(format!("public.{table}"));
            }
        }
    }

    fn with_table(s: &Snapshot, name: &str) -> Snapshot {
        let mut s = s.clone();
        let t = Table {
            name: Name::new("public", name),
            ..Table::default()
        };
        s.tables.insert(t.name.key(), t);
        s
    }

    fn script(sql: &str, mode: TxMode) -> Script {
        Script {
            path: "x.sql".into(),
            sql: sql.into(),
            offset: 0,
            first_line: 1,
            mode,
            mode_reason: None,
            statements: None,
            lock_timeout: None,
            statement_timeout: None,
            batchable: true,
            streamed: None,
        }
    }

    fn migration(version: u64, up: &str, down: Option<&str>, mode: TxMode) -> Migration {
        Migration {
            version,
            name: format!("m{version}"),
            up: Some(script(up, mode)),
            down: down.map(|d| script(d, mode)),
            checksum: crate::Checksum::of(up.as_bytes()),
            down_checksum: None,
            format: crate::Format::Pair,
            allow_out_of_order: false,
        }
    }

    #[test]
    fn rolled_back_round_trips_leave_nothing_and_judge_each_migration() {
        let tx = TxMode::Transaction;
        let ms = [
            migration(1, "create a", Some("drop a"), tx),
            migration(2, "create b", Some("create x"), tx),
            migration(3, "create c", None, tx),
            migration(4, "create d\ncreate b", Some("drop d"), tx),
            migration(5, "create e", Some("drop e"), TxMode::NoTransaction),
            migration(6, "create f", Some("drop f"), tx),
        ];
        let refs: Vec<&Migration> = ms.iter().collect();
        let mut db = Fake::default();
        let out = verify(&mut db, &refs, Mode::RolledBack).unwrap();
        let outcomes: Vec<&Outcome> = out.iter().map(|e| &e.outcome).collect();
        assert_eq!(outcomes[0], &Outcome::Ok);
        // Down made x and left b: re-up then fails on b; the leftovers are what is reported.
        let Outcome::DownDoesNotRestore(d) = outcomes[1] else {
            panic!("{:?}", outcomes[1])
        };
        let subjects: Vec<&str> = d.iter().map(|d| d.subject.as_str()).collect();
        assert_eq!(subjects, ["table b", "table x"]);
        assert_eq!(outcomes[2], &Outcome::NoDownPart);
        assert!(matches!(outcomes[3], Outcome::UpFails(_)));
        // The run stops at the failing up: 5 and 6 need it.
        assert_eq!(out.len(), 4);
        assert_eq!(db.state, Snapshot::default(), "rolled back");
        assert_eq!(db.log.first().map(String::as_str), Some("BEGIN"));
        assert_eq!(db.log.last().map(String::as_str), Some("ROLLBACK"));
        // Before-up of 2 is after-up of 1: no snapshot taken twice.
        assert_eq!(db.snapshots, 1 + 3 + 3);
    }

    #[test]
    fn tracked_refreshes_judge_as_full_snapshots_do() {
        let tx = TxMode::Transaction;
        let ms = [
            migration(1, "create a", Some("drop a"), tx),
            migration(2, "create b\ncreate c", Some("drop c"), tx),
            migration(3, "create d", Some("drop d\ncreate y"), tx),
            migration(4, "create e", None, tx),
            migration(5, "drop a", Some("create a\ncreate z"), tx),
            migration(6, "create f", Some("drop f\ndrop d"), tx),
            migration(7, "create g", Some("drop g"), tx),
            migration(8, "create h", Some("drop h\ndrop g"), tx),
            migration(9, "create i", Some("drop i"), tx),
        ];
        let refs: Vec<&Migration> = ms.iter().collect();
        let full = verify(&mut Fake::default(), &refs, Mode::RolledBack).unwrap();
        let mut db = Fake {
            can_track: true,
            ..Fake::default()
        };
        let tracked = verify(&mut db, &refs, Mode::RolledBack).unwrap();
        let outcomes = |e: &[Entry]| e.iter().map(|e| e.outcome.clone()).collect::<Vec<_>>();
        assert_eq!(outcomes(&tracked), outcomes(&full));
        assert_eq!(tracked.len(), 9, "{tracked:?}");
        assert!(
            matches!(&tracked[1].outcome, Outcome::DownDoesNotRestore(d) if d[0].subject == "table b"),
            "{:?}",
            tracked[1]
        );
        // One snapshot at the start; every other step read only what it touched (and each
        // refresh checked its result against the whole state).
        assert_eq!(db.snapshots, 1);
        assert!(db.refreshes >= 3 * 8, "{}", db.refreshes);
        assert_eq!(db.state, Snapshot::default(), "rolled back");
    }

    #[test]
    fn no_transaction_migrations_stop_the_rolled_back_run_and_unwind_on_target() {
        let ms = [
            migration(1, "create a", Some("drop a"), TxMode::Transaction),
            migration(2, "create e", Some("drop e"), TxMode::NoTransaction),
        ];
        let refs: Vec<&Migration> = ms.iter().collect();
        let out = verify(&mut Fake::default(), &refs, Mode::RolledBack).unwrap();
        assert!(matches!(&out[1].outcome, Outcome::Skipped(_)));
        let mut db = Fake::default();
        let out = verify(&mut db, &refs, Mode::Applied { unwind: true }).unwrap();
        assert_eq!(out.iter().filter(|e| e.outcome == Outcome::Ok).count(), 2);
        assert_eq!(db.state, Snapshot::default(), "downs ran at the end");
        assert!(db.log.is_empty(), "no transaction: {:?}", db.log);
    }
}
