//! An async program that applies its embedded migrations at start-up, before serving.
//!
//! `app-tokio [DATABASE_URL]` (else `$DATABASE_URL`, else `sqlite://app.db`).

use std::process::ExitCode;

static MIGRATIONS: strata::Migrations = strata::embed!("migrations");

async fn start(url: String) -> Result<usize, strata::Error> {
    // Runs on a thread of its own: the runtime's workers stay free for other tasks.
    let report = strata::Migrator::new(&MIGRATIONS)
        .on_event(|event| {
            if let strata::Event::Applied(m) = event {
                println!("applied {} {} in {:?}", m.version, m.name, m.duration);
            }
        })
        .up_async(&url)
        .await?;
    // ... then start serving.
    Ok(report.migrations.len())
}

fn main() -> ExitCode {
    let url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .unwrap_or_else(|| "sqlite://app.db".to_string());
    // What `#[tokio::main]` expands to.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(start(url)) {
        Ok(n) => {
            println!("{n} migration(s) applied");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut message = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                message.push_str(&format!(": {c}"));
                cause = c.source();
            }
            eprintln!("app-tokio: {message}");
            ExitCode::FAILURE
        }
    }
}
