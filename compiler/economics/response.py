"""The quote response contract: a `Quote` as JSON, in the internal or the partner view.

Money is a decimal string in the program's currency, rounded to its minor units; rates and
ratios are decimal strings with exactly six decimals (`"0.350000"`). The partner view is
built by its own function from the partner-safe parts of a quote only, so no internal value
(COGS, vendor net and margin, the margin line, internal walk reasons) can reach it; its
schema forbids any other field.
"""
from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from charter import model as m
from charter.economics.contract import CONTRACT_VERSION
from charter.economics.engine import LadderUse, Payout, Quote, YearQuote
from charter.economics.kinds import ReasonCode
from charter.economics.money import RATIO_QUANTUM
from charter.economics.request import DealRequest, RequestError

VIEWS = ("internal", "partner")
SCHEMAS = {"internal": "quote-response.schema.json",
           "partner": "quote-response-partner.schema.json"}
DECLINED = "the vendor does not offer these terms on this route"


def _money(value: Decimal | None) -> str | None:
    """Plain decimal text of an amount (amounts are quantized, so `str` is plain)."""
    if value is None:
        return None
    text = str(value)  # several times faster than format(); this runs for every amount
    return text if "E" not in text else format(value, "f")


def _rate(value: Decimal | None) -> str | None:
    """A rate or ratio with exactly six decimals: the contract's one spelling."""
    if value is None:
        return None
    text = _RATES.get(value)
    if text is None:  # a program has few distinct rates: cache their spelling
        text = format(value.quantize(RATIO_QUANTUM), "f")
        if len(_RATES) < 4096:
            _RATES[value] = text
    return text


def _date(value) -> str | None:
    if value is None:
        return None
    text = _DATES.get(value)
    if text is None:
        text = value.isoformat()
        if len(_DATES) < 4096:
            _DATES[value] = text
    return text


_RATES: dict[Decimal, str] = {}
_DATES: dict = {}


def quote_to_json(quote: Quote, header: m.Header, view: str = "internal") -> dict:
    """The response object of ``quote`` in ``view`` (see the two response schemas)."""
    if view == "partner":
        return _partner(quote, header)
    out = _common(quote, header, "internal")
    out["reasons"] = [{"code": r.code.value, "message": r.message} for r in quote.reasons]
    out["years"] = [{**_year_common(y, quote), **_vendor(y), **_lines(y, quote)}
                    for y in quote.years]
    return out


def _partner(quote: Quote, header: m.Header) -> dict:
    """The partner view: built only from partner-safe fields of the quote."""
    out = _common(quote, header, "partner")
    out["reasons"] = _partner_reasons(quote)
    out["years"] = [{**_year_common(y, quote), **_lines(y, quote)} for y in quote.years]
    return out


def _partner_reasons(quote: Quote) -> list[dict]:
    reasons, declined = [], False
    for r in quote.reasons:
        if not r.code.internal:
            reasons.append({"code": r.code.value, "message": r.message})
        elif not declined:  # one generic reason, whatever internal rules were triggered
            declined = True
            reasons.append({"code": ReasonCode.VENDOR_DECLINED.value, "message": DECLINED})
    return reasons


def _common(quote: Quote, header: m.Header, view: str) -> dict:
    request = quote.request
    out: dict = {} if request.id is None else {"id": request.id}  # first: batch lines
    out.update({"contract_version": CONTRACT_VERSION, "view": view})
    out.update({
        "program": header.id, "version": header.version, "effective": _date(header.effective),
        "currency": quote.currency, "request": _request(request), "decision": quote.decision,
        "reasons": [], "warnings": [w.to_json() for w in request.warnings],
        "notes": list(quote.notes), "partner_of_record": quote.partner,
        "services_to": quote.services_to, "unit_list_price": _money(quote.unit_list_price),
        "unit_price": _money(quote.unit_price),
        "wholesale_unit_price": _money(quote.wholesale_unit_price),
        "contract": {"start": _date(quote.start), "end": _date(quote.end)},
        "thresholds": [_ladder(u) for u in quote.ladders]})
    return out


