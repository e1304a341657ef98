//! `strata`: database schema migrations, a drop-in replacement for golang-migrate.

fn main() -> std::process::ExitCode {
    strata_cli::main()
}
