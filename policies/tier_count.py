"""CH-P013 tier_count: a channel's tier ladder has at most 4 rungs (practice-guide tier design)."""
from __future__ import annotations

from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import Finding, Policy, PolicyContext

MAX_TIERS = 4


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Count each partner-facing channel's tiers; report the first tier past the fourth."""
    for channel in program.channels:
        if channel.internal or len(channel.tiers) <= MAX_TIERS:
            continue
        count = len(channel.tiers)
        extra = channel.tiers[MAX_TIERS]
        names = ", ".join(t.name for t in channel.tiers)
        yield Finding(
            f"channel `{channel.name}` has {count} tiers; more than {MAX_TIERS} is a ladder"
            " partners cannot explain",
            extra.spans.get("header", extra.span), channel.name,
            label=f"tier {MAX_TIERS + 1} of {count}",
            labels=(Label(channel.spans.get("header", channel.span),
                          f"{count} tiers: {names}"),),
            help=(f"merge tiers until the ladder has 3-{MAX_TIERS} rungs, or move a distinct"
                  " kind of partner into a channel of its own",))


POLICY = Policy(
    code="CH-P013", name="tier_count", title="At most four tiers per channel",
    severity=Severity.WARNING,
    rationale="Tiers only motivate a partner who can tell where they stand and what the next rung "
              "takes. The partner-program practice guide puts the ceiling at three to four tiers: "
              "beyond that the ladder confuses more than it rewards ('if partners can't explain "
              "it, it won't work'; over-complicated tiers mean partners cannot calculate what they "
              "earn, so they do not sell).",
    explain="Each channel that is not `internal` may have at most 4 `tier` blocks. A channel "
            "with more is reported at its fifth tier (in the order written), with the "
            "channel and the full list of its tiers as context. Internal channels are "
            "benchmarks, never offered to partners, and are not counted.",
    failing='''channel Technology {
    model: technology
    owner: vendor
    lead_protection: 90 days
    tier Registered { benefits: "Partner portal" }
    tier Silver { qualify: revenue >= $25K per year }
    tier Gold { qualify: revenue >= $100K per year }
    tier Platinum { qualify: revenue >= $500K per year }
    tier Diamond { qualify: revenue >= $1 million per year }
}''',
    passing='''channel Technology {
    model: technology
    owner: vendor
    lead_protection: 90 days
    tier Registered { benefits: "Partner portal" }
    tier Silver { qualify: revenue >= $25K per year }
    tier Gold { qualify: revenue >= $100K per year }
    tier Platinum { qualify: revenue >= $500K per year }
}''',
    check=check)
