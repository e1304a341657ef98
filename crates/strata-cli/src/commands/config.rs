//! `strata config`: each resolved setting, its value (passwords as `***`) and where it came
//! from, in the order they were resolved.

use crate::args::OutputFormat;
use crate::settings::Settings;
use crate::CliError;
use strata_core::printable::printable;

/// Print the settings, as a table or as JSON.
pub fn config(settings: &Settings, format: OutputFormat) -> Result<(), CliError> {
    if format == OutputFormat::Json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json(settings)).expect("settings serialise")
        );
        return Ok(());
    }
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

/// The settings as one JSON object: each resolved setting in order (a part of the database
/// URL names `database` as its parent), and the required settings that have no value.
fn json(settings: &Settings) -> serde_json::Value {
    let list: Vec<serde_json::Value> = settings
        .shown
        .iter()
        .map(|s| {
            let name = s.setting.trim_start();
            let mut v = serde_json::json!({
                "setting": name,
                "value": s.value,
                "origin": s.origin,
            });
            if name.len() != s.setting.len() {
                v["parent"] = "database".into();
            }
            v
        })
        .collect();
    let mut missing = Vec::new();
    if settings.database.is_none() {
        missing.push("database");
    }
    if settings.dir.is_none() {
        missing.push("path");
    }
    serde_json::json!({ "schema_version": 1, "settings": list, "missing": missing })
}
