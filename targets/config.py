"""The `config` target: the compiled program as canonical data (`config.json`), for machines.

`build_config` walks the typed model (`charter.model`) into plain JSON data: stable key and
list order, a stable `id` on every entity, money as `{"amount", "currency"}` decimal strings,
rates as six-decimal strings (the quote contract's spelling), durations as
`{"value", "unit", "business"}`, dates ISO 8601. Every yearly rate a consumer needs (a tier's
margin in each contract year, a commission's steps, a handover's introducer fee, a wholesale
unit price) comes from the economics engine, never recomputed here: the engine is the one
home of how a rate applies.

Everything internal (the `internal economics` and `unit_economics` blocks, internal channels
and what names them, policy settings and waivers, the ship gate, the engine's vendor margin on
every route) sits in one top-level `internal` section; `partner_projection` removes it. Both
shapes are checked against their schemas (`charter.targets.config_schema`): a mismatch is a
compiler bug and raises `ConfigSchemaError`. docs/targets.md documents the shape.
"""
from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any, Iterable, NamedTuple

from charter import model as m
from charter.confidential import example_names_internal, handover_is_internal, mentions
from charter.economics import Quoter
from charter.economics.contract import INTERNAL_YEAR
from charter.economics.money import spell_rate
from charter.economics.negotiation import at_low, at_top
from charter.economics.request import MAX_YEARS, DealRequest, Step, request_from_deal
from charter.economics.routes import nominal_product, quotable, routes
from charter.literals import MoneyValue
from charter.source import Span
from charter.targets.base import BuildContext, Target
from charter.targets.config_schema import (CONFIG_ID, PARTNER_ID, SCHEMA_VERSION,
                                           schema_errors)
from charter.values import Count, Criteria, Duration, Metric, Percentage, Rate

# Quote metrics that only the internal view of a quote carries (derived from the contract).
INTERNAL_METRICS = frozenset(INTERNAL_YEAR)


class ConfigSchemaError(RuntimeError):
    """A built config (or its partner projection) does not match its schema: a compiler bug.

    `str(error)` reads "config for PROGRAM does not match its schema: PATH: MESSAGE"; the
    build command prefixes it with "internal error: ".
    """

    def __init__(self, program: str, schema: str, problems: list[str]):
        self.program, self.schema, self.problems = program, schema, problems
        shown = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)"
                                          if len(problems) > 5 else "")
        super().__init__(f"{schema} for {program} does not match its schema: {shown}")


# ---- spellings -----------------------------------------------------------------------------

def rate(value: Decimal | None) -> str | None:
    """A rate spelt as in quotes (`charter.economics.money.spell_rate`), or None."""
    return None if value is None else spell_rate(value)


def amount(value: Decimal, minor_units: int) -> str:
    """An amount as a plain decimal string with at least the currency's minor units
    (`"2400000000"` in IDR, `"50000.00"` in USD; `"0.005"` keeps its extra digit)."""
    quantum = Decimal(1).scaleb(-minor_units)
    if value == value.quantize(quantum):
        return format(value.quantize(quantum), "f")
    return format(value.normalize(), "f")


def duration(value: Duration | None) -> dict | None:
    """`24 business hours` -> `{"value": "24", "unit": "hour", "business": true}`."""
    if value is None:
        return None
    return {"value": format(value.amount.normalize(), "f"), "unit": value.unit,
            "business": value.business}


def date(value) -> str | None:
    """An ISO 8601 date (`2026-01-01`)."""
    return None if value is None else value.isoformat()


# ---- ids -----------------------------------------------------------------------------------

def channel_id(name: str) -> str:
    """`channel:VAD`."""
    return f"channel:{name}"


def tier_id(channel: str, tier: str | None) -> str | None:
    """`tier:VAD/Elite` (None without a tier)."""
    return None if tier is None else f"tier:{channel}/{tier}"


def handover_id(h: m.Handover) -> str:
    """`handover:Referral->VAD`."""
    return f"handover:{h.source}->{h.target}"


# ---- the builder ---------------------------------------------------------------------------

