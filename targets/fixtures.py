"""`fixtures/`: quote scenarios with the engine's answers, for downstream systems to test against.

One JSON file per scenario, `{"name", "description", "request", "expected",
"expected_partner"}`, plus `fixtures/index.json`. `request` is a quote request (contract
quote-request.schema.json); `expected` is what `charter quote PROGRAM req.json --format json`
answers, `expected_partner` what `--view partner` answers, both stored as parsed JSON:
`json.dumps(expected, indent=2, ensure_ascii=False)` is the CLI's output byte for byte. A
request the engine refuses is a scenario too; its answers are the error object
(`errors_to_json`).

Scenarios are generated from the program, never hand-listed: its worked examples, every
channel × tier × priced product alone, every threshold boundary (below, at, above, a deal
crossing it, a period reset), every handover combination (the disallowed ones walk), multi-year
deals, splits, influence, the walk rules a program declares (MSRP floor, wholesale price,
certification, unregistered deals), and each negotiable term agreed at the top of its range
and just past it (refused). Routes come from `charter.economics.routes`; every number
a scenario is built from (a deal's threshold volume, a floor, a wholesale price) is asked of
the engine. Nothing reads the clock: every request has an explicit `close_date` (the program's
`effective` date, else `DEFAULT_CLOSE`), so contract years are dated.

A program that prices no product (nothing can be quoted) gets one scenario per route, each
answered by the refusal the real CLI gives.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Callable, Iterable, Iterator

from charter import model as m
from charter.economics import Quoter, RequestInvalid, parse_request, request_from_deal
from charter.economics.contract import CONTRACT_VERSION
from charter.economics.engine import Quote
from charter.economics.negotiation import spell
from charter.economics.request import DealRequest
from charter.economics.response import errors_to_json, quote_to_json
from charter.economics.routes import NOMINAL_SEATS, nominal_product, routes
from charter.economics.thresholds import deals_before, same_period
from charter.targets.base import BuildContext, Target
from charter.values import Duration

# The close date of a program without `effective`: a fixed date, never the clock.
DEFAULT_CLOSE = _dt.date(2026, 1, 1)
MULTI_YEARS = 3                        # years of the multi-year scenarios
REFUSED = "refused"                    # the index's decision for a request the engine refuses
RESERVED = frozenset({"index"})        # file stems a scenario may not take
_GENERIC_PARTIES = frozenset({"partner", "direct", "vendor"})  # split parties that are not channels


@dataclass(frozen=True)
class Scenario:
    """A named request: ``name`` is a slug (the file stem and the request's `id`)."""

    name: str
    description: str
    request: dict


# ---- the target -------------------------------------------------------------------------------

def build(ctx: BuildContext) -> dict[str, bytes]:
    """`fixtures/<name>.json` for every scenario of ``ctx.program`` and `fixtures/index.json`."""
    fixtures = [fixture(s, ctx.program, ctx.quoter) for s in scenarios(ctx.program, ctx.quoter)]
    files = {f"fixtures/{f['name']}.json": dump(f) for f in fixtures}
    files["fixtures/index.json"] = dump(index(ctx.program, fixtures))
    return files


TARGET = Target("fixtures", "quote scenarios with the engine's answers (internal and partner"
                " view), for commission engines and PRMs to test themselves against",
                "machines", build)


def dump(obj: dict) -> bytes:
    """A fixture file: 2-space indented JSON, UTF-8 kept, a trailing newline."""
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def fixture(scenario: Scenario, program: m.Program, quoter: Quoter) -> dict:
    """The fixture of ``scenario``: its request and both answers, as the CLI gives them."""
    internal, partner = answer(scenario.request, program, quoter)
    return {"name": scenario.name, "description": scenario.description,
            "request": scenario.request, "expected": internal, "expected_partner": partner}


def answer(request: dict, program: m.Program, quoter: Quoter) -> tuple[dict, dict]:
    """(internal answer, partner answer) of ``request``, exactly as `charter quote --format
    json` reads and answers it (the request goes through JSON text first, as from a file)."""
    obj = json.loads(json.dumps(request), parse_float=Decimal)
    return _answer(obj, program, quoter, "internal"), _answer(obj, program, quoter, "partner")


def _answer(obj: object, program: m.Program, quoter: Quoter, view: str) -> dict:
    """The answer in ``view``: the request read against what that view may name (the partner
    view names no internal channel: `named_in`), quoted with the whole program."""
    from charter.economics.request import named_in

    try:
        parsed = parse_request(obj, named_in(program, view))
    except RequestInvalid as bad:
        return _plain(errors_to_json(bad.errors))
    return _plain(quote_to_json(quoter.quote(parsed), program.header, view))


def _plain(obj: dict) -> dict:
    """A deep copy through JSON: the response writer shares cached lists between answers."""
    return json.loads(json.dumps(obj, ensure_ascii=False))


def index(program: m.Program, fixtures: list[dict]) -> dict:
    """`index.json`: the program, its version, the contract version and every fixture."""
    entries = [{"name": f["name"], "file": f"{f['name']}.json", "description": f["description"],
                "decision": _decision(f["expected"])} for f in fixtures]
    return {"program": program.header.id, "version": program.header.version,
            "contract_version": CONTRACT_VERSION, "count": len(entries), "fixtures": entries}


def _decision(expected: dict) -> str:
    """`accept` or `walk`, or `refused` for an error object."""
    return expected.get("decision", REFUSED)


# ---- naming -----------------------------------------------------------------------------------

def slug(text: str) -> str:
    """A safe, lower-case file stem: ASCII letters, digits and single hyphens."""
    text = text.replace("%", "pct").replace("->", " to ")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120].strip("-")
    return stem or "scenario"


