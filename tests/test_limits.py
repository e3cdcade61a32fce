"""Limits that bound a check's time and memory (issue 10, "Never hang, never exhaust memory").

Each limit has its own diagnostic and is a module constant, so these tests lower it rather
than write huge inputs; the degenerate inputs from the issue are generated here, at full size.
"""
from __future__ import annotations

import time

import pytest

from charter.api import check_paths, compile_text


def _codes(text: str) -> list[str]:
    return [d.code for d in compile_text(text)[1].items]


def _chain(folder, n: int) -> None:
    """``n`` files, each extending the one before (f000 is an abstract base)."""
    (folder / "charter.toml").write_text("")
    (folder / "f000.charter").write_text(
        'program base_0 {\n    title: "b"\n    version: "1.0.0"\n    abstract: yes\n}\n')
    for i in range(1, n):
        (folder / f"f{i:03}.charter").write_text(
            f'extends: "f{i - 1:03}.charter"\nprogram base_{i} {{\n    title: "b{i}"\n'
            '    abstract: yes\n}\n')


def test_a_comma_list_of_300_kb_returns_quickly_with_a_diagnostic():
    text = "x: " + ", ".join(["a"] * 100_000) + "\n"   # 300 KB on one line: 8 s before
    start = time.perf_counter()
    codes = _codes(text)
    assert time.perf_counter() - start < 1.0
    assert codes == ["CH-E018"]


def test_a_3_8_mb_degenerate_file_returns_quickly():
    text = "x: [\n" + "a,\n" * 1_250_000 + "a]\n"       # 65 s and 2.1 GB before
    start = time.perf_counter()
    codes = _codes(text)
    assert time.perf_counter() - start < 2.0
    assert codes == ["CH-E018"]


def test_long_line_is_refused_quickly():
    from charter.parser import MAX_LINE_CHARS
    diagnostics = compile_text("a: 1\nx: " + "b" * MAX_LINE_CHARS + "\n")[1].items
    assert [d.code for d in diagnostics] == ["CH-E017"]
    assert (diagnostics[0].span.line, diagnostics[0].span.column) == (2, MAX_LINE_CHARS + 1)
    assert _codes("x: " + "b" * (MAX_LINE_CHARS - 4) + "\n") != ["CH-E017"]


@pytest.mark.parametrize("shape", ["x: {}\n", "x: [{}]\n", "x: [\n  {}\n]\n", "x: ({})\n"])
def test_long_list_is_refused(monkeypatch, shape):
    monkeypatch.setattr("charter.parser.MAX_LIST_ITEMS", 5)
    assert "CH-E018" in _codes(shape.format(", ".join(["a"] * 6)))
    assert "CH-E018" not in _codes(shape.format(", ".join(["a"] * 5)))


def test_list_length_counts_each_statement_separately(monkeypatch):
    monkeypatch.setattr("charter.parser.MAX_LIST_ITEMS", 3)
    text = "channel A {\n  x: a, b, c\n  y: a, b, c; z: a, b, c\n  w: [a, b], [c], d\n}\n"
    assert "CH-E018" not in _codes(text)


def test_too_many_tokens_is_refused(monkeypatch):
    monkeypatch.setattr("charter.parser.MAX_TOKENS", 100)
    assert _codes("x: a\n" * 40) == ["CH-E019"]
    assert "CH-E019" not in _codes("x: a  # a comment is not counted, nor is \"a string\"\n" * 30)


def test_too_many_blocks_is_refused(monkeypatch):
    monkeypatch.setattr("charter.parser.MAX_DEFINITIONS", 10)
    assert _codes("tier A {\n  x: 1\n}\n" * 11) == ["CH-E020"]


@pytest.mark.parametrize("chain", ["~" * 5000 + "a", "~ " * 5000 + "a", "\u2248" * 3000 + "a",
                                   "[" * 30 + "~" * 30 + "a" + "]" * 30])
def test_tilde_chain_is_nesting_not_a_recursion_error(chain):
    assert _codes(f"x: {chain}\n") == ["CH-E013"]


def test_bundled_programs_are_far_inside_the_limits():
    from charter.diagnostics import Reporter
    from charter.parser import _check_lines, _check_shape
    from charter.source import SourceFile

    from conftest import PROGRAMS
    for path in PROGRAMS.rglob("*.charter"):
        source = SourceFile(str(path), path.read_text(encoding="utf-8") * 100)
        reporter = Reporter()
        assert _check_lines(source, reporter) and _check_shape(source, reporter), reporter.items


def test_each_file_of_an_extends_chain_is_parsed_once_per_run(tmp_path, monkeypatch):
    import charter.loader
    from charter.parser import parse_source

    calls: list[str] = []

    def counting(source, reporter):
        calls.append(source.path)
        return parse_source(source, reporter)

    monkeypatch.setattr(charter.loader, "parse_source", counting)
    monkeypatch.setattr(charter.loader, "MAX_EXTENDS_DEPTH", 1000)
    _chain(tmp_path, 150)
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    result = check_paths(["."])
    elapsed = time.perf_counter() - start
    assert len(calls) == 150 == len(set(calls))       # 11,325 before
    assert result.ok and len(result.programs) == 150
    assert elapsed < 10


