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

/// A password that neither contains `secret` nor is contained in it.
fn other_password(secret: &str) -> &'static str {
    if secret.contains('Q') {
        "Zz0Zz0Zz0"
    } else {
        "QQQQQQQQQ"
    }
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
    let shapes: [&dyn Fn(&str) -> String; 5] = [
        &|pw| format!("postgres://u:{pw}@h/db\n{rest}"),
        &|pw| format!("{rest}\npostgres://u:{pw}@h/db name=x"),
        &|pw| format!("{first}\npostgres://u:{pw}@{others}"),
        &|pw| format!("postgres://u:{pw}@{rest}"),
        &|pw| format!("postgres://{word}?password={pw} {labels}\n{others}"),
    ];
    // A secret that is also fixed text (`postgres`, a line's `list:1`) shows whatever the
    // password: only what another password does not show counts.
    let other = other_password(secret);
    for shape in shapes {
        let text = shape(secret);
        let shown = list_shown(&text);
        if shown.contains(secret) && !list_shown(&shape(other)).contains(secret) {
            panic!("the password shows for list {text:?}: {shown}");
        }
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
    let shapes: [&dyn Fn(&str) -> String; 5] = [
        &|pw| format!("password={pw} {rest}"),
        &|pw| format!("{rest} password={pw}"),
        &|pw| format!("{rest} password='{pw}"),
        &|pw| format!("password='{pw} {rest}"),
        &|pw| format!("{rest} password = {pw}"),
    ];
    let refusal = |text: &str| dsn::parse(text).err().unwrap_or_default();
    let other = other_password(secret);
    for shape in shapes {
        let text = shape(secret);
        let e = refusal(&text);
        // Fixed text of a message (`connection`) counts only if another password hides it.
        if e.contains(secret) && !refusal(&shape(other)).contains(secret) {
            panic!("the password shows for {text:?}: {e}");
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
