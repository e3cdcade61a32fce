"""The table shapes of a commission run: deals in; payouts, decisions and rejects out.

One list of columns per table, each with its SQL type and meaning; the JSON Schemas
(`deals.schema.json`, `payouts.schema.json`, ...), the DuckDB loader and the docs are made
from these lists, so they cannot drift apart.
"""
from __future__ import annotations

from typing import NamedTuple

from charter.economics.kinds import AmountIs, BaseOf, PayoutKind, ReasonCode, Settlement, Timing
from charter.economics.payment import RULES
from charter.warehouse.constants import MAX_CLAIMS, MAX_STEPS, RATE_DECIMALS, TERMS

SCHEMA_BASE = "https://charter.dev/schemas/warehouse"


class Column(NamedTuple):
    name: str
    sql: str          # the SQL type; MONEY is DECIMAL(38, minor units)
    kind: str         # id, text, integer, money, rate, date, boolean
    required: bool
    meaning: str
    enum: tuple[str, ...] = ()


def deal_columns() -> list[Column]:
    """The deal table (one row per closed deal)."""
    cols = [
        Column("line", "BIGINT", "integer", False, "the row's position in its source file"
               " (filled in by `charter payouts`; any unique number elsewhere): rejects name it"),
        Column("id", "VARCHAR", "id", True, "the deal's id, unique in the table; ties on a close"
               " date are ordered by it (byte order)"),
        Column("product", "VARCHAR", "text", True, "a product with a list price"),
        Column("seats", "BIGINT", "integer", True, "units the list price is per, 1–10,000,000"),
        Column("years", "INTEGER", "integer", False, "contract years, 1–10 (default 1)"),
        Column("unit_price", "MONEY", "money", False, "customer price per unit per list period"
               " (default: the list price)"),
        Column("services_one_time", "MONEY", "money", False, "services bought once (default 0)"),
        Column("services_per_year", "MONEY", "money", False, "services bought each year"
               " (default 0)"),
        Column("close_date", "DATE", "date", True, "orders the deals and sets the threshold"
               " period"),
        Column("start_date", "DATE", "date", False, "the contract start (default: close_date);"
               " dates every contract year"),
        Column("price_approved", "BOOLEAN", "boolean", False, "a below-MSRP price was approved"
               " (default false)"),
        Column("certified", "BOOLEAN", "boolean", False, "the partner of record is certified"
               " (default true)"),
        Column("registered", "BOOLEAN", "boolean", False, "the deal was registered (default"
               " true)"),
        Column("split", "VARCHAR", "text", False, "a split declared in `attribution`"),
        Column("renewal_influenced", "BOOLEAN", "boolean", False, "the partner influenced the"
               " renewal (default false): the partner of record's `renewal_fee` is paid from"
               " contract year 2 on"),
    ]
    for k in range(1, MAX_STEPS + 1):
        who = "the first step (the partner of record when it is the only one)" if k == 1 else \
            f"route step {k}"
        cols += [
            Column(f"step{k}_channel", "VARCHAR", "text", False, f"{who}: its channel; steps are"
                   " filled from 1 with no gap, introducer first, partner of record last"),
            Column(f"step{k}_tier", "VARCHAR", "text", False, f"route step {k}: its tier"),
            Column(f"step{k}_rate", f"DECIMAL({RATE_DECIMALS + 1}, {RATE_DECIMALS})", "rate",
                   False, f"route step {k}: the deal's rate as a fraction (0.45), only for a"
                   " channel whose discount is a range (`discount: 40% .. 60%`; a"
                   f" `negotiable discount` is step{k}_discount)"),
            Column(f"step{k}_partner", "VARCHAR", "text", False, f"route step {k}: the partner"
                   " company's id; thresholds accumulate per partner (per channel for deals"
                   " without one)"),
        ]
        cols += [Column(f"step{k}_{term}", f"DECIMAL({RATE_DECIMALS + 1}, {RATE_DECIMALS})",
                        "rate", False, f"route step {k}: {TERM_MEANINGS[term]} the deal"
                        f" negotiated, as a fraction (0.15): the request's `terms.{term}`,"
                        " only on the partner of record where its channel or tier has a"
                        f" `negotiable {term}`; empty: the term's default")
                 for term in TERMS]
    for k in range(1, MAX_CLAIMS + 1):
        cols.append(Column(f"influenced{k}", "VARCHAR", "text", False, f"influencer {k}: a"
                           " channel that influenced the deal but is not on its route (the"
                           " request's `influenced`), filled from 1 with no gap; paid the"
                           " program's `influenced_rate` once, in year 1"))
    for k in range(1, MAX_CLAIMS + 1):
        cols.append(Column(f"spiff{k}", "VARCHAR", "text", False, f"claimed SPIFF {k} (the"
                           " request's `spiffs`), filled from 1 with no gap; paid once in year 1"
                           " when the deal qualifies, else named in the decision's"
                           " `spiffs_not_paid`"))
    return cols


TERM_MEANINGS = {"commission": "the commission", "commission_y2": "the commission from"
                 " contract year 2", "discount": "the discount", "margin": "the tier margin",
                 "margin_y2": "the tier margin from contract year 2"}


