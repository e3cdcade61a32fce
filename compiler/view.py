"""Schema-checked access to a block's attributes and children, used by every `parse_<construct>`.

A `View` knows which attributes and child blocks a construct allows; anything else is reported
once (CH-E101/CH-E102, with "did you mean"), duplicates are CH-E104, missing required ones CH-E103.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

from charter import syntax as s
from charter.diagnostics import Label, Reporter
from charter.source import Span
from charter.values import Reader

T = TypeVar("T")
TOP = "<file>"  # kind of the pseudo-block holding a file's top-level items


def suggest(word: str, choices: Iterable[str]) -> tuple[str, ...]:
    """A "did you mean" help line for ``word`` among ``choices`` (difflib), or nothing."""
    pool = sorted(set(choices))
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return (f"did you mean `{lowered[word.lower()]}`?",)
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if close:
        return (f"did you mean `{close[0]}`?",)
    if 0 < len(pool) <= 8:
        return ("expected one of " + ", ".join(f"`{c}`" for c in pool),)
    return ()


@dataclass
class Ctx:
    """What lowering needs: where to report and how to read typed values."""

    reporter: Reporter
    reader: Reader
    recovered: frozenset[tuple[str, int]] = frozenset()

    def damaged(self, block: s.Block) -> bool:
        """True if a syntax error was recovered inside ``block`` (its content is partial)."""
        span = block.span
        return any(f == span.file and span.line <= line <= span.end_line
                   for f, line in self.recovered)


class View:
    """A block seen through its construct's schema."""

    def __init__(self, block: s.Block, ctx: Ctx, attrs: Iterable[str], blocks: Iterable[str] = (),
                 repeated: Iterable[str] = (), free_attrs: bool = False):
        self.block, self.ctx = block, ctx
        self.allowed, self.kinds = set(attrs), set(blocks)
        self.repeated = set(repeated)
        self.attrs: dict[str, list[s.Attribute]] = {}
        self.suggested: set[str] = set()  # keys offered as "did you mean": not also "missing"
        for attr in block.attributes():
            self.attrs.setdefault(attr.key, []).append(attr)
        if not free_attrs:
            self._check_attributes()
        self._check_blocks()

    @property
    def reporter(self) -> Reporter:
        """The reporter."""
        return self.ctx.reporter

    @property
    def reader(self) -> Reader:
        """The typed-value reader."""
        return self.ctx.reader

    def _check_attributes(self) -> None:
        for key, attrs in self.attrs.items():
            if key not in self.allowed:
                where = f"in {self.block.kind}" if self.block.kind != TOP else "at top level"
                help = suggest(key, self.allowed)
                self.suggested.update(w.split("`")[1] for w in help if w.startswith("did you"))
                for attr in attrs:
                    self.reporter.error("CH-E102", f"unknown attribute `{key}` {where}",
                                        attr.key_span, label="unknown attribute", help=help)
            elif len(attrs) > 1 and key not in self.repeated:
                for dup in attrs[1:]:
                    self.reporter.error("CH-E104", f"`{key}` is set twice in {self.block.kind}",
                                        dup.key_span, label="set again here",
                                        labels=(Label(attrs[0].key_span, "first set here"),),
                                        help=("remove one of them",))

    def _check_blocks(self) -> None:
        for child in self.block.blocks():
            if child.kind not in self.kinds:
                where = f"in {self.block.kind}" if self.block.kind != TOP else "at top level"
                self.reporter.error("CH-E101", f"unknown block `{child.kind}` {where}",
                                    child.kind_span, label="unknown block kind",
                                    help=suggest(child.kind, self.kinds))

    def has(self, key: str) -> bool:
        """True if the attribute is present."""
        return key in self.attrs

    def attr(self, key: str) -> s.Attribute | None:
        """The (first) attribute called ``key``."""
        found = self.attrs.get(key)
        return found[0] if found else None

    def all(self, key: str) -> list[s.Attribute]:
        """Every occurrence of a repeated attribute."""
        return self.attrs.get(key, [])

    def span(self, key: str) -> Span:
        """The span of attribute ``key``, or of the block header if absent."""
        attr = self.attr(key)
        return attr.span if attr else self.header_span

    @property
    def header_span(self) -> Span:
        """The span of the block's kind and header words."""
        last = self.block.header[-1].span if self.block.header else self.block.kind_span
        return self.block.kind_span.to(last)

    def missing(self, key: str, example: str) -> None:
        """Report a required attribute that is absent (not in blocks damaged by a syntax error)."""
        if self.ctx.damaged(self.block) or key in self.suggested:
            return
        self.reporter.error("CH-E103", f"{self.block.kind} `{self.block.name or ''}` is missing"
                            f" `{key}`".replace(" `` ", " "), self.header_span,
                            label=f"needs `{key}`", help=(f"add `{key}: {example}`",))

    def one(self, key: str, read: Callable[[Reader, s.Value], T], required: str | None = None,
            default: T | None = None) -> T | None:
        """Read a single-valued attribute; ``required`` is an example value if it must exist."""
        attr = self.attr(key)
        if attr is None:
            if required is not None:
                self.missing(key, required)
            return default
        if len(attr.values) > 1:
            self.reporter.error("CH-E106", f"`{key}` takes one value, found {len(attr.values)}",
                                attr.values[1].span, label="extra value",
                                help=("remove the extra values, or drop the commas",))
        return read(self.reader, attr.values[0])

    def many(self, key: str, read: Callable[[Reader, s.Value], T]) -> tuple[T, ...]:
        """Read every value of a comma-separated attribute (skipping unreadable ones)."""
        attr = self.attr(key)
        if attr is None:
            return ()
        values = [v.items if isinstance(v, s.ListValue) else (v,) for v in attr.values]
        read_values = [read(self.reader, v) for group in values for v in group]
        return tuple(v for v in read_values if v is not None)

    def text(self, key: str, required: str | None = None) -> str:
        """A string attribute ('' if absent)."""
        return self.one(key, Reader.string, required) or ""

    def flag(self, key: str, default: bool = False) -> bool:
        """A yes/no attribute."""
        value = self.one(key, Reader.boolean)
        return default if value is None else value

    def choice(self, key: str, choices: Iterable[str], required: str | None = None,
               default: str | None = None) -> str | None:
        """A word from a fixed vocabulary (CH-E108 with "did you mean" otherwise)."""
        word = self.one(key, Reader.name, required)
        if word is None:
            return default
        return check_choice(self.ctx, self.attr(key).values[0], word, choices, key)  # type: ignore[union-attr]

    def children(self, kind: str) -> list[s.Block]:
        """Child blocks of ``kind``."""
        return [b for b in self.block.blocks() if b.kind == kind]

    def child(self, kind: str) -> s.Block | None:
        """The single child block of ``kind`` (duplicates reported)."""
        found = self.children(kind)
        for dup in found[1:]:
            where = "the file" if self.block.kind == TOP else self.block.kind
            self.reporter.error("CH-E105", f"`{kind}` is defined twice in {where}",
                                dup.kind_span, label="defined again here",
                                labels=(Label(found[0].kind_span, "first defined here"),))
        return found[0] if found else None

    @property
    def doc(self) -> str:
        """The block's doc string."""
        return self.block.doc.value if self.block.doc else ""


def check_choice(ctx: Ctx, value: s.Value, word: str, choices: Iterable[str], what: str) -> str | None:
    """Return ``word`` if allowed, else report CH-E108 and return None."""
    pool = tuple(choices)
    if word in pool:
        return word
    ctx.reporter.error("CH-E108", f"`{word}` is not a valid {what}", value.span,
                       label="not allowed here", help=suggest(word, pool))
    return None


def block_name(block: s.Block, ctx: Ctx, required: bool = True) -> str:
    """The block's name (first header word); CH-E110 if it is missing or not a name."""
    first = block.header[0] if block.header else None
    if isinstance(first, (s.Name, s.Str)):
        return first.value
    if required:
        ctx.reporter.error("CH-E110", f"`{block.kind}` needs a name", block.kind_span,
                           label="name missing", help=(f"write `{block.kind} SomeName {{`",))
    return ""
