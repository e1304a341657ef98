//! Reading a simple query's text results: its rows, its result sets, an integer column.

use strata_core::DriverError;

/// The rows of a simple query's result, of all its statements.
pub(super) fn rows(
    out: &[postgres::SimpleQueryMessage],
) -> impl Iterator<Item = &postgres::SimpleQueryRow> {
    out.iter().filter_map(|m| match m {
        postgres::SimpleQueryMessage::Row(r) => Some(r),
        _ => None,
    })
}

/// The rows of a simple query's result, one set per statement.
pub(super) fn result_sets(
    out: &[postgres::SimpleQueryMessage],
) -> Vec<Vec<&postgres::SimpleQueryRow>> {
    let mut sets = vec![Vec::new()];
    for m in out {
        match m {
            postgres::SimpleQueryMessage::Row(r) => sets.last_mut().expect("one set").push(r),
            postgres::SimpleQueryMessage::CommandComplete(_) => sets.push(Vec::new()),
            _ => {}
        }
    }
    sets
}

/// Column `i` of a text row as an integer.
pub(super) fn text_int(
    row: &postgres::SimpleQueryRow,
    i: usize,
    what: &str,
) -> Result<i64, DriverError> {
    row.get(i)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| DriverError::Protocol(format!("unreadable {what}: {:?}", row.get(i))))
}
