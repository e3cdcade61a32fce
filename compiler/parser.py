"""Parsing: text → syntax tree, with friendly errors and recovery.

The grammar is loaded once per process (LALR tables cached on disk by lark, in charter's
private cache folder only: `build_grammar`). A syntax error
does not stop the run: the offending line is neutralised (braces kept balanced) and parsing
resumes, so a file with several independent mistakes reports all of them.
"""
from __future__ import annotations

import functools
import re

from lark import Lark, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from charter.diagnostics import Diagnostic, Reporter, Severity
from charter.source import SourceFile, Span
from charter.syntax import Item, SyntaxBuilder

MAX_SYNTAX_ERRORS = 25
MAX_BYTES = 4_000_000
MAX_DEPTH = 48              # `{`, `[`, `(` and `~` nested in one another (CH-E013)
MAX_LINE_CHARS = 10_000     # characters on one line (CH-E017)
MAX_LIST_ITEMS = 10_000     # values in one `a, b, …` or `[a, b, …]` (CH-E018)
MAX_TOKENS = 300_000        # tokens in one file, about as lark counts them (CH-E019)
MAX_DEFINITIONS = 20_000    # blocks (`channel X { … }`, `tier`, …) in one file (CH-E020)
RECOVERED = "_"  # block kind written over a neutralised line; dropped by the builder

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


GRAMMAR_OPTIONS = dict(parser="lalr", lexer="basic", propagate_positions=True,
                       maybe_placeholders=False)


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
                                      **GRAMMAR_OPTIONS)

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


def parse_source(source: SourceFile, reporter: Reporter) -> tuple[Item, ...]:
    """Parse one file into syntax items; every problem goes to ``reporter``."""
    if not _precheck(source, reporter):
        return ()
    text: str | None = source.text
    touched: set[int] = set()
    for _ in range(MAX_SYNTAX_ERRORS):
        try:
            tree = grammar().parse(text + "\n")
        except UnexpectedInput as err:
            line = getattr(err, "line", -1)
            if line in touched:
                return ()  # an error on a line we rewrote: the rest would be noise
            diagnostic = explain_error(err, source, text)
            reporter.report(diagnostic)
            new_text = _recover(text, err, diagnostic.code)
            if new_text is None:
                return ()
            touched.add(line)
            source.recovered_lines.update(_changed_lines(text, new_text))
            text = new_text
            continue
        return SyntaxBuilder(source, reporter).transform(tree)
    return ()


def _changed_lines(old: str, new: str) -> set[int]:
    old_lines, new_lines = old.split("\n"), new.split("\n")
    return {i + 1 for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b}


def _precheck(source: SourceFile, reporter: Reporter) -> bool:
    """Refuse inputs the parser should never see: huge, binary or absurdly nested."""
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
    return _check_shape(source, reporter) and _check_lines(source, reporter)


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
    expected = _expected(err)
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
    from charter.diagnostics import Label
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
    if code == "CH-E014":  # the header lacks its `{`: supply it and parse the body normally
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
    old = lines[line - 1]
    code = re.sub(r'"(?:[^"\\\n]|\\.)*"|#.*', "", old)
    opens = code.count("{") - code.count("}")
    if getattr(getattr(err, "token", None), "type", "") == "RBRACE" and opens < 0:
        opens += 1  # the stray `}` is the error itself: drop it
    new = (f"{RECOVERED}{{" * opens) if opens > 0 else ("};" * -opens)
    if new == old.strip() or (not new and not old.strip()):
        return None
    lines[line - 1] = new
    return "\n".join(lines)
