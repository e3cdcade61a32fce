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
from charter.economics.payment import Due
from charter.economics.money import decimal_context, spell_rate
from charter.economics.request import RequestError

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
        text = spell_rate(value)
        if len(_RATES) < 4096:
            _RATES[value] = text
    return text


def _deals(value: Decimal | None) -> str | None:
    """A count of deals, as a whole-number string (None stays None)."""
    return None if value is None else f"{value.to_integral_value():f}"


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
    writer = _writer(header.minor_units)
    return writer.partner(quote, header) if view == "partner" else writer.internal(quote, header)


@lru_cache(maxsize=None)
def _writer(minor_units: int) -> "_Writer":
    return _Writer(minor_units)


class _Writer:
    """Builds responses for one currency: every amount is spelt to its minor units."""

    def __init__(self, minor_units: int):
        quantum = Decimal(1).scaleb(-minor_units)
        context = decimal_context()  # 40 digits: the default 28 cannot spell the largest deals

        def money(value: Decimal | None) -> str | None:
            return None if value is None else _money(value.quantize(quantum, context=context))
        self.money = money

    def internal(self, quote: Quote, header: m.Header) -> dict:
        """The internal view."""
        out = self._common(quote, header, "internal")
        out["reasons"] = [{"code": r.code.value, "message": r.message} for r in quote.reasons]
        out["years"] = [{**self._year_common(y), **self._vendor(y), **self._lines(y, quote)}
                        for y in quote.years]
        return out

    def partner(self, quote: Quote, header: m.Header) -> dict:
        """The partner view: built only from partner-safe fields of the quote."""
        out = self._common(quote, header, "partner")
        out["reasons"] = _partner_reasons(quote)
        out["years"] = [{**self._year_common(y), **self._lines(y, quote)} for y in quote.years]
        return out

    def _common(self, quote: Quote, header: m.Header, view: str) -> dict:
        request = quote.request
        out: dict = {} if request.id is None else {"id": request.id}  # first: batch lines
        out.update({"contract_version": CONTRACT_VERSION, "view": view})
        money = self.money
        out.update({
            "program": header.id, "version": header.version,
            "effective": _date(header.effective), "currency": quote.currency,
            "request": self._request(quote), "decision": quote.decision,
            "reasons": [], "warnings": [w.to_json() for w in request.warnings],
            "notes": list(quote.notes), "partner_of_record": quote.partner,
            "services_to": quote.services_to, "unit_list_price": money(quote.unit_list_price),
            "unit_price": money(quote.unit_price),
            "wholesale_unit_price": money(quote.wholesale_unit_price),
            "contract": {"start": _date(quote.start), "end": _date(quote.end)},
            "thresholds": [self._ladder(u) for u in quote.ladders]})
        return out

    def _request(self, quote: Quote) -> dict:
        """The request as the engine read it, defaults filled in, echoed for the record."""
        request, money = quote.request, self.money
        return {
            "product": request.product, "seats": request.seats, "years": request.years,
            "route": _route(request.route),
            "services": {"one_time": money(request.services_one_time),
                         "per_year": money(request.services_per_year)},
            "cumulative": [{"channel": c.channel, "amount": money(c.amount),
                            "as_of": _date(c.as_of)} for c in request.cumulative],
            "close_date": _date(request.close_date), "start": _date(quote.start),
            "unit_price": money(quote.unit_price), "price_approved": request.price_approved,
            "certified": request.certified, "registered": request.registered,
            "split": request.split, "influenced": list(request.influenced),
            "renewal_influenced": request.renewal_influenced, "spiffs": list(request.spiffs)}

    def _ladder(self, use: LadderUse) -> dict:
        ladder, bracket = use.ladder, use.bracket
        per_deal = ladder.per_deal
        volume = _deals if ladder.counts else self.money  # a count ladder counts deals
        return {
            "party": use.party, "partner": use.partner, "ladder": ladder.name,
            "pays": use.kind.value, "mode": ladder.semantics, "reset": ladder.reset,
            "basis": "deal_value" if per_deal else "cumulative",
            "measure": "deals" if ladder.counts else "money",
            "cumulative_stated": volume(use.stated), "reset_applied": use.reset,
            "cumulative_before": None if per_deal else volume(use.before),
            "cumulative_after": None if per_deal else volume(use.after),
            "bracket": {"from": volume(bracket.low), "up_to": volume(bracket.high),
                        "rate": _rate(bracket.rate)}}

    def _year_common(self, y: YearQuote) -> dict:
        return {
            "year": y.year, "start": _date(y.start), "end": _date(y.end),
            "software_list": self.money(y.software_list), "software": self.money(y.software),
            "services": self.money(y.services), "customer_pays": self.money(y.customer_pays),
            "wholesale_price": self.money(y.wholesale_price)}

    def _vendor(self, y: YearQuote) -> dict:
        """INTERNAL: the vendor's economics of a year."""
        return {
            "vendor_basis": self.money(y.vendor_basis), "vendor_receives": self.money(y.vendor_receives),
            "vendor_cogs": self.money(y.vendor_cogs), "vendor_net": self.money(y.vendor_net),
            "vendor_net_margin": _rate(y.vendor_net_margin), "combined_rate": _rate(y.combined_rate)}

    def _lines(self, y: YearQuote, quote: Quote) -> dict:
        lines = [self._line(p, quote.due(p, y)) for p in y.payouts]
        return {"payouts": lines if quote.payable else [],
                "not_payable": [] if quote.payable else lines,
                "credit": [{"party": c.party, "role": c.role, "share": _rate(c.share),
                            "amount": self.money(c.amount)} for c in y.credit]}

    def _line(self, p: Payout, due: Due) -> dict:
        return {
            # str-enum members are JSON strings as they are (`.value` is a slow descriptor)
            "party": p.party, "partner": p.partner, "kind": p.kind,
            "settlement": p.kind.settlement, "timing": p.timing, "rate": _rate(p.rate),
            "base": self.money(p.base), "base_of": p.base_of, "amount": self.money(p.amount),
            "amount_is": p.amount_is,
            "slices": [{"from": self.money(s.low), "up_to": self.money(s.high), "rate": _rate(s.rate),
                        "base": self.money(s.base)} for s in p.slices] if p.slices else [],
            "due": _due(due)}


