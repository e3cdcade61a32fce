"""Payment terms (when each payout line falls due) and MDF as a fixed fund (issue 12).

Quotes date a line only from what they know: `net N days` from the contract year's first
day, a cadence from the end of the calendar period the year starts in; a term that waits for
an event states its rule and no date. A tier's fixed fund is accrued per contract year
(capped), counts on the margin-death line, and the SQL commission run computes the same
lines and dates.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

D = Decimal

PROGRAM = """program terms {
    title: "Terms"
    currency: USD
    status: draft
}
product Platform { layer: software; list_price: $1K per seat per year; msrp_floor: list_price }
channel Finder {
    model: referral
    owner: vendor
    payment: one_time
    lead_protection: 90 days
    thresholds found {
        basis: referred_software_revenue
        semantics: retroactive
        reset: calendar_year
        bracket: $0 .. $100K -> 5%
        bracket: $100K .. -> 8%
    }
}
channel Reseller {
    model: wholesale
    owner: partner
    lead_protection: 90 days
    tier Silver { margin: 20%; mdf: 2%; mdf_claim: "co-marketing, on proof" }
    tier Gold {
        quota: $100K per year
        margin: 25%
        mdf: $5_000 per quarter
        mdf_cap: $15K per year
        mdf_claim: "co-marketing, on proof"
        mdf_claim_deadline: 60 days
        mdf_approval: "channel manager"
    }
    tier Monthly { margin: 25%; mdf: $1_000 per month; mdf_claim: "x"; mdf_claim_deadline: 30 days }
    tier Yearly { margin: 25%; mdf: $7_500; mdf_claim: "x"; mdf_claim_deadline: 30 days }
    tier Capped {
        margin: 25%
        mdf: $2_000 per month
        mdf_cap: $3K per quarter
        mdf_claim: "x"
        mdf_claim_deadline: 30 days
    }
    thresholds purchases {
        basis: purchases
        semantics: forward
        reset: never
        bracket: $0 .. $50K -> 0%
        bracket: $50K .. -> 2%
    }
}
payment_terms {
    \"\"\"From the partner agreement, section 7.\"\"\"
    commission: net 30 days
    true_up: monthly net 2 weeks
    rebate: quarterly net 30 days
    mdf: 15 days after claim_approval
}
internal economics {
    cogs: 3%
    margin_floor: 60%
    walk: "Vendor net margin below 60% after every payout"
}
policy flipper_mitigations { severity: off }
policy commission_clawback { severity: off }
policy tier_ladder { severity: off }
example gold_fund {
    \"\"\"A Gold reseller's $120K deal: the fund's capped year, every year.\"\"\"
    product: Platform
    seats: 120
    years: 2
    route: Reseller Gold
    close_date: 2026-02-10
    expect Reseller { partner_margin: $30K; mdf: $15K }
    expect total Reseller { mdf: $30K }
}
"""


@pytest.fixture(scope="module")
def program():
    from charter.api import compile_text

    compiled, reporter = compile_text(PROGRAM, "terms.charter")
    errors = [d for d in reporter.sorted() if d.code.startswith("CH-E")]
    assert compiled is not None and not errors, errors   # (its Gold fund fails CH-P001)
    return compiled


def quote(program, **fields):
    from charter.economics import Quoter, parse_request

    request = {"product": "Platform", "seats": 120, **fields}
    return Quoter(program).quote(parse_request(request, program))


def lines(q, year: int = 1) -> dict:
    """Year ``year``'s lines by kind, with their due."""
    y = q.years[year - 1]
    return {str(p.kind): (p, q.due(p, y)) for p in y.payouts}


# ---- when lines fall due ---------------------------------------------------------------------

def test_net_days_count_from_each_contract_years_invoice(program):
    q = quote(program, years=2, route=[{"channel": "Finder"}], start="2026-02-10",
              cumulative={"Finder": "90000"}, close_date="2026-02-01")
    commission, due = lines(q)["commission"]
    assert (due.rule, due.days, due.counts_from, due.date) == \
        ("net", 30, dt.date(2026, 2, 10), dt.date(2026, 3, 12))
    # the retroactive true-up: the end of February 2026 (not a leap year) + 14 days
    _true_up, due = lines(q)["true_up"]
    assert (due.rule, due.period, due.counts_from, due.date) == \
        ("period_end", "month", dt.date(2026, 2, 28), dt.date(2026, 3, 14))


