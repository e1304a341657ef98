//! Connecting: TLS modes, password handling, and the errors people see.

use crate::support::{driver, driver_with, pg};
use strata_core::{Driver, DriverError, Fix};
use strata_drivers::postgres::PostgresDriver;
use strata_drivers::{ConnectOptions, DatabaseUrl};

fn connect(url: &str) -> Result<PostgresDriver<'static>, DriverError> {
    PostgresDriver::connect(
        &DatabaseUrl::parse(url).unwrap(),
        &ConnectOptions::default(),
    )
}

fn uses_tls(d: &mut PostgresDriver) -> bool {
    d.client()
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0)
}

fn connect_error(e: DriverError) -> (String, Option<Fix>) {
    match e {
        DriverError::Connect { message, fix, .. } => (message, fix),
        other => panic!("expected a connect error, got {other:?}"),
    }
}

/// The TLS tests need the testkit's own cluster (it knows the CA).
macro_rules! tls_ca {
    ($db:expr) => {
        match $db.server().and_then(|s| s.tls_ca()) {
            Some(ca) => ca.display().to_string(),
            None => {
                eprintln!("skipped: the test server has no testkit TLS certificate");
                return;
            }
        }
    };
}

#[test]
fn sslmode_require_connects_to_a_self_signed_server() {
    let db = pg!();
    let _ = tls_ca!(db);
    let mut d = driver(&db, "sslmode=require");
    assert!(uses_tls(&mut d));
    let mut d = driver(&db, "");
    assert!(
        uses_tls(&mut d),
        "prefer (the default) uses TLS when offered"
    );
    let mut d = driver(&db, "sslmode=disable");
    assert!(!uses_tls(&mut d));
    let require = ConnectOptions {
        require_tls: true,
        ..Default::default()
    };
    let mut d = driver_with(&db, "", &require);
    assert!(
        uses_tls(&mut d),
        "DATABASE_SSL=true makes a URL without sslmode require TLS"
    );
    let mut d = driver_with(&db, "sslmode=disable", &require);
    assert!(
        !uses_tls(&mut d),
        "the URL's own sslmode=disable wins over DATABASE_SSL=true"
    );
}

#[test]
fn verify_full_refuses_a_wrong_host_name() {
    let db = pg!();
    let ca = tls_ca!(db);
    // The certificate names `localhost`; the test URL says 127.0.0.1.
    let err = connect(&db.url_with(&format!("sslmode=verify-full&sslrootcert={ca}"))).unwrap_err();
    let (message, hint) = connect_error(err);
    assert!(message.contains("TLS handshake failed"), "{message}");
    assert!(!message.contains('\n'));
    assert_eq!(hint, Some(Fix::CertificateName), "{message}");
    // verify-ca checks the chain only; verify-full by the right name works.
    let mut d = connect(&db.url_with(&format!("sslmode=verify-ca&sslrootcert={ca}"))).unwrap();
    assert!(uses_tls(&mut d));
    let by_name = db
        .url_with(&format!("sslmode=verify-full&sslrootcert={ca}"))
        .replace("127.0.0.1", "localhost");
    let mut d = connect(&by_name).unwrap();
    assert!(uses_tls(&mut d));
}

#[test]
fn verify_full_needs_a_ca() {
    let db = pg!();
    let _ = tls_ca!(db);
    if std::env::var_os("HOME").is_some_and(|h| {
        std::path::Path::new(&h)
            .join(".postgresql/root.crt")
            .exists()
    }) {
        return;
    }
    let (message, _) = connect_error(connect(&db.url_with("sslmode=verify-full")).unwrap_err());
    assert!(message.contains("sslrootcert"), "{message}");
}

