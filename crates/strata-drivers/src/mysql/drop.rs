//! `drop -f` as golang-migrate's MySQL driver does it: every table of the database, one by
//! one, with foreign key checks off meanwhile. Views, routines, triggers and events are left,
//! as there.

use super::errors::err;
use super::tables::quote;
use mysql::prelude::Queryable;
use mysql::Conn;
use strata_core::{DriverError, DropReport};

/// Drop every base table of the current database.
pub fn drop_all(conn: &mut Conn) -> Result<DropReport, DriverError> {
    let names: Vec<String> = conn
        .query(
            "SELECT TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
        )
        .map_err(err)?;
    conn.query_drop("SET foreign_key_checks = 0").map_err(err)?;
    let mut report = DropReport::default();
    let mut result = Ok(());
    for name in &names {
        if let Err(e) = conn.query_drop(format!("DROP TABLE IF EXISTS {}", quote(name))) {
            result = Err(err(e));
            break;
        }
        report.dropped.push(format!("table {name}"));
    }
    // Restored even after a failure: the session goes on being used.
    let restored = conn.query_drop("SET foreign_key_checks = 1").map_err(err);
    result?;
    restored?;
    Ok(report)
}
