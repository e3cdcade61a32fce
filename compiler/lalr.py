"""lark's LALR parser over grammar/charter.lark: the reference for the language, and the
parser that explains and repairs syntax errors.

`charter.parser.parse_source` sends here only the files the fast reader (`charter.reader`)
declines. The grammar is loaded once per process (LALR tables cached on disk by lark, in
charter's private cache folder only: `build_grammar`). A syntax error does not stop the run:
the offending line is neutralised (braces kept balanced) and parsing resumes, so a file with
several independent mistakes reports all of them.
"""
from __future__ import annotations

import functools
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, NamedTuple

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import BasicLexer, Lexer

from charter.diagnostics import Diagnostic, Label, Reporter, Severity
from charter.literals import localise
from charter.parser import MAX_SYNTAX_ERRORS, RECOVERED
from charter.source import SourceFile, Span
from charter.syntax import (NAME_SHAPED, Approx, Arrow, AllOf, AnyOf, Attribute, Bad, Block, Compare, Item, ListValue,
                            Name, Number, Phrase, Plus, Range, Str, doc_node, items_of, literal,
                            span_of, string_node)

# Labelled bad snippets (lark match_examples): the parser state at the failure picks the label.
EXAMPLES: dict[tuple[str, str], list[str]] = {
    ("CH-E008", "missing `:` after attribute name"): [
        "channel X {\n margin 20%\n}\n", "margin 20%\n"],
    ("CH-E009", "missing value after `:`"): [
        "margin:\n", "channel X {\n margin:\n}\n", "margin: ,\n"],
    ("CH-E011", "unexpected `}` with no block open"): ["}\n", "a: 1\n}\n"],
    ("CH-E014", "block header must end with `{`"): [
        "channel X\n", "channel X \n a: 1\n}\n", "tier A B\n"],
    ("CH-E015", "operator with nothing after it"): [
        "a: 1 ->\n", "a: x and\n", "a: x or\n", "a: x >=\n", "a: 1 ,\n"],
    ("CH-E016", "unclosed `[` or `(`"): ["a: [1, 2\n", "a: (1\n", "a: [1, 2\n b\n",
                                         "a: [1, 2\n b {\n"],
}

TOKEN_NAMES = {
    "NAME": "a name", "COLON": "`:`", "LBRACE": "`{`", "RBRACE": "`}`", "_NL": "a new line",
    "MONEY": "money (`Rp 250K`)", "PERCENT": "a percentage (`35%`)", "NUMBER": "a number",
    "DATE": "a date (`2026-01-01`)", "STRING": "a string", "DOCSTRING": "a doc string",
    "ARROW": "`->`", "RANGE": "`..`", "PLUS": "`+`", "APPROX": "`~`", "CMP": "a comparison",
    "COMMA": "`,`", "SEMICOLON": "`;`", "LSQB": "`[`", "RSQB": "`]`", "LPAR": "`(`",
    "RPAR": "`)`", "INTERNAL": "`internal`", "OR": "`or`", "AND": "`and`", "$END": "end of file",
}


@functools.lru_cache(maxsize=1)
def grammar() -> Lark:
    """The charter LALR parser, built once per process and cached across runs."""
    return build_grammar()


# A name may look like an amount: `product USD2026`, `split s { RM5: 10% }`. Where the parser
# takes a name and never an amount (a block's kind and header, an attribute's key), such a
# token is the name; everywhere else it stays the amount (`list_price: RM5 per user per
# month`). `charter.reader` follows the same rule (`_Reader.word`); `charter.names` makes such
# an amount the name where the program defines it (`product: USD2026`).
class NamesFirstLexer(Lexer):
    """lark's basic lexer, but a name-shaped MONEY token is a NAME where the parser takes a
    name and no amount. (lark's contextual lexer would do this too, but would also split
    tokens differently in wrong text (`margin 20%`), and the explanations rely on the basic
    lexer's tokens.)"""

    __future_interface__ = 2

    def __init__(self, conf) -> None:
        self.basic = BasicLexer(conf)

    def lex(self, lexer_state, parser_state):
        table = parser_state.parse_conf.parse_table.states
        for token in self.basic.lex(lexer_state, parser_state):
            if token.type == "MONEY" and NAME_SHAPED.fullmatch(token):
                accepts = table[parser_state.position]
                if "NAME" in accepts and "MONEY" not in accepts:
                    token = Token.new_borrow_pos("NAME", str(token), token)
            yield token


GRAMMAR_OPTIONS = dict(parser="lalr", lexer=NamesFirstLexer, maybe_placeholders=False)


