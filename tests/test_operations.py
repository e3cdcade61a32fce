"""Operations and registration constructs (issue 12): what a program says about running the
partner program, beyond its payouts.

- `registration`: the approval SLA and what happens when it lapses (`on_lapse`), the leads a
  partner cannot register (`excludes`), the extension with its justification;
- `process`: a cadence and a tier scope (`tiers: Silver and up`, `Silver+`, `Gold, Platinum`);
- `conflicts { case … }`: the channel-conflict table;
- `co_marketing { activity … }`: joint activities and their cost shares (adding up to 100%);
- `unit_economics`: what one partner costs the vendor (internal only: never in a partner
  output);
- `clawback … { action: termination }`: what follows besides the money.

Each section: the construct parses to its model, a typical mistake gives the right code, the
config carries it (and the partner projection does not carry the internal one), and the
partner guide or the internal brief renders it.
"""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from charter import model as m
from charter.api import compile_text
from charter.diagnostics import Diagnostic
from charter.literals import MoneyValue
from charter.targets import brief, guide
from charter.targets.base import BuildContext
from charter.targets.config import partner_projection
from charter.values import Duration


HEADER = """program ops {
    title: "Ops"
    currency: USD
    locales: en_US
    status: draft
}

channel Reseller {
    model: wholesale
    owner: partner
    tier Registered { margin: 15% }
    tier Silver { margin: 20% }
    tier Gold { margin: 25% }
    tier Platinum { margin: 30% }
}
"""


# ---- helpers -------------------------------------------------------------------------------

def compiled(text: str) -> tuple[m.Program | None, list[Diagnostic]]:
    """Compile ``text``; the language's diagnostics (policy findings are tested elsewhere)."""
    program, reporter = compile_text(text, "ops.charter")
    return program, [d for d in reporter.sorted() if not d.code.startswith("CH-P")]


def clean(text: str) -> m.Program:
    program, diagnostics = compiled(text)
    assert diagnostics == [], show(diagnostics)
    assert program is not None
    return program


