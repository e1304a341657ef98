//! Pure assembly of already-read files into a [`Source`]: names, text, sections, transaction
//! modes, duplicates. Every problem is collected; nothing here touches the disk.

use super::filename::{classify_name, NameKind, Separator};
use super::markers::{self, lines, parse_sections, CommentLines, Directive, Sections};
use super::par::par_map;
use super::{IgnoredFile, RawFile, Source, SourceError, SourceErrors};
use crate::checksum::Checksum;
use crate::duration::{parse_duration, DurationError};
use crate::migration::{Direction, Format, Migration, Script, TxMode, Version};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use strata_sql::{classify, line_col, split, DiagnosticKind, Dialect, StatementKind};

/// Strata's own directive: run this script outside a transaction.
pub const NO_TRANSACTION_DIRECTIVE: &str = "strata:no-transaction";
/// Strata's own directive: PostgreSQL `lock_timeout` for this script, e.g. `-- strata:lock-timeout 2s`.
pub const LOCK_TIMEOUT_DIRECTIVE: &str = "strata:lock-timeout";
/// Strata's own directive: PostgreSQL `statement_timeout` for this script, e.g.
/// `-- strata:statement-timeout 10m`.
pub const STATEMENT_TIMEOUT_DIRECTIVE: &str = "strata:statement-timeout";

/// One file that names a version, with whatever could be read from it.
struct Claim {
    version: Version,
    path: PathBuf,
    pair: bool,
    up: bool,
    down: bool,
    name: String,
    format: Format,
    scripts: [Option<Script>; 2],
    checksum: Checksum,
    out_of_order: bool,
}

/// Turn the files of one folder into a [`Source`], reporting every problem at once.
///
/// Files are processed in path order whatever the caller's order, so messages are stable.
pub fn assemble(dir: &Path, files: Vec<RawFile>, dialect: Dialect) -> Result<Source, SourceErrors> {
    assemble_streamed(dir, files, Vec::new(), dialect)
}

/// A pair file too large to hold in memory: its path and what [`super::stream::scan`] found.
#[derive(Debug, Clone)]
pub struct StreamedFile {
    /// The file (its name must be a pair's, `N_name.up.sql` / `.down.sql`).
    pub path: PathBuf,
    /// The one pass over it.
    pub scan: super::stream::Scan,
}

/// [`assemble`] with some pair files streamed instead of read (see [`super::stream`]).
pub fn assemble_streamed(
    dir: &Path,
    mut files: Vec<RawFile>,
    streamed: Vec<StreamedFile>,
    dialect: Dialect,
) -> Result<Source, SourceErrors> {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    // Reading, checksumming and lexing each file is independent of the others: done in
    // parallel for large folders (a no-op `up` reads every file on every run).
    let outcomes = par_map(files, |file| claim_file(file, dialect));
    let mut errors = Vec::new();
    let mut ignored = Vec::new();
    let mut warnings = Vec::new();
    let mut claims = Vec::new();
    for out in outcomes {
        errors.extend(out.errors);
        ignored.extend(out.ignored);
        warnings.extend(out.warning);
        claims.extend(out.claim);
    }

    for file in streamed {
        let name = file.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let NameKind::Pair(p) = classify_name(name) else {
            errors.push(SourceError::Io {
                path: file.path.clone(),
                message:
                    "only golang-migrate pair files (N_name.up.sql / .down.sql) can be streamed"
                        .into(),
            });
            continue;
        };
        let Some(version) = p.version else {
            errors.push(SourceError::VersionTooLarge {
                path: file.path.clone(),
                digits: p.digits.into(),
            });
            continue;
        };
        let up = p.direction == Direction::Up;
        let script = streamed_script(&file, dialect, &mut errors);
        let mut scripts = [None, None];
        scripts[usize::from(!up)] = Some(script);
        claims.push(Claim {
            version,
            path: file.path.clone(),
            pair: true,
            up,
            down: !up,
            name: p.title.to_string(),
            format: Format::Pair,
            scripts,
            checksum: file.scan.checksum,
            out_of_order: file.scan.out_of_order,
        });
    }
    claims.sort_by(|a, b| a.path.cmp(&b.path));

    let mut by_version: BTreeMap<Version, Vec<usize>> = BTreeMap::new();
    for (i, c) in claims.iter().enumerate() {
        by_version.entry(c.version).or_default().push(i);
    }
    let mut migrations = Vec::new();
    for (version, indices) in by_version {
        let group: Vec<&Claim> = indices.iter().map(|&i| &claims[i]).collect();
        let mut clash = false;
        for (direction, wants) in [
            (Direction::Up, (|c: &Claim| c.up) as fn(&Claim) -> bool),
            (Direction::Down, |c| c.down),
        ] {
            let mut it = group.iter().filter(|c| wants(c));
            let Some(first) = it.next() else { continue };
            for other in it {
                clash = true;
                errors.push(SourceError::Duplicate {
                    version,
                    direction,
                    first: first.path.clone(),
                    second: other.path.clone(),
                });
            }
        }
        let single = group.iter().find(|c| !c.pair);
        let pair = group.iter().find(|c| c.pair);
        if let (false, Some(s), Some(p)) = (clash, single, pair) {
            errors.push(SourceError::MixedLayout {
                version,
                single: s.path.clone(),
                pair: p.path.clone(),
            });
            clash = true;
        }
        if !clash {
            migrations.push(merge(version, &mut claims, &indices));
        }
    }
    if !errors.is_empty() {
        return Err(SourceErrors(errors));
    }
    Ok(Source {
        dir: dir.to_path_buf(),
        migrations,
        ignored,
        warnings,
    })
}

