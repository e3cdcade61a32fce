"""The deal economics engine: what a program pays on a deal, contract year by contract year.

Rounding points (the only places amounts are rounded, with the program's `rounding` mode to
its currency's minor units): the software list and customer software amounts of a year, the
wholesale price, each payout, COGS, and the parts of a split (which add up exactly).
"""
from __future__ import annotations

import datetime as _dt
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import NamedTuple

from charter import model as m
from charter.economics.kinds import AmountIs, BaseOf, PayoutKind, ReasonCode, Settlement, Timing
from charter.economics.money import (RATIO_QUANTUM, ZERO, Rounding, decimal_context,
                                     ratio)
from charter.economics.payment import Due, due
from charter.economics.plan import Plan, Reason, Role, build_plan, plan_key
from charter.economics.request import DealRequest
from charter.economics.spiffs import misses, spiff_named, unquotable, year_one_value
from charter.economics.thresholds import Ladder, Slice, earn, place_of, same_period
from charter.numbers import pct

RATIO_ZERO = ZERO.quantize(RATIO_QUANTUM)  # what `ratio` gives for a zero denominator
WM, COMMISSION = PayoutKind.WHOLESALE_MARGIN, PayoutKind.COMMISSION


class Payout(NamedTuple):
    """One payout line: money the program pays, leaves or accrues to one party in one year."""

    party: str
    kind: PayoutKind
    amount: Decimal
    rate: Decimal
    base: Decimal
    why: str
    base_of: BaseOf = BaseOf.SOFTWARE
    timing: Timing = Timing.RECURRING
    amount_is: AmountIs = AmountIs.RATE_X_BASE
    partner: str | None = None
    slices: tuple[Slice, ...] = ()

    @property
    def settlement(self) -> Settlement:
        """Who moves the money (a property of the kind)."""
        return self.kind.settlement


class Credit(NamedTuple):
    """Credit for a deal, kept apart from payouts (reporting and tier qualification): a
    party's part of a split (``role`` "split": of the payout pool for a cash split, of the
    revenue for a credit-only one), or the program's `sourced_credit` / `influenced_credit`
    share of the year's revenue basis."""

    party: str
    share: Decimal
    amount: Decimal
    role: str = "split"


class LadderUse(NamedTuple):
    """How a threshold ladder applied to the deal: the volume before it and after it."""

    party: str
    partner: str | None
    ladder: Ladder
    kind: PayoutKind          # what it pays: commission, or a reseller's rebate
    stated: Decimal | None    # the cumulative the request stated
    reset: bool               # the stated cumulative was from an earlier period
    before: Decimal           # the period's volume before this deal, after any reset
    after: Decimal            # before + this deal's year-1 base (one deal, on a count
    #                           ladder): what the next deal carries
    bracket: Slice


class YearQuote(NamedTuple):
    """One contract year of a quote."""

    year: int
    start: _dt.date | None
    end: _dt.date | None
    software_list: Decimal
    software: Decimal
    services: Decimal
    customer_pays: Decimal
    wholesale_price: Decimal | None
    vendor_basis: Decimal
    vendor_receives: Decimal
    vendor_cogs: Decimal
    vendor_net: Decimal
    vendor_net_margin: Decimal
    combined_rate: Decimal
    payouts: tuple[Payout, ...]
    credit: tuple[Credit, ...]
    uncounted: Decimal = ZERO   # accruals (MDF) the program keeps off its margin floor

    def amount(self, party: str, *kinds: str) -> Decimal:
        """Total paid to ``party`` in this year over payout ``kinds``."""
        return sum((p.amount for p in self.payouts if p.party == party and p.kind in kinds), ZERO)

    def gross(self, party: str) -> Decimal:
        """What ``party`` earns in this year, over the kinds that count in a partner's gross."""
        return sum((p.amount for p in self.payouts
                    if p.party == party and p.kind.in_partner_gross), ZERO)


