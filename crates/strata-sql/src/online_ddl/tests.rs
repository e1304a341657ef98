use super::*;
use Algorithm::*;

const MYSQL_8_0_11: Server = Server {
    flavor: Flavor::Mysql,
    version: (8, 0, 11),
};
const MYSQL_8_0_28: Server = Server {
    flavor: Flavor::Mysql,
    version: (8, 0, 28),
};
const MYSQL_8_4: Server = Server {
    flavor: Flavor::Mysql,
    version: (8, 4, 0),
};
const MARIADB_10_2: Server = Server {
    flavor: Flavor::Mariadb,
    version: (10, 2, 44),
};
const MARIADB_10_3: Server = Server {
    flavor: Flavor::Mariadb,
    version: (10, 3, 39),
};
const MARIADB_10_11: Server = Server {
    flavor: Flavor::Mariadb,
    version: (10, 11, 6),
};

type Answer = (Option<Algorithm>, Option<DdlLock>, Option<bool>);

fn on(sql: &str, server: Option<Server>) -> Answer {
    let d = online_ddl(sql, server, true).unwrap_or_else(|| panic!("not online DDL: {sql}"));
    (d.algorithm, d.lock, d.rebuilds)
}

fn any(sql: &str) -> Answer {
    on(sql, None)
}

const INSTANT_: Answer = (Some(Instant), Some(DdlLock::None), Some(false));
const INPLACE_: Answer = (Some(Inplace), Some(DdlLock::None), Some(false));
const INPLACE_REBUILD_: Answer = (Some(Inplace), Some(DdlLock::None), Some(true));
const INPLACE_SHARED_: Answer = (Some(Inplace), Some(DdlLock::Shared), Some(false));
const COPY_: Answer = (Some(Copy), Some(DdlLock::Shared), Some(true));
const UNKNOWN: Answer = (None, None, None);

/// One statement per row of `ROWS`, with its answer when the server is not known.
const EXAMPLES: &[(&str, Answer)] = &[
    ("ALTER TABLE t ADD COLUMN c int", INSTANT_),
    ("ALTER TABLE t ADD c int NOT NULL AFTER b", INSTANT_),
    (
        "ALTER TABLE t ADD id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY",
        (Some(Inplace), Some(DdlLock::Shared), Some(true)),
    ),
    ("ALTER TABLE t ADD c int AS (a + 1) STORED", UNKNOWN),
    ("ALTER TABLE t DROP COLUMN c", INSTANT_),
    ("ALTER TABLE t RENAME COLUMN a TO b", INSTANT_),
    ("ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", INSTANT_),
    ("ALTER TABLE t MODIFY a bigint NOT NULL", COPY_),
    ("ALTER TABLE t ADD INDEX i (a)", INPLACE_),
    ("CREATE FULLTEXT INDEX f ON t (body)", INPLACE_SHARED_),
    ("ALTER TABLE t ADD SPATIAL INDEX s (g)", INPLACE_SHARED_),
    ("DROP INDEX i ON t", INPLACE_),
    ("ALTER TABLE t RENAME INDEX a TO b", UNKNOWN),
    ("ALTER TABLE t ADD PRIMARY KEY (id)", INPLACE_REBUILD_),
    ("ALTER TABLE t DROP PRIMARY KEY", COPY_),
    (
        "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, b)",
        INPLACE_REBUILD_,
    ),
    (
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (p) REFERENCES p (id)",
        COPY_,
    ),
    ("ALTER TABLE t DROP FOREIGN KEY fk", INPLACE_),
    ("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4", COPY_),
    ("ALTER TABLE t DEFAULT CHARACTER SET = utf8mb4", UNKNOWN),
    ("ALTER TABLE t FORCE", INPLACE_REBUILD_),
    ("ALTER TABLE t ENGINE = MyISAM", COPY_),
    ("ALTER TABLE t AUTO_INCREMENT = 1000", INPLACE_),
    ("ALTER TABLE t ROW_FORMAT=COMPRESSED", INPLACE_REBUILD_),
    ("RENAME TABLE a TO b", UNKNOWN),
];

#[test]
fn every_row_has_an_example_with_its_answer() {
    for (sql, want) in EXAMPLES {
        assert_eq!(any(sql), *want, "{sql}");
    }
    // The foreign-key row without checks is reached through the session flag.
    let unchecked = online_ddl(EXAMPLES[16].0, None, false).unwrap();
    assert_eq!(
        (unchecked.algorithm, unchecked.lock, unchecked.rebuilds),
        INPLACE_
    );
    let mut covered: Vec<String> = EXAMPLES
        .iter()
        .flat_map(|(sql, _)| online_ddl(sql, None, true).unwrap().operations)
        .collect();
    covered.extend(unchecked.operations);
    for row in ROWS {
        assert!(
            covered.iter().any(|o| o == row.operation),
            "no example for {}",
            row.operation
        );
    }
}

