"""`charter fmt`: the canonical layout, its safety and the command.

1. The bundled programs are canonical; formatting is idempotent and keeps what every bundled
   program compiles to (config.json and diagnostics), from a messed-up copy too.
2. Messy inputs (tabs, CRLF, CR, BOM, spacing, blank lines, comments, lists, `\\`, doc
   strings) give an expected canonical text.
3. Safety: a file that does not parse, cannot be read, or would change meaning is refused and
   left byte for byte; a failing write leaves the original; links are followed, not replaced.
4. The command: `--check`, `--diff`, exit codes, output.
5. Properties (hypothesis): a layout-only perturbation of a bundled program formats back to
   the program; generated programs format, idempotently, to the same syntax tree.
"""
from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.fmt import FormatError, format_file, format_text, shape, unified_diff, \
    write_formatted
from conftest import PROGRAMS, REPO

BUNDLED = sorted(PROGRAMS.rglob("*.charter"))
IDS = [str(p.relative_to(PROGRAMS)) for p in BUNDLED]
HEAD = 'program t {\n    title: "T"\n    currency: IDR\n    status: draft\n}\n'


def fmt(text: str) -> str:
    """The formatted text; fails the test when the formatter refuses."""
    result = format_text(text, "t.charter")
    assert result.ok, (result.error, [d.message for d in result.diagnostics])
    assert result.formatted is not None
    return result.formatted