class Quote(NamedTuple):
    """A whole quote: decision, reasons and every contract year."""

    request: DealRequest
    currency: str
    partner: str | None
    services_to: str
    unit_list_price: Decimal
    unit_price: Decimal
    wholesale_unit_price: Decimal | None
    decision: str
    reasons: tuple[Reason, ...]
    years: tuple[YearQuote, ...]
    notes: tuple[str, ...]
    ladders: tuple[LadderUse, ...] = ()
    start: _dt.date | None = None
    end: _dt.date | None = None
    terms: m.PaymentTerms | None = None   # the program's payment terms: when lines fall due

    @property
    def payable(self) -> bool:
        """Whether anything in this quote may be paid: a walked deal pays nothing."""
        return self.decision == "accept"

    def due(self, line: Payout, year: YearQuote) -> Due:
        """When ``line`` of contract ``year`` falls due under the program's payment terms."""
        term = self.terms.term(line.kind) if self.terms is not None else None
        return due(term, line.kind, year.start)


class Quoter:
    """Quotes deals against one compiled program; plans are cached per product and route."""

    def __init__(self, program: m.Program):
        self.program = program
        header = program.header
        self.rounding = Rounding(header.rounding, header.minor_units)
        econ = program.economics
        self.cogs = econ.cogs if econ else ZERO
        self.floor = econ.margin_floor if econ else None
        self.mdf_counts = econ.mdf_counts_against_margin if econ else False
        self.influenced_rate = program.attribution.influenced_rate if program.attribution else None
        self.currency = header.currency
        self._plans: dict[tuple, Plan] = {}
        self._wholesale_units: dict[int, Decimal | None] = {}

    def plan(self, request: DealRequest) -> Plan:
        """The cached size-independent plan of ``request``."""
        key = plan_key(request)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = build_plan(self.program, request)
        return plan

    def quote(self, request: DealRequest) -> Quote:
        """Quote a validated request (see `charter.economics.request.read_request`)."""
        with localcontext(decimal_context()):
            plan = self.plan(request)
            notes: list[str] = []
            before = {role.channel: self._cumulative(role, request, notes)
                      for role in plan.roles if role.ladder is not None}
            unit_price = request.unit_price if request.unit_price is not None else plan.unit_list
            start = request.start or request.close_date
            years = self._years(plan, request, unit_price, before, start)
            reasons = plan.reasons + self._reasons(plan, request, unit_price, years)
            notes += _unpaid_conditions(plan, request)
            return Quote(request, self.currency,
                         plan.closer.channel if plan.closer else None, plan.services_to,
                         plan.unit_list, unit_price, self._wholesale_unit(plan),
                         "walk" if reasons else "accept", reasons, years, tuple(notes),
                         self._ladder_uses(plan, request, before, years[0]), start,
                         years[-1].end, self.program.payment_terms)

    def _years(self, plan: Plan, request: DealRequest, unit_price: Decimal,
               before: dict[str, Decimal], start: _dt.date | None) -> tuple[YearQuote, ...]:
        years: list[YearQuote] = []
        for y in range(1, request.years + 1):
            dates = _year_dates(start, y)
            if y >= 3 and plan.repeats[y - 1]:  # same rates, same services: same year again
                years.append(years[-1]._replace(year=y, start=dates[0], end=dates[1]))
            else:
                years.append(self._year(plan, request, y, unit_price, before, dates))
        return tuple(years)

    def _wholesale_unit(self, plan: Plan) -> Decimal | None:
        key = id(plan)  # plans live as long as the quoter, so their ids are stable keys
        if key not in self._wholesale_units:
            closer = plan.closer
            self._wholesale_units[key] = None if closer is None or not closer.collects \
                else plan.unit_list - self.rounding.money(plan.unit_list * closer.rates[0])
        return self._wholesale_units[key]

    def _cumulative(self, role: Role, request: DealRequest, notes: list[str]) -> Decimal:
        """The volume before the deal in the ladder's period (a stale period resets to 0)."""
        stated = request.cumulative_for(role.channel)
        if stated is None:
            return ZERO
        if _stale(role, stated, request):
            notes.append(f"{role.channel}'s cumulative volume (as of {stated.as_of}) is from an"
                         f" earlier {role.ladder.reset} period than the close date"
                         f" {request.close_date}; it resets to 0")
            return ZERO
        return stated.amount

    def _ladder_uses(self, plan: Plan, request: DealRequest, before: dict[str, Decimal],
                     first: YearQuote) -> tuple[LadderUse, ...]:
        uses = []
        for role in plan.roles:
            if role.ladder is None:
                continue
            kind = PayoutKind.REBATE if role.collects else COMMISSION
            basis = first.vendor_basis
            if role.collects:  # a rebate is on the wholesale price, whether it pays or not
                base = basis - self.rounding.money(basis * role.rates[0])
            else:  # the deal's own volume, never a split's pool
                base = basis + (first.services if role.base != "software" else ZERO)
            stated = request.cumulative_for(role.channel)
            start = before[role.channel]
            bracket = earn(role.ladder, base, start).bracket  # the one that set the rate
            uses.append(LadderUse(role.channel, role.partner, role.ladder, kind,
                                  stated.amount if stated else None,
                                  stated is not None and _stale(role, stated, request), start,
                                  place_of(start) if role.ladder.counts else start + base, bracket))
        return tuple(uses)

    def _year(self, plan: Plan, request: DealRequest, year: int, unit_price: Decimal,
              before: dict[str, Decimal], dates: tuple) -> YearQuote:
        money = self.rounding.money
        quantity = request.seats * plan.periods
        software_list = money(plan.unit_list * quantity)
        software = money(unit_price * quantity)
        services = request.services_per_year + (request.services_one_time if year == 1 else ZERO)
        collects = plan.closer is not None and plan.closer.collects
        # The vendor's economics are measured on what it prices: the list price when a reseller
        # sets the customer's price (its markup or discount is its own), else what it bills.
        basis = software_list if collects else software
        spread = software - software_list if collects else ZERO
        payouts: list[Payout] = []
        for role in plan.roles:
            self._role_payouts(role, year, basis, services, collects, spread, before, payouts)
        renewal = plan.closer if plan.closer is not None and plan.closer.renewal else None
        if renewal is not None and year >= 2 and condition_met(request, renewal.condition):
            payouts.append(self._renewal_fee(renewal, basis, services, collects))
        credit: tuple[Credit, ...] = self._credit(plan, request, basis, year)
        if plan.split is not None and plan.closer is not None \
                and plan.split.settles == "cash":
            payouts, split_credit = self._split(plan, payouts, basis, spread)
            credit = split_credit + credit
        if year == 1 and request.influenced and self.influenced_rate is not None:
            payouts += [self._influence(name, basis, collects) for name in request.influenced]
        if year == 1 and request.spiffs and plan.closer is not None:
            payouts += self._spiffs(plan.closer, request, basis, collects)
        return self._totals(plan, year, dates, software_list, software, services, payouts,
                            credit, basis, spread)

    def _influence(self, name: str, basis: Decimal, collects: bool) -> Payout:
        """An influencer's one-time fee (the request checked it has a rate: request.py)."""
        attribution = self.program.attribution
        rate = attribution.influence_rate(self.program.channel(name))
        why = "influenced credit" + (f": {pct(attribution.influenced_rate)} of {name}'s sourced"
                                     f" rate" if attribution.influenced_of_sourced else "")
        return Payout(name, PayoutKind.INFLUENCE, self.rounding.money(basis * rate), rate, basis,
                      why, _basis_of(collects), Timing.ONE_TIME)

    def _renewal_fee(self, role: Role, basis: Decimal, services: Decimal,
                     collects: bool) -> Payout:
        """The partner of record's conditional renewal fee in a year from 2 on, on its
        commission base (the request stated the condition)."""
        with_services = role.base != "software"
        base = basis + services if with_services else basis
        return Payout(role.channel, PayoutKind.RENEWAL_FEE, self.rounding.money(base * role.renewal),
                      role.renewal, base, f"renewal fee when {role.condition}",
                      BaseOf.SOFTWARE_AND_SERVICES if with_services else _basis_of(collects),
                      Timing.RECURRING, partner=role.partner)

    def _spiffs(self, closer: Role, request: DealRequest, basis: Decimal,
                collects: bool) -> list[Payout]:
        """A line per claimed SPIFF the deal qualifies for (the request reader warned about
        the others): its fixed amount, or its rate × the basis, once."""
        program, lines = self.program, []
        value = year_one_value(program, request.product, request.seats, request.unit_price)
        for name in dict.fromkeys(request.spiffs):
            spiff = spiff_named(program, name)
            if spiff is None or unquotable(spiff) or misses(
                    spiff, program, request.product, closer.channel, value, request.close_date):
                continue
            why = f"SPIFF {name}, {spiff.starts} .. {spiff.ends or 'open'}"
            if isinstance(spiff.reward, m.MoneyValue):
                amount = self.rounding.money(spiff.reward.amount)
                lines.append(Payout(closer.channel, PayoutKind.SPIFF, amount, Decimal(1), amount,
                                    why, BaseOf.FIXED_AMOUNT, Timing.ONE_TIME, AmountIs.FIXED,
                                    closer.partner))
            else:
                lines.append(Payout(closer.channel, PayoutKind.SPIFF,
                                    self.rounding.money(basis * spiff.reward), spiff.reward, basis,
                                    why, _basis_of(collects), Timing.ONE_TIME,
                                    partner=closer.partner))
        return lines

    def _role_payouts(self, role: Role, year: int, basis: Decimal, services: Decimal,
                      collects: bool, spread: Decimal, before: dict[str, Decimal],
                      out: list[Payout]) -> None:
        """Append ``role``'s payouts for ``year`` to ``out`` (``basis``: the software revenue
        the vendor measures on; ``collects``: a reseller closes, so that is the list price)."""
        money = self.rounding.money
        rate = role.rates[year - 1]
        if role.collects:
            margin = money(basis * rate)
            out.append(Payout(role.channel, WM, margin + spread, rate, basis, role.why,
                              BaseOf.SOFTWARE_LIST, role.timing,
                              AmountIs.SPREAD if spread else AmountIs.RATE_X_BASE, role.partner))
            if role.rebate is not None:
                self._ladder_payouts(role, year, basis - margin, BaseOf.WHOLESALE_PRICE,
                                     before, out)
        else:
            with_services = role.base != "software"
            base = basis + services if with_services else basis
            base_of = BaseOf.SOFTWARE_AND_SERVICES if with_services else _basis_of(collects)
            if rate is None:
                self._ladder_payouts(role, year, base, base_of, before, out)
            elif rate:  # a zero rate owes nothing (a one-time fee after year 1): no payout line
                out.append(Payout(role.channel, COMMISSION, money(base * rate), rate, base,
                                  role.why, base_of, role.timing, partner=role.partner))
        if role.fund:  # a fixed fund: the year's whole fund (rate 1 × the fund), capped
            out.append(Payout(role.channel, PayoutKind.MDF, role.fund, Decimal(1), role.fund,
                              role.fund_why, BaseOf.MDF_FUND, partner=role.partner))
        elif role.mdf:
            out.append(Payout(role.channel, PayoutKind.MDF, money(basis * role.mdf), role.mdf,
                              basis, "MDF accrual on the deal's software revenue",
                              _basis_of(collects),
                              partner=role.partner))

    def _ladder_payouts(self, role: Role, year: int, base: Decimal, base_of: BaseOf,
                        before: dict[str, Decimal], out: list[Payout]) -> None:
        """The ladder's line (a commission, or a reseller's rebate) and any true-up."""
        money = self.rounding.money
        start = before.get(role.channel, ZERO)
        earned = earn(role.ladder, base, start)
        kind = PayoutKind.REBATE if role.collects else COMMISSION
        if earned.amount or kind is COMMISSION:
            out.append(Payout(role.channel, kind, money(earned.amount), earned.rate, base,
                              earned.why, base_of, role.timing,
                              AmountIs.SLICES if earned.slices else AmountIs.RATE_X_BASE,
                              role.partner, earned.slices))
        if earned.true_up and year == 1:
            out.append(Payout(role.channel, PayoutKind.TRUE_UP, money(earned.true_up),
                              earned.bracket.rate - role.ladder.rate_at(start), start,
                              earned.why, BaseOf.EARLIER_VOLUME, Timing.ONE_TIME,
                              partner=role.partner))

    def _split(self, plan: Plan, payouts: list[Payout], basis: Decimal,
               spread: Decimal) -> tuple[list[Payout], tuple[Credit, ...]]:
        """Divide the partner of record's payout (or the revenue, if it has none) by the split."""
        closer = plan.closer
        main = [p for p in payouts if p.party == closer.channel and p.kind in (WM, COMMISSION)]
        # a channel that pays nothing of its own (co-sell) splits the revenue; one that does
        # splits what the program grants it, which may be zero in a year (a one-time fee)
        pool = sum((p.amount for p in main), -spread) if closer.pays else basis
        shares = plan.split.shares
        total_share = sum((share for _n, share, _s in shares), ZERO)
        parts = self.rounding.allocate(self.rounding.money(pool * total_share),
                                       [share / total_share for _n, share, _s in shares])
        credit = tuple(Credit(closer.channel if name == "partner" else name, share, part)
                       for (name, share, _s), part in zip(shares, parts))
        kept = [p for p in payouts if all(p is not q for q in main)]
        for c in credit:
            if c.party in ("direct", "vendor"):
                continue  # the vendor's own part: credit, not a payout
            kept.append(self._split_line(plan, c, pool, spread, main))
        return kept, credit

    def _credit(self, plan: Plan, request: DealRequest, basis: Decimal,
                year: int) -> tuple[Credit, ...]:
        """Credit that pays nothing: a credit-only split's parts, else the partner of record's
        `sourced_credit`; and in year 1 (as the influence fee) each influencer's
        `influenced_credit` (shares of the year's revenue basis). A cash split's parts are
        added by `_split`."""
        attribution, closer = self.program.attribution, plan.closer
        if attribution is None or closer is None:
            return ()
        out: list[Credit] = []
        split = plan.split
        if split is not None and split.settles == "credit":
            out += [Credit(closer.channel if name == "partner" else name, share,
                           self.rounding.money(basis * share)) for name, share, _s in split.shares]
        elif split is None and attribution.sourced_credit is not None:
            share = attribution.sourced_credit
            out.append(Credit(closer.channel, share, self.rounding.money(basis * share),
                              "sourced"))
        if attribution.influenced_credit is not None and year == 1:
            share = attribution.influenced_credit
            out += [Credit(name, share, self.rounding.money(basis * share), "influenced")
                    for name in request.influenced]
        return tuple(out)

    def _split_line(self, plan: Plan, part: Credit, pool: Decimal, spread: Decimal,
                    main: list[Payout]) -> Payout:
        closer = plan.closer
        why = f"split {plan.split.name}: {pct(part.share)} of {pool:f}"
        timing = main[0].timing if main else Timing.RECURRING
        if part.party != closer.channel:
            return Payout(part.party, PayoutKind.SPLIT, part.amount, part.share, pool, why,
                          BaseOf.SPLIT_POOL, timing, AmountIs.ALLOCATED)
        kind = WM if closer.collects else COMMISSION
        extra = spread if closer.collects else ZERO  # the reseller's own markup stays its own
        return Payout(part.party, kind, part.amount + extra, part.share, pool, why,
                      BaseOf.SPLIT_POOL, timing,
                      AmountIs.SPREAD if extra else AmountIs.ALLOCATED, closer.partner)

    def _totals(self, plan: Plan, year: int, dates: tuple, software_list: Decimal,
                software: Decimal, services: Decimal, payouts: list[Payout],
                credit: tuple[Credit, ...], basis: Decimal, spread: Decimal) -> YearQuote:
        collects = plan.closer is not None and plan.closer.collects
        retained = paid = combined = uncounted = ZERO
        for p in payouts:  # one pass: this runs for every year of every quote
            kind = p.kind
            settlement = kind.settlement
            if settlement is Settlement.PARTNER_RETAINS:
                retained += p.amount
            elif settlement is Settlement.VENDOR_PAYS or self.mdf_counts:
                paid += p.amount
            else:
                uncounted += p.amount
            if kind.in_combined_rate:
                combined += p.amount
        if collects:  # the reseller's markup (or discount) is not the program's money
            retained -= spread
            combined -= spread
        vendor_software = basis - retained
        cogs = self.rounding.money(basis * self.cogs)
        net = vendor_software - cogs - paid
        if basis:
            margin = (net / basis).quantize(RATIO_QUANTUM, ROUND_HALF_EVEN)
            combined_rate = (combined / basis).quantize(RATIO_QUANTUM, ROUND_HALF_EVEN)
        else:
            margin = combined_rate = RATIO_ZERO
        return YearQuote(
            year, dates[0], dates[1], software_list, software, services, software + services,
            vendor_software if collects else None, basis,
            vendor_software + (services if plan.services_to == "vendor" else ZERO), cogs, net,
            margin, combined_rate, tuple(payouts), credit, uncounted)

    def _reasons(self, plan: Plan, request: DealRequest, unit_price: Decimal,
                 years: tuple[YearQuote, ...]) -> tuple[Reason, ...]:
        reasons = []
        if plan.msrp_floor is not None and unit_price < plan.msrp_floor \
                and not request.price_approved:
            reasons.append(Reason(ReasonCode.BELOW_MSRP,
                                  f"unit price {self.currency} {unit_price:f} is below the MSRP"
                                  f" floor {self.currency} {plan.msrp_floor:f} without"
                                  " partner-program approval"))
        reasons += self._below_wholesale(years)
        if plan.certification and not request.certified:
            reasons.append(Reason(ReasonCode.NOT_CERTIFIED,
                                  f"{plan.closer.channel} requires certification"
                                  f" ({', '.join(plan.certification)}) before wholesale access"))
        if plan.cap is not None:
            reasons += _cap_reason(plan, years)
        if self.floor is not None:
            reasons += self._floor_reason(years)
        else:  # no floor stated (no `internal economics`): a deal still never loses money
            reasons += self._loses_money(years, floored=False)
        return tuple(reasons)

    def _below_wholesale(self, years: tuple[YearQuote, ...]) -> list[Reason]:
        year = next((y for y in years if y.wholesale_price is not None
                     and y.software < y.wholesale_price), None)
        if year is None:
            return []
        return [Reason(ReasonCode.BELOW_WHOLESALE,
                       f"in year {year.year} the customer pays {self.currency}"
                       f" {year.software:f} for software, below the wholesale price"
                       f" {self.currency} {year.wholesale_price:f}: the partner would lose"
                       f" {self.currency} {year.wholesale_price - year.software:f}")]

    def _floor_reason(self, years: tuple[YearQuote, ...]) -> list[Reason]:
        return self._below_floor(years) or self._loses_money(years)

    def _loses_money(self, years: tuple[YearQuote, ...], floored: bool = True) -> list[Reason]:
        """A program may keep MDF off its margin floor (`mdf_counts_against_margin: no`), or
        state no floor at all (``floored`` False), but never the line below which a deal
        loses money: every payout, MDF included, must leave the vendor a net of at least
        zero."""
        for year in years:
            if (year.uncounted or not floored) and year.vendor_net - year.uncounted < 0:
                terms = " − ".join(f"{_pct(granted(p, year), year.vendor_basis)} {p.party} {p.kind}"
                                   for p in year.payouts)
                why = ("MDF is kept off the margin floor, not off zero" if floored else
                       "the program states no margin floor, but no deal may pay out more than"
                       " the vendor receives")
                return [Reason(ReasonCode.MARGIN_FLOOR,
                               f"the vendor loses money in year {year.year}"
                               + (" once MDF is paid:" if floored else ":") +
                               f" net {_pct(year.vendor_net - year.uncounted, year.vendor_basis)}"
                               f" = 100% − {_pct(self.cogs, Decimal(1))} COGS − {terms} ({why})")]
        return []

    def _below_floor(self, years: tuple[YearQuote, ...]) -> list[Reason]:
        worst = years[0]
        for year in years:
            if year.vendor_net_margin < worst.vendor_net_margin:
                worst = year
        if worst.vendor_net_margin >= self.floor:
            return []
        terms = " − ".join(f"{_pct(granted(p, worst), worst.vendor_basis)} {p.party} {p.kind}"
                           for p in worst.payouts if p.kind.settlement is not Settlement.ACCRUAL
                           or self.mdf_counts)
        return [Reason(ReasonCode.MARGIN_FLOOR,
                       f"vendor net margin {_pct(worst.vendor_net, worst.vendor_basis)} in year"
                       f" {worst.year} is below the {_pct(self.floor, Decimal(1))} floor: 100% −"
                       f" {_pct(self.cogs, Decimal(1))} COGS" + (f" − {terms}" if terms else ""))]


