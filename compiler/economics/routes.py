"""The routes a program allows, and a nominal deal on each: what policies quote.

A route is a way a deal can be paid: each offered channel alone, and every chain of
`handover`s in the attribution graph, with each tier the last handover allows and each
threshold bracket of the partner of record. Policies (the margin-death line, the combined
cap) quote a nominal deal on each route with the engine, so they never recompute a rate.
"""
from __future__ import annotations

import dataclasses
from decimal import ROUND_CEILING, Decimal
from typing import Iterator

from charter import model as m
from charter.economics.kinds import ReasonCode
from charter.economics.request import MAX_INFLUENCERS, Cumulative, DealRequest, Step
from charter.economics.thresholds import deals_before
from charter.literals import MoneyValue
from charter.nodes import node
from charter.units import PERIODS_PER_YEAR
from charter.values import Rate

NOMINAL_SEATS = 1000      # large enough that rounding to minor units does not move a ratio
YEARS = 3                 # year 1, year 2 and one more: step changes show by then


@node
class Route:
    """Channels (introducer first), the closer's tier, and the closer's bracket if chosen."""

    steps: tuple[tuple[str, str | None], ...]
    bracket: m.Bracket | None = None
    handover: m.Handover | None = None   # the last handover crossed (into the closer)
    rate: Decimal | None = None          # the closer's rate, for a negotiable discount range
    volume: Decimal | None = None        # a deal of this yearly list value (`small_deal`)

    @property
    def text(self) -> str:
        """`Referral -> VAD Elite`, plus the rate, bracket and volume when they are chosen."""
        route = " -> ".join(f"{c} {t}" if t else c for c, t in self.steps)
        rate = f" at {self.rate * 100:f}".rstrip("0").rstrip(".") + "%" if self.rate else ""
        return route + rate + (f" (bracket from {self.bracket.low_amount:f})"
                               if self.bracket else "") + \
            (f" (at the tier's volume, {self.volume:,f} a year in list value)"
             if self.volume else "")

    @property
    def closer(self) -> tuple[str, str | None]:
        """The partner of record and its tier."""
        return self.steps[-1]

    def request(self, program: m.Program, years: int = YEARS,
                worst_case: bool = False) -> DealRequest | None:
        """A nominal deal of the first software product on this route (None: no product, or
        the bracket cannot be reached by a deal of whole seats). ``worst_case``: the deal
        also meets every payout condition (`renewal_influenced`), claims every SPIFF that
        can pay on the route, as if their windows overlapped (undated, so no window is
        judged), and agrees every negotiable payout term of the partner of record at the
        top of its range: what the vendor could pay at most (the margin-death line)."""
        product = nominal_product(program)
        if product is None:
            return None
        closer = self.closer[0]
        seats, cumulative = NOMINAL_SEATS, ()
        ladder = program.channel(closer).thresholds
        if self.bracket is not None and ladder.basis == "deal_value":
            seats = _seats_for(product, self.bracket)
            if seats is None:
                return None
        elif self.bracket is not None:
            cumulative = (Cumulative(closer, _volume_before(self.bracket)),)
        if self.volume is not None:
            seats = _seats_worth(product, self.volume)
        steps = tuple(Step(c, t) for c, t in self.steps[:-1]) + \
            (Step(closer, self.closer[1], self.rate),)
        request = DealRequest(product.name, seats, years, steps, cumulative=cumulative)
        return _worst(program, request) if worst_case else request


def _worst(program: m.Program, request: DealRequest) -> DealRequest:
    """``request`` meeting every payout condition, claiming every SPIFF that pays on it and
    with the closer's negotiable payout terms at their tops (introducers earn the handover's
    rate, whatever they negotiate)."""
    from charter.economics.spiffs import misses, unquotable, year_one_value
    from charter.economics.negotiation import at_top

    closer = request.route[-1].channel
    value = year_one_value(program, request.product, request.seats, None)
    spiffs = tuple(x.name for x in program.spiffs if unquotable(x) is None and misses(
        x, program, request.product, closer, value, None) is None)
    route = request.route[:-1] + (at_top(program, request.route[-1]),)
    return request._replace(route=route, renewal_influenced=True, spiffs=spiffs,
                            influenced=_influencers(program, request))


def _influencers(program: m.Program, request: DealRequest) -> tuple[str, ...]:
    """Every channel that may be paid an influence fee on ``request``'s deal (off the route,
    offered, with a rate), as many as a request may name: each is paid, so the most the
    vendor could owe counts them all."""
    attribution = program.attribution
    if attribution is None or attribution.influenced_rate is None:
        return ()
    on_route = {step.channel for step in request.route}
    return tuple(c.name for c in program.channels if c.name not in on_route and not c.internal
                 and attribution.influence_rate(c) is not None)[:MAX_INFLUENCERS]


def nominal_product(program: m.Program) -> m.Product | None:
    """The product policies quote: the first priced software product."""
    return next((p for p in program.products
                 if p.list_price is not None and p.layer == "software"), None)


NOMINAL = "__nominal__"


def quotable(program: m.Program) -> m.Program:
    """``program`` itself, or (when it prices no software product) a copy with a nominal one
    (100 a year in its currency): rates and ratios do not depend on the price, so the
    route checks still run on a program that prices nothing yet."""
    if nominal_product(program) is not None:
        return program
    price = Rate(MoneyValue(Decimal(100), program.header.currency), "unit", "year")
    product = m.Product(NOMINAL, "software", price, None, "vendor", "vendor", (), "", None, "",
                        program.header.span)
    return dataclasses.replace(program, products=program.products + (product,))


