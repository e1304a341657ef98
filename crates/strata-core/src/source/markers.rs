//! Sections of single-file migrations: finding the up and down parts by their marker lines.
//!
//! Four marker families are understood (one per file; mixing them is an error):
//! - Strata's plain `-- UP` / `-- DOWN` (case-insensitive);
//! - sql-migrate `-- +migrate Up|Down [notransaction]`, `-- +migrate StatementBegin|StatementEnd`;
//! - dbmate `-- migrate:up|down [transaction:false]`;
//! - goose `-- +goose Up|Down`, `StatementBegin|StatementEnd`, `NO TRANSACTION` (whole file),
//!   `ENVSUB ON|OFF` (accepted; no substitution is done, see [`Sections::notes`]).
//!
//! A file with no marker at all is a legacy up-only migration. Marker lines stay inside the
//! section text (they are SQL comments), so a section is one contiguous slice of the file and
//! offsets map back to file lines trivially.

use crate::migration::{Direction, Format};
use std::ops::Range;

/// A directive found in a file: its 1-based line and its text as written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line.
    pub line: usize,
    /// The line's text, trimmed.
    pub text: String,
}

/// One up or down section of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Byte range of the section body in the text (the line after its marker up to the next
    /// section marker or the end).
    pub range: Range<usize>,
    /// 1-based line of `range.start`.
    pub first_line: usize,
    /// 1-based line of the marker (0 for a legacy file, which has none).
    pub marker_line: usize,
    /// `notransaction` / `transaction:false` on the marker line.
    pub no_transaction: Option<Directive>,
    /// `StatementBegin`/`StatementEnd` blocks: byte ranges of their trimmed bodies in the text.
    pub blocks: Vec<Range<usize>>,
}

impl Section {
    /// Explicit statement ranges, relative to `range.start`, when the section has
    /// `StatementBegin`/`StatementEnd` blocks: each block is one statement and the text between
    /// blocks is split by the lexer. `None` when there are no blocks (the lexer decides later).
    pub fn statements(
        &self,
        text: &str,
        dialect: strata_sql::Dialect,
    ) -> Option<Vec<Range<usize>>> {
        if self.blocks.is_empty() {
            return None;
        }
        let base = self.range.start;
        let mut out = Vec::new();
        let push_split = |from: usize, to: usize, out: &mut Vec<Range<usize>>| {
            let gap = &text[from..to];
            for s in strata_sql::split(gap, dialect).statements {
                // Marker comments between blocks are not statements, whatever the lexer says.
                if !is_comment_only(s.text(gap)) {
                    out.push(s.range.start + from - base..s.range.end + from - base);
                }
            }
        };
        let mut pos = base;
        for b in &self.blocks {
            push_split(pos, b.start, &mut out);
            out.push(b.start - base..b.end - base);
            pos = b.end;
        }
        push_split(pos, self.range.end, &mut out);
        Some(out)
    }
}

/// The sections of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sections {
    /// The marker family ([`Format::Legacy`] when the file has no markers).
    pub format: Format,
    /// The up section; `None` when the file has markers but no up marker (an error for the
    /// caller to report, with [`Sections::expected_up_marker`]).
    pub up: Option<Section>,
    /// The down section, if any.
    pub down: Option<Section>,
    /// goose `-- +goose NO TRANSACTION`: applies to the whole file.
    pub file_no_transaction: Option<Directive>,
    /// Things accepted but not acted upon (goose `ENVSUB`), with their lines.
    pub notes: Vec<Directive>,
}

impl Sections {
    /// The marker that starts an up section in this file's family.
    pub fn expected_up_marker(&self) -> &'static str {
        family_of(self.format).up_marker()
    }
}

/// A problem in a marker file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Plain,
    SqlMigrate,
    Dbmate,
    Goose,
}

impl Family {
    fn format(self) -> Format {
        match self {
            Family::Plain => Format::Markers,
            Family::SqlMigrate => Format::SqlMigrate,
            Family::Dbmate => Format::Dbmate,
            Family::Goose => Format::Goose,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Family::Plain => "`-- UP`/`-- DOWN`",
            Family::SqlMigrate => "sql-migrate",
            Family::Dbmate => "dbmate",
            Family::Goose => "goose",
        }
    }
    fn up_marker(self) -> &'static str {
        match self {
            Family::Plain => "-- UP",
            Family::SqlMigrate => "-- +migrate Up",
            Family::Dbmate => "-- migrate:up",
            Family::Goose => "-- +goose Up",
        }
    }
}

