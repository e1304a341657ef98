//! URL parsing.
