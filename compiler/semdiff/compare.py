"""Walking two compiled configs into raw changes, each at a JSON path with a direction.

The configs are what `charter build` writes in config.json (or its partner projection), so
the diff, the docs and the config always agree. Entities in lists are matched by their `id`
(a renamed entity is one removed and one added); threshold brackets are matched by position,
since their ids name their lower bound and a raised threshold is a change, not a swap.
`_source` (provenance) is never compared: a layout-only edit changes nothing.

A value is compared by its meaning, not its spelling: `1 year` and `12 months` are the same
duration, `Rp 2,4 Miliar per year` and `Rp 200 juta per month` the same price, and a list of
names in another order the same list. `charter.semdiff.rules` says what each change means.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterator

from charter.semdiff.rules import (ADDED, ALL_WHEN_EMPTY, CHANGED, DOWN, ORDERS, REMOVED, UP)
from charter.units import HOURS, periods_per_year

# Dicts walked into (their attributes compared one by one); any other dict is one value.
CONTAINERS = frozenset(("program", "attribution", "registration", "internal", "policies",
                        "service", "tier_up", "thresholds", "economics", "payment_terms"))
BY_POSITION = frozenset(("brackets",))     # matched by position, not by id
# The fields a `negotiable` block may stand for (`charter.model.NEGOTIABLE_TERMS`).
TERM_FIELDS = frozenset(("commission", "commission_y2", "discount", "margin", "margin_y2",
                         "lead_protection", "lead_protection_extension"))
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_HARDER_WHEN_HIGHER = {">=": True, ">": True, "<=": False, "<": False}


@dataclass(frozen=True)
class Segment:
    """One step of a path: a key, and for an item of a list its id (or `#n` by position)."""

    key: str
    ident: str | None = None
    item: bool = False


@dataclass(frozen=True)
class RawChange:
    """A value that differs between the two configs, and which way it moved."""

    segments: tuple[Segment, ...]
    direction: str
    old: Any
    new: Any

    @property
    def pattern(self) -> str:
        """The normalised path the rules match: `channels[].tiers[].margin`."""
        return ".".join(s.key + ("[]" if s.item else "") for s in self.segments)

    @property
    def path(self) -> str:
        """The path with ids: `$.channels[channel:VAD].tiers[tier:VAD/Elite].margin`."""
        return "$." + ".".join(s.key + (f"[{s.ident}]" if s.item else "") for s in self.segments)


def compare(old: dict, new: dict) -> list[RawChange]:
    """Every semantic difference between two configs, in the new config's order."""
    return list(_dict(old, new, ()))


def _dict(old: dict, new: dict, at: tuple[Segment, ...]) -> Iterator[RawChange]:
    keys = list(new) + [k for k in old if k not in new]
    for key in keys:
        if key == "_source":
            continue
        a, b = old.get(key), new.get(key)
        if _entities(a) or _entities(b):
            yield from _items(a or [], b or [], at, key)
        elif key in CONTAINERS and isinstance(a, dict) and isinstance(b, dict):
            yield from _dict(a, b, at + (Segment(key, a.get("id") or b.get("id")),))
        elif key in TERM_FIELDS and _negotiated(old, new, key):
            continue  # the holder's `negotiable` entry is the change (the field is null)
        else:
            yield from _leaf(a, b, at + (Segment(key),))


def _negotiated(old: dict, new: dict, term: str) -> bool:
    """Whether either version lets each deal negotiate ``term`` on this holder: its fixed
    field then only moves to or from null, and the `negotiable` entry says what changed
    (made negotiable, its range, its default), not a "cut" to null."""
    entries = (old.get("negotiable") or []) + (new.get("negotiable") or [])
    return any(entry.get("term") == term for entry in entries)


def _entities(value: Any) -> bool:
    """A non-empty list of entities (dicts with an `id`)."""
    return isinstance(value, list) and bool(value) and \
        all(isinstance(item, dict) and "id" in item for item in value)


def _items(old: list, new: list, at: tuple[Segment, ...], key: str) -> Iterator[RawChange]:
    """Entities matched by id (or position), in the new list's order, then removed ones."""
    def keyed(items: list) -> dict:
        return {(f"#{i + 1}" if key in BY_POSITION else item["id"]): item
                for i, item in enumerate(items)}
    before, after = keyed(old), keyed(new)
    for ident in list(after) + [i for i in before if i not in after]:
        here = at + (Segment(key, ident, item=True),)
        a, b = before.get(ident), after.get(ident)
        if a is None or b is None:
            yield RawChange(here, ADDED if a is None else REMOVED, a, b)
        else:
            yield from _dict(a, b, here)


def _leaf(old: Any, new: Any, at: tuple[Segment, ...]) -> Iterator[RawChange]:
    pattern = ".".join(s.key + ("[]" if s.item else "") for s in at)
    direction = direction_of(pattern, old, new)
    if direction is not None:
        yield RawChange(at, direction, old, new)


def direction_of(pattern: str, old: Any, new: Any) -> str | None:
    """Which way a value at ``pattern`` moved (None: it means the same)."""
    if old == new:
        return None
    if old is None or new is None:
        return ADDED if old is None else REMOVED
    order = ORDERS.get(pattern)
    if order and old in order and new in order:
        return UP if order.index(new) > order.index(old) else DOWN
    if pattern.endswith(".payout"):
        return _schedule(old, new)
    if isinstance(old, bool) and isinstance(new, bool):
        return UP if new else DOWN
    if isinstance(old, list) and isinstance(new, list):
        return _lists(pattern, old, new)
    if isinstance(old, dict) and isinstance(new, dict):
        return _dicts(pattern, old, new)
    return _numbers(old, new)