def payout_columns() -> list[Column]:
    """The payouts table (one row per payout line, payable or not)."""
    return [
        Column("deal_id", "VARCHAR", "id", True, "the deal's id"),
        Column("line", "INTEGER", "integer", True, "orders a deal-year's lines as `charter quote`"
               " lists them (numbers may skip)"),
        Column("year", "INTEGER", "integer", True, "the contract year, from 1"),
        Column("year_start", "DATE", "date", True, "the contract year's first day"),
        Column("year_end", "DATE", "date", True, "the contract year's last day"),
        Column("party", "VARCHAR", "text", True, "the channel paid"),
        Column("partner", "VARCHAR", "text", False, "the partner company's id from the deal"),
        Column("kind", "VARCHAR", "text", True, "payout kind", tuple(k.value for k in PayoutKind)),
        Column("settlement", "VARCHAR", "text", True, "who moves the money",
               tuple(s.value for s in Settlement)),
        Column("timing", "VARCHAR", "text", True, "paid each year or once",
               tuple(t.value for t in Timing)),
        Column("rate", "DECIMAL(10, 6)", "rate", True, "the line's rate, six decimals (half-even,"
               " as the quote contract spells it)"),
        Column("base", "MONEY", "money", True, "what the rate applies to"),
        Column("base_of", "VARCHAR", "text", True, "what the base is",
               tuple(b.value for b in BaseOf)),
        Column("amount", "MONEY", "money", True, "the amount, rounded as the engine rounds it"),
        Column("amount_is", "VARCHAR", "text", True, "how the amount relates to rate and base",
               tuple(a.value for a in AmountIs)),
        Column("payable", "BOOLEAN", "boolean", True, "false on a walked deal's lines (the"
               " quote's `not_payable`)"),
        Column("due_rule", "VARCHAR", "text", True, "when the line falls due (the quote's"
               " `due.rule`)", RULES),
        Column("due_date", "DATE", "date", False, "the date it falls due (the quote's"
               " `due.date`; null when no quote can know it: an event's date, no term)"),
    ]


def decision_columns() -> list[Column]:
    """The decisions table (one row per deal that was computed)."""
    return [
        Column("deal_id", "VARCHAR", "id", True, "the deal's id"),
        Column("line", "BIGINT", "integer", False, "the deal's row in the input"),
        Column("reasons", "VARCHAR", "text", True, "walk reason codes, comma-separated, in the"
               " engine's order ('' when accepted): " + ", ".join(r.value for r in ReasonCode
                                                                  if r is not
                                                                  ReasonCode.VENDOR_DECLINED)),
        Column("partner_of_record", "VARCHAR", "text", False, "the closing channel (null: a"
               " direct deal)"),
        Column("partner", "VARCHAR", "text", False, "the partner of record's company id"),
        Column("years", "INTEGER", "integer", True, "contract years"),
        Column("contract_start", "DATE", "date", True, "the contract's first day"),
        Column("contract_end", "DATE", "date", True, "the contract's last day"),
        Column("ladder", "VARCHAR", "text", False, "the threshold ladder that applied"),
        Column("cumulative_before", "MONEY", "money", False, "the partner's volume in the period"
               " before this deal (from the table: earlier close dates, then ids)"),
        Column("cumulative_after", "MONEY", "money", False, "the volume the next deal carries"),
        Column("bracket_from", "MONEY", "money", False, "the bracket that set the rate: from"),
        Column("bracket_up_to", "MONEY", "money", False, "... up to (null: the open top)"),
        Column("bracket_rate", "DECIMAL(10, 6)", "rate", False, "... its rate (six decimals)"),
        Column("decision", "VARCHAR", "text", True, "accept or walk", ("accept", "walk")),
        Column("spiffs_not_paid", "VARCHAR", "text", True, "the claimed SPIFFs the deal does not"
               " qualify for (product, channel, minimum or window), comma-separated in claim"
               " order ('' when none): `charter quote` warns about each and pays nothing"),
    ]


def reject_columns() -> list[Column]:
    """The rejects table (one row per input row that was not computed)."""
    return [
        Column("line", "BIGINT", "integer", False, "the row's line in the input (JSON Lines: its"
               " line; CSV: its line counting the header as 1; Parquet: its row number from 1)"),
        Column("id", "VARCHAR", "id", False, "the row's id, when it has one"),
        Column("error", "VARCHAR", "text", True, "the first problem found"),
    ]


TABLES = {"deals": deal_columns, "payouts": payout_columns, "decisions": decision_columns,
          "rejects": reject_columns}


def sql_type(column: Column, minor_units: int) -> str:
    return f"DECIMAL(38, {minor_units})" if column.sql == "MONEY" else column.sql


def json_schema(table: str, program: str, currency: str, minor_units: int) -> dict:
    """The JSON Schema of one row of ``table`` (as JSON: amounts and rates as decimal
    strings, dates as ISO dates); `x-sql-type` gives each column's SQL type."""
    columns = TABLES[table]()
    props = {}
    for col in columns:
        prop: dict = {"description": col.meaning, "x-sql-type": sql_type(col, minor_units)}
        if col.kind == "money":
            digits = f"\\.[0-9]{{{minor_units}}}" if minor_units else ""
            prop.update({"type": "string", "pattern": f"^-?[0-9]+{digits}$"})
        elif col.kind == "rate":
            prop.update({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"})
        elif col.kind == "date":
            prop.update({"type": "string", "format": "date"})
        elif col.kind == "integer":
            prop["type"] = "integer"
        elif col.kind == "boolean":
            prop["type"] = "boolean"
        else:
            prop["type"] = "string"
        if col.enum:
            prop["enum"] = list(col.enum)
        if not col.required:
            prop["type"] = [prop["type"], "null"]
        props[col.name] = prop
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{SCHEMA_BASE}/{program}/{table}.schema.json",
            "title": f"{program}: one row of the {table} table ({currency})",
            "type": "object", "additionalProperties": False,
            "required": [c.name for c in columns if c.required], "properties": props}
