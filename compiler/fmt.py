"""`charter fmt`: one canonical layout for `.charter` files, never a change of meaning.

The formatter works on tokens and lines, not on the syntax tree: the parse tree has no
comments, and a program's comments must stay where they were. The text is lexed with the
parser's own lexer (so a token here is exactly a token there); the gaps between tokens
(spaces, comments, new lines, `\\` continuations) are read by a small scanner; then every
line is laid out again:

- indentation: 4 spaces per open block `{`; a `}` that starts a line goes back one level; a
  line inside `[`/`(` lines up after the bracket (or, when the bracket ends its line, goes 4
  spaces deeper than the line that opened it); a `\\` continuation line goes 4 spaces deeper;
- one space after `:`, `,` and `;`, none before them; none inside `[ ]`/`( )` or after `~`,
  none before a trailing `+`; one around `->`, `..`, comparisons, `and`, `or`, `{` and `}`
  (`{}` for an empty block); other tokens keep one space if they had any, none if they had
  none, and keep two if one would let them read as one token (`Rp  5` is not `Rp 5`);
- comments are kept word for word; one on its own line is indented like the code around
  it; one after code keeps its column relative to its line's indentation (so a column of
  aligned comments stays aligned) with at least one space before it;
- at most two blank lines in a row at top level and one inside a block or a list; none at
  the start or end of the file, after an opening `{`/`[`/`(` or before a closing one;
- no trailing whitespace (except inside a doc string, where it is part of the text), LF
  line ends, no byte order mark, exactly one final new line;
- a doc string keeps its text; when it starts on its `\"\"\"` line and holds no `\\` escape,
  its later lines are re-indented to its block's indentation (the common indentation is
  removed when it is read, so its value is unchanged); otherwise it is left as written.

The line structure is the author's: attributes are never joined or split. A file that does
not parse is refused with its diagnostics. Every result is parsed again and its syntax tree
(every node and literal, positions aside) must equal the original's; otherwise the file is
refused as an internal error and nothing is written.
"""
from __future__ import annotations

import dataclasses
import errno
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from charter.diagnostics import Diagnostic, Reporter
from charter.source import SourceFile

INDENT = 4          # spaces per open block
TAB = 4             # columns per tab, when measuring where a comment stood
MAX_BLANK_TOP = 2   # blank lines in a row at top level ...
MAX_BLANK = 1       # ... and inside a block or a list

_OPENERS = {"LBRACE", "LSQB", "LPAR"}
_CLOSERS = {"RBRACE", "RSQB", "RPAR"}
_TIGHT_BEFORE = {"COLON", "COMMA", "SEMICOLON", "RSQB", "RPAR", "PLUS"}
_TIGHT_AFTER = {"LSQB", "LPAR", "APPROX"}
_SPACED = {"ARROW", "CMP", "RANGE", "OR", "AND", "INTERNAL", "COLON", "COMMA", "SEMICOLON",
           "LBRACE", "RBRACE"}
# What lies between two tokens: a comment, a `\` continuation, a new line, or spaces.
_GAP = re.compile(r"(#[^\n]*)|(\\[\t \f]*\n)|(\n)|[\t \f]+")
_SPACES = re.compile(r"[\t \f]*")
_POSITIONS = frozenset({"span", "key_span", "kind_span"})


class FormatError(Exception):
    """Formatting could not be done safely (an internal error: please report it)."""