def scenarios(program: m.Program, quoter: Quoter) -> list[Scenario]:
    """Every scenario of ``program``, named by unique slugs, sorted by name, each request
    carrying its name as `id`."""
    gen = Generator(program, quoter)
    raw = list(gen.all() if gen.products else gen.unpriced())
    named = _unique_names(raw)
    out = [replace(s, name=n, request={"id": n, **s.request}) for s, n in zip(raw, named)]
    return sorted(out, key=lambda s: s.name)


def _unique_names(raw: list[Scenario]) -> list[str]:
    """Slugs of the scenario names; a repeated slug gets `-2`, `-3`, ... in generation order
    (generation order is deterministic, so the names are stable)."""
    seen: set[str] = set(RESERVED)
    names = []
    for scenario in raw:
        stem = slug(scenario.name)
        name, n = stem, 1
        while name in seen:
            n += 1
            name = f"{stem}-{n}"
        seen.add(name)
        names.append(name)
    return names


# ---- requests -------------------------------------------------------------------------------

def amount_text(value: Decimal, minor_units: int) -> str:
    """An amount as the request contract spells it: a plain decimal string, whole amounts
    without decimals (they fit every currency), others to the currency's minor units."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.quantize(Decimal(1).scaleb(-minor_units)), "f")


def rate_text(rate: Decimal) -> str:
    """A deal's rate as the request contract spells it: `"45%"`."""
    return f"{(rate * 100).normalize():f}%"


def request_to_json(request: DealRequest, minor_units: int) -> dict:
    """The JSON request ``request`` stands for (fields at their defaults are left out)."""
    text = lambda v: amount_text(v, minor_units)  # noqa: E731
    out: dict = {"product": request.product, "seats": request.seats, "years": request.years,
                 "route": [step_json(s.channel, s.tier, s.rate, s.partner, s.terms)
                           for s in request.route]}
    if request.services_one_time or request.services_per_year:
        out["services"] = {"one_time": text(request.services_one_time),
                           "per_year": text(request.services_per_year)}
    if request.cumulative:
        out["cumulative"] = {c.channel: {"amount": text(c.amount), "as_of": c.as_of.isoformat()}
                             if c.as_of else text(c.amount) for c in request.cumulative}
    out.update(_optional_fields(request, text))
    return out