def _volume_before(bracket: m.Bracket) -> Decimal:
    """The cumulative before a deal that puts the deal in ``bracket``: its lower bound, or on
    a count ladder one deal fewer (the deal's own place in the count picks the bracket)."""
    if bracket.counts:
        return deals_before(bracket.low_amount)
    return bracket.low_amount


def small_deal(program: m.Program, route: Route) -> Route | None:
    """``route`` with a deal of the smallest yearly volume its closing tier commits to, when
    that tier funds a fixed MDF fund: the fund is the partner's whatever it sells, so a
    partner that sells only its tier's minimum takes the whole fund on that volume. The
    minimum is the tier's `quota` (per year), else the low end of its `revenue_band`; a tier
    that states neither is judged on the nominal deal only (None)."""
    channel, tier_name = route.closer
    tier = program.channel(channel).tier(tier_name) if tier_name else None
    ladder = program.channel(channel).thresholds
    if tier is None or not tier.mdf_fund or (
            route.bracket is not None and ladder.basis == "deal_value"):
        return None  # (a per-deal bracket sets the deal's size itself)
    quota = tier.quota
    if quota is not None and quota.unit is None and quota.money.amount > 0:
        volume = quota.money.amount * PERIODS_PER_YEAR.get(quota.period, 1)
    elif tier.revenue_band and tier.revenue_band[0] and tier.revenue_band[0].amount > 0:
        volume = tier.revenue_band[0].amount
    else:
        return None
    return dataclasses.replace(route, volume=volume)


def _seats_worth(product: m.Product, volume: Decimal) -> int:
    """The fewest seats whose yearly list value reaches ``volume``."""
    price = product.list_price
    yearly = price.money.amount * PERIODS_PER_YEAR.get(price.period, 1)
    if not yearly:
        return NOMINAL_SEATS
    return max(1, int((volume / yearly).to_integral_value(ROUND_CEILING)))


def _seats_for(product: m.Product, bracket: m.Bracket) -> int | None:
    """The fewest seats whose yearly list value falls in ``bracket`` (a per-deal ladder)."""
    price = product.list_price
    yearly = price.money.amount * PERIODS_PER_YEAR.get(price.period, 1)
    if not yearly:
        return None
    seats = max(1, int((bracket.low_amount / yearly).to_integral_value(ROUND_CEILING)))
    high = bracket.high_amount
    return seats if high is None or seats * yearly < high else None


def routes(program: m.Program) -> Iterator[Route]:
    """Every allowed route: each offered channel alone, and every handover chain in the
    attribution graph; each with every tier (the last handover allows) and bracket."""
    offered = {c.name: c for c in program.channels if not c.internal}
    for channel in offered.values():
        for tier, bracket, rate in _closer_options(channel, None):
            yield Route(((channel.name, tier),), bracket, None, rate)
    for path, last in _chains(program, offered):
        intro = tuple((c, _entry_tier(offered[c])) for c in path[:-1])
        for tier, bracket, rate in _closer_options(offered[path[-1]], last):
            yield Route(intro + ((path[-1], tier),), bracket, last, rate)


def _chains(program: m.Program, offered: dict[str, m.Channel]
            ) -> Iterator[tuple[tuple[str, ...], m.Handover]]:
    """Every simple path of two or more channels along declared handovers, with its last
    handover, ordered by (first channel, last channel, path).

    One depth-first walk from each channel finds every path that starts there, so the cost
    follows the number of paths; asking for the paths of every ordered pair of channels
    (networkx's `all_simple_paths`, as before) was quadratic in the channels even when
    there are few handovers, and importing networkx cost a check 0.1-0.25 s."""
    edges: dict[str, list[m.Handover]] = {}
    for h in program.handovers:
        if h.source in offered and h.target in offered and program.handover(h.source, h.target) is h:
            edges.setdefault(h.source, []).append(h)
    found: list[tuple[tuple[str, ...], m.Handover]] = []
    stack = [(source,) for source in edges]  # explicit: a long chain must not hit recursion
    while stack:
        path = stack.pop()
        for h in edges.get(path[-1], ()):
            if h.target not in path:
                found.append((path + (h.target,), h))
                stack.append(path + (h.target,))
    found.sort(key=lambda item: (item[0][0], item[0][-1], item[0]))
    return iter(found)


def _closer_options(channel: m.Channel, handover: m.Handover | None
                    ) -> Iterator[tuple[str | None, m.Bracket | None, Decimal | None]]:
    """(tier, bracket, rate) the partner of record can be paid at: every allowed tier, every
    threshold bracket, and both ends of a negotiable discount range."""
    tiers = [t.name for t in channel.tiers
             if handover is None or not handover.allowed_tiers or t.name in handover.allowed_tiers]
    brackets = list(channel.thresholds.brackets) if channel.thresholds else [None]
    low_high = channel.discount
    ranged = channel.buys_wholesale and not channel.tiers and low_high is not None \
        and low_high[0] != low_high[1]
    rates = list(low_high) if ranged else [None]
    for tier in tiers or ([None] if not channel.tiers else []):
        for bracket in brackets or [None]:
            for rate in rates:
                yield tier, bracket, rate


def _entry_tier(channel: m.Channel) -> str | None:
    return channel.tiers[0].name if channel.tiers else None


HANDOVER_RULES = frozenset((ReasonCode.TIER_NOT_ALLOWED, ReasonCode.NO_HANDOVER,
                            ReasonCode.COMBINED_CAP))


def is_permitted(reason_codes: set) -> bool:
    """Whether a route is one the program offers (not refused by a handover rule)."""
    return not HANDOVER_RULES & set(reason_codes)


