//! Keeping passwords out of every output: redacted display, best-effort redaction of URLs that
//! do not parse, the ranges of a command line that hold a secret, and refusing secrets in the
//! wrong place.

use super::{DatabaseUrl, UrlError};
use percent_encoding::percent_decode_str;
use std::fmt;

/// Query keys whose value is a secret.
pub(super) const SECRET_KEYS: &[&str] = &["password", "sslpassword"];

/// Byte offset just past the first `password=` / `sslpassword=` (any case) in `s` that starts
/// a key: at the start or after a character that cannot be part of a key name (`?`, `&`, a
/// space...). Everything from there on is treated as a secret.
pub(super) fn secret_after(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut best: Option<usize> = None;
    for key in SECRET_KEYS {
        let mut from = 0;
        while let Some(i) = lower[from..].find(key).map(|i| i + from) {
            let end = i + key.len();
            let starts_key = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
            if starts_key && b.get(end) == Some(&b'=') {
                let cut = end + 1;
                best = Some(best.map_or(cut, |c: usize| c.min(cut)));
                break;
            }
            from = i + 1;
        }
    }
    best
}

/// Whether `s` (a part that is not itself a password) holds a password-like key, raw or
/// percent-decoded.
pub(super) fn holds_secret_key(s: &str) -> bool {
    secret_after(s).is_some() || secret_after(&percent_decode_str(s).decode_utf8_lossy()).is_some()
}

/// `s` with everything after a password-like key replaced by `***`.
fn mask_secret_tail(s: &str) -> String {
    match secret_after(s) {
        Some(cut) => format!("{}***", &s[..cut]),
        None if secret_after(&percent_decode_str(s).decode_utf8_lossy()).is_some() => {
            "***".to_string()
        }
        None => s.to_string(),
    }
}

/// A query value as it may appear in an error message. A value holding `=`, `?`, `&` or `@` is
/// not shown: it is most likely two parameters run together (`?sslmode=require?password=...`,
/// a second `?` for `&`), and the rest may be a password.
pub(super) fn shown(v: &str) -> String {
    if v.contains(['=', '?', '&', '@']) {
        "(not shown: it holds '=', '?', '&' or '@'; use '&' between parameters)".to_string()
    } else {
        v.to_string()
    }
}

