"""Rendering diagnostics: compiler-style text and machine-readable JSON.

Rendering is separate from the `Diagnostic` model; renderers need the sources only to show
the offending line.
"""
from __future__ import annotations

import json
import re
from typing import Iterable, Mapping

from charter.diagnostics import Diagnostic, Severity
from charter.source import SourceFile, Span


# What a person cannot see for what it is: besides C0 and C1 (`_UNSAFE`), the bidi controls
# that reorder what is shown (embeddings, overrides, isolates, the marks U+200E/U+200F and
# U+061C), characters that show nothing (zero-width space and joiners, word joiner and the
# invisible operators, U+180E, U+FEFF) and the line and paragraph separators U+2028/U+2029,
# which some terminals and editors break lines at. JSON output escapes these too
# (`charter.semdiff.render`).
INVISIBLE = ("\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064"
             "\u2066-\u2069\ufeff")
# What a terminal would act on rather than show: C0 controls (tab apart, which snippets turn
# into a space), DEL, C1 (U+009B is a one-character CSI), and the invisible characters above.
_UNSAFE = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{INVISIBLE}]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` safe to print for a person: every control character a terminal would act on
    (escape sequences, C1, bidi controls; newlines too) and every invisible one (zero-width,
    line separators) shown escaped, e.g. ``\\x1b``, ``\\u202e``, ``\\u200b``.
    Every renderer of program or request text for a terminal goes through this function."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def render_text(diagnostics: Iterable[Diagnostic], sources: Mapping[str, SourceFile],
                color: bool = False) -> str:
    """`file:line:col: error[CODE]: message`, the source line, an underline, notes and help."""
    blocks = [_render_one(d, sources, color) for d in diagnostics]
    return "\n".join(blocks)


def _render_one(d: Diagnostic, sources: Mapping[str, SourceFile], color: bool) -> str:
    where = printable(f"{d.span.file}:{d.span.line}:{d.span.column}: ") if d.span else ""
    head = (f"{where}{_paint(d.severity.value, d.severity, color)}[{printable(d.code)}]: "
            f"{printable(d.message)}")
    lines = [head]
    if d.span is not None and d.span.file in sources:
        lines += _snippet(d.span, d.label, sources[d.span.file], "^")
    for label in d.labels:
        if label.span.file in sources:
            lines.append(printable(
                f"  --> {label.span.file}:{label.span.line}:{label.span.column}"))
            lines += _snippet(label.span, label.message, sources[label.span.file], "-")
    lines += [printable(f"  = note: {n}") for n in d.notes]
    lines += [printable(f"  = help: {h}") for h in d.help]
    return "\n".join(lines) + "\n"


def _snippet(span: Span, message: str, source: SourceFile, mark: str) -> list[str]:
    """The line, and under it the span marked; escaped characters are wider than one column,
    so the marks are measured on the escaped text and still point at the span's text."""
    raw = source.line_text(span.line).replace("\t", " ")
    gutter = str(span.line)
    pad = " " * len(gutter)
    start = span.column - 1
    end = (span.end_column if span.end_line == span.line else len(raw) + 1) - 1
    before, inside = raw[:start], raw[start:end]
    indent = start + len(printable(before)) - len(before)
    width = max(1, end - start + len(printable(inside)) - len(inside))
    underline = " " * indent + mark * width
    return [f"{pad} |", f"{gutter} | {printable(raw)}",
            f"{pad} | {underline} {printable(message or '')}".rstrip()]


def _paint(text: str, severity: Severity, color: bool) -> str:
    if not color:
        return text
    code = {"error": "31", "warning": "33", "note": "36"}[severity.value]
    return f"\x1b[1;{code}m{text}\x1b[0m"


def to_dict(d: Diagnostic) -> dict:
    """The JSON shape of one diagnostic (stable; documented in docs/language.md)."""
    span = d.span
    return {
        "code": d.code, "severity": d.severity.value, "message": d.message,
        "file": span.file if span else None, "line": span.line if span else None,
        "column": span.column if span else None, "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None, "label": d.label,
        "labels": [{"file": l.span.file, "line": l.span.line, "column": l.span.column,
                    "end_line": l.span.end_line, "end_column": l.span.end_column,
                    "message": l.message} for l in d.labels],
        "notes": list(d.notes), "hints": list(d.help),
    }


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    """`{"diagnostics": [...], "summary": {...}}` with sorted keys and a trailing newline."""
    items = [to_dict(d) for d in diagnostics]
    summary = {"errors": sum(i["severity"] == "error" for i in items),
               "warnings": sum(i["severity"] == "warning" for i in items),
               "notes": sum(i["severity"] == "note" for i in items)}
    return json.dumps({"diagnostics": items, "summary": summary}, indent=2,
                      ensure_ascii=False, sort_keys=True) + "\n"


def summary_line(diagnostics: list[Diagnostic], files: int) -> str:
    """`checked 4 files: 0 errors, 1 warning`."""
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in diagnostics)
    notes = sum(d.severity is Severity.NOTE for d in diagnostics)
    return (f"checked {files} file{'s' * (files != 1)}: {errors} error{'s' * (errors != 1)},"
            f" {warnings} warning{'s' * (warnings != 1)}"
            + (f" ({notes} note{'s' * (notes != 1)}: waived findings, ship-gate status)"
               if notes else ""))
