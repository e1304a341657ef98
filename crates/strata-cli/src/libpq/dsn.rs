//! libpq's key=value connection strings (`host=db port=5432 dbname=app`), turned into the
//! equivalent `postgres://?host=db&port=5432&dbname=app` URL that the URL parser understands.
//!
//! tokio-postgres' `Config::from_str` parses this form too, but it refuses keys and values
//! Strata supports (`sslrootcert`, `sslmode=verify-full`, `service`) and its parser is not
//! public, so the quoting rules are applied here: values may be single-quoted, and `\'` and
//! `\\` escape inside them.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

/// Whether `s` looks like a key=value connection string rather than a URL.
pub fn is_dsn(s: &str) -> bool {
    let s = s.trim();
    !s.contains("://")
        && s.split_whitespace().next().is_some_and(|w| {
            w.split_once('=')
                .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(is_key_char))
        })
}

/// Characters of a libpq keyword.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The pairs of a connection string. Err: what is wrong (never quoting a value).
pub fn parse(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            // The word is not quoted: a mistyped password could be split into words.
            return Err(format!(
                "setting {} has no = value (quote values holding spaces: key='a b')",
                pairs.len() + 1
            ));
        }
        if !key.chars().all(is_key_char) {
            return Err(format!(
                "setting {} does not start with a connection keyword",
                pairs.len() + 1
            ));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(format!("the quoted value of {key} has no closing quote")),
                    Some('\'') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => {
                            return Err(format!("the quoted value of {key} has no closing quote"))
                        }
                    },
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

/// `postgres://?k=v&...`, every value percent-encoded.
pub fn to_url(pairs: &[(String, String)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("postgres://?{}", query.join("&"))
}

/// Percent-encode everything but letters and digits (a `+` would read as a space).
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libpq_quoting() {
        assert!(is_dsn("host=db dbname=app"));
        assert!(!is_dsn("postgres://u@h/db?x=1"));
        assert!(!is_dsn("app.db"));
        assert!(!is_dsn("sqlite:app.db?x=1"));
        let pairs = parse(r"host=db  port = 5433 password='a b\'c' dbname=x\ y").unwrap();
        assert_eq!(
            pairs,
            [
                ("host".to_string(), "db".to_string()),
                ("port".into(), "5433".into()),
                ("password".into(), "a b'c".into()),
                ("dbname".into(), "x y".into()),
            ]
        );
        assert_eq!(to_url(&pairs[..2]), "postgres://?host=db&port=5433");
        assert!(parse("host").unwrap_err().contains("no = value"));
        let e = parse("password=a secret").unwrap_err();
        assert!(
            e.contains("setting 2 has no = value") && !e.contains("secret"),
            "{e}"
        );
        let e = parse("password='secret").unwrap_err();
        assert!(
            e.contains("no closing quote") && !e.contains("secret"),
            "{e}"
        );
    }

    proptest::proptest! {
        /// Any connection string parses or is refused, never panics, and a refusal never
        /// quotes the password.
        #[test]
        fn any_string_is_parsed_or_refused_without_quoting_the_password(
            before in "[^\\x00]{0,40}",
            after in "[^\\x00]{0,40}",
            secret in "[A-Za-z0-9]{8,16}",
        ) {
            proptest::prop_assume!(!before.contains(&secret) && !after.contains(&secret));
            if let Err(e) = parse(&format!("{before} password={secret} {after}")) {
                proptest::prop_assert!(!e.contains(&secret), "{e}");
            }
        }
    }
}
