"""No input, however broken, produces a traceback or hangs: it gets diagnostics and exit 1."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PROGRAMS

BUNDLED = sorted(PROGRAMS.rglob("*.charter"))


def check_text(text: str):
    from charter.api import compile_text
    program, reporter = compile_text(text)
    return reporter.sorted()


def check_bytes(tmp_path, data: bytes):
    from charter.api import check_paths
    path = tmp_path / "broken.charter"
    path.write_bytes(data)
    return check_paths([path])


@pytest.mark.parametrize("program", BUNDLED, ids=[p.name for p in BUNDLED])
def test_every_truncation_of_a_bundled_program_is_diagnosed(program):
    text = program.read_text(encoding="utf-8")
    cuts = sorted(set(range(0, len(text), max(1, len(text) // 60))))
    for cut in cuts:
        diagnostics = check_text(text[:cut])
        for d in diagnostics:
            assert d.code.startswith("CH-") and d.message


@pytest.mark.parametrize("program", BUNDLED, ids=[p.name for p in BUNDLED])
def test_random_corruption_of_a_bundled_program_is_diagnosed(program, tmp_path):
    data = bytearray(program.read_bytes())
    rng = random.Random(program.name)
    for _ in range(40):
        corrupt = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            corrupt[rng.randrange(len(corrupt))] = rng.randrange(256)
        result = check_bytes(tmp_path, bytes(corrupt))
        assert all(d.code.startswith("CH-") for d in result.diagnostics)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list('{}[]()":,;.-><=~+%#\n _aZ09Rp$"\'')) ,
               max_size=200))
def test_arbitrary_token_soup_never_crashes(text):
    for d in check_text(text):
        assert d.code.startswith("CH-")


def test_binary_input_is_refused(tmp_path):
    result = check_bytes(tmp_path, bytes(range(256)) * 4)
    assert [d.code for d in result.errors] == ["CH-E010"]


def test_non_utf8_input_is_refused(tmp_path):
    result = check_bytes(tmp_path, b'program x {\n  title: "caf\xe9"\n}\n')
    assert [d.code for d in result.errors] == ["CH-E205"]
    assert result.errors[0].span.line == 2


def test_huge_file_is_refused():
    from charter.parser import MAX_BYTES
    diagnostics = check_text("# x\n" * (MAX_BYTES // 4 + 10))
    assert [d.code for d in diagnostics] == ["CH-E012"]


@pytest.mark.parametrize("opener,closer", [("a {\n", "}\n"), ("[", "]"), ("(", ")")])
def test_deep_nesting_is_refused_not_a_recursion_error(opener, closer):
    body = opener * 5000 + closer * 5000
    text = body if opener.startswith("a") else f"x: {body}\n"
    assert "CH-E013" in [d.code for d in check_text(text)]


def test_many_errors_are_capped_and_fast():
    import time
    start = time.perf_counter()
    diagnostics = check_text("a b c\n" * 2000)
    assert time.perf_counter() - start < 20
    assert 0 < len(diagnostics) <= 30


def test_cli_never_prints_a_traceback(tmp_path):
    from click.testing import CliRunner
    from charter.cli import main
    path = tmp_path / "x.charter"
    path.write_bytes(b"program {{{ \x00 ]]] \xff")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


@pytest.mark.parametrize("text", ["x: []\n", "channel A { x: [] }\n", "a: [\n]\n",
                                  "program p { locales: [] }\n"])
def test_an_empty_list_is_a_value_not_a_traceback(text):
    """`[]` used to raise IndexError while building its span."""
    from charter.parser import parse_source
    from charter.diagnostics import Reporter
    from charter.source import SourceFile
    from charter.syntax import Block, ListValue

    source = SourceFile("t.charter", text)
    items = parse_source(source, Reporter())
    item = items[0]
    attribute = item.attributes()[0] if isinstance(item, Block) else item
    value = attribute.values[0]
    assert isinstance(value, ListValue) and value.items == ()
    assert text[value.span.start:value.span.end].replace("\n", "") == "[]"
    check_text(text)  # and the whole pipeline answers with diagnostics


def test_a_literal_error_is_reported_once_when_a_later_line_is_repaired():
    """The parser builds nodes as it goes; an attempt that ends in a syntax error is parsed
    again after the repair, and must not report the literal errors before it twice."""
    text = "a: 1,2.3.4\nb: 5 5 :\nc: 2\n"
    codes = [d.code for d in check_text(text)]
    assert codes.count("CH-E007") == 1, codes
    assert any(c.startswith("CH-E0") and c != "CH-E007" for c in codes), codes


def test_block_spans_run_from_the_first_word_to_the_closing_brace():
    from charter.diagnostics import Reporter
    from charter.parser import parse_source
    from charter.source import SourceFile

    text = "internal channel A {\n  x: 1\n}\nchannel B { tier T { y: 2 } }\n"
    first, second = parse_source(SourceFile("t.charter", text), Reporter())
    assert text[first.span.start:first.span.end] == "internal channel A {\n  x: 1\n}"
    assert text[second.span.start:second.span.end] == "channel B { tier T { y: 2 } }"
    inner = second.blocks()[0]
    assert text[inner.span.start:inner.span.end] == "tier T { y: 2 }"


@pytest.mark.parametrize("enabled", [True, False])
def test_a_check_leaves_the_garbage_collector_as_it_found_it(tmp_path, enabled):
    """`check_paths` pauses the cyclic collector for speed; a library caller's setting is
    restored, also when the check fails."""
    import gc

    from charter.api import check_paths

    (tmp_path / "bad.charter").write_text("program {\n", encoding="utf-8")
    (gc.enable if enabled else gc.disable)()
    try:
        assert not check_paths([tmp_path]).ok
        assert gc.isenabled() is enabled
        with pytest.raises(FileNotFoundError):
            _raise_inside()
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def _raise_inside():
    from charter.collector import paused

    with paused():
        assert not __import__("gc").isenabled()
        raise FileNotFoundError


def test_a_frozen_pause_moves_what_it_leaves_alive_out_of_the_collectors_sight():
    """`paused(freeze=True)` (the CLI's check): objects alive after the block are frozen, so
    no later collection walks them; the collector is restored as it was."""
    import gc

    from charter.collector import paused

    gc.unfreeze()
    try:
        with paused(freeze=True):
            kept = [[i] for i in range(1000)]
        assert gc.isenabled() and gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
    with paused():
        kept = [[i] for i in range(1000)]
    assert gc.get_freeze_count() == 0
