"""Diagnostics for machines: `charter check --format sarif` and `--format github`.

SARIF output is validated against the official OASIS schema (a copy in tests/data, draft-04);
rules cover every code and policy; waived findings are suppressed results; fingerprints survive
unrelated edits. The github format is checked line for line, escaping included.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, PROGRAMS, REPO

SCHEMA = DATA / "sarif-schema-2.1.0.json"


def check(*args: str):
    from charter.cli import main

    return CliRunner().invoke(main, ["check", *args])


def sarif(*args: str) -> tuple[int, dict, str]:
    """Exit code, the SARIF log and its text."""
    result = check("--format", "sarif", *args)
    return result.exit_code, json.loads(result.stdout), result.stdout


def validate(log: dict) -> None:
    from jsonschema import Draft4Validator

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(Draft4Validator(schema).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def results(log: dict) -> list[dict]:
    return log["runs"][0]["results"]


def the(log: dict, code: str) -> dict:
    """The one result with ``code``."""
    found = [r for r in results(log) if r["ruleId"] == code]
    assert len(found) == 1, [r["ruleId"] for r in results(log)]
    return found[0]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with the eJourney program (its base beside it), run from the project folder."""
    shutil.copytree(PROGRAMS / "base", tmp_path / "base")
    shutil.copy(PROGRAMS / "ejourney.charter", tmp_path / "ejourney.charter")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def break_margin(project: Path) -> Path:
    """VAD Elite at 95% margin: under the margin-death line (CH-P001) and stepping down."""
    path = project / "ejourney.charter"
    text = path.read_text(encoding="utf-8")
    assert text.count("        margin: 35%\n") == 1
    path.write_text(text.replace("        margin: 35%\n", "        margin: 95%\n"), "utf-8")
    return path


# ---- SARIF: schema, rules, results ------------------------------------------------------------

def test_a_broken_project_is_valid_sarif(project):
    break_margin(project)
    (project / "syntax.charter").write_text('program t {\n    title "T"\n}\n', "utf-8")
    (project / "gone.charter").symlink_to(project / "nowhere.charter")  # unreadable: no place
    code, log, _ = sarif(".")
    assert code == 1
    validate(log)
    p001 = the(log, "CH-P001")
    assert p001["level"] == "error"
    location = p001["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "ejourney.charter", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 168, "startColumn": 9, "endLine": 168,
                                  "endColumn": 20}
    assert p001["relatedLocations"][0]["message"]["text"] == "margin floor and COGS set here"
    syntax = the(log, "CH-E001")["locations"][0]["physicalLocation"]
    assert syntax["artifactLocation"]["uri"] == "syntax.charter"
    assert syntax["region"]["startLine"] == 2
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["associatedRule"]["id"], n["level"]) for n in notes] == [("CH-E205", "error")]
    assert notes[0]["message"]["text"].startswith("cannot read file:")


def test_the_schema_check_is_not_vacuous(project):
    _, log, _ = sarif(".")
    results(log)[0]["level"] = "fatal"
    with pytest.raises(AssertionError):
        validate(log)


def test_a_clean_run_is_valid_sarif_and_exits_0():
    code, log, _ = sarif(str(PROGRAMS))
    assert code == 0
    validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


def test_rules_list_every_code_and_policy_and_results_point_at_theirs(project):
    from charter import __version__
    from charter.codes import CODES
    from charter.policies import all_policies

    break_margin(project)
    _, log, _ = sarif(".")
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("charter", __version__)
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    assert set(CODES) | {p.code for p in all_policies()} <= set(ids)
    for result in results(log):
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert ids == [r["id"] for r in sarif(str(PROGRAMS))[1]["runs"][0]["tool"]["driver"]["rules"]]


def test_every_help_uri_is_absolute_and_its_anchor_is_in_the_docs():
    from charter.codes import CODES
    from charter.policies import BUILTIN, all_policies
    from charter.render_sarif import DOCS_URL, _rules

    docs = {name: (REPO / "docs" / name).read_text(encoding="utf-8")
            for name in ("diagnostics.md", "policies.md")}
    builtin = {p.code for p in all_policies() if p.check.__module__.split(".")[-1] in BUILTIN}
    documented = [rule for rule in _rules() if "helpUri" in rule]
    assert {rule["id"] for rule in documented} == set(CODES) | builtin
    for rule in documented:
        assert rule["help"]["text"] and rule["shortDescription"]["text"]
        page, anchor = rule["helpUri"].removeprefix(DOCS_URL).split("#")
        assert rule["helpUri"].startswith("https://")
        headings = {_slug(h) for h in re.findall(r"^#+ (.*)$", docs[page], re.M)}
        assert anchor in headings, (rule["id"], page, anchor)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, spaces to `-`, punctuation but `-`/`_` gone."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_same_input_same_bytes_and_no_times(project):
    break_margin(project)
    first, second = sarif(".")[2], sarif(".")[2]
    assert first == second
    assert "Utc" not in first and str(project) not in first


