"""The quote response contract: a `Quote` as JSON (money as decimal strings)."""
from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from charter.economics.engine import Quote, YearQuote
from charter.economics.request import RequestError

PAYOUT_KINDS = {
    "wholesale_margin": "the spread a reselling partner keeps: customer price − wholesale price",
    "commission": "a fee the vendor pays on the deal (finder fee, referral or introducer fee)",
    "true_up": "the retroactive top-up on earlier volume when a retroactive threshold is crossed",
    "mdf": "market development funds accrued on customer-paid software revenue",
    "split": "the partner's part of a split deal (of its payout, or of revenue if it has none)",
    "influence": "influenced-credit fee for a partner that influenced but did not close",
}


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def quote_to_json(quote: Quote, program_id: str, version: str) -> dict:
    """The response object of ``quote`` (see quote-response.schema.json)."""
    request = quote.request
    out = {"program": program_id, "version": version, "currency": quote.currency,
           "decision": quote.decision,
           "reasons": [{"code": r.code, "message": r.message} for r in quote.reasons],
           "notes": list(quote.notes), "product": request.product, "seats": request.seats,
           "partner_of_record": quote.partner, "services_to": quote.services_to,
           "unit_list_price": _s(quote.unit_list_price), "unit_price": _s(quote.unit_price),
           "wholesale_unit_price": _s(quote.wholesale_unit_price),
           "years": [_year(y) for y in quote.years]}
    if request.id is not None:
        out = {"id": request.id, **out}
    return out


def _year(y: YearQuote) -> dict:
    return {
        "year": y.year, "software_list": _s(y.software_list), "software": _s(y.software),
        "services": _s(y.services), "customer_pays": _s(y.customer_pays),
        "wholesale_price": _s(y.wholesale_price), "vendor_receives": _s(y.vendor_receives),
        "vendor_cogs": _s(y.vendor_cogs), "vendor_net": _s(y.vendor_net),
        "vendor_net_margin": _s(y.vendor_net_margin), "combined_rate": _s(y.combined_rate),
        "payouts": [{"party": p.party, "kind": p.kind, "amount": _s(p.amount), "rate": _s(p.rate),
                     "base": _s(p.base)} for p in y.payouts],
        "credit": [{"party": c.party, "share": _s(c.share), "amount": _s(c.amount)}
                   for c in y.credit]}


def errors_to_json(errors: list[RequestError], line: int | None = None) -> dict:
    """A rejected request: `{"error": "invalid request", "errors": [{path, message}]}`."""
    out: dict = {"error": "invalid request", "errors": [e.to_json() for e in errors]}
    return {"line": line, **out} if line is not None else out


def dumps(obj: dict) -> str:
    """Canonical JSON text of a response: one line, fixed key order, UTF-8 kept."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=None)
def response_schema() -> dict:
    """The JSON Schema of a quote response (shipped as package data)."""
    path = resources.files("charter.economics").joinpath("schemas/quote-response.schema.json")
    return json.loads(path.read_text(encoding="utf-8"))
