"""One truth, two engines: the SQL commission run against the Python engine, deal by deal.

`random_deals` makes reproducible deal rows over every route a program allows (and the ones
it refuses), thresholds crossed and reset, several contract years, splits, prices off list;
`write_csv` writes them as the deal table; `compare` lines the SQL's answers up with
`charter.warehouse.reference.commission_run` and describes every disagreement with the deal
and both answers. Used by tests/test_warehouse_differential.py, tests/test_spark.py and
benchmarks/bench_payouts.py.
"""
from __future__ import annotations

import csv
import datetime as _dt
import random
from decimal import Decimal
from itertools import zip_longest

from charter import model as m
from charter.economics.negotiation import payout_terms
from charter.economics.routes import routes
from charter.warehouse.constants import MAX_CLAIMS, MAX_STEPS, TERMS
from charter.warehouse.tables import deal_columns


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def write_csv(rows: list[dict], path: str) -> None:
    """The deal table as CSV (header: every column except `line`)."""
    names = [c.name for c in deal_columns() if c.name != "line"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in rows:
            writer.writerow([_plain(row.get(n)) for n in names])


def random_deals(program: m.Program, count: int, seed: int = 7, partners: int = 5,
                 start: _dt.date = _dt.date(2026, 1, 1), days: int = 730) -> list[dict]:
    """``count`` reproducible deal rows for ``program``: every allowed route (with its tiers,
    both ends of a discount range and rates between), disallowed handovers, a few partner
    ids per channel (so thresholds accumulate and cross), close dates over ``days`` (period
    resets), 1–5 contract years, services, prices off list, splits, unregistered and
    uncertified deals; where the program negotiates payout terms, the partner of record's
    terms inside and at the ends of their ranges, and now and then one the engine refuses
    (outside the range, not negotiated there, on an introducer). Rows get `line` = their
    position from 1."""
    rng = random.Random(seed)
    products = [p for p in program.products if p.list_price is not None]
    quantum = Decimal(1).scaleb(-program.header.minor_units)
    options = [r for r in routes(program)]
    offered = [c for c in program.channels if not c.internal]
    splits = list(program.attribution.splits) if program.attribution else []
    unregistered = (program.registration and program.registration.unregistered_rate is not None) \
        or (program.attribution and program.attribution.unregistered_rate is not None)
    negotiates = any(payout_terms(c, t) for c in offered for t in (c.tiers or (None,)))
    rows = []
    for number in range(1, count + 1):
        product = rng.choice(products) if products else None
        row: dict = {"line": number, "id": f"d{rng.randrange(10 ** 9):09d}-{number}",
                     "product": product.name if product else "Nothing",
                     "seats": rng.choice([1, 2, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000]),
                     "close_date": start + _dt.timedelta(days=rng.randrange(days))}
        if rng.random() < 0.5:
            row["years"] = rng.randint(1, 5)
        if rng.random() < 0.1:
            row["start_date"] = row["close_date"] + _dt.timedelta(days=rng.randrange(60))
        if rng.random() < 0.02:
            row["start_date"] = _dt.date(2028, 2, 29)
        if rng.random() < 0.4:
            row["services_one_time"] = Decimal(rng.randrange(0, 500)) * 1000 * quantum * 100
        if rng.random() < 0.3:
            row["services_per_year"] = Decimal(rng.randrange(0, 100)) * 1000 * quantum * 100
        if product is not None and rng.random() < 0.25:
            unit = product.list_price.money.amount
            factor = Decimal(rng.choice(["0.8", "0.9", "0.95", "0.999", "1", "1.1", "1.25"]))
            row["unit_price"] = (unit * factor).quantize(quantum, rounding="ROUND_DOWN")
            if rng.random() < 0.5:
                row["price_approved"] = True
        choice = rng.random()
        if choice < 0.08 or not options:
            steps = []
        elif choice < 0.16 and len(offered) >= 2:
            a, b = rng.sample(offered, 2)  # any pair: handovers the program may not declare
            steps = [(a.name, _tier(rng, a)), (b.name, _tier(rng, b))]
        else:
            route = rng.choice(options)
            steps = list(route.steps)
        for k, (channel, tier) in enumerate(steps[:MAX_STEPS], 1):
            row[f"step{k}_channel"] = channel
            row[f"step{k}_tier"] = tier
            ranged = _ranged(program.channel(channel))
            if ranged is not None:
                low, high = ranged
                row[f"step{k}_rate"] = rng.choice([low, high, ((low + high) / 2).quantize(
                    Decimal("0.0001")), low + Decimal("0.00123456")])
            if rng.random() < 0.85:
                row[f"step{k}_partner"] = f"p-{channel.lower()}-{rng.randrange(partners)}"
            if negotiates:
                _terms(rng, row, k, program.channel(channel), tier, k == len(steps))
        if steps and splits and rng.random() < 0.15:
            split = rng.choice(splits)
            named = [n for n, _s, _sp in split.shares if n not in ("partner", "direct", "vendor")]
            if not named or steps[-1][0] in named:
                row["split"] = split.name
        _claims(rng, program, row, [name for name, _tier in steps], offered)
        if steps and unregistered and rng.random() < 0.1:
            row["registered"] = False
        if steps and rng.random() < 0.05:
            row["certified"] = False
        if steps and rng.random() < 0.15:  # a renewal fee is paid from year 2 when stated
            row["renewal_influenced"] = rng.random() < 0.8
        rows.append(row)
    return rows


def _claims(rng: random.Random, program: m.Program, row: dict, on_route: list[str],
            offered: list[m.Channel]) -> None:
    """Influencers (now and then one on the route, which both engines refuse) and SPIFF
    claims (now and then one claimed twice or unknown), into the claim columns."""
    attribution = program.attribution
    if attribution is not None and (attribution.influenced_rate is not None or
                                    attribution.influenced_credit is not None) \
            and rng.random() < 0.2:
        pool = [c.name for c in offered if c.name not in on_route]
        paid = [n for n in pool if attribution.influence_rate(program.channel(n)) is not None]
        pool = paid if paid and rng.random() < 0.9 else pool  # mostly ones a fee is paid to
        named = rng.sample(pool, min(len(pool), rng.choice([1, 1, 2, 3])))
        if on_route and rng.random() < 0.05:
            named.append(rng.choice(on_route))
        for k, name in enumerate(named[:MAX_CLAIMS], 1):
            row[f"influenced{k}"] = name
    names = [x.name for x in program.spiffs]
    claimable = [x.name for x in program.spiffs if x.claimable]
    names = claimable if claimable and rng.random() < 0.9 else names
    if names and rng.random() < 0.3:
        claimed = rng.sample(names, min(len(names), rng.choice([1, 1, 2])))
        if rng.random() < 0.03:
            claimed.append(rng.choice([claimed[0], "no_such_spiff"]))
        for k, name in enumerate(claimed[:MAX_CLAIMS], 1):
            row[f"spiff{k}"] = name
def _terms(rng: random.Random, row: dict, k: int, channel: m.Channel | None,
           tier_name: str | None, closes: bool) -> None:
    """Step ``k``'s negotiated terms: on the partner of record (``closes``) each term it
    negotiates, most often, at an end of its range, the default or between; rarely a value
    outside the range or a term it does not negotiate; on an introducer rarely any."""
    if channel is None or (tier_name is not None and channel.tier(tier_name) is None):
        return
    negotiable = payout_terms(channel, channel.tier(tier_name) if tier_name else None)
    if not closes:
        if negotiable and rng.random() < 0.03:
            row[f"step{k}_{negotiable[0].term}"] = negotiable[0].default
        return
    for term in negotiable:
        top = term.top
        if rng.random() < 0.7:
            row[f"step{k}_{term.term}"] = rng.choice(
                [term.low, top, term.default, ((term.low + top) / 2).quantize(Decimal("1e-8")),
                 min(top, term.low + Decimal("0.00123456"))])
        elif rng.random() < 0.05:
            row[f"step{k}_{term.term}"] = rng.choice(
                [top + Decimal("0.01")] + ([term.low - Decimal("0.0001")] if term.low else []))
    if rng.random() < 0.02:
        row[f"step{k}_{rng.choice(TERMS)}"] = Decimal("0.05")  # not negotiated: refused


def _tier(rng: random.Random, channel: m.Channel) -> str | None:
    return rng.choice(channel.tiers).name if channel.tiers else None


def _ranged(channel: m.Channel):
    low_high = channel.discount
    if channel.buys_wholesale and low_high and low_high[0] != low_high[1] and not channel.tiers:
        return low_high
    return None


def read_table(con, path: str) -> list[tuple]:
    reader = "read_parquet" if path.endswith(".parquet") else "read_csv_auto"
    return [tuple(r) for r in con.execute(f"SELECT * FROM {reader}('{path}')").fetchall()]


def payout_key(rows: list[tuple]) -> list[tuple]:
    """SQL payout rows (ordered by deal, year, line) without the `line` column."""
    return [r[:1] + r[2:] for r in rows]


def compare(program: m.Program, rows: list[dict], sql_payouts: list[tuple],
            sql_decisions: list[tuple], sql_rejects: list[tuple], limit: int = 5) -> list[str]:
    """Every disagreement between the SQL's tables and the engine's answers, described."""
    from charter.warehouse.reference import commission_run

    payouts, decisions, rejects = commission_run(program, rows)
    problems: list[str] = []
    by_id = {row.get("id"): row for row in rows}
    sql_lines = _group(payout_key(sorted(sql_payouts, key=lambda r: (r[0], r[2], r[1]))))
    ref_lines = _group(payouts)
    for deal in sorted(set(sql_lines) | set(ref_lines)):
        mine, theirs = sql_lines.get(deal, []), ref_lines.get(deal, [])
        if mine != theirs:
            problems.append(_describe(deal, by_id.get(deal), "payout lines", theirs, mine))
    sql_dec = {d[0]: d[:1] + d[2:] for d in sql_decisions}  # lines are compared with rejects
    for decision in decisions:
        decision = decision[:1] + decision[2:]
        other = sql_dec.pop(decision[0], None)
        if other != decision:
            problems.append(_describe(decision[0], by_id.get(decision[0]), "decision",
                                      [decision], [other]))
    for extra in sql_dec.values():
        problems.append(_describe(extra[0], by_id.get(extra[0]), "decision", [], [extra]))
    ref_rejected = sorted(r[1] or "" for r in rejects)
    sql_rejected = sorted(r[1] or "" for r in sql_rejects)
    if ref_rejected != sql_rejected:
        problems.append(f"rejected rows differ: engine {ref_rejected[:10]}, SQL"
                        f" {sql_rejected[:10]}")
    return problems[:limit] + ([f"... and {len(problems) - limit} more"]
                               if len(problems) > limit else [])


def _group(lines: list[tuple]) -> dict:
    out: dict = {}
    for line in lines:
        out.setdefault(line[0], []).append(line)
    return out


def _describe(deal, row, what: str, engine: list, sql: list) -> str:
    text = [f"deal {deal}: {what} differ", f"  deal row: { {k: v for k, v in (row or {}).items() if v is not None} }"]
    for a, b in zip_longest(engine, sql):
        mark = "  " if a == b else "≠ "
        text.append(f"{mark}engine: {a}")
        text.append(f"{mark}SQL:    {b}")
    return "\n".join(text)