/// What one file contributes: a claim on a version, or a reason it is not read (ignored, or a
/// warning when it looks like a migration), and errors.
#[derive(Default)]
struct FileOutcome {
    claim: Option<Claim>,
    ignored: Option<IgnoredFile>,
    warning: Option<IgnoredFile>,
    errors: Vec<SourceError>,
}

/// Read one file's name and content into a claim. Its bytes are dropped (or become the script's
/// text) here: a large file is not held twice.
fn claim_file(mut file: RawFile, dialect: Dialect) -> FileOutcome {
    let mut out = FileOutcome::default();
    let file = &mut file;
    let Some(name) = file.path.file_name().and_then(|n| n.to_str()) else {
        out.ignored = Some(IgnoredFile {
            path: file.path.clone(),
            reason: "file name is not valid UTF-8".into(),
        });
        return out;
    };
    match classify_name(name) {
        NameKind::Ignored(reason) => {
            out.ignored = Some(IgnoredFile {
                path: file.path.clone(),
                reason,
            })
        }
        NameKind::Malformed(reason) => {
            out.warning = Some(IgnoredFile {
                path: file.path.clone(),
                reason,
            })
        }
        NameKind::ControlCharacter(character) => {
            out.errors.push(SourceError::ControlCharacter {
                path: file.path.clone(),
                character,
            });
        }
        NameKind::Pair(p) => {
            let Some(version) = p.version else {
                out.errors.push(SourceError::VersionTooLarge {
                    path: file.path.clone(),
                    digits: p.digits.into(),
                });
                return out;
            };
            let mut claim = Claim::new(version, file, true, p.title, Format::Pair);
            let up = p.direction == Direction::Up;
            (claim.up, claim.down) = (up, !up);
            // The bytes become the script's text, moved rather than copied (a large file's
            // text exists once).
            let bytes = std::mem::take(&mut file.bytes);
            match decode_owned(&file.path, bytes) {
                Ok(text) => {
                    let mut script = build_script(
                        file,
                        &text,
                        0..text.len(),
                        1,
                        &[],
                        None,
                        dialect,
                        &mut out.errors,
                    );
                    script.sql = text;
                    claim.scripts[usize::from(!up)] = Some(script);
                }
                Err(e) => out.errors.push(e),
            }
            out.claim = Some(claim);
        }
        NameKind::Single(s) => {
            let Some(version) = s.version else {
                out.errors.push(SourceError::VersionTooLarge {
                    path: file.path.clone(),
                    digits: s.digits.into(),
                });
                return out;
            };
            let mut claim = Claim::new(version, file, false, s.title, Format::Legacy);
            // Until the content says otherwise, a numbered .sql file claims the up direction.
            claim.up = true;
            let text = match decode(file) {
                Ok(t) => t,
                Err(e) => {
                    out.errors.push(e);
                    out.claim = Some(claim);
                    return out;
                }
            };
            let sections = match parse_sections(&text) {
                Ok(s) => s,
                Err(list) => {
                    let marker = |e: markers::MarkerError| SourceError::Marker {
                        path: file.path.clone(),
                        line: e.line,
                        message: e.message,
                    };
                    out.errors.extend(list.into_iter().map(marker));
                    out.claim = Some(claim);
                    return out;
                }
            };
            if sections.format == Format::Legacy && s.looks_like_misnamed_pair() {
                // Running a down script as an up migration would be destructive: not run.
                let reason = format!(
                    "has no markers and its name looks like a misspelt pair file; rename it to {}_{}.up.sql / .down.sql or add `-- UP` / `-- DOWN` markers",
                    s.digits,
                    s.title.trim_end_matches(|c: char| c.is_ascii_alphabetic()).trim_end_matches(['_', '-'])
                );
                out.warning = Some(IgnoredFile {
                    path: file.path.clone(),
                    reason,
                });
                return out;
            }
            if sections.format == Format::Legacy && s.separator == Separator::Dash {
                // `N-title.sql` is a marker layout's name; a dated note must not run as `up`.
                let reason = format!(
                    "has no markers: a {}-{}.sql file is read only with `-- +migrate Up` / `-- +migrate Down` (sql-migrate) or `-- Up` / `-- Down` markers; add them, or rename it to {}_{}.sql for an up-only file",
                    s.digits, s.title, s.digits, s.title
                );
                out.warning = Some(IgnoredFile {
                    path: file.path.clone(),
                    reason,
                });
                return out;
            }
            single_scripts(file, &text, &sections, &mut claim, dialect, &mut out.errors);
            out.claim = Some(claim);
        }
    }
    out
}

