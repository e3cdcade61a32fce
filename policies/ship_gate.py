"""CH-P012 ship_gate: a locked program's gate conditions are verified by policies, constructs."""
from __future__ import annotations

from typing import Iterator

from charter import lower as lw
from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import Finding, Policy, PolicyContext

NAME = "ship_gate"
# construct kinds a condition may require, and whether the program has one: the constructs
# the construct table marks `gate` (charter.lower.CONSTRUCTS)
CONSTRUCTS = {c.kind: (lambda p, field=c.field: bool(getattr(p, field)))
              for c in sorted(lw.CONSTRUCTS, key=lambda c: c.kind) if c.gate}


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Judge each ship-gate condition by what its `requires:` names; lock only when all hold.

    Each name in a condition's `requires:` is a policy (by name, e.g. `flipper_mitigations`)
    that must have no unwaived findings in this run (`ctx.results`), or a construct kind
    (`enablement`, `process`, `registration`, `clawback`, `mitigation`, `example`, `handover`,
    `attribution`) the program must have. Any other name is CH-E401, whatever the status.

    - `status: locked`: no `ship_gate` at all is an error at the program header; a condition
      without `requires:` cannot be verified (error); a condition with a blocking requirement
      is an error naming the findings or missing constructs.
    - `status: draft` (with a `ship_gate`): one note listing the conditions that still block
      locking, or saying that none does.
    """
    from charter.policies import find

    blocking: list[tuple[m.GateCondition, list[str]]] = []
    for condition in program.ship_gate:
        reasons: list[str] = []
        unknown: list[str] = []
        labels: list[Label] = []
        notes: list[str] = []
        for name, span in condition.requires:
            if name in CONSTRUCTS:
                if not CONSTRUCTS[name](program):
                    reasons.append(f"no `{name}` block")
                    labels.append(Label(span, f"the program has no `{name}`"))
                continue
            policy = find(name)
            if policy is None:
                yield _unknown(condition, name, span)  # CH-E401 says it; no second error
                unknown.append(f"`{name}` is unknown")
                continue
            if policy.name == NAME:
                reasons.append("the ship gate cannot verify itself")
                labels.append(Label(span, "names this policy itself"))
                continue
            found = ctx.results.get(policy.name)
            if found is None:
                reasons.append(f"{policy.name} is set to `off`")
                labels.append(Label(span, "is `off`, so it verifies nothing"))
                continue
            level = _level(program, policy)
            loud = [f for f in found if (f.severity or level) is not Severity.NOTE]
            if loud:
                reasons.append(_count(policy.name, loud))
                labels.append(Label(span, f"{len(loud)} finding{'s' * (len(loud) != 1)}"))
                shown = [f for f in loud if f.span is not None][:3]
                labels += [Label(f.span, f"{f.code or policy.code}: {f.message}") for f in shown]
                rest = [f for f in loud if f not in shown]
                notes += [f"{policy.name} ({f.code or policy.code}) on {f.subject}: {f.message}"
                          for f in rest[:5]]
                if len(rest) > 5:
                    notes.append(f"{policy.name}: {len(rest) - 5} more findings")
        if not condition.requires:
            reasons.append("no `requires:`")
        if reasons or unknown:
            blocking.append((condition, reasons + unknown))
            if reasons and program.header.status == "locked":
                yield _blocked(condition, reasons, labels, notes)
    if program.header.status == "locked":
        if not program.ship_gate:
            yield Finding(
                f"program {program.header.id} is `status: locked` but has no `ship_gate`:"
                f" nothing says what had to hold before it was locked",
                program.header.span, program.header.id, label="locked without a ship gate",
                help=("add `ship_gate { condition NAME { title: \"...\"; requires: POLICY, ... } }`"
                      " for each thing that must hold, or set `status: draft`",))
    elif program.ship_gate:
        yield _draft_note(program, blocking)


def _level(program: m.Program, policy: Policy) -> Severity:
    """The program's level for ``policy``: a policy set to `note` reports, it does not block."""
    from charter.policies import find

    for setting in program.policy_settings:
        if find(setting.policy) is policy:
            return Severity.NOTE if setting.severity == "note" else policy.severity
    return policy.severity