@dataclass
class _Writer:
    """Spells one program's model as config data (money in its currency, provenance)."""

    program: m.Program
    quoter: Quoter
    provenance: bool

    @cached_property
    def internal_channels(self) -> frozenset[str]:
        return frozenset(c.name for c in self.program.channels if c.internal)

    @cached_property
    def root(self) -> str:
        """The folder of the program's own file: provenance paths are relative to it, so a
        build is the same on every machine."""
        return posixpath.dirname(self.program.header.span.file.replace("\\", "/"))

    @cached_property
    def engine(self) -> Quoter:
        """The quoter for rates: the program's own, or one on a copy with a nominal product
        when the program prices no software (rates do not depend on the price)."""
        if nominal_product(self.program) is not None:
            return self.quoter
        return Quoter(quotable(self.program))

    def money(self, value: MoneyValue | Decimal | None) -> dict | None:
        """`{"amount": "2400000000", "currency": "IDR"}`."""
        if value is None:
            return None
        header = self.program.header
        if isinstance(value, MoneyValue):
            return {"amount": amount(value.amount, header.minor_units),
                    "currency": value.currency}
        return {"amount": amount(value, header.minor_units), "currency": header.currency}

    def bound(self, value: MoneyValue | Decimal | None) -> dict | None:
        """A bracket bound: money, or `{"deals": 11}` on a count ladder."""
        if value is None or isinstance(value, MoneyValue):
            return self.money(value)
        return {"deals": int(value)}

    def price(self, value: Rate | None) -> dict | None:
        """`Rp 200K per user per month` -> `{"money": ..., "per_unit": "user",
        "per_period": "month"}` (either may be null)."""
        if value is None:
            return None
        return {"money": self.money(value.money), "per_unit": value.unit,
                "per_period": value.period}

    def value(self, value: object) -> dict | None:
        """A loosely typed value (a criterion's measure, an expectation, a reward), tagged."""
        if value is None:
            return None
        if isinstance(value, bool):
            return {"flag": value}
        if isinstance(value, MoneyValue):
            return {"money": self.money(value)}
        if isinstance(value, Rate):
            return {"price": self.price(value)}
        if isinstance(value, Duration):
            return {"duration": duration(value)}
        if isinstance(value, Count):
            return {"count": {"number": format(value.amount.normalize(), "f"),
                              "per_period": value.period}}
        if isinstance(value, Percentage):  # written `20%`: a rate, not the number 0.2
            return {"rate": rate(value)}
        if isinstance(value, Decimal):
            return {"number": format(value.normalize(), "f")}
        if isinstance(value, tuple) and len(value) == 2:
            return {"range": {"from": self.value(value[0]), "up_to": self.value(value[1])}}
        return {"text": str(value)}

    def criteria(self, value: Criteria | Metric | None) -> dict | None:
        """`{"all": [...]}` / `{"any": [...]}` / `{"metric", "op", "value"}`."""
        if value is None:
            return None
        if isinstance(value, Criteria):
            return {value.op: [self.criteria(item) for item in value.items]}
        return {"metric": value.metric, "op": value.op, "value": self.value(value.value),
                "window": duration(value.window) if value.window is not None else None}

    def source(self, span: Span | None, spans: dict | None = None) -> dict:
        """`{"_source": {"file", "line", "attributes": {name: {"file", "line"}}}}` with
        `--provenance`, else nothing."""
        if not self.provenance or span is None:
            return {}
        out: dict = self._where(span)
        attrs = {k: self._where(v) for k, v in sorted((spans or {}).items())
                 if k != "header" and isinstance(v, Span)}
        if attrs:
            out["attributes"] = attrs
        return {"_source": out}

    def _where(self, span: Span) -> dict:
        path = span.file.replace("\\", "/")
        rel = posixpath.relpath(path, self.root) if self.root else path
        return {"file": rel, "line": span.line}

    # ---- the engine's rates ----------------------------------------------------------------

    def plan_roles(self, route: tuple[Step, ...]):
        """The engine's roles for a route (introducers first, then the partner of record)."""
        product = nominal_product(self.engine.program)
        return self.engine.plan(DealRequest(product.name, 1, 1, route)).roles

    def schedule(self, rates: Iterable[Decimal | None]) -> list[dict]:
        """Contract-year rates as runs: `[{"from_year": 1, "to_year": 1, "rate": "0.100000"},
        {"from_year": 2, "to_year": null, ...}]`; `to_year: null` runs to the contract's end,
        `rate: null` is set per deal (a threshold bracket, or a negotiated rate)."""
        runs: list[dict] = []
        for year, value in enumerate(rates, start=1):
            if runs and runs[-1]["rate"] == rate(value):
                runs[-1]["to_year"] = year
            else:
                runs.append({"from_year": year, "to_year": year, "rate": rate(value)})
        if runs:
            runs[-1]["to_year"] = None
        return runs

    def payout(self, channel: m.Channel, tier: m.Tier | None) -> dict:
        """What the channel (at ``tier``) earns as partner of record, year by year (engine)."""
        role = self.plan_roles((Step(channel.name, tier.name if tier else None),))[-1]
        # A negotiated discount range has no one rate: the engine takes the deal's (`rate`).
        rates = (None,) * MAX_YEARS if tier is None and ranged(channel) else role.rates
        negotiated = self.negotiated_years(channel, tier)
        rates = tuple(None if year in negotiated else r for year, r in enumerate(rates))
        return {"kind": role.kind.value, "timing": role.timing.value,
                "years": self.schedule(rates[:MAX_YEARS]), "mdf": rate(role.mdf),
                "mdf_fund": self.money(role.fund),
                "ladder": None if role.ladder is None else thresholds_id(channel)}

    def negotiated_years(self, channel: m.Channel, tier: m.Tier | None) -> frozenset[int]:
        """The contract years (from 0) whose rate each deal negotiates: those where the
        engine pays differently with every negotiable payout term at its low end and at its
        top (a one-time fee's later years pay nothing either way)."""
        if not any(n.term in m.PERCENT_TERMS for n in channel.negotiable_terms(tier)):
            return frozenset()
        step = Step(channel.name, tier.name if tier else None)
        program = self.engine.program
        low, top = (self.plan_roles((end(program, step),))[-1].rates for end in (at_low, at_top))
        return frozenset(year for year, (a, b) in enumerate(zip(low, top)) if a != b)

    def wholesale_prices(self, channel: m.Channel, tier: m.Tier | None) -> list[dict]:
        """The engine's wholesale unit price of every priced software product (wholesale
        channels at a fixed margin only; a negotiated range has no one price)."""
        if not channel.buys_wholesale or (tier is None and ranged(channel)) \
                or 0 in self.negotiated_years(channel, tier):
            return []
        out = []
        for product in self.program.products:
            if product.layer != "software" or product.list_price is None:
                continue
            step = Step(channel.name, tier.name if tier else None)
            quote = self.quoter.quote(DealRequest(product.name, 1, 1, (step,)))
            out.append({"product": f"product:{product.name}",
                        "unit_price": self.money(quote.wholesale_unit_price),
                        "per_unit": product.list_price.unit,
                        "per_period": product.list_price.period})
        return out


