//! Another tool's tracking table read as text, for `adopt`.

use super::errors::err;
use super::tables::quote;
use mysql::consts::ColumnType;
use mysql::prelude::Queryable;
use mysql::{Conn, Value};
use strata_core::{DriverError, RawTable};

/// Every row of `name` in `schema` (`None`: the current database), each value as text;
/// `datetime`/`timestamp` columns as RFC 3339 UTC (the session's time zone is UTC).
pub fn read(
    conn: &mut Conn,
    schema: Option<&str>,
    name: &str,
) -> Result<Option<RawTable>, DriverError> {
    let n: Option<i64> = conn
        .exec_first(
            "SELECT COUNT(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
            (schema, name),
        )
        .map_err(err)?;
    if n.unwrap_or(0) == 0 {
        return Ok(None);
    }
    let from = match schema {
        Some(s) => format!("{}.{}", quote(s), quote(name)),
        None => quote(name),
    };
    let mut result = conn
        .query_iter(format!("SELECT * FROM {from}"))
        .map_err(err)?;
    let columns = result.columns();
    let cols = columns.as_ref();
    let names: Vec<String> = cols.iter().map(|c| c.name_str().into_owned()).collect();
    let times: Vec<bool> = cols
        .iter()
        .map(|c| {
            matches!(
                c.column_type(),
                ColumnType::MYSQL_TYPE_DATETIME
                    | ColumnType::MYSQL_TYPE_TIMESTAMP
                    | ColumnType::MYSQL_TYPE_DATETIME2
                    | ColumnType::MYSQL_TYPE_TIMESTAMP2
            )
        })
        .collect();
    let mut rows = Vec::new();
    for row in result.by_ref() {
        let row = row.map_err(err)?;
        let values = row
            .unwrap()
            .into_iter()
            .zip(&times)
            .map(|(v, time)| text(v, *time))
            .collect();
        rows.push(values);
    }
    Ok(Some(RawTable {
        columns: names,
        rows,
    }))
}

/// A text-protocol value as text (`None`: NULL).
fn text(v: Value, time: bool) -> Option<String> {
    let s = match v {
        Value::NULL => return None,
        Value::Bytes(b) => String::from_utf8(b)
            .unwrap_or_else(|e| e.into_bytes().iter().map(|b| format!("{b:02x}")).collect()),
        other => other.as_sql(true).trim_matches('\'').to_string(),
    };
    Some(if time { rfc3339(&s) } else { s })
}

/// `2024-01-02 03:04:05[.ffffff]` as `2024-01-02T03:04:05.000Z`.
fn rfc3339(s: &str) -> String {
    if s.len() < 19 {
        return s.to_string();
    }
    let frac = s.get(20..).unwrap_or("");
    let ms: String = frac.chars().chain("000".chars()).take(3).collect();
    format!("{}T{}.{ms}Z", &s[..10], &s[11..19])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_become_rfc3339_utc_with_milliseconds() {
        assert_eq!(rfc3339("2024-01-02 03:04:05"), "2024-01-02T03:04:05.000Z");
        assert_eq!(
            rfc3339("2024-01-02 03:04:05.123456"),
            "2024-01-02T03:04:05.123Z"
        );
        assert_eq!(text(Value::NULL, false), None);
        assert_eq!(
            text(Value::Bytes(b"t".to_vec()), false).as_deref(),
            Some("t")
        );
    }
}