def condition_met(request: DealRequest, condition: str | None) -> bool:
    """Whether the deal meets a payout's condition: the request field of that name
    (`renewal_influenced`) is true."""
    return condition is not None and bool(getattr(request, condition, False))


def _unpaid_conditions(plan: Plan, request: DealRequest) -> list[str]:
    """The note that names a conditional payout the deal does not earn: never silence."""
    closer = plan.closer
    if closer is None or closer.renewal is None or request.years < 2 \
            or condition_met(request, closer.condition):
        return []
    return [f"{closer.channel}'s renewal fee ({pct(closer.renewal)} from year 2, when"
            f" {closer.condition}) is not paid: the request does not state"
            f" `{closer.condition}: true`"]


def granted(payout: Payout, year: YearQuote) -> Decimal:
    """What the program grants on a line: a reseller's markup over list is not included
    (the part of a payout that counts in the combined rate and against the vendor)."""
    if payout.kind is WM and year.wholesale_price is not None:
        return payout.amount - (year.software - year.software_list)
    return payout.amount


def _basis_of(on_list: bool) -> BaseOf:
    return BaseOf.SOFTWARE_LIST if on_list else BaseOf.SOFTWARE


def _stale(role: Role, stated, request: DealRequest) -> bool:
    close = request.close_date
    return bool(stated.as_of and close and not same_period(role.ladder.reset, stated.as_of, close))


