"""The SQL target and `charter payouts`: files, transpiled text, refusals, input checks, outputs.

The numbers themselves are held to the Python engine by tests/test_warehouse_differential.py.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from conftest import PROGRAMS

BUNDLED = ["ejourney.charter", "saas-reseller.charter", "elision.charter"]


def _program(path, pin: bool = True):
    """The program at ``path``; with ``pin``, its negotiable terms fixed at their defaults
    (`test_warehouse_differential.pinned`: what the SQL covers)."""
    from charter.api import compile_file
    from test_warehouse_differential import pinned

    program, reporter, _ = compile_file(path)
    assert program is not None and not reporter.has_errors
    return pinned(program) if pin else program


def test_negotiated_rates_are_declined_by_name_not_paid_at_the_default():
    """saas-reseller's deals negotiate Referral's commission and OEM's discount: the deal
    table has no column for them, so the SQL would pay every deal the default."""
    from charter.warehouse.constants import coverage

    refused = [str(r) for r in coverage(_program(PROGRAMS / "saas-reseller.charter", False))]
    assert refused == [
        "channel Referral: negotiable commission (a rate each deal may agree) is not computed"
        " by the SQL target",
        "channel OEM: negotiable discount (a rate each deal may agree) is not computed by the"
        " SQL target"]


def _cli(*args):
    from charter.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def ejourney():
    return _program(PROGRAMS / "ejourney.charter")


def test_the_bundled_programs_are_covered(ejourney):
    from charter.warehouse.constants import coverage

    for name in BUNDLED:
        assert coverage(_program(PROGRAMS / name)) == [], name


@pytest.mark.parametrize("name", BUNDLED)
def test_spark_and_trino_text_parses_back_in_its_dialect(name):
    from charter.warehouse.constants import build_constants
    from charter.warehouse.dialects import check_roundtrip

    constants, refusals = build_constants(_program(PROGRAMS / name))
    assert not refusals
    check_roundtrip(constants)  # raises on text a dialect cannot read or an unknown function


def _usd_build(tmp_path):
    """The sql target's folder for a small program in USD (cents)."""
    source = tmp_path / "usd-src" / "usd.charter"
    source.parent.mkdir()
    source.write_text('program usd { title: "USD"; currency: USD; status: draft }\n'
                      "product P { layer: software; list_price: $10 per seat per month }\n"
                      "channel Referral { model: referral; owner: vendor; commission: 10%;"
                      " lead_protection: 60 days }\n", encoding="utf-8")
    result = _cli("build", source, "--out", tmp_path / "usd-out", "--target", "sql")
    assert result.exit_code == 0, result.output
    return tmp_path / "usd-out" / "usd"


def test_the_target_writes_three_dialects_and_the_table_schemas(tmp_path):
    result = _cli("build", PROGRAMS, "--out", tmp_path, "--target", "sql")
    # practice.charter pays influence fees and saas-reseller's deals negotiate rates, which
    # the SQL declines by name (an error when the target is asked for by name); the other
    # programs are built (one line per construct it declines; no other program is declined)
    declined = [line for line in result.output.splitlines() if "not built" in line]
    assert result.exit_code == 1 and declined, result.output
    assert all(line.startswith(("error: practice: ", "error: saas_reseller: "))
               for line in declined), result.output
    assert "practice: target `sql` not built: the SQL does not cover influenced_rate" \
        in result.output
    assert "saas_reseller: target `sql` not built: the SQL does not cover channel Referral:" \
        " negotiable commission" in result.output
    assert not (tmp_path / "practice" / "sql").exists()
    assert not (tmp_path / "saas_reseller" / "sql").exists()
    files = sorted(p.name for p in (tmp_path / "ejourney" / "sql").iterdir())
    assert files == ["deals.schema.json", "decisions.schema.json", "payouts.duckdb.sql",
                     "payouts.schema.json", "payouts.spark.sql", "payouts.trino.sql",
                     "rejects.schema.json"]
    deals = json.loads((tmp_path / "ejourney" / "sql" / "deals.schema.json").read_text())
    assert deals["properties"]["unit_price"]["x-sql-type"] == "DECIMAL(38, 0)"  # IDR
    usd = json.loads((_usd_build(tmp_path) / "sql" / "payouts.schema.json").read_text())
    assert usd["properties"]["amount"]["x-sql-type"] == "DECIMAL(38, 2)"
    spark = (tmp_path / "ejourney" / "sql" / "payouts.spark.sql").read_text()
    assert "CACHE TABLE charter_years" in spark and "DOUBLE" in spark  # the marginal estimate
    trino = (tmp_path / "ejourney" / "sql" / "payouts.trino.sql").read_text()
    assert "CREATE OR REPLACE VIEW charter_payouts" in trino and "TEMPORARY" not in trino


