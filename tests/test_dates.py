"""Everything that depends on "today", run at two (or more) dates.

Tests never read the wall clock: conftest pins CHARTER_TODAY for the session, and every path
that needs today's date asks `charter.clock.today`. Here each date-sensitive path is run at
different dates set through CHARTER_TODAY: waiver expiry (CH-E402) and its early warning
(CH-W402), the check cache's key, threshold period resets in quotes (which follow the
request's own dates, never today), and the README's `charter check programs/`.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from click.testing import CliRunner

from conftest import PROGRAMS, REPO

# A clean program whose only finding (a year-2 step-down) is waived until 2027-03-31.
WAIVED = '''program demo {
    title: "Demo"
    currency: USD
    status: draft
}
channel VAD {
    model: wholesale
    owner: vendor
    lead_protection: 90 days
    tier Gold { margin: 30%; margin_y2: 20% }
}

waiver gold_step_down {
    policy: no_step_down
    subject: VAD Gold
    reason: "transition year while the ladder is renegotiated"
    owner: "channel chief"
    expires: 2027-03-31
}
'''
EXPIRES_LINE = WAIVED.splitlines().index("    expires: 2027-03-31") + 1
README_LIMIT = "2027-12-31"   # the README's commands must pass on any date up to this one


def _loud(text: str, today: str, monkeypatch) -> list[tuple[str, str, str]]:
    """(code, severity, message) of the warnings and errors of ``text`` checked on ``today``."""
    from charter.api import compile_text

    monkeypatch.setenv("CHARTER_TODAY", today)
    _program, reporter = compile_text(text, "t.charter")
    return [(d.code, d.severity.value, d.message) for d in reporter.sorted()
            if d.severity.value != "note"]


# ---- the one clock ------------------------------------------------------------------------

@pytest.mark.parametrize("today", ["2026-11-23", "2031-02-28"])
def test_the_clock_reads_charter_today(today, monkeypatch):
    from charter import clock

    monkeypatch.setenv("CHARTER_TODAY", today)
    assert clock.today() == dt.date.fromisoformat(today)


def test_without_charter_today_the_clock_is_the_system_date(monkeypatch):
    from charter import clock

    class Date(dt.date):
        @classmethod
        def today(cls) -> dt.date:
            return dt.date(2030, 5, 17)

    monkeypatch.delenv("CHARTER_TODAY")
    monkeypatch.setattr(clock, "_dt", type("FakeDatetime", (), {"date": Date}))
    assert clock.today() == dt.date(2030, 5, 17)


def test_a_malformed_charter_today_is_refused(monkeypatch):
    from charter import clock

    monkeypatch.setenv("CHARTER_TODAY", "2026-13-01")
    with pytest.raises(ValueError):
        clock.today()


def test_nothing_else_reads_the_wall_clock():
    """`charter.clock` is the only module that asks the system for today's date."""
    wall = re.compile(r"\b(?:date|datetime)\.(?:today|now|utcnow)\(")
    readers = [str(path.relative_to(REPO))
               for folder in ("compiler", "policies", "targets")
               for path in sorted((REPO / folder).rglob("*.py"))
               if path.name != "clock.py" and wall.search(path.read_text(encoding="utf-8"))]
    assert not readers, f"read the date through charter.clock.today, not the wall clock: {readers}"


def test_policies_default_to_the_clock(monkeypatch):
    from charter.api import compile_text
    from charter.diagnostics import Reporter
    from charter.policies.runner import run_policies

    program, _ = compile_text(WAIVED, "t.charter")
    for today, expired in (("2027-03-31", False), ("2027-04-01", True)):
        monkeypatch.setenv("CHARTER_TODAY", today)
        reporter = Reporter()
        context = run_policies(program, reporter)         # no `today`: charter.clock decides
        assert context.today == dt.date.fromisoformat(today)
        assert any(d.code == "CH-E402" for d in reporter.items) is expired


# ---- waiver expiry and its warning ------------------------------------------------------

