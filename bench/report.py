#!/usr/bin/env python3
"""Write bench/RESULTS.md from one run's work directory (called by bench/run.sh; stdlib only).

    report.py WORK_DIR OUT.md

Reads WORK_DIR/raw.tsv (one row per timed run), meta.tsv, notes.txt, load.tsv and the hyperfine
JSON exports hf-*.json.
"""
import csv
import glob
import json
import os
import statistics
import sys

LABEL = {
    "psql1": "`psql -1 -f all.sql`",
    "psql": "`psql -f all.sql`",
    "strata": "`strata up`",
    "strata1": "`strata up --single-transaction`",
    "dbmate": "dbmate `migrate`",
    "sqlmigrate": "sql-migrate `up`",
}
ORDER = ["psql1", "psql", "strata", "strata1", "dbmate", "sqlmigrate"]


def med(xs):
    return statistics.median(xs) if xs else None


def fmt_s(x):
    if x is None:
        return "—"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def fmt_ms(x):
    return "—" if x is None else f"{x * 1000:.1f} ms"


def fmt_ratio(x):
    return "—" if x is None else f"{x:.2f}×"


def main(work, out):
    with open(f"{work}/raw.tsv") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    meta = {}
    with open(f"{work}/meta.tsv") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            meta[k] = v
    notes = [l.rstrip("\n") for l in open(f"{work}/notes.txt") if l.strip()]
    loads, psi = [], []
    if os.path.exists(f"{work}/load.tsv"):
        for line in open(f"{work}/load.tsv"):
            parts = line.split()
            if len(parts) >= 2:
                loads.append(float(parts[1]))
            if len(parts) >= 3:
                psi.append(float(parts[2]))

    def ok(r, section):
        if r["exit"] != "0":
            return False
        if section in ("apply", "link"):
            return r["objects"] == r["n"]
        return True

    def series(section, n, runner, link="direct"):
        return [r for r in rows if r["section"] == section and r["n"] == str(n)
                and r["runner"] == runner and r["link"] == link]

    def med_time(section, n, runner, link="direct"):
        rs = [r for r in series(section, n, runner, link) if ok(r, section)]
        return med([float(r["seconds"]) for r in rs])

    def med_col(section, n, runner, col, link="direct"):
        rs = [r for r in series(section, n, runner, link) if ok(r, section) and r[col] != ""]
        return med([float(r[col].rstrip("~")) for r in rs])

    runners = [x for x in ORDER if any(r["runner"] == x for r in rows if r["section"] == "apply")]
    ns = sorted({int(r["n"]) for r in rows if r["section"] == "apply"})
    L = []
    w = L.append
    w("# Strata benchmark results")
    w("")
    w(f"Written by `bench/run.sh` on {meta.get('date', '?')}; not edited by hand. "
      "How to re-run and what each number means: `bench/README.md`. "
      "Every run's raw numbers: the last section here and `bench/RESULTS.raw.tsv`.")
    w("")
    w("## Machine and setup")
    w("")
    w(f"- Machine: {meta.get('nproc')} cores ({meta.get('cpu')}), {meta.get('memory')} memory, "
      f"{meta.get('kernel')}, disk {meta.get('disk')}")
    w(f"- PostgreSQL: {meta.get('pg_version')}; own throwaway cluster on 127.0.0.1 (TCP for every "
      f"runner), initdb defaults: {meta.get('pg_settings')}")
    w(f"- Strata: {meta.get('strata_version')} from {meta.get('strata_source')} "
      f"(binary sha256 {meta.get('strata_sha256')}…), release build")
    for k, name in (("dbmate_version", "dbmate (npm package's prebuilt binary, run directly)"),
                    ("sqlmigrate_version", "sql-migrate (Debian package)")):
        if k in meta:
            w(f"- {name}: {meta[k]}")
    w(f"- {meta.get('psql_version')}; timer for no-op and start-up: {meta.get('hyperfine')}")
    wait = meta.get("load_wait_seconds", "0")
    lo = f"min {min(loads):.2f}, median {statistics.median(loads):.2f}, max {max(loads):.2f}" if loads else "?"
    w(f"- **Load**: the machine is shared. The script waited {wait} s for the 1-minute load "
      f"average to drop below the threshold; load average at the start of measuring: "
      f"{meta.get('load_at_start')} (1, 5, 15 min); sampled every 5 s while measuring: {lo}. "
      "Each run's 1-minute load at its start is in the raw table (`load1`).")
    if psi:
        w(f"- **Disk contention** (fsync is on, so commits wait for the shared disk): I/O pressure "
          f"(`/proc/pressure/io`, share of the last 10 s some task waited on I/O) at the start: "
          f"{meta.get('io_pressure_at_start', '?')}; sampled while measuring: min {min(psi):.1f} %, "
          f"median {statistics.median(psi):.1f} %, max {max(psi):.1f} %.")
    w(f"- Runs: {meta.get('runs')} per runner and N, runner order rotated every run; each run on "
      "a fresh database after a `CHECKPOINT`. Medians of successful runs. Measuring took "
      f"{meta.get('measure_seconds')} s, the whole script {meta.get('total_seconds')} s.")
    w("")

    # ---- apply table
    w("## Apply N migrations from zero (loopback)")
    w("")
    w("Whole-process wall time, median; × = ratio to `psql -1 -f all.sql` (the limit: one "
      "transaction, no bookkeeping).")
    w("")
    w("| N | " + " | ".join(LABEL[x] for x in runners) + " |")
    w("|---|" + "---|" * len(runners))
    for n in ns:
        base = med_time("apply", n, "psql1")
        cells = []
        for x in runners:
            t = med_time("apply", n, x)
            bad = len([r for r in series("apply", n, x) if not ok(r, "apply")])
            c = "failed" if t is None else f"{fmt_s(t)} ({fmt_ratio(t / base if base else None)})"
            if bad and t is not None:
                c += f" [{bad} failed run(s)]"
            cells.append(c)
        w(f"| {n:,} | " + " | ".join(cells) + " |")
    w("")
    w("Per migration, at the largest N above (medians; commits are `pg_stat_database.xact_commit` "
      "of the target database, every transaction the runner's session ended, read-only ones "
      "included; WAL is the `pg_current_wal_lsn()` difference over the run, full-page images "
      "after the checkpoint included; peak RSS is the client process's, not the server's):")
    w("")
    nmax = max(ns) if ns else 0
    w("| runner | commits / migration | WAL bytes / migration | peak RSS (client) | time / migration |")
    w("|---|---|---|---|---|")
    for x in runners:
        c = med_col("apply", nmax, x, "commits")
        wb = med_col("apply", nmax, x, "wal_bytes")
        rss = med_col("apply", nmax, x, "max_rss_kb")
        t = med_time("apply", nmax, x)
        w(f"| {LABEL[x]} | {'—' if c is None else f'{c / nmax:.2f}'} | "
          f"{'—' if wb is None else f'{wb / nmax:,.0f}'} | "
          f"{'—' if rss is None else f'{rss / 1024:.1f} MiB'} | {fmt_ms(t / nmax) if t else '—'} |")
    w("")
    if meta.get("gnu_time_max_rss_kb_strata"):
        v = meta["gnu_time_max_rss_kb_strata"]
        w(f"Cross-check with GNU `/usr/bin/time -v strata up` on {int(meta['gnu_time_n']):,} (one extra run): "
          f"Maximum resident set size {v} kB ({int(v) / 1024:.1f} MiB).")
        w("")

    # ---- link
    link_rows = [r for r in rows if r["section"] == "link"]
    if link_rows:
        ln = int(link_rows[0]["n"])
        w(f"## Over a 10 ms link (N = {ln})")
        w("")
        w(f"{meta.get('link', '')}. Round trips per migration ≈ (t(+10 ms) − t(proxy 0 ms)) / "
          f"(measured delay per round trip × {ln}): every round trip the runner waits for costs "
          "10 ms more, so this counts them (connection set-up included, spread over the migrations). psql sends one statement "
          "at a time: 7 statements a migration here, which calibrates the count.")
        w("")
        cal = {lk: med([float(r["seconds"]) for r in rows if r["section"] == "calib"
                        and r["link"] == lk and r["exit"] == "0"]) for lk in ("proxy0", "proxy10")}
        rtt = 0.010
        if cal["proxy0"] is not None and cal["proxy10"] is not None:
            # 200 statements + connection set-up (libpq's SSLRequest, then startup): 2 more
            rtt = (cal["proxy10"] - cal["proxy0"]) / 202
            w(f"Proxy calibration: 200 × `SELECT 1;` through psql took {fmt_s(cal['proxy0'])} "
              f"through the 0 ms proxy and {fmt_s(cal['proxy10'])} through the +10 ms one: "
              f"{rtt * 1000:.2f} ms added per round trip (counting 2 for the connection; "
              "10 ms expected). The round-trip counts below divide by this measured delay.")
            w("")
        w("| runner | direct (loopback) | proxy, 0 ms | proxy, +10 ms RTT | × `psql -1` at +10 ms | "
          "× `psql -f` at +10 ms | round trips / migration |")
        w("|---|---|---|---|---|---|---|")
        b1 = med_time("link", ln, "psql1", "proxy10")
        bp = med_time("link", ln, "psql", "proxy10")
        for x in runners:
            d = med_time("apply", ln, x)
            p0 = med_time("link", ln, x, "proxy0")
            p10 = med_time("link", ln, x, "proxy10")
            rt = (p10 - p0) / (rtt * ln) if p0 is not None and p10 is not None else None
            w(f"| {LABEL[x]} | {fmt_s(d)} | {fmt_s(p0)} | {fmt_s(p10)} | "
              f"{fmt_ratio(p10 / b1 if p10 and b1 else None)} | "
              f"{fmt_ratio(p10 / bp if p10 and bp else None)} | "
              f"{'—' if rt is None else f'{rt:.1f}'} |")
        w("")

    # ---- no-op and start-up (hyperfine)
    def hf(path):
        try:
            with open(path) as f:
                return json.load(f)["results"]
        except (OSError, ValueError, KeyError):
            return []

    noop = [(int(os.path.basename(p)[8:-5]), hf(p)) for p in glob.glob(f"{work}/hf-noop-*.json")]
    noop_rows = [r for r in rows if r["section"] == "noop"]
    if noop or noop_rows:
        w("## No-op `up` on N applied (whole process)")
        w("")
        w("Nothing pending: connect, read the ledger, scan and checksum the files, exit. "
          "hyperfine, 2 warm-ups then 10 runs, no shell.")
        w("")
        w("| N | command | median | mean ± σ | min … max |")
        w("|---|---|---|---|---|")
        for n, res in sorted(noop):
            for r in res:
                w(f"| {n:,} | {r['command']} | {fmt_ms(r['median'])} | {fmt_ms(r['mean'])} ± "
                  f"{fmt_ms(r['stddev'])} | {fmt_ms(r['min'])} … {fmt_ms(r['max'])} |")
        for n in sorted({r["n"] for r in noop_rows}):
            for cmd in sorted({r["runner"] for r in noop_rows if r["n"] == n}):
                ts = [float(r["seconds"]) for r in noop_rows if r["n"] == n and r["runner"] == cmd]
                w(f"| {int(n):,} | {cmd} | {fmt_ms(med(ts))} | (python timer) | "
                  f"{fmt_ms(min(ts))} … {fmt_ms(max(ts))} |")
        w("")
    cli = hf(f"{work}/hf-cli.json")
    cli_rows = [r for r in rows if r["section"] == "cli"]
    if cli or cli_rows:
        w("## Start-up (whole process)")
        w("")
        w("| command | median | mean ± σ | min … max |")
        w("|---|---|---|---|")
        for r in cli:
            w(f"| `{r['command']}` | {fmt_ms(r['median'])} | {fmt_ms(r['mean'])} ± "
              f"{fmt_ms(r['stddev'])} | {fmt_ms(r['min'])} … {fmt_ms(r['max'])} |")
        for cmd in sorted({r["runner"] for r in cli_rows}):
            ts = [float(r["seconds"]) for r in cli_rows if r["runner"] == cmd]
            w(f"| `{cmd}` | {fmt_ms(med(ts))} | (python timer) | {fmt_ms(min(ts))} … {fmt_ms(max(ts))} |")
        w("")

    # ---- large file
    large = [r for r in rows if r["section"] == "large"]
    if large:
        mb = int(large[0]["n"])
        w(f"## One large migration file ({mb} MB of INSERTs)")
        w("")
        w(f"{meta.get('large_file', '')}. 100 rows per INSERT, then one index. Median of 3.")
        w("")
        w("| runner | time | × `psql -1` | × `psql -f` | throughput | peak RSS (client) |")
        w("|---|---|---|---|---|---|")
        b1 = med_time("large", mb, "psql1")
        bp = med_time("large", mb, "psql")
        for x in ("psql1", "psql", "strata"):
            t = med_time("large", mb, x)
            rss = med_col("large", mb, x, "max_rss_kb")
            fails = [r for r in series("large", mb, x) if r["exit"] != "0"]
            w(f"| {LABEL[x]} | {fmt_s(t) if t else 'failed'} | {fmt_ratio(t / b1 if t and b1 else None)} | "
              f"{fmt_ratio(t / bp if t and bp else None)} | "
              f"{'—' if not t else f'{mb / t:.1f} MB/s'} | "
              f"{'—' if rss is None else f'{rss / 1024:.1f} MiB'} |"
              + (f" {len(fails)} failed run(s)" if fails else ""))
        w("")
    probe = {r["runner"]: r for r in rows if r["section"] == "copyprobe"}
    if probe:
        s = probe.get("strata")
        w("## `COPY ... FROM stdin;` data blocks (1 MB probe)")
        w("")
        if s and s["exit"] == "0" and s["objects"] == probe.get("psql", {}).get("objects"):
            w(f"`strata up` ran the pg_dump-style COPY block: {s['objects']} rows, as psql did.")
        else:
            w(f"`strata up` cannot run a COPY data block yet (exit {s['exit'] if s else '?'}, "
              f"{s['objects'] if s else '?'} rows loaded; psql loaded "
              f"{probe.get('psql', {}).get('objects', '?')}). Its output: "
              f"`{meta.get('copy_probe_strata_output', '').strip()}`")
        w("")

    # ---- targets
    w("## Issue 5 targets against this run")
    w("")
    noisy = []
    if loads and statistics.median(loads) >= 1.5:
        noisy.append(f"median 1-minute load {statistics.median(loads):.2f} while measuring")
    if psi and statistics.median(psi) >= 5:
        noisy.append(f"median I/O pressure {statistics.median(psi):.1f} %")
    if noisy:
        w(f"**This run was measured on a busy machine ({'; '.join(noisy)}).** Treat every verdict "
          "below as provisional and re-run on a quiet machine before quoting it.")
        w("")
    w("| target | this run | met? |")
    w("|---|---|---|")

    def yes(c):
        return "yes" if c else "**no**"

    s1000 = med_time("apply", 1000, "strata")
    p1000 = med_time("apply", 1000, "psql1")
    per_tx = [t for t in (med_time("apply", 1000, x) for x in ("strata", "dbmate", "sqlmigrate")) if t]
    limit_slowed = p1000 and any(t < p1000 for t in per_tx)
    if s1000 and p1000:
        verdict = yes(s1000 / p1000 <= 1.10)
        if limit_slowed:
            # 1,000 fsync'ed commits cannot beat one: the limit itself was slowed by the machine
            verdict = ("not conclusive: a runner committing 1,000 times beat the one-transaction "
                       "limit, so the limit was slowed by contention")
        w(f"| apply 1,000, a transaction each: ≤ 1.10× `psql -1` | {s1000 / p1000:.2f}× | {verdict} |")
    t1 = med_time("apply", 1000, "strata1")
    if t1 and p1000:
        w(f"| apply 1,000 with `--single-transaction`: ≤ 1.02× | {t1 / p1000:.2f}× | {yes(t1 / p1000 <= 1.02)} |")
    else:
        w("| apply 1,000 with `--single-transaction`: ≤ 1.02× | option not in this binary | not measured |")
    if link_rows:
        s10 = med_time("link", ln, "strata", "proxy10")
        q10 = med_time("link", ln, "psql", "proxy10")
        if s10 and q10:
            w(f"| +10 ms link: beat `psql -f` | strata {fmt_s(s10)} vs psql -f {fmt_s(q10)} "
              f"({s10 / q10:.2f}×) | {yes(s10 < q10)} |")
    for n, lim in ((1000, 0.015), (10000, 0.050)):
        v = None
        for nn, res in noop:
            if nn == n:
                v = next((r["median"] for r in res if r["command"] == "strata up"), None)
        if v is None:
            v = med([float(r["seconds"]) for r in noop_rows if r["n"] == str(n) and r["runner"] == "strata up"])
        if v is not None:
            w(f"| no-op `up` on {n:,}: < {lim * 1000:.0f} ms | {fmt_ms(v)} | {yes(v < lim)} |")
        else:
            w(f"| no-op `up` on {n:,}: < {lim * 1000:.0f} ms | not run{' (`--with-10000`)' if n == 10000 else ''} | not measured |")
    rss = med_col("apply", 1000, "strata", "max_rss_kb")
    if rss:
        w(f"| peak memory applying 1,000: < 10 MiB | {rss / 1024:.1f} MiB | {yes(rss < 10 * 1024)} |")
    if large:
        t = med_time("large", mb, "strata")
        bp = med_time("large", mb, "psql")
        rss = med_col("large", mb, "strata", "max_rss_kb")
        if t and bp and rss:
            w(f"| 1 GiB file: peak < 64 MiB, ≤ 1.2× `psql -f` | {mb} MB file only: "
              f"{rss / 1024:.1f} MiB, {t / bp:.2f}× | not measured at 1 GiB "
              f"({'on track' if rss < 64 * 1024 and t / bp <= 1.2 else 'already missed at this size'}) |")
    for r in cli:
        if r["command"].startswith("strata"):
            w(f"| `{r['command']}` < 5 ms | {fmt_ms(r['median'])} | {yes(r['median'] < 0.005)} |")
    w("")

    if notes:
        w("## Not measured / notes")
        w("")
        for n in notes:
            w(f"- {n}")
        w("")

    # ---- raw
    w("## Raw runs")
    w("")
    w("`seconds` wall time of the whole process; `max_rss_kb` its peak RSS (GNU time's %M; a trailing `~` marks wait4's number, used without GNU time); `commits`, "
      "`wal_bytes` as above; `objects` functions created (rows loaded for `large`), a check "
      "that the run really applied everything; `load1` the 1-minute load average when the run "
      "started. `link`: direct, or through the delay proxy.")
    w("")
    cols = ["section", "n", "link", "runner", "run", "seconds", "max_rss_kb", "exit", "commits",
            "wal_bytes", "objects", "load1"]
    w("| " + " | ".join(cols) + " |")
    w("|" + "---|" * len(cols))
    for r in rows:
        w("| " + " | ".join(r[c] for c in cols) + " |")
    w("")
    for name, res in [(f"no-op up, N={n}", r) for n, r in sorted(noop)] + [("start-up", cli)]:
        for r in res:
            ts = ", ".join(f"{t * 1000:.2f}" for t in r.get("times", []))
            w(f"- hyperfine {name}, `{r['command']}` (ms): {ts}")
    w("")
    with open(out, "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