impl Claim {
    fn new(version: Version, file: &RawFile, pair: bool, title: &str, format: Format) -> Claim {
        Claim {
            version,
            path: file.path.clone(),
            pair,
            up: false,
            down: false,
            name: title.to_string(),
            format,
            scripts: [None, None],
            checksum: Checksum::of(&file.bytes),
            out_of_order: has_out_of_order_directive(&String::from_utf8_lossy(&file.bytes)),
        }
    }
}

/// One migration from the (non-clashing) files of a version (`group` indexes `claims`): at most
/// one up and one down claim. The scripts are moved out of the claims, not copied (a large
/// file's text exists once).
fn merge(version: Version, claims: &mut [Claim], group: &[usize]) -> Migration {
    let up = group.iter().copied().find(|&i| claims[i].up);
    let down = group.iter().copied().find(|&i| claims[i].down);
    // The file carrying the up part names the migration and gives its checksum.
    let main = up.or(down).expect("a group has at least one claim");
    let up_script = up.and_then(|i| claims[i].scripts[0].take());
    let down_script = down.and_then(|i| claims[i].scripts[1].take());
    let main = &claims[main];
    Migration {
        version,
        name: main.name.clone(),
        up: up_script,
        down: down_script,
        checksum: main.checksum,
        down_checksum: down.filter(|&i| claims[i].pair).map(|i| claims[i].checksum),
        format: main.format,
        allow_out_of_order: up.is_some_and(|i| claims[i].out_of_order),
    }
}

/// Strata's directive allowing one migration to be applied although it is older than the newest
/// applied version (a per-file `--allow-out-of-order`).
pub const OUT_OF_ORDER_DIRECTIVE: &str = "strata:out-of-order";

/// Whether `-- strata:out-of-order` stands in the file's leading comment lines (for a marker
/// file that includes its header and marker lines, which are comments too).
fn has_out_of_order_directive(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with("--"))
        .any(|l| l.strip_prefix("--").map(str::trim) == Some(OUT_OF_ORDER_DIRECTIVE))
}