@dataclass(frozen=True)
class FormatResult:
    """The canonical text of one file, or why there is none.

    ``original`` is the text as read (byte order mark and CR line ends included);
    ``formatted`` is None when the file was refused: ``diagnostics`` say why (a syntax error,
    an unreadable file) or ``error`` does (an internal error; nothing may be written).
    """

    name: str
    original: str
    formatted: str | None
    diagnostics: tuple[Diagnostic, ...] = ()
    sources: dict[str, SourceFile] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the file was formatted (changed or not)."""
        return self.formatted is not None

    @property
    def changed(self) -> bool:
        """True when the canonical text differs from the text as read."""
        return self.formatted is not None and self.formatted != self.original


# ---- the library API ------------------------------------------------------------------------

def format_text(text: str, name: str = "<input>.charter") -> FormatResult:
    """Lay ``text`` out canonically; refuse (``formatted`` None) a text that does not parse.

    Idempotent: ``format_text(r.formatted).formatted == r.formatted``. The result parses to the
    same syntax tree as ``text`` (checked here, every time).
    """
    from charter.parser import parse_source

    normal = normalise(text)
    source = SourceFile(name, normal)
    reporter = Reporter()
    items = parse_source(source, reporter)
    sources = {name: source}
    if reporter.has_errors:
        return FormatResult(name, text, None, tuple(reporter.sorted()), sources)
    try:
        formatted = layout(normal)
        _same_meaning(items, formatted, name)
    except FormatError as bug:
        return FormatResult(name, text, None, (), sources, str(bug))
    return FormatResult(name, text, formatted, (), sources)


def normalise(text: str) -> str:
    """The text as the compiler reads it: no byte order mark, LF line ends only."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def layout(text: str) -> str:
    """The canonical layout of normalised text that parses (the rules: this module's doc).

    Raises `FormatError` if the text cannot be lexed; meaning is not checked here.
    """
    from lark.exceptions import UnexpectedInput

    try:
        return _Layout().run(_elements(text))
    except UnexpectedInput as err:
        raise FormatError(f"cannot lex the text at line {getattr(err, 'line', '?')}") from None


def format_file(path: str | Path) -> FormatResult:
    """Read one file under the loader's rules (project confinement, regular files, size,
    UTF-8) and format it; nothing is written."""
    display = str(path)
    data, result = _read(Path(path), display)
    if result is not None:
        return result
    assert data is not None
    return format_text(data.decode("utf-8"), display)


def write_formatted(path: str | Path, result: FormatResult) -> bool:
    """Replace the file with ``result.formatted`` atomically, when it changed; True if written.

    The file is read again first: if it changed since it was formatted, `FormatError` is
    raised and nothing is written. A link is followed (the file it names is replaced, inside
    the project, as reading checked). Raises `OSError` when it cannot be written; the file
    is then left as it was (`charter.atomic.replace_in`).

    The file is read and replaced relative to its folder, opened once from the project root
    without following links (`loader.open_inside`), after the check that it is inside: a
    link swapped onto the path (the file's, a folder's) after that check cannot redirect
    the write out of the project; it is refused as a changed file.
    """
    from charter.confined import WALKS, PathChanged
    from charter.loader import open_inside, project_root

    if not result.changed:
        return False
    assert result.formatted is not None
    data, formatted = result.original.encode("utf-8"), result.formatted.encode("utf-8")
    if not WALKS:
        return _write_by_name(Path(path), result.name, data, formatted)
    try:
        opened = open_inside(Path(path), project_root(Path(path)))
    except PathChanged:
        opened = None
    except OSError as err:
        if err.errno not in (errno.ENOENT, errno.ELOOP):
            raise  # a folder cannot be opened (EACCES): not written, as any write error
        opened = None  # gone, or a link loop now: it changed since it was read
    if opened is None:
        raise FormatError(_CHANGED)
    folder, name = opened
    try:
        _replace_same(folder, name, data, formatted)
    finally:
        os.close(folder)
    return True


_CHANGED = "the file changed while it was being formatted; run fmt again"


def _replace_same(folder: int, name: str, data: bytes, formatted: bytes) -> None:
    """Replace the file ``name`` in the open ``folder`` with ``formatted`` if it still holds
    ``data`` (read as the loader reads: a regular file, bounded, no link followed); else
    `FormatError`."""
    from charter.atomic import replace_in
    from charter.confined import PathChanged
    from charter.loader import read_at

    try:
        if read_at(folder, name) != data:
            raise FormatError(_CHANGED)
    except (PathChanged, FileNotFoundError):
        raise FormatError(_CHANGED) from None
    replace_in(folder, name, formatted)


