"""The syntax tree: one frozen node class per construct of the generic grammar, all with spans.

Both parsers build them through the makers below (`literal`, `string_node`, `doc_node`,
`items_of`): the fast reader (`charter.reader`) and lark's (`charter.lalr.SyntaxBuilder`).
Literals are read exactly (see `charter.literals`); a malformed one is reported and parsing
goes on.
"""
from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from dataclasses import replace
from typing import Callable, Iterator, Union

from charter.diagnostics import Reporter
from charter.literals import LiteralError, MoneyValue, parse_date, parse_money, parse_number, parse_percent
from charter.nodes import node
from charter.source import Span


@node
class Money:
    """A money literal: `Rp 2,4 Miliar`."""

    value: MoneyValue
    text: str
    span: Span


@node
class Percent:
    """A percentage literal, held as a fraction: `35%` is 0.35."""

    value: Decimal
    text: str
    span: Span


@node
class Number:
    """A plain number: `1_000`, `1,5`."""

    value: Decimal
    text: str
    span: Span


@node
class Date:
    """An ISO date: `2026-01-01`."""

    value: _dt.date
    span: Span


@node
class Str:
    """A string or doc string."""

    value: str
    span: Span


@node
class Name:
    """An identifier: a channel, tier, product, keyword-like value."""

    value: str
    span: Span


# §1.3: letters, digits and `_`, not starting with a digit. Some amounts are spelt that way
# too (`RM5`, `Rp250K`); where a name is meant, they are names (see `charter.lalr`'s lexer,
# `charter.reader` and `charter.names`).
NAME_SHAPED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@node
class Plus:
    """A trailing `+` ("year 2+", "$500K+")."""

    span: Span


@node
class Bad:
    """A literal that could not be read (already reported)."""

    text: str
    span: Span


@node
class Approx:
    """`~x`: a value that only has to match to the precision it is written with."""

    inner: "Value"
    span: Span


@node
class ListValue:
    """A bracketed list: `[a, b]`."""

    items: tuple["Value", ...]
    span: Span


@node
class Phrase:
    """Juxtaposed atoms read together: `Rp 200K per user per month`, `60 days`."""

    atoms: tuple["Value", ...]
    span: Span


@node
class Range:
    """`lo .. hi`; either end may be open (None)."""

    low: "Value | None"
    high: "Value | None"
    span: Span


@node
class Compare:
    """`left op right`, e.g. `revenue >= Rp 5 Miliar per year`."""

    left: "Value"
    op: str
    right: "Value"
    span: Span


@node
class AllOf:
    """`a and b`."""

    items: tuple["Value", ...]
    span: Span


@node
class AnyOf:
    """`a or b`."""

    items: tuple["Value", ...]
    span: Span


@node
class Arrow:
    """`a -> b -> c`: a route, a mapping or a consequence."""

    items: tuple["Value", ...]
    span: Span


Value = Union[Money, Percent, Number, Date, Str, Name, Plus, Bad, Approx, ListValue, Phrase,
              Range, Compare, AllOf, AnyOf, Arrow]


@node
class Attribute:
    """`key: value, value`."""

    key: str
    key_span: Span
    values: tuple[Value, ...]
    span: Span


@node
class Block:
    """`[internal] kind header... { doc? items }`."""

    kind: str
    kind_span: Span
    header: tuple[Value, ...]
    doc: Str | None
    items: tuple["Item", ...]
    internal: bool
    span: Span

    @property
    def name(self) -> str | None:
        """The first header word, which names most blocks."""
        first = self.header[0] if self.header else None
        return first.value if isinstance(first, (Name, Str)) else None

    def attributes(self) -> list[Attribute]:
        """The block's attributes, in order."""
        return [i for i in self.items if isinstance(i, Attribute)]

    def blocks(self) -> list["Block"]:
        """The block's nested blocks, in order."""
        return [i for i in self.items if isinstance(i, Block)]


Item = Union[Attribute, Block]


@node
class File:
    """One parsed source file."""

    path: str
    items: tuple[Item, ...]


# The fields of each node class that hold other nodes, declared once (walkers read this).
CHILDREN: dict[type, tuple[str, ...]] = {
    Block: ("header", "items"), Attribute: ("values",), Approx: ("inner",),
    ListValue: ("items",), Phrase: ("atoms",), Range: ("low", "high"),
    Compare: ("left", "right"), AllOf: ("items",), AnyOf: ("items",), Arrow: ("items",)}


def walk(nodes: tuple) -> Iterator[object]:
    """Every node in and under ``nodes`` (items or values), depth first, in source order."""
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        for name in reversed(CHILDREN.get(type(node), ())):
            child = getattr(node, name)
            if type(child) is tuple:
                stack.extend(reversed(child))
            elif child is not None:
                stack.append(child)


