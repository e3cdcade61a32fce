"""CH-P013 tier_count: a channel's tier ladder is short enough to explain (`max` tiers, 4)."""
from __future__ import annotations

from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import COUNT, Finding, Param, Policy, PolicyContext


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Count each partner-facing channel's tiers; report the first tier past the `max`th."""
    most = ctx.param("max")
    for channel in program.channels:
        if channel.internal or len(channel.tiers) <= most:
            continue
        count = len(channel.tiers)
        extra = channel.tiers[most]
        names = ", ".join(t.name for t in channel.tiers)
        yield Finding(
            f"channel `{channel.name}` has {count} tiers; more than {most} is a ladder"
            " partners cannot explain",
            extra.spans.get("header", extra.span), channel.name,
            label=f"tier {most + 1} of {count}",
            labels=(Label(channel.spans.get("header", channel.span),
                          f"{count} tiers: {names}"),),
            help=(f"merge tiers until the ladder has at most {most} rungs, or move a distinct"
                  " kind of partner into a channel of its own",
                  f"or, if the program means it, raise the ceiling: `policy tier_count"
                  f" {{ max: {count} }}`"))


POLICY = Policy(
    code="CH-P013", name="tier_count", title="Tier ladders stay short",
    severity=Severity.WARNING,
    rationale="Tiers only motivate a partner who can tell where they stand and what the next rung "
              "takes. The partner-program practice guide puts the ceiling at three to four tiers: "
              "beyond that the ladder confuses more than it rewards ('if partners can't explain "
              "it, it won't work'; over-complicated tiers mean partners cannot calculate what they "
              "earn, so they do not sell).",
    explain="Each channel that is not `internal` may have at most `max` `tier` blocks (4 "
            "unless the program sets another ceiling). A channel with more is reported at "
            "the first tier past the ceiling (in the order written), with the channel and "
            "the full list of its tiers as context. Internal channels are benchmarks, never "
            "offered to partners, and are not counted.",
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
    check=check,
    params=(Param("max", COUNT, 4, "the most tiers a channel that is not `internal` may have",
                  minimum=1),))