/// Fill a single file's claim from its sections.
fn single_scripts(
    file: &RawFile,
    text: &str,
    sections: &Sections,
    claim: &mut Claim,
    dialect: Dialect,
    errors: &mut Vec<SourceError>,
) {
    claim.format = sections.format;
    claim.up = sections.up.is_some();
    claim.down = sections.down.is_some();
    if sections.up.is_none() {
        let expected = sections.expected_up_marker().to_string();
        errors.push(SourceError::NoUpSection {
            path: file.path.clone(),
            expected,
        });
    }
    // A `-- strata:no-transaction` in the header (before the first marker) covers both sections.
    let first_marker = [&sections.up, &sections.down]
        .iter()
        .filter_map(|s| s.as_ref())
        .map(|s| s.marker_line)
        .min();
    let header = match first_marker {
        Some(line) if line > 1 => lines(text).nth(line - 2).map_or(0, |(_, _, _, next)| next),
        _ => 0,
    };
    let header_directive = scan_directives(file, &text[..header], 1, errors);
    let header_timeouts = scan_timeouts(file, &text[..header], 1, errors);
    for (i, section) in [&sections.up, &sections.down].into_iter().enumerate() {
        let Some(section) = section else { continue };
        let explicit: Vec<Directive> = [
            header_directive.clone(),
            section.no_transaction.clone(),
            sections.file_no_transaction.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let statements = section.statements(text, dialect);
        let mut script = build_script(
            file,
            text,
            section.range.clone(),
            section.first_line,
            &explicit,
            statements,
            dialect,
            errors,
        );
        script.sql = text[section.range.clone()].to_string();
        script.lock_timeout = script.lock_timeout.or(header_timeouts.0);
        script.statement_timeout = script.statement_timeout.or(header_timeouts.1);
        claim.scripts[i] = Some(script);
    }
}

/// Build one script and decide its transaction mode. Its `sql` is left empty: the caller moves
/// or copies the text in.
///
/// Order: an explicit directive (Strata's in the script itself first, then `explicit`, which the
/// caller lists by priority); else the script's own transaction control → self-managed; else a
/// statement that cannot run in a transaction → no-transaction; else a transaction.
#[allow(clippy::too_many_arguments)]
fn build_script(
    file: &RawFile,
    text: &str,
    range: Range<usize>,
    first_line: usize,
    explicit: &[Directive],
    statements: Option<Vec<Range<usize>>>,
    dialect: Dialect,
    errors: &mut Vec<SourceError>,
) -> Script {
    let sql = &text[range.clone()];
    let own = scan_directives(file, sql, first_line, errors);
    // One split serves the COPY checks, batching and the mode (explicit statements replace the
    // latter).
    let split = split(sql, dialect);
    check_copy_blocks(file, sql, first_line, &split, statements.is_some(), errors);
    let batchable =
        split.diagnostics.is_empty() && split.statements.iter().all(|s| s.copy_data.is_none());
    let (mode, mode_reason) = match own.iter().chain(explicit).next() {
        Some(d) => (
            TxMode::NoTransaction,
            Some(format!("`{}` at line {}", d.text, d.line)),
        ),
        None => mode_from_statements(sql, first_line, statements.as_deref(), split, dialect),
    };
    let (lock_timeout, statement_timeout) = scan_timeouts(file, sql, first_line, errors);
    Script {
        path: file.path.clone(),
        sql: String::new(),
        offset: range.start,
        first_line,
        mode,
        mode_reason,
        statements,
        lock_timeout,
        statement_timeout,
        batchable,
        streamed: None,
    }
}

/// The script of a streamed pair file, from its scan: the same directives, COPY checks and
/// mode rules as [`build_script`] applies to a file read whole; no text.
fn streamed_script(file: &StreamedFile, dialect: Dialect, errors: &mut Vec<SourceError>) -> Script {
    let scan = &file.scan;
    let lines = || {
        scan.directive_lines
            .iter()
            .map(|(n, l, b)| (*n, l.as_str(), *b))
    };
    let own = directives_in(&file.path, lines(), errors);
    for d in &scan.diagnostics {
        if matches!(
            d.kind,
            DiagnosticKind::UnterminatedCopyData | DiagnosticKind::TextAfterCopy
        ) {
            errors.push(SourceError::Marker {
                path: file.path.clone(),
                line: d.start.line,
                message: d.message.clone(),
            });
        }
    }
    let _ = dialect; // classified while scanning
    let (mode, mode_reason) = match (&own, scan.transaction_control, &scan.no_transaction) {
        (Some(d), _, _) => (
            TxMode::NoTransaction,
            Some(format!("`{}` at line {}", d.text, d.line)),
        ),
        (None, Some((word, line)), _) => self_managed(word, line),
        (None, None, Some((name, line))) => (
            TxMode::NoTransaction,
            Some(format!(
                "{name} at line {line} cannot run inside a transaction"
            )),
        ),
        (None, None, None) => (TxMode::Transaction, None),
    };
    let (lock_timeout, statement_timeout) = timeouts_in(&file.path, lines(), errors);
    Script {
        path: file.path.clone(),
        sql: String::new(),
        offset: 0,
        first_line: 1,
        mode,
        mode_reason,
        statements: None,
        lock_timeout,
        statement_timeout,
        batchable: false,
        streamed: Some(crate::migration::Streamed {
            len: scan.len,
            checksum: scan.checksum,
        }),
    }
}

/// A COPY data block must end with a `\.` line and start on the line after its statement, and
/// cannot be cut by explicit statement blocks (goose/sql-migrate `StatementBegin`): refused at
/// read time, before anything runs. Data blocks are never classified (their statement's range
/// excludes them).
fn check_copy_blocks(
    file: &RawFile,
    sql: &str,
    first_line: usize,
    split: &strata_sql::Split,
    explicit: bool,
    errors: &mut Vec<SourceError>,
) {
    let line = |offset: usize| first_line + line_col(sql, offset).line - 1;
    for d in &split.diagnostics {
        if matches!(
            d.kind,
            DiagnosticKind::UnterminatedCopyData | DiagnosticKind::TextAfterCopy
        ) {
            errors.push(SourceError::Marker {
                path: file.path.clone(),
                line: first_line + d.start.line - 1,
                message: d.message.clone(),
            });
        }
    }
    if explicit {
        if let Some(s) = split.statements.iter().find(|s| s.copy_data.is_some()) {
            errors.push(SourceError::Marker {
                path: file.path.clone(),
                line: line(s.range.start),
                message: "COPY ... FROM stdin data is not supported together with StatementBegin/StatementEnd blocks".into(),
            });
        }
    }
}

fn mode_from_statements(
    sql: &str,
    first_line: usize,
    explicit: Option<&[Range<usize>]>,
    split: strata_sql::Split,
    dialect: Dialect,
) -> (TxMode, Option<String>) {
    let mut no_tx = None;
    for r in crate::migration::statement_ranges(explicit, &split) {
        // Skip leading comments so the keyword is found whichever way the lexer bounds a statement.
        let start = r.start + skip_comments(&sql[r.clone()]);
        if start >= r.end {
            continue;
        }
        // Only the statement that decides the mode needs its line; computing it for every
        // statement would rescan the script each time (quadratic on large data files).
        let line = || first_line + line_col(sql, start).line - 1;
        match classify(&sql[start..r.end]) {
            StatementKind::Begin => return self_managed("BEGIN", line()),
            StatementKind::Commit => return self_managed("COMMIT", line()),
            StatementKind::Rollback => return self_managed("ROLLBACK", line()),
            // SQLite only refuses VACUUM inside a transaction.
            StatementKind::NoTransaction(name)
                if no_tx.is_none()
                    && (dialect == Dialect::Postgres || name.eq_ignore_ascii_case("VACUUM")) =>
            {
                no_tx = Some(format!(
                    "{name} at line {} cannot run inside a transaction",
                    line()
                ));
            }
            _ => {}
        }
    }
    match no_tx {
        Some(reason) => (TxMode::NoTransaction, Some(reason)),
        None => (TxMode::Transaction, None),
    }
}

fn self_managed(word: &str, line: usize) -> (TxMode, Option<String>) {
    (
        TxMode::SelfManaged,
        Some(format!("file has its own {word} at line {line}")),
    )
}

/// Bytes of leading whitespace and comments in `s`.
pub(super) fn skip_comments(s: &str) -> usize {
    let mut rest = s;
    loop {
        let t = rest.trim_start();
        if let Some(after) = t.strip_prefix("--") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = t.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
        } else {
            return s.len() - t.len();
        }
    }
}

