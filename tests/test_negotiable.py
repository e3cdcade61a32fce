"""Negotiable terms: `negotiable commission { range: 10% .. 20%; default: 10% }`.

A term each deal may agree within a range, with the default a deal gets when it agrees
nothing (docs/language.md §3.26): lowering and its checks, the quote (the default, an agreed
value, a value outside the range refused with its bounds), the worst case the policies judge,
the config and the partner guide, the SQL target's coverage, and the bundled saas-reseller.
"""
from __future__ import annotations

import json
from decimal import Decimal

import jsonschema
import pytest

from charter import model as m
from charter.api import compile_file, compile_text
from charter.economics import Quoter, RequestInvalid, parse_request
from charter.economics.fields import field_at
from charter.economics.response import quote_to_json, response_schema
from charter.economics.text import render_quote
from charter.values import Duration

from conftest import PROGRAMS

D = Decimal
HEAD = '''program t {
    title: "T"
    currency: USD
    status: draft
}
product Platform { layer: software; list_price: $1_000 per seat per year }
'''
REFERRAL = HEAD + '''channel Referral {
    """Commission: 10-20% of first-year revenue."""
    model: referral
    owner: vendor
    payment: one_time
    negotiable commission {
        """Above 15% needs the channel chief."""
        range: 10% .. 20%
        default: 10%
    }
    negotiable lead_protection { range: 30 .. 60 days; default: 45 days }
}
channel OEM {
    model: oem
    owner: partner
    lead_protection: 90 days
    negotiable discount { range: 40% .. 60%; default: 40% }
}
channel VAD {
    model: wholesale
    owner: partner
    lead_protection: 90 days
    tier Standard { margin: 20% }
    tier Gold {
        negotiable margin { range: 25% .. 30%; default: 25% }
        margin_y2: 20%
    }
}
handover Referral -> VAD { introducer_rate: 5% }
registration { window: 30 days; unregistered_rate: 5% }
policy msrp_floor { severity: off }
policy flipper_mitigations { severity: off }
policy no_step_down { severity: off }
'''


def compiled(text: str):
    program, reporter = compile_text(text, "t.charter")
    return program, reporter.sorted()


def program_of(text: str) -> m.Program:
    program, diagnostics = compiled(text)
    errors = [str(d) for d in diagnostics if d.severity.value == "error"]
    assert program is not None and not errors, errors
    return program


def codes(text: str) -> list[str]:
    return [d.code for d in compiled(text)[1]]


def quote(program: m.Program, route: list[dict], **request):
    return Quoter(program).quote(parse_request({"product": "Platform", "seats": 100,
                                                "route": route, **request}, program))


def refusal(program: m.Program, route: list[dict], **request) -> list[tuple[str, str]]:
    with pytest.raises(RequestInvalid) as bad:
        parse_request({"product": "Platform", "seats": 100, "route": route, **request}, program)
    return [(e.path, e.message) for e in bad.value.errors]


def rate_of(q, kind: str, year: int = 1) -> Decimal:
    (line,) = [p for p in q.years[year - 1].payouts if p.kind == kind]
    return line.rate


# ---- 1. parsing and lowering ----------------------------------------------------------------

def test_a_negotiable_block_lowers_to_its_range_and_default():
    program = program_of(REFERRAL)
    referral, oem, vad = (program.channel(n) for n in ("Referral", "OEM", "VAD"))
    commission = referral.negotiable_term("commission")
    assert (commission.low, commission.high, commission.default) == (D("0.1"), D("0.2"),
                                                                     D("0.1"))
    assert commission.doc == "Above 15% needs the channel chief."
    # the default sits in the holder's own field: what a deal that agrees nothing gets
    assert referral.commission == D("0.1")
    window = referral.negotiable_term("lead_protection")
    assert (window.low, window.high) == (Duration(D(30), "day"), Duration(D(60), "day"))
    assert referral.lead_protection == Duration(D(45), "day")
    assert oem.discount == (D("0.4"), D("0.4")) and oem.negotiable_term("discount").top == D("0.6")
    gold = vad.tier("Gold")
    assert gold.margin == D("0.25") and vad.negotiable_term("margin", gold).high == D("0.3")
    assert vad.negotiable_term("margin", vad.tier("Standard")) is None   # fixed there
    # the checks that point at a rate find the negotiable block
    assert "commission" in referral.spans and "margin" in gold.spans


