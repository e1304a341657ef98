//! The table of online DDL operations (see the parent module for its sources): for each
//! operation, how MySQL and MariaDB run it, newest version first.
use super::{Algorithm, DdlLock};

/// One behaviour of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// The most efficient algorithm the server uses by default.
    pub algorithm: Algorithm,
    /// The least restrictive lock the operation allows.
    pub lock: DdlLock,
    /// Whether the table (its clustered index) is rebuilt.
    pub rebuilds: bool,
}

/// A behaviour and the first server version it holds from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Since {
    /// First version.
    pub version: (u16, u16, u16),
    /// What the server does from it on.
    pub behaviour: Behaviour,
}

/// One operation: how each server runs it, newest behaviour first (empty: not documented).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// What the operation is, e.g. `ADD COLUMN`.
    pub operation: &'static str,
    /// MySQL's behaviours, newest first.
    pub mysql: &'static [Since],
    /// MariaDB's behaviours, newest first.
    pub mariadb: &'static [Since],
    /// A condition the keywords cannot settle, said with the result.
    pub caveat: Option<&'static str>,
}

const fn b(algorithm: Algorithm, lock: DdlLock, rebuilds: bool) -> Behaviour {
    Behaviour {
        algorithm,
        lock,
        rebuilds,
    }
}
const fn since(version: (u16, u16, u16), behaviour: Behaviour) -> Since {
    Since { version, behaviour }
}
const INSTANT: Behaviour = b(Algorithm::Instant, DdlLock::None, false);
/// In place, concurrent DML, no rebuild (often metadata only).
const INPLACE: Behaviour = b(Algorithm::Inplace, DdlLock::None, false);
const INPLACE_REBUILD: Behaviour = b(Algorithm::Inplace, DdlLock::None, true);
/// In place but without concurrent writes.
const INPLACE_SHARED: Behaviour = b(Algorithm::Inplace, DdlLock::Shared, false);
const INPLACE_SHARED_REBUILD: Behaviour = b(Algorithm::Inplace, DdlLock::Shared, true);
const COPY: Behaviour = b(Algorithm::Copy, DdlLock::Shared, true);
const ALWAYS: (u16, u16, u16) = (0, 0, 0);

