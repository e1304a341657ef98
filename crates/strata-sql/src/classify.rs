//! PLACEHOLDER classification of a statement by its leading keywords.

/// What a statement is, as far as choosing how to run a migration is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// `BEGIN`, `START TRANSACTION` (not `BEGIN ATOMIC`, not a trigger body).
    Begin,
    /// `COMMIT`, `END`.
    Commit,
    /// `ROLLBACK`, `ABORT`.
    Rollback,
    /// A statement PostgreSQL refuses inside a transaction block; the payload names it.
    NoTransaction(&'static str),
    /// Anything else.
    Other,
}

/// Classify one statement's text (as returned by [`crate::split`]).
pub fn classify(statement: &str) -> StatementKind {
    let upper = statement.trim_start().to_ascii_uppercase();
    if upper.starts_with("BEGIN") && !upper.starts_with("BEGIN ATOMIC") {
        StatementKind::Begin
    } else if upper.starts_with("COMMIT") {
        StatementKind::Commit
    } else if upper.contains("CONCURRENTLY") {
        StatementKind::NoTransaction("CONCURRENTLY")
    } else {
        StatementKind::Other
    }
}
