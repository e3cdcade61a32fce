"""CH-P014 measurable_tiers: every tier above the entry tier has a measurable qualification."""
from __future__ import annotations

from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import Finding, Policy, PolicyContext


def entry_tier(channel: m.Channel) -> m.Tier | None:
    """The channel's entry tier: the lowest rank (the first written when ranks tie)."""
    return min(channel.tiers, key=lambda t: t.rank) if channel.tiers else None


def measurable(tier: m.Tier) -> bool:
    """True if the tier states a bar that can be measured: a quota above zero, a `qualify`
    criterion, or a revenue band with at least one end (`quota: none` lowers to no quota)."""
    if tier.quota is not None and tier.quota.money.amount > 0:
        return True
    if tier.qualify is not None:
        return True
    return tier.revenue_band is not None and any(end is not None for end in tier.revenue_band)


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Report each tier of a partner-facing channel, except the entry tier, with no quota,
    `qualify` or `revenue_band`."""
    for channel in program.channels:
        if channel.internal:
            continue
        entry = entry_tier(channel)
        for tier in channel.tiers:
            if tier is entry or measurable(tier):
                continue
            yield _finding(channel, tier)


def _finding(channel: m.Channel, tier: m.Tier) -> Finding:
    who = f"{channel.name} {tier.name}"
    labels = []
    for key in ("quota", "qualify", "revenue_band"):
        if key in tier.spans:
            labels.append(Label(tier.spans[key], "sets no bar a partner can measure"))
    for other in channel.tiers:
        if other.tier_up is not None and other.tier_up.target == tier.name:
            labels.append(Label(other.tier_up.span,
                                f"promotion into `{tier.name}`, but nothing says what holds it"))
    return Finding(
        f"tier `{who}` has no measurable qualification: no quota, `qualify` or `revenue_band`",
        tier.spans.get("header", tier.span), who, label="who qualifies for this tier?",
        labels=tuple(labels),
        help=("state what it takes to hold the tier: `qualify: revenue >= <amount> per year`"
              " (and `certified_people >= N` if certification counts), a committed `quota`,"
              " or a `revenue_band`",))


POLICY = Policy(
    code="CH-P014", name="measurable_tiers", title="Tiers qualify on measurable criteria",
    severity=Severity.WARNING,
    rationale="A tier is worth working towards only when the partner knows exactly what earns it. "
              "The partner-program practice guide's tier-design principles ask for objective "
              "metrics, not subjective ones: a tier held by 'demonstrated commitment' or "
              "'strategic importance' cannot be measured, invites disputes and gives no reason to "
              "level up. Revenue, referrals, certified people or a committed volume can be checked "
              "by both sides.",
    explain="Every tier of a channel that is not `internal`, except the entry tier (the lowest "
            "`rank`, by default the first written), must state at least one of: a `quota` "
            "above zero, a `qualify` criterion or a `revenue_band`. `quota: none` and "
            "`qualify: none` count as absent. The finding is at the tier, with labels at any "
            "`none` written and at a `tier_up` that promotes into the tier (a promotion "
            "criterion says how a partner gets there, not what keeps it there).",
    failing='''channel Technology {
    model: technology
    owner: vendor
    lead_protection: 90 days
    tier Registered { benefits: "Partner portal" }
    tier Premier { quota: none; benefits: "Joint webinars" }
}''',
    passing='''channel Technology {
    model: technology
    owner: vendor
    lead_protection: 90 days
    tier Registered { benefits: "Partner portal" }
    tier Premier { qualify: revenue >= $100K per year; benefits: "Joint webinars" }
}''',
    check=check)
