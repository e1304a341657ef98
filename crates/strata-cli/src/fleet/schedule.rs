//! Which target runs next: phases (canary, then `--groups` in order), `--parallel`,
//! `--per-host`, and what a failure stops. Pure: the shell asks [`Scheduler::next`], starts
//! what it says, and reports each end with [`Scheduler::finished`].

use std::collections::HashMap;

/// `--on-error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnError {
    /// Finish the running targets, start no new one.
    #[default]
    Stop,
    /// Keep going; failures are counted at the end.
    Continue,
}

/// How to run the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// At most this many targets at once (at least 1).
    pub parallel: usize,
    /// At most this many targets of one host at once.
    pub per_host: Option<usize>,
    /// What a failure outside the canary phase does.
    pub on_error: OnError,
    /// Run this many targets first; any failure among them stops the rest.
    pub canary: usize,
    /// Only these groups, one after the other (all of a group ends before the next starts).
    pub groups: Option<Vec<String>>,
}

/// What the scheduler needs to know of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// For `--per-host`; `None` is never limited (a SQLite file).
    pub host: Option<String>,
    /// The `group=` label.
    pub group: Option<String>,
}

/// What to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Start target `i`.
    Start(usize),
    /// Nothing can start until a running target finishes.
    Wait,
    /// Nothing runs and nothing will start.
    Done,
}

/// What became of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Not started yet (after [`Next::Done`]: not started because the run stopped).
    NotStarted,
    /// Running.
    Running,
    /// Ended well.
    Ok,
    /// Ended with an error.
    Failed,
    /// Not in any of `--groups`.
    LeftOut,
}

/// Options that cannot be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// `--groups` names a group no target has.
    #[error("--groups: no target has group={0}")]
    EmptyGroup(String),
    /// `--parallel 0` or `--per-host 0`.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
}

#[derive(Debug)]
struct Phase {
    /// Targets not started yet, in list order.
    waiting: Vec<usize>,
    /// A failure in this phase stops everything after it, whatever `--on-error` says.
    canary: bool,
}

/// The state of one fleet run.
#[derive(Debug)]
pub struct Scheduler {
    phases: Vec<Phase>,
    current: usize,
    hosts: Vec<Option<String>>,
    fates: Vec<Fate>,
    running: usize,
    per_host_running: HashMap<String, usize>,
    parallel: usize,
    per_host: Option<usize>,
    on_error: OnError,
    stopped: bool,
}

impl Scheduler {
    /// Plan the phases of `slots` (in list order) under `options`.
    pub fn new(slots: &[Slot], options: &Options) -> Result<Scheduler, ScheduleError> {
        if options.parallel == 0 {
            return Err(ScheduleError::Zero("--parallel"));
        }
        if options.per_host == Some(0) {
            return Err(ScheduleError::Zero("--per-host"));
        }
        let mut fates = vec![Fate::NotStarted; slots.len()];
        // (group name, members) in run order.
        let mut order: Vec<(Option<&str>, Vec<usize>)> = match &options.groups {
            None => vec![(None, (0..slots.len()).collect())],
            Some(groups) => {
                let mut out = Vec::new();
                for g in groups {
                    let members: Vec<usize> = (0..slots.len())
                        .filter(|&i| slots[i].group.as_deref() == Some(g.as_str()))
                        .collect();
                    if members.is_empty() {
                        return Err(ScheduleError::EmptyGroup(g.clone()));
                    }
                    out.push((Some(g.as_str()), members));
                }
                for (i, fate) in fates.iter_mut().enumerate() {
                    let listed = slots[i]
                        .group
                        .as_deref()
                        .is_some_and(|g| groups.iter().any(|x| x == g));
                    if !listed {
                        *fate = Fate::LeftOut;
                    }
                }
                out
            }
        };
        let mut phases = Vec::new();
        if options.canary > 0 {
            let mut canaries = Vec::new();
            for (_, members) in &mut order {
                let take = (options.canary - canaries.len()).min(members.len());
                canaries.extend(members.drain(..take));
            }
            phases.push(Phase {
                waiting: canaries,
                canary: true,
            });
        }
        for (group, members) in order {
            if !members.is_empty() {
                phases.push(Phase {
                    waiting: members,
                    canary: group == Some("canary"),
                });
            }
        }
        Ok(Scheduler {
            phases,
            current: 0,
            hosts: slots.iter().map(|s| s.host.clone()).collect(),
            fates,
            running: 0,
            per_host_running: HashMap::new(),
            parallel: options.parallel,
            per_host: options.per_host,
            on_error: options.on_error,
            stopped: false,
        })
    }

