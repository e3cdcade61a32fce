"""The response schemas, built from the kind tables (`charter.economics.kinds`).

The shipped files `schemas/quote-response.schema.json` (internal) and
`schemas/quote-response-partner.schema.json` are this module's output; a test holds them
equal (`python -m pytest tests/test_contract.py --update-golden` rewrites them). The partner
schema is the internal one without the internal fields, and every object in it forbids
additional properties, so a partner answer that carried an internal value fails validation.
"""
from __future__ import annotations

import json

from charter.economics import payment
from charter.model import DURATION_TERMS, PERCENT_TERMS
from charter.economics.kinds import AmountIs, BaseOf, PayoutKind, ReasonCode, Settlement, Timing
from charter.model import PAYMENT_EVENTS

CONTRACT_VERSION = "2.1"  # the response contract; its changes are listed in docs/economics.md
BASE_URL = "https://charter.dev/schemas/"
MONEY = {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
         "description": "An amount in `currency`, rounded to its minor units."}
RATE = {"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{6}$",
        "description": "A rate or ratio as a decimal fraction with six decimals (0.350000)."}
DATE = {"type": "string", "format": "date"}
INTERNAL_YEAR = {
    "vendor_basis": "The software revenue the vendor's economics are measured on: the list"
                    " price when a reseller sets the customer's price, else what the customer"
                    " pays.",
    "vendor_receives": "Software money reaching the vendor, plus services it delivers.",
    "vendor_cogs": "COGS × vendor_basis.",
    "vendor_net": "What reaches the vendor for software − COGS − payouts it makes (MDF only"
                  " if the program counts it against margin).",
    "vendor_net_margin": "vendor_net / vendor_basis: the margin-death line's measure.",
    "combined_rate": "Payouts counted in the combined rate / vendor_basis (the handover cap's"
                     " measure).",
}


def _nullable(schema: dict) -> dict:
    return {"oneOf": [schema, {"type": "null"}]}


def _obj(properties: dict, description: str = "") -> dict:
    out = {"type": "object", "additionalProperties": False,
           "required": list(properties), "properties": properties}
    if description:
        out["description"] = description
    return out


def _enum(members) -> dict:
    return {"enum": [m.value for m in members]}


def _line() -> dict:
    slice_ = _obj({"from": MONEY, "up_to": _nullable(MONEY), "rate": RATE, "base": MONEY})
    return _obj({
        "party": {"type": "string", "description": "The channel paid."},
        "partner": _nullable({"type": "string", "description": "The partner's own id, from"
                                                               " the request's route."}),
        "kind": _enum(PayoutKind), "settlement": _enum(Settlement), "timing": _enum(Timing),
        "rate": RATE, "base": MONEY, "base_of": _enum(BaseOf), "amount": MONEY,
        "amount_is": {**_enum(AmountIs), "description": "rate_x_base: amount = rate × base"
                      " rounded; spread: customer price − wholesale price; allocated: a split"
                      " part (within one minor unit of rate × base); slices: Σ slice rate ×"
                      " slice base; fixed: a sum the program states (a SPIFF's amount: rate 1,"
                      " base = amount)."},
        "slices": {"type": "array", "items": slice_}, "due": _due()})


def _due() -> dict:
    """When a line falls due, from the program's `payment_terms` (charter.economics.payment)."""
    return _obj({
        "rule": {"enum": list(payment.RULES), "description": "net: `days` after the contract"
                 " year's invoice (its first day); period_end: `days` after the last day of the"
                 " calendar `period` the year starts in; after_event: `days` after `event`,"
                 " which no quote can date; retained: the partner keeps it, nothing is paid;"
                 " not_stated: the program states no term for this kind."},
        "days": _nullable({"type": "integer", "minimum": 0}),
        "period": _nullable({"enum": list(payment.PERIOD_MONTHS)}),
        "event": _nullable({"enum": list(PAYMENT_EVENTS)}),
        "counts_from": _nullable(DATE), "date": _nullable({**DATE, "description": "counts_from"
                                                            " + days; null when not knowable."})},
        "When the line falls due: a date when a quote can know it, else the rule.")


def _ladder() -> dict:
    bracket = _obj({"from": MONEY, "up_to": _nullable(MONEY), "rate": RATE})
    return _obj({
        "party": {"type": "string"}, "partner": _nullable({"type": "string"}),
        "ladder": {"type": "string"}, "pays": _enum((PayoutKind.COMMISSION, PayoutKind.REBATE)),
        "mode": {"enum": ["forward", "marginal", "retroactive"]}, "reset": {"type": "string"},
        "basis": {"enum": ["cumulative", "deal_value"]},
        "measure": {"enum": ["money", "deals"], "description": "What the cumulative and the"
                    " bracket bounds measure: an amount, or (a count ladder) the partner's"
                    " deals in the period, as whole numbers."},
        "cumulative_stated": _nullable(MONEY), "reset_applied": {"type": "boolean"},
        "cumulative_before": _nullable(MONEY), "cumulative_after": _nullable(MONEY),
        "bracket": bracket}, "A threshold ladder as applied to this deal: the period's volume"
                             " (or count of deals) before it (after any reset) and after it.")