def test_notes_and_help_follow_the_message(project):
    break_margin(project)
    text = the(sarif(".")[1], "CH-P001")["message"]["text"].split("\n")
    assert text[0].startswith("route VAD Elite crosses the margin-death line")
    assert text[1:] == ["note: 1 allowed route(s) are below the floor; the worst is listed first",
                        "help: lower this rate, exclude the tier from the handover"
                        " (`allowed_tiers`), or revisit `margin_floor`",
                        "help: `charter explain CH-P001` explains margin_death_line"]


def test_strict_reports_warnings_as_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("w.charter").write_text(SMALL.replace("margn: 5%\n", "").replace("150%", "15%"), "utf-8")
    assert the(sarif(".")[1], "CH-W101")["level"] == "warning"
    code, log, _ = sarif("--strict", ".")
    assert code == 1 and the(log, "CH-W101")["level"] == "error"


# ---- waivers ----------------------------------------------------------------------------------

def test_a_waived_finding_is_a_suppressed_result(project):
    code, log, _ = sarif(".")
    assert code == 0
    validate(log)
    waived = the(log, "CH-P016")
    assert waived["level"] == "note"
    [suppression] = waived["suppressions"]
    assert suppression["kind"] == "inSource" and suppression["status"] == "accepted"
    assert suppression["justification"] == (
        "the eJourney Partner & Channel page states no clawback; cancellation and fraud"
        " clawback to be set in the referral agreement")
    assert suppression["properties"] == {"waiver": "referral_clawback_not_in_page",
                                         "owner": "commercial owner", "expires": "2028-06-30"}
    assert suppression["location"]["physicalLocation"]["region"]["startLine"] == 102
    unwaived = [r for r in results(log) if "suppressions" not in r]
    assert all(not r["message"]["text"].startswith("waived:") for r in unwaived)


def test_waiving_a_finding_keeps_its_fingerprint(project):
    waived = the(sarif(".")[1], "CH-P016")
    path = project / "ejourney.charter"
    text = path.read_text(encoding="utf-8")
    start = text.index("waiver referral_clawback_not_in_page {")
    path.write_text(text[:start] + text[text.index("}\n", start) + 2:], "utf-8")
    open_ = the(sarif(".")[1], "CH-P016")
    assert "suppressions" not in open_ and open_["level"] == "warning"
    assert open_["partialFingerprints"] == waived["partialFingerprints"]


def test_text_and_json_do_not_show_the_suppression():
    from charter.api import check_paths
    from charter.render import to_dict

    result = check_paths([PROGRAMS / "ejourney.charter"])
    waived = [d for d in result.diagnostics if d.suppression is not None]
    assert waived and all(d.message.startswith("waived: ") for d in waived)
    assert "suppression" not in to_dict(waived[0])


# ---- fingerprints -----------------------------------------------------------------------------

def prints(log: dict) -> dict[tuple[str, str], tuple[int, str]]:
    """(code, first line of the message) → (start line, fingerprint)."""
    return {(r["ruleId"], r["message"]["text"].split("\n")[0]):
            (r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["partialFingerprints"]["charter/v1"]) for r in results(log)}


def test_a_line_added_above_moves_results_but_keeps_fingerprints(project):
    path = break_margin(project)
    before = prints(sarif(".")[1])
    path.write_text("# an unrelated comment\n" + path.read_text(encoding="utf-8"), "utf-8")
    after = prints(sarif(".")[1])
    assert before.keys() == after.keys() and len(before) >= 4
    for key, (line, digest) in before.items():
        assert after[key] == (line + 1, digest), key


def test_fingerprints_differ_between_findings_and_files(project):
    from charter.diagnostics import Diagnostic, Severity
    from charter.render_sarif import fingerprint
    from charter.source import SourceFile

    break_margin(project)
    digests = [r["partialFingerprints"]["charter/v1"] for r in results(sarif(".")[1])]
    assert len(set(digests)) == len(digests)
    assert all(re.fullmatch(r"[0-9a-f]{64}:[0-9]+", d) for d in digests)
    one = SourceFile("a.charter", "x: 1\n")
    d = Diagnostic("CH-E016", Severity.ERROR, "`(` opened on line 1 is never closed",
                   one.span(0, 1))
    moved = SourceFile("a.charter", "\n\nx: 1\n")
    d2 = Diagnostic("CH-E016", Severity.ERROR, "`(` opened on line 3 is never closed",
                    moved.span(2, 3))
    assert fingerprint(d, one) == fingerprint(d2, moved)
    other = SourceFile("b.charter", "x: 1\n")
    assert fingerprint(d, one) != fingerprint(
        Diagnostic("CH-E016", Severity.ERROR, d.message, other.span(0, 1)), other)


