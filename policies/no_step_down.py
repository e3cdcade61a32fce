"""CH-P003 no_step_down: recurring and partner-owned payouts never fall from one year to the next."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.numbers import pct
from charter.policies.base import Finding, Policy, PolicyContext


def owns_renewal(channel: m.Channel) -> bool:
    """The partner owns the customer (by its model or `owner: partner`) or is paid a
    recurring share: either way it does the year-2 work."""
    return channel.partner_owns_customer or channel.payment == "recurring"


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Compare each year-2 rate with year 1 on channels whose partner owns the renewal."""
    for channel in program.channels:
        if not owns_renewal(channel):
            continue
        for tier in channel.tiers:
            yield from _drop(channel, tier, tier.margin, tier.margin_y2, "margin", tier.spans)
            yield from _drop(channel, tier, tier.commission, tier.commission_y2, "commission",
                             tier.spans)
        if channel.payment == "recurring":
            yield from _drop(channel, None, channel.commission, channel.commission_y2,
                             "commission", channel.spans)
            yield from _ends(channel)


def _drop(channel: m.Channel, tier: m.Tier | None, first: Decimal | None,
          later: Decimal | None, what: str, spans: dict) -> Iterator[Finding]:
    if first is None or later is None or later >= first:
        return
    who = f"{channel.name} {tier.name}" if tier else channel.name
    yield Finding(
        f"{who}'s {what} steps down from {pct(first)} in year 1 to {pct(later)} in year 2",
        spans.get(f"{what}_y2"), who, label="year-2 rate below year 1",
        labels=(Label(spans[what], "year-1 rate"),) if what in spans else (),
        help=(f"keep `{what}_y2: {pct(first)}` (flat)" + (
            "" if channel.partner_owns_customer else
            ", or make the channel `payment: one_time` if the partner does not own the renewal"),))


def _ends(channel: m.Channel) -> Iterator[Finding]:
    if channel.commission_years is not None and channel.commission:
        yield Finding(
            f"{channel.name}'s recurring commission stops after year {channel.commission_years}",
            channel.spans.get("commission_years", channel.span), channel.name,
            label="drops to 0% after this year",
            help=("remove `commission_years`, or make the channel `payment: one_time`",))


POLICY = Policy(
    code="CH-P003", name="no_step_down", title="No year-2 step-down",
    severity=Severity.ERROR,
    rationale="A partner that owns the customer or the renewal does the year-2 work: support, "
              "QBRs, the renewal itself. Cutting its margin or share after year 1 is what "
              "bleeds partners out of a program (the eJourney Partner & Channel page, A: 'Y2 "
              "step-down models bleed "
              "partners'). One-time finder fees declared `payment: one_time` are fine.",
    explain="For channels that are wholesale/resale/OEM, partner-owned, or paid a recurring "
            "share: every tier's `margin_y2` must be at least its `margin`, `commission_y2` at "
            "least `commission` (tier or channel), and a recurring commission must not stop "
            "after `commission_years`.",
    failing='''channel VAD {
    model: wholesale
    owner: partner
    tier Gold { margin: 30%; margin_y2: 20% }
}''',
    passing='''channel VAD {
    model: wholesale
    owner: partner
    tier Gold { margin: 30%; margin_y2: 30% }
}''',
    check=check)