#[test]
fn other_spellings_of_the_same_operations() {
    assert_eq!(any("CREATE UNIQUE INDEX i ON t (a)"), INPLACE_);
    assert_eq!(any("create index i using btree on t (a)"), INPLACE_);
    assert_eq!(
        any("ALTER TABLE t ADD CONSTRAINT u UNIQUE KEY (a)"),
        INPLACE_
    );
    assert_eq!(
        any("ALTER TABLE t ADD FULLTEXT KEY f (body)"),
        INPLACE_SHARED_
    );
    assert_eq!(any("ALTER TABLE t DROP KEY i"), INPLACE_);
    assert_eq!(any("ALTER TABLE t DROP INDEX i"), INPLACE_);
    assert_eq!(any("DROP INDEX `PRIMARY` ON t"), COPY_);
    assert_eq!(any("ALTER TABLE t DROP c"), INSTANT_);
    assert_eq!(any("ALTER TABLE t ADD c int FIRST"), INSTANT_);
    assert_eq!(any("ALTER TABLE t ALTER a DROP DEFAULT"), INSTANT_);
    assert_eq!(any("ALTER TABLE t CHANGE a b bigint"), COPY_);
    assert_eq!(any("ALTER TABLE t CHANGE COLUMN a b int"), COPY_);
    assert_eq!(any("ALTER TABLE t ENGINE=InnoDB"), INPLACE_REBUILD_);
    assert_eq!(any("OPTIMIZE TABLE t"), INPLACE_REBUILD_);
    assert_eq!(any("ALTER TABLE t KEY_BLOCK_SIZE = 8"), INPLACE_REBUILD_);
    assert_eq!(
        any("ALTER TABLE t ADD FOREIGN KEY (p) REFERENCES p (id)"),
        COPY_
    );
    assert_eq!(
        any("ALTER TABLE t ADD COLUMN c int AS (a + 1) PERSISTENT"),
        UNKNOWN
    );
    assert_eq!(any("ALTER TABLE a RENAME TO b"), UNKNOWN);
    // MariaDB's ONLINE and IGNORE, IF EXISTS, comments and a qualified, quoted name.
    let d = online_ddl(
        "ALTER ONLINE IGNORE TABLE IF EXISTS `app`.`Users` /* why */ ADD COLUMN `c` int # end\n;",
        None,
        true,
    )
    .unwrap();
    assert_eq!(d.table, "`app`.`Users`");
    assert_eq!(
        (d.algorithm, d.operations),
        (Some(Instant), vec!["ADD COLUMN".to_string()])
    );
}

#[test]
fn the_server_version_picks_the_behaviour() {
    let add = "ALTER TABLE t ADD COLUMN c int";
    let add_after = "ALTER TABLE t ADD COLUMN c int AFTER a";
    let drop = "ALTER TABLE t DROP COLUMN c";
    assert_eq!(on(add, Some(MYSQL_8_0_11)), INPLACE_REBUILD_);
    assert_eq!(on(add, Some(MYSQL_8_0_28)), INSTANT_);
    assert_eq!(on(add_after, Some(MYSQL_8_0_28)), INPLACE_REBUILD_);
    assert_eq!(on(add_after, Some(MYSQL_8_4)), INSTANT_);
    assert_eq!(on(drop, Some(MYSQL_8_0_28)), INPLACE_REBUILD_);
    assert_eq!(on(drop, Some(MYSQL_8_4)), INSTANT_);
    assert_eq!(on(add, Some(MARIADB_10_2)), INPLACE_REBUILD_);
    assert_eq!(on(add, Some(MARIADB_10_3)), INSTANT_);
    assert_eq!(on(add_after, Some(MARIADB_10_3)), INPLACE_REBUILD_);
    assert_eq!(on(drop, Some(MARIADB_10_3)), INPLACE_REBUILD_);
    assert_eq!(on(drop, Some(MARIADB_10_11)), INSTANT_);
    let rename = "ALTER TABLE t RENAME COLUMN a TO b";
    assert_eq!(on(rename, Some(MYSQL_8_0_11)), INPLACE_);
    assert_eq!(on(rename, Some(MYSQL_8_4)), INSTANT_);
    // Rows only one server documents.
    let stored = "ALTER TABLE t ADD c int AS (a + 1) STORED";
    assert_eq!(on(stored, Some(MYSQL_8_4)), COPY_);
    assert_eq!(on(stored, Some(MARIADB_10_11)), UNKNOWN);
    assert_eq!(on("RENAME TABLE a TO b", Some(MYSQL_8_4)), INSTANT_);
    assert_eq!(on("RENAME TABLE a TO b", Some(MYSQL_8_0_11)), INPLACE_);
    assert_eq!(
        on("ALTER TABLE t RENAME KEY a TO b", Some(MYSQL_8_4)),
        INPLACE_
    );
    assert_eq!(
        on("ALTER TABLE t CHARACTER SET utf8mb4", Some(MYSQL_8_4)),
        INPLACE_REBUILD_
    );
}

