//! Feeds arbitrary database URLs to the parser: never panics, and a password — in the user
//! info or as `password=` — never appears in an error, in `Display`, `Debug` or `redacted()`.
//!
//! Input: `<password>\0<rest>`; the URL tried is `postgres://u:<password>@<rest>` and
//! `<rest-as-url>?password=<password>`, and `<rest>` alone (no password, only no panic).
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_drivers::DatabaseUrl;

fn check(input: &str, secret: &str) {
    match DatabaseUrl::parse(input) {
        Ok(u) => {
            for shown in [u.to_string(), format!("{u:?}"), u.redacted()] {
                assert!(!shown.contains(secret), "{shown:?} shows {secret:?}");
            }
            if let Ok(t) = u.tables() {
                let _ = t;
            }
            let _ = (u.session_settings(), u.statement_timeout(), u.sqlite_path());
        }
        Err(e) => {
            let text = format!("{e} {e:?}");
            assert!(!text.contains(secret), "{text:?} shows {secret:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = DatabaseUrl::parse(s).map(|u| u.to_string());
    let Some((secret, rest)) = s.split_once('\0') else {
        return;
    };
    // A password-like secret: long enough not to occur by chance in fixed message text, and
    // made of characters that need no percent-encoding.
    if secret.len() < 8
        || !secret.bytes().all(|b| b.is_ascii_alphanumeric())
        || rest.contains(secret)
        || rest.contains('\0')
    {
        return;
    }
    check(&format!("postgres://u:{secret}@{rest}"), secret);
    check(&format!("postgres://{rest}?password={secret}"), secret);
    check(&format!("postgres://u:{secret}@h/db?{rest}"), secret);
});