def test_an_open_range_has_no_high_end_and_a_rate_tops_out_at_100_percent():
    program = program_of(HEAD + '''channel Referral {
    model: referral
    owner: vendor
    lead_protection: 60 days
    negotiable commission { range: 25% ..; default: 25% }
}''')
    term = program.channel("Referral").negotiable_term("commission")
    assert term.high is None and term.top == D(1) and term.range_text == "25% or more"
    assert term.admits(D("0.9")) and not term.admits(D("0.2"))


def test_a_base_negotiable_term_merges_with_the_extending_files(tmp_path):
    (tmp_path / "charter.toml").write_text("", encoding="utf-8")
    (tmp_path / "base.charter").write_text('''program base { title: "B"; abstract: yes }
channel Referral {
    model: referral
    owner: vendor
    lead_protection: 60 days
    negotiable commission { range: 10% .. 20%; default: 10% }
}
''', encoding="utf-8")
    (tmp_path / "p.charter").write_text('''extends: "base.charter"
program p { title: "P"; currency: USD; status: draft }
channel Referral { negotiable commission { default: 15% } }
''', encoding="utf-8")
    program, reporter, _ = compile_file(tmp_path / "p.charter", checks=False)
    assert not reporter.has_errors, reporter.sorted()
    term = program.channel("Referral").negotiable_term("commission")
    assert (term.low, term.high, term.default) == (D("0.1"), D("0.2"), D("0.15"))


# ---- 2. the checks --------------------------------------------------------------------------

def channel(body: str, model: str = "referral") -> str:
    """A channel C holding ``body`` (a fixed lead protection unless the body negotiates it)."""
    window = "" if "lead_protection" in body else "    lead_protection: 60 days\n"
    return HEAD + f"channel C {{\n    model: {model}\n    owner: partner\n{window}{body}\n}}\n"


@pytest.mark.parametrize("body, code", [
    ("negotiable commission { range: 10% .. 20%; default: 25% }", "CH-E120"),
    ("negotiable commission { range: 10% ..; default: 5% }", "CH-E120"),
    ("negotiable commission { range: 20% .. 10%; default: 10% }", "CH-E121"),
    ("negotiable commission { range: $1K .. $2K; default: 10% }", "CH-E122"),
    ("negotiable commission { range: 10% .. 20%; default: 30 days }", "CH-E122"),
    ("negotiable lead_protection { range: 5% .. 10%; default: 30 days }", "CH-E122"),
    ("commission: 10%\n    negotiable commission { range: 10% .. 20%; default: 10% }",
     "CH-E123"),
    ("negotiable commission { range: 10% .. 20% }", "CH-E103"),
    ("negotiable commission { default: 10% }", "CH-E103"),
    ("negotiable commission { range: .. 20%; default: 10% }", "CH-E106"),
    ("negotiable commission { range: 10% .. 200%; default: 10% }", "CH-E111"),
    ("negotiable margin { range: 10% .. 20%; default: 10% }", "CH-E108"),
    ("negotiable comission { range: 10% .. 20%; default: 10% }", "CH-E108"),
    ("negotiable commission { range: 10% .. 20%; default: 10% }\n"
     "    negotiable commission { range: 10% .. 30%; default: 10% }", "CH-E105"),
])
def test_each_mistake_is_one_diagnostic_with_its_code(body, code):
    found = [c for c in codes(channel(body)) if not c.startswith("CH-P")]
    assert found == [code]


