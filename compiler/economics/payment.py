"""Payment terms: when each payout line falls due, and which kinds of payout a program makes.

A quote dates what it can know. `net N days` counts from the contract year's invoice, dated
the year's first day (the only invoice date a quote knows: the contract year is what is
billed); `quarterly [net N days]` (and `monthly`, `semiannual`, `annual`) counts from the last
day of the calendar period the year starts in. A term that waits for an event no quote can
know (a claim's approval, the customer's payment, the partner's invoice) states its rule and
no date: a made-up date would be paid on. A kind the program states no term for says so
(`not_stated`), and a reseller's margin is `retained`: the partner keeps it, nothing is paid.
"""
from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from typing import NamedTuple

from charter import model as m
from charter.economics.kinds import PayoutKind, Settlement

NET, PERIOD_END, AFTER_EVENT = "net", "period_end", "after_event"
RETAINED, NOT_STATED = "retained", "not_stated"
RULES = (NET, PERIOD_END, AFTER_EVENT, RETAINED, NOT_STATED)
PERIOD_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


class Due(NamedTuple):
    """When one payout line falls due: the rule, and the date when a quote can know it."""

    rule: str                       # one of RULES
    days: int | None = None         # days after `counts_from` (or after `event`)
    period: str | None = None       # period_end: month | quarter | half_year | year
    event: str | None = None        # after_event: claim_approval | customer_payment | ...
    counts_from: _dt.date | None = None   # the invoice (net) or the period's last day
    date: _dt.date | None = None    # counts_from + days; None when it cannot be known


def due(term: m.PaymentTerm | None, kind: PayoutKind, year_start: _dt.date | None) -> Due:
    """When a line of ``kind`` in the contract year starting ``year_start`` falls due under
    ``term`` (the program's term for the kind, or None)."""
    return _due(term, kind, year_start)


@lru_cache(maxsize=4096)  # a batch quotes few distinct (term, kind, year) triples
def _due(term: m.PaymentTerm | None, kind: PayoutKind, year_start: _dt.date | None) -> Due:
    if kind.settlement is Settlement.PARTNER_RETAINS:
        return Due(RETAINED)
    if term is None:
        return Due(NOT_STATED)
    if term.rule == AFTER_EVENT:
        return Due(AFTER_EVENT, term.days, event=term.event)
    if year_start is None:  # an undated deal: the rule, no date to count from
        return Due(term.rule, term.days, term.period)
    start = year_start if term.rule == NET else period_end(year_start, term.period)
    return Due(term.rule, term.days, term.period, None, start, _plus(start, term.days))


def period_end(day: _dt.date, period: str) -> _dt.date:
    """The last day of the calendar ``period`` (month, quarter, half_year, year) ``day`` is in."""
    months = PERIOD_MONTHS[period]
    month = ((day.month - 1) // months + 1) * months
    import calendar  # (and `locale`): only for a term that waits for a period's end

    return _dt.date(day.year, month, calendar.monthrange(day.year, month)[1])


def _plus(day: _dt.date, days: int) -> _dt.date | None:
    """``day`` + ``days``; None past 9999-12-31 (requests end contracts by 9998, and terms
    are at most 365 days, so a quote never gets here)."""
    try:
        return day + _dt.timedelta(days=days)
    except OverflowError:  # pragma: no cover - see above
        return None


def paid_kinds(program: m.Program) -> dict[PayoutKind, str]:
    """The kinds of payout the vendor can make under ``program`` (a wholesale margin is
    retained, not paid), each with what makes it: what needs a payment term."""
    found: dict[PayoutKind, str] = {}
    offered = [c for c in program.channels if not c.internal]
    for channel in offered:
        for kind, why in _channel_kinds(channel):
            found.setdefault(kind, why)
    for h in program.handovers:
        if h.introducer_rate:
            found.setdefault(PayoutKind.COMMISSION, f"the introducer fee of handover"
                                                    f" {h.source} -> {h.target}")
    attribution = program.attribution
    if attribution is not None and attribution.influenced_rate:
        found.setdefault(PayoutKind.INFLUENCE, "the attribution's `influenced_rate`")
    renewal = next((c for c in offered if c.renewal_fee), None)
    if renewal is not None:
        found.setdefault(PayoutKind.RENEWAL_FEE, f"{renewal.name}'s `renewal_fee`")
    spiff = next((s for s in program.spiffs if s.claimable), None)
    if spiff is not None:
        found.setdefault(PayoutKind.SPIFF, f"spiff `{spiff.name}`")
    return found


def _channel_kinds(channel: m.Channel) -> list[tuple[PayoutKind, str]]:
    """What ``channel`` pays: commission (or a reseller's rebate), a true-up, MDF."""
    kinds = []
    ladder = channel.thresholds
    if channel.buys_wholesale and ladder is not None:
        kinds.append((PayoutKind.REBATE, f"{channel.name}'s volume rebate"))
    elif not channel.buys_wholesale and (ladder is not None or channel.commission or any(
            t.commission for t in channel.tiers)):
        kinds.append((PayoutKind.COMMISSION, f"{channel.name}'s commission"))
    if not channel.buys_wholesale and ladder is not None and ladder.semantics == "retroactive":
        kinds.append((PayoutKind.TRUE_UP, f"{channel.name}'s retroactive true-up"))
    funded = [t for t in channel.tiers if t.mdf is not None and
              (t.mdf.amount if isinstance(t.mdf, m.MoneyValue) else t.mdf) > 0]
    if funded:
        kinds.append((PayoutKind.MDF, f"{channel.name} {funded[0].name}'s MDF"))
    return kinds