    /// The next thing to do.
    pub fn next(&mut self) -> Next {
        if self.stopped {
            return self.wait_or_done();
        }
        // A phase ends when all of it has finished: the next starts only then.
        while self
            .phases
            .get(self.current)
            .is_some_and(|p| p.waiting.is_empty())
            && self.running == 0
        {
            self.current += 1;
        }
        let Some(phase) = self.phases.get_mut(self.current) else {
            return self.wait_or_done();
        };
        if self.running >= self.parallel {
            return Next::Wait;
        }
        let per_host = self.per_host;
        let busy = &self.per_host_running;
        let hosts = &self.hosts;
        let free = phase
            .waiting
            .iter()
            .position(|&i| match (&hosts[i], per_host) {
                (Some(h), Some(limit)) => busy.get(h).copied().unwrap_or(0) < limit,
                _ => true,
            });
        let Some(pos) = free else {
            return self.wait_or_done();
        };
        let i = phase.waiting.remove(pos);
        self.running += 1;
        if let Some(h) = &self.hosts[i] {
            *self.per_host_running.entry(h.clone()).or_default() += 1;
        }
        self.fates[i] = Fate::Running;
        Next::Start(i)
    }

    /// Target `i` ended, well or not.
    pub fn finished(&mut self, i: usize, ok: bool) {
        debug_assert_eq!(self.fates[i], Fate::Running);
        self.running -= 1;
        if let Some(h) = &self.hosts[i] {
            if let Some(n) = self.per_host_running.get_mut(h) {
                *n -= 1;
            }
        }
        self.fates[i] = if ok { Fate::Ok } else { Fate::Failed };
        let canary = self.phases.get(self.current).is_some_and(|p| p.canary);
        if !ok && (canary || self.on_error == OnError::Stop) {
            self.stopped = true;
        }
    }

    /// Start no new target (e.g. after Ctrl-C); the running ones finish.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Whether a failure (or [`Scheduler::stop`]) stopped the run.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// What became of each target, in list order.
    pub fn fates(&self) -> &[Fate] {
        &self.fates
    }

