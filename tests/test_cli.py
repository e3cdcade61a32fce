"""The command line: exit codes, formats, strictness, and several errors in one run."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import HEADER, PROGRAMS


def run(*args: str):
    from charter.cli import main
    return CliRunner().invoke(main, list(args))


def test_bundled_programs_check_clean():
    result = run("check", str(PROGRAMS))
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_bundled_programs_check_clean_under_strict():
    assert run("check", "--strict", str(PROGRAMS)).exit_code == 0


def test_missing_path_is_a_usage_error(tmp_path):
    result = run("check", str(tmp_path / "nope.charter"))
    assert result.exit_code == 2


def test_folder_without_programs_is_a_usage_error(tmp_path):
    assert run("check", str(tmp_path)).exit_code == 2


def test_version():
    from charter import __version__
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


THREE_MISTAKES = HEADER + """\
channel VAD {
    model: wholesale
    owner: partner
    tier Standard {
        margin: 20%
        tier_up: revenue >= Rp 5 Miliar per year -> Acelerator
    }
    tier Accelerator {
        margin 25%
    }
}
product Growth {
    layer: software
    list_price: Rp 2.400 per user per month
}
"""


def test_three_independent_mistakes_are_all_reported(tmp_path):
    path = tmp_path / "three.charter"
    path.write_text(THREE_MISTAKES, encoding="utf-8")
    result = run("check", "--format", "json", str(path))
    assert result.exit_code == 1
    found = {(d["code"], d["line"]) for d in json.loads(result.output)["diagnostics"]}
    assert found == {("CH-E109", 11), ("CH-E008", 14), ("CH-E005", 19)}


def test_misspelt_tier_gets_a_suggestion(tmp_path):
    path = tmp_path / "three.charter"
    path.write_text(THREE_MISTAKES, encoding="utf-8")
    result = run("check", str(path))
    assert "did you mean `Accelerator`?" in result.output
    assert f"{path}:11:" in result.output or "three.charter:11:" in result.output


def test_json_diagnostics_carry_the_documented_fields(tmp_path):
    path = tmp_path / "three.charter"
    path.write_text(THREE_MISTAKES, encoding="utf-8")
    payload = json.loads(run("check", "--format", "json", str(path)).output)
    for item in payload["diagnostics"]:
        for key in ("code", "severity", "file", "line", "column", "end_line", "end_column",
                    "message", "hints"):
            assert key in item, key
    assert payload["summary"] == {"errors": 3, "warnings": 0, "notes": 0}


def test_warnings_pass_unless_strict(tmp_path):
    path = tmp_path / "w.charter"
    path.write_text(HEADER + "enablement {\n}\n", encoding="utf-8")
    assert run("check", str(path)).exit_code == 0
    strict = run("check", "--strict", "--format", "json", str(path))
    assert strict.exit_code == 1
    assert json.loads(strict.output)["diagnostics"][0]["severity"] == "error"


def test_text_format_is_compiler_style(tmp_path):
    path = tmp_path / "t.charter"
    path.write_text(HEADER + "chanel VAD {\n    model: wholesale\n}\n", encoding="utf-8")
    out = run("check", str(path)).output
    first = out.splitlines()[0]
    assert first.endswith(":6:1: error[CH-E101]: unknown block `chanel` at top level")
    assert "6 | chanel VAD {" in out and "^^^^^^" in out and "= help: did you mean `channel`?" in out


@pytest.mark.parametrize("entry", [["-m", "charter"], ["-c", "from charter.cli import main; main()"]])
def test_runs_as_a_module_and_script(entry):
    proc = subprocess.run([sys.executable, *entry, "check", str(PROGRAMS)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
