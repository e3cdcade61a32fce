"""One truth, two engines: the generated SQL (run in DuckDB) against the Python engine.

Every fixture of every bundled program (targets/fixtures.py's scenarios, as the JSON Lines a
batch reads) and many random deals (every route, handovers the program does not declare,
thresholds crossed and reset, up to five contract years, splits, prices off list,
unregistered and uncertified deals) go through both the SQL and the engine
(`charter.warehouse.reference`: the deals sorted by close date then id, the cumulative
accumulated per partner and period) and must agree on every payout line to the minor unit,
every decision and every rejected row. A disagreement prints the deal and both answers.

The default run uses about 25,000 random deals; CHARTER_DIFF_DEALS=100000 runs that many for
each program.
"""
from __future__ import annotations

import json
import os

import pytest

from conftest import PROGRAMS

SCALE = int(os.environ.get("CHARTER_DIFF_DEALS", "0"))

# Everything the bundled programs do not exercise: marginal, retroactive and per-deal ladders,
# a reseller's volume rebate, quarter resets, a 3-channel handover chain with a recurring
# introducer and a year-2 cap, commission on services, step-downs and commission_years, a
# discount range, negotiated terms (a commission the unregistered flat rate caps inside its
# range, an open-ended year-2 commission, a tier's margin and another's year-2 margin),
# unregistered deals, splits of three, an MSRP floor per year on a monthly price, prices with
# cents, MDF counted against the margin floor, a fixed MDF fund with a cap, and payment terms
# of every rule (each line's due date).
MIX = """program mix {
    title: "Mixed"
    currency: USD
    status: draft
    rounding: ROUNDING
    minor_units: 2
}
product Suite {
    layer: software
    list_price: $123.45 per seat per month
    msrp_floor: $1_400 per seat per year
}
product Tool {
    layer: software
    list_price: $999.99 per seat per year
}
channel Agent {
    model: referral
    owner: vendor
    commission_base: software_and_services
    payment: recurring
    commission_y2: 8.1254%
    commission_years: 3
    thresholds volume {
        basis: revenue
        semantics: marginal
        reset: quarter
        bracket: $0 .. $100K -> 7.5%
        bracket: $100K .. $250K -> 12.34567%
        bracket: $250K .. -> 15%
    }
}
channel Finder {
    model: referral
    owner: vendor
    payment: one_time
    thresholds found {
        basis: revenue
        semantics: retroactive
        reset: calendar_year
        bracket: $10K .. $200K -> 5%
        bracket: $200K .. -> 9.5%
    }
}
channel Dist {
    model: wholesale
    owner: partner
    certification: sales
    tier Silver {
        negotiable margin { range: 15% .. 25%; default: 20% }
        margin_y2: 18%
        mdf: 2.5%
    }
    tier Gold {
        margin: 30%
        negotiable margin_y2 { range: 28% .. 32.5%; default: 30% }
        mdf: 3%
    }
    tier Platinum {
        margin: 31%
        mdf: $1_250.55 per quarter
        mdf_cap: $4_321.09 per year
    }
    thresholds purchases {
        basis: purchases
        semantics: forward
        reset: never
        bracket: $0 .. $50K -> 0%
        bracket: $50K .. $500K -> 2%
        bracket: $500K .. -> 3.5%
    }
}
channel Big {
    model: referral
    owner: vendor
    commission: 10%
    payment: recurring
    renewal_fee: 2.5% when renewal_influenced
    thresholds size {
        basis: deal_value
        semantics: forward
        reset: never
        bracket: $0 .. $50K -> 4%
        bracket: $50K .. -> 6%
    }
}
channel OEM {
    model: oem
    owner: partner
    discount: 40% .. 60%
}
channel Affil {
    model: referral
    owner: vendor
    payment: one_time
    thresholds counted {
        basis: referrals
        semantics: forward
        reset: month
        bracket: 1 .. 4 -> 10%
        bracket: 4 .. -> 12.5%
    }
}
spiff launch {
    trigger: "launch"
    reward: $250.55
    channels: Agent, Dist
    minimum: $5_000
    from: 2026-03-01
    until: 2026-09-30
}
spiff push {
    trigger: "push"
    reward: 1.5%
    products: Tool
    from: 2026-01-01
}
spiff someday {
    trigger: "someday"
    reward: $100 .. $200
}
channel Scout {
    model: referral
    owner: vendor
    payment: recurring
    commission_years: 3
    negotiable commission { range: 4% .. 12.345678%; default: 5% }
    negotiable commission_y2 { range: 2% ..; default: 3% }
}
handover Finder -> Agent {
    introducer_rate: 3%
    introducer_payment: recurring
    combined_cap: 25%
    cap_year: 2
}
handover Agent -> Dist {
    introducer_rate: 4.5%
    allowed_tiers: Silver
}
internal economics {
    cogs: 7%
    margin_floor: 45%
    mdf_counts_against_margin: yes
}
registration {
    window: 90 days
    unregistered_rate: 6%
}
payment_terms {
    commission: net 45 days
    true_up: monthly net 10 days
    rebate: quarterly net 30 days
    split: semiannual
    mdf: 15 days after claim_approval
}
attribution {
    default: single
    influenced_rate: 2.5%
    split half {
        partner: 50%
        direct: 50%
    }
    split thirds {
        partner: 33.33%
        vendor: 33.33%
        direct: 33.34%
    }
}
"""


