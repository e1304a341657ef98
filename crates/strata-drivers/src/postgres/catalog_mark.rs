//! A [`CatalogMark`]: each catalog table's visible row versions, counted and hashed in one
//! query, without the definitions a snapshot prints (those cost a full catalog read).
//!
//! Why equal marks mean equal snapshots: a snapshot is a function of the catalog rows the
//! session sees (the reader runs with a fixed, empty search path). Every write to a catalog
//! row (insert, or update, which writes a new version) makes a row version with a new
//! identity `(ctid, xmin)`, and a deleted row is no longer seen; so the same multiset of
//! identities in every catalog table means the same rows, up to a collision of the 62-bit
//! hash sums. Shared catalogs are left out (other databases change them) except `pg_authid`
//! (role names, printed in policies), when readable. `pg_statistic*` and `pg_largeobject`
//! hold data, not schema.

use postgres::Client;
use strata_core::schema::CatalogMark;

/// The query that counts and hashes each catalog table's rows, one row per table.
pub fn query(client: &mut Client) -> Result<String, postgres::Error> {
    let tables: Vec<String> = client
        .query(
            "SELECT c.oid::regclass::text FROM pg_catalog.pg_class c \
             WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r' \
               AND (NOT c.relisshared OR c.relname = 'pg_authid') \
               AND c.relname NOT IN ('pg_statistic', 'pg_statistic_ext_data', 'pg_largeobject') \
               AND pg_catalog.has_table_privilege(c.oid, 'SELECT') \
             ORDER BY c.relname",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "SELECT {i} AS i, count(*)::bigint, (coalesce(sum(pg_catalog.hashtextextended(\
                 ctid::text || ':' || xmin::text, 0)), 0) % 4611686018427387904)::bigint \
                 FROM pg_catalog.{t}"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
        + " ORDER BY 1")
}

/// Run `query` (from [`query`]).
pub fn take(client: &mut Client, query: &str) -> Result<CatalogMark, postgres::Error> {
    let rows = client.query(query, &[])?;
    Ok(CatalogMark {
        rows: rows.iter().map(|r| (r.get(1), r.get(2))).collect(),
    })
}
