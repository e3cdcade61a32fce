"""SPIFFs a deal claims: which one a request names, whether a quote can pay it, and why a deal
does not qualify for it.

A SPIFF pays the partner of record once, in contract year 1, when the deal is of one of its
`products`, closed by one of its `channels`, worth at least its `minimum` (the year-1 software
value) and closed inside its window (`from` .. `until`, both days included). The request
reader (`request.py`) turns each reason into an error or a warning; the engine pays exactly
the claimed SPIFFs none of these reasons stop.
"""
from __future__ import annotations

from decimal import Decimal

from charter import model as m
from charter.numbers import pct
from charter.units import PERIODS_PER_YEAR


def spiff_named(program: m.Program, name: str) -> m.Spiff | None:
    """The SPIFF called ``name``, if the program declares one."""
    return next((x for x in program.spiffs if x.name == name), None)


def unquotable(spiff: m.Spiff) -> str | None:
    """Why no quote can pay ``spiff`` (None: a quote can): it needs a window, and one amount
    or percentage as its reward (a range or a description is decided case by case)."""
    if spiff.starts is None:
        return (f"SPIFF `{spiff.name}` has no window (`from`, and `until` or `duration`), so"
                " no close date can be inside it; give it one to quote it")
    if not isinstance(spiff.reward, (Decimal, m.MoneyValue)):
        return (f"SPIFF `{spiff.name}` rewards {_reward_text(spiff.reward)}, which is decided"
                " case by case; a quote pays one amount or one percentage")
    return None


def misses(spiff: m.Spiff, program: m.Program, product: str, closer: str | None,
           value: Decimal, close) -> str | None:
    """Why a deal of ``product`` closed by ``closer``, worth ``value`` in year-1 software,
    closing on ``close``, does not qualify for ``spiff`` (None: it does). Without a close date
    the window is not judged (policies quote undated deals: the worst case)."""
    if spiff.products and product not in spiff.products:
        return (f"SPIFF `{spiff.name}` is for {_names(spiff.products)}, not `{product}`")
    if closer is None:
        return f"SPIFF `{spiff.name}` pays the partner of record; this deal is direct"
    if spiff.channels and closer not in spiff.channels:
        return (f"SPIFF `{spiff.name}` is for deals closed by {_names(spiff.channels)}, not"
                f" `{closer}`")
    if spiff.minimum is not None and value < spiff.minimum.amount:
        return (f"SPIFF `{spiff.name}` needs a deal of at least {spiff.minimum.currency}"
                f" {spiff.minimum.amount:,f} in year-1 software; this one is"
                f" {spiff.minimum.currency} {value:,f}")
    if close is not None and not spiff.starts <= close <= (spiff.ends or close):
        return (f"the deal closes on {close}, outside SPIFF `{spiff.name}`'s window"
                f" {spiff.starts} .. {spiff.ends or '(open)'}")
    return None


def year_one_value(program: m.Program, product: str, seats: int,
                   unit_price: Decimal | None) -> Decimal:
    """The deal's year-1 software value (unit price × seats × periods), unrounded: what a
    SPIFF's `minimum` is compared with."""
    price = program.product(product).list_price
    unit = unit_price if unit_price is not None else price.money.amount
    return unit * seats * PERIODS_PER_YEAR.get(price.period, 1)


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _reward_text(reward: object) -> str:
    if isinstance(reward, tuple):
        return " .. ".join(_one(x) for x in reward)
    return _one(reward) if reward is not None else "nothing stated"


def _one(value: object) -> str:
    if isinstance(value, m.MoneyValue):
        return f"{value.currency} {value.amount:,f}"
    if isinstance(value, Decimal):
        return pct(value)
    return f"`{value}`"
