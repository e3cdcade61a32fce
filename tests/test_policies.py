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


PACK_SOURCE = '''
from charter.diagnostics import Severity
from charter.policies.base import Finding, Policy


def check(program, ctx):
    """Every channel named `Legacy` is reported."""
    for channel in program.channels:
        if channel.name == "Legacy":
            yield Finding("no channel may be called Legacy", channel.span, channel.name)


POLICY = Policy("CH-P900", "no_legacy", "No Legacy channel", Severity.WARNING, "why", "what",
                "channel Legacy { model: referral; owner: vendor }",
                "channel Modern { model: referral; owner: vendor }", check)
'''


def test_policy_packs_load_from_entry_points(fake_pack):
    """A pack installed as a distribution with an entry point runs with the built-ins."""
    import charter.policies as registry

    fake_pack(PACK_SOURCE)
    pack = registry.find("CH-P900")
    assert pack is not None and registry.find("no_legacy") is pack
    text = HEADER.replace("IDR", "USD") + "channel Legacy {\n    model: referral\n" \
        "    owner: vendor\n    lead_protection: 30 days\n}\n"
    assert ("CH-P900", "warning") in _codes(text)


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


# ---- parameters ------------------------------------------------------------------------------

PRICED = HEADER.replace("IDR", "USD") + '''
product Platform { layer: software; list_price: $100 per user per month; msrp_floor: list_price }
channel Reseller {
    model: wholesale
    owner: vendor
    lead_protection: 90 days
    tier Silver { quota: $100K per year; margin: 20% }
    tier Gold { quota: $500K per year; margin: 35% }
}
internal economics { cogs: 3%; margin_floor: 60% }
'''


def _lowered(text: str):
    from charter.api import compile_text

    program, reporter = compile_text(text, "t.charter")
    return program, reporter.sorted()


def test_parameters_are_read_typed_and_reach_the_setting():
    from decimal import Decimal

    from charter.values import Duration

    program, found = _lowered(PRICED + '''policy margin_death_line { floor: 65% }
policy tier_count { severity: error; max: 5 }
policy lead_protection { minimum: 30 days }
''')
    assert not [d for d in found if d.code.startswith("CH-E")], found
    settings = {s.policy: s for s in program.policy_settings}
    assert settings["margin_death_line"].params == (("floor", Decimal("0.65")),)
    assert settings["margin_death_line"].severity == ""       # a block that sets a parameter
    assert settings["tier_count"].params == (("max", 5),)
    assert settings["tier_count"].severity == "error"
    assert settings["lead_protection"].params == (("minimum", Duration(Decimal(30), "day")),)
    span = settings["tier_count"].param_spans["max"]
    assert (span.line, span.column) == (program.policy_settings[1].span.line, 43)  # the value


def test_an_unknown_parameter_names_the_nearest_and_every_one():
    _program, found = _lowered(PRICED + "policy margin_death_line { flor: 65% }\n")
    (e102,) = [d for d in found if d.code == "CH-E102"]
    assert e102.message == "policy margin_death_line has no parameter `flor`"
    assert e102.help == ("did you mean `floor`?",
                         "margin_death_line takes `severity`, `floor` (`charter explain CH-P001`)")
    assert not [d for d in found if d.code == "CH-E103"]     # no "missing severity" on top
    _program, found = _lowered(PRICED + "policy acyclic_attribution { max: 2 }\n")
    (e102,) = [d for d in found if d.code == "CH-E102"]
    assert e102.help == ("acyclic_attribution takes `severity` (`charter explain CH-P004`)",)


def test_a_parameter_of_the_wrong_kind_is_reported_at_the_value():
    _program, found = _lowered(PRICED + "policy tier_count { max: 40% }\n"
                                        "policy lead_protection { minimum: 30 }\n"
                                        "policy margin_death_line { floor: yes }\n")
    wrong = [(d.code, d.span.line, d.message) for d in found if d.code == "CH-E106"]
    lines = PRICED.count("\n")
    assert wrong == [("CH-E106", lines + 1, "expected a number, found a percentage `40%`"),
                     ("CH-E106", lines + 2, "expected a duration, found a number `30`"),
                     ("CH-E106", lines + 3, "expected a percentage, found a name `yes`")]


def test_a_parameter_out_of_range_is_reported_at_the_value():
    _program, found = _lowered(PRICED + "policy tier_count { max: 0 }\n"
                                        "policy mdf_cap { max: 120% }\n"
                                        "policy tier_count { max: 2.5 }\n")
    out = [(d.code, d.span.line, d.span.column) for d in found if d.code == "CH-E111"]
    lines = PRICED.count("\n")
    assert out == [("CH-E111", lines + 1, 26), ("CH-E111", lines + 2, 23),
                   ("CH-E111", lines + 3, 26)]
    (zero,) = [d for d in found if d.code == "CH-E111" and d.span.line == lines + 1]
    assert zero.message == "`max: 0` is out of range for policy tier_count: it must be at least 1"
    assert zero.help == ("`max`: the most tiers a channel that is not `internal` may have"
                         " (default 4)",)