/// Find `-- strata:...` directives in the leading comments of `sql` (1-based `first_line`).
/// Unknown ones, and ones after the first statement, are errors rather than silently ignored.
fn scan_directives(
    file: &RawFile,
    sql: &str,
    first_line: usize,
    errors: &mut Vec<SourceError>,
) -> Option<Directive> {
    directives_in(&file.path, comment_lines(sql, first_line), errors)
}

/// Every line of `sql` as `(line number in the file, text, whether only blank and comment lines
/// come before it)`.
fn comment_lines(sql: &str, first_line: usize) -> impl Iterator<Item = (usize, &str, bool)> {
    let mut comments = CommentLines::default();
    let mut before_first = true;
    lines(sql).map(move |(n, start, end, _)| {
        let line = &sql[start..end];
        before_first = before_first && comments.is_comment(line);
        (first_line + n - 1, line, before_first)
    })
}

/// [`scan_directives`] over lines given as [`comment_lines`] gives them.
fn directives_in<'a>(
    path: &Path,
    lines: impl Iterator<Item = (usize, &'a str, bool)>,
    errors: &mut Vec<SourceError>,
) -> Option<Directive> {
    let mut found = None;
    for (n, line, before_first) in lines {
        let Some(word) = line
            .trim()
            .strip_prefix("--")
            .map(str::trim)
            .filter(|w| w.starts_with("strata:"))
        else {
            continue;
        };
        let word = word.split_whitespace().next().unwrap_or_default();
        // `strata lint` suppressions (strata-lint's ignore.rs), allowed anywhere; not run-time
        // directives.
        if word == "strata:ignore" || word == "strata:ignore-file" {
            continue;
        }
        if word == LOCK_TIMEOUT_DIRECTIVE || word == STATEMENT_TIMEOUT_DIRECTIVE {
            continue; // scan_timeouts
        }
        if word == OUT_OF_ORDER_DIRECTIVE && before_first {
            continue; // has_out_of_order_directive, per file
        }
        let message = if word != NO_TRANSACTION_DIRECTIVE && word != OUT_OF_ORDER_DIRECTIVE {
            format!("unknown Strata directive `{word}` (known: {NO_TRANSACTION_DIRECTIVE}, {LOCK_TIMEOUT_DIRECTIVE}, {STATEMENT_TIMEOUT_DIRECTIVE}, {OUT_OF_ORDER_DIRECTIVE})")
        } else if !before_first {
            format!("`-- {word}` must come before the first statement")
        } else {
            found.get_or_insert(Directive {
                line: n,
                text: line.trim().to_string(),
            });
            continue;
        };
        errors.push(SourceError::Marker {
            path: path.to_path_buf(),
            line: n,
            message,
        });
    }
    found
}

