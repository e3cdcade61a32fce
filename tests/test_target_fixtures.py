"""The `fixtures` target: quote scenarios downstream systems test themselves against.

1. every bundled concrete program yields fixtures (ejourney at least 50; elision, which
   prices nothing, gets its routes' refusals), named by safe, sorted slugs, indexed;
2. the files are canonical (2-space indent, trailing newline) and deterministic;
3. every answer validates against its view's response schema (format checker on);
4. REPLAY: the real CLI answers every request as the fixture says (`--batch` for all, single
   requests byte for byte for a sample, both views);
5. the scenario groups are there: examples, channel × tier × product, threshold boundaries, a
   crossing, a reset, handovers (disallowed ones walk), multi-year, splits, ranged discounts,
   partner ids, influence (on a program that declares it).
"""
from __future__ import annotations

import functools
import json
import re
from decimal import Decimal

import jsonschema
import pytest
from click.testing import CliRunner

from charter.api import compile_file
from charter.economics.contract import CONTRACT_VERSION
from charter.economics.response import response_schema
from charter.targets.base import BuildContext
from charter.targets.fixtures import build, slug

from conftest import PROGRAMS

CONCRETE = ("ejourney", "saas-reseller", "elision")
SAFE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

SYNTHETIC = '''program synth {
    title: "Synthetic"
    currency: USD
    status: draft
    effective: 2026-05-15
}
product Seat {
    layer: software
    list_price: $10 per seat per month
}
channel Reseller {
    model: wholesale
    owner: partner
    tier Silver { margin: 20% }
    tier Gold { margin: 30% }
    thresholds purchases {
        basis: purchase_volume
        semantics: marginal
        reset: quarter
        bracket: $0 .. $50K -> 0%
        bracket: $50K .. -> 2%
    }
}
channel Advisor {
    model: referral
    owner: vendor
    payment: one_time
    thresholds deal_size {
        basis: deal_value
        semantics: retroactive
        reset: never
        bracket: $0 .. $20K -> 10%
        bracket: $20K .. -> 15%
    }
}
handover Advisor -> Reseller {
    introducer_rate: 5%
    allowed_tiers: Silver
}
attribution {
    default: single
    influenced_rate: 2%
}
'''


# ---- helpers ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def program(name: str):
    compiled, reporter, _ = compile_file(PROGRAMS / f"{name}.charter")
    assert compiled is not None and not reporter.has_errors, name
    return compiled


@functools.lru_cache(maxsize=None)
def built(name: str) -> dict[str, bytes]:
    """The target's files for a bundled program (built once per test run)."""
    return build(BuildContext(program(name)))


def fixtures(name: str) -> list[dict]:
    files = built(name)
    return [json.loads(files[f"fixtures/{e['file']}"]) for e in index(name)["fixtures"]]


def index(name: str) -> dict:
    return json.loads(built(name)["fixtures/index.json"])


def by_name(name: str) -> dict[str, dict]:
    return {f["name"]: f for f in fixtures(name)}


@functools.lru_cache(maxsize=None)
def validator(view: str):
    schema = response_schema(view)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def run(*args: str):
    """`charter ...` in-process, stdout and stderr apart (as tests/test_quote_cli.py does)."""
    from charter.cli import main
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(answer: dict) -> bool:
    return answer.get("error") == "invalid request"


def canonical(answer: dict) -> str:
    """The bytes `charter quote --format json` prints for ``answer`` (click adds the newline)."""
    return json.dumps(answer, indent=2, ensure_ascii=False) + "\n"


# ---- 1. every program, names, index -------------------------------------------------------

def test_the_target_is_registered_for_machines():
    from charter.targets import BUILTIN
    from charter.targets.fixtures import TARGET

    assert "fixtures" in BUILTIN and TARGET.name == "fixtures"
    assert TARGET.audience == "machines" and TARGET.build is build


def test_ejourney_has_at_least_50_fixtures():
    assert index("ejourney")["count"] >= 50


@pytest.mark.parametrize("name", CONCRETE)
def test_every_concrete_program_yields_indexed_fixtures(name):
    files, idx = built(name), index(name)
    assert idx["program"] == program(name).header.id and idx["contract_version"] == CONTRACT_VERSION
    assert idx["version"] == program(name).header.version
    assert idx["count"] == len(idx["fixtures"]) == len(files) - 1 > 0
    names = [e["name"] for e in idx["fixtures"]]
    assert names == sorted(names) and len(set(names)) == len(names)
    assert sorted(files) == sorted([f"fixtures/{n}.json" for n in names] + ["fixtures/index.json"])
    for entry, fx in zip(idx["fixtures"], fixtures(name)):
        assert SAFE.match(entry["name"]) and entry["file"] == entry["name"] + ".json"
        assert list(fx) == ["name", "description", "request", "expected", "expected_partner"]
        assert fx["name"] == entry["name"] and fx["description"] == entry["description"]
        assert fx["request"]["id"] == fx["name"]
        assert entry["decision"] == fx["expected"].get("decision", "refused")


