"""`charter payouts`: a program's commission run over a file of deals, in embedded DuckDB.

Input: CSV (a header naming deal-table columns), Parquet, or JSON Lines of quote requests
(each read by the engine's own request reader, as `charter quote --batch` reads it, then made
a deal row; a request's `cumulative` is ignored: the run computes it from the file; a step's
negotiated payout terms go to `stepN_commission` ...; a negotiated lead protection, checked
by the reader, pays nothing and has no column). Every input value is checked and converted
exactly (amounts never pass through a float); a row that cannot be read, or that the SQL
refuses, goes to the rejects table with its line and id.
Output: payouts, decisions and rejects, as Parquet or CSV by the output's extension, each
written to a temporary file beside it and renamed into place. DuckDB runs with a memory limit
and spills to a temporary folder (beside the output unless given), so memory stays bounded.
"""
from __future__ import annotations

import csv
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from charter import model as m
from charter.warehouse.constants import MAX_CLAIMS, MAX_STEPS, RATE_DECIMALS, TERMS, Constants
from charter.warehouse.sqlgen import MATERIALISED, OUTPUTS, Gen, q
from charter.warehouse.tables import deal_columns

FORMATS = {".parquet": "parquet", ".csv": "csv"}
INPUTS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
AMOUNT = r"^[0-9]{1,24}(\.[0-9]{1,12})?$"
RATE = r"^[0-9](\.[0-9]{1,12})?$"   # a rate column holds below 10 (DECIMAL(9, 8): 999.999999%)


class UsageProblem(ValueError):
    """The input or the output cannot be used at all (exit 2)."""


@dataclass
class RunResult:
    deals: int = 0
    lines: int = 0
    rejected: int = 0
    accepted: int = 0
    walked: int = 0
    outputs: dict = field(default_factory=dict)


def output_paths(out: str | Path) -> dict[str, Path]:
    """payouts at ``out``; decisions and rejects beside it (`NAME.decisions.EXT`, ...)."""
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise UsageProblem(f"{out}: the output must end in .parquet or .csv")
    stem = out.name[:-len(out.suffix)]
    return {"payouts": out, "decisions": out.with_name(f"{stem}.decisions{out.suffix}"),
            "rejects": out.with_name(f"{stem}.rejects{out.suffix}")}


def input_format(path: str | Path, given: str | None = None) -> str:
    if given:
        return given
    suffix = Path(path).suffix.lower()
    if suffix not in INPUTS:
        raise UsageProblem(f"{path}: give a .csv, .parquet or .jsonl file (or --input-format)")
    return INPUTS[suffix]


