//! MySQL and MariaDB: the pieces that do not need a connection yet (the driver comes later).

pub mod lock_name;
