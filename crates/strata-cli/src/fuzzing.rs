//! The invariants of the fuzz targets `targets` and `dsn` (the command line's two hand-written
//! parsers), as plain functions: `fuzz/fuzz_targets/<target>.rs` calls them under cargo-fuzz,
//! and the tests below replay every committed input (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`) on stable Rust. Not an API.

use crate::fleet::targets;
use crate::libpq::dsn;

/// The `<secret>\0<rest>` split of an input, when the secret is 8+ ASCII alphanumerics found
/// nowhere in `rest` (long enough not to occur by chance in fixed message text).
fn secret_and_rest(s: &str) -> Option<(&str, &str)> {
    let (secret, rest) = s.split_once('\0')?;
    (secret.len() >= 8
        && secret.bytes().all(|b| b.is_ascii_alphanumeric())
        && !rest.contains(secret)
        && !rest.contains('\0'))
    .then_some((secret, rest))
}

/// What a parsed list (or its refusal) shows a person: `Debug` of the targets with each shown
/// URL, name, group and origin, or the error's `Display` and `Debug`.
fn list_shown(text: &str) -> String {
    match targets::parse(text, "list") {
        Ok(list) => {
            let mut out = format!("{list:?}");
            for t in &list {
                out.push_str(&t.shown_url());
            }
            out
        }
        Err(e) => format!("{e} {e:?}"),
    }
}

/// Target `targets`: a targets list is parsed or refused, never panics, and a password in a
/// URL of it never shows. Input: `<secret>\0<rest>`; the password goes into a URL on a line of
/// its own before, after or in the middle of `rest`'s lines, and as `?password=` onto the URL
/// of `rest`'s first line.
/// Any other input is only parsed.
pub fn targets(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = list_shown(s);
    let Some((secret, rest)) = secret_and_rest(s) else {
        return;
    };
    let (first, others) = rest.split_once('\n').unwrap_or((rest, ""));
    // `?password=` goes on the URL itself, not after a label: a password the list's author
    // wrote into `group=` is that label's value, shown as written.
    let (word, labels) = first.split_once(char::is_whitespace).unwrap_or((first, ""));
    for text in [
        format!("postgres://u:{secret}@h/db\n{rest}"),
        format!("{rest}\npostgres://u:{secret}@h/db name=x"),
        format!("{first}\npostgres://u:{secret}@{others}"),
        format!("postgres://u:{secret}@{rest}"),
        format!("postgres://{word}?password={secret} {labels}\n{others}"),
    ] {
        let shown = list_shown(&text);
        assert!(
            !shown.contains(secret),
            "the password shows for list {text:?}: {shown}"
        );
    }
}

/// Target `dsn`: a libpq key=value string is parsed or refused, never panics, and a refusal
/// never quotes the password. Input: `<secret>\0<rest>`; the password is given as
/// `password=<secret>` (also quoted, and with its closing quote missing) before and after
/// `rest`. Any other input is only parsed, and what it parses to is turned into a URL.
pub fn dsn(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(pairs) = dsn::parse(s) {
        let _ = dsn::to_url(&pairs);
    }
    let _ = dsn::is_dsn(s);
    let Some((secret, rest)) = secret_and_rest(s) else {
        return;
    };
    for text in [
        format!("password={secret} {rest}"),
        format!("{rest} password={secret}"),
        format!("{rest} password='{secret}"),
        format!("password='{secret} {rest}"),
        format!("{rest} password = {secret}"),
    ] {
        if let Err(e) = dsn::parse(&text) {
            assert!(!e.contains(secret), "the password shows for {text:?}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use strata_testkit::fuzz::replay;

    #[test]
    fn fuzzing_targets_passes_on_every_committed_input() {
        assert!(replay("targets", super::targets) > 0);
    }

    #[test]
    fn fuzzing_dsn_passes_on_every_committed_input() {
        assert!(replay("dsn", super::dsn) > 0);
    }
}
