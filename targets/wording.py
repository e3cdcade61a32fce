"""How the documents say things: numbers in the program's locale, and config values in words.

`Words` reads the config's spellings (decimal strings, `{"amount", "currency"}`, durations as
`{"value", "unit", "business"}`, criteria trees, year schedules) and writes them for people,
with babel's CLDR data for the program's first locale: `Rp2,4 M` / `Rp840 jt` in id_ID,
`$50,000` in en_US. Nothing here knows a scale word: compact forms come from CLDR.

`INTERNAL_TERMS` and `partner_prose` keep the vendor's internal vocabulary out of partner
documents (see `partner_prose`).
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import cached_property

from charter import numbers
from charter.targets.escape import clean

from charter.confidential import INTERNAL_TERMS, mentions_internal  # noqa: F401  (one home)

COMPACT_FROM = Decimal(1_000_000)   # below a million the long form reads as easily
_EXACT_DIGITS = 12                  # compact forms are used only when they lose nothing
OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")


def words(name: object) -> str:
    """A language keyword or identifier in words: `first_to_register` → `first to register`."""
    return clean(str(name).replace("_", " "))


def partner_prose(text: object) -> str:
    """``text`` (a doc string from the partner projection) without the sentences that use the
    vendor's internal vocabulary: a program may explain a partner rule by its internal
    reason ("... approach the margin-death line"), and the rule itself is shown from data."""
    kept = [s for s in _SENTENCE.split(clean(text)) if not mentions_internal(s)]
    return " ".join(kept)


class Words:
    """Formats one program's values in its locale and currency."""

    def __init__(self, locale: str, currency: str, minor_units: int):
        self.locale, self.currency, self.minor_units = locale, currency, minor_units

    @classmethod
    def of(cls, config: dict) -> "Words":
        """The formatter for a config (or its partner projection)."""
        program = config["program"]
        return cls(numbers.locale_of(tuple(program["locales"])), program["currency"],
                   program["minor_units"])

    # ---- numbers ----------------------------------------------------------------------------

    def money(self, value: dict | str | Decimal | None) -> str:
        """An amount: CLDR's compact form (`Rp2,4 M`) from a million up when it is exact,
        else the long form (`Rp250.000`, `$50,000`); whole amounts without decimals."""
        if value is None:
            return "—"
        amount = Decimal(value["amount"] if isinstance(value, dict) else value)
        if abs(amount) >= COMPACT_FROM:
            compact = self._compact(amount)
            if compact is not None:
                return compact
        return self.long_money(amount)

    def long_money(self, amount: Decimal | str) -> str:
        """The long form: every digit, decimals only when the amount has some."""
        amount = Decimal(amount)
        minor = 0 if amount == amount.to_integral_value() else self.minor_units
        return numbers.money(amount, self.currency, self.locale, minor)

    def _compact(self, amount: Decimal) -> str | None:
        from babel.numbers import format_compact_currency

        short = format_compact_currency(amount, self.currency, locale=self.locale,
                                        fraction_digits=2)
        full = format_compact_currency(amount, self.currency, locale=self.locale,
                                       fraction_digits=_EXACT_DIGITS)
        return short if short == full else None

    def percent(self, rate: str | Decimal | None) -> str:
        """A six-decimal rate as a percentage: `"0.350000"` → `35%`, `12,5%` in id_ID."""
        return "—" if rate is None else numbers.percent(Decimal(rate), self.locale)

    def number(self, value: str | Decimal | int) -> str:
        """A plain number with the locale's separators: `1.000`, `1,5`."""
        from babel.numbers import format_decimal

        return format_decimal(Decimal(str(value)), locale=self.locale)

    # ---- values in words --------------------------------------------------------------------

    def deals(self, low: int, up_to: int | None) -> str:
        """A count bracket `[low, up_to)` in words: `deals 1 – 10`, `deal 26 and above`
        (brackets exclude their high end, so the last deal in one is ``up_to`` − 1)."""
        if up_to is None:
            return f"deal {self.number(low)} and above"
        last = up_to - 1
        return f"deal {self.number(low)}" if last == low else \
            f"deals {self.number(low)} – {self.number(last)}"

    def bound(self, value: dict | None) -> str:
        """A bracket bound in words: an amount, or `deal 11` on a count ladder."""
        if value is not None and "deals" in value:
            return f"deal {self.number(value['deals'])}"
        return self.money(value)

    def price(self, price: dict | None) -> str:
        """`Rp200.000 per user per month`."""
        if price is None:
            return "—"
        per = [f"per {clean(p)}" for p in (price.get("per_unit"), price.get("per_period")) if p]
        return " ".join([self.money(price["money"])] + per)

    def duration(self, value: dict | None) -> str:
        """`24 business hours`, `1,5 months`."""
        if value is None:
            return "—"
        amount = Decimal(value["value"])
        unit = value["unit"] + ("" if amount == 1 else "s")
        return f"{self.number(amount)} {'business ' if value.get('business') else ''}{unit}"

    def value(self, value: dict | None) -> str:
        """A tagged config value (`{"money": ...}`, `{"price": ...}`, `{"number": ...}`, ...)."""
        if value is None:
            return "—"
        kind, inner = next(iter(value.items()))
        if kind == "range":
            return f"{self.value(inner['from'])} – {self.value(inner['up_to'])}"
        return {"money": self.money, "price": self.price, "duration": self.duration,
                "number": self.number, "rate": self.percent, "flag": _yes_no,
                "text": clean, "count": self.count}[kind](inner)

    def count(self, value: dict) -> str:
        """`10 per month`."""
        return f"{self.number(Decimal(value['number']))} per {clean(value['per_period'])}"

    def criteria(self, tree: dict | None) -> str:
        """A criterion in words: `revenue ≥ Rp5 M per year and certified people ≥ 1`."""
        if tree is None:
            return "—"
        for op, joiner in (("all", " and "), ("any", " or ")):
            if op in tree:
                return joiner.join(self.criteria(item) for item in tree[op])
        window = tree.get("window")
        over = f" over the trailing {self.duration(window)}" if window else ""
        return f"{words(tree['metric'])} {OPS.get(tree['op'], tree['op'])} " \
               f"{self.value(tree['value'])}{over}"

    def term(self, value: str | dict | None) -> str:
        """A negotiable term's value: a rate (`"0.150000"`) or a duration (a dict)."""
        return self.duration(value) if isinstance(value, dict) else self.percent(value)

    def negotiable(self, entry: dict) -> str:
        """A negotiable term in words: `10%–20%, negotiated per deal; 10% unless agreed`
        (`25% or more, ...` for an open range)."""
        low = self.term(entry["from"])
        span = f"{low}–{self.term(entry['up_to'])}" if entry["up_to"] is not None \
            else f"{low} or more"
        return f"{span}, negotiated per deal; {self.term(entry['default'])} unless agreed"

    def schedule(self, runs: list[dict], unset: str = "per deal") -> str:
        """A payout's contract-year runs in words: `20% every year`, `5% in year 1, then
        none`. A run without a rate says ``unset`` (set by a bracket or negotiated)."""
        if len(runs) == 1 and runs[0]["to_year"] is None:
            return f"{self._run_rate(runs[0], unset)} every year"
        parts = [f"{self._run_rate(run, unset)} {_years(run)}" for run in runs]
        last = runs[-1]
        if last["rate"] is not None and Decimal(last["rate"]) == 0:
            parts[-1] = "then none"
        return ", ".join(parts)

    def _run_rate(self, run: dict, unset: str) -> str:
        if run["rate"] is None:
            return unset
        return "none" if Decimal(run["rate"]) == 0 else self.percent(run["rate"])

    @cached_property
    def currency_symbol(self) -> str:
        """The currency's symbol in the locale (`Rp`, `$`)."""
        from babel.numbers import get_currency_symbol

        return get_currency_symbol(self.currency, locale=self.locale)


def _years(run: dict) -> str:
    first, last = run["from_year"], run["to_year"]
    if last is None:
        return f"from year {first} on" if first > 1 else "every year"
    return f"in year {first}" if first == last else f"in years {first}–{last}"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
