"""What a policy is: its documentation, its parameters, its check, and the findings it yields.

A policy module defines one `Policy` named ``POLICY``. Its ``check(program, ctx)`` yields
`Finding`s; the runner (`charter.policies.runner`) turns them into diagnostics with the
program's severity for the policy, and applies waivers.

A policy may declare typed parameters (`Param`), which a program sets next to the severity:
`policy tier_count { severity: error; max: 5 }`. Lowering (`charter.lower.parse_policy`)
reads each value with the `Kind`'s reader and checks its range; the check reads the value in
effect with ``ctx.param("max")`` (set in the program, else the declared default).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import field
from decimal import Decimal
from typing import Callable, Iterable

from charter import model as m
from charter import syntax as s
from charter.diagnostics import Label, Severity
from charter.nodes import node
from charter.numbers import pct
from charter.source import Span
from charter.units import in_hours
from charter.values import Duration, Reader


@node
class Kind:
    """A kind of parameter value: how it is read (the language's own readers), shown, sized."""

    name: str                                       # in docs and `charter explain`
    example: str                                    # a value as written: "60%"
    read: Callable[[Reader, s.Value], object]       # reports CH-E106/CH-E111; None if unreadable
    show: Callable[[object], str]                   # a value as a program writes it
    size: Callable[[object], Decimal] | None = None  # what `minimum`/`maximum` compare


def _number(value: object) -> str:
    return f"{Decimal(value).normalize():f}"


# The kinds a parameter can be: each read by the language's own reader (CH-E106 for a value
# of another kind; a share above 100% and a fraction where a whole number goes are CH-E111).
SHARE = Kind("percentage (0% to 100%)", "60%", Reader.share, pct, Decimal)
COUNT = Kind("whole number", "4", Reader.integer, str, Decimal)
NUMBER = Kind("number", "100", Reader.number, _number, Decimal)
DURATION = Kind("duration", "30 days", Reader.duration, str,
                lambda d: in_hours(d) if isinstance(d, Duration) else Decimal(0))
FLAG = Kind("yes/no", "yes", Reader.boolean, lambda v: "yes" if v else "no")


@node
class Param:
    """A typed parameter a program may set in its `policy NAME { ... }` block.

    ``default`` is the value in effect when the program does not set it; None means "not
    set", and ``unset`` says in words what the policy does then (e.g. "the program's
    `margin_floor`"). ``minimum``/``maximum`` bound the value (inclusive, in the kind's size).
    """

    name: str
    kind: Kind
    default: object
    doc: str
    minimum: object = None
    maximum: object = None
    unset: str = ""
    example: str = ""       # a value as a program would write it, for the docs: "65%"

    def show(self, value: object) -> str:
        """``value`` as a program writes it (`60%`, `4`, `30 days`, `yes`)."""
        return self.kind.show(value)

    @property
    def sample(self) -> str:
        """A value to show in an example: ``example``, else the default, else the kind's."""
        if self.example:
            return self.example
        return self.show(self.default) if self.default is not None else self.kind.example

    @property
    def default_text(self) -> str:
        """The default, for docs and the brief: a value, or what the policy does unset."""
        return self.show(self.default) if self.default is not None else f"not set ({self.unset})"

    def out_of_range(self, value: object) -> str | None:
        """Why ``value`` is outside ``minimum``..``maximum`` ("at least 1"), or None."""
        size = self.kind.size
        if size is None:
            return None
        if self.minimum is not None and size(value) < size(self.minimum):
            return f"at least {self.show(self.minimum)}"
        if self.maximum is not None and size(value) > size(self.maximum):
            return f"at most {self.show(self.maximum)}"
        return None

    @property
    def bounds(self) -> str:
        """The allowed range in words ("1 or more", "0% to 50%"), or ''."""
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            return f"{self.show(low)} to {self.show(high)}"
        if low is not None:
            return f"{self.show(low)} or more"
        return f"up to {self.show(high)}" if high is not None else ""


@node
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


@node(frozen=False)
class PolicyContext:
    """What a check may use besides the program: today's date, a quoter, earlier results, and
    the parameters of the policy being run (``param``)."""

    program: m.Program
    today: _dt.date
    results: dict[str, list[Finding]] = field(default_factory=dict)
    settings: dict[str, m.PolicySetting] = field(default_factory=dict)  # by policy code
    policy: Policy | None = None         # the policy being run (set by the runner)
    _quoter: object = None

    @property
    def quoter(self):
        """A `charter.economics.Quoter` for the program (built on first use)."""
        if self._quoter is None:
            from charter.economics import Quoter

            self._quoter = Quoter(self.program)
        return self._quoter

    def param(self, name: str) -> object:
        """The running policy's parameter ``name``: as the program set it, else the default.

        Raises KeyError for a name the policy does not declare (a bug in the policy)."""
        assert self.policy is not None, "ctx.param is for a policy's check"
        declared = self.policy.param(name)
        setting = self.settings.get(self.policy.code)
        return dict(setting.params).get(name, declared.default) if setting else declared.default

    def param_span(self, name: str) -> Span | None:
        """Where the program sets the running policy's parameter ``name`` (None: the default)."""
        setting = self.settings.get(self.policy.code) if self.policy else None
        return setting.param_spans.get(name) if setting else None


@node
class Policy:
    """A program invariant with a stable code, documentation, parameters and a check."""

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
    params: tuple[Param, ...] = ()  # what a program may set besides `severity`

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code this policy's findings can carry."""
        return (self.code,) + self.emits

    def param(self, name: str) -> Param:
        """The declared parameter ``name`` (KeyError if there is none)."""
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(f"{self.code} {self.name} declares no parameter `{name}`")

    def in_effect(self, setting: m.PolicySetting | None) -> tuple[tuple[Param, object, bool], ...]:
        """Each parameter with the value in effect and whether the program set it."""
        written = dict(setting.params) if setting else {}
        return tuple((p, written.get(p.name, p.default), p.name in written) for p in self.params)
