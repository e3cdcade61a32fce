"""The bundled programs compile and hold the eJourney Partner & Channel page's numbers exactly."""
from __future__ import annotations

from decimal import Decimal

import pytest

from charter.economics import RequestInvalid
from conftest import PROGRAMS


@pytest.fixture(scope="module")
def ejourney():
    from charter.api import compile_file
    program, reporter, _ = compile_file(PROGRAMS / "ejourney.charter")
    loud = [d for d in reporter.sorted() if d.severity.value != "note"]  # notes: waived findings
    assert not loud, loud
    return program


def idr(text: str):
    from charter.literals import MoneyValue
    return MoneyValue(Decimal(text), "IDR")


def test_header(ejourney):
    h = ejourney.header
    assert (h.id, h.currency, h.status, h.minor_units, h.abstract) == ("ejourney", "IDR", "locked", 0, False)
    assert h.locales == ("id_ID", "en_US")


def test_price_list(ejourney):
    prices = {p.name: p.list_price.money for p in ejourney.products if p.layer == "software"}
    assert prices == {"Essentials": idr("250000"), "Growth": idr("200000"), "Enterprise": idr("150000")}
    assert all(p.list_price.unit == "user" and p.list_price.period == "month"
               for p in ejourney.products if p.layer == "software")
    assert {p.name for p in ejourney.products if p.layer == "services"} == {"PartnerServices", "ModulKustom"}


def test_referral_channel(ejourney):
    referral = ejourney.channel("Referral")
    assert (referral.model, referral.owner, referral.commission_base, referral.payment) == \
        ("referral", "vendor", "software", "one_time")
    assert str(referral.lead_protection) == "60 days"
    t = referral.thresholds
    assert (t.semantics, t.reset) == ("forward", "calendar_year")
    assert [(b.low.amount, b.high and b.high.amount, b.rate) for b in t.brackets] == [
        (Decimal(0), Decimal(3_000_000_000), Decimal("0.1")), (Decimal(3_000_000_000), None, Decimal("0.15"))]


def test_vad_ladder(ejourney):
    vad = ejourney.channel("VAD")
    rows = [(t.name, t.margin, t.margin_y2, t.mdf, t.quota and t.quota.money.amount) for t in vad.tiers]
    assert rows == [
        ("Standard", Decimal("0.2"), Decimal("0.2"), Decimal("0.02"), None),
        ("Accelerator", Decimal("0.25"), Decimal("0.25"), Decimal("0.03"), Decimal(5_000_000_000)),
        ("Elite", Decimal("0.35"), Decimal("0.35"), Decimal("0.03"), Decimal(15_000_000_000)),
    ]
    assert [str(t.service.response) for t in vad.tiers] == ["24 business hours", "8 business hours", "4 business hours"]
    assert vad.tier("Accelerator").service.implementation.amount == Decimal("1.5")
    assert vad.tier("Elite").options == ("exclusive_territory", "exclusive_vertical")
    assert str(vad.lead_protection) == "90 days"
    assert vad.certification == ("sales", "technical", "services")


def test_handover_and_economics(ejourney):
    (handover,) = ejourney.handovers
    assert (handover.source, handover.target, handover.introducer_rate, handover.combined_cap) == \
        ("Referral", "VAD", Decimal("0.05"), Decimal("0.3"))
    assert handover.allowed_tiers == ("Standard", "Accelerator")
    e = ejourney.economics
    assert (e.cogs, e.margin_floor, e.mdf_counts_against_margin) == (Decimal("0.03"), Decimal("0.6"), False)


def test_mitigations_and_processes(ejourney):
    assert [(m.name, m.enforcement) for m in ejourney.mitigations] == [
        ("certification_gate", "gate"), ("nps_visibility", "periodic_review"),
        ("service_levels", "contractual_sla"), ("escalation_path", "escalation_path"),
        ("annual_review", "periodic_review")]
    nps = ejourney.mitigations[1]
    assert (nps.trigger.metric, nps.trigger.op, nps.trigger.value) == ("nps", "<", Decimal(7))
    assert str(nps.sustained) == "2 quarters" and nps.action == ("downgrade", "exit")
    dispute = next(p for p in ejourney.processes if p.name == "dispute_resolution")
    assert [str(s.within) if s.within else s.limit for s in dispute.steps] == ["72 hours", 1, "1 week"]
    assert len(ejourney.enablement) == 8 and len(ejourney.ship_gate) == 6


