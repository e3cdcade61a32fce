"""The deal economics engine (`charter.economics`): exact numbers, by hand.

1. volume thresholds: forward, marginal and retroactive ladders at every bracket boundary,
   deals that cross one and two thresholds, period resets;
2. rounding: the program's mode and minor units at exactly half a minor unit, and
   `Rounding.allocate` adding up exactly;
3. handovers (eJourney): one-time introducer fee, combined cap, margin floor, MSRP floor,
   certification;
4. property tests (hypothesis) over random deals;
5. no float anywhere: source scan, FloatOperation trap, `float` replaced by a tripwire.

Every expected amount is worked out in a comment next to it.
"""
from __future__ import annotations

import ast
import builtins
import dataclasses
import decimal
import functools
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import charter.economics
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.api import compile_file, compile_text
from charter.economics import DealRequest, Quote, Quoter, read_request
from charter.economics.money import Rounding
from charter.economics.request import Cumulative, Step
from charter.economics.thresholds import Ladder, earn

from conftest import PROGRAMS

D = Decimal
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# ---- programs -----------------------------------------------------------------------------

def errors(reporter) -> list[str]:
    """Errors that make a program unfit to quote.

    Policy findings (CH-P...) are a design review of the program, run only once it compiles
    without error; the minimal programs here deliberately skip mitigations, MSRP floors and
    the like. A worked-example mismatch (CH-P011) is the engine disagreeing with a program's
    own arithmetic, so it still counts.
    """
    return [str(d) for d in reporter.sorted() if d.severity.value == "error"
            and (not d.code.startswith("CH-P") or d.code == "CH-P011")]


def compiled(text: str):
    """Compile ``text``; a broken test program fails loudly."""
    program, reporter = compile_text(text, "t.charter")
    assert program is not None and not errors(reporter), "\n".join(errors(reporter))
    return program


@functools.lru_cache(maxsize=None)
def bundled(name: str):
    """A program under programs/, compiled once (module-level cache: hypothesis-friendly)."""
    program, reporter, _ = compile_file(PROGRAMS / name)
    assert program is not None and not errors(reporter), "\n".join(errors(reporter))
    return program


@functools.lru_cache(maxsize=None)
def quoter_for(name: str) -> Quoter:
    return Quoter(bundled(name))


@functools.lru_cache(maxsize=None)
def ladder_program(semantics: str, reset: str = "calendar_year",
                   basis: str = "referred_software_revenue"):
    """USD, $1 per seat per year (so `seats` is the deal in dollars), a 3-bracket Referral ladder."""
    return compiled(f"""
program ladder {{
    title: "Ladder"
    status: draft
    currency: USD
}}
product Seat {{
    layer: software
    list_price: $1 per seat per year
}}
channel Referral {{
    model: referral
    owner: vendor
    commission_base: software
    payment: one_time
    thresholds volume {{
        basis: {basis}
        semantics: {semantics}
        reset: {reset}
        bracket: $0 .. $100K -> 10%
        bracket: $100K .. $300K -> 15%
        bracket: $300K .. -> 20%
    }}
}}
""")


def referral_quote(semantics: str, cumulative: str, seats: int, *, reset: str = "calendar_year",
                   basis: str = "referred_software_revenue", as_of: date | None = None,
                   close: date | None = date(2026, 6, 15), years: int = 1) -> Quote:
    program = ladder_program(semantics, reset, basis)
    return Quoter(program).quote(DealRequest(
        product="Seat", seats=seats, years=years, route=(Step("Referral"),),
        cumulative=(Cumulative("Referral", D(cumulative), as_of=as_of),), close_date=close))


def payouts(quote: Quote, kind: str, year: int = 1):
    return [p for p in quote.years[year - 1].payouts if p.party == "Referral" and p.kind == kind]


# ---- 1. thresholds: forward ---------------------------------------------------------------
# Ladder: [$0, $100K) 10% · [$100K, $300K) 15% · [$300K, ∞) 20%. Deal of 1,000 seats = $1,000.

FORWARD = [
    # cumulative before the deal, deal ($), commission, rate
    ("0", 1000, "100.00", "0.1"),               # 10% × 1,000
    ("99999.99", 1000, "100.00", "0.1"),        # one cent below $100K: still 10%
    ("100000", 1000, "150.00", "0.15"),         # exactly $100K belongs to [100K, 300K): 15%
    ("100000.01", 1000, "150.00", "0.15"),
    ("299999.99", 1000, "150.00", "0.15"),      # one cent below $300K
    ("300000", 1000, "200.00", "0.2"),          # exactly $300K: 20%
    ("300000.01", 1000, "200.00", "0.2"),
    ("99500", 1000, "100.00", "0.1"),           # crosses $100K: whole deal at the old 10%
    ("100500", 1000, "150.00", "0.15"),         # ...and the next deal earns 15%
    ("99000", 1000, "100.00", "0.1"),           # ends exactly on $100K: still 10%
    ("50000", 300000, "30000.00", "0.1"),       # crosses $100K and $300K: 10% × 300,000
    ("350000", 1000, "200.00", "0.2"),          # the next deal: 20%
    ("0", 100000, "10000.00", "0.1"),           # a deal as big as the first bracket: 10%
]