@pytest.mark.parametrize("today, expected", [
    ("2026-11-23", []),                                   # months ahead: nothing to say
    ("2027-02-28", []),                                   # 31 days ahead: not yet
    ("2027-03-01", [("CH-W402", "warning",
                     "waiver `gold_step_down` expires in 30 days (2027-03-31)")]),
    ("2027-03-10", [("CH-W402", "warning",
                     "waiver `gold_step_down` expires in 21 days (2027-03-31)")]),
    ("2027-03-30", [("CH-W402", "warning",
                     "waiver `gold_step_down` expires in 1 day (2027-03-31)")]),
    ("2027-03-31", [("CH-W402", "warning",                # the last day it is in force
                     "waiver `gold_step_down` expires today (2027-03-31)")]),
])
def test_a_waiver_in_force_warns_30_days_ahead(today, expected, monkeypatch):
    assert _loud(WAIVED, today, monkeypatch) == expected


def test_the_day_after_expiry_the_finding_is_back(monkeypatch):
    codes = [(code, severity) for code, severity, _ in _loud(WAIVED, "2027-04-01", monkeypatch)]
    assert sorted(codes) == [("CH-E402", "error"), ("CH-P003", "error")]


def test_the_warning_points_at_the_expiry_and_says_what_to_do(monkeypatch):
    from charter.api import compile_text

    monkeypatch.setenv("CHARTER_TODAY", "2027-03-10")
    _program, reporter = compile_text(WAIVED, "t.charter")
    [warning] = [d for d in reporter.items if d.code == "CH-W402"]
    assert warning.span.line == EXPIRES_LINE
    assert "today is 2027-03-10" in warning.label
    assert any("renew" in h and "fix the finding" in h for h in warning.help)


def test_an_unused_waiver_is_reported_unused_not_expiring(monkeypatch):
    unused = WAIVED.replace("margin_y2: 20%", "margin_y2: 30%")   # nothing left to waive
    assert [c for c, _, _ in _loud(unused, "2027-03-10", monkeypatch)] == ["CH-W401"]


def test_a_waiver_without_expiry_never_warns(monkeypatch):
    forever = WAIVED.replace("    expires: 2027-03-31\n", "")
    for today in ("2026-11-23", "2099-12-31"):
        assert _loud(forever, today, monkeypatch) == []


def test_strict_makes_the_warning_an_error(tmp_path, monkeypatch):
    from charter.api import check_paths

    path = tmp_path / "demo.charter"
    path.write_text(WAIVED, encoding="utf-8")
    monkeypatch.setenv("CHARTER_TODAY", "2027-03-10")
    assert check_paths([path]).ok
    assert [d.code for d in check_paths([path], strict=True).errors] == ["CH-W402"]


# ---- the check cache --------------------------------------------------------------------

def test_the_cache_key_changes_with_the_date():
    from charter import checkcache
    from charter.source import SourceFile

    sources = {"demo.charter": SourceFile("demo.charter", WAIVED)}
    first, second = (checkcache.key(sources, dt.date.fromisoformat(d))
                     for d in ("2027-03-30", "2027-03-31"))
    assert first != second
    assert first == checkcache.key(sources, dt.date(2027, 3, 30))


def test_a_clean_check_cached_yesterday_does_not_hide_todays_expiry(tmp_path, monkeypatch):
    from charter.api import compile_checked

    path = tmp_path / "demo.charter"
    path.write_text(WAIVED, encoding="utf-8")
    cache = tmp_path / "cache"
    monkeypatch.setenv("CHARTER_CACHE_DIR", str(cache))
    monkeypatch.setenv("CHARTER_TODAY", "2027-03-31")
    for _ in range(2):
        _program, reporter, _ = compile_checked(path)
        assert not reporter.has_errors
    assert len(list((cache / "checks").iterdir())) == 1        # one clean day, one marker
    monkeypatch.setenv("CHARTER_TODAY", "2027-04-01")
    _program, reporter, _ = compile_checked(path)
    assert "CH-E402" in {d.code for d in reporter.items}


# ---- threshold period resets in quotes --------------------------------------------------

QUARTERLY = '''program q {
    title: "Quarterly ladder"
    status: draft
    currency: USD
}
product Seat {
    layer: software
    list_price: $1 per seat per year
}
channel Referral {
    model: referral
    owner: vendor
    payment: one_time
    thresholds volume {
        basis: referred_software_revenue
        semantics: forward
        reset: quarter
        bracket: $0 .. $100K -> 10%
        bracket: $100K .. -> 15%
    }
}
'''


def _referral_paid(program, request: dict) -> tuple[Decimal, tuple[str, ...]]:
    """What the Referral channel earns in year 1, and the quote's notes."""
    from charter.economics import Quoter, parse_request

    quote = Quoter(program).quote(parse_request(request, program))
    paid = sum((p.amount for p in quote.years[0].payouts if p.party == "Referral"), Decimal(0))
    return paid, tuple(quote.notes)