def _due(due: Due) -> dict:
    """When a line falls due (`charter.economics.payment`), cached: a quote has few."""
    spelt = _DUES.get(due)
    if spelt is None:
        spelt = {"rule": due.rule, "days": due.days, "period": due.period, "event": due.event,
                 "counts_from": _date(due.counts_from), "date": _date(due.date)}
        if len(_DUES) < 4096:
            _DUES[due] = spelt
    return spelt


_DUES: dict = {}


def _partner_reasons(quote: Quote) -> list[dict]:
    reasons, declined = [], False
    for r in quote.reasons:
        if not r.code.internal:
            reasons.append({"code": r.code.value, "message": r.message})
        elif not declined:  # one generic reason, whatever internal rules were triggered
            declined = True
            reasons.append({"code": ReasonCode.VENDOR_DECLINED.value, "message": DECLINED})
    return reasons



def _route(route: tuple) -> list:
    """The echoed route; cached, as a batch has few routes (never mutated after)."""
    echoed = _ROUTES.get(route)
    if echoed is None:
        echoed = [{"channel": s.channel, "tier": s.tier, "partner": s.partner,
                   "rate": _rate(s.rate), "terms": _terms(s.terms)} for s in route]
        if len(_ROUTES) < 4096:
            _ROUTES[route] = echoed
    return echoed



_ROUTES: dict[tuple, list] = {}


def _terms(terms: tuple) -> dict:
    """A step's negotiated terms as echoed: rates with six decimals, durations as written
    (`"45 days"`)."""
    return {term: _rate(value) if isinstance(value, Decimal) else str(value)
            for term, value in terms}


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
