"""Reading the partner projection of the config, and the one bridge to the engine.

Partner documents read the program only through `Projection`, a thin reader over the partner
projection (`charter.targets.config.partner_projection`: the config without its internal
section, schema-checked). Computed numbers (worked examples, crossings, year-by-year
earnings) come from `Projection.quote`, which hands the engine a request built from the
projection and returns only the engine's *partner view* of the quote (`quote_to_json(...,
"partner")`: a closed schema with nothing internal in it). No other path leads from the
model or the internal section into a partner document.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from charter.targets.wording import Words

PartnerQuoter = Callable[[dict], "dict | None"]


def local(ident: str | None) -> str | None:
    """The name in a config id: `tier:VAD/Elite` → `Elite`, `channel:VAD` → `VAD`."""
    if ident is None:
        return None
    return ident.split(":", 1)[-1].rsplit("/", 1)[-1]


@dataclass
class Projection:
    """The partner projection with lookups by id, its formatter, and the partner quoter."""

    data: dict
    quoter: PartnerQuoter
    words: Words = field(init=False)

    def __post_init__(self):
        if "internal" in self.data:  # the guard the whole design rests on
            raise ValueError("partner documents render from the partner projection only")
        self.words = Words.of(self.data)

    @property
    def program(self) -> dict:
        """The program's header (id, title, version, currency, locales, ...)."""
        return self.data["program"]

    @property
    def channels(self) -> list[dict]:
        """The offered channels, in program order."""
        return self.data["channels"]

    def channel(self, ident: str) -> dict | None:
        """The channel with ``ident`` (`channel:VAD`)."""
        return next((c for c in self.channels if c["id"] == ident), None)

    def tier(self, ident: str | None) -> dict | None:
        """The tier with ``ident`` (`tier:VAD/Elite`)."""
        return next((t for c in self.channels for t in c["tiers"] if t["id"] == ident), None)

    def product(self, ident: str) -> dict | None:
        """The product with ``ident`` (`product:Growth`)."""
        return next((p for p in self.data["products"] if p["id"] == ident), None)

    def priced_software(self) -> list[dict]:
        """Software products with a list price, in program order."""
        return [p for p in self.data["products"]
                if p["layer"] == "software" and p["list_price"] is not None]

    def quote(self, request: dict) -> dict | None:
        """The engine's partner view of ``request`` (None if the program cannot quote it)."""
        return self.quoter(request)


def request_of(deal: dict, name: str | None = None, **changes) -> dict:
    """A quote request (the request schema) from a config example's `deal`."""
    request = {"product": local(deal["product"]), "seats": deal["seats"],
               "years": deal["years"], "route": [_step(s) for s in deal["route"]]}
    if name:
        request["id"] = name
    services = {k: v["amount"] for k, v in deal["services"].items() if v is not None}
    if services:
        request["services"] = services
    if deal["cumulative"]:
        request["cumulative"] = {local(c["channel"]): _cumulative(c) for c in deal["cumulative"]}
    for key in ("close_date", "start"):
        if deal[key]:
            request[key] = deal[key]
    if deal["unit_price"]:
        request["unit_price"] = deal["unit_price"]["amount"]
    for key in ("price_approved", "registered"):
        if deal[key] != (key == "registered"):
            request[key] = deal[key]
    if not deal["certified"]:
        request["certified"] = False
    if deal["split"]:
        request["split"] = local(deal["split"])
    if deal["influenced"]:
        request["influenced"] = [local(c) for c in deal["influenced"]]
    if deal.get("renewal_influenced"):
        request["renewal_influenced"] = True
    if deal.get("spiffs"):
        request["spiffs"] = [local(s) for s in deal["spiffs"]]
    request.update(changes)
    return request


def _step(step: dict) -> dict:
    out = {"channel": local(step["channel"])}
    if step["tier"]:
        out["tier"] = local(step["tier"])
    if step["rate"]:
        out["rate"] = _percent_text(step["rate"])
    if step["partner"]:
        out["partner"] = step["partner"]
    if step.get("terms"):
        out["terms"] = {term: _term_text(value) for term, value in step["terms"].items()}
    return out


def _term_text(value: dict | str) -> str:
    """A config's negotiated term as a request writes it: `"15%"`, `"45 days"`."""
    if not isinstance(value, dict):
        return _percent_text(value)
    from decimal import Decimal

    amount = Decimal(value["value"]).normalize()
    unit = value["unit"] + ("" if amount == 1 else "s")
    return f"{amount:f} {'business ' if value.get('business') else ''}{unit}"


def _percent_text(rate: str) -> str:
    from decimal import Decimal

    return f"{(Decimal(rate) * 100).normalize():f}%"


def _cumulative(item: dict) -> dict | str:
    bound = item["amount"]  # an amount, or `{"deals": n}` on a count ladder
    amount = str(bound["deals"]) if "deals" in bound else bound["amount"]
    return {"amount": amount, "as_of": item["as_of"]} if item["as_of"] else amount


def engine_quoter(ctx) -> PartnerQuoter:
    """The partner quoter of a build: the context's engine, answering in the partner view.

    The engine needs the model to quote, so this is the one place a partner document's
    numbers touch `ctx.program`; what comes back is the partner view only.
    """
    from charter.economics import RequestInvalid, parse_request
    from charter.economics.response import quote_to_json

    program, engine = ctx.program, ctx.quoter

    def quote(request: dict) -> dict | None:
        try:
            parsed = parse_request(request, program)
        except RequestInvalid:
            return None
        return quote_to_json(engine.quote(parsed), program.header, "partner")
    return quote