def test_a_negotiable_rate_the_model_never_pays_is_ch_e112():
    found = compiled(channel("negotiable commission { range: 5% .. 10%; default: 5% }\n"
                             "    tier Gold { margin: 30% }", model="resale"))[1]
    (error,) = [d for d in found if d.code == "CH-E112"]
    assert error.message.startswith("`negotiable commission` on C pays nothing")
    tiered = compiled(channel("negotiable discount { range: 20% .. 30%; default: 20% }\n"
                              "    tier Gold { margin: 30% }", model="wholesale"))[1]
    (error,) = [d for d in tiered if d.code == "CH-E112"]
    assert "each of its tiers pays its own margin" in error.message
    laddered = compiled(channel("negotiable commission { range: 5% .. 10%; default: 5% }\n"
                                "    thresholds volume { basis: referred_software_revenue;"
                                " semantics: forward; reset: calendar_year;"
                                " bracket: $0 .. -> 10% }"))[1]
    (error,) = [d for d in laddered if d.code == "CH-E112"]
    assert error.message == ("`negotiable commission` on C pays nothing: its thresholds"
                             " `volume` set the commission")


def test_the_refusal_of_a_fixed_and_negotiable_term_points_at_both():
    source = channel("commission: 10%\n"
                     "    negotiable commission { range: 10% .. 20%; default: 10% }")
    (error,) = [d for d in compiled(source)[1] if d.code == "CH-E123"]
    assert error.message == "`commission` on channel `C` is both fixed and negotiable"
    assert (error.span.line, error.label) == (11, "fixed here")
    assert [(lb.span.line, lb.message) for lb in error.labels] == [(12, "negotiable here")]
    assert error.help == ("remove `commission: 10%`: the negotiable block's `default` is what a"
                          " deal gets unless it agrees another value",)


# ---- 3. the quote ---------------------------------------------------------------------------

def test_the_default_applies_when_the_deal_agrees_nothing():
    program = program_of(REFERRAL)
    assert rate_of(quote(program, [{"channel": "Referral"}]), "commission") == D("0.1")
    assert rate_of(quote(program, [{"channel": "OEM"}]), "wholesale_margin") == D("0.4")
    gold = quote(program, [{"channel": "VAD", "tier": "Gold"}], years=2)
    assert (rate_of(gold, "wholesale_margin"), rate_of(gold, "wholesale_margin", 2)) == \
        (D("0.25"), D("0.2"))


def test_an_agreed_value_inside_the_range_is_paid():
    program = program_of(REFERRAL)
    q = quote(program, [{"channel": "Referral", "terms": {"commission": "15%"}}])
    (line,) = q.years[0].payouts
    assert (line.rate, line.amount) == (D("0.15"), D("15000.00"))
    assert "negotiated commission 15%" in line.why
    oem = quote(program, [{"channel": "OEM", "terms": {"discount": "45%"}}])
    assert oem.years[0].wholesale_price == D("55000.00")
    # a tier's negotiated margin; its fixed year-2 margin still applies
    gold = quote(program, [{"channel": "VAD", "tier": "Gold", "terms": {"margin": "30%"}}],
                 years=2)
    assert (rate_of(gold, "wholesale_margin"), rate_of(gold, "wholesale_margin", 2)) == \
        (D("0.3"), D("0.2"))


def test_a_value_outside_the_range_is_refused_with_the_bounds():
    program = program_of(REFERRAL)
    assert refusal(program, [{"channel": "Referral", "terms": {"commission": "25%"}}]) == [
        ("$.route[0].terms.commission",
         "commission 25% is outside Referral's negotiable range 10%–20%")]
    assert refusal(program, [{"channel": "Referral",
                              "terms": {"lead_protection": "90 days"}}]) == [
        ("$.route[0].terms.lead_protection",
         "lead_protection 90 days is outside Referral's negotiable range 30 days–60 days")]
    assert refusal(program, [{"channel": "VAD", "tier": "Gold", "terms": {"margin": "24%"}}]) \
        == [("$.route[0].terms.margin",
             "margin 24% is outside VAD Gold's negotiable range 25%–30%")]