class Progress:
    """One line on stderr per stage, with the time it took."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.start = self.last = time.perf_counter()

    def say(self, text: str) -> None:
        if self.quiet:
            return
        now = time.perf_counter()
        try:
            sys.stderr.write(f"charter: {text} ({now - self.last:.1f} s)\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - progress must never fail the run
            pass
        self.last = now


def connect(memory_limit: str, temp_dir: str | None, threads: int | None = None):
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = {q(memory_limit)}")
    if temp_dir:
        con.execute(f"SET temp_directory = {q(temp_dir)}")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    return con


# ---- reading the input ---------------------------------------------------------------------

def load_deals(con, path: str, fmt: str, constants: Constants, program: m.Program) -> None:
    """Create table `deals` (the deal table's typed columns) and `charter_input_rejects`."""
    if fmt == "jsonl":
        with tempfile.TemporaryDirectory(prefix="charter-jsonl-") as tmp:
            csv_path = os.path.join(tmp, "deals.csv")
            rejects = jsonl_to_csv(path, csv_path, program)
            _normalize(con, constants, _raw_from_csv(con, csv_path, lines_from="line"))
        if rejects:
            con.executemany("INSERT INTO charter_input_rejects VALUES (?, ?, ?)", rejects)
        return
    source = _raw_from_csv(con, path) if fmt == "csv" else _raw_from_parquet(con, path)
    _normalize(con, constants, source)
    con.execute("DROP TABLE IF EXISTS charter_raw")


def _raw_from_csv(con, path: str, lines_from: str | None = None) -> str:
    """The file's rows, every value text, as a relation to select from; a CSV's own rows are
    made table `charter_raw` first, to number them (the header is line 1)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        names = next(csv.reader(handle), [])
    _check_names(path, names, extra=("line",) if lines_from else ())
    read = (f"read_csv({q(path)}, header = true, all_varchar = true, auto_detect = false,"
            f" columns = {{{', '.join(q(n) + ': ' + q('VARCHAR') for n in names)}}})")
    if lines_from is not None:  # the request reader wrote each row's line
        return read
    con.execute(f"CREATE TEMP TABLE charter_raw AS SELECT * FROM {read}")
    con.execute("ALTER TABLE charter_raw ADD COLUMN line BIGINT")
    con.execute("UPDATE charter_raw SET line = rowid + 2")
    return "charter_raw"


def _raw_from_parquet(con, path: str) -> str:
    """The file as a relation to select from (read where it is selected, not copied first);
    without a `line` column, a row's line is its position in the file from 1."""
    read = f"read_parquet({q(path)})"
    info = con.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()
    names = [row[0] for row in info]
    _check_names(path, names)
    for name, type_, *_ in info:
        if any(t in type_.upper() for t in ("FLOAT", "DOUBLE", "REAL")):
            raise UsageProblem(f"{path}: column `{name}` is {type_}: a binary fraction cannot"
                               " hold an exact amount; write amounts and rates as DECIMAL or"
                               " text")
    if "line" in names:
        return read
    return (f"(SELECT *, file_row_number + 1 AS line FROM"
            f" read_parquet({q(path)}, file_row_number = true))")


def _check_names(path: str, names: list[str], extra: tuple[str, ...] = ()) -> None:
    known = {c.name for c in deal_columns()}
    unknown = [n for n in names if n not in known and n not in extra]
    if unknown:
        raise UsageProblem(f"{path}: unknown column `{unknown[0]}`; the deal table's columns"
                           " are in docs/warehouse.md (deals.schema.json)")
    missing = [c.name for c in deal_columns() if c.required and c.name not in names]
    if missing:
        raise UsageProblem(f"{path}: missing column `{missing[0]}`")


INTEGERS = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT")
# (digits before the point, decimals) each numeric column type can hold
_DIGITS = {"TINYINT": (3, 0), "SMALLINT": (5, 0), "INTEGER": (10, 0), "BIGINT": (19, 0),
           "UBIGINT": (20, 0), "HUGEINT": (39, 0)}


def _exact_number_ok(name: str, typed: str, scale: int, digits: int) -> str:
    """A typed number ``name`` can be an amount or rate of ``scale`` decimals: not negative,
    below 10^``digits``, no more decimals. The last two are left out where the column's type cannot
    break them (a DECIMAL(38, 0) has no decimals): the decimals test is a 128-bit FLOOR,
    costly on every row."""
    if typed.startswith("DECIMAL"):
        p, s = (int(n) for n in typed[typed.index("(") + 1:typed.index(")")].split(","))
        whole, decimals = p - s, s
    else:
        whole, decimals = _DIGITS[typed]
    conds = [f"{name} >= 0"]
    if whole > digits:
        conds.append(f"{name} < 1e{digits}")
    if decimals > scale:
        value = f"CAST({name} AS DECIMAL(38, 12))"
        conds.append(f"{value} * {10 ** scale} = FLOOR({value} * {10 ** scale})")
    return " AND ".join(conds)


def _normalize(con, constants: Constants, source: str) -> None:
    """`deals` from ``source``: every value checked and cast exactly; rows with a value that
    cannot be read go to `charter_input_rejects`. One pass over the input: the casts are
    TRY_CASTs beside the checks (on a row that passes every check they are the exact casts;
    the rows that fail are deleted), then the error column is dropped."""
    exprs, checks = _typed_columns(con, constants, source)
    error = "CASE " + " ".join(
        f"WHEN NOT ({ok}) THEN '{name}: expected {what}, found `' ||"
        f" COALESCE(CAST(r.{name} AS VARCHAR), '') || '`'" for ok, name, what in checks) + " END"
    con.execute(f"CREATE TEMP TABLE deals AS SELECT {', '.join(exprs)}, {error} AS charter_error"
                f" FROM {source} r")
    con.execute("CREATE TEMP TABLE charter_input_rejects AS SELECT line, id,"
                " charter_error AS error FROM deals WHERE charter_error IS NOT NULL")
    if con.execute("SELECT COUNT(*) FROM charter_input_rejects").fetchone()[0]:
        con.execute("DELETE FROM deals WHERE charter_error IS NOT NULL")
    con.execute("ALTER TABLE deals DROP COLUMN charter_error")


def _typed_columns(con, constants: Constants, source: str) -> tuple[list[str], list[tuple]]:
    """Each deal column's typed expression over ``source`` (alias r), and the checks
    (condition, column, what was expected) a value must pass."""
    minor = constants.minor_units
    present = {row[0]: row[1].upper()
               for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    exprs, checks = [], []
    for col in deal_columns():
        name = f"r.{col.name}"
        if col.name == "line":
            exprs.append(f"CAST({name} AS BIGINT) AS line")
            continue
        target = f"DECIMAL(38, {minor})" if col.sql == "MONEY" else col.sql
        if col.name not in present:
            exprs.append(f"CAST(NULL AS {target}) AS {col.name}")
            continue
        typed = present[col.name]
        text = f"NULLIF(TRIM(CAST({name} AS VARCHAR)), '')"
        if col.kind in ("id", "text"):
            exprs.append(f"{text} AS {col.name}")
            continue
        if col.kind == "money" or col.kind == "rate":
            scale = minor if col.kind == "money" else RATE_DECIMALS
            if typed.startswith("DECIMAL") or typed in INTEGERS:
                whole = 24 if col.kind == "money" else 1  # a rate column holds below 10
                ok = f"{name} IS NULL OR ({_exact_number_ok(name, typed, scale, whole)})"
                exprs.append(f"TRY_CAST({name} AS {target}) AS {col.name}")
            else:
                pattern = AMOUNT if col.kind == "money" else RATE
                ok = (f"{text} IS NULL OR (regexp_full_match({text}, {q(pattern)}) AND"
                      f" (NOT contains({text}, '.') OR length(split_part({text}, '.', 2))"
                      f" <= {scale}))")
                exprs.append(f"TRY_CAST({text} AS {target}) AS {col.name}")
            what = (f"an amount with at most {minor} decimals" if col.kind == "money" else
                    f"a fraction below 10 with at most {scale} decimals (0.45 for 45%)")
            checks.append((ok, col.name, what))
        elif col.kind == "integer":
            if typed in INTEGERS:  # no detour through text for a column already whole
                ok = f"{name} IS NULL OR {name} BETWEEN 0 AND 2147483647"
                exprs.append(f"TRY_CAST({name} AS {target}) AS {col.name}")
            else:
                ok = f"{text} IS NULL OR regexp_full_match({text}, '^[0-9]{{1,9}}$')"
                exprs.append(f"TRY_CAST({text} AS {target}) AS {col.name}")
            checks.append((ok, col.name, "a whole number"))
        elif col.kind == "date":
            if typed == "DATE":
                ok = "TRUE"
                exprs.append(f"{name} AS {col.name}")
            else:
                ok = (f"{text} IS NULL OR (regexp_full_match({text},"
                      f" '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$') AND TRY_CAST({text} AS DATE) IS"
                      f" NOT NULL)")
                exprs.append(f"TRY_CAST({text} AS DATE) AS {col.name}")
            checks.append((ok, col.name, "a date YYYY-MM-DD"))
        elif col.kind == "boolean":
            if typed == "BOOLEAN":
                ok = "TRUE"
                exprs.append(f"{name} AS {col.name}")
            else:
                ok = f"{text} IS NULL OR lower({text}) IN ('true', 'false')"
                exprs.append(f"CAST(lower({text}) = 'true' AS BOOLEAN) AS {col.name}")
            checks.append((ok, col.name, "true or false"))
    return exprs, checks


def jsonl_to_csv(path: str, csv_path: str, program: m.Program) -> list[tuple]:
    """Each request line as a deal row (CSV, with its line number); rejects for the lines the
    engine's request reader refuses, exactly as `charter quote --batch` would."""
    from charter.economics.batch import decode_request
    from charter.economics.request import (FastReader, RequestInvalid, fast_shape_ok,
                                           read_request)
    from charter.economics import parse_request

    fast = FastReader(program).read
    routes: dict = {}
    names = [c.name for c in deal_columns()]
    rejects = []
    with open(path, encoding="utf-8", errors="replace", newline="\n") as source, \
            open(csv_path, "w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(names)
        for number, text in enumerate(source, 1):
            if not text.strip():
                continue
            obj = None
            try:
                obj = decode_request(text)
                if isinstance(obj, dict):
                    obj = {k: v for k, v in obj.items() if k != "cumulative"}
                request = fast(obj)
                if request is None:
                    request = read_request(obj, program, routes) if fast_shape_ok(obj) \
                        else parse_request(obj, program)
            except RequestInvalid as bad:
                ident = obj.get("id") if isinstance(obj, dict) else None
                rejects.append((number, None if ident is None else str(ident),
                                "; ".join(f"{e.path}: {e.message}" for e in bad.errors)))
                continue
            problem = _too_long(request)
            if problem:
                rejects.append((number, _id(request.id), problem))
                continue
            writer.writerow(_row(request, number))
    return rejects


def _too_long(request) -> str | None:
    """A list longer than the deal table's columns for it: rejected, never cut short."""
    if len(request.route) > MAX_STEPS:
        return f"route: more than {MAX_STEPS} steps (the deal table's route columns)"
    for name, given in (("influenced", request.influenced), ("spiffs", request.spiffs)):
        if len(given) > MAX_CLAIMS:
            return f"{name}: more than {MAX_CLAIMS} (the deal table's {name} columns)"
    return None


def _id(ident) -> str | None:
    return None if ident is None else str(ident)


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _row(request, number: int) -> list[str]:
    row = [str(number), "" if request.id is None else str(request.id), request.product,
           str(request.seats), str(request.years), _plain(request.unit_price),
           _plain(request.services_one_time), _plain(request.services_per_year),
           request.close_date.isoformat() if request.close_date else "",
           request.start.isoformat() if request.start else "",
           "true" if request.price_approved else "false",
           "true" if request.certified else "false", "true" if request.registered else "false",
           request.split or "", "true" if request.renewal_influenced else "false"]
    for k in range(MAX_STEPS):
        if k < len(request.route):
            step = request.route[k]
            terms = dict(step.terms)  # a lead protection pays nothing: checked, not carried
            row += [step.channel, step.tier or "", _plain(step.rate), step.partner or ""]
            row += [_plain(terms.get(term)) for term in TERMS]
        else:
            row += [""] * (4 + len(TERMS))
    for given in (request.influenced, request.spiffs):
        row += [given[k] if k < len(given) else "" for k in range(MAX_CLAIMS)]
    return row


def convert(program: m.Program, constants: Constants, source: str, target: str,
            input_fmt: str | None = None) -> int:
    """Write ``source``'s readable rows as the deal table in Parquet (``target``); the
    number of rows written. For benchmarks and for moving a JSON Lines file to a warehouse."""
    con = connect("2GB", None)
    load_deals(con, source, input_format(source, input_fmt), constants, program)
    con.execute(f"COPY deals TO {q(target)} (FORMAT parquet, COMPRESSION zstd)")
    count = con.execute("SELECT COUNT(*) FROM deals").fetchone()[0]
    con.close()
    return count


# ---- running and writing -------------------------------------------------------------------

def run_sql(con, constants: Constants) -> None:
    """The generated statements, materialised where later ones read them more than once.
    A table is dropped as soon as nothing left to run reads it (`deals` included): the
    memory limit is shared by the tables and the sorts, and a sort that spills is slow."""
    statements = Gen(constants).statements()
    views = {name: select for name, select in statements if name not in MATERIALISED}
    outputs = [views[name] for name in OUTPUTS.values() if name in views]
    tables = ["deals"]
    for i, (name, select) in enumerate(statements):
        kind = "TABLE" if name in MATERIALISED else "VIEW"
        con.execute(f"CREATE TEMP {kind} {name} AS {select}")
        tables += [name] if name in MATERIALISED else []
        later = [select for _, select in statements[i + 1:]] + outputs
        tables = _drop_unread(con, tables, later, views)


def _drop_unread(con, tables: list[str], texts: list[str], views: dict[str, str]) -> list[str]:
    """Drop each of ``tables`` that no text of ``texts`` reads, directly or through the
    ``views`` (a view is read each time it is selected from); the tables kept. A name found
    in a string literal only keeps a table longer."""
    read: set[str] = set()
    pending = list(texts)
    while pending:
        text = pending.pop()
        for name in [*tables, *views]:
            if name not in read and re.search(rf"\b{name}\b", text):
                read.add(name)
                pending += [views[name]] if name in views else []
    for table in tables:
        if table not in read:
            con.execute(f"DROP TABLE {table}")
    return [table for table in tables if table in read]


def write_outputs(con, paths: dict[str, Path], constants: Constants) -> dict[str, int]:
    """Each output to a temporary file beside it, then renamed into place; the rows written
    to each (as COPY counts them: counting the payouts again would compute them again).
    The small outputs are written first, and the tables only they read dropped, so that the
    sort of the payout lines has their memory."""
    queries = {
        "payouts": Gen(constants).payouts_sorted(),
        "decisions": "SELECT * FROM charter_decisions ORDER BY line",
        "rejects": "SELECT * FROM (SELECT line, id, error FROM charter_input_rejects UNION ALL"
                   " SELECT line, id, error FROM charter_rejects) ORDER BY line, id",
    }
    order = [name for name in ("rejects", "decisions", "payouts") if name in paths]
    views = {name: select for name, select in Gen(constants).statements()
             if name not in MATERIALISED}
    tables = [row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()]
    temps, written = {}, {}
    try:
        for i, name in enumerate(order):
            path = paths[name]
            fmt = FORMATS[path.suffix.lower()]
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                        suffix=path.suffix)
            os.close(fd)
            temps[name] = temp
            options = "FORMAT parquet, COMPRESSION snappy" if fmt == "parquet" else \
                "FORMAT csv, HEADER true"
            written[name] = con.execute(f"COPY ({queries[name]}) TO {q(temp)} ({options})"
                                        ).fetchone()[0]
            if i + 1 < len(order):  # the last output's tables stay: the summary reads them
                tables = _drop_unread(con, tables, [queries[n] for n in order[i + 1:]], views)
        for name, path in paths.items():
            os.replace(temps.pop(name), path)
        return written
    finally:
        for temp in temps.values():
            try:
                os.unlink(temp)
            except OSError:
                pass


def commission_run(program: m.Program, constants: Constants, deals: str, out: str,
                   input_fmt: str | None = None, memory_limit: str = "2GB",
                   temp_dir: str | None = None, threads: int | None = None,
                   quiet: bool = False) -> RunResult:
    """Run ``program``'s SQL over ``deals`` into ``out`` (and its decisions and rejects)."""
    paths = output_paths(out)
    fmt = input_format(deals, input_fmt)
    progress = Progress(quiet)
    spill = tempfile.mkdtemp(prefix=".charter-spill-", dir=temp_dir or paths["payouts"].parent)
    try:
        con = connect(memory_limit, spill, threads)
        load_deals(con, deals, fmt, constants, program)
        count = con.execute("SELECT COUNT(*) FROM deals").fetchone()[0]
        progress.say(f"read {count:,} deal rows from {deals}")
        run_sql(con, constants)
        progress.say("computed thresholds, payouts and decisions")
        written = write_outputs(con, paths, constants)
        result = RunResult(outputs={k: str(v) for k, v in paths.items()})
        result.deals, result.accepted, result.walked = con.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE decision = 'accept'), COUNT(*) FILTER"
            " (WHERE decision = 'walk') FROM charter_decisions").fetchone()
        result.lines, result.rejected = written["payouts"], written["rejects"]
        progress.say(f"wrote {result.lines:,} payout lines for {result.deals:,} deals"
                     f" ({result.accepted:,} accepted, {result.walked:,} walked),"
                     f" {result.rejected:,} rejected, to {paths['payouts']}")
        con.close()
        return result
    finally:
        import shutil

        shutil.rmtree(spill, ignore_errors=True)