def test_identical_findings_are_told_apart_by_their_order():
    from charter.diagnostics import Diagnostic, Severity
    from charter.render_sarif import render_sarif
    from charter.source import SourceFile

    source = SourceFile("a.charter", "mdf: 2%\nmdf: 2%\n")
    twice = [Diagnostic("CH-E104", Severity.ERROR, "`mdf` is set twice", source.span(0, 3)),
             Diagnostic("CH-E104", Severity.ERROR, "`mdf` is set twice", source.span(8, 11))]
    log = json.loads(render_sarif(twice, {"a.charter": source}))
    first, second = (r["partialFingerprints"]["charter/v1"] for r in results(log))
    assert first.split(":")[0] == second.split(":")[0]
    assert (first[-2:], second[-2:]) == (":1", ":2")


def test_an_absolute_path_is_a_file_uri():
    from charter.render_sarif import artifact

    assert artifact("/tmp/a b.charter") == {"uri": "file:///tmp/a%20b.charter"}
    assert artifact("programs/a b#1.charter") == {"uri": "programs/a%20b%231.charter",
                                                  "uriBaseId": "%SRCROOT%"}


# ---- docs/diagnostics.md ----------------------------------------------------------------------

def test_docs_diagnostics_md_is_generated_from_the_registry(update_golden):
    from charter.codes import render_markdown

    path = REPO / "docs" / "diagnostics.md"
    text = render_markdown()
    if update_golden:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, (
        "docs/diagnostics.md is out of date; run: python -m pytest tests/test_sarif.py"
        " --update-golden")


def test_every_code_has_one_section():
    from charter.codes import CODES, render_markdown

    text = render_markdown()
    for code in CODES:
        assert text.count(f"\n### {code}\n") == 1, code


# ---- github -----------------------------------------------------------------------------------

SMALL = """\
program t {
    title: "T"
    currency: IDR
    status: draft
}
product Box {
    layer: software
    list_price: Rp 1.234,56
}
channel Referral {
    model: referral
    owner: vendor
    commission: 150%
    lead_protection: 60 days
    margn: 5%
}
"""


def test_github_lines_for_a_small_case(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("we:ird,100%.charter").write_text(SMALL, "utf-8")
    result = check("--format", "github", ".")
    assert result.exit_code == 1
    name = "file=we%3Aird%2C100%25.charter"
    assert result.stdout.splitlines() == [
        f"::warning {name},line=8,col=17,endLine=8,endColumn=28,title=CH-W101::"
        "`Rp 1.234,56` is finer than IDR pays (0 decimals)"
        "%0Ahelp: round the amount, or set `minor_units` in `program`",
        f"::error {name},line=13,col=17,endLine=13,endColumn=21,title=CH-E111::"
        "`150%25` is more than the whole: a payout rate, cap or cost is a share of its base,"
        " at most 100%25%0Ahelp: write the share as a percentage of the base, e.g. `35%25`",
        f"::error {name},line=15,col=5,endLine=15,endColumn=10,title=CH-E102::"
        "unknown attribute `margn` in channel",
    ]
    assert result.stderr == "checked 1 file: 2 errors, 1 warning\n"


def test_github_clean_run_prints_notices_and_exits_0():
    result = check("--format", "github", str(PROGRAMS / "ejourney.charter"))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("::notice file=") for line in lines)


def test_github_escaping():
    from charter.render_github import escape_data, escape_property

    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("%0A") == "%250A"  # a literal escape in the text stays literal


def test_github_neutralises_control_characters(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("ctl.charter").write_text('extends: "ba\x1b[2Jse\u202e.charter"\n' + SMALL, "utf-8")
    result = check("--format", "github", ".")
    line = result.stdout.splitlines()[0]
    assert "CH-E201" in line and "no such file `ba\\x1b[2Jse\\u202e.charter`" in line
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", result.stdout
                         .replace("\n", ""))


def test_github_without_a_place_has_no_file():
    from charter.diagnostics import Diagnostic, Severity
    from charter.render_github import command

    d = Diagnostic("CH-E205", Severity.ERROR, "cannot read file: no such file", None,
                   notes=("path: a\nb.charter",))
    assert command(d) == ("::error title=CH-E205::cannot read file: no such file"
                          "%0Anote: path: a\\x0ab.charter")