def test_a_cadence_counts_from_the_end_of_the_period_the_year_starts_in(program):
    q = quote(program, years=2, route=[{"channel": "Reseller", "tier": "Silver"}],
              start="2026-11-30", cumulative={"Reseller": "60000"})
    _rebate, due = lines(q)["rebate"]
    assert (due.counts_from, due.date) == (dt.date(2026, 12, 31), dt.date(2027, 1, 30))
    _rebate, due = lines(q, 2)["rebate"]   # year 2 starts 2027-11-30: the same quarter's end
    assert (due.counts_from, due.date) == (dt.date(2027, 12, 31), dt.date(2028, 1, 30))


def test_an_event_no_quote_can_date_gives_the_rule_and_never_a_date(program):
    q = quote(program, route=[{"channel": "Reseller", "tier": "Gold"}], start="2026-03-01")
    found = lines(q)
    _mdf, due = found["mdf"]
    assert (due.rule, due.days, due.event, due.counts_from, due.date) == \
        ("after_event", 15, "claim_approval", None, None)
    _margin, due = found["wholesale_margin"]
    assert due.rule == "retained" and due.date is None   # the partner keeps it: nothing paid


def test_an_undated_deal_states_the_rule_without_a_date(program):
    q = quote(program, route=[{"channel": "Finder"}])
    _commission, due = lines(q)["commission"]
    assert (due.rule, due.days, due.date) == ("net", 30, None)


def test_a_program_without_terms_says_not_stated_on_every_paid_line():
    from charter.api import compile_file
    from conftest import PROGRAMS

    ejourney, _reporter, _ = compile_file(PROGRAMS / "ejourney.charter")
    q = quote(ejourney, route=[{"channel": "Referral"}], product="Growth", seats=1000,
              close_date="2026-03-01")
    (line,) = q.years[0].payouts
    assert q.due(line, q.years[0]).rule == "not_stated"


@pytest.mark.parametrize("day,period,end", [
    ("2028-02-10", "month", "2028-02-29"), ("2027-02-10", "month", "2027-02-28"),
    ("2026-12-31", "month", "2026-12-31"), ("2026-04-01", "quarter", "2026-06-30"),
    ("2026-11-30", "quarter", "2026-12-31"), ("2026-06-30", "half_year", "2026-06-30"),
    ("2026-07-01", "half_year", "2026-12-31"), ("2026-01-01", "year", "2026-12-31")])
def test_period_ends(day, period, end):
    from charter.economics.payment import period_end

    assert period_end(dt.date.fromisoformat(day), period) == dt.date.fromisoformat(end)


# ---- the response contract -------------------------------------------------------------------

@pytest.mark.parametrize("view", ["internal", "partner"])
def test_every_line_carries_its_due_and_the_schemas_validate_it(program, view):
    import jsonschema

    from charter.economics.response import quote_to_json, response_schema

    q = quote(program, seats=600, years=2, route=[{"channel": "Reseller", "tier": "Gold"}],
              start="2026-02-10", cumulative={"Reseller": "60000"})
    answer = json.loads(json.dumps(quote_to_json(q, program.header, view)))
    jsonschema.validate(answer, response_schema(view))
    dues = {line["kind"]: line["due"] for line in answer["years"][0]["payouts"]}
    assert dues["rebate"] == {"rule": "period_end", "days": 30, "period": "quarter",
                              "event": None, "counts_from": "2026-03-31", "date": "2026-04-30"}
    assert dues["mdf"]["rule"] == "after_event" and dues["mdf"]["date"] is None
    made_up = json.loads(json.dumps(answer))
    made_up["years"][0]["payouts"][0]["due"]["rule"] = "when_convenient"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(made_up, response_schema(view))


# ---- MDF as a fixed fund ---------------------------------------------------------------------

