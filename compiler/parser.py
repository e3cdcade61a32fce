"""Parsing: text → syntax items, within limits, with friendly errors and recovery.

`parse_source` first bounds what parsing may cost (`_precheck`: size, binary, nesting, line
length, list length, tokens, blocks), then reads the text with the fast reader
(`charter.reader`). Only a file the reader declines, one with a syntax error, goes to lark's
LALR parser (`charter.lalr`), which explains each error and repairs the text so that parsing
goes on: a file with several independent mistakes reports all of them. lark is imported only
then, so a check of well-formed files never loads it.
"""
from __future__ import annotations

import re

from charter.diagnostics import Reporter
from charter.source import SourceFile
from charter.syntax import Item

MAX_SYNTAX_ERRORS = 25
MAX_BYTES = 4_000_000
MAX_DEPTH = 48              # `{`, `[`, `(` and `~` nested in one another (CH-E013)
MAX_LINE_CHARS = 10_000     # characters on one line (CH-E017)
MAX_LIST_ITEMS = 10_000     # values in one `a, b, …` or `[a, b, …]` (CH-E018)
MAX_TOKENS = 300_000        # tokens in one file, about as lark counts them (CH-E019)
MAX_DEFINITIONS = 20_000    # blocks (`channel X { … }`, `tier`, …) in one file (CH-E020)
RECOVERED = "_"  # block kind written over a neutralised line; dropped by the builder


def parse_source(source: SourceFile, reporter: Reporter) -> tuple[Item, ...]:
    """Parse one file into syntax items; every problem goes to ``reporter``.

    Each syntax error is reported once and the text is repaired so parsing can go on
    (`charter.lalr.parse_with_recovery`); what a repair rewrote is recorded on ``source``
    (`recovered_lines`, `lost_names`), so later stages do not report the repair's echoes as
    mistakes of their own.
    """
    from charter.reader import read

    if not _shape_surely_within(source.text):
        if not _precheck(source, reporter):
            return ()
        items = read(source, reporter)
    else:
        # The shape scan is skipped: the reader bounds the nesting (it declines deeper
        # text), and the limits are judged in their usual order before anything is said.
        if not _precheck(source, reporter, shape=False, lines=False):
            return ()
        attempt = Reporter()
        items = read(source, attempt, MAX_DEPTH)
        if items is None and not _check_shape(source, reporter) \
                or not _check_lines(source, reporter):
            return ()
        for diagnostic in attempt.items:
            reporter.report(diagnostic)
    if items is not None:
        return items
    from charter.lalr import parse_with_recovery

    return parse_with_recovery(source, reporter)


def _shape_surely_within(text: str) -> bool:
    """Whether the token, block and list limits hold whatever the text's shape: at most one
    token a character, one block a `{`, one more value a `,` (counted in C, where
    `_check_shape` walks every token in Python: 1.2 ms of ejourney's check). Nesting is
    bounded by the reader then (`read`'s ``max_depth``)."""
    return len(text) <= MAX_TOKENS and text.count("{") <= MAX_DEFINITIONS and \
        text.count(",") < MAX_LIST_ITEMS


def _precheck(source: SourceFile, reporter: Reporter, shape: bool = True,
              lines: bool = True) -> bool:
    """Refuse inputs the parser should never see: huge, binary or absurdly nested (without
    ``shape``, the nesting, token, block and list limits are left to the caller; without
    ``lines``, the line length)."""
    text = source.text
    if len(text) > MAX_BYTES:
        reporter.error("CH-E012", f"file is too large ({len(text):,} characters; the limit is"
                       f" {MAX_BYTES:,})", source.span(0, 0), help=("split the program with"
                       " `extends:` into smaller files",))
        return False
    nul = text.find("\x00")
    if nul >= 0:
        reporter.error("CH-E010", "file is binary, not charter text", source.span(nul, nul + 1),
                       label="NUL byte here", help=("charter files are UTF-8 text",))
        return False
    return (not shape or _check_shape(source, reporter)) and \
        (not lines or _check_lines(source, reporter))


def _check_lines(source: SourceFile, reporter: Reporter) -> bool:
    text = source.text
    if len(text) <= MAX_LINE_CHARS:
        return True
    offset = 0
    for line in text.split("\n"):
        if len(line) > MAX_LINE_CHARS:
            reporter.error("CH-E017", f"line is longer than {MAX_LINE_CHARS:,} characters"
                           f" ({len(line):,})", source.span(offset + MAX_LINE_CHARS,
                                                             offset + MAX_LINE_CHARS + 1),
                           label="the limit ends here",
                           help=("break the line: a list may continue on the next line after"
                                 " a `,`",))
            return False
        offset += len(line) + 1
    return True


# One scan, before lark sees the text, bounds what parsing costs (time, memory, recursion):
# strings and comments are skipped whole; group 1 is a new line, group 2 a bracket, `,`, `;`
# or `~`; anything else is one token (about as many as lark counts: money may count 2-3).
_SHAPE = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|(#[^\n]*)|\\[\t \f]*\r?\n'
                    r'|(\n)|([{}\[\]();,~\u2248])|[^\s{}\[\]();,~\u2248"#\\]+|\S')


def _check_shape(source: SourceFile, reporter: Reporter) -> bool:
    """Nesting (CH-E013, `~` chains included), list length, tokens and blocks per file."""
    stack: list[str] = []      # open `{`, `[`, `(`
    items = [1]                # values so far in the innermost list (per open bracket)
    tildes = tokens = blocks = 0

    def refuse(code: str, message: str, match, label: str, help: str) -> bool:
        reporter.error(code, message, source.span(match.start(), match.end()), label=label,
                       help=(help,))
        return False

    for match in _SHAPE.finditer(source.text):
        comment, newline, symbol = match.groups()
        if comment is not None:
            continue
        tokens += 1
        if tokens > MAX_TOKENS:
            return refuse("CH-E019", f"file has more than {MAX_TOKENS:,} tokens", match,
                          "the limit is reached here", "split the program with `extends:`"
                          " into smaller files")
        if symbol in ("~", "\u2248"):
            tildes += 1
            if len(stack) + tildes > MAX_DEPTH:
                return refuse("CH-E013", f"nesting is deeper than {MAX_DEPTH} levels", match,
                              "too deep", "a `~` chain nests like brackets; one `~` is enough")
            continue
        tildes = 0
        if newline is not None:
            if not stack or stack[-1] == "{":
                items[-1] = 1  # a statement ends; inside `[`/`(` a list goes on
        elif symbol is None:
            continue
        elif symbol == ",":
            items[-1] += 1
            if items[-1] > MAX_LIST_ITEMS:
                return refuse("CH-E018", f"list has more than {MAX_LIST_ITEMS:,} values",
                              match, "the limit is reached here", "a real program lists a"
                              " few dozen values; define a block for each group instead")
        elif symbol == ";":
            items[-1] = 1
        elif symbol in "{[(":
            stack.append(symbol)
            items.append(1)
            if len(stack) > MAX_DEPTH:
                return refuse("CH-E013", f"nesting is deeper than {MAX_DEPTH} levels", match,
                              "too deep", "flatten the structure; real programs nest a few"
                              " levels")
            if symbol == "{":
                blocks += 1
                if blocks > MAX_DEFINITIONS:
                    return refuse("CH-E020", f"file has more than {MAX_DEFINITIONS:,} blocks",
                                  match, "the limit is reached here", "split the program"
                                  " with `extends:` into smaller files")
        elif stack:  # a closer
            stack.pop()
            items.pop()
            items[-1] = 1 if symbol == "}" else items[-1]
    return True