def _request(request: DealRequest) -> dict:
    """The request as the engine read it (defaults filled in), echoed for the record."""
    return {
        "product": request.product, "seats": request.seats, "years": request.years,
        "route": _route(request.route),
        "close_date": _date(request.close_date), "start": _date(request.start),
        "unit_price": _money(request.unit_price), "price_approved": request.price_approved,
        "certified": request.certified, "registered": request.registered,
        "split": request.split, "influenced": list(request.influenced)}


def _route(route: tuple) -> list:
    """The echoed route; cached, as a batch has few routes (never mutated after)."""
    echoed = _ROUTES.get(route)
    if echoed is None:
        echoed = [{"channel": s.channel, "tier": s.tier, "partner": s.partner,
                   "rate": _rate(s.rate)} for s in route]
        if len(_ROUTES) < 4096:
            _ROUTES[route] = echoed
    return echoed


_ROUTES: dict[tuple, list] = {}


def _ladder(use: LadderUse) -> dict:
    ladder, bracket = use.ladder, use.bracket
    per_deal = ladder.per_deal
    return {
        "party": use.party, "partner": use.partner, "ladder": ladder.name,
        "pays": use.kind.value, "mode": ladder.semantics, "reset": ladder.reset,
        "basis": "deal_value" if per_deal else "cumulative",
        "cumulative_stated": _money(use.stated), "reset_applied": use.reset,
        "cumulative_before": None if per_deal else _money(use.before),
        "cumulative_after": None if per_deal else _money(use.after),
        "bracket": {"from": _money(bracket.low), "up_to": _money(bracket.high),
                    "rate": _rate(bracket.rate)}}


def _year_common(y: YearQuote, quote: Quote) -> dict:
    return {
        "year": y.year, "start": _date(y.start), "end": _date(y.end),
        "software_list": _money(y.software_list), "software": _money(y.software),
        "services": _money(y.services), "customer_pays": _money(y.customer_pays),
        "wholesale_price": _money(y.wholesale_price)}


def _vendor(y: YearQuote) -> dict:
    """INTERNAL: the vendor's economics of a year."""
    return {
        "vendor_basis": _money(y.vendor_basis), "vendor_receives": _money(y.vendor_receives),
        "vendor_cogs": _money(y.vendor_cogs), "vendor_net": _money(y.vendor_net),
        "vendor_net_margin": _rate(y.vendor_net_margin), "combined_rate": _rate(y.combined_rate)}


def _lines(y: YearQuote, quote: Quote) -> dict:
    lines = [_line(p) for p in y.payouts]
    return {"payouts": lines if quote.payable else [],
            "not_payable": [] if quote.payable else lines,
            "credit": [{"party": c.party, "share": _rate(c.share), "amount": _money(c.amount)}
                       for c in y.credit]}


def _line(p: Payout) -> dict:
    return {
        # str-enum members are JSON strings as they are (`.value` is a slow descriptor)
        "party": p.party, "partner": p.partner, "kind": p.kind,
        "settlement": p.kind.settlement, "timing": p.timing, "rate": _rate(p.rate),
        "base": _money(p.base), "base_of": p.base_of, "amount": _money(p.amount),
        "amount_is": p.amount_is,
        "slices": [{"from": _money(s.low), "up_to": _money(s.high), "rate": _rate(s.rate),
                    "base": _money(s.base)} for s in p.slices] if p.slices else []}


def errors_to_json(errors: list[RequestError], line: int | None = None,
                   ident: str | int | None = None) -> dict:
    """A rejected request: `{"error": "invalid request", "errors": [{path, message}]}`, with
    the batch line and the request's `id` when known."""
    out: dict = {} if line is None else {"line": line}
    if ident is not None:
        out["id"] = ident
    out.update({"contract_version": CONTRACT_VERSION, "error": "invalid request",
                "errors": [e.to_json() for e in errors]})
    return out


def dumps(obj: dict) -> str:
    """Canonical JSON text of a response: one line, fixed key order, UTF-8 kept."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=None)
def response_schema(view: str = "internal") -> dict:
    """The JSON Schema of a quote response in ``view`` (shipped as package data)."""
    path = resources.files("charter.economics").joinpath(f"schemas/{SCHEMAS[view]}")
    return json.loads(path.read_text(encoding="utf-8"))