def test_program_constants_are_compiled_in_from_the_engine(ejourney):
    from charter.warehouse.constants import build_constants
    from charter.warehouse.dialects import script

    constants, _ = build_constants(ejourney)
    vad = next(c for c in constants.closers if c.channel == "VAD" and c.tier == "Elite")
    assert vad.collects and vad.rates[0] == vad.rates[9] and vad.mdf > 0
    text = script(constants, "duckdb")
    assert "'Referral', 'VAD', 'Standard', TRUE" in text  # the handover allows Standard
    assert "'Referral', 'VAD', 'Elite', FALSE" in text     # ... not Elite (walks)
    assert "3000000000" in text                            # the referral bracket bound


def test_a_valid_json_schema_describes_each_table(ejourney):
    import jsonschema

    from charter.warehouse.tables import TABLES, json_schema

    for table in TABLES:
        schema = json_schema(table, "p", "IDR", 0)
        jsonschema.Draft202012Validator.check_schema(schema)
    payout = {"deal_id": "d1", "line": 4, "year": 1, "year_start": "2026-01-01",
              "year_end": "2026-12-31", "party": "VAD", "partner": None,
              "kind": "wholesale_margin", "settlement": "partner_retains",
              "timing": "recurring", "rate": "0.350000", "base": "2400000000",
              "base_of": "software_list", "amount": "840000000", "amount_is": "rate_x_base",
              "payable": True, "due_rule": "retained", "due_date": None}
    jsonschema.validate(payout, json_schema("payouts", "p", "IDR", 0))
    with pytest.raises(jsonschema.ValidationError):   # the due rules are the quote's
        jsonschema.validate({**payout, "due_rule": "whenever"},
                            json_schema("payouts", "p", "IDR", 0))


# ---- refusals -----------------------------------------------------------------------------

UNCOVERED = """program odd {
    title: "Odd"
    currency: USD
    status: draft
}
product P {
    layer: software
    list_price: $100 per seat per year
    msrp_floor: list_price
}
channel Ref {
    model: referral
    owner: vendor
    commission: 10%
}
channel Other {
    model: referral
    owner: vendor
    commission: 5%
}
attribution {
    default: single
    influenced_rate: 2%
    split lopsided {
        partner: 50%
        direct: 30%
    }
}
"""


def test_constructs_the_sql_does_not_compute_are_refused_by_name(tmp_path):
    from charter.api import compile_text
    from charter.warehouse.constants import coverage

    program, _reporter = compile_text(UNCOVERED, "odd.charter")
    refused = {r.construct for r in coverage(program)}
    assert refused == {"influenced_rate", "split lopsided"}


def test_build_refuses_an_uncovered_program_with_its_constructs_named(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "odd.charter").write_text(UNCOVERED, encoding="utf-8")
    result = _cli("build", folder, "--out", tmp_path / "out", "--target", "sql")
    assert result.exit_code == 1
    assert "influenced_rate" in result.output and "split lopsided" in result.output
    assert not (tmp_path / "out" / "odd" / "sql").exists()


