//! PLACEHOLDER: marker-file sections.
