//! The real `strata` binary against real SQLite files and a real PostgreSQL server. One
//! integration-test binary.

mod support;

mod adopt;
mod adopt_pg;
mod bad_input;
mod batch_pg;
mod cli_input;
mod colour;
mod commands;
mod copy_pg;
mod create;
mod dump_pg;
mod faults;
mod faults_input;
mod faults_pooler;
mod faults_report;
mod faults_server;
mod fleet;
mod fleet_commands_pg;
mod fleet_pg;
mod folder;
mod formats;
mod history;
mod history_pg;
mod json_reports;
mod lint;
mod lint_pg;
mod pg;
mod pg_conn;
mod pg_modes;
mod plan_pg;
mod printed;
mod progress;
mod refusals;
mod renumber;
mod safety;
mod safety_pg;
mod schema_sqlite;
mod settings_cli;
mod settings_pg;
mod snapshots;
mod stall;
mod stream;
mod testdb;
mod verify_pg;