def fixed(holder: m.Channel | m.Tier, key: str, spell: Any) -> Any:
    """``holder``'s ``key`` spelt, or None when each deal negotiates it: the field then holds
    only the default, and a consumer that read it as the rate would pay every negotiated
    deal the default (the holder's `negotiable` list has the range and the default)."""
    if any(n.term == key for n in holder.negotiable):
        return None
    return spell(getattr(holder, key))


def _term_value(value: Decimal | Duration) -> Any:
    """A negotiable term's value: a rate, or a duration."""
    return duration(value) if isinstance(value, Duration) else rate(value)


def _negotiables(w: _Writer, holder: m.Channel | m.Tier, prefix: str) -> list[dict]:
    """The terms each deal may set within a range, with the default a deal gets unless it
    agrees another value; ``prefix`` names the holder in the ids (`VAD/Gold`)."""
    return [{"id": f"negotiable:{prefix}/{n.term}", "term": n.term, "from": _term_value(n.low),
             "up_to": None if n.high is None else _term_value(n.high),
             "default": _term_value(n.default), "doc": n.doc or None,
             **w.source(n.span, n.spans)} for n in holder.negotiable]


def ranged(channel: m.Channel) -> bool:
    """Whether the channel's discount is negotiated per deal within a range."""
    return channel.discount is not None and channel.discount[0] != channel.discount[1]


def thresholds_id(channel: m.Channel) -> str:
    """`thresholds:Referral/referred_revenue`."""
    return f"thresholds:{channel.name}/{channel.thresholds.name}"


# ---- entities ------------------------------------------------------------------------------

def _program(w: _Writer) -> dict:
    h = w.program.header
    return {"id": f"program:{h.id}", "name": h.id, "title": h.title, "version": h.version,
            "effective": date(h.effective), "currency": h.currency,
            "minor_units": h.minor_units, "rounding": h.rounding, "locales": list(h.locales),
            "status": h.status, "doc": h.doc, **w.source(h.span)}


def _product(w: _Writer, p: m.Product) -> dict:
    floor = p.msrp_floor
    return {"id": f"product:{p.name}", "name": p.name, "layer": p.layer,
            "list_price": w.price(p.list_price),
            "msrp_floor": ({"list_price": True} if floor == "list_price" else
                           {"price": w.price(floor)} if isinstance(floor, Rate) else None),
            "delivered_by": p.delivered_by, "priced_by": p.priced_by,
            "includes": list(p.includes), "typical_price": p.typical_price or None,
            "subcontract_price": None if p.subcontract_price is None else
            {"from": w.price(p.subcontract_price[0]), "up_to": w.price(p.subcontract_price[1])},
            "doc": p.doc, **w.source(p.span, p.spans)}


def _service(w: _Writer, s: m.ServiceLevel | None) -> dict | None:
    if s is None:
        return None
    return {"response": duration(s.response), "checkin": s.checkin,
            "implementation": duration(s.implementation), "qbr": s.qbr, "onsite": s.onsite,
            **w.source(s.span, s.spans)}


def _mdf(w: _Writer, t: m.Tier) -> dict | None:
    """A tier's MDF: a share (`{"rate"}`) or a fixed fund per period (`{"money",
    "per_period"}`; no period: a year)."""
    if t.mdf is None:
        return None
    if isinstance(t.mdf, MoneyValue):
        return {"money": w.money(t.mdf), "per_period": t.mdf_period}
    return {"rate": rate(t.mdf)}


def _mdf_fund_terms(w: _Writer, t: m.Tier) -> dict:
    """A fixed fund's cap (per its period), claim deadline and approval path."""
    return {"mdf_cap": None if t.mdf_cap is None else {"money": w.money(t.mdf_cap),
                                                        "per_period": t.mdf_cap_period},
            "mdf_claim_deadline": duration(t.mdf_claim_deadline),
            "mdf_approval": t.mdf_approval or None}