def _write_by_name(path: Path, display: str, data: bytes, formatted: bytes) -> bool:
    """`write_formatted` where folders cannot be opened as descriptors (no `dir_fd`):
    re-read under the loader's rules, then replace the real file by name."""
    from charter.atomic import replace_file

    now, refused = _read(path, display)
    if refused is not None or now != data:
        raise FormatError(_CHANGED)
    replace_file(Path(os.path.realpath(path)), formatted)
    return True


def _read(path: Path, display: str) -> tuple[bytes | None, FormatResult | None]:
    """The file's bytes, or a refused result carrying the loader's diagnostics."""
    from charter.loader import Loader, project_root

    reporter = Reporter()
    loader = Loader(reporter)
    # The loader's own reading (confinement, regular file, bounded read): fmt needs the raw
    # bytes, byte order mark and CR line ends included, to know whether a file changes.
    data = loader.read_raw(path, display, project_root(path))
    if data is None:
        return None, FormatResult(display, "", None, tuple(reporter.sorted()),
                                  dict(loader.sources))
    if b"\x00" in data:  # binary: the parser's pre-check reports it, with its position
        return None, format_text(data.decode("utf-8", "replace"), display)
    return data, None


# ---- meaning ----------------------------------------------------------------------------------

def _same_meaning(items: tuple, formatted: str, name: str) -> None:
    """Raise `FormatError` unless ``formatted`` parses cleanly to the same syntax tree.

    Positions aside, the tree holds everything the compiler reads (every literal's exact
    text and value, doc strings after dedenting, block headers, `internal`), so the same
    tree compiles to the same program."""
    from charter.parser import parse_source

    reporter = Reporter()
    again = parse_source(SourceFile(name, formatted), reporter)
    if reporter.has_errors:  # e.g. a line past the length limit once indented deeper
        first = reporter.sorted()[0]
        where = f"line {first.span.line}: " if first.span else ""
        raise FormatError(f"the formatted text does not parse ({where}{first.message})")
    if shape(again) != shape(items):
        raise FormatError("formatting would change what the program means")