def _numbers(old: Any, new: Any) -> str | None:
    a, b = _number(old), _number(new)
    if a is None or b is None:
        return CHANGED
    return None if a == b else (UP if b > a else DOWN)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return Decimal(value)
    return None


def _lists(pattern: str, old: list, new: list) -> str | None:
    """Lists of names compare as sets (order is layout); other lists as wholes."""
    if not all(isinstance(x, (str, int)) for x in old + new):
        return CHANGED
    a, b = set(old), set(new)
    if a == b:
        return None
    if pattern in ALL_WHEN_EMPTY and not (a and b):
        return DOWN if b else UP      # an empty list allows everything
    return UP if a < b else DOWN if b < a else CHANGED


def _dicts(pattern: str, old: dict, new: dict) -> str | None:
    """The value shapes of config.json (docs/targets.md, "Spellings")."""
    keys = set(old) | set(new)
    if keys == {"amount", "currency"}:
        return _numbers(old["amount"], new["amount"]) \
            if old["currency"] == new["currency"] else CHANGED
    if keys == {"money", "per_unit", "per_period"}:
        return _prices(old, new)
    if keys == {"money", "per_period"}:     # a fixed amount per period: an MDF fund, its cap
        return _prices({**old, "per_unit": None}, {**new, "per_unit": None})
    if keys == {"value", "unit", "business"}:
        return _durations(old, new)
    if keys == {"from", "up_to"}:
        return _ranges(pattern, old, new)
    if keys == {"rate", "year"}:
        return _numbers(old["rate"], new["rate"]) if old["year"] == new["year"] else CHANGED
    if keys <= {"all", "any"} or keys == {"metric", "op", "value"}:
        return _criteria(pattern, old, new)
    if len(old) == 1 and len(new) == 1:              # a tagged value: `{"rate": ...}`
        (ka, va), (kb, vb) = next(iter(old.items())), next(iter(new.items()))
        return direction_of(pattern, va, vb) if ka == kb else CHANGED
    return CHANGED


def _prices(old: dict, new: dict) -> str | None:
    """Per year when both are per the same unit in the same currency."""
    if old["per_unit"] != new["per_unit"] or \
            old["money"]["currency"] != new["money"]["currency"]:
        return CHANGED
    def yearly(p: dict) -> Decimal:
        return Decimal(p["money"]["amount"]) * periods_per_year(p["per_period"])
    return _numbers(str(yearly(old)), str(yearly(new)))


def _durations(old: dict, new: dict) -> str | None:
    """In hours (`charter.units`); working time and calendar time do not compare."""
    if old["business"] != new["business"]:
        return CHANGED
    def hours(d: dict) -> Decimal:
        return Decimal(d["value"]) * HOURS.get(d["unit"], Decimal(1))
    return _numbers(str(hours(old)), str(hours(new)))


def _ranges(pattern: str, old: dict, new: dict) -> str | None:
    """Both ends the same way; an open top (`up_to: null`) is above every bound."""
    moves = {direction_of(pattern, old["from"], new["from"])}
    a, b = old["up_to"], new["up_to"]
    moves.add(UP if a is not None and b is None else DOWN if a is None and b is not None
              else direction_of(pattern, a, b))
    moves.discard(None)
    return None if not moves else moves.pop() if len(moves) == 1 and moves <= {UP, DOWN} \
        else CHANGED


def _criteria(pattern: str, old: dict, new: dict) -> str | None:
    """`up` when the criterion gets harder to meet (a higher `>=` bound, one more `all`)."""
    if "metric" in old and "metric" in new:
        if (old["metric"], old["op"]) != (new["metric"], new["op"]) or \
                old["op"] not in _HARDER_WHEN_HIGHER:
            return CHANGED
        moved = direction_of(pattern, old["value"], new["value"])
        if moved not in (UP, DOWN) or _HARDER_WHEN_HIGHER[old["op"]]:
            return moved
        return DOWN if moved == UP else UP
    op = next(iter(old))
    if set(old) != set(new) or op not in ("all", "any"):
        return CHANGED
    return _combined(pattern, old[op], new[op], harder_when_more=(op == "all"))


def _combined(pattern: str, old: list, new: list, harder_when_more: bool) -> str | None:
    if len(old) == len(new):
        moves = {direction_of(pattern, a, b) for a, b in zip(old, new)} - {None}
        return None if not moves else moves.pop() if len(moves) == 1 and moves <= {UP, DOWN} \
            else CHANGED
    more = len(new) > len(old)
    small, large = (old, new) if more else (new, old)
    if not all(item in large for item in small):
        return CHANGED
    return UP if more == harder_when_more else DOWN


def _schedule(old: dict, new: dict) -> str:
    """The engine's year schedule: only a step-down appearing or going is reported."""
    before, after = _steps_down(old), _steps_down(new)
    return "step-down-added" if after and not before else \
        "step-down-removed" if before and not after else CHANGED


def _steps_down(payout: dict) -> bool:
    """A recurring payout whose rate falls in a later contract year (a one-time fee ends by
    design; `rate: null` is set per deal)."""
    if payout.get("timing") != "recurring":
        return False
    rates = [Decimal(run["rate"]) for run in payout.get("years", []) if run["rate"] is not None]
    return any(later < first for first, later in zip(rates, rates[1:]))