class SyntaxBuilder(Transformer):
    """Builds syntax nodes as the parser reduces each rule (lark's embedded transformer: no
    parse tree is built and walked again); literal errors go to the reporter.

    One builder is embedded in the one parser (`grammar`), so it is bound to
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

    def _literal(self, token: Token, kind: str):
        return literal(kind, str(token), self._span(token), self.reporter)

    def money(self, children):
        return self._literal(children[0], "money")

    def percent(self, children):
        return self._literal(children[0], "percent")

    def number(self, children):
        return self._literal(children[0], "number")

    def date(self, children):
        return self._literal(children[0], "date")

    def string(self, children):
        return string_node(str(children[0]), self._span(children[0]))

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
            return string_node(str(token), self._span(token))
        if token.type == "NUMBER":
            return self._literal(token, "number")
        return Name(str(token), self._span(token))

    def doc(self, children):
        token = children[0]
        return _Doc(doc_node(str(token), self._span(token)))

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
        return Block(str(kind), self._span(kind), header, doc, items_of(rest), internal, span)

    def start(self, children):
        return items_of(children)


@dataclass(frozen=True)
class _Doc:
    """A block's doc string, told apart from the block's other children."""

    node: Str


# The one builder, embedded in the parser: nodes are built as rules are reduced (no tree is
# built and walked again; spans come from the tokens). Bound to a file for each parse.
BUILDER = SyntaxBuilder()


def build_grammar() -> Lark:
    """Build the parser, reading and writing lark's table cache only in charter's private,
    verified cache folder (`charter.cachedir`), never in the shared temp directory.

    lark's cache is a pickle: whoever can write it runs code in the next charter. So the file
    lives in ``<cache root>/grammar`` (mode 0o700, owned by us, not a link, checked first) and
    is used only when it is a regular file we own that nobody else can write; its name carries
    a hash of the grammar, lark's version and Python's, and a new one is written under a
    temporary name and moved into place (`os.replace`), so a reader never sees half a file.
    When the folder cannot be verified the tables are built in memory (correct, slower).
    """
    import hashlib
    import importlib.resources
    import os
    import sys

    import lark

    from charter import cachedir

    def build(cache: str | bool) -> Lark:
        return Lark.open_from_package("charter.grammar", "charter.lark", cache=cache,
                                      transformer=BUILDER, **GRAMMAR_OPTIONS)

    folder = cachedir.private("grammar")
    if folder is None:
        return build(False)
    try:
        text = importlib.resources.files("charter.grammar").joinpath("charter.lark").read_bytes()
    except OSError:
        return build(False)
    tag = hashlib.sha256(text + repr(sorted(GRAMMAR_OPTIONS.items())).encode()).hexdigest()[:32]
    target = folder / "lalr-{}-lark{}-py{}{}.pickle".format(tag, lark.__version__,
                                                            *sys.version_info[:2])
    if cachedir.own_file(target):
        return build(str(target))
    temp = folder / f".tmp-{os.getpid()}-{os.urandom(6).hex()}"
    parser = build(str(temp))
    try:
        if cachedir.own_file(temp):
            os.replace(temp, target)
    except OSError:
        pass
    finally:
        try:
            os.unlink(temp)
        except OSError:
            pass
    return parser



def parse_with_recovery(source: SourceFile, reporter: Reporter) -> tuple[Item, ...]:
    """Parse one file (past `charter.parser`'s limits) with lark; every problem goes to
    ``reporter``.

    Each syntax error is reported once and the text is repaired so parsing can go on (`_fix`);
    what a repair rewrote is recorded on ``source`` (`recovered_lines`, `lost_names`), so later
    stages do not report the repair's echoes as mistakes of their own.
    """
    text: str | None = source.text
    touched: set[int] = set()   # lines a repair blanked: a new error there gives up
    softened: set[int] = set()  # lines a gentle repair kept: a new error there blanks them
    for _ in range(MAX_SYNTAX_ERRORS):
        # Literal errors are kept apart per attempt: an attempt that ends in a syntax error
        # is parsed again after the repair, and would report them twice.
        attempt = Reporter()
        try:
            with BUILDER.bound(source, attempt):
                items = grammar().parse(text + "\n")
        except UnexpectedInput as err:
            line = getattr(err, "line", -1)
            if line in touched:
                return ()  # an error on a line we rewrote: the rest would be noise
            fix = _fix(err, source, text, gentle=line not in softened)
            reporter.report(fix.diagnostic)
            if fix.text is None or fix.text == text:
                return ()
            if fix.kind == "line":
                touched.add(line)
            elif fix.kind == "gentle":
                softened.add(line)
            source.recovered_lines.update(_changed_lines(text, fix.text) | fix.region)
            source.lost_names.update(fix.lost)
            text = fix.text
            continue
        for diagnostic in attempt.items:
            reporter.report(diagnostic)
        return items
    return ()


class _Fix(NamedTuple):
    """A syntax error's diagnostic and the repaired text (None: give up)."""

    diagnostic: Diagnostic
    text: str | None
    kind: str = "line"                       # line | gentle | layout
    region: frozenset[int] = frozenset()     # lines the repair made meaningless
    lost: frozenset[str] = frozenset()       # names of definitions the repair removed ("*": any)


def _fix(err: UnexpectedInput, source: SourceFile, text: str, gentle: bool) -> _Fix:
    """The most plausible reading of one syntax error, and the repair that follows from it."""
    layout = _docstring_fix(err, source, text) or _layout_fix(err, source, text)
    if layout is not None:
        return layout
    if gentle and isinstance(err, UnexpectedToken):
        semicolon = _missing_semicolon(err, source, text)
        if semicolon is not None:
            return semicolon
    diagnostic = explain_error(err, source, text)
    new_text = _recover(text, err, diagnostic.code)
    lost = _lost_names(text, new_text) if new_text is not None else frozenset()
    return _Fix(diagnostic, new_text, "line", lost=lost)


def _changed_lines(old: str, new: str) -> set[int]:
    old_lines, new_lines = old.split("\n"), new.split("\n")
    return {i + 1 for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b}




def explain_error(err: UnexpectedInput, source: SourceFile, text: str) -> Diagnostic:
    """Turn a lark error into a diagnostic with a stable code, a clear message and help."""
    if isinstance(err, UnexpectedEOF) or _at_end(err, text):
        return _unclosed(source, text)
    if isinstance(err, UnexpectedCharacters):
        return _bad_character(err, source, text)
    assert isinstance(err, UnexpectedToken)
    span = _token_span(err, source)
    found = _describe_token(err.token)
    labelled = _classify(err)
    opener = _open_bracket(err, text)
    if opener is not None:
        return _unclosed_bracket(source, *opener)
    expected = localise(_expected(err), _declared_currency(text))
    if labelled and labelled[0] == "CH-E014" and not _starts_block(err, text):
        labelled = ("CH-E008", "missing `:` after attribute name")
    if labelled:
        code, message = labelled
        return Diagnostic(code, Severity.ERROR, f"{message}, found {found}", span,
                          label=f"unexpected {found}", help=(f"expected {expected}",))
    return Diagnostic("CH-E001", Severity.ERROR, f"unexpected {found}", span,
                      label="not expected here", help=(f"expected {expected}",))


@functools.lru_cache(maxsize=1)
def _example_states() -> dict:
    """Map LALR parser states reached by the labelled bad snippets to their labels.

    Like lark's ``match_examples``, but keyed on the state number alone (not stack depth), so
    a snippet matches the same mistake at any nesting level and after any number of items.
    """
    table: dict = {}
    for label, snippets in EXAMPLES.items():
        for snippet in snippets:
            try:
                with BUILDER.bound(SourceFile("<example>", snippet), Reporter()):
                    grammar().parse(snippet)
            except UnexpectedToken as err:
                table.setdefault((err.state.position, err.token.type), label)
            except UnexpectedInput:
                continue
    return table


def _classify(err: UnexpectedToken) -> tuple[str, str] | None:
    table = _example_states()
    position = err.state.position if err.state is not None else None
    return table.get((position, err.token.type))


def _starts_block(err: UnexpectedToken, text: str) -> bool:
    """Does the failing line begin with a block kind (`channel VAD`), not an attribute name?"""
    from charter.lower import BLOCK_KINDS
    line = text.split("\n")[err.token.line - 1] if err.token.line else ""
    words = line.split()
    return bool(words) and (words[0] in BLOCK_KINDS or words[0] == "internal")


def _at_end(err: UnexpectedInput, text: str) -> bool:
    token = getattr(err, "token", None)
    return token is not None and token.type == "$END" or getattr(err, "pos_in_stream", 0) is None


_OPENERS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|[{}\[\]()]')
_CLOSERS = {"}": "{", "]": "[", ")": "("}


def _open_stack(text: str) -> list[tuple[str, int]]:
    """The brackets still open at the end of ``text``: (character, offset), outermost first."""
    stack: list[tuple[str, int]] = []
    for match in _OPENERS.finditer(text):
        token = match.group()
        if token in "{[(":
            stack.append((token, match.start()))
        elif token in _CLOSERS and stack and stack[-1][0] == _CLOSERS[token]:
            stack.pop()
    return stack


def _open_bracket(err: UnexpectedToken, text: str) -> tuple[str, int] | None:
    """The `[`/`(` left open when the parser wants nothing but its closer (or more items)."""
    wanted = set(err.accepts or err.expected)
    if not wanted & {"RSQB", "RPAR"} or wanted - {"RSQB", "RPAR", "COMMA", "_NL", "ARROW", "RANGE",
                                                  "CMP", "OR", "AND"} - _ATOMS:
        return None
    if err.token.type in ("RBRACE", "$END") or err.token.line != _line_of(text, err):
        stack = _open_stack(text[:err.token.start_pos or 0])
        if stack and stack[-1][0] in "[(":
            return stack[-1]
    return None


_ATOMS = {"MONEY", "PERCENT", "NUMBER", "DATE", "STRING", "NAME", "PLUS", "APPROX", "LSQB", "LPAR"}


def _line_of(text: str, err: UnexpectedToken) -> int:
    stack = _open_stack(text[:err.token.start_pos or 0])
    return text.count("\n", 0, stack[-1][1]) + 1 if stack else -1


def _unclosed_bracket(source: SourceFile, char: str, offset: int) -> Diagnostic:
    line = source.position(offset)[0]
    closer = "]" if char == "[" else ")"
    return Diagnostic("CH-E016", Severity.ERROR, f"`{char}` opened on line {line} is never"
                      " closed", source.span(offset, offset + 1), label="opened here",
                      help=(f"add the missing `{closer}`",))


def _unclosed(source: SourceFile, text: str) -> Diagnostic:
    stack = _open_stack(text)
    if not stack:
        return Diagnostic("CH-E001", Severity.ERROR, "unexpected end of file", source.eof_span(),
                          label="file ends here", help=("finish the last statement",))
    char, offset = stack[-1]
    line = source.position(offset)[0]
    if char in "[(":
        return _unclosed_bracket(source, char, offset)
    return Diagnostic("CH-E003", Severity.ERROR, "unexpected end of file: a block is not closed",
                      source.eof_span(), label="file ends here",
                      labels=(Label(source.span(offset, offset + 1), "this `{` is never closed"),),
                      notes=(f"block opened on line {line}",), help=("add the missing `}`",))


def _bad_character(err: UnexpectedCharacters, source: SourceFile, text: str) -> Diagnostic:
    pos = err.pos_in_stream
    char = text[pos] if pos < len(text) else ""
    span = source.span_at(err.line, err.column, err.line, err.column + 1)
    if char == '"':
        return Diagnostic("CH-E002", Severity.ERROR, "unterminated string", span,
                          label="string starts here and is not closed on this line",
                          help=('close it with `"`; use `"""…"""` for text over several lines',))
    shown = repr(char)[1:-1] if char.isprintable() else f"U+{ord(char):04X}" if char else "?"
    return Diagnostic("CH-E004", Severity.ERROR, f"unexpected character `{shown}`", span,
                      label="not part of the charter language",
                      help=("names use letters, digits and `_`; text goes in quotes",))


def _token_span(err: UnexpectedToken, source: SourceFile) -> Span:
    # Line/column rather than offsets: earlier recoveries may have rewritten other lines.
    token = err.token
    if token.type == "_NL":
        return source.span_at(token.line, token.column, token.line, token.column)
    return source.span_at(token.line, token.column, token.end_line, token.end_column)


def _describe_token(token) -> str:
    if token.type == "_NL":
        return "end of line"
    name = TOKEN_NAMES.get(token.type)
    text = str(token).strip()
    return f"`{text}`" if text and token.type not in ("STRING", "DOCSTRING") else name or text


_CURRENCY_LINE = re.compile(r"^[ \t]*currency[ \t]*:[ \t]*([A-Z]{3})\b", re.M)


def _declared_currency(text: str) -> str | None:
    """The `currency:` the file declares, so help speaks it (the parser has no model yet)."""
    match = _CURRENCY_LINE.search(text)
    return match.group(1) if match else None


def _expected(err: UnexpectedToken) -> str:
    names = sorted({TOKEN_NAMES.get(t, t.lower()) for t in err.accepts or err.expected
                    if not t.startswith("__")})
    if len(names) > 6:
        names = names[:6] + ["…"]
    return "one of " + ", ".join(names) if len(names) > 1 else (names[0] if names else "nothing")


def _close_at_end(text: str) -> str | None:
    """Close what the file left open: blocks get `}`; an open `[`/`(` loses its line's rest."""
    stack = _open_stack(text)
    if not stack:
        return None
    char, offset = stack[-1]
    if char == "{":
        if text.endswith("\n}" * len(stack)):
            return None
        return text + "\n}" * len(stack)
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    return text[:offset] + "0" + " " * (line_end - offset - 1) + text[line_end:]


def _recover(text: str, err: UnexpectedInput, code: str) -> str | None:
    """Rewrite ``text`` so parsing can resume after ``err`` (None: give up)."""
    if isinstance(err, UnexpectedEOF) or _at_end(err, text) or code == "CH-E016":
        return _close_at_end(text)
    if code == "CH-E014" and _has_stray_closer(text):
        # the header lacks its `{` (its body's `}` closes nothing): supply it, parse the body
        lines = text.split("\n")
        lines[err.line - 1] += " {"
        return "\n".join(lines)
    return _neutralise(text, err)


def _neutralise(text: str, err: UnexpectedInput) -> str | None:
    """Blank the failing line but keep its braces balanced, so parsing can resume."""
    line = getattr(err, "line", None)
    if not isinstance(line, int) or line < 1:
        return None
    lines = text.split("\n")
    if line > len(lines):
        return None
    token = getattr(err, "token", None)
    last = line  # a doc string runs over several lines: all of them go
    if getattr(token, "type", "") == "DOCSTRING":
        last = min(max(token.end_line or line, line), len(lines))
    old = "\n".join(lines[line - 1:last])
    code = re.sub(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*', "", old)
    opens = code.count("{") - code.count("}")
    kind = getattr(token, "type", "")
    if kind == "RBRACE" and opens < 0:
        opens += 1  # the stray `}` is the error itself: drop it
    elif kind == "LBRACE" and opens > 0 and any(c == "{" for c, _ in _open_stack(text)):
        opens -= 1  # a `{` the file never closes is the error itself: drop it
    new = (f"{RECOVERED}{{" * opens) if opens > 0 else ("};" * -opens)
    if new == old.strip() or (not new and not old.strip()):
        return None
    lines[line - 1:last] = [new] + [""] * (last - line)
    return "\n".join(lines)


# ---- layout: a lost `}` or a lost block header, found by indentation --------------------------
# A deleted `}` makes the parser run on to the end of the file, and a deleted header line
# (`program x {`) leaves a body no block opens; either way the parser's own error is far from
# the mistake, and the file's indentation says where the mistake is. The layout is only
# trusted where the braces really do not balance, and only for blocks that are indented.

_LAYOUT = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*'
                     r'|\\[\t \f]*\n|\n[\t \f]*|[{}\[\]()]|[^\n{}\[\]()"#\\]+|.', re.S)
_STRINGS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*')


@dataclass
class _Open:
    """A `{` still open during the layout scan."""

    offset: int
    line: int
    indent: int               # of the line the `{` is on
    body: int | None = None   # of the block's first statement, once seen

    @property
    def indented(self) -> bool:
        """Whether the block's body is indented deeper than its header (else: not judged)."""
        return self.body is not None and self.body > self.indent


class _Unclosed(NamedTuple):
    """A `{` whose `}` is missing: it belongs before line ``before`` (None: the file's end)."""

    opener: int
    line: int
    before: int | None


class _Headless(NamedTuple):
    """Lines indented like a block's body, from ``start`` to the `}` that ends them, that no
    block header opens (the header line was deleted)."""

    start: int
    closer: int
    closer_line: int


def _layout_problem(text: str) -> _Unclosed | _Headless | None:
    """The first place where the braces and the indentation disagree."""
    stack: list[_Open] = []
    starts: list[tuple[int, int]] = []   # (line, indentation) of each statement
    line, indent, at_start, nesting = 1, 0, True, 0
    for match in _LAYOUT.finditer(text):
        token = match.group()
        if token[0] == "\n" or token[0] == "\\" and token[-1] == "\n":
            line += 1
            indent, at_start = (len(token) - 1, True) if token[0] == "\n" else (indent, False)
            continue
        if token[0] == "#" or token.isspace():
            continue
        if at_start and not nesting:
            problem = _judge(stack, starts, line, indent, token, match.start())
            if problem is not None:
                return problem
            starts.append((line, indent))
        at_start = False
        if stack and stack[-1].body is None and stack[-1].line == line and token != "}":
            stack[-1].body = indent + 1  # its body starts on the header's line, after the `{`
        if token == "{":
            stack.append(_Open(match.start(), line, indent))
        elif token == "}" and stack:
            stack.pop()
        elif token in ("[", "("):
            nesting += 1
        elif token in ("]", ")"):
            nesting = max(0, nesting - 1)
        line += token.count("\n")  # a doc string over several lines
    return _Unclosed(stack[-1].offset, stack[-1].line, None) if stack else None


def _judge(stack: list[_Open], starts: list[tuple[int, int]], line: int, indent: int,
           token: str, offset: int) -> _Unclosed | _Headless | None:
    """Judge one statement's first token against the innermost open block."""
    top = stack[-1] if stack else None
    if top is not None and top.body is None and token != "}":
        top.body = indent
    if token != "}":
        if top is not None and top.indented and indent <= top.indent:
            return _Unclosed(top.offset, top.line, line)  # a statement where its `}` belongs
        return None
    if top is not None and top.indented and indent < top.indent:
        return _Unclosed(top.offset, top.line, line)      # an outer block's `}`
    if top is None or top.indented and indent > top.indent:
        start = _body_start(starts, indent, top.line if top else 0)
        return _Headless(start, offset, line) if start is not None else None
    return None


def _body_start(starts: list[tuple[int, int]], indent: int, floor: int) -> int | None:
    """The first line of the statements just above that are indented deeper than ``indent``."""
    first = None
    for line, depth in reversed(starts):
        if depth <= indent or line <= floor:
            break
        first = line
    return first


def _layout_fix(err: UnexpectedInput, source: SourceFile, text: str) -> _Fix | None:
    """A repair guided by the layout, when the error is a consequence of a lost `}` or header."""
    at_end = isinstance(err, UnexpectedEOF) or _at_end(err, text)
    if not at_end and (getattr(err, "line", None) is None or _inline_closer(err, text)):
        return None
    opened = _open_stack(text)
    unclosed, stray = any(char == "{" for char, _ in opened), _has_stray_closer(text)
    if not unclosed and not stray:
        return None  # the braces balance: the layout has nothing to say
    problem = _layout_problem(text)
    if problem is None:
        return None
    first = problem.start if isinstance(problem, _Headless) else problem.before
    if not at_end and (first is None or err.line < first):
        return None  # the layout's problem comes later: this error is a mistake of its own
    if isinstance(problem, _Unclosed) and problem.before is not None and unclosed:
        # the header's line counts as repaired: the block (and those around it) may be partial
        return _Fix(_unclosed_before(source, text, problem), _insert_closer(text, problem.before),
                    "layout", frozenset({problem.line}))
    if isinstance(problem, _Headless) and stray:
        region = frozenset(range(problem.start, problem.closer_line + 1))
        return _Fix(_headless(source, problem), _open_recovered(text, problem.start), "layout",
                    region, frozenset({"*"}))
    return None


def _inline_closer(err: UnexpectedInput, text: str) -> bool:
    """Whether the error is a `}` after other code on its line: that `}` is the mistake."""
    token = getattr(err, "token", None)
    if getattr(token, "type", "") != "RBRACE" or not token.line:
        return False
    return bool(text.split("\n")[token.line - 1][:token.column - 1].strip())


def _has_stray_closer(text: str) -> bool:
    """Whether some `}` closes nothing (more `}` than `{` so far, somewhere in the file)."""
    depth = 0
    for match in _OPENERS.finditer(text):
        token = match.group()
        depth += (token == "{") - (token == "}")
        if depth < 0:
            return True
    return False


def _statement_span(source: SourceFile, line: int) -> Span:
    """The text of ``line`` without its indentation (or the line's start when it is blank)."""
    text = source.line_text(line)
    start = len(text) - len(text.lstrip())
    return source.span_at(line, start + 1, line, len(text.rstrip()) + 1)


def _unclosed_before(source: SourceFile, text: str, problem: _Unclosed) -> Diagnostic:
    head = _header_words(text, problem.opener)
    return Diagnostic(
        "CH-E003", Severity.ERROR, f"`{head}` on line {problem.line} is never closed",
        _char_span(source, text, problem.opener),
        label="this `{` has no `}`",
        labels=(Label(_statement_span(source, problem.before),
                      "the indentation says the block ends before this line"),),
        help=(f"add the missing `}}` before line {problem.before}",))


def _headless(source: SourceFile, problem: _Headless) -> Diagnostic:
    closer = _statement_span(source, problem.closer_line)
    closer = source.span(closer.start, closer.start + 1)
    return Diagnostic(
        "CH-E011", Severity.ERROR, f"`}}` on line {problem.closer_line} closes a block that"
        " was never opened: its header line is missing", closer,
        label="no header opens this block",
        labels=(Label(_statement_span(source, problem.start),
                      "indented like a block's body from here"),),
        help=(f"restore the block's header line (`kind Name {{`) above line {problem.start},"
              " or remove this `}`",))


def _char_span(source: SourceFile, text: str, offset: int) -> Span:
    """The span of the one character of ``text`` at ``offset``, by line and column (recovery
    keeps every line where it was)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return source.span_at(line, column, line, column + 1)


def _header_words(text: str, opener: int) -> str:
    """`service {`, `tier Elite {`: the header of the block a `{` opens, as written."""
    start = text.rfind("\n", 0, opener) + 1
    head = re.sub(r'"(?:[^"\\\n]|\\.)*"', '"…"', text[start:opener])
    words = re.split(r"[;{}]", head)[-1].split()
    return " ".join(words[-4:] + ["{"])


def _blank_above(lines: list[str], index: int) -> int | None:
    """The blank line nearest above line ``index`` (0-based), with only comments between."""
    for above in range(index - 1, -1, -1):
        stripped = lines[above].strip()
        if not stripped:
            return above
        if not stripped.startswith("#"):
            return None
    return None


def _insert_closer(text: str, before: int) -> str:
    """Add a `}` just before line ``before`` without moving any other token: on a blank line
    above, in the line's own indentation, or after the code of the line above."""
    lines = text.split("\n")
    index = before - 1
    blank = _blank_above(lines, index)
    own = lines[index]
    depth = len(own) - len(own.lstrip())
    if blank is not None:
        lines[blank] += "}"
    elif depth:
        lines[index] = own[:depth - 1] + "}" + own[depth:]
    else:
        lines[index] = "} " + own
    return "\n".join(lines)


def _open_recovered(text: str, start: int) -> str:
    """Open a recovered block (`_ {`, dropped by the builder) just above line ``start``."""
    lines = text.split("\n")
    blank = _blank_above(lines, start - 1)
    if blank is not None:
        lines[blank] += f"{RECOVERED}{{"
    else:
        lines[start - 1] = f"{RECOVERED}{{ " + lines[start - 1]
    return "\n".join(lines)


# ---- a missing `;` between two attributes on one line ------------------------------------------

_BEFORE_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*:([^:;{}]*?\S)(\s+)"
                         r"([A-Za-z_][A-Za-z0-9_]*)\s*$")


