"""The commission run computed by the Python engine: the reference the SQL must equal.

Deals are rows of the deal table (`charter.warehouse.tables.deal_columns`, Python values:
`Decimal`, `datetime.date`, `bool`, `str`, `int`, None). Each becomes a quote request and is
checked by the engine's own reader; the valid ones are sorted by close date, then id, and
quoted one by one by `charter.economics.Quoter`, each handed the cumulative volume of the
partner of record (per channel when the deal names no partner) in its threshold period,
accumulated from the deals before it: what every deal adds is the engine's own
`LadderUse.after − LadderUse.before`. Used by the differential tests and the benchmark.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Iterable

from charter import model as m
from charter.economics import Quoter, RequestInvalid, parse_request
from charter.economics.money import RATIO_QUANTUM
from charter.economics.request import Cumulative
from charter.warehouse.constants import AMOUNT_LIMIT, MAX_CLAIMS, MAX_STEPS, TERMS

ZERO = Decimal(0)


def rate6(value: Decimal | None) -> Decimal | None:
    """A rate as the contract spells it: six decimals, half-even."""
    return None if value is None else value.quantize(RATIO_QUANTUM)


def _text(value: Decimal) -> str:
    return format(value, "f")


def row_to_request(row: dict) -> dict:
    """The quote request (JSON) a deal row stands for."""
    request: dict = {"id": row.get("id"), "product": row.get("product"), "seats": row.get("seats")}
    if row.get("years") is not None:
        request["years"] = row["years"]
    route = []
    for k in range(1, MAX_STEPS + 1):
        channel = row.get(f"step{k}_channel")
        if channel is None:
            break
        step = {"channel": channel}
        if row.get(f"step{k}_tier") is not None:
            step["tier"] = row[f"step{k}_tier"]
        if row.get(f"step{k}_rate") is not None:
            step["rate"] = f"{(row[f'step{k}_rate'] * 100).normalize():f}%"
        if row.get(f"step{k}_partner") is not None:
            step["partner"] = row[f"step{k}_partner"]
        terms = {t: f"{(row[f'step{k}_{t}'] * 100).normalize():f}%" for t in TERMS
                 if row.get(f"step{k}_{t}") is not None}
        if terms:
            step["terms"] = terms
        route.append(step)
    request["route"] = route
    services = {}
    if row.get("services_one_time") is not None:
        services["one_time"] = _text(row["services_one_time"])
    if row.get("services_per_year") is not None:
        services["per_year"] = _text(row["services_per_year"])
    if services:
        request["services"] = services
    if row.get("close_date") is not None:
        request["close_date"] = row["close_date"].isoformat()
    if row.get("start_date") is not None:
        request["start"] = row["start_date"].isoformat()
    if row.get("unit_price") is not None:
        request["unit_price"] = _text(row["unit_price"])
    for flag in ("price_approved", "certified", "registered", "renewal_influenced"):
        if row.get(flag) is not None:
            request[flag] = row[flag]
    if row.get("split") is not None:
        request["split"] = row["split"]
    for field, column in (("influenced", "influenced"), ("spiffs", "spiff")):
        named = [row.get(f"{column}{k}") for k in range(1, MAX_CLAIMS + 1)]
        if any(named):
            request[field] = [n for n in named if n is not None]
    return request


def _table_problem(row: dict) -> str | None:
    """What the deal table forbids that a request cannot even say: a gap in the route
    columns, a step field without a channel, an amount at or beyond the SQL's limit."""
    channels = [row.get(f"step{k}_channel") for k in range(1, MAX_STEPS + 1)]
    if any(a is None and b is not None for a, b in zip(channels, channels[1:])):
        return "route: a gap in the steps"
    for k in range(1, MAX_STEPS + 1):
        if channels[k - 1] is None and any(row.get(f"step{k}_{f}") is not None
                                           for f in ("tier", "rate", "partner") + TERMS):
            return f"route step {k}: no channel"
    for column in ("influenced", "spiff"):
        named = [row.get(f"{column}{k}") for k in range(1, MAX_CLAIMS + 1)]
        if any(a is None and b is not None for a, b in zip(named, named[1:])):
            return f"{column}: a gap in the columns"
    for name in ("unit_price", "services_one_time", "services_per_year"):
        if row.get(name) is not None and row[name] >= AMOUNT_LIMIT:
            return f"{name}: beyond the SQL limit"
    return None


