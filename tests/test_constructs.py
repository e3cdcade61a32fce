"""Parser/lowering tests, one section per construct of the charter language.

Each section compiles a realistic snippet (eJourney numbers from its Partner & Channel page
where natural) and asserts that it compiles without diagnostics and lowers to the exact typed
values of `charter.model`: Decimals compared with `Decimal('...')` (never floats), amounts as
`MoneyValue(amount, currency)`, durations as `Duration(amount, unit, business)`, rates as
`Rate(money, unit, period)`, conditions as `Criteria`/`Metric` trees, and source spans. Each
section also has at least one negative test: a typical mistake and the code it must produce.

Sections follow `charter.lower`: program header, product, channel, tier, service, thresholds +
bracket, support, white_label, attribution + split, handover, economics, mitigation,
registration, clawback + rule, spiff, scoring + dimension + band, process + step, enablement +
item, ship_gate + condition, example + expect; then literals (including hypothesis
properties) and `extends:` (merging, abstract bases, CH-E201/E202/E203).

Tests marked `xfail(strict=True)` document compiler bugs found while writing these tests; they
start passing (and so fail the run) once the bug is fixed, so the marker must then be removed.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter import model as m
from charter.api import compile_file
from charter.diagnostics import Diagnostic, Severity
from charter.literals import LiteralError, MoneyValue, parse_date, parse_money, parse_number, \
    parse_percent
from charter.values import Criteria, Duration, Metric, Rate

CompileSrc = Callable[[str], "tuple[m.Program | None, list[Diagnostic]]"]


# ---- helpers -----------------------------------------------------------------------------------

def show(diagnostics: list[Diagnostic]) -> str:
    """One line per diagnostic, for assertion messages."""
    return "\n".join(f"{d.code} {d.span.line if d.span else '-'}: {d.message} {d.help}"
                     for d in diagnostics)


def compile_clean(compile_src: CompileSrc, source: str) -> m.Program:
    """Compile ``source`` and require no diagnostics (policy findings are tested elsewhere:
    these snippets are deliberately partial programs)."""
    program, diagnostics = compile_src(source)
    diagnostics = [d for d in diagnostics if not d.code.startswith("CH-P")]
    assert diagnostics == [], show(diagnostics)
    assert program is not None
    return program


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    """The codes of ``diagnostics``, in source order."""
    return [d.code for d in diagnostics]


def the(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    """The single diagnostic with ``code``."""
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, f"expected exactly one {code}, got:\n{show(diagnostics)}"
    return found[0]


def line_of(source: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle`` in ``source``."""
    index = source.index(needle)
    return source.count("\n", 0, index) + 1


def column_of(source: str, needle: str) -> int:
    """1-based column of the first occurrence of ``needle`` in ``source``."""
    index = source.index(needle)
    return index - (source.rfind("\n", 0, index) + 1) + 1


def idr(amount: str) -> MoneyValue:
    """An exact rupiah amount."""
    return MoneyValue(Decimal(amount), "IDR")


def usd(amount: str) -> MoneyValue:
    """An exact dollar amount."""
    return MoneyValue(Decimal(amount), "USD")


def dur(amount: str, unit: str, business: bool = False) -> Duration:
    """A duration with an exact amount."""
    return Duration(Decimal(amount), unit, business)


def usd_header(name: str = "t") -> str:
    """A minimal program header in USD (like the SaaS channel framework's program)."""
    return f'program {name} {{\n    title: "T"\n    currency: USD\n    status: draft\n}}\n'


GROWTH = """
product Growth {
    layer: software
    list_price: Rp 200K per user per month
}
"""

REFERRAL = """
channel Referral {
    model: referral
    owner: vendor
}
"""

VAD = """
channel VAD {
    model: wholesale
    owner: partner
    tier Standard { margin: 20% }
    tier Accelerator { margin: 25% }
    tier Elite { margin: 35%; mdf: 3% }
}
"""

EJOURNEY = GROWTH + REFERRAL + VAD  # what examples, handovers and mitigations refer to


# ---- program header ----------------------------------------------------------------------------

EJOURNEY_HEADER = '''program ejourney {
    """Two channel models, simple economics, partner keeps margin forever."""
    title: "eJourney Partner & Channel"
    version: "1.0.0"
    effective: 2026-01-01
    currency: IDR
    locales: id_ID, en_US
    status: locked
    rounding: half_up
    minor_units: 0
}
'''


def test_header_lowers_every_field(compile_src: CompileSrc) -> None:
    program = compile_clean(compile_src, EJOURNEY_HEADER)
    h = program.header
    assert h.id == "ejourney"
    assert h.title == "eJourney Partner & Channel"
    assert h.version == "1.0.0"
    assert h.effective == dt.date(2026, 1, 1)
    assert h.currency == "IDR"
    assert h.locales == ("id_ID", "en_US")
    assert h.status == "locked"
    assert h.rounding == "half_up"
    assert h.minor_units == 0
    assert h.abstract is False
    assert h.doc == "Two channel models, simple economics, partner keeps margin forever."
    assert (h.span.line, h.span.end_line) == (1, 11)


def test_header_defaults(compile_src: CompileSrc, header: str) -> None:
    h = compile_clean(compile_src, header).header
    assert (h.id, h.title, h.version, h.effective, h.locales) == ("t", "T", "", None, ())
    assert (h.status, h.rounding, h.abstract) == ("draft", "half_up", False)


@pytest.mark.parametrize(("currency", "minor_units"), [("IDR", 0), ("JPY", 0), ("USD", 2),
                                                       ("EUR", 2)])
def test_header_minor_units_follow_currency(compile_src: CompileSrc, currency: str,
                                            minor_units: int) -> None:
    source = f'program t {{\n    title: "T"\n    currency: {currency}\n    status: draft\n}}\n'
    assert compile_clean(compile_src, source).header.minor_units == minor_units


def test_abstract_header_needs_no_currency_or_status(compile_src: CompileSrc) -> None:
    source = 'program base {\n    title: "Base"\n    abstract: yes\n}\n'
    h = compile_clean(compile_src, source).header
    assert (h.abstract, h.currency, h.status) == (True, "", "draft")


def test_header_invalid_status_is_e108(compile_src: CompileSrc) -> None:
    source = 'program t {\n    title: "T"\n    currency: IDR\n    status: final\n}\n'
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E108")
    assert codes(diagnostics) == ["CH-E108"]
    assert (d.span.line, d.span.column) == (4, column_of(source, "final"))
    assert "`draft`" in d.help[0] and "`locked`" in d.help[0]


def test_header_missing_currency_is_e103(compile_src: CompileSrc) -> None:
    _, diagnostics = compile_src('program t {\n    title: "T"\n    status: draft\n}\n')
    d = the(diagnostics, "CH-E103")
    assert "currency" in d.message
    assert d.help == ("add `currency: IDR`",)


def test_header_invalid_date_is_e007(compile_src: CompileSrc) -> None:
    source = 'program t {\n    title: "T"\n    currency: IDR\n    effective: 2026-02-30\n}\n'
    _, diagnostics = compile_src(source)
    assert "CH-E007" in codes(diagnostics)


def test_file_without_program_block_is_e204(compile_src: CompileSrc) -> None:
    program, diagnostics = compile_src(GROWTH)
    assert program is None
    assert codes(diagnostics) == ["CH-E204"]


# ---- product -----------------------------------------------------------------------------------

def test_product_software_list_price_is_a_rate(compile_src: CompileSrc, header: str) -> None:
    source = header + '''
product Growth {
    """🌳 Growth — customer list price per user per month."""
    layer: software
    list_price: Rp 200K per user per month
    msrp_floor: list_price
    delivered_by: vendor
    priced_by: vendor
    includes: "CanPlus LMS license", "All 3 pillars"
}
'''
    program = compile_clean(compile_src, source)
    growth = program.product("Growth")
    assert growth is not None
    assert growth.layer == "software"
    assert growth.list_price == Rate(idr("200000"), "user", "month")
    assert growth.msrp_floor == "list_price"
    assert (growth.delivered_by, growth.priced_by) == ("vendor", "vendor")
    assert growth.includes == ("CanPlus LMS license", "All 3 pillars")
    assert growth.subcontract_price is None
    assert growth.doc == "🌳 Growth — customer list price per user per month."
    assert growth.span.line == line_of(source, "product Growth")


def test_product_msrp_floor_can_be_a_rate(compile_src: CompileSrc, header: str) -> None:
    source = header + """
product Essentials {
    layer: software
    list_price: Rp 250K per user per month
    msrp_floor: Rp 187,5K per user per month
}
"""
    essentials = compile_clean(compile_src, source).product("Essentials")
    assert essentials.list_price == Rate(idr("250000"), "user", "month")
    assert essentials.msrp_floor == Rate(idr("187500"), "user", "month")


