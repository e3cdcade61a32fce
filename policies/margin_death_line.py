"""CH-P001 margin_death_line: vendor net margin stays above the floor on every allowed route."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import Finding, Policy, PolicyContext

NOMINAL_SEATS = 1000      # large enough that rounding to minor units does not move a ratio
YEARS = 3                 # year 1, year 2 and one more: step changes show by then
NOT_PERMITTED = {"tier_not_allowed", "no_handover", "combined_cap"}


@dataclass(frozen=True)
class Route:
    """A way a deal can be paid out: channels (introducer first) and the closer's bracket."""

    steps: tuple[tuple[str, str | None], ...]
    bracket: m.Bracket | None = None

    @property
    def text(self) -> str:
        """`Referral -> VAD Elite`, plus the bracket when one is chosen."""
        route = " -> ".join(f"{c} {t}" if t else c for c, t in self.steps)
        return route + (f" (bracket from {self.bracket.low.amount:f})" if self.bracket else "")


def routes(program: m.Program) -> Iterator[Route]:
    """Every allowed route: each channel (and tier, and threshold bracket) alone, and every
    handover chain in the attribution graph with each tier its last handover allows."""
    import networkx as nx

    offered = {c.name: c for c in program.channels if not c.internal}
    for channel in offered.values():
        yield from _alone(channel)
    graph = nx.DiGraph()
    graph.add_nodes_from(offered)
    for h in program.handovers:
        if h.source in offered and h.target in offered:
            graph.add_edge(h.source, h.target, handover=h)
    for source in sorted(graph):
        for target in sorted(graph):
            paths = nx.all_simple_paths(graph, source, target) if source != target else ()
            for path in paths:
                last = graph.edges[path[-2], path[-1]]["handover"]
                intro = tuple((c, _entry_tier(offered[c])) for c in path[:-1])
                for tier in _closer_tiers(offered[path[-1]], last):
                    yield Route(intro + ((path[-1], tier),))


def _alone(channel: m.Channel) -> Iterator[Route]:
    if channel.tiers:
        for tier in channel.tiers:
            yield Route(((channel.name, tier.name),))
    elif channel.thresholds and channel.thresholds.brackets:
        for bracket in channel.thresholds.brackets:
            yield Route(((channel.name, None),), bracket)
    else:
        yield Route(((channel.name, None),))


def _entry_tier(channel: m.Channel) -> str | None:
    return channel.tiers[0].name if channel.tiers else None


def _closer_tiers(channel: m.Channel, handover: m.Handover) -> list[str | None]:
    names = [t.name for t in channel.tiers]
    if not names:
        return [None]
    return [n for n in names if not handover.allowed_tiers or n in handover.allowed_tiers]


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Quote a nominal deal on every allowed route; report routes under the margin floor."""
    if program.economics is None or not _product(program):
        return
    failing = []
    for route in routes(program):
        quote = ctx.quoter.quote(_request(program, route))
        reasons = {r.code: r for r in quote.reasons}
        if "margin_floor" in reasons and not NOT_PERMITTED & reasons.keys():
            worst = min(y.vendor_net_margin for y in quote.years)
            failing.append((worst, route, reasons["margin_floor"].message))
    for worst, route, why in sorted(failing, key=lambda f: (f[0], f[1].text)):
        yield _finding(program, route, why, len(failing))


def _product(program: m.Program) -> str | None:
    return next((p.name for p in program.products
                 if p.list_price is not None and p.layer == "software"), None)


def _request(program: m.Program, route: Route):
    from charter.economics.request import Cumulative, DealRequest, Step

    closer = route.steps[-1][0]
    cumulative = (Cumulative(closer, route.bracket.low.amount),) if route.bracket else ()
    return DealRequest(_product(program), NOMINAL_SEATS, YEARS,
                       tuple(Step(c, t) for c, t in route.steps), cumulative=cumulative)


def _finding(program: m.Program, route: Route, why: str, count: int) -> Finding:
    channel = program.channel(route.steps[-1][0])
    tier = channel.tier(route.steps[-1][1]) if route.steps[-1][1] else None
    span, what = _rate_span(channel, tier, route)
    labels = [Label(program.economics.span, "margin floor and COGS set here")]
    for source, target in zip(route.steps, route.steps[1:]):
        h = next((h for h in program.handovers
                  if h.source == source[0] and h.target == target[0]), None)
        if h is not None:
            labels.insert(0, Label(h.spans.get("introducer_rate", h.span), "introducer fee"))
    return Finding(
        f"route {route.text} crosses the margin-death line: {why}", span, route.text,
        label=f"{what} on this route", labels=tuple(labels),
        notes=(f"{count} allowed route(s) are below the floor; the worst is listed first",),
        help=("lower this rate, exclude the tier from the handover (`allowed_tiers`), or "
              "revisit `margin_floor`",))


def _rate_span(channel: m.Channel, tier: m.Tier | None, route: Route):
    if route.bracket is not None:
        return route.bracket.span, "this bracket's rate"
    if tier is not None and "margin" in tier.spans:
        return tier.spans["margin"], "this margin"
    if tier is not None and "commission" in tier.spans:
        return tier.spans["commission"], "this commission"
    for key in ("commission", "discount"):
        if key in channel.spans:
            return channel.spans[key], f"this {key}"
    return channel.span, "this channel's payout"


POLICY = Policy(
    code="CH-P001", name="margin_death_line", title="Vendor net margin stays above the floor",
    severity=Severity.ERROR,
    rationale="Every route a deal can take pays partners out of the same software revenue. "
              "If COGS plus every payout on some route leaves the vendor under its margin "
              "floor, each such deal loses money the program was built to make; stacked "
              "payouts (a referral fee on top of a top-tier margin) are where this hides.",
    explain="The routes are enumerated from the program, not listed by hand: each channel "
            "alone (each tier, each threshold bracket), and every chain of `handover`s in the "
            "attribution graph (networkx) with each tier the last handover allows. A nominal "
            "deal of the first software product is quoted on each route for three contract "
            "years with the economics engine; vendor net margin = (what reaches the vendor − "
            "COGS − payouts the vendor makes) ÷ customer-paid software, with MDF counted only "
            "if `mdf_counts_against_margin: yes`. Every route whose margin falls under "
            "`margin_floor` in some year is reported, worst first, with the arithmetic. "
            "Internal channels (benchmarks, not offers) are not routes.",
    failing='''product Growth { layer: software; list_price: $100 per user per month }
channel Reseller {
    model: wholesale
    owner: partner
    tier Gold { margin: 45% }
}
internal economics { cogs: 3%; margin_floor: 60% }''',
    passing='''product Growth { layer: software; list_price: $100 per user per month }
channel Reseller {
    model: wholesale
    owner: partner
    tier Gold { margin: 35% }
}
internal economics { cogs: 3%; margin_floor: 60% }''',
    check=check)
