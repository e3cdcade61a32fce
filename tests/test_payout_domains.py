"""Payout rules that used to pay a wrong number, or ignore what a program or request says,
with no diagnostic (issue 10, "payout rates that cannot be right"; found by an adversarial
review). The diagnostics themselves are golden cases in tests/data/diagnostics (E111-*,
E112-*, E115-two-unregistered-rates, W103-*); these tests hold what the engine and the
margin-death line do with them.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from charter.api import compile_text
from charter.economics import Quoter, parse_request

from conftest import HEADER

USD = HEADER.replace("IDR", "USD")

TWO_CHANNELS = """
product P { layer: software; list_price: $1_000 per seat per year; msrp_floor: list_price }
channel Referral { model: referral; owner: vendor; commission: 10%; payment: one_time }
channel VAD {
    model: wholesale
    owner: partner
    tier Standard { margin: 20%; mdf: 2% }
}
internal economics { cogs: 3%; margin_floor: 50% }
clawback c { event: "cancel"; rule: any_time -> 100% }
policy flipper_mitigations { severity: off }
policy mdf_claim_rule { severity: off }
"""

CO_SELL = """
product P { layer: software; list_price: $1_000 per seat per year }
channel CoSell { model: co_sell; owner: shared }
channel Referral { model: referral; owner: vendor; commission: 10% }
attribution {
    default: single
    split co_sell_70_30 { vendor: 70%; CoSell: 30% }
}
registration { window: 90 days; unregistered_rate: 5% }
clawback c { event: "cancel"; rule: any_time -> 100% }
"""


def codes(body: str) -> list[tuple[str, str]]:
    _program, reporter = compile_text(USD + body, "t.charter")
    return [(d.code, d.message) for d in reporter.sorted() if d.severity.value == "error"]


def program_of(body: str):
    program, reporter = compile_text(USD + body, "t.charter")
    assert not [d for d in reporter.sorted() if d.severity.value == "error"], reporter.sorted()
    return program


def test_the_margin_death_line_counts_influence_fees():
    """A 60% influence fee on top of VAD's margin left the vendor 15%: the check was clean
    while a quote naming the influencer walked."""
    found = codes(TWO_CHANNELS + "attribution { default: single; influenced_rate: 60% }\n")
    assert [m for c, m in found if c == "CH-P001" and "VAD Standard" in m
            and "Referral influence" in m], found


def test_a_small_influence_fee_stays_clean():
    assert codes(TWO_CHANNELS + "attribution { default: single; influenced_rate: 5% }\n") == []


@pytest.mark.parametrize("bonus, clean", [("10%", True), ("80%", True), ("81%", False)])
def test_a_registration_bonus_may_take_a_rate_to_100_percent_not_past(bonus, clean):
    body = TWO_CHANNELS + f"registration {{ window: 30 days; registered_bonus: {bonus} }}\n"
    found = [c for c, m in codes(body) if c == "CH-E111"]
    assert (found == []) == clean, found


def test_a_bonus_over_a_commission_ladder_bracket_is_refused():
    body = TWO_CHANNELS.replace("commission: 10%; payment: one_time", "payment: recurring") + """
channel Tiered {
    model: referral
    owner: vendor
    thresholds volume {
        basis: referred_software_revenue
        semantics: forward
        reset: calendar_year
        bracket: $0 .. $100K -> 10%
        bracket: $100K .. -> 95%
    }
}
registration { window: 30 days; registered_bonus: 10% }
"""
    assert [m for c, m in codes(body) if c == "CH-E111" and "Tiered's rate of 95% to 105%" in m]


def test_registered_false_on_a_co_sell_split_says_it_changes_nothing():
    """The split divides the revenue: the flat unregistered rate never reached CoSell's 30%."""
    program = program_of(CO_SELL)
    request = parse_request({"product": "P", "seats": 10, "route": [{"channel": "CoSell"}],
                             "split": "co_sell_70_30", "registered": False}, program)
    assert [w.path for w in request.warnings] == ["$.registered"]
    assert "CoSell earns only its part of split `co_sell_70_30`" in request.warnings[0].message
    payout = Quoter(program).quote(request).years[0].payouts[0]
    assert (payout.party, payout.amount) == ("CoSell", Decimal("3000.00"))


