//! Strata's database drivers.
pub mod url;