/// Every operation the classifier knows, by its `Op` index.
pub const ROWS: &[Row] = &[
    // Op::AddColumnLast
    Row {
        operation: "ADD COLUMN",
        mysql: &[since((8, 0, 12), INSTANT), since(ALWAYS, INPLACE_REBUILD)],
        mariadb: &[since((10, 3, 2), INSTANT), since(ALWAYS, INPLACE_REBUILD)],
        caveat: None,
    },
    // Op::AddColumnPositioned
    Row {
        operation: "ADD COLUMN ... FIRST/AFTER",
        mysql: &[since((8, 0, 29), INSTANT), since(ALWAYS, INPLACE_REBUILD)],
        mariadb: &[since((10, 4, 0), INSTANT), since(ALWAYS, INPLACE_REBUILD)],
        caveat: None,
    },
    // Op::AddAutoIncrementColumn
    Row {
        operation: "ADD COLUMN ... AUTO_INCREMENT",
        mysql: &[since(ALWAYS, INPLACE_SHARED_REBUILD)],
        mariadb: &[since(ALWAYS, INPLACE_SHARED_REBUILD)],
        caveat: None,
    },
    // Op::AddStoredColumn
    Row {
        operation: "ADD COLUMN ... STORED",
        mysql: &[since(ALWAYS, COPY)],
        mariadb: &[],
        caveat: None,
    },
    // Op::DropColumn
    Row {
        operation: "DROP COLUMN",
        mysql: &[since((8, 0, 29), INSTANT), since(ALWAYS, INPLACE_REBUILD)],
        mariadb: &[since((10, 4, 0), INSTANT), since(ALWAYS, INPLACE_REBUILD)],
        caveat: None,
    },
    // Op::RenameColumn
    Row {
        operation: "RENAME COLUMN",
        mysql: &[since((8, 0, 28), INSTANT), since(ALWAYS, INPLACE)],
        mariadb: &[since((10, 3, 7), INSTANT), since(ALWAYS, INPLACE)],
        caveat: None,
    },
    // Op::ColumnDefault
    Row {
        operation: "ALTER COLUMN ... SET/DROP DEFAULT",
        mysql: &[since((8, 0, 12), INSTANT), since(ALWAYS, INPLACE)],
        mariadb: &[since((10, 3, 7), INSTANT), since(ALWAYS, INPLACE)],
        caveat: None,
    },
    // Op::ModifyColumn
    Row {
        operation: "MODIFY/CHANGE COLUMN",
        mysql: &[since(ALWAYS, COPY)],
        mariadb: &[since(ALWAYS, COPY)],
        caveat: Some(
            "COPY when the column's type changes; a rename only, a longer VARCHAR or a new \
             default can be INSTANT/INPLACE (the catalog decides)",
        ),
    },
    // Op::AddIndex
    Row {
        operation: "ADD INDEX",
        mysql: &[since(ALWAYS, INPLACE)],
        mariadb: &[since(ALWAYS, INPLACE)],
        caveat: None,
    },
    // Op::AddFulltextIndex
    Row {
        operation: "ADD FULLTEXT INDEX",
        mysql: &[since(ALWAYS, INPLACE_SHARED)],
        mariadb: &[since(ALWAYS, INPLACE_SHARED)],
        caveat: Some(
            "the first FULLTEXT index rebuilds the table unless it has an FTS_DOC_ID column",
        ),
    },
    // Op::AddSpatialIndex
    Row {
        operation: "ADD SPATIAL INDEX",
        mysql: &[since(ALWAYS, INPLACE_SHARED)],
        mariadb: &[since(ALWAYS, INPLACE_SHARED)],
        caveat: None,
    },
    // Op::DropIndex
    Row {
        operation: "DROP INDEX",
        mysql: &[since(ALWAYS, INPLACE)],
        mariadb: &[since(ALWAYS, INPLACE)],
        caveat: None,
    },
    // Op::RenameIndex
    Row {
        operation: "RENAME INDEX",
        mysql: &[since(ALWAYS, INPLACE)],
        mariadb: &[],
        caveat: None,
    },
    // Op::AddPrimaryKey
    Row {
        operation: "ADD PRIMARY KEY",
        mysql: &[since(ALWAYS, INPLACE_REBUILD)],
        mariadb: &[since(ALWAYS, INPLACE_REBUILD)],
        caveat: None,
    },
    // Op::DropPrimaryKey
    Row {
        operation: "DROP PRIMARY KEY",
        mysql: &[since(ALWAYS, COPY)],
        mariadb: &[since(ALWAYS, COPY)],
        caveat: None,
    },
    // Op::ReplacePrimaryKey
    Row {
        operation: "DROP PRIMARY KEY, ADD PRIMARY KEY",
        mysql: &[since(ALWAYS, INPLACE_REBUILD)],
        mariadb: &[since(ALWAYS, INPLACE_REBUILD)],
        caveat: None,
    },
    // Op::AddForeignKey
    Row {
        operation: "ADD FOREIGN KEY",
        mysql: &[since(ALWAYS, COPY)],
        mariadb: &[since(ALWAYS, COPY)],
        caveat: Some("INPLACE without a rebuild when foreign_key_checks=0"),
    },
    // Op::AddForeignKeyUnchecked
    Row {
        operation: "ADD FOREIGN KEY (foreign_key_checks=0)",
        mysql: &[since(ALWAYS, INPLACE)],
        mariadb: &[since(ALWAYS, INPLACE)],
        caveat: None,
    },
    // Op::DropForeignKey
    Row {
        operation: "DROP FOREIGN KEY",
        mysql: &[since(ALWAYS, INPLACE)],
        mariadb: &[since(ALWAYS, INPLACE)],
        caveat: None,
    },
    // Op::ConvertCharset
    Row {
        operation: "CONVERT TO CHARACTER SET",
        mysql: &[since(ALWAYS, COPY)],
        mariadb: &[since(ALWAYS, COPY)],
        caveat: None,
    },
    // Op::TableCharset
    Row {
        operation: "DEFAULT CHARACTER SET",
        mysql: &[since(ALWAYS, INPLACE_REBUILD)],
        mariadb: &[],
        caveat: None,
    },
    // Op::Rebuild
    Row {
        operation: "FORCE / ENGINE=InnoDB / OPTIMIZE TABLE",
        mysql: &[since(ALWAYS, INPLACE_REBUILD)],
        mariadb: &[since(ALWAYS, INPLACE_REBUILD)],
        caveat: None,
    },
    // Op::ChangeEngine
    Row {
        operation: "ENGINE=<other engine>",
        mysql: &[since(ALWAYS, COPY)],
        mariadb: &[since(ALWAYS, COPY)],
        caveat: None,
    },
    // Op::AutoIncrementValue
    Row {
        operation: "AUTO_INCREMENT=",
        mysql: &[since(ALWAYS, INPLACE)],
        mariadb: &[since(ALWAYS, INPLACE)],
        caveat: None,
    },
    // Op::RowFormat
    Row {
        operation: "ROW_FORMAT= / KEY_BLOCK_SIZE=",
        mysql: &[since(ALWAYS, INPLACE_REBUILD)],
        mariadb: &[since(ALWAYS, INPLACE_REBUILD)],
        caveat: None,
    },
    // Op::RenameTable
    Row {
        operation: "RENAME TABLE",
        mysql: &[since((8, 0, 12), INSTANT), since(ALWAYS, INPLACE)],
        mariadb: &[],
        caveat: None,
    },
];

/// An operation, as an index into [`ROWS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    AddColumnLast,
    AddColumnPositioned,
    AddAutoIncrementColumn,
    AddStoredColumn,
    DropColumn,
    RenameColumn,
    ColumnDefault,
    ModifyColumn,
    AddIndex,
    AddFulltextIndex,
    AddSpatialIndex,
    DropIndex,
    RenameIndex,
    AddPrimaryKey,
    DropPrimaryKey,
    ReplacePrimaryKey,
    AddForeignKey,
    AddForeignKeyUnchecked,
    DropForeignKey,
    ConvertCharset,
    TableCharset,
    Rebuild,
    ChangeEngine,
    AutoIncrementValue,
    RowFormat,
    RenameTable,
}

impl Op {
    pub(super) fn row(self) -> &'static Row {
        &ROWS[self as usize]
    }
}
