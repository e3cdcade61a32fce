"""CH-P018 mdf_cap: no tier funds MDF above the share of revenue the program caps it at."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.numbers import pct
from charter.policies.base import SHARE, Finding, Param, Policy, PolicyContext


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Report each tier of a partner-facing channel whose `mdf` share is above `max` (no cap,
    nothing reported, until the program sets one). An MDF written as an amount is a fund,
    not a share of deals, and is not judged."""
    cap = ctx.param("max")
    if cap is None:
        return
    for channel in program.channels:
        if channel.internal:
            continue
        for tier in channel.tiers:
            if isinstance(tier.mdf, Decimal) and tier.mdf > cap:
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
            "(subject `CHANNEL TIER`). An MDF written as an amount (`mdf: $25K`) is a fixed "
            "fund, not a share of deals, and is not judged; without `max` nothing is.",
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
