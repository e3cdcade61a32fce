"""CH-P002 combined_cap: a handover's introducer fee plus the closer's rate stays within its cap."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.numbers import pct
from charter.policies.base import Finding, Policy, PolicyContext



def closer_rate(channel: m.Channel, tier: m.Tier | None, year: int) -> Decimal:
    """The closer's own payout rate in contract ``year`` (the highest bracket for thresholds)."""
    source = tier if tier is not None else channel
    if channel.model in ("wholesale", "resale", "oem"):
        margin = getattr(source, "margin", None)
        later = getattr(source, "margin_y2", None)
        rate = margin if margin is not None else (channel.discount[1] if channel.discount else 0)
        return Decimal(later if year > 1 and later is not None else rate)
    rate = source.commission if source.commission is not None else channel.commission
    if rate is None and channel.thresholds and channel.thresholds.brackets:
        rate = max(b.rate for b in channel.thresholds.brackets)
    if year > 1 and channel.payment == "one_time":
        return Decimal(0)
    later = source.commission_y2 if source.commission_y2 is not None else channel.commission_y2
    return Decimal(later if year > 1 and later is not None else (rate or 0))


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """For each handover with a `combined_cap`, check every closing tier it allows."""
    for handover in program.handovers:
        closer = program.channel(handover.target)
        if handover.combined_cap is None or closer is None:
            continue
        year = handover.cap_year or 1
        intro = handover.introducer_rate if year == 1 or \
            handover.introducer_payment == "recurring" else Decimal(0)
        tiers = [t for t in closer.tiers
                 if not handover.allowed_tiers or t.name in handover.allowed_tiers] or [None]
        for tier in tiers:
            own = closer_rate(closer, tier, year)
            if intro + own > handover.combined_cap:
                yield _finding(handover, closer, tier, intro, own, year)


def _finding(handover: m.Handover, closer: m.Channel, tier: m.Tier | None, intro: Decimal,
             own: Decimal, year: int) -> Finding:
    who = f"{closer.name} {tier.name}" if tier else closer.name
    route = f"{handover.source} -> {who}"
    span = handover.spans.get("allowed_tiers") if tier and handover.allowed_tiers else None
    labels = [Label(handover.spans.get("combined_cap", handover.span), "the cap")]
    if tier is not None and "margin" in tier.spans:
        labels.append(Label(tier.spans["margin"], f"{who}'s rate"))
    return Finding(
        f"handover {route} pays {pct(intro + own)} in year {year} ({pct(intro)}"
        f" {handover.source} + {pct(own)} {who}), over its {pct(handover.combined_cap)} cap",
        span or handover.spans.get("introducer_rate", handover.span), route,
        label="allows a tier over the cap" if span else "introducer fee",
        labels=tuple(labels),
        help=(f"remove {tier.name} from `allowed_tiers`" if tier else
              "lower the introducer rate", "or lower the introducer rate or raise the cap"))


POLICY = Policy(
    code="CH-P002", name="combined_cap", title="Handover payouts stay within the combined cap",
    severity=Severity.ERROR,
    rationale="A handover pays two partners on one deal. The combined cap is the promise that "
              "stacking them never costs more than the program can afford; a tier allowed on "
              "the handover whose own rate breaks the cap turns that promise into a walk on "
              "every such deal.",
    explain="For every `handover` with a `combined_cap`, the introducer's rate in `cap_year` "
            "(year 1 by default; a one-time introducer fee counts only in year 1) plus the "
            "closing channel's own rate in that year (tier margin, commission, or the top "
            "threshold bracket) must not exceed the cap, for every tier in `allowed_tiers` "
            "(every tier if none are listed).",
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
    check=check)
