"""CH-P001 margin_death_line: vendor net margin stays above the floor on every allowed route."""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.economics.engine import Quoter
from charter.economics.kinds import ReasonCode
from charter.economics.negotiation import judged_at_top, payout_terms
from charter.economics.routes import Route, is_permitted, quotable, routes, small_deal
from charter.numbers import pct
from charter.policies.base import SHARE, Finding, Param, Policy, PolicyContext
from charter.source import Span


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Quote a nominal deal on every allowed route; report routes under the margin floor.

    The line is the program's `margin_floor`, or the policy's `floor` when that is higher
    (`judged`); the engine, quoting a copy of the program with that line, decides."""
    floor = ctx.param("floor")
    if floor is not None and program.economics is not None \
            and floor < program.economics.margin_floor:
        yield _floor_below_line(program, floor, ctx.param_span("floor"))
    judged = _judged(program, floor)
    failing = _below_the_line(program, judged, ctx)
    line = _line_label(program, judged, ctx.param_span("floor"))
    revisit = "the policy's `floor`" if judged is not program else "`margin_floor`" \
        if program.economics is not None else "the route's payouts"
    for worst, route, why in sorted(failing, key=lambda f: (f[0], f[1].text)):
        yield _finding(program, route, why, len(failing), line, revisit)


def _below_the_line(program: m.Program, judged: m.Program,
                    ctx: PolicyContext) -> list[tuple[Decimal, Route, str]]:
    """(worst-year margin, route, the engine's reason) for each allowed route ``judged``'s
    line walks."""
    priced = quotable(judged)
    quoter = ctx.quoter if priced is program else Quoter(priced)
    failing = []
    for route in routes(program):
        # A tier with a fixed MDF fund is judged on its smallest committed volume too: the
        # fund does not shrink with the deal (one finding per route: the nominal deal first).
        for candidate in (route, small_deal(program, route)):
            found = _walks(candidate, priced, quoter) if candidate is not None else None
            if found is not None:
                failing.append(found)
                break
    return failing


def _walks(route: Route, priced: m.Program,
           quoter: Quoter) -> tuple[Decimal, Route, str] | None:
    """(worst-year margin, route, the engine's reason) when the engine walks ``route``'s
    deal at the margin floor (a route a handover rule refuses is not an offer: not judged)."""
    request = route.request(priced, worst_case=True)
    if request is None:
        return None
    quote = quoter.quote(request)
    reasons = {r.code: r for r in quote.reasons}
    if ReasonCode.MARGIN_FLOOR not in reasons or not is_permitted(set(reasons)):
        return None
    worst = min(y.vendor_net_margin for y in quote.years)
    return worst, route, reasons[ReasonCode.MARGIN_FLOOR].message


def _judged(program: m.Program, floor: Decimal | None) -> m.Program:
    """``program`` with the line this policy judges by as its `margin_floor`: the higher of
    `margin_floor` and the policy's `floor`. Without `internal economics`, a `floor` is
    judged with no COGS (0%) and MDF counted; without either, the line is zero: no route
    may pay out more than the vendor receives (the engine walks such a deal too)."""
    econ = program.economics
    if floor is None or (econ is not None and floor <= econ.margin_floor):
        return program
    if econ is None:
        econ = m.Economics(Decimal(0), floor, True, None, (), "", program.header.span)
    return dataclasses.replace(program, economics=dataclasses.replace(econ, margin_floor=floor))


def _line_label(program: m.Program, judged: m.Program, floor_span: Span | None) -> list[Label]:
    """Where the line (and COGS) the routes are judged by are set."""
    if judged is program:  # without `economics` the line is zero, set by nothing written
        return [Label(program.economics.span, "margin floor and COGS set here")] \
            if program.economics is not None else []
    labels = [Label(floor_span, f"the policy's {pct(judged.economics.margin_floor)} floor")]
    if program.economics is not None:
        labels.append(Label(program.economics.span, "COGS set here"))
    return labels


def _floor_below_line(program: m.Program, floor: Decimal, span: Span | None) -> Finding:
    line = pct(program.economics.margin_floor)
    return Finding(
        f"the policy's floor {pct(floor)} is below the program's margin_floor {line}: routes"
        f" are judged by {line}, the line every deal walks at",
        span, "floor", label="lower than `margin_floor`", severity=Severity.WARNING,
        labels=(Label(program.economics.span, f"margin_floor {line} set here"),),
        help=(f"raise `floor` to {line} or more, or remove it",))


def _finding(program: m.Program, route: Route, why: str, count: int, line: list[Label],
             revisit: str) -> Finding:
    channel = program.channel(route.steps[-1][0])
    tier = channel.tier(route.steps[-1][1]) if route.steps[-1][1] else None
    span, what = _rate_span(channel, tier, route)
    labels = list(line)
    for source, target in zip(route.steps, route.steps[1:]):
        h = program.handover(source[0], target[0])
        if h is not None:
            labels.insert(0, Label(h.spans.get("introducer_rate", h.span), "introducer fee"))
    return Finding(
        f"route {route.text} crosses the margin-death line: {why}", span, route.text,
        label=f"{what} on this route", labels=tuple(labels),
        notes=(f"{count} allowed route(s) are below the floor; the worst is listed first",)
        + judged_at_top(channel, tier),
        help=(("lower the top of the negotiable range" if payout_terms(channel, tier)
               else "lower this rate") + ", exclude the tier from the handover"
              f" (`allowed_tiers`), or revisit {revisit}",) if route.volume is None else
        ("lower the fund or cap it (`mdf_cap`), raise the tier's `quota`, or revisit"
         f" {revisit}",))


def _rate_span(channel: m.Channel, tier: m.Tier | None, route: Route):
    if route.volume is not None and tier is not None and "mdf" in tier.spans:
        return tier.spans["mdf"], "this fixed MDF fund"
    if route.bracket is not None:
        return route.bracket.span, "this bracket's rate"
    paid = payout_terms(channel, tier)
    if paid:  # judged at the range's top, which is what a deal may agree to
        return paid[0].spans["range"], f"the top of this negotiable {paid[0].term}"
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
            "falls under the line in some year is reported, worst first, with the "
            "arithmetic. A rate each deal may negotiate (`negotiable commission { range: "
            "10% .. 20%; default: 10% }`) is judged at the top of its range (an open range at "
            "100%), never at its default: the default may be safe where the top is not. "
            "The deal is the worst case: registered (with any `registered_bonus`), every "
            "payout condition met (a `renewal_fee` paid), and every SPIFF that can pay on "
            "the route claimed as if their windows overlapped (time-limited, but a route "
            "that crosses the line while one runs loses money on each such deal), and an "
            "influence fee (`influenced_rate`) paid to every channel off the route that may "
            "be paid one, as many as a request may name. "
            "Internal channels (benchmarks, not offers) are not routes. The line "
            "is the program's `internal economics { margin_floor }` (where every deal walks "
            "in `charter quote`); `floor` can only raise it for this check, e.g. to demand "
            "headroom above the walk line (a `floor` below `margin_floor` is a warning and "
            "the routes are judged by `margin_floor`). A program without `internal "
            "economics` is judged with no COGS by `floor` when it is set, else by zero: no route "
            "may pay out more than the vendor receives (`charter quote` walks such a deal). "
            "A tier that "
            "funds a fixed MDF fund (`mdf: $5_000 per quarter`) is judged again on a deal of "
            "the smallest yearly volume it commits to (its `quota`, else the low end of its "
            "`revenue_band`) when the nominal deal passes: the fund is the partner's whatever "
            "it sells, so a partner selling only its minimum takes all of it on that volume.",
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
    check=check,
    params=(Param("floor", SHARE, None,
                  "the vendor net margin every route must keep in every year; above the "
                  "program's `margin_floor`, it raises the line this policy judges by",
                  unset="the program's `margin_floor`", example="65%"),))