@pytest.mark.parametrize("cumulative, seats, commission, rate", FORWARD)
def test_forward_boundaries(cumulative, seats, commission, rate):
    quote = referral_quote("forward", cumulative, seats)
    [paid] = payouts(quote, "commission")
    assert (paid.amount, paid.rate, paid.base) == (D(commission), D(rate), D(seats))
    assert payouts(quote, "true_up") == []
    assert quote.decision == "accept" and quote.notes == ()


# ---- 1. thresholds: marginal --------------------------------------------------------------

MARGINAL = [
    # cumulative, deal, exact commission (before rounding), paid (USD half_up to the cent)
    ("0", 1000, "100", "100.00"),                   # 1,000 × 10%
    ("99999.99", 1000, "149.9995", "150.00"),       # 0.01 × 10% + 999.99 × 15% = 0.001 + 149.9985
    ("100000", 1000, "150", "150.00"),              # 1,000 × 15%
    ("100000.01", 1000, "150", "150.00"),
    ("299999.99", 1000, "199.9995", "200.00"),      # 0.01 × 15% + 999.99 × 20% = 0.0015 + 199.998
    ("300000", 1000, "200", "200.00"),
    ("300000.01", 1000, "200", "200.00"),
    ("99500", 1000, "125", "125.00"),               # 500 × 10% + 500 × 15% = 50 + 75
    ("99000", 1000, "100", "100.00"),               # ends exactly on $100K: all of it at 10%
    ("99000", 1001, "100.15", "100.15"),            # one dollar past it: 100 + 1 × 15%
    ("0", 100000, "10000", "10000.00"),             # exactly the first bracket
    ("0", 100001, "10000.15", "10000.15"),          # 10,000 + 1 × 15%
    ("50000", 300000, "45000", "45000.00"),         # 50K × 10% + 200K × 15% + 50K × 20%
    ("0", 400000, "60000", "60000.00"),             # 10K + 30K + 100K × 20% = 10K + 30K + 20K
]


@pytest.mark.parametrize("cumulative, seats, exact, commission", MARGINAL)
def test_marginal_boundaries(cumulative, seats, exact, commission):
    quote = referral_quote("marginal", cumulative, seats)
    [paid] = payouts(quote, "commission")
    assert paid.amount == D(commission)
    assert payouts(quote, "true_up") == []
    ladder = Ladder.of(ladder_program("marginal").channel("Referral").thresholds)
    earned = earn(ladder, D(seats), D(cumulative))
    assert earned.amount == D(exact) and earned.true_up == 0


def test_marginal_effective_rate():
    # 500 × 10% + 500 × 15% = 125 on 1,000: effective 12.5%, to 1e-6
    [paid] = payouts(referral_quote("marginal", "99500", 1000), "commission")
    assert paid.rate == D("0.125000")


# ---- 1. thresholds: retroactive -----------------------------------------------------------

RETROACTIVE = [
    # cumulative, deal, commission (new rate × deal), true_up ((new − old) × cumulative)
    ("0", 1000, "100.00", "0"),                     # 10% × 1,000; no re-rating
    ("99999.99", 1000, "150.00", "5000.00"),        # 100,999.99 → 15%; 5% × 99,999.99 = 4,999.9995
    ("100000", 1000, "150.00", "0"),                # already at 15% before the deal
    ("100000.01", 1000, "150.00", "0"),
    ("299999.99", 1000, "200.00", "15000.00"),      # 5% × 299,999.99 = 14,999.9995
    ("300000", 1000, "200.00", "0"),
    ("300000.01", 1000, "200.00", "0"),
    ("98999.99", 1000, "100.00", "0"),              # ends at 99,999.99: one cent short, 10%
    ("99000", 1000, "150.00", "4950.00"),           # ends exactly on $100K: 15%; 5% × 99,000
    ("99000.01", 1000, "150.00", "4950.00"),        # 5% × 99,000.01 = 4,950.0005
    ("99500", 1000, "150.00", "4975.00"),           # crosses $100K; 5% × 99,500
    ("50000", 300000, "60000.00", "5000.00"),       # crosses two: 20% × 300K; (20% − 10%) × 50K
    ("150000", 150000, "30000.00", "7500.00"),      # ends on $300K: 20% × 150K; 5% × 150K
]


@pytest.mark.parametrize("cumulative, seats, commission, true_up", RETROACTIVE)
def test_retroactive_boundaries(cumulative, seats, commission, true_up):
    quote = referral_quote("retroactive", cumulative, seats)
    [paid] = payouts(quote, "commission")
    assert paid.amount == D(commission)
    trued = payouts(quote, "true_up")
    if D(true_up):
        [line] = trued
        assert line.amount == D(true_up)
        assert line.base == D(cumulative)          # re-rates the volume booked before the deal
        assert line.amount == (line.rate * line.base).quantize(D("0.01"))  # the rate difference
    else:
        assert trued == []


def test_retroactive_true_up_is_year_one_only():
    # recurring would pay year 2 again; this ladder is one-time, so year 2 pays nothing at all
    quote = referral_quote("retroactive", "99500", 1000, years=2)
    assert [p.kind for p in quote.years[0].payouts] == ["commission", "true_up"]
    assert quote.years[1].payouts == ()


# ---- 1. thresholds: period resets and deal_value basis ------------------------------------

def test_calendar_year_reset():
    # $200K booked by 2025-12-20 does not count for a deal closing 2026-01-05: 10%, not 15%
    quote = referral_quote("forward", "200000", 1000, as_of=date(2025, 12, 20),
                           close=date(2026, 1, 5))
    assert [p.amount for p in payouts(quote, "commission")] == [D("100.00")]
    [note] = quote.notes
    assert "2025-12-20" in note and "calendar_year" in note and "resets to 0" in note