def _payment_terms(w: _Writer) -> dict | None:
    """When each kind of payout falls due (`payment_terms`), or None when not stated."""
    terms = w.program.payment_terms
    if terms is None:
        return None
    return {"terms": [{"id": f"payment_term:{t.kind}", "kind": t.kind, "rule": t.rule,
                       "days": t.days, "period": t.period, "event": t.event, "text": t.text,
                       **w.source(t.span)}
                      for t in terms.terms], "doc": terms.doc, **w.source(terms.span)}


def _tier(w: _Writer, c: m.Channel, t: m.Tier) -> dict:
    band = t.revenue_band
    return {
        "id": tier_id(c.name, t.name), "name": t.name, "rank": t.rank, "label": t.label,
        "quota": w.price(t.quota), "qualify": w.criteria(t.qualify),
        "revenue_band": None if band is None else {"from": w.money(band[0]),
                                                   "up_to": w.money(band[1])},
        "margin": fixed(t, "margin", rate), "margin_y2": fixed(t, "margin_y2", rate),
        "commission": fixed(t, "commission", rate),
        "commission_y2": fixed(t, "commission_y2", rate),
        "mdf": _mdf(w, t), "mdf_claim": t.mdf_claim or None, **_mdf_fund_terms(w, t),
        "payout": w.payout(c, t), "wholesale_prices": w.wholesale_prices(c, t),
        "tier_up": None if t.tier_up is None else {
            "when": w.criteria(t.tier_up.criteria), "to": tier_id(c.name, t.tier_up.target)},
        "review": t.review, "grace": duration(t.grace),
        "downgrade_to": tier_id(c.name, t.downgrade_to), "options": list(t.options),
        "benefits": list(t.benefits), "certified_people": t.certified_people,
        "service": _service(w, t.service),
        "negotiable": _negotiables(w, t, f"{c.name}/{t.name}"), "doc": t.doc,
        **w.source(t.span, t.spans)}


def _thresholds(w: _Writer, c: m.Channel) -> dict | None:
    """A ladder as billing systems read one (Stripe tiers, Lago graduated charges)."""
    t = c.thresholds
    if t is None:
        return None
    ident = thresholds_id(c)
    brackets = sorted(t.brackets, key=lambda b: b.low_amount)
    return {"id": ident, "name": t.name, "mode": t.semantics, "reset": t.reset,
            "basis": "deal_value" if t.basis == "deal_value" else "cumulative",
            "measure": t.basis, "pays": "rebate" if c.buys_wholesale else "commission",
            "brackets": [{"id": f"bracket:{c.name}/{t.name}@{amount(b.low_amount, 0)}",
                          "from": w.bound(b.low), "up_to": w.bound(b.high),
                          "rate": rate(b.rate), **w.source(b.span)} for b in brackets],
            "override": t.override or None, **w.source(t.span)}


def _channel(w: _Writer, c: m.Channel) -> dict:
    untiered = not c.tiers
    return {
        "id": channel_id(c.name), "name": c.name, "model": c.model, "owner": c.owner,
        "buys_wholesale": c.buys_wholesale, "refers_only": c.refers_only,
        "partner_owns_customer": c.partner_owns_customer,
        "commission_base": c.commission_base, "payment": c.payment,
        "commission": fixed(c, "commission", rate),
        "commission_y2": fixed(c, "commission_y2", rate),
        "commission_years": c.commission_years,
        "renewal_fee": None if c.renewal_fee is None else {
            "rate": rate(c.renewal_fee), "when": c.renewal_condition, "from_year": 2},
        "discount": fixed(c, "discount", lambda d: None if d is None else
                          {"from": rate(d[0]), "up_to": rate(d[1])}),
        "payout": w.payout(c, None) if untiered else None,
        "wholesale_prices": w.wholesale_prices(c, None) if untiered else [],
        "lead_protection": fixed(c, "lead_protection", duration),
        "lead_protection_extension": fixed(c, "lead_protection_extension", duration),
        "eligibility": c.eligibility or None, "barrier": c.barrier,
        "certification": list(c.certification),
        "certification_renewal": duration(c.certification_renewal),
        "best_for": c.best_for or None, "effort": c.effort or None,
        "tiers": [_tier(w, c, t) for t in c.tiers], "thresholds": _thresholds(w, c),
        "support": None if c.support is None else {k: v for k, v in c.support.levels},
        "white_label": None if c.white_label is None else {
            "branding": c.white_label.branding, "backend": c.white_label.backend,
            "upgrades": c.white_label.upgrades},
        "negotiable": _negotiables(w, c, c.name), "doc": c.doc, **w.source(c.span, c.spans)}


def _handover(w: _Writer, h: m.Handover) -> dict:
    """A handover, with the engine's introducer fee by contract year."""
    target = w.program.channel(h.target)
    tier = (h.allowed_tiers[0] if h.allowed_tiers else
            target.tiers[0].name if target and target.tiers else None)
    source = w.program.channel(h.source)
    entry = source.tiers[0].name if source and source.tiers else None
    introducer = w.plan_roles((Step(h.source, entry), Step(h.target, tier)))[0]
    return {"id": handover_id(h), "from": channel_id(h.source), "to": channel_id(h.target),
            "introducer_rate": rate(h.introducer_rate),
            "introducer_payment": h.introducer_payment,
            "introducer_fee": {"kind": introducer.kind.value,
                               "timing": introducer.timing.value,
                               "years": w.schedule(introducer.rates[:MAX_YEARS])},
            "allowed_tiers": [tier_id(h.target, t) for t in h.allowed_tiers],
            "combined_cap": None if h.combined_cap is None else {
                "rate": rate(h.combined_cap), "year": h.cap_year or 1},
            "doc": h.doc, **w.source(h.span, h.spans)}


