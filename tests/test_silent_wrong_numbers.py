"""Wrong payouts that used to come out with no diagnostic (issue 8 §1), one test per case.

Each was found by writing programs from the SaaS channel framework and the partner-program
practice guide as a new user would. Requests go through `parse_request` (the JSON contract),
programs through `compile_text`; every expected number is worked out beside it.
"""
from __future__ import annotations

import functools
from decimal import Decimal

import pytest

from charter.api import compile_file, compile_text
from charter.economics import Quoter, RequestInvalid, parse_request

from conftest import HEADER, PROGRAMS

D = Decimal

RESELLER = """
product Platform { layer: software; list_price: $100 per user per year }
channel Referral {
    model: referral
    owner: vendor
    commission: 10%
    commission_y2: 5%
    payment: recurring
}
channel Reseller {
    model: resale
    owner: partner
    tier Gold { margin: 30% }
    thresholds volume {
        basis: annual_purchase_volume
        semantics: forward
        reset: calendar_year
        bracket: $0 .. $250K -> 0%
        bracket: $250K .. $500K -> 2%
        bracket: $500K .. -> 5%
    }
}
channel CoSell { model: co_sell; owner: shared }
attribution {
    default: single
    split co_sell_70_30 { vendor: 70%; CoSell: 30% }
}
registration { window: 90 days; unregistered_rate: 10% }
"""


def compile_program(body: str, header: str = HEADER):
    program, reporter = compile_text(header + body, "t.charter")
    errors = [d for d in reporter.sorted() if d.severity.value == "error"
              and not d.code.startswith("CH-P")]
    return program, errors, reporter.sorted()


@functools.lru_cache(maxsize=None)
def reseller():
    program, errors, _ = compile_program(RESELLER, HEADER.replace("IDR", "USD"))
    assert not errors, errors
    return program


@functools.lru_cache(maxsize=None)
def ejourney():
    program, _reporter, _ = compile_file(PROGRAMS / "ejourney.charter")
    return program


def quote(program, **request):
    return Quoter(program).quote(parse_request(request, program))


def refused(program, **request) -> dict[str, str]:
    with pytest.raises(RequestInvalid) as bad:
        parse_request(request, program)
    return {e.path: e.message for e in bad.value.errors}


# ---- 1. a split pays only parties on the route --------------------------------------------

def test_a_split_party_off_the_route_is_refused():
    # a reseller deal with the 70/30 co-sell split used to pay CoSell 30% of the revenue
    errors = refused(reseller(), product="Platform", seats=100, split="co_sell_70_30",
                     route=[{"channel": "Reseller", "tier": "Gold"}])
    assert "not the deal's partner of record" in errors["$.split"]
    assert "`CoSell`" in errors["$.split"]


def test_an_example_asserting_a_split_off_the_route_is_refused():
    _program, _errors, diagnostics = compile_program(RESELLER + """
example reseller_split {
    product: Platform
    seats: 100
    route: Reseller Gold
    split: co_sell_70_30
    expect CoSell { commission: $3000 }
}
""", HEADER.replace("IDR", "USD"))
    (error,) = [d for d in diagnostics if d.code == "CH-E302"]
    assert "not the deal's partner of record" in error.message


def test_the_same_split_on_its_own_route_still_pays():
    q = quote(reseller(), product="Platform", seats=100, split="co_sell_70_30",
              route=[{"channel": "CoSell"}])
    assert q.years[0].amount("CoSell", "commission") == D("3000.00")   # 30% × $10,000


# ---- 2. unregistered never earns more than registered -------------------------------------

def test_unregistered_rate_keeps_the_year_two_step():
    # commission 10% then 5%; unregistered 10% flat used to pay 10% in year 2 as well
    registered = quote(reseller(), product="Platform", seats=100, years=2,
                       route=[{"channel": "Referral"}])
    unregistered = quote(reseller(), product="Platform", seats=100, years=2, registered=False,
                         route=[{"channel": "Referral"}])
    paid = [[y.amount("Referral", "commission") for y in q.years]
            for q in (registered, unregistered)]
    assert paid == [[D("1000.00"), D("500.00")], [D("1000.00"), D("500.00")]]


def test_unregistered_reseller_gets_the_flat_rate():
    q = quote(reseller(), product="Platform", seats=100, registered=False,
              route=[{"channel": "Reseller", "tier": "Gold"}])
    assert q.years[0].amount("Reseller", "wholesale_margin") == D("1000.00")   # 10%, not 30%


