//! A program that applies its embedded migrations at start-up, from any working directory.
//!
//! `app [DATABASE_URL]` (else `$DATABASE_URL`, else `sqlite://app.db`).

use std::process::ExitCode;

/// The folder next to Cargo.toml, inside the binary: nothing to ship beside it.
static MIGRATIONS: strata::Migrations = strata::embed!("migrations");

fn main() -> ExitCode {
    let url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .unwrap_or_else(|| "sqlite://app.db".to_string());
    let result = strata::Migrator::new(&MIGRATIONS)
        .on_event(|event| {
            if let strata::Event::Applied(m) = event {
                println!("applied {} {} in {:?}", m.version, m.name, m.duration);
            }
        })
        .up(&url);
    match result {
        Ok(report) => {
            println!("{} migration(s) applied", report.migrations.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut message = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                message.push_str(&format!(": {c}"));
                cause = c.source();
            }
            eprintln!("app: {message}");
            ExitCode::FAILURE
        }
    }
}