def _party(name: str, program: m.Program) -> str:
    """A split's party: `channel:CoSell`, or the word (`direct`, `vendor`, `partner`)."""
    return channel_id(name) if program.channel(name) else name


def _attribution(w: _Writer, a: m.Attribution | None) -> dict | None:
    if a is None:
        return None
    return {"default": a.default, "conflict": a.conflict,
            "unregistered_rate": rate(a.unregistered_rate),
            "influenced_rate": rate(a.influenced_rate),
            "influenced_of": "sourced" if a.influenced_of_sourced else None,
            "no_double_dipping": a.no_double_dipping,
            "sourced_credit": rate(a.sourced_credit),
            "influenced_credit": rate(a.influenced_credit),
            "splits": [{"id": f"split:{s.name}", "name": s.name, "when": s.when or None,
                        "settles": s.settles,
                        "shares": [{"party": _party(p, w.program), "share": rate(share)}
                                   for p, share, _span in s.shares], **w.source(s.span)}
                       for s in a.splits], **w.source(a.span)}


def _registration(w: _Writer, r: m.Registration | None) -> dict | None:
    if r is None:
        return None
    return {"window": duration(r.window), "extension": duration(r.extension),
            "extension_condition": r.extension_condition or None,
            "approval_sla": duration(r.approval_sla), "auto_approve": r.auto_approve,
            "on_lapse": r.on_lapse,
            "conflict": r.conflict, "unregistered_rate": rate(r.unregistered_rate),
            "registered_bonus": rate(r.registered_bonus),
            "no_double_dipping": r.no_double_dipping, "excludes": list(r.excludes),
            **w.source(r.span, r.spans)}


def _mitigation(w: _Writer, x: m.Mitigation) -> dict:
    return {"id": f"mitigation:{x.name}", "name": x.name, "title": x.title or None,
            "applies_to": [f"channel:{name}" for name in x.applies_to],
            "enforcement": x.enforcement,
            "cadence": x.cadence, "gates": x.gates, "trigger": w.criteria(x.trigger),
            "sustained": duration(x.sustained), "action": list(x.action),
            "contact": x.contact or None, "doc": x.doc, **w.source(x.span, x.spans)}


def _clawback(w: _Writer, x: m.Clawback) -> dict:
    return {"id": f"clawback:{x.name}", "name": x.name, "event": x.event,
            "rules": [{"from": duration(r.low), "up_to": duration(r.high),
                       "share": r.share if isinstance(r.share, str) else rate(r.share),
                       **w.source(r.span)} for r in x.rules],
            "action": list(x.action), "doc": x.doc, **w.source(x.span)}


def _spiff(w: _Writer, x: m.Spiff) -> dict:
    """A SPIFF: what earns it, its window (the last day derived from `duration` when no
    `until` is written) and whether a quote request can claim it."""
    return {"id": f"spiff:{x.name}", "name": x.name, "trigger": x.trigger,
            "reward": _reward(w, x.reward), "duration": duration(x.duration),
            "products": [f"product:{p}" for p in x.products],
            "channels": [channel_id(c) for c in x.channels],
            "minimum": w.money(x.minimum), "from": date(x.starts), "until": date(x.ends),
            "claimable": x.claimable, "doc": x.doc, **w.source(x.span, x.spans)}


def _reward(w: _Writer, value: object) -> dict | None:
    """A spiff's reward: a percentage is a rate here (the lowering read it as one)."""
    if isinstance(value, Decimal):
        return {"rate": rate(value)}
    if isinstance(value, tuple):
        return {"range": {"from": _reward(w, value[0]), "up_to": _reward(w, value[1])}}
    return w.value(value)


def _scoring(w: _Writer, x: m.Scoring) -> dict:
    ident = x.name
    return {"id": f"scoring:{ident}", "name": ident, "cadence": x.cadence,
            "dimensions": [{"id": f"dimension:{ident}/{d.name}", "name": d.name,
                            "weight": format(d.weight.normalize(), "f"), "measure": d.measure,
                            **w.source(d.span)} for d in x.dimensions],
            "bands": [{"id": f"band:{ident}/{b.name}", "name": b.name,
                       "from": format(b.low.normalize(), "f"),
                       "up_to": format(b.high.normalize(), "f"), **w.source(b.span)}
                      for b in x.bands], "doc": x.doc, **w.source(x.span)}


def _scope(w: _Writer, scope: tuple[m.TierScope, ...], internal: bool = False) -> list[str]:
    """The tiers a tier scope covers, as ids (`tier:Reseller/Silver`); a partner-facing
    entity never names the tiers of an internal channel."""
    return [tier_id(c.name, t.name) for c, t in w.program.scoped_tiers(scope)
            if internal or c.name not in w.internal_channels]


