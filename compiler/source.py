"""Source files and spans: where every node of the model came from."""
from __future__ import annotations

import bisect
import re
from dataclasses import field
from typing import Iterable, NamedTuple

from charter.nodes import node


class Span(NamedTuple):
    """A half-open character range in one file, with 1-based line/column of both ends.

    A named tuple, not a frozen dataclass: a check builds one for every token and node, and a
    tuple is built three times faster (equality, order and hash are the fields', as before).
    """

    file: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def to(self, other: "Span") -> "Span":
        """The span from the start of this one to the end of ``other`` (same file)."""
        return Span(self.file, self.start, other.end, self.line, self.column,
                    other.end_line, other.end_column)


_NEWLINE = re.compile("\n")


@node(frozen=False)
class SourceFile:
    """The text of one file and a line index for position lookups."""

    path: str
    text: str
    _starts: list[int] = field(default_factory=list, repr=False)
    recovered_lines: set[int] = field(default_factory=set, repr=False)
    lost_names: set[str] = field(default_factory=set, repr=False)  # "*": unknown which

    def __post_init__(self) -> None:
        if "\r" in self.text:  # CRLF and a lone CR (classic Mac) are line breaks, as LF is
            self.text = self.text.replace("\r\n", "\n").replace("\r", "\n")
        self._starts = [0] + [m.end() for m in _NEWLINE.finditer(self.text)]

    @property
    def line_starts(self) -> list[int]:
        """The offset at which each line starts (index 0: line 1)."""
        return self._starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        """A span between two offsets."""
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(self.path, start, end, line, column, end_line, end_column)

    def offset(self, line: int, column: int) -> int:
        """The character offset of a 1-based (line, column), clamped to the file."""
        if line < 1:
            return 0
        if line > len(self._starts):
            return len(self.text)
        return min(self._starts[line - 1] + column - 1, len(self.text))

    def span_at(self, line: int, column: int, end_line: int, end_column: int) -> Span:
        """A span from 1-based line/column positions (robust to edits on other lines)."""
        return self.span(self.offset(line, column), self.offset(end_line, end_column))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        if line < 1 or line > len(self._starts):
            return ""
        start = self._starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    @property
    def line_count(self) -> int:
        """How many lines the file has."""
        return len(self._starts)

    def eof_span(self) -> Span:
        """A zero-width span at the end of the last non-empty line."""
        end = len(self.text.rstrip())
        return self.span(end, end)


@node(frozen=False)
class Recovery:
    """What of one program could not be read as written, so later stages do not report its
    echoes as mistakes of their own.

    ``lines``: (file, line) pairs that syntax recovery rewrote; ``lost``: names of definitions
    that could not be read (a header recovery removed, a block of an unknown kind), `*` for a
    block whose name is unknown; lowering adds to it. ``partial``: an `extends:` base could not
    be loaded, so anything the program leaves out may be in it.
    """

    lines: frozenset[tuple[str, int]] = frozenset()
    lost: set[str] = field(default_factory=set)
    partial: bool = False

    def __post_init__(self) -> None:
        by_file: dict[str, list[int]] = {}
        for file, line in self.lines:
            by_file.setdefault(file, []).append(line)
        self._by_file = {f: sorted(lines) for f, lines in by_file.items()}

    @classmethod
    def of(cls, sources: Iterable[SourceFile], partial: bool = False) -> "Recovery":
        """The recovery of every file of one program."""
        sources = list(sources)
        return cls(frozenset((s.path, line) for s in sources for line in s.recovered_lines),
                   {name for s in sources for name in s.lost_names}, partial)

    def damaged(self, span: Span) -> bool:
        """Whether ``span`` holds a line that recovery rewrote (its content is partial)."""
        lines = self._by_file.get(span.file, ())
        index = bisect.bisect_left(lines, span.line)
        return index < len(lines) and lines[index] <= span.end_line

    def may_define(self, name: str) -> bool:
        """Whether ``name`` may be defined in what could not be read."""
        return self.partial or name in self.lost or "*" in self.lost

    @property
    def unknown_parts(self) -> bool:
        """Whether a part of the program that cannot be named is missing: a base, or a block
        whose header line was lost (its body may have completed any block of the program)."""
        return self.partial or "*" in self.lost
