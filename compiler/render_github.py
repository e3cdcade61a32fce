"""GitHub Actions workflow commands: `charter check --format github`.

One line per diagnostic, which the runner turns into an annotation on the file and line::

    ::error file=vad.charter,line=7,col=53,endLine=7,endColumn=63,title=CH-E109::unknown tier…

Errors are ``::error``, warnings ``::warning``, notes (waived findings, ship-gate status)
``::notice``. Program text reaches a CI log here, so every piece goes through
`charter.render.printable` first; then the command's own escaping (GitHub's rules: ``%``, CR
and LF in the message; also ``:`` and ``,`` in a property) keeps one diagnostic one command.
"""
from __future__ import annotations

from typing import Iterable

from charter.diagnostics import Diagnostic, Severity
from charter.render import printable

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF escaped (``%`` first, so nothing is escaped twice)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as a message, and ``:`` and ``,`` too (they separate properties)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Iterable[Diagnostic]) -> str:
    """One workflow command per diagnostic, each on its own line (empty when there are none)."""
    return "".join(command(d) + "\n" for d in diagnostics)


def command(d: Diagnostic) -> str:
    """The workflow command of one diagnostic; its notes and help follow the message on lines
    of their own (an escaped LF shows as a line break in the annotation)."""
    properties = []
    if d.span is not None:
        span = d.span
        properties += [("file", span.file), ("line", span.line), ("col", span.column),
                       ("endLine", span.end_line), ("endColumn", span.end_column)]
    properties.append(("title", d.code))
    head = ",".join(f"{key}={escape_property(printable(str(value)))}"
                    for key, value in properties)
    lines = [d.message, *(f"note: {n}" for n in d.notes), *(f"help: {h}" for h in d.help)]
    message = "\n".join(printable(line) for line in lines)
    return f"::{_COMMANDS[d.severity]} {head}::{escape_data(message)}"
