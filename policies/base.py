"""What a policy is: its documentation, its check, and the findings it yields.

A policy module defines one `Policy` named ``POLICY``. Its ``check(program, ctx)`` yields
`Finding`s; the runner (`charter.policies.runner`) turns them into diagnostics with the
program's severity for the policy, and applies waivers.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Callable, Iterable

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.source import Span


@dataclass(frozen=True)
class Finding:
    """One problem a policy found: where, what, and what it is about (for waivers)."""

    message: str
    span: Span | None
    subject: str
    label: str = ""
    labels: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: tuple[str, ...] = ()
    code: str | None = None              # one of the policy's `emits`; default its own code
    severity: Severity | None = None     # a finding that is milder than the policy's level


@dataclass
class PolicyContext:
    """What a check may use besides the program: today's date, a quoter, earlier results."""

    program: m.Program
    today: _dt.date
    results: dict[str, list[Finding]] = field(default_factory=dict)
    _quoter: object = None

    @property
    def quoter(self):
        """A `charter.economics.Quoter` for the program (built on first use)."""
        if self._quoter is None:
            from charter.economics import Quoter

            self._quoter = Quoter(self.program)
        return self._quoter


@dataclass(frozen=True)
class Policy:
    """A program invariant with a stable code, documentation and a check."""

    code: str
    name: str
    title: str
    severity: Severity
    rationale: str
    explain: str
    failing: str        # a program snippet that triggers the policy
    passing: str        # the same snippet, fixed
    check: Callable[[m.Program, PolicyContext], Iterable[Finding]]
    emits: tuple[str, ...] = ()     # other codes its findings may carry
    runs_last: bool = False         # reads other policies' results (the ship gate)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code this policy's findings can carry."""
        return (self.code,) + self.emits
