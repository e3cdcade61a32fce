"""A document as data (sections of paragraphs, tables, lists, figures), and its rendering.

The guide and the brief build a `Doc` in Python; jinja2 templates in `templates/` lay it out
as Markdown or as one self-contained HTML file. Templates run in a sandboxed environment with
`StrictUndefined`. Escaping is on by default in both formats: HTML through autoescape, and
Markdown through a `finalize` hook that escapes every expression's value (`escape.md`)
unless a filter marked it as already-safe Markdown (`MdSafe`): a template cannot forget to
escape program text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Union


from charter.targets import diagram
from charter.targets.escape import clean, md, md_fence_safe, strip_controls


@dataclass(frozen=True)
class Para:
    """A paragraph of plain text."""

    text: str
    kind: str = "p"


@dataclass(frozen=True)
class Note:
    """A paragraph set apart: a rule that matters, a caveat."""

    text: str
    kind: str = "note"


@dataclass(frozen=True)
class Table:
    """A table: column heads and rows of plain-text cells; ``row_heads``: the first cell of
    each row names it."""

    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    row_heads: bool = True
    kind: str = "table"


@dataclass(frozen=True)
class Items:
    """A list; each item an optional term and its text."""

    items: tuple[tuple[str, str], ...]
    ordered: bool = False
    kind: str = "list"


@dataclass(frozen=True)
class Figure:
    """A diagram (Mermaid in Markdown, inline SVG in HTML) and its caption."""

    graph: diagram.Graph
    caption: str
    kind: str = "figure"


Block = Union[Para, Note, Table, Items, Figure]
EMPTY = "—"


def table(head: tuple[str, ...], rows: list[tuple[str, ...]] | tuple, caption: str = "",
          row_heads: bool = True) -> Table:
    """A `Table` without the columns (after the first) that are empty in every row."""
    keep = [0] + [i for i in range(1, len(head)) if any(r[i] != EMPTY for r in rows)]
    return Table(tuple(head[i] for i in keep), tuple(tuple(r[i] for i in keep) for r in rows),
                 caption, row_heads)


@dataclass(frozen=True)
class Section:
    """A titled section: blocks, then subsections."""

    id: str
    title: str
    blocks: tuple[Block, ...] = ()
    sections: tuple["Section", ...] = ()


@dataclass(frozen=True)
class Doc:
    """A whole document."""

    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]          # version, effective date, currency, ...
    sections: tuple[Section, ...]
    audience: str                               # printed under the title
    footer: str = ""
    contents: bool = True                       # print a table of contents
    notes: tuple[str, ...] = field(default=())  # lines under the facts


class MdSafe(str):
    """Markdown a filter produced (escaped already): `finalize` leaves it as it is."""


def _md_finalize(value: object) -> str:
    if isinstance(value, MdSafe):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return md(value)


def _html_finalize(value: object) -> object:
    """Before autoescape: no control character reaches the HTML (markup is built from
    cleaned text already)."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return strip_controls(value)
    return value


def _md_mermaid(graph: diagram.Graph) -> MdSafe:
    return MdSafe(md_fence_safe(diagram.to_mermaid(graph)))


def _md_rendered(text: str) -> MdSafe:
    """A macro's output: Markdown this template wrote, its values escaped inside it."""
    return MdSafe(text)


def _md_heading(level: int) -> MdSafe:
    return MdSafe("#" * level)


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens."""
    low = clean(text).lower()
    return re.sub(r"[^\w\- ]", "", low).replace(" ", "-")


def _md_slug(text: str) -> MdSafe:
    return MdSafe(slug(text))


@lru_cache(maxsize=None)
def environment(kind: str):
    """The sandboxed environment for ``kind`` (`md` or `html`), templates from the package."""
    from jinja2 import PackageLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    html = kind == "html"
    env = SandboxedEnvironment(
        loader=PackageLoader("charter.targets", "templates"), autoescape=html,
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, finalize=_html_finalize if html else _md_finalize)
    env.filters.update({"mermaid": diagram.to_mermaid if html else _md_mermaid,
                        "svg": diagram.to_svg, "slug": slug if html else _md_slug,
                        "heading": _md_heading, "rendered": _md_rendered})
    return env


def render(doc: Doc, template: str) -> bytes:
    """``doc`` through ``template`` (`document.md.j2`, `document.html.j2`), as UTF-8 bytes
    with one trailing newline."""
    kind = "html" if template.endswith(".html.j2") else "md"
    text = environment(kind).get_template(template).render(doc=doc)
    return (re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n").encode("utf-8")