fn family_of(format: Format) -> Family {
    match format {
        Format::SqlMigrate => Family::SqlMigrate,
        Format::Dbmate => Family::Dbmate,
        Format::Goose => Family::Goose,
        _ => Family::Plain,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Marker {
    Section(Direction, Option<String>),
    StatementBegin,
    StatementEnd,
    NoTransaction,
    Envsub,
}

/// Recognise a marker line. `None`: not a marker; `Some(Err)`: a family's prefix with an
/// unknown command (reported rather than ignored, so a typo cannot silently change behaviour).
fn parse_marker(line: &str) -> Option<(Family, Result<Marker, String>)> {
    let body = line.trim().strip_prefix("--")?.trim_start();
    let words: Vec<&str> = body.split_whitespace().collect();
    let first = *words.first()?;
    if words.len() == 1 && line.trim_start().len() == line.len() {
        if first.eq_ignore_ascii_case("up") {
            return Some((Family::Plain, Ok(Marker::Section(Direction::Up, None))));
        }
        if first.eq_ignore_ascii_case("down") {
            return Some((Family::Plain, Ok(Marker::Section(Direction::Down, None))));
        }
    }
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let rest: Vec<&str> = lower[1..].iter().map(String::as_str).collect();
    if first == "+migrate" {
        let m = match rest.as_slice() {
            ["up" | "down", opts @ ..] => {
                let dir = if rest[0] == "up" {
                    Direction::Up
                } else {
                    Direction::Down
                };
                match opts {
                    [] => Ok(Marker::Section(dir, None)),
                    ["notransaction"] => Ok(Marker::Section(dir, Some("notransaction".into()))),
                    _ => Err(format!(
                        "unknown sql-migrate option `{}` (known: notransaction)",
                        opts.join(" ")
                    )),
                }
            }
            ["statementbegin"] => Ok(Marker::StatementBegin),
            ["statementend"] => Ok(Marker::StatementEnd),
            _ => Err(format!("unknown sql-migrate command `{}`", body.trim_end())),
        };
        return Some((Family::SqlMigrate, m));
    }
    if first == "+goose" {
        let m = match rest.as_slice() {
            ["up"] => Ok(Marker::Section(Direction::Up, None)),
            ["down"] => Ok(Marker::Section(Direction::Down, None)),
            ["statementbegin"] => Ok(Marker::StatementBegin),
            ["statementend"] => Ok(Marker::StatementEnd),
            ["no", "transaction"] => Ok(Marker::NoTransaction),
            ["envsub", "on" | "off"] => Ok(Marker::Envsub),
            _ => Err(format!("unknown goose annotation `{}`", body.trim_end())),
        };
        return Some((Family::Goose, m));
    }
    if let Some(cmd) = lower[0].strip_prefix("migrate:") {
        let dir = match cmd {
            "up" => Direction::Up,
            "down" => Direction::Down,
            _ => {
                return Some((
                    Family::Dbmate,
                    Err(format!("unknown dbmate marker `{first}`")),
                ))
            }
        };
        let mut no_tx = None;
        for opt in &rest {
            match *opt {
                "transaction:false" => no_tx = Some("transaction:false".to_string()),
                "transaction:true" => no_tx = None,
                other => {
                    let msg = format!("unknown dbmate option `{other}` (known: transaction:false)");
                    return Some((Family::Dbmate, Err(msg)));
                }
            }
        }
        return Some((Family::Dbmate, Ok(Marker::Section(dir, no_tx))));
    }
    None
}

/// Whether `text` is only whitespace and `--` line comments.
pub(crate) fn is_comment_only(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("--")
    })
}

/// Tracks whether a line-based scan is inside a `/* ... */` comment, so blank-or-comment
/// checks work without the lexer.
#[derive(Default)]
pub(crate) struct CommentLines {
    in_block: bool,
}

impl CommentLines {
    /// Whether `line` is blank or a comment (updating block-comment state).
    pub(crate) fn is_comment(&mut self, line: &str) -> bool {
        let t = line.trim();
        if self.in_block {
            self.in_block = !t.contains("*/");
            return true;
        }
        if t.is_empty() || t.starts_with("--") {
            return true;
        }
        if let Some(after) = t.strip_prefix("/*") {
            match after.find("*/") {
                None => self.in_block = true,
                Some(i) => return self.is_comment(&after[i + 2..]),
            }
            return true;
        }
        false
    }
}

/// Iterate lines as `(1-based number, start byte, end byte excluding '\n', next line's start)`.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (usize, usize, usize, usize)> + '_ {
    let mut pos = 0;
    let mut n = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        n += 1;
        let start = pos;
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        pos = if end < text.len() {
            end + 1
        } else {
            text.len()
        };
        Some((n, start, end, pos))
    })
}