# ---- charter payouts ----------------------------------------------------------------------

CSV_HEADER = "id,product,seats,years,close_date,step1_channel,step1_tier,step1_partner,unit_price\n"


def _rows(path: Path) -> list[tuple]:
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv_auto"
    return duckdb.sql(f"SELECT * FROM {reader}('{path}')").fetchall()


def test_payouts_from_csv_to_parquet_with_decisions_and_rejects_beside(tmp_path):
    deals = tmp_path / "deals.csv"
    deals.write_text(CSV_HEADER
                     + "a,Growth,1000,1,2026-03-01,VAD,Elite,pt-1,\n"
                     + "b,Growth,10,2,2026-03-02,Referral,,pt-2,\n"
                     + "c,Growth,ten,1,2026-03-03,Referral,,,\n"          # not a number
                     + "d,Nope,10,1,2026-03-04,,,,\n"                     # unknown product
                     + "e,Growth,10,1,2026-03-05,VAD,Gold,,\n"            # unknown tier
                     + "f,Growth,10,1,2026-03-06,VAD,Standard,,199999.5\n",  # IDR decimals
                     encoding="utf-8")
    out = tmp_path / "run" / "payouts.parquet"
    out.parent.mkdir()
    result = _cli("payouts", PROGRAMS / "ejourney.charter", deals, "--out", out)
    assert result.exit_code == 1  # some rows were rejected
    payouts = _rows(out)
    a = [p for p in payouts if p[0] == "a"]
    assert [(p[5], p[7], str(p[13])) for p in a] == [
        ("VAD", "wholesale_margin", "840000000"), ("VAD", "mdf", "72000000")]
    rejects = {r[1]: (r[0], r[2]) for r in _rows(out.with_name("payouts.rejects.parquet"))}
    assert set(rejects) == {"c", "d", "e", "f"}
    assert rejects["c"][0] == 4 and "seats" in rejects["c"][1]          # CSV line 4
    assert "unknown product" in rejects["d"][1]
    assert "unknown tier of VAD" in rejects["e"][1]
    assert "unit_price" in rejects["f"][1]
    decisions = _rows(out.with_name("payouts.decisions.parquet"))
    assert [(d[0], d[-1]) for d in decisions] == [("a", "accept"), ("b", "accept")]
    assert sorted(os.listdir(out.parent)) == ["payouts.decisions.parquet", "payouts.parquet",
                                              "payouts.rejects.parquet"]  # no temp or spill


def test_payouts_reads_the_json_lines_quote_batch_reads(tmp_path):
    lines = [{"id": "x1", "product": "Growth", "seats": 1000, "close_date": "2026-02-01",
              "route": [{"channel": "Referral", "partner": "r1"}],
              "cumulative": {"Referral": "9000000000"}},   # ignored: computed from the file
             {"id": "x2", "product": "Growth", "seats": 1000, "close_date": "2026-02-02",
              "route": [{"channel": "Referral", "partner": "r1"}]},
             {"id": "x3", "product": "Growth", "seats": "many"}]
    deals = tmp_path / "deals.jsonl"
    deals.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    out = tmp_path / "p.csv"
    result = _cli("payouts", PROGRAMS / "ejourney.charter", deals, "--out", out, "--quiet")
    assert result.exit_code == 1
    decisions = {d[0]: d for d in _rows(tmp_path / "p.decisions.csv")}
    assert str(decisions["x1"][9]) == "0" and str(decisions["x2"][9]) == "2400000000"
    rejects = _rows(tmp_path / "p.rejects.csv")
    assert [(r[0], r[1]) for r in rejects] == [(3, "x3")] and "$.seats" in rejects[0][2]