def test_elision_prices_nothing_so_its_routes_are_refused():
    """elision has no priced product: one scenario per channel, each the CLI's refusal."""
    fxs = fixtures("elision")
    channels = {c.name for c in program("elision").channels if not c.internal}
    assert {f["request"]["route"][0]["channel"] for f in fxs} == channels
    for fx in fxs:
        assert refused(fx["expected"]) and fx["expected_partner"] == fx["expected"]
        assert [e["path"] for e in fx["expected"]["errors"]] == ["$.product"]


def test_slugs_are_safe_for_hostile_names():
    for text in ("route <script>alert(1)</script>", "a/../../b", "x` | ]] -->\n\x07",
                 "Référé 40% -> VAD", "", "---"):
        assert SAFE.match(slug(text)), text
    assert slug("route OEM at 40%") == "route-oem-at-40pct"


# ---- 2. canonical and deterministic -------------------------------------------------------

@pytest.mark.parametrize("name", CONCRETE)
def test_files_are_two_space_indented_with_a_trailing_newline(name):
    for path, data in built(name).items():
        text = data.decode("utf-8")
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n", path


@pytest.mark.parametrize("name", CONCRETE)
def test_build_is_deterministic(name):
    fresh, _reporter, _ = compile_file(PROGRAMS / f"{name}.charter")
    assert build(BuildContext(fresh)) == built(name)


@pytest.mark.parametrize("name", CONCRETE)
def test_every_request_closes_on_a_stated_date_and_years_are_dated(name):
    for fx in fixtures(name):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fx["request"]["close_date"]), fx["name"]
        for year in fx["expected"].get("years", ()):
            assert year["start"] and year["end"], fx["name"]


# ---- 3. schemas ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", CONCRETE)
def test_every_answer_validates_against_its_view_schema(name):
    for fx in fixtures(name):
        for key, view in (("expected", "internal"), ("expected_partner", "partner")):
            errors = [e.message for e in validator(view).iter_errors(fx[key])]
            assert not errors, (fx["name"], key, errors)
            if not refused(fx[key]):
                assert fx[key]["view"] == view and fx[key]["id"] == fx["name"]


# ---- 4. replay through the real CLI -------------------------------------------------------

@pytest.mark.parametrize("name", CONCRETE)
@pytest.mark.parametrize("view", ["internal", "partner"])
def test_replay_through_charter_quote_batch(name, view, tmp_path):
    """Every request as JSON Lines through `charter quote --batch`: each line is the fixture's
    answer. A refused line also carries its line number and the request's id (batch only)."""
    fxs = fixtures(name)
    lines = tmp_path / "requests.jsonl"
    lines.write_text("".join(json.dumps(f["request"], ensure_ascii=False) + "\n" for f in fxs),
                     encoding="utf-8")
    result = run("quote", PROGRAMS / f"{name}.charter", "--batch", lines, "--view", view)
    answers = [json.loads(line, parse_float=Decimal) for line in result.stdout.splitlines()]
    assert len(answers) == len(fxs), result.stderr
    key = "expected" if view == "internal" else "expected_partner"
    for number, (fx, got) in enumerate(zip(fxs, answers), 1):
        if refused(fx[key]):
            assert (got.pop("line"), got.pop("id")) == (number, fx["name"])
        assert got == fx[key], fx["name"]
    assert result.exit_code == (1 if any(refused(f["expected"]) for f in fxs) else 0)


def _sample(name: str) -> list[dict]:
    """The first accepted, walked and refused fixture of a program (those it has)."""
    seen: dict[str, dict] = {}
    for fx in fixtures(name):
        decision = fx["expected"].get("decision", "refused")
        seen.setdefault(decision, fx)
    return list(seen.values())


@pytest.mark.parametrize("name", CONCRETE)
def test_single_quote_prints_the_fixture_byte_for_byte(name, tmp_path):
    for fx in _sample(name):
        path = tmp_path / f"{fx['name']}.json"
        path.write_text(json.dumps(fx["request"], ensure_ascii=False), encoding="utf-8")
        internal = run("quote", PROGRAMS / f"{name}.charter", path, "--format", "json")
        partner = run("quote", PROGRAMS / f"{name}.charter", path, "--format", "json",
                      "--view", "partner")
        assert internal.stdout == canonical(fx["expected"]), fx["name"]
        assert partner.stdout == canonical(fx["expected_partner"]), fx["name"]
        assert internal.exit_code == (1 if refused(fx["expected"]) else 0)


def test_the_sample_covers_every_decision():
    assert {f["expected"].get("decision", "refused") for f in _sample("ejourney")} == \
        {"accept", "walk", "refused"}


