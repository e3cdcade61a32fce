"""Escaping program text for the documents: Markdown text and table cells, Mermaid labels.

Names, titles and doc strings come from the program, so a document treats them as hostile:
none of them may open an HTML tag, end a table cell, start a code span, close a fenced block
or end a Mermaid label. HTML output is escaped by jinja2's autoescape; these helpers cover
the Markdown and Mermaid that autoescape knows nothing about. Every helper first applies
`clean`, so control characters never reach any output.
"""
from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides and isolates reorder what a reader sees (a "Trojan Source" name):
# they go with the C0/C1 controls. Other format characters (the zero-width joiner inside
# emoji, soft hyphens) are harmless and kept.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Blanks, the line and paragraph separators included (a viewer may break a line at them).
_SPACE = re.compile(r"[ \t\r\n\f\v\u2028\u2029]+")
# Markdown punctuation that can start inline markup anywhere in a line.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
# Markup that only matters at the start of a block: headings, quotes, lists, rules.
_MD_BLOCK_START = re.compile(r"^(#{1,6}(?=\s|$)|>|[-+=]+(?=\s|$)|\d{1,9}(?=[.)]\s|[.)]$))")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# What a Mermaid label keeps as it is; everything else becomes a `#NNN;` entity code.
_MERMAID_SAFE = re.compile(r"[A-Za-z0-9 .,:/+%()'=\u00a0-\U0010ffff-]")


def strip_controls(text: str) -> str:
    """``text`` without control characters (tab and line breaks kept) and bidirectional
    overrides: what no document shows."""
    return "".join(ch for ch in text
                   if ch not in _BIDI and (unicodedata.category(ch) != "Cc" or ch in "\t\n\r"))


def clean(text: object) -> str:
    """``text`` with control and bidirectional-override characters removed and whitespace
    (newlines included) collapsed to single spaces: one line of plain text (None: empty)."""
    if text is None:
        return ""
    return _SPACE.sub(" ", strip_controls(str(text))).strip()


def paragraphs(text: object) -> list[str]:
    """A doc string's paragraphs (split at blank lines), each `clean`ed to one line."""
    if text is None:
        return []
    parts = re.split(r"\n[ \t]*\n", str(text).replace("\r\n", "\n"))
    return [p for p in (clean(part) for part in parts) if p]


def md(text: object) -> str:
    """``text`` as Markdown inline text that renders literally: no HTML, no code spans,
    emphasis, links, headings or lists can come from it."""
    out = _MD_INLINE.sub(r"\\\1", clean(text))
    out = _ENTITY.sub("&amp;", out)
    return _MD_BLOCK_START.sub(lambda m: _escape_block(m.group(0)), out, count=1)


def _escape_block(marker: str) -> str:
    """Neutralise a block marker at the start of a line (`# `, `- `, `---`, `1. `, `>`)."""
    if marker[0].isdigit():
        return marker + "\\"          # `1\. ` is not a list item; the dot follows
    return "\\" + marker


def md_cell(text: object) -> str:
    """``text`` for a Markdown table cell: `md`, and it cannot end the cell (`|` escaped,
    newlines already gone). An empty cell shows a dash."""
    return md(text) or "—"


def mermaid_label(text: object) -> str:
    """``text`` for a quoted Mermaid label (`id["..."]`, `-- "..." -->`): every character
    that could end the label, start markup or an arrow (`"`, brackets, `<`, `>`, `#`, `;`,
    backticks, `|`, `&`) is spelt as Mermaid's `#NNN;` entity code."""
    return "".join(ch if _MERMAID_SAFE.fullmatch(ch) else f"#{ord(ch)};" for ch in clean(text))


def md_fence_safe(block: str) -> str:
    """A block of generated text for a fenced code block: no line may close the fence."""
    return "\n".join(("\u200b" + line) if line.lstrip().startswith("```") else line
                     for line in block.split("\n"))