    fn wait_or_done(&self) -> Next {
        if self.running > 0 {
            Next::Wait
        } else {
            Next::Done
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(spec: &[(&str, &str)]) -> Vec<Slot> {
        spec.iter()
            .map(|(h, g)| Slot {
                host: (!h.is_empty()).then(|| h.to_string()),
                group: (!g.is_empty()).then(|| g.to_string()),
            })
            .collect()
    }

    fn options(parallel: usize) -> Options {
        Options {
            parallel,
            per_host: None,
            on_error: OnError::Stop,
            canary: 0,
            groups: None,
        }
    }

    /// Start everything that may start now.
    fn start_all(s: &mut Scheduler) -> Vec<usize> {
        let mut out = Vec::new();
        while let Next::Start(i) = s.next() {
            out.push(i);
        }
        out
    }

    #[test]
    fn parallel_limits_how_many_run_at_once() {
        let mut s = Scheduler::new(&slots(&[("", ""); 5]), &options(2)).unwrap();
        assert_eq!(start_all(&mut s), [0, 1]);
        assert_eq!(s.next(), Next::Wait);
        s.finished(1, true);
        assert_eq!(start_all(&mut s), [2]);
        s.finished(0, true);
        s.finished(2, true);
        assert_eq!(start_all(&mut s), [3, 4]);
        s.finished(3, true);
        s.finished(4, true);
        assert_eq!(s.next(), Next::Done);
        assert!(s.fates().iter().all(|f| *f == Fate::Ok));
    }

    #[test]
    fn per_host_skips_a_busy_host_for_a_free_one() {
        let mut o = options(3);
        o.per_host = Some(1);
        let mut s =
            Scheduler::new(&slots(&[("a", ""), ("a", ""), ("b", ""), ("", "")]), &o).unwrap();
        // Target 1 waits for host a; 2 (host b) and 3 (a file) go ahead.
        assert_eq!(start_all(&mut s), [0, 2, 3]);
        s.finished(2, true);
        assert_eq!(s.next(), Next::Wait);
        s.finished(0, true);
        assert_eq!(start_all(&mut s), [1]);
    }

    #[test]
    fn on_error_stop_finishes_the_running_and_starts_no_new_one() {
        let mut s = Scheduler::new(&slots(&[("", ""); 4]), &options(2)).unwrap();
        assert_eq!(start_all(&mut s), [0, 1]);
        s.finished(0, false);
        assert_eq!(s.next(), Next::Wait);
        s.finished(1, true);
        assert_eq!(s.next(), Next::Done);
        assert!(s.stopped());
        assert_eq!(
            s.fates(),
            [Fate::Failed, Fate::Ok, Fate::NotStarted, Fate::NotStarted]
        );
    }

    #[test]
    fn stop_lets_the_running_finish_and_starts_no_new_one() {
        let mut o = options(2);
        o.on_error = OnError::Continue;
        let mut s = Scheduler::new(&slots(&[("", ""); 3]), &o).unwrap();
        assert_eq!(start_all(&mut s), [0, 1]);
        s.stop();
        assert_eq!(s.next(), Next::Wait);
        s.finished(0, true);
        s.finished(1, true);
        assert_eq!(s.next(), Next::Done);
        assert_eq!(s.fates()[2], Fate::NotStarted);
    }

    #[test]
    fn on_error_continue_runs_every_target() {
        let mut o = options(1);
        o.on_error = OnError::Continue;
        let mut s = Scheduler::new(&slots(&[("", ""); 3]), &o).unwrap();
        for i in 0..3 {
            assert_eq!(s.next(), Next::Start(i));
            s.finished(i, i != 1);
        }
        assert_eq!(s.next(), Next::Done);
        assert_eq!(s.fates(), [Fate::Ok, Fate::Failed, Fate::Ok]);
    }

    #[test]
    fn canaries_run_alone_first_and_a_failure_stops_even_under_continue() {
        let mut o = options(4);
        o.canary = 2;
        o.on_error = OnError::Continue;
        let mut s = Scheduler::new(&slots(&[("", ""); 5]), &o).unwrap();
        assert_eq!(start_all(&mut s), [0, 1]);
        s.finished(0, true);
        // The rest waits for the whole canary phase.
        assert_eq!(s.next(), Next::Wait);
        s.finished(1, false);
        assert_eq!(s.next(), Next::Done);
        assert_eq!(&s.fates()[2..], [Fate::NotStarted; 3]);
    }

    #[test]
    fn after_good_canaries_the_rest_runs_in_parallel() {
        let mut o = options(4);
        o.canary = 1;
        let mut s = Scheduler::new(&slots(&[("", ""); 4]), &o).unwrap();
        assert_eq!(start_all(&mut s), [0]);
        s.finished(0, true);
        assert_eq!(start_all(&mut s), [1, 2, 3]);
    }

    #[test]
    fn groups_run_in_the_given_order_one_after_the_other() {
        let mut o = options(4);
        o.groups = Some(vec!["eu".into(), "us".into()]);
        let list = slots(&[("", "us"), ("", "eu"), ("", "ap"), ("", "eu"), ("", "")]);
        let mut s = Scheduler::new(&list, &o).unwrap();
        assert_eq!(start_all(&mut s), [1, 3]);
        s.finished(1, true);
        assert_eq!(s.next(), Next::Wait);
        s.finished(3, true);
        assert_eq!(start_all(&mut s), [0]);
        s.finished(0, true);
        assert_eq!(s.next(), Next::Done);
        assert_eq!(s.fates()[2], Fate::LeftOut);
        assert_eq!(s.fates()[4], Fate::LeftOut);
    }

    #[test]
    fn a_group_named_canary_stops_the_rest_when_one_fails() {
        let mut o = options(4);
        o.groups = Some(vec!["canary".into(), "all".into()]);
        o.on_error = OnError::Continue;
        let list = slots(&[("", "all"), ("", "canary")]);
        let mut s = Scheduler::new(&list, &o).unwrap();
        assert_eq!(start_all(&mut s), [1]);
        s.finished(1, false);
        assert_eq!(s.next(), Next::Done);
        assert_eq!(s.fates()[0], Fate::NotStarted);
    }

    #[test]
    fn canaries_come_from_the_first_group_in_order() {
        let mut o = options(4);
        o.groups = Some(vec!["b".into(), "a".into()]);
        o.canary = 1;
        let list = slots(&[("", "a"), ("", "b"), ("", "b")]);
        let mut s = Scheduler::new(&list, &o).unwrap();
        assert_eq!(start_all(&mut s), [1]);
        s.finished(1, true);
        assert_eq!(start_all(&mut s), [2]);
        s.finished(2, true);
        assert_eq!(start_all(&mut s), [0]);
    }

    #[test]
    fn bad_options_are_refused() {
        let list = slots(&[("", "a")]);
        let mut o = options(0);
        assert_eq!(
            Scheduler::new(&list, &o).unwrap_err().to_string(),
            "--parallel must be at least 1"
        );
        o.parallel = 1;
        o.per_host = Some(0);
        assert_eq!(
            Scheduler::new(&list, &o).unwrap_err().to_string(),
            "--per-host must be at least 1"
        );
        o.per_host = None;
        o.groups = Some(vec!["zz".into()]);
        assert_eq!(
            Scheduler::new(&list, &o).unwrap_err().to_string(),
            "--groups: no target has group=zz"
        );
    }
}