# ---- 5. the scenario groups ---------------------------------------------------------------

def test_every_worked_example_is_a_scenario_and_the_benchmark_is_refused():
    fxs = by_name("ejourney")
    for example in program("ejourney").examples:
        assert slug(f"example {example.name}") in fxs, example.name
    benchmark = fxs["example-d1-commission-comparison"]
    assert refused(benchmark["expected"]) and "internal" in benchmark["description"]
    assert benchmark["expected"]["errors"][0]["path"] == "$.route[0].channel"


def test_every_channel_tier_and_product_is_quoted_alone():
    prog = program("ejourney")
    fxs = by_name("ejourney")
    priced = [p.name for p in prog.products if p.list_price is not None]
    for channel in (c for c in prog.channels if not c.internal):
        for tier in [t.name for t in channel.tiers] or [None]:
            for product in priced:
                name = slug(" ".join(filter(None, ["route", channel.name, tier, product])))
                assert fxs[name]["expected"]["decision"] == "accept", name


def test_negotiable_discounts_are_quoted_at_the_default_the_top_and_past_it():
    fxs = by_name("saas-reseller")          # OEM: negotiable discount 40% .. 60%, default 40%
    default = fxs["route-oem-platform"]
    assert "rate" not in default["request"]["route"][0]
    assert default["expected"]["years"][0]["payouts"][0]["rate"] == "0.400000"
    top = fxs["negotiated-oem-discount-top"]
    assert top["request"]["route"][0]["terms"] == {"discount": "60%"}
    assert top["expected"]["request"]["route"][0]["terms"] == {"discount": "0.600000"}
    assert top["expected"]["years"][0]["payouts"][0]["rate"] == "0.600000"
    past = fxs["negotiated-oem-discount-outside"]
    assert past["expected"]["errors"] == [{
        "path": "$.route[0].terms.discount",
        "message": "discount 61% is outside OEM's negotiable range 40%–60%"}]


def _ladder(fx: dict) -> dict:
    return fx["expected"]["thresholds"][0]


def test_threshold_boundaries_below_at_and_above():
    """Forward brackets are [low, high): one rupiah below Rp 3 Miliar earns 10%, at and above
    it 15%."""
    fxs = by_name("ejourney")
    rates = {label: _ladder(fxs[f"threshold-referral-referred-revenue-3000000000-{label}"])
             ["bracket"]["rate"] for label in ("below", "at", "above")}
    assert rates == {"below": "0.100000", "at": "0.150000", "above": "0.150000"}
    below = fxs["threshold-referral-referred-revenue-3000000000-below"]
    assert below["request"]["cumulative"] == {"Referral": "2999999999"}


def _crosses(fx: dict) -> bool:
    ladder = _ladder(fx)
    top = ladder["bracket"]["up_to"]
    return top is not None and Decimal(ladder["cumulative_before"]) < Decimal(top) \
        <= Decimal(ladder["cumulative_after"])


def test_a_crossing_and_a_reset_exist_where_thresholds_are_declared():
    ladders = [f for f in fixtures("ejourney") if f["expected"].get("thresholds")]
    assert any(_crosses(f) for f in ladders)
    assert any(_ladder(f)["reset_applied"] for f in ladders)
    reset = by_name("ejourney")["threshold-referral-referred-revenue-reset"]
    assert reset["request"]["cumulative"]["Referral"]["as_of"] < reset["request"]["close_date"]
    assert _ladder(reset)["cumulative_before"] == "0" and reset["expected"]["notes"]
    crossing = by_name("ejourney")["threshold-referral-referred-revenue-3000000000-crossing"]
    assert _crosses(crossing)


@pytest.mark.parametrize("name", ["ejourney", "saas-reseller"])
def test_what_a_program_declares_has_its_scenarios(name):
    """A walk wherever two channels can meet, a crossing and a reset for a calendar ladder, a
    split for each declared split: derived from the program, not from the names."""
    prog, fxs = program(name), fixtures(name)
    offered = [c for c in prog.channels if not c.internal]
    ladders = [f for f in fxs if f["expected"].get("thresholds")]
    if len(offered) > 1:
        assert any(f["expected"].get("decision") == "walk" for f in fxs)
    if any(c.thresholds and c.thresholds.reset in ("calendar_year", "quarter") for c in offered):
        assert any(_crosses(f) for f in ladders)
        assert any(_ladder(f)["reset_applied"] for f in ladders)
    splits = {s.name for s in prog.attribution.splits} if prog.attribution else set()
    assert {f["request"]["split"] for f in fxs if f["request"].get("split")
            and f["expected"].get("decision") == "accept"} == splits


def test_no_threshold_scenarios_without_thresholds():
    assert not any(f["name"].startswith("threshold-") for f in fixtures("saas-reseller"))


