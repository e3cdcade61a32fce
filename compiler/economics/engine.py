"""The deal economics engine: what a program pays on a deal, contract year by contract year.

Rounding points (the only places amounts are rounded, with the program's `rounding` mode to
its currency's minor units): the software list and customer software amounts of a year, the
wholesale price, each payout, COGS, and the parts of a split (which add up exactly).
"""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import NamedTuple

from charter import model as m
from charter.economics.money import (RATIO_QUANTUM, ZERO, Rounding, decimal_context,
                                     ratio)
from charter.economics.plan import Plan, Reason, Role, build_plan, plan_key
from charter.economics.request import DealRequest
from charter.economics.thresholds import earn, same_period

PARTNER_COLLECTS = "wholesale_margin"
RATIO_ZERO = ZERO.quantize(RATIO_QUANTUM)  # what `ratio` gives for a zero denominator


class Payout(NamedTuple):
    """Money the program pays (or leaves) to one party in one year."""

    party: str
    kind: str          # wholesale_margin | commission | true_up | mdf | split | influence
    amount: Decimal
    rate: Decimal
    base: Decimal
    why: str


class Credit(NamedTuple):
    """One party's part of a split deal."""

    party: str
    share: Decimal
    amount: Decimal


class YearQuote(NamedTuple):
    """One contract year of a quote."""

    year: int
    software_list: Decimal
    software: Decimal
    services: Decimal
    customer_pays: Decimal
    wholesale_price: Decimal | None
    vendor_receives: Decimal
    vendor_cogs: Decimal
    vendor_net: Decimal
    vendor_net_margin: Decimal
    combined_rate: Decimal
    payouts: tuple[Payout, ...]
    credit: tuple[Credit, ...]

    def amount(self, party: str, *kinds: str) -> Decimal:
        """Total paid to ``party`` in this year over payout ``kinds``."""
        return sum((p.amount for p in self.payouts if p.party == party and p.kind in kinds), ZERO)


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
            cumulative = {role.channel: self._cumulative(role, request, notes)
                          for role in plan.roles if role.ladder is not None}
            unit_price = request.unit_price if request.unit_price is not None else plan.unit_list
            years = self._years(plan, request, unit_price, cumulative)
            reasons = plan.reasons + self._reasons(plan, request, unit_price, years)
            return Quote(request, self.currency,
                         plan.closer.channel if plan.closer else None, plan.services_to,
                         plan.unit_list, unit_price, self._wholesale_unit(plan),
                         "walk" if reasons else "accept", reasons, years, tuple(notes))

    def _years(self, plan: Plan, request: DealRequest, unit_price: Decimal,
               cumulative: dict[str, Decimal]) -> tuple[YearQuote, ...]:
        years: list[YearQuote] = []
        for y in range(1, request.years + 1):
            if y >= 3 and plan.repeats[y - 1]:  # same rates, same services: same year again
                years.append(years[-1]._replace(year=y))
            else:
                years.append(self._year(plan, request, y, unit_price, cumulative))
        return tuple(years)

    def _wholesale_unit(self, plan: Plan) -> Decimal | None:
        key = id(plan)  # plans live as long as the quoter, so their ids are stable keys
        if key not in self._wholesale_units:
            closer = plan.closer
            self._wholesale_units[key] = None if closer is None or closer.kind != PARTNER_COLLECTS \
                else self.rounding.money(plan.unit_list * (1 - closer.rates[0]))
        return self._wholesale_units[key]

    def _cumulative(self, role: Role, request: DealRequest, notes: list[str]) -> Decimal:
        stated = request.cumulative_for(role.channel)
        if stated is None:
            return ZERO
        close = request.close_date
        if stated.as_of and close and not same_period(role.ladder.reset, stated.as_of, close):
            notes.append(f"{role.channel}'s cumulative volume (as of {stated.as_of}) is from an"
                         f" earlier {role.ladder.reset} period than the close date {close};"
                         " it resets to 0")
            return ZERO
        return stated.amount

    def _year(self, plan: Plan, request: DealRequest, year: int, unit_price: Decimal,
              cumulative: dict[str, Decimal]) -> YearQuote:
        money = self.rounding.money
        quantity = request.seats * plan.periods
        software_list = money(plan.unit_list * quantity)
        software = money(unit_price * quantity)
        services = request.services_per_year + (request.services_one_time if year == 1 else ZERO)
        payouts: list[Payout] = []
        for role in plan.roles:
            base = software if role.base == "software" else software + services
            self._role_payouts(role, year, base, software_list, software, cumulative, payouts)
        credit: tuple[Credit, ...] = ()
        if plan.split is not None and plan.closer is not None:
            payouts, credit = self._split(plan, payouts, software)
        if year == 1 and request.influenced and self.influenced_rate is not None:
            payouts += [Payout(name, "influence", money(software * self.influenced_rate),
                               self.influenced_rate, software, "influenced credit")
                        for name in request.influenced]
        return self._totals(plan, year, software_list, software, services, payouts, credit)

    def _role_payouts(self, role: Role, year: int, base: Decimal, software_list: Decimal,
                      software: Decimal, cumulative: dict[str, Decimal],
                      out: list[Payout]) -> None:
        """Append ``role``'s payouts for ``year`` to ``out``."""
        money = self.rounding.money
        rate = role.rates[year - 1]
        if role.kind == PARTNER_COLLECTS:
            wholesale = money(software_list * (1 - rate))
            out.append(Payout(role.channel, role.kind, software - wholesale, rate, software_list,
                              role.why))
        elif rate is None:
            before = cumulative.get(role.channel, ZERO)
            earned = earn(role.ladder, base, before)
            out.append(Payout(role.channel, "commission", money(earned.amount), earned.rate, base,
                              earned.why))
            if earned.true_up and year == 1:
                out.append(Payout(role.channel, "true_up", money(earned.true_up), earned.rate,
                                  before, earned.why))
        elif rate:  # a zero rate owes nothing (a one-time fee after year 1): no payout line
            out.append(Payout(role.channel, role.kind, money(base * rate), rate, base, role.why))
        if role.mdf:
            out.append(Payout(role.channel, "mdf", money(software * role.mdf), role.mdf, software,
                              "MDF accrual on customer-paid software"))

    def _split(self, plan: Plan, payouts: list[Payout],
               software: Decimal) -> tuple[list[Payout], tuple[Credit, ...]]:
        """Divide the partner of record's payout (or the revenue, if it has none) by the split."""
        closer = plan.closer.channel
        main = [p for p in payouts if p.party == closer and p.kind in ("wholesale_margin",
                                                                       "commission")]
        # a channel that pays nothing of its own (co-sell) splits the revenue; one that does
        # splits its payout, which may be zero in a year (a one-time fee after year 1)
        pool = sum((p.amount for p in main), ZERO) if plan.closer.pays else software
        shares = plan.split.shares
        total_share = sum((share for _n, share, _s in shares), ZERO)
        parts = self.rounding.allocate(self.rounding.money(pool * total_share),
                                       [share / total_share for _n, share, _s in shares])
        credit = tuple(Credit(closer if name == "partner" else name, share, part)
                       for (name, share, _s), part in zip(shares, parts))
        kept = [p for p in payouts if all(p is not q for q in main)]
        kept += [Payout(c.party, "split", c.amount, c.share, pool, f"split {plan.split.name}")
                 for c in credit if c.party not in ("direct", "vendor")]
        return kept, credit

    def _totals(self, plan: Plan, year: int, software_list: Decimal, software: Decimal,
                services: Decimal, payouts: list[Payout], credit: tuple[Credit, ...]) -> YearQuote:
        collects = plan.closer is not None and plan.closer.kind == PARTNER_COLLECTS
        closer = plan.closer.channel if plan.closer else None
        kept = paid = route_paid = ZERO
        for p in payouts:  # one pass: this runs for every year of every quote
            kind = p.kind
            if kind != "mdf" and kind != "influence":
                route_paid += p.amount
            if collects and p.party == closer and (kind == PARTNER_COLLECTS or kind == "split"):
                kept += p.amount  # the partner keeps it out of what the customer pays
            elif kind != "mdf" or self.mdf_counts:
                paid += p.amount
        vendor_software = software - kept
        cogs = self.rounding.money(software * self.cogs)
        net = vendor_software - cogs - paid
        if software:
            margin = (net / software).quantize(RATIO_QUANTUM, ROUND_HALF_EVEN)
            combined = (route_paid / software).quantize(RATIO_QUANTUM, ROUND_HALF_EVEN)
        else:
            margin = combined = RATIO_ZERO
        return YearQuote(
            year, software_list, software, services, software + services,
            vendor_software if collects else None,
            vendor_software + (services if plan.services_to == "vendor" else ZERO), cogs, net,
            margin, combined, tuple(payouts), credit)

    def _reasons(self, plan: Plan, request: DealRequest, unit_price: Decimal,
                 years: tuple[YearQuote, ...]) -> tuple[Reason, ...]:
        reasons = []
        if plan.msrp_floor is not None and unit_price < plan.msrp_floor \
                and not request.price_approved:
            reasons.append(Reason("below_msrp", f"unit price {self.currency} {unit_price:f} is"
                                                f" below the MSRP floor {self.currency}"
                                                f" {plan.msrp_floor:f} without partner-program"
                                                " approval"))
        if plan.certification and not request.certified:
            reasons.append(Reason("not_certified", f"{plan.closer.channel} requires certification"
                                                   f" ({', '.join(plan.certification)}) before"
                                                   " wholesale access"))
        if plan.cap is not None:
            reasons += _cap_reason(plan, years)
        if self.floor is not None:
            reasons += self._floor_reason(years)
        return tuple(reasons)

    def _floor_reason(self, years: tuple[YearQuote, ...]) -> list[Reason]:
        worst = years[0]
        for year in years:
            if year.vendor_net_margin < worst.vendor_net_margin:
                worst = year
        if worst.vendor_net_margin >= self.floor:
            return []
        terms = " − ".join(f"{_pct(p.amount, worst.software)} {p.party} {p.kind}"
                           for p in worst.payouts if p.kind != "mdf" or self.mdf_counts)
        return [Reason("margin_floor",
                       f"vendor net margin {_pct(worst.vendor_net, worst.software)} in year"
                       f" {worst.year} is below the {_pct(self.floor, Decimal(1))} floor: 100% −"
                       f" {_pct(self.cogs, Decimal(1))} COGS" + (f" − {terms}" if terms else ""))]


def _cap_reason(plan: Plan, years: tuple[YearQuote, ...]) -> list[Reason]:
    cap, cap_year, name = plan.cap
    if cap_year > len(years):
        return []
    year = years[cap_year - 1]
    if year.combined_rate <= cap:
        return []
    parts = " + ".join(f"{_pct(p.amount, year.software)} {p.party}" for p in year.payouts
                       if p.kind not in ("mdf", "influence"))
    return [Reason("combined_cap", f"combined year-{cap_year} payout"
                                   f" {_pct(year.combined_rate, Decimal(1))} ({parts}) exceeds the"
                                   f" {_pct(cap, Decimal(1))} cap of handover {name}")]


def _pct(amount: Decimal, of: Decimal) -> str:
    """``amount / of`` as a percentage with up to two decimals: `57%`, `12.5%`."""
    value = ratio(amount, of) * 100
    return f"{value.quantize(Decimal('0.01')).normalize():f}%"
