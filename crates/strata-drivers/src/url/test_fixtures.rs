//! Parsing shortcuts shared by the URL unit tests.

use super::DatabaseUrl;

pub(super) fn p(s: &str) -> DatabaseUrl {
    DatabaseUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}
pub(super) fn err(s: &str) -> String {
    DatabaseUrl::parse(s).unwrap_err().to_string()
}