# ---- 3. an influencer is paid once, and never as well as sourcing -------------------------

@functools.lru_cache(maxsize=None)
def influenced_program():
    program, errors, _ = compile_program(RESELLER.replace(
        "default: single", "default: single\n    influenced_rate: 5%\n    no_double_dipping: yes"),
        HEADER.replace("IDR", "USD"))
    assert not errors, errors
    return program


def test_the_sourcing_channel_is_not_also_paid_for_influence():
    errors = refused(influenced_program(), product="Platform", seats=10,
                     route=[{"channel": "Referral"}], influenced=["Referral"])
    assert "on the deal's route" in errors["$.influenced[0]"]


def test_an_influencer_listed_twice_is_refused():
    errors = refused(influenced_program(), product="Platform", seats=10,
                     route=[{"channel": "Referral"}], influenced=["CoSell", "CoSell"])
    assert "listed twice" in errors["$.influenced[1]"]


def test_an_influencer_is_paid_once():
    q = quote(influenced_program(), product="Platform", seats=10,
              route=[{"channel": "Referral"}], influenced=["CoSell"])
    assert q.years[0].amount("CoSell", "influence") == D("50.00")        # 5% × $1,000


# ---- 4. a rate the channel never pays -----------------------------------------------------

def test_a_discount_on_a_commission_channel_is_an_error():
    _program, errors, _ = compile_program(RESELLER.replace(
        "commission_y2: 5%", "commission_y2: 5%\n    discount: 40% .. 60%"),
        HEADER.replace("IDR", "USD"))
    (error,) = errors
    assert error.code == "CH-E112" and "`discount` on Referral pays nothing" in error.message


def test_a_rate_on_a_commission_channel_request_is_refused():
    errors = refused(reseller(), product="Platform", seats=10,
                     route=[{"channel": "Referral", "rate": "45%"}])
    assert "would change nothing" in errors["$.route[0].rate"]


# ---- 5. thresholds on a reselling channel pay a volume rebate -----------------------------

@pytest.mark.parametrize("cumulative, rebate, rate", [
    ("0", "0", "0"),                 # below $250K: base margin only, no rebate line
    ("249999", "0", "0"),
    ("250000", "140.00", "0.02"),    # 2% × wholesale $7,000 (100 seats × $100 × 70%)
    ("600000", "350.00", "0.05"),
])
def test_reseller_thresholds_pay_a_volume_rebate(cumulative, rebate, rate):
    q = quote(reseller(), product="Platform", seats=100, close_date="2026-05-01",
              cumulative={"Reseller": cumulative},
              route=[{"channel": "Reseller", "tier": "Gold"}])
    year = q.years[0]
    assert year.amount("Reseller", "wholesale_margin") == D("3000.00")
    assert year.amount("Reseller", "rebate") == D(rebate)
    (use,) = q.ladders
    assert (use.before, use.after, use.bracket.rate) == (D(cumulative),
                                                         D(cumulative) + D("7000.00"), D(rate))
    # the vendor pays the rebate: it reduces the vendor's net
    assert year.vendor_net == D("7000.00") - D(rebate)


def test_the_margin_line_checks_the_rebate_brackets():
    # Gold 30% + the 5% top rebate (on wholesale) against a 68% floor: 100 − 30 − 3.5 = 66.5%
    body = RESELLER + "internal economics { cogs: 0%; margin_floor: 68% }\n"
    program, _errors, diagnostics = compile_program(body, HEADER.replace("IDR", "USD"))
    p001 = [d.message for d in diagnostics if d.code == "CH-P001"]
    assert any("bracket from 500000" in m and "66.5%" in m for m in p001), p001
    # the $0 bracket pays no rebate: 100 − 30 = 70% stays above the line, so no finding
    assert not [m for m in p001 if "Reseller Gold (bracket from 0)" in m], p001


# ---- 6. CH-P002 asks the engine -----------------------------------------------------------

CAPPED = """
product Platform { layer: software; list_price: $100 per user per year }
channel Referral { model: referral; owner: vendor; commission: 10%; payment: one_time }
channel Cosell {
    model: co_sell
    owner: shared
    commission: 20%
    payment: recurring
    commission_years: 1
}
handover Referral -> Cosell {
    introducer_rate: 10%
    introducer_payment: recurring
    combined_cap: 25%
    cap_year: 2
}
"""