/// `-- strata:lock-timeout D` and `-- strata:statement-timeout D` in the leading comments of
/// `sql`: (lock timeout, statement timeout). A malformed duration, or a directive after the first
/// statement, is an error.
fn scan_timeouts(
    file: &RawFile,
    sql: &str,
    first_line: usize,
    errors: &mut Vec<SourceError>,
) -> (Option<Duration>, Option<Duration>) {
    timeouts_in(&file.path, comment_lines(sql, first_line), errors)
}

/// [`scan_timeouts`] over lines given as [`comment_lines`] gives them.
fn timeouts_in<'a>(
    path: &Path,
    lines: impl Iterator<Item = (usize, &'a str, bool)>,
    errors: &mut Vec<SourceError>,
) -> (Option<Duration>, Option<Duration>) {
    let mut out = (None, None);
    for (n, line, before_first) in lines {
        let Some(rest) = line.trim().strip_prefix("--").map(str::trim) else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let word = words.next().unwrap_or_default();
        let slot = match word {
            LOCK_TIMEOUT_DIRECTIVE => &mut out.0,
            STATEMENT_TIMEOUT_DIRECTIVE => &mut out.1,
            _ => continue,
        };
        let value = words.next();
        let message = if !before_first {
            format!("`-- {word}` must come before the first statement")
        } else if let (Some(value), None) = (value, words.next()) {
            match parse_duration(value) {
                Ok(d) => {
                    slot.get_or_insert(d);
                    continue;
                }
                Err(DurationError::Malformed { .. }) => format!(
                    "`-- {word}` needs one duration, e.g. `-- {word} 2s` (units: ms, s, m, h)"
                ),
                Err(e) => format!("`-- {word}`: {e}"),
            }
        } else {
            format!("`-- {word}` needs one duration, e.g. `-- {word} 2s` (units: ms, s, m, h)")
        };
        errors.push(SourceError::Marker {
            path: path.to_path_buf(),
            line: n,
            message,
        });
    }
    out
}

/// [`decode`] taking the bytes: no copy unless CRLFs must become LFs.
fn decode_owned(path: &Path, bytes: Vec<u8>) -> Result<String, SourceError> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..'\u{feff}'.len_utf8());
            }
            if s.contains("\r\n") {
                s = s.replace("\r\n", "\n");
            }
            Ok(s)
        }
        Err(e) => {
            let byte = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..byte].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(SourceError::NotUtf8 {
                path: path.to_path_buf(),
                line,
                byte,
            })
        }
    }
}

/// Check UTF-8, drop a leading BOM and turn CRLF into LF (borrowing when there is nothing to
/// change, the usual case).
fn decode(file: &RawFile) -> Result<std::borrow::Cow<'_, str>, SourceError> {
    match std::str::from_utf8(&file.bytes) {
        Ok(s) => {
            let s = s.strip_prefix('\u{feff}').unwrap_or(s);
            Ok(if s.contains("\r\n") {
                s.replace("\r\n", "\n").into()
            } else {
                s.into()
            })
        }
        Err(e) => {
            let byte = e.valid_up_to();
            let line = file.bytes[..byte].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(SourceError::NotUtf8 {
                path: file.path.clone(),
                line,
                byte,
            })
        }
    }
}

#[cfg(test)]
#[path = "assemble_tests.rs"]
mod tests;