def test_worked_examples_are_stored(ejourney):
    example = next(e for e in ejourney.examples if e.name == "c5_growth_elite_1000")
    values = {(x.metric, x.year): x.value for x in example.expectations}
    assert values[("wholesale_price", None)] == idr("1560000000")
    assert values[("partner_margin", None)] == idr("840000000")
    assert values[("partner_share", 1)] == Decimal("0.43")
    assert sum(1 for e in ejourney.examples if e.name.startswith("ladder_")) == 9


def test_other_programs_compile():
    from charter.api import compile_file
    for name in ("saas-reseller.charter", "elision.charter"):
        program, reporter, _ = compile_file(PROGRAMS / name)
        assert program is not None
        assert not [d for d in reporter.sorted() if d.severity.value != "note"]


# ---- the eJourney page's worked numbers, computed by the engine ----------------------------

def _quote(program, **request):
    from charter.economics import Quoter, parse_request
    return Quoter(program).quote(parse_request(request, program))


def test_every_example_is_checked(ejourney):
    """The bundled program carries the page's numbers and `check` computes every one of them."""
    names = {e.name for e in ejourney.examples}
    assert {"c5_growth_elite_1000", "c2_referral_fee", "c2_forward_applied",
            "c2_crossing_deal_earns_old_rate", "c2_threshold_resets_in_january",
            "c7_handover_accelerator", "c7_elite_handover_walks",
            "d1_commission_comparison"} <= names
    assert sum(len(e.expectations) for e in ejourney.examples) >= 35


def test_c5_growth_elite_numbers(ejourney):
    q = _quote(ejourney, product="Growth", seats=1000, years=2,
               route=[{"channel": "VAD", "tier": "Elite"}], services={"one_time": "350000000"})
    y1, y2 = q.years
    assert (y1.software_list, y1.wholesale_price) == (Decimal("2400000000"), Decimal("1560000000"))
    assert y1.amount("VAD", "wholesale_margin") == y2.amount("VAD", "wholesale_margin") \
        == Decimal("840000000")
    assert y1.amount("VAD", "mdf") == Decimal("72000000")
    from charter.economics.examples import partner_gross
    assert partner_gross(q, y1, "VAD") == Decimal("1190000000")   # ≈ Rp 1,19 Miliar
    assert q.decision == "accept" and y1.vendor_net_margin == Decimal("0.62")


def test_d1_commission_program_comparison(ejourney):
    """An internal benchmark channel is quoted by the program's own examples, never by a
    request (a partner could be quoted terms that are not on offer)."""
    from charter.economics import Quoter
    from charter.economics.request import DealRequest, Step

    with pytest.raises(RequestInvalid, match="internal"):
        _quote(ejourney, product="Growth", seats=1000, route=[{"channel": "CommissionBenchmark"}])
    q = Quoter(ejourney).quote(DealRequest("Growth", 1000, 2, (Step("CommissionBenchmark"),)))
    assert [y.amount("CommissionBenchmark", "commission") for y in q.years] == \
        [Decimal("840000000"), Decimal("360000000")]


def test_page_c2_example_conflicts_with_c7(capsys):
    """C.2 as the page states it (10% = Rp 240 juta on a VAD-closed deal) breaks C.7's 5% rule."""
    from charter.api import check_paths
    result = check_paths([PROGRAMS.parent / "tests" / "data" / "examples"
                          / "c2_as_the_page_states.charter"])
    (error,) = [d for d in result.errors if d.code == "CH-E301"]
    # the locked program's ship gate now fails too: its conditions require worked_examples
    assert {d.code for d in result.errors} == {"CH-E301", "CH-P012"}
    assert error.span.line == 13
    assert "computes to Rp120.000.000, not Rp 240 juta" in error.message
    assert any("5% × Rp2.400.000.000" in note for note in error.notes)
