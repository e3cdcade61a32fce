"""The partner view of a quote carries nothing internal: a security property.

For every bundled program and every route it allows, the partner answer validates against
its own schema (every object closed with `additionalProperties: false`) and does not change
when the program's internal economics change (COGS, the margin-death line, whether MDF
counts against it): no internal value can be in it.
"""
from __future__ import annotations

import dataclasses
import functools
import json
from decimal import Decimal

import jsonschema
import pytest

from charter import model as m
from charter.api import compile_file
from charter.economics import Quoter
from charter.economics.response import quote_to_json, response_schema
from charter.economics.routes import quotable, routes

from conftest import PROGRAMS

BUNDLED = ("ejourney.charter", "saas-reseller.charter", "elision.charter")
INTERNAL_WORDS = ("vendor_net", "vendor_cogs", "vendor_basis", "vendor_receives", "cogs", "margin_floor", "combined_rate", "COGS", "floor",
                  "margin-death")


@functools.lru_cache(maxsize=None)
def program(name: str):
    compiled, reporter, _ = compile_file(PROGRAMS / name)
    assert compiled is not None and not reporter.has_errors
    return quotable(compiled)  # a program that prices nothing yet gets a nominal product


@functools.lru_cache(maxsize=None)
def validator():
    schema = response_schema("partner")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def with_economics(prog, **changes):
    """``prog`` with other internal economics (a program without them gets some)."""
    econ = prog.economics or m.Economics(Decimal(0), Decimal(0), False, None, (), "",
                                         prog.header.span)
    return dataclasses.replace(prog, economics=dataclasses.replace(econ, **changes))


def cases():
    for name in BUNDLED:
        for route in routes(program(name)):
            request = route.request(program(name))
            if request is not None:
                yield pytest.param(name, request, id=f"{name[:-8]}:{route.text}")


@pytest.mark.parametrize("name, request_", list(cases()))
def test_partner_view_is_closed_and_blind_to_internal_economics(name, request_):
    prog = program(name)
    partner = quote_to_json(Quoter(prog).quote(request_), prog.header, "partner")
    errors = [e.message for e in validator().iter_errors(partner)]
    assert not errors, errors
    text = json.dumps(partner)
    assert not [w for w in INTERNAL_WORDS if w in text]
    base = prog.economics or with_economics(prog).economics
    # other COGS, another margin line, MDF counted or not: the partner answer is the same
    # (unless the decision itself changes, and then it says only that the vendor declined)
    other = with_economics(prog, cogs=base.cogs + Decimal("0.0123"),
                           margin_floor=base.margin_floor - Decimal("0.0456"),
                           mdf_counts_against_margin=not base.mdf_counts_against_margin)
    again = quote_to_json(Quoter(other).quote(request_), other.header, "partner")
    if again["decision"] == partner["decision"]:
        assert again == partner


@pytest.mark.parametrize("name", BUNDLED)
def test_an_internal_walk_is_told_to_the_partner_as_declined(name):
    prog = program(name)
    strict = with_economics(prog, margin_floor=Decimal("0.99"))
    request = next(r.request(strict) for r in routes(strict) if r.request(strict))
    quote = Quoter(strict).quote(request)
    internal = quote_to_json(quote, strict.header, "internal")
    partner = quote_to_json(quote, strict.header, "partner")
    assert "margin_floor" in [r["code"] for r in internal["reasons"]]
    assert [r["code"] for r in partner["reasons"]] == ["vendor_declined"]
    assert "99%" not in json.dumps(partner) and "floor" not in json.dumps(partner)
    # a walked deal lists nothing as payable, in either view
    for view in (internal, partner):
        assert all(year["payouts"] == [] for year in view["years"])
        assert any(year["not_payable"] for year in view["years"])


def test_the_partner_schema_is_the_internal_one_without_internal_fields():
    internal, partner = response_schema("internal"), response_schema("partner")
    year_i = set(internal["$defs"]["year"]["properties"])
    year_p = set(partner["$defs"]["year"]["properties"])
    assert year_i - year_p == {"vendor_basis", "vendor_receives", "vendor_cogs", "vendor_net",
                               "vendor_net_margin", "combined_rate"}
    codes = partner["$defs"]["quote"]["properties"]["reasons"]["items"]["properties"]["code"]
    assert "margin_floor" not in codes["enum"] and "vendor_declined" in codes["enum"]

    def closed(node) -> bool:
        if isinstance(node, dict):
            if node.get("type") == "object" and node.get("additionalProperties") is not False:
                return False
            return all(closed(v) for v in node.values())
        return all(closed(v) for v in node) if isinstance(node, list) else True
    assert closed(partner)


def unit_economics(prog, low: str, high: str, months: int) -> m.UnitEconomics:
    """Internal unit economics per partner in the program's currency (amounts ``low``-``high``)."""
    from charter.literals import MoneyValue
    from charter.values import Duration

    cur = prog.header.currency
    pair = (MoneyValue(Decimal(low), cur), MoneyValue(Decimal(high), cur))
    return m.UnitEconomics(pair, pair, pair, "quarter",
                           (Duration(Decimal(months), "month"),) * 2, (months, months + 1),
                           "internal: what a partner costs us", prog.header.span)


@pytest.mark.parametrize("name", BUNDLED)
def test_partner_outputs_are_blind_to_unit_economics(name):
    """What a partner costs the vendor (`unit_economics`) is in the config's internal section
    and nowhere a partner reads: the partner projection and the partner guide are the same
    whatever it says, and none of its amounts or words appear in them."""
    from charter.targets import guide
    from charter.targets.base import BuildContext

    prog = program(name)
    one = BuildContext(dataclasses.replace(prog, unit_economics=unit_economics(
        prog, "123457", "234568", 7)))
    other = BuildContext(dataclasses.replace(prog, unit_economics=unit_economics(
        prog, "345679", "456781", 11)))
    assert one.config["internal"]["unit_economics"] != other.config["internal"]["unit_economics"]
    assert one.partner == other.partner
    assert "unit_economics" not in json.dumps(one.partner)
    files = guide.build(one)
    assert files == guide.build(other)
    for data in files.values():
        text = data.decode()
        assert not [w for w in ("123457", "123,457", "123.457", "234568", "234,568",
                                "what a partner costs us") if w in text]
