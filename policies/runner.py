"""Running policies over a program: severities from the program, waivers, and their checks.

- `policy NAME { severity: ...; PARAM: VALUE }` sets a policy's level (`off` skips it) and
  its parameters (read and checked when lowered; a check reads them with ``ctx.param``); an
  unknown name is CH-E401.
- A finding matched by a `waiver` (same policy; same subject, or the waiver names none) is
  reported as a note that says who waived it and why. An expired waiver is CH-E402 and the
  finding stands; a waiver that matches nothing is CH-W401; a waiver in use that expires
  within 30 days is CH-W402, so its owner can renew it or fix the finding in time.
"""
from __future__ import annotations

import datetime as _dt

from charter import clock
from charter import model as m
from charter.diagnostics import Diagnostic, Label, Reporter, Severity, Suppression
from charter.policies import all_policies, find
from charter.policies.base import Finding, Policy, PolicyContext
from charter.view import suggest

LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "note": Severity.NOTE}
EXPIRY_WARNING_DAYS = 30    # CH-W402 this many days (or fewer) before a waiver expires


def run_policies(program: m.Program, reporter: Reporter,
                 today: _dt.date | None = None) -> PolicyContext:
    """Run every enabled policy on ``program``; diagnostics go to ``reporter``.

    Waivers are judged as of ``today`` (default `charter.clock.today`, which honours
    CHARTER_TODAY).
    """
    ctx = PolicyContext(program, today or clock.today(), settings=settings(program))
    levels = _levels(ctx.settings)
    waivers = _known_waivers(program, reporter)
    used: set[str] = set()
    subjects: dict[str, list[str]] = {}
    ordered = sorted(all_policies(), key=lambda p: (p.runs_last, p.code))
    for policy in ordered:
        level = levels.get(policy.code, policy.severity)
        if level == "off":
            continue
        ctx.policy = policy                      # what `ctx.param` reads
        findings = list(policy.check(program, ctx))
        subjects[policy.name] = [f.subject for f in findings]
        ctx.results[policy.name] = []
        for finding in findings:
            waiver = _match(policy, finding, waivers)
            if waiver is not None:
                used.add(waiver.name)
            if waiver is None or _expired(waiver, ctx.today):
                ctx.results[policy.name].append(finding)
                reporter.report(_diagnostic(policy, finding, _milder(finding.severity, level)))
            else:
                reporter.report(_waived(policy, finding, waiver))
    _check_waivers(waivers, used, ctx.today, reporter, subjects)
    return ctx


_ORDER = {Severity.NOTE: 0, Severity.WARNING: 1, Severity.ERROR: 2}


def _milder(own: Severity | None, level: Severity) -> Severity:
    """A finding may be milder than its policy's level, never louder than the program set."""
    return own if own is not None and _ORDER[own] < _ORDER[level] else level


def settings(program: m.Program) -> dict[str, m.PolicySetting]:
    """The program's `policy` blocks by policy code (unknown names are CH-E401 in `resolve`)."""
    found = {}
    for setting in program.policy_settings:
        policy = find(setting.policy)
        if policy is not None:
            found[policy.code] = setting
    return found


def _levels(settings: dict[str, m.PolicySetting]) -> dict[str, Severity | str]:
    return {code: LEVELS.get(s.severity, s.severity) for code, s in settings.items()
            if s.severity}


def _known_waivers(program: m.Program, reporter: Reporter) -> list[tuple[Policy, m.Waiver]]:
    return [(policy, waiver) for waiver in program.waivers
            if waiver.policy and (policy := find(waiver.policy)) is not None]


def _match(policy: Policy, finding: Finding,
           waivers: list[tuple[Policy, m.Waiver]]) -> m.Waiver | None:
    for owner, waiver in waivers:
        if owner is policy and (waiver.subject is None or waiver.subject == finding.subject):
            return waiver
    return None


def _expired(waiver: m.Waiver, today: _dt.date) -> bool:
    return waiver.expires is not None and waiver.expires < today


def _diagnostic(policy: Policy, finding: Finding, level: Severity) -> Diagnostic:
    return Diagnostic(finding.code or policy.code, level, finding.message, finding.span,
                      finding.label, finding.labels, finding.notes,
                      finding.help + (f"`charter explain {policy.code}` explains"
                                      f" {policy.name}",))


def _waived(policy: Policy, finding: Finding, waiver: m.Waiver) -> Diagnostic:
    until = f" until {waiver.expires}" if waiver.expires else ""
    expires = waiver.expires.isoformat() if waiver.expires else None
    return Diagnostic(finding.code or policy.code, Severity.NOTE,
                      f"waived: {finding.message}", finding.span, finding.label,
                      finding.labels + (Label(waiver.span, f"waived by `{waiver.name}`"),),
                      (f"waiver `{waiver.name}` ({waiver.owner}{until}): {waiver.reason}",),
                      suppression=Suppression(waiver.name, waiver.reason, waiver.owner, expires,
                                              waiver.span))


def _check_waivers(waivers: list[tuple[Policy, m.Waiver]], used: set[str], today: _dt.date,
                   reporter: Reporter, subjects: dict[str, list[str]]) -> None:
    """CH-E402 for an expired waiver, CH-W401 for an unused one, CH-W402 for one expiring soon."""
    for policy, waiver in waivers:
        if _expired(waiver, today):
            reporter.error("CH-E402", f"waiver `{waiver.name}` expired on {waiver.expires}",
                           waiver.spans.get("expires", waiver.span),
                           label=f"expired; today is {today}",
                           help=("renew it with a new date and a reason, or fix the finding",))
        elif waiver.name not in used:
            _unused(policy, waiver, subjects.get(policy.name, []), reporter)
        elif _expires_soon(waiver, today):
            _expiring(waiver, today, reporter)


def _expires_soon(waiver: m.Waiver, today: _dt.date) -> bool:
    """Whether a waiver still in force expires within `EXPIRY_WARNING_DAYS` of ``today``."""
    return waiver.expires is not None and \
        0 <= (waiver.expires - today).days <= EXPIRY_WARNING_DAYS


def _expiring(waiver: m.Waiver, today: _dt.date, reporter: Reporter) -> None:
    """CH-W402: the owner's notice that a waiver they rely on is about to lapse."""
    days = (waiver.expires - today).days
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    reporter.warning("CH-W402", f"waiver `{waiver.name}` expires {when} ({waiver.expires})",
                     waiver.spans.get("expires", waiver.span),
                     label=f"expires soon; today is {today}",
                     notes=(f"after {waiver.expires} the finding it waives is reported again"
                            f" and the expired waiver is CH-E402",),
                     help=("renew it with a new date and a reason, or fix the finding",))


def _unused(policy: Policy, waiver: m.Waiver, found: list[str], reporter: Reporter) -> None:
    """CH-W401, pointing at a `subject` that names nothing the policy found."""
    near = suggest(waiver.subject, found) if waiver.subject and found else ()
    if waiver.subject and found:
        shown = ", ".join(f"`{s}`" for s in sorted(set(found))[:5])
        hint = near or (f"{policy.name} found: {shown}",)
        reporter.warning("CH-W401", f"waiver `{waiver.name}`: {policy.name} has no finding about"
                                    f" `{waiver.subject}`", waiver.spans.get("subject", waiver.span),
                         label="no finding with this subject", help=hint)
        return
    reporter.warning("CH-W401", f"waiver `{waiver.name}` matches no finding of {policy.name}",
                     waiver.spans.get("header", waiver.span), label="waives nothing",
                     help=("remove it: the finding it waived is gone",))