@pytest.mark.parametrize("step, path, message", [
    ({"channel": "VAD", "tier": "Standard", "terms": {"margin": "25%"}},
     "$.route[0].terms.margin", "VAD Standard does not negotiate `margin` (it is fixed at 20%);"
     " remove it from `terms`"),
    ({"channel": "OEM", "terms": {"commission": "5%"}}, "$.route[0].terms.commission",
     "OEM does not negotiate `commission` (the program sets no such term for it); remove it"
     " from `terms`"),
    ({"channel": "Referral", "terms": {"comission": "15%"}}, "$.route[0].terms.comission",
     "`comission` is not a negotiable term; did you mean `commission`?"),
    ({"channel": "Referral", "terms": {"commission": "45 days"}},
     "$.route[0].terms.commission",
     "expected a percentage like \"15%\" for `commission`, found \"45 days\""),
    ({"channel": "VAD", "tier": "Gold", "terms": {"margin_y2": "25%"}},
     "$.route[0].terms.margin_y2",
     "VAD Gold does not negotiate `margin_y2` (it is fixed at 20%); remove it from `terms`"),
    ({"channel": "OEM", "rate": "45%"}, "$.route[0].rate",
     "channel `OEM` negotiates its discount in the step's `terms`: write"
     " `\"terms\": {\"discount\": \"45%\"}` instead of `rate`"),
])
def test_a_term_the_step_cannot_agree_is_refused(step, path, message):
    assert refusal(program_of(REFERRAL), [step]) == [(path, message)]


def test_a_year_2_commission_on_a_one_time_fee_is_refused():
    program = program_of(REFERRAL.replace(
        "    negotiable lead_protection", "    negotiable commission_y2 { range: 0% .. 5%;"
        " default: 0% }\n    negotiable lead_protection"))
    assert refusal(program, [{"channel": "Referral", "terms": {"commission_y2": "5%"}}]) == [
        ("$.route[0].terms.commission_y2", "Referral pays its commission once (`payment:"
         " one_time`): a year-2 commission changes nothing; remove it from `terms`")]


def test_a_payout_term_on_an_introducer_is_refused_a_lead_window_is_not():
    program = program_of(REFERRAL)
    route = [{"channel": "Referral", "terms": {"commission": "15%"}},
             {"channel": "VAD", "tier": "Standard"}]
    assert refusal(program, route) == [
        ("$.route[0].terms.commission", "`Referral` introduces this deal and earns the"
         " handover's introducer rate, so a negotiated `commission` changes nothing")]
    window = [{"channel": "Referral", "terms": {"lead_protection": "30 days"}},
              {"channel": "VAD", "tier": "Standard"}]
    assert quote(program, window).decision == "accept"


def test_a_negotiated_rate_on_an_unregistered_deal_is_only_a_ceiling():
    program = program_of(REFERRAL)
    request = parse_request({"product": "Platform", "seats": 100, "registered": False,
                             "route": [{"channel": "Referral",
                                        "terms": {"commission": "15%"}}]}, program)
    assert [(w.path, w.message) for w in request.warnings] == [
        ("$.route[0].terms.commission", "an unregistered deal earns the flat"
         " `unregistered_rate`: the negotiated commission is only a ceiling")]
    assert rate_of(Quoter(program).quote(request), "commission") == D("0.05")


def test_the_response_echoes_the_agreed_terms_in_both_views():
    program = program_of(REFERRAL)
    q = quote(program, [{"channel": "Referral",
                         "terms": {"lead_protection": "30 days", "commission": "15%"}}])
    for view in ("internal", "partner"):
        body = json.loads(json.dumps(quote_to_json(q, program.header, view)))
        jsonschema.validate(body, response_schema(view))
        assert body["request"]["route"][0]["terms"] == {"commission": "0.150000",
                                                        "lead_protection": "30 days"}
    plain = json.loads(json.dumps(quote_to_json(quote(program, [{"channel": "OEM"}]),
                                                program.header)))
    assert plain["request"]["route"][0]["terms"] == {}   # the default: nothing agreed
    text = render_quote(q, program)
    assert "negotiated: Referral commission 15%" in text
    assert "negotiated: Referral lead_protection 30 days" in text