def test_same_calendar_year_no_reset():
    quote = referral_quote("forward", "200000", 1000, as_of=date(2026, 1, 2),
                           close=date(2026, 12, 31))
    assert [p.amount for p in payouts(quote, "commission")] == [D("150.00")]  # 15% × 1,000
    assert quote.notes == ()


def test_undated_cumulative_never_resets():
    quote = referral_quote("forward", "200000", 1000, as_of=None, close=date(2027, 1, 1))
    assert [p.amount for p in payouts(quote, "commission")] == [D("150.00")]
    assert quote.notes == ()


def test_reset_also_clears_the_retroactive_true_up():
    # 99,999.99 from last year counts as 0: 1,000 stays in the 10% bracket and nothing re-rates
    quote = referral_quote("retroactive", "99999.99", 1000, as_of=date(2025, 12, 31),
                           close=date(2026, 1, 1))
    assert [(p.kind, p.amount) for p in quote.years[0].payouts] == [("commission", D("100.00"))]
    assert len(quote.notes) == 1


@pytest.mark.parametrize("as_of, close, commission, reset", [
    (date(2026, 3, 31), date(2026, 4, 1), "100.00", True),    # Q1 → Q2: reset, 10%
    (date(2026, 1, 1), date(2026, 3, 31), "150.00", False),   # same quarter: 15%
    (date(2025, 4, 1), date(2026, 4, 1), "100.00", True),     # same quarter, different year
])
def test_quarter_reset(as_of, close, commission, reset):
    quote = referral_quote("forward", "100000", 1000, reset="quarter", as_of=as_of, close=close)
    assert [p.amount for p in payouts(quote, "commission")] == [D(commission)]
    assert bool(quote.notes) is reset


@pytest.mark.parametrize("seats, commission", [
    (1000, "100.00"),        # the deal itself is in [0, 100K): 10%
    (100000, "15000.00"),    # exactly $100K: 15% of the whole deal
    (300000, "60000.00"),    # exactly $300K: 20%
])
def test_deal_value_basis_ignores_cumulative(seats, commission):
    quote = referral_quote("retroactive", "5000000", seats, basis="deal_value")
    assert [(p.kind, p.amount) for p in quote.years[0].payouts] == [("commission", D(commission))]


def test_ejourney_forward_threshold_in_whole_rupiah():
    # Growth: Rp 200K × 12 months × 1,000 users = Rp 2.4 Miliar; brackets split at Rp 3 Miliar
    quoter = quoter_for("ejourney.charter")

    def commission(cumulative: int) -> Decimal:
        quote = quoter.quote(DealRequest("Growth", 1000, route=(Step("Referral"),),
                                         cumulative=(Cumulative("Referral", D(cumulative)),)))
        return quote.years[0].amount("Referral", "commission")
    assert commission(2_999_999_999) == D(240_000_000)     # one rupiah below: 10% × 2.4 Miliar
    assert commission(3_000_000_000) == D(360_000_000)     # exactly at: 15%
    assert commission(3_000_000_001) == D(360_000_000)
    assert commission(1_000_000_000) == D(240_000_000)     # crosses Rp 3 Miliar: still 10%


# ---- 2. rounding --------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def rounding_program(currency: str, price: str, mode: str):
    minor = "\n    minor_units: 0" if currency == "IDR" else ""
    return compiled(f"""
program r {{
    title: "Rounding"
    status: draft
    currency: {currency}
    rounding: {mode}{minor}
}}
product Seat {{
    layer: software
    list_price: {price} per seat per year
}}
channel Referral {{
    model: referral
    owner: vendor
    commission: 10%
}}
channel VAR {{
    model: wholesale
    owner: partner
    tier Only {{ margin: 12,5% }}
}}
""")


@pytest.mark.parametrize("currency, price, seats, mode, commission", [
    # USD, $0.25 a seat: 1 seat → 10% × 0.25 = 0.025 (half a cent)
    ("USD", "$0.25", 1, "half_up", "0.03"),
    ("USD", "$0.25", 1, "half_even", "0.02"),     # 2 is even
    ("USD", "$0.25", 1, "down", "0.02"),
    ("USD", "$0.25", 1, "up", "0.03"),
    # 3 seats → 10% × 0.75 = 0.075
    ("USD", "$0.25", 3, "half_up", "0.08"),
    ("USD", "$0.25", 3, "half_even", "0.08"),     # 8 is even
    ("USD", "$0.25", 3, "down", "0.07"),
    # IDR (minor units 0), Rp 5 a seat: 5 seats → 10% × 25 = 2.5 rupiah
    ("IDR", "Rp 5", 5, "half_up", "3"),
    ("IDR", "Rp 5", 5, "half_even", "2"),
    ("IDR", "Rp 5", 5, "down", "2"),
    # 7 seats → 10% × 35 = 3.5 rupiah
    ("IDR", "Rp 5", 7, "half_up", "4"),
    ("IDR", "Rp 5", 7, "half_even", "4"),
    ("IDR", "Rp 5", 7, "down", "3"),
])
def test_commission_rounding_at_half_a_minor_unit(currency, price, seats, mode, commission):
    quote = Quoter(rounding_program(currency, price, mode)).quote(
        DealRequest("Seat", seats, route=(Step("Referral"),)))
    year = quote.years[0]
    paid = year.amount("Referral", "commission")
    assert paid == D(commission)
    assert paid.as_tuple().exponent == (0 if currency == "IDR" else -2)   # paid in minor units
    assert year.vendor_net == year.software - paid                       # no COGS declared


