"""CH-P018 mdf_cap: no tier funds MDF above the share of revenue the program caps it at."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter import numbers
from charter.diagnostics import Label, Severity
from charter.economics.engine import Quoter
from charter.economics.kinds import PayoutKind
from charter.economics.money import ratio
from charter.economics.routes import Route, quotable, small_deal
from charter.numbers import pct
from charter.policies.base import SHARE, Finding, Param, Policy, PolicyContext


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Report each tier of a partner-facing channel whose `mdf` share is above `max` (no cap,
    nothing reported, until the program sets one). A fixed fund is judged as the share it is
    of the smallest yearly volume the tier commits to (its quota or revenue band), quoted by
    the engine; a fund on a tier that commits to no volume is not judged."""
    cap = ctx.param("max")
    if cap is None:
        return
    for channel in program.channels:
        if channel.internal:
            continue
        for tier in channel.tiers:
            if tier.mdf_fund:
                yield from _fund_over_cap(program, channel, tier, cap, ctx)
            elif isinstance(tier.mdf, Decimal) and tier.mdf > cap:
                who = f"{channel.name} {tier.name}"
                yield Finding(
                    f"tier `{who}` funds MDF of {pct(tier.mdf)} of customer-paid software"
                    f" revenue, above the program's {pct(cap)} cap",
                    tier.spans.get("mdf", tier.span), who, label=f"above {pct(cap)}",
                    labels=(Label(ctx.param_span("max"), "the cap"),)
                    if ctx.param_span("max") else (),
                    help=(f"lower `mdf` to {pct(cap)} or less (a richer tier can earn more"
                          " through its margin or commission)",
                          "or raise `max` in `policy mdf_cap` if this MDF is intended"))


def _fund_over_cap(program: m.Program, channel: m.Channel, tier: m.Tier, cap: Decimal,
                   ctx: PolicyContext) -> Iterator[Finding]:
    """A fixed fund above `max` of the tier's smallest committed volume: the engine quotes a
    deal of that volume on the tier and its year-1 MDF line is measured on the vendor basis."""
    route = small_deal(program, Route(((channel.name, tier.name),)))
    priced = quotable(program)
    request = route.request(priced) if route is not None else None
    if request is None:
        return
    quoter = ctx.quoter if priced is program else Quoter(priced)
    year = quoter.quote(request).years[0]
    share = ratio(year.amount(channel.name, PayoutKind.MDF), year.vendor_basis)
    if share <= cap:
        return
    who, header = f"{channel.name} {tier.name}", program.header
    volume = numbers.money(year.vendor_basis, header.currency,
                           numbers.locale_of(header.locales), header.minor_units)
    yield Finding(
        f"tier `{who}` funds a fixed MDF fund that is {pct(share)} of {volume} a year, the"
        f" smallest volume it commits to, above the program's {pct(cap)} cap",
        tier.spans.get("mdf", tier.span), who, label=f"above {pct(cap)} of the tier's volume",
        labels=(Label(ctx.param_span("max"), "the cap"),) if ctx.param_span("max") else (),
        help=(f"lower the fund, cap it (`mdf_cap`) at {pct(cap)} of the tier's volume or less,"
              " or raise the tier's `quota`",
              "or raise `max` in `policy mdf_cap` if this MDF is intended"))


POLICY = Policy(
    code="CH-P018", name="mdf_cap", title="MDF stays within the program's cap",
    severity=Severity.WARNING,
    rationale="Market development funds are paid out of the same software revenue as every "
              "margin and commission, and they are spent by the partner. A program that sets "
              "an MDF budget as a share of revenue (a common way to keep co-marketing "
              "affordable as partners grow) needs every tier held to it: a tier that accrues "
              "more than the budget commits money the vendor has not planned, and on a route "
              "that already pays a rich margin it is what takes the deal towards the margin "
              "floor.",
    explain="Once the program sets `max` (`policy mdf_cap { max: 5% }`), every tier of a "
            "channel that is not `internal` whose `mdf` is a percentage must accrue at most "
            "`max` of customer-paid software revenue. The finding is at the tier's `mdf` "
            "(subject `CHANNEL TIER`). An MDF written as an amount (`mdf: $5_000 per "
            "quarter`) is a fixed fund, not a share of deals: it is judged as the share it is "
            "of the smallest yearly volume the tier commits to (its `quota`, else the low end "
            "of its `revenue_band`), quoted by the engine with `mdf_cap` applied; a fund on a "
            "tier that commits to no volume is not judged. Without `max` nothing is.",
    failing='''channel VAD {
    model: wholesale
    owner: partner
    tier Elite {
        margin: 30%
        mdf: 8%
        mdf_claim: "Pre-approved co-marketing; reimbursed on proof of execution"
    }
}
policy mdf_cap { max: 5% }''',
    passing='''channel VAD {
    model: wholesale
    owner: partner
    tier Elite {
        margin: 30%
        mdf: 5%
        mdf_claim: "Pre-approved co-marketing; reimbursed on proof of execution"
    }
}
policy mdf_cap { max: 5% }''',
    check=check,
    params=(Param("max", SHARE, None,
                  "the most MDF a tier may accrue, as a share of customer-paid software revenue",
                  unset="no cap, nothing is judged", example="5%"),))
