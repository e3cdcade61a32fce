"""Diffing two versions of a program: classified changes, money impact, retroactivity.

`diff_sides` compares the configs of one program in a view (`internal`, or `partner`: the
partner projection, so a partner diff never sees an internal value), classifies each raw
change with `charter.semdiff.rules`, attaches the money impact of the engine's quotes to the
changes that move money, and flags retroactive terms.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from charter import clock
from charter.semdiff import rules
from charter.semdiff.compare import RawChange, Segment, compare
from charter.semdiff.describe import attribute, show, subject
from charter.semdiff.impact import Impact, impacts
from charter.semdiff.side import Failure, Side
from charter.targets.wording import Words


@dataclass(frozen=True)
class Change:
    """One reported change: its check id and classes, what it is about, old → new."""

    program: str
    check: str
    classes: tuple[str, ...]
    subject: str
    path: str
    old: str | None
    new: str | None
    old_value: Any
    new_value: Any
    message: str
    money: bool
    retroactive: bool = False
    file: str | None = None
    line: int | None = None
    impact: tuple[Impact, ...] = ()

    @property
    def klass(self) -> str:
        """The primary class."""
        return self.classes[0]

    def sort_key(self, index: int) -> tuple:
        """Riskiest class first, then the program's order."""
        return (rules.CLASSES.index(self.klass), self.program, index)

    def to_json(self, words: Words) -> dict:
        """The JSON shape (docs/diff.md)."""
        return {"id": self.check, "class": self.klass, "classes": list(self.classes),
                "program": self.program, "subject": self.subject, "path": self.path,
                "old": self.old, "new": self.new,
                "old_value": self.old_value, "new_value": self.new_value,
                "message": self.message, "money": self.money,
                "retroactive": self.retroactive, "file": self.file, "line": self.line,
                "impact": [i.to_json(words) for i in self.impact]}


@dataclass
class ProgramDiff:
    """One program's changes between the two sides (``old`` or ``new`` None: added or
    removed), the checks failing on its new version, and why it is retroactive."""

    program: str
    old: Side | None
    new: Side | None
    changes: list[Change] = field(default_factory=list)
    failing: list[tuple[Failure, bool]] = field(default_factory=list)  # (failure, introduced)
    retroactive: str | None = None
    words: Words | None = None


def diff_sides(old: Side | None, new: Side | None, view: str,
               today: _dt.date | None = None) -> ProgramDiff:
    """The diff of one program; either side may be missing (added or removed)."""
    side = new or old
    result = ProgramDiff(side.ident, old, new, words=Words.of(side.config(view)))
    if old is None or new is None:
        result.changes = [_whole(side, view, added=old is None)]
    else:
        result.retroactive = retroactive_reason(old.plain(view)["program"],
                                                new.plain(view)["program"],
                                                today or clock.today())
        result.changes = _changes(old, new, view, result.retroactive is not None)
    if new is not None and view == "internal":  # checks are the vendor's own QA
        before = {f.code for f in old.failing} if old is not None else set()
        result.failing = [(f, f.code not in before) for f in new.failing]
    return result


def _whole(side: Side, view: str, added: bool) -> Change:
    rule = rules.classify(rules.PROGRAM, rules.ADDED if added else rules.REMOVED)
    name = side.ident
    file, line = (side.display, side.program.header.span.line) if added else (None, None)
    return Change(name, rule.check, _classes(rule, view), subject=f"program {name}", path="$",
                  old=None if added else name, new=name if added else None,
                  old_value=None, new_value=None, message=f"{rule.title}: {name}"
                  f" ({side.display})", money=False, file=file, line=line)


def _changes(old: Side, new: Side, view: str, retroactive: bool) -> list[Change]:
    raw = compare(old.plain(view), new.plain(view))
    found: list[tuple[RawChange, rules.Rule]] = []
    for change in raw:
        rule = rules.classify(change.pattern, change.direction)
        if rule.reported and _classes(rule, view):
            found.append((change, rule))
    deals = impacts(old, new, view) if any(r.money for _c, r in found) else []
    old_words, new_words = Words.of(old.config(view)), Words.of(new.config(view))
    out = []
    for change, rule in found:
        classes = _classes(rule, view)
        file, line = locate(new, view, change.segments)
        touched = tuple(i for i in deals if i.deal.touches(change.segments)) \
            if rule.money else ()
        shown_old, shown_new = _shown(change.old, change.new, old_words, new_words)
        out.append(Change(
            new.ident, rule.check, classes, subject(change.segments), change.path,
            shown_old, shown_new,
            change.old, change.new, _message(rule, change, old_words, new_words),
            rule.money, retroactive and classes[0] != rules.EDITORIAL, file, line, touched))
    return out


def _classes(rule: rules.Rule, view: str) -> tuple[str, ...]:
    """The rule's classes as ``view`` shows them (the partner view drops what is internal)."""
    if view != "partner":
        return rule.classes
    return tuple(c for c in rule.classes if c in rules.PARTNER_CLASSES)


