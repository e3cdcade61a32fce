"""Policies: golden cases per policy, and meta-tests over the registry.

Each case is `tests/data/policies/<CODE>-<pass|fail>-<slug>.charter`; its rendered `charter
check` output is `<case>.expected`. A `fail` case must report its policy's code, a `pass` case
must not. Waiver expiry is judged as of CHARTER_TODAY=2026-11-23. To accept new output:

    python -m pytest tests/test_policies.py --update-golden
"""
from __future__ import annotations

import re

import pytest

from conftest import DATA, HEADER

CASES_DIR = DATA / "policies"
CASES = sorted(CASES_DIR.glob("*.charter"))
TODAY = "2026-11-23"


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