def run(*args: str):
    from charter.cli import main

    return CliRunner().invoke(main, ["fmt", *args])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder (charter.toml), the current folder."""
    (tmp_path / "charter.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---- 1. the bundled programs ----------------------------------------------------------------

@pytest.mark.parametrize("path", BUNDLED, ids=IDS)
def test_bundled_programs_are_canonical_and_fmt_is_idempotent(path: Path):
    text = path.read_text(encoding="utf-8")
    assert fmt(text) == text
    assert fmt(fmt(text)) == fmt(text)


def test_fmt_check_passes_on_the_bundled_programs():
    result = run("--check", str(PROGRAMS))
    assert result.exit_code == 0, result.output
    assert "would reformat 0 files, 5 unchanged" in result.output


def _compiled(folder: Path) -> dict[str, tuple]:
    """Each program under ``folder``: its config.json (concrete programs) and diagnostics."""
    from charter.api import compile_file
    from charter.targets.config import build_config, dumps

    out = {}
    for path in sorted(folder.rglob("*.charter")):
        program, reporter, _ = compile_file(path, root=folder)
        config = None
        if program is not None and not program.header.abstract and not reporter.has_errors:
            config = dumps(build_config(program))
        out[str(path.relative_to(folder))] = (
            config, sorted((d.code, d.message) for d in reporter.items))
    return out


def test_fmt_keeps_what_the_bundled_programs_compile_to(project: Path):
    """A messed-up copy of programs/ compiles to the same configs and diagnostics as the
    original, before and after `charter fmt` (which gives back the bundled text)."""
    shutil.copytree(PROGRAMS, project / "programs")
    before = _compiled(project / "programs")
    assert all(config for name, (config, _) in before.items() if "base" not in name)
    for path in (project / "programs").rglob("*.charter"):
        path.write_bytes(perturb(path.read_text(encoding="utf-8"), random.Random(7)).encode())
    assert _compiled(project / "programs") == before
    result = run("programs")
    assert result.exit_code == 0, result.output
    assert "reformatted 5 files, 0 unchanged" in result.output
    assert _compiled(project / "programs") == before
    for path in BUNDLED:
        mine = project / "programs" / path.relative_to(PROGRAMS)
        assert mine.read_bytes() == path.read_bytes()


# ---- 2. messy inputs --------------------------------------------------------------------------

MESSY = {
    "tabs, CRLF, spacing, blank lines": (
        'program  t {\r\n\ttitle :"T"\r\n  currency:IDR   \r\n\r\n\r\n\r\n    status : draft\r\n}',
        HEAD.replace("IDR\n", "IDR\n\n")),
    "CR only and a byte order mark": (
        '\ufeffprogram t {\rtitle: "T"\rcurrency: IDR\rstatus: draft\r}\r', HEAD),
    "one-line blocks, semicolons, nested blocks": (
        'program t { title: "T" ;currency: IDR;status: draft }\n\n\n\n\nchannel VAD{\n\n'
        ' model: wholesale\n      owner:partner\n\n\n tier A {margin:20%;mdf:2%}\n'
        '  tier B {\n margin: 25%\n\n service {  qbr:no ; }\n }\n}\n',
        'program t { title: "T"; currency: IDR; status: draft }\n\n\nchannel VAD {\n'
        '    model: wholesale\n    owner: partner\n\n    tier A { margin: 20%; mdf: 2% }\n'
        '    tier B {\n        margin: 25%\n\n        service { qbr: no; }\n    }\n}\n'),
    "comments everywhere": (
        '# head   \n\n\n\n   # second\nprogram t {  # trailing\n\n  # own line\n'
        '\ttitle: "T # not a comment"      # aligned\n  currency: IDR         # aligned\n'
        '    status: draft\n   # before the brace\n\n}\n# tail\n\n\n',
        '# head\n\n\n# second\nprogram t {  # trailing\n    # own line\n'
        '    title: "T # not a comment"      # aligned\n    currency: IDR         # aligned\n'
        '    status: draft\n    # before the brace\n}\n# tail\n'),
    "a trailing comment keeps its column from the indentation": (
        'a {\n  x :  1   # c\n  yy:2     # d\n      z: 333333333 # e\n}\n',
        'a {\n    x: 1     # c\n    yy: 2    # d\n    z: 333333333 # e\n}\n'),
    "lists over several lines": (
        'a {\n  includes: [ "a" ,\n "b",\n            "c" ]\n  more: [\n"x", # one\n\n'
        '   "y"\n     ]\n}\n',
        'a {\n    includes: ["a",\n               "b",\n               "c"]\n    more: [\n'
        '        "x", # one\n\n        "y"\n    ]\n}\n'),
    "line continuations": (
        'a {\n  list_price: \\\n Rp 250K per user \\\n      per month\n  b: 1  \\\n\n'
        '  \\\n  c: 2\n}\n',
        'a {\n    list_price: \\\n        Rp 250K per user \\\n        per month\n    b: 1\n'
        '    c: 2\n}\n'),
    "internal blocks and operators": (
        'internal   economics {\n cogs :3%\n}\nx {  r: a->b , c>=Rp 5 Miliar per year\n'
        '  y: ~ Rp 1,19 Miliar ;  z: year 2 +\n  w: Rp 0..Rp 3 Miliar -> 10%\n'
        '  v: ( a or b ) and c\n  f { }\n}\n',
        'internal economics {\n    cogs: 3%\n}\nx { r: a -> b, c >= Rp 5 Miliar per year\n'
        '    y: ~Rp 1,19 Miliar; z: year 2+\n    w: Rp 0 .. Rp 3 Miliar -> 10%\n'
        '    v: (a or b) and c\n    f {}\n}\n'),
    "doc strings are re-indented, their text kept": (
        'a {\n  b {\n"""First   \n          second  \n\n            third\n       """\n  }\n}\n',
        'a {\n    b {\n        """First\n        second  \n\n          third\n        """\n'
        '    }\n}\n'),
    "a doc string with an escape or starting on the next line is kept as written": (
        'a {\n  """Tab\\tthere\n   next"""\n  b {\n   """\n   text\n     """\n  }\n}\n',
        'a {\n    """Tab\\tthere\n   next"""\n    b {\n        """\n   text\n     """\n'
        '    }\n}\n'),
    "spaces that keep two tokens apart are kept": (
        'x: Rp  250K\ny: Rp 250  Kx\nz: 250K\n', 'x: Rp  250K\ny: Rp 250 Kx\nz: 250K\n'),
    "an empty file, and one of blank lines": ("", ""),
    "only blank lines": ("\n \n\t\n", ""),
}


@pytest.mark.parametrize("case", MESSY, ids=list(MESSY))
def test_messy_input_gets_the_canonical_layout(case: str):
    messy, expected = MESSY[case]
    assert fmt(messy) == expected
    assert fmt(expected) == expected
    assert shape(_tree(messy)) == shape(_tree(expected))


def _tree(text: str):
    from charter.diagnostics import Reporter
    from charter.fmt import normalise
    from charter.parser import parse_source
    from charter.source import SourceFile

    return parse_source(SourceFile("t.charter", normalise(text)), Reporter())


def test_the_example_in_the_language_doc_is_what_fmt_does():
    doc = (REPO / "docs" / "language.md").read_text(encoding="utf-8")
    before = re.search(r"<!-- fmt: before -->\n```charter\n(.*?)```", doc, re.S)
    after = re.search(r"<!-- check: prog -->\n<!-- fmt: after -->\n```charter\n(.*?)```",
                      doc, re.S)
    assert before and after, "docs/language.md has lost its fmt example"
    assert fmt(before[1]) == after[1]


# ---- 3. safety ----------------------------------------------------------------------------

def test_a_file_with_a_syntax_error_is_refused_and_left_alone(project: Path):
    bad = project / "bad.charter"
    data = b'program t {\r\n\ttitle: "T\r\n  currency:IDR   \r\n}\r\n'
    bad.write_bytes(data)
    (project / "ok.charter").write_text("a {\n  b: 1\n}\n", encoding="utf-8")
    result = run(".")
    assert result.exit_code == 2
    assert "bad.charter:2:9: error[CH-E002]: unterminated string" in result.stderr
    assert "not formatted bad.charter: fix the errors above first" in result.stderr
    assert "reformatted 1 file, 0 unchanged, 1 not formatted" in result.stderr
    assert bad.read_bytes() == data
    assert (project / "ok.charter").read_text(encoding="utf-8") == "a {\n    b: 1\n}\n"


@pytest.mark.parametrize("text", ["a {\n  b: 2.400\n}\n", "a {\n  b: Rp 3 M\n", "a: @\n"])
def test_format_text_refuses_what_does_not_parse(text: str):
    result = format_text(text, "t.charter")
    assert not result.ok and not result.changed and result.error is None
    assert all(d.code.startswith("CH-E0") for d in result.diagnostics)
    assert result.diagnostics


def test_an_unreadable_file_is_refused(project: Path):
    path = project / "latin1.charter"
    path.write_bytes(b"a {\n  b: \"caf\xe9\"\n}\n")
    result = run("latin1.charter")
    assert result.exit_code == 2
    assert "error[CH-E205]: file is not UTF-8 text" in result.stderr
    assert path.read_bytes() == b"a {\n  b: \"caf\xe9\"\n}\n"


def test_a_change_of_meaning_is_an_internal_error_and_nothing_is_written(
        project: Path, monkeypatch: pytest.MonkeyPatch):
    from charter import fmt as fmt_module

    path = project / "p.charter"
    path.write_text("a {\n  margin: 20%\n}\n", encoding="utf-8")
    real = fmt_module.layout
    monkeypatch.setattr(fmt_module, "layout", lambda text: real(text).replace("20%", "25%"))
    assert format_text(path.read_text(), "p.charter").error == \
        "formatting would change what the program means"
    result = run("p.charter")
    assert result.exit_code == 2
    assert "internal error: not formatted p.charter: formatting would change" in result.stderr
    assert path.read_text(encoding="utf-8") == "a {\n  margin: 20%\n}\n"


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failing_write_leaves_the_original(project: Path, monkeypatch: pytest.MonkeyPatch,
                                             failing: str):
    path = project / "p.charter"
    path.write_bytes(b"a {\r\n  b: 1\r\n}")

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, failing, boom)
    result = run("p.charter")
    assert result.exit_code == 3
    assert "cannot write p.charter: No space left on device; it is unchanged" in result.stderr
    assert path.read_bytes() == b"a {\r\n  b: 1\r\n}"
    assert sorted(p.name for p in project.iterdir()) == ["charter.toml", "p.charter"]


def test_a_file_changed_meanwhile_is_not_overwritten(project: Path):
    path = project / "p.charter"
    path.write_text("a {\n  b: 1\n}\n", encoding="utf-8")
    result = format_file(path)
    path.write_text("a {\n  b: 2\n}\n", encoding="utf-8")
    with pytest.raises(FormatError, match="changed while it was being formatted"):
        write_formatted(path, result)
    assert path.read_text(encoding="utf-8") == "a {\n  b: 2\n}\n"


def test_a_link_is_followed_and_stays_a_link(project: Path):
    (project / "real.charter").write_text("a {\n  b: 1\n}\n", encoding="utf-8")
    os.symlink("real.charter", project / "link.charter")
    os.chmod(project / "real.charter", 0o640)
    result = run("link.charter")
    assert result.exit_code == 0, result.output
    assert (project / "link.charter").is_symlink()
    assert (project / "real.charter").read_text(encoding="utf-8") == "a {\n    b: 1\n}\n"
    assert (project / "real.charter").stat().st_mode & 0o777 == 0o640


def test_a_link_out_of_the_project_is_refused(project: Path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.charter"
    outside.write_text("a {\n  b: 1\n}\n", encoding="utf-8")
    os.symlink(outside, project / "link.charter")
    result = run("link.charter")
    assert result.exit_code == 2
    assert "CH-E206" in result.stderr
    assert outside.read_text(encoding="utf-8") == "a {\n  b: 1\n}\n"


@pytest.mark.parametrize("swapped", ["file-link", "folder"])
def test_a_link_swapped_in_after_the_check_never_redirects_the_write(
        project: Path, tmp_path_factory, monkeypatch: pytest.MonkeyPatch, swapped: str):
    """The race an adversarial review found (flipping `prog.charter` between an inside and
    an outside file overwrote the outside one), made certain: the link is flipped (or a
    folder on the path swapped for a link) right after the write's confinement check. The
    write goes through the folder opened from the root without following links, so the
    outside file, bytes identical to the inside one, is never touched."""
    from charter import loader

    messy = "a {\n  b: 1\n}\n"
    outside = tmp_path_factory.mktemp("outside")
    (outside / "prog.charter").write_text(messy, encoding="utf-8")
    if swapped == "file-link":
        (project / "inside.charter").write_text(messy, encoding="utf-8")
        os.symlink("inside.charter", project / "prog.charter")
        path, moved, target = project / "prog.charter", project / "prog.charter", \
            outside / "prog.charter"
    else:
        (project / "sub").mkdir()
        (project / "sub" / "prog.charter").write_text(messy, encoding="utf-8")
        path, moved, target = project / "sub" / "prog.charter", project / "sub", outside
    result = format_file(path)
    assert result.ok and result.changed
    checked = loader._inside

    def check_then_swap(real: Path, root: Path) -> bool:
        inside = checked(real, root)
        moved.rename(moved.with_name("was_" + moved.name))
        os.symlink(target, moved)
        return inside

    monkeypatch.setattr(loader, "_inside", check_then_swap)
    if swapped == "file-link":  # the file checked (the link's old target) is written
        assert write_formatted(path, result)
        assert (project / "inside.charter").read_text(encoding="utf-8") == "a {\n    b: 1\n}\n"
    else:  # a folder on the path is a link now: refused, nothing written
        with pytest.raises(FormatError, match="changed while it was being formatted"):
            write_formatted(path, result)
        assert (project / "was_sub" / "prog.charter").read_text(encoding="utf-8") == messy
    assert (outside / "prog.charter").read_text(encoding="utf-8") == messy
    assert sorted(p.name for p in outside.iterdir()) == ["prog.charter"]


# ---- 4. the command ---------------------------------------------------------------------------

def test_check_lists_what_would_change_and_writes_nothing(project: Path):
    (project / "messy.charter").write_text("a {\n  b:1\n}\n", encoding="utf-8")
    (project / "sub").mkdir()
    (project / "sub" / "tidy.charter").write_text("a {\n    b: 1\n}\n", encoding="utf-8")
    result = run("--check", ".")
    assert result.exit_code == 1
    assert result.stdout == "would reformat messy.charter\nwould reformat 1 file, 1 unchanged\n"
    assert (project / "messy.charter").read_text(encoding="utf-8") == "a {\n  b:1\n}\n"
    assert run("--check", "sub").exit_code == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(project: Path):
    (project / "m.charter").write_text("a {\n  b:1\n}\n# end", encoding="utf-8")
    result = run("--diff", "m.charter")
    assert result.exit_code == 0
    assert result.stdout == ("--- m.charter\n+++ m.charter\n@@ -1,4 +1,4 @@\n a {\n-  b:1\n"
                             "+    b: 1\n }\n-# end\n\\ No newline at end of file\n+# end\n")
    assert "would reformat m.charter" in result.stderr
    assert (project / "m.charter").read_text(encoding="utf-8") == "a {\n  b:1\n}\n# end"
    assert run("--check", "--diff", "m.charter").exit_code == 1


def test_the_diff_shows_control_characters_escaped():
    result = format_text('a {\r\n  b: "\u202e"\r\n}\r\n', "x.charter")
    diff = unified_diff(result)
    assert "\u202e" not in diff and "\r" not in diff
    assert '\n-  b: "\\u202e"\\x0d\n' in diff and '\n+    b: "\\u202e"\n' in diff


def test_plain_run_rewrites_and_counts(project: Path):
    (project / "m.charter").write_text("a {\n  b:1\n}\n", encoding="utf-8")
    (project / "t.charter").write_text("a {\n    b: 1\n}\n", encoding="utf-8")
    result = run(".")
    assert result.exit_code == 0
    assert result.stdout == "reformatted m.charter\nreformatted 1 file, 1 unchanged\n"
    assert run(".").stdout == "reformatted 0 files, 2 unchanged\n"


def test_a_folder_without_charter_files_is_a_usage_error(project: Path):
    (project / "empty").mkdir()
    result = run("empty")
    assert result.exit_code == 2
    assert "no .charter files found under empty" in result.output


# ---- 5. properties ----------------------------------------------------------------------------

def perturb(text: str, rnd: random.Random) -> str:
    """A layout-only change of canonical ``text``: indentation, spaces around punctuation,
    trailing whitespace, extra blank lines where the canonical layout has none or its
    maximum, doc strings shifted as a whole, CRLF or CR line ends, a byte order mark.

    A line with a trailing comment keeps its inner spacing: the comment keeps its column
    relative to the indentation, so spacing there is the author's (docs/language.md)."""
    from charter.lalr import grammar

    tokens = list(grammar().lex(text, dont_ignore=True))
    commented = {t.line for t in tokens if t.type == "COMMENT" and t.column > 1}
    out: list[str] = []
    depth = 0  # open blocks and brackets
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        value = str(token)
        if token.type == "_NL":
            value = _perturb_newlines(value, rnd, depth == 0, before, after)
        elif token.type == "DOCSTRING":
            value = _shift_doc(value, rnd)
        elif re.fullmatch(r"[\t \f]+", value) and token.line not in commented \
                and after is not None and after.type != "COMMENT":
            value = "" if before is not None and before.type == "COLON" and rnd.random() < .3 \
                else rnd.choice([" ", "  ", "\t", " \t "])
        out.append(value)
        if token.line not in commented and after is not None and _tight(token, after) \
                and rnd.random() < .3:
            out.append(rnd.choice([" ", "\t"]))
        depth += (token.type in ("LBRACE", "LSQB", "LPAR")) \
            - (token.type in ("RBRACE", "RSQB", "RPAR"))
    result = "\n" * rnd.randint(0, 2) + "".join(out) + rnd.choice(["", "\n", "\n \n\n"])
    ending = rnd.choice(["\n", "\r\n", "\r"])
    return rnd.choice(["", "\ufeff"]) + result.replace("\n", ending)