@pytest.mark.parametrize("seats, mode, wholesale, margin", [
    # $0.20 a seat, margin 12.5%: the margin is list × 12.5%, rounded (so margin = rate × base
    # holds on the payout line); wholesale = list − margin
    (1, "half_up", "0.17", "0.03"),      # 0.20 × 0.125 = 0.025
    (1, "half_even", "0.18", "0.02"),    # 0.025 → 0.02 (2 is even)
    (1, "down", "0.18", "0.02"),
    (3, "half_up", "0.52", "0.08"),      # 0.60 × 0.125 = 0.075
    (3, "half_even", "0.52", "0.08"),    # 0.075 → 0.08 (8 is even)
    (3, "down", "0.53", "0.07"),
])
def test_wholesale_price_rounding(seats, mode, wholesale, margin):
    quote = Quoter(rounding_program("USD", "$0.20", mode)).quote(
        DealRequest("Seat", seats, route=(Step("VAR", "Only"),)))
    year = quote.years[0]
    assert year.wholesale_price == D(wholesale)
    assert year.amount("VAR", "wholesale_margin") == D(margin)
    assert year.wholesale_price + year.amount("VAR", "wholesale_margin") == year.software


THIRD = D(1) / D(3)


@pytest.mark.parametrize("minor, total, shares, parts", [
    (2, "100.00", [THIRD] * 3, ["33.34", "33.33", "33.33"]),   # 1 cent left: first part wins the tie
    (2, "0.02", [THIRD] * 3, ["0.01", "0.01", "0.00"]),
    (2, "0.01", [THIRD] * 3, ["0.01", "0.00", "0.00"]),
    (0, "10", [THIRD] * 3, ["4", "3", "3"]),
    (0, "10", [D(1) / 6, D(2) / 3, D(1) / 6], ["2", "7", "1"]),  # 1.67, 6.67, 1.67 → 1, 6, 1 + 2
    (2, "1.00", [D(1) / 7] * 7, ["0.15", "0.15", "0.14", "0.14", "0.14", "0.14", "0.14"]),
    (2, "0.05", [D("0.7"), D("0.3")], ["0.04", "0.01"]),        # 0.035, 0.015: tie → first
    (2, "99.99", [THIRD, D(2) / 3], ["33.33", "66.66"]),        # 33.3299.. floors to 33.32
    (0, "100", [D("0.6"), D("0.4")], ["60", "40"]),             # exact: nothing to hand out
    (2, "0.00", [THIRD] * 3, ["0.00", "0.00", "0.00"]),
    (2, "1000.00", [D("0.3333"), D("0.3333"), D("0.3334")], ["333.30", "333.30", "333.40"]),
])
def test_allocate_adds_up(minor, total, shares, parts):
    got = Rounding("half_up", minor).allocate(D(total), shares)
    assert got == [D(p) for p in parts]
    assert sum(got, D(0)) == D(total)


@PROPERTY
@given(cents=st.integers(0, 10 ** 14), weights=st.lists(st.integers(1, 1000), min_size=1,
                                                        max_size=7),
       minor=st.sampled_from([0, 2]))
def test_allocate_property(cents, weights, minor):
    rounding = Rounding("half_even", minor)
    total = D(cents).scaleb(-minor)
    shares = [D(w) / sum(weights) for w in weights]
    parts = rounding.allocate(total, shares)
    assert sum(parts, D(0)) == total
    for part, share in zip(parts, shares):
        assert part >= 0
        assert part == part.quantize(rounding.quantum)
        assert abs(part - total * share) < rounding.quantum


# ---- 3. handovers (eJourney) --------------------------------------------------------------
# Growth: Rp 200K per user per month → 1,000 users × 12 = Rp 2,400,000,000 a year.
SOFTWARE = D(2_400_000_000)


def ej_quote(*route: Step, **kw) -> Quote:
    return quoter_for("ejourney.charter").quote(
        DealRequest("Growth", kw.pop("seats", 1000), years=kw.pop("years", 1), route=route,
                    **kw))


def codes(quote: Quote) -> tuple[str, ...]:
    return tuple(r.code for r in quote.reasons)


def test_referral_to_accelerator_accepts():
    quote = ej_quote(Step("Referral"), Step("VAD", "Accelerator"), years=2)
    assert quote.decision == "accept" and quote.reasons == ()
    y1, y2 = quote.years
    assert y1.software == SOFTWARE
    [fee] = [p for p in y1.payouts if p.party == "Referral"]
    assert (fee.kind, fee.amount, fee.rate) == ("commission", D(120_000_000), D("0.05"))  # 5%
    assert y1.amount("VAD", "wholesale_margin") == D(600_000_000)                       # 25%
    assert y1.amount("VAD", "mdf") == D(72_000_000)                                     # 3%
    assert y1.combined_rate == D("0.300000")                       # 5% + 25%: at the 30% cap
    assert y1.vendor_cogs == D(72_000_000)                         # 3% COGS
    # net = 2.4 Miliar − 600 juta margin − 72 juta COGS − 120 juta fee (MDF not counted)
    assert y1.vendor_net == D(1_608_000_000) and y1.vendor_net_margin == D("0.670000")
    # one-time: no Referral line at all in year 2
    assert [p for p in y2.payouts if p.party == "Referral"] == []
    assert y2.amount("Referral", "commission") == 0
    assert y2.combined_rate == D("0.250000") and y2.vendor_net_margin == D("0.720000")


