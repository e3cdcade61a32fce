"""Tier criteria over rolling windows and counts (`arr >= $1M over trailing 12 months`,
`referrals >= 11 per month`), and threshold ladders over the number of deals in a period
(the partner-program practice guide's affiliate tiers: "1-10 referrals/month: 30%")."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from charter.api import compile_text
from charter.economics import Quoter, RequestInvalid, parse_request
from charter.values import Count, Duration

HEAD = """program p { title: "P"; currency: USD; status: draft }
product App { layer: software; list_price: $100 per user per month }
clawback refund { event: "customer refunds"; rule: 0 days .. 30 days -> 100% }
"""

LADDER = HEAD + """
channel Affiliate {
    model: affiliate
    owner: vendor
    lead_protection: 60 days
    thresholds referrals_per_month {
        basis: referrals
        semantics: forward
        reset: month
        bracket: 1 .. 11 -> 30%
        bracket: 11 .. 26 -> 35%
        bracket: 26 .. -> 40%
    }
}
"""


def compiled(text: str):
    program, reporter = compile_text(text, "p.charter")
    return program, reporter.sorted()


def codes(text: str) -> list[str]:
    return [d.code for d in compiled(text)[1] if d.severity.value == "error"]


def quote(text: str, **request):
    program, diagnostics = compiled(text)
    assert program is not None and not [d for d in diagnostics if d.severity.value == "error"]
    return Quoter(program).quote(parse_request(request, program))


# ---- criteria ------------------------------------------------------------------------------

TIERED = HEAD + """
channel Reseller {
    model: referral
    owner: vendor
    lead_protection: 60 days
    tier Silver {
        rank: 1
        commission: 20%
        qualify: referrals >= 5 per month
        tier_up: arr >= $1_000_000 over trailing 12 months and referrals >= 10 per month -> Gold
    }
    tier Gold {
        rank: 2
        commission: 25%
        qualify: arr >= $1_000_000 over trailing 12 months and referrals >= 10 per month
    }
}
"""


def test_a_criterion_reads_counts_per_period_and_rolling_windows():
    program, diagnostics = compiled(TIERED)
    assert not [d for d in diagnostics if d.severity.value == "error"], diagnostics
    silver, gold = program.channel("Reseller").tiers
    assert silver.qualify.value == Count(Decimal(5), "month") and silver.qualify.window is None
    arr, referrals = gold.qualify.items
    assert arr.window == Duration(Decimal(12), "month") and arr.value.amount == 1_000_000
    assert referrals.value == Count(Decimal(10), "month")
    assert not [d for d in diagnostics if d.code == "CH-P005"]  # tier_up matches qualify


def test_a_promotion_over_another_window_than_the_tier_s_qualify_is_reported():
    text = TIERED.replace("tier_up: arr >= $1_000_000 over trailing 12 months",
                          "tier_up: arr >= $1_000_000 over trailing 6 months")
    findings = [d for d in compiled(text)[1] if "promotes to Gold" in d.message]
    assert len(findings) == 1
    assert "over trailing 6 months" in findings[0].message
    assert "over trailing 12 months" in findings[0].message


@pytest.mark.parametrize("written, code", [
    ("arr >= $1_000_000 over 12 months", "CH-E106"),
    ("arr >= $1_000_000 over trailing", "CH-E106"),
    ("arr >= $1_000_000 over trailing 12 bananas", "CH-E106"),
    ("arr >= over trailing 12 months", "CH-E106"),
    ("arr >= $1_000_000 over trailing 0 months", "CH-E111"),
    ("arr >= $1_000_000 over trailing 12 hours", "CH-E111")])
def test_a_window_that_does_not_read_is_one_error(written, code):
    text = TIERED.replace("qualify: referrals >= 5 per month", f"qualify: {written}")
    assert codes(text) == [code]


def test_a_missing_trailing_is_named():
    text = TIERED.replace("qualify: referrals >= 5 per month",
                          "qualify: arr >= $1_000_000 over 12 months")
    (error,) = [d for d in compiled(text)[1] if d.code == "CH-E106"]
    assert "`over trailing`" in error.message and "$" in " ".join(error.help)


def test_windows_of_the_same_length_are_the_same_window():
    text = TIERED.replace("tier_up: arr >= $1_000_000 over trailing 12 months",
                          "tier_up: arr >= $1_000_000 over trailing 1 year")
    assert not [d for d in compiled(text)[1] if "promotes to Gold" in d.message]


def test_config_and_partner_guide_carry_counts_and_windows(tmp_path):
    from charter.build import build_paths

    path = tmp_path / "p.charter"
    path.write_text(TIERED, encoding="utf-8")
    build_paths([path], tmp_path / "out", names=("config", "guide"))
    config = json.loads((tmp_path / "out" / "p" / "config.json").read_text())
    gold = config["channels"][0]["tiers"][1]["qualify"]["all"]
    assert gold[0]["window"] == {"value": "12", "unit": "month", "business": False}
    assert gold[1] == {"metric": "referrals", "op": ">=", "window": None,
                       "value": {"count": {"number": "10", "per_period": "month"}}}
    guide = (tmp_path / "out" / "p" / "partner-guide.md").read_text()
    assert "over the trailing 12 months" in guide and "referrals ≥ 10 per month" in guide


# ---- count ladders -------------------------------------------------------------------------

@pytest.mark.parametrize("before, rate, commission", [
    (0, "30%", "3600"), (9, "30%", "3600"), (10, "35%", "4200"), (24, "35%", "4200"),
    (25, "40%", "4800"), (500, "40%", "4800")])
def test_a_deal_s_place_in_the_period_s_count_picks_its_bracket(before, rate, commission):
    """10 users × $100 a month = $12,000 a year; deal 11 is the first at 35%."""
    q = quote(LADDER, product="App", seats=10, route=[{"channel": "Affiliate"}],
              cumulative={"Affiliate": str(before)})
    line = next(p for p in q.years[0].payouts if p.party == "Affiliate")
    assert line.amount == Decimal(commission)
    use = q.ladders[0]
    assert (use.before, use.after) == (before, before + 1)


def test_a_count_from_an_earlier_month_resets():
    q = quote(LADDER, product="App", seats=10, route=[{"channel": "Affiliate"}],
              close_date="2026-03-02",
              cumulative={"Affiliate": {"amount": "30", "as_of": "2026-02-27"}})
    assert next(p for p in q.years[0].payouts if p.party == "Affiliate").amount == 3600
    assert q.ladders[0].reset and any("resets to 0" in n for n in q.notes)


def test_the_response_says_the_ladder_counts_deals():
    from charter.economics.response import quote_to_json

    program, _ = compiled(LADDER)
    q = quote(LADDER, product="App", seats=10, route=[{"channel": "Affiliate"}],
              cumulative={"Affiliate": "10"})
    use = quote_to_json(q, program.header, "partner")["thresholds"][0]
    assert use["measure"] == "deals"
    assert (use["cumulative_before"], use["cumulative_after"]) == ("10", "11")
    assert use["bracket"] == {"from": "11", "up_to": "26", "rate": "0.350000"}


@pytest.mark.parametrize("stated, why", [("2.5", "a whole number of deals before this one"),
                                         ("-1", "found \"-1\"")])
def test_a_count_that_is_not_a_whole_number_of_deals_is_refused(stated, why):
    program, _ = compiled(LADDER)
    with pytest.raises(RequestInvalid) as err:
        parse_request({"product": "App", "seats": 1, "route": [
            {"channel": "Affiliate"}], "cumulative": {"Affiliate": stated}}, program)
    assert str(err.value).startswith("$.cumulative.Affiliate: ") and why in str(err.value)


def test_an_example_writes_a_count_as_a_number_and_is_held_to_the_ladder_s_measure():
    example = """
