"""Golden tests of rendered diagnostics: one bad snippet per diagnostic code.

Each case is `tests/data/diagnostics/<case>.charter` (or a folder `<case>/` whose entry is
`main.charter`); its expected text rendering is `<case>.expected`. To accept new output:

    python -m pytest tests/test_diagnostics_golden.py --update-golden
"""
from __future__ import annotations

import re

import pytest

from conftest import DATA

CASES_DIR = DATA / "diagnostics"
CASES = sorted(p for p in CASES_DIR.iterdir()
               if p.suffix == ".charter" or (p.is_dir() and (p / "main.charter").exists()))
# Codes whose trigger cannot sensibly live in a small data file, and the test that covers them.
# Links out of the project and FIFOs/devices cannot be stored as data files in the repository.
EXEMPT = {"CH-E012": "test_robustness.py::test_huge_file_is_refused",
          "CH-E206": "test_hostile_files.py::test_link_out_of_the_project_is_refused_and_quotes_nothing",
          "CH-E207": "test_hostile_files.py::test_fifo_named_on_the_command_line_returns_promptly",
          # Limits: a case would be a 10,000-character line, a 10,000-value list, 300,000
          # tokens, 20,000 blocks or 33 files; the tests lower the limit or generate the input.
          "CH-E017": "test_limits.py::test_long_line_is_refused_quickly",
          "CH-E018": "test_limits.py::test_long_list_is_refused",
          "CH-E019": "test_limits.py::test_too_many_tokens_is_refused",
          "CH-E020": "test_limits.py::test_too_many_blocks_is_refused",
          "CH-E208": "test_limits.py::test_extends_chain_deeper_than_the_limit_is_refused",
          # a folder that cannot be listed is not a .charter file
          "CH-E209": "test_hostile_files.py::test_a_folder_that_cannot_be_listed_fails_the_check"}


def _render(case, monkeypatch) -> str:
    from charter.api import check_paths
    from charter.render import render_text

    monkeypatch.chdir(case.parent if case.is_file() else case)
    target = case.name if case.is_file() else "main.charter"
    result = check_paths([target])
    return render_text(result.diagnostics, result.sources)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case, monkeypatch, update_golden):
    expected_file = case.with_suffix(".expected") if case.is_file() \
        else case.parent / (case.name + ".expected")
    actual = _render(case, monkeypatch)
    if update_golden or not expected_file.exists():
        expected_file.write_text(actual, encoding="utf-8")
    expected = expected_file.read_text(encoding="utf-8")
    assert actual == expected, (
        f"rendered diagnostics for {case.name} differ from {expected_file.name}.\n"
        "If the change is intended, run: python -m pytest tests/test_diagnostics_golden.py"
        " --update-golden")


def test_case_is_named_after_the_code_it_shows(monkeypatch):
    for case in CASES:
        code = "CH-" + case.stem.split("-")[0]
        assert code in _render(case, monkeypatch), f"{case.name} does not produce {code}"


def test_every_code_has_a_golden_case():
    from charter.codes import CODES

    covered = {"CH-" + c.stem.split("-")[0] for c in CASES}
    missing = set(CODES) - covered - set(EXEMPT)
    assert not missing, f"codes without a golden case in {CASES_DIR}: {sorted(missing)}"


def test_code_registry_is_well_formed():
    from charter.codes import CODES

    for code, entry in CODES.items():
        assert re.fullmatch(r"CH-[EW]\d{3}", code)
        assert entry.title and entry.explanation.endswith((".", ")"))


def test_every_reported_code_is_registered():
    from charter.codes import CODES

    from conftest import REPO
    used = set()
    for path in [*(REPO / "compiler").glob("*.py"), *(REPO / "policies").glob("*.py")]:
        used |= set(re.findall(r'"(CH-[EW]\d{3})"', path.read_text(encoding="utf-8")))
    assert used <= set(CODES), f"unregistered codes: {sorted(used - set(CODES))}"