def test_referral_to_standard_accepts():
    quote = ej_quote(Step("Referral"), Step("VAD", "Standard"))
    assert quote.decision == "accept"
    assert quote.years[0].combined_rate == D("0.250000")           # 5% + 20%


def test_referral_to_elite_walks_three_ways():
    quote = ej_quote(Step("Referral"), Step("VAD", "Elite"))
    assert quote.decision == "walk"
    assert codes(quote) == ("tier_not_allowed", "combined_cap", "margin_floor")
    year = quote.years[0]
    assert year.combined_rate == D("0.400000")                     # 5% + 35% > 30%
    assert year.vendor_net_margin == D("0.570000")                 # 100 − 35 − 3 − 5 < 60
    cap = next(r for r in quote.reasons if r.code == "combined_cap")
    assert "40%" in cap.message and "30%" in cap.message


def test_elite_alone_accepts():
    quote = ej_quote(Step("VAD", "Elite"))
    assert quote.decision == "accept"
    assert quote.years[0].vendor_net_margin == D("0.620000")       # 100 − 35 − 3


@pytest.mark.parametrize("route", [
    (Step("VAD", "Standard"), Step("Referral")),
    (Step("CommissionBenchmark"), Step("VAD", "Standard")),
    (Step("Referral"), Step("CommissionBenchmark")),
])
def test_route_without_handover_walks(route):
    quote = ej_quote(*route)
    assert quote.decision == "walk" and codes(quote) == ("no_handover",)


@pytest.mark.parametrize("unit_price, approved, reasons", [
    (190_000, False, ("below_msrp",)),
    (199_999, False, ("below_msrp",)),   # one rupiah below list
    (200_000, False, ()),                # exactly list: allowed
    (190_000, True, ()),                 # below list, approved
])
def test_msrp_floor(unit_price, approved, reasons):
    quote = ej_quote(Step("VAD", "Standard"), unit_price=D(unit_price), price_approved=approved)
    assert codes(quote) == reasons
    assert quote.decision == ("walk" if reasons else "accept")


def test_approved_discount_comes_out_of_the_partner_margin():
    # sells at Rp 190K: customer pays 190K × 12,000 = 2.28 Miliar; wholesale stays at list ×
    # 80% = 160K × 12,000 = 1.92 Miliar; the partner keeps 360 juta (not 480)
    year = ej_quote(Step("VAD", "Standard"), unit_price=D(190_000), price_approved=True).years[0]
    assert (year.software_list, year.software) == (SOFTWARE, D(2_280_000_000))
    assert year.wholesale_price == D(1_920_000_000)
    assert year.amount("VAD", "wholesale_margin") == D(360_000_000)
    # MDF, COGS and the margin line are measured on what the vendor prices: the list price
    assert year.amount("VAD", "mdf") == D(48_000_000)               # 2% of list


@pytest.mark.parametrize("route, reasons", [
    ((Step("VAD", "Accelerator"),), ("not_certified",)),
    ((Step("Referral"), Step("VAD", "Standard")), ("not_certified",)),
    ((Step("Referral"),), ()),           # Referral needs no certification
])
def test_certification_gate(route, reasons):
    assert codes(ej_quote(*route, certified=False)) == reasons


# ---- 4. property tests ---------------------------------------------------------------------

EJ_TIERS = ("Standard", "Accelerator", "Elite")
EJ_ROUTES = ((), (Step("Referral"),), (Step("CommissionBenchmark"),)) + \
    tuple((Step("VAD", t),) for t in EJ_TIERS) + \
    tuple((Step("Referral"), Step("VAD", t)) for t in EJ_TIERS)
VAD_ROUTES = tuple(r for r in EJ_ROUTES if r and r[-1].channel == "VAD")
DATES = st.none() | st.dates(date(2024, 1, 1), date(2027, 12, 31))


@st.composite
def ej_deals(draw, routes=EJ_ROUTES):
    return DealRequest(
        product=draw(st.sampled_from(("Essentials", "Growth", "Enterprise"))),
        seats=draw(st.integers(1, 100_000)), years=draw(st.integers(1, 5)),
        route=draw(st.sampled_from(routes)),
        services_one_time=D(draw(st.integers(0, 10 ** 10))),
        services_per_year=D(draw(st.integers(0, 10 ** 10))),
        cumulative=(Cumulative("Referral", D(draw(st.integers(0, 10 ** 11))), draw(DATES)),),
        close_date=draw(DATES))


@PROPERTY
@given(deal=ej_deals())
def test_payouts_never_negative(deal):
    quote = quoter_for("ejourney.charter").quote(deal)
    assert len(quote.years) == deal.years
    for year in quote.years:
        for p in year.payouts:
            assert p.amount >= 0, p
            assert p.amount == p.amount.quantize(D(1)), p    # whole rupiah


@PROPERTY
@given(deal=ej_deals(routes=VAD_ROUTES))
def test_vad_margin_never_steps_down(deal):
    quote = quoter_for("ejourney.charter").quote(deal)
    margins = [y.amount("VAD", "wholesale_margin") for y in quote.years]
    assert margins[0] > 0
    assert all(m >= margins[0] for m in margins), margins


