//! A database schema as data: what a catalog reader sees, what `dump` writes and what `diff`
//! compares. Pure: no database here.
//!
//! Objects are keyed by their qualified name (`schema.name`, unquoted) in sorted maps, so two
//! snapshots of the same schema are equal whatever order the catalog returned rows in. Column
//! order is kept (it is part of a table) but compared apart (see [`super::diff`]).
//! Definitions the server can print itself (index, constraint, view, function and trigger
//! definitions) are kept as the server prints them.

use serde::Serialize;
use std::collections::BTreeMap;

/// Everything a schema holds, for one database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// Schemas other than the default one (`public`), with their comments.
    pub schemas: BTreeMap<String, Option<String>>,
    /// Extensions, by name: the schema they are in.
    pub extensions: BTreeMap<String, String>,
    /// User-defined types (enum, composite, domain, range).
    pub types: BTreeMap<String, TypeDef>,
    /// Sequences not owned by an identity column.
    pub sequences: BTreeMap<String, Sequence>,
    /// Tables.
    pub tables: BTreeMap<String, Table>,
    /// Views and materialized views.
    pub views: BTreeMap<String, View>,
    /// Functions and procedures, keyed `schema.name(identity arguments)`.
    pub functions: BTreeMap<String, Function>,
    /// Foreign servers, by name.
    pub servers: BTreeMap<String, Server>,
    /// Privileges granted to roles other than an object's owner (read only when asked).
    pub privileges: std::collections::BTreeSet<Grant>,
}

/// A foreign server (`CREATE SERVER`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Server {
    /// Its name.
    pub name: String,
    /// The foreign-data wrapper it uses.
    pub wrapper: String,
    /// `TYPE`.
    pub server_type: Option<String>,
    /// `VERSION`.
    pub version: Option<String>,
    /// `OPTIONS (name 'value', ...)`, in the order stored.
    pub options: Vec<(String, String)>,
}

/// A privilege statement on one object for one role: `GRANT SELECT, INSERT ON TABLE t TO r`,
/// or a `REVOKE` of a privilege the object has by default (`EXECUTE` from `PUBLIC`); or the
/// same for objects a role creates later (`ALTER DEFAULT PRIVILEGES`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Grant {
    /// `ALTER DEFAULT PRIVILEGES`: `kind` is then `TABLES`, `SEQUENCES`, `FUNCTIONS`, `TYPES`
    /// or `SCHEMAS`, and `object` `FOR ROLE "r"` with ` IN SCHEMA "s"` where it is one schema's.
    pub defaults: bool,
    /// `TABLE`, `SEQUENCE`, `FUNCTION`, `PROCEDURE` or `SCHEMA`.
    pub kind: String,
    /// The object as SQL names it (quoted, qualified, with arguments for a function).
    pub object: String,
    /// The role (quoted) or `PUBLIC`.
    pub grantee: String,
    /// `false`: a `REVOKE` of a default privilege.
    pub granted: bool,
    /// `WITH GRANT OPTION`.
    pub grant_option: bool,
    /// The privileges (`SELECT`, `USAGE`, ...), sorted.
    pub privileges: Vec<String>,
}

/// A schema-qualified name.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Name {
    /// The schema (`main` on SQLite).
    pub schema: String,
    /// The object's own name.
    pub name: String,
}

