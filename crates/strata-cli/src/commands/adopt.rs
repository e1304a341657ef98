//! `adopt --from TOOL`: import another tool's tracking table into the ledger. The decisions
//! live in `strata_core::adopt`; this only parses and prints.

use super::{migrator, open_with_source};
use crate::settings::Settings;
use crate::CliError;
use strata_core::adopt::{AdoptRequest, Tool};

/// `adopt --from TOOL [--table NAME] [--ignore-unmatched] [--force]`.
pub fn adopt(
    settings: &Settings,
    from: &str,
    table: Option<&str>,
    ignore_unmatched: bool,
    force: bool,
) -> Result<(), CliError> {
    let tool = Tool::parse(from).ok_or_else(|| {
        let names: Vec<&str> = Tool::ALL.iter().map(|t| t.as_str()).collect();
        CliError::Usage(format!(
            "unknown tool {from:?} for --from (one of: {})",
            names.join(", ")
        ))
    })?;
    let (mut target, source) = open_with_source(settings)?;
    let compat_table = target
        .url
        .tables()
        .map_err(|e| CliError::Failed(e.to_string()))?
        .compat;
    let request = AdoptRequest {
        tool,
        table: table.map(str::to_string),
        compat_table,
        force,
        ignore_unmatched,
    };
    let done = migrator(&mut target, &source, settings).adopt(&request);
    super::print_warnings(&mut target);
    let done = done?;
    for row in &done.unmatched {
        errln!(
            "warning: left out row {:?} of {} (it matches no migration file)",
            row.key,
            done.table
        );
    }
    for v in &done.kept {
        errln!("{v} was already in the ledger; kept as it was");
    }
    for v in &done.adopted {
        let name = source.get(*v).map(|m| m.name.as_str()).unwrap_or_default();
        errln!("adopted {v} ({})", strata_core::printable::printable(name));
    }
    errln!(
        "adopt from {} ({}): {} migration(s) recorded as applied (none run; {} left as it is)",
        tool.as_str(),
        done.table,
        done.adopted.len(),
        done.table
    );
    Ok(())
}