@PROPERTY
@given(deal=ej_deals(routes=((Step("Referral"),),)))
def test_referral_forward_threshold_property(deal):
    """Year 1 = 10% or 15% by the (possibly reset) cumulative; nothing after (one-time)."""
    quote = quoter_for("ejourney.charter").quote(deal)
    stated = deal.cumulative[0]
    resets = stated.as_of is not None and deal.close_date is not None \
        and stated.as_of.year != deal.close_date.year
    before = D(0) if resets else stated.amount
    rate = D("0.15") if before >= 3_000_000_000 else D("0.10")
    software = quote.years[0].software
    assert quote.years[0].amount("Referral", "commission") == \
        (software * rate).quantize(D(1), ROUND_HALF_UP)
    assert all(y.payouts == () for y in quote.years[1:])
    assert bool(quote.notes) is resets


@PROPERTY
@given(deal=ej_deals())
def test_year_totals_are_consistent(deal):
    """Each year's totals follow from its payouts (the accounting the engine documents)."""
    program = bundled("ejourney.charter")
    quote = quoter_for("ejourney.charter").quote(deal)
    closer = deal.route[-1].channel if deal.route else None
    collects = closer == "VAD"
    mdf_counts = program.economics.mdf_counts_against_margin
    unit = quote.unit_list_price * 12 * deal.seats                     # per user per month
    for year in quote.years:
        services = deal.services_per_year + (deal.services_one_time if year.year == 1 else 0)
        assert year.software_list == year.software == unit
        assert year.services == services
        assert year.customer_pays == year.software + year.services
        partner_keeps = sum((p.amount for p in year.payouts if collects and p.party == closer
                             and p.kind in ("wholesale_margin", "split")), D(0))
        vendor_software = year.software - partner_keeps
        services_to_vendor = services if quote.services_to == "vendor" else 0
        assert year.vendor_receives == vendor_software + services_to_vendor
        assert year.wholesale_price == (vendor_software if collects else None)
        assert year.vendor_cogs == (year.software * program.economics.cogs).quantize(
            D(1), ROUND_HALF_UP)
        vendor_paid = sum((p.amount for p in year.payouts
                           if not (collects and p.party == closer
                                   and p.kind in ("wholesale_margin", "split"))
                           and (p.kind != "mdf" or mdf_counts)), D(0))
        assert year.vendor_net == vendor_software - year.vendor_cogs - vendor_paid
        assert year.vendor_net_margin == (year.vendor_net / year.software).quantize(
            D("0.000001"), ROUND_HALF_EVEN)
        route_paid = sum((p.amount for p in year.payouts if p.kind not in ("mdf", "influence")),
                         D(0))
        assert year.combined_rate == (route_paid / year.software).quantize(
            D("0.000001"), ROUND_HALF_EVEN)
    assert quote.services_to == ("partner" if collects else "vendor")
    assert quote.decision == ("walk" if quote.reasons else "accept")


SPLIT_ROUTES = (
    ((Step("CoSell"),), "co_sell_70_30"),
    ((Step("CoSell"),), "co_sell_60_40"),
    ((Step("CoSell"),), "existing_relationship"),
    ((Step("Reseller", "Gold"),), "existing_relationship"),
    ((Step("Reseller", "Registered"),), "existing_relationship"),
    ((Step("Referral"),), "existing_relationship"),
)


@PROPERTY
@given(seats=st.integers(1, 100_000), years=st.integers(1, 5),
       route_split=st.sampled_from(SPLIT_ROUTES), services=st.integers(0, 10 ** 7))
def test_split_credit_adds_up(seats, years, route_split, services):
    route, split = route_split
    quoter = quoter_for("saas-reseller.charter")
    deal = DealRequest("Platform", seats, years=years, route=route, split=split,
                       services_one_time=D(services))
    split_quote, plain = quoter.quote(deal), quoter.quote(deal._replace(split=None))
    closer = route[-1].channel
    declared = next(s for s in bundled("saas-reseller.charter").attribution.splits
                    if s.name == split)
    for sq, pq in zip(split_quote.years, plain.years):
        # CoSell earns nothing of its own, so its split divides the revenue; a reseller's split
        # divides its margin, a referral partner's its commission
        pool = pq.software if closer == "CoSell" else \
            pq.amount(closer, "wholesale_margin", "commission")
        assert sum((c.amount for c in sq.credit), D(0)) == pool
        assert [(c.party, c.share) for c in sq.credit] == \
            [(closer if n == "partner" else n, s) for n, s, _ in declared.shares]
        for c in sq.credit:
            assert abs(c.amount - pool * c.share) < D("0.01")
            if c.party in ("direct", "vendor"):
                assert sq.amount(c.party, "split", "wholesale_margin", "commission") == 0
            elif c.party == closer:   # the partner of record keeps its own kind, at its share
                assert sq.amount(c.party, "wholesale_margin", "commission") == c.amount
                assert sq.amount(c.party, "split") == 0
            else:                     # another party on the route is paid a split line
                assert sq.amount(c.party, "split") == c.amount


