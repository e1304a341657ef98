//! PLACEHOLDER: file-name patterns.