def _missing_semicolon(err: UnexpectedToken, source: SourceFile, text: str) -> _Fix | None:
    """`margin: 35% mdf: 2%`: the `:` of a second attribute met inside the first one's value.
    The `;` is put in (the space before the key becomes `;`), so the line keeps its meaning."""
    token = err.token
    if token.type != "COLON" or not token.line:
        return None
    lines = text.split("\n")
    row = lines[token.line - 1]
    prefix = re.sub(r'"(?:[^"\\\n]|\\.)*"', lambda m: "x" * len(m.group()), row[:token.column - 1])
    match = _BEFORE_KEY.search(prefix)
    if match is None:
        return None
    first, key = match.group(1), match.group(4)
    gap = match.end(3) - 1   # the last space before the key becomes the `;`
    lines[token.line - 1] = row[:gap] + ";" + row[gap + 1:]
    span = source.span_at(token.line, match.start(4) + 1, token.line, match.end(4) + 1)
    value = row[match.start(2):match.end(2)].strip()
    diagnostic = Diagnostic(
        "CH-E001", Severity.ERROR, f"missing `;` before `{key}`: two attributes on one line",
        span, label=f"`{key}:` starts a new attribute",
        help=(f"separate attributes on one line with `;`: `{first}: {value}; {key}: …`",))
    return _Fix(diagnostic, "\n".join(lines), "gentle")


