//! The database schema as data, one module for `verify`, `dump` and `dump --check`: the
//! [`model`] a catalog reader fills, [`diff`] between two snapshots, [`words`] for people,
//! [`render`] for `dump`'s SQL, and [`verify`]'s round trip. Catalog readers live with the
//! drivers; everything here is pure.

pub mod diff;
pub mod entries;
pub mod model;
mod names;
mod order;
pub mod render;
pub mod session;
pub mod verify;
pub mod words;

pub use diff::{diff, Change, Difference};
pub use entries::{Entries, Named};
pub use model::*;
pub use session::{Refreshed, SchemaSession};
pub use words::{sentence, Side};