@pytest.mark.parametrize("tier,fund", [
    ("Gold", "15000.00"),      # $5,000 × 4 quarters = $20,000, capped at $15,000 a year
    ("Monthly", "12000.00"),   # $1,000 × 12 months
    ("Yearly", "7500.00"),     # a bare amount is a year's fund
    ("Capped", "12000.00"),    # $2,000 × 12 = $24,000, capped at $3,000 a quarter = $12,000
])
def test_a_fixed_fund_accrues_its_year_on_every_contract_year(program, tier, fund):
    from charter.economics.kinds import AmountIs, BaseOf

    q = quote(program, years=3, route=[{"channel": "Reseller", "tier": tier}])
    for year in q.years:
        (line,) = [p for p in year.payouts if p.kind == "mdf"]
        assert (line.amount, line.rate, line.base) == (D(fund), D(1), D(fund))
        assert line.base_of is BaseOf.MDF_FUND and line.amount_is is AmountIs.RATE_X_BASE


def test_the_fund_does_not_grow_with_the_deal(program):
    small, large = (quote(program, seats=n, route=[{"channel": "Reseller", "tier": "Gold"}])
                    for n in (10, 10_000))
    assert small.years[0].amount("Reseller", "mdf") == large.years[0].amount("Reseller", "mdf")


def test_a_fixed_fund_takes_a_small_deal_below_the_margin_floor(program):
    """Counted against the floor: 100% − 3% COGS − 25% margin − $15K on a $20K deal walks;
    the same fund on a $1.2M deal is 1.25% and the deal is accepted."""
    small = quote(program, seats=20, route=[{"channel": "Reseller", "tier": "Gold"}])
    large = quote(program, seats=1200, route=[{"channel": "Reseller", "tier": "Gold"}])
    assert small.decision == "walk" and large.decision == "accept"
    (reason,) = small.reasons
    assert reason.code == "margin_floor" and "75% Reseller mdf" in reason.message


def test_a_fund_kept_off_the_floor_is_never_kept_off_zero(program):
    import dataclasses

    econ = dataclasses.replace(program.economics, mdf_counts_against_margin=False,
                               margin_floor=D("0.10"))
    kept_off = dataclasses.replace(program, economics=econ)
    q = quote(kept_off, seats=10, route=[{"channel": "Reseller", "tier": "Gold"}])
    assert q.decision == "walk" and "once MDF is paid" in q.reasons[0].message


def test_the_margin_death_line_judges_a_fund_on_the_tiers_quota(program):
    """The nominal deal (1,000 seats) passes; Gold's quota ($100K a year) does not."""
    from charter.api import check_paths

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "terms.charter"
        path.write_text(PROGRAM, encoding="utf-8")
        result = check_paths([str(path)])
    findings = [d for d in result.diagnostics if d.code == "CH-P001"]
    routes = {d.message.split(" crosses")[0]: d for d in findings}
    assert set(routes) == {
        "route Reseller Gold (bracket from 50000) (at the tier's volume, 100,000 a year in list value)",
        "route Reseller Gold (bracket from 0) (at the tier's volume, 100,000 a year in list value)"}
    fund = next(i for i, x in enumerate(PROGRAM.splitlines(), 1) if "$5_000 per quarter" in x)
    assert {(d.span.line, d.label) for d in findings} == \
        {(fund, "this fixed MDF fund on this route")}
    alone = routes["route Reseller Gold (bracket from 0) (at the tier's volume, 100,000 a year in list value)"]
    assert "57% in year 1" in alone.message and "− 15% Reseller mdf" in alone.message


def test_the_worked_example_states_the_fixed_accrual(program):
    """The example's expectations hold (`check` compiled the program clean of CH-E301), and
    a wrong fund would not: the same example expecting the uncapped $20K fails."""
    import dataclasses

    from charter.diagnostics import Reporter
    from charter.economics import Quoter
    from charter.economics.examples import check_example

    (example,) = program.examples
    reporter = Reporter()
    check_example(program, example, reporter, Quoter(program))
    assert not list(reporter)
    wrong = [dataclasses.replace(e, value=dataclasses.replace(e.value, amount=D(20_000)))
             if e.metric == "mdf" and not e.total else e for e in example.expectations]
    check_example(program, dataclasses.replace(example, expectations=tuple(wrong)), reporter,
                  Quoter(program))
    assert [d.code for d in reporter] == ["CH-E301"]