def test_a_policy_block_that_sets_nothing_still_needs_a_level():
    _program, found = _lowered(PRICED + "policy tier_count { }\n")
    assert [d.code for d in found if d.code.startswith("CH-E")] == ["CH-E103"]


def test_parameters_of_an_unknown_policy_are_left_to_its_name():
    _program, found = _lowered(PRICED + "policy tier_cuont { max: 5 }\n")
    assert [d.code for d in found if d.code.startswith("CH-E")] == ["CH-E401"]


def test_a_parameter_set_twice_is_a_duplicate():
    _program, found = _lowered(PRICED + "policy tier_count { max: 5; max: 6 }\n")
    assert [d.code for d in found if d.code.startswith("CH-E")] == ["CH-E104"]


def test_a_parameter_changes_the_outcome():
    """floor raises the line the routes are judged by; tier_count's max moves the ceiling."""
    assert not [c for c in _codes(PRICED) if c[0] == "CH-P001"]
    assert ("CH-P001", "error") in _codes(PRICED + "policy margin_death_line { floor: 65% }\n")
    five = PRICED + "channel Technology {\n    model: technology\n    owner: vendor\n" \
        "    lead_protection: 90 days\n" + "".join(
            f"    tier T{i} {{ qualify: revenue >= ${i}00K per year }}\n" for i in range(1, 6)) + "}\n"
    assert ("CH-P013", "warning") in _codes(five)
    assert not [c for c in _codes(five + "policy tier_count { max: 5 }\n") if c[0] == "CH-P013"]
    assert ("CH-P013", "warning") in _codes(five.replace("T5", "T0").replace(
        "    tier T0 { qualify: revenue >= $500K per year }\n", "") + "policy tier_count { max: 3 }\n")


def test_a_policy_floor_fails_ejourneys_elite_route(tmp_path, monkeypatch):
    """eJourney walks below 60% and its Elite route keeps 62%: a 70% policy floor fails it."""
    import shutil

    from charter.api import check_paths

    from conftest import PROGRAMS
    shutil.copytree(PROGRAMS, tmp_path / "programs")
    (tmp_path / "charter.toml").write_text("", encoding="utf-8")
    path = tmp_path / "programs" / "ejourney.charter"
    monkeypatch.setenv("CHARTER_TODAY", TODAY)
    assert not [d for d in check_paths([path]).diagnostics if d.code == "CH-P001"]
    with path.open("a", encoding="utf-8") as f:
        f.write("\npolicy margin_death_line { floor: 70% }\n")
    found = {d.message.split(" crosses")[0]: d for d in check_paths([path]).diagnostics
             if d.code == "CH-P001"}
    assert set(found) == {"route VAD Elite", "route Referral -> VAD Accelerator"}  # 62%, 67%
    elite = found["route VAD Elite"]
    assert elite.severity.value == "error" and "vendor net margin 62% in year 1 is below the" \
        " 70% floor" in elite.message
    assert [label.message for label in elite.labels][:1] == ["the policy's 70% floor"]


def test_params_reach_the_check_with_their_defaults():
    import datetime as dt

    from charter.policies import find
    from charter.policies.base import PolicyContext

    program, _ = _lowered(PRICED + "policy tier_count { max: 6 }\n")
    from charter.policies.runner import settings
    ctx = PolicyContext(program, dt.date(2026, 1, 1), settings=settings(program))
    ctx.policy = find("tier_count")
    assert ctx.param("max") == 6 and ctx.param_span("max") is not None
    ctx.policy = find("no_step_down")
    assert ctx.param("max_step_down") == 0 and ctx.param_span("max_step_down") is None
    ctx.policy = find("mdf_cap")
    assert ctx.param("max") is None
    with pytest.raises(KeyError):
        ctx.param("floor")


def test_every_parameter_is_documented_with_its_default():
    for p in _policies():
        for param in p.params:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", param.name), (p.code, param.name)
            assert param.doc and (param.default is not None or param.unset), (p.code, param.name)
            assert param.name != "severity"
    names = {p.name: [x.name for x in p.params] for p in _policies()}
    assert names["margin_death_line"] == ["floor"] and names["tier_count"] == ["max"]
    assert names["no_step_down"] == ["max_step_down"] and names["lead_protection"] == ["minimum"]
    assert names["combined_cap"] == ["max"] and names["mdf_cap"] == ["max"]