def mix_program(rounding: str = "half_even"):
    """The mixed program (its policies may complain: only its model is used here)."""
    from charter.api import compile_text

    program, reporter = compile_text(MIX.replace("ROUNDING", rounding), "mix.charter")
    assert program is not None, reporter.sorted()
    return program


def bundled(name: str):
    """A bundled program, as written (saas-reseller's deals negotiate their terms)."""
    from charter.api import compile_file

    program, reporter, _ = compile_file(PROGRAMS / name)
    assert program is not None and not reporter.has_errors
    return program


def run_both(program, source: str, fmt: str, tmp_path):
    """The SQL's tables for ``source`` and the deal rows it read (as the engine will read
    them)."""
    from charter.warehouse.constants import build_constants
    from charter.warehouse.run import connect, load_deals, run_sql

    constants, refusals = build_constants(program)
    assert not refusals
    spill = tmp_path / "spill"
    spill.mkdir(exist_ok=True)
    con = connect("1GB", str(spill))
    load_deals(con, source, fmt, constants, program)
    cursor = con.execute("SELECT * FROM deals")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    input_rejects = con.execute("SELECT line, id, error FROM charter_input_rejects").fetchall()
    run_sql(con, constants)
    tables = [[tuple(r) for r in con.execute(f"SELECT * FROM {t}").fetchall()]
              for t in ("charter_payouts", "charter_decisions", "charter_rejects")]
    con.close()
    return rows, input_rejects, tables


def assert_agree(program, rows, tables):
    from charter.warehouse.differential import compare

    problems = compare(program, rows, *tables)
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("name", ["ejourney.charter", "saas-reseller.charter",
                                  "elision.charter", "practice.charter"])
def test_every_fixture_of_every_bundled_program(name, tmp_path):
    from charter.economics import Quoter
    from charter.targets.fixtures import scenarios

    program = bundled(name)
    requests = [s.request for s in scenarios(program, Quoter(program))]
    source = tmp_path / "fixtures.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in requests), encoding="utf-8")
    rows, input_rejects, tables = run_both(program, str(source), "jsonl", tmp_path)
    assert_agree(program, rows, tables)
    # what the JSON Lines reader refused is exactly what the engine refuses
    from charter.economics import RequestInvalid, parse_request

    refused = set()
    for request in requests:
        try:
            parse_request({k: v for k, v in request.items() if k != "cumulative"}, program)
        except RequestInvalid:
            refused.add(request["id"])
    assert {r[1] for r in input_rejects} == refused
    assert len(rows) + len(input_rejects) == len(requests) >= 4
    if name == "elision.charter":  # prices nothing: every scenario is refused
        assert not rows