def test_every_handover_combination_including_the_disallowed_ones():
    fxs = by_name("ejourney")
    reasons = {name: {r["code"] for r in fxs[name]["expected"]["reasons"]}
               for name in fxs if name.startswith("handover-")}
    assert reasons["handover-referral-to-vad-standard"] == set()
    assert reasons["handover-referral-to-vad-accelerator"] == set()
    assert "tier_not_allowed" in reasons["handover-referral-to-vad-elite"]
    assert reasons["handover-vad-standard-to-referral"] == {"no_handover"}
    elite = fxs["handover-referral-to-vad-elite"]["expected_partner"]
    partner = {r["code"] for r in elite["reasons"]}
    assert "margin_floor" not in partner and "vendor_declined" in partner


def test_a_walk_lists_nothing_as_payable():
    for fx in fixtures("ejourney") + fixtures("saas-reseller"):
        if fx["expected"].get("decision") == "walk":
            assert all(not y["payouts"] for y in fx["expected"]["years"]), fx["name"]


def test_no_handover_pairs_walk_in_a_program_without_handovers():
    fxs = [f for f in fixtures("saas-reseller") if f["name"].startswith("handover-")]
    channels = [c for c in program("saas-reseller").channels if not c.internal]
    assert len(fxs) == len(channels) * (len(channels) - 1)
    assert all({r["code"] for r in f["expected"]["reasons"]} == {"no_handover"} for f in fxs)


def test_multi_year_deals_on_every_route():
    for name in ("ejourney", "saas-reseller"):
        multi = [f for f in fixtures(name) if f["name"].startswith("multi-year-")]
        assert multi and all(len(f["expected"]["years"]) == 3 for f in multi)
        assert {f["request"]["route"][-1]["channel"] for f in multi} == \
            {c.name for c in program(name).channels if not c.internal}


def test_partner_ids_are_echoed_on_payout_lines():
    fx = by_name("ejourney")["multi-year-3-referral-to-vad-accelerator"]
    partners = {(p["party"], p["partner"]) for p in fx["expected"]["years"][0]["payouts"]}
    assert ("Referral", "partner-referral") in partners and ("VAD", "partner-vad") in partners


def test_splits_where_declared():
    splits = [f for f in fixtures("saas-reseller") if f["request"].get("split")]
    assert {f["request"]["split"] for f in splits} == \
        {s.name for s in program("saas-reseller").attribution.splits}
    assert all(f["expected"]["decision"] == "accept" and f["expected"]["years"][0]["credit"]
               for f in splits)
    assert not any(f["request"].get("split") for f in fixtures("ejourney"))


def test_walk_rules_the_program_declares():
    fxs = by_name("ejourney")
    codes = lambda n: {r["code"] for r in fxs[n]["expected"]["reasons"]}  # noqa: E731
    assert codes("below-msrp-growth-vad-standard") == {"below_msrp"}   # the reseller prices
    assert codes("below-msrp-approved-growth-vad-standard") == set()
    assert codes("below-wholesale-vad-standard") == {"below_wholesale"}
    assert codes("not-certified-vad-standard") == {"not_certified"}
    saas = by_name("saas-reseller")
    assert saas["unregistered-reseller-registered"]["request"]["registered"] is False


def test_a_program_with_influence_a_quarter_and_a_per_deal_ladder(tmp_path):
    """Groups no bundled program exercises: influence, a quarterly reset, a per-deal ladder."""
    from charter.api import compile_text

    prog, _reporter = compile_text(SYNTHETIC, "synth.charter")
    files = build(BuildContext(prog))
    fxs = {json.loads(v)["name"]: json.loads(v) for k, v in files.items()
           if not k.endswith("index.json")}
    influence = [f for f in fxs.values() if f["request"].get("influenced")]
    assert len(influence) == 2 and all(f["expected"]["decision"] == "accept" for f in influence)
    assert any(p["kind"] == "influence" for f in influence
               for p in f["expected"]["years"][0]["payouts"])
    reset = fxs["threshold-reseller-purchases-reset"]
    assert reset["request"]["close_date"] == "2026-05-15"
    assert reset["request"]["cumulative"]["Reseller"]["as_of"] == "2026-03-31"  # last quarter
    assert _ladder(reset)["reset_applied"] is True
    assert _ladder(fxs["threshold-reseller-purchases-same-period"])["reset_applied"] is False
    below = fxs["threshold-advisor-deal-size-20000-deal-below"]
    reach = fxs["threshold-advisor-deal-size-20000-deal-reaching"]
    assert _ladder(below)["bracket"]["rate"] == "0.100000"
    assert _ladder(reach)["bracket"]["rate"] == "0.150000"
    assert reach["request"]["seats"] == below["request"]["seats"] + 1
