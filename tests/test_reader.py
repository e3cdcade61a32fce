"""The fast reader (`charter.reader`) against lark's parser (`charter.lalr`), the reference.

For any text, the reader either declines (and then lark must find a syntax error) or gives
exactly lark's items, spans and literal diagnostics. Held over every program in the
repository, generated programs, the fuzzer's mutants of the bundled programs, and random
token soup that reaches the grammar's corners (`~` on a list, `..` with one end, a block's
last attribute without `;`, keywords where names go).
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO

from charter.diagnostics import Reporter
from charter.source import SourceFile

NAME = "reader.charter"


def _lark(text: str):
    """lark's items and diagnostics for ``text``, or None when lark finds a syntax error."""
    from lark import UnexpectedInput

    from charter.lalr import BUILDER, grammar

    reporter = Reporter()
    source = SourceFile(NAME, text)
    try:
        with BUILDER.bound(source, reporter):
            items = grammar().parse(source.text + "\n")
    except UnexpectedInput:
        return None
    return items, reporter.items


def _reader(text: str):
    from charter.reader import read

    reporter = Reporter()
    items = read(SourceFile(NAME, text), reporter)
    return None if items is None else (items, reporter.items)


def assert_same(text: str, must_read: bool = False) -> None:
    """The reader reads ``text`` as lark does, or declines text lark rejects (text past the
    limits that `charter.parser` checks first is never given to either)."""
    from charter.parser import _precheck

    if not _precheck(SourceFile(NAME, text), Reporter()):
        assert not must_read
        return
    fast, reference = _reader(text), _lark(text)
    if fast is None:
        assert not must_read, "the reader declined a file it should read"
        assert reference is None, f"the reader declined well-formed text:\n{text}"
        return
    assert reference is not None, f"the reader accepted text lark rejects:\n{text}"
    assert fast[0] == reference[0], f"items differ for:\n{text}"
    assert fast[1] == reference[1], f"diagnostics differ for:\n{text}"


def _repository_programs() -> list:
    skip = {".venv", ".git", "compiled"}
    return sorted(p for p in REPO.rglob("*.charter") if not skip & set(p.relative_to(REPO).parts))


@pytest.mark.parametrize("path", _repository_programs(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_program_in_the_repository(path):
    # Any file found, a scratch file with mistakes too: read as lark reads it, or declined
    # where lark finds an error. That the reader reads the bundled programs is tested below.
    assert_same(path.read_bytes().decode("utf-8", errors="replace"))


def test_the_reader_reads_the_bundled_programs():
    """Not declining everything: each bundled program is read by the reader itself."""
    for path in sorted((REPO / "programs").glob("*.charter")):
        assert _reader(path.read_text(encoding="utf-8")) is not None, path.name


@pytest.mark.parametrize("name", ["ejourney", "saas-reseller", "elision", "two-channel"])
def test_mutants_of_the_bundled_programs(name):
    from test_fuzz import mutant_program

    read = 0
    for index in range(120):
        _, data = mutant_program(name, index)
        text = data.decode("utf-8", errors="replace")
        assert_same(text)
        read += _reader(text) is not None
    assert read > 0, "no mutant was read by the reader: the comparison proved nothing"


# Fragments that, strung together, reach every rule and most of the grammar's edges.
_SOUP = ("a", "tier", "internal", "and", "or", ":", "{", "}", "\n", "\n  ", ";", ",", "1",
         "1,5", "35%", "Rp 2,4 Miliar", "$5K", "2026-01-01", '"s"', '"""doc\n  two"""', "..",
         "->", "<=", ">", "~", "≈", "+", "[", "]", "(", ")", " ", "# note\n", "\\\n", "1,,5%",
         "2026-13-40", "x_1", "≤", "!=", "==", "€5", "RM5", "US$ 1.5 million", "K", "_",
         '"a\\"b"', "\t", "-", "=", ".", "internal tier")


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_SOUP), max_size=24), st.sampled_from([" ", ""]))
def test_token_soup(fragments, separator):
    assert_same(separator.join(fragments))


def _shaped(rng: random.Random) -> str:
    """A small program that is mostly well-formed: blocks, attributes and values in place."""
    values = ["20%", "Rp 250K per user per month", "a -> b -> c", "x and y or z",
              "revenue >= $5M per year", "1 .. 5", ".. 3", "2+", "~35%", "[a, b]",
              "[\n  a,\n  b\n]", "(a or b) and c", "[]", '"t"', "12 months, 2 years",
              "1,5 .. ", "~[1, 2]", "a b c"]
    lines = []
    depth = 0
    for _ in range(rng.randint(1, 14)):
        roll = rng.random()
        if roll < 0.25:
            lines.append(rng.choice(["channel A {", "internal tier Gold {", 'product "P" 2 {',
                                     "handover A -> B {", "service {"]))
            depth += 1
            if rng.random() < 0.3:
                lines.append('"""Doc."""')
        elif roll < 0.4 and depth:
            lines.append("}" + rng.choice(["", ";", " # end"]))
            depth -= 1
        else:
            lines.append(f"k{rng.randint(0, 9)}: {rng.choice(values)}"
                         + rng.choice(["", ";", "; j: 1", " # c"]))
    lines += ["}"] * depth
    return rng.choice(["\n", "\n\n", "\n  "]).join(lines) + rng.choice(["", "\n"])


def test_shaped_programs():
    rng = random.Random(20261129)
    read = 0
    for _ in range(600):
        text = _shaped(rng)
        assert_same(text)
        read += _reader(text) is not None
    assert read > 300


def test_generated_programs():
    """Programs over all constructs (tests/program_strategy.py) are read as lark reads them."""
    from program_strategy import programs

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(programs())
    def check(text):
        assert_same(text, must_read=True)

    check()


def test_literal_errors_are_reported_once_and_only_when_read():
    from charter.parser import parse_source

    read = Reporter()
    parse_source(SourceFile(NAME, "a: 1\nb: 2026-13-40\n"), read)
    assert [(d.code, d.span.line) for d in read.items] == [("CH-E007", 2)]
    declined = Reporter()  # a syntax error later: lark reads the file, the literal once
    parse_source(SourceFile(NAME, "a: 1\nb: 2026-13-40\nc: {\n"), declined)
    assert sorted((d.code, d.span.line) for d in declined.items) == [("CH-E001", 3),
                                                                      ("CH-E007", 2)]


def test_a_well_formed_check_does_not_import_lark(tmp_path):
    import subprocess
    import sys

    program = REPO / "programs" / "ejourney.charter"
    code = ("import sys; from charter.api import check_paths; check_paths([sys.argv[1]]);"
            " print('lark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(program)], capture_output=True,
                         text=True, check=True, env=_env(tmp_path)).stdout
    assert out.strip() == "False"


def _env(tmp_path):
    import os

    return {**os.environ, "CHARTER_CACHE_DIR": str(tmp_path / "cache")}