#[test]
fn password_authentication_works_and_a_wrong_password_is_never_shown() {
    let db = pg!();
    let Some((user, password)) = db.server().and_then(|s| s.password_role()) else {
        eprintln!("skipped: no password role on this server");
        return;
    };
    let mut d = connect(&db.url_as(user, Some(password))).unwrap();
    d.read_state().unwrap();

    let wrong = "Wr0ng-p@ss/word?";
    let url = db.url_as(user, Some(wrong));
    let err = connect(&url).unwrap_err();
    let shown = format!("{err} {err:?}");
    let (message, hint) = connect_error(err);
    assert!(
        message.contains("password authentication failed for user \"strata_pw\""),
        "{message}"
    );
    assert_eq!(
        hint,
        Some(Fix::CheckPassword {
            user: "strata_pw".into()
        })
    );
    for leak in [wrong, "Wr0ng", "p@ss"] {
        assert!(!shown.contains(leak), "{shown}");
    }
    let parsed = DatabaseUrl::parse(&url).unwrap();
    assert!(!parsed.to_string().contains("Wr0ng") && !format!("{parsed:?}").contains("Wr0ng"));
}

#[test]
fn connection_refused_is_one_line_with_a_hint() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = connect(&format!(
        "postgres://bob:Sup3rSecret@127.0.0.1:{port}/db?sslmode=disable"
    ))
    .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the client's error is kept as the source"
    );
    let (message, hint) = connect_error(err);
    assert_eq!(
        message,
        format!("cannot connect to 127.0.0.1:{port} as user \"bob\" (sslmode=disable): connection refused")
    );
    assert_eq!(hint, Some(Fix::StartServer));
    assert!(!shown.contains("Sup3rSecret"));
}

#[test]
fn a_connection_reset_during_start_up_says_so_and_to_retry() {
    // A server that takes the connection and drops it with the client's start-up message
    // unread: the kernel answers with a reset, as a server going down or coming up does.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 1];
        stream.peek(&mut buf).unwrap();
        drop(stream);
    });
    let err = connect(&format!(
        "postgres://bob:Sup3rSecret@127.0.0.1:{port}/db?sslmode=disable"
    ))
    .unwrap_err();
    server.join().unwrap();
    let (message, hint) = connect_error(err);
    assert_eq!(
        message,
        format!("cannot connect to 127.0.0.1:{port} as user \"bob\" (sslmode=disable): connection reset by peer")
    );
    assert_eq!(hint, Some(Fix::WaitForServerStart));
}

#[test]
fn unknown_database_says_so() {
    let db = pg!();
    let url = db.url.replace(&db.name, "no_such_db_here");
    let (message, hint) = connect_error(connect(&url).unwrap_err());
    assert!(
        message.ends_with("database \"no_such_db_here\" does not exist"),
        "{message}"
    );
    assert_eq!(
        hint,
        Some(Fix::CreateDatabase {
            database: "no_such_db_here".into()
        })
    );
}

#[test]
fn application_name_is_set() {
    let db = pg!();
    let mut d = driver(&db, "");
    let name: String = d
        .client()
        .query_one("SHOW application_name", &[])
        .unwrap()
        .get(0);
    assert_eq!(name, "strata");
    let mut d = driver(&db, "application_name=deploy-42");
    let name: String = d
        .client()
        .query_one("SHOW application_name", &[])
        .unwrap()
        .get(0);
    assert_eq!(name, "deploy-42");
}

#[test]
fn connect_goes_through_the_url_match() {
    let db = pg!();
    let url = DatabaseUrl::parse(&db.url_with("x-unknown-option=1")).unwrap();
    let mut d = strata_drivers::connect(&url, &ConnectOptions::default()).unwrap();
    assert_eq!(d.dialect(), strata_sql::Dialect::Postgres);
    d.ensure_tables().unwrap();
}

#[test]
fn unix_socket_hosts_connect() {
    let db = pg!();
    let Some(cluster) = db.server().and_then(|s| s.cluster.clone()) else {
        eprintln!("skipped: the socket directory of STRATA_TEST_DATABASE_URL's server is unknown");
        return;
    };
    let dir = cluster.data_dir.display().to_string();
    let port = cluster.port;
    // Percent-encoded path in the host part...
    let encoded = dir.replace('/', "%2F");
    let mut d = connect(&format!("postgres://postgres@{encoded}:{port}/{}", db.name)).unwrap();
    let addr: Option<String> = d
        .client()
        .query_one("SELECT inet_client_addr()::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(addr, None, "a Unix socket has no client address");
    // ...or a `host=` query parameter.
    let mut d = connect(&format!(
        "postgres://postgres@/{}?host={dir}&port={port}",
        db.name
    ))
    .unwrap();
    d.read_state().unwrap();
}