def _year(view: str) -> dict:
    props = {
        "year": {"type": "integer", "minimum": 1}, "start": _nullable(DATE),
        "end": _nullable(DATE), "software_list": MONEY, "software": MONEY, "services": MONEY,
        "customer_pays": MONEY, "wholesale_price": _nullable(MONEY)}
    if view == "internal":
        props.update({k: {**(RATE if k.endswith(("margin", "rate")) else MONEY),
                          "description": v} for k, v in INTERNAL_YEAR.items()})
    props.update({
        "payouts": {"type": "array", "items": {"$ref": "#/$defs/line"},
                    "description": "What is payable; empty when the deal walks."},
        "not_payable": {"type": "array", "items": {"$ref": "#/$defs/line"},
                        "description": "A walked deal's lines, for the record; never paid."},
        "credit": {"type": "array", "description": "Credit for the deal, not cash: it pays"
                   " nothing (the payouts are the lines above); reporting and tier"
                   " qualification read it.",
                   "items": _obj({"party": {"type": "string"},
                                  "role": {"enum": ["split", "sourced", "influenced"]},
                                  "share": RATE, "amount": MONEY})}})
    return _obj(props)


def _terms() -> dict:
    """A route step's negotiated terms: each a rate, or a duration as written (`45 days`)."""
    duration = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)? (business )?"
                                             "(hour|day|week|month|quarter|year)s?$"}
    props = {**{term: RATE for term in PERCENT_TERMS},
             **{term: duration for term in DURATION_TERMS}}
    return {"type": "object", "additionalProperties": False, "properties": props,
            "description": "The terms this channel negotiated on the deal; a negotiable term"
                           " not listed was at its default."}


def _request() -> dict:
    step = _obj({"channel": {"type": "string"}, "tier": _nullable({"type": "string"}),
                 "partner": _nullable({"type": "string"}), "rate": _nullable(RATE),
                 "terms": _terms()})
    return _obj({
        "product": {"type": "string"}, "seats": {"type": "integer"},
        "years": {"type": "integer"}, "route": {"type": "array", "items": step},
        "services": _obj({"one_time": MONEY, "per_year": MONEY}),
        "cumulative": {"type": "array", "items": _obj(
            {"channel": {"type": "string"}, "amount": MONEY, "as_of": _nullable(DATE)})},
        "close_date": _nullable(DATE), "start": _nullable(DATE),
        "unit_price": MONEY, "price_approved": {"type": "boolean"},
        "certified": {"type": "boolean"}, "registered": {"type": "boolean"},
        "split": _nullable({"type": "string"}),
        "influenced": {"type": "array", "items": {"type": "string"}},
        "renewal_influenced": {"type": "boolean"},
        "spiffs": {"type": "array", "items": {"type": "string"}}},
        "The request as read, defaults filled in (start: the contract start; unit_price: the"
        " price quoted).")


def _quote(view: str) -> dict:
    problem = _obj({"path": {"type": "string"}, "message": {"type": "string"}})
    codes = [r for r in ReasonCode if view == "internal" or not r.internal]
    if view == "internal":
        codes.remove(ReasonCode.VENDOR_DECLINED)
    props = {
        "contract_version": {"const": CONTRACT_VERSION}, "view": {"const": view},
        "id": {"type": ["string", "integer"]}, "program": {"type": "string"},
        "version": {"type": "string"}, "effective": _nullable(DATE),
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}, "request": _request(),
        "decision": {"enum": ["accept", "walk"]},
        "reasons": {"type": "array", "items": _obj({"code": _enum(codes),
                                                    "message": {"type": "string"}})},
        "warnings": {"type": "array", "items": problem,
                     "description": "Request input that takes no effect on this deal."},
        "notes": {"type": "array", "items": {"type": "string"}},
        "partner_of_record": _nullable({"type": "string"}),
        "services_to": {"enum": ["partner", "vendor"]}, "unit_list_price": MONEY,
        "unit_price": MONEY, "wholesale_unit_price": _nullable(MONEY),
        "contract": _obj({"start": _nullable(DATE), "end": _nullable(DATE)}),
        "thresholds": {"type": "array", "items": {"$ref": "#/$defs/ladder"}},
        "years": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/year"}}}
    quote = _obj(props)
    quote["required"].remove("id")
    return quote


def _error() -> dict:
    problem = _obj({"path": {"type": "string", "pattern": "^\\$"},
                    "message": {"type": "string"}})
    error = _obj({"contract_version": {"const": CONTRACT_VERSION},
                  "line": {"type": "integer", "minimum": 1},
                  "id": {"type": ["string", "integer"]}, "error": {"const": "invalid request"},
                  "errors": {"type": "array", "minItems": 1, "items": problem}},
                 "A request that could not be quoted (batch lines carry their line and id).")
    error["required"] = ["contract_version", "error", "errors"]
    return error


def response_schema_for(view: str) -> dict:
    """The JSON Schema (2020-12) of a quote response in ``view`` (internal or partner)."""
    name = "quote-response" if view == "internal" else "quote-response-partner"
    what = ("INTERNAL: carries the vendor's COGS, net margin and walk rules; never forward it"
            " to a partner." if view == "internal" else
            "The partner view: no vendor economics, no internal walk reasons.")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_URL}{name}.schema.json",
        "title": f"charter quote response ({view} view)",
        "description": f"What a program pays on a deal, per contract year. {what} Contract"
                       f" version {CONTRACT_VERSION}; see docs/economics.md.",
        "oneOf": [{"$ref": "#/$defs/quote"}, {"$ref": "#/$defs/error"}],
        "$defs": {"quote": _quote(view), "error": _error(), "year": _year(view),
                  "line": _line(), "ladder": _ladder()}}


def schema_text(view: str) -> str:
    """The shipped file's exact text."""
    return json.dumps(response_schema_for(view), indent=2, ensure_ascii=False) + "\n"