def _tight(token, after) -> bool:
    """Two tokens written together that may have a space put between them."""
    return after.type in ("COLON", "COMMA", "SEMICOLON", "RSQB", "RPAR", "PLUS") \
        or token.type in ("LSQB", "LPAR", "APPROX")


def _perturb_newlines(value: str, rnd: random.Random, top: bool, before, after) -> str:
    """New lines, blank lines and own-line comments (one `_NL` token), perturbed."""
    lines = value.split("\n")
    most = 2 if top else 1
    full = _blank_runs_of(lines, most) if rnd.random() < .5 else set()
    out = [lines[0] + rnd.choice(["", " ", "\t "])]
    for index, line in enumerate(lines[1:], 1):
        if index in full:
            out.append(" " * rnd.randint(0, 3))  # a longer run than the layout keeps
        indent = rnd.choice(["", " ", "  ", "\t", "      ", "\t  "])
        end = "" if index == len(lines) - 1 else rnd.choice(["", " ", "\t"])
        out.append((indent + line.lstrip(" ") + end) if line else " " * rnd.randint(0, 2))
    if before is not None and before.type in ("LBRACE", "LSQB", "LPAR") and rnd.random() < .5:
        out.insert(1, "\t")  # a blank line right after an opener
    if after is not None and after.type in ("RBRACE", "RSQB", "RPAR") and rnd.random() < .5:
        out.insert(len(out) - 1, " ")  # a blank line right before a closer
    return "\n".join(out)


