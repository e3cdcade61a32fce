"""The Spark SQL, run: pyspark `local[2]` over the same Parquet deal table as DuckDB.

Not in the default run (marker `spark`; needs `pip install '.[spark]'` and Java 17):

    .venv/bin/pip install -q '.[spark]' && .venv/bin/python -m pytest -q -m spark

For each program, random deals (every route, thresholds crossed and reset, several years,
splits) are written as the deal table in Parquet by `charter payouts`'s loader; DuckDB runs
`payouts.duckdb.sql`'s statements and Spark runs `payouts.spark.sql`'s, with ANSI mode on
(an overflow is an error, never a NULL). Every payout line, decision and reject must be
identical, to the minor unit and the type.
"""
from __future__ import annotations

import pytest

from test_warehouse_differential import bundled, mix_program

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("charter-sql-test")
               .config("spark.sql.ansi.enabled", "true")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.memory", "2g")  # the plans of a large program's views
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    assert pyspark.__version__
    yield session
    session.stop()


PROGRAMS = [("ejourney", 1500), ("saas", 1000), ("mix", 1500)]


@pytest.mark.parametrize("name,count", PROGRAMS)
def test_spark_and_duckdb_agree_on_the_same_parquet(spark, name, count, tmp_path):
    from charter.warehouse.constants import build_constants
    from charter.warehouse.dialects import CACHED, script_statements
    from charter.warehouse.differential import random_deals, write_csv
    from charter.warehouse.run import connect, load_deals, run_sql

    program = {"ejourney": lambda: bundled("ejourney.charter"),
               "saas": lambda: bundled("saas-reseller.charter"),
               "mix": mix_program}[name]()
    constants, _ = build_constants(program)
    rows = random_deals(program, count, seed=17, partners=2)
    source, parquet = tmp_path / "deals.csv", tmp_path / "deals.parquet"
    write_csv(rows, str(source))
    con = connect("1GB", str(tmp_path))
    load_deals(con, str(source), "csv", constants, program)
    con.execute(f"COPY deals TO '{parquet}' (FORMAT parquet)")
    run_sql(con, constants)
    queries = {"charter_payouts": "ORDER BY deal_id, year, line",
               "charter_decisions": "ORDER BY deal_id", "charter_rejects": "ORDER BY line"}
    duck = {t: [tuple(r) for r in con.execute(f"SELECT * FROM {t} {o}").fetchall()]
            for t, o in queries.items()}
    con.close()

    spark.catalog.clearCache()  # the previous program's cached views
    spark.read.parquet(str(parquet)).createOrReplaceTempView("deals")
    for _name, statement in script_statements(constants, "spark"):
        spark.sql(statement)
    for table, order in queries.items():
        got = [tuple(r) for r in spark.sql(f"SELECT * FROM {table} {order}").collect()]
        assert len(got) == len(duck[table])
        for mine, theirs in zip(got, duck[table]):
            assert mine == theirs, f"{table}: Spark {mine} != DuckDB {theirs}"
    for table in CACHED:
        spark.sql(f"UNCACHE TABLE IF EXISTS {table}")
    assert duck["charter_payouts"] and {d[14] for d in duck["charter_decisions"]} == \
        {"accept", "walk"}
