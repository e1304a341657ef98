//! A view's query as PostgreSQL 16+ prints it, from the text 13-15 print: the same schema must
//! dump to the same bytes on every version.
//!
//! From 16 on, `pg_get_viewdef` leaves column references unqualified when the view's own query
//! reads one relation (`SELECT id FROM public.users`); 13-15 always qualify them (`SELECT
//! users.id FROM public.users`). Subqueries are printed qualified by both. This takes the
//! qualifier off where 16 would: outside subqueries, in a query whose `FROM` is one relation or
//! one subquery, for references to it that are not whole-row (`u.*`). Any other shape (joins,
//! set operations, `WITH`, a function in `FROM`) is left as printed.

use strata_sql::{tokenize, Dialect, TokenKind};

struct Tok<'a> {
    kind: TokenKind,
    text: &'a str,
    start: usize,
}

/// `def` (a view's query as 13-15 print it) as 16+ print it.
pub fn unqualify_single_relation(def: &str) -> String {
    let mut start = 0;
    let toks: Vec<Tok> = tokenize(def, Dialect::Postgres)
        .into_iter()
        .filter_map(|t| {
            let tok = Tok {
                kind: t.kind,
                text: &def[start..start + t.len],
                start,
            };
            start += t.len;
            (!t.is_trivia()).then_some(tok)
        })
        .collect();
    let Some(refname) = sole_relation(&toks) else {
        return def.to_string();
    };
    // Bytes to cut: `refname.` before a column name, outside subqueries.
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut parens: Vec<bool> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.text {
            "(" => parens.push(toks.get(i + 1).is_some_and(|n| starts_query(n.text))),
            ")" => {
                parens.pop();
            }
            _ => {}
        }
        if parens.iter().any(|sub| *sub) || t.text != refname {
            continue;
        }
        let column = toks.get(i + 2).is_some_and(|c| {
            matches!(c.kind, TokenKind::Word | TokenKind::QuotedIdentifier)
                && toks.get(i + 3).is_none_or(|n| n.text != "(")
        });
        let dotted = toks.get(i + 1).is_some_and(|d| d.text == ".")
            && toks
                .get(i + 1)
                .is_some_and(|d| d.start == t.start + t.text.len());
        let after_dot_or_cast = i > 0 && matches!(toks[i - 1].text, "." | ":");
        if column && dotted && !after_dot_or_cast {
            cuts.push((t.start, toks[i + 2].start));
        }
    }
    let mut out = String::with_capacity(def.len());
    let mut at = 0;
    for (from, to) in cuts {
        out.push_str(&def[at..from]);
        at = to;
    }
    out.push_str(&def[at..]);
    out
}