def show(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(f"{d.code} {d.span.line if d.span else '-'}: {d.message} {d.help}"
                     for d in diagnostics)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def the(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got:\n{show(diagnostics)}"
    return found[0]


def lowered(text: str, kind: str):
    """The program's ``kind`` field (`conflicts`, `co_marketing`, `unit_economics`) and the
    language's diagnostics."""
    program, diagnostics = compiled(text)
    return (getattr(program, kind) if program is not None else None), diagnostics


def dur(amount: str, unit: str) -> Duration:
    return Duration(Decimal(amount), unit)


def usd(amount: str) -> MoneyValue:
    return MoneyValue(Decimal(amount), "USD")


# ---- registration: approval SLA, its lapse, exclusions, extension ----------------------------

REGISTRATION = """
registration {
    window: 90 days
    extension: 30 days
    extension_condition: "with justification"
    approval_sla: 48 hours
    on_lapse: auto_approve
    excludes: inbound_leads, direct_pipeline
}
"""


def test_registration_lapse_exclusions_and_extension():
    source = HEADER + REGISTRATION
    r = clean(source).registration
    assert (r.approval_sla, r.on_lapse, r.auto_approve) == (dur("48", "hour"), "auto_approve",
                                                           False)
    assert r.excludes == ("inbound_leads", "direct_pipeline")
    assert (r.extension, r.extension_condition) == (dur("30", "day"), "with justification")
    assert r.spans["on_lapse"].line == source[:source.index("on_lapse")].count("\n") + 1


def test_on_lapse_auto_reject():
    r = clean(HEADER + REGISTRATION.replace("auto_approve", "auto_reject")).registration
    assert r.on_lapse == "auto_reject"


def test_auto_approve_is_the_older_spelling_of_the_lapse():
    older = REGISTRATION.replace("on_lapse: auto_approve", "auto_approve: yes")
    assert clean(HEADER + older).registration.on_lapse == "auto_approve"
    # without an SLA nothing lapses: registrations are approved on submission
    r = clean(HEADER + older.replace("    approval_sla: 48 hours\n", "")).registration
    assert (r.on_lapse, r.auto_approve) == (None, True)


def test_no_lapse_without_a_word_for_it():
    r = clean(HEADER + REGISTRATION.replace("    on_lapse: auto_approve\n", "")).registration
    assert r.on_lapse is None and r.excludes == ("inbound_leads", "direct_pipeline")


def test_on_lapse_without_an_sla_is_e111():
    source = HEADER + REGISTRATION.replace("    approval_sla: 48 hours\n", "")
    _, diagnostics = compiled(source)
    d = the(diagnostics, "CH-E111")
    assert d.message == "`on_lapse: auto_approve` needs an `approval_sla`: without one nothing" \
                        " lapses"
    assert d.span.line == source[:source.index("on_lapse")].count("\n") + 1
    assert d.help == ("add `approval_sla: 48 hours`, or remove `on_lapse`",)
    assert codes(diagnostics) == ["CH-E111"]


def test_on_lapse_and_auto_approve_together_is_e104():
    source = HEADER + REGISTRATION.replace("on_lapse: auto_approve",
                                           "on_lapse: auto_approve\n    auto_approve: yes")
    _, diagnostics = compiled(source)
    d = the(diagnostics, "CH-E104")
    assert "`auto_approve` and `on_lapse` both say" in d.message
    assert codes(diagnostics) == ["CH-E104"]


@pytest.mark.parametrize("line, found, hint", [
    ("on_lapse: auto_aprove", "auto_aprove", "did you mean `auto_approve`?"),
    ("excludes: inbound_lead", "inbound_lead", "did you mean `inbound_leads`?"),
])
def test_a_misspelt_word_is_e108(line, found, hint):
    key = line.split(":")[0]
    text = "\n".join(line if x.strip().startswith(key + ":") else x
                     for x in REGISTRATION.split("\n"))
    _, diagnostics = compiled(HEADER + text)
    d = the(diagnostics, "CH-E108")
    assert found in d.message and d.help == (hint,)
    assert codes(diagnostics) == ["CH-E108"]


def test_unknown_and_duplicate_registration_attributes():
    _, diagnostics = compiled(HEADER + REGISTRATION.replace("on_lapse:", "on_lapses:"))
    d = the(diagnostics, "CH-E102")
    assert d.help == ("did you mean `on_lapse`?",)
    _, diagnostics = compiled(HEADER + REGISTRATION.replace(
        "excludes: inbound_leads, direct_pipeline",
        "excludes: inbound_leads\n    excludes: direct_pipeline"))
    assert codes(diagnostics) == ["CH-E104"]


def test_excludes_takes_words():
    _, diagnostics = compiled(HEADER + REGISTRATION.replace("excludes: inbound_leads",
                                                            'excludes: "inbound leads"'))
    assert codes(diagnostics) == ["CH-E106"]


# ---- process: cadence and tier scope --------------------------------------------------------

QBR = """
process partner_qbr {
    title: "Partner QBR"
    cadence: quarterly
    tiers: Silver+
    step scorecard { title: "Scorecard review" }
}
"""


@pytest.mark.parametrize("scope, expected, covered", [
    ("Silver+", (("Silver", True),), ("Silver", "Gold", "Platinum")),
    ("Silver and up", (("Silver", True),), ("Silver", "Gold", "Platinum")),
    ("Gold, Platinum", (("Gold", False), ("Platinum", False)), ("Gold", "Platinum")),
    ("[Platinum, Registered]", (("Platinum", False), ("Registered", False)),
     ("Registered", "Platinum")),                      # covered in rank order
    ("Gold+, Registered", (("Gold", True), ("Registered", False)),
     ("Registered", "Gold", "Platinum")),
])
def test_process_tier_scope(scope, expected, covered):
    program = clean(HEADER + QBR.replace("Silver+", scope))
    process = program.processes[0]
    assert process.cadence == "quarterly"
    assert tuple((e.tier, e.and_up) for e in process.tiers) == expected
    assert tuple(t.name for _c, t in program.scoped_tiers(process.tiers)) == covered


def test_a_process_without_scope_runs_with_everyone():
    program = clean(HEADER + QBR.replace("    cadence: quarterly\n    tiers: Silver+\n", ""))
    process = program.processes[0]
    assert (process.cadence, process.tiers, program.scoped_tiers(process.tiers)) == \
           (None, (), ())


def test_and_up_follows_rank_in_every_channel_with_the_tier():
    text = HEADER + """
channel Referral {
    model: referral
    owner: vendor
    commission: 10%
    tier Gold { rank: 2; commission: 12% }
    tier Silver { rank: 1; commission: 10% }
}
""" + QBR
    program = clean(text)
    covered = [(c.name, t.name) for c, t in program.scoped_tiers(program.processes[0].tiers)]
    assert covered == [("Reseller", "Silver"), ("Reseller", "Gold"), ("Reseller", "Platinum"),
                       ("Referral", "Silver"), ("Referral", "Gold")]


@pytest.mark.parametrize("scope, found", [
    ("3", "a number"), ("Silver and down", "an `and` expression"),
    ('"Silver"', "a string"), ("Silver++", "a phrase"),
])
def test_a_scope_that_is_not_tiers_is_e106(scope, found):
    _, diagnostics = compiled(HEADER + QBR.replace("Silver+", scope))
    d = the(diagnostics, "CH-E106")
    assert d.message.startswith("expected tier names, or a tier and the tiers above it, found "
                                + found)
    assert d.help == ("write tier names, or a tier and the tiers above it, e.g."
                      " `Silver and up`",)


def test_a_misspelt_cadence_is_e108():
    _, diagnostics = compiled(HEADER + QBR.replace("quarterly", "quartely"))
    assert the(diagnostics, "CH-E108").help == ("did you mean `quarterly`?",)


def test_a_scope_naming_no_tier_is_e109():
    source = HEADER + QBR.replace("Silver+", "Silvr+")
    _, diagnostics = compiled(source)
    d = the(diagnostics, "CH-E109")
    assert d.message == "unknown tier `Silvr` in process partner_qbr"
    assert d.help == ("did you mean `Silver`?",)
    assert d.span.line == source[:source.index("Silvr")].count("\n") + 1


def test_a_partner_facing_process_never_names_an_internal_channels_tiers():
    text = HEADER + """
internal channel Benchmark {
    model: referral
    owner: vendor
    tier Silver { commission: 10% }
}
""" + QBR.replace("Silver+", "Silver")
    ctx = BuildContext(clean(text))
    assert ctx.config["processes"][0]["tiers"] == ["tier:Reseller/Silver"]
    assert "Benchmark" not in json.dumps(ctx.partner)


# ---- clawback: termination ------------------------------------------------------------------

FRAUD = """
clawback fraud {
    event: "fraudulent referral"
    rule: any_time -> 100%
    action: termination
}
"""


def test_clawback_termination():
    claw = clean(HEADER + FRAUD).clawbacks[0]
    assert (claw.action, claw.rules[0].share) == (("termination",), Decimal(1))


def test_clawback_action_takes_words():
    _, diagnostics = compiled(HEADER + FRAUD.replace("termination", '"terminate"'))
    assert codes(diagnostics) == ["CH-E106"]


# ---- conflicts ------------------------------------------------------------------------------

CONFLICTS = """
conflicts {
    case partner_vs_direct {
        scenario: "Partner vs. direct rep on same account"
        resolution: "First touch + deal reg wins"
        within: 48 hours
    }
    case partner_poaching {
        \"\"\"Repeated poaching ends the partnership.\"\"\"
        scenario: "Partner poaching another's customer"
        resolution: "Warning, then probation, then termination"
        within: immediately
        action: warning -> probation -> termination
    }
    case direct_targets_partner {
        scenario: "Direct team targeting partner accounts"
        resolution: "Block in CRM, escalate to channel chief"
        owner: "channel chief"
        within: same_day
    }
}
"""


def test_conflicts_lower_to_cases():
    cases, diagnostics = lowered(HEADER + CONFLICTS, "conflicts")
    assert diagnostics == []
    assert [c.name for c in cases] == ["partner_vs_direct", "partner_poaching",
                                       "direct_targets_partner"]
    direct, poaching, targets = cases
    assert (direct.within, direct.action, direct.owner) == (dur("48", "hour"), (), "")
    assert (poaching.within, poaching.action) == ("immediately",
                                                  ("warning", "probation", "termination"))
    assert poaching.doc == "Repeated poaching ends the partnership."
    assert (targets.within, targets.owner) == ("same_day", "channel chief")


@pytest.mark.parametrize("change, code, check", [
    (("within: 48 hours", "within: soon"), "CH-E108",
     lambda d: d.message == "`soon` is not a valid deadline (a duration, `immediately` or"
                            " `same_day`)"),
    (("within: 48 hours", "within: 48"), "CH-E106", lambda d: "a duration" in d.message),
    (('        resolution: "First touch + deal reg wins"\n', ""), "CH-E103",
     lambda d: d.message == "case `partner_vs_direct` is missing `resolution`"),
    (("scenario: \"Partner vs.", "senario: \"Partner vs."), "CH-E102",
     lambda d: d.help == ("did you mean `scenario`?",)),
    (("action: warning -> probation -> termination", "action: warning -> 3"), "CH-E106",
     lambda d: d.help == ("write a word, or words in order joined by `->`, e.g."
                          " `warning -> probation -> termination`",)),
    (("case direct_targets_partner", "case partner_vs_direct"), "CH-E105",
     lambda d: d.message == "case `partner_vs_direct` is defined twice"),
    (("    case partner_vs_direct {", "    rule partner_vs_direct {"), "CH-E101",
     lambda d: d.message == "unknown block `rule` in conflicts"),
])
def test_a_conflict_mistake(change, code, check):
    _, diagnostics = lowered(HEADER + CONFLICTS.replace(*change), "conflicts")
    d = the(diagnostics, code)
    assert check(d), show([d])


def test_conflicts_take_no_attributes():
    _, diagnostics = lowered(HEADER + CONFLICTS.replace("conflicts {\n",
                                                         "conflicts {\n    owner: \"x\"\n"),
                             "conflicts")
    assert codes(diagnostics) == ["CH-E102"]


# ---- co-marketing ---------------------------------------------------------------------------

CO_MARKETING = """
co_marketing {
    activity joint_webinar {
        \"\"\"Expected leads: 50-200.\"\"\"
        title: "Joint webinar"
        vendor_share: 50%
        partner_share: 50%
        partner_effort: moderate
        cadence: quarterly
        tiers: Gold and up
    }
    activity event_sponsorship {
        title: "Event sponsorship"
        mdf_funded: yes
        partner_effort: high
    }
    activity case_study { title: "Case study"; vendor_share: 100% }
}
"""


def test_co_marketing_lowers_to_activities():
    activities, diagnostics = lowered(HEADER + CO_MARKETING, "co_marketing")
    assert diagnostics == []
    webinar, sponsorship, case_study = activities
    assert (webinar.vendor_share, webinar.partner_share) == (Decimal("0.5"), Decimal("0.5"))
    assert (webinar.partner_effort, webinar.cadence) == ("moderate", "quarterly")
    assert [(e.tier, e.and_up) for e in webinar.tiers] == [("Gold", True)]
    assert (sponsorship.vendor_share, sponsorship.partner_share, sponsorship.mdf_funded) == \
           (None, None, True)
    # one share alone leaves the rest to the other party
    assert (case_study.vendor_share, case_study.partner_share) == (Decimal(1), Decimal(0))


def test_cost_shares_must_add_up_to_100_percent():
    source = HEADER + CO_MARKETING.replace("partner_share: 50%", "partner_share: 40%")
    _, diagnostics = lowered(source, "co_marketing")
    d = the(diagnostics, "CH-E111")
    assert d.message == "the cost shares add up to 90%, not 100%: the vendor and the partner" \
                        " pay the whole cost between them"
    assert d.help == ("write `partner_share: 50%`, or change `vendor_share`",)
    assert d.span.line == source[:source.index("partner_share: 40%")].count("\n") + 1


@pytest.mark.parametrize("change, code", [
    (("vendor_share: 50%", "vendor_share: 150%"), "CH-E111"),      # more than the whole
    (("vendor_share: 50%", "vendor_share: $500"), "CH-E106"),
    (("partner_effort: moderate", "partner_effort: medium"), "CH-E108"),
    (("cadence: quarterly", "cadence: every_quarter"), "CH-E108"),
    (("mdf_funded: yes", "mdf_funded: maybe"), "CH-E106"),
    (("vendor_share: 100% }", "vendor_shares: 100% }"), "CH-E102"),
    (("activity case_study", "activity joint_webinar"), "CH-E105"),
])
def test_a_co_marketing_mistake(change, code):
    _, diagnostics = lowered(HEADER + CO_MARKETING.replace(*change), "co_marketing")
    assert codes(diagnostics) == [code], show(diagnostics)


# ---- unit economics (internal) --------------------------------------------------------------

UNIT_ECONOMICS = """
unit_economics {
    \"\"\"Per partner.\"\"\"
    recruitment_cost: $2K .. $5K
    enablement_cost: $3K .. $8K
    management_cost: $500 .. $1_500 per quarter
    break_even: 6 .. 9 months
    break_even_deals: 2 .. 3
}
"""


def test_unit_economics_lowers_to_ranges():
    u, diagnostics = lowered(HEADER + UNIT_ECONOMICS, "unit_economics")
    assert diagnostics == []
    assert u.recruitment_cost == (usd("2000"), usd("5000"))
    assert u.enablement_cost == (usd("3000"), usd("8000"))
    assert (u.management_cost, u.management_period) == ((usd("500"), usd("1500")), "quarter")
    assert u.break_even == (dur("6", "month"), dur("9", "month"))
    assert u.break_even_deals == (2, 3)
    assert u.doc == "Per partner."


@pytest.mark.parametrize("written, field, value", [
    ("recruitment_cost: $5K", "recruitment_cost", (usd("5000"), usd("5000"))),
    ("management_cost: $500 per quarter .. $1_500 per quarter", "management_cost",
     (usd("500"), usd("1500"))),
    ("break_even: 6 months .. 2 quarters", "break_even",
     (dur("6", "month"), dur("2", "quarter"))),
    ("break_even: 6 months", "break_even", (dur("6", "month"), dur("6", "month"))),
    ("break_even_deals: 3", "break_even_deals", (3, 3)),
])
def test_one_value_or_a_range(written, field, value):
    u, diagnostics = lowered(HEADER + f"unit_economics {{ {written} }}\n", "unit_economics")
    assert diagnostics == [], show(diagnostics)
    assert getattr(u, field) == value


@pytest.mark.parametrize("written, code, message", [
    ("recruitment_cost: $5K .. $2K", "CH-E111", "`$5K .. $2K` runs backwards"),
    ("break_even: 9 .. 6 months", "CH-E111", "`9 .. 6 months` runs backwards"),
    ("recruitment_cost: 5%", "CH-E106", "expected an amount of money"),
    ("recruitment_cost: $2K ..", "CH-E106", "a range needs both ends"),
    ("management_cost: $500 .. $1_500", "CH-E106", "expected an amount per period"),
    ("management_cost: $500 per month .. $1_500 per quarter", "CH-E106",
     "expected an amount per quarter"),
    ("management_cost: $500 per seat per quarter", "CH-E106", "expected an amount per period"),
    ("break_even: soon", "CH-E106", "expected a duration"),
    ("break_even_deals: 2,5", "CH-E111", "expected a whole number"),
    ("breakeven: 6 months", "CH-E102", "unknown attribute `breakeven`"),
])
def test_a_unit_economics_mistake(written, code, message):
    _, diagnostics = lowered(HEADER + f"unit_economics {{ {written} }}\n", "unit_economics")
    d = the(diagnostics, code)
    assert message in d.message, show(diagnostics)


# ---- the new top-level blocks in a whole program --------------------------------------------

def test_a_program_carries_its_conflicts_co_marketing_and_unit_economics():
    program = clean(HEADER + CONFLICTS + CO_MARKETING + UNIT_ECONOMICS)
    assert [c.name for c in program.conflicts] == ["partner_vs_direct", "partner_poaching",
                                                   "direct_targets_partner"]
    assert [a.name for a in program.co_marketing] == ["joint_webinar", "event_sponsorship",
                                                      "case_study"]
    assert program.unit_economics is not None


def test_a_program_reports_a_mistake_in_a_new_block():
    _, diagnostics = compiled(HEADER + CO_MARKETING.replace("partner_share: 50%",
                                                            "partner_share: 40%"))
    assert codes(diagnostics) == ["CH-E111"]


def test_at_most_one_of_each_new_block():
    _, diagnostics = compiled(HEADER + CONFLICTS + CONFLICTS)
    assert the(diagnostics, "CH-E105").message == "`conflicts` is defined twice in the file"


def test_unit_economics_may_say_it_is_internal():
    clean(HEADER + "internal " + UNIT_ECONOMICS.lstrip())


# ---- config, projection, guide, brief -------------------------------------------------------

EVERYTHING = HEADER + REGISTRATION + QBR + FRAUD + CONFLICTS + CO_MARKETING + UNIT_ECONOMICS


@pytest.fixture(scope="module")
def ctx() -> BuildContext:
    return BuildContext(clean(EVERYTHING))


def test_config_carries_registration_process_and_clawback(ctx):
    config = ctx.config
    r = config["registration"]
    assert (r["on_lapse"], r["auto_approve"], r["excludes"]) == \
           ("auto_approve", False, ["inbound_leads", "direct_pipeline"])
    process = config["processes"][0]
    assert (process["cadence"], process["tiers"]) == (
        "quarterly", ["tier:Reseller/Silver", "tier:Reseller/Gold", "tier:Reseller/Platinum"])
    assert config["clawbacks"][0]["action"] == ["termination"]


def test_config_carries_conflicts_and_co_marketing(ctx):
    config = ctx.config
    assert [(c["id"], c["within"]) for c in config["conflicts"]] == [
        ("conflict:partner_vs_direct", {"value": "48", "unit": "hour", "business": False}),
        ("conflict:partner_poaching", "immediately"),
        ("conflict:direct_targets_partner", "same_day")]
    assert config["conflicts"][1]["action"] == ["warning", "probation", "termination"]
    webinar, sponsorship, case_study = config["co_marketing"]
    assert (webinar["id"], webinar["vendor_share"], webinar["partner_share"]) == \
           ("co_marketing:joint_webinar", "0.500000", "0.500000")
    assert webinar["tiers"] == ["tier:Reseller/Gold", "tier:Reseller/Platinum"]
    assert (sponsorship["vendor_share"], sponsorship["mdf_funded"]) == (None, True)
    assert (case_study["vendor_share"], case_study["partner_share"]) == ("1.000000", "0.000000")


def test_unit_economics_is_internal_only(ctx):
    unit = ctx.config["internal"]["unit_economics"]
    assert unit["recruitment_cost"] == {"from": {"amount": "2000.00", "currency": "USD"},
                                        "up_to": {"amount": "5000.00", "currency": "USD"}}
    assert unit["management_cost"]["per_period"] == "quarter"
    assert unit["break_even_deals"] == {"from": 2, "up_to": 3}
    partner = json.dumps(ctx.partner)
    assert "unit_economics" not in partner and "recruitment" not in partner
    assert partner_projection(ctx.config) == ctx.partner


def test_the_guide_renders_the_partner_facing_constructs(ctx):
    text = guide.build(ctx)["partner-guide.md"].decode()
    assert "**Approval** — within 48 hours; if it is not decided by then, it is approved" \
           " automatically" in text
    assert "**You cannot register** — deals from inbound leads already in the vendor's CRM;" \
           " deals already in the vendor's direct sales pipeline" in text
    assert "**Extension** — 30 days (with justification)" in text
    assert "Quarterly, with Reseller partners at Silver, Gold and Platinum." in text
    assert "## Channel conflicts" in text
    assert "| **Partner poaching another's customer** | Warning, then probation, then" \
           " termination Repeated poaching ends the partnership. | immediately |" \
           " warning → probation → termination | — |" in text
    assert "| **Direct team targeting partner accounts** |" in text and "the same day" in text
    assert "## Co-marketing" in text
    assert "| **Joint webinar** | 50% / 50% | moderate | quarterly | Reseller partners at Gold" \
           " and Platinum |" in text
    assert "| **Event sponsorship** | paid from your MDF | high | — | all partners |" in text
    assert "**Clawback on fraudulent referral** — any time: 100%; and termination" in text
    assert "| **Settle a channel conflict** |" in text


def test_the_guide_carries_no_unit_economics(ctx):
    files = guide.build(ctx)
    for name, data in files.items():
        text = data.decode()
        for leak in ("$2,000", "$5,000", "$3,000", "$8,000", "$1,500", "Recruitment",
                     "Break-even", "Unit economics", "Per partner."):
            assert leak not in text, (name, leak)


def test_the_brief_renders_the_unit_economics(ctx):
    text = brief.build(ctx)["internal-brief.md"].decode()
    section = text[text.index("### Unit economics per partner"):]
    for line in ("- **Recruitment cost** — $2,000 – $5,000",
                 "- **Enablement cost (first year)** — $3,000 – $8,000",
                 "- **Ongoing management** — $500 – $1,500 per quarter",
                 "- **Break-even** — 6 months – 9 months", "- **Break-even deals** — 2 – 3",
                 "Per partner."):
        assert line in section, line
    # and the brief shows the partner guide as partners read it, conflicts included
    assert "## Channel conflicts" in text or "### Channel conflicts" in text


def test_a_lapse_that_rejects_and_approval_on_submission():
    for change, wording in (
            (("on_lapse: auto_approve", "on_lapse: auto_reject"),
             "within 48 hours; if it is not decided by then, it is rejected automatically"),
            (("    approval_sla: 48 hours\n    on_lapse: auto_approve\n", "    auto_approve: yes\n"),
             "**Approval** — automatic on submission")):
        program = clean(HEADER + REGISTRATION.replace(*change))
        text = guide.build(BuildContext(program))["partner-guide.md"].decode()
        assert wording in text


# ---- the bundled program --------------------------------------------------------------------

def test_saas_reseller_states_the_framework_registration_rules():
    from conftest import PROGRAMS
    from charter.api import compile_file

    program, reporter, _ = compile_file(PROGRAMS / "saas-reseller.charter")
    assert program is not None and not reporter.has_errors
    r = program.registration
    assert (r.approval_sla, r.on_lapse, r.excludes) == (dur("48", "hour"), "auto_approve",
                                                        ("inbound_leads",))
    qbr = next(x for x in program.processes if x.name == "partner_qbr")
    assert qbr.cadence == "quarterly"
    assert [t.name for _c, t in program.scoped_tiers(qbr.tiers)] == ["Silver", "Gold",
                                                                     "Platinum"]
    # the framework's unit economics are vendor-internal: not in the partner-facing doc string
    assert "Recruitment" not in program.header.doc and "$2,000" not in program.header.doc


def test_saas_reseller_keeps_its_unit_economics_internal():
    from conftest import PROGRAMS
    from charter.api import compile_file

    program, reporter, _ = compile_file(PROGRAMS / "saas-reseller.charter")
    assert program is not None and not reporter.has_errors
    ctx = BuildContext(program)
    unit = ctx.config["internal"]["unit_economics"]
    assert unit["break_even"]["up_to"] == {"value": "9", "unit": "month", "business": False}
    assert "unit_economics" not in json.dumps(ctx.partner)


def test_saas_reseller_states_the_framework_conflicts_and_co_marketing():
    from conftest import PROGRAMS
    from charter.api import compile_file

    program, reporter, _ = compile_file(PROGRAMS / "saas-reseller.charter")
    assert program is not None and not reporter.has_errors
    assert [(c.name, c.within) for c in program.conflicts] == [
        ("partner_vs_direct", dur("48", "hour")), ("two_partners", dur("24", "hour")),
        ("partner_poaching", "immediately"), ("direct_targets_partner_account", "same_day")]
    assert program.conflicts[2].action == ("warning", "probation", "termination")
    webinar = program.co_marketing[0]
    assert (webinar.title, webinar.vendor_share, webinar.partner_share) == \
           ("Joint webinar", Decimal("0.5"), Decimal("0.5"))
    # the approximations they replace are gone
    assert not [x.name for x in program.processes if "conflict" in x.name or "poaching" in x.name]
    assert program.enablement == ()


def test_a_bad_auto_approve_is_reported_once():
    _, diagnostics = compiled(HEADER + REGISTRATION.replace("on_lapse: auto_approve",
                                                            "auto_approve: maybe"))
    assert codes(diagnostics) == ["CH-E106"]