def period(reset: str, day: _dt.date):
    """The threshold period ``day`` falls in (`charter.economics.thresholds.same_period`)."""
    if reset == "quarter":
        return day.year, (day.month - 1) // 3
    if reset == "month":
        return day.year, day.month
    if reset in ("calendar_year", "fiscal_year"):
        return day.year
    return None


def commission_run(program: m.Program, rows: Iterable[dict]) -> tuple[list, list, list]:
    """(payout lines, decisions, rejects) of ``rows``, each a list of tuples in the order of
    the SQL tables' columns (payouts in the engine's line order, by deal id and year)."""
    quoter = Quoter(program)
    rows = list(rows)
    counts: dict = {}
    for row in rows:
        counts[row.get("id")] = counts.get(row.get("id"), 0) + 1
    valid, rejects = [], []
    for row in rows:
        ident = row.get("id")
        if not ident:
            rejects.append((row.get("line"), ident, "id: missing"))
            continue
        if counts[ident] > 1:
            rejects.append((row.get("line"), ident, "id: duplicate"))
            continue
        if row.get("close_date") is None:
            rejects.append((row.get("line"), ident, "close_date: missing"))
            continue
        problem = _table_problem(row)
        if problem:
            rejects.append((row.get("line"), ident, problem))
            continue
        try:
            request = parse_request(row_to_request(row), program)
        except RequestInvalid as bad:
            rejects.append((row.get("line"), ident, str(bad)))
            continue
        plan = quoter.plan(request)
        unit = request.unit_price if request.unit_price is not None else plan.unit_list
        if max(unit, plan.unit_list) * request.seats * plan.periods >= AMOUNT_LIMIT:
            rejects.append((row.get("line"), ident, "software per year beyond the SQL limit"))
            continue
        valid.append((row, request))
    valid.sort(key=lambda item: (item[1].close_date, item[1].id))
    running: dict = {}
    payouts, decisions = [], []
    for row, request in valid:
        plan = quoter.plan(request)
        closer = plan.closer
        key = None
        if closer is not None and closer.ladder is not None and not closer.ladder.per_deal:
            key = (closer.channel, closer.partner, period(closer.ladder.reset, request.close_date))
            request = request._replace(cumulative=(Cumulative(closer.channel,
                                                              running.get(key, ZERO)),))
        quote = quoter.quote(request)
        use = next((u for u in quote.ladders if closer and u.party == closer.channel), None)
        if key is not None:
            running[key] = running.get(key, ZERO) + (use.after - use.before)
        decisions.append(_decision(row, quote, use))
        for year in quote.years:
            for payout in year.payouts:
                due = quote.due(payout, year)
                payouts.append((request.id, year.year, year.start, year.end, payout.party,
                                payout.partner, str(payout.kind), str(payout.settlement),
                                str(payout.timing), rate6(payout.rate), payout.base,
                                str(payout.base_of), payout.amount, str(payout.amount_is),
                                quote.payable, due.rule, due.date))
    decisions.sort(key=lambda d: d[0])
    payouts.sort(key=lambda p: p[0])  # stable: each deal's lines stay in the engine's order
    return payouts, decisions, rejects


def _decision(row: dict, quote, use) -> tuple:
    request = quote.request
    closer = request.route[-1] if request.route else None
    per_deal = use is not None and use.ladder.per_deal
    return (request.id, row.get("line"), ",".join(str(r.code) for r in quote.reasons),
            quote.partner, closer.partner if closer else None, request.years, quote.start,
            quote.end, use.ladder.name if use else None,
            None if use is None or per_deal else use.before,
            None if use is None or per_deal else use.after,
            use.bracket.low if use else None, use.bracket.high if use else None,
            rate6(use.bracket.rate) if use else None, quote.decision, _unpaid(request))


def _unpaid(request) -> str:
    """The claimed SPIFFs the engine warned about (the deal does not qualify), in claim order."""
    warned = {w.path for w in request.warnings}
    return ",".join(name for index, name in enumerate(request.spiffs)
                    if f"$.spiffs[{index}]" in warned)
