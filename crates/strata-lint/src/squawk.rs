//! squawk's rules on one script. squawk's byte ranges are relative to the text it parsed, which
//! is exactly `Script::sql`.
use crate::{LintOptions, Raw, RuleSource};
use squawk_linter::{Linter, Rule};
use strata_core::{Script, TxMode};

/// Whether `id` names a squawk rule.
pub(crate) fn is_rule(id: &str) -> bool {
    id.parse::<Rule>().is_ok() || id == "syntax-error"
}

/// Run squawk's default rules (minus `exclude`, plus `include`) on `script`.
pub(crate) fn check(script: &Script, options: &LintOptions) -> Vec<Raw> {
    let parse_ids =
        |ids: &[String]| -> Vec<Rule> { ids.iter().filter_map(|id| id.parse().ok()).collect() };
    // Strata sets the session's lock_timeout/statement_timeout itself (-ddl-lock-timeout,
    // MIGRATION_TIMEOUT), so squawk's timeout rules are opt-in here.
    let mut exclude = parse_ids(&options.exclude);
    for rule in [Rule::RequireLockTimeout, Rule::RequireStatementTimeout] {
        if !options
            .include
            .iter()
            .any(|id| *id == rule.to_string() || id == "require-timeout-settings")
        {
            exclude.push(rule);
        }
    }
    let mut linter = Linter::with_rules(&parse_ids(&options.include), &exclude);
    // Strata wraps a transactional migration in BEGIN/COMMIT itself: tell squawk, so rules such
    // as prefer-robust-stmts and ban-concurrent-index-creation-in-transaction judge the file as
    // it will run.
    linter.settings.assume_in_transaction = script.mode == TxMode::Transaction;
    let file = squawk_syntax::SourceFile::parse(&script.sql);
    let mut out: Vec<Raw> = Vec::new();
    if options.enabled("syntax-error", true) {
        out.extend(file.errors().iter().map(|e| {
            let start = usize::from(e.range().start());
            Raw {
                rule: "syntax-error".into(),
                source: RuleSource::Squawk,
                range: start..usize::from(e.range().end()).max(start),
                message: format!("squawk could not parse this: {}", e.message()),
                help: Some(
                    "squawk's rules may miss problems in this file; check the syntax, or exclude syntax-error if the server accepts it".into(),
                ),
            }
        }));
    }
    out.extend(linter.lint(&file, &script.sql).into_iter().map(|v| {
        let start = usize::from(v.text_range.start());
        Raw {
            rule: v.code.to_string(),
            source: RuleSource::Squawk,
            range: start..usize::from(v.text_range.end()).max(start),
            message: v.message,
            help: v.help,
        }
    }));
    out
}