impl Name {
    /// A name from its parts.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Name {
        Name {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// The key objects are stored under: `schema.name`, unquoted.
    pub fn key(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

impl std::fmt::Display for Name {
    /// The name as people say it: without the default schema (`public`, SQLite's `main`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.schema == "public" || self.schema == "main" || self.schema.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}.{}", self.schema, self.name)
        }
    }
}

/// A table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Its name.
    pub name: Name,
    /// Columns in table order.
    pub columns: Vec<Column>,
    /// Constraints by name (not-null constraints are the columns' `not_null`).
    pub constraints: BTreeMap<String, Constraint>,
    /// Indexes by name, those backing a constraint excluded.
    pub indexes: BTreeMap<String, Index>,
    /// Triggers by name.
    pub triggers: BTreeMap<String, Trigger>,
    /// Row-level security policies by name.
    pub policies: BTreeMap<String, Policy>,
    /// `ENABLE ROW LEVEL SECURITY`.
    pub row_security: bool,
    /// `FORCE ROW LEVEL SECURITY`.
    pub force_row_security: bool,
    /// `COMMENT ON TABLE`.
    pub comment: Option<String>,
    /// The statement that creates it, where the database keeps one (SQLite).
    pub definition: Option<String>,
    /// `PARTITION BY` (a partitioned table), as the server prints it: `RANGE (created)`.
    pub partition_by: Option<String>,
    /// A partition: the parent's key and the bound (`FOR VALUES FROM (1) TO (10)`, `DEFAULT`).
    pub partition_of: Option<(String, String)>,
    /// `INHERITS`: the parents' keys, in order.
    pub inherits: Vec<String>,
    /// A foreign table: its server and options.
    pub foreign: Option<ForeignTable>,
    /// Storage parameters (`WITH (fillfactor = 70, autovacuum_enabled = false)`), in the order
    /// stored.
    pub options: Vec<(String, String)>,
}

/// Where a foreign table's rows live.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ForeignTable {
    /// The server's name.
    pub server: String,
    /// `OPTIONS (name 'value', ...)`, in the order stored.
    pub options: Vec<(String, String)>,
}

/// A column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type as the server prints it (`character varying(20)`, `integer[]`).
    pub data_type: String,
    /// The default expression (`None`: no default).
    pub default: Option<String>,
    /// `NOT NULL`.
    pub not_null: bool,
    /// That `NOT NULL` was added `NOT VALID` and not validated since (PostgreSQL 18+).
    pub not_null_not_valid: bool,
    /// `always` or `by default` for an identity column.
    pub identity: Option<String>,
    /// The expression of a generated column.
    pub generated: Option<String>,
    /// A generated column computed when read (`VIRTUAL`, PostgreSQL 18+), not stored.
    pub virtual_generated: bool,
    /// A collation other than the type's default.
    pub collation: Option<String>,
    /// `COMMENT ON COLUMN`.
    pub comment: Option<String>,
    /// Inherited from a parent and not declared locally (not repeated in the table's statement).
    pub inherited: bool,
    /// A foreign table's column options (`OPTIONS (column_name 'id')`), in the order stored.
    pub options: Vec<(String, String)>,
}

/// What kind of constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    /// `PRIMARY KEY`.
    PrimaryKey,
    /// `UNIQUE`.
    Unique,
    /// `CHECK`.
    Check,
    /// `FOREIGN KEY` (actions are in the definition).
    ForeignKey,
    /// `EXCLUDE`.
    Exclusion,
}

impl ConstraintKind {
    /// The words for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConstraintKind::PrimaryKey => "primary key",
            ConstraintKind::Unique => "unique constraint",
            ConstraintKind::Check => "check constraint",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::Exclusion => "exclusion constraint",
        }
    }
}

/// A table constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Constraint {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: ConstraintKind,
    /// Its definition as the server prints it (`FOREIGN KEY (a) REFERENCES t(id) ON DELETE
    /// CASCADE`), without `NOT VALID`.
    pub definition: String,
    /// `false`: created `NOT VALID` and not validated since.
    pub valid: bool,
    /// `COMMENT ON CONSTRAINT`.
    pub comment: Option<String>,
}

/// An index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Index {
    /// Its name.
    pub name: String,
    /// `UNIQUE`.
    pub unique: bool,
    /// Access method (`btree`, `gin`, ...).
    pub method: String,
    /// The key columns and expressions, as `(a, lower(b))`.
    pub keys: String,
    /// `INCLUDE` columns, as `(c, d)`.
    pub include: Option<String>,
    /// The `WHERE` predicate of a partial index.
    pub predicate: Option<String>,
    /// The statement that creates it, as the server prints it.
    pub definition: String,
    /// `COMMENT ON INDEX`.
    pub comment: Option<String>,
}