def _optional_fields(request: DealRequest, text: Callable[[Decimal], str]) -> dict:
    """The request's dates, price and flags that differ from their defaults."""
    out: dict = {}
    for key, value in (("close_date", request.close_date), ("start", request.start)):
        if value is not None:
            out[key] = value.isoformat()
    if request.unit_price is not None:
        out["unit_price"] = text(request.unit_price)
    defaults = {"price_approved": False, "certified": True, "registered": True}
    out.update({k: getattr(request, k) for k, v in defaults.items() if getattr(request, k) != v})
    if request.split:
        out["split"] = request.split
    if request.influenced:
        out["influenced"] = list(request.influenced)
    if request.renewal_influenced:
        out["renewal_influenced"] = True
    if request.spiffs:
        out["spiffs"] = list(request.spiffs)
    return out


def step_json(channel: str, tier: str | None = None, rate: Decimal | None = None,
              partner: str | None = None, terms: tuple = ()) -> dict:
    """A route step of the request contract (``terms``: its negotiated terms)."""
    step: dict = {"channel": channel}
    if tier is not None:
        step["tier"] = tier
    if rate is not None:
        step["rate"] = rate_text(rate)
    if partner is not None:
        step["partner"] = partner
    if terms:
        step["terms"] = {term: spell(value) for term, value in terms}
    return step


def route_text(route: list[dict], arrow: str = " → ") -> str:
    """`Referral → VAD Elite`, `OEM at 40%`: a route for people (and, with `to`, for names)."""
    return arrow.join(" ".join([s["channel"], *([s["tier"]] if "tier" in s else []),
                                *([f"at {s['rate']}"] if "rate" in s else []),
                                *(f"{k} {v}" for k, v in s.get("terms", {}).items())])
                      for s in route)


def partner_id(channel: str) -> str:
    """The made-up partner company id a scenario gives ``channel`` (echoed on its lines)."""
    return f"partner-{slug(channel)}"


# ---- generation -----------------------------------------------------------------------------