example eleventh {
    product: App
    seats: 10
    route: Affiliate
    cumulative: Affiliate VALUE
    expect year 1 Affiliate { commission: $4_200 }
}
"""
    assert codes(LADDER + example.replace("VALUE", "10")) == []
    money = compiled(LADDER + example.replace("VALUE", "$10"))[1]
    assert [d.code for d in money if d.severity.value == "error"] == ["CH-E302"]
    assert "counts deals, not money" in money[0].message
    on_money = LADDER.replace("bracket: 1 .. 11 -> 30%", "bracket: $0 .. $11 -> 30%") \
        .replace("bracket: 11 .. 26 -> 35%", "bracket: $11 .. $26 -> 35%") \
        .replace("bracket: 26 .. -> 40%", "bracket: $26 .. -> 40%")
    wrong = compiled(on_money + example.replace("VALUE", "10"))[1]
    assert any("measures money" in d.message for d in wrong)


def test_count_brackets_written_inclusive_leave_a_gap_the_policy_explains():
    text = LADDER.replace("bracket: 1 .. 11 -> 30%", "bracket: 1 .. 10 -> 30%")
    gap = [d for d in compiled(text)[1] if d.code == "CH-P006"]
    assert len(gap) == 1 and "gap between 10 and 11: deal 10 earns no rate" in gap[0].message
    assert "deals 1-10 are `1 .. 11`" in " ".join(gap[0].help)


def test_a_count_ladder_starting_at_deal_one_is_complete():
    assert not [d for d in compiled(LADDER)[1] if d.code == "CH-P006"]
    from_two = LADDER.replace("bracket: 1 .. 11 -> 30%", "bracket: 2 .. 11 -> 30%")
    assert [d.code for d in compiled(from_two)[1] if d.code == "CH-P006"] == ["CH-P006"]


def test_the_sql_counts_each_partners_deals_in_the_month_from_the_table(tmp_path):
    """Deal 11 of a month is the first at 35%; the next month starts again at deal 1; another
    partner counts on its own (the SQL against the engine: tests/test_warehouse_differential)."""
    import datetime as dt

    from charter.warehouse.constants import build_constants
    from charter.warehouse.differential import write_csv
    from charter.warehouse.run import connect, load_deals, run_sql

    program, _ = compiled(LADDER)
    constants, refusals = build_constants(program)
    assert not refusals
    rows = [{"id": f"a{n:02d}", "product": "App", "seats": 1, "step1_channel": "Affiliate",
             "step1_partner": "pa", "close_date": dt.date(2026, 3, n)} for n in range(1, 13)]
    rows += [{"id": "a-april", "product": "App", "seats": 1, "step1_channel": "Affiliate",
              "step1_partner": "pa", "close_date": dt.date(2026, 4, 1)},
             {"id": "b01", "product": "App", "seats": 1, "step1_channel": "Affiliate",
              "step1_partner": "pb", "close_date": dt.date(2026, 3, 20)}]
    source = tmp_path / "deals.csv"
    write_csv(rows, str(source))
    con = connect("256MB", None)
    load_deals(con, str(source), "csv", constants, program)
    run_sql(con, constants)
    got = dict(con.execute("SELECT deal_id, CAST(cumulative_before AS INTEGER) || ' ' ||"
                           " CAST(bracket_rate AS VARCHAR) FROM charter_decisions").fetchall())
    assert got["a10"] == "9 0.300000" and got["a11"] == "10 0.350000"
    assert got["a-april"] == "0 0.300000" and got["b01"] == "0 0.300000"
    (amount,) = con.execute("SELECT amount FROM charter_payouts WHERE deal_id = 'a11'"
                            ).fetchone()
    assert str(amount) == "420.00"  # $1,200 a year × 35%


def test_partner_guide_and_fixtures_speak_of_deals(tmp_path):
    from charter.build import build_paths

    path = tmp_path / "p.charter"
    path.write_text(LADDER, encoding="utf-8")
    build_paths([path], tmp_path / "out", names=("guide", "fixtures"))
    guide = (tmp_path / "out" / "p" / "partner-guide.md").read_text()
    assert "deals 1 – 10" in guide and "deal 26 and above" in guide
    assert "Deal 11 of the period" in guide
    fixtures = tmp_path / "out" / "p" / "fixtures"
    at = json.loads((fixtures / "threshold-affiliate-referrals-per-month-deal-11-at.json")
                    .read_text())
    assert at["request"]["cumulative"] == {"Affiliate": "10"}
    use = at["expected"]["thresholds"][0]
    assert use["measure"] == "deals" and use["bracket"]["rate"] == "0.350000"
    below = fixtures / "threshold-affiliate-referrals-per-month-deal-10-below.json"
    assert json.loads(below.read_text())["expected"]["thresholds"][0]["bracket"]["rate"] \
        == "0.300000"


def test_a_count_of_a_fraction_of_an_event_is_refused_with_the_whole_numbers_around_it():
    """`10,5 per month` reads as 10.5 referrals: never silently a threshold of 11."""
    text = TIERED.replace("referrals >= 10 per month", "referrals >= 10,5 per month", 1)
    assert text != TIERED
    program, diagnostics = compiled(text)
    errors = [d for d in diagnostics if d.severity.value == "error"]
    assert [d.code for d in errors] == ["CH-E111"]  # one error, no follow-on
    assert "a count of events is a whole number, found 10.5" in errors[0].message
    assert errors[0].help == ("write `10 per month` or `11 per month`",)


def test_a_count_per_a_word_that_is_no_period_names_the_periods():
    """`10 per fortnight` was "expected a duration": the count's period is what is wrong."""
    text = TIERED.replace("referrals >= 10 per month", "referrals >= 10 per fortnight", 1)
    errors = [d for d in compiled(text)[1] if d.severity.value == "error"]
    assert [d.code for d in errors] == ["CH-E106"]
    assert errors[0].message == ("`fortnight` is not a period a count can be per: one of day,"
                                 " month, quarter, week, year")
    assert errors[0].help == ("write the count per one of those periods, e.g. `10 per month`",)