/// A trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    /// Its name.
    pub name: String,
    /// The statement that creates it, as the server prints it.
    pub definition: String,
    /// `COMMENT ON TRIGGER`.
    pub comment: Option<String>,
}

/// A row-level security policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Its name.
    pub name: String,
    /// `PERMISSIVE` (`false`: `RESTRICTIVE`).
    pub permissive: bool,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// Roles it applies to (`public` for all), sorted.
    pub roles: Vec<String>,
    /// `USING (...)`.
    pub using: Option<String>,
    /// `WITH CHECK (...)`.
    pub with_check: Option<String>,
}

/// A sequence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sequence {
    /// Its name.
    pub name: Name,
    /// `bigint`, `integer` or `smallint`.
    pub data_type: String,
    /// `START WITH`.
    pub start: i64,
    /// `INCREMENT BY`.
    pub increment: i64,
    /// `MINVALUE`.
    pub min: i64,
    /// `MAXVALUE`.
    pub max: i64,
    /// `CACHE`.
    pub cache: i64,
    /// `CYCLE`.
    pub cycle: bool,
    /// `OWNED BY table.column` (qualified table key and column).
    pub owned_by: Option<(String, String)>,
    /// `COMMENT ON SEQUENCE`.
    pub comment: Option<String>,
}

/// A view or materialized view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct View {
    /// Its name.
    pub name: Name,
    /// A materialized view.
    pub materialized: bool,
    /// The query, as the server prints it.
    pub definition: String,
    /// Keys of the views it reads (to create them first).
    pub depends_on: Vec<String>,
    /// Indexes (materialized views).
    pub indexes: BTreeMap<String, Index>,
    /// `WITH (name = value, ...)`: view options (`check_option`, `security_barrier`,
    /// `security_invoker`) or a materialized view's storage parameters, in the order stored.
    pub options: Vec<(String, String)>,
    /// `COMMENT ON VIEW`.
    pub comment: Option<String>,
}

/// A function or procedure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Function {
    /// Its name.
    pub name: Name,
    /// Its identity arguments (`a integer, b text`).
    pub arguments: String,
    /// A procedure (`false`: a function).
    pub procedure: bool,
    /// The statement that creates it, as the server prints it.
    pub definition: String,
    /// `COMMENT ON FUNCTION`.
    pub comment: Option<String>,
    /// Keys of the tables and views whose row type its arguments or result use (`SETOF t`):
    /// it is created after them.
    pub depends_on: Vec<String>,
}

/// A user-defined type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeDef {
    /// Its name.
    pub name: Name,
    /// What it is.
    pub kind: TypeKind,
    /// `COMMENT ON TYPE` / `DOMAIN`.
    pub comment: Option<String>,
}

/// The kinds of user-defined type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TypeKind {
    /// `CREATE TYPE .. AS ENUM`: its labels in order.
    Enum {
        /// The labels, in sort order.
        labels: Vec<String>,
    },
    /// `CREATE TYPE .. AS (..)`: its attributes (name, type) in order.
    Composite {
        /// `(name, type)` pairs.
        attributes: Vec<(String, String)>,
    },
    /// `CREATE DOMAIN`.
    Domain {
        /// The base type.
        base: String,
        /// `DEFAULT`.
        default: Option<String>,
        /// `NOT NULL`.
        not_null: bool,
        /// Check constraints `(name, definition)`, sorted by name.
        checks: Vec<(String, String)>,
    },
    /// `CREATE TYPE .. AS RANGE`.
    Range {
        /// `SUBTYPE`.
        subtype: String,
    },
}

impl TypeKind {
    /// The words for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            TypeKind::Enum { .. } => "enum",
            TypeKind::Composite { .. } => "composite type",
            TypeKind::Domain { .. } => "domain",
            TypeKind::Range { .. } => "range type",
        }
    }
}