def test_terms_in_any_order_read_as_one_request():
    program = program_of(REFERRAL)
    one, two = ({"product": "Platform", "seats": 10, "route": [{"channel": "Referral",
                                                                 "terms": terms}]}
                for terms in ({"commission": "15%", "lead_protection": "30 days"},
                              {"lead_protection": "30 days", "commission": "15%"}))
    assert parse_request(one, program) == parse_request(two, program)


def test_an_error_path_into_terms_maps_to_its_field():
    assert field_at("$.route[1].terms.commission").path == "route[].terms.*"


# ---- 3b. worked examples --------------------------------------------------------------------

def test_an_example_agrees_terms_and_computes():
    _program, diagnostics = compiled(REFERRAL + '''example agreed {
    product: Platform
    seats: 100
    route: Referral
    terms: Referral commission 15%, Referral lead_protection 30 days
    expect Referral { commission: $15K }
}''')
    assert [d.code for d in diagnostics if d.severity.value == "error"] == []


@pytest.mark.parametrize("terms, code, message", [
    ("Referral commission 25%", "CH-E302",
     "example `e`: commission 25% is outside Referral's negotiable range 10%–20%"),
    ("OEM discount 45%", "CH-E302",
     "example `e`: negotiated terms for `OEM`: the channel is not on the route"),
    ("Referral commission 15%, Referral commission 12%", "CH-E302",
     "example `e`: negotiated terms for `Referral`: `commission` is agreed twice"),
    ("Refferal commission 15%", "CH-E109", "unknown channel `Refferal`"),
])
def test_an_example_term_it_cannot_agree_is_reported_at_the_term(terms, code, message):
    source = REFERRAL + ("example e {\n    product: Platform\n    seats: 100\n"
                         f"    route: Referral\n    terms: {terms}\n}}\n")
    (error,) = [d for d in compiled(source)[1] if d.code == code]
    assert error.message == message
    assert error.span.line == source.count("\n", 0, source.index("    terms:")) + 1


# ---- 4. the worst case: policies judge the top of the range ---------------------------------

MARGIN = HEAD + '''channel Referral {
    model: referral
    owner: vendor
    lead_protection: 60 days
    negotiable commission { range: 10% .. TOP; default: 10% }
}
internal economics { cogs: 3%; margin_floor: 80% }
clawback cancel { event: "customer cancels"; rule: any_time -> 100% }
'''


def test_a_safe_default_with_a_top_over_the_line_is_ch_p001():
    _program, diagnostics = compiled(MARGIN.replace("TOP", "20%"))
    (finding,) = [d for d in diagnostics if d.code == "CH-P001"]
    # judged at 20%: 100% − 3% − 20% = 77% < 80%; the default (10%: 87%) alone passes
    assert "vendor net margin 77% in year 1 is below the 80% floor" in finding.message
    assert "− 20% Referral commission" in finding.message
    assert finding.label == "the top of this negotiable commission on this route"
    assert "judged at the most a deal may agree: `commission` at 20% (negotiable 10%–20%," \
           " default 10%)" in finding.notes
    assert finding.help[0].startswith("lower the top of the negotiable range")


def test_a_range_whose_top_keeps_the_line_passes_and_an_open_range_is_judged_at_100():
    assert "CH-P001" not in codes(MARGIN.replace("TOP", "17%"))
    _program, diagnostics = compiled(MARGIN.replace("10% .. TOP", "10% .."))
    (finding,) = [d for d in diagnostics if d.code == "CH-P001"]
    assert "− 100% Referral commission" in finding.message


