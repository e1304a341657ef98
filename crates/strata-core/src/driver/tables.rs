//! The tables a driver keeps and the rows it reads back for other commands.

/// Names of the tables a driver keeps, derived from the compatibility table's name so that two
/// migration sets in one schema never share a ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    /// Schema of all three tables (`None`: the driver's default, e.g. `current_schema()`).
    pub schema: Option<String>,
    /// golang-migrate's table (default `schema_migrations`).
    pub compat: String,
    /// Strata's ledger: `<compat>_ledger`.
    pub ledger: String,
    /// Strata's action log: `<compat>_log`.
    pub log: String,
}

impl TableNames {
    /// Names derived from the compatibility table's name.
    ///
    /// ```
    /// let t = strata_core::TableNames::new(None, "schema_migrations");
    /// assert_eq!(t.ledger, "schema_migrations_ledger");
    /// assert_eq!(t.log, "schema_migrations_log");
    /// ```
    pub fn new(schema: Option<String>, compat: &str) -> TableNames {
        TableNames {
            schema,
            compat: compat.to_string(),
            ledger: format!("{compat}_ledger"),
            log: format!("{compat}_log"),
        }
    }
}

impl Default for TableNames {
    fn default() -> Self {
        TableNames::new(None, "schema_migrations")
    }
}

/// What `drop` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropReport {
    /// `kind name` of each object dropped, e.g. `table users`.
    pub dropped: Vec<String>,
}

/// Every row of a table, each value as text (see [`super::Driver::read_table`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawTable {
    /// Column names, in table order.
    pub columns: Vec<String>,
    /// Rows, one value per column (`None`: NULL).
    pub rows: Vec<Vec<Option<String>>>,
}