fn starts_query(word: &str) -> bool {
    ["select", "with", "values"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}

fn is(t: &Tok, word: &str) -> bool {
    t.kind == TokenKind::Word && t.text.eq_ignore_ascii_case(word)
}

/// The name references to the one relation of the top-level `FROM` use, if the query reads
/// exactly one relation (or one subquery) and is not a set operation or a `WITH` query.
fn sole_relation<'a>(toks: &[Tok<'a>]) -> Option<&'a str> {
    if !toks.first().is_some_and(|t| is(t, "select")) {
        return None;
    }
    // Top-level tokens only (parenthesis depth 0), with their indexes.
    let mut depth = 0usize;
    let mut top: Vec<usize> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.text {
            "(" => {
                if depth == 0 {
                    top.push(i);
                }
                depth += 1;
            }
            ")" => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    top.push(i);
                }
            }
            _ if depth == 0 => top.push(i),
            _ => {}
        }
    }
    let set_op = ["union", "intersect", "except"];
    if top.iter().any(|&i| set_op.iter().any(|w| is(&toks[i], w))) {
        return None;
    }
    let mut froms = top.iter().filter(|&&i| is(&toks[i], "from"));
    let from = *froms.next()?;
    if froms.next().is_some() {
        return None;
    }
    let ends = [
        "where", "group", "having", "window", "order", "limit", "offset", "fetch", "for",
    ];
    let item: Vec<usize> = top
        .iter()
        .copied()
        .skip_while(|&i| i <= from)
        .take_while(|&i| !ends.iter().any(|w| is(&toks[i], w)) && toks[i].text != ";")
        .collect();
    let words = |range: &[usize]| -> bool {
        range
            .iter()
            .all(|&i| matches!(toks[i].kind, TokenKind::Word | TokenKind::QuotedIdentifier))
    };
    let mut rest: &[usize] = &item;
    if rest.first().is_some_and(|&i| is(&toks[i], "only")) {
        rest = &rest[1..];
    }
    // `( subquery ) alias`: the parentheses are top-level tokens at the ends of it.
    if rest.first().is_some_and(|&i| toks[i].text == "(") {
        let close = rest.iter().position(|&i| toks[i].text == ")")?;
        let alias = &rest[close + 1..];
        let alias = match alias {
            [a, b] if is(&toks[*a], "as") => std::slice::from_ref(b),
            _ => alias,
        };
        return match alias {
            [a] if words(&[*a]) => Some(toks[*a].text),
            _ => None,
        };
    }
    // `[schema .] relation [[AS] alias]`.
    let (name, alias) = match rest {
        [s, dot, r, alias @ ..] if toks[*dot].text == "." && words(&[*s, *r]) => (*r, alias),
        [r, alias @ ..] if words(&[*r]) => (*r, alias),
        _ => return None,
    };
    let alias = match alias {
        [a, b] if is(&toks[*a], "as") => std::slice::from_ref(b),
        _ => alias,
    };
    match alias {
        [] => Some(toks[name].text),
        [a] if words(&[*a]) => Some(toks[*a].text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::unqualify_single_relation as u;

    #[test]
    fn one_relation_loses_its_qualifier_outside_subqueries() {
        assert_eq!(
            u(" SELECT orders.user_id,\n    sum(orders.total) AS total\n   FROM app.orders\n  GROUP BY orders.user_id"),
            " SELECT user_id,\n    sum(total) AS total\n   FROM app.orders\n  GROUP BY user_id"
        );
        assert_eq!(
            u(" SELECT users.id\n   FROM public.users\n  WHERE users.mood <> 'sad'::public.mood AND (EXISTS ( SELECT 1\n           FROM public.orders o\n          WHERE o.user_id = users.id))"),
            " SELECT id\n   FROM public.users\n  WHERE mood <> 'sad'::public.mood AND (EXISTS ( SELECT 1\n           FROM public.orders o\n          WHERE o.user_id = users.id))"
        );
        // An alias, a whole-row reference, a quoted name, a subquery in FROM.
        assert_eq!(
            u(" SELECT public.user_label(u.*) AS label,\n    u.\"Name\"\n   FROM ONLY public.users u"),
            " SELECT public.user_label(u.*) AS label,\n    \"Name\"\n   FROM ONLY public.users u"
        );
        assert_eq!(
            u(" SELECT s.x\n   FROM ( SELECT t.x\n           FROM t) s"),
            " SELECT x\n   FROM ( SELECT t.x\n           FROM t) s"
        );
    }

    #[test]
    fn joins_set_operations_and_functions_are_left_as_printed() {
        for def in [
            " SELECT a.id\n   FROM a\n     JOIN b ON a.id = b.id",
            " SELECT a.id\n   FROM a, b",
            " SELECT a.id\n   FROM a\nUNION\n SELECT b.id\n   FROM b",
            " WITH x AS (\n         SELECT 1 AS id\n        )\n SELECT x.id\n   FROM x",
            " SELECT f.id\n   FROM public.f() f(id)",
            " SELECT 1 AS one",
        ] {
            assert_eq!(u(def), def);
        }
    }
}