def test_the_combined_cap_judges_the_closers_top_margin():
    source = HEAD + '''channel Referral {
    model: referral
    owner: vendor
    lead_protection: 60 days
    commission: 10%
    payment: one_time
}
channel VAD {
    model: wholesale
    owner: partner
    lead_protection: 90 days
    tier Gold { negotiable margin { range: 20% .. 30%; default: 20% } }
}
handover Referral -> VAD { introducer_rate: 5%; combined_cap: 30% }
policy msrp_floor { severity: off }
policy flipper_mitigations { severity: off }
'''
    _program, diagnostics = compiled(source)
    (finding,) = [d for d in diagnostics if d.code == "CH-P002"]
    assert "pays 35% in year 1 (5% Referral + 30% VAD Gold)" in finding.message
    assert any(n.startswith("judged at the most a deal may agree: `margin` at 30%")
               for n in finding.notes)
    assert "CH-P002" not in codes(source.replace("20% .. 30%", "20% .. 25%"))


def test_lead_protection_is_judged_by_the_low_end_of_its_range():
    source = HEAD + '''channel Referral {
    model: referral
    owner: vendor
    commission: 10%
    negotiable lead_protection { range: 15 .. 60 days; default: 60 days }
}
policy lead_protection { minimum: 30 days }
'''
    _program, diagnostics = compiled(source)
    (finding,) = [d for d in diagnostics if d.code == "CH-P017"]
    assert finding.message == ("channel `Referral`'s lead_protection of 15 days (the low end"
                               " of its negotiable range) is shorter than the 30 days the"
                               " program requires")
    assert "CH-P017" not in codes(source.replace("15 .. 60 days", "30 .. 60 days"))


def test_a_commission_that_defaults_to_nothing_but_may_be_agreed_needs_a_clawback():
    source = channel("negotiable commission { range: 0% .. 10%; default: 0% }")
    (finding,) = [d for d in compiled(source)[1] if d.code == "CH-P016"]
    assert "(up to 10% negotiable `commission`)" in finding.message


# ---- 5. outputs -----------------------------------------------------------------------------

def test_the_config_lists_the_range_and_leaves_the_rate_to_the_deal():
    from charter.targets.base import BuildContext

    ctx = BuildContext(program_of(REFERRAL))
    channels = {c["name"]: c for c in ctx.config["channels"]}
    referral, oem, vad = channels["Referral"], channels["OEM"], channels["VAD"]
    assert referral["commission"] is None and referral["lead_protection"] is None
    assert referral["negotiable"] == [
        {"id": "negotiable:Referral/commission", "term": "commission", "from": "0.100000",
         "up_to": "0.200000", "default": "0.100000", "doc": "Above 15% needs the channel chief."},
        {"id": "negotiable:Referral/lead_protection", "term": "lead_protection",
         "from": {"value": "30", "unit": "day", "business": False},
         "up_to": {"value": "60", "unit": "day", "business": False},
         "default": {"value": "45", "unit": "day", "business": False}, "doc": None}]
    # year 1 is the deal's; a one-time fee pays nothing after it whatever is agreed
    assert referral["payout"]["years"] == [{"from_year": 1, "to_year": 1, "rate": None},
                                           {"from_year": 2, "to_year": None,
                                            "rate": "0.000000"}]
    assert oem["discount"] is None and oem["wholesale_prices"] == []
    gold = next(t for t in vad["tiers"] if t["name"] == "Gold")
    assert gold["margin"] is None and gold["margin_y2"] == "0.200000"
    assert gold["payout"]["years"][0] == {"from_year": 1, "to_year": 1, "rate": None}
    assert gold["wholesale_prices"] == []
    assert ctx.partner["channels"][0]["negotiable"] == referral["negotiable"]


def test_the_partner_guide_shows_the_range_and_the_default():
    from charter.targets import guide
    from charter.targets.base import BuildContext

    page = guide.TARGET.build(BuildContext(program_of(REFERRAL)))["partner-guide.md"].decode()
    assert "commission on software revenue of 10%–20%, negotiated per deal; 10% unless" \
           " agreed" in page
    assert "discount off list of 40%–60%, negotiated per deal; 40% unless agreed" in page
    assert "30 days–60 days, negotiated per deal; 45 days unless agreed" in page
    assert "| **Gold** | none | open | 25%–30%, negotiated per deal; 25% unless agreed |" in page