# the payout kinds each program's random deals must produce (others: commission and margin)
KINDS = {"practice.charter": {"commission", "influence", "spiff"}}
CASES = [("ejourney.charter", 9000), ("saas-reseller.charter", 6000),
         ("practice.charter", 6000), ("mix", 6000)]


@pytest.mark.parametrize("name,count", CASES)
def test_random_deals_agree_to_the_minor_unit(name, count, tmp_path):
    from decimal import Decimal

    from charter.warehouse.differential import random_deals, write_csv
    from charter.warehouse.tables import decision_columns

    program = mix_program() if name == "mix" else bundled(name)
    rows = random_deals(program, SCALE or count, seed=11, partners=3)
    source = tmp_path / "deals.csv"
    write_csv(rows, str(source))
    read, input_rejects, tables = run_both(program, str(source), "csv", tmp_path)
    assert not input_rejects and len(read) == len(rows)
    assert_agree(program, read, tables)
    payouts, decisions, _rejects = tables
    kinds = {p[7] for p in payouts}
    assert KINDS.get(name, {"commission", "wholesale_margin"}) <= kinds
    column = {c.name: i for i, c in enumerate(decision_columns())}
    assert {d[column["decision"]] for d in decisions} == {"accept", "walk"}
    if name == "mix":  # the constructs this program is here for all occurred
        assert {"true_up", "rebate", "mdf", "influence", "spiff", "renewal_fee"} <= kinds
        assert {"slices", "allocated", "spread", "fixed"} <= {p[14] for p in payouts}
        assert any(d[9] for d in decisions)  # a cumulative volume carried
        counted = {d[column["bracket_rate"]] for d in decisions if d[column["ladder"]] ==
                   "counted"}
        assert {Decimal("0.1"), Decimal("0.125")} <= counted  # the count ladder crossed
        assert any(d[column["spiffs_not_paid"]] for d in decisions)
    if name == "practice.charter":  # the affiliate's count ladder, 30% for deals 1 to 10
        counted = {d[column["bracket_rate"]] for d in decisions
                   if d[column["ladder"]] == "referrals_per_month"}
        assert Decimal("0.3") in counted


@pytest.mark.parametrize("rounding", ["half_up", "down", "up"])
def test_every_rounding_mode_agrees(rounding, tmp_path):
    from charter.warehouse.differential import random_deals, write_csv

    program = mix_program(rounding)
    rows = random_deals(program, SCALE or 1500, seed=5, partners=2)
    source = tmp_path / "deals.csv"
    write_csv(rows, str(source))
    read, _input_rejects, tables = run_both(program, str(source), "csv", tmp_path)
    assert_agree(program, read, tables)