def _process(w: _Writer, x: m.Process) -> dict:
    return {"id": f"process:{x.name}", "name": x.name, "title": x.title or None,
            "cadence": x.cadence, "tiers": _scope(w, x.tiers, x.internal),
            "steps": [{"id": f"step:{x.name}/{s.name}", "name": s.name,
                       "title": s.title or None, "within": duration(s.within),
                       "when": s.when or None, "limit": s.limit, "owner": s.owner or None,
                       "final": s.final, "doc": s.doc, **w.source(s.span)} for s in x.steps],
            "doc": x.doc, **w.source(x.span, x.spans)}


def _conflict(w: _Writer, x: m.ConflictCase) -> dict:
    within = x.within if isinstance(x.within, str) else duration(x.within)
    return {"id": f"conflict:{x.name}", "name": x.name, "scenario": x.scenario,
            "resolution": x.resolution, "within": within, "owner": x.owner or None,
            "action": list(x.action), "doc": x.doc, **w.source(x.span, x.spans)}


def _co_marketing(w: _Writer, x: m.CoMarketingActivity) -> dict:
    return {"id": f"co_marketing:{x.name}", "name": x.name, "title": x.title or None,
            "vendor_share": rate(x.vendor_share), "partner_share": rate(x.partner_share),
            "mdf_funded": x.mdf_funded, "partner_effort": x.partner_effort,
            "cadence": x.cadence, "tiers": _scope(w, x.tiers), "doc": x.doc,
            **w.source(x.span, x.spans)}


def _enablement(w: _Writer, x: m.EnablementItem) -> dict:
    return {"id": f"enablement:{x.name}", "name": x.name, "title": x.title or None,
            "cadence": x.cadence, "doc": x.doc, **w.source(x.span)}


def _deal(w: _Writer, d: m.Deal) -> dict:
    partners = {channel: partner for channel, partner, _span in d.partners}
    dates = dict(d.cumulative_dates)
    return {
        "product": f"product:{d.product}", "seats": d.seats, "years": d.years,
        "route": [{"channel": channel_id(s.channel), "tier": tier_id(s.channel, s.tier),
                   "rate": rate(s.rate), "partner": partners.get(s.channel),
                   "terms": {term: _term_value(value) for c, term, value, _span in d.terms
                             if c == s.channel}} for s in d.route],
        "services": {"one_time": w.money(d.services_one_time),
                     "per_year": w.money(d.services_per_year)},
        "cumulative": [{"channel": channel_id(c), "amount": w.bound(v),
                        "as_of": date(dates.get(c, d.cumulative_as_of))}
                       for c, v, _span in d.cumulative],
        "close_date": date(d.close_date), "start": date(d.start),
        "unit_price": w.money(d.unit_price), "price_approved": d.price_approved,
        "certified": d.certified, "registered": d.registered,
        "split": None if d.split is None else f"split:{d.split}",
        "influenced": [channel_id(c) for c, _span in d.influenced],
        "renewal_influenced": d.renewal_influenced,
        "spiffs": [f"spiff:{name}" for name, _span in d.spiffs]}


def _example(w: _Writer, x: m.Example) -> dict:
    return {"id": f"example:{x.name}", "name": x.name, "deal": _deal(w, x.deal),
            "expect": [{"metric": e.metric,
                        "party": None if e.party is None else channel_id(e.party),
                        "year": e.year, "total": e.total, "value": w.value(e.value),
                        "approx": e.approx,
                        **w.source(e.span)} for e in x.expectations],
            "doc": x.doc, **w.source(x.span)}


# ---- what is internal ----------------------------------------------------------------------

def _example_is_internal(w: _Writer, x: m.Example) -> bool:
    """An example is internal when it quotes an internal channel, states an internal metric
    (vendor margin, COGS, combined rate) or walks for an internal reason (the engine says)."""
    if example_names_internal(x, w.internal_channels) or \
            any(e.metric in INTERNAL_METRICS for e in x.expectations):
        return True
    quote = w.quoter.quote(request_from_deal(x.deal, x.name))
    return any(r.code.internal for r in quote.reasons)


def _handover_is_internal(w: _Writer, h: m.Handover) -> bool:
    return handover_is_internal(h, w.internal_channels)


def _economics(w: _Writer) -> dict | None:
    e = w.program.economics
    if e is None:
        return None
    return {"id": "economics", "cogs": rate(e.cogs), "margin_floor": rate(e.margin_floor),
            "gm_target": rate(e.gm_target),
            "mdf_counts_against_margin": e.mdf_counts_against_margin, "walk": list(e.walk),
            "doc": e.doc, **w.source(e.span)}


