"""Break the bundled eJourney program the ways a real edit would; each must fail the right
policy at the right line (issue: "raising Elite's margin to 45% fails the margin-death line
with the worst route named", year-2 cut, handover cycle, inverted ladder, missing mitigation).
"""
from __future__ import annotations

import re
import shutil


from conftest import PROGRAMS


def _check(tmp_path, edit_program=None, edit_base=None):
    from charter.api import check_paths

    root = tmp_path / "project"
    shutil.copytree(PROGRAMS, root / "programs")
    (root / "charter.toml").write_text("", encoding="utf-8")
    for path, edit in ((root / "programs/ejourney.charter", edit_program),
                       (root / "programs/base/two-channel.charter", edit_base)):
        if edit is not None:
            text = path.read_text(encoding="utf-8")
            changed = edit(text)
            assert changed != text, "the mutation did not apply"
            path.write_text(changed, encoding="utf-8")
    result = check_paths([root / "programs/ejourney.charter"])
    return result, (root / "programs/ejourney.charter").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def test_unchanged_program_is_clean(tmp_path):
    result, _ = _check(tmp_path)
    assert not result.errors and not result.warnings, result.diagnostics


def test_elite_at_45_percent_crosses_the_margin_death_line(tmp_path):
    def edit(text):
        return re.sub(r"(tier Elite \{.*?\n        margin: )35%", r"\g<1>45%", text, flags=re.S)
    result, text = _check(tmp_path, edit)
    (finding,) = [d for d in result.errors if d.code == "CH-P001"]
    assert "route VAD Elite" in finding.message and "52%" in finding.message
    assert "100% − 3% COGS − 45% VAD wholesale_margin" in finding.message
    elite = text.index("tier Elite {")
    assert finding.span.line == _line_of(text[elite:], "margin: 45%") + _line_of(text, "tier Elite {") - 1


def test_year_two_cut_fails_no_step_down(tmp_path):
    def edit(text):
        return re.sub(r"(tier Accelerator \{.*?margin_y2: )25%", r"\g<1>20%", text, flags=re.S)
    result, text = _check(tmp_path, edit)
    codes = {d.code for d in result.errors}
    assert "CH-P003" in codes
    (finding,) = [d for d in result.errors if d.code == "CH-P003"]
    accelerator = text.index("tier Accelerator {")
    assert finding.span.line == _line_of(text, "tier Accelerator {") - 1 + \
        _line_of(text[accelerator:], "margin_y2: 20%")
    assert "steps down from 25% in year 1 to 20% in year 2" in finding.message


def test_handover_cycle_fails_acyclic_attribution(tmp_path):
    def edit(text):
        return text + "\nhandover VAD -> Referral {\n    introducer_rate: 2%\n}\n"
    result, text = _check(tmp_path, edit)
    (finding,) = [d for d in result.errors if d.code == "CH-P004"]
    assert finding.message == "attribution cycle: Referral -> VAD -> Referral"
    lines = {finding.span.line} | {label.span.line for label in finding.labels}
    assert lines == {_line_of(text, "handover Referral -> VAD"), _line_of(text, "handover VAD -> Referral")}


def test_inverted_ladder_fails_tier_ladder(tmp_path):
    def edit(text):
        return text.replace("quota: Rp 5 Miliar per year", "quota: Rp 20 Miliar per year", 1)
    result, text = _check(tmp_path, edit)
    findings = [d for d in result.errors if d.code == "CH-P005"]
    assert findings, result.diagnostics
    quota_lines = {_line_of(text, "quota: Rp 20 Miliar per year"),
                   _line_of(text, "quota: Rp 15 Miliar per year")}
    assert any(d.span.line in quota_lines for d in findings)


def test_missing_mitigation_fails_flipper_mitigations(tmp_path):
    def edit(text):
        return re.sub(r"mitigation nps_visibility \{.*?\n\}\n", "", text, flags=re.S)
    result, text = _check(tmp_path, edit_base=edit)
    findings = [d for d in result.errors if d.code == "CH-P008"]
    assert findings and all("VAD" in d.message for d in findings)
    assert any("NPS" in d.message or "nps" in d.message for d in findings)
    # the other four controls live in the base file: the finding says where
    assert any(label.span.file.endswith("base/two-channel.charter")
               for d in findings for label in d.labels)
