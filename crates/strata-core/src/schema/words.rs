//! Differences in words, from `verify`'s side (before up / after down) or `dump --check`'s
//! (the file / the live database). Pure.

use super::diff::{Change, Difference};

/// Whose two snapshots were compared: sets the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// `verify`: before is the schema before `up`, after the schema after `down`.
    RoundTrip,
    /// `dump --check`: before is the dump file (named), after the live database.
    File(String),
}

/// One difference as a sentence: `table groupchannels is left behind`, `index idx_a is on
/// (type), was on (userid)`, `column t.c default now(), was NULL`.
pub fn sentence(d: &Difference, side: &Side) -> String {
    let s = &d.subject;
    match (&d.change, side) {
        (Change::Extra, Side::RoundTrip) => format!("{s} is left behind"),
        (Change::Missing, Side::RoundTrip) => format!("{s} is gone"),
        (Change::Extra, Side::File(f)) => format!("{s} is in the database, not in {f}"),
        (Change::Missing, Side::File(f)) => format!("{s} is in {f}, not in the database"),
        (Change::Changed { aspect, now, was }, Side::RoundTrip) => {
            format!("{s} {aspect} {now}, was {}", was_words(aspect, was))
        }
        (Change::Changed { aspect, now, was }, Side::File(f)) => {
            format!("{s} {aspect} {now} in the database, {was} in {f}")
        }
        (Change::ColumnOrder { now, was }, Side::RoundTrip) => format!(
            "{s} has its columns in another order: ({}), was ({})",
            now.join(", "),
            was.join(", ")
        ),
        (Change::ColumnOrder { now, was }, Side::File(f)) => format!(
            "{s} has its columns in another order: ({}) in the database, ({}) in {f}",
            now.join(", "),
            was.join(", ")
        ),
    }
}

/// `was on (userid)` rather than `was (userid)` where the aspect is a preposition phrase.
fn was_words(aspect: &str, was: &str) -> String {
    match aspect.strip_prefix("is ") {
        Some(rest) if !rest.is_empty() => format!("{rest} {was}"),
        _ => was.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(subject: &str, change: Change) -> Difference {
        Difference {
            subject: subject.into(),
            change,
        }
    }

    fn changed(aspect: &str, now: &str, was: &str) -> Change {
        Change::Changed {
            aspect: aspect.into(),
            now: now.into(),
            was: was.into(),
        }
    }

    #[test]
    fn round_trip_words() {
        let rt = Side::RoundTrip;
        assert_eq!(
            sentence(&d("table groupchannels", Change::Extra), &rt),
            "table groupchannels is left behind"
        );
        assert_eq!(
            sentence(
                &d("index idx_a", changed("is on", "(type)", "(userid)")),
                &rt
            ),
            "index idx_a is on (type), was on (userid)"
        );
        assert_eq!(
            sentence(&d("column t.c", changed("default", "now()", "NULL")), &rt),
            "column t.c default now(), was NULL"
        );
        assert_eq!(
            sentence(&d("column t.c", changed("is", "nullable", "NOT NULL")), &rt),
            "column t.c is nullable, was NOT NULL"
        );
    }

    #[test]
    fn file_words_name_the_file() {
        let f = Side::File("schema.sql".into());
        assert_eq!(
            sentence(&d("column t.x", Change::Extra), &f),
            "column t.x is in the database, not in schema.sql"
        );
        assert_eq!(
            sentence(
                &d("column t.c", changed("is of type", "bigint", "integer")),
                &f
            ),
            "column t.c is of type bigint in the database, integer in schema.sql"
        );
    }
}
