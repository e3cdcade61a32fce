"""CH-P015 mdf_claim_rule: MDF comes with a rule for claiming it and accounting for it."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Severity
from charter.literals import MoneyValue
from charter.numbers import pct
from charter.policies.base import Finding, Policy, PolicyContext



def _amount(mdf: Decimal | MoneyValue, header: m.Header) -> str:
    if isinstance(mdf, MoneyValue):
        from charter import numbers

        return numbers.money(mdf.amount, mdf.currency, numbers.locale_of(header.locales),
                             header.minor_units)
    return f"{pct(mdf)} of customer-paid software revenue"


def pays_mdf(tier: m.Tier) -> bool:
    """True if the tier funds MDF: a share or amount above zero."""
    mdf = tier.mdf
    if isinstance(mdf, MoneyValue):
        return mdf.amount > 0
    return mdf is not None and mdf > 0


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Report each tier of a partner-facing channel that funds MDF with an empty `mdf_claim`."""
    for channel in program.channels:
        if channel.internal:
            continue
        for tier in channel.tiers:
            if not pays_mdf(tier) or tier.mdf_claim.strip():
                continue
            who = f"{channel.name} {tier.name}"
            yield Finding(
                f"tier `{who}` funds MDF of {_amount(tier.mdf, program.header)} with no claim"
                " rule",
                tier.spans.get("mdf", tier.span), who,
                label="no `mdf_claim`: how is it claimed, and what must it return?",
                help=('add `mdf_claim: "..."` saying what the funds may be spent on, how a'
                      " claim is proven and approved, and what the partner reports back"
                      " (leads or pipeline generated)",))


POLICY = Policy(
    code="CH-P015", name="mdf_claim_rule", title="MDF has a claim and ROI rule",
    severity=Severity.WARNING,
    rationale="Market development funds are program money spent by the partner. The "
              "partner-program practice guide lists MDF without accountability among its "
              "anti-patterns in three places: funds with no ROI tracking are spent on whatever is "
              "convenient, cannot be defended at budget time and cannot be compared between "
              "partners. Its MDF practices ask for defined uses, an approval path and a required "
              "report of the leads or pipeline generated.",
    explain="Every tier of a channel that is not `internal` whose `mdf` is above zero (a "
            "percentage or an amount) must have a non-empty `mdf_claim` describing how the "
            "funds are claimed and accounted for. The finding is at the tier's `mdf`; "
            "`mdf: 0%` needs no claim rule.",
    failing='''channel Technology {
    model: technology
    owner: vendor
    lead_protection: 90 days
    tier Premier { mdf: $25K }
}''',
    passing='''channel Technology {
    model: technology
    owner: vendor
    lead_protection: 90 days
    tier Premier {
        mdf: $25K
        mdf_claim: "Pre-approved co-marketing; reimbursed on proof of execution and a leads report"
    }
}''',
    check=check)
