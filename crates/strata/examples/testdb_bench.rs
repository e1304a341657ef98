//! Setup time of a test database: `TestDb::new` (clone of a template) against creating an
//! empty database and migrating it from zero (what `sqlx::test` does). Run by
//! `bench/testdb.sh`; prints one TSV line per test: `method parallel n_migrations millis`.
//!
//! ```sh
//! cargo run --example testdb_bench --features testing,postgres -- ADMIN_URL DIR PARALLEL TESTS METHOD
//! ```
//! METHOD is `testdb` (a clone per test, no spares), `pool` (`TestDb::with_spares`, spares
//! filled before the clock starts; a test that found none is printed as `pool_miss`) or `zero`.
//! Each of PARALLEL threads sets up TESTS databases one after another (timing each), then drops
//! them. `BENCH_SPARES` (4): the pool's size; `BENCH_GAP_MS` (0): untimed pause after each test,
//! the time a test's body gives the background refill.

use std::time::Instant;
use strata::testing::TestDb;
use strata::{Migrations, Migrator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [admin, dir, parallel, tests, method] = args.as_slice() else {
        return Err("usage: testdb_bench ADMIN_URL DIR PARALLEL TESTS testdb|pool|zero".into());
    };
    let parallel: usize = parallel.parse()?;
    let tests: usize = tests.parse()?;
    let migrations = Migrations::from_dir(dir)?;
    let n = migrations.list()?.len();
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let spares = env("BENCH_SPARES", 4) as usize;
    let gap = std::time::Duration::from_millis(env("BENCH_GAP_MS", 0));
    if method == "pool" {
        strata::testing::fill_spares(&migrations, admin, spares)?;
    }
    let barrier = std::sync::Barrier::new(parallel);
    let times: Vec<(&str, f64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..parallel)
            .map(|t| {
                let (migrations, barrier) = (&migrations, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let mut times = Vec::new();
                    let mut dbs = Vec::new();
                    let mut dbs_zero = Vec::new();
                    let mut client = postgres::Client::connect(admin, postgres::NoTls).unwrap();
                    for i in 0..tests {
                        let start = Instant::now();
                        let label = match method.as_str() {
                            "testdb" | "pool" => {
                                let k = if method == "pool" { spares } else { 0 };
                                let db = TestDb::with_spares(migrations, admin, k).unwrap();
                                let label = match (method.as_str(), db.from_spare()) {
                                    ("pool", false) => "pool_miss",
                                    _ => method.as_str(),
                                };
                                dbs.push(db);
                                label
                            }
                            _ => {
                                let name = format!("bench_zero_{t}_{i}");
                                from_zero(&mut client, migrations, admin, &name);
                                dbs_zero.push(name);
                                "zero"
                            }
                        };
                        times.push((label, start.elapsed().as_secs_f64() * 1000.0));
                        std::thread::sleep(gap);
                    }
                    drop(dbs);
                    for name in dbs_zero {
                        client
                            .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
                            .unwrap();
                    }
                    times
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    for (label, ms) in times {
        println!("{label}\t{parallel}\t{n}\t{ms:.2}");
    }
    Ok(())
}

/// `CREATE DATABASE` (from `template1`) and every migration, as `sqlx::test` does per test (on
/// a connection opened before the clock starts, as its pool is).
fn from_zero(client: &mut postgres::Client, migrations: &Migrations, admin: &str, name: &str) {
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let url = admin.replacen("/postgres?", &format!("/{name}?"), 1);
    Migrator::new(migrations).up(&url).unwrap();
}