def _blank_runs_of(lines: list[str], length: int) -> set[int]:
    """Indexes of the blank lines (not the first or last segment) in runs of ``length``."""
    found: set[int] = set()
    run: list[int] = []
    for index, line in enumerate(lines[1:-1] + ["x"], 1):
        if not line:
            run.append(index)
            continue
        if len(run) == length:
            found.update(run)
        run = []
    return found


def _shift_doc(value: str, rnd: random.Random) -> str:
    """Every later line of a doc string shifted by the same number of spaces."""
    if "\n" not in value:
        return value
    shift = " " * rnd.randint(1, 6)
    first, *rest = value.split("\n")
    return "\n".join([first] + [shift + line if line.strip() else line + shift
                                for line in rest])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(BUNDLED) - 1), seed=st.integers(0, 2 ** 32))
def test_a_layout_only_change_formats_back_to_the_bundled_program(index: int, seed: int):
    text = BUNDLED[index].read_text(encoding="utf-8")
    messy = perturb(text, random.Random(seed))
    assert fmt(messy) == text


# Generated programs: the generic syntax (blocks, attributes, every value form), laid out
# at random; only the syntax must hold, so names and values need not make sense.
NAMES = st.sampled_from(["a", "VAD", "tier_x", "model", "Referral", "id_ID"])
ATOMS = st.sampled_from(["20%", "2,5 %", "Rp 250K", "Rp 2,4 Miliar", "$50K", "1_000", "2,5",
                         "2026-01-01", '"text # here"', '"Ünïcode · ok"', "60 days",
                         "Rp 250K per user per month", "~43%", "year 2+", "wholesale"])