def test_product_services_layer_with_subcontract_range(compile_src: CompileSrc,
                                                       header: str) -> None:
    source = header + """
product ModulKustom {
    layer: services
    delivered_by: partner
    priced_by: partner
    subcontract_price: Rp 25 juta per modul .. Rp 30 juta per modul
    typical_price: "typically 20–40% of software value"
}
"""
    modul = compile_clean(compile_src, source).product("ModulKustom")
    assert modul.layer == "services"
    assert modul.list_price is None
    assert (modul.delivered_by, modul.priced_by) == ("partner", "partner")
    assert modul.subcontract_price == (Rate(idr("25000000"), "modul", None),
                                       Rate(idr("30000000"), "modul", None))
    assert modul.typical_price == "typically 20–40% of software value"


def test_product_bare_amount_and_period_only_rates(compile_src: CompileSrc, header: str) -> None:
    source = header + """
product Flat {
    layer: software
    list_price: Rp 5 Miliar per year
}
product Once {
    layer: software
    list_price: Rp 2,4 Miliar
}
"""
    program = compile_clean(compile_src, source)
    assert program.product("Flat").list_price == Rate(idr("5000000000"), None, "year")
    assert program.product("Once").list_price == Rate(idr("2400000000"), None, None)


def test_software_product_without_list_price_is_e103(compile_src: CompileSrc,
                                                     header: str) -> None:
    source = header + "product Growth {\n    layer: software\n}\n"
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E103")
    assert codes(diagnostics) == ["CH-E103"]
    assert "list_price" in d.message
    assert d.help == ("add `list_price: Rp 200K per user per month`",)
    assert d.span.line == line_of(source, "product Growth")


def test_product_invalid_layer_is_e108(compile_src: CompileSrc, header: str) -> None:
    source = header + "product Growth {\n    layer: hardware\n    list_price: Rp 200K\n}\n"
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E108")
    assert d.span.line == line_of(source, "hardware")
    assert "`software`" in d.help[0]


def test_product_price_in_foreign_currency_is_e107(compile_src: CompileSrc, header: str) -> None:
    source = header + "product Growth {\n    layer: software\n" \
                      "    list_price: $200 per user per month\n}\n"
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E107"]
    assert the(diagnostics, "CH-E107").help == ("write the amount in IDR",)


def test_rate_with_two_periods_is_e106(compile_src: CompileSrc, header: str) -> None:
    source = header + "product Growth {\n    layer: software\n" \
                      "    list_price: Rp 200K per month per year\n}\n"
    _, diagnostics = compile_src(source)
    assert "CH-E106" in codes(diagnostics)


# ---- channel -----------------------------------------------------------------------------------

def test_referral_channel_attributes(compile_src: CompileSrc, header: str) -> None:
    source = header + '''
channel Referral {
    """Anyone who introduces a qualified lead."""
    model: referral
    owner: vendor
    commission_base: software
    payment: one_time
    commission: 10%
    commission_y2: 0%
    commission_years: 1
    barrier: low
    best_for: "Agencies, consultants, complementary vendors, board introductions"
    effort: "Low — make the intro, register the lead, step back"
    eligibility: "Sign light agreement, register first lead"
    lead_protection: 60 days
    lead_protection_extension: 30 days
}
'''
    referral = compile_clean(compile_src, source).channel("Referral")
    assert referral is not None
    assert (referral.model, referral.owner) == ("referral", "vendor")
    assert (referral.commission_base, referral.payment) == ("software", "one_time")
    assert referral.commission == Decimal("0.10")
    assert referral.commission_y2 == Decimal("0")
    assert referral.commission_years == 1
    assert referral.barrier == "low"
    assert referral.best_for == "Agencies, consultants, complementary vendors, board introductions"
    assert referral.effort == "Low — make the intro, register the lead, step back"
    assert referral.eligibility == "Sign light agreement, register first lead"
    assert referral.lead_protection == dur("60", "day")
    assert referral.lead_protection_extension == dur("30", "day")
    assert referral.tiers == ()
    assert (referral.thresholds, referral.support, referral.white_label) == (None, None, None)
    assert referral.internal is False
    assert referral.doc == "Anyone who introduces a qualified lead."
    assert referral.span.line == line_of(source, "channel Referral")
    assert referral.spans["lead_protection"].line == line_of(source, "lead_protection:")


def test_wholesale_channel_certification_and_discount(compile_src: CompileSrc) -> None:
    source = usd_header() + """
channel OEM {
    model: oem
    owner: partner
    discount: 40% .. 60%
    certification: sales, technical, services
    certification_renewal: 1 year
}
"""
    oem = compile_clean(compile_src, source).channel("OEM")
    assert oem.discount == (Decimal("0.40"), Decimal("0.60"))
    assert oem.certification == ("sales", "technical", "services")
    assert oem.certification_renewal == dur("1", "year")
    # defaults when not stated
    assert (oem.commission_base, oem.payment) == ("software", "recurring")
    assert oem.commission is None and oem.barrier is None


def test_internal_channel(compile_src: CompileSrc, header: str) -> None:
    source = header + """
internal channel CommissionBenchmark {
    model: referral
    owner: vendor
    commission: 35%
    commission_y2: 15%
}
"""
    bench = compile_clean(compile_src, source).channel("CommissionBenchmark")
    assert bench.internal is True
    assert (bench.commission, bench.commission_y2) == (Decimal("0.35"), Decimal("0.15"))


def test_channel_invalid_model_is_e108_with_suggestion(compile_src: CompileSrc,
                                                        header: str) -> None:
    source = header + "channel VAD {\n    model: wholesaler\n    owner: partner\n" \
                      "    tier Elite { margin: 35% }\n}\n"
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E108")
    assert codes(diagnostics) == ["CH-E108"]
    assert d.help == ("did you mean `wholesale`?",)
    assert (d.span.line, d.span.column) == (line_of(source, "wholesaler"),
                                            column_of(source, "wholesaler"))


def test_channel_misspelt_attribute_is_e102(compile_src: CompileSrc, header: str) -> None:
    source = header + "channel Referral {\n    model: referral\n    owner: vendor\n" \
                      "    lead_protect: 60 days\n}\n"
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E102")
    assert d.help == ("did you mean `lead_protection`?",)
    assert d.span.line == line_of(source, "lead_protect:")


def test_wholesale_channel_without_tiers_is_e103(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + "channel VAD {\n    model: wholesale\n"
                                          "    owner: partner\n}\n")
    assert codes(diagnostics) == ["CH-E103"]
    assert "has no tiers" in diagnostics[0].message


def test_duplicate_channel_is_e105(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + REFERRAL + REFERRAL)
    assert codes(diagnostics) == ["CH-E105"]


# ---- tier --------------------------------------------------------------------------------------

VAD_LADDER = '''
channel VAD {
    model: wholesale
    owner: partner
    tier Standard {
        """VAD Standard — Authorized · open program."""
        label: "Authorized · open program"
        quota: none
        margin: 20%
        margin_y2: 20%
        mdf: 2%
        mdf_claim: "Claimable for partner co-marketing"
        tier_up: revenue >= Rp 5 Miliar per year -> Accelerator
        review: annual
    }
    tier Accelerator {
        label: "Silver · commit volume"
        quota: Rp 5 Miliar per year
        qualify: revenue >= Rp 5 Miliar per year
        margin: 25%
        margin_y2: 25%
        mdf: 3%
        tier_up: revenue >= Rp 15 Miliar per year -> Elite
        review: annual
        downgrade_to: Standard
    }
    tier Elite {
        label: "Platinum · anchor partner"
        quota: Rp 15 Miliar per year
        qualify: revenue >= Rp 15 Miliar per year
        margin: 35%
        margin_y2: 35%
        mdf: 3%
        review: annual
        downgrade_to: Accelerator
        options: exclusive_territory, exclusive_vertical
    }
}
'''


def test_vad_tier_ladder(compile_src: CompileSrc, header: str) -> None:
    source = header + VAD_LADDER
    vad = compile_clean(compile_src, source).channel("VAD")
    assert [t.name for t in vad.tiers] == ["Standard", "Accelerator", "Elite"]
    assert [t.rank for t in vad.tiers] == [1, 2, 3]
    assert [t.margin for t in vad.tiers] == [Decimal("0.20"), Decimal("0.25"), Decimal("0.35")]
    assert [t.margin_y2 for t in vad.tiers] == [Decimal("0.20"), Decimal("0.25"),
                                                Decimal("0.35")]
    assert [t.mdf for t in vad.tiers] == [Decimal("0.02"), Decimal("0.03"), Decimal("0.03")]
    assert [t.review for t in vad.tiers] == ["annual"] * 3

    standard, accelerator, elite = vad.tiers
    assert standard.label == "Authorized · open program"
    assert standard.doc == "VAD Standard — Authorized · open program."
    assert standard.quota is None  # `quota: none`
    assert standard.qualify is None
    assert standard.mdf_claim == "Claimable for partner co-marketing"
    assert accelerator.quota == Rate(idr("5000000000"), None, "year")
    assert elite.quota == Rate(idr("15000000000"), None, "year")
    assert (accelerator.downgrade_to, elite.downgrade_to) == ("Standard", "Accelerator")
    assert elite.options == ("exclusive_territory", "exclusive_vertical")
    assert elite.tier_up is None
    assert vad.tier("Elite") is elite and vad.tier("Platinum") is None
    assert standard.span.line == line_of(source, "tier Standard")
    assert elite.spans["margin"].line == line_of(source, "margin: 35%")