class Generator:
    """Builds the scenarios of one program; each group is a method yielding `Scenario`s."""

    def __init__(self, program: m.Program, quoter: Quoter):
        self.program = program
        self.quoter = quoter
        self.minor = program.header.minor_units
        self.quantum = Decimal(1).scaleb(-self.minor)
        self.close = program.header.effective or DEFAULT_CLOSE
        self.products = [p.name for p in program.products if p.list_price is not None]
        self.product = _main_product(program)
        self.offered = [c for c in program.channels if not c.internal]

    def all(self) -> Iterator[Scenario]:
        """Every group, in a fixed order."""
        for group in (self.examples, self.alone, self.thresholds, self.handovers,
                      self.multi_year, self.splits, self.influence, self.walk_rules,
                      self.negotiated):
            yield from group()

    def unpriced(self) -> Iterator[Scenario]:
        """A program without a priced product: each route alone, answered by its refusal."""
        for route in self._single_routes():
            yield Scenario(f"route {route_text(route, ' ')} unpriced",
                           f"{route_text(route)} alone. The program prices no product, so"
                           " nothing can be quoted: the answer is the refusal a request gets.",
                           self.request(route))

    # -- helpers --

    def request(self, route: list[dict], product: str | None = None, seats: int = NOMINAL_SEATS,
                years: int = 1, **fields) -> dict:
        """A JSON request on ``route``, closing on the fixtures' close date."""
        return {"product": product or self.product, "seats": seats, "years": years,
                "route": route, **fields, "close_date": self.close.isoformat()}

    def step(self, channel: m.Channel, partner: str | None = None) -> dict:
        """``channel`` at its entry tier (the first) and the low end of a discount range."""
        tier = channel.tiers[0].name if channel.tiers else None
        return step_json(channel.name, tier, _low_rate(channel), partner)

    def parsed(self, request: dict) -> DealRequest | None:
        """``request`` as the engine reads it (None when the request is refused)."""
        try:
            return parse_request(json.loads(json.dumps(request)), self.program)
        except RequestInvalid:
            return None

    def quote(self, request: dict) -> Quote | None:
        """The engine's quote of ``request`` (None when the request is refused)."""
        parsed = self.parsed(request)
        return None if parsed is None else self.quoter.quote(parsed)

    def money(self, value: Decimal) -> str:
        """``value`` rounded down to the currency's minor units, spelt for a request."""
        return amount_text(value.quantize(self.quantum, ROUND_DOWN), self.minor)

    def _single_routes(self) -> list[list[dict]]:
        """Each offered channel alone with each tier and discount end (`routes`, brackets
        folded: thresholds are a group of their own)."""
        seen: dict[tuple, list[dict]] = {}
        for route in routes(self.program):
            if len(route.steps) == 1:
                (channel, tier), = route.steps
                seen.setdefault((channel, tier, route.rate), [step_json(channel, tier, route.rate)])
        return list(seen.values())

    def _chains(self) -> list[list[dict]]:
        """Every allowed route (`routes`), brackets folded, handover chains included."""
        seen: dict[tuple, list[dict]] = {}
        for route in routes(self.program):
            rates = (None,) * (len(route.steps) - 1) + (route.rate,)
            key = tuple(zip(route.steps, rates))
            seen.setdefault(key, [step_json(c, t, r) for (c, t), r in key])
        return list(seen.values())

    # -- (1) worked examples --

    def examples(self) -> Iterator[Scenario]:
        """Every worked `example`, as its request; one quoting an internal channel (a
        benchmark) is kept with the refusal a request gets."""
        for example in self.program.examples:
            request = request_to_json(request_from_deal(example.deal), self.minor)
            request.setdefault("close_date", self.close.isoformat())
            yield Scenario(f"example {example.name}", self._example_text(example, request),
                           request)

    def _example_text(self, example: m.Example, request: dict) -> str:
        doc = " ".join(example.doc.split())
        text = f"Worked example `{example.name}` of the program" + (f": {doc}" if doc else ".")
        internal = [s["channel"] for s in request["route"]
                    if (c := self.program.channel(s["channel"])) is not None and c.internal]
        if internal:
            text += (f" Its route quotes the internal channel {', '.join(internal)} (a"
                     " benchmark, not an offer), which a request may not: the answer is the"
                     " refusal.")
        return text

    # -- (2) every channel × tier × priced product alone --

    def alone(self) -> Iterator[Scenario]:
        """Each offered channel alone at each tier (and discount end), for each priced
        product."""
        for route in self._single_routes():
            for product in self.products:
                yield Scenario(f"route {route_text(route, ' ')} {product}",
                               f"{route_text(route)} alone closes {_a(product)} {product} deal"
                               f" of {NOMINAL_SEATS} seats (1 year).",
                               self.request(route, product))

    # -- (3) thresholds --

    def thresholds(self) -> Iterator[Scenario]:
        """Every ladder of an offered channel: its boundaries, a crossing, a period reset."""
        for channel in self.offered:
            ladder = channel.thresholds
            if ladder is None:
                continue
            if ladder.basis == "deal_value":
                yield from self._deal_value_ladder(channel, ladder)
                continue
            for boundary in _boundaries(ladder):
                if ladder.counts:  # a deal is one unit of a count: it never crosses a bound
                    yield from self._count_boundary(channel, ladder, int(boundary))
                    continue
                yield from self._boundary(channel, ladder, boundary)
                yield from self._crossing(channel, ladder, boundary)
            yield from self._resets(channel, ladder)

    def _boundary(self, channel: m.Channel, ladder: m.Thresholds,
                  boundary: Decimal) -> Iterator[Scenario]:
        """Cumulative volume one minor unit below, at and one above ``boundary``."""
        for label, delta in (("below", -self.quantum), ("at", Decimal(0)), ("above", self.quantum)):
            volume = boundary + delta
            if volume < 0:
                continue
            yield Scenario(
                f"threshold {channel.name} {ladder.name} {boundary:f} {label}",
                f"{channel.name}'s `{ladder.name}` ladder ({ladder.semantics}): cumulative"
                f" volume {self.money(volume)} before the deal, {label} the boundary"
                f" {self.money(boundary)}.",
                self.request([self.step(channel)], cumulative={channel.name: self.money(volume)}))

    def _count_boundary(self, channel: m.Channel, ladder: m.Thresholds,
                        boundary: int) -> Iterator[Scenario]:
        """On a count ladder: the deal just before ``boundary`` in the period's count, the
        deal that is number ``boundary``, and the one after it."""
        for label, place in (("below", boundary - 1), ("at", boundary), ("above", boundary + 1)):
            if place < 1:
                continue
            before = deals_before(place)
            yield Scenario(
                f"threshold {channel.name} {ladder.name} deal {place} {label}",
                f"{channel.name}'s `{ladder.name}` ladder counts deals: this is deal {place} of"
                f" the period ({before:f} before it), {label} the bracket that starts at deal"
                f" {boundary}.",
                self.request([self.step(channel)], cumulative={channel.name: f"{before:f}"}))

    def _ladder_volume(self, channel: m.Channel, request: dict) -> Decimal | None:
        """The volume the engine adds to ``channel``'s ladder for ``request``."""
        quote = self.quote(request)
        use = next((u for u in quote.ladders if u.party == channel.name), None) if quote else None
        return None if use is None else use.after - use.before

    def _crossing(self, channel: m.Channel, ladder: m.Thresholds,
                  boundary: Decimal) -> Iterator[Scenario]:
        """A deal that starts below ``boundary`` and ends above it (half its volume each side)."""
        route = [self.step(channel)]
        volume = self._ladder_volume(channel, self.request(route))
        if not volume:
            return
        before = max(Decimal(0), boundary - volume / 2).quantize(self.quantum, ROUND_DOWN)
        if not before < boundary < before + volume:
            return
        yield Scenario(
            f"threshold {channel.name} {ladder.name} {boundary:f} crossing",
            f"{channel.name}'s `{ladder.name}` ladder ({ladder.semantics}): the deal adds"
            f" {self.money(volume)} to {self.money(before)} and so crosses"
            f" {self.money(boundary)}.",
            self.request(route, cumulative={channel.name: self.money(before)}))

    def _resets(self, channel: m.Channel, ladder: m.Thresholds) -> Iterator[Scenario]:
        """The top boundary's volume measured in the previous period (it resets to 0) and in
        this one (it carries); only for ladders that reset by the calendar."""
        start = _period_start(ladder.reset, self.close)
        earlier = start - _dt.timedelta(days=1) if start else None
        if earlier is None or same_period(ladder.reset, earlier, self.close) \
                or not same_period(ladder.reset, start, self.close):
            return
        top = max(_boundaries(ladder), default=self.quantum)
        volume = str(int(top)) if ladder.counts else self.money(top)
        for label, as_of, what in (("reset", earlier, "in the previous period: it resets to 0"),
                                   ("same-period", start, "in this period: it carries")):
            yield Scenario(
                f"threshold {channel.name} {ladder.name} {label}",
                f"{channel.name}'s `{ladder.name}` ladder resets by {ladder.reset}: volume"
                f" {volume} as of {as_of} is {what} for a deal closing {self.close}.",
                self.request([self.step(channel)], cumulative={
                    channel.name: {"amount": volume, "as_of": as_of.isoformat()}}))

    def _deal_value_ladder(self, channel: m.Channel, ladder: m.Thresholds) -> Iterator[Scenario]:
        """A per-deal ladder reads the deal's own value: the largest deal of whole seats below
        each boundary and the smallest one reaching it."""
        route = [self.step(channel)]
        per_seat = self._ladder_volume(channel, self.request(route, seats=1))
        if not per_seat:
            return
        for boundary in _boundaries(ladder):
            reach = int((boundary / per_seat).to_integral_value(ROUND_CEILING))
            for label, seats in (("below", reach - 1), ("reaching", reach)):
                if seats >= 1:
                    yield Scenario(
                        f"threshold {channel.name} {ladder.name} {boundary:f} deal {label}",
                        f"{channel.name}'s per-deal `{ladder.name}` ladder: a deal of {seats}"
                        f" seats, {label} the boundary {self.money(boundary)}.",
                        self.request(route, seats=seats))

    # -- (4) handovers --

    def handovers(self) -> Iterator[Scenario]:
        """Every ordered pair of offered channels: with a declared handover, each tier the
        closer has (those not in `allowed_tiers` walk); without one, the pair walks
        (`no_handover`). Longer allowed chains from `routes`. Partner ids on every step."""
        pairs = [(a, b) for a in self.offered for b in self.offered if a is not b]
        for source, target in pairs:
            rule = next((h for h in self.program.handovers
                         if h.source == source.name and h.target == target.name), None)
            closers = _closer_steps(target) if rule else [self.step(target)]
            for closer in closers:
                yield self._handover([self.step(source), closer], _handover_note(rule, closer))
        for chain in self._chains():
            if len(chain) > 2:
                yield self._handover(chain, "a chain of declared handovers")

    def _handover(self, route: list[dict], note: str) -> Scenario:
        route = [{**s, "partner": partner_id(s["channel"])} for s in route]
        return Scenario(f"handover {route_text(route, ' to ')}",
                        f"{route_text(route)}: introducer first, partner of record last;"
                        f" {note}. Partner ids on every step.", self.request(route))

    # -- (5) multi-year --

    def multi_year(self) -> Iterator[Scenario]:
        """Every allowed route over `MULTI_YEARS` years, with services one time and per year
        (a tenth and a twentieth of the year's software list) and partner ids."""
        for chain in self._chains():
            route = [{**s, "partner": partner_id(s["channel"])} for s in chain]
            quote = self.quote(self.request(route))
            if quote is None:
                continue
            software = quote.years[0].software_list
            services = {"one_time": self.money(software / 10),
                        "per_year": self.money(software / 20)}
            yield Scenario(f"multi-year {MULTI_YEARS} {route_text(route, ' to ')}",
                           f"{route_text(route)} over {MULTI_YEARS} contract years, with"
                           " services one time and per year; partner ids on every step.",
                           self.request(route, years=MULTI_YEARS, services=services))

    # -- (6) splits and influence --

    def splits(self) -> Iterator[Scenario]:
        """Each declared split on each channel it can divide (the channels it names, or every
        offered channel when it names only `partner`/`direct`/`vendor`)."""
        for split in self.program.attribution.splits if self.program.attribution else ():
            named = [p for p, _share, _span in split.shares if p not in _GENERIC_PARTIES]
            for channel in self.offered:
                if named and channel.name not in named:
                    continue
                route = [self.step(channel)]
                yield Scenario(f"split {split.name} {route_text(route, ' ')}",
                               f"{route_text(route)} closes a deal divided by the split"
                               f" `{split.name}`" + (f" ({split.when})." if split.when else "."),
                               self.request(route, split=split.name))

    def influence(self) -> Iterator[Scenario]:
        """Each offered channel as the influencer of a deal another channel closes alone
        (only when the program pays `influenced_rate`)."""
        attribution = self.program.attribution
        if attribution is None or attribution.influenced_rate is None:
            return
        for influencer in self.offered:
            closer = next((c for c in self.offered if c is not influencer), None)
            if closer is None:
                continue
            route = [self.step(closer)]
            yield Scenario(f"influence {influencer.name} on {route_text(route, ' ')}",
                           f"{influencer.name} influenced a deal {route_text(route)} closes"
                           " alone: a one-time influence fee in year 1.",
                           self.request(route, influenced=[influencer.name]))

    # -- negotiated terms --

    def negotiated(self) -> Iterator[Scenario]:
        """Each negotiable term of an offered channel (at each tier): the deal agrees the top
        of its range, and a value just past it (refused, with the range in the message)."""
        for channel in self.offered:
            for tier in channel.tiers or (None,):
                for term in channel.negotiable_terms(tier):
                    yield from self._negotiated(channel, tier, term)

    def _negotiated(self, channel: m.Channel, tier: m.Tier | None,
                    term: m.Negotiable) -> Iterator[Scenario]:
        name = tier.name if tier else None
        top = term.top if term.top is not None else term.default
        for label, value, what in (("top", top, "the most its range allows"),
                                   ("outside", _past(term), "past its range: the answer is"
                                                            " the refusal")):
            if value is None:
                continue
            step = step_json(channel.name, name, _low_rate(channel), None,
                             ((term.term, value),))
            yield Scenario(f"negotiated {channel.name} {name or ''} {term.term} {label}",
                           f"{route_text([step])} alone: the deal agrees {term.term}"
                           f" {spell(value)}, {what} ({term.range_text}; default"
                           f" {spell(term.default)}).", self.request([step]))

    # -- the walk rules a program declares --

    def walk_rules(self) -> Iterator[Scenario]:
        """Prices under the MSRP floor and the wholesale price, an uncertified partner, an
        unregistered deal: each where the program has the rule."""
        yield from self._below_msrp()
        for channel in self.offered:
            yield from self._below_wholesale(channel)
            yield from self._rule(channel, "not-certified", {"certified": False},
                                  "the partner of record is not certified")
            yield from self._rule(channel, "unregistered", {"registered": False},
                                  "the deal was not registered")

    def _below_msrp(self) -> Iterator[Scenario]:
        """One minor unit under each product's MSRP floor, without and with approval."""
        # the MSRP floor binds a partner that sets the customer's price: quote that channel
        resellers = [c for c in self.offered if c.resells_at_own_price]
        route = [self.step((resellers or self.offered)[0])] if self.offered else []
        for product in self.products:
            request = self.request(route, product)
            parsed = self.parsed(request)
            floor = self.quoter.plan(parsed).msrp_floor if parsed else None
            if floor is None or floor < self.quantum:
                continue
            price = self.money(floor - self.quantum)
            for label, approved in (("", False), (" approved", True)):
                extra = {"price_approved": True} if approved else {}
                yield Scenario(f"below-msrp{label} {product} {route_text(route, ' ')}",
                               f"{route_text(route)} sells {product} at {price}, one minor unit"
                               f" under the MSRP floor, {'with' if approved else 'without'}"
                               " partner-program approval.",
                               self.request(route, product, unit_price=price, **extra))

    def _below_wholesale(self, channel: m.Channel) -> Iterator[Scenario]:
        """A reselling partner's customer price one minor unit under its wholesale price
        (approved, so only the wholesale rule can walk)."""
        route = [self.step(channel)]
        quote = self.quote(self.request(route))
        unit = quote.wholesale_unit_price if quote else None
        if not unit:
            return
        price = self.money(unit - self.quantum)
        request = self.request(route, unit_price=price, price_approved=True)
        parsed = self.parsed(request)
        approved = parsed is None or all(w.path != "$.price_approved" for w in parsed.warnings)
        yield Scenario(f"below-wholesale {route_text(route, ' ')}",
                       f"{route_text(route)} resells at {price} a unit, one minor unit under"
                       " its wholesale price" + (" (the price is approved)." if approved else
                                                 " (no MSRP floor binds it)."),
                       request if approved else self.request(route, unit_price=price))

    def _rule(self, channel: m.Channel, label: str, fields: dict,
              what: str) -> Iterator[Scenario]:
        """``fields`` on ``channel`` alone, when the engine accepts the request and does not
        warn that ``fields`` take no effect (the program has the rule, for this channel)."""
        route = [self.step(channel)]
        request = self.request(route, **fields)
        parsed = self.parsed(request)
        if parsed is None or any(w.path in {f"$.{k}" for k in fields} for w in parsed.warnings):
            return  # refused, or the field takes no effect here: no rule to show
        yield Scenario(f"{label} {route_text(route, ' ')}",
                       f"{route_text(route)} alone; {what}.", request)


