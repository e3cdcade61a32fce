"""The partner-program practice guide's constructs: `expect total` and influence measured on
the influencer's own sourced rate (programs/practice.charter holds the guide's scenarios)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from charter.api import compile_file, compile_text
from charter.economics import Quoter, RequestInvalid, parse_request

from conftest import PROGRAMS

HEAD = """program p { title: "P"; currency: USD; status: draft }
product P { layer: software; list_price: $1_000 per seat per year }
channel Sourcing { model: referral; owner: vendor; commission: 25%; lead_protection: 30 days }
"""


def errors(text: str) -> list:
    _program, reporter = compile_text(text, "p.charter")
    return [d for d in reporter.sorted() if d.severity.value == "error"]


def test_the_practice_program_computes_the_guide_s_scenarios():
    program, reporter, _ = compile_file(PROGRAMS / "practice.charter")
    assert program is not None and not reporter.has_errors, reporter.sorted()
    names = {x.name for x in program.examples}
    assert {"scenario_2_recurring_revenue_share", "scenario_3_tiered_commission",
            "scenario_4_influenced_deal"} <= names


def test_expect_total_sums_every_contract_year_and_shows_each_year_when_wrong():
    text = HEAD.replace("commission: 25%;", "commission: 15%; commission_y2: 15%;"
                        " payment: recurring;") + """
example share {
    product: P
    seats: 24
    years: 2
    route: Sourcing
    expect total Sourcing { commission: $7_000 }
}
"""
    [error] = errors(text)
    assert error.code == "CH-E301" and "over 2 year(s) computes to $7,200.00" in error.message
    assert error.notes == ("year 1: $3,600.00", "year 2: $3,600.00")
    assert not errors(text.replace("$7_000", "$7_200"))


def test_expect_total_refuses_a_metric_that_does_not_add_up():
    [error] = errors(HEAD + """
example e { product: P; seats: 1; route: Sourcing; expect total { combined_rate: 25% } }
""")
    assert error.code == "CH-E110" and "does not add up" in error.message


RELATIVE = HEAD + """
channel Tiered {
    model: referral
    owner: vendor
    lead_protection: 30 days
    tier Gold { commission: 30% }
}
attribution { default: single; influenced_rate: 50% of sourced }
"""


def test_influence_is_a_share_of_the_influencer_s_own_sourced_rate():
    program, reporter = compile_text(RELATIVE.replace("channel Tiered", "channel Other") \
        .replace("    tier Gold { commission: 30% }\n", "    commission: 20%\n"), "p.charter")
    assert not reporter.has_errors, reporter.sorted()
    quote = Quoter(program).quote(parse_request(
        {"product": "P", "seats": 100, "route": [{"channel": "Sourcing"}],
         "influenced": ["Other"]}, program))
    fee = next(p for p in quote.years[0].payouts if p.party == "Other")
    assert fee.rate == Decimal("0.10") and str(fee.amount) == "10000.00"  # 50% of 20%


def test_an_influencer_without_a_single_sourced_rate_is_refused_not_paid_nothing():
    program, reporter = compile_text(RELATIVE, "p.charter")
    assert not reporter.has_errors
    with pytest.raises(RequestInvalid) as bad:
        parse_request({"product": "P", "seats": 1, "route": [{"channel": "Sourcing"}],
                       "influenced": ["Tiered"]}, program)
    assert "no single sourced rate" in bad.value.errors[0].message


def test_an_influenced_rate_phrase_other_than_of_sourced_is_an_error():
    [error] = errors(RELATIVE.replace("50% of sourced", "50% of margin"))
    assert error.code == "CH-E106" and "of sourced" in error.message
