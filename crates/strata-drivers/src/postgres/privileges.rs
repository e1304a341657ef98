//! Read the privileges `strata dump --privileges` writes: the `GRANT`s and `REVOKE`s that make
//! each object's ACL from its default one, for roles other than its owner, and `ALTER DEFAULT
//! PRIVILEGES`. Read with an empty `search_path`, like [`super::catalog`].

use super::catalog::{not_extension, USER_NS};
use postgres::Client;
use strata_core::schema::{Grant, Snapshot};

/// Privileges granted to roles other than each object's owner, on tables, views, sequences,
/// functions, procedures and schemas; and the default privileges revoked (`EXECUTE` from
/// `PUBLIC`), and the default privileges of objects created later (`ALTER DEFAULT
/// PRIVILEGES`). Objects whose privileges were never changed have none. The `public` schema is
/// left out with its privileges, as from the dump: its defaults differ between versions. Tables, views and
/// sequences not in `of` (Strata's own, an identity column's sequence) are left out.
pub fn privileges(client: &mut Client, of: &Snapshot) -> Result<Vec<Grant>, postgres::Error> {
    let saved: String = client
        .query_one("SELECT current_setting('search_path')", &[])?
        .get(0);
    client.execute("SELECT set_config('search_path', '', false)", &[])?;
    let read = read_privileges(client);
    let restored = client.execute("SELECT set_config('search_path', $1, false)", &[&saved]);
    let mut grants = read?;
    restored?;
    let relations: std::collections::BTreeSet<String> = of
        .tables
        .values()
        .map(|t| &t.name)
        .chain(of.views.values().map(|v| &v.name))
        .chain(of.sequences.values().map(|q| &q.name))
        .map(strata_core::schema::render::qualified)
        .collect();
    grants.retain(|g| {
        !matches!(g.kind.as_str(), "TABLE" | "SEQUENCE") || relations.contains(&g.object)
    });
    Ok(grants)
}

/// An SQL expression quoting the name `expr` always, as the dump does.
fn quoted(expr: &str) -> String {
    format!("'\"' || pg_catalog.replace({expr}, '\"', '\"\"') || '\"'")
}

fn read_privileges(c: &mut Client) -> Result<Vec<Grant>, postgres::Error> {
    let rel_ext = not_extension("pg_class", "c.oid");
    let proc_ext = not_extension("pg_proc", "p.oid");
    let ns_ext = not_extension("pg_namespace", "n.oid");
    // (kind, object as SQL, owner, acl, acldefault kind) for every object with an ACL.
    let objects = format!(
        "SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind, \
           {} || '.' || {} AS object, \
           c.relowner AS owner, c.relacl AS acl, \
           pg_catalog.acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner) AS dflt, \
           false AS defaults \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') \
           AND {USER_NS} AND {rel_ext} \
         UNION ALL \
         SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, \
           {} || '.' || {} || '(' || \
             pg_catalog.oidvectortypes(p.proargtypes) || ')', \
           p.proowner, p.proacl, pg_catalog.acldefault('f', p.proowner), false \
         FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.proacl IS NOT NULL AND p.prokind IN ('f', 'p') AND {USER_NS} AND {proc_ext} \
         UNION ALL \
         SELECT 'SCHEMA', {}, n.nspowner, n.nspacl, \
           pg_catalog.acldefault('n', n.nspowner), false \
         FROM pg_catalog.pg_namespace n WHERE n.nspacl IS NOT NULL AND {USER_NS} AND {ns_ext} \
           AND n.nspname <> 'public' \
         UNION ALL \
         SELECT CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' \
             WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END, \
           'FOR ROLE ' || {} || COALESCE(' IN SCHEMA ' || {}, ''), \
           d.defaclrole, d.defaclacl, \
           CASE WHEN d.defaclnamespace = 0 THEN pg_catalog.acldefault(CASE d.defaclobjtype \
             WHEN 'S' THEN 's' ELSE d.defaclobjtype END, d.defaclrole) ELSE NULL::aclitem[] END, true \
         FROM pg_catalog.pg_default_acl d \
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace",
        quoted("n.nspname::text"),
        quoted("c.relname::text"),
        quoted("n.nspname::text"),
        quoted("p.proname::text"),
        quoted("n.nspname::text"),
        quoted("pg_catalog.pg_get_userbyid(d.defaclrole)::text"),
        quoted("n.nspname::text"),
    );
    // Each (object, grantee, privilege, grantable) granted beyond the default, and each default
    // one taken away; the owner's own privileges are left out.
    let rows = c.query(
        &format!(
            "WITH o AS ({objects}), \
             now AS (SELECT o.defaults, o.kind, o.object, o.owner, a.grantee, a.privilege_type, a.is_grantable \
               FROM o, LATERAL pg_catalog.aclexplode(o.acl) a), \
             dflt AS (SELECT o.defaults, o.kind, o.object, o.owner, a.grantee, a.privilege_type, a.is_grantable \
               FROM o, LATERAL pg_catalog.aclexplode(o.dflt) a), \
             changes AS ( \
               (SELECT *, true AS granted FROM now EXCEPT SELECT *, true FROM dflt) \
               UNION ALL \
               (SELECT *, false FROM dflt EXCEPT SELECT *, false FROM now)) \
             SELECT kind, object, \
               CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE {} END, \
               granted, is_grantable AND granted, \
               array_agg(privilege_type ORDER BY privilege_type), defaults \
             FROM changes WHERE grantee <> owner \
             GROUP BY 1, 2, 3, 4, 5, 7",
            quoted("pg_catalog.pg_get_userbyid(grantee)::text")
        ),
        &[],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| Grant {
            defaults: r.get(6),
            kind: r.get(0),
            object: r.get(1),
            grantee: r.get(2),
            granted: r.get(3),
            grant_option: r.get(4),
            privileges: r.get(5),
        })
        .collect())
}
