"""The one diagnostic type every stage reports through.

A `Diagnostic` is plain data: rendering lives in `charter.render`. Codes are registered, with
their documentation, in `charter.codes`.
"""
from __future__ import annotations

import enum
from dataclasses import field, replace
from typing import Iterable, Iterator

from charter.nodes import node
from charter.source import Span


class Severity(str, enum.Enum):
    """How bad a finding is; ``error`` fails the check."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@node
class Label:
    """A secondary span with a short message ("first defined here")."""

    span: Span
    message: str


@node
class Suppression:
    """Why a finding does not count: the waiver in the program that accepted it, on record.

    Renderers that speak a suppression format (SARIF) show the finding as suppressed with the
    waiver's reason; text and JSON show the note the runner wrote.
    """

    waiver: str
    justification: str
    owner: str
    expires: str | None    # ISO date, or None for a waiver without an end
    span: Span | None      # where the waiver is written


@node
class Diagnostic:
    """A finding: stable code, severity, one-line message, primary span and help."""

    code: str
    severity: Severity
    message: str
    span: Span | None
    label: str = ""
    labels: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: tuple[str, ...] = ()
    suppression: Suppression | None = None  # set on a finding a waiver accepted

    def with_severity(self, severity: Severity) -> "Diagnostic":
        """Return a copy at another severity (``--strict``, policy overrides)."""
        return replace(self, severity=severity)

    def sort_key(self) -> tuple:
        """Order by file, position, then code, so output is deterministic."""
        if self.span is None:
            return ("", 0, 0, self.code, self.message)
        return (self.span.file, self.span.start, self.span.end, self.code, self.message)


@node(frozen=False)
class Reporter:
    """Collects diagnostics from every stage so one run reports all independent errors."""

    items: list[Diagnostic] = field(default_factory=list)

    def report(self, diagnostic: Diagnostic) -> None:
        """Record one diagnostic."""
        self.items.append(diagnostic)

    def error(self, code: str, message: str, span: Span | None, *, label: str = "",
              labels: Iterable[Label] = (), notes: Iterable[str] = (),
              help: Iterable[str] = ()) -> None:
        """Record an error."""
        self.report(Diagnostic(code, Severity.ERROR, message, span, label, tuple(labels),
                               tuple(notes), tuple(help)))

    def warning(self, code: str, message: str, span: Span | None, *, label: str = "",
                labels: Iterable[Label] = (), notes: Iterable[str] = (),
                help: Iterable[str] = ()) -> None:
        """Record a warning."""
        self.report(Diagnostic(code, Severity.WARNING, message, span, label, tuple(labels),
                               tuple(notes), tuple(help)))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Record several diagnostics."""
        self.items.extend(diagnostics)

    @property
    def has_errors(self) -> bool:
        """True when at least one error was reported."""
        return any(d.severity is Severity.ERROR for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        """All diagnostics, deduplicated, in source order."""
        return sorted(set(self.items), key=Diagnostic.sort_key)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())