def test_combined_cap_agrees_with_quote_in_year_two():
    # year 2: the introducer's recurring 10%; Cosell's commission ended after year 1 (0%):
    # 10% ≤ 25%. The policy used to recompute Cosell's rate without `commission_years`.
    program, _errors, diagnostics = compile_program(CAPPED, HEADER.replace("IDR", "USD"))
    assert not [d for d in diagnostics if d.code == "CH-P002"]
    q = quote(program, product="Platform", seats=10, years=2,
              route=[{"channel": "Referral"}, {"channel": "Cosell"}])
    assert q.decision == "accept" and q.years[1].combined_rate == D("0.1")


def test_combined_cap_finding_is_the_engines_walk():
    body = CAPPED.replace("commission_years: 1", "commission_y2: 20%")
    program, _errors, diagnostics = compile_program(body, HEADER.replace("IDR", "USD"))
    (finding,) = [d for d in diagnostics if d.code == "CH-P002"]
    assert "pays 30% in year 2 (10% Referral + 20% Cosell), over its 25% cap" in finding.message
    q = quote(program, product="Platform", seats=10, years=2,
              route=[{"channel": "Referral"}, {"channel": "Cosell"}])
    assert [r.code for r in q.reasons] == ["combined_cap"]


# ---- 7. a reseller's own price does not move the vendor's economics -----------------------

def test_a_price_above_list_keeps_the_vendor_on_its_line():
    # VAD Elite at Rp 210.000 instead of 200.000: eJourney still receives the same wholesale
    # Rp 130.000 a seat; 100 − 3 − 35 = 62% as at list (it used to walk at 58.9%)
    q = quote(ejourney(), product="Growth", seats=1000, unit_price="210000",
              route=[{"channel": "VAD", "tier": "Elite"}])
    year = q.years[0]
    assert q.decision == "accept", q.reasons
    assert year.wholesale_price == D(1_560_000_000)           # 130.000 × 12 × 1,000
    assert year.vendor_net_margin == D("0.62")
    assert year.amount("VAD", "wholesale_margin") == D(960_000_000)   # 2,52 M − 1,56 M


def test_a_markup_is_not_a_payout_the_cap_counts():
    # Referral -> VAD Accelerator at Rp 200.100: 5% + 25% = 30%, within the 30% cap
    q = quote(ejourney(), product="Growth", seats=1000, unit_price="200100",
              price_approved=True,
              route=[{"channel": "Referral"}, {"channel": "VAD", "tier": "Accelerator"}])
    assert q.decision == "accept", q.reasons
    assert q.years[0].combined_rate == D("0.3")
    (referral,) = [p for p in q.years[0].payouts if p.party == "Referral"]
    assert referral.base == D(2_400_000_000)                  # 5% of list, not of the markup


# ---- 8. a price below wholesale walks -----------------------------------------------------

def test_an_approved_price_below_wholesale_walks():
    q = quote(ejourney(), product="Growth", seats=1, unit_price="100000", price_approved=True,
              route=[{"channel": "VAD", "tier": "Elite"}])
    assert [r.code for r in q.reasons] == ["below_wholesale"]
    assert "below the wholesale price IDR 1560000" in q.reasons[0].message
    # and measured on what eJourney receives, its margin stays sane (it used to say 157%)
    assert q.years[0].vendor_net_margin == D("0.62")


# ---- 9. silently ignored input ------------------------------------------------------------

def test_unregistered_without_a_rule_is_refused():
    errors = refused(ejourney(), product="Growth", seats=1, registered=False,
                     route=[{"channel": "Referral"}])
    assert "no rule for unregistered deals" in errors["$.registered"]


def test_a_cumulative_for_a_channel_without_thresholds_is_refused():
    errors = refused(ejourney(), product="Growth", seats=1, cumulative={"VAD": "1000"},
                     route=[{"channel": "VAD", "tier": "Elite"}])
    assert "has no thresholds" in errors["$.cumulative.VAD"]


def test_a_cumulative_that_does_not_apply_is_warned():
    request = parse_request({"product": "Growth", "seats": 1, "cumulative": {"Referral": "5"},
                             "route": [{"channel": "Referral"},
                                       {"channel": "VAD", "tier": "Accelerator"}]}, ejourney())
    (warning,) = request.warnings
    assert warning.path == "$.cumulative.Referral"
    assert "not the partner of record" in warning.message