#[test]
fn an_unknown_server_says_what_older_versions_do() {
    let d = online_ddl("ALTER TABLE t ADD COLUMN c int", None, true).unwrap();
    assert_eq!(
        d.notes,
        [
            "ADD COLUMN: before MySQL 8.0.12: INPLACE, rebuilds the table",
            "ADD COLUMN: before MariaDB 10.3.2: INPLACE, rebuilds the table",
        ]
    );
    // With the server known there is nothing to add.
    let d = online_ddl("ALTER TABLE t ADD COLUMN c int", Some(MYSQL_8_4), true).unwrap();
    assert!(d.notes.is_empty(), "{:?}", d.notes);
    // A condition the keywords cannot settle is always said.
    let d = online_ddl("ALTER TABLE t MODIFY a bigint", Some(MYSQL_8_4), true).unwrap();
    assert!(d.notes[0].starts_with("MODIFY/CHANGE COLUMN: COPY when the column's type changes"));
}

#[test]
fn several_operations_take_the_slowest_algorithm_and_strongest_lock() {
    let d = online_ddl(
        "ALTER TABLE t ADD COLUMN c int, ADD INDEX i (c)",
        None,
        true,
    )
    .unwrap();
    assert_eq!(d.operations, ["ADD COLUMN", "ADD INDEX"]);
    // The instant ADD COLUMN runs in place beside the index build, with its rebuild.
    assert_eq!((d.algorithm, d.lock, d.rebuilds), INPLACE_REBUILD_);
    assert_eq!(
        on(
            "ALTER TABLE t ADD COLUMN c int, ADD INDEX i (c)",
            Some(MYSQL_8_4)
        ),
        INPLACE_REBUILD_
    );
    assert_eq!(
        any("ALTER TABLE t RENAME COLUMN a TO b, ADD INDEX i (b)"),
        INPLACE_
    );
    assert_eq!(
        any("ALTER TABLE t ADD COLUMN a int, DROP COLUMN b"),
        INSTANT_
    );
    assert_eq!(
        any("ALTER TABLE t ADD COLUMN c int, MODIFY d bigint, ADD INDEX i (c)"),
        COPY_
    );
    assert_eq!(
        any("ALTER TABLE t ADD INDEX i (a), ADD FULLTEXT INDEX f (b), ADD PRIMARY KEY (id)"),
        (Some(Inplace), Some(DdlLock::Shared), Some(true))
    );
    // A comma inside parentheses is not a second operation.
    assert_eq!(any("ALTER TABLE t ADD INDEX i (a, b)"), INPLACE_);
}

#[test]
fn an_operation_without_a_row_makes_the_statement_unknown() {
    let d = online_ddl("ALTER TABLE t ADD CHECK (a > 0)", None, true).unwrap();
    assert_eq!((d.algorithm, d.lock, d.rebuilds), UNKNOWN);
    assert_eq!(d.operations, ["ADD CHECK ("]);
    assert_eq!(
        any("ALTER TABLE t ADD COLUMN c int, DROP CONSTRAINT x"),
        UNKNOWN
    );
    assert_eq!(any("ALTER TABLE t ALTER INDEX i INVISIBLE"), UNKNOWN);
    assert_eq!(
        any("ALTER TABLE t PARTITION BY HASH (id) PARTITIONS 4"),
        UNKNOWN
    );
    assert_eq!(any("ALTER TABLE t COMMENT = 'x'"), UNKNOWN);
}