def test_rows_the_sql_refuses_are_the_rows_the_engine_refuses(tmp_path):
    """Bad rows built on purpose: each is rejected by both, none silently computed."""
    import datetime as dt
    from decimal import Decimal

    from charter.warehouse.differential import random_deals, write_csv

    program = mix_program()
    rows = [r for r in random_deals(program, 200, seed=3)
            if not any(k.startswith(("influenced", "spiff")) for k in r)]
    bad = [
        {"product": "Suite"},                                             # no id
        {"step1_channel": "Nope"}, {"step1_channel": "Dist"},             # tier missing
        {"step1_channel": "Dist", "step1_tier": "Bronze"},
        {"step1_channel": "Agent", "step1_tier": "X"},                    # untiered
        {"step1_channel": "OEM"},                                         # rate missing
        {"step1_channel": "OEM", "step1_rate": Decimal("0.7")},           # out of range
        {"step1_channel": "Agent", "step1_rate": Decimal("0.1")},         # no range
        {"step1_channel": "Agent", "step2_channel": "Agent"},             # twice
        {"split": "half"},                                                # direct
        {"split": "nope", "step1_channel": "Agent"},
        {"seats": 0}, {"years": 11}, {"product": "Nothing"},
        {"start_date": dt.date(9995, 1, 1), "years": 5},
        {"unit_price": Decimal("100000000000000000")},                    # 10^17
        {"step2_channel": "Agent"},                                       # a gap
        {"influenced1": "Nope"}, {"influenced2": "Agent"},                # unknown; a gap
        {"step1_channel": "Agent", "influenced1": "Agent"},               # on the route
        {"influenced1": "Big", "influenced2": "Big"},                     # twice
        {"spiff1": "someday"}, {"spiff1": "nope"},                        # unpayable; unknown
        {"spiff1": "push", "spiff2": "push"}, {"spiff2": "push"},         # twice; a gap
        {"step1_channel": "Scout", "step1_commission": Decimal("0.13")},  # above the range
        {"step1_channel": "Scout", "step1_commission": Decimal("0.0399")},  # below it
        {"step1_channel": "Agent", "step1_commission": Decimal("0.1")},   # not negotiated
        {"step1_channel": "Dist", "step1_tier": "Gold", "step1_margin": Decimal("0.3")},
        {"step1_channel": "Dist", "step1_tier": "Silver", "step1_discount": Decimal("0.2")},
        {"step1_channel": "Agent", "step1_tier": None, "step2_channel": "Dist",  # introducer
         "step2_tier": "Silver", "step1_commission_y2": Decimal("0.05")},
        {"step1_channel": "OEM", "step1_rate": Decimal("0.5"), "step1_discount": Decimal("0.5")},
        {"step1_margin": Decimal("0.2")},                                  # no channel
    ]
    base = {"product": "Suite", "seats": 10, "close_date": dt.date(2026, 5, 1)}
    for number, fields in enumerate(bad, 1):
        row = {**base, "id": f"bad-{number}", **fields}
        rows.append({k: v for k, v in row.items() if not (k == "id" and "product" in fields
                                                           and fields == {"product": "Suite"})})
    rows.append({**base, "id": rows[0]["id"]})                            # a duplicate id
    source = tmp_path / "deals.csv"
    write_csv(rows, str(source))
    read, input_rejects, tables = run_both(program, str(source), "csv", tmp_path)
    assert not input_rejects
    assert_agree(program, read, tables)
    rejected = [r[1] for r in tables[2]]
    assert sorted(i for i in rejected if i and i.startswith("bad-")) == \
        sorted(f"bad-{n}" for n in range(2, len(bad) + 1))  # bad-1 has no id
    assert None in rejected and rejected.count(rows[0]["id"]) == 2  # both rows of the id


@pytest.mark.parametrize("name,rounding", [("ejourney.charter", None), ("mix", "half_even"),
                                           ("mix", "half_up"), ("mix", "down"), ("mix", "up")])
def test_amounts_on_both_sides_of_the_64_bit_rounding_agree(name, rounding, tmp_path):
    """Gen.money rounds an amount below 10^(18 − scale − minor units) as a 64-bit DECIMAL
    and a larger one as it is (`narrowed`): seat counts from 1 to the limit put the products
    of every rounding on both sides of that bound."""
    import random
    from decimal import Decimal

    from charter.warehouse.differential import random_deals, write_csv

    program = bundled(name) if rounding is None else mix_program(rounding)
    rows = random_deals(program, 1200, seed=13, partners=2)
    rng = random.Random(13)
    for row in rows:
        row["seats"] = rng.choice([1, 3, 999, 12_345, 400_000, 2_500_000, 9_999_999])
    source = tmp_path / "deals.csv"
    write_csv(rows, str(source))
    read, _input_rejects, tables = run_both(program, str(source), "csv", tmp_path)
    assert_agree(program, read, tables)
    amounts = [p[13] for p in tables[0]]
    bound = Decimal(10) ** (12 if rounding is None else 6)  # an amount, to the minor unit
    assert min(amounts) < bound < max(amounts)