def test_registered_false_still_pays_the_flat_rate_where_it_applies():
    program = program_of(CO_SELL)
    request = parse_request({"product": "P", "seats": 10, "route": [{"channel": "Referral"}],
                             "registered": False}, program)
    assert request.warnings == ()
    assert Quoter(program).quote(request).years[0].payouts[0].amount == Decimal("500.00")


def test_registered_false_on_a_direct_deal_says_it_changes_nothing():
    request = parse_request({"product": "P", "seats": 1, "route": [], "registered": False},
                            program_of(CO_SELL))
    assert [w.message for w in request.warnings] == [
        "a direct deal has no partner to register it, so `registered: false` changes nothing"]


def test_price_approved_without_a_floor_below_says_it_changes_nothing():
    program = program_of(CO_SELL)
    request = parse_request({"product": "P", "seats": 1, "route": [{"channel": "Referral"}],
                             "price_approved": True, "unit_price": "900"}, program)
    assert [w.path for w in request.warnings] == ["$.price_approved"]


def test_price_approved_below_the_floor_is_no_warning():
    program = program_of(CO_SELL.replace("per seat per year }",
                                         "per seat per year; msrp_floor: list_price }"))
    request = parse_request({"product": "P", "seats": 1, "route": [{"channel": "Referral"}],
                             "price_approved": True, "unit_price": "900"}, program)
    assert request.warnings == ()


@pytest.mark.parametrize("old, new, code", [
    # later years on a channel paid once: only when they would pay
    ("payment: one_time", "payment: one_time; commission_y2: 0%", None),
    ("payment: one_time", "payment: one_time; commission_years: 1", None),
    ("payment: one_time", "payment: one_time; commission_y2: 5%", "CH-E112"),
    ("payment: one_time", "payment: one_time; commission_years: 3", "CH-E112"),
    # commission terms on a wholesale channel: only when they say what happens anyway
    ("owner: partner", "owner: partner; payment: recurring", None),
    ("owner: partner", "owner: partner; commission_base: software", None),
    ("owner: partner", "owner: partner; payment: one_time", "CH-E112"),
    ("owner: partner", "owner: partner; commission_base: software_and_services", "CH-E112"),
    # a rate has at most four decimal places
    ("commission: 10%", "commission: 12.3456%", None),
    ("commission: 10%", "commission: 12.34567%", "CH-E111")])
def test_what_a_program_says_takes_effect_or_is_refused(old, new, code):
    found = [c for c, _ in codes(TWO_CHANNELS.replace(old, new))]
    assert found == ([] if code is None else [code])


def test_the_decimal_places_match_what_a_quote_reports():
    from charter.economics.money import RATIO_QUANTUM
    from charter.values import PERCENT_PLACES

    assert Decimal(1).scaleb(-(PERCENT_PLACES + 2)) == RATIO_QUANTUM


def test_a_cap_year_of_zero_is_refused():
    body = TWO_CHANNELS + ("handover Referral -> VAD { introducer_rate: 5%;"
                           " allowed_tiers: Standard; combined_cap: 30%; cap_year: 0 }\n")
    assert ("CH-E111", "contract years are counted from 1, found 0") in codes(body)


NO_ECONOMICS = """
product P { layer: software; list_price: $1_000 per seat per year }
channel Referral { model: referral; owner: vendor; commission: 60%; payment: one_time }
spiff launch { trigger: "launch"; reward: 50%; from: 2026-01-01; until: 2026-12-31 }
clawback c { event: "cancel"; rule: any_time -> 100% }
"""


def test_a_program_without_economics_still_never_pays_out_more_than_it_receives():
    """No `internal economics`, so no floor: a deal paying 60% + a 50% SPIFF was accepted
    with a negative vendor net, and the check said nothing."""
    found = codes(NO_ECONOMICS)
    assert [m for c, m in found if c == "CH-P001" and "the vendor loses money" in m], found
    program, _ = compile_text(USD + NO_ECONOMICS, "t.charter")
    quote = Quoter(program).quote(parse_request(
        {"product": "P", "seats": 1, "route": [{"channel": "Referral"}], "spiffs": ["launch"],
         "close_date": "2026-03-01"}, program))
    assert quote.decision == "walk"
    assert quote.years[0].vendor_net == Decimal("-100.00")


def test_a_program_without_economics_that_keeps_money_is_clean():
    assert codes(NO_ECONOMICS.replace("reward: 50%", "reward: 30%")) == []