def _unknown(condition: m.GateCondition, name: str, span) -> Finding:
    from charter.policies import all_policies
    from charter.view import suggest

    choices = [p.name for p in all_policies() if p.name != NAME] + list(CONSTRUCTS)
    return Finding(
        f"condition `{condition.name}` requires `{name}`, which is neither a policy nor a"
        f" construct kind", span, condition.name, label="no policy or construct of this name",
        help=suggest(name, choices) or ("`charter policies` lists the policies; constructs:"
                                        f" {', '.join(CONSTRUCTS)}",),
        code="CH-E401")


def _count(name: str, findings: list[Finding]) -> str:
    return f"{name} has {len(findings)} finding{'s' * (len(findings) != 1)}"


def _blocked(condition: m.GateCondition, reasons: list[str], labels: list[Label],
             notes: list[str]) -> Finding:
    if reasons == ["no `requires:`"]:
        return Finding(
            f"condition `{condition.name}` cannot be verified: add `requires:`",
            condition.span, condition.name, label="nothing checks this condition",
            notes=("a locked program's ship-gate conditions must each name the policies or"
                   " constructs that prove them",),
            help=("add e.g. `requires: flipper_mitigations, mitigation` (policy names, or"
                  f" construct kinds: {', '.join(CONSTRUCTS)})",))
    return Finding(
        f"condition `{condition.name}` does not hold: {'; '.join(reasons)}",
        condition.span, condition.name, label="blocks `status: locked`", labels=tuple(labels),
        notes=tuple(notes),
        help=("fix the findings (or waive them with a reason), add the missing blocks, or set"
              " `status: draft`",))


def _draft_note(program: m.Program, blocking: list[tuple[m.GateCondition, list[str]]]) -> Finding:
    total = len(program.ship_gate)
    if not blocking:
        every = "the ship-gate condition holds" if total == 1 \
            else f"all {total} ship-gate conditions hold"
        return Finding(f"{every}: the program can be locked", program.header.span, NAME,
                       severity=Severity.NOTE, label="ready for `status: locked`")
    names = ", ".join(c.name for c, _ in blocking)
    verb = "blocks" if len(blocking) == 1 else "block"
    return Finding(
        f"{len(blocking)} of {total} ship-gate conditions still {verb} locking: {names}",
        program.header.span, NAME, severity=Severity.NOTE, label="draft",
        notes=tuple(f"{c.name}: {'; '.join(r)}" for c, r in blocking))


POLICY = Policy(
    code="CH-P012", name=NAME, title="Ship gate holds before locking", severity=Severity.ERROR,
    runs_last=True, emits=("CH-E401",),
    rationale="A program is locked (`status: locked`) when the conditions its owners agreed "
              "must hold before partners sign do hold, and the cost of locking early is "
              "concrete: a partner signs a wholesale agreement without certification and the "
              "software-flipper risk shows within a couple of quarters; two channels close the "
              "same deal without a handover rule and the commission dispute takes weeks of the "
              "commercial owner's time. A launch checklist (the eJourney Partner & Channel "
              "page's lock conditions, the SaaS channel framework's Program Launch Checklist) "
              "that is only ticked by hand drifts from the program; naming the checks that "
              "prove each condition makes `locked` mean something the compiler has verified.",
    explain="Runs after every other policy. Each `condition` of the `ship_gate` lists "
            "`requires:`: policy names (the condition holds only if that policy has no "
            "unwaived findings) or construct kinds the program must contain (`enablement`, "
            "`process`, `registration`, `clawback`, `mitigation`, `example`, `handover`, "
            "`attribution`); any other name is CH-E401. In a `status: locked` program a "
            "condition that does not hold is an error at the condition naming what blocks it, a "
            "condition without `requires:` cannot be verified (error), and a program without a "
            "`ship_gate` is an error at its header. In a `status: draft` program with a "
            "`ship_gate`, one note lists the conditions that still block locking. (The snippets "
            "below are drafts, so the failing one shows the CH-E401 case.)",
    failing='''enablement {
    item runbook { title: "Implementation runbook" }
}
ship_gate {
    condition enablement_program {
        title: "Partner enablement program"
        requires: enablemnt
    }
}''',
    passing='''enablement {
    item runbook { title: "Implementation runbook" }
}
ship_gate {
    condition enablement_program {
        title: "Partner enablement program"
        requires: enablement
    }
}''',
    check=check)
