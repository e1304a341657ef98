//! TLS to a real MariaDB: a private server given a certificate signed by a test CA (made here
//! with the `openssl` command), and a user that the server lets in over TLS only. Skipped
//! without a server or without `openssl` (fails under `CI=true`).

use crate::support::Project;
use std::path::Path;
use std::process::Command;
use strata_testkit::mariadb::{self, MariaDb, TestMariaDb};

const SECRET: &str = "Tls-0nly-s3cret";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a server certificate it signed for 127.0.0.1 (rustls checks the IP address).
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=strata test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
    for f in ["ca.pem", "server.pem", "server.key"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
}

#[test]
fn mysql_tls_with_the_ca_connects_and_plain_text_or_an_unknown_ca_is_refused() {
    if TestMariaDb::new().is_none() {
        return;
    }
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl is missing"
        );
        eprintln!("skipped: no openssl");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = mariadb::private(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    struct Stop<'a>(&'a MariaDb);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let _ = self.0.shut_down();
        }
    }
    let _stop = Stop(&server);
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    certificates(&certs);
    server.shut_down().unwrap();
    let file = |f: &str| certs.join(f).display().to_string();
    server
        .start_again_with(&[
            format!("--ssl-ca={}", file("ca.pem")),
            format!("--ssl-cert={}", file("server.pem")),
            format!("--ssl-key={}", file("server.key")),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    server
        .admin(&format!(
            "CREATE DATABASE t; CREATE USER 'tls'@'%' IDENTIFIED BY '{SECRET}' REQUIRE SSL; \
             GRANT ALL ON t.* TO 'tls'@'%';"
        ))
        .unwrap();
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    let url = format!("mysql://tls:{SECRET}@tcp(127.0.0.1:{})/t", server.port);

    // Without TLS the server refuses the user: proof that the later runs used TLS.
    let plain = p.run_on(&url, &["up"]);
    assert_ne!(plain.code, 0, "{}", plain.stderr);
    plain.never_shows(SECRET);
    plain.stderr_has("Access denied for user 'tls'");
    // The system's roots do not know the test CA: verification fails.
    let unknown = p.run_on(&format!("{url}?tls=true"), &["up"]);
    assert_ne!(unknown.code, 0, "{}", unknown.stderr);
    unknown.never_shows(SECRET);
    unknown
        .stderr_has("TLS: invalid peer certificate: UnknownIssuer")
        .stderr_has("x-tls-ca");
    // With the CA named, the certificate is verified and the run succeeds.
    let ca = format!("{url}?tls=custom&x-tls-ca={}", file("ca.pem"));
    p.run_on(&ca, &["up"]).ok().never_shows(SECRET);
    p.run_on(&ca, &["version"]).ok().stdout_has("1");
    // skip-verify: encrypted, certificate not checked.
    p.run_on(&format!("{url}?tls=skip-verify"), &["version"])
        .ok()
        .stdout_has("1");
    assert_eq!(
        server
            .admin("SELECT version, dirty FROM t.schema_migrations")
            .unwrap()
            .trim(),
        "1\t0"
    );
}
