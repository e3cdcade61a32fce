"""The SQL target and `charter payouts`: files, transpiled text, refusals, input checks, outputs.

The numbers themselves are held to the Python engine by tests/test_warehouse_differential.py.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from decimal import Decimal as D

import duckdb
import pytest
from click.testing import CliRunner

from conftest import PROGRAMS

BUNDLED = ["ejourney.charter", "saas-reseller.charter", "elision.charter"]


def _program(path):
    """The program at ``path``, checked clean."""
    from charter.api import compile_file

    program, reporter, _ = compile_file(path)
    assert program is not None and not reporter.has_errors
    return program


def test_negotiated_terms_are_mapped_to_the_contract_years_they_set():
    """saas-reseller's deals negotiate Referral's commission (paid once: year 1 only) and
    OEM's discount (every year): the engine, probed, says which years follow which term;
    an unregistered deal earns the flat 10%, at or below both ranges, whatever it agreed."""
    from charter.warehouse.constants import build_constants

    constants, refusals = build_constants(_program(PROGRAMS / "saas-reseller.charter"))
    assert refusals == [] and constants.rate_scale == 8
    rows = {(c.channel, c.registered): c for c in constants.closers if c.tier is None}
    referral, oem = rows["Referral", True], rows["OEM", True]
    assert referral.follows == ("commission",) + (None,) * 9 and referral.cap is None
    assert referral.rates == (D("0.1"),) + (D(0),) * 9       # the default, then nothing
    assert oem.follows == ("discount",) * 10 and oem.rates == (D("0.4"),) * 10
    for channel in ("Referral", "OEM"):
        unregistered = rows[channel, False]
        assert unregistered.follows == (None,) * 10 and unregistered.cap == D("0.1")
    reseller = [c for c in constants.closers if c.channel == "Reseller"]
    assert reseller and all(c.follows == (None,) * 10 for c in reseller)
    referral_rules = {r.term: r for r in constants.channel("Referral").terms}
    assert referral_rules["commission"].outside == \
        " is outside Referral's negotiable range 10%–20%"
    assert "does not negotiate `discount`" in referral_rules["discount"].refused


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


@pytest.mark.parametrize("name", BUNDLED + ["mix"])
def test_spark_and_trino_text_parses_back_in_its_dialect(name):
    from charter.warehouse.constants import build_constants
    from charter.warehouse.dialects import check_roundtrip, script
    from test_warehouse_differential import mix_program

    program = mix_program() if name == "mix" else _program(PROGRAMS / name)
    constants, refusals = build_constants(program)
    assert not refusals
    check_roundtrip(constants)  # raises on text a dialect cannot read or an unknown function
    if name in ("mix", "saas-reseller.charter"):  # negotiated terms: checked and paid
        for dialect in ("spark", "trino"):
            text = script(constants, dialect)
            assert "TRIM(TRAILING '0' FROM" in text and "closer_commission" in text, dialect


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
    # every bundled program is covered (tests/test_warehouse.py's UNCOVERED is declined)
    assert result.exit_code == 0 and "not built" not in result.output, result.output
    for name in ("ejourney", "elision", "practice", "saas_reseller"):
        assert (tmp_path / name / "sql" / "payouts.trino.sql").exists(), name
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
registration {
    window: 90 days
    registered_bonus: 5%
}
attribution {
    default: single
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
    assert refused == {"registered_bonus", "split lopsided"}


def test_build_refuses_an_uncovered_program_with_its_constructs_named(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "odd.charter").write_text(UNCOVERED, encoding="utf-8")
    result = _cli("build", folder, "--out", tmp_path / "out", "--target", "sql")
    assert result.exit_code == 1
    assert "registered_bonus" in result.output and "split lopsided" in result.output
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
    assert [(d[0], d[14]) for d in decisions] == [("a", "accept"), ("b", "accept")]
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


@pytest.mark.parametrize("table", ["deals", "payouts", "decisions", "rejects"])
def test_docs_list_every_column_of_every_table(table):
    """docs/warehouse.md's tables are written by hand: each column of `charter.warehouse.tables`
    has its row (route steps 2–4 and claims 2–4 are described by step 1's and claim 1's)."""
    import re

    from charter.warehouse.tables import TABLES

    docs = (Path(__file__).resolve().parent.parent / "docs" / "warehouse.md").read_text()
    section = docs.split(f"### `{table}`", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    wanted = {c.name for c in TABLES[table]()
              if not re.fullmatch(r"step[2-9]_\w+|(influenced|spiff)[2-9]", c.name)}
    assert rows == wanted


def test_a_rate_of_ten_or_more_is_a_reject_not_a_failed_run(tmp_path):
    """A rate column is DECIMAL(9, 8): a value it cannot hold is the row's reject (CSV and
    Parquet alike), never a conversion error that stops the whole run."""
    from decimal import Decimal

    from charter.api import compile_text
    from charter.warehouse.constants import build_constants
    from charter.warehouse.run import connect, load_deals

    program, _reporter = compile_text('program r { title: "R"; currency: USD; status: draft }\n'
                                      "product P { layer: software; list_price: $10 per seat"
                                      " per year }\nchannel OEM { model: oem; owner: partner;"
                                      " discount: 40% .. 60% }\n", "r.charter")
    constants, refusals = build_constants(program)
    assert not refusals
    csv_path = tmp_path / "deals.csv"
    csv_path.write_text("id,product,seats,close_date,step1_channel,step1_rate\n"
                        "a,P,1,2026-01-01,OEM,12\nb,P,1,2026-01-01,OEM,0.5\n", encoding="utf-8")
    parquet = tmp_path / "deals.parquet"
    duckdb.sql(f"COPY (SELECT * FROM (VALUES ('a', 'P', 1, DATE '2026-01-01', 'OEM',"
               f" 12.5::DECIMAL(18, 2)), ('b', 'P', 1, DATE '2026-01-01', 'OEM',"
               f" 0.5::DECIMAL(18, 2))) t(id, product, seats, close_date, step1_channel,"
               f" step1_rate)) TO '{parquet}' (FORMAT parquet)")
    for path, fmt in ((csv_path, "csv"), (parquet, "parquet")):
        con = connect("1GB", None)
        load_deals(con, str(path), fmt, constants, program)
        assert con.execute("SELECT id, step1_rate FROM deals").fetchall() == [
            ("b", Decimal("0.5"))]
        (reject,) = con.execute("SELECT id, error FROM charter_input_rejects").fetchall()
        assert reject[0] == "a" and "below 10" in reject[1], reject
        con.close()


# ---- negotiated terms ----------------------------------------------------------------------

def _negotiating(tmp_path) -> Path:
    """tests/test_negotiable.py's program (a negotiable commission and lead protection on
    Referral, which also introduces VAD deals; OEM's discount; VAD Gold's margin; a 5%
    unregistered rate), as a file."""
    from test_negotiable import REFERRAL

    path = tmp_path / "negotiating.charter"
    assert not path.exists()
    path.write_text(REFERRAL, encoding="utf-8")
    return path


TERMS_HEADER = ("id,product,seats,years,close_date,registered,step1_channel,step1_tier,"
                "step1_rate,step1_commission,step1_commission_y2,step1_margin,step1_discount,"
                "step2_channel,step2_tier\n")


def test_a_rows_terms_are_checked_as_a_quote_checks_them_and_paid(tmp_path):
    """Each refused term is the row's reject, with its CSV line and the engine's words; the
    rest are paid at the agreed rate (an unregistered deal at most the flat rate)."""
    deals = tmp_path / "deals.csv"
    deals.write_text(TERMS_HEADER
                     + "a,Platform,100,1,2026-01-02,,Referral,,,0.15,,,,,\n"
                     + "b,Platform,100,1,2026-01-03,,Referral,,,0.25,,,,,\n"
                     + "c,Platform,100,1,2026-01-04,,Referral,,,0.15,,,,VAD,Standard\n"
                     + "d,Platform,100,1,2026-01-05,,VAD,Standard,,,,0.22,,,\n"
                     + "e,Platform,100,2,2026-01-06,,VAD,Gold,,,,0.3,,,\n"
                     + "f,Platform,100,1,2026-01-07,false,OEM,,,,,,0.45,,\n"
                     + "g,Platform,100,1,2026-01-08,,OEM,,0.45,,,,,,\n"
                     + "h,Platform,100,1,2026-01-09,,Referral,,,,0.1,,,,\n"
                     + "i,Platform,100,1,2026-01-10,,Referral,,,0.0999,,,,,\n"
                     + "j,Platform,100,2,2026-01-11,,OEM,,,,,,0.6,,\n"
                     + "k,Platform,100,1,2026-01-12,,,,,0.1,,,,,\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    result = _cli("payouts", _negotiating(tmp_path), deals, "--out", out, "--quiet")
    assert result.exit_code == 1, result.output  # rows were rejected
    rejects = {r[1]: (r[0], r[2]) for r in _rows(tmp_path / "o.rejects.csv")}
    assert rejects == {
        "b": (3, "route[0].terms.commission: commission 25% is outside Referral's negotiable"
                 " range 10%–20%"),
        "c": (4, "route[0].terms.commission: `Referral` introduces this deal and earns the"
                 " handover's introducer rate, so a negotiated `commission` changes nothing"),
        "d": (5, "route[0].terms.margin: VAD Standard does not negotiate `margin` (it is fixed"
                 " at 20%); remove it from `terms`"),
        "g": (8, "route[0].rate: channel `OEM` negotiates its discount in the step's terms:"
                 " give it as step1_discount instead of step1_rate"),
        "h": (9, "route[0].terms.commission_y2: Referral does not negotiate `commission_y2`"
                 " (the program sets no such term for it); remove it from `terms`"),
        "i": (10, "route[0].terms.commission: commission 9.99% is outside Referral's negotiable"
                  " range 10%–20%"),
        "k": (12, "route step 1: a tier, rate, negotiated term or partner without a channel")}
    paid = {(p[0], p[2], p[7]): (str(p[10]), str(p[13])) for p in _rows(out)}
    assert paid == {
        ("a", 1, "commission"): ("0.15", "15000.0"),
        ("e", 1, "wholesale_margin"): ("0.3", "30000.0"),    # agreed 30%, then fixed 20%
        ("e", 2, "wholesale_margin"): ("0.2", "20000.0"),
        ("f", 1, "wholesale_margin"): ("0.05", "5000.0"),    # unregistered: the flat 5%
        ("j", 1, "wholesale_margin"): ("0.6", "60000.0"),
        ("j", 2, "wholesale_margin"): ("0.6", "60000.0")}


def test_the_engine_refuses_the_rows_the_sql_refuses_for_their_terms(tmp_path):
    """The same rows, held to the engine line by line (`differential.compare`)."""
    from charter.warehouse.constants import coverage
    from test_negotiable import REFERRAL, program_of
    from test_warehouse_differential import assert_agree, run_both

    program = program_of(REFERRAL)
    assert coverage(program) == []
    source = tmp_path / "deals.csv"
    source.write_text(TERMS_HEADER
                      + "a,Platform,100,3,2026-01-02,,Referral,,,0.2,,,,,\n"
                      + "b,Platform,100,1,2026-01-03,,Referral,,,0.2000001,,,,,\n"
                      + "c,Platform,100,1,2026-01-04,,Referral,,,0.1,,,,VAD,Standard\n"
                      + "d,Platform,100,1,2026-01-05,false,VAD,Gold,,,,0.25,,,\n"
                      + "e,Platform,100,4,2026-01-06,,VAD,Gold,,,,,,,\n"
                      + "f,Platform,100,1,2026-01-07,,OEM,,,0.1,,,,,\n"
                      + "g,Platform,100,1,2026-01-08,false,Referral,,,0.2,,,,,\n",
                      encoding="utf-8")
    read, input_rejects, tables = run_both(program, str(source), "csv", tmp_path)
    assert not input_rejects and len(read) == 7
    assert_agree(program, read, tables)
    assert sorted(r[1] for r in tables[2]) == ["b", "c", "f"]


def test_payouts_over_json_lines_pays_the_terms_quote_batch_pays(tmp_path):
    """A request's step terms become the row's term columns; a negotiated lead protection
    is checked by the request reader (out of its range: the line's reject) and, paying
    nothing, carried nowhere. Every line is paid or refused as `charter quote --batch` does."""
    program = _negotiating(tmp_path)
    requests = [
        {"id": "a", "route": [{"channel": "Referral", "terms": {"commission": "15%",
                                                              "lead_protection": "40 days"}}]},
        {"id": "b", "route": [{"channel": "Referral", "terms": {"lead_protection": "90 days"}}]},
        {"id": "c", "years": 3, "route": [{"channel": "OEM", "partner": "p1",
                                           "terms": {"discount": "45.5%"}}]},
        {"id": "d", "registered": False, "route": [{"channel": "OEM",
                                                    "terms": {"discount": "45%"}}]},
        {"id": "e", "years": 2, "route": [{"channel": "VAD", "tier": "Gold",
                                           "terms": {"margin": "27.5%"}}]},
        {"id": "f", "route": [{"channel": "Referral", "terms": {"commission": "12%"}},
                              {"channel": "VAD", "tier": "Standard"}]},
        {"id": "g", "route": [{"channel": "VAD", "tier": "Standard",
                               "terms": {"margin": "22%"}}]},
        {"id": "h", "route": [{"channel": "Referral"}]},
        {"id": "i", "route": [{"channel": "Referral", "terms": {"commission": "20%"}}]}]
    source = tmp_path / "deals.jsonl"
    source.write_text("".join(json.dumps({"product": "Platform", "seats": 100,
                                          "close_date": "2026-03-01", **r}) + "\n"
                              for r in requests), encoding="utf-8")
    batch = _cli("quote", program, "--batch", source)
    quoted, refused = {}, {}
    for number, line in enumerate(batch.output.splitlines()[:len(requests)], 1):
        answer = json.loads(line)
        if "errors" in answer:
            refused[answer["id"]] = (number, answer["errors"][0]["message"])
            continue
        quoted[answer["id"]] = sorted(
            (y["year"], p["party"], p["kind"], p["rate"], p["amount"])
            for y in answer["years"] for p in y["payouts"] + y["not_payable"])
    assert set(refused) == {"b", "f", "g"} and set(quoted) == {"a", "c", "d", "e", "h", "i"}
    out = tmp_path / "p.csv"
    result = _cli("payouts", program, source, "--out", out, "--quiet")
    assert result.exit_code == 1, result.output
    rejects = {r[1]: (r[0], r[2]) for r in _rows(tmp_path / "p.rejects.csv")}
    assert {i: r[0] for i, r in rejects.items()} == {i: r[0] for i, r in refused.items()}
    assert all(refused[i][1] in rejects[i][1] for i in refused), (refused, rejects)
    lines: dict = {}
    for p in _rows(out):
        lines.setdefault(p[0], []).append((p[2], p[5], p[7], f"{p[10]:.6f}", f"{p[13]:.2f}"))
    assert {i: sorted(v) for i, v in lines.items()} == quoted
    assert ("1", "OEM", "wholesale_margin", "0.455000", "45500.00") in \
        [tuple(str(x) for x in line) for line in lines["c"]]


def test_a_year_2_commission_on_a_one_time_fee_is_refused_whatever_its_value(tmp_path):
    """`commission_y2` negotiable on a channel that pays once: the check refuses the program
    (CH-E112); should such a program be quoted anyway, the engine refuses any value (it would
    change nothing), and so does the SQL, in the engine's words."""
    from test_negotiable import HEAD, compiled
    from test_warehouse_differential import assert_agree, run_both

    program, diagnostics = compiled(HEAD + """channel Referral {
    model: referral
    owner: vendor
    payment: one_time
    negotiable commission { range: 10% .. 20%; default: 10% }
    negotiable commission_y2 { range: 1% .. 5%; default: 2% }
}
""")
    assert [d.code for d in diagnostics if d.severity.value == "error"] == ["CH-E112"]
    source = tmp_path / "deals.csv"
    source.write_text("id,product,seats,years,close_date,step1_channel,step1_commission,"
                      "step1_commission_y2\n"
                      "a,Platform,10,2,2026-01-02,Referral,0.2,\n"
                      "b,Platform,10,2,2026-01-03,Referral,,0.03\n"
                      "c,Platform,10,2,2026-01-04,Referral,,0.07\n", encoding="utf-8")
    read, _input_rejects, tables = run_both(program, str(source), "csv", tmp_path)
    assert_agree(program, read, tables)
    assert {r[1]: r[2] for r in tables[2]} == {
        "b": "route[0].terms.commission_y2: Referral pays its commission once (`payment:"
             " one_time`): a year-2 commission changes nothing; remove it from `terms`",
        "c": "route[0].terms.commission_y2: commission_y2 7% is outside Referral's negotiable"
             " range 1%–5%"}
    assert [(p[0], p[2], str(p[13])) for p in tables[0]] == [("a", 1, "2000.00")]


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


def _cli_in_colour(*args):
    """As a terminal would get it: click strips colour codes from what is not a terminal."""
    from charter.cli import main
    return CliRunner().invoke(main, [str(a) for a in args], color=True)


def test_an_unknown_column_is_printed_neutralised(tmp_path):
    deals = tmp_path / "deals.csv"
    deals.write_text(CSV_HEADER.rstrip("\n") + ",\x1b[2Jevil\u202e\n", encoding="utf-8")
    result = _cli_in_colour("payouts", PROGRAMS / "ejourney.charter", deals,
                            "--out", tmp_path / "o.parquet")
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "unknown column `\\x1b[2Jevil\\u202e`" in result.output


def test_a_duckdb_csv_error_is_one_line_without_the_csv_line(tmp_path):
    """DuckDB's error spans twenty lines and quotes the failing CSV line raw."""
    deals = tmp_path / "deals.csv"
    deals.write_text(CSV_HEADER + "a,Growth,10,1,2026-01-01,Referral,,r1,5,\x1b[2Jsecret,x\n",
                     encoding="utf-8")
    result = _cli_in_colour("payouts", PROGRAMS / "ejourney.charter", deals,
                            "--out", tmp_path / "o.parquet")
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = result.output.splitlines()
    assert line.startswith("charter: the commission run failed: ") and "Line: 2" in line
    assert "secret" not in line and "\x1b" not in line
