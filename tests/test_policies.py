"""Policies: golden cases per policy, and meta-tests over the registry.

Each case is `tests/data/policies/<CODE>-<pass|fail>-<slug>.charter`; its rendered `charter
check` output is `<case>.expected`. A `fail` case must report its policy's code, a `pass` case
must not. Waiver expiry is judged as of the suite's CHARTER_TODAY (conftest.TODAY). To accept
new output:

    python -m pytest tests/test_policies.py --update-golden
"""
from __future__ import annotations

import re

import pytest

from conftest import DATA, HEADER, TODAY

CASES_DIR = DATA / "policies"
CASES = sorted(CASES_DIR.glob("*.charter"))


def _check(case, monkeypatch):
    from charter.api import check_paths
    from charter.render import render_text

    monkeypatch.setenv("CHARTER_TODAY", TODAY)
    monkeypatch.chdir(case.parent)
    result = check_paths([case.name])
    return result, render_text(result.diagnostics, result.sources)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_policy_case(case, monkeypatch, update_golden):
    code, kind = re.match(r"(CH-[A-Z]\d+)-(pass|fail)-", "CH-" + case.stem).groups()
    result, text = _check(case, monkeypatch)
    expected_file = case.with_suffix(".expected")
    if update_golden:
        expected_file.write_text(text, encoding="utf-8")
    from charter.policies import find
    codes = find(code).codes if find(code) else (code,)
    loud = [d for d in result.diagnostics if d.code in codes and d.severity.value != "note"]
    if kind == "fail":
        assert loud, f"{case.name} should report {code}:\n{text}"
    else:
        assert not loud, f"{case.name} should not report {code}:\n{text}"
    assert text == expected_file.read_text(encoding="utf-8"), (
        f"output for {case.name} differs from {expected_file.name}.\nIf the change is intended,"
        " run: python -m pytest tests/test_policies.py --update-golden")


# ---- the registry ---------------------------------------------------------------------------

def _policies():
    from charter.policies import all_policies
    return all_policies()


def test_codes_and_names_are_unique():
    policies = _policies()
    assert len({p.code for p in policies}) == len(policies)
    assert len({p.name for p in policies}) == len(policies)
    assert all(re.fullmatch(r"CH-P\d{3}", p.code) for p in policies)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", p.name) for p in policies)


def test_every_policy_is_documented():
    for p in _policies():
        assert p.title and p.rationale and p.explain, p.code
        assert p.failing.strip() and p.passing.strip() and p.failing != p.passing, p.code
        assert p.__class__.__name__ == "Policy"
        assert p.check.__doc__, f"{p.code}: check() needs a docstring"


def test_every_builtin_module_loads():
    from charter.policies import BUILTIN
    assert sorted(p.name for p in _policies()) == sorted(BUILTIN)
    assert len(BUILTIN) >= 17


@pytest.mark.parametrize("policy", _policies(), ids=lambda p: p.code)
def test_explain_snippets_behave(policy):
    """The failing snippet triggers the policy; the passing one does not."""
    from charter.api import compile_text

    def codes(snippet: str) -> set[str]:
        program, reporter = compile_text(HEADER.replace("IDR", "USD") + snippet, "snippet.charter")
        found = {d.code for d in reporter.items if d.severity.value != "note"}
        broken = {c for c in found if c[3] == "E" and c not in policy.codes}
        assert not broken, f"{policy.code}: snippet does not compile: {sorted(broken)}"
        return found

    assert set(policy.codes) & codes(policy.failing), f"{policy.code}: failing snippet passes"
    assert not set(policy.codes) & codes(policy.passing), f"{policy.code}: passing snippet fails"


def test_every_policy_has_a_passing_and_a_failing_case():
    stems = [c.stem for c in CASES]
    for p in _policies():
        tag = p.code[3:]
        assert any(s.startswith(f"{tag}-pass-") for s in stems), f"no pass case for {p.code}"
        assert any(s.startswith(f"{tag}-fail-") for s in stems), f"no fail case for {p.code}"


def test_docs_policies_md_is_generated_from_the_registry(update_golden):
    from charter.policies.docs import render_markdown

    path = DATA.parent.parent / "docs" / "policies.md"
    text = render_markdown()
    if update_golden:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, (
        "docs/policies.md is out of date; run: python -m pytest tests/test_policies.py"
        " --update-golden")


# ---- severities, waivers, plugins, CLI -------------------------------------------------------

STEP_DOWN = HEADER.replace("IDR", "USD") + '''
channel VAD {
    model: wholesale
    owner: shared
    lead_protection: 90 days
    tier Gold { margin: 30%; margin_y2: 20% }
    tier Silver { margin: 30%; margin_y2: 25% }
}
'''


