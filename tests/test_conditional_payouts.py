"""Conditional payouts, a registration bonus on the rate, and SPIFFs a quote request claims.

1. `renewal_fee: 5% when renewal_influenced`: paid from year 2 only when the request states
   the condition, a note when it does not; not a step-down; the margin-death line judges it
   paid (the worst case).
2. `registration { registered_bonus: 5% }`: registered deals earn rate + bonus, unregistered
   the rate; contradicting an `unregistered_rate` is CH-E115; the margin line and the
   combined cap count the bonus.
3. `spiff` with a trigger and a window: a request's `spiffs` pays a line inside the window,
   warns (with the dates) outside it, refuses an unknown name with "did you mean".
4. The config, the partner guide and the SQL target.

Every expected amount is worked out in a comment next to it.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import jsonschema
import pytest

from charter.api import compile_file, compile_text
from charter.economics import Quoter, RequestInvalid, parse_request
from charter.economics.response import quote_to_json, response_schema

from conftest import PROGRAMS

D = Decimal
HEAD = '''program t {
    title: "T"
    currency: USD
    status: draft
}
product Platform { layer: software; list_price: $1_000 per seat per year }
'''
RENEWAL = HEAD + '''channel Referral {
    model: referral
    owner: vendor
    commission: 10%
    payment: one_time
    renewal_fee: 5% when renewal_influenced
}
channel Advisor { model: referral; owner: vendor; commission: 5% }
'''
BONUS = HEAD + '''channel Reseller { model: resale; owner: partner; tier Gold { margin: 35% } }
channel Referral { model: referral; owner: vendor; commission: 10%; payment: one_time }
registration { window: 30 days; registered_bonus: 5% }
policy msrp_floor { severity: off }
policy flipper_mitigations { severity: off }
'''
SPIFFS = HEAD + '''product Bundle { layer: software; list_price: $1_500 per seat per year }
channel Referral { model: referral; owner: vendor; commission: 10%; payment: one_time }
channel Advisor { model: referral; owner: vendor; commission: 5%; payment: one_time }
spiff q3_launch {
    trigger: "refer a Platform deal in Q3"
    reward: $500
    products: Platform
    channels: Referral
    minimum: $10K
    from: 2026-07-01
    until: 2026-09-30
}
spiff multi_product { trigger: "cross-sell the bundle"; reward: 5%; products: Bundle; from: 2026-01-01 }
spiff activation { trigger: "first deal"; reward: $500 .. $2_000; duration: 90 days }
spiff push { trigger: "meet quota"; reward: 10% .. 20%; from: 2026-01-01; until: 2026-12-31 }
'''


def language_errors(reporter) -> list[str]:
    return [str(d) for d in reporter.sorted() if d.severity.value == "error"
            and not d.code.startswith("CH-P")]


def program_of(text: str):
    program, reporter = compile_text(text, "t.charter")
    assert program is not None and not language_errors(reporter), language_errors(reporter)
    return program


def codes(text: str) -> list[str]:
    _program, reporter = compile_text(text, "t.charter")
    return [d.code for d in reporter.sorted()]


def findings(text: str, code: str) -> list[str]:
    _program, reporter = compile_text(text, "t.charter")
    return [d.message for d in reporter.sorted() if d.code == code]


def quote(program, **request):
    return Quoter(program).quote(parse_request({"product": "Platform", "seats": 100,
                                                **request}, program))


def lines(quote_, year: int, kind: str) -> list:
    return [p for p in quote_.years[year - 1].payouts if p.kind == kind]


# ---- 1. a conditional renewal fee ----------------------------------------------------------

def test_the_renewal_fee_is_paid_from_year_2_when_the_request_states_the_condition():
    q = quote(program_of(RENEWAL), years=3, route=[{"channel": "Referral"}],
              renewal_influenced=True)
    assert [p.amount for p in lines(q, 1, "commission")] == [D(10_000)]   # 10% of $100K
    assert lines(q, 1, "renewal_fee") == []                              # from year 2 only
    for year in (2, 3):
        (fee,) = lines(q, year, "renewal_fee")
        assert (fee.amount, fee.rate, fee.base) == (D(5_000), D("0.05"), D(100_000))
        assert fee.timing == "recurring" and lines(q, year, "commission") == []
    assert not q.notes


def test_without_the_condition_no_fee_is_paid_and_a_note_names_it():
    q = quote(program_of(RENEWAL), years=2, route=[{"channel": "Referral"}])
    assert all(lines(q, y, "renewal_fee") == [] for y in (1, 2))
    assert q.notes == ("Referral's renewal fee (5% from year 2, when renewal_influenced) is not"
                       " paid: the request does not state `renewal_influenced: true`",)


def test_the_partner_answer_carries_the_fee_line_and_the_note_and_validates():
    program = program_of(RENEWAL)
    for influenced in (True, False):
        q = quote(program, years=2, route=[{"channel": "Referral"}],
                  renewal_influenced=influenced)
        answer = quote_to_json(q, program.header, "partner")
        jsonschema.validate(answer, response_schema("partner"))
        kinds = [line["kind"] for line in answer["years"][1]["payouts"]]
        assert kinds == (["renewal_fee"] if influenced else [])
        assert answer["request"]["renewal_influenced"] is influenced
        assert bool(answer["notes"]) is not influenced


def test_the_condition_stated_where_it_takes_no_effect_is_a_warning():
    program = program_of(RENEWAL)
    on_advisor = parse_request({"product": "Platform", "seats": 1, "years": 2,
                                "route": [{"channel": "Advisor"}], "renewal_influenced": True},
                               program)
    one_year = parse_request({"product": "Platform", "seats": 1,
                              "route": [{"channel": "Referral"}], "renewal_influenced": True},
                             program)
    assert [w.path for w in on_advisor.warnings] == ["$.renewal_influenced"]
    assert "no renewal fee is paid on this route" in on_advisor.warnings[0].message
    assert "1-year deal has no renewal" in one_year.warnings[0].message


@pytest.mark.parametrize("line,code", [
    ("renewal_fee: 5%", "CH-E106"),                           # the condition is required
    ("renewal_fee: 5% when renewed", "CH-E108"),              # not a condition
])
def test_a_renewal_fee_needs_a_known_condition(line, code):
    text = HEAD + f"channel R {{ model: referral; owner: vendor; commission: 10%; {line} }}\n"
    assert code in codes(text)


def test_a_renewal_fee_on_a_channel_that_buys_at_wholesale_is_ch_e112():
    text = HEAD + ("channel R { model: resale; owner: partner;"
                   " renewal_fee: 5% when renewal_influenced; tier A { margin: 20% } }\n")
    assert "CH-E112" in codes(text)


def test_a_renewal_fee_is_not_a_step_down_and_saas_reseller_needs_no_waiver():
    assert findings(RENEWAL, "CH-P003") == []
    program, reporter, _ = compile_file(PROGRAMS / "saas-reseller.charter")
    assert not reporter.has_errors
    assert all(w.policy != "no_step_down" for w in program.waivers)
    assert program.channel("Referral").renewal_fee == D("0.05")


def test_a_step_down_that_reads_as_a_renewal_fee_says_how_to_write_it():
    text = HEAD + ("channel R { model: referral; owner: vendor; commission: 10%;"
                   " commission_y2: 5% }\n")
    _program, reporter = compile_text(text, "t.charter")
    (finding,) = [d for d in reporter.sorted() if d.code == "CH-P003"]
    assert "`renewal_fee: 5% when renewal_influenced`" in " ".join(finding.help)


def test_the_margin_death_line_judges_the_route_with_the_condition_met():
    # year 2: 100% − 10% renewal fee = 90% < the 92% floor; year 1: 100% − 5% = 95%
    text = HEAD + '''channel Referral {
    model: referral
    owner: vendor
    commission: 5%
    payment: one_time
    renewal_fee: 10% when renewal_influenced
}
internal economics { cogs: 0%; margin_floor: 92% }
'''
    (finding,) = findings(text, "CH-P001")
    assert "route Referral crosses the margin-death line" in finding and "renewal_fee" in finding
    program = program_of(text)
    assert quote(program, years=2, route=[{"channel": "Referral"}]).decision == "accept"
    walked = quote(program, years=2, route=[{"channel": "Referral"}], renewal_influenced=True)
    assert walked.decision == "walk" and walked.reasons[0].code == "margin_floor"


# ---- 2. a registration bonus -----------------------------------------------------------------

def test_a_registered_deal_earns_the_margin_plus_the_bonus_as_the_guide_works_it():
    # the practice guide: Gold 35% + 5% registered = 40%; list $50,000 → partner cost $30,000
    program = program_of(BONUS)
    q = quote(program, seats=50, years=2, route=[{"channel": "Reseller", "tier": "Gold"}])
    for year in q.years:
        (margin,) = [p for p in year.payouts if p.kind == "wholesale_margin"]
        assert (margin.amount, margin.rate) == (D(20_000), D("0.40"))
        assert year.wholesale_price == D(30_000)
    assert "+ 5% registration bonus" in margin.why
    assert q.wholesale_unit_price == D(600)                   # $1,000 − 40%


def test_an_unregistered_deal_earns_the_base_rate():
    q = quote(program_of(BONUS), seats=50, registered=False,
              route=[{"channel": "Reseller", "tier": "Gold"}])
    (margin,) = lines(q, 1, "wholesale_margin")
    assert (margin.amount, q.years[0].wholesale_price) == (D(17_500), D(32_500))  # 35%
    assert "without the registration bonus" in margin.why


def test_the_bonus_is_paid_only_in_years_a_rate_pays_and_on_every_bracket():
    one_time = quote(program_of(BONUS), years=2, route=[{"channel": "Referral"}])
    assert [p.amount for p in lines(one_time, 1, "commission")] == [D(15_000)]  # 10% + 5%
    assert lines(one_time, 2, "commission") == []          # a one-time fee stays one time
    ladder = HEAD + '''channel Tiered {
    model: referral
    owner: vendor
    thresholds volume {
        basis: referred_software_revenue
        semantics: forward
        reset: never
        bracket: $0 .. $50K -> 10%
        bracket: $50K .. -> 15%
    }
}
registration { window: 30 days; registered_bonus: 5% }
'''
    q = quote(program_of(ladder), route=[{"channel": "Tiered"}], cumulative={"Tiered": "60000"})
    assert [p.rate for p in lines(q, 1, "commission")] == [D("0.20")]   # 15% + 5%


@pytest.mark.parametrize("where", [
    "registration { window: 30 days; registered_bonus: 5%; unregistered_rate: 10% }",
    "registration { window: 30 days; registered_bonus: 5% }\n"
    "attribution { default: single; unregistered_rate: 10% }",
])
def test_a_bonus_and_a_flat_unregistered_rate_contradict(where):
    (message,) = findings(HEAD + where + "\n", "CH-E115")
    assert "both say what an unregistered deal earns" in message


def test_the_margin_line_and_the_combined_cap_count_the_bonus():
    # Gold 35% + 5% = 40%: net 60% < the 62% floor (65% without the bonus); a Referral
    # introducer's 5% + 40% = 45% is over the 40% cap (exactly 40% without it)
    floor = BONUS + "internal economics { cogs: 0%; margin_floor: 62% }\n"
    cap = BONUS + "handover Referral -> Reseller { introducer_rate: 5%; combined_cap: 40% }\n"
    assert any("route Reseller Gold crosses" in f for f in findings(floor, "CH-P001"))
    assert findings(cap, "CH-P002")
    for text in (floor, cap):
        without = text.replace("registered_bonus: 5%", "extension: 30 days")
        assert findings(without, "CH-P001") == [] and findings(without, "CH-P002") == []


# ---- 3. SPIFFs a request claims -----------------------------------------------------------

def test_a_claimed_spiff_inside_its_window_pays_once_in_year_1():
    q = quote(program_of(SPIFFS), years=2, route=[{"channel": "Referral"}],
              close_date="2026-08-15", spiffs=["q3_launch"])
    (line,) = lines(q, 1, "spiff")
    assert (line.amount, line.amount_is, line.base_of) == (D(500), "fixed", "fixed_amount")
    assert line.rate * line.base == line.amount and line.timing == "one_time"
    assert lines(q, 2, "spiff") == [] and not q.request.warnings


def test_a_percentage_spiff_is_its_rate_times_the_basis():
    q = quote(program_of(SPIFFS), product="Bundle", seats=10, route=[{"channel": "Advisor"}],
              close_date="2027-05-01", spiffs=["multi_product"])   # ongoing: no end
    (line,) = lines(q, 1, "spiff")
    assert (line.amount, line.rate, line.base) == (D(750), D("0.05"), D(15_000))


@pytest.mark.parametrize("request_,why", [
    ({"close_date": "2026-10-01"}, "the deal closes on 2026-10-01, outside SPIFF `q3_launch`'s"
                                   " window 2026-07-01 .. 2026-09-30"),
    ({"close_date": "2026-08-15", "route": [{"channel": "Advisor"}]},
     "is for deals closed by `Referral`, not `Advisor`"),
    ({"close_date": "2026-08-15", "seats": 9}, "needs a deal of at least USD 10,000"),
    ({"close_date": "2026-08-15", "product": "Bundle"}, "is for `Platform`, not `Bundle`"),
])
def test_a_claimed_spiff_the_deal_does_not_qualify_for_is_a_warning_saying_why(request_, why):
    program = program_of(SPIFFS)
    q = quote(program, **{"route": [{"channel": "Referral"}], "spiffs": ["q3_launch"],
                          **request_})
    (warning,) = q.request.warnings
    assert warning.path == "$.spiffs[0]" and why in warning.message
    assert lines(q, 1, "spiff") == []


@pytest.mark.parametrize("spiffs,close,message", [
    (["q3_lanch"], "2026-08-15", "unknown SPIFF `q3_lanch`; did you mean `q3_launch`?"),
    (["activation"], "2026-08-15", "has no window"),
    (["push"], "2026-08-15", "rewards 10% .. 20%, which is decided case by case"),
    (["q3_launch"], None, "give the deal's `close_date`"),
    (["q3_launch", "q3_launch"], "2026-08-15", "claimed twice"),
])
def test_a_spiff_that_cannot_be_claimed_is_an_error(spiffs, close, message):
    program = program_of(SPIFFS)
    request = {"product": "Platform", "seats": 100, "route": [{"channel": "Referral"}],
               "spiffs": spiffs, **({"close_date": close} if close else {})}
    with pytest.raises(RequestInvalid) as caught:
        parse_request(request, program)
    assert any(message in e.message for e in caught.value.errors), caught.value.errors


def test_an_example_claims_spiffs_as_a_request_does():
    text = SPIFFS + '''example inside {
    product: Platform
    seats: 100
    route: Referral
    close_date: 2026-07-01
    spiffs: q3_launch
    expect year 1 Referral { spiff: $500; commission: $10_000 }
}
example outside {
    product: Platform
    seats: 100
    route: Referral
    close_date: 2026-06-30
    spiffs: q3_launch
}
'''
    _program, reporter = compile_text(text, "t.charter")
    found = [(d.code, d.message) for d in reporter.sorted()
             if d.code in ("CH-W301", "CH-E109", "CH-E301", "CH-E302")]
    assert found == [("CH-W301", "example `outside`: the deal closes on 2026-06-30, outside"
                      " SPIFF `q3_launch`'s window 2026-07-01 .. 2026-09-30: it pays nothing"
                      " on this deal")]
    misspelt = text.replace("close_date: 2026-06-30\n    spiffs: q3_launch",
                            "close_date: 2026-06-30\n    spiffs: q3_lanch")
    _program, reporter = compile_text(misspelt, "t.charter")
    (error,) = [d for d in reporter.sorted() if d.code == "CH-E109"]
    assert error.message == "unknown spiff `q3_lanch`"
    assert error.help == ("did you mean `q3_launch`?",)


@pytest.mark.parametrize("window,end", [
    ("from: 2026-07-01; duration: 3 months", dt.date(2026, 9, 30)),
    ("from: 2026-01-31; duration: 1 month", dt.date(2026, 2, 28)),
    ("from: 2026-01-01; duration: 90 days", dt.date(2026, 3, 31)),
    ("from: 2026-01-01; duration: 2 weeks", dt.date(2026, 1, 14)),
    ("from: 2026-01-01", None),
])
def test_a_window_ends_on_its_last_calendar_day(window, end):
    program = program_of(HEAD + f'spiff s {{ trigger: "t"; reward: $5; {window} }}\n')
    assert program.spiffs[0].ends == end


@pytest.mark.parametrize("window,code", [
    ("from: 2026-07-01; until: 2026-06-30", "CH-E114"),
    ("from: 2026-07-01; until: 2026-09-30; duration: 3 months", "CH-E104"),
    ("from: 2026-07-01; duration: 2 business days", "CH-E111"),
    ("until: 2026-09-30", "CH-E103"),
])
def test_a_window_that_cannot_be_read_is_reported(window, code):
    assert code in codes(HEAD + f'spiff s {{ trigger: "t"; reward: $5; {window} }}\n')


def test_a_spiff_trigger_names_known_products_and_channels():
    text = HEAD + 'spiff s { trigger: "t"; reward: $5; products: Platfrom; channels: Nobody }\n'
    messages = findings(text, "CH-E109")
    assert any("unknown product `Platfrom` in spiff s" in m for m in messages)
    assert any("unknown channel `Nobody` in spiff s" in m for m in messages)


def test_the_margin_death_line_counts_every_spiff_that_can_pay_on_the_route():
    # 100% − 10% commission − 10% SPIFF = 80% < 85%; without the SPIFF 90%
    text = SPIFFS.replace("reward: 5%", "reward: 10%").replace("products: Bundle; ", "") + \
        "internal economics { cogs: 0%; margin_floor: 85% }\n"
    failing = findings(text, "CH-P001")
    assert any("route Referral crosses" in f and "spiff" in f for f in failing)
    program = program_of(text)
    assert quote(program, route=[{"channel": "Referral"}]).decision == "accept"


# ---- 4. the config, the partner guide, the SQL target --------------------------------------

def test_the_config_and_the_partner_guide_show_the_partner_terms():
    from charter.targets import guide
    from charter.targets.base import BuildContext

    text = RENEWAL + '''registration { window: 30 days; registered_bonus: 5% }
spiff q3_launch {
    trigger: "refer a deal in Q3"
    reward: $500
    channels: Referral
    from: 2026-07-01
    until: 2026-09-30
}
internal economics { cogs: 3%; margin_floor: 60% }
'''
    ctx = BuildContext(program_of(text))
    partner = ctx.partner
    referral = next(c for c in partner["channels"] if c["name"] == "Referral")
    assert referral["renewal_fee"] == {"rate": "0.050000", "when": "renewal_influenced",
                                       "from_year": 2}
    assert partner["registration"]["registered_bonus"] == "0.050000"
    (spiff,) = partner["spiffs"]
    assert (spiff["from"], spiff["until"], spiff["claimable"]) == ("2026-07-01", "2026-09-30",
                                                                   True)
    assert "internal" not in partner and "margin_floor" not in str(partner)
    page = guide.TARGET.build(ctx)["partner-guide.md"].decode()
    assert "only when you influence the customer's renewal" in page
    assert "Registration bonus" in page and "closed 2026-07-01 – 2026-09-30" in page
    assert "claim it on the deal by its name, q3\\_launch" in page


def test_the_sql_target_declines_a_bonus_by_name_and_covers_spiffs():
    from charter.warehouse.constants import coverage

    refused = [str(r) for r in coverage(program_of(BONUS))]
    assert any(r.startswith("registered_bonus:") for r in refused)
    assert coverage(program_of(SPIFFS)) == []            # claims are deal columns
    assert coverage(program_of(RENEWAL)) == []           # covered: its condition is rejected


def test_the_sql_pays_a_claimed_spiff_once_and_names_the_claims_it_does_not_pay(tmp_path):
    import json

    from charter.warehouse.constants import build_constants
    from charter.warehouse.run import connect, load_deals, run_sql

    program = program_of(SPIFFS)
    constants, _ = build_constants(program)
    deal = {"product": "Platform", "seats": 100, "years": 2, "route": [{"channel": "Referral"}],
            "spiffs": ["q3_launch"]}
    deals = [{**deal, "id": "in", "close_date": "2026-08-01"},
             {**deal, "id": "late", "close_date": "2026-10-01"},
             {**deal, "id": "twice", "close_date": "2026-08-01",
              "spiffs": ["q3_launch", "q3_launch"]}]
    source = tmp_path / "deals.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in deals), encoding="utf-8")
    con = connect("256MB", None)
    load_deals(con, str(source), "jsonl", constants, program)
    run_sql(con, constants)
    spiffs = con.execute("SELECT deal_id, year, amount, base_of, amount_is FROM charter_payouts"
                         " WHERE kind = 'spiff'").fetchall()
    assert [(d, y, str(a), b, i) for d, y, a, b, i in spiffs] == [
        ("in", 1, "500.00", "fixed_amount", "fixed")]
    unpaid = dict(con.execute("SELECT deal_id, spiffs_not_paid FROM charter_decisions").fetchall())
    assert unpaid == {"in": "", "late": "q3_launch"}
    rejects = con.execute("SELECT line, id, error FROM charter_input_rejects").fetchall()
    assert [(r[0], r[1]) for r in rejects] == [(3, "twice")] and "twice" in rejects[0][2]


def test_the_sql_pays_the_renewal_fee_from_year_2_only_when_the_deal_states_it(tmp_path):
    import json

    from charter.warehouse.constants import build_constants
    from charter.warehouse.run import connect, load_deals, run_sql

    program = program_of(RENEWAL)
    constants, _ = build_constants(program)
    deals = [{"id": "met", "product": "Platform", "seats": 10, "years": 3,
              "close_date": "2026-03-01", "route": [{"channel": "Referral"}],
              "renewal_influenced": True},
             {"id": "not-met", "product": "Platform", "seats": 10, "years": 3,
              "close_date": "2026-03-01", "route": [{"channel": "Referral"}]}]
    source = tmp_path / "deals.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in deals), encoding="utf-8")
    con = connect("1GB", str(tmp_path))
    load_deals(con, str(source), "jsonl", constants, program)
    run_sql(con, constants)
    fees = con.execute("SELECT deal_id, year, rate, amount FROM charter_payouts"
                       " WHERE kind = 'renewal_fee' ORDER BY deal_id, year").fetchall()
    rejects = con.execute("SELECT id FROM charter_rejects").fetchall()
    con.close()
    engine = quote(program, seats=10, years=3, close_date="2026-03-01",
                   route=[{"channel": "Referral"}],
                   renewal_influenced=True)
    expected = [("met", y.year, p.rate, p.amount) for y in engine.years for p in y.payouts
                if str(p.kind) == "renewal_fee"]
    assert [(d, y, r, a) for d, y, r, a in fees] == expected and len(expected) == 2
    assert not rejects


def test_a_request_with_more_claims_than_the_deal_table_has_columns_is_rejected(tmp_path):
    """Five SPIFF claims, four `spiffN` columns: the line is a reject naming the limit, never
    cut to four (a dropped claim would be a SPIFF silently not paid)."""
    import json

    from charter.warehouse.constants import build_constants
    from charter.warehouse.run import connect, load_deals

    program = program_of(HEAD + "channel Referral { model: referral; owner: vendor;"
                         " commission: 10% }\n" + "".join(
                             f"spiff s{n} {{ trigger: \"t\"; reward: $10; from: 2026-01-01 }}\n"
                             for n in range(1, 6)))
    constants, refusals = build_constants(program)
    assert not refusals
    deal = {"product": "Platform", "seats": 1, "close_date": "2026-03-01",
            "route": [{"channel": "Referral"}]}
    source = tmp_path / "deals.jsonl"
    source.write_text(json.dumps({**deal, "id": "five", "spiffs": [f"s{n}" for n in range(1, 6)]})
                      + "\n" + json.dumps({**deal, "id": "four",
                                           "spiffs": [f"s{n}" for n in range(1, 5)]}) + "\n",
                      encoding="utf-8")
    con = connect("256MB", None)
    load_deals(con, str(source), "jsonl", constants, program)
    assert con.execute("SELECT line, id, error FROM charter_input_rejects").fetchall() == [
        (1, "five", "spiffs: more than 4 (the deal table's spiffs columns)")]
    assert con.execute("SELECT id, spiff4 FROM deals").fetchall() == [("four", "s4")]