def test_an_internal_channels_terms_never_reach_the_partner():
    from charter.targets import guide
    from charter.targets.base import BuildContext

    source = REFERRAL + '''internal channel Benchmark {
    model: referral
    owner: vendor
    negotiable commission { range: 31% .. 37%; default: 33% }
}
internal economics { cogs: 3%; margin_floor: 30% }
'''
    ctx = BuildContext(program_of(source))
    partner = json.dumps(ctx.partner)
    assert "Benchmark" not in partner and "0.370000" not in partner
    assert "internal" not in ctx.partner
    page = guide.TARGET.build(ctx)["partner-guide.md"].decode()
    assert "Benchmark" not in page and "37%" not in page and "margin_floor" not in page


def test_the_sql_target_covers_negotiated_rates_and_declines_what_it_cannot_map():
    """The deal table carries each negotiated payout term (tests/test_warehouse.py runs
    them); a term the engine does not pay as the rate of the years it sets (here: plus a
    registration bonus) is declined by name, never paid at the default."""
    from charter.warehouse.constants import coverage

    assert coverage(program_of(REFERRAL)) == []
    bonus = REFERRAL.replace("registration { window: 30 days; unregistered_rate: 5% }",
                             "registration { window: 30 days; registered_bonus: 2% }")
    refused = [str(r) for r in coverage(program_of(bonus))]
    assert "channel Referral: a negotiated commission moves its rates in a way the SQL target" \
        " does not compute (it pays a deal's rate as the rate of the contract years that" \
        " follow it, at most the unregistered flat rate)" in refused
    assert any(r.startswith("registered_bonus: ") for r in refused)
    window_only = HEAD + '''channel Referral {
    model: referral
    owner: vendor
    commission: 10%
    negotiable lead_protection { range: 30 .. 60 days; default: 45 days }
}'''
    assert coverage(program_of(window_only)) == []   # a lead window pays nothing


def test_the_diff_says_a_term_became_negotiable_not_that_it_was_cut():
    from charter.semdiff.compare import compare
    from charter.semdiff.rules import classify
    from charter.targets.config import build_config

    fixed = program_of(REFERRAL.replace(
        "negotiable commission {\n        \"\"\"Above 15% needs the channel chief.\"\"\"\n"
        "        range: 10% .. 20%\n        default: 10%\n    }", "commission: 10%"))
    changes = compare(build_config(fixed, Quoter(fixed)),
                      build_config(program_of(REFERRAL), Quoter(program_of(REFERRAL))))
    checks = {classify(c.pattern, c.direction).check for c in changes}
    assert "term-made-negotiable" in checks
    assert not checks & {"commission-rate-decreased", "commission-rate-increased"}
    raised = program_of(REFERRAL.replace("default: 10%", "default: 12%")
                        .replace("range: 10% .. 20%", "range: 10% .. 25%"))
    checks = {classify(c.pattern, c.direction).check
              for c in compare(build_config(program_of(REFERRAL), Quoter(program_of(REFERRAL))),
                               build_config(raised, Quoter(raised)))}
    assert {"negotiable-default-raised", "negotiable-ceiling-raised"} <= checks


# ---- 6. the bundled program -----------------------------------------------------------------

def test_saas_reseller_negotiates_referral_commission_and_oem_discount():
    program, reporter, _ = compile_file(PROGRAMS / "saas-reseller.charter")
    assert not reporter.has_errors and not [d for d in reporter.items
                                            if d.severity.value == "warning"]
    referral, oem = program.channel("Referral"), program.channel("OEM")
    assert referral.negotiable_term("commission").range_text == "10%–20%"
    assert referral.commission == D("0.1")
    assert oem.negotiable_term("discount").range_text == "40%–60%" and oem.discount[0] == D("0.4")
    examples = {e.name: e for e in program.examples}
    agreed = examples["referral_agreed_15_percent_100k"].deal
    assert [(c, t, v) for c, t, v, _s in agreed.terms] == [("Referral", "commission", D("0.15"))]
    text = (PROGRAMS / "saas-reseller.charter").read_text(encoding="utf-8")
    assert "GAP + CHOICE: the framework's Model 2" not in text   # the range is now written
