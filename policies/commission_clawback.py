"""CH-P016 commission_clawback: a program that pays commission says what it claws back."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Severity
from charter.numbers import pct
from charter.policies.base import Finding, Policy, PolicyContext
from charter.source import Span



def _positive(rate: Decimal | None) -> bool:
    return rate is not None and rate > 0


def _most(holder: m.Channel | m.Tier, key: str) -> tuple[Decimal | None, str]:
    """The most ``holder`` may pay as ``key``, and how to say it: a negotiable rate's top (a
    deal may agree it even when the default is 0%), else the fixed rate."""
    negotiable = next((n for n in holder.negotiable if n.term == key), None)
    if negotiable is None:
        rate = getattr(holder, key)
        return rate, pct(rate) if rate is not None else ""
    return negotiable.top, f"up to {pct(negotiable.top)} negotiable"


def commission_paid(program: m.Program, channel: m.Channel) -> tuple[Span, str] | None:
    """Where ``channel`` first pays commission, and what it pays; None if it pays none.

    Looked for in order: the channel's `commission` and `commission_y2`, its `thresholds`
    brackets, its tiers' `commission` and `commission_y2`, and a `handover` that pays it
    an introducer rate."""
    for key in ("commission", "commission_y2"):
        rate, what = _most(channel, key)
        if _positive(rate):
            return channel.spans.get(key, channel.span), f"{what} `{key}`"
    thresholds = channel.thresholds
    if thresholds is not None and any(b.rate > 0 for b in thresholds.brackets):
        top = max(b.rate for b in thresholds.brackets)
        return thresholds.span, f"up to {pct(top)} through thresholds `{thresholds.name}`"
    for tier in channel.tiers:
        for key in ("commission", "commission_y2"):
            rate, what = _most(tier, key)
            if _positive(rate):
                return (tier.spans.get(key, tier.span),
                        f"{what} `{key}` at tier `{tier.name}`")
    for handover in program.handovers:
        if handover.source == channel.name and handover.introducer_rate > 0:
            return (handover.spans.get("introducer_rate", handover.span),
                    f"a {pct(handover.introducer_rate)} introducer rate on handover to"
                    f" `{handover.target}`")
    return None


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """If the program has no `clawback` block, report each partner-facing channel that pays
    commission, at the first place it does."""
    if program.clawbacks:
        return
    for channel in program.channels:
        if channel.internal:
            continue
        paid = commission_paid(program, channel)
        if paid is None:
            continue
        span, what = paid
        yield Finding(
            f"channel `{channel.name}` pays commission ({what}) but the program has no"
            " `clawback` block",
            span, channel.name, label="paid out with nothing to claw back",
            help=("add a `clawback` block for cancelled and fraudulent deals, e.g. `clawback"
                  ' cancellation { event: "customer cancels"; rule: 0 days .. 30 days -> 100%;'
                  " rule: 30 days .. 90 days -> 50% }`",))


POLICY = Policy(
    code="CH-P016", name="commission_clawback", title="Commission comes with a clawback",
    severity=Severity.WARNING,
    rationale="Commission is paid when a deal is booked, before the customer has proven to stay. "
              "The partner-program practice guide names 'no clawback protection' an anti-pattern "
              "because bad referrals hurt the business: without a clawback, a customer who cancels "
              "in the first weeks, or a fraudulent referral, is paid for anyway, and the partner "
              "is rewarded for volume instead of customers who stay. Its benchmark is 100% back "
              "within 30 days, 50% within 90, pro-rated after, and all of it on fraud.",
    explain="If a channel that is not `internal` pays commission (a `commission` or "
            "`commission_y2` above zero on the channel or one of its tiers, `thresholds` "
            "brackets above zero, or a `handover` introducer rate from it) and the program "
            "has no `clawback` block, the channel is reported once, at the first of those. "
            "Internal channels are benchmarks, not offers. Wholesale margin is not "
            "commission: the partner has paid for what it resells.",
    failing='''channel Referral {
    model: referral
    owner: vendor
    lead_protection: 60 days
    commission: 10%
}''',
    passing='''channel Referral {
    model: referral
    owner: vendor
    lead_protection: 60 days
    commission: 10%
}
clawback cancellation {
    event: "customer cancels"
    rule: 0 days .. 30 days -> 100%
    rule: 30 days .. 90 days -> 50%
}''',
    check=check)