def test_a_float_column_is_refused_whole(tmp_path):
    deals = tmp_path / "deals.parquet"
    duckdb.sql(f"COPY (SELECT 'a' AS id, 'Growth' AS product, 10 AS seats, DATE '2026-01-01'"
               f" AS close_date, 1.5::DOUBLE AS unit_price) TO '{deals}' (FORMAT parquet)")
    result = _cli("payouts", PROGRAMS / "ejourney.charter", deals, "--out", tmp_path / "o.parquet")
    assert result.exit_code == 2 and "unit_price" in result.output and "DOUBLE" in result.output
    assert not list(tmp_path.glob("o*"))


@pytest.mark.parametrize("problem,args", [
    ("output", ["--out", "payouts.json"]),
    ("column", None),
])
def test_usage_errors_exit_2(tmp_path, problem, args):
    deals = tmp_path / "deals.csv"
    deals.write_text(CSV_HEADER.replace("unit_price", "unit_prise") if problem == "column"
                     else CSV_HEADER, encoding="utf-8")
    result = _cli("payouts", PROGRAMS / "ejourney.charter", deals,
                  *(args or ["--out", tmp_path / "o.parquet"]))
    assert result.exit_code == 2
    assert ("unit_prise" if problem == "column" else ".parquet or .csv") in result.output


def test_an_uncovered_program_runs_nothing(tmp_path):
    program = tmp_path / "odd.charter"
    program.write_text(UNCOVERED, encoding="utf-8")
    deals = tmp_path / "deals.csv"
    deals.write_text(CSV_HEADER, encoding="utf-8")
    result = _cli("payouts", program, deals, "--out", tmp_path / "o.parquet")
    assert result.exit_code == 1
    assert not (tmp_path / "o.parquet").exists()


def test_parquet_in_typed_columns_and_memory_options(tmp_path):
    deals = tmp_path / "deals.parquet"
    duckdb.sql(f"COPY (SELECT 'a' AS id, 'Growth' AS product, 1000 AS seats, DATE '2026-01-01'"
               f" AS close_date, 'VAD' AS step1_channel, 'Elite' AS step1_tier,"
               f" 180000::DECIMAL(18, 2) AS unit_price, TRUE AS price_approved)"
               f" TO '{deals}' (FORMAT parquet)")
    spill = tmp_path / "spill"
    spill.mkdir()
    out = tmp_path / "o.parquet"
    result = _cli("payouts", PROGRAMS / "ejourney.charter", deals, "--out", out,
                  "--memory-limit", "256MB", "--temp-dir", spill, "--threads", "1")
    assert result.exit_code == 0, result.output
    (wm,) = [p for p in _rows(out) if p[7] == "wholesale_margin"]
    assert str(wm[13]) == "600000000" and wm[14] == "spread"  # 840M margin − 240M under list
    assert list(spill.iterdir()) == []


def test_run_sql_drops_each_table_once_nothing_left_reads_it(tmp_path, ejourney):
    """The memory limit is shared by the tables and the sorts: `deals` is dropped once read
    (charter_checked is read by the view charter_rejects, an output; charter_run is a
    view); the outputs still read as before."""
    from charter.warehouse.constants import build_constants
    from charter.warehouse.run import connect, load_deals, run_sql

    constants, _ = build_constants(ejourney)
    deals = tmp_path / "deals.csv"
    deals.write_text(CSV_HEADER + "a,Growth,1000,2,2026-03-01,VAD,Elite,pt-1,\n"
                     + "b,Nope,10,1,2026-03-04,,,,\n", encoding="utf-8")
    con = connect("1GB", str(tmp_path))
    load_deals(con, str(deals), "csv", constants, ejourney)
    run_sql(con, constants)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"charter_input_rejects", "charter_checked", "charter_years",
                      "charter_verdicts"}
    counts = [con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("charter_payouts", "charter_decisions", "charter_rejects")]
    assert counts == [4, 1, 1]
    con.close()


