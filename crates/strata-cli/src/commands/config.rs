//! `strata config`: each resolved setting, its value (passwords as `***`) and where it came
//! from, in the order they were resolved.

use crate::settings::Settings;
use crate::CliError;
use strata_core::printable::printable;

/// Print the settings table.
pub fn config(settings: &Settings) -> Result<(), CliError> {
    let width =
        |f: fn(&crate::origin::Shown) -> usize| settings.shown.iter().map(f).max().unwrap_or(0);
    let w1 = width(|s| s.setting.chars().count());
    let w2 = width(|s| s.value.chars().count()).min(60);
    for s in &settings.shown {
        outln!(
            "{:w1$}  {:w2$}  ({})",
            s.setting,
            printable(&s.value),
            printable(&s.origin)
        );
    }
    if settings.database.is_none() {
        outln!(
            "{:w1$}  (none: pass -database URL, set DATABASE_URL, or database in strata.toml)",
            "database"
        );
    }
    if settings.dir.is_none() {
        outln!(
            "{:w1$}  (none: pass -path DIR, set MIGRATION_DIR, or path in strata.toml)",
            "path"
        );
    }
    Ok(())
}