def _ejourney_referral(as_of: str, close: str) -> dict:
    return {"product": "Growth", "seats": 1000, "years": 1, "route": [{"channel": "Referral"}],
            "cumulative": {"Referral": {"amount": "4000000000", "as_of": as_of}},
            "close_date": close}


@pytest.mark.parametrize("today", ["2026-11-23", README_LIMIT])
def test_a_calendar_year_ladder_resets_in_january_whatever_today_is(today, monkeypatch):
    from charter.api import compile_file

    monkeypatch.setenv("CHARTER_TODAY", today)
    program, reporter, _ = compile_file(PROGRAMS / "ejourney.charter")
    assert program is not None and not reporter.has_errors
    # Rp 4 Miliar booked in 2026 is past the Rp 3 Miliar threshold: 15% until the year ends.
    same, same_notes = _referral_paid(program, _ejourney_referral("2027-01-02", "2027-12-31"))
    reset, reset_notes = _referral_paid(program, _ejourney_referral("2026-12-20", "2027-01-05"))
    assert same_notes == () and same * 2 == reset * 3            # 15% before, 10% after the reset
    [note] = reset_notes
    assert "2026-12-20" in note and "calendar_year" in note and "resets to 0" in note


@pytest.mark.parametrize("today", ["2026-11-23", "2031-06-30"])
@pytest.mark.parametrize("as_of, close, rate", [
    ("2027-03-31", "2027-04-01", "0.10"),     # Q1 → Q2: reset
    ("2027-01-01", "2027-03-31", "0.15"),     # same quarter: the volume counts
    ("2026-04-01", "2027-04-01", "0.10"),     # same quarter of another year: reset
])
def test_a_quarterly_ladder_follows_the_request_dates_not_today(today, as_of, close, rate,
                                                                monkeypatch):
    from charter.api import compile_text

    monkeypatch.setenv("CHARTER_TODAY", today)
    program, _ = compile_text(QUARTERLY, "q.charter")
    request = {"product": "Seat", "seats": 1000, "years": 1, "route": [{"channel": "Referral"}],
               "cumulative": {"Referral": {"amount": "150000", "as_of": as_of}},
               "close_date": close}
    paid, notes = _referral_paid(program, request)
    assert paid == Decimal(rate) * 1000 and bool(notes) is (rate == "0.10")


def test_a_quote_is_the_same_on_any_day_the_program_checks_clean(tmp_path, monkeypatch):
    import json

    from charter.cli import main

    request = tmp_path / "deal.json"
    request.write_text(json.dumps(_ejourney_referral("2026-12-20", "2027-01-05")),
                       encoding="utf-8")
    outputs = []
    for today in ("2026-11-23", README_LIMIT):
        monkeypatch.setenv("CHARTER_TODAY", today)
        result = CliRunner().invoke(main, ["quote", str(PROGRAMS / "ejourney.charter"),
                                           str(request), "--format", "json"])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


# ---- the README's `charter check programs/` ---------------------------------------------

def _bundled_expiries() -> list[dt.date]:
    from charter.api import check_paths

    programs = check_paths([PROGRAMS]).programs.values()
    return sorted({w.expires for p in programs if p for w in p.waivers if w.expires})


@pytest.mark.parametrize("today", ["2026-11-23", README_LIMIT])
def test_the_readme_check_passes_without_warnings_through_2027(today, monkeypatch):
    from charter.cli import main

    monkeypatch.setenv("CHARTER_TODAY", today)
    result = CliRunner().invoke(main, ["check", str(PROGRAMS)])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_the_bundled_waivers_stay_in_force_30_days_past_the_readme_limit():
    first = _bundled_expiries()[0]
    assert first - dt.date.fromisoformat(README_LIMIT) > dt.timedelta(days=30)


def test_bundled_waivers_warn_21_days_before_they_expire(monkeypatch):
    from charter.api import check_paths

    first = _bundled_expiries()[0]
    monkeypatch.setenv("CHARTER_TODAY", (first - dt.timedelta(days=21)).isoformat())
    result = check_paths([PROGRAMS])
    assert result.ok and result.warnings
    assert {d.code for d in result.warnings} == {"CH-W402"}
    assert all(d.message.endswith(f"expires in 21 days ({first})") for d in result.warnings
               if str(first) in d.message)