def test_repeated_or_missing_line_numbers_and_ids_are_rejected_on_every_row(tmp_path):
    deals = tmp_path / "deals.parquet"
    duckdb.sql(f"COPY (SELECT v.line, v.id, 'Growth' AS product, 10 AS seats, DATE '2026-01-01'"
               f" AS close_date FROM (VALUES (1, 'a'), (1, 'b'), (NULL, 'c'), (2, 'd'), (3, 'd'),"
               f" (4, 'e')) v(line, id)) TO '{deals}' (FORMAT parquet)")
    out = tmp_path / "o.csv"
    result = _cli("payouts", PROGRAMS / "ejourney.charter", deals, "--out", out, "--quiet")
    assert result.exit_code == 1
    assert [(r[0], r[1], r[2].split(":")[0]) for r in _rows(tmp_path / "o.rejects.csv")] == [
        (1, "a", "line"), (1, "b", "line"), (2, "d", "id"), (3, "d", "id"), (None, "c", "line")]
    rejects = {r[1]: r[2] for r in _rows(tmp_path / "o.rejects.csv")}
    assert rejects["a"] == "line: not unique: every row needs its own line number"
    assert rejects["c"] == "line: missing: every row needs its own line number"
    assert rejects["d"] == "id: `d` is on 2 rows; each deal needs its own id"
    assert [d[0] for d in _rows(tmp_path / "o.decisions.csv")] == ["e"]


def test_typed_amounts_are_checked_for_sign_size_and_decimals(tmp_path):
    """A Parquet amount typed DECIMAL(18, 2) may hold cents IDR cannot pay; a DECIMAL(38, 0)
    may reach 10^24. Those rows are refused; whole and in-range amounts are read."""
    deals = tmp_path / "deals.parquet"
    duckdb.sql(f"""COPY (SELECT * FROM (VALUES
        ('a', 'Growth', 10, DATE '2026-01-01', 180000::DECIMAL(18, 2), 5::DECIMAL(38, 0)),
        ('b', 'Growth', 10, DATE '2026-01-01', 180000.5::DECIMAL(18, 2), 5::DECIMAL(38, 0)),
        ('c', 'Growth', 10, DATE '2026-01-01', -1::DECIMAL(18, 2), 5::DECIMAL(38, 0)),
        ('d', 'Growth', 10, DATE '2026-01-01', NULL, '1000000000000000000000000'::DECIMAL(38, 0)))
        v(id, product, seats, close_date, unit_price, services_one_time))
        TO '{deals}' (FORMAT parquet)""")
    out = tmp_path / "o.csv"
    result = _cli("payouts", PROGRAMS / "ejourney.charter", deals, "--out", out, "--quiet")
    assert result.exit_code == 1
    rejects = {r[1]: r[2] for r in _rows(tmp_path / "o.rejects.csv")}
    assert set(rejects) == {"b", "c", "d"}
    assert rejects["b"].startswith("unit_price: expected an amount with at most 0 decimals")
    assert rejects["d"].startswith("services_one_time: expected an amount")
    assert [d[0] for d in _rows(tmp_path / "o.decisions.csv")] == ["a"]


def test_output_columns_are_optional_in_parquet_even_when_empty(tmp_path):
    """DuckDB writes a Parquet column REQUIRED when it knows it holds no NULL: the files'
    schema must not depend on whether a run had payout lines or rejects."""
    deals = tmp_path / "deals.csv"
    deals.write_text(CSV_HEADER + "a,Growth,10,1,2026-03-01,,,,\n", encoding="utf-8")  # direct
    out = tmp_path / "o.parquet"
    assert _cli("payouts", PROGRAMS / "ejourney.charter", deals, "--out", out).exit_code == 0
    for name in ("o.parquet", "o.rejects.parquet"):
        kinds = duckdb.sql(f"SELECT DISTINCT repetition_type FROM parquet_schema("
                           f"'{tmp_path / name}') WHERE name <> 'duckdb_schema'").fetchall()
        assert kinds == [("OPTIONAL",)], name
    assert _rows(out) == [] and _rows(tmp_path / "o.rejects.parquet") == []