struct Open {
    dir: Direction,
    section: Section,
    /// A second section of the same direction: parsed for errors, then dropped.
    discard: bool,
}

/// Split a file's text (BOM removed, LF line endings) into up/down sections.
///
/// ```
/// use strata_core::source::markers::parse_sections;
/// use strata_core::Format;
/// let text = "-- +goose Up\nCREATE TABLE t (a int);\n-- +goose Down\nDROP TABLE t;\n";
/// let s = parse_sections(text).unwrap();
/// assert_eq!(s.format, Format::Goose);
/// assert_eq!(&text[s.up.unwrap().range], "CREATE TABLE t (a int);\n");
/// assert_eq!(s.down.unwrap().first_line, 4);
/// ```
pub fn parse_sections(text: &str) -> Result<Sections, Vec<MarkerError>> {
    let mut errors = Vec::new();
    let mut err = |line: usize, message: String| errors.push(MarkerError { line, message });
    let mut family: Option<(Family, usize)> = None;
    let mut open: Option<Open> = None;
    let mut up: Option<Section> = None;
    let mut down: Option<Section> = None;
    let mut block: Option<(usize, usize)> = None; // (line, body start) of an open StatementBegin
    let mut file_no_tx = None;
    let mut notes = Vec::new();
    let mut header = CommentLines::default();
    let mut header_sql: Option<usize> = None;

    let close =
        |open: Option<Open>, end: usize, up: &mut Option<Section>, down: &mut Option<Section>| {
            if let Some(mut o) = open {
                o.section.range.end = end;
                if !o.discard {
                    match o.dir {
                        Direction::Up => *up = Some(o.section),
                        Direction::Down => *down = Some(o.section),
                    }
                }
            }
        };

    for (n, start, end, next) in lines(text) {
        let line = &text[start..end];
        let Some((fam, marker)) = parse_marker(line) else {
            // Only an error if a marker follows: without markers this is a legacy file.
            if open.is_none() && !header.is_comment(line) && header_sql.is_none() {
                header_sql = Some(n);
            }
            continue;
        };
        match family {
            None => family = Some((fam, n)),
            Some((f, first)) if f != fam => {
                err(
                    n,
                    format!(
                        "{} marker in a file that uses {} markers (line {first})",
                        fam.name(),
                        f.name()
                    ),
                );
                continue;
            }
            Some(_) => {}
        }
        let marker = match marker {
            Ok(m) => m,
            Err(message) => {
                err(n, message);
                continue;
            }
        };
        match marker {
            Marker::Section(dir, no_tx) => {
                if let Some((bl, _)) = block.take() {
                    err(bl, format!("StatementBegin without StatementEnd before the section marker on line {n}"));
                }
                close(open.take(), start, &mut up, &mut down);
                let word = if dir == Direction::Up { "up" } else { "down" };
                let previous = if dir == Direction::Up { &up } else { &down };
                let discard = if let Some(p) = previous {
                    err(
                        n,
                        format!(
                            "a second {word} section (the first starts at line {})",
                            p.marker_line
                        ),
                    );
                    true
                } else {
                    false
                };
                let no_transaction = no_tx.map(|_| Directive {
                    line: n,
                    text: line.trim().to_string(),
                });
                let section = Section {
                    range: next..next,
                    first_line: n + 1,
                    marker_line: n,
                    no_transaction,
                    blocks: Vec::new(),
                };
                open = Some(Open {
                    dir,
                    section,
                    discard,
                });
            }
            Marker::StatementBegin => {
                if let Some((bl, _)) = block {
                    err(
                        n,
                        format!("StatementBegin inside the block opened at line {bl}"),
                    );
                } else if open.is_none() {
                    err(n, "StatementBegin outside an up or down section".into());
                } else {
                    block = Some((n, next));
                }
            }
            Marker::StatementEnd => match (block.take(), open.as_mut()) {
                (Some((_, body)), Some(o)) => {
                    let inner = &text[body..start];
                    let lead = inner.len() - inner.trim_start().len();
                    let range = body + lead..body + inner.trim_end().len();
                    if !range.is_empty() {
                        o.section.blocks.push(range);
                    }
                }
                _ => err(n, "StatementEnd without StatementBegin".into()),
            },
            Marker::NoTransaction => {
                file_no_tx = Some(Directive {
                    line: n,
                    text: line.trim().to_string(),
                })
            }
            Marker::Envsub => notes.push(Directive {
                line: n,
                text: format!(
                    "{} accepted; Strata does not substitute environment variables",
                    line.trim()
                ),
            }),
        }
    }
    if let Some((bl, _)) = block {
        err(bl, "StatementBegin without StatementEnd".into());
    }
    close(open, text.len(), &mut up, &mut down);
    // Down-only files are reported by the caller (no up section); this is about order.
    if let (Some(u), Some(d)) = (&up, &down) {
        if d.marker_line < u.marker_line {
            err(d.marker_line, "down section before the up section".into());
        }
    }
    if let (Some(n), Some(_)) = (header_sql, family) {
        err(
            n,
            "SQL before the first section marker (only comments may precede it)".into(),
        );
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    }
    let Some((family, _)) = family else {
        // No marker at all: a legacy up-only file, the whole text being the up script.
        let up = Section {
            range: 0..text.len(),
            first_line: 1,
            marker_line: 0,
            no_transaction: None,
            blocks: Vec::new(),
        };
        return Ok(Sections {
            format: Format::Legacy,
            up: Some(up),
            down: None,
            file_no_transaction: None,
            notes,
        });
    };
    Ok(Sections {
        format: family.format(),
        up,
        down,
        file_no_transaction: file_no_tx,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(r: Result<Sections, Vec<MarkerError>>) -> Vec<(usize, String)> {
        r.unwrap_err()
            .into_iter()
            .map(|e| (e.line, e.message))
            .collect()
    }

    #[test]
    fn markers_plain_up_down_case_insensitive() {
        let text =
            "-- a header comment\n\n-- up  \nCREATE TABLE a (id int);\n-- Down\nDROP TABLE a;\n";
        let s = parse_sections(text).unwrap();
        assert_eq!(s.format, Format::Markers);
        let up = s.up.as_ref().unwrap();
        assert_eq!(
            (&text[up.range.clone()], up.first_line, up.marker_line),
            ("CREATE TABLE a (id int);\n", 4, 3)
        );
        assert_eq!(
            &text[s.down.as_ref().unwrap().range.clone()],
            "DROP TABLE a;\n"
        );
        assert_eq!(s.expected_up_marker(), "-- UP");
    }

    #[test]
    fn markers_none_means_legacy_whole_file() {
        let text = "-- schema\nCREATE TABLE a (id int);\n";
        let s = parse_sections(text).unwrap();
        assert_eq!(s.format, Format::Legacy);
        assert_eq!(s.up.unwrap().range, 0..text.len());
        assert!(s.down.is_none());
        // Indented `-- up` is prose, not a marker; so is a sentence.
        assert_eq!(
            parse_sections("  -- up\n-- up the limit\n").unwrap().format,
            Format::Legacy
        );
    }

    #[test]
    fn markers_sql_migrate_with_notransaction_and_blocks() {
        let text = "-- +migrate Up notransaction\n\
                    CREATE INDEX CONCURRENTLY i ON t (a);\n\
                    -- +migrate StatementBegin\n\
                    CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
                    -- +migrate StatementEnd\n\
                    SELECT 2;\n\
                    -- +migrate Down\n\
                    DROP INDEX i;\n";
        let s = parse_sections(text).unwrap();
        assert_eq!(s.format, Format::SqlMigrate);
        let up = s.up.unwrap();
        assert_eq!(up.no_transaction.as_ref().map(|d| d.line), Some(1));
        assert_eq!(up.blocks.len(), 1);
        let sql = &text[up.range.clone()];
        let stmts: Vec<&str> = up
            .statements(text, strata_sql::Dialect::Postgres)
            .unwrap()
            .into_iter()
            .map(|r| &sql[r])
            .collect();
        assert_eq!(
            stmts,
            [
                "CREATE INDEX CONCURRENTLY i ON t (a);",
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;",
                "SELECT 2;"
            ]
        );
        let down = s.down.unwrap();
        assert!(down.no_transaction.is_none());
        assert_eq!(down.statements(text, strata_sql::Dialect::Postgres), None);
    }

    #[test]
    fn markers_dbmate_transaction_false() {
        let text = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n";
        let s = parse_sections(text).unwrap();
        assert_eq!(s.format, Format::Dbmate);
        assert_eq!(
            s.up.as_ref().unwrap().no_transaction.as_ref().unwrap().text,
            "-- migrate:up transaction:false"
        );
        assert!(s.down.as_ref().unwrap().no_transaction.is_none());
        assert_eq!(s.expected_up_marker(), "-- migrate:up");
    }

    #[test]
    fn markers_goose_no_transaction_envsub_and_blocks() {
        let text = "-- +goose NO TRANSACTION\n-- +goose ENVSUB ON\n-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP FUNCTION f();\n";
        let s = parse_sections(text).unwrap();
        assert_eq!(s.format, Format::Goose);
        assert_eq!(s.file_no_transaction.unwrap().line, 1);
        assert_eq!(s.notes.len(), 1);
        assert_eq!(s.notes[0].line, 2);
        let up = s.up.unwrap();
        let sql = &text[up.range.clone()];
        let stmts = up.statements(text, strata_sql::Dialect::Postgres).unwrap();
        assert_eq!(stmts.len(), 1);
        assert!(
            sql[stmts[0].clone()].starts_with("CREATE FUNCTION")
                && sql[stmts[0].clone()].ends_with("plpgsql;")
        );
    }

    #[test]
    fn markers_report_down_before_up_with_line() {
        let text = "-- DOWN\nDROP TABLE a;\n-- UP\nCREATE TABLE a ();\n";
        assert_eq!(
            lines_of(parse_sections(text)),
            [(1, "down section before the up section".to_string())]
        );
    }

    #[test]
    fn markers_report_second_sections_and_unclosed_blocks_together() {
        let text = "-- +goose Up\nSELECT 1;\n-- +goose Up\nSELECT 2;\n-- +goose Down\n-- +goose StatementBegin\nSELECT 3;\n-- +goose Down\n-- +goose StatementEnd\n-- +goose StatementBegin\n";
        let errs = lines_of(parse_sections(text));
        let lines: Vec<usize> = errs.iter().map(|e| e.0).collect();
        assert_eq!(lines, [3, 6, 8, 9, 10], "{errs:?}");
        assert!(errs[0]
            .1
            .contains("second up section (the first starts at line 1)"));
        assert!(errs[1].1.contains("StatementBegin without StatementEnd"));
        assert!(errs[2].1.contains("second down section"));
        assert!(errs[3].1.contains("StatementEnd without StatementBegin"));
        assert!(errs[4].1.contains("StatementBegin without StatementEnd"));
    }

    #[test]
    fn markers_report_sql_before_first_marker_but_allow_comments() {
        let ok = "-- comment\n/* block\n   comment */\n\n-- UP\nSELECT 1;\n";
        assert_eq!(parse_sections(ok).unwrap().up.unwrap().first_line, 6);
        let bad = "-- comment\nSELECT 0;\nSELECT 0;\n-- UP\nSELECT 1;\n";
        assert_eq!(
            lines_of(parse_sections(bad)),
            [(
                2,
                "SQL before the first section marker (only comments may precede it)".to_string()
            )]
        );
    }

    #[test]
    fn markers_report_mixed_families_and_unknown_commands() {
        let text = "-- +goose Up\nSELECT 1;\n-- migrate:down\n-- +goose Dwon\n";
        let errs = lines_of(parse_sections(text));
        assert_eq!(errs.len(), 2);
        assert!(errs[0]
            .1
            .contains("dbmate marker in a file that uses goose markers (line 1)"));
        assert!(errs[1].1.contains("unknown goose annotation `+goose Dwon`"));
        let errs = lines_of(parse_sections("-- migrate:up transaction:flase\n"));
        assert!(errs[0].1.contains("unknown dbmate option"));
        let errs = lines_of(parse_sections("-- +migrate Up no-tx\n"));
        assert!(errs[0].1.contains("unknown sql-migrate option"));
    }

    #[test]
    fn markers_without_up_section_leave_up_empty() {
        let s = parse_sections("-- +goose StatementBegin\n").unwrap_err();
        assert_eq!(s[0].line, 1);
        let s = parse_sections("-- +goose NO TRANSACTION\n-- +goose Down\nSELECT 1;\n").unwrap();
        assert_eq!(
            (s.format, s.up.is_none(), s.expected_up_marker()),
            (Format::Goose, true, "-- +goose Up")
        );
        assert_eq!(
            lines_of(parse_sections("-- +goose NO TRANSACTION\nSELECT 1;\n"))[0].0,
            2
        );
    }

    #[test]
    fn markers_section_at_end_without_newline_is_empty() {
        let text = "-- UP\nSELECT 1;\n-- DOWN";
        let s = parse_sections(text).unwrap();
        let down = s.down.unwrap();
        assert_eq!(
            (down.range.clone(), down.first_line),
            (text.len()..text.len(), 4)
        );
    }

    #[test]
    fn line_iterator_covers_last_line_without_newline() {
        let v: Vec<_> = lines("a\nbc").collect();
        assert_eq!(v, [(1, 0, 1, 2), (2, 2, 4, 4)]);
        let v: Vec<_> = lines("a\n").collect();
        assert_eq!(v, [(1, 0, 1, 2)]);
    }
}
