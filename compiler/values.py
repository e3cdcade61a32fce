"""Typed values: reading a syntax value as money, a percentage, a duration, a rate, a condition.

Each ``read_<type>`` returns the typed value, or None after reporting CH-E106 (wrong type) with
what was expected and what was found. Currency checks happen here too (CH-E107).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Union

from charter.nodes import node
from charter import syntax as s
from charter.diagnostics import Label, Reporter
from charter.literals import (SCALES, LiteralError, MoneyValue, localise, parse_money,
                              spelt_like_amount)
from charter.source import Span
from charter.units import BUSINESS_WORDS, DURATION_UNITS, PERIODS

FOLD_MISMATCHES = 3  # this many amounts in one other currency: the `currency:` line is wrong
# A percentage's decimal places: a rate is reported as a fraction with six decimals
# (`charter.economics.money.RATIO_QUANTUM`, 0.123456 = 12.3456%), so a finer one could not be.
PERCENT_PLACES = 4
BOOLS = {"yes": True, "true": True, "ya": True, "no": False, "false": False, "tidak": False}


@node
class Duration:
    """A length of time; ``business`` counts business hours/days only."""

    amount: Decimal
    unit: str
    business: bool = False

    def __str__(self) -> str:
        prefix = "business " if self.business else ""
        plural = "" if self.amount == 1 else "s"
        return f"{self.amount} {prefix}{self.unit}{plural}"


@node
class Rate:
    """An amount per unit and/or per period: `Rp 200K per user per month`."""

    money: MoneyValue
    unit: str | None
    period: str | None


class Percentage(Decimal):
    """A measure written as a percentage (`> 20%` reads as 0.2): the same number, marked, so
    outputs say 20% rather than 0.2."""

    __slots__ = ()


@node
class Count:
    """A number of events in each period: `10 per month` (referrals, deals, partners)."""

    amount: Decimal
    period: str

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} per {self.period}"


@node
class Metric:
    """One comparison in a criterion: `revenue >= Rp 5 Miliar per year`; ``window`` is a
    rolling window the metric is measured over (`arr >= $1M over trailing 12 months`)."""

    metric: str
    op: str
    value: object
    span: Span
    window: Duration | None = None


@node
class Criteria:
    """An AND/OR tree of metrics; ``op`` is "all" or "any"."""

    op: str
    items: tuple[Union["Criteria", Metric], ...]
    span: Span


class Reader:
    """Reads typed values, reporting type errors; knows the program currency."""

    def __init__(self, reporter: Reporter, currency: str | None):
        self.reporter = reporter
        self.currency = currency
        self.mismatched: dict[Span, s.Money] = {}  # amounts in another currency (CH-E107)

    def wrong(self, value: s.Value, expected: str, example: str = "") -> None:
        """Report CH-E106: ``value`` is not of the ``expected`` type (or, where an amount is
        expected, the literal error of a name spelt like a malformed one: `RM5M`)."""
        found = describe(value)
        help = (f"write {expected}, e.g. `{localise(example, self.currency)}`",) \
            if example else ()
        if "amount" in expected and (named := _named_amount(value)):
            name, read = named
            if isinstance(read, LiteralError):  # `RM5M`: the amount's own error says it
                self.reporter.error(read.code, read.message, name.span, label=read.label,
                                    help=read.help)
                return
            help = (f"`{name.value}` is a name here, as the program defines `{name.value}`;"
                    f" write the amount with a space: `{_spaced(name, value)}`",)
        self.reporter.error("CH-E106", f"expected {expected}, found {found}"
                            f" `{s.render_value(value)}`", s.span_of(value),
                            label=f"this is {found}", help=help)

    def money(self, value: s.Value) -> MoneyValue | None:
        """An amount in the program currency."""
        value = _unwrap(value)
        if isinstance(value, s.Money):
            return self._currency(value)
        if not isinstance(value, s.Bad):
            self.wrong(value, "an amount of money", "Rp 250K")
        return None

    def _currency(self, value: s.Money) -> MoneyValue:
        if self.currency and value.value.currency != self.currency:
            self.mismatched[value.span] = value  # reported together: `report_currency`
        return value.value

    def report_currency(self, declared: Span | None) -> None:
        """CH-E107 for the amounts read in another currency than the program's. Many amounts
        in one other currency are one mistake, the program's `currency:` (``declared``), and
        are reported once there; a few are each reported where they are written."""
        groups: dict[str, list[s.Money]] = {}
        for money in sorted(self.mismatched.values(), key=lambda m: (m.span.file, m.span.start)):
            groups.setdefault(money.value.currency, []).append(money)
        self.mismatched = {}
        for other, amounts in groups.items():
            if len(amounts) >= FOLD_MISMATCHES and declared is not None:
                self._currency_disagrees(other, amounts, declared)
                continue
            for money in amounts:
                self.reporter.error("CH-E107", f"amount in {other}, but the program's currency"
                                    f" is {self.currency}", money.span, label=f"this is {other}",
                                    help=(f"write the amount in {self.currency}",))

    def _currency_disagrees(self, other: str, amounts: list[s.Money], declared: Span) -> None:
        here = declared.file in {m.span.file for m in amounts}
        span = declared if here else amounts[0].span
        shown = amounts[:3] if here else amounts[1:3]
        labels = [Label(m.span, f"in {other}") for m in shown]
        if not here:
            labels.insert(0, Label(declared, f"the program's currency: {self.currency}"))
        rows = list(dict.fromkeys(m.span.line for m in amounts))
        lines = ", ".join(map(str, rows[:12])) + (", …" if len(rows) > 12 else "")
        self.reporter.error(
            "CH-E107", f"the program's currency is {self.currency}, but {len(amounts)} amounts"
            f" are in {other}", span, labels=labels,
            label=f"{len(amounts)} amounts disagree with this" if here else f"this is {other}",
            notes=(f"amounts in {other} on lines {lines}",),
            help=(f"if the program is priced in {other}, write `currency: {other}`; otherwise"
                  f" write every amount in {self.currency}",))

    def percent(self, value: s.Value) -> Decimal | None:
        """A percentage, as a fraction; at most `PERCENT_PLACES` decimal places (CH-E111)."""
        value = _unwrap(value)
        if isinstance(value, s.Percent):
            return self._precise(value)
        if not isinstance(value, s.Bad):
            self.wrong(value, "a percentage", "25%")
        return None

    def _precise(self, value: s.Percent) -> Decimal | None:
        """A rate finer than a quote can state (six decimals of the fraction,
        `charter.economics.money.RATIO_QUANTUM`) would be paid at one rate and reported at
        another: refused."""
        exponent = value.value.as_tuple().exponent
        if not isinstance(exponent, int) or exponent >= -PERCENT_PLACES - 2:
            return value.value
        self.reporter.error("CH-E111", f"`{value.text.strip()}` is finer than a rate is paid and"
                            f" reported: at most {PERCENT_PLACES} decimal places",
                            value.span, label="too many decimal places",
                            help=(f"round it, e.g. `{_rounded(value.value)}`",))
        return None

    def share(self, value: s.Value) -> Decimal | None:
        """A percentage that is a share of a base (a payout rate, a cap, COGS): 0% to 100%.

        Above 100% a payout would exceed the money it is a share of; CH-E111 at the value."""
        share = self.percent(value)
        if share is not None and share > 1:
            inner = _unwrap(value)
            self.reporter.error("CH-E111", f"`{inner.text.strip()}` is more than the whole: a"
                                " payout rate, cap or cost is a share of its base, at most"
                                " 100%", inner.span, label="above 100%",
                                help=("write the share as a percentage of the base, e.g."
                                      " `35%`",))
            return None
        return share

    def share_or_money(self, value: s.Value) -> Decimal | MoneyValue | None:
        """A share of a base (0–100%) or a fixed amount (e.g. MDF)."""
        inner = _unwrap(value)
        if isinstance(inner, s.Percent):
            return self.share(value)
        return self.percent_or_money(value)

    def share_money_or_rate(self, value: s.Value) -> Decimal | MoneyValue | Rate | None:
        """A share of a base, a fixed amount, or an amount per period (`$5_000 per year`):
        what an MDF may be."""
        inner = _unwrap(value)
        if not (isinstance(inner, s.Phrase) and isinstance(inner.atoms[0], s.Money)):
            return self.share_or_money(value)
        atoms = inner.atoms
        parts = _rate_parts(atoms)
        if parts is None or parts[0] is not None or parts[1] is None:
            self.wrong(value, "a percentage, an amount or an amount per period",
                       "Rp 50 juta per year")
            return None
        return Rate(self._currency(atoms[0]), None, parts[1])  # type: ignore[arg-type]

    def number(self, value: s.Value) -> Decimal | None:
        """A plain number."""
        value = _unwrap(value)
        if isinstance(value, s.Number):
            return value.value
        if not isinstance(value, s.Bad):
            self.wrong(value, "a number", "1000")
        return None

    def integer(self, value: s.Value) -> int | None:
        """A whole number."""
        number = self.number(value)
        if number is None:
            return None
        if number != number.to_integral_value():
            self.reporter.error("CH-E111", f"expected a whole number, found {number}",
                                s.span_of(value), label="not a whole number")
            return None
        return int(number)

    def contract_year(self, value: s.Value) -> int | None:
        """A count of contract years, or the number of one: 1, 2, … (CH-E111 below 1: year 0
        does not exist, and no year would be paid or capped)."""
        number = self.integer(value)
        if number is None or number >= 1:
            return number
        self.reporter.error("CH-E111", f"contract years are counted from 1, found {number}",
                            s.span_of(value), label="no such contract year",
                            help=("write 1 for the first contract year",))
        return None

    def string(self, value: s.Value) -> str | None:
        """A quoted string."""
        if isinstance(value, s.Str):
            return value.value
        self.wrong(value, "a quoted string", '"text"')
        return None

    def date(self, value: s.Value):
        """An ISO date."""
        if isinstance(value, s.Date):
            return value.value
        if not isinstance(value, s.Bad):
            self.wrong(value, "a date", "2026-01-01")
        return None

    def name(self, value: s.Value) -> str | None:
        """A bare identifier (an amount spelt like one, `USD2031`, is that name here)."""
        if (name := as_name(value)) is not None:
            return name.value
        if not isinstance(value, s.Bad):
            self.wrong(value, "a name", "Elite")
        return None

    def boolean(self, value: s.Value) -> bool | None:
        """yes/no."""
        if isinstance(value, s.Name) and value.value.lower() in BOOLS:
            return BOOLS[value.value.lower()]
        self.wrong(value, "yes or no", "yes")
        return None

    def duration(self, value: s.Value) -> Duration | None:
        """`60 days`, `24 business hours`, `1,5 bulan`."""
        atoms = value.atoms if isinstance(value, s.Phrase) else (value,)
        if isinstance(atoms[0], s.Bad):
            return None
        words = [a.value.lower() for a in atoms[1:] if isinstance(a, s.Name)]
        business = bool(words) and words[0] in BUSINESS_WORDS
        unit_words = words[1:] if business else words
        if (isinstance(atoms[0], s.Number) and len(words) == len(atoms) - 1
                and len(unit_words) == 1 and unit_words[0] in DURATION_UNITS):
            return Duration(atoms[0].value, DURATION_UNITS[unit_words[0]], business)
        self.wrong(value, "a duration", "60 days")
        return None

    def rate(self, value: s.Value) -> Rate | None:
        """`Rp 200K per user per month`, `Rp 5 Miliar per year`, or a bare amount."""
        atoms = value.atoms if isinstance(value, s.Phrase) else (value,)
        if isinstance(atoms[0], s.Bad):
            return None
        parsed = _rate_parts(atoms)
        if parsed is None:
            self.wrong(value, "an amount per unit or period", "Rp 200K per user per month")
            return None
        unit, period = parsed
        money = self._currency(atoms[0])  # type: ignore[arg-type]
        return Rate(money, unit, period)

    def percent_or_money(self, value: s.Value) -> Decimal | MoneyValue | None:
        """A percentage or a fixed amount (e.g. MDF)."""
        inner = _unwrap(value)
        if isinstance(inner, s.Money):
            return self._currency(inner)
        if isinstance(inner, s.Percent):
            return inner.value
        if not isinstance(inner, s.Bad):
            self.wrong(value, "a percentage or an amount", "3%")
        return None

    def _count(self, value: s.Phrase) -> Count | bool:
        """`10 per month`: a number of events per period; False when the phrase is not one,
        True when it is one of a fraction of an event (reported: CH-E111)."""
        atoms = value.atoms
        if not (len(atoms) == 3 and isinstance(atoms[1], s.Name)
                and atoms[1].value.lower() == "per" and isinstance(atoms[2], s.Name)):
            return False
        problem = _count_problem(atoms[0], atoms[2])
        if problem is not None:
            code, message, span, label, help_ = problem
            self.reporter.error(code, message, span, label=label, help=[help_])
            return True
        return Count(atoms[0].value, PERIODS[atoms[2].value.lower()])  # type: ignore[attr-defined]

    def criteria(self, value: s.Value) -> Criteria | Metric | None:
        """`revenue >= Rp 5 Miliar per year and certified_people >= 2`, or `none`."""
        if isinstance(value, (s.AllOf, s.AnyOf)):
            items = [self.criteria(v) for v in value.items]
            if any(i is None for i in items):
                return None
            op = "all" if isinstance(value, s.AllOf) else "any"
            return Criteria(op, tuple(items), value.span)  # type: ignore[arg-type]
        if isinstance(value, s.Compare) and (metric := as_name(value.left)) is not None:
            right, window = self._windowed(value.right)
            if right is None:
                return None
            measure = self.measure(right)
            if measure is None or window is False:
                return None
            return Metric(metric.value, value.op, measure, value.span, window or None)
        self.wrong(value, "a criterion", "revenue >= Rp 5 Miliar per year")
        return None

    def _windowed(self, value: s.Value) -> tuple[s.Value | None, Duration | None | bool]:
        """Split `$1M over trailing 12 months` into the measure and its rolling window
        (False: the window was reported as unreadable)."""
        atoms = value.atoms if isinstance(value, s.Phrase) else ()
        at = next((i for i, a in enumerate(atoms)
                   if isinstance(a, s.Name) and a.value.lower() == "over"), None)
        if at is None:
            return value, None
        head, tail = atoms[:at], atoms[at + 1:]
        if any(isinstance(a, s.Bad) for a in atoms):
            return None, False  # the literal's own error says what is wrong
        span = tail[0].span.to(tail[-1].span) if tail else atoms[at].span
        if head and tail and not (isinstance(tail[0], s.Name)
                                  and tail[0].value.lower() == "trailing"):
            self.reporter.error("CH-E106", "a rolling window is written `over trailing`"
                                " and its length", atoms[at].span.to(span),
                                label="`trailing` missing",
                                help=(localise("write `revenue >= Rp 5 Miliar over trailing"
                                               " 12 months`", self.currency),))
            return None, False
        if not head or len(tail) < 2:
            self.wrong(value, "a measure over a rolling window",
                       "revenue >= Rp 5 Miliar over trailing 12 months")
            return None, False
        length = s.Phrase(tuple(tail[1:]), span) if len(tail) > 2 else tail[1]
        window = self.duration(length)
        if window is not None and (window.amount <= 0 or window.unit == "hour"):
            self.reporter.error("CH-E111", f"a rolling window of {window} measures nothing"
                                " a tier is judged on", span, label="not a usable window",
                                help=("give the window in days, weeks, months, quarters or"
                                      " years, above zero: `over trailing 12 months`",))
            return None, False
        measure = head[0] if len(head) == 1 else s.Phrase(tuple(head), head[0].span.to(head[-1].span))
        return measure, (window if window is not None else False)

    def measure(self, value: s.Value) -> object | None:
        """The right side of a criterion: a number, percentage, amount, rate, count per
        period (`10 per month`) or duration."""
        value = _unwrap(value)
        for kind, read in ((s.Number, lambda v: v.value),
                           (s.Percent, lambda v: Percentage(v.value)),
                           (s.Money, self._currency)):
            if isinstance(value, kind):
                return read(value)
        if isinstance(value, s.Phrase) and isinstance(value.atoms[0], s.Money):
            return self.rate(value)
        if isinstance(value, s.Phrase) and isinstance(value.atoms[0], s.Number):
            count = self._count(value)
            if count is True:
                return None  # reported
            return count or self.duration(value)
        if not isinstance(value, s.Bad):
            self.wrong(value, "a number, percentage or amount", "Rp 5 Miliar per year")
        return None


def _count_problem(number: s.Number, per: s.Name) -> tuple | None:
    """Why `NUMBER per WORD` is no count of events: (code, message, span, label, help)."""
    if not PERIODS.get(per.value.lower()):  # `10 per fortnight`: not a duration either
        periods = ", ".join(sorted({p for p in PERIODS.values() if p}))
        return ("CH-E106", f"`{per.value}` is not a period a count can be per: one of"
                f" {periods}", per.span, "not a period", "write the count per one of those"
                f" periods, e.g. `{number.value.normalize():f} per month`")
    whole = int(number.value)
    if number.value != whole:  # `10,5 per month` is 10.5: a threshold of 10.5 would mean 11
        return ("CH-E111", f"a count of events is a whole number, found"
                f" {number.value.normalize():f}", number.span, "not a whole number",
                f"write `{whole} per {per.value}` or `{whole + 1} per {per.value}`")
    return None


def _rate_parts(atoms) -> tuple[str | None, str | None] | None:
    if not isinstance(atoms[0], s.Money):
        return None
    words = [a.value if isinstance(a, s.Name) else None for a in atoms[1:]]
    if None in words or len(words) % 2 or any(w != "per" for w in words[0::2]):
        return None
    targets = [w for w in words[1::2]]
    if len(targets) > 2:
        return None
    unit = next((t for t in targets if t not in PERIODS), None)
    period = next((PERIODS[t] for t in targets if t in PERIODS), None)
    if len([t for t in targets if t not in PERIODS]) > 1 or \
            len([t for t in targets if t in PERIODS]) > 1:
        return None
    return unit, period


def _rounded(fraction: Decimal) -> str:
    """``fraction`` rounded to `PERCENT_PLACES` decimals of a percentage, as programs write it."""
    from charter.numbers import pct

    return pct(fraction.quantize(Decimal(1).scaleb(-PERCENT_PLACES - 2)))


def as_name(value: s.Value) -> s.Name | None:
    """``value`` where only a name can stand: a name, or an amount spelt like one (`USD2031`,
    §1.3), which is that name here; None for anything else."""
    if type(value) is s.Name:
        return value
    if type(value) is s.Money and s.NAME_SHAPED.fullmatch(value.text):
        return s.Name(value.text, value.span)
    return None


def _first_atom(value: s.Value) -> s.Value:
    """``value``, or its first word (`RM5 per user`), inside any `~`."""
    value = _unwrap(value)
    return _unwrap(value.atoms[0]) if isinstance(value, s.Phrase) else value


def _named_amount(value: s.Value) -> tuple[s.Name, MoneyValue | LiteralError] | None:
    """The name ``value`` is or starts with, when it is spelt as an amount (`RM5`, `RM5M`),
    and the amount it would read as (or why it would not): a name where an amount is
    expected, because the program defines it (`charter.names`) or it reads as no amount."""
    first = _first_atom(value)
    if type(first) is not s.Name or not spelt_like_amount(first.value):
        return None
    try:
        return first, parse_money(first.value)
    except LiteralError as err:
        return first, err


def _spaced(name: s.Name, value: s.Value) -> str:
    """`RM5` written as an amount: `RM 5`, or `RM 5 K` when a scale word follows it."""
    digit = next(i for i, c in enumerate(name.value) if c.isdigit())
    spaced = f"{name.value[:digit]} {name.value[digit:]}"
    atoms = _unwrap(value).atoms if isinstance(_unwrap(value), s.Phrase) else ()
    if len(atoms) > 1 and type(atoms[1]) is s.Name and atoms[1].value in SCALES:
        spaced += f" {atoms[1].value}"
    return spaced


def _unwrap(value: s.Value) -> s.Value:
    return value.inner if isinstance(value, s.Approx) else value


def describe(value: s.Value) -> str:
    """What a value looks like, in words, for "expected X, found Y" messages."""
    names: dict[type, str] = {
        s.Money: "an amount", s.Percent: "a percentage", s.Number: "a number",
        s.Date: "a date", s.Str: "a string", s.Name: "a name", s.ListValue: "a list",
        s.Range: "a range", s.Compare: "a comparison", s.AllOf: "an `and` expression",
        s.AnyOf: "an `or` expression", s.Arrow: "an `->` expression", s.Approx: "an approximate value",
        s.Plus: "`+`", s.Bad: "an unreadable literal",
    }
    if isinstance(value, s.Phrase):
        return f"a phrase starting with {describe(value.atoms[0])}"
    return names.get(type(value), "a value")

