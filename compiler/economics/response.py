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
    """Plain decimal text; amounts and ratios are quantized, so `str` never uses exponents."""
    if value is None:
        return None
    text = str(value)
    return format(value, "f") if "E" in text else text


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


class LineEncoder:
    """Writes a quote as the exact bytes of `dumps(quote_to_json(...))`, several times faster.

    Batch quoting spends most of its time serialising; this encoder builds the line with
    string formatting and caches the JSON form of every name. Tests hold it byte-equal to
    the reference path.
    """

    def __init__(self, program_id: str, version: str, minor_units: int = 0):
        if minor_units > 6:  # str() would switch to exponents for the smallest amounts
            raise ValueError("LineEncoder handles currencies with at most 6 minor units")
        self._names: dict[object, str] = {}
        self._payout_heads: dict[tuple[str, str], str] = {}
        self._head = f'"program":{self.name(program_id)},"version":{self.name(version)}'

    def name(self, value: object) -> str:
        """JSON text of a name (product, channel), cached: a program has few."""
        text = self._names.get(value)
        if text is None:
            text = self._names[value] = _string(value)
        return text

    def encode(self, quote: Quote) -> str:
        """One response line (no newline)."""
        r = quote.request
        name = self.name
        head = "{" if r.id is None else \
            f'{{"id":{r.id if type(r.id) is int else _string(r.id)},'
        reasons = ",".join(f'{{"code":"{x.code}","message":{_string(x.message)}}}'
                           for x in quote.reasons)  # messages vary: not cached
        notes = ",".join(_string(n) for n in quote.notes)
        partner = name(quote.partner) if quote.partner is not None else "null"
        years = ",".join(self._year(y) for y in quote.years)
        return (f'{head}{self._head},"currency":"{quote.currency}","decision":"{quote.decision}",'
                f'"reasons":[{reasons}],"notes":[{notes}],"product":{name(r.product)},'
                f'"seats":{r.seats},"partner_of_record":{partner},'
                f'"services_to":"{quote.services_to}","unit_list_price":{_q(quote.unit_list_price)},'
                f'"unit_price":{_q(quote.unit_price)},'
                f'"wholesale_unit_price":{_q(quote.wholesale_unit_price)},"years":[{years}]}}')

    def _year(self, y: YearQuote) -> str:
        # Amounts and ratios are quantized (exponent -minor_units or -6), so str() is plain.
        heads = self._payout_heads
        payouts = ",".join(f'{heads.get((p.party, p.kind)) or self._head_of(p)}{p.amount!s}",'
                           f'"rate":{_q(p.rate)},"base":"{p.base!s}"}}' for p in y.payouts)
        credit = ",".join(f'{{"party":{self.name(c.party)},"share":{_q(c.share)},'
                          f'"amount":"{c.amount!s}"}}' for c in y.credit) if y.credit else ""
        return (f'{{"year":{y.year},"software_list":"{y.software_list!s}",'
                f'"software":"{y.software!s}","services":"{y.services!s}",'
                f'"customer_pays":"{y.customer_pays!s}","wholesale_price":{_q(y.wholesale_price)},'
                f'"vendor_receives":"{y.vendor_receives!s}","vendor_cogs":"{y.vendor_cogs!s}",'
                f'"vendor_net":"{y.vendor_net!s}","vendor_net_margin":"{y.vendor_net_margin!s}",'
                f'"combined_rate":"{y.combined_rate!s}","payouts":[{payouts}],'
                f'"credit":[{credit}]}}')

    def _head_of(self, payout) -> str:
        head = f'{{"party":{self.name(payout.party)},"kind":"{payout.kind}","amount":"'
        self._payout_heads[(payout.party, payout.kind)] = head
        return head


_string = json.encoder.encode_basestring  # == json.dumps(s, ensure_ascii=False), in C


def _q(value: Decimal | None) -> str:
    """A decimal as a quoted JSON string, or null."""
    if value is None:
        return "null"
    text = str(value)
    return f'"{text}"' if "E" not in text else f'"{value:f}"'
