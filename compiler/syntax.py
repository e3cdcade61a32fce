"""The syntax tree: one frozen node class per construct of the generic grammar, all with spans.

`SyntaxBuilder` (a lark Transformer) turns lark's parse tree into these nodes, reading every
literal exactly (see `charter.literals`) and reporting malformed ones without stopping.
"""
from __future__ import annotations

import datetime as _dt
import re
from contextlib import contextmanager
from decimal import Decimal
from typing import Iterator, Union

from lark import Token, Transformer

from charter.diagnostics import Reporter
from charter.literals import LiteralError, MoneyValue, parse_date, parse_money, parse_number, parse_percent
from charter.nodes import node
from charter.source import SourceFile, Span


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


class SyntaxBuilder(Transformer):
    """Builds syntax nodes as the parser reduces each rule (lark's embedded transformer: no
    parse tree is built and walked again); literal errors go to the reporter.

    One builder is embedded in the one parser (`charter.parser.grammar`), so it is bound to
    the file being parsed for the length of a parse (`bound`).
    """

    def __init__(self) -> None:
        super().__init__()
        self.source: SourceFile = SourceFile("<unbound>", "")
        self.reporter: Reporter = Reporter()

    @contextmanager
    def bound(self, source: SourceFile, reporter: Reporter) -> Iterator[None]:
        """Build nodes of ``source`` and report to ``reporter`` until the block ends."""
        previous = self.source, self.reporter
        self.source, self.reporter = source, reporter
        try:
            yield
        finally:
            self.source, self.reporter = previous

    def _span(self, token: Token) -> Span:
        # Line/column, not offsets: recovery may have rewritten other lines of the text.
        return self.source.span_at(token.line, token.column, token.end_line, token.end_column)

    def _literal(self, token: Token, read, make):
        span = self._span(token)
        try:
            return make(read(str(token)), str(token), span)
        except LiteralError as err:
            self.reporter.error(err.code, err.message, span, label=err.label, help=err.help)
            return Bad(str(token), span)

    def money(self, children):
        return self._literal(children[0], parse_money, Money)

    def percent(self, children):
        return self._literal(children[0], parse_percent, Percent)

    def number(self, children):
        return self._literal(children[0], parse_number, Number)

    def date(self, children):
        return self._literal(children[0], parse_date, lambda v, _t, s: Date(v, s))

    def string(self, children):
        return Str(_unquote(str(children[0]), 1), self._span(children[0]))

    def name(self, children):
        return Name(str(children[0]), self._span(children[0]))

    def plus(self, children):
        return Plus(self._span(children[0]))

    def approx(self, children):
        return Approx(children[1], self._span(children[0]).to(span_of(children[1])))

    def group(self, children):
        return children[0]

    def list(self, children):
        items = tuple(c for c in children if c is not None and not isinstance(c, Token))
        span = self._span_between(children)
        return ListValue(items, span)

    def _span_between(self, children) -> Span:
        nodes = [c for c in children if c is not None]
        first, last = nodes[0], nodes[-1]
        start = self._span(first) if isinstance(first, Token) else span_of(first)
        end = self._span(last) if isinstance(last, Token) else span_of(last)
        return start.to(end)

    def phrase(self, children):
        if len(children) == 1:
            return children[0]
        return Phrase(tuple(children), span_of(children[0]).to(span_of(children[-1])))

    def range(self, children):
        low, high = children[0], (children[2] if len(children) > 2 else None)
        end = span_of(high) if high is not None else self._span(children[1])
        return Range(low, high, span_of(low).to(end))

    def range_to(self, children):
        return Range(None, children[1], self._span(children[0]).to(span_of(children[1])))

    def compare(self, children):
        if len(children) == 1:
            return children[0]
        left, op, right = children
        return Compare(left, str(op), right, span_of(left).to(span_of(right)))

    def _nary(self, cls, children):
        items = tuple(c for c in children if not isinstance(c, Token))
        if len(items) == 1:
            return items[0]
        return cls(items, span_of(items[0]).to(span_of(items[-1])))

    def all_of(self, children):
        return self._nary(AllOf, children)

    def any_of(self, children):
        return self._nary(AnyOf, children)

    def arrow(self, children):
        return self._nary(Arrow, children)

    def values(self, children):
        return tuple(children)

    def header(self, children):
        token = children[0]
        if token.type == "STRING":
            return Str(_unquote(str(token), 1), self._span(token))
        if token.type == "NUMBER":
            return self._literal(token, parse_number, Number)
        return Name(str(token), self._span(token))

    def doc(self, children):
        token = children[0]
        return _Doc(Str(_dedent(_unquote(str(token), 3)), self._span(token)))

    def attribute(self, children):
        key, values = children[0], children[1]
        key_span = self._span(key)
        return Attribute(str(key), key_span, values, key_span.to(span_of(values[-1])))

    last_attribute = attribute

    def block(self, children):
        internal = isinstance(children[0], Token) and children[0].type == "INTERNAL"
        rest = children[1:-1] if internal else children[:-1]  # the last child is the `}`
        kind, rest = rest[0], rest[1:]
        header = tuple(c for c in rest if isinstance(c, (Name, Str, Number, Bad)))
        doc = next((c.node for c in rest if isinstance(c, _Doc)), None)
        span = self._span(children[0]).to(self._span(children[-1]))
        return Block(str(kind), self._span(kind), header, doc, _items(rest), internal, span)

    def start(self, children):
        return _items(children)


def _items(children) -> tuple:
    # Blocks of kind "_" stand in for lines the parser neutralised after a syntax error.
    return tuple(c for c in children if isinstance(c, Attribute)
                 or isinstance(c, Block) and c.kind != "_")


@node
class _Doc:
    node: Str


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
