"""The bundled programs compile and hold seed 000's numbers exactly."""
from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import PROGRAMS


@pytest.fixture(scope="module")
def ejourney():
    from charter.api import compile_file
    program, reporter, _ = compile_file(PROGRAMS / "ejourney.charter")
    assert not reporter.sorted(), reporter.sorted()
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
        assert program is not None and not reporter.sorted()
