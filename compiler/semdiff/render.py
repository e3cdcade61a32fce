"""A diff as a pull-request comment (Markdown), JSON, text, or GitHub annotations.

Program text is hostile everywhere: Markdown goes through `charter.targets.escape` (`md`,
`md_cell`), text through `charter.render.printable`, workflow commands through both
`printable` and the command escaping of `charter.render_github`.
"""
from __future__ import annotations

import json
import re

from charter.render import INVISIBLE, printable
from charter.semdiff import rules
from charter.semdiff.report import Change, DiffResult, ProgramDiff
from charter.targets.escape import md, md_cell

MARKER = "<!-- charter-diff -->"   # CI finds (and updates) its one comment by this
SHOWN_IMPACTS = 1                  # impacts in a table cell; the rest are in the details
# What JSON leaves as it is but a terminal would act on or not show (DEL, C1, bidi controls,
# invisible characters: `charter.render.INVISIBLE`; C0 is escaped by json itself): spelt as
# JSON escapes, so the output stays valid and inert.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{INVISIBLE}]")


def _words(result: DiffResult, change: Change):
    return next(p.words for p in result.programs if p.program == change.program)


# ---- JSON --------------------------------------------------------------------------------

def render_json(result: DiffResult) -> str:
    """`{"changes": [...], ...}` (docs/diff.md), 2-space indented, with a trailing newline."""
    out = {
        "view": result.view, "summary": result.counts(),
        "changes": [c.to_json(_words(result, c)) for c in result.changes()],
        "programs": {"added": _named(result, added=True),
                     "removed": _named(result, added=False)},
        "retroactive": [{"program": p.program, "reason": p.retroactive}
                        for p in result.programs if p.retroactive and p.changes],
        "failing_policies": [{"program": p.program, **f.to_json(), "introduced": new}
                             for p in result.programs for f, new in p.failing]}
    text = json.dumps(out, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def _named(result: DiffResult, added: bool) -> list[dict]:
    return [{"program": p.program, "file": (p.new or p.old).display}
            for p in result.programs
            if (p.old is None if added else p.new is None)]


# ---- Markdown ----------------------------------------------------------------------------

def render_markdown(result: DiffResult) -> str:
    """A pull-request comment: the marker, one line of counts, the risky changes in a table,
    every change with its money impact in a collapsed `<details>`."""
    view = " (partner view)" if result.view == "partner" else ""
    lines = [MARKER, f"**charter diff{view}:** {result.summary()}", ""]
    lines += _notes_md(result)
    table = [c for c in result.changes() if c.klass != rules.EDITORIAL]
    if table:
        lines += ["| class | check | program | subject | change | money impact |",
                  "|---|---|---|---|---|---|"]
        lines += [_row(result, c) for c in table]
        lines.append("")
    changed = [p for p in result.programs if p.changes]
    if changed:
        count = sum(len(p.changes) for p in changed)
        lines += ["<details>", f"<summary>Details: {count} change{'s' * (count != 1)}"
                  "</summary>", ""]
        for program in changed:
            lines += _details_md(result, program)
        lines += ["</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _notes_md(result: DiffResult) -> list[str]:
    lines = []
    for p in result.programs:
        if p.retroactive and any(c.retroactive for c in p.changes):
            lines.append(f"> **Retroactive** ({md(p.program)}): {md(p.retroactive)}.")
            lines.append("")
    for p in result.programs:
        if p.failing:
            shown = ", ".join(f"{md(f.code)} {md(f.title)} ×{f.count}"
                              + (" (new)" if new else "") for f, new in p.failing)
            lines += [f"**Failing checks** in the new {md(p.program)}: {shown}", ""]
    return lines


def _row(result: DiffResult, c: Change) -> str:
    words = _words(result, c)
    shown = [i.text(words) for i in c.impact[:SHOWN_IMPACTS]]
    more = len(c.impact) - SHOWN_IMPACTS
    impact = "; ".join(md_cell(s) for s in shown) + (f" (+{more} more)" if more > 0 else "")
    flag = " ⚠ retroactive" if c.retroactive else ""
    classes = " + ".join(c.classes)
    return (f"| {classes}{flag} | `{c.check}` | {md_cell(c.program)} | {md_cell(c.subject)}"
            f" | {md_cell(_old_new(c))} | {impact or '—'} |")


def _old_new(c: Change) -> str:
    return f"{c.old or '—'} → {c.new or '—'}"


def _details_md(result: DiffResult, program: ProgramDiff) -> list[str]:
    files = " → ".join(md(s.display) for s in (program.old, program.new) if s is not None)
    lines = [f"#### {md(program.program)} ({files})", ""]
    words = program.words
    for c in sorted(program.changes, key=lambda c: rules.CLASSES.index(c.klass)):
        where = f", {md(c.file)}:{c.line}" if c.file else ""
        flag = " — **retroactive**" if c.retroactive else ""
        lines.append(f"- **{' + '.join(c.classes)}** `{c.check}` — {md(c.subject)}:"
                     f" {md(c.message)} ({md(c.path)}{where}){flag}")
        lines += [f"  - {md(i.text(words))}" for i in c.impact]
    lines.append("")
    return lines


# ---- text --------------------------------------------------------------------------------

def render_text(result: DiffResult) -> str:
    """Plain lines for a terminal (program text neutralised by `printable`)."""
    lines = [f"charter diff: {result.summary()}"]
    for p in result.programs:
        if p.retroactive and any(c.retroactive for c in p.changes):
            lines.append(printable(f"retroactive ({p.program}): {p.retroactive}"))
        for f, new in p.failing:
            lines.append(printable(f"failing check in the new {p.program}: {f.code}"
                                   f" {f.title} ×{f.count}" + (" (new)" if new else "")))
    for c in result.changes():
        words = _words(result, c)
        where = f" [{c.file}:{c.line}]" if c.file else ""
        flag = " (retroactive)" if c.retroactive else ""
        lines.append(printable(f"{' + '.join(c.classes)}  {c.check}  {c.program}:"
                               f" {c.subject}: {c.message}{where}{flag}"))
        lines += [printable(f"    {i.text(words)}") for i in c.impact]
    return "\n".join(lines) + "\n"


# ---- GitHub workflow commands ------------------------------------------------------------

def render_github(result: DiffResult) -> str:
    """One annotation per change at its line in the new file: `::warning` for risky
    changes, `::notice` for the others."""
    from charter.render_github import escape_data, escape_property

    out = []
    for c in result.changes():
        level = "warning" if set(c.classes) & rules.RISKY else "notice"
        props = ([("file", c.file), ("line", c.line)] if c.file else []) + \
            [("title", f"charter diff: {c.check} ({' + '.join(c.classes)})")]
        head = ",".join(f"{k}={escape_property(printable(str(v)))}" for k, v in props)
        words = _words(result, c)
        body = [f"{c.subject}: {c.message}" + (" (retroactive)" if c.retroactive else "")]
        body += [i.text(words) for i in c.impact]
        message = "\n".join(printable(line) for line in body)
        out.append(f"::{level} {head}::{escape_data(message)}\n")
    return "".join(out)


RENDERERS = {"markdown": render_markdown, "json": render_json, "text": render_text,
             "github": render_github}
