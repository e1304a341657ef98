use super::*;
use proptest::prelude::*;

fn p(s: &str) -> MysqlUrl {
    MysqlUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> MysqlUrlError {
    MysqlUrl::parse(s).expect_err(s)
}

fn tcp(host: &str, port: u16) -> MysqlAddress {
    MysqlAddress::Tcp {
        host: host.into(),
        port,
    }
}

#[test]
fn dsn_form_with_tcp_address() {
    let u = p("mysql://app:pw@tcp(db.example:3307)/shop");
    assert_eq!(u.scheme(), "mysql");
    assert_eq!((u.user(), u.password()), (Some("app"), Some("pw")));
    assert_eq!(u.address(), &tcp("db.example", 3307));
    assert_eq!(u.database(), "shop");
    assert_eq!(u.migrations_table(), "schema_migrations");
    assert!(!u.no_lock());
    assert_eq!(u.tls(), &MysqlTls::Disabled);
}

#[test]
fn plain_url_form_and_defaults() {
    assert_eq!(p("mysql://u:pw@db:3308/shop").address(), &tcp("db", 3308));
    assert_eq!(p("mariadb://u@db/shop").address(), &tcp("db", 3306));
    assert_eq!(p("MariaDB://u@db/shop").scheme(), "mariadb");
    assert_eq!(p("mysql://u@/shop").address(), &tcp("127.0.0.1", 3306));
    assert_eq!(p("mysql://u@tcp/shop").address(), &tcp("127.0.0.1", 3306));
    assert_eq!(p("mysql://u@tcp()/shop").address(), &tcp("127.0.0.1", 3306));
    assert_eq!(
        p("mysql://u@tcp([::1]:3310)/shop").address(),
        &tcp("::1", 3310)
    );
    assert_eq!(p("mysql://db/shop").user(), None);
}

#[test]
fn unix_socket_address() {
    assert_eq!(
        p("mysql://u:pw@unix(/run/mysqld/mysqld.sock)/shop").address(),
        &MysqlAddress::Unix("/run/mysqld/mysqld.sock".into())
    );
}

#[test]
fn user_and_password_are_percent_decoded_and_unencoded_reserved_tolerated() {
    let u = p("mysql://us%3Ar:p%40ss%2Fw@tcp(h:1)/d");
    assert_eq!((u.user(), u.password()), (Some("us:r"), Some("p@ss/w")));
    let u = p("mysql://u:p@s?s@tcp(h:1)/d?x-no-lock=1");
    assert_eq!(u.password(), Some("p@s?s"));
    assert!(u.no_lock());
}

#[test]
fn golang_migrate_parameters() {
    let u = p("mysql://u@h/d?x-migrations-table=versions&x-no-lock=true&x-statement-timeout=1500");
    assert_eq!(u.migrations_table(), "versions");
    assert!(u.no_lock());
    assert_eq!(u.statement_timeout(), Some(Duration::from_millis(1500)));
    assert_eq!(
        p("mysql://u@h/d?x-statement-timeout=0").statement_timeout(),
        None
    );
    assert_eq!(
        err("mysql://u@h/d?x-no-lock=maybe").to_string(),
        "unable to parse option x-no-lock: strconv.ParseBool: parsing \"maybe\": invalid syntax"
    );
    assert!(matches!(
        err("mysql://u@h/d?x-statement-timeout=soon"),
        MysqlUrlError::InvalidOption { .. }
    ));
    assert!(matches!(
        err("mysql://u@h/d?x-statement-timeout=-1"),
        MysqlUrlError::InvalidValue { .. }
    ));
    assert!(matches!(
        err("mysql://u@h/d?x-migrations-table="),
        MysqlUrlError::InvalidValue { .. }
    ));
    let long = "t".repeat(65);
    assert!(matches!(
        err(&format!("mysql://u@h/d?x-migrations-table={long}")),
        MysqlUrlError::InvalidValue { .. }
    ));
}

#[test]
fn tls_modes() {
    let tls = |q: &str| p(&format!("mysql://u@h/d?{q}")).tls().clone();
    assert_eq!(tls("tls=true"), MysqlTls::Verified);
    assert_eq!(tls("tls=false"), MysqlTls::Disabled);
    assert_eq!(tls("tls=skip-verify"), MysqlTls::SkipVerify);
    assert_eq!(tls("tls=preferred"), MysqlTls::Preferred);
    assert_eq!(
        tls("tls=custom&x-tls-ca=/ca.pem&x-tls-cert=/c.pem&x-tls-key=/k.pem&x-tls-insecure-skip-verify=true"),
        MysqlTls::Custom {
            name: "custom".into(),
            ca: "/ca.pem".into(),
            client: Some(("/c.pem".into(), "/k.pem".into())),
            insecure_skip_verify: true,
        }
    );
    assert_eq!(
        tls("tls=mine&x-tls-ca=/ca.pem"),
        MysqlTls::Custom {
            name: "mine".into(),
            ca: "/ca.pem".into(),
            client: None,
            insecure_skip_verify: false,
        }
    );
}

#[test]
fn tls_settings_that_need_each_other_are_refused() {
    for q in [
        "tls=custom",
        "tls=custom&x-tls-ca=/ca.pem&x-tls-cert=/c.pem",
        "tls=custom&x-tls-ca=/ca.pem&x-tls-key=/k.pem",
        "tls=true&x-tls-ca=/ca.pem",
        "x-tls-insecure-skip-verify=true",
    ] {
        let e = err(&format!("mysql://u@h/d?{q}"));
        assert!(matches!(e, MysqlUrlError::Tls(_)), "{q}: {e}");
        assert!(e.to_string().contains("x-tls-"), "{q}: {e}");
    }
    assert!(matches!(
        err("mysql://u@h/d?tls="),
        MysqlUrlError::InvalidValue { .. }
    ));
}

#[test]
fn unknown_and_repeated_parameters_are_refused_by_name() {
    let e = err("mysql://u:pw@h/d?x-unknown=1").to_string();
    assert!(e.starts_with("unknown parameter \"x-unknown\""), "{e}");
    let e = err("mysql://u:pw@h/d?sql_mode=ANSI").to_string();
    assert!(e.contains("\"sql_mode\""), "{e}");
    let e = err("mysql://u:pw@h/d?password=x").to_string();
    assert!(e.contains("\"password\"") && !e.contains("=x"), "{e}");
    let e = err("mysql://u@h/d?x-no-lock=1&x-no-lock=0").to_string();
    assert!(e.contains("\"x-no-lock\" is given twice"), "{e}");
    // Known go-sql-driver settings are kept for the driver.
    let u = p("mysql://u@h/d?parseTime=true&charset=utf8mb4");
    assert_eq!(
        u.driver_params(),
        [
            ("parseTime".to_string(), "true".to_string()),
            ("charset".to_string(), "utf8mb4".to_string())
        ]
    );
}

#[test]
fn malformed_addresses_are_refused_without_quoting() {
    assert!(matches!(
        err("mysql://u:pw@tcp(h:3306/d"),
        MysqlUrlError::Address(_)
    ));
    assert!(matches!(
        err("mysql://u:pw@udp(h)/d"),
        MysqlUrlError::Address(_)
    ));
    assert!(matches!(
        err("mysql://u:pw@tcp(h:99999)/d"),
        MysqlUrlError::BadPort
    ));
    assert!(matches!(
        err("mysql://u:pw@h:port/d"),
        MysqlUrlError::BadPort
    ));
    assert!(matches!(
        err("mysql://u:pw@tcp(h:3306)"),
        MysqlUrlError::NoDatabase
    ));
    assert!(matches!(
        err("mysql://u:pw@tcp(h)x/d"),
        MysqlUrlError::NoDatabase
    ));
    assert!(matches!(
        err("mysql://u:p%zz@h/d"),
        MysqlUrlError::BadEncoding("password")
    ));
    assert!(matches!(
        err("mysql://u@tcp(::1)/d"),
        MysqlUrlError::Address(_)
    ));
}

#[test]
fn a_password_run_into_another_part_is_refused_unshown() {
    for url in [
        "mysql://h/db&password=Hunter2x",
        "mysql://u@h/db?x-migrations-table=t?password=Hunter2x",
        "mysql://u@h/db?parseTime=true&x?password=Hunter2x",
    ] {
        let e = err(url);
        assert!(matches!(e, MysqlUrlError::SecretInValue(_)), "{url}: {e}");
        assert!(!format!("{e} {e:?}").contains("Hunter2x"), "{url}: {e}");
    }
}

/// The `url` fuzz target's invariant over MySQL shapes: a secret put where a password goes
/// (or run into another part) is never shown, for many `rest`s.
#[test]
fn fuzz_url_invariant_holds_for_mysql_shapes() {
    for rest in [
        "u@tcp(db:3306)/shop",
        "h/db",
        "h/db?tls=custom",
        "tcp(h:1)/d?x-tls-ca=/c&tls=x",
        "u:x@h/db?bogus=1",
        "@/",
        "x-migrations-table=a",
        "unix(/s)/d?charset=utf8",
        "h:99999/d",
        "?&=@:/()",
    ] {
        crate::fuzzing::url(format!("Zq8Wm3Kp9Lx2\0{rest}").as_bytes());
    }
}

#[test]
fn display_and_debug_redact_the_password() {
    let u = p("mysql://app:hunter2@tcp(h:3306)/d?tls=skip-verify");
    assert_eq!(
        u.to_string(),
        "mysql://app:***@tcp(h:3306)/d?tls=skip-verify"
    );
    let debug = format!("{u:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("***"), "{debug}");
}

#[test]
fn database_url_reads_mysql_urls_with_the_mysql_parser() {
    use crate::url::{Backend, DatabaseUrl};
    let u = DatabaseUrl::parse("mysql://u:pw@tcp(h:3306)/d").unwrap();
    assert_eq!(u.backend(), Backend::Mysql);
    assert_eq!(u.mysql().map(|m| m.database()), Some("d"));
    assert_eq!(u.to_string(), "mysql://u:***@tcp(h:3306)/d");
    let u = DatabaseUrl::parse("mariadb://u:pw@h/d").unwrap();
    assert_eq!((u.scheme(), u.database()), ("mariadb", Some("d")));
    assert_eq!(u.dialect(), strata_sql::Dialect::Mysql);
    let e = DatabaseUrl::parse("mysql://u:pw@h/d?bogus=1").unwrap_err();
    assert!(e.to_string().contains("unknown parameter \"bogus\""), "{e}");
}

/// Characters a password may hold, reserved ones included.
fn password() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "Z", "9", "@", ":", "/", "?", "&", "=", "#", "%", "(", ")", "[", "]", " ", "é",
            "%40", "%2", "+", ",", ";",
        ]),
        0..8,
    )
    .prop_map(|v| format!("Pw{}Xq", v.concat()))
}