# ---- what a repair lost ------------------------------------------------------------------------

_HEADER = re.compile(r"(?:^|[{;])\s*(?:internal\s+)?([A-Za-z_][A-Za-z0-9_]*)\s+"
                     r"([A-Za-z_][A-Za-z0-9_]*)[^{};:]*\{")


def _lost_names(old: str, new: str) -> frozenset[str]:
    """Names of blocks whose header line a repair blanked (`tier Gold { … }` → `Gold`):
    references to them are echoes of the syntax error, not unknown names."""
    from charter.lower import BLOCK_KINDS
    lost: set[str] = set()
    for before, after in zip(old.split("\n"), new.split("\n")):
        if before != after:
            code = re.sub(r'"(?:[^"\\\n]|\\.)*"|#.*', "", before)
            lost.update(name for kind, name in _HEADER.findall(code) if kind in BLOCK_KINDS)
    return frozenset(lost)


# ---- a doc string whose opening or closing `"""` was lost ---------------------------------------
# Without its closing `"""` a doc string runs on to the next `"""`, and every string after it
# pairs the wrong way round: code is read as text and text as code. A doc string holding a
# block's `}` or a block header is that mistake; the text it should have held ends before its
# first line of code.

_BLOCK_LINE = re.compile(r"^[ \t]*(?:\}|(?:internal[ \t]+)?([a-z_]+)\b[^{}\n\"]*\{)[ \t]*(?:#.*)?$")
_CODE_LINE = re.compile(r"^[ \t]*(?:\}|[A-Za-z_][A-Za-z0-9_]*[ \t]*:[ \t]*\S|.*\{[ \t]*(?:#.*)?$)")


