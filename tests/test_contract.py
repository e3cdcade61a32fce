"""The shipped response schemas are the generated ones (`charter.economics.contract`).

`python -m pytest tests/test_contract.py --update-golden` rewrites the shipped files after a
change to the kind tables or the contract.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from charter.economics.contract import schema_text
from charter.economics.kinds import AmountIs, PayoutKind
from charter.economics.request import DealRequest, Step
from charter.economics import Quoter

from conftest import REPO

SCHEMAS = REPO / "compiler" / "economics" / "schemas"


@pytest.mark.parametrize("view, name", [("internal", "quote-response.schema.json"),
                                        ("partner", "quote-response-partner.schema.json")])
def test_shipped_schema_is_generated(view, name, update_golden):
    path = SCHEMAS / name
    if update_golden:
        path.write_text(schema_text(view), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == schema_text(view), \
        "run: python -m pytest tests/test_contract.py --update-golden"


def test_every_kind_says_who_moves_the_money():
    assert {k.settlement.value for k in PayoutKind} == {"vendor_pays", "partner_retains",
                                                        "accrual"}
    assert PayoutKind.MDF.in_combined_rate is False and PayoutKind.MDF.in_partner_gross is False
    assert f"{PayoutKind.TRUE_UP}" == "true_up" == str(PayoutKind.TRUE_UP)


def test_amount_is_rate_times_base_on_every_such_line():
    """Across the bundled programs' routes, `rate_x_base` lines multiply back exactly."""
    from charter.api import compile_file
    from charter.economics.routes import routes

    for name in ("ejourney.charter", "saas-reseller.charter"):
        program, _r, _s = compile_file(REPO / "programs" / name)
        quoter = Quoter(program)
        for route in routes(program):
            quote = quoter.quote(route.request(program))
            for year in quote.years:
                for line in year.payouts:
                    if line.amount_is is AmountIs.RATE_X_BASE:
                        assert line.amount == quoter.rounding.money(line.rate * line.base), line


def test_a_marginal_ladder_is_shown_in_slices(tmp_path):
    """The text breakdown multiplies back: 20% × $100,000 + 25% × $150,000 + 30% × ..."""
    from charter.api import compile_text
    from charter.economics.text import render_quote

    program, _reporter = compile_text("""program t { title: "T"; currency: USD; status: draft }
product Seat { layer: software; list_price: $1 per user per year }
channel Referral {
    model: referral
    owner: vendor
    payment: one_time
    thresholds volume {
        basis: referred_software_revenue
        semantics: marginal
        reset: calendar_year
        bracket: $0 .. $100K -> 20%
        bracket: $100K .. $250K -> 25%
        bracket: $250K .. -> 30%
    }
}
""", "t.charter")
    quote = Quoter(program).quote(DealRequest("Seat", 400_000, route=(Step("Referral"),)))
    (line,) = quote.years[0].payouts
    assert line.amount == Decimal("102500.00") and line.amount_is is AmountIs.SLICES
    text = render_quote(quote, program, "en_US")
    assert "20% × $100,000.00 + 25% × $150,000.00 + 30% × $150,000.00" in text


def test_kind_members_and_their_strings_are_interchangeable():
    """A str-enum member hashes as its string: sets and dicts of codes mix safely."""
    from charter.economics.kinds import ReasonCode

    assert {"tier_not_allowed"} & {ReasonCode.TIER_NOT_ALLOWED}
    assert {PayoutKind.MDF: 1}.get("mdf") == 1 and f"{PayoutKind.MDF}" == "mdf"
