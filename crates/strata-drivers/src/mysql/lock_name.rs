//! golang-migrate's MySQL lock name, so that Strata and golang-migrate exclude each other.
//!
//! golang-migrate's MySQL driver takes `GET_LOCK(name, 10)` where `name` is
//! `GenerateAdvisoryLockId("<database>:<migrations table>")`: CRC32-IEEE of that text, times
//! 1486364155 in unsigned 32-bit arithmetic (wrapping), written as a decimal string. It is the
//! helper the PostgreSQL key uses, called with one name only, so no NUL separators are involved.

/// golang-migrate's `advisoryLockIDSalt`.
const SALT: u32 = 1_486_364_155;

/// The `GET_LOCK` name golang-migrate uses for `database` (the URL's database name, as the
/// DSN gives it) and its migrations `table`.
///
/// ```
/// use strata_drivers::mysql::lock_name::lock_name;
/// assert_eq!(lock_name("bar11", "schema_migrations"), "2236337105");
/// ```
pub fn lock_name(database: &str, table: &str) -> String {
    let input = format!("{database}:{table}");
    crc32fast::hash(input.as_bytes())
        .wrapping_mul(SALT)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::lock_name;

    // Expected values computed outside Rust from the algorithm itself: Python's
    // `zlib.crc32(b"<db>:<table>") * 1486364155 % 2**32` (zlib's CRC32 is CRC32-IEEE).
    // bar11:schema_migrations -> crc 0x23dd0fa3 -> 2236337105.
    #[test]
    fn lock_name_matches_golang_migrate_for_default_table() {
        assert_eq!(lock_name("bar11", "schema_migrations"), "2236337105");
        assert_eq!(lock_name("mydb", "schema_migrations"), "1906445756");
    }

    #[test]
    fn lock_name_depends_on_the_migrations_table() {
        assert_eq!(lock_name("shop", "custom_versions"), "457603745");
        assert_ne!(
            lock_name("shop", "custom_versions"),
            lock_name("shop", "schema_migrations")
        );
    }

    #[test]
    fn lock_name_is_unsigned_decimal_even_past_i32() {
        // 2236337105 > i32::MAX: a signed rendering would print a negative number.
        let name = lock_name("bar11", "schema_migrations");
        assert!(name.parse::<u32>().unwrap() > i32::MAX as u32);
    }
}
