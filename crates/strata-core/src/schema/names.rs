//! The names SQL text refers to, read from the text the server prints (where every name
//! outside `pg_catalog` is qualified): what `dump` orders objects by. Pure.

/// Every `schema.name` pair in SQL text as the server prints it, unquoted (`"a""b".c` gives
/// `a"b.c`); string literals skipped.
pub(super) fn qualified_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = text.chars().peekable();
    // The identifier just read, and whether a dot followed it.
    let mut last: Option<String> = None;
    let mut dotted = false;
    while let Some(c) = chars.next() {
        let ident = match c {
            '"' => {
                let mut id = String::new();
                while let Some(c) = chars.next() {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    id.push(c);
                }
                Some(id)
            }
            '\'' => {
                while let Some(c) = chars.next() {
                    if c == '\'' && chars.next_if_eq(&'\'').is_none() {
                        break;
                    }
                }
                None
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut id = String::from(c);
                while let Some(c) = chars.next_if(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                {
                    id.push(c);
                }
                Some(id)
            }
            c if c.is_ascii_digit() => {
                // A number (`1.5`): not a name.
                while chars
                    .next_if(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                    .is_some()
                {}
                None
            }
            '.' if last.is_some() => {
                dotted = true;
                continue;
            }
            _ => None,
        };
        if let (Some(schema), true, Some(name)) = (&last, dotted, &ident) {
            names.push(format!("{schema}.{name}"));
        }
        last = ident;
        dotted = false;
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_are_read_from_printed_types_and_expressions() {
        assert_eq!(qualified_names("public.t[]"), ["public.t"]);
        assert_eq!(qualified_names("\"My S\".\"T\"\"x\"[]"), ["My S.T\"x"]);
        assert!(qualified_names("character varying(20)[]").is_empty());
        assert!(qualified_names("numeric(10,2)").is_empty());
        assert_eq!(
            qualified_names("CHECK ((public.f(VALUE) AND ('a.b'::text <> app.g(1.5))))"),
            ["public.f", "app.g"]
        );
        assert!(qualified_names("CHECK (((VALUE).a > 0))").is_empty());
    }
}