def rewrite(nodes: tuple, change: Callable[[object], object | None]) -> tuple:
    """``nodes`` with every node that ``change`` maps to a node put in its place (``change``
    returns None to keep a node and look inside it). Untouched subtrees are shared."""
    return tuple(_rewritten(node, change) for node in nodes)


def _rewritten(node: object, change: Callable[[object], object | None]) -> object:
    new = change(node)
    if new is not None:
        return new
    updates = {}
    for name in CHILDREN.get(type(node), ()):
        child = getattr(node, name)
        if type(child) is tuple:
            new = rewrite(child, change)
            if any(a is not b for a, b in zip(new, child)):
                updates[name] = new
        elif child is not None and (new := _rewritten(child, change)) is not child:
            updates[name] = new
    return replace(node, **updates) if updates else node  # type: ignore[type-var]


def span_of(node: object) -> Span:
    """The span of a node or token-derived value."""
    return node.span  # type: ignore[attr-defined]


def render_value(value: Value) -> str:
    """Source-like text of a value, for messages."""
    if isinstance(value, (Money, Percent, Number)):
        return value.text
    if isinstance(value, Date):
        return value.value.isoformat()
    if isinstance(value, Str):
        return f'"{value.value}"'
    if isinstance(value, Name):
        return value.value
    if isinstance(value, Plus):
        return "+"
    if isinstance(value, Bad):
        return value.text
    if isinstance(value, Approx):
        return "~" + render_value(value.inner)
    if isinstance(value, ListValue):
        return "[" + ", ".join(render_value(v) for v in value.items) + "]"
    if isinstance(value, Phrase):
        return " ".join(render_value(v) for v in value.atoms).replace(" +", "+")
    return _render_compound(value)


def _render_compound(value: Value) -> str:
    if isinstance(value, Range):
        low = render_value(value.low) + " " if value.low is not None else ""
        high = " " + render_value(value.high) if value.high is not None else ""
        return f"{low}..{high}"
    if isinstance(value, Compare):
        return f"{render_value(value.left)} {value.op} {render_value(value.right)}"
    joiner = {AllOf: " and ", AnyOf: " or ", Arrow: " -> "}[type(value)]
    return joiner.join(render_value(v) for v in value.items)  # type: ignore[attr-defined]


_READERS = {"money": (parse_money, Money), "percent": (parse_percent, Percent),
            "number": (parse_number, Number), "date": (parse_date, lambda v, _t, s: Date(v, s))}


def literal(kind: str, text: str, span: Span, reporter: Reporter) -> Value:
    """The node of a ``kind`` literal (money, percent, number, date) written ``text``; a
    malformed one is reported and read as `Bad`, so parsing goes on."""
    read, make = _READERS[kind]
    try:
        return make(read(text), text, span)
    except LiteralError as err:
        if kind == "money" and NAME_SHAPED.fullmatch(text):
            # `RM5M`, `USD5M`: no amount, but a name (§1.3); where an amount is expected,
            # the amount's own error is reported then (`charter.values.Reader.wrong`)
            return Name(text, span)
        reporter.error(err.code, err.message, span, label=err.label,
                       help=err.help + _as_route(kind, text))
        return Bad(text, span)


def _as_route(kind: str, text: str) -> tuple[str, ...]:
    """Help for `RM5 M` meant as channel RM5, tier M: an amount is read before names are
    known, and `M` is a scale word (docs/language.md §1.3)."""
    head, _, tail = text.partition(" ")
    if kind != "money" or head.isalpha() or not (NAME_SHAPED.fullmatch(head)
                                                  and NAME_SHAPED.fullmatch(tail)):
        return ()
    return (f"if `{head}` is a channel and `{tail}` its tier, rename the tier: `{head} {tail}`"
            " is read as an amount",)


def string_node(text: str, span: Span) -> Str:
    """The node of a string written ``text`` (with its quotes)."""
    return Str(_unquote(text, 1), span)


def doc_node(text: str, span: Span) -> Str:
    """The node of a doc string written ``text`` (with its triple quotes), dedented."""
    return Str(_dedent(_unquote(text, 3)), span)


def items_of(children) -> tuple:
    """The attributes and blocks among ``children``, as a tuple."""
    # Blocks of kind "_" stand in for lines the parser neutralised after a syntax error.
    return tuple(c for c in children if isinstance(c, Attribute)
                 or isinstance(c, Block) and c.kind != "_")


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str, quotes: int) -> str:
    body = text[quotes:-quotes]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), body, flags=re.S)


def _dedent(text: str) -> str:
    import textwrap
    # "\n" only: `splitlines` also breaks at U+2028, U+0085 or a form feed, which the text
    # keeps as they are (the source's line ends are already "\n": charter.source)
    lines = text.strip("\n").split("\n")
    if not lines:
        return ""
    first, rest = lines[0].strip(), textwrap.dedent("\n".join(lines[1:]))
    return (first + ("\n" + rest if rest else "")).strip()
