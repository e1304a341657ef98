//! Which server runs the DDL, from its `VERSION()`.

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// Oracle MySQL.
    Mysql,
    /// MariaDB.
    Mariadb,
}

/// A server and its version, as `SELECT VERSION()` tells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Server {
    /// MySQL or MariaDB.
    pub flavor: Flavor,
    /// Major, minor, patch.
    pub version: (u16, u16, u16),
}

impl Server {
    /// Read `VERSION()`'s answer: `8.0.36`, `10.11.6-MariaDB-0+deb12u1`, or the replication
    /// form `5.5.5-10.11.6-MariaDB`. `None` when it holds no version.
    ///
    /// ```
    /// use strata_sql::{Flavor, Server};
    /// let s = Server::parse("5.5.5-10.11.6-MariaDB-0+deb12u1").unwrap();
    /// assert_eq!((s.flavor, s.version), (Flavor::Mariadb, (10, 11, 6)));
    /// ```
    pub fn parse(version: &str) -> Option<Server> {
        let mariadb = version.to_ascii_lowercase().contains("mariadb");
        let v = if mariadb {
            version.strip_prefix("5.5.5-").unwrap_or(version)
        } else {
            version
        };
        let numbers: Vec<u16> = v
            .split(|c: char| !c.is_ascii_digit() && c != '.')
            .next()?
            .split('.')
            .map(|n| n.parse().ok())
            .collect::<Option<_>>()?;
        let at = |i: usize| numbers.get(i).copied().unwrap_or(0);
        Some(Server {
            flavor: if mariadb {
                Flavor::Mariadb
            } else {
                Flavor::Mysql
            },
            version: (at(0), at(1), at(2)),
        })
    }
}