def test_tier_up_is_a_criterion_and_a_target(compile_src: CompileSrc, header: str) -> None:
    source = header + VAD_LADDER
    standard = compile_clean(compile_src, source).channel("VAD").tier("Standard")
    tier_up = standard.tier_up
    assert isinstance(tier_up, m.TierUp)
    assert tier_up.target == "Accelerator"
    metric = tier_up.criteria
    assert isinstance(metric, Metric)
    assert (metric.metric, metric.op) == ("revenue", ">=")
    assert metric.value == Rate(idr("5000000000"), None, "year")
    line = line_of(source, "-> Accelerator")
    assert (tier_up.target_span.line, tier_up.target_span.column) == (
        line, column_of(source, "Accelerator\n"))
    assert (metric.span.line, metric.span.column) == (line, column_of(source, "revenue >="))


def test_qualify_and_tree(compile_src: CompileSrc) -> None:
    source = usd_header() + """
channel Reseller {
    model: wholesale
    owner: partner
    tier Gold {
        revenue_band: $200K .. $500K
        qualify: revenue >= $200K per year and certified_people >= 2
        margin: 25%
        certified_people: 2
        benefits: "Priority queue"
        grace: 1 quarter
    }
    tier Platinum {
        rank: 4
        revenue_band: $500K ..
        margin: 30%
        mdf: $10K
    }
}
"""
    reseller = compile_clean(compile_src, source).channel("Reseller")
    gold, platinum = reseller.tiers
    assert gold.revenue_band == (usd("200000"), usd("500000"))
    assert platinum.revenue_band == (usd("500000"), None)
    assert isinstance(gold.qualify, Criteria)
    assert gold.qualify.op == "all"
    revenue, people = gold.qualify.items
    assert (revenue.metric, revenue.op, revenue.value) == (
        "revenue", ">=", Rate(usd("200000"), None, "year"))
    assert (people.metric, people.op, people.value) == ("certified_people", ">=", Decimal("2"))
    assert gold.certified_people == 2
    assert gold.benefits == ("Priority queue",)
    assert gold.grace == dur("1", "quarter")
    assert platinum.rank == 4
    assert platinum.mdf == usd("10000")


def test_criteria_or_of_and_tree_shape(compile_src: CompileSrc, header: str) -> None:
    source = header + """
channel VAD {
    model: wholesale
    owner: partner
    tier Elite {
        margin: 35%
        qualify: revenue >= Rp 15 Miliar per year and nps >= 8 or certified_people >= 5
    }
}
"""
    qualify = compile_clean(compile_src, source).channel("VAD").tier("Elite").qualify
    assert isinstance(qualify, Criteria) and qualify.op == "any"
    both, people = qualify.items
    assert isinstance(both, Criteria) and both.op == "all"
    assert [i.metric for i in both.items] == ["revenue", "nps"]
    assert both.items[1].value == Decimal("8")
    assert isinstance(people, Metric)
    assert (people.metric, people.op, people.value) == ("certified_people", ">=", Decimal("5"))


def test_tier_margin_as_money_is_e106(compile_src: CompileSrc, header: str) -> None:
    source = header + "channel VAD {\n    model: wholesale\n    owner: partner\n" \
                      "    tier Elite {\n        margin: Rp 5 juta\n    }\n}\n"
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E106")
    assert d.message == "expected a percentage, found an amount `Rp 5 juta`"
    assert (d.span.line, d.span.column) == (line_of(source, "Rp 5 juta"),
                                            column_of(source, "Rp 5 juta"))
    assert d.help == ("write a percentage, e.g. `25%`",)


def test_tier_margin_as_money_reports_only_e106(compile_src: CompileSrc, header: str) -> None:
    source = header + "channel VAD {\n    model: wholesale\n    owner: partner\n" \
                      "    tier Elite {\n        margin: Rp 5 juta\n    }\n}\n"
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E106"]


def test_tier_up_to_unknown_tier_is_e109(compile_src: CompileSrc, header: str) -> None:
    source = header + VAD_LADDER.replace("-> Accelerator", "-> Acelerator")
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E109")
    assert codes(diagnostics) == ["CH-E109"]
    assert d.message == "unknown tier `Acelerator` in channel VAD"
    assert d.help == ("did you mean `Accelerator`?",)
    assert (d.span.line, d.span.column) == (line_of(source, "Acelerator"),
                                            column_of(source, "Acelerator"))


def test_tier_up_without_target_is_e106(compile_src: CompileSrc, header: str) -> None:
    source = header + "channel VAD {\n    model: wholesale\n    owner: partner\n" \
                      "    tier Standard {\n        margin: 20%\n" \
                      "        tier_up: revenue >= Rp 5 Miliar per year\n    }\n}\n"
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E106"]
    assert "a criterion and a target tier" in diagnostics[0].message


def test_duplicate_tier_and_attribute(compile_src: CompileSrc, header: str) -> None:
    source = header + "channel VAD {\n    model: wholesale\n    owner: partner\n" \
                      "    tier Standard {\n        margin: 20%\n        margin: 25%\n    }\n" \
                      "    tier Standard { margin: 20% }\n}\n"
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E104", "CH-E105"]
    assert the(diagnostics, "CH-E104").span.line == line_of(source, "margin: 25%")


# ---- service -----------------------------------------------------------------------------------

SERVICE_LADDER = """
channel VAD {
    model: wholesale
    owner: partner
    tier Standard {
        margin: 20%
        service {
            response: 24 business hours
            checkin: monthly
            implementation: 2 months
            qbr: no
            onsite: no
        }
    }
    tier Accelerator {
        margin: 25%
        service {
            response: 8 business hours
            checkin: biweekly
            implementation: 1,5 months
            qbr: yes
            onsite: no
        }
    }
    tier Elite {
        margin: 35%
        service {
            response: 4 business hours
            checkin: weekly
            implementation: 1 bulan
            qbr: ya
            onsite: yes
        }
    }
}
"""


def test_service_levels(compile_src: CompileSrc, header: str) -> None:
    source = header + SERVICE_LADDER
    vad = compile_clean(compile_src, source).channel("VAD")
    standard, accelerator, elite = (t.service for t in vad.tiers)
    assert standard == m.ServiceLevel(dur("24", "hour", True), "monthly", dur("2", "month"),
                                      False, False, standard.span)
    assert accelerator.response == dur("8", "hour", business=True)
    assert accelerator.implementation == dur("1.5", "month")
    assert accelerator.checkin == "biweekly"
    assert (accelerator.qbr, accelerator.onsite) == (True, False)
    assert elite.implementation == dur("1", "month")  # `bulan` is Indonesian for month
    assert (elite.checkin, elite.qbr, elite.onsite) == ("weekly", True, True)
    assert standard.span.line == line_of(source, "service {")


def test_duration_text() -> None:
    assert str(dur("24", "hour", True)) == "24 business hours"
    assert str(dur("1", "month")) == "1 month"
    assert str(dur("1.5", "month")) == "1.5 months"


def test_service_response_without_unit_is_e106(compile_src: CompileSrc, header: str) -> None:
    source = header + "channel VAD {\n    model: wholesale\n    owner: partner\n" \
                      "    tier Standard {\n        margin: 20%\n" \
                      "        service {\n            response: 24\n        }\n    }\n}\n"
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E106")
    assert codes(diagnostics) == ["CH-E106"]
    assert d.message == "expected a duration, found a number `24`"
    assert d.span.line == line_of(source, "response: 24")


def test_service_invalid_checkin_is_e108(compile_src: CompileSrc, header: str) -> None:
    source = header + SERVICE_LADDER.replace("checkin: biweekly", "checkin: fortnightly")
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E108"]


def test_business_marker_goes_before_the_unit(compile_src: CompileSrc, header: str) -> None:
    """docs/language.md §1.7: `business`/`kerja` before the unit; nothing may follow the unit."""
    source = header + SERVICE_LADDER.replace("24 business hours", "24 kerja jam")
    program = compile_clean(compile_src, source)
    assert program.channel("VAD").tier("Standard").service.response == dur("24", "hour", True)
    _, diagnostics = compile_src(header + SERVICE_LADDER.replace("24 business hours",
                                                                 "3 hari kerja"))
    assert codes(diagnostics) == ["CH-E106"]


# ---- thresholds + bracket ----------------------------------------------------------------------

REFERRAL_THRESHOLDS = """
channel Referral {
    model: referral
    owner: vendor
    thresholds referred_revenue {
        basis: referred_software_revenue
        semantics: forward
        reset: calendar_year
        bracket: Rp 0 .. Rp 3 Miliar -> 10%
        bracket: Rp 3 Miliar .. -> 15%
        override: "Case-by-case negotiation for strategic partners"
    }
}
"""