SPACE = st.sampled_from(["", " ", "  ", "\t"])
SOME_SPACE = st.sampled_from([" ", "  ", "\t", " \t"])


@st.composite
def values(draw, depth: int = 0) -> str:
    """One value: an atom, or an operator form, list or group around smaller values."""
    kind = draw(st.sampled_from(["atom"] * 4 + ["arrow", "cmp", "range", "list", "group"]))
    if kind == "atom" or depth > 2:
        return draw(ATOMS)
    inner = values(depth + 1)
    sep = draw(SOME_SPACE)
    if kind == "arrow":
        return f"{draw(NAMES)}{sep}->{sep}{draw(inner)}"
    if kind == "cmp":  # comparisons do not chain: an atom on the right
        return f"{draw(NAMES)}{draw(SPACE)}>={sep}{draw(ATOMS)}"
    if kind == "range":
        return f"{draw(ATOMS)}{sep}..{sep}{draw(ATOMS)}"
    if kind == "group":
        return f"({draw(SPACE)}{draw(NAMES)} or {draw(NAMES)}{draw(SPACE)}) and {draw(NAMES)}"
    items = draw(st.lists(inner, min_size=1, max_size=3))
    # never `,` alone: `[2,5,1]` would be one number
    joiner = draw(st.sampled_from([", ", " ,", " , ", ",\n", ",\n   "]))
    return "[" + draw(SPACE) + joiner.join(items) + draw(st.sampled_from(["", " ", "\n"])) + "]"