def _year_dates(start: _dt.date | None, year: int) -> tuple[_dt.date | None, _dt.date | None]:
    """Contract year ``year``'s first and last day, from the contract start."""
    if start is None:
        return None, None
    return _add_years(start, year - 1), _add_years(start, year) - _dt.timedelta(days=1)


def _add_years(day: _dt.date, years: int) -> _dt.date:
    """The anniversary ``years`` later; 29 February's is 1 March in a common year, so a year
    ends the day before the next anniversary (2028-02-29 .. 2029-02-28)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return _dt.date(day.year + years, 3, 1)


def _cap_reason(plan: Plan, years: tuple[YearQuote, ...]) -> list[Reason]:
    cap, cap_year, name = plan.cap
    if cap_year > len(years):
        return []
    year = years[cap_year - 1]
    if year.combined_rate <= cap:
        return []
    parts = " + ".join(f"{_pct(granted(p, year), year.vendor_basis)} {p.party}"
                       for p in year.payouts if p.kind.in_combined_rate)
    return [Reason(ReasonCode.COMBINED_CAP, f"combined year-{cap_year} payout"
                                   f" {_pct(year.combined_rate, Decimal(1))} ({parts}) exceeds the"
                                   f" {_pct(cap, Decimal(1))} cap of handover {name}")]


def _pct(amount: Decimal, of: Decimal) -> str:
    """``amount / of`` as a percentage with up to two decimals: `57%`, `12.5%`."""
    value = ratio(amount, of) * 100
    return f"{value.quantize(Decimal('0.01')).normalize():f}%"