/// [`shown`], quoted like Go's `%q` when shown.
pub(super) fn quoted(v: &str) -> String {
    let s = shown(v);
    if s == v {
        format!("{v:?}")
    } else {
        s
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.mysql {
            return m.fmt(f);
        }
        write!(f, "{}://", self.scheme)?;
        if self.user_raw.is_some() || self.password.is_some() {
            if let Some(u) = &self.user_raw {
                f.write_str(&mask_secret_tail(u))?;
            }
            if self.password.is_some() && self.param("password").is_none() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&mask_secret_tail(&self.hosts_raw))?;
        f.write_str(&mask_secret_tail(&self.path_raw))?;
        if !self.query_raw.is_empty() {
            f.write_str("?")?;
            f.write_str(&redact_query(&self.query_raw))?;
        }
        Ok(())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Best-effort redaction of a URL string that may not parse (for messages about a URL that
/// was refused): the user info's password and any `password=` query value become `***`.
///
/// ```
/// use strata_drivers::url::redact;
/// assert_eq!(redact("postgres://u:p@ss@h:x/db"), "postgres://u:***@h:x/db");
/// assert_eq!(redact("postgres://h/db?password=s3cret&a=1"), "postgres://h/db?password=***&a=1");
/// ```
pub fn redact(raw: &str) -> String {
    let Some(sep) = raw.find("://") else {
        // No scheme: we cannot tell where a password is; show nothing of it.
        return if raw.contains('@') || raw.contains(':') {
            "<database URL>".to_string()
        } else {
            raw.to_string()
        };
    };
    let (head, rest) = raw.split_at(sep + 3);
    let first_q = rest.find('?').unwrap_or(rest.len());
    let mut at = rest[..first_q].rfind('@');
    if let Some(last_at) = rest.rfind('@') {
        if last_at > first_q {
            let between = &rest[first_q..last_at];
            if !between.contains('=') && !between.contains('&') {
                at = Some(last_at);
            }
        }
    }
    let (info, after) = match at {
        Some(i) => {
            let info = &rest[..i];
            let user = info.split_once(':').map(|(u, _)| u);
            let shown = match user {
                Some(u) => format!("{u}:***@"),
                None => format!("{info}@"),
            };
            (shown, &rest[i + 1..])
        }
        None => (String::new(), rest),
    };
    match after.split_once('?') {
        Some((before, q)) => format!(
            "{head}{info}{}?{}",
            mask_secret_tail(before),
            redact_query(q)
        ),
        None => format!("{head}{info}{}", mask_secret_tail(after)),
    }
}

/// Where the user info of a URL's part after `scheme://` ends (the index of its `@`), if it has
/// one: normally the last `@` before the query. A password containing an unencoded `?` puts its
/// `@` after the first `?`; that is told apart from a query value containing `@`
/// (`application_name=me@host`) by the absence of `=`/`&` between the `?` and the `@`. The
/// parser and [`secret_ranges`] share it, so what is redacted is what was parsed as secret.
pub(super) fn userinfo_end(rest: &str) -> Option<usize> {
    let first_q = rest.find('?').unwrap_or(rest.len());
    let before_query = rest[..first_q].rfind('@');
    match rest.rfind('@') {
        Some(last_at) if last_at > first_q => {
            let between = &rest[first_q..last_at];
            if between.contains('=') || between.contains('&') {
                before_query
            } else {
                Some(last_at)
            }
        }
        _ => before_query,
    }
}

/// Byte ranges of `raw` (a database URL as typed, possibly after `-database=`, possibly
/// malformed) that hold a secret: the password of the user info, and every value after a
/// password-like key (`password=`, `sslpassword=`, also inside another value) up to the next
/// `&`. For overwriting a command line in place; the ranges do not overlap.
///
/// ```
/// use strata_drivers::url::secret_ranges;
/// let url = "postgres://u:pw@h/db?host=h?password=s3&a=1";
/// let r = secret_ranges(url);
/// assert_eq!(r.iter().map(|r| &url[r.clone()]).collect::<Vec<_>>(), ["pw", "s3"]);
/// ```
pub fn secret_ranges(raw: &str) -> Vec<std::ops::Range<usize>> {
    let Some(sep) = raw.find("://") else {
        return Vec::new();
    };
    let base = sep + 3;
    let rest = &raw[base..];
    let at = userinfo_end(rest);
    let mut out = Vec::new();
    let mut from = 0;
    if let Some(i) = at {
        if let Some(colon) = rest[..i].find(':') {
            if colon + 1 < i {
                out.push(base + colon + 1..base + i);
            }
        }
        from = i + 1;
    }
    while let Some(cut) = secret_after(&rest[from..]) {
        let start = from + cut;
        let end = rest[start..].find('&').map_or(rest.len(), |e| start + e);
        if end > start {
            out.push(base + start..base + end);
        }
        from = end;
        if from >= rest.len() {
            break;
        }
    }
    out
}

fn redact_query(q: &str) -> String {
    // A second `?` where `&` was meant (`?sslmode=require?password=x`) still hides a password:
    // within each piece, everything after a password-like key is masked.
    q.split('&').map(redact_piece).collect::<Vec<_>>().join("&")
}

fn redact_piece(piece: &str) -> String {
    let key = piece.split_once('=').map_or(piece, |(k, _)| k);
    let key_dec = percent_decode_str(&key.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned();
    if SECRET_KEYS.iter().any(|s| key_dec.eq_ignore_ascii_case(s)) {
        format!("{key}=***")
    } else {
        mask_secret_tail(piece)
    }
}

/// Refuse a query whose keys or non-secret values hold a password-like key: the value after it
/// would be shown as a host, user, path or setting.
pub(super) fn refuse_secrets_in_query(query: &[(String, String)]) -> Result<(), UrlError> {
    for (k, v) in query {
        // Exact names: the connector reads only these (`Password` is a session setting).
        let secret_key = SECRET_KEYS.contains(&k.as_str());
        if !secret_key && secret_after(&format!("{k}=")).is_some() {
            return Err(UrlError::SecretInValue("query".into()));
        }
        if !secret_key && secret_after(v).is_some() {
            let part = if k.contains(['=', '?', '&', '@']) || !k.is_ascii() {
                "query".to_string()
            } else {
                format!("parameter {k}")
            };
            return Err(UrlError::SecretInValue(part));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::test_fixtures::*;

    #[test]
    fn errors_never_contain_the_password() {
        let cases = [
            "postgres://u:p@ss@h:notaport/db",
            "postgres://u:hunter2secret@h:99999/db",
            "postgres://u:hunter2secret@h:/db",
            "postgres://u:hunter2%zzsecret@h/db",
            "postgres://u:hunter2secret@[::1/db",
            "postgres://u:hunter2secret@h/db?sslmode=bogus",
            "postgres://u:hunter2secret@h/db?x-multi-statement=maybe",
            "postgres://u:hunter2secret@h/db?x-migrations-table=a.b&x-migrations-table-quoted=1",
            "postgres://u:hunter2?secret@h:x/db",
            "postgres://u:hunter2/secret@h:x/db",
            "postgres://u:hunter2#secret@h:x/db",
            "mysql://u:hunter2secret@tcp(h:99999)/db",
            "mysql://u:hunter2secret@tcp(h:3306)/db?tls=custom",
            "u:hunter2secret@h/db",
            "post gres://u:hunter2secret@h/db",
            "pg:hunter2secret@h://",
            // Found by `fuzz/fuzz_targets/url.rs`: a second `?` for `&` put the password into
            // the sslmode value, which the error quoted.
            "postgres://h/db?sslmode=require?password=hunter2secret",
            "postgres://h/db?connect_timeout=5?password=hunter2secret",
            "postgres://h/db?x-multi-statement=true?password=hunter2secret",
            "postgres://h/db?x-migrations-table=a?password=hunter2secret&x-migrations-table-quoted=1",
        ];
        for c in cases {
            let e = DatabaseUrl::parse(c).expect_err(c).to_string();
            for secret in ["hunter2", "secret", "p@ss", "ss@h"] {
                assert!(!e.contains(secret), "{c} -> {e}");
            }
        }
        assert_eq!(
            err("postgres://u:p@ss@h:notaport/db"),
            UrlError::InvalidPort.to_string()
        );
    }

    #[test]
    fn a_password_key_inside_another_value_is_refused_unshown() {
        let cases = [
            (
                "postgres://h/db?host=h?password=hunter2secret",
                "parameter host",
            ),
            (
                "postgres://h/db?user=u?password=hunter2secret",
                "parameter user",
            ),
            (
                "postgres://h/db?sslrootcert=/x?password=hunter2secret",
                "parameter sslrootcert",
            ),
            (
                "postgres://h/db?search_path=app?password=hunter2secret",
                "parameter search_path",
            ),
            (
                "postgres://h/db?application_name=a?SSLPassword=hunter2secret",
                "parameter application_name",
            ),
            (
                "postgres://h/db?sslmode=disable?password%3Dhunter2secret",
                "parameter sslmode",
            ),
            ("postgres://h/db?a?password=hunter2secret", "query"),
            // Fuzz finding: the `@` after `?` made `x&sslpassword=...` the host section.
            ("postgres://u@[::1]:1/?@x&sslpassword=hunter2secret", "host"),
            ("postgres://h/db&password=hunter2secret", "database name"),
            ("sqlite://app.db&password=hunter2secret", "path"),
        ];
        for (c, part) in cases {
            let e = err(c);
            assert!(!e.contains("hunter2"), "{c} -> {e}");
            assert_eq!(e, UrlError::SecretInValue(part.into()).to_string(), "{c}");
            assert!(!redact(c).contains("hunter2"), "{c} -> {}", redact(c));
        }
        // Keys merely containing the word are fine.
        let u = p("postgres://h/db?options=-c%20password_encryption=scram-sha-256&application_name=password");
        assert_eq!(u.application_name(), Some("password"));
    }

    #[test]
    fn password_query_parameter_is_redacted() {
        let u = p("postgres://bob@h/db?password=t0psecret&sslmode=disable");
        assert_eq!(u.password(), Some("t0psecret"));
        assert_eq!(
            u.to_string(),
            "postgres://bob@h/db?password=***&sslmode=disable"
        );
        assert!(!format!("{u:?}").contains("t0psecret"));
        assert!(u.session_settings().is_empty());
    }

    #[test]
    fn redact_strings_that_do_not_parse() {
        assert_eq!(
            redact("postgres://u:p@ss@h:notaport/db"),
            "postgres://u:***@h:notaport/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("u:secret@h"), "<database URL>");
        assert_eq!(redact("pg://h/db?password=x"), "pg://h/db?password=***");
    }

    #[test]
    fn secret_ranges_cover_every_password_of_a_typed_url() {
        let masked = |raw: &str| {
            let mut b = raw.as_bytes().to_vec();
            for r in secret_ranges(raw) {
                b[r].fill(b'*');
            }
            String::from_utf8(b).unwrap()
        };
        assert_eq!(masked("postgres://u:pw@h/db"), "postgres://u:**@h/db");
        assert_eq!(
            masked("-database=postgres://u:p@ss@h/db?sslmode=disable"),
            "-database=postgres://u:****@h/db?sslmode=disable"
        );
        assert_eq!(
            masked("postgres://h/db?host=h?password=s3&sslpassword=k&a=1"),
            "postgres://h/db?host=h?password=**&sslpassword=*&a=1"
        );
        // The parser's reading: the last `@` ends the user info, so `:1]:1/?` is a password.
        assert_eq!(
            masked("postgres://u@[::1]:1/?@x&sslpassword=abc"),
            "postgres://u@[:*******@x&sslpassword=***"
        );
        assert_eq!(masked("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(masked("migrations"), "migrations");
    }
}
