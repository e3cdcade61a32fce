"""The fast reader: well-formed charter text → syntax items, without lark.

lark's LALR parser (`charter.lalr`) is the reference for the grammar in
``grammar/charter.lark`` and the only path that explains and repairs syntax errors. Most files
a check sees have none, and for them lark costs ≈ 10 µs a token (its lexer and parser loop
run in Python). This reader recognises the same language with one regular expression for the
tokens and a recursive descent that follows the grammar rule by rule, and builds the very same
nodes through the makers in `charter.syntax`.

It reads only what it is sure of: at the first token the grammar does not allow where it
stands, it declines (returns None) and the caller hands the text to lark, which then finds
and explains the error. So the reader can never accept a file lark rejects, or read one
differently, without a test noticing: `tests/test_reader.py` holds the two parsers to the
same items and diagnostics over every program in the repository, generated programs and
mutated ones.
"""
from __future__ import annotations

import re
from bisect import bisect_right

from charter.diagnostics import Reporter
from charter.source import SourceFile, Span
from charter.syntax import (AllOf, AnyOf, Approx, Arrow, Attribute, Block, Compare, Item,
                            ListValue, Name, Phrase, Plus, Range, Value, NAME_SHAPED, doc_node,
                            items_of, literal, string_node)

# The terminals of grammar/charter.lark in the order lark's basic lexer tries them (priority,
# then width): the first alternative that matches wins, as in lark's union of patterns.
_TERMINALS = (
    ("MONEY", r"(?:US\$|\$|€|£|S\$|A\$|₹|¥)[ ]?[0-9]+(?:[_.,][0-9]+)*(?:[ ]?(?:K|k|rb|ribu|jt|juta"
              r"|Mn|mn|million|Miliar|miliar|M|B|bn|billion|T|triliun|trillion)(?![A-Za-z0-9_]))?"
              r"|(?:Rp|IDR|USD|EUR|GBP|SGD|AUD|INR|MYR|RM|JPY)[ ]?[0-9]+(?:[_.,][0-9]+)*(?:[ ]?(?:K|k"
              r"|rb|ribu|jt|juta|Mn|mn|million|Miliar|miliar|M|B|bn|billion|T|triliun|trillion))?"
              r"(?![A-Za-z0-9_])"),
    ("PERCENT", r"[0-9]+(?:[_.,][0-9]+)*[ ]?%"),
    ("DATE", r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    ("DOC", r'"""(?:[^"\\]|\\.|"(?!""))*"""'),
    ("NUMBER", r"[0-9]+(?:[_.,][0-9]+)*"),
    ("STRING", r'"(?:[^"\\\n]|\\.)*"'),
    ("NAME", NAME_SHAPED.pattern),
    ("NL", r"(?:\r?\n[\t \f]*(?:#[^\n]*)?)+"),
    ("SKIP", r"#[^\n]*|\\[\t \f]*\r?\n"),   # comments and line continuations
    ("CMP", r"<=|>=|==|!=|<|>|≤|≥"),
    ("ARROW", r"->"),
    ("RANGE", r"\.\."),
    ("APPROX", r"~|≈"),
    ("P", r"[:{},;()\[\]+]"),                         # punctuation: the kind is the character
)
# Blanks are read with the token after them (half as many matches as tokens of their own).
_TOKEN = re.compile(r"[\t \f]*(?:" + "|".join(f"(?P<{name}>{pattern})"
                                              for name, pattern in _TERMINALS) + ")")
_KEYWORDS = {"and": "AND", "or": "OR", "internal": "INTERNAL"}
_LITERALS = {"MONEY": "money", "PERCENT": "percent", "NUMBER": "number", "DATE": "date"}
_ATOM_START = frozenset(("MONEY", "PERCENT", "NUMBER", "DATE", "STRING", "NAME", "+", "APPROX",
                         "[", "("))
_OPERATORS = frozenset(("RANGE", "CMP", "AND", "OR", "ARROW"))
_HEADER = frozenset(("NAME", "STRING", "ARROW", "NUMBER"))
_END = "END"


class _Decline(Exception):
    """The text is not certainly well-formed here: lark shall read it."""


def read(source: SourceFile, reporter: Reporter, max_depth: int = 1_000
         ) -> tuple[Item, ...] | None:
    """The items of a well-formed ``source``, or None when lark should read it instead.

    Literal errors (`35,,5%`) are reported to ``reporter`` only when the file is read here;
    when the reader declines, nothing has been reported. It also declines text nested deeper
    than ``max_depth`` (blocks, lists and groups, and a run of `~` on top of them, as
    `charter.parser`'s limit counts them).
    """
    tokens = _tokens(source.text + "\n")  # lark reads the text with a final new line too
    if tokens is None:
        return None
    attempt = Reporter()
    try:
        items = _Reader(source, attempt, *tokens, max_depth=max_depth).file()
    except (_Decline, IndexError, RecursionError):  # lark explains all three
        return None
    for diagnostic in attempt.items:
        reporter.report(diagnostic)
    return items


def _tokens(text: str) -> tuple[list[str], list[str], list[int], list[int]] | None:
    """Kinds, texts, start and end offsets of the tokens of ``text``; None at a character no
    terminal matches (lark then explains it)."""
    kinds: list[str] = []
    texts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    # Anchored matches, each where the last ended: at a character no terminal matches the
    # loop stops (`finditer` would search on from every later position, and a `"` there
    # tries a doc string to the end of the file: quadratic in a long file).
    for match in iter(_TOKEN.scanner(text).match, None):
        position = match.end()
        kind = match.lastgroup
        if kind == "SKIP":
            continue
        value = match.group(kind)  # type: ignore[arg-type]
        if kind == "P":
            kind = value
        elif kind == "NAME":
            kind = _KEYWORDS.get(value, "NAME")
        kinds.append(kind)  # type: ignore[arg-type]
        texts.append(value)
        starts.append(position - len(value))
        ends.append(position)
    if position != len(text):
        return None
    kinds.append(_END)
    return kinds, texts, starts, ends


class _Reader:
    """A recursive descent over the token arrays, one method per rule of the grammar."""

    def __init__(self, source: SourceFile, reporter: Reporter, kinds: list[str],
                 texts: list[str], starts: list[int], ends: list[int],
                 max_depth: int = 1_000) -> None:
        self.source, self.reporter = source, reporter
        self.kinds, self.texts, self.starts, self.ends = kinds, texts, starts, ends
        self.i = 0
        self.depth, self.max_depth = 0, max_depth
        self.path, self.lines = source.path, source.line_starts

    def span(self, i: int) -> Span:
        """The span of token ``i`` (only a doc string's can end on a later line)."""
        start, end, lines = self.starts[i], self.ends[i], self.lines
        line = bisect_right(lines, start)
        column = start - lines[line - 1] + 1
        if self.kinds[i] == "DOC":
            end_line = bisect_right(lines, end)
            return Span(self.path, start, end, line, column, end_line, end - lines[end_line - 1] + 1)
        return Span(self.path, start, end, line, column, line, column + end - start)

    def take(self, kind: str) -> int:
        """Consume a token of ``kind`` and return its index, or decline."""
        i = self.i
        if self.kinds[i] != kind:
            raise _Decline
        self.i = i + 1
        return i

    def deeper(self) -> None:
        """Enter a block, list or group: decline past ``max_depth`` levels."""
        self.depth += 1
        if self.depth > self.max_depth:
            raise _Decline

    def word(self, i: int) -> bool:
        """Whether token ``i`` can stand where only a name can (a block's kind or header, a
        key): a NAME, or an amount spelt like one (`USD2026`, `RM5`), which lark's lexer then
        makes a NAME (`charter.lalr.NamesFirstLexer`)."""
        kind = self.kinds[i]
        if kind == "MONEY" and NAME_SHAPED.fullmatch(self.texts[i]):
            self.kinds[i] = kind = "NAME"
        return kind == "NAME"

    def skip(self, kind: str) -> None:
        """Consume a token of ``kind`` if it is next."""
        if self.kinds[self.i] == kind:
            self.i += 1

    # start: _NL? item*
    def file(self) -> tuple[Item, ...]:
        self.skip("NL")
        items = []
        while self.kinds[self.i] != _END:
            items.append(self.item(in_block=False))
        return items_of(items)

    # item: block | attribute (an attribute right before a `}` is the block's last_attribute)
    def item(self, in_block: bool) -> Item:
        kinds, i = self.kinds, self.i
        if self.word(i) and kinds[i + 1] == ":":
            return self.attribute(in_block)
        if kinds[i] in ("NAME", "INTERNAL"):
            return self.block()
        raise _Decline

    # attribute: NAME ":" values _sep   |   last_attribute: NAME ":" values
    def attribute(self, in_block: bool) -> Attribute:
        key = self.i
        self.i += 2
        values = self.values()
        if not (in_block and self.kinds[self.i] == "}"):
            self.sep()
        key_span = self.span(key)
        return Attribute(self.texts[key], key_span, values, key_span.to(values[-1].span))

    # _sep: _NL | ";" _NL?
    def sep(self) -> None:
        if self.kinds[self.i] == "NL":
            self.i += 1
        else:
            self.take(";")
            self.skip("NL")

    # block: INTERNAL? NAME header* "{" _NL? doc? item* last_attribute? RBRACE _sep?
    def block(self) -> Block:
        self.deeper()
        first = self.i
        internal = self.kinds[first] == "INTERNAL"
        if internal:
            self.i += 1
        self.word(self.i)
        kind = self.take("NAME")
        header = []
        while self.word(self.i) or self.kinds[self.i] in _HEADER:
            header.append(self.header())
        self.take("{")
        self.skip("NL")
        doc = None
        if self.kinds[self.i] == "DOC":
            doc = doc_node(self.texts[self.i], self.span(self.i))
            self.i += 1
            self.take("NL")
        items = []
        while self.kinds[self.i] != "}":
            items.append(self.item(in_block=True))
        close = self.i
        self.i += 1
        if self.kinds[self.i] in ("NL", ";"):
            self.sep()
        self.depth -= 1
        return Block(self.texts[kind], self.span(kind), tuple(header), doc, items_of(items),
                     internal, self.span(first).to(self.span(close)))

    # header: NAME | STRING | ARROW | NUMBER
    def header(self) -> Value:
        i = self.i
        self.i += 1
        kind = self.kinds[i]
        if kind == "STRING":
            return string_node(self.texts[i], self.span(i))
        if kind == "NUMBER":
            return literal("number", self.texts[i], self.span(i), self.reporter)
        return Name(self.texts[i], self.span(i))

    # values: value ("," value)*
    def values(self) -> tuple[Value, ...]:
        values = [self.value()]
        while self.kinds[self.i] == ",":
            self.i += 1
            values.append(self.value())
        return tuple(values)

    def value(self) -> Value:
        """A value; most are one phrase (`35%`, `Rp 250K per user per month`), read without
        descending through the five levels of operators."""
        if self.kinds[self.i] == "RANGE":
            return self.chain(None)
        first = self.phrase()
        if self.kinds[self.i] not in _OPERATORS:
            return first
        return self.chain(first)

    # ?chain: disj (ARROW disj)*   (each level reads its first operand from ``low`` if given)
    def chain(self, low: Value | None) -> Value:
        first = self.disj(low)
        if self.kinds[self.i] != "ARROW":
            return first
        return Arrow(*self.joined(first, "ARROW", self.disj))

    # ?disj: conj ("or" conj)*
    def disj(self, low: Value | None = None) -> Value:
        first = self.conj(low)
        if self.kinds[self.i] != "OR":
            return first
        return AnyOf(*self.joined(first, "OR", self.conj))

    # ?conj: cmp ("and" cmp)*
    def conj(self, low: Value | None = None) -> Value:
        first = self.cmp(low)
        if self.kinds[self.i] != "AND":
            return first
        return AllOf(*self.joined(first, "AND", self.cmp))

    def joined(self, first: Value, operator: str, operand) -> tuple[tuple[Value, ...], object]:
        """``first`` and the operands after each ``operator``, with their span."""
        items = [first]
        while self.kinds[self.i] == operator:
            self.i += 1
            items.append(operand())
        return tuple(items), first.span.to(items[-1].span)

    # ?cmp: rng (CMP rng)?
    def cmp(self, low: Value | None = None) -> Value:
        left = self.rng(low)
        if self.kinds[self.i] != "CMP":
            return left
        op = self.texts[self.i]
        self.i += 1
        right = self.rng()
        return Compare(left, op, right, left.span.to(right.span))

    # ?rng: phrase | phrase RANGE phrase? | RANGE phrase
    def rng(self, low: Value | None = None) -> Value:
        if low is None and self.kinds[self.i] == "RANGE":
            dots = self.i
            self.i += 1
            high = self.phrase()
            return Range(None, high, self.span(dots).to(high.span))
        if low is None:
            low = self.phrase()
        if self.kinds[self.i] != "RANGE":
            return low
        dots = self.i
        self.i += 1
        if self.kinds[self.i] in _ATOM_START:
            high = self.phrase()
            return Range(low, high, low.span.to(high.span))
        return Range(low, None, low.span.to(self.span(dots)))

    # ?phrase: atom atom*
    def phrase(self) -> Value:
        first = self.atom()
        if self.kinds[self.i] not in _ATOM_START:
            return first
        atoms = [first]
        while self.kinds[self.i] in _ATOM_START:
            atoms.append(self.atom())
        return Phrase(tuple(atoms), first.span.to(atoms[-1].span))

    def atom(self) -> Value:
        i = self.i
        kind = self.kinds[i]
        self.i = i + 1
        if kind == "NAME":
            return Name(self.texts[i], self.span(i))
        if kind in _LITERALS:
            return literal(_LITERALS[kind], self.texts[i], self.span(i), self.reporter)
        if kind == "STRING":
            return string_node(self.texts[i], self.span(i))
        if kind == "+":
            return Plus(self.span(i))
        if kind == "APPROX":
            self.tildes(i)
            inner = self.atom()
            return Approx(inner, self.span(i).to(inner.span))
        if kind in ("[", "("):
            self.deeper()
            nested = self.list(i) if kind == "[" else self.group()
            self.depth -= 1
            return nested
        raise _Decline

    def tildes(self, i: int) -> None:
        """A run of `~` nests as deep as its length, on top of the open brackets (as the
        limit counts it): decline past ``max_depth``."""
        run = 1
        while self.kinds[i + run] == "APPROX":
            run += 1
        if self.depth + run > self.max_depth:
            raise _Decline

    def group(self) -> Value:
        """`(x)`: the value inside."""
        value = self.value()
        self.take(")")
        return value

    # LSQB _NL? (value ("," _NL? value)* _NL?)? RSQB
    def list(self, opener: int) -> ListValue:
        self.skip("NL")
        items = []
        if self.kinds[self.i] != "]":
            items.append(self.value())
            while self.kinds[self.i] == ",":
                self.i += 1
                self.skip("NL")
                items.append(self.value())
            self.skip("NL")
        close = self.take("]")
        return ListValue(tuple(items), self.span(opener).to(self.span(close)))