def test_explain_lists_the_parameters():
    from click.testing import CliRunner

    from charter.cli import main
    shown = CliRunner().invoke(main, ["explain", "CH-P001"]).output
    assert "Parameters (set in `policy margin_death_line { ... }`):\n\n  floor: percentage" \
           " (0% to 100%); default not set (the program's `margin_floor`)\n" in shown
    assert shown.index("Parameters") < shown.index("Fails:")
    shown = CliRunner().invoke(main, ["explain", "tier_count"]).output
    assert "  max: whole number, 1 or more; default 4\n" in shown
    shown = CliRunner().invoke(main, ["explain", "CH-P004"]).output
    assert "Parameters: none (only `severity`).\n" in shown


def test_docs_have_a_parameter_table_per_policy():
    from charter.policies.docs import render_markdown

    text = render_markdown()
    assert "| `max` | whole number, 1 or more | 4 | the most tiers a channel that is not" \
           " `internal` may have |" in text
    assert "Parameters (`policy mdf_cap { max: 5% }`):" in text
    assert text.count("| parameter | kind | default | what it does |") == \
        sum(1 for p in _policies() if p.params)


def test_the_brief_shows_the_parameters_in_effect():
    from charter.targets import brief
    from charter.targets.base import BuildContext

    program, found = _lowered(PRICED + "policy tier_count { max: 6 }\n"
                                       "policy mdf_cap { severity: off; max: 4% }\n")
    assert not [d for d in found if d.code.startswith("CH-E")], found
    text = brief.TARGET.build(BuildContext(program))["internal-brief.md"].decode()
    assert "| **CH-P013 tier\\_count** | max | 6 | set in the program |" in text
    assert "| **CH-P003 no\\_step\\_down** | max\\_step\\_down | 0% | default |" in text
    assert "| **CH-P018 mdf\\_cap (off)** | max | 4% | set in the program |" in text
    assert "| **CH-P001 margin\\_death\\_line** | floor | not set: the program's" \
           " margin\\_floor | default |" in text


def test_the_step_down_help_offers_a_waiver_that_works():
    """CH-P003's help keeps the agreed terms on record: the waiver it prints waives it."""
    from charter.api import compile_text, run_checks
    from charter.diagnostics import Reporter
    import datetime as dt

    program, _ = compile_text(STEP_DOWN, "t.charter")
    fresh = Reporter()
    run_checks(program, fresh, dt.date.fromisoformat(TODAY))
    first = [d for d in fresh.sorted() if d.code == "CH-P003"][0]
    (offer,) = [h for h in first.help if "waiver" in h]
    block = offer.split("`")[1].replace("YYYY-MM-DD", "2027-06-30")
    assert block.startswith(f"waiver vad_gold_step_down {{ policy: no_step_down; subject: VAD"
                            " Gold;")
    codes = _codes(STEP_DOWN + block + "\n")
    assert ("CH-P003", "note") in codes and codes.count(("CH-P003", "error")) == 1
    assert not [c for c in codes if c[0] in ("CH-W401", "CH-E106")]


def test_a_scoring_declares_its_scale():
    from decimal import Decimal

    program, found = _lowered(HEADER + "scoring card {\n    scale: 35\n"
                              + "".join(f"    dimension d{i} {{ weight: 5 }}\n" for i in range(7))
                              + "    band low { range: 0 .. 20 }\n"
                                "    band high { range: 20 .. 36 }\n}\n")
    assert program.scorings[0].scale == Decimal(35)
    assert not [d for d in found if d.code == "CH-P010"]
    _program, found = _lowered(HEADER + "scoring card { scale: 0 }\n")
    assert [d.code for d in found if d.code.startswith("CH-E")] == ["CH-E111"]


# ---- texts speak of programs in general ------------------------------------------------------

SECTION_REFERENCE = re.compile(r"seed|000 A|\bC\.\d|\b[A-F]\(\d\)|\bthe page\b|page, [A-F]\b")


def _texts(policy) -> list[str]:
    import inspect

    texts = [policy.title, policy.rationale, policy.explain, policy.check.__doc__ or ""]
    texts += [x.doc + " " + x.unset for x in policy.params]
    module = inspect.getmodule(policy.check)
    texts.append(inspect.getsource(module).split("POLICY = Policy(")[0])  # messages, help
    return texts


@pytest.mark.parametrize("policy", _policies(), ids=lambda p: p.code)
def test_policy_texts_cite_no_section_of_one_programs_source(policy):
    """Texts, messages and help speak of programs in general; a named source is an example."""
    for text in _texts(policy):
        assert not SECTION_REFERENCE.search(text), (policy.code, SECTION_REFERENCE.search(text))
