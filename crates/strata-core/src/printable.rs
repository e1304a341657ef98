//! Text that came from outside (file names, names and details read from the database) made safe
//! to print: a control character could end a line early, rewrite the terminal (`ESC [2J`) or
//! hide what follows, and bidirectional overrides can make a name read as another one.

use std::borrow::Cow;
use std::path::Path;

/// `text` with control characters and bidirectional formatting characters escaped the way
/// [`char::escape_debug`] writes them (`\n`, `\t`, `\u{1b}`, `\u{202e}`); everything else,
/// backslashes included, as it is. Borrows when there is nothing to escape (the usual case).
///
/// ```
/// use strata_core::printable::printable;
/// assert_eq!(printable("1_new\nline.down.sql"), "1_new\\nline.down.sql");
/// assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
/// assert_eq!(printable("C:\\migrations\\1_é.sql"), "C:\\migrations\\1_é.sql");
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`printable`] for a message of several lines, as a last guard before it is printed: line
/// breaks and tabs (the layout of excerpts and hints) stay, every other control or
/// bidirectional character is escaped. Text escaped already passes unchanged.
///
/// ```
/// use strata_core::printable::printable_lines;
/// assert_eq!(printable_lines("error: no\u{1b}[2J\n\thint"), "error: no\\u{1b}[2J\n\thint");
/// assert_eq!(printable_lines("a\0b\rc"), "a\\0b\\rc");
/// ```
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    let escape = |c: char| needs_escape(c) && c != '\n' && c != '\t';
    if !text.chars().any(escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escape(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`printable`] for a path (shown lossily when it is not UTF-8).
pub fn printable_path(path: &Path) -> String {
    printable(&path.to_string_lossy()).into_owned()
}

fn needs_escape(c: char) -> bool {
    // U+202A..U+202E embeddings and overrides, U+2066..U+2069 isolates ("Trojan Source").
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_overrides_only() {
        assert!(matches!(printable("plain 1_é.sql"), Cow::Borrowed(_)));
        assert_eq!(printable("a\tb\r\u{7f}\u{9b}"), "a\\tb\\r\\u{7f}\\u{9b}");
        assert_eq!(printable("x\u{202e}lqs.exe"), "x\\u{202e}lqs.exe");
        assert_eq!(
            printable("back\\slash \"quoted\""),
            "back\\slash \"quoted\""
        );
        assert_eq!(
            printable_path(Path::new("m/1_a\nb.up.sql")),
            "m/1_a\\nb.up.sql"
        );
    }
}
