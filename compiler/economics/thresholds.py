"""Volume thresholds: forward-applied, marginal and retroactive brackets, and period resets.

Brackets are half-open, [low, high): an amount equal to a bracket's `high` belongs to the
next bracket. `cumulative` is the volume booked in the period *before* the deal.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from charter import model as m
from charter.nodes import node
from charter.numbers import pct
from charter.economics.money import ratio

ZERO = Decimal(0)


@node
class Ladder:
    """A thresholds block precomputed for quoting: sorted bounds and rates."""

    semantics: str
    reset: str
    per_deal: bool
    lows: tuple[Decimal, ...]
    highs: tuple[Decimal | None, ...]
    rates: tuple[Decimal, ...]
    name: str
    counts: bool = False  # the brackets count deals; the cumulative is a number of deals

    @classmethod
    def of(cls, thresholds: m.Thresholds) -> "Ladder":
        """Precompute ``thresholds`` (brackets sorted by their lower bound)."""
        brackets = sorted(thresholds.brackets, key=lambda b: b.low_amount)
        return cls(thresholds.semantics, thresholds.reset, thresholds.basis == "deal_value",
                   tuple(b.low_amount for b in brackets),
                   tuple(b.high_amount for b in brackets),
                   tuple(b.rate for b in brackets), thresholds.name, thresholds.counts)

    def rate_at(self, volume: Decimal) -> Decimal:
        """The rate of the bracket containing ``volume`` (0 outside every bracket)."""
        return self.bracket_at(volume).rate

    def bracket_at(self, volume: Decimal) -> "Slice":
        """The bracket containing ``volume`` (rate 0 from 0 when it is below every bracket)."""
        for low, high, rate in zip(self.lows, self.highs, self.rates):
            if low <= volume and (high is None or volume < high):
                return Slice(low, high, rate, ZERO)
        return Slice(ZERO, self.lows[0] if self.lows else None, ZERO, ZERO)


@node
class Slice:
    """A bracket `[low, high)` at ``rate``; ``base`` is the part of a deal that falls in it."""

    low: Decimal
    high: Decimal | None
    rate: Decimal
    base: Decimal


@node
class Earned:
    """What a deal earns under a ladder: the amount on the deal and any retroactive true-up."""

    amount: Decimal
    true_up: Decimal
    rate: Decimal
    why: str
    bracket: Slice                   # the bracket that set the rate (the top one reached)
    slices: tuple[Slice, ...] = ()  # a marginal ladder: each slice of the deal at its rate


def earn(ladder: Ladder, base: Decimal, cumulative: Decimal) -> Earned:
    """Apply ``ladder`` to a deal of ``base`` after ``cumulative`` volume this period (exact);
    on a count ladder ``cumulative`` is the number of deals before this one."""
    if ladder.counts:
        return _counted(ladder, base, cumulative)
    before = ZERO if ladder.per_deal else cumulative
    if ladder.semantics == "marginal":
        slices = _marginal(ladder, before, base)
        amount = sum((s.base * s.rate for s in slices), ZERO)
        rate = ratio(amount, base) if base else ladder.rate_at(before)  # effective, to 1e-6
        return Earned(amount, ZERO, rate, f"{ladder.name}: marginal, each slice at its bracket",
                      ladder.bracket_at(before + base), slices)
    if ladder.semantics == "retroactive":
        old, top = ladder.rate_at(before), ladder.bracket_at(before + base)
        true_up = (top.rate - old) * before
        return Earned(top.rate * base, true_up, top.rate,
                      f"{ladder.name}: retroactive, whole period at {pct(top.rate)}", top)
    if ladder.per_deal:  # the deal's own value picks its bracket: nothing comes before it
        bracket = ladder.bracket_at(base)
        return Earned(bracket.rate * base, ZERO, bracket.rate,
                      f"{ladder.name}: {pct(bracket.rate)} for a deal this size", bracket)
    bracket = ladder.bracket_at(before)
    return Earned(bracket.rate * base, ZERO, bracket.rate,
                  f"{ladder.name}: forward, {pct(bracket.rate)} set by volume {before:f} before"
                  " the deal", bracket)


def place_of(before: Decimal) -> Decimal:
    """On a count ladder, the number of a deal with ``before`` deals ahead of it in the
    period: its bracket sets its rate (the one home of that rule; `deals_before` inverts it)."""
    return before + 1


def deals_before(place: int | Decimal) -> Decimal:
    """The cumulative count that makes a deal number ``place`` of its period (none below 0)."""
    return max(Decimal(0), Decimal(place) - 1)


def _counted(ladder: Ladder, base: Decimal, before: Decimal) -> Earned:
    """A count ladder (forward only: lowering refuses the others): the deal's place in the
    period's count (`place_of`) picks its bracket."""
    place = place_of(before)
    bracket = ladder.bracket_at(place)
    return Earned(bracket.rate * base, ZERO, bracket.rate,
                  f"{ladder.name}: {pct(bracket.rate)} as deal {place:f} of the period", bracket)


def _marginal(ladder: Ladder, start: Decimal, base: Decimal) -> tuple[Slice, ...]:
    end, slices = start + base, []
    for low, high, rate in zip(ladder.lows, ladder.highs, ladder.rates):
        top = end if high is None else min(end, high)
        bottom = max(start, low)
        if top > bottom:
            slices.append(Slice(low, high, rate, top - bottom))
    return tuple(slices)


def same_period(reset: str, earlier: _dt.date, later: _dt.date) -> bool:
    """Whether ``earlier`` and ``later`` fall in the same threshold period under ``reset``."""
    if reset in ("never", "contract_year"):
        return True
    if reset == "quarter":
        return (earlier.year, (earlier.month - 1) // 3) == (later.year, (later.month - 1) // 3)
    if reset == "month":
        return (earlier.year, earlier.month) == (later.year, later.month)
    return earlier.year == later.year  # calendar_year; fiscal years are read as calendar years