@functools.lru_cache(maxsize=None)
def thirds_program():
    # $0.07 a seat, 10% commission: the pool is a few cents and the thirds do not divide it
    return compiled("""
program thirds {
    title: "Thirds"
    status: draft
    currency: USD
}
product Seat {
    layer: software
    list_price: $0.07 per seat per year
}
channel Referral {
    model: referral
    owner: vendor
    commission: 10%
}
attribution {
    default: single
    split thirds {
        direct: 33,33%
        partner: 33,33%
        vendor: 33,34%
    }
}
""")


def test_split_thirds_worked_example():
    # 10 seats: software $0.70, commission pool $0.07; exact parts 0.023331, 0.023331, 0.023338
    # → floors 0.02, 0.02, 0.02; 1 cent left goes to the largest remainder: vendor (0.003338)
    year = Quoter(thirds_program()).quote(
        DealRequest("Seat", 10, route=(Step("Referral"),), split="thirds")).years[0]
    assert [(c.party, c.amount) for c in year.credit] == \
        [("direct", D("0.02")), ("Referral", D("0.02")), ("vendor", D("0.03"))]
    assert [(p.party, p.kind, p.amount, p.amount_is) for p in year.payouts] == \
        [("Referral", "commission", D("0.02"), "allocated")]


@PROPERTY
@given(seats=st.integers(1, 100_000))
def test_split_thirds_adds_up(seats):
    year = Quoter(thirds_program()).quote(
        DealRequest("Seat", seats, route=(Step("Referral"),), split="thirds")).years[0]
    pool = (year.software * D("0.10")).quantize(D("0.01"), ROUND_HALF_UP)
    assert sum((c.amount for c in year.credit), D(0)) == pool
    assert year.amount("Referral", "commission") == year.credit[1].amount
    for c in year.credit:
        assert abs(c.amount - pool * c.share) < D("0.01")


@functools.lru_cache(maxsize=None)
def one_time_split_program():
    return compiled("""
program once {
    title: "One-time split"
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
    commission: 10%
    payment: one_time
}
attribution {
    default: single
    split existing {
        direct: 60%
        partner: 40%
    }
}
""")


def test_one_time_commission_without_split_stops_after_year_one():
    quote = Quoter(one_time_split_program()).quote(
        DealRequest("Seat", 1000, years=3, route=(Step("Referral"),)))
    assert [y.amount("Referral", "commission") for y in quote.years] == \
        [D("100.00"), D(0), D(0)]                                    # 10% × 1,000, then nothing


def test_split_of_one_time_commission_pays_nothing_after_year_one():
    quote = Quoter(one_time_split_program()).quote(
        DealRequest("Seat", 1000, years=3, route=(Step("Referral"),), split="existing"))
    y1 = quote.years[0]
    # year 1: the pool is the $100 commission; 60% direct (not paid out), 40% to the partner
    assert [(c.party, c.amount) for c in y1.credit] == \
        [("direct", D("60.00")), ("Referral", D("40.00"))]
    assert y1.amount("Referral", "commission") == D("40.00")
    # years 2 and 3: a one-time commission owes nothing, split or not
    assert [y.amount("Referral", "split", "commission") for y in quote.years[1:]] == [0, 0]
    assert [y.combined_rate for y in quote.years[1:]] == [0, 0]


LADDER_AMOUNTS = st.integers(0, 10 ** 8).map(lambda c: D(c).scaleb(-2))   # up to $1M, cents


@PROPERTY
@given(cumulative=LADDER_AMOUNTS, first=LADDER_AMOUNTS, second=LADDER_AMOUNTS)
def test_threshold_semantics_properties(cumulative, first, second):
    ladders = {s: Ladder.of(ladder_program(s).channel("Referral").thresholds)
               for s in ("forward", "marginal", "retroactive")}
    # marginal is additive: two deals back to back earn what one deal of their sum earns
    marginal = ladders["marginal"]
    assert earn(marginal, first + second, cumulative).amount == \
        earn(marginal, first, cumulative).amount + earn(marginal, second, cumulative + first).amount
    # retroactive: after the deal the whole period's volume has been paid at one rate
    retro = ladders["retroactive"]
    old, done = retro.rate_at(cumulative), earn(retro, first, cumulative)
    assert old * cumulative + done.amount + done.true_up == done.rate * (cumulative + first)
    # forward: the rate set by volume before the deal, never by the deal itself
    forward = earn(ladders["forward"], first, cumulative)
    assert forward.amount == ladders["forward"].rate_at(cumulative) * first
    # each lies between the lowest and the highest rate
    for name in ladders:
        earned = earn(ladders[name], first, cumulative)
        assert D("0.1") * first <= earned.amount <= D("0.2") * first


# ---- 5. no float anywhere -----------------------------------------------------------------

ECONOMICS = Path(charter.economics.__file__).parent