def _main_product(program: m.Program) -> str:
    """The product most scenarios quote: the one policies quote (the first priced software
    product), else the first priced one; a program pricing nothing names its first product
    (or `Product` when it has none) and is refused, as the CLI refuses it."""
    nominal = nominal_product(program)
    priced = [p.name for p in program.products if p.list_price is not None]
    named = [p.name for p in program.products] + ["Product"]  # a program with no products
    return nominal.name if nominal else (priced or named)[0]


def _a(word: str) -> str:
    """The indefinite article for ``word`` (by spelling: good enough for product names)."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def _low_rate(channel: m.Channel) -> Decimal | None:
    """The low end of a negotiable discount range (a request must state a rate in it)."""
    low_high = channel.discount
    ranged = channel.buys_wholesale and not channel.tiers and low_high is not None \
        and low_high[0] != low_high[1]
    return low_high[0] if ranged else None


def _handover_note(rule: m.Handover | None, closer: dict) -> str:
    """What a handover scenario shows: no rule, a tier the rule does not allow, or a rule."""
    if rule is None:
        return "no handover is declared between them (single attribution)"
    if rule.allowed_tiers and closer.get("tier") not in rule.allowed_tiers:
        return (f"the declared handover allows only {', '.join(rule.allowed_tiers)}, not"
                f" {closer.get('tier')}")
    return "a declared handover"


def _closer_steps(channel: m.Channel) -> list[dict]:
    """``channel`` as partner of record at every tier (allowed or not) and discount end."""
    low_high = channel.discount if _low_rate(channel) is not None else None
    rates: Iterable[Decimal | None] = low_high or (None,)
    tiers = [t.name for t in channel.tiers] or [None]
    return [step_json(channel.name, tier, rate) for tier in tiers for rate in rates]


def _past(term: m.Negotiable) -> m.TermValue | None:
    """A value just past ``term``'s range (its top + 1 point, or + 1 of its unit), or None
    when nothing is past it (an open range, or a top of 100%)."""
    if term.high is None:
        return None
    if isinstance(term.high, Duration):
        return Duration(term.high.amount + 1, term.high.unit, term.high.business)
    return term.high + Decimal("0.01") if term.high < 1 else None


def _boundaries(ladder: m.Thresholds) -> list[Decimal]:
    """Every bracket bound above zero, ascending (zero has nothing below it)."""
    bounds = {b.low_amount for b in ladder.brackets} | \
        {b.high_amount for b in ladder.brackets if b.high is not None}
    return sorted(b for b in bounds if b > 0)


def _period_start(reset: str, day: _dt.date) -> _dt.date | None:
    """The first day of ``day``'s threshold period (None: the ladder never resets by date).
    `charter.economics.thresholds.same_period` is the rule; callers check against it."""
    if reset == "quarter":
        return _dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if reset == "month":
        return _dt.date(day.year, day.month, 1)
    if reset in ("calendar_year", "fiscal_year"):
        return _dt.date(day.year, 1, 1)
    return None
