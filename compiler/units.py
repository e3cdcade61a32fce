"""One table of time units: the words for durations and periods, and how they convert.

A *duration* is a length of time (`60 days`, `24 business hours`, `1,5 bulan`); a *period* is
what a rate is written per (`Rp 200K per user per month`). Both read their words from `UNITS`,
one row per canonical unit; the lookup tables below are derived from it, so a new unit or a
new word (another language) is one line here. Read by `charter.values` (lowering), the
economics engine (annual amounts) and the policies (comparing durations and rates).
"""
from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

from charter.nodes import node

if TYPE_CHECKING:                                 # values.py imports this module
    from charter.values import Duration


@node
class TimeUnit:
    """A canonical unit of time and the words that spell it."""

    name: str                       # the canonical word, e.g. "month"
    duration_words: tuple[str, ...]  # after a number: `2 months`, `2 bulan`
    period_words: tuple[str, ...]    # after `per`: `per month`; empty if no rate is written per it
    hours: Decimal                  # its length, for comparing durations
    per_year: int | None            # how many make a year; None if not a rate period


# A month is 730 hours (8760 / 12) and a quarter 2190, so durations compare on one scale;
# per_year is the payout calendar (52 weeks, 365 days), which is why it is not hours / 8760.
UNITS: tuple[TimeUnit, ...] = (
    TimeUnit("hour", ("hour", "hours", "h", "jam"), (), Decimal(1), None),
    TimeUnit("day", ("day", "days", "hari"), ("day", "hari"), Decimal(24), 365),
    TimeUnit("week", ("week", "weeks", "minggu"), ("week", "minggu"), Decimal(168), 52),
    TimeUnit("month", ("month", "months", "bulan"), ("month", "bulan"), Decimal(730), 12),
    TimeUnit("quarter", ("quarter", "quarters", "kuartal"), ("quarter", "kuartal"),
             Decimal(2190), 4),
    TimeUnit("year", ("year", "years", "tahun"), ("year", "tahun", "yr"), Decimal(8760), 1),
)

# Words that make a duration count working time only; written before the unit:
# `24 business hours`.
BUSINESS_WORDS: tuple[str, ...] = ("business", "kerja")

# word -> canonical unit, for durations and for periods
DURATION_UNITS: Mapping[str, str] = MappingProxyType(
    {word: u.name for u in UNITS for word in u.duration_words})
PERIODS: Mapping[str, str] = MappingProxyType(
    {word: u.name for u in UNITS for word in u.period_words})
# canonical period -> periods in a year; None (a rate with no period) counts once a year
PERIODS_PER_YEAR: Mapping[str | None, int] = MappingProxyType(
    {**{u.name: u.per_year for u in UNITS if u.per_year is not None}, None: 1})
HOURS: Mapping[str, Decimal] = MappingProxyType({u.name: u.hours for u in UNITS})


def duration_unit(word: str) -> str | None:
    """The canonical unit a duration word names (`bulan` -> `month`), or None."""
    return DURATION_UNITS.get(word)


def period(word: str) -> str | None:
    """The canonical period a word after `per` names (`tahun` -> `year`), or None."""
    return PERIODS.get(word)


def periods_per_year(period_: str | None) -> int:
    """How many ``period_``s make a year (month 12, quarter 4, week 52, day 365, year 1).

    No period (a one-off amount) and an unknown one count once a year, as an annual figure.
    """
    return PERIODS_PER_YEAR.get(period_, 1)


def in_hours(duration: Duration) -> Decimal:
    """A duration's length in hours, for comparing durations written in different units.

    Business and calendar time count the same (24 business hours = 1 day): tiers write their
    SLAs in one kind of unit, and a mixed ladder is compared on the written numbers.
    """
    return duration.amount * HOURS.get(duration.unit, Decimal(1))