def _unit_economics(w: _Writer) -> dict | None:
    """What one partner costs the vendor and when it pays back (internal only)."""
    u = w.program.unit_economics
    if u is None:
        return None

    def span(pair, spell):
        return None if pair is None else {"from": spell(pair[0]), "up_to": spell(pair[1])}
    management = span(u.management_cost, w.money)
    return {"id": "unit_economics", "recruitment_cost": span(u.recruitment_cost, w.money),
            "enablement_cost": span(u.enablement_cost, w.money),
            "management_cost": None if management is None else
            {**management, "per_period": u.management_period},
            "break_even": span(u.break_even, duration),
            "break_even_deals": span(u.break_even_deals, lambda n: n),
            "doc": u.doc, **w.source(u.span, u.spans)}


def route_id(route) -> str:
    """`route:Referral->VAD/Accelerator`, `@3000000000` for a chosen bracket's lower bound,
    `~0.400000` for a negotiated rate."""
    steps = "->".join(f"{c}/{t}" if t else c for c, t in route.steps)
    bracket = f"@{amount(route.bracket.low_amount, 0)}" if route.bracket else ""
    return f"route:{steps}{bracket}" + (f"~{rate(route.rate)}" if route.rate else "")


def _route(w: _Writer, route, floor: Decimal | None) -> dict | None:
    """The engine's vendor economics of a nominal deal on ``route``, with the headroom (the
    worst year's vendor net margin − the margin floor), in the worst case CH-P001 judges
    (every payout condition met, every SPIFF that can pay on the route claimed, every
    negotiable rate of the partner of record at the top of its range)."""
    program = w.engine.program
    request = route.request(program, worst_case=True)
    if request is None:
        return None
    quote = w.engine.quote(request)
    worst = min(y.vendor_net_margin for y in quote.years)
    return {"id": route_id(route),
            "steps": [{"channel": channel_id(c), "tier": tier_id(c, t)} for c, t in route.steps],
            "bracket_from": w.bound(route.bracket.low) if route.bracket else None,
            "rate": rate(route.rate),
            "handover": handover_id(route.handover) if route.handover else None,
            "decision": quote.decision, "reasons": [r.code.value for r in quote.reasons],
            "years": [{"year": y.year, "vendor_net_margin": rate(y.vendor_net_margin),
                       "combined_rate": rate(y.combined_rate)} for y in quote.years],
            "worst_vendor_net_margin": rate(worst),
            "headroom": None if floor is None else rate(worst - floor)}


def _policies(w: _Writer) -> dict:
    p = w.program
    return {"settings": [{"id": f"policy:{s.policy}", "policy": s.policy,
                          "severity": s.severity, **w.source(s.span)}
                         for s in p.policy_settings],
            "waivers": [{"id": f"waiver:{x.name}", "name": x.name, "policy": x.policy,
                         "subject": x.subject, "reason": x.reason, "owner": x.owner,
                         "expires": date(x.expires), **w.source(x.span, x.spans)}
                        for x in p.waivers]}


def _gate(w: _Writer, g: m.GateCondition) -> dict:
    return {"id": f"gate:{g.name}", "name": g.name, "title": g.title, "see": g.see or None,
            "requires": [name for name, _span in g.requires], "doc": g.doc,
            **w.source(g.span)}


def _internal(w: _Writer, examples: list[m.Example], handovers: list[m.Handover]) -> dict:
    p = w.program
    floor = p.economics.margin_floor if p.economics else None
    return {
        "economics": _economics(w), "unit_economics": _unit_economics(w),
        "channels": [_channel(w, c) for c in p.channels if c.internal],
        "handovers": [_handover(w, h) for h in handovers],
        "processes": [_process(w, x) for x in p.processes if x.internal],
        "routes": [r for r in (_route(w, x, floor) for x in routes(w.engine.program)) if r],
        "examples": [_example(w, x) for x in examples],
        "policies": _policies(w),
        "ship_gate": [_gate(w, g) for g in p.ship_gate]}


# ---- the config ----------------------------------------------------------------------------

def build_config(program: m.Program, quoter: Quoter | None = None,
                 provenance: bool = False) -> dict:
    """The compiled program as canonical data, validated against the config schema.

    ``provenance`` adds `_source` (file and line) to every entity. Raises
    `ConfigSchemaError` if the result does not match its schema (a compiler bug).
    """
    w = _Writer(program, quoter or Quoter(program), provenance)
    inner_examples = [x for x in program.examples if _example_is_internal(w, x)]
    inner_handovers = [h for h in program.handovers if _handover_is_internal(w, h)]
    shown = [x for x in program.examples if x not in inner_examples]
    config = {"$schema": CONFIG_ID, "schema_version": SCHEMA_VERSION,
              **{name: make() for name, make in _sections(w, shown, inner_handovers).items()},
              "internal": _internal(w, inner_examples, inner_handovers)}
    _check(config, "config", program.header.id)
    return config


