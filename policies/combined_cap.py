"""CH-P002 combined_cap: a handover's introducer fee plus the closer's rate stays within its cap."""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.economics.engine import Quoter, YearQuote, granted
from charter.economics.kinds import ReasonCode
from charter.economics.negotiation import judged_at_top
from charter.economics.money import ratio
from charter.economics.routes import Route, quotable, routes
from charter.numbers import pct
from charter.policies.base import SHARE, Finding, Param, Policy, PolicyContext
from charter.source import Span



def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Quote a nominal deal on every route into a capped handover (each allowed closing tier
    and bracket) with the engine; report the routes the engine walks for the cap. With the
    policy's `max`, every handover is capped at it too (`judged`)."""
    ceiling = ctx.param("max")
    judged = _judged(program, ceiling)
    priced = quotable(judged)
    quoter = ctx.quoter if priced is program else Quoter(priced)
    for route in routes(judged):
        handover = route.handover
        if handover is None or handover.combined_cap is None:
            continue
        year = handover.cap_year or 1
        request = route.request(priced, years=year, worst_case=True)
        if request is None:
            continue
        quote = quoter.quote(request)
        if any(r.code is ReasonCode.COMBINED_CAP for r in quote.reasons):
            yield _finding(program, route, quote.years[year - 1], ctx.param_span("max"))


def _judged(program: m.Program, ceiling: Decimal | None) -> m.Program:
    """``program`` with each handover's cap lowered to the policy's `max` (a handover without
    a `combined_cap` gets it): the engine then walks exactly the routes this reports."""
    if ceiling is None:
        return program
    capped = tuple(h if h.combined_cap is not None and h.combined_cap <= ceiling
                   else dataclasses.replace(h, combined_cap=ceiling) for h in program.handovers)
    return dataclasses.replace(program, handovers=capped)


def _finding(program: m.Program, route: Route, year: YearQuote, max_span: Span | None) -> Finding:
    handover = route.handover
    declared = program.handover(handover.source, handover.target)
    by_policy = declared.combined_cap != handover.combined_cap
    closer, tier_name = route.closer
    who = f"{closer} {tier_name}" if tier_name else closer
    shares = _shares(year)
    intro, own = sum(shares.values()) - shares.get(closer, 0), shares.get(closer, Decimal(0))
    parts = " + ".join(f"{pct(rate)} {who if party == closer else party}"
                       for party, rate in shares.items())
    tier = program.channel(closer).tier(tier_name) if tier_name else None
    span = handover.spans.get("allowed_tiers") if tier and handover.allowed_tiers else None
    cap = Label(max_span, "the policy's cap") if by_policy else \
        Label(handover.spans.get("combined_cap", handover.span), "the cap")
    labels = [cap]
    if tier is not None and "margin" in tier.spans:
        labels.append(Label(tier.spans["margin"], f"{who}'s rate"))
    whose = "the policy's" if by_policy else "its"
    return Finding(
        f"handover {route.text} pays {pct(intro + own)} in year {year.year} ({parts}), over"
        f" {whose} {pct(handover.combined_cap)} cap",
        span or handover.spans.get("introducer_rate", handover.span), route.text,
        label="allows a tier over the cap" if span else "introducer fee",
        labels=tuple(labels), notes=judged_at_top(program.channel(closer), tier),
        help=(f"remove {tier.name} from `allowed_tiers`" if tier else
              "lower the introducer rate", "or lower the introducer rate or raise "
              + ("the policy's `max`" if by_policy else "the cap")))


def _shares(year: YearQuote) -> dict[str, Decimal]:
    """Each party's part of the combined rate, as the engine paid it (introducers first)."""
    shares: dict[str, Decimal] = {}
    for p in year.payouts:
        if p.kind.in_combined_rate:
            part = ratio(granted(p, year), year.vendor_basis)
            shares[p.party] = shares.get(p.party, Decimal(0)) + part
    return shares


POLICY = Policy(
    code="CH-P002", name="combined_cap", title="Handover payouts stay within the combined cap",
    severity=Severity.ERROR,
    rationale="A handover pays two partners on one deal. The combined cap is the promise that "
              "stacking them never costs more than the program can afford; a tier allowed on "
              "the handover whose own rate breaks the cap turns that promise into a walk on "
              "every such deal.",
    explain="For every `handover` with a `combined_cap`, a nominal deal is quoted with the "
            "economics engine on every route into it (each tier in `allowed_tiers`, every tier "
            "if none are listed, and each threshold bracket of the closing channel); the "
            "payouts counted in the combined rate in `cap_year` (year 1 by default; a one-time "
            "introducer fee counts only in year 1) must not exceed the cap. The rates are the "
            "engine's, so this check and `charter quote` always agree. A program that sets "
            "`max` caps every handover at it as well: a handover without a `combined_cap`, "
            "or with a higher one, is judged against `max` (while `charter quote` walks on "
            "the handover's own cap).",
    failing='''channel Referral { model: referral; owner: vendor; commission: 10%; payment: one_time }
channel VAD {
    model: wholesale
    owner: partner
    tier Elite { margin: 35% }
}
handover Referral -> VAD { introducer_rate: 5%; allowed_tiers: Elite; combined_cap: 30% }''',
    passing='''channel Referral { model: referral; owner: vendor; commission: 10%; payment: one_time }
channel VAD {
    model: wholesale
    owner: partner
    tier Accelerator { margin: 25% }
}
handover Referral -> VAD { introducer_rate: 5%; allowed_tiers: Accelerator; combined_cap: 30% }''',
    check=check,
    params=(Param("max", SHARE, None,
                  "the most any handover may pay in its cap year, whatever its own"
                  " `combined_cap` says (or when it has none)",
                  unset="each handover's own `combined_cap`; a handover without one is not"
                        " capped", example="30%"),))
