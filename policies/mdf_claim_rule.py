"""CH-P015 mdf_claim_rule: MDF comes with a rule for claiming it and accounting for it."""
from __future__ import annotations

from typing import Iterator

from charter import model as m
from charter.diagnostics import Severity
from charter.literals import MoneyValue
from charter.numbers import pct
from charter.policies.base import Finding, Policy, PolicyContext



def _amount(tier: m.Tier, header: m.Header) -> str:
    """The tier's MDF in words: `3% of customer-paid software revenue`, or a fixed fund:
    `$5,000 per quarter (capped at $15,000 per year)`."""
    mdf = tier.mdf
    if not isinstance(mdf, MoneyValue):
        return f"{pct(mdf)} of customer-paid software revenue"
    from charter import numbers

    def money(value: MoneyValue) -> str:
        return numbers.money(value.amount, value.currency, numbers.locale_of(header.locales),
                             header.minor_units)
    fund = f"{money(mdf)} per {tier.mdf_period or 'year'}"
    return fund if tier.mdf_cap is None else \
        f"{fund} (capped at {money(tier.mdf_cap)} per {tier.mdf_cap_period or 'year'})"


def pays_mdf(tier: m.Tier) -> bool:
    """True if the tier funds MDF: a share or amount above zero."""
    mdf = tier.mdf
    if isinstance(mdf, MoneyValue):
        return mdf.amount > 0
    return mdf is not None and mdf > 0


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Report each tier of a partner-facing channel that funds MDF with an empty `mdf_claim`,
    and each fixed fund without a `mdf_claim_deadline` (unclaimed funds would stay owed)."""
    for channel in program.channels:
        if channel.internal:
            continue
        for tier in channel.tiers:
            if not pays_mdf(tier):
                continue
            who = f"{channel.name} {tier.name}"
            if not tier.mdf_claim.strip():
                yield Finding(
                    f"tier `{who}` funds MDF of {_amount(tier, program.header)} with no claim"
                    " rule", tier.spans.get("mdf", tier.span), who,
                    label="no `mdf_claim`: how is it claimed, and what must it return?",
                    help=('add `mdf_claim: "..."` saying what the funds may be spent on, how'
                          " a claim is proven, and what the partner reports back (leads or"
                          " pipeline generated); `mdf_approval` says who approves",))
            elif tier.mdf_fund and tier.mdf_claim_deadline is None:
                yield _no_deadline(tier, who, program.header)


def _no_deadline(tier: m.Tier, who: str, header: m.Header) -> Finding:
    """A fixed fund accrues every period whether or not it is spent: without a deadline
    for claims, what a partner never claims stays owed for ever."""
    return Finding(
        f"tier `{who}` funds a fixed MDF fund of {_amount(tier, header)} with no claim"
        " deadline: funds never claimed stay owed", tier.spans.get("mdf", tier.span), who,
        label="no `mdf_claim_deadline`",
        help=("add `mdf_claim_deadline: 60 days` (how long after the activity, or the period,"
              " a claim may be made)",))


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
            "funds are claimed and accounted for (`mdf_approval` may name who approves a "
            "claim). A fixed fund (`mdf: $25K`, `mdf: $5_000 per quarter`) accrues every "
            "period whether it is spent or not, so it also needs a `mdf_claim_deadline`: "
            "without one, funds never claimed stay owed. The finding is at the tier's `mdf`; "
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
        mdf_claim_deadline: 60 days
        mdf_approval: "channel manager"
    }
}''',
    check=check)
