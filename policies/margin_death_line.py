"""CH-P001 margin_death_line: vendor net margin stays above the floor on every allowed route."""
from __future__ import annotations

from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.economics.engine import Quoter
from charter.economics.kinds import ReasonCode
from charter.economics.routes import Route, is_permitted, quotable, routes
from charter.policies.base import Finding, Policy, PolicyContext


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Quote a nominal deal on every allowed route; report routes under the margin floor."""
    if program.economics is None:
        return
    priced = quotable(program)
    quoter = ctx.quoter if priced is program else Quoter(priced)
    failing = []
    for route in routes(program):
        request = route.request(priced)
        if request is None:
            continue
        quote = quoter.quote(request)
        reasons = {r.code: r for r in quote.reasons}
        if ReasonCode.MARGIN_FLOOR in reasons and is_permitted(set(reasons)):
            worst = min(y.vendor_net_margin for y in quote.years)
            failing.append((worst, route, reasons[ReasonCode.MARGIN_FLOOR].message))
    for worst, route, why in sorted(failing, key=lambda f: (f[0], f[1].text)):
        yield _finding(program, route, why, len(failing))


def _finding(program: m.Program, route: Route, why: str, count: int) -> Finding:
    channel = program.channel(route.steps[-1][0])
    tier = channel.tier(route.steps[-1][1]) if route.steps[-1][1] else None
    span, what = _rate_span(channel, tier, route)
    labels = [Label(program.economics.span, "margin floor and COGS set here")]
    for source, target in zip(route.steps, route.steps[1:]):
        h = program.handover(source[0], target[0])
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
            "attribution graph (every simple path along the handovers) with each tier the "
            "last handover allows. A nominal deal of the first software product is quoted on "
            "each route for three contract years with the economics engine; vendor net margin "
            "= (what reaches the vendor − COGS − payouts the vendor makes) ÷ customer-paid "
            "software, with MDF counted unless `mdf_counts_against_margin: no`. MDF kept off "
            "the floor is never kept off zero: a route where every payout, MDF included, "
            "leaves the vendor less than nothing is reported too. Every route whose margin "
            "falls under `margin_floor` in some year is reported, worst first, with the "
            "arithmetic. "
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
