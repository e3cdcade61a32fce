"""One mistake, one place (issue 12, "Diagnostics that never mislead").

Each test takes a bundled program, makes one edit a person could make by accident, and checks
what `charter check` says: at most `MAX_DIAGNOSTICS` diagnostics, none in a file that was not
edited, the expected code first, and no follow-on codes (an error whose cause is the edit's
first error). The unchanged programs are the baseline: their own notes do not count.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import PROGRAMS

MAX_DIAGNOSTICS = 10
BASE = "programs/base/two-channel.charter"
MAIN = ("programs/ejourney.charter", "programs/saas-reseller.charter", "programs/elision.charter")


# ---- running one edit ---------------------------------------------------------------------------

def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROGRAMS, root / "programs")
    (root / "charter.toml").write_text("", encoding="utf-8")
    return root


def _check(root: Path, target: str, monkeypatch):
    from charter.api import check_paths

    monkeypatch.chdir(root)
    result = check_paths([target])
    return [d for d in result.diagnostics if d.severity.value != "note"], result


def _edit(tmp_path: Path, target: str, edit, monkeypatch, *, newline: str | None = None):
    """Apply ``edit`` to ``target`` in a copy of programs/; (new diagnostics, result)."""
    root = _project(tmp_path)
    path = root / target
    text = path.read_text(encoding="utf-8")
    changed = edit(text)
    assert changed != text, "the edit did not apply"
    path.write_bytes(changed.encode("utf-8"))
    return _check(root, target, monkeypatch)


def _judge(found, edited: set[str], first: str, allowed: set[str]) -> None:
    """The four rules of one mistake: few, in the edited file, the right code first, no echoes."""
    shown = "\n".join(f"{d.code} {d.span.file if d.span else '-'}:"
                      f"{d.span.line if d.span else 0} {d.message}" for d in found)
    assert 0 < len(found) <= MAX_DIAGNOSTICS, shown
    assert all(d.span is None or d.span.file in edited for d in found), shown
    assert found[0].code == first, shown
    assert {d.code for d in found} <= allowed | {first}, shown


# ---- the edits -----------------------------------------------------------------------------

def _closers(text: str) -> list[int]:
    """Offsets of the `}` that stand alone on their line."""
    return [m.start(1) for m in re.finditer(r"^[ \t]*(\})[ \t]*$", text, re.M)]


def _delete_at(offset: int):
    return lambda text: text[:offset] + text[offset + 1:]


def _sample(items: list, count: int) -> list:
    """``count`` items spread over ``items``, always with the first and the last."""
    if len(items) <= count:
        return items
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


CLOSER_SAMPLE = 6  # closers per file (all 232 pass; the sample keeps the suite fast)


def _closer_count(target: str) -> int:
    return len(_sample(_closers((PROGRAMS.parent / target).read_text(encoding="utf-8")),
                       CLOSER_SAMPLE))


CLOSER_CASES = [(target, index) for target in (*MAIN, BASE)
                for index in range(_closer_count(target))]


@pytest.mark.parametrize("target,index", CLOSER_CASES, ids=[f"{Path(t).stem}-{i}"
                                                            for t, i in CLOSER_CASES])
def test_deleted_closing_brace_is_one_error_where_the_block_should_close(tmp_path, monkeypatch,
                                                                          target, index):
    text = (PROGRAMS.parent / target).read_text(encoding="utf-8")
    offset = _sample(_closers(text), CLOSER_SAMPLE)[index]
    if target == BASE:  # the base is checked through the program that extends it
        root = _project(tmp_path)
        (root / BASE).write_text(_delete_at(offset)(text), encoding="utf-8")
        found, _ = _check(root, "programs/ejourney.charter", monkeypatch)
    else:
        found, _ = _edit(tmp_path, target, _delete_at(offset), monkeypatch)
    _judge(found, {target}, "CH-E003", set())
    (error,) = found
    line = text.count("\n", 0, offset) + 1
    at_end = error.message.startswith("unexpected end of file")
    opener = (error.labels[0].span if at_end else error.span).line
    assert opener < line, "the `{` reported must open the block whose `}` was deleted"
    if not at_end:  # the label says where the `}` belongs: where it was deleted, or later
        assert error.labels[0].span.line >= line


def _collapse_service(text: str) -> str:
    """The first multi-line `service { … }` of a tier on one line, with the tier's own `}`
    right after it: `service { response: …; qbr: no } }`."""
    match = re.search(r"\n([ \t]*)service \{\n(.*?)\n[ \t]*\}\n[ \t]*\}\n", text, re.S)
    assert match is not None
    body = [re.sub(r"\s+#.*", "", line).strip() for line in match.group(2).split("\n")]
    one = "; ".join(line for line in body if line)
    return text[:match.start()] + f"\n{match.group(1)}service {{ {one} }} }}\n" \
        + text[match.end():]


def test_a_block_closing_before_its_parent_on_one_line_parses(tmp_path, monkeypatch):
    """`tier Gold { margin: 35%; service { response: 24 hours } }`: a nested block's `}` ends
    its statement, so the line means what the layout over several lines means."""
    target = "programs/ejourney.charter"
    baseline, _ = _check(_project(tmp_path / "a"), target, monkeypatch)
    found, _ = _edit(tmp_path / "b", target, _collapse_service, monkeypatch)
    assert [d.code for d in found] == [d.code for d in baseline]


def test_the_nested_block_line_of_the_issue_parses(compile_src, header):
    _program, diagnostics = compile_src(header + "channel Reseller {\n    model: wholesale\n"
                                        "    owner: partner\n    tier Gold { margin: 35%;"
                                        " service { response: 24 hours } }\n}\n")
    assert not [d for d in diagnostics if d.code.startswith("CH-E0")], diagnostics
    assert _program is not None and _program.channel("Reseller").tier("Gold").service.response


def test_deleted_semicolon_between_attributes_is_one_error(tmp_path, monkeypatch):
    def edit(text):
        collapsed = _collapse_service(text)
        line = next(l for l in collapsed.split("\n") if "service { " in l and ";" in l)
        return collapsed.replace(line, line.replace(";", "", 1), 1)
    found, _ = _edit(tmp_path, "programs/ejourney.charter", edit, monkeypatch)
    _judge(found, {"programs/ejourney.charter"}, "CH-E001", set())
    assert found[0].message.startswith("missing `;` before ")


def test_missing_semicolon_keeps_the_tier_it_is_in(compile_src, header):
    """The issue's case: the line is read with the `;` put back, so the tier still exists: no
    "has no tiers", no "unknown tier `Gold`"."""
    text = header + ("product P { layer: software; list_price: Rp 200K per user per month }\n"
                     "channel Reseller {\n    model: wholesale\n    owner: partner\n"
                     "    tier Gold { margin: 35% mdf: 2% }\n}\n"
                     "example e { product: P; seats: 10; route: Reseller Gold }\n")
    _program, diagnostics = compile_src(text)
    assert [d.code for d in diagnostics if d.severity.value == "error"] == ["CH-E001"], diagnostics


def test_a_neutralised_tier_is_not_an_unknown_tier(compile_src, header):
    """A tier whose line recovery had to blank is not "unknown" where it is used."""
    text = header + ("product P { layer: software; list_price: Rp 200K per user per month }\n"
                     "channel Reseller {\n    model: wholesale\n    owner: partner\n"
                     "    tier Gold { margin: 35% ] }\n}\n"
                     "example e { product: P; seats: 10; route: Reseller Gold }\n")
    _program, diagnostics = compile_src(text)
    assert [d.code for d in diagnostics if d.severity.value == "error"] == ["CH-E001"], diagnostics


def test_a_block_written_twice_is_one_error_not_unknown_names(compile_src, header):
    """Only the first `attribution` is read; the split the second defines is not "unknown"
    where an example uses it: the duplicate is the one mistake."""
    text = header + ("product P { layer: software; list_price: Rp 200K per user per month }\n"
                     "channel R { model: referral; owner: vendor; commission: 10%;"
                     " lead_protection: 90 days }\n"
                     "attribution { default: single; split s { R: 10%; direct: 90% } }\n"
                     "attribution { default: single; split s2 { R: 20%; direct: 80% } }\n"
                     "example e { product: P; seats: 10; route: R; split: s2 }\n")
    _program, diagnostics = compile_src(text)
    assert [d.code for d in diagnostics if d.severity.value == "error"] == ["CH-E105"], diagnostics


TIERS = [("programs/ejourney.charter", "Elite"), ("programs/ejourney.charter", "Standard"),
         ("programs/saas-reseller.charter", "Gold"), ("programs/saas-reseller.charter", "Silver")]


@pytest.mark.parametrize("target,tier", TIERS, ids=[f"{Path(t).stem}-{n}" for t, n in TIERS])
def test_misspelt_tier_definition_is_one_error(tmp_path, monkeypatch, target, tier):
    misspelt = tier[:-2] + tier[-1] + tier[-2]
    found, result = _edit(tmp_path, target,
                          lambda text: text.replace(f"tier {tier} {{", f"tier {misspelt} {{", 1),
                          monkeypatch)
    _judge(found, {target}, "CH-E109", set())
    (error,) = found
    assert f"unknown tier `{tier}`" in error.message
    uses = len(re.findall(rf"\b{tier}\b", (PROGRAMS.parent / target).read_text()))
    if uses > 2:
        assert "uses)" in error.message
    assert any(f"`{misspelt}` is defined here" == label.message for label in error.labels)


CURRENCIES = [("programs/ejourney.charter", "IDR", "USD"),
              ("programs/saas-reseller.charter", "USD", "EUR"),
              ("programs/elision.charter", "USD", "IDR")]


@pytest.mark.parametrize("target,old,new", CURRENCIES, ids=[Path(c[0]).stem for c in CURRENCIES])
def test_changed_currency_is_one_error_at_the_currency_line(tmp_path, monkeypatch, target, old,
                                                           new):
    found, _ = _edit(tmp_path, target,
                     lambda text: text.replace(f"currency: {old}", f"currency: {new}", 1),
                     monkeypatch)
    _judge(found, {target}, "CH-E107", set())
    (error,) = found
    text = (PROGRAMS.parent / target).read_text(encoding="utf-8")
    assert error.span.line == text[:text.index(f"currency: {old}")].count("\n") + 1
    assert error.labels and error.notes
    assert f"write `currency: {old}`" in error.help[0]


@pytest.mark.parametrize("target", MAIN, ids=[Path(t).stem for t in MAIN])
def test_deleted_program_block_is_one_error(tmp_path, monkeypatch, target):
    def edit(text):
        return re.sub(r"\nprogram \w+ \{.*?\n\}\n", "\n", text, count=1, flags=re.S)
    found, _ = _edit(tmp_path, target, edit, monkeypatch)
    _judge(found, {target}, "CH-E204", set())


@pytest.mark.parametrize("target", MAIN, ids=[Path(t).stem for t in MAIN])
def test_deleted_program_header_line_is_one_error(tmp_path, monkeypatch, target):
    """The body stays, indented, and ends at a `}` that closes nothing: one error there, not a
    doc string read as code and every header attribute "unknown at top level"."""
    found, _ = _edit(tmp_path, target,
                     lambda text: re.sub(r"\nprogram \w+ \{\n", "\n", text, count=1), monkeypatch)
    _judge(found, {target}, "CH-E011", set())
    (error,) = found
    assert "header line is missing" in error.message


def test_deleted_tier_header_line_is_one_error(tmp_path, monkeypatch):
    target = "programs/ejourney.charter"
    found, _ = _edit(tmp_path, target, lambda text: text.replace("    tier Accelerator {\n", "", 1),
                     monkeypatch)
    _judge(found, {target}, "CH-E011", set())


def test_missing_base_reports_only_the_missing_file(tmp_path, monkeypatch):
    root = _project(tmp_path)
    (root / BASE).unlink()
    found, _ = _check(root, "programs/ejourney.charter", monkeypatch)
    _judge(found, {"programs/ejourney.charter"}, "CH-E201", set())


@pytest.mark.parametrize("ending", ["\r", "\r\n"], ids=["cr", "crlf"])
@pytest.mark.parametrize("target", MAIN, ids=[Path(t).stem for t in MAIN])
def test_line_endings_do_not_change_the_result(tmp_path, monkeypatch, target, ending):
    baseline, base_result = _check(_project(tmp_path / "a"), target, monkeypatch)
    found, result = _edit(tmp_path / "b", target, lambda text: text.replace("\n", ending),
                          monkeypatch)
    assert [(d.code, d.span and (d.span.line, d.span.column)) for d in result.diagnostics] == \
        [(d.code, d.span and (d.span.line, d.span.column)) for d in base_result.diagnostics]


# ---- hints speak the program's currency ------------------------------------------------------

USD_MISTAKES = """program t {
    title: "T"
    currency: USD
    status: draft
}
product P { layer: software; list_price: 20% }
product Q { layer: software }
product M { layer: services; subcontract_price: 5 }
channel Referral {
    model: referral
    owner: vendor
    thresholds volume {
        basis: referred_software_revenue
        semantics: forward
        reset: calendar_year
        bracket: 10%
    }
}
channel R {
    model: referral
    owner: vendor
    thresholds volume { basis: referred_software_revenue; semantics: forward; reset: never }
}
channel VAD {
    model: wholesale
    owner: partner
    tier Standard { margin: 20%; tier_up: Gold; quota: 5; revenue_band: 1 .. 2 }
    tier Gold { margin: 30% }
}
example e { product: P; seats: 10; cumulative: Referral 5 }
"""


def test_hints_use_the_programs_currency(compile_src):
    """Every example amount a USD program is shown is in dollars: the hints of lowering,
    values and the parser all go through `charter.literals.localise`."""
    _program, diagnostics = compile_src(USD_MISTAKES)
    helps = [h for d in diagnostics for h in d.help if d.code in ("CH-E103", "CH-E106")]
    assert len(helps) >= 7, [str(d) for d in diagnostics]
    assert not [h for h in helps if "Rp" in h], helps
    assert any("$" in h for h in helps), helps


def test_parser_hints_use_the_declared_currency(compile_src):
    _program, diagnostics = compile_src('program t { title: "T"; currency: USD; status: draft }\n'
                                        "product P { layer: software; list_price: }\n")
    assert not [h for d in diagnostics for h in d.help if "Rp" in h], diagnostics


def test_localise_respells_rupiah_examples_at_the_same_size():
    from charter.literals import localise, parse_money

    assert localise("revenue >= Rp 5 Miliar per year", "USD") == "revenue >= $500K per year"
    assert localise("Rp 0 .. Rp 3 Miliar -> 10%", "EUR") == "€0 .. €300K -> 10%"
    assert localise("Rp 250K", "IDR") == "Rp 250K"
    for currency in ("USD", "EUR", "GBP", "SGD", "AUD", "MYR", "INR", "JPY"):
        for example in ("Rp 25 juta", "Rp 2,4 Miliar", "Rp 180K", "Rp 0"):
            assert parse_money(localise(example, currency)).currency == currency


# ---- an attribute where it has no meaning ------------------------------------------------------

def test_attribute_in_the_wrong_block_says_where_it_belongs(compile_src, header):
    text = header + ("channel VAD {\n    model: wholesale\n    owner: partner\n"
                     "    influenced: CoSell\n    margin: 20%\n"
                     "    tier Standard { margin: 20% }\n}\n")
    _program, diagnostics = compile_src(text)
    helps = {d.message: d.help for d in diagnostics if d.code == "CH-E102"}
    assert "example" in helps["unknown attribute `influenced` in channel"][0]
    assert "`tier`" in helps["unknown attribute `margin` in channel"][0]


def test_every_belongs_row_is_true():
    """Each row of `BELONGS` names a construct that does take the attribute."""
    from charter.api import compile_text
    from charter.view import BELONGS

    for key, (kind, line) in BELONGS.items():
        _program, reporter = compile_text(
            'program t { title: "T"; currency: IDR; status: draft }\n' + line + "\n")
        unknown = [d for d in reporter.items if d.code == "CH-E102" and f"`{key}`" in d.message]
        assert not unknown, (key, kind, line, unknown)
        assert not [d for d in reporter.items if d.code.startswith("CH-E0")], (line, reporter.items)


# ---- MDF as an amount per period --------------------------------------------------------------

MDF_PROGRAM = """program t { title: "T"; currency: USD; status: draft }
product P { layer: software; list_price: $20 per user per month }
channel VAD {
    model: wholesale
    owner: partner
    tier Standard { margin: 20%; mdf: $5_000 per year; mdf_claim: "co-marketing" }
}
"""


def test_mdf_per_year_is_read_as_an_amount_per_period(compile_src):
    program, diagnostics = compile_src(MDF_PROGRAM)
    assert not [d for d in diagnostics if d.code == "CH-E106"], diagnostics
    tier = program.channel("VAD").tier("Standard")
    assert (tier.mdf.amount, tier.mdf.currency, tier.mdf_period) == (5000, "USD", "year")


def test_mdf_per_period_is_quoted_as_the_years_fund_not_ignored(compile_src):
    """A fixed fund was refused at quote time until quotes could accrue it; now its year is
    an `mdf` line (a wrong expectation is CH-E301, so the number is checked)."""
    deal = "example e {\n    product: P\n    seats: 10\n    route: VAD Standard\n"
    _program, diagnostics = compile_src(MDF_PROGRAM + deal + "    expect { mdf: $5_000 }\n}\n")
    assert not [d for d in diagnostics if d.code in ("CH-E301", "CH-E302")], diagnostics
    _program, diagnostics = compile_src(MDF_PROGRAM + deal + "    expect { mdf: $48 }\n}\n")
    (error,) = [d for d in diagnostics if d.code == "CH-E301"]
    assert "5,000" in error.message


def test_mdf_per_unit_is_refused(compile_src):
    _program, diagnostics = compile_src(MDF_PROGRAM.replace("per year", "per user"))
    (error,) = [d for d in diagnostics if d.code == "CH-E106"]
    assert "an amount per period" in error.message
