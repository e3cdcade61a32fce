"""CH-P017 lead_protection: every partner-facing channel protects the leads partners register."""
from __future__ import annotations

from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import DURATION, Finding, Param, Policy, PolicyContext
from charter.units import in_hours
from charter.values import Duration


def _protects(window: Duration | None, minimum: Duration | None) -> bool:
    """A window above zero and, when the program sets `minimum`, at least that long."""
    if window is None or window.amount <= 0:
        return False
    return minimum is None or in_hours(window) >= in_hours(minimum)


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Report each channel that is not `internal` with no, a zero or (against `minimum`) a
    too short `lead_protection`, unless the program's `registration` block gives every
    registered deal a window that protects it."""
    minimum = ctx.param("minimum")
    registration = program.registration
    if registration is not None and _protects(registration.window, minimum):
        return
    program_wide = _registration_label(registration)
    for channel in program.channels:
        window, low_end = _shortest(channel)
        if channel.internal or _protects(window, minimum):
            continue
        if window is None:
            yield Finding(
                f"channel `{channel.name}` has no `lead_protection`: nothing says how long a"
                " lead the partner registers stays theirs",
                channel.spans.get("header", channel.span), channel.name,
                label="no `lead_protection`", labels=program_wide, help=_help(minimum))
        elif window.amount <= 0:
            yield Finding(
                f"channel `{channel.name}`'s lead_protection is {window}:"
                " a registered lead is not protected at all",
                channel.spans.get("lead_protection", channel.span), channel.name,
                label="a window of zero", labels=program_wide, help=_help(minimum, "set"))
        else:
            yield Finding(
                f"channel `{channel.name}`'s lead_protection of {window}{low_end} is shorter"
                f" than the {minimum} the program requires",
                channel.spans.get("lead_protection", channel.span), channel.name,
                label=f"shorter than {minimum}", labels=program_wide, help=_help(minimum, "set"))


def _shortest(channel: m.Channel) -> tuple[Duration | None, str]:
    """The shortest window a lead of ``channel`` may get: a negotiable window's low end (a
    deal may agree it), else the fixed one; and the words that say which it is."""
    negotiable = channel.negotiable_term("lead_protection")
    if negotiable is None:
        return channel.lead_protection, ""
    return negotiable.low, " (the low end of its negotiable range)"


def _registration_label(registration: m.Registration | None) -> tuple[Label, ...]:
    if registration is None:
        return ()
    window = registration.window
    said = f"the registration `window` ({window}) does not protect it either" \
        if window is not None else "the registration block sets no `window`"
    return (Label(registration.span, said),)


def _help(minimum: Duration | None, verb: str = "add") -> tuple[str, ...]:
    """How to protect the channel's leads (``verb``: "add" a window, "set" the one written)."""
    example = str(minimum) if minimum is not None else "90 days"
    if verb == "set" and minimum is None:
        return ("set `lead_protection` to the window a registered lead stays the partner's,"
                f" e.g. `lead_protection: {example}`",)
    return (f"{verb} `lead_protection: {example}` (the exclusive window from lead registration),"
            f" or a program-wide `registration {{ window: {example} }}`",)


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
            "zero and at least `minimum` long when the program sets one, unless the "
            "program has a `registration` block whose `window` meets the same test and so "
            "protects every registered deal. A window each deal may negotiate (`negotiable "
            "lead_protection { range: 30 days .. 60 days; ... }`) is judged by its low end, the "
            "shortest a deal may agree. Durations are compared in hours (a month is 730 "
            "hours; business and calendar units count the same). The finding is at the "
            "channel (or at its `lead_protection`). Internal channels are benchmarks, not "
            "offers.",
    failing='''channel Referral {
    model: referral
    owner: vendor
}''',
    passing='''channel Referral {
    model: referral
    owner: vendor
    lead_protection: 60 days
}''',
    check=check,
    params=(Param("minimum", DURATION, None,
                  "the shortest window a registered lead must stay the partner's, e.g. `30 days`",
                  unset="any window above zero"),))