def test_referral_thresholds_and_brackets(compile_src: CompileSrc, header: str) -> None:
    source = header + REFERRAL_THRESHOLDS
    thresholds = compile_clean(compile_src, source).channel("Referral").thresholds
    assert thresholds is not None
    assert thresholds.name == "referred_revenue"
    assert thresholds.basis == "referred_software_revenue"
    assert (thresholds.semantics, thresholds.reset) == ("forward", "calendar_year")
    assert thresholds.override == "Case-by-case negotiation for strategic partners"
    low, high = thresholds.brackets
    assert (low.low, low.high, low.rate) == (idr("0"), idr("3000000000"), Decimal("0.10"))
    assert (high.low, high.high, high.rate) == (idr("3000000000"), None, Decimal("0.15"))
    assert low.span.line == line_of(source, "bracket: Rp 0")
    assert high.span.line == line_of(source, "bracket: Rp 3 Miliar ..")
    assert thresholds.span.line == line_of(source, "thresholds referred_revenue")


def test_unnamed_thresholds_are_called_volume(compile_src: CompileSrc) -> None:
    source = usd_header() + """
channel TierBased {
    model: referral
    owner: shared
    thresholds {
        basis: deal_value
        semantics: retroactive
        reset: never
        bracket: $0 .. $50K -> 10%
        bracket: $50K .. -> 15%
    }
}
"""
    thresholds = compile_clean(compile_src, source).channel("TierBased").thresholds
    assert thresholds.name == "volume"
    assert (thresholds.semantics, thresholds.reset) == ("retroactive", "never")
    assert [b.low for b in thresholds.brackets] == [usd("0"), usd("50000")]


def test_thresholds_semantics_forwards_is_e108(compile_src: CompileSrc, header: str) -> None:
    source = header + REFERRAL_THRESHOLDS.replace("semantics: forward", "semantics: forwards")
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E108")
    assert codes(diagnostics) == ["CH-E108"]
    assert d.message == "`forwards` is not a valid semantics"
    assert any("forward" in h for h in d.help)
    assert (d.span.line, d.span.column) == (line_of(source, "forwards"),
                                            column_of(source, "forwards"))


def test_thresholds_without_bracket_is_e103(compile_src: CompileSrc, header: str) -> None:
    source = header + "\n".join(line for line in REFERRAL_THRESHOLDS.splitlines()
                                if "bracket:" not in line) + "\n"
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E103")
    assert codes(diagnostics) == ["CH-E103"]
    assert d.message == "thresholds `referred_revenue` is missing `bracket`"
    assert d.help == ("add `bracket: Rp 0 .. Rp 3 Miliar -> 10%`",)


def test_thresholds_have_no_defaults(compile_src: CompileSrc, header: str) -> None:
    source = header + REFERRAL_THRESHOLDS.replace("        semantics: forward\n", "")
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E103"]
    assert "semantics" in diagnostics[0].message


def test_bracket_without_rate_is_e106(compile_src: CompileSrc, header: str) -> None:
    source = header + REFERRAL_THRESHOLDS.replace("Rp 0 .. Rp 3 Miliar -> 10%",
                                                  "Rp 0 .. Rp 3 Miliar")
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E106"]
    assert "a bracket" in diagnostics[0].message


# ---- support -----------------------------------------------------------------------------------

def test_support_levels(compile_src: CompileSrc, header: str) -> None:
    source = header + """
channel Referral {
    model: referral
    owner: vendor
    support {
        L1: partner
        L2: vendor
        L3: vendor
    }
}
channel Reseller {
    model: referral
    owner: partner
    support { L1: partner }
}
"""
    program = compile_clean(compile_src, source)
    support = program.channel("Referral").support
    assert support.levels == (("L1", "partner"), ("L2", "vendor"), ("L3", "vendor"))
    assert support.span.line == line_of(source, "support {")
    assert program.channel("Reseller").support.levels == (("L1", "partner"),)


def test_support_invalid_party_is_e108(compile_src: CompileSrc, header: str) -> None:
    source = header + "channel R {\n    model: referral\n    owner: vendor\n" \
                      "    support {\n        L1: reseller\n        L4: vendor\n    }\n}\n"
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E108", "CH-E102"]
    assert the(diagnostics, "CH-E108").help == ("expected one of `partner`, `vendor`",)


# ---- white_label -------------------------------------------------------------------------------

def test_white_label(compile_src: CompileSrc, header: str) -> None:
    source = header + """
channel WhiteLabel {
    model: oem
    owner: partner
    white_label {
        branding: partner
        backend: vendor
        upgrades: vendor
    }
}
channel OEM {
    model: oem
    owner: partner
    white_label { branding: partner; backend: partner }
}
"""
    program = compile_clean(compile_src, source)
    white = program.channel("WhiteLabel").white_label
    assert (white.branding, white.backend, white.upgrades) == ("partner", "vendor", "vendor")
    assert white.span.line == line_of(source, "white_label {")
    oem = program.channel("OEM").white_label
    assert (oem.branding, oem.backend, oem.upgrades) == ("partner", "partner", "vendor")


def test_white_label_missing_branding_is_e103(compile_src: CompileSrc, header: str) -> None:
    source = header + "channel OEM {\n    model: oem\n    owner: partner\n" \
                      "    white_label {\n        backend: vendor\n    }\n}\n"
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E103"]
    assert diagnostics[0].help == ("add `branding: partner`",)


def test_white_label_invalid_branding_is_e108(compile_src: CompileSrc, header: str) -> None:
    source = header + "channel OEM {\n    model: oem\n    owner: partner\n" \
                      "    white_label {\n        branding: customer\n        backend: vendor\n" \
                      "    }\n}\n"
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E108"]


# ---- attribution + split -----------------------------------------------------------------------

ATTRIBUTION = """
channel CoSell {
    model: co_sell
    owner: shared
}
attribution {
    default: single
    conflict: first_to_register
    unregistered_rate: 10%
    influenced_rate: 5%
    no_double_dipping: yes
    split existing_relationship {
        direct: 60%
        partner: 40%
        when: "direct rep has existing relationship with the account"
    }
    split co_sell_70_30 {
        vendor: 70%
        CoSell: 30%
    }
}
"""


def test_attribution_and_splits(compile_src: CompileSrc, header: str) -> None:
    source = header + ATTRIBUTION
    attribution = compile_clean(compile_src, source).attribution
    assert attribution is not None
    assert (attribution.default, attribution.conflict) == ("single", "first_to_register")
    assert attribution.unregistered_rate == Decimal("0.10")
    assert attribution.influenced_rate == Decimal("0.05")
    assert attribution.no_double_dipping is True
    existing, co_sell = attribution.splits
    assert existing.name == "existing_relationship"
    assert [(party, share) for party, share, _ in existing.shares] == [
        ("direct", Decimal("0.60")), ("partner", Decimal("0.40"))]
    assert existing.when == "direct rep has existing relationship with the account"
    assert existing.shares[1][2].line == line_of(source, "partner: 40%")
    assert [(party, share) for party, share, _ in co_sell.shares] == [
        ("vendor", Decimal("0.70")), ("CoSell", Decimal("0.30"))]
    assert co_sell.when == ""
    assert attribution.span.line == line_of(source, "attribution {")


def test_attribution_defaults(compile_src: CompileSrc, header: str) -> None:
    attribution = compile_clean(compile_src, header + "attribution {\n    default: split\n}\n"
                                ).attribution
    assert (attribution.default, attribution.conflict) == ("split", "first_to_register")
    assert attribution.splits == () and attribution.no_double_dipping is False


def test_split_unknown_party_is_e109(compile_src: CompileSrc, header: str) -> None:
    source = header + ATTRIBUTION.replace("partner: 40%", "partnr: 40%")
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E109")
    assert codes(diagnostics) == ["CH-E109"]
    assert d.message == "unknown party `partnr` in split existing_relationship"
    assert d.help == ("did you mean `partner`?",)
    assert d.span.line == line_of(source, "partnr")


def test_split_share_without_percent_is_e106(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + ATTRIBUTION.replace("direct: 60%", "direct: 60"))
    assert codes(diagnostics) == ["CH-E106"]


def test_attribution_invalid_default_is_e108(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + ATTRIBUTION.replace("default: single",
                                                              "default: singel"))
    assert codes(diagnostics) == ["CH-E108"]
    assert diagnostics[0].help == ("did you mean `single`?",)


# ---- handover ----------------------------------------------------------------------------------

HANDOVER = '''
handover Referral -> VAD {
    """The referrer converts down to a 5% one-time finder fee."""
    introducer_rate: 5%
    introducer_payment: one_time
    allowed_tiers: Standard, Accelerator
    combined_cap: 30%
    cap_year: 1
}
'''