def shape(node: object) -> object:
    """A syntax tree (`charter.syntax` nodes) as plain, comparable data without positions."""
    if isinstance(node, tuple):
        return tuple(shape(n) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return (type(node).__name__,) + tuple(
            shape(getattr(node, f.name)) for f in dataclasses.fields(node)
            if f.name not in _POSITIONS)
    return node


# ---- lexing: tokens and what lies between them ------------------------------------------------

def _elements(text: str) -> list[tuple]:
    """The text as a sequence of ("tok", token, gap), ("comment", text, offset), ("nl",) and
    ("cont",); ``gap`` is the whitespace before a token on the same line, ``offset`` a
    trailing comment's column relative to its line's indentation."""
    from charter.lalr import grammar

    elements: list[tuple] = []
    position = 0
    for token in grammar().lex(text):
        if token.type == "_NL":  # new lines and own-line comments: read with the gaps
            continue
        gap = text[position:token.start_pos]
        elements += _gap(text, position, gap)
        elements.append(("tok", token, gap if _SPACES.fullmatch(gap) else None))
        position = token.end_pos
    elements += _gap(text, position, text[position:])
    return elements


def _gap(text: str, start: int, gap: str) -> list[tuple]:
    found: list[tuple] = []
    at = 0
    for match in _GAP.finditer(gap):
        if match.start() != at:
            raise FormatError(f"unexpected text between tokens at offset {start + at}")
        at = match.end()
        comment, continuation, newline = match.groups()
        if comment is not None:
            found.append(("comment", comment, _comment_offset(text, start + match.start())))
        elif continuation is not None:
            found.append(("cont",))
        elif newline is not None:
            found.append(("nl",))
    if at != len(gap):
        raise FormatError(f"unexpected text between tokens at offset {start + at}")
    return found


def _comment_offset(text: str, offset: int) -> int:
    """Where a comment starts, in columns from its line's indentation."""
    line = text[text.rfind("\n", 0, offset) + 1:offset]
    return _width(line) - _indent_width(line)


def _width(text: str) -> int:
    return len(text.expandtabs(TAB))


def _indent_width(line: str) -> int:
    return _width(_SPACES.match(line).group())  # type: ignore[union-attr]


# ---- spacing ------------------------------------------------------------------------------

def _space(prev, token, gap: str) -> str:
    """The space between two tokens on one line (the original ``gap`` when one would join
    them into another token)."""
    want = _wanted(prev.type, token.type, gap)
    if want == gap or _apart(prev.type, str(prev), token.type, str(token), want):
        return want
    if gap and _apart(prev.type, str(prev), token.type, str(token), " "):
        return " "
    return "  " if gap else ""  # no token holds two spaces in a row


def _wanted(before: str, after: str, gap: str) -> str:
    if after in _TIGHT_BEFORE or before in _TIGHT_AFTER:
        return ""
    if before == "LBRACE" and after == "RBRACE":
        return ""
    if before in _SPACED or after in _SPACED:
        return " "
    return " " if gap else ""


@functools.lru_cache(maxsize=4096)
def _apart(first_type: str, first: str, second_type: str, second: str, gap: str) -> bool:
    """Whether ``first + gap + second`` still lexes as these two tokens."""
    from lark.exceptions import UnexpectedInput

    from charter.lalr import grammar

    try:
        got = [(t.type, str(t)) for t in grammar().lex(first + gap + second)]
    except UnexpectedInput:
        return False
    return got == [(first_type, first), (second_type, second)]


# ---- doc strings ------------------------------------------------------------------------------

def _doc(raw: str, indent: int) -> tuple[str, bool]:
    """A doc string with its later lines re-indented to ``indent``; and whether it was.

    `charter.syntax` reads a doc string by stripping its first line and removing the common
    indentation of the others (lines of spaces and tabs only count as empty), so replacing
    that common indentation keeps the value. A doc string with an escape, or whose text
    starts on the next line, is left as written.
    """
    lines = raw.split("\n")
    if len(lines) == 1 or "\\" in raw or not lines[0][3:].strip():
        return raw, False
    body = lines[1:-1] + [lines[-1][:-3]]
    filled = [line for line in body if line.strip(" \t")]
    margin = os.path.commonprefix([_lead(line) for line in filled]) if filled else ""
    pad = " " * indent
    body = [pad + line[len(margin):] if line.strip(" \t") else "" for line in body]
    body[-1] = (body[-1] or pad) + '"""'
    return "\n".join([lines[0].rstrip()] + body), True


def _lead(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t"))]


# ---- layout -----------------------------------------------------------------------------------

@dataclass
class _Open:
    """An open `[` or `(`: its line's indentation, the column after it, and whether its
    contents hang on the next lines (None until known)."""

    indent: int
    column: int
    hanging: bool | None = None


class _Layout:
    """Lays the elements of one file out, line by line."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.cur: str | None = None     # the line being built; None before its first element
        self.depth = 0                  # open blocks
        self.brackets: list[_Open] = []
        self.cont = False               # the line continues the one before (`\`)
        self.logical = 0                # indentation of the line a continuation continues
        self.blanks = 0                 # blank lines seen since the last content
        self.after_open = False         # nothing but a trailing comment since `{`, `[`, `(`
        self.prev = None                # the previous token

    def run(self, elements: Iterable[tuple]) -> str:
        """The laid-out text."""
        for element in elements:
            kind = element[0]
            if kind == "tok":
                self.token(element[1], element[2])
            elif kind == "comment":
                self.comment(element[1], element[2])
            elif kind == "nl":
                self.newline()
            else:
                self.continuation()
        return self.finish()

    def token(self, token, gap: str | None) -> None:
        """Place one token: indentation or spacing, then its text."""
        if self.cur is None:
            self.cur = " " * self._start(token)
        else:
            self.cur += _space(self.prev, token, gap or "")
        if self.brackets and self.brackets[-1].hanging is None:
            self.brackets[-1].hanging = False
        text = str(token)
        if token.type == "DOCSTRING" and "\n" in text:
            text = self._docstring(text)
        self.cur += text
        self._track(token)

    def _docstring(self, raw: str) -> str:
        """Emit all but the last line of a doc string; return its last line's text."""
        text, reindented = _doc(raw, INDENT * self.depth)
        lines = text.split("\n")
        first = self.cur + lines[0]  # type: ignore[operator]
        self.out.append(first.rstrip() if reindented else first)
        self.out.extend(lines[1:-1])  # kept as they are: a doc string's text
        self.cur = ""
        return lines[-1]

    def comment(self, text: str, offset: int) -> None:
        """An own-line comment is indented like code; a trailing one keeps its column."""
        text = text.rstrip()
        if self.cur is None:
            self.cur = " " * self._start(None) + text
            self.after_open = False
            return
        code = self.cur.rstrip()
        column = max(_indent_width(code) + offset, _width(code) + 1)
        self.cur = code + " " * (column - _width(code)) + text

    def newline(self) -> None:
        """End the line; a new line on an empty line is a blank line."""
        if self.cur is None:
            if self.cont:  # `\` before an empty line joined nothing: drop it
                self.out[-1] = self.out[-1][:-1].rstrip()
                self.cont = False
            else:
                self.blanks += 1
            return
        self.out.append(self.cur.rstrip())
        self.cur = None
        self.cont = False
        self._hang()

    def continuation(self) -> None:
        """A `\\` line continuation: ` \\` ends the line, the next one is indented deeper."""
        if self.cur is None:  # alone on its line it joins nothing visible: drop it
            return
        self.out.append(self.cur.rstrip() + " \\")
        self.cur = None
        self.cont = True
        self._hang()

    def finish(self) -> str:
        """The text: lines joined by LF, one final new line (none for an empty file)."""
        if self.cur is not None:
            self.out.append(self.cur.rstrip())
        elif self.cont:
            self.out[-1] = self.out[-1][:-1].rstrip()
        return "\n".join(self.out) + "\n" if self.out else ""

    def _hang(self) -> None:
        if self.brackets and self.brackets[-1].hanging is None:
            self.brackets[-1].hanging = True

    def _start(self, token) -> int:
        """Start a line: emit the blank lines kept before it; return its indentation."""
        closer = token is not None and token.type in _CLOSERS
        limit = MAX_BLANK_TOP if self.depth == 0 and not self.brackets else MAX_BLANK
        if not self.out or self.after_open or closer:
            limit = 0
        self.out.extend([""] * min(self.blanks, limit))
        self.blanks = 0
        indent = self._indent(token)
        if not self.brackets and not self.cont:
            self.logical = indent
        return indent

    def _indent(self, token) -> int:
        closing = token is not None and token.type in ("RSQB", "RPAR")
        if self.brackets:
            bracket = self.brackets[-1]
            if bracket.hanging:
                return bracket.indent + (0 if closing else INDENT)
            return bracket.column - (1 if closing else 0)
        if self.cont:
            return self.logical + INDENT
        closes = token is not None and token.type == "RBRACE"
        return INDENT * max(self.depth - closes, 0)

    def _track(self, token) -> None:
        """Blocks and brackets opened or closed by the token just placed."""
        kind = token.type
        if kind == "LBRACE":
            self.depth += 1
        elif kind == "RBRACE":
            self.depth = max(self.depth - 1, 0)
        elif kind in ("LSQB", "LPAR"):
            line = self.cur or ""
            self.brackets.append(_Open(_indent_width(line), _width(line)))
        elif kind in ("RSQB", "RPAR") and self.brackets:
            self.brackets.pop()
        self.after_open = kind in _OPENERS
        self.prev = token


# ---- the command ------------------------------------------------------------------------------

def run_fmt(paths: Iterable[str], check_only: bool, show_diff: bool) -> int:
    """`charter fmt`: format the files under ``paths``; print what happened; the exit code.

    0 done (or nothing to change); 1 with ``check_only`` when a file would change; 2 when a
    file was refused (it does not parse, cannot be read, or an internal error); 3 when a
    file could not be written (it is left as it was). Nothing is written with ``check_only``
    or ``show_diff``; with ``show_diff`` stdout carries only the diff.
    """
    from charter.discovery import find_some

    files, unlisted = find_some(paths)
    tally = _Tally(check_only, show_diff)
    tally.unlisted(unlisted)
    for path in files:
        tally.add(path, format_file(path))
    tally.summary()
    return tally.exit_code()


class _Tally:
    """What `run_fmt` did, file by file, and its report."""

    def __init__(self, check_only: bool, show_diff: bool) -> None:
        self.check_only, self.show_diff = check_only, show_diff
        self.dry = check_only or show_diff
        self.changed = self.unchanged = self.refused = self.unwritten = 0

    def add(self, path: Path, result: FormatResult) -> None:
        """Report one file's result; write it unless only checking or diffing."""
        from charter.render import printable

        shown = printable(str(path))
        if not result.ok:
            self.refused += 1
            return self._refusal(shown, result)
        if not result.changed:
            self.unchanged += 1
            return
        if self.show_diff:
            _echo(unified_diff(result), nl=False)
        if self.dry:
            self.changed += 1
            _echo(f"would reformat {shown}", err=self.show_diff)
            return
        self._write(path, shown, result)

    def unlisted(self, diagnostics: list[Diagnostic]) -> None:
        """Report folders that could not be listed (CH-E209): their files were not formatted
        (nor, with `--check`, checked), so the run fails as for a refused file (exit 2)."""
        import sys

        from charter.render import render_text

        if diagnostics:
            self.refused += len(diagnostics)
            _echo(render_text(diagnostics, {}, color=sys.stderr.isatty()), err=True)

    def _write(self, path: Path, shown: str, result: FormatResult) -> None:
        try:
            write_formatted(path, result)
        except FormatError as why:
            self.refused += 1
            _echo(f"charter: not formatted {shown}: {why}", err=True)
        except OSError as why:
            self.unwritten += 1
            _echo(f"charter: cannot write {shown}: {why.strerror or why}; it is unchanged",
                  err=True)
        else:
            self.changed += 1
            _echo(f"reformatted {shown}")

    def _refusal(self, shown: str, result: FormatResult) -> None:
        import sys

        from charter.render import render_text

        if result.diagnostics:
            _echo(render_text(result.diagnostics, result.sources,
                              color=sys.stderr.isatty()), err=True)
            _echo(f"charter: not formatted {shown}: fix the errors above first", err=True)
        else:
            _echo(f"charter: internal error: not formatted {shown}: {result.error}; the file"
                  " is unchanged (please report it)", err=True)

    def summary(self) -> None:
        """One line: how many files changed (or would), how many did not, and failures."""
        verb = "would reformat" if self.dry else "reformatted"
        line = (f"{verb} {self.changed} file{'s' * (self.changed != 1)},"
                f" {self.unchanged} unchanged")
        failed = self.refused + self.unwritten
        if failed:
            line += f", {failed} not formatted"
        _echo(line, err=self.show_diff or bool(failed))

    def exit_code(self) -> int:
        """3 a file could not be written, 2 one was refused, 1 `--check` found changes."""
        if self.unwritten:
            return 3
        if self.refused:
            return 2
        return 1 if self.check_only and self.changed else 0


def _echo(text: str, err: bool = False, nl: bool = True) -> None:
    import click

    click.echo(text, err=err, nl=nl)


def unified_diff(result: FormatResult) -> str:
    """The change fmt would make, as a unified diff (`--- NAME` / `+++ NAME`), each line
    neutralised for a terminal (`charter.render.printable`)."""
    import difflib

    from charter.render import printable

    assert result.formatted is not None
    lines = difflib.unified_diff(_lines(result.original), _lines(result.formatted),
                                 result.name, result.name)
    out: list[str] = []
    for line in lines:
        text = line[:-1] if line.endswith("\n") else line
        out.append(printable(text) + "\n")
        if not line.endswith("\n"):
            out.append("\\ No newline at end of file\n")
    return "".join(out)


def _lines(text: str) -> list[str]:
    """Lines split at LF only, each keeping its LF (a CR stays part of its line)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines
