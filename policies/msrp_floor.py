"""CH-P007 msrp_floor: resale below list only by declared approval.

(A margin or discount outside 0%..100% never reaches this policy: every share of a base is
bounded where it is read, `charter.values.Reader.share`, CH-E111.)"""
from __future__ import annotations

from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.numbers import locale_of, money
from charter.policies.base import Finding, Policy, PolicyContext

def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """A floor on every software product a channel resells at its own price
    (`Channel.resells_at_own_price`: `wholesale`, `resale`): each software product with a
    `list_price` declares `msrp_floor` (the price below which a partner needs program
    approval); a floor given as an amount is in the list price's unit and period and does not
    exceed the list price."""
    locale = locale_of(program.header.locales)
    resellers = [c for c in program.channels if c.resells_at_own_price]
    if not resellers:
        return
    for product in program.products:
        if product.layer == "software" and product.list_price is not None:
            yield from _floor(program, product, resellers, locale)


def _floor(program: m.Program, product: m.Product, resellers: list[m.Channel],
           locale: str) -> Iterator[Finding]:
    listed = product.list_price
    assert listed is not None
    labels = tuple(Label(c.span, f"resold through {c.name}") for c in resellers[:3])
    if product.msrp_floor is None:
        names = ", ".join(c.name for c in resellers)
        yield Finding(
            f"software product {product.name} is resold by {names} but declares no"
            f" `msrp_floor`: partners may sell below list without approval",
            product.spans.get("header", product.span), product.name, label="no MSRP floor",
            labels=labels,
            notes=("resale below list is allowed only through a declared approval path;"
                   " `msrp_floor` is the price below which the partner program must approve",),
            help=(f"add `msrp_floor: list_price` to {product.name}, or the lowest amount a"
                  f" partner may sell at without approval",))
        return
    floor = product.msrp_floor
    if not isinstance(floor, m.Rate):
        return                                   # `list_price`: the floor is the list price
    minor = program.header.minor_units
    listed_text = _rate(listed, locale, minor)
    if (floor.unit, floor.period) != (listed.unit, listed.period):
        yield Finding(
            f"{product.name} msrp_floor {_rate(floor, locale, minor)} is not in the list price's"
            f" unit and period ({listed_text})",
            product.spans.get("msrp_floor", product.span), product.name,
            label="floor and list price not comparable",
            notes=("the floor is compared with the price per unit and period the list price"
                   " is written in",),
            help=(f"write the floor {_per(listed) or 'as a plain amount'}, or"
                  f" `msrp_floor: list_price`",))
        return
    if floor.money.amount > listed.money.amount:
        yield Finding(
            f"{product.name} msrp_floor {_rate(floor, locale, minor)} is above its list price"
            f" {listed_text}: selling at list would need approval",
            product.spans.get("msrp_floor", product.span), product.name, label="floor above list",
            help=(f"lower the floor to at most {listed_text}, or write"
                  f" `msrp_floor: list_price`",))


def _rate(rate: m.Rate, locale: str, minor: int) -> str:
    amount = money(rate.money.amount, rate.money.currency, locale, minor)
    per = _per(rate)
    return f"{amount} {per}" if per else amount


def _per(rate: m.Rate) -> str:
    return " ".join(f"per {word}" for word in (rate.unit, rate.period) if word)


POLICY = Policy(
    code="CH-P007", name="msrp_floor", title="MSRP floor and wholesale consistency",
    severity=Severity.ERROR,
    rationale="A wholesale partner buys at list × (1 − margin) and resells at or above the "
              "customer list price (the partner-program practice guide's reseller model: "
              "\"Partner buys at discount, sells at list\"; the eJourney Partner & Channel page "
              "is one program that states it: \"resells at retail ≥ MSRP\"). A margin below 0% "
              "prices wholesale above list, so the partner loses money on every sale; above 100% "
              "the vendor pays the partner to take the software. And without a declared MSRP floor "
              "a reseller can undercut the list price (and the vendor's direct and referral deals) "
              "at will: a rule that partners may not sell below list without the partner "
              "program's approval is only enforceable if the floor is stated.",
    explain="(A margin or discount above 100% is refused where it is read, CH-E111.) When the "
            "program has a `wholesale` or `resale` channel, every software product with a "
            "`list_price` must declare `msrp_floor` (finding at the product; write "
            "`msrp_floor: list_price` when any price below list needs approval). A floor written "
            "as an amount must be in the list price's unit and period and must not exceed the "
            "list price.",
    failing='''product Growth { layer: software; list_price: $100 per user per month }
channel Reseller {
    model: wholesale
    owner: partner
    tier Gold { margin: 25% }
}''',
    passing='''product Growth {
    layer: software
    list_price: $100 per user per month
    msrp_floor: list_price
}
channel Reseller {
    model: wholesale
    owner: partner
    tier Gold { margin: 25% }
}''',
    check=check)