def test_handover(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + HANDOVER
    (handover,) = compile_clean(compile_src, source).handovers
    assert (handover.source, handover.target) == ("Referral", "VAD")
    assert handover.introducer_rate == Decimal("0.05")
    assert handover.introducer_payment == "one_time"
    assert handover.allowed_tiers == ("Standard", "Accelerator")
    assert handover.combined_cap == Decimal("0.30")
    assert handover.cap_year == 1
    assert handover.doc == "The referrer converts down to a 5% one-time finder fee."
    line = line_of(source, "handover Referral")
    assert handover.span.line == line
    assert (handover.spans["source"].line, handover.spans["source"].column) == (
        line, column_of(source, "Referral ->"))
    assert handover.spans["target"].column == column_of(source, "-> VAD {") + 3


def test_handover_without_arrow_is_e110(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + HANDOVER.replace("Referral -> VAD", "Referral VAD")
    program, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E110")
    assert codes(diagnostics) == ["CH-E110"]
    assert d.message == "a handover is written `handover Source -> Target {`"
    assert d.span.line == line_of(source, "handover Referral VAD")
    assert program.handovers == ()


def test_handover_unknown_allowed_tier_is_e109(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + HANDOVER.replace("Standard, Accelerator", "Standard, Platinum")
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E109")
    assert d.message == "unknown tier `Platinum` of channel VAD"
    assert d.span.line == line_of(source, "allowed_tiers")


def test_handover_missing_introducer_rate_is_e103(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + EJOURNEY +
                                 HANDOVER.replace("    introducer_rate: 5%\n", ""))
    assert codes(diagnostics) == ["CH-E103"]
    assert diagnostics[0].help == ("add `introducer_rate: 5%`",)


# ---- economics ---------------------------------------------------------------------------------

ECONOMICS = '''
internal economics {
    """Vendor economics behind the program."""
    cogs: 3%
    margin_floor: 60%
    mdf_counts_against_margin: no
    gm_target: 90%
    walk: "Vendor net margin below 60% after all partner payouts on the route"
    walk: "Combined Y1 handover payout above 30%"
}
'''


def test_economics(compile_src: CompileSrc, header: str) -> None:
    source = header + ECONOMICS
    economics = compile_clean(compile_src, source).economics
    assert economics is not None
    assert economics.cogs == Decimal("0.03")
    assert economics.margin_floor == Decimal("0.60")
    assert economics.mdf_counts_against_margin is False
    assert economics.gm_target == Decimal("0.90")
    assert economics.walk == ("Vendor net margin below 60% after all partner payouts on the route",
                              "Combined Y1 handover payout above 30%")
    assert economics.doc == "Vendor economics behind the program."
    assert economics.span.line == line_of(source, "internal economics")


def test_economics_counts_mdf_by_default(compile_src: CompileSrc, header: str) -> None:
    economics = compile_clean(compile_src, header + "economics {\n    cogs: 3%\n"
                                                    "    margin_floor: 60%\n}\n").economics
    assert economics.mdf_counts_against_margin is True
    assert economics.gm_target is None and economics.walk == ()


def test_economics_missing_cogs_is_e103(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + ECONOMICS.replace("    cogs: 3%\n", ""))
    assert codes(diagnostics) == ["CH-E103"]
    assert diagnostics[0].help == ("add `cogs: 3%`",)


def test_economics_cogs_without_percent_is_e106(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + ECONOMICS.replace("cogs: 3%", "cogs: 3"))
    assert codes(diagnostics) == ["CH-E106"]


# ---- mitigation --------------------------------------------------------------------------------

MITIGATIONS = """
mitigation certification_gate {
    title: "Partner certification gate"
    applies_to: VAD
    enforcement: gate
    gates: wholesale_access
    cadence: annual
}
mitigation nps_visibility {
    title: "Customer NPS visibility"
    applies_to: VAD
    enforcement: periodic_review
    cadence: quarterly
    trigger: nps < 7
    sustained: 2 quarters
    action: downgrade or exit
}
mitigation escalation_path {
    applies_to: VAD
    enforcement: escalation_path
    contact: "support@ejourney.id"
    trigger: required_certs_current < 100%
}
"""


def test_mitigations(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + MITIGATIONS
    gate, nps, escalation = compile_clean(compile_src, source).mitigations
    assert (gate.name, gate.title, gate.enforcement) == (
        "certification_gate", "Partner certification gate", "gate")
    assert (gate.applies_to, gate.gates, gate.cadence) == (("VAD",), "wholesale_access", "annual")
    assert gate.trigger is None and gate.action == ()
    assert (nps.enforcement, nps.cadence) == ("periodic_review", "quarterly")
    assert isinstance(nps.trigger, Metric)
    assert (nps.trigger.metric, nps.trigger.op, nps.trigger.value) == ("nps", "<", Decimal("7"))
    assert nps.sustained == dur("2", "quarter")
    assert nps.action == ("downgrade", "exit")
    assert nps.span.line == line_of(source, "mitigation nps_visibility")
    assert escalation.contact == "support@ejourney.id"
    assert escalation.trigger.value == Decimal("1")  # 100% as a fraction


def test_mitigation_invalid_enforcement_is_e108(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + EJOURNEY +
                                 MITIGATIONS.replace("enforcement: gate", "enforcement: audit"))
    d = the(diagnostics, "CH-E108")
    assert codes(diagnostics) == ["CH-E108"]
    assert "`periodic_review`" in d.help[0]


def test_mitigation_unknown_channel_is_e109(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + MITIGATIONS.replace("applies_to: VAD\n    enforcement: gate",
                                                     "applies_to: VDA\n    enforcement: gate")
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E109")
    assert d.message == "unknown channel `VDA` in mitigation certification_gate"
    assert d.help == ("did you mean `VAD`?",)


def test_mitigation_unknown_channel_span(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + MITIGATIONS.replace("applies_to: VAD\n    enforcement: gate",
                                                     "applies_to: VDA\n    enforcement: gate")
    _, diagnostics = compile_src(source)
    assert the(diagnostics, "CH-E109").span.line == line_of(source, "VDA")


# ---- registration ------------------------------------------------------------------------------

REGISTRATION = """
registration {
    window: 90 days
    extension: 30 days
    extension_condition: "with justification"
    approval_sla: 48 hours
    auto_approve: yes
    conflict: first_to_register
    unregistered_rate: 10%
    no_double_dipping: yes
}
"""


def test_registration(compile_src: CompileSrc, header: str) -> None:
    source = header + REGISTRATION
    registration = compile_clean(compile_src, source).registration
    assert registration == m.Registration(
        window=dur("90", "day"), extension=dur("30", "day"),
        extension_condition="with justification", approval_sla=dur("48", "hour"),
        auto_approve=True, conflict="first_to_register", unregistered_rate=Decimal("0.10"),
        no_double_dipping=True, span=registration.span,
        on_lapse="auto_approve")  # `auto_approve: yes` with an SLA: the older `on_lapse` spelling
    assert registration.span.line == line_of(source, "registration {")


def test_registration_window_without_unit_is_e106(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + REGISTRATION.replace("window: 90 days", "window: 90"))
    assert codes(diagnostics) == ["CH-E106"]
    assert diagnostics[0].help == ("write a duration, e.g. `60 days`",)


def test_registration_missing_window_is_e103(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + REGISTRATION.replace("    window: 90 days\n", ""))
    assert codes(diagnostics) == ["CH-E103"]
    assert diagnostics[0].help == ("add `window: 90 days`",)


# ---- clawback + rule ---------------------------------------------------------------------------

CLAWBACK = '''
clawback cancellation {
    """Customer cancels early."""
    event: "customer cancels within the first 90 days"
    rule: 0 days .. 30 days -> 100%
    rule: 30 days .. 90 days -> prorated
    rule: any_time -> 50%
}
'''


def test_clawback_rules(compile_src: CompileSrc, header: str) -> None:
    source = header + CLAWBACK
    (clawback,) = compile_clean(compile_src, source).clawbacks
    assert (clawback.name, clawback.event) == ("cancellation",
                                               "customer cancels within the first 90 days")
    assert clawback.doc == "Customer cancels early."
    first, second, third = clawback.rules
    assert (first.low, first.high, first.share) == (dur("0", "day"), dur("30", "day"),
                                                    Decimal("1"))
    assert (second.low, second.high, second.share) == (dur("30", "day"), dur("90", "day"),
                                                       "prorated")
    assert (third.low, third.high, third.share) == (None, None, Decimal("0.50"))
    assert second.span.line == line_of(source, "rule: 30 days")


def test_clawback_rule_without_share_is_e106(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + CLAWBACK.replace("0 days .. 30 days -> 100%",
                                                           "0 days .. 30 days"))
    assert codes(diagnostics) == ["CH-E106"]
    assert diagnostics[0].help == ("write a clawback rule, e.g. `0 days .. 30 days -> 100%`",)


def test_clawback_window_without_units_is_e106(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + CLAWBACK.replace("0 days .. 30 days -> 100%",
                                                           "0 .. 30 -> 100%"))
    assert codes(diagnostics) == ["CH-E106", "CH-E106"]


# ---- spiff -------------------------------------------------------------------------------------

SPIFFS = """
spiff activation {
    trigger: "first deal closed"
    reward: Rp 5 juta
    duration: 3 months
}
spiff double_commission {
    trigger: "first Elite deal"
    reward: 2 x commission
}
spiff ramp {
    trigger: "new partner"
    reward: 1% .. 2%
    duration: 1 quarter
}
"""


def test_spiffs(compile_src: CompileSrc, header: str) -> None:
    source = header + SPIFFS
    activation, double, ramp = compile_clean(compile_src, source).spiffs
    assert (activation.name, activation.trigger) == ("activation", "first deal closed")
    assert activation.reward == idr("5000000")
    assert activation.duration == dur("3", "month")
    assert activation.span.line == line_of(source, "spiff activation")
    assert double.reward == "2 x commission" and double.duration is None
    assert ramp.reward == (Decimal("0.01"), Decimal("0.02"))


def test_spiff_missing_reward_is_e103(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + SPIFFS.replace("    reward: Rp 5 juta\n", ""))
    assert codes(diagnostics) == ["CH-E103"]
    assert "reward" in diagnostics[0].message


def test_spiff_reward_in_other_currency_is_e107(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + SPIFFS.replace("reward: Rp 5 juta", "reward: $500"))
    assert codes(diagnostics) == ["CH-E107"]


# ---- scoring + dimension + band ----------------------------------------------------------------

SCORING = '''
scoring partner_score {
    """Partner Scoring Model (0-100)."""
    cadence: quarterly
    dimension revenue_performance {
        weight: 30
        measure: "Quota attainment. 100% = 30 pts, pro-rated below"
    }
    dimension engagement {
        weight: 15
        measure: "Portal logins, training completions, event attendance"
    }
    band probation { range: 0 .. 40 }
    band maintain { range: 40 .. 60 }
    band invest_heavily { range: 80 .. 101 }
}
'''


def test_scoring(compile_src: CompileSrc, header: str) -> None:
    source = header + SCORING
    (scoring,) = compile_clean(compile_src, source).scorings
    assert (scoring.name, scoring.cadence) == ("partner_score", "quarterly")
    assert scoring.doc == "Partner Scoring Model (0-100)."
    assert [(d.name, d.weight) for d in scoring.dimensions] == [
        ("revenue_performance", Decimal("30")), ("engagement", Decimal("15"))]
    assert scoring.dimensions[1].measure == "Portal logins, training completions, event attendance"
    assert [(b.name, b.low, b.high) for b in scoring.bands] == [
        ("probation", Decimal("0"), Decimal("40")), ("maintain", Decimal("40"), Decimal("60")),
        ("invest_heavily", Decimal("80"), Decimal("101"))]
    assert scoring.bands[1].span.line == line_of(source, "band maintain")
    assert scoring.dimensions[0].span.line == line_of(source, "dimension revenue_performance")


def test_dimension_missing_weight_is_e103(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + SCORING.replace("        weight: 15\n", ""))
    d = the(diagnostics, "CH-E103")
    assert d.message == "dimension `engagement` is missing `weight`"
    assert d.help == ("add `weight: 30`",)


def test_band_without_range_is_e106(compile_src: CompileSrc, header: str) -> None:
    source = header + SCORING.replace("range: 40 .. 60", "range: 40")
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E106")
    assert codes(diagnostics) == ["CH-E106"]
    assert "a score range" in d.message and d.message.endswith("found a number `40`")
    assert d.span.line == line_of(source, "range: 40 }")


def test_scoring_invalid_cadence_is_e108(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + SCORING.replace("cadence: quarterly",
                                                          "cadence: quartely"))
    assert codes(diagnostics) == ["CH-E108"]
    assert diagnostics[0].help == ("did you mean `quarterly`?",)


# ---- process + step ----------------------------------------------------------------------------

PROCESS = '''
process dispute_resolution {
    """Commission dispute resolution path (three steps)."""
    title: "Commission dispute resolution"
    step operational {
        """The commercial owner reviews CRM evidence."""
        title: "Operational layer"
        within: 72 hours
        owner: "commercial owner"
    }
    step appeal {
        title: "Appeal"
        limit: 1
        when: "on a factual dispute"
        owner: "commercial owner"
    }
    step strategic_escalation {
        title: "Strategic escalation"
        within: 1 week
        owner: "commercial owner + founder"
        final: yes
    }
}
'''


def test_process_steps(compile_src: CompileSrc, header: str) -> None:
    source = header + PROCESS
    (process,) = compile_clean(compile_src, source).processes
    assert (process.name, process.title) == ("dispute_resolution", "Commission dispute resolution")
    assert process.doc == "Commission dispute resolution path (three steps)."
    operational, appeal, strategic = process.steps
    assert operational == m.Step("operational", "Operational layer", dur("72", "hour"), "",
                                 None, "commercial owner", False,
                                 "The commercial owner reviews CRM evidence.", operational.span)
    assert (appeal.limit, appeal.when, appeal.within) == (1, "on a factual dispute", None)
    assert (strategic.within, strategic.final) == (dur("1", "week"), True)
    assert strategic.owner == "commercial owner + founder"
    assert appeal.span.line == line_of(source, "step appeal")


def test_step_within_without_duration_is_e106(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + PROCESS.replace("within: 72 hours", "within: soon"))
    assert codes(diagnostics) == ["CH-E106"]
    assert diagnostics[0].message == "expected a duration, found a name `soon`"


def test_step_fractional_limit_is_e111(compile_src: CompileSrc, header: str) -> None:
    source = header + PROCESS.replace("limit: 1", "limit: 1,5")
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E111")
    assert codes(diagnostics) == ["CH-E111"]
    assert d.message == "expected a whole number, found 1.5"
    assert d.span.line == line_of(source, "limit: 1,5")


# ---- enablement + item -------------------------------------------------------------------------

ENABLEMENT = '''
enablement {
    item train_the_trainer {
        """Cohort sessions in Surabaya / Jakarta."""
        title: "Train-the-trainer program"
        cadence: quarterly
    }
    item technical_documentation {
        title: "Technical documentation for partner support team"
    }
}
'''


def test_enablement_items(compile_src: CompileSrc, header: str) -> None:
    source = header + ENABLEMENT
    trainer, docs = compile_clean(compile_src, source).enablement
    assert trainer == m.EnablementItem("train_the_trainer", "Train-the-trainer program",
                                       "quarterly", "Cohort sessions in Surabaya / Jakarta.",
                                       trainer.span)
    assert (docs.name, docs.cadence) == ("technical_documentation", None)
    assert docs.span.line == line_of(source, "item technical_documentation")


def test_enablement_item_missing_title_is_e103(compile_src: CompileSrc, header: str) -> None:
    source = header + ENABLEMENT.replace(
        '        title: "Technical documentation for partner support team"\n',
        "        cadence: quarterly\n")
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E103")
    assert d.message == "item `technical_documentation` is missing `title`"


def test_enablement_unknown_block_is_e101(compile_src: CompileSrc, header: str) -> None:
    source = header + ENABLEMENT.replace("item technical_documentation",
                                         "itme technical_documentation")
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E101"]
    assert diagnostics[0].help == ("did you mean `item`?",)


# ---- ship_gate + condition ---------------------------------------------------------------------

SHIP_GATE = """
ship_gate {
    condition two_channel_model {
        title: "Two-channel model documented — Referral commission · VAD wholesale"
        see: "C.1 + C.7"
    }
    condition five_mitigations {
        title: "5 mitigations"
        see: "C.6"
    }
}
"""


def test_ship_gate_conditions(compile_src: CompileSrc, header: str) -> None:
    source = header + SHIP_GATE
    two, five = compile_clean(compile_src, source).ship_gate
    assert (two.name, two.see) == ("two_channel_model", "C.1 + C.7")
    assert two.title == "Two-channel model documented — Referral commission · VAD wholesale"
    assert (five.name, five.see) == ("five_mitigations", "C.6")
    assert five.span.line == line_of(source, "condition five_mitigations")


def test_ship_gate_condition_missing_title_is_e103(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + SHIP_GATE.replace('        title: "5 mitigations"\n', ""))
    assert codes(diagnostics) == ["CH-E103"]
    assert diagnostics[0].help == ('add `title: "What must hold"`',)


def test_ship_gate_twice_is_e105(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + SHIP_GATE + SHIP_GATE)
    assert codes(diagnostics) == ["CH-E105"]


# ---- example + expect --------------------------------------------------------------------------

EXAMPLE_ELITE = '''
example c5_growth_elite_1000 {
    """C.5 / D.1: Growth tier, 1.000 users, VAD Elite partner."""
    product: Growth
    seats: 1_000
    years: 2
    route: VAD Elite
    services_one_time: Rp 350 juta
    services_per_year: Rp 4 juta
    expect {
        software_list: Rp 2,4 Miliar
        wholesale_price: Rp 1,56 Miliar
        partner_margin: Rp 840 juta
        mdf: Rp 72 juta
    }
    expect year 1 {
        partner_gross: ~Rp 1,19 Miliar
        partner_share: ~43%
    }
}
'''

EXAMPLE_HANDOVER = """
example c7_handover_accelerator {
    product: Growth
    seats: 1_000
    route: Referral -> VAD Accelerator
    cumulative: Referral Rp 3,5 Miliar
    close_date: 2026-09-01
    expect year 1 Referral {
        commission: Rp 120 juta
    }
    expect year 1 {
        combined_rate: 30%
        decision: accept
    }
}
"""


def test_example_deal_and_expectations(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + EXAMPLE_ELITE
    (example,) = compile_clean(compile_src, source).examples
    assert example.name == "c5_growth_elite_1000"
    assert example.doc == "C.5 / D.1: Growth tier, 1.000 users, VAD Elite partner."
    deal = example.deal
    assert (deal.product, deal.seats, deal.years) == ("Growth", 1000, 2)
    assert [(s.channel, s.tier) for s in deal.route] == [("VAD", "Elite")]
    assert deal.services_one_time == idr("350000000")
    assert deal.services_per_year == idr("4000000")
    assert deal.cumulative == () and deal.close_date is None
    assert deal.product_span.line == line_of(source, "product: Growth\n    seats: 1_000\n"
                                                     "    years: 2")
    assert [(e.metric, e.party, e.year, e.value, e.approx) for e in example.expectations] == [
        ("software_list", None, None, idr("2400000000"), False),
        ("wholesale_price", None, None, idr("1560000000"), False),
        ("partner_margin", None, None, idr("840000000"), False),
        ("mdf", None, None, idr("72000000"), False),
        ("partner_gross", None, 1, idr("1190000000"), True),
        ("partner_share", None, 1, Decimal("0.43"), True),
    ]
    gross = example.expectations[4]
    assert gross.text == "~Rp 1,19 Miliar"
    assert gross.span.line == line_of(source, "partner_gross")


def test_example_route_cumulative_and_party(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + "handover Referral -> VAD { introducer_rate: 5% }\n" + EXAMPLE_HANDOVER
    program, diagnostics = compile_src(source)
    # this snippet's Referral has no thresholds: the stated cumulative could change nothing
    (error,) = [d for d in diagnostics if not d.code.startswith("CH-P")]
    assert error.code == "CH-E302" and "has no thresholds" in error.message
    assert error.span.line == line_of(source, "cumulative:")
    (example,) = program.examples
    deal = example.deal
    assert deal.years == 1  # default
    referral, vad = deal.route
    assert (referral.channel, referral.tier) == ("Referral", None)
    assert (vad.channel, vad.tier) == ("VAD", "Accelerator")
    assert vad.span.column == column_of(source, "VAD Accelerator")
    ((channel, amount, span),) = deal.cumulative
    assert (channel, amount) == ("Referral", idr("3500000000"))
    assert span.line == line_of(source, "cumulative:")
    assert deal.close_date == dt.date(2026, 9, 1)
    commission, combined, decision = example.expectations
    assert (commission.metric, commission.party, commission.year, commission.value) == (
        "commission", "Referral", 1, idr("120000000"))
    assert (combined.party, combined.value, combined.approx) == (None, Decimal("0.30"), False)
    assert (decision.metric, decision.value) == ("decision", "accept")


def test_example_direct_route_and_unicode_approx(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + """
example direct {
    product: Growth
    seats: 10
    route: direct
    expect { software_list: ≈Rp 24 juta }
}
"""
    (example,) = compile_clean(compile_src, source).examples
    assert example.deal.route == ()
    (expectation,) = example.expectations
    assert (expectation.value, expectation.approx) == (idr("24000000"), True)


def test_example_unknown_route_tier_is_e109(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + EXAMPLE_ELITE.replace("route: VAD Elite", "route: VAD Elit")
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E109")
    assert codes(diagnostics) == ["CH-E109"]
    assert d.message == "unknown tier `Elit` of channel VAD"
    assert d.help == ("did you mean `Elite`?",)
    assert (d.span.line, d.span.column) == (line_of(source, "route: VAD Elit"),
                                            column_of(source, "route: VAD Elit") + 7)


def test_expect_bad_header_is_e110(compile_src: CompileSrc, header: str) -> None:
    source = header + EJOURNEY + EXAMPLE_ELITE.replace("expect year 1 {", "expect year one {")
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E110")
    assert codes(diagnostics) == ["CH-E110"]
    assert d.span.line == line_of(source, "expect year one")


def test_expect_invalid_decision_is_e108(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + EJOURNEY + EXAMPLE_HANDOVER.replace(
        "decision: accept", "decision: maybe"))
    assert codes(diagnostics) == ["CH-E108"]
    assert diagnostics[0].help == ("expected one of `accept`, `walk`",)


def test_expect_unknown_metric_is_e102(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + EJOURNEY + EXAMPLE_ELITE.replace(
        "partner_margin: Rp 840 juta", "partner_marign: Rp 840 juta"))
    assert codes(diagnostics) == ["CH-E102"]
    assert diagnostics[0].help == ("did you mean `partner_margin`?",)


def test_example_missing_seats_is_e103(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + EJOURNEY + EXAMPLE_ELITE.replace(
        "    seats: 1_000\n", ""))
    assert codes(diagnostics) == ["CH-E103"]
    assert diagnostics[0].help == ("add `seats: 1_000`",)


def test_example_unknown_party_and_cumulative_channel(compile_src: CompileSrc,
                                                      header: str) -> None:
    source = header + EJOURNEY + "handover Referral -> VAD { introducer_rate: 5% }\n" + EXAMPLE_HANDOVER.replace(
        "cumulative: Referral", "cumulative: Referal").replace(
        "expect year 1 Referral", "expect year 1 Refferal")
    _, diagnostics = compile_src(source)
    assert codes(diagnostics) == ["CH-E109", "CH-E109"]
    assert [d.span.line for d in diagnostics] == [line_of(source, "Referal"),
                                                  line_of(source, "commission:")]


def test_expect_value_of_wrong_type_is_an_error(compile_src: CompileSrc, header: str) -> None:
    _, diagnostics = compile_src(header + EJOURNEY + EXAMPLE_ELITE.replace(
        "partner_margin: Rp 840 juta", "partner_margin: accept"))
    assert {"CH-E106", "CH-E108"} & set(codes(diagnostics))


# ---- literals ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("Rp 2,4 Miliar", "2400000000", "IDR"),
    ("Rp 187,5K", "187500", "IDR"),
    ("Rp 1,56 Miliar", "1560000000", "IDR"),
    ("Rp 350 juta", "350000000", "IDR"),
    ("Rp 200K", "200000", "IDR"),
    ("Rp 1.000.000", "1000000", "IDR"),
    ("Rp 0", "0", "IDR"),
    ("$50K", "50000", "USD"),
    ("USD 50_000", "50000", "USD"),
    ("$1,200.50", "1200.5", "USD"),
    ("€1,5 Mn", "1500000", "EUR"),
    ("Rp 1 T", "1000000000000", "IDR"),
])
def test_parse_money(text: str, amount: str, currency: str) -> None:
    assert parse_money(text) == MoneyValue(Decimal(amount), currency)


def test_money_amounts_are_canonical_decimals() -> None:
    amount = parse_money("Rp 187,5K").amount
    assert amount == 187500 and isinstance(amount, Decimal)
    assert amount.as_tuple().exponent == 0  # no exponent, no trailing zeros: Decimal('187500')
    assert str(parse_money("Rp 2,4 Miliar").amount) == "2400000000"


@pytest.mark.parametrize(("text", "value"), [
    ("1.000.000", "1000000"), ("1,000,000", "1000000"), ("1_000_000", "1000000"),
    ("1,234.5", "1234.5"), ("1.234,5", "1234.5"), ("1,234,567.89", "1234567.89"),
    ("1,5", "1.5"), ("2.25", "2.25"), ("42", "42"),
])
def test_parse_number(text: str, value: str) -> None:
    assert parse_number(text) == Decimal(value)


@pytest.mark.parametrize(("text", "code"), [
    ("2.400", "CH-E005"), ("2,400", "CH-E005"), ("12.34.56", "CH-E007"), ("1,23.4", "CH-E007"),
])
def test_parse_number_refuses(text: str, code: str) -> None:
    with pytest.raises(LiteralError) as err:
        parse_number(text)
    assert err.value.code == code


def test_parse_money_ambiguous_scale_is_e006() -> None:
    with pytest.raises(LiteralError) as err:
        parse_money("Rp 3 M")
    assert err.value.code == "CH-E006"
    assert err.value.help == ("write `Rp 3 juta` or `million` for 10^6, or `Rp 3 Miliar` for 10^9",)


@pytest.mark.parametrize(("text", "value"), [("35%", "0.35"), ("2,5%", "0.025"), ("100%", "1"),
                                             ("0%", "0"), ("12.5 %", "0.125")])
def test_parse_percent(text: str, value: str) -> None:
    assert parse_percent(text) == Decimal(value)


def test_parse_date() -> None:
    assert parse_date("2026-09-01") == dt.date(2026, 9, 1)
    with pytest.raises(LiteralError) as err:
        parse_date("2026-13-01")
    assert err.value.code == "CH-E007"


def test_program_with_ambiguous_number_is_e005(compile_src: CompileSrc, header: str) -> None:
    source = header + "product Growth {\n    layer: software\n" \
                      "    list_price: Rp 2.400 per user per month\n}\n"
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E005")
    assert d.message == "ambiguous number `2.400`: 2.4 or 2,400?"
    assert d.help == ("write `2_400` for 2,400, or `2.4` for the decimal",)
    assert (d.span.line, d.span.column) == (line_of(source, "Rp 2.400"),
                                            column_of(source, "Rp 2.400"))


def test_program_with_ambiguous_scale_is_e006(compile_src: CompileSrc, header: str) -> None:
    source = header + "channel VAD {\n    model: wholesale\n    owner: partner\n" \
                      "    tier Accelerator {\n        margin: 25%\n" \
                      "        quota: Rp 3 M per year\n    }\n}\n"
    _, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-E006")
    assert "Miliar" in d.help[0] and "juta" in d.help[0]
    assert d.span.line == line_of(source, "Rp 3 M")


def test_sub_rupiah_amount_is_w101(compile_src: CompileSrc, header: str) -> None:
    source = header + "product Growth {\n    layer: software\n" \
                      "    list_price: Rp 0,5 per user per month\n}\n"
    program, diagnostics = compile_src(source)
    d = the(diagnostics, "CH-W101")
    assert d.severity is Severity.WARNING
    assert program.product("Growth").list_price.money == idr("0.5")


def test_huge_money_literal_is_reported_not_raised(compile_src: CompileSrc, header: str) -> None:
    source = header + "product Growth {\n    layer: software\n" \
                      "    list_price: Rp 10000000000000000000000000000 per user per month\n}\n"
    program, diagnostics = compile_src(source)  # must not raise
    assert program is not None or diagnostics


@pytest.mark.parametrize("text", ["$10000000000000000 T", "Rp 10000000000000000000 Miliar",
                                  "USD 9_999_999_999_999_999 billion"])
def test_an_amount_scaled_past_the_digit_limit_is_reported_not_raised(text: str) -> None:
    with pytest.raises(LiteralError) as err:  # quantizing it raised InvalidOperation
        parse_money(text)
    assert err.value.code == "CH-E007" and "too large" in str(err.value.message)


def test_an_amount_scaled_to_the_digit_limit_is_read() -> None:
    assert parse_money("$999_999_999_999 T").amount == Decimal("999999999999" + "0" * 12)


@given(st.integers(min_value=0, max_value=10 ** 24 - 1))  # MAX_DIGITS
def test_underscore_grouping_round_trips(n: int) -> None:
    assert parse_number(f"{n:_}") == Decimal(n)


@given(st.integers(min_value=10 ** 6, max_value=10 ** 24 - 1))  # MAX_DIGITS
def test_dot_grouping_of_two_or_more_separators_round_trips(n: int) -> None:
    text = f"{n:,}".replace(",", ".")
    assert text.count(".") >= 2
    assert parse_number(text) == Decimal(n)


@given(st.integers(min_value=10 ** 6, max_value=10 ** 24 - 1))  # MAX_DIGITS
def test_comma_grouping_round_trips(n: int) -> None:
    assert parse_number(f"{n:,}") == Decimal(n)


@given(st.integers(min_value=1_000, max_value=999_999), st.sampled_from([".", ","]))
def test_single_thousands_separator_is_always_ambiguous(n: int, sep: str) -> None:
    with pytest.raises(LiteralError) as err:
        parse_number(f"{n:,}".replace(",", sep))
    assert err.value.code == "CH-E005"


@given(st.integers(min_value=0, max_value=10 ** 20))
def test_rupiah_money_round_trips(n: int) -> None:
    assert parse_money(f"Rp {n:_}") == idr(str(n))


# ---- extends: merging and imports --------------------------------------------------------------

BASE = """
program two_channel_base {
    title: "Two-channel partner program (base)"
    version: "1.0.0"
    abstract: yes
}

channel VAD {
    model: wholesale
    owner: partner
    lead_protection: 90 days
    tier Standard {
        margin: 20%
        mdf: 2%
    }
    tier Elite {
        margin: 30%
        mdf: 3%
        review: annual
    }
}
"""

CHILD = """extends: "base/two-channel.charter"

program ejourney {
    title: "eJourney"
    currency: IDR
    status: draft
}

channel VAD {
    tier Elite {
        margin: 35%
    }
}
"""


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (creating folders) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root (it holds charter.toml) with the base program in base/."""
    write(tmp_path / "charter.toml", "")
    write(tmp_path / "base" / "two-channel.charter", BASE)
    return tmp_path


def test_extends_merges_base_and_override(project: Path) -> None:
    program, reporter, sources = compile_file(write(project / "ejourney.charter", CHILD))
    found = [d for d in reporter.sorted() if not d.code.startswith("CH-P")]
    assert found == [], show(found)
    assert len(sources) == 2
    header = program.header
    assert (header.id, header.title, header.currency) == ("ejourney", "eJourney", "IDR")
    assert header.version == "1.0.0"  # inherited from the base
    assert header.abstract is False  # being abstract is not inherited
    vad = program.channel("VAD")
    assert (vad.model, vad.owner, vad.lead_protection) == ("wholesale", "partner",
                                                           dur("90", "day"))
    assert [t.name for t in vad.tiers] == ["Standard", "Elite"]
    standard, elite = vad.tiers
    assert (standard.margin, standard.mdf) == (Decimal("0.20"), Decimal("0.02"))
    assert elite.margin == Decimal("0.35")  # overridden
    assert (elite.mdf, elite.review) == (Decimal("0.03"), "annual")  # kept from the base
    assert Path(elite.spans["margin"].file).name == "ejourney.charter"
    assert Path(elite.spans["mdf"].file).name == "two-channel.charter"
    assert elite.spans["margin"].line == line_of(CHILD, "margin: 35%")


def test_extending_program_is_checked_as_concrete(project: Path) -> None:
    child = CHILD.replace("        margin: 35%\n", "        margin: 35%\n    }\n"
                                                    "    tier Platinum {\n        mdf: 4%\n")
    program, reporter, _ = compile_file(write(project / "ejourney.charter", child))
    diagnostics = reporter.sorted()
    assert codes(diagnostics) == ["CH-E103"]  # the base's `abstract` would have hidden this
    assert diagnostics[0].message == "tier `Platinum` of VAD has no margin"
    assert program.header.abstract is False


def test_abstract_base_compiles_alone(project: Path) -> None:
    program, reporter, _ = compile_file(project / "base" / "two-channel.charter")
    assert reporter.sorted() == []
    assert program.header.abstract is True and program.header.currency == ""


def test_extends_cycle_is_e203(project: Path) -> None:
    write(project / "a.charter", 'extends: "b.charter"\n'
                                 'program a {\n    title: "A"\n    currency: IDR\n'
                                 '    status: draft\n}\n')
    write(project / "b.charter", 'extends: "a.charter"\n'
                                 'program b {\n    title: "B"\n    abstract: yes\n}\n')
    _, reporter, _ = compile_file(project / "a.charter")
    d = the(reporter.sorted(), "CH-E203")
    assert codes(reporter.sorted()) == ["CH-E203"]
    assert d.message.startswith("import cycle: ")
    assert [Path(p).name for p in d.message.removeprefix("import cycle: ").split(" -> ")] == [
        "a.charter", "b.charter", "a.charter"]
    assert Path(d.span.file).name == "b.charter" and d.span.line == 1


def test_extends_outside_project_is_e202(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root / "charter.toml", "")
    write(tmp_path / "shared.charter", BASE)
    child = write(root / "ejourney.charter",
                  CHILD.replace("base/two-channel.charter", "../shared.charter"))
    program, reporter, sources = compile_file(child)
    d = the(reporter.sorted(), "CH-E202")
    assert d.message == "`../shared.charter` is outside the project"
    assert d.span.line == 1
    assert len(sources) == 1  # the outside file was not read


def test_extends_missing_file_is_e201(project: Path) -> None:
    child = write(project / "ejourney.charter",
                  CHILD.replace("base/two-channel.charter", "base/two-chanel.charter"))
    _, reporter, _ = compile_file(child)
    d = the(reporter.sorted(), "CH-E201")
    assert d.message == "no such file `base/two-chanel.charter`"
    assert d.help == ("did you mean `two-channel.charter`?",)
    assert (d.span.line, d.span.column) == (1, column_of(CHILD, '"base/'))


def test_literal_longer_than_max_digits_is_a_diagnostic_not_a_crash(compile_src, header):
    _, diagnostics = compile_src(header + "product P {\n    layer: software\n"
                                 "    list_price: Rp 1" + "0" * 30 + " per user per month\n}\n")
    assert [d.code for d in diagnostics] == ["CH-E007"]


def test_the_construct_table_covers_every_program_field():
    """A construct is declared once (charter.lower.CONSTRUCTS): every `Program` field is filled
    from a row of the table, and every top-level kind the parser knows comes from it."""
    from dataclasses import fields

    from charter import lower, model

    filled = {c.field for c in lower.CONSTRUCTS}
    assert {f.name for f in fields(model.Program)} - {"files"} == filled
    assert lower.TOP_LEVEL == tuple(c.kind for c in lower.CONSTRUCTS)
    assert set(lower.TOP_LEVEL) <= lower.BLOCK_KINDS
    from charter.policies.ship_gate import CONSTRUCTS as GATE
    assert set(GATE) == {c.kind for c in lower.CONSTRUCTS if c.gate}


def test_an_ambiguous_m_in_dollars_is_helped_in_dollar_words():
    from charter.literals import LiteralError, parse_money

    with pytest.raises(LiteralError) as err:
        parse_money("$2M")
    assert err.value.help == ("write `$2 million` for 10^6, or `$2 billion` for 10^9",)