def test_no_float_in_economics_source():
    modules = sorted(ECONOMICS.glob("*.py"))
    assert {"engine.py", "plan.py", "thresholds.py", "money.py", "request.py"} <= \
        {m.name for m in modules}
    found = []
    for module in modules:
        tree = ast.parse(module.read_text(encoding="utf-8"), str(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, (float, complex)):
                found.append(f"{module.name}:{node.lineno}: literal {node.value!r}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "float":
                found.append(f"{module.name}:{node.lineno}: float(...)")
    assert found == []


def batch_of_quotes() -> list[Quote]:
    ej = quoter_for("ejourney.charter")
    quotes = [ej.quote(DealRequest(product, seats, years=3, route=route,
                                   services_one_time=D(350_000_000),
                                   services_per_year=D(12_345),
                                   cumulative=(Cumulative("Referral", D(3_100_000_000),
                                                          date(2026, 2, 1)),),
                                   close_date=date(2026, 5, 1)))
              for product, seats in (("Growth", 1000), ("Essentials", 7))
              for route in EJ_ROUTES]
    quotes.append(ej.quote(DealRequest("Enterprise", 3, route=(Step("VAD", "Standard"),),
                                       unit_price=D(149_999), price_approved=True,
                                       certified=False)))
    sr = quoter_for("saas-reseller.charter")
    quotes += [sr.quote(DealRequest("Platform", 33, years=2, route=route, split=split))
               for route, split in SPLIT_ROUTES]
    quotes += [sr.quote(DealRequest("Platform", 9, route=(Step("OEM", rate=D("0.45")),))),
               sr.quote(DealRequest("Platform", 9, route=(Step("Reseller", "Silver"),),
                                    registered=False))]
    for semantics in ("forward", "marginal", "retroactive"):
        quotes.append(referral_quote(semantics, "99999.99", 1001, years=2))
    return quotes


def leaves(value, path: str = "quote"):
    """Every (path, leaf) of a quote: NamedTuples, tuples and dataclasses are walked."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        notes = getattr(type(value), "__annotations__", {})
        for name in value._fields:
            item = getattr(value, name)
            if "Decimal" in str(notes.get(name, "")) and not isinstance(item, (tuple, list)):
                assert item is None or type(item) is Decimal, (f"{path}.{name}", item)
            yield from leaves(item, f"{path}.{name}")
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}[{i}]")
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from leaves(getattr(value, field.name), f"{path}.{field.name}")
    else:
        yield path, value


def test_quotes_hold_no_float_under_float_trap():
    with decimal.localcontext() as ctx:
        ctx.traps[decimal.FloatOperation] = True
        quotes = batch_of_quotes()
        assert not ctx.flags[decimal.FloatOperation]
    assert len(quotes) > 20
    kinds = set()
    for quote in quotes:
        for path, leaf in leaves(quote):
            assert not isinstance(leaf, float), path
            assert isinstance(leaf, (Decimal, int, str, date, type(None))), (path, type(leaf))
            kinds.add(type(leaf))
    assert Decimal in kinds


def test_float_is_never_called(monkeypatch):
    calls = []

    def tripwire(*args, **kwargs):
        calls.append(args)
        raise AssertionError("float() called")
    program = bundled("ejourney.charter")
    with monkeypatch.context() as patch:
        patch.setattr(builtins, "float", tripwire)
        quoter = Quoter(program)                        # fresh: plans are built under the patch
        results = [quoter.quote(DealRequest("Growth", 1000, years=3, route=route,
                                            services_one_time=D(1), services_per_year=D(2),
                                            cumulative=(Cumulative("Referral", D(5)),)))
                   for route in EJ_ROUTES]
        parsed = read_request({"product": "Essentials", "seats": 3, "years": 2,
                               "route": [{"channel": "Referral"},
                                         {"channel": "VAD", "tier": "Accelerator"}],
                               "services": {"one_time": "1000", "per_year": 50},
                               "cumulative": {"Referral": {"amount": "7",
                                                           "as_of": "2026-01-01"}},
                               "close_date": "2026-02-01", "unit_price": "250000"}, program)
        results.append(quoter.quote(parsed))
        results += batch_of_quotes()
    assert calls == []
    assert len(results) > len(EJ_ROUTES)
    assert results[len(EJ_ROUTES)].decision == "accept"


# ---- attribution extras: influenced credit, unregistered deals, ranged discounts -------------

ATTRIBUTION_PROGRAM = '''program t {
    title: "T"
    currency: USD
    status: draft
}
product Seat {
    layer: software
    list_price: $1 per seat per year
}
channel Reseller {
    model: wholesale
    owner: partner
    tier Gold { margin: 30% }
}
channel Advisor {
    model: referral
    owner: vendor
    commission: 10%
}
channel OEM {
    model: oem
    owner: partner
    discount: 40% .. 60%
}
attribution {
    default: single
    influenced_rate: 2%
    unregistered_rate: 10%
}
'''


def test_influenced_credit_is_paid_in_year_one_only():
    program = compiled(ATTRIBUTION_PROGRAM)
    quote = Quoter(program).quote(DealRequest("Seat", 1000, years=2, route=(Step("Reseller", "Gold"),),
                                              influenced=("Advisor",)))
    y1, y2 = quote.years
    assert y1.amount("Advisor", "influence") == D("20.00")            # 2% of $1,000
    assert y2.amount("Advisor", "influence") == D(0)
    assert y1.vendor_net == D("680.00")                               # 1,000 − 300 − 20
    assert y1.combined_rate == D("0.300000")                          # influence is not route pay


def test_unregistered_deal_earns_the_flat_rate():
    program = compiled(ATTRIBUTION_PROGRAM)
    quote = Quoter(program).quote(DealRequest("Seat", 1000, route=(Step("Reseller", "Gold"),),
                                              registered=False))
    assert quote.years[0].amount("Reseller", "wholesale_margin") == D("100.00")   # 10%, not 30%


def test_ranged_discount_takes_the_deals_rate():
    program = compiled(ATTRIBUTION_PROGRAM)
    quote = Quoter(program).quote(DealRequest("Seat", 1000, route=(Step("OEM", rate=D("0.45")),)))
    assert quote.years[0].wholesale_price == D("550.00")
