"""Money impact: the same deals quoted with the old and the new program, through the engine.

The deals are the program's worked examples (those of the config in the chosen view: the
partner view has only partner-safe examples) and a standard deal on every route the program
allows (`charter.economics.routes`: each offered channel and tier alone, each threshold
bracket, each handover chain), for every priced software product, 1,000 seats, three
contract years. Each deal is one quote request (the JSON request contract), parsed against
each program and quoted by that program's engine; the answer is the engine's response in the
chosen view (`quote_to_json(..., view)`), so a partner diff reads only partner-view answers.

What a partner earns in a year is the sum of the payable payout lines whose kind counts in a
partner's gross (`PayoutKind.in_partner_gross`: margin, commission, rebate, ...); MDF is
reported beside it. A walked deal pays nothing. A deal one of the programs cannot quote (a
removed tier, a new product) has no impact: the change that removed it says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.economics import RequestInvalid, parse_request
from charter.economics.kinds import PayoutKind
from charter.economics.request import DealRequest
from charter.economics.response import quote_to_json
from charter.economics.routes import nominal_product, routes
from charter.numbers import pct
from charter.semdiff.compare import Segment
from charter.semdiff.side import Side
from charter.targets.config import route_id
from charter.targets.projection import request_of
from charter.targets.wording import Words

ZERO = Decimal(0)
MINUS = "\u2212"


@dataclass(frozen=True)
class Deal:
    """A deal quoted with both programs: its request and what it touches."""

    key: str
    kind: str                                   # "example" | "standard"
    label: str
    request: dict

    @property
    def steps(self) -> tuple[tuple[str, str | None], ...]:
        """(channel, tier) of each route step, introducer first."""
        return tuple((s["channel"], s.get("tier")) for s in self.request["route"])

    def touches(self, segments: tuple[Segment, ...]) -> bool:
        """Whether a change at ``segments`` can move what this deal pays: it names a
        channel, tier, product or handover on the deal, the ladder of its partner of record,
        or nothing in particular (a program-wide rule)."""
        channels = {c for c, _t in self.steps} | set(self.request.get("influenced", ()))
        closer = self.steps[-1][0] if self.steps else None
        for seg in segments:
            kind, _, name = (seg.ident or "").partition(":")
            if kind == "channel" and name not in channels:
                return False
            if kind == "thresholds" and name.split("/")[0] != closer:  # the closer's ladder
                return False
            if kind == "tier" and tuple(name.split("/", 1)) not in self.steps:
                return False
            if kind == "product" and name != self.request["product"]:
                return False
            if kind == "handover" and not _hands_over(self.steps, name):
                return False
        return True


def _hands_over(steps: tuple, name: str) -> bool:
    source, _, target = name.partition("->")
    pairs = {(a[0], b[0]) for a, b in zip(steps, steps[1:])}
    return (source, target) in pairs


@dataclass(frozen=True)
class Year:
    """One contract year of a deal: partner earnings and MDF, old and new (zero when the
    deal walks)."""

    year: int
    old: Decimal
    new: Decimal
    old_mdf: Decimal
    new_mdf: Decimal

    @property
    def change(self) -> Decimal:
        """New − old partner earnings."""
        return self.new - self.old

    @property
    def mdf_change(self) -> Decimal:
        """New − old MDF."""
        return self.new_mdf - self.old_mdf


@dataclass(frozen=True)
class Impact:
    """What one deal pays partners under each program, year by year."""

    deal: Deal
    years: tuple[Year, ...]
    decisions: tuple[str, str]                  # (old, new): accept | walk

    def text(self, words: Words) -> str:
        """`VAD Elite, Growth × 1.000 users: −Rp120 jt/yr` (and MDF, a new walk)."""
        parts = [_yearly(words, [y.change for y in self.years])]
        if any(y.mdf_change for y in self.years):
            parts.append("MDF " + _yearly(words, [y.mdf_change for y in self.years]))
        if self.decisions[0] != self.decisions[1]:
            parts.append(f"{self.decisions[0]} → {self.decisions[1]}")
        return f"{self.deal.label}: " + "; ".join(parts)

    def to_json(self, words: Words) -> dict:
        """The JSON shape (amounts as decimal strings in the program's currency)."""
        return {"deal": self.deal.label, "kind": self.deal.kind, "request": self.deal.request,
                "decision": {"old": self.decisions[0], "new": self.decisions[1]},
                "years": [{"year": y.year, "old": str(y.old), "new": str(y.new),
                           "change": str(y.change), "mdf_change": str(y.mdf_change)}
                          for y in self.years],
                "text": self.text(words)}


def _yearly(words: Words, changes: list[Decimal]) -> str:
    if len(set(changes)) == 1:
        return f"{signed(words, changes[0])}/yr"
    return " · ".join(f"Y{i} {signed(words, c)}" for i, c in enumerate(changes, start=1))


def signed(words: Words, amount: Decimal) -> str:
    """`+Rp120 jt`, `−Rp120 jt`, `±0`."""
    if not amount:
        return "±0"
    return ("+" if amount > 0 else MINUS) + words.money(abs(amount))


# ---- the deals ---------------------------------------------------------------------------

def deals(old: Side, new: Side, view: str) -> list[Deal]:
    """Examples (the new program's deal when both have one), then standard deals, once."""
    found: dict[str, Deal] = {}
    for side in (new, old):
        for deal in _examples(side.config(view)):
            found.setdefault(deal.key, deal)
    for side in (new, old):
        for deal in _standard(side.program, side.config(view)):
            found.setdefault(deal.key, deal)
    examples = [d for d in found.values() if d.kind == "example"]
    return examples + [d for d in found.values() if d.kind == "standard"]


def _examples(config: dict) -> Iterator[Deal]:
    examples = config["examples"] + config.get("internal", {}).get("examples", [])
    for example in examples:
        request = request_of(example["deal"])
        yield Deal(example["id"], "example",
                   f"example {example['name']} ({_deal_text(request, config)})", request)


def _standard(program: m.Program, config: dict) -> Iterator[Deal]:
    """A nominal deal on every route, for each priced software product (only the nominal
    product where the seats were chosen to reach a per-deal bracket)."""
    nominal = nominal_product(program)
    if nominal is None:
        return
    priced = [p.name for p in program.products
              if p.layer == "software" and p.list_price is not None]
    for route in routes(program):
        base = route.request(program)
        if base is None:
            continue
        closer = program.channel(route.closer[0])
        per_deal = route.bracket is not None and closer.thresholds.basis == "deal_value"
        for product in [nominal.name] if per_deal else priced:
            request = _as_request(base, product)
            label = _deal_text(request, config) + _bracket_text(route, Words.of(config))
            yield Deal(f"{route_id(route)}|{product}", "standard", label, request)


def _as_request(request: DealRequest, product: str) -> dict:
    """A `DealRequest` of `routes` as a JSON request, for another product."""
    steps = [{"channel": s.channel, **({"tier": s.tier} if s.tier else {}),
              **({"rate": pct(s.rate)} if s.rate is not None else {})} for s in request.route]
    out: dict = {"product": product, "seats": request.seats, "years": request.years,
                 "route": steps}
    if request.cumulative:
        out["cumulative"] = {c.channel: format(c.amount, "f") for c in request.cumulative}
    return out


def _deal_text(request: dict, config: dict) -> str:
    """`VAD Elite, Growth × 1.000 users` (the product's unit, the program's locale)."""
    route = " → ".join(f"{s['channel']} {s['tier']}" if s.get("tier") else s["channel"]
                       for s in request["route"]) or "direct"
    rates = [s["rate"] for s in request["route"] if s.get("rate")]
    at = f" at {rates[-1]}" if rates else ""
    product = next((p for p in config["products"] if p["name"] == request["product"]), {})
    noun = (product.get("list_price") or {}).get("per_unit") or "unit"
    seats = request["seats"]
    return f"{route}{at}, {request['product']} × {Words.of(config).number(seats)} " \
           f"{noun}{'' if seats == 1 else 's'}"


def _bracket_text(route, words: Words) -> str:
    if route.bracket is None or not route.bracket.low_amount:
        return ""
    if route.bracket.counts:
        return f", from deal {words.number(route.bracket.low_amount)} of the period"
    return f", volume from {words.money(route.bracket.low_amount)}"


# ---- quoting -----------------------------------------------------------------------------

def impacts(old: Side, new: Side, view: str) -> list[Impact]:
    """Every deal whose partner earnings, MDF or decision differ between the programs."""
    found = []
    for deal in deals(old, new, view):
        before, after = _answer(old, deal, view), _answer(new, deal, view)
        if before is None or after is None:
            continue
        years = []
        for a, b in zip(before["years"], after["years"]):
            (old_gross, old_mdf), (new_gross, new_mdf) = _earned(a), _earned(b)
            years.append(Year(a["year"], old_gross, new_gross, old_mdf, new_mdf))
        impact = Impact(deal, tuple(years), (before["decision"], after["decision"]))
        if any(y.change or y.mdf_change for y in impact.years) or \
                impact.decisions[0] != impact.decisions[1]:
            found.append(impact)
    return found


def _answer(side: Side, deal: Deal, view: str) -> dict | None:
    """The engine's answer in ``view`` (None when the program cannot quote the deal)."""
    try:
        request = parse_request(deal.request, side.program)
    except RequestInvalid:
        return None
    return quote_to_json(side.quoter.quote(request), side.program.header, view)


def _earned(year: dict) -> tuple[Decimal, Decimal]:
    """(partner earnings, MDF) of one year of an answer: payable lines only."""
    gross = mdf = ZERO
    for line in year["payouts"]:
        kind = PayoutKind(line["kind"])
        if kind is PayoutKind.MDF:
            mdf += Decimal(line["amount"])
        elif kind.in_partner_gross:
            gross += Decimal(line["amount"])
    return gross, mdf