def _codes(text: str, today: str = TODAY):
    import datetime as dt

    from charter.api import compile_text, run_checks
    from charter.diagnostics import Reporter

    program, reporter = compile_text(text, "t.charter")
    del reporter
    fresh = Reporter()
    run_checks(program, fresh, dt.date.fromisoformat(today))
    return [(d.code, d.severity.value) for d in fresh.sorted()]


def test_program_can_lower_or_silence_a_policy():
    assert _codes(STEP_DOWN).count(("CH-P003", "error")) == 2
    assert _codes(STEP_DOWN + "policy no_step_down { severity: warning }\n").count(
        ("CH-P003", "warning")) == 2
    assert not [c for c in _codes(STEP_DOWN + 'policy "CH-P003" { severity: off }\n')
                if c[0] == "CH-P003"]


def test_waiver_by_subject_and_for_every_subject():
    one = STEP_DOWN + '''waiver gold {
    policy: no_step_down
    subject: VAD Gold
    reason: "transition"
    owner: "chief"
}
'''
    assert sorted(c for c in _codes(one) if c[0] == "CH-P003") == \
        [("CH-P003", "error"), ("CH-P003", "note")]
    every = one.replace("    subject: VAD Gold\n", "")
    assert [c for c in _codes(every) if c[0] == "CH-P003"] == [("CH-P003", "note")] * 2


def test_waiver_expiry_is_judged_on_today():
    text = STEP_DOWN + '''waiver all {
    policy: no_step_down
    reason: "transition"
    owner: "chief"
    expires: 2026-12-31
}
'''
    assert ("CH-E402", "error") not in _codes(text, "2026-12-31")
    expired = _codes(text, "2027-01-01")
    assert ("CH-E402", "error") in expired and expired.count(("CH-P003", "error")) == 2


def test_policy_packs_load_from_entry_points(monkeypatch):
    import importlib.metadata as md

    import charter.policies as registry
    from charter.diagnostics import Severity
    from charter.policies.base import Finding, Policy

    def check(program, ctx):
        """Every channel named `Legacy` is reported."""
        for channel in program.channels:
            if channel.name == "Legacy":
                yield Finding("no channel may be called Legacy", channel.span, channel.name)

    pack = Policy("CH-P900", "no_legacy", "No Legacy channel", Severity.WARNING, "why", "what",
                  "channel Legacy { model: referral; owner: vendor }",
                  "channel Modern { model: referral; owner: vendor }", check)

    class Entry:
        name = "no_legacy"

        def load(self):
            return pack

    real = md.entry_points
    monkeypatch.setattr(md, "entry_points", lambda group=None, **kw:
                        [Entry()] if group == registry.ENTRY_POINT_GROUP else real(group=group, **kw))
    registry.all_policies.cache_clear()
    try:
        assert registry.find("CH-P900") is pack and registry.find("no_legacy") is pack
        text = HEADER.replace("IDR", "USD") + "channel Legacy {\n    model: referral\n" \
            "    owner: vendor\n    lead_protection: 30 days\n}\n"
        assert ("CH-P900", "warning") in _codes(text)
    finally:
        registry.all_policies.cache_clear()


def test_cli_lists_and_explains_policies():
    import json

    from click.testing import CliRunner

    from charter.cli import main
    listed = CliRunner().invoke(main, ["policies", "--format", "json"])
    assert listed.exit_code == 0
    rows = json.loads(listed.output)["policies"]
    assert [r["code"] for r in rows] == sorted(r["code"] for r in rows)
    assert {"code": "CH-P001", "name": "margin_death_line",
            "title": "Vendor net margin stays above the floor", "severity": "error"} in rows
    text = CliRunner().invoke(main, ["policies"]).output
    assert text.splitlines()[0].startswith("CH-P001  margin_death_line")
    for key in ("CH-P003", "ch-p003", "no_step_down"):
        shown = CliRunner().invoke(main, ["explain", key])
        assert shown.exit_code == 0 and shown.output.startswith("CH-P003 no_step_down:")
        assert "Fails:" in shown.output and "Passes:" in shown.output
    code = CliRunner().invoke(main, ["explain", "CH-E109"])
    assert code.exit_code == 0 and code.output.startswith("CH-E109: unknown reference")
    wrong = CliRunner().invoke(main, ["explain", "no_step_dwn"])
    assert wrong.exit_code == 2 and "did you mean `no_step_down`?" in wrong.output


def test_unknown_policy_and_bad_severity_are_reported_together():
    from charter.api import compile_text

    text = HEADER + "policy tier_cuont { severity: fatal }\n"
    _program, reporter = compile_text(text, "t.charter")
    found = {(d.code, d.span.line, d.span.column) for d in reporter.items}
    assert ("CH-E401", 6, 8) in found and any(code == "CH-E108" for code, *_ in found)
    (e401,) = [d for d in reporter.items if d.code == "CH-E401"]
    assert e401.help == ("did you mean `tier_count`?",)
