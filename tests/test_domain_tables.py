"""The one home of each domain table: channel models (`charter.model`) and units (`charter.units`).

Lowering, the policies and the engine must read these tables, never spell model words or unit
words of their own: the tests check that what lowering accepts *is* the table (a row added to
it is accepted, with its properties), and pin each property per model and each unit's words
and conversions.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from types import MappingProxyType

import pytest

from charter import model as m
from charter import units
from charter.values import Duration

# model -> (buys_wholesale, resells_at_own_price, owns_customer, refers_only)
EXPECTED = {
    "referral": (False, False, False, True),
    "wholesale": (True, True, True, False),
    "resale": (True, True, True, False),
    "co_sell": (False, False, False, False),
    "oem": (True, False, True, False),
    "affiliate": (False, False, False, True),
    "technology": (False, False, False, False),
}


def _channel(compile_src, header: str, model: str, owner: str = "vendor") -> tuple:
    """Compile one channel of ``model``; (the channel or None, diagnostics)."""
    program, diagnostics = compile_src(header + f"channel C {{\n    model: {model}\n"
                                                f"    owner: {owner}\n}}\n")
    return (program.channel("C") if program else None), diagnostics


# ---- channel models --------------------------------------------------------------------------

def test_the_table_lists_every_model_in_the_documented_order():
    assert tuple(m.CHANNEL_MODELS) == tuple(EXPECTED)
    assert all(row.name == name and row.description for name, row in m.CHANNEL_MODELS.items())


@pytest.mark.parametrize("name", list(EXPECTED))
def test_lowering_accepts_every_model_in_the_table(compile_src, header, name):
    channel, diagnostics = _channel(compile_src, header, name)
    assert "CH-E108" not in [d.code for d in diagnostics]
    assert channel is not None and channel.model == name


def test_lowering_refuses_a_model_not_in_the_table_and_lists_the_table(compile_src, header):
    _channel_, diagnostics = _channel(compile_src, header, "zzzz")
    bad = [d for d in diagnostics if d.code == "CH-E108"]
    assert len(bad) == 1
    assert bad[0].help == ("expected one of " + ", ".join(f"`{n}`" for n in sorted(EXPECTED)),)


def test_a_row_added_to_the_table_is_a_model_lowering_accepts(compile_src, header,
                                                               monkeypatch):
    """Lowering and the properties read the same table: one new row, and both know it."""
    row = m.ChannelModel("marketplace", buys_wholesale=True, resells_at_own_price=False,
                         owns_customer=False, refers_only=False, description="a test row")
    monkeypatch.setattr(m, "CHANNEL_MODELS",
                        MappingProxyType({**m.CHANNEL_MODELS, row.name: row}))
    channel, diagnostics = _channel(compile_src, header, "marketplace")
    assert "CH-E108" not in [d.code for d in diagnostics]
    assert channel.channel_model is row
    assert (channel.buys_wholesale, channel.resells_at_own_price,
            channel.partner_owns_customer) == (True, False, False)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_model_has_its_properties(compile_src, header, name):
    buys, resells, owns, refers = EXPECTED[name]
    channel, _ = _channel(compile_src, header, name, owner="vendor")
    assert channel.channel_model is m.CHANNEL_MODELS[name]
    assert channel.channel_model.owns_customer is owns
    assert (channel.buys_wholesale, channel.resells_at_own_price, channel.refers_only) == \
        (buys, resells, refers)
    # with `owner: vendor` only the model can make the partner own the customer
    assert channel.partner_owns_customer is owns


@pytest.mark.parametrize("name", list(EXPECTED))
@pytest.mark.parametrize("owner", ["partner", "shared"])
def test_owner_partner_makes_any_model_own_the_customer(compile_src, header, name, owner):
    channel, _ = _channel(compile_src, header, name, owner=owner)
    assert channel.partner_owns_customer is (owner == "partner" or EXPECTED[name][2])


def test_reselling_at_its_own_price_implies_buying_wholesale():
    """A partner that sets the customer's price of the vendor's product bought it first."""
    for row in m.CHANNEL_MODELS.values():
        assert not row.resells_at_own_price or row.buys_wholesale, row.name
        assert not (row.refers_only and row.buys_wholesale), row.name


def test_an_invalid_model_has_no_properties(compile_src, header):
    """After CH-E108 the channel's model is empty: it is nothing, rather than a guess."""
    channel, _ = _channel(compile_src, header, "wholesale", owner="vendor")
    broken = dataclasses.replace(channel, model="")
    assert broken.channel_model is None
    assert not (broken.buys_wholesale or broken.resells_at_own_price or broken.refers_only
                or broken.partner_owns_customer)
    assert dataclasses.replace(broken, owner="partner").partner_owns_customer


# ---- units -----------------------------------------------------------------------------------

def test_values_and_policies_read_the_one_unit_table():
    from charter import values
    from charter.policies import tier_ladder

    assert values.DURATION_UNITS is units.DURATION_UNITS
    assert values.PERIODS is units.PERIODS
    assert tier_ladder.periods_per_year is units.periods_per_year
    assert tier_ladder.in_hours is units.in_hours


@pytest.mark.parametrize("word,unit", sorted(units.DURATION_UNITS.items()))
def test_every_duration_word_reads_as_its_unit(compile_src, header, word, unit):
    program, diagnostics = compile_src(
        header + f"channel R {{ model: referral; owner: vendor; lead_protection: 2 {word} }}\n")
    assert not [d for d in diagnostics if d.code.startswith("CH-E")], diagnostics
    assert program.channel("R").lead_protection == Duration(Decimal(2), unit, False)


@pytest.mark.parametrize("word,period", sorted(units.PERIODS.items()))
def test_every_period_word_reads_as_its_period(compile_src, header, word, period):
    program, diagnostics = compile_src(
        header + f"product P {{ layer: software; list_price: Rp 100 per user per {word} }}\n")
    assert not [d for d in diagnostics if d.code.startswith("CH-E")], diagnostics
    price = program.products[0].list_price
    assert (price.unit, price.period) == ("user", period)


def test_words_per_unit():
    assert {w for w, u in units.DURATION_UNITS.items() if u == "month"} == \
        {"month", "months", "bulan"}
    assert {w for w, u in units.PERIODS.items() if u == "year"} == {"year", "tahun", "yr"}
    assert "hour" not in units.PERIODS.values()          # nothing is priced per hour
    assert units.duration_unit("kuartal") == "quarter" and units.duration_unit("x") is None
    assert units.period("minggu") == "week" and units.period("hours") is None


@pytest.mark.parametrize("period,count", [("year", 1), ("quarter", 4), ("month", 12),
                                          ("week", 52), ("day", 365), (None, 1),
                                          ("fortnight", 1)])
def test_periods_per_year(period, count):
    assert units.periods_per_year(period) == count
    if period is None or period in units.PERIODS_PER_YEAR:
        assert units.PERIODS_PER_YEAR[period] == count


@pytest.mark.parametrize("duration,hours", [
    (Duration(Decimal(24), "hour"), 24), (Duration(Decimal(2), "day"), 48),
    (Duration(Decimal(1), "week"), 168), (Duration(Decimal("1.5"), "month"), 1095),
    (Duration(Decimal(1), "quarter"), 2190), (Duration(Decimal(1), "year"), 8760),
    (Duration(Decimal(24), "hour", business=True), 24),   # business time counts the same
])
def test_in_hours(duration, hours):
    assert units.in_hours(duration) == hours