def _message(rule: rules.Rule, change: RawChange, old: Words, new: Words) -> str:
    """`margin cut: 35% → 30%`; the attribute is named when the row covers several; a list
    of names says what was removed and added."""
    what = attribute(change)
    named = {p.rsplit(".", 1)[-1] for p in rule.paths}
    title = f"{rule.title} ({what})" if what and len(named) > 1 else rule.title
    a, b = change.old, change.new
    if a is None:
        return f"{title}: {show(b, new)}"
    if b is None:
        return f"{title}: was {show(a, old)}"
    if _names(a) and _names(b):
        gone, came = [x for x in a if x not in b], [x for x in b if x not in a]
        gone_text, came_text = _shown(gone, came, old, new)
        return f"{title}: " + "; ".join(([f"removed {gone_text}"] if gone else [])
                                         + ([f"added {came_text}"] if came else []))
    shown_a, shown_b = _shown(a, b, old, new)
    return f"{title}: {shown_a} → {shown_b}"


def _shown(a: Any, b: Any, old: Words, new: Words) -> tuple[str | None, str | None]:
    """Both sides in words; ids by their whole path (`Reseller/Gold`) where their names
    alone would read the same on both sides (the tiers of a renamed channel)."""
    shown_a = show(a, old) if a is not None else None
    shown_b = show(b, new) if b is not None else None
    if shown_a is not None and shown_a == shown_b and a != b:
        return show(_paths(a), old), show(_paths(b), new)
    return shown_a, shown_b


def _paths(value: Any) -> Any:
    """Ids as their paths: `tier:Reseller/Gold` → `Reseller/Gold` (other values as they are)."""
    if isinstance(value, list):
        return [_paths(x) for x in value]
    if isinstance(value, str) and ":" in value and " " not in value:
        return value.split(":", 1)[1]
    return value


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, (str, int)) for x in value)


def retroactive_reason(old: dict, new: dict, today: _dt.date) -> str | None:
    """Why changed terms would apply retroactively (None when they would not): the new
    version is effective before today, or a new version keeps the old effective date."""
    effective = new.get("effective")
    if effective and _dt.date.fromisoformat(effective) < today:
        return f"version {new.get('version')} is effective {effective}, before today" \
               f" ({today.isoformat()})"
    if effective and effective == old.get("effective") and new.get("version") != old.get("version"):
        return f"version {new.get('version')} keeps version {old.get('version')}'s effective" \
               f" date {effective}"
    return None


def locate(side: Side, view: str, segments: tuple[Segment, ...]) -> tuple[str | None, int | None]:
    """The file and line of the changed value in ``side`` (`--provenance`): the attribute's
    line when the config records it, else its entity's (a removed entity: its parent's)."""
    node: Any = side.config(view)
    source, attr = node.get("program", {}).get("_source"), None
    for seg in segments:
        if not isinstance(node, dict):
            break
        node = node.get(seg.key)
        if seg.item and isinstance(node, list):
            node = _item(node, seg.ident)
        if isinstance(node, dict) and "_source" in node:
            source, attr = node["_source"], None
        elif attr is None:
            attr = seg.key
        if node is None:
            break
    if source is None:
        return None, None
    spot = source.get("attributes", {}).get(attr or "", source)
    return side.where(spot), spot["line"]


def _item(items: list, ident: str | None) -> dict | None:
    if ident and ident.startswith("#"):
        index = int(ident[1:]) - 1
        return items[index] if index < len(items) else None
    return next((x for x in items if isinstance(x, dict) and x.get("id") == ident), None)


FAIL_ON = (rules.UNFAVOURABLE, rules.VENDOR_RISK, "any")


@dataclass
class DiffResult:
    """Every program's diff in one run, in one view."""

    programs: list[ProgramDiff]
    view: str = "internal"

    def changes(self) -> list[Change]:
        """Every change, riskiest class first, then by program and config order."""
        indexed = [(c, i) for p in self.programs for i, c in enumerate(p.changes)]
        return [c for c, i in sorted(indexed, key=lambda ci: ci[0].sort_key(ci[1]))]

    def counts(self) -> dict[str, int]:
        """Changes per primary class, in class order (classes with none left out)."""
        found = [c.klass for c in self.changes()]
        return {k: found.count(k) for k in rules.CLASSES if k in found}

    def summary(self) -> str:
        """`2 partner-unfavourable · 1 vendor-risk · 3 editorial`."""
        counts = self.counts()
        return " · ".join(f"{n} {k}" for k, n in counts.items()) or "no semantic changes"

    def fails(self, fail_on: str | None) -> bool:
        """Whether a change of the class ``fail_on`` (or any, for `any`) is present."""
        if fail_on is None:
            return False
        return any(fail_on == "any" or fail_on in c.classes for c in self.changes())
