"""CH-P017 lead_protection: every partner-facing channel protects the leads partners register."""
from __future__ import annotations

from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import Finding, Policy, PolicyContext


def _zero(duration) -> bool:
    return duration is not None and duration.amount <= 0


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Report each channel that is not `internal` with no (or a zero) `lead_protection`,
    unless the program's `registration` block gives every registered deal a window."""
    registration = program.registration
    if registration is not None and registration.window is not None \
            and not _zero(registration.window):
        return
    for channel in program.channels:
        if channel.internal:
            continue
        if channel.lead_protection is None:
            yield Finding(
                f"channel `{channel.name}` has no `lead_protection`: nothing says how long a"
                " lead the partner registers stays theirs",
                channel.spans.get("header", channel.span), channel.name,
                label="no `lead_protection`", help=_HELP)
        elif _zero(channel.lead_protection):
            yield Finding(
                f"channel `{channel.name}`'s lead_protection is {channel.lead_protection}:"
                " a registered lead is not protected at all",
                channel.spans.get("lead_protection", channel.span), channel.name,
                label="a window of zero",
                labels=(Label(registration.span, "the registration `window` is zero too"),)
                if registration is not None else (),
                help=("set `lead_protection` to the window a registered lead stays the"
                      " partner's, e.g. `lead_protection: 90 days`",))


_HELP = ("add `lead_protection: 90 days` (the exclusive window from lead registration), or a"
         " program-wide `registration { window: 90 days }`",)


POLICY = Policy(
    code="CH-P017", name="lead_protection", title="Registered leads are protected",
    severity=Severity.WARNING,
    rationale="A partner invests in a lead only if the lead stays theirs while they work it. The "
              "partner-program practice guide counts competing with partners (selling direct into "
              "their accounts) among the anti-patterns and says channel conflict destroys the "
              "relationship; its good programs give registered deals a stated protection period "
              "(30 days in its examples). Without one, every contested deal becomes a dispute "
              "settled case by case.",
    explain="Every channel that is not `internal` must have a `lead_protection` window above "
            "zero, unless the program has a `registration` block whose `window` (above zero) "
            "protects every registered deal. The finding is at the channel (or at a zero "
            "`lead_protection`). Internal channels are benchmarks, not offers.",
    failing='''channel Referral {
    model: referral
    owner: vendor
}''',
    passing='''channel Referral {
    model: referral
    owner: vendor
    lead_protection: 60 days
}''',
    check=check)
