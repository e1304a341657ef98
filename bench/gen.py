#!/usr/bin/env python3
"""Generate the issue-5 benchmark workload (stdlib only).

    gen.py migrations N OUT     N small migrations in every layout the bench runs:
        OUT/migrate/000001_m1.up.sql + .down.sql    golang-migrate pairs (strata)
        OUT/dbmate/db/migrations/000001_m1.sql      dbmate (-- migrate:up / -- migrate:down)
        OUT/sql-migrate/000001_m1.sql               sql-migrate (-- +migrate Up / Down)
        OUT/all.sql                                 every up part concatenated (psql baseline)

    gen.py mysql N OUT           the same mix for MySQL/MariaDB (bench/mysql.sh):
        OUT/migrate/000001_m1.up.sql + .down.sql, OUT/all.sql; the function's body is
        wrapped in `DELIMITER //` lines, as the `mariadb` client (and Strata) read them

    gen.py large MB OUT [--copy]     one big migration of about MB megabytes:
        OUT/migrate/000001_large.up.sql + .down.sql, OUT/all.sql (same body)
        default: multi-row INSERTs (100 rows a statement, like pg_dump --rows-per-insert=100);
        --copy: a `COPY ... FROM stdin;` data block as pg_dump writes it.

Every small migration has the mix of issue 5: a table + an index, a column added with a default,
a plpgsql function whose $$ body contains semicolons, and 3 single-row inserts. The bodies are
identical across layouts (byte for byte), so every runner sends the same SQL.
"""
import os
import sys


def up_sql(i: int) -> str:
    t = f"t{i:06d}"
    return f"""CREATE TABLE {t} (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX {t}_name_idx ON {t} (name);
ALTER TABLE {t} ADD COLUMN status text NOT NULL DEFAULT 'new';
CREATE FUNCTION {t}_count(p_min bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM {t} WHERE id >= p_min;
    IF n IS NULL THEN
        n := 0;
    END IF;
    RETURN n;
END;
$$;
INSERT INTO {t} (name) VALUES ('alpha {i}');
INSERT INTO {t} (name, status) VALUES ('beta {i}', 'old');
INSERT INTO {t} (name) VALUES ('gamma; with a semicolon {i}');
"""


def down_sql(i: int) -> str:
    t = f"t{i:06d}"
    return f"DROP FUNCTION {t}_count(bigint);\nDROP TABLE {t};\n"


def split_function(up: str) -> str:
    """sql-migrate splits on semicolons: wrap the $$ function in StatementBegin/End."""
    start = up.index("CREATE FUNCTION")
    end = up.index("$$;\n", start) + len("$$;\n")
    return (up[:start] + "-- +migrate StatementBegin\n" + up[start:end]
            + "-- +migrate StatementEnd\n" + up[end:])


def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def gen_migrations(n: int, out: str) -> None:
    allsql = []
    for i in range(1, n + 1):
        up, down = up_sql(i), down_sql(i)
        name = f"{i:06d}_m{i}"
        write(f"{out}/migrate/{name}.up.sql", up)
        write(f"{out}/migrate/{name}.down.sql", down)
        write(f"{out}/dbmate/db/migrations/{name}.sql",
              f"-- migrate:up\n{up}\n-- migrate:down\n{down}")
        write(f"{out}/sql-migrate/{name}.sql",
              f"-- +migrate Up\n{split_function(up)}\n-- +migrate Down\n{down}")
        allsql.append(f"-- {name}\n{up}")
    write(f"{out}/all.sql", "".join(allsql))


def mysql_up_sql(i: int) -> str:
    t = f"t{i:06d}"
    return f"""CREATE TABLE {t} (
    id bigint AUTO_INCREMENT PRIMARY KEY,
    name varchar(200) NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX {t}_name_idx ON {t} (name);
ALTER TABLE {t} ADD COLUMN status varchar(20) NOT NULL DEFAULT 'new';
DELIMITER //
CREATE FUNCTION {t}_count(p_min bigint) RETURNS bigint
READS SQL DATA
BEGIN
    DECLARE n bigint;
    SELECT count(*) INTO n FROM {t} WHERE id >= p_min;
    IF n IS NULL THEN
        SET n = 0;
    END IF;
    RETURN n;
END//
DELIMITER ;
INSERT INTO {t} (name) VALUES ('alpha {i}');
INSERT INTO {t} (name, status) VALUES ('beta {i}', 'old');
INSERT INTO {t} (name) VALUES ('gamma; with a semicolon {i}');
"""


def gen_mysql(n: int, out: str) -> None:
    allsql = []
    for i in range(1, n + 1):
        t = f"t{i:06d}"
        up = mysql_up_sql(i)
        name = f"{i:06d}_m{i}"
        write(f"{out}/migrate/{name}.up.sql", up)
        write(f"{out}/migrate/{name}.down.sql", f"DROP FUNCTION {t}_count;\nDROP TABLE {t};\n")
        allsql.append(f"-- {name}\n{up}")
    write(f"{out}/all.sql", "".join(allsql))


def gen_large(mb: int, out: str, copy: bool) -> None:
    target = mb * 1024 * 1024
    os.makedirs(f"{out}/migrate", exist_ok=True)
    path = f"{out}/migrate/000001_large.up.sql"
    pad = "x" * 40
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("CREATE TABLE big (id bigint PRIMARY KEY, name text NOT NULL, note text);\n")
        row, size = 0, 0
        if copy:
            f.write("COPY big (id, name, note) FROM stdin;\n")
            while size < target:
                lines = []
                for _ in range(1000):
                    row += 1
                    lines.append(f"{row}\tname {row}\t{pad}; not a statement end\n")
                chunk = "".join(lines)
                f.write(chunk)
                size += len(chunk)
            f.write("\\.\n")
        else:
            while size < target:
                vals = []
                for _ in range(100):
                    row += 1
                    vals.append(f"({row}, 'name {row}', '{pad}; not a statement end')")
                stmt = "INSERT INTO big (id, name, note) VALUES\n" + ",\n".join(vals) + ";\n"
                f.write(stmt)
                size += len(stmt)
        f.write("CREATE INDEX big_name_idx ON big (name);\n")
    write(f"{out}/migrate/000001_large.down.sql", "DROP TABLE big;\n")
    # psql reads the same file
    allsql = f"{out}/all.sql"
    if os.path.lexists(allsql):
        os.remove(allsql)
    os.symlink(os.path.abspath(path), allsql)
    print(f"{os.path.basename(path)}: {os.path.getsize(path):,} bytes, {row:,} rows")


def main(argv):
    if len(argv) >= 4 and argv[1] == "migrations":
        gen_migrations(int(argv[2]), argv[3])
    elif len(argv) >= 4 and argv[1] == "mysql":
        gen_mysql(int(argv[2]), argv[3])
    elif len(argv) >= 4 and argv[1] == "large":
        gen_large(int(argv[2]), argv[3], "--copy" in argv[4:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