def _sections(w: _Writer, examples: list[m.Example], inner_handovers: list[m.Handover]
              ) -> dict[str, Any]:
    """The partner-facing sections of the config, in order, each as a function that builds
    it (``examples``: the ones partners are shown)."""
    p = w.program
    return {
        "program": lambda: _program(w),
        "products": lambda: [_product(w, x) for x in p.products],
        "channels": lambda: [_channel(w, c) for c in p.channels if not c.internal],
        "attribution": lambda: _attribution(w, p.attribution),
        "registration": lambda: _registration(w, p.registration),
        "payment_terms": lambda: _payment_terms(w),
        "handovers": lambda: [_handover(w, h) for h in p.handovers if h not in inner_handovers],
        "mitigations": lambda: [_mitigation(w, x) for x in p.mitigations],
        "clawbacks": lambda: [_clawback(w, x) for x in p.clawbacks],
        "spiffs": lambda: [_spiff(w, x) for x in p.spiffs],
        "scorings": lambda: [_scoring(w, x) for x in p.scorings],
        "processes": lambda: [_process(w, x) for x in p.processes if not x.internal],
        "conflicts": lambda: [_conflict(w, x) for x in p.conflicts],
        "enablement": lambda: [_enablement(w, x) for x in p.enablement],
        "co_marketing": lambda: [_co_marketing(w, x) for x in p.co_marketing],
        "examples": lambda: [_example(w, x) for x in examples]}


class Leak(NamedTuple):
    """A string of the partner projection that names internal channel ``channel``."""

    section: str   # the config's top-level key: `products`, `attribution`, `program`…
    entity: str    # the name of the section's entry it is in ("" in a one-block section)
    channel: str
    path: str      # JSON path: `$.mitigations[0].applies_to[0]`


def partner_leaks_in(program: m.Program, sections: Iterable[str] | None = None,
                     examples: Iterable[str] | None = None) -> list[Leak]:
    """`partner_leaks` of the partner ``sections`` of ``program``'s config (all when None),
    built alone: what `check` asks (CH-E133) without building the rest (the internal section
    quotes every route). ``examples`` limits the examples section to the examples of those
    names; each is shown only if the config shows it."""
    w = _Writer(program, Quoter(program), False)
    wanted = set(examples) if examples is not None else None
    chosen = [x for x in program.examples if wanted is None or x.name in wanted]
    shown = [x for x in chosen if not _example_is_internal(w, x)]
    inner_handovers = [h for h in program.handovers if _handover_is_internal(w, h)]
    makers = _sections(w, shown, inner_handovers)
    names = sorted(makers) if sections is None else [s for s in makers if s in set(sections)]
    partial = {name: makers[name]() for name in names}
    partial["internal"] = {"channels": [{"name": c} for c in sorted(w.internal_channels)]}
    return [Leak(*_entry(partial, path), channel, path)
            for path, channel in partner_leaks(partial)]


def _entry(config: dict, path: str) -> tuple[str, str]:
    """(section, entry name) of a JSON path: `$.products[2].doc` → ("products", its name)."""
    found = re.match(r"\$\.([A-Za-z_]+)(?:\[(\d+)\])?", path)
    section, index = found.group(1), found.group(2)  # type: ignore[union-attr]
    entry = config[section][int(index)] if index is not None else None
    return section, (entry.get("name") or "") if isinstance(entry, dict) else ""


def partner_projection(config: dict) -> dict:
    """The config without its `internal` section: what partner-facing targets render from.

    Validated against the partner schema (closed: no field it does not list), and no string
    in it may name an internal channel; either failure raises `ConfigSchemaError`.
    """
    partner = {k: v for k, v in config.items() if k != "internal"}
    partner["$schema"] = PARTNER_ID
    program = config.get("program", {}).get("name", "?")
    _check(partner, "partner", program)
    leaks = [f"{path}: names internal channel {name}" for path, name in partner_leaks(config)]
    if leaks:
        raise ConfigSchemaError(program, "partner config", leaks)
    return partner


def partner_leaks(config: dict) -> list[tuple[str, str]]:
    """(JSON path, internal channel) for every string of the partner projection of ``config``
    that names an internal channel (`charter.confidential.mentions`; `_source` provenance is
    not partner text)."""
    names = [c["name"] for c in config.get("internal", {}).get("channels", [])]
    partner = {k: v for k, v in config.items() if k != "internal"}
    return [(path, name) for path, text in _strings(partner)
            for name in names if mentions(text, name)]


def _strings(value: Any, path: str = "$") -> Iterable[tuple[str, str]]:
    """Every string (keys' values) in ``value`` with its JSON path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "_source":
                yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def _check(data: dict, view: str, program: str) -> None:
    problems = schema_errors(data, view)
    if problems:
        raise ConfigSchemaError(program, "config" if view == "config" else "partner config",
                                problems)


def dumps(config: dict) -> bytes:
    """config.json's bytes: 2-space indent, UTF-8 as written, trailing newline."""
    return (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def build(ctx: BuildContext) -> dict[str, bytes]:
    """`config.json` (the context's config is validated when it is built); `--stamp` adds
    `"stamp"` after `schema_version` (an optional field of the schema)."""
    config = ctx.config
    if ctx.stamp is not None:
        head = {k: config[k] for k in ("$schema", "schema_version")}
        config = {**head, "stamp": ctx.stamp,
                  **{k: v for k, v in config.items() if k not in head}}
    return {"config.json": dumps(config)}


TARGET = Target("config", "the compiled program as canonical JSON (config.json), internal"
                " section included", "machines", build)
