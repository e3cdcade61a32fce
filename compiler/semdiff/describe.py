"""Changes in words: config values as people read them, and what a change is about.

Values are written the way the partner guide writes them (`charter.targets.wording.Words`:
babel, the program's first locale): `35%`, `Rp15 M per year`, `90 days`. The text is plain
and may carry program text; each renderer escapes it for its medium.
"""
from __future__ import annotations

import re
from typing import Any

from charter.semdiff.compare import CONTAINERS, RawChange, Segment
from charter.targets.escape import clean
from charter.targets.projection import local
from charter.targets.wording import Words

LONG = 90          # longer prose is cut, with an ellipsis: the path says where the rest is
_RATE = re.compile(r"-?[0-9]\.[0-9]{6}")   # the config's spelling of a rate
_NAMED = {"thresholds": "ladder", "tier_up": "promotion", "economics": "economics"}


def subject(segments: tuple[Segment, ...]) -> str:
    """The entities a change is about: `channel VAD / tier Elite`, `attribution`."""
    parts = []
    for index, seg in enumerate(segments):
        last = index == len(segments) - 1
        if seg.item:
            parts.append(_entity(seg))
        elif seg.key in CONTAINERS and seg.key != "program" and (not last or seg.ident):
            parts.append(_container(seg))
        elif seg.key in CONTAINERS and last:
            parts.append(_NAMED.get(seg.key, seg.key))
    return " / ".join(p for p in parts if p) or "program"


def _entity(seg: Segment) -> str:
    ident = seg.ident or ""
    if ident.startswith("#"):
        return f"bracket {ident[1:]}"
    kind, _, name = ident.partition(":")
    if kind == "route":
        return f"route {name}"
    return f"{kind} {local(ident)}" if name else ident


def _container(seg: Segment) -> str:
    if seg.key == "policies":
        return ""
    if seg.ident and ":" in seg.ident:
        return f"{_NAMED.get(seg.key, seg.key)} {local(seg.ident)}"
    return _NAMED.get(seg.key, seg.key)


def attribute(change: RawChange) -> str:
    """The attribute a change is in (`margin`), or "" for a whole entity."""
    last = change.segments[-1]
    return "" if last.item else last.key


def show(value: Any, words: Words) -> str:
    """A config value in words ("—" for none)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return words.number(value)
    if isinstance(value, str):
        return _text(value, words)
    if isinstance(value, list):
        return ", ".join(show(v, words) for v in value) or "none"
    return _dict(value, words)


def _text(value: str, words: Words) -> str:
    if _RATE.fullmatch(value):
        return words.percent(value)            # a rate: "0.350000" → 35%
    if ":" in value and " " not in value and value.split(":", 1)[0].isalpha():
        return local(value) or value           # an id: "tier:VAD/Elite" → Elite
    text = clean(value)
    return text if len(text) <= LONG else text[:LONG - 1].rstrip() + "…"


def _dict(value: dict, words: Words) -> str:
    keys = set(value)
    if not value:                               # an empty mapping (a renamed key's place)
        return "—"
    if "id" in value:                           # a whole entity: its name
        return local(value["id"]) or str(value["id"])
    if keys == {"amount", "currency"}:
        return words.money(value)
    if keys == {"money", "per_unit", "per_period"}:
        return words.price(value)
    if keys == {"value", "unit", "business"}:
        return words.duration(value)
    if keys == {"rate", "year"}:
        return f"{words.percent(value['rate'])} in year {value['year']}"
    if keys == {"from", "up_to"}:
        return f"{show(value['from'], words)} – {show(value['up_to'], words)}"
    if keys <= {"all", "any"} or keys == {"metric", "op", "value"}:
        return words.criteria(value)
    if "years" in value and "timing" in value:
        return words.schedule(value["years"])
    if keys == {"list_price"}:
        return "list price"
    if len(value) == 1:
        kind, inner = next(iter(value.items()))
        if kind in ("money", "price", "duration", "number", "rate", "flag", "text", "range"):
            return words.value(value)
        return show(inner, words)
    return _text("; ".join(f"{k}: {show(v, words)}" for k, v in value.items()), words)