@st.composite
def items(draw, depth: int = 0) -> str:
    """Attributes and blocks, each on its own line(s), with random layout and comments."""
    out = []
    for _ in range(draw(st.integers(1 if depth else 0, 4))):
        indent = draw(st.sampled_from(["", "  ", "\t", "        "]))
        comment = draw(st.sampled_from(["", "", "  # note", "\t# note {"]))
        blank = draw(st.sampled_from(["", "", "\n", "\n \n\n"]))
        if depth < 3 and draw(st.booleans()):
            out.append(blank + indent + draw(block(depth + 1)) + comment)
        else:
            out.append(blank + indent + draw(NAMES) + draw(SPACE) + ":" + draw(SOME_SPACE)
                       + draw(values()) + draw(SPACE) + comment)
    return "\n".join(out)


@st.composite
def block(draw, depth: int) -> str:
    head = draw(st.sampled_from(["", "internal "])) + draw(NAMES) + " " + draw(NAMES)
    doc = draw(st.sampled_from(["", '"""One line."""\n', '"""Two\n      lines."""\n']))
    if not doc and draw(st.booleans()):  # a one-line block
        return f"{head}{draw(SPACE)}{{{draw(SPACE)}{draw(NAMES)}: 1; {draw(NAMES)}: 2 }}"
    body = draw(items(depth))
    return f"{head} {{{draw(SPACE)}\n{doc}{body}\n{draw(SPACE)}}}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=items())
def test_generated_programs_format_idempotently_to_the_same_tree(text: str):
    result = format_text(text, "g.charter")
    assert result.ok, (text, result.error, [d.message for d in result.diagnostics])
    formatted = result.formatted
    assert fmt(formatted) == formatted
    assert shape(_tree(formatted)) == shape(_tree(text))
    assert "\t" not in formatted
    assert all(line == line.rstrip() for line in formatted.split("\n"))
