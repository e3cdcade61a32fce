"""The config schemas (JSON Schema 2020-12), generated here and shipped in `schemas/`.

`config_schema_for("config")` is the schema of `config.json` (internal section included);
`config_schema_for("partner")` is the partner projection's: the same shape without
`internal`. Every object is closed (`additionalProperties: false`), so a field the schema does
not list (an internal value in the wrong place, a typo) fails validation. The shipped files
are this module's output; tests/test_target_config.py holds them equal
(`python -m pytest tests/test_target_config.py --update-golden` rewrites them).
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from charter.economics.contract import BASE_URL, RATE

SCHEMA_VERSION = "1.0"   # the config's shape; bump the major part for a breaking change
CONFIG_ID = f"{BASE_URL}config.schema.json"
PARTNER_ID = f"{BASE_URL}config-partner.schema.json"
FILES = {"config": "config.schema.json", "partner": "config-partner.schema.json"}

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
NINT = {"type": ["integer", "null"]}
NRATE = {**RATE, "type": ["string", "null"]}
NDATE = {"type": ["string", "null"], "format": "date"}
DECIMAL = {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}
STRS = {"type": "array", "items": STR}


def ref(name: str) -> dict:
    """A reference to a shared definition."""
    return {"$ref": f"#/$defs/{name}"}


def nullable(schema: dict) -> dict:
    """``schema`` or null."""
    return {"oneOf": [schema, {"type": "null"}]}


def array(items: dict) -> dict:
    """A list of ``items``."""
    return {"type": "array", "items": items}


def ident(prefix: str) -> dict:
    """An entity id: `channel:VAD`, `tier:VAD/Elite`, ..."""
    return {"type": "string", "pattern": f"^{prefix}:"}


def obj(properties: dict, description: str = "", entity: bool = False) -> dict:
    """A closed object; every listed property is required. An ``entity`` may carry
    `_source` (file and line, with `--provenance`)."""
    out: dict = {"type": "object", "additionalProperties": False,
                 "required": list(properties), "properties": dict(properties)}
    if entity:
        out["properties"]["_source"] = ref("source")
    if description:
        out["description"] = description
    return out


def _values() -> dict:
    """The value spellings shared by every part of the config."""
    where = obj({"file": STR, "line": {"type": "integer", "minimum": 1}})
    source = obj({"file": STR, "line": {"type": "integer", "minimum": 1},
                  "attributes": {"type": "object", "additionalProperties": where}},
                 "`--provenance`: where the entity (and each attribute) is written.")
    source["required"] = ["file", "line"]
    return {
        "money": obj({"amount": {**DECIMAL, "description": "A decimal string, at least to the"
                                 " currency's minor units."},
                      "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}),
        "price": obj({"money": ref("money"), "per_unit": NSTR, "per_period": NSTR},
                     "An amount per unit and/or per period (`Rp 200K per user per month`)."),
        "duration": obj({"value": DECIMAL, "unit": {"enum": ["hour", "day", "week", "month",
                                                              "quarter", "year"]},
                         "business": BOOL}, "A length of time; `business` counts working"
                                            " time only."),
        "value": {"description": "A tagged value: exactly one key says its type; a value"
                                 " written as a percentage is a `rate` (57% is \"0.570000\").",
                  "oneOf": [obj({"number": DECIMAL}), obj({"money": ref("money")}),
                            obj({"price": ref("price")}), obj({"duration": ref("duration")}),
                            obj({"rate": RATE}), obj({"text": STR}), obj({"flag": BOOL}),
                            obj({"range": obj({"from": ref("value"), "up_to": ref("value")})}),
                            obj({"count": obj({"number": DECIMAL, "per_period": STR},
                                              "A number of events per period (`10 per"
                                              " month`).")})]},
        "bound": {"description": "A threshold bracket's bound: an amount, or on a count"
                                 " ladder the number of the partner's deal in the period"
                                 " (`{\"deals\": 11}`: from its 11th deal).",
                  "oneOf": [ref("money"), obj({"deals": {"type": "integer", "minimum": 0}})]},
        "criteria": {"oneOf": [obj({"all": array(ref("criteria"))}),
                               obj({"any": array(ref("criteria"))}),
                               obj({"metric": STR, "op": STR, "value": ref("value"),
                                    "window": {**nullable(ref("duration")), "description":
                                               "A rolling window the metric is measured over"
                                               " (`over trailing 12 months`); null: as"
                                               " written (e.g. per year)."}})]},
        "years": array(obj({"from_year": {"type": "integer", "minimum": 1},
                            "to_year": {"type": ["integer", "null"], "minimum": 1},
                            "rate": NRATE},
                           "Contract years from_year..to_year (null: to the contract's end)"
                           " at rate (null: set per deal, by a threshold bracket or a"
                           " negotiated rate).")),
        "source": source,
        "negotiable": obj({
            "id": ident("negotiable"), "term": {"enum": ["commission", "commission_y2", "discount", "margin", "margin_y2",
                              "lead_protection", "lead_protection_extension"]},
            "from": ref("term_value"), "up_to": nullable(ref("term_value")),
            "default": ref("term_value"), "doc": NSTR},
            "A term each deal may set within [from, up_to] (up_to null: open); a deal that"
            " sets nothing gets `default`. The holder's own field for the term is null:"
            " the rate is the deal's.", entity=True),
        "term_value": {"description": "A rate (commission, discount, margin) or a duration"
                                      " (lead protection).",
                       "oneOf": [RATE, ref("duration")]},
    }


def _program() -> dict:
    return obj({"id": ident("program"), "name": STR, "title": STR, "version": STR,
                "effective": NDATE, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "minor_units": INT, "rounding": {"enum": ["half_up", "half_even", "down", "up"]},
                "locales": STRS, "status": STR, "doc": STR}, entity=True)


def _product() -> dict:
    floor = nullable({"oneOf": [obj({"list_price": {"const": True}}),
                                obj({"price": ref("price")})]})
    return obj({"id": ident("product"), "name": STR, "layer": {"enum": ["software", "services"]},
                "list_price": nullable(ref("price")), "msrp_floor": floor,
                "delivered_by": STR, "priced_by": STR, "includes": STRS, "typical_price": NSTR,
                "subcontract_price": nullable(obj({"from": ref("price"),
                                                   "up_to": ref("price")})),
                "doc": STR}, entity=True)


def _payout() -> dict:
    return obj({"kind": {"enum": ["wholesale_margin", "commission"]},
                "timing": {"enum": ["one_time", "recurring"]}, "years": ref("years"),
                "mdf": RATE, "mdf_fund": {**nullable(ref("money")), "description": "A fixed"
                                          " MDF fund's amount per contract year, capped."},
                "ladder": nullable(ident("thresholds"))},
               "What the channel earns as partner of record, by contract year (computed by"
               " the economics engine).")


def _wholesale_price() -> dict:
    return obj({"product": ident("product"), "unit_price": ref("money"),
                "per_unit": NSTR, "per_period": NSTR},
               "The price the partner buys one unit at (engine: list − margin).")


def _tier() -> dict:
    service = obj({"response": nullable(ref("duration")), "checkin": NSTR,
                   "implementation": nullable(ref("duration")), "qbr": BOOL,
                   "onsite": BOOL}, entity=True)
    band = obj({"from": nullable(ref("money")), "up_to": nullable(ref("money"))})
    fund = obj({"money": ref("money"), "per_period": NSTR},
               "A fixed amount per period (null: per year).")
    mdf = nullable({"oneOf": [obj({"rate": RATE}), fund]})
    return obj({
        "id": ident("tier"), "name": STR, "rank": INT, "label": STR,
        "quota": nullable(ref("price")), "qualify": nullable(ref("criteria")),
        "revenue_band": nullable(band), "margin": NRATE, "margin_y2": NRATE,
        "commission": NRATE, "commission_y2": NRATE, "mdf": mdf, "mdf_claim": NSTR,
        "mdf_cap": nullable(fund), "mdf_claim_deadline": nullable(ref("duration")),
        "mdf_approval": NSTR,
        "payout": ref("payout"), "wholesale_prices": array(ref("wholesale_price")),
        "tier_up": nullable(obj({"when": ref("criteria"), "to": ident("tier")})),
        "review": NSTR, "grace": nullable(ref("duration")),
        "downgrade_to": nullable(ident("tier")), "options": STRS, "benefits": STRS,
        "certified_people": NINT, "service": nullable(service),
        "negotiable": array(ref("negotiable")), "doc": STR}, entity=True)


def _thresholds() -> dict:
    bracket = obj({"id": ident("bracket"), "from": ref("bound"),
                   "up_to": nullable(ref("bound")), "rate": RATE},
                  "[from, up_to) earns rate; up_to null is the open top.", entity=True)
    return obj({"id": ident("thresholds"), "name": STR,
                "mode": {"enum": ["forward", "marginal", "retroactive"]},
                "reset": {"enum": ["calendar_year", "fiscal_year", "quarter", "month",
                                   "contract_year", "never"]},
                "basis": {"enum": ["cumulative", "deal_value"]}, "measure": STR,
                "pays": {"enum": ["commission", "rebate"]}, "brackets": array(bracket),
                "override": NSTR}, "A threshold ladder (as Stripe tiered prices and Lago"
                                   " graduated charges are written).", entity=True)


def _channel() -> dict:
    white = obj({"branding": STR, "backend": STR, "upgrades": STR})
    return obj({
        "id": ident("channel"), "name": STR, "model": STR, "owner": STR,
        "buys_wholesale": BOOL, "refers_only": BOOL, "partner_owns_customer": BOOL,
        "commission_base": {"enum": ["software", "software_and_services"]},
        "payment": {"enum": ["one_time", "recurring"]}, "commission": NRATE,
        "commission_y2": NRATE, "commission_years": NINT,
        "renewal_fee": nullable(obj({"rate": RATE, "when": {"enum": ["renewal_influenced"]},
                                     "from_year": INT},
                                    "A conditional fee from `from_year` on: paid only on a"
                                    " deal whose request states `when` (true).")),
        "discount": nullable(obj({"from": RATE, "up_to": RATE})),
        "payout": nullable(ref("payout")), "wholesale_prices": array(ref("wholesale_price")),
        "lead_protection": nullable(ref("duration")),
        "lead_protection_extension": nullable(ref("duration")), "eligibility": NSTR,
        "barrier": NSTR, "certification": STRS,
        "certification_renewal": nullable(ref("duration")), "best_for": NSTR, "effort": NSTR,
        "tiers": array(ref("tier")), "thresholds": nullable(ref("thresholds")),
        "support": nullable({"type": "object", "additionalProperties": STR,
                             "propertyNames": {"enum": ["L1", "L2", "L3"]}}),
        "white_label": nullable(white), "negotiable": array(ref("negotiable")), "doc": STR},
        entity=True)


def _handover() -> dict:
    fee = obj({"kind": {"const": "commission"}, "timing": {"enum": ["one_time", "recurring"]},
               "years": ref("years")}, "The introducer's fee by contract year (engine).")
    return obj({"id": ident("handover"), "from": ident("channel"), "to": ident("channel"),
                "introducer_rate": RATE, "introducer_payment": {"enum": ["one_time",
                                                                         "recurring"]},
                "introducer_fee": fee, "allowed_tiers": array(ident("tier")),
                "combined_cap": nullable(obj({"rate": RATE, "year": INT})), "doc": STR},
               entity=True)


def _attribution() -> dict:
    split = obj({"id": ident("split"), "name": STR, "when": NSTR,
                 "settles": {"enum": ["cash", "credit"], "description": "`cash`: the split"
                             " divides the partner of record's payout; `credit`: only the"
                             " deal's credit (reporting, tier qualification)."},
                 "shares": array(obj({"party": STR, "share": RATE}))}, entity=True)
    return nullable(obj({"default": STR, "conflict": STR, "unregistered_rate": NRATE,
                         "influenced_rate": NRATE, "influenced_of": NSTR,
                         "no_double_dipping": BOOL,
                         "sourced_credit": {**NRATE, "description": "Credit (not cash) to"
                                            " the partner of record, a share of revenue."},
                         "influenced_credit": {**NRATE, "description": "Credit (not cash)"
                                               " to each influencer, a share of revenue."},
                         "splits": array(split)}, entity=True))


def _payment_terms() -> dict:
    from charter.economics.payment import PERIOD_MONTHS
    from charter.model import PAYMENT_EVENTS

    term = obj({"id": ident("payment_term"), "kind": STR,
                "rule": {"enum": ["net", "period_end", "after_event"]},
                "days": {"type": "integer", "minimum": 0},
                "period": nullable({"enum": list(PERIOD_MONTHS)}),
                "event": nullable({"enum": list(PAYMENT_EVENTS)}), "text": STR},
               "When payouts of `kind` fall due: `days` after the contract year's invoice"
               " (net), after the end of the calendar `period` the year starts in"
               " (period_end), or after `event` (after_event).", entity=True)
    return nullable(obj({"terms": array(term), "doc": STR},
                        "When the vendor pays each kind of payout (null: not stated).",
                        entity=True))


def _registration() -> dict:
    return nullable(obj({"window": nullable(ref("duration")),
                         "extension": nullable(ref("duration")), "extension_condition": NSTR,
                         "approval_sla": nullable(ref("duration")), "auto_approve": BOOL,
                         "on_lapse": nullable({"enum": ["auto_approve", "auto_reject"]}),
                         "conflict": STR, "unregistered_rate": NRATE,
                         "registered_bonus": {**NRATE, "description": "What a registered"
                                              " deal earns on top of its rate; an"
                                              " unregistered deal earns the rate alone."},
                         "no_double_dipping": BOOL,
                         "excludes": array({"enum": ["inbound_leads", "direct_pipeline"]})},
                        entity=True))


def _mitigation() -> dict:
    return obj({"id": ident("mitigation"), "name": STR, "title": NSTR,
                "applies_to": array(ident("channel")),
                "enforcement": STR, "cadence": NSTR, "gates": NSTR,
                "trigger": nullable(ref("criteria")), "sustained": nullable(ref("duration")),
                "action": STRS, "contact": NSTR, "doc": STR}, entity=True)


def _clawback() -> dict:
    rule = obj({"from": nullable(ref("duration")), "up_to": nullable(ref("duration")),
                "share": {"oneOf": [RATE, {"const": "prorated"}]}}, entity=True)
    return obj({"id": ident("clawback"), "name": STR, "event": STR, "rules": array(rule),
                "action": STRS, "doc": STR}, entity=True)


def _spiff() -> dict:
    return obj({"id": ident("spiff"), "name": STR, "trigger": STR,
                "reward": nullable(ref("value")), "duration": nullable(ref("duration")),
                "products": array(ident("product")), "channels": array(ident("channel")),
                "minimum": nullable(ref("money")), "from": NDATE, "until": NDATE,
                "claimable": {**BOOL, "description": "A quote request may claim it"
                                                     " (`spiffs`): it has a window and one"
                                                     " amount or rate."},
                "doc": STR}, entity=True)


def _scoring() -> dict:
    dimension = obj({"id": ident("dimension"), "name": STR, "weight": DECIMAL,
                     "measure": STR}, entity=True)
    band = obj({"id": ident("band"), "name": STR, "from": DECIMAL, "up_to": DECIMAL},
               entity=True)
    return obj({"id": ident("scoring"), "name": STR, "cadence": NSTR,
                "dimensions": array(dimension), "bands": array(band), "doc": STR},
               entity=True)


def _process() -> dict:
    step = obj({"id": ident("step"), "name": STR, "title": NSTR,
                "within": nullable(ref("duration")), "when": NSTR, "limit": NINT,
                "owner": NSTR, "final": BOOL, "doc": STR}, entity=True)
    return obj({"id": ident("process"), "name": STR, "title": NSTR, "cadence": NSTR,
                "tiers": array(ident("tier")), "steps": array(step), "doc": STR}, entity=True)


def _conflict() -> dict:
    within = nullable({"oneOf": [ref("duration"), {"enum": ["immediately", "same_day"]}]})
    return obj({"id": ident("conflict"), "name": STR, "scenario": STR, "resolution": STR,
                "within": within, "owner": NSTR, "action": STRS, "doc": STR},
               "A row of the channel-conflict table: the scenario, how it is resolved, by"
               " when, and the escalation in order (`action`).", entity=True)


def _co_marketing() -> dict:
    return obj({"id": ident("co_marketing"), "name": STR, "title": NSTR,
                "vendor_share": NRATE, "partner_share": NRATE, "mdf_funded": BOOL,
                "partner_effort": nullable({"enum": ["none", "low", "moderate", "high"]}),
                "cadence": NSTR, "tiers": array(ident("tier")), "doc": STR},
               "A co-marketing activity: the vendor's and the partner's share of its cost"
               " (adding up to 100%, or both null), and the tiers it runs with (empty: all).",
               entity=True)


def _enablement() -> dict:
    return obj({"id": ident("enablement"), "name": STR, "title": NSTR, "cadence": NSTR,
                "doc": STR}, entity=True)


def _example() -> dict:
    step = obj({"channel": ident("channel"), "tier": nullable(ident("tier")), "rate": NRATE,
                "partner": NSTR, "terms": {"type": "object",
                                           "additionalProperties": ref("term_value")}})
    deal = obj({
        "product": ident("product"), "seats": INT, "years": INT, "route": array(step),
        "services": obj({"one_time": nullable(ref("money")),
                         "per_year": nullable(ref("money"))}),
        "cumulative": array(obj({"channel": ident("channel"), "amount": ref("bound"),
                                 "as_of": NDATE})),
        "close_date": NDATE, "start": NDATE, "unit_price": nullable(ref("money")),
        "price_approved": BOOL, "certified": BOOL, "registered": BOOL,
        "split": nullable(ident("split")), "influenced": array(ident("channel")),
        "renewal_influenced": BOOL, "spiffs": array(ident("spiff"))})
    expect = obj({"metric": STR, "party": nullable(ident("channel")), "year": NINT,
                  "total": BOOL, "value": nullable(ref("value")), "approx": BOOL}, entity=True)
    return obj({"id": ident("example"), "name": STR, "deal": deal, "expect": array(expect),
                "doc": STR}, "A worked example as written: its deal and the numbers it"
                             " must produce (`charter check` verifies them).", entity=True)


def _internal() -> dict:
    economics = obj({"id": {"const": "economics"}, "cogs": RATE, "margin_floor": RATE,
                     "gm_target": NRATE, "mdf_counts_against_margin": BOOL, "walk": STRS,
                     "doc": STR}, entity=True)
    route = obj({
        "id": ident("route"),
        "steps": array(obj({"channel": ident("channel"), "tier": nullable(ident("tier"))})),
        "bracket_from": nullable(ref("bound")), "rate": NRATE,
        "handover": nullable(ident("handover")), "decision": {"enum": ["accept", "walk"]},
        "reasons": STRS,
        "years": array(obj({"year": INT, "vendor_net_margin": RATE, "combined_rate": RATE})),
        "worst_vendor_net_margin": RATE, "headroom": NRATE},
        "A nominal deal on a route the program allows, quoted by the engine: the vendor's"
        " net margin each year and the headroom to the margin floor (negative: below it).")
    policies = obj({
        "settings": array(obj({"id": ident("policy"), "policy": STR, "severity": STR},
                              entity=True)),
        "waivers": array(obj({"id": ident("waiver"), "name": STR, "policy": STR,
                              "subject": NSTR, "reason": STR, "owner": STR,
                              "expires": NDATE}, entity=True))})
    gate = obj({"id": ident("gate"), "name": STR, "title": STR, "see": NSTR,
                "requires": STRS, "doc": STR}, entity=True)
    money_range = nullable(obj({"from": ref("money"), "up_to": ref("money")}))
    unit_economics = obj({
        "id": {"const": "unit_economics"}, "recruitment_cost": money_range,
        "enablement_cost": money_range,
        "management_cost": nullable(obj({"from": ref("money"), "up_to": ref("money"),
                                         "per_period": STR})),
        "break_even": nullable(obj({"from": ref("duration"), "up_to": ref("duration")})),
        "break_even_deals": nullable(obj({"from": INT, "up_to": INT})), "doc": STR},
        "What one partner costs the vendor (recruitment; enablement in its first year;"
        " management per period) and when it pays back; a single amount is a range with"
        " equal ends.", entity=True)
    return obj({"economics": nullable(economics),
                "unit_economics": nullable(unit_economics), "channels": array(ref("channel")),
                "handovers": array(ref("handover")), "processes": array(_process()),
                "routes": array(route),
                "examples": array(ref("example")), "policies": policies,
                "ship_gate": array(gate)},
               "INTERNAL: the vendor's economics and unit economics per partner, internal"
               " channels and processes and"
               " everything that names them, policy settings and waivers, the ship gate. Never"
               " shown to partners.")


def _top(view: str) -> dict:
    props = {
        "$schema": {"const": CONFIG_ID if view == "config" else PARTNER_ID},
        "schema_version": {"const": SCHEMA_VERSION}, "program": _program(),
        "products": array(_product()), "channels": array(ref("channel")),
        "attribution": _attribution(), "registration": _registration(),
        "payment_terms": _payment_terms(),
        "handovers": array(ref("handover")), "mitigations": array(_mitigation()),
        "clawbacks": array(_clawback()), "spiffs": array(_spiff()),
        "scorings": array(_scoring()), "processes": array(_process()),
        "conflicts": array(_conflict()), "enablement": array(_enablement()),
        "co_marketing": array(_co_marketing()), "examples": array(ref("example"))}
    if view == "config":
        props["internal"] = _internal()
    top = obj(props)
    # `charter build --stamp TEXT` records a build time; without it builds are byte-identical
    top["properties"]["stamp"] = {"type": "string", "description": "`--stamp`: when built."}
    return top


def config_schema_for(view: str) -> dict:
    """The JSON Schema (2020-12) of `config.json` (``view`` "config") or of its partner
    projection (``view`` "partner")."""
    what = ("INTERNAL: its `internal` section carries the vendor's economics; render partner"
            " output from the partner projection only." if view == "config" else
            "The partner projection: config.json without its internal section.")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": CONFIG_ID if view == "config" else PARTNER_ID,
        "title": "charter program config" + (" (partner projection)" if view != "config"
                                             else ""),
        "description": f"A compiled partner program as data. {what} Schema version"
                       f" {SCHEMA_VERSION}; see docs/targets.md.", **_top(view)}
    schema["$defs"] = {**_values(), "payout": _payout(), "wholesale_price": _wholesale_price(),
                       "tier": _tier(), "thresholds": _thresholds(), "channel": _channel(),
                       "handover": _handover(), "example": _example()}
    return schema


def schema_text(view: str) -> str:
    """The shipped file's exact text."""
    return json.dumps(config_schema_for(view), indent=2, ensure_ascii=False) + "\n"


@lru_cache(maxsize=None)
def shipped_schema(view: str) -> dict:
    """The shipped schema of ``view`` (package data)."""
    path = resources.files("charter.targets").joinpath(f"schemas/{FILES[view]}")
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _validator(view: str):
    import jsonschema

    schema = shipped_schema(view)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def schema_errors(data: dict, view: str) -> list[str]:
    """Every way ``data`` fails the ``view`` schema, as `PATH: MESSAGE` lines (sorted)."""
    errors = _validator(view).iter_errors(data)
    return sorted(f"{e.json_path}: {e.message}" for e in errors)