# ---- the SQL commission run ------------------------------------------------------------------

def test_the_sql_period_end_is_the_engines_for_every_day_of_a_leap_and_a_common_year():
    import duckdb

    from charter.economics.payment import PERIOD_MONTHS, period_end
    from charter.warehouse.sqlgen import _period_end

    days = [dt.date(2027, 1, 1) + dt.timedelta(days=i) for i in range(731)]
    con = duckdb.connect()
    con.execute("CREATE TABLE d AS SELECT * FROM (SELECT UNNEST(?) AS day)", [days])
    for period in PERIOD_MONTHS:
        got = con.execute(f"SELECT day, {_period_end('day', period)} FROM d ORDER BY day")
        assert [(d, e) for d, e in got.fetchall()] == [(d, period_end(d, period)) for d in days]


def test_the_sql_target_covers_terms_and_funds_and_writes_due_columns(program, tmp_path):
    from charter.warehouse.constants import build_constants
    from charter.warehouse.tables import payout_columns

    constants, refusals = build_constants(program)
    assert refusals == [] and constants is not None
    assert [c.name for c in payout_columns()][-2:] == ["due_rule", "due_date"]
    gold = next(c for c in constants.closers if c.tier == "Gold")
    assert gold.fund == D("15000.00") and gold.mdf == 0


def test_the_commission_run_equals_the_engine_on_terms_and_funds(program, tmp_path):
    from charter.warehouse.differential import random_deals, write_csv
    from test_warehouse_differential import assert_agree, run_both

    rows = random_deals(program, 1500, seed=7, partners=2)
    path = tmp_path / "deals.csv"
    write_csv(rows, path)
    deals, _rejects, tables = run_both(program, str(path), "csv", tmp_path)
    assert_agree(program, deals, tables)
    payouts = tables[0]
    assert {(r[7], r[-2]) for r in payouts} >= {("commission", "net"), ("rebate", "period_end"),
                                                ("mdf", "after_event"),
                                                ("wholesale_margin", "retained")}
    assert any(r[12] == "mdf_fund" for r in payouts)


# ---- the language ----------------------------------------------------------------------------

@pytest.mark.parametrize("written,rule,days,period", [
    ("net 0 days", "net", 0, None), ("net 2 weeks", "net", 14, None),
    ("quarterly", "period_end", 0, "quarter"), ("annual net 5 days", "period_end", 5, "year"),
    ("semiannual net 1 day", "period_end", 1, "half_year")])
def test_terms_as_written(compile_src, written, rule, days, period):
    program, diagnostics = compile_src(
        'program t { title: "T"; currency: USD; status: draft }\n'
        f"payment_terms {{ commission: {written} }}\n")
    assert not [d for d in diagnostics if d.severity.value == "error"], diagnostics
    term = program.payment_terms.term("commission")
    assert (term.rule, term.days, term.period, term.text) == (rule, days, period, written)


def test_an_unknown_kind_is_a_did_you_mean(compile_src):
    _program, diagnostics = compile_src('program t { title: "T"; currency: USD; status: draft }\n'
                                        "payment_terms { comission: net 30 days }\n")
    (error,) = [d for d in diagnostics if d.code == "CH-E102"]
    assert "did you mean `commission`?" in error.help


def test_no_missing_term_warning_without_the_block_or_in_an_abstract_base(compile_src):
    paying = "channel R { model: referral; owner: vendor; commission: 10% }\n"
    for header, terms in (('program t { title: "T"; currency: USD; status: draft }\n', ""),
                          ('program t { title: "T"; abstract: yes }\n',
                           "payment_terms { rebate: quarterly }\n")):
        _program, diagnostics = compile_src(header + paying + terms)
        assert not [d for d in diagnostics if d.code == "CH-W130"]
    _program, diagnostics = compile_src('program t { title: "T"; currency: USD; status: draft }\n'
                                        + paying + "payment_terms { rebate: quarterly }\n")
    (warning,) = [d for d in diagnostics if d.code == "CH-W130"]
    assert "`commission`" in warning.message and "R's commission" in warning.message


# ---- the config, the partner guide, the diff -------------------------------------------------

