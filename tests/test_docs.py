"""The examples in docs/language.md stay true.

Blocks marked `<!-- check: prog -->` must compile after a minimal header without language
errors; blocks marked `<!-- check: error NAME [--format json] -->` must print exactly the
output block that follows them when checked as NAME.
"""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from conftest import HEADER, REPO

DOC = (REPO / "docs" / "language.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"<!-- check: (?P<mode>[^>]*?) -->\n```charter\n(?P<code>.*?)```"
                   r"(?:\n\n```(?:text|json)\n(?P<out>.*?)```)?", re.S)
CASES = [(m["mode"], m["code"], m["out"], DOC[:m.start()].count("\n") + 1)
         for m in BLOCK.finditer(DOC)]
PROGS = [c for c in CASES if c[0] == "prog"]
ERRORS = [c for c in CASES if c[0].startswith("error ") and "check=" not in c[0]]


def test_the_doc_has_checked_examples():
    assert len(PROGS) >= 10 and len(ERRORS) >= 3


@pytest.mark.parametrize("case", PROGS, ids=[f"line{c[3]}" for c in PROGS])
def test_program_snippets_compile(case):
    from charter.api import compile_text

    _mode, code, _out, line = case
    text = code if code.lstrip().startswith("program ") else HEADER + code
    _program, reporter = compile_text(text, "doc.charter")
    language = [d for d in reporter.items if d.code.startswith("CH-E") and d.code[4] in "0123"]
    assert not language, f"docs/language.md line {line}: {[d.message for d in language]}"


@pytest.mark.parametrize("case", ERRORS, ids=[f"line{c[3]}" for c in ERRORS])
def test_error_examples_print_what_the_doc_shows(case, tmp_path, monkeypatch):
    from charter.cli import main

    mode, code, out, line = case
    args = mode.split()[1:]
    (tmp_path / args[0]).write_text(code, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", *args])
    assert out is not None, f"docs/language.md line {line}: no output block after the example"
    assert result.output.strip() == out.strip(), f"docs/language.md line {line} is out of date"


def test_the_readme_sample_diagnostic_is_what_charter_prints(tmp_path):
    """README's first example: the bundled program with its tier name mistyped, as printed."""
    import re
    import shutil

    from charter.api import check_paths
    from charter.render import render_text

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sample = re.search(r"```text\n(programs/ejourney\.charter:(\d+):\d+: error.*?)```", readme,
                       re.S)
    assert sample, "README's sample diagnostic is missing"
    line = int(sample.group(2))
    shutil.copytree(REPO / "programs", tmp_path / "programs")
    (tmp_path / "charter.toml").write_text("", encoding="utf-8")
    path = tmp_path / "programs" / "ejourney.charter"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert "-> Accelerator" in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace("-> Accelerator", "-> Acelerator")
    path.write_text("\n".join(lines), encoding="utf-8")
    result = check_paths([path])
    shown = render_text(result.errors, result.sources, color=False)
    shown = shown.replace(str(tmp_path) + "/", "")
    assert shown.strip() == sample.group(1).strip()
