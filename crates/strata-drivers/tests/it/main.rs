//! Integration tests of the drivers against real databases. Each PostgreSQL test gets its own
//! database from `strata-testkit` (a throwaway cluster, or `STRATA_TEST_DATABASE_URL`).
#![allow(clippy::result_large_err)] // DriverError is strata-core's; see the crate root.

mod my_driver;
mod pg_connect;
mod pg_drop;
mod pg_exec;
mod pg_lease;
mod pg_ledger;
mod pg_lock;
mod pg_schema;
mod pg_verify_touched;
mod support;
