"""Attribution credit that is not cash: `sourced_credit`, `influenced_credit` and splits that
settle as credit (the partner-program practice guide: "full credit to partner-sourced, 25%
credit to partner-influenced"), kept apart from the payouts."""
from __future__ import annotations

from decimal import Decimal

import pytest

from charter.api import compile_text
from charter.economics import Quoter, RequestInvalid, parse_request

PROGRAM = """program cr { title: "Cr"; currency: USD; status: draft }
product P { layer: software; list_price: $1_000 per seat per year }
channel Sourcing { model: referral; owner: vendor; commission: 25%; lead_protection: 30 days }
channel Helper { model: referral; owner: vendor; commission: 10%; lead_protection: 30 days }
channel CoSell { model: co_sell; owner: shared; lead_protection: 30 days }
clawback refund { event: "refund"; rule: 0 days .. 30 days -> 100% }
attribution {
    default: single
    sourced_credit: 100%
    influenced_credit: 25%
    split joint_credit { vendor: 50%; CoSell: 50%; settles: credit; when: "joint plan" }
    split joint_cash { vendor: 70%; CoSell: 30%; when: "co-sell" }
}
"""


def quote(text: str = PROGRAM, **request):
    program, reporter = compile_text(text, "cr.charter")
    assert program is not None and not reporter.has_errors, reporter.sorted()
    return Quoter(program).quote(parse_request({"product": "P", "seats": 100, **request},
                                               program))


def credit(q) -> list[tuple]:
    return [(c.party, c.role, c.share, c.amount) for c in q.years[0].credit]


def paid(q) -> list[tuple]:
    return [(p.party, p.amount) for p in q.years[0].payouts]


def test_sourced_and_influenced_credit_pay_nothing():
    q = quote(route=[{"channel": "Sourcing"}], influenced=["Helper"], years=2)
    assert paid(q) == [("Sourcing", Decimal("25000"))]  # Helper is credited, not paid
    assert credit(q) == [("Sourcing", "sourced", Decimal(1), Decimal("100000")),
                         ("Helper", "influenced", Decimal("0.25"), Decimal("25000"))]
    assert [c.role for c in q.years[1].credit] == ["sourced"]  # influence is year 1 only


def test_without_credit_the_quote_is_unchanged():
    text = PROGRAM.replace("    sourced_credit: 100%\n    influenced_credit: 25%\n", "")
    q = quote(text, route=[{"channel": "Sourcing"}])
    assert credit(q) == [] and paid(q) == [("Sourcing", Decimal("25000"))]


def test_an_influencer_needs_a_fee_or_credit():
    text = PROGRAM.replace("    influenced_credit: 25%\n", "")
    program, _ = compile_text(text, "cr.charter")
    with pytest.raises(RequestInvalid, match="influenced_credit"):
        parse_request({"product": "P", "seats": 1, "route": [{"channel": "Sourcing"}],
                       "influenced": ["Helper"]}, program)


@pytest.mark.parametrize("split, payouts, parts", [
    ("joint_cash", [("CoSell", Decimal("30000"))], [Decimal("70000"), Decimal("30000")]),
    ("joint_credit", [], [Decimal("50000"), Decimal("50000")])])
def test_a_split_settles_as_declared(split, payouts, parts):
    q = quote(route=[{"channel": "CoSell"}], split=split)
    assert paid(q) == payouts
    assert [(c.party, c.role, c.amount) for c in q.years[0].credit] == \
        [("vendor", "split", parts[0]), ("CoSell", "split", parts[1])]


def test_a_credit_split_leaves_a_paying_partner_whole():
    text = PROGRAM.replace("split joint_credit { vendor: 50%; CoSell: 50%;",
                           "split joint_credit { direct: 60%; partner: 40%;")
    q = quote(text, route=[{"channel": "Sourcing"}], split="joint_credit")
    assert paid(q) == [("Sourcing", Decimal("25000"))]
    assert [(c.party, c.amount) for c in q.years[0].credit] == \
        [("direct", Decimal("60000")), ("Sourcing", Decimal("40000"))]


def test_settles_takes_cash_or_credit_only():
    text = PROGRAM.replace("settles: credit", "settles: points")
    _program, reporter = compile_text(text, "cr.charter")
    assert [d.code for d in reporter.sorted() if d.severity.value == "error"] == ["CH-E108"]


def test_the_response_marks_credit_apart_and_validates(tmp_path):
    import jsonschema

    from charter.economics.response import quote_to_json, response_schema

    program, _ = compile_text(PROGRAM, "cr.charter")
    q = quote(route=[{"channel": "Sourcing"}], influenced=["Helper"])
    for view in ("internal", "partner"):
        out = quote_to_json(q, program.header, view)
        jsonschema.validate(out, response_schema(view))
        assert out["years"][0]["credit"][1] == {"party": "Helper", "role": "influenced",
                                                "share": "0.250000", "amount": "25000.00"}


def test_config_guide_and_sql_say_what_credit_is(tmp_path):
    import json

    from charter.build import build_paths
    from charter.warehouse.constants import coverage

    path = tmp_path / "cr.charter"
    path.write_text(PROGRAM, encoding="utf-8")
    build_paths([path], tmp_path / "out", names=("config", "guide"))
    config = json.loads((tmp_path / "out" / "cr" / "config.json").read_text())
    attribution = config["attribution"]
    assert (attribution["sourced_credit"], attribution["influenced_credit"]) == \
        ("1.000000", "0.250000")
    assert [s["settles"] for s in attribution["splits"]] == ["credit", "cash"]
    guide = (tmp_path / "out" / "cr" / "partner-guide.md").read_text()
    assert "credit pays nothing by itself" in guide
    assert "50% (joint credit)" not in guide and "30% (joint cash)" in guide
    program, _ = compile_text(PROGRAM, "cr.charter")
    assert any("credit-only split" in r.message for r in coverage(program))


def test_an_example_naming_an_influencer_without_fee_or_credit_is_helped_about_influence():
    from charter.api import compile_text as compile_

    text = PROGRAM.replace("    sourced_credit: 100%\n    influenced_credit: 25%\n", "") + """
example e { product: P; seats: 1; route: Sourcing; influenced: Helper }
"""
    _program, reporter = compile_(text, "cr.charter")
    (error,) = [d for d in reporter.sorted() if d.code == "CH-E302"]
    assert "`influenced_credit`" in error.message and "influenced_rate" in error.help[0]