def test_the_config_carries_terms_and_the_fund_and_the_partner_sees_them(program):
    from charter.targets.base import BuildContext

    ctx = BuildContext(program)
    for config in (ctx.config, ctx.partner):
        terms = {t["kind"]: t for t in config["payment_terms"]["terms"]}
        assert terms["rebate"] == {"id": "payment_term:rebate", "kind": "rebate",
                                   "rule": "period_end", "days": 30, "period": "quarter",
                                   "event": None, "text": "quarterly net 30 days"}
        gold = next(t for t in config["channels"][1]["tiers"] if t["name"] == "Gold")
        assert gold["mdf"] == {"money": {"amount": "5000.00", "currency": "USD"},
                               "per_period": "quarter"}
        assert gold["mdf_cap"]["per_period"] == "year" and gold["mdf_approval"] == \
            "channel manager"
        assert gold["payout"]["mdf_fund"] == {"amount": "15000.00", "currency": "USD"}


def test_the_partner_guide_says_when_you_are_paid_and_nothing_internal(program):
    from charter.targets import guide
    from charter.targets.base import BuildContext

    text = guide.TARGET.build(BuildContext(program))["partner-guide.md"].decode()
    assert "### When you are paid" in text
    assert "30 days after the end of the calendar quarter the contract year starts in" in text
    assert "15 days after your claim is approved" in text
    assert "$5,000 per quarter (up to $15,000 per year)" in text
    assert "claim within 60 days; approval: channel manager" in text
    for internal in ("60%", "margin floor", "margin-death", "Vendor net margin", "COGS"):
        assert internal not in text, internal


def test_a_guide_without_terms_says_they_are_not_stated():
    from charter.api import compile_file
    from charter.targets import guide
    from charter.targets.base import BuildContext
    from conftest import PROGRAMS

    practice, _reporter, _ = compile_file(PROGRAMS / "practice.charter")
    text = guide.TARGET.build(BuildContext(practice))["partner-guide.md"].decode()
    assert "does not state when payouts fall due" in text


def test_the_diff_classifies_later_and_sooner_payment(tmp_path):
    from charter.semdiff import diff_files

    old, new = tmp_path / "old.charter", tmp_path / "new.charter"
    old.write_text(PROGRAM, encoding="utf-8")
    new.write_text(PROGRAM.replace("commission: net 30 days", "commission: net 45 days")
                   .replace("mdf_cap: $15K per year", "mdf_cap: $18K per year"),
                   encoding="utf-8")
    later = {c.check: c.classes for c in diff_files(old, new).changes()}
    assert later["payment-terms-changed"][0] == "partner-unfavourable"
    assert later["mdf-cap-raised"][0] == "partner-favourable"
    sooner = {c.check for c in diff_files(new, old).changes()}
    assert {"payout-due-sooner", "mdf-cap-lowered"} <= sooner


@pytest.mark.parametrize("extra, kind", [
    ("channel Ref { model: referral; owner: vendor; commission: 10%; payment: one_time;"
     " renewal_fee: 5% when renewal_influenced; lead_protection: 30 days }", "renewal_fee"),
    ('spiff launch { trigger: "launch deal"; reward: $500; from: 2026-01-01;'
     " duration: 3 months }", "spiff")])
def test_a_renewal_fee_or_a_claimable_spiff_needs_a_payment_term(extra, kind):
    from charter.api import compile_text

    text = """program pt { title: "P"; currency: USD; status: draft; effective: 2026-01-01 }
product P { layer: software; list_price: $1_000 per seat per year }
channel Referral { model: referral; owner: vendor; commission: 10%; lead_protection: 30 days }
clawback refund { event: "refund"; rule: 0 days .. 30 days -> 100% }
payment_terms { commission: net 30 days }
""" + extra + "\n"
    _program, reporter = compile_text(text, "pt.charter")
    warned = [d.message for d in reporter.sorted() if d.code == "CH-W130"]
    assert len(warned) == 1 and f"no term for `{kind}`" in warned[0], reporter.sorted()
    covered = text.replace("commission: net 30 days", f"commission: net 30 days; {kind}: net 30 days")
    _program, reporter = compile_text(covered, "pt.charter")
    assert not [d for d in reporter.sorted() if d.code == "CH-W130"]