#[test]
fn explicit_clauses_win_and_impossible_ones_are_named() {
    let d = online_ddl(
        "ALTER TABLE t MODIFY a bigint, ALGORITHM=INPLACE, LOCK=NONE",
        None,
        true,
    )
    .unwrap();
    assert_eq!((d.algorithm, d.lock), (Some(Inplace), Some(DdlLock::None)));
    assert!(d.explicit_algorithm && d.explicit_lock);
    assert!(d
        .notes
        .contains(&"the server refuses ALGORITHM=INPLACE: this needs COPY".to_string()));
    assert!(d
        .notes
        .contains(&"the server refuses LOCK=NONE: this needs LOCK=SHARED".to_string()));
    // Asking for a copy rebuilds; it allows reads only unless LOCK says otherwise.
    assert_eq!(any("ALTER TABLE t ADD COLUMN c int, ALGORITHM=COPY"), COPY_);
    assert_eq!(
        any("ALTER TABLE t ADD COLUMN c int, ALGORITHM = COPY, LOCK = EXCLUSIVE"),
        (Some(Copy), Some(DdlLock::Exclusive), Some(true))
    );
    assert_eq!(
        any("ALTER TABLE t ADD INDEX i (a), LOCK=EXCLUSIVE"),
        (Some(Inplace), Some(DdlLock::Exclusive), Some(false))
    );
    // The clause may come first; DEFAULT asks for nothing.
    let d = online_ddl(
        "ALTER TABLE t ALGORITHM=DEFAULT, LOCK=DEFAULT, ADD INDEX i (a)",
        None,
        true,
    )
    .unwrap();
    assert_eq!((d.algorithm, d.lock, d.rebuilds), INPLACE_);
    assert!(!d.explicit_algorithm && !d.explicit_lock);
    let d = online_ddl(
        "CREATE INDEX i ON t (a) ALGORITHM=INPLACE LOCK=SHARED",
        None,
        true,
    )
    .unwrap();
    assert_eq!(d.lock, Some(DdlLock::Shared));
    assert!(d.explicit_lock && d.notes.is_empty());
    let d = online_ddl("DROP INDEX i ON t ALGORITHM=INSTANT", None, true).unwrap();
    assert_eq!(
        d.notes,
        ["the server refuses ALGORITHM=INSTANT: this needs INPLACE"]
    );
    // An unknown operation with an explicit algorithm: the algorithm is known, the rest not.
    assert_eq!(
        any("ALTER TABLE t ADD CHECK (a > 0), ALGORITHM=COPY"),
        (Some(Copy), Some(DdlLock::Shared), Some(true))
    );
}

#[test]
fn statements_that_are_not_online_ddl() {
    for sql in [
        "CREATE TABLE t (a int)",
        "DROP TABLE t",
        "INSERT INTO t VALUES (1)",
        "SELECT 'ALTER TABLE t ADD COLUMN c int'",
        "ALTER VIEW v AS SELECT 1",
        "CREATE INDEX i",
        "",
    ] {
        assert_eq!(online_ddl(sql, None, true), None, "{sql}");
    }
}

#[test]
fn server_versions_from_version_strings() {
    let p = |s: &str| Server::parse(s).map(|s| (s.flavor, s.version));
    assert_eq!(p("8.0.36"), Some((Flavor::Mysql, (8, 0, 36))));
    assert_eq!(p("8.4.0-log"), Some((Flavor::Mysql, (8, 4, 0))));
    assert_eq!(
        p("10.11.6-MariaDB-0+deb12u1"),
        Some((Flavor::Mariadb, (10, 11, 6)))
    );
    assert_eq!(
        p("5.5.5-10.3.39-MariaDB"),
        Some((Flavor::Mariadb, (10, 3, 39)))
    );
    assert_eq!(p("11.4"), Some((Flavor::Mysql, (11, 4, 0))));
    assert_eq!(p("MariaDB"), None);
    assert_eq!(p(""), None);
}

#[test]
fn foreign_key_checks_set_by_the_session() {
    let f = sets_foreign_key_checks;
    assert_eq!(f("SET foreign_key_checks = 0"), Some(false));
    assert_eq!(f("set FOREIGN_KEY_CHECKS=1;"), Some(true));
    assert_eq!(f("SET SESSION foreign_key_checks = OFF"), Some(false));
    assert_eq!(f("SET @@session.foreign_key_checks = 0"), Some(false));
    assert_eq!(f("SET @@foreign_key_checks := ON"), Some(true));
    assert_eq!(f("SET NAMES utf8mb4, foreign_key_checks = 0"), Some(false));
    assert_eq!(f("SET GLOBAL foreign_key_checks = 0"), None);
    assert_eq!(f("SET @@global.foreign_key_checks = 0"), None);
    assert_eq!(f("SET unique_checks = 0"), None);
    assert_eq!(f("SELECT 1"), None);
}