fn url_around(password: &str) -> impl Strategy<Value = String> {
    let address = prop::sample::select(vec![
        "tcp(h:3306)",
        "tcp(h:x)",
        "tcp(h",
        "unix(/s)",
        "h:3306",
        "h:99999",
        "",
        "[::1",
    ]);
    let query = prop::collection::vec(
        prop::sample::select(vec![
            "x-no-lock=true",
            "x-no-lock=nah",
            "x-statement-timeout=-5",
            "x-migrations-table=",
            "tls=custom",
            "tls=custom&x-tls-ca=/c",
            "x-tls-cert=/c",
            "bogus=1",
            "parseTime=true",
            "a=b@c",
            "k",
            "x-no-lock=1&x-no-lock=1",
            "%zz",
        ]),
        0..3,
    );
    let password = password.to_string();
    (address, query, any::<bool>()).prop_map(move |(addr, q, db)| {
        let db = if db { "/db" } else { "" };
        let q = if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        };
        format!("mysql://user:{password}@{addr}{db}{q}")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn no_password_appears_in_any_error(
        (pw, url) in password().prop_flat_map(|pw| (Just(pw.clone()), url_around(&pw)))
    ) {
        for result in [
            MysqlUrl::parse(&url).map(|u| u.to_string()),
        ] {
            match result {
                Err(e) => {
                    let shown = format!("{e} {e:?}");
                    prop_assert!(!shown.contains(&pw), "{url} -> {shown}");
                }
                Ok(display) => prop_assert!(!display.contains(&pw), "{url} -> {display}"),
            }
        }
        if let Ok(u) = MysqlUrl::parse(&url) {
            let debug = format!("{u:?}");
            prop_assert!(!debug.contains(&pw), "{debug}");
        }
        if let Err(e) = crate::url::DatabaseUrl::parse(&url) {
            let shown = format!("{e} {e:?}");
            prop_assert!(!shown.contains(&pw), "{url} -> {shown}");
        }
    }
}