def test_a_base_with_a_syntax_error_is_reported_once_and_poisons_each_extender(tmp_path,
                                                                               monkeypatch):
    _chain(tmp_path, 3)
    (tmp_path / "f000.charter").write_text("program base_0 {\n  title \"b\"\n}\n")
    monkeypatch.chdir(tmp_path)
    result = check_paths(["."])
    assert len(result.errors) == 1 and result.errors[0].span.file == "f000.charter"
    for name in ("f001.charter", "f002.charter"):
        from charter.api import compile_file
        _program, reporter, _sources = compile_file(name)
        assert reporter.has_errors


def test_extends_chain_deeper_than_the_limit_is_refused(tmp_path, monkeypatch):
    from charter.loader import MAX_EXTENDS_DEPTH
    _chain(tmp_path, MAX_EXTENDS_DEPTH + 2)
    monkeypatch.chdir(tmp_path)
    deepest = f"f{MAX_EXTENDS_DEPTH + 1:03}.charter"
    result = check_paths([deepest])
    assert [d.code for d in result.diagnostics] == ["CH-E208"]
    assert result.diagnostics[0].span.file == "f001.charter"
    assert check_paths([f"f{MAX_EXTENDS_DEPTH:03}.charter"]).ok


def test_a_1000_deep_extends_chain_is_a_diagnostic_and_fast(tmp_path, monkeypatch):
    _chain(tmp_path, 1000)
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    result = check_paths(["f999.charter"])
    assert time.perf_counter() - start < 2
    assert {d.code for d in result.diagnostics} == {"CH-E208"}


def _diamond(folder, levels: int) -> None:
    """``top.charter`` extends a0 and b0; each a_i and b_i extends both a{i+1} and b{i+1}:
    2^levels paths through 2 * levels + 1 files (the last level is a lone base)."""
    (folder / "charter.toml").write_text("")
    (folder / "top.charter").write_text(
        'extends: "a0.charter"\nextends: "b0.charter"\n'
        'program top {\n    title: "Top"\n    version: "1.0.0"\n}\n')
    for i in range(levels):
        below = ('extends: "base.charter"\n' if i == levels - 1 else
                 f'extends: "a{i + 1}.charter"\nextends: "b{i + 1}.charter"\n')
        for side in "ab":
            (folder / f"{side}{i}.charter").write_text(
                below + f'program {side}_{i} {{\n    abstract: yes\n}}\n')
    (folder / "base.charter").write_text(
        'program base {\n    title: "B"\n    currency: IDR\n    status: draft\n'
        '    abstract: yes\n}\n')


def test_a_diamond_of_extends_loads_each_file_once(tmp_path, monkeypatch):
    """Each file was loaded (and its bases merged) once per path to it: 16 levels took
    6.4 s, 22 levels (45 files) never finished. A file is now loaded once per program."""
    import charter.loader
    from charter.api import compile_file

    levels, merges = 22, []
    real_merge = charter.loader.merge

    def counting(base, child):
        merges.append(None)
        assert len(merges) < 10 * (2 * levels + 2), "a file's bases were merged twice"
        return real_merge(base, child)

    monkeypatch.setattr(charter.loader, "merge", counting)
    _diamond(tmp_path, levels)
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    program, reporter, sources = compile_file("top.charter", checks=False)
    assert time.perf_counter() - start < 5
    assert len(sources) == 2 * levels + 2 and program is not None
    assert not [d for d in reporter.items if d.code.startswith("CH-E2")]


def test_a_diamond_deeper_than_the_limit_is_refused_whichever_path_comes_first(tmp_path,
                                                                               monkeypatch):
    """A base loaded once by a short path and met again at the end of a long one still
    makes the long chain CH-E208: the limit does not depend on the order of `extends:`."""
    monkeypatch.setattr(charter_loader(), "MAX_EXTENDS_DEPTH", 6)
    _chain(tmp_path, 5)                       # f004 -> ... -> f000: 4 bases below f004
    for i in range(5, 9):                     # f008 -> ... -> f005 -> f004: a longer way
        (tmp_path / f"f{i:03}.charter").write_text(
            f'extends: "f{i - 1:03}.charter"\nprogram base_{i} {{\n    abstract: yes\n}}\n')
    (tmp_path / "top.charter").write_text(
        'extends: "f004.charter"\nextends: "f008.charter"\n'
        'program top {\n    title: "T"\n    version: "1.0.0"\n}\n')
    monkeypatch.chdir(tmp_path)
    assert "CH-E208" in [d.code for d in check_paths(["top.charter"]).diagnostics]
    (tmp_path / "top.charter").write_text(
        'extends: "f004.charter"\n'
        'program top {\n    title: "T"\n    version: "1.0.0"\n}\n')
    assert "CH-E208" not in [d.code for d in check_paths(["top.charter"]).diagnostics]


def charter_loader():
    import charter.loader
    return charter.loader