def test_a_cumulative_measured_after_the_close_is_refused():
    errors = refused(ejourney(), product="Growth", seats=1, close_date="2026-03-01",
                     cumulative={"Referral": {"amount": "5", "as_of": "2026-04-01"}},
                     route=[{"channel": "Referral"}])
    assert "after the close date" in errors["$.cumulative.Referral.as_of"]


def test_an_internal_channel_is_not_on_offer():
    errors = refused(ejourney(), product="Growth", seats=1,
                     route=[{"channel": "CommissionBenchmark"}])
    assert "internal" in errors["$.route[0].channel"]


def test_a_split_on_a_direct_deal_is_refused():
    errors = refused(reseller(), product="Platform", seats=1, split="co_sell_70_30")
    assert "the deal is direct" in errors["$.split"]


# ---- found by a new-user review ------------------------------------------------------------

def test_a_contract_past_the_calendar_is_refused_not_a_traceback(tmp_path):
    errors = refused(ejourney(), product="Growth", seats=1, close_date="9999-12-31")
    assert "would end after 9999-12-31" in errors["$.close_date"]
    from charter.economics.batch import quote_stream
    import io
    lines = ['{"product":"Growth","seats":1}', '{"id":"x","product":"Growth","seats":1,'
             '"close_date":"9999-12-31"}', '{"product":"Growth","seats":2}']
    out = io.StringIO()
    counts = quote_stream(ejourney(), [line + "\n" for line in lines], out, jobs=1)
    answers = out.getvalue().splitlines()
    assert (counts.quoted, counts.invalid, len(answers)) == (2, 1, 3)
    assert '"id":"x"' in answers[1] and "9999-12-31" in answers[1]


def test_an_internal_channel_cannot_be_paid_as_an_influencer():
    program, errors, _ = compile_program(RESELLER.replace(
        "default: single", "default: single\n    influenced_rate: 5%") + """
internal channel Bench { model: referral; owner: vendor; commission: 30% }
""", HEADER.replace("IDR", "USD"))
    assert not errors, errors
    errors = refused(program, product="Platform", seats=1, route=[{"channel": "Referral"}],
                     influenced=["Bench"])
    assert "internal" in errors["$.influenced[0]"]


def test_a_split_does_not_shrink_the_volume_carried_forward():
    # the threshold volume is the deal's $10,000, not the 30% pool the split divides
    q = quote(reseller(), product="Platform", seats=100, split="co_sell_70_30",
              route=[{"channel": "CoSell"}])
    assert q.ladders == ()   # CoSell has no ladder; the Referral case below has one
    program, errors, _ = compile_program(RESELLER.replace(
        "split co_sell_70_30 { vendor: 70%; CoSell: 30% }",
        "split co_sell_70_30 { vendor: 70%; CoSell: 30% }\n    split third { direct: 33%;"
        " partner: 67% }").replace("    commission_y2: 5%\n    payment: recurring\n",
                                   "    payment: recurring\n    thresholds t {\n"
                                   "        basis: referred_software_revenue\n"
                                   "        semantics: marginal\n        reset: quarter\n"
                                   "        bracket: $0 .. $100K -> 10%\n"
                                   "        bracket: $100K .. -> 15%\n    }\n"),
        HEADER.replace("IDR", "USD"))
    program = program
    q = quote(program, product="Platform", seats=100, split="third",
              cumulative={"Referral": "80000"}, route=[{"channel": "Referral"}])
    (use,) = q.ladders
    assert (use.before, use.after) == (D(80000), D("90000.00"))


def test_a_leap_day_contract_has_whole_years():
    q = quote(ejourney(), product="Growth", seats=1, years=5, close_date="2028-02-29",
              route=[{"channel": "VAD", "tier": "Standard"}])
    spans = [(str(y.start), str(y.end)) for y in q.years]
    assert spans[:2] == [("2028-02-29", "2029-02-28"), ("2029-03-01", "2030-02-28")]
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))   # no gap, no overlap
    assert spans[4] == ("2032-02-29", "2033-02-28")


def test_as_of_without_a_close_date_is_refused():
    errors = refused(ejourney(), product="Growth", seats=1, route=[{"channel": "Referral"}],
                     cumulative={"Referral": {"amount": "3500000000", "as_of": "2025-12-15"}})
    assert "Give `close_date`" in errors["$.cumulative.Referral.as_of"]