def _docstrings(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of every doc string token, as the lexer pairs the quotes."""
    return [m.span() for m in _STRINGS.finditer(text) if m.group().startswith('"""')]


def _runs_into_code(text: str, start: int, end: int) -> int | None:
    """The 0-based line (of ``text``) where a doc string's text turns into code, if it holds a
    block's `}` or a block header (strong evidence), else None."""
    from charter.lower import BLOCK_KINDS
    lines = text[start:end].split("\n")[1:-1]
    strong = any((m := _BLOCK_LINE.match(line))
                 and (m.group(1) is None or m.group(1) in BLOCK_KINDS) for line in lines)
    if not strong:
        return None
    first = text.count("\n", 0, start)
    return next(first + 1 + i for i, line in enumerate(lines) if _CODE_LINE.match(line))


def _docstring_fix(err: UnexpectedInput, source: SourceFile, text: str) -> _Fix | None:
    """A repair for a doc string that lost its closing (or opening) `\"\"\"`."""
    line = getattr(err, "line", None)
    if not isinstance(line, int) or '"""' not in text:
        return None
    lines = text.split("\n")
    limit = sum(len(row) + 1 for row in lines[:line])   # the end of the error's line
    for start, end in _docstrings(text):
        if start >= limit:
            break
        code = _runs_into_code(text, start, end)
        if code is not None:
            lines[code - 1] += '"""'
            return _Fix(_unclosed_doc(source, text, start, code), "\n".join(lines), "layout")
    return _unopened_docstring(err, source, text, line)


def _unopened_docstring(err: UnexpectedInput, source: SourceFile, text: str,
                        line: int) -> _Fix | None:
    """Text read as code up to a `\"\"\"` that ends a line: that `\"\"\"` closed a doc string whose
    opening was lost (and now opens one that runs into code)."""
    offset = source.offset(line, 1)
    after = next(((s, e) for s, e in _docstrings(text) if s >= offset), None)
    if after is None or _runs_into_code(text, *after) is None:
        return None
    lines = text.split("\n")
    closer = text.count("\n", 0, after[0])          # 0-based line of the stray `"""`
    first = closer
    while first > 0 and not _CODE_LINE.match(lines[first - 1]) and lines[first - 1].strip():
        first -= 1
    if not first <= line - 1 <= closer:
        return None
    depth = len(lines[first]) - len(lines[first].lstrip())
    lines[first] = lines[first][:depth] + '"""' + lines[first][depth:]
    return _Fix(_unopened_doc(source, first + 1, closer + 1), "\n".join(lines), "layout")


def _unclosed_doc(source: SourceFile, text: str, start: int, code: int) -> Diagnostic:
    opener = text.count("\n", 0, start) + 1
    return Diagnostic(
        "CH-E002", Severity.ERROR, f"doc string opened on line {opener} is not closed before"
        f" the code on line {code + 1}", _char_span(source, text, start).to(
            _char_span(source, text, start + 2)),
        label='this `"""` is never closed',
        labels=(Label(_statement_span(source, code + 1), "code, read as part of the doc string"),),
        help=(f'close the doc string with `"""` at the end of its text (line {code})',))


def _unopened_doc(source: SourceFile, first: int, closer: int) -> Diagnostic:
    text = source.line_text(closer)
    end = text.rfind('"""') + 1
    return Diagnostic(
        "CH-E002", Severity.ERROR, f"doc string has no opening `\"\"\"`: its text on lines"
        f" {first}–{closer} is read as code", _statement_span(source, first),
        label='the doc string should open here',
        labels=(Label(source.span_at(closer, end, closer, end + 3),
                      'this `"""` closes a doc string that was never opened'),),
        help=(f'add `"""` before the text on line {first}',))
