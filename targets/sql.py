"""`sql/`: the program's commission run as SQL, for warehouses (target `sql`).

Per program: `sql/payouts.duckdb.sql`, `sql/payouts.spark.sql`, `sql/payouts.trino.sql` (the
DuckDB statements transpiled by sqlglot), and the table shapes as JSON Schema
(`sql/deals.schema.json` in; `sql/payouts.schema.json`, `sql/decisions.schema.json`,
`sql/rejects.schema.json` out). The constants come from the economics engine
(`charter.warehouse.constants`). A program using something the SQL does not compute is
refused: the target raises `charter.warehouse.NotCovered`, naming each construct, and writes
nothing for it. See docs/warehouse.md.
"""
from __future__ import annotations

import json

from charter.targets.base import BuildContext, Target


def build(ctx: BuildContext) -> dict[str, bytes]:
    from charter.warehouse import NotCovered
    from charter.warehouse.constants import build_constants
    from charter.warehouse.dialects import DIALECTS, script
    from charter.warehouse.tables import TABLES, json_schema

    constants, refusals = build_constants(ctx.program)
    if refusals:
        raise NotCovered(ctx.program.header.id, refusals)
    files = {f"sql/payouts.{d}.sql": script(constants, d).encode("utf-8") for d in DIALECTS}
    for table in TABLES:
        schema = json_schema(table, constants.program, constants.currency, constants.minor_units)
        files[f"sql/{table}.schema.json"] = \
            (json.dumps(schema, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files


TARGET = Target("sql", "the commission run as SQL (DuckDB, Spark, Trino) over a table of"
                " deals, and the tables' JSON Schemas", "machines", build)