def test_the_margin_line_checks_the_top_of_a_discount_range():
    # OEM 30% .. 60% with COGS 5% and a 50% floor: at 60% the vendor keeps 35%
    body = RESELLER + """channel OEM { model: oem; owner: partner; discount: 30% .. 60% }
internal economics { cogs: 5%; margin_floor: 50% }
"""
    _program, _errors, diagnostics = compile_program(body, HEADER.replace("IDR", "USD"))
    p001 = [d.message for d in diagnostics if d.code == "CH-P001"]
    assert any(m.startswith("route OEM at 60% crosses") and "35%" in m for m in p001), p001
    assert not any(m.startswith("route OEM at 30% ") for m in p001)


def test_certified_false_where_nothing_is_certified_is_warned():
    request = parse_request({"product": "Growth", "seats": 1, "certified": False,
                             "route": [{"channel": "Referral"}]}, ejourney())
    assert [w.path for w in request.warnings] == ["$.certified"]


# ---- payout rates that cannot be right (issue 10) -------------------------------------------

@pytest.mark.parametrize("old, new", [
    ("commission: 10%", "commission: 150%"),
    ("commission_y2: 5%", "commission_y2: 100000%"),
    ("tier Gold { margin: 30% }", "tier Gold { margin: 30%; mdf: 100000% }"),
    ("unregistered_rate: 10%", "unregistered_rate: 101%"),
    ("bracket: $500K .. -> 5%", "bracket: $500K .. -> 500%"),
])
def test_a_payout_rate_above_100_percent_is_an_error(old, new):
    assert old in RESELLER
    _program, errors, _ = compile_program(RESELLER.replace(old, new),
                                          HEADER.replace("IDR", "USD"))
    (error,) = errors
    assert error.code == "CH-E111" and "is more than the whole" in error.message
    assert error.span.line == (HEADER + RESELLER.replace(old, new)).split("\n").index(
        next(l for l in (HEADER + RESELLER.replace(old, new)).split("\n") if new in l)) + 1


def test_a_cap_or_cost_above_100_percent_is_an_error():
    body = CAPPED.replace("combined_cap: 25%", "combined_cap: 150%")
    _program, errors, _ = compile_program(body, HEADER.replace("IDR", "USD"))
    assert [e.code for e in errors] == ["CH-E111"]


def test_the_largest_deal_is_spelt_not_a_traceback():
    """Found by the property tests: 101 seats at $999,999,999,999,999,999,999,999 needs 29
    digits, more than Python's default decimal context holds."""
    from charter.economics.response import quote_to_json

    program, _r, _s = compile_file(PROGRAMS / "saas-reseller.charter")
    q = quote(program, product="Platform", seats=101, unit_price="999999999999999999999999")
    body = quote_to_json(q, program.header)
    assert body["years"][0]["software"] == "100999999999999999999999899.00"


def test_mdf_kept_off_the_floor_still_may_not_make_a_deal_lose_money(tmp_path):
    """Issue 10: the margin-death line covers MDF and every other payout. A program may keep
    MDF off its margin floor (ejourney does, by a recorded choice), but MDF that takes the
    vendor below zero walks, and CH-P001 names the route."""
    (tmp_path / "base").mkdir()
    (tmp_path / "charter.toml").write_text("", encoding="utf-8")
    (tmp_path / "base" / "two-channel.charter").write_text(
        (PROGRAMS / "base" / "two-channel.charter").read_text(encoding="utf-8"), encoding="utf-8")
    text = (PROGRAMS / "ejourney.charter").read_text(encoding="utf-8")
    assert "mdf_counts_against_margin: no" in text and text.count("        mdf: 3%") == 2
    path = tmp_path / "heavy.charter"
    path.write_text(text.replace("        mdf: 3%", "        mdf: 90%"), encoding="utf-8")
    heavy, reporter, _ = compile_file(path)
    floor = [d for d in reporter.sorted() if d.code == "CH-P001"]
    assert floor and all("loses money" in d.message for d in floor)
    assert any("VAD Elite" in d.message and "net -28%" in d.message for d in floor)
    got = quote(heavy, product="Growth", seats=1000, route=[{"channel": "VAD", "tier": "Elite"}])
    assert got.decision == "walk"
    assert "90% VAD mdf" in next(r.message for r in got.reasons if r.code == "margin_floor")
    assert quote(ejourney(), product="Growth", seats=1000,
                 route=[{"channel": "VAD", "tier": "Elite"}]).decision == "accept"
