"""Per-program quoting tables, computed once per (product, route) and reused for every deal.

A `Plan` holds everything about a deal that does not depend on its size: the product's
annual unit price, who sits on the route in which role, each role's rate in every contract
year, the handover rules crossed and the reasons a route walks whatever its size.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from charter import model as m
from charter.nodes import node
from charter.units import PERIODS_PER_YEAR
from charter.economics.kinds import PayoutKind, ReasonCode, Timing
from charter.economics.money import Rounding
from charter.economics.request import (MAX_YEARS, DealRequest, Step, registered_bonus,
                                       split_named, unregistered_rule)
from charter.numbers import pct
from charter.economics.negotiation import negotiated_why
from charter.economics.thresholds import Ladder

ZERO = Decimal(0)


@node
class Role:
    """A channel on the route: introducer or partner of record, with its yearly rates."""

    channel: str
    tier: str | None
    kind: PayoutKind                     # WHOLESALE_MARGIN | COMMISSION
    rates: tuple[Decimal | None, ...]    # contract year 1..MAX_YEARS; None: set by `ladder`
    base: str                            # software | software_and_services
    mdf: Decimal
    ladder: Ladder | None                # a commission ladder, or a reseller's volume rebate
    why: str
    timing: Timing = Timing.RECURRING
    partner: str | None = None           # the partner company's id from the request
    renewal: Decimal | None = None       # a conditional renewal fee (years 2+), if any
    condition: str | None = None         # the request field that must be true to pay it
    fund: Decimal | None = None          # a tier's fixed MDF fund per contract year, capped
    fund_why: str = ""                   # its arithmetic: `$5,000 per quarter × 4, capped …`

    @property
    def collects(self) -> bool:
        """Whether the channel buys at wholesale and keeps its margin out of the customer price."""
        return self.kind is PayoutKind.WHOLESALE_MARGIN

    @property
    def rebate(self) -> Ladder | None:
        """The volume-rebate ladder of a reselling channel (paid on top of its margin)."""
        return self.ladder if self.collects else None

    @property
    def pays(self) -> bool:
        """Whether the channel pays anything of its own in any year."""
        return self.ladder is not None or any(self.rates)


@node
class Reason:
    """Why a deal walks: a stable code and a one-line message."""

    code: ReasonCode
    message: str


@node
class Plan:
    """The size-independent part of a quote."""

    unit_list: Decimal
    periods: int
    msrp_floor: Decimal | None
    introducers: tuple[Role, ...]
    closer: Role | None
    split: m.Split | None
    services_to: str
    cap: tuple[Decimal, int, str] | None  # (combined cap, year, handover name)
    certification: tuple[str, ...]
    reasons: tuple[Reason, ...]
    roles: tuple[Role, ...] = ()   # introducers first, then the partner of record
    repeats: tuple[bool, ...] = ()  # per year index: every role's rate equals last year's


def build_plan(program: m.Program, request: DealRequest) -> Plan:
    """The plan for ``request``'s product and route (the request is already validated)."""
    product = program.product(request.product)
    rate = product.list_price
    reasons: list[Reason] = []
    route = request.route
    unregistered = None if request.registered else unregistered_rule(program)
    closer = _closer_role(program, route[-1], unregistered,
                          registered_bonus(program) if request.registered else None) \
        if route else None
    if closer is not None and not request.registered and unregistered is None:
        closer = dataclasses.replace(closer, why=closer.why + " (unregistered: the base rate,"
                                     " without the registration bonus)")
    handovers = [_handover(program, a, b, reasons) for a, b in zip(route, route[1:])]
    introducers = tuple(_introducer_role(program, h, step)
                        for h, step in zip(handovers, route) if h is not None)
    cap = _cap(handovers[-1]) if handovers and handovers[-1] is not None else None
    closer_channel = program.channel(route[-1].channel) if route else None
    return Plan(
        unit_list=rate.money.amount, periods=PERIODS_PER_YEAR.get(rate.period, 1),
        msrp_floor=unit_floor(product), introducers=introducers, closer=closer,
        split=split_named(program, request.split), services_to="partner" if closer_channel
        and closer_channel.owner == "partner" else "vendor", cap=cap,
        certification=closer_channel.certification if closer_channel else (),
        reasons=tuple(reasons), roles=_roles(introducers, closer),
        repeats=_repeats(_roles(introducers, closer)))


def _roles(introducers: tuple[Role, ...], closer: Role | None) -> tuple[Role, ...]:
    return introducers + ((closer,) if closer else ())


def _repeats(roles: tuple[Role, ...]) -> tuple[bool, ...]:
    """Whether contract year y pays exactly the rates of year y − 1 (index y − 1)."""
    return (False,) + tuple(all(r.rates[y] == r.rates[y - 1] for r in roles)
                            for y in range(1, MAX_YEARS))


def plan_key(request: DealRequest) -> tuple:
    """What a plan depends on: product, route, registration and split."""
    return (request.product, request.route, request.registered, request.split)


def registered_rates(program: m.Program, step: Step) -> tuple[Decimal, ...]:
    """Every rate a registered deal closed on ``step`` pays its partner of record, the
    registration bonus included: each contract year's, and each bracket of a commission
    ladder (a reseller's volume rebate is not its margin and takes no bonus)."""
    role = _closer_role(program, step, None, registered_bonus(program))
    ladder = role.ladder.rates if role.ladder is not None and not role.collects else ()
    return tuple(r for r in role.rates if r is not None) + ladder


def closer_pays(program: m.Program, step: Step) -> bool:
    """Whether the partner of record earns anything of its own on ``step`` (a co-sell channel
    earns nothing but its part of a split of the revenue)."""
    return _closer_role(program, step, None).pays


def _closer_role(program: m.Program, step: Step, unregistered: Decimal | None,
                 bonus: Decimal | None = None) -> Role:
    channel = program.channel(step.channel)
    tier = channel.tier(step.tier) if step.tier else None
    wholesale = channel.buys_wholesale
    ladder = Ladder.of(channel.thresholds) if channel.thresholds else None
    year1, later = _closer_rates(channel, tier, step, wholesale)
    first = None if ladder and not wholesale else year1
    rates = (first,) + tuple(_or(_later_rate(channel, y, later), first)
                             for y in range(2, MAX_YEARS + 1))
    if unregistered is not None:
        rates, ladder = _unregistered_rates(rates, unregistered), None
    why = f"{channel.name}{' ' + tier.name if tier else ''}" + \
        (" (unregistered: flat rate, never above the registered rate)"
         if unregistered is not None else "") + negotiated_why(step)
    if bonus:
        rates, ladder = _with_bonus(rates, ladder, bonus, wholesale)
        why += f" + {pct(bonus)} registration bonus"
    mdf = tier.mdf if tier is not None and isinstance(tier.mdf, Decimal) else ZERO
    fund, fund_why = mdf_fund(tier, program.header)
    one_time = not wholesale and channel.payment == "one_time"
    return Role(channel.name, step.tier,
                PayoutKind.WHOLESALE_MARGIN if wholesale else PayoutKind.COMMISSION, rates,
                channel.commission_base, mdf, ladder, why,
                Timing.ONE_TIME if one_time else Timing.RECURRING, step.partner,
                channel.renewal_fee, channel.renewal_condition, fund=fund, fund_why=fund_why)


def mdf_fund(tier: m.Tier | None, header: m.Header) -> tuple[Decimal | None, str]:
    """A tier's fixed MDF fund for one contract year and its arithmetic: the amount per
    period × the periods in a year, at most `mdf_cap` (per its period, so a cap per quarter
    is four a year: the fund accrues evenly), rounded as the program pays. The fund is the
    partner's, not the deal's; a quote states all of it, the most the vendor can owe beside
    the deal (the margin-death line judges a deal as if it were the partner's only one)."""
    if tier is None or not tier.mdf_fund or not tier.mdf.amount:
        return None, ""
    periods = PERIODS_PER_YEAR.get(tier.mdf_period, 1)
    fund = tier.mdf.amount * periods
    cur = header.currency
    why = f"MDF fund: {cur} {tier.mdf.amount:,f} per {tier.mdf_period or 'year'} × {periods}"
    if tier.mdf_cap is not None:
        cap = tier.mdf_cap.amount * PERIODS_PER_YEAR.get(tier.mdf_cap_period, 1)
        if cap < fund:
            fund, why = cap, why + f", capped at {cur} {tier.mdf_cap.amount:,f} per" \
                                   f" {tier.mdf_cap_period or 'year'}"
    return Rounding(header.rounding, header.minor_units).money(fund), why


def _with_bonus(rates: tuple[Decimal | None, ...], ladder: Ladder | None, bonus: Decimal,
                wholesale: bool) -> tuple[tuple[Decimal | None, ...], Ladder | None]:
    """A registered deal's rates with the registration bonus on top, in every year the
    channel pays (a one-time fee's later zero years stay zero); on a commission ladder, on
    every bracket. A reseller's volume rebate is not its margin: it keeps its rates."""
    rates = tuple(rate + bonus if rate else rate for rate in rates)
    if ladder is not None and not wholesale:
        ladder = dataclasses.replace(ladder, rates=tuple(r + bonus for r in ladder.rates))
    return rates, ladder


def _unregistered_rates(rates: tuple[Decimal | None, ...],
                        flat: Decimal) -> tuple[Decimal | None, ...]:
    """An unregistered deal earns the flat rate, but never more than a registered deal would
    in the same year (a year-2 step or a one-time fee still applies)."""
    return tuple(flat if rate is None else min(flat, rate) for rate in rates)


def _closer_rates(channel: m.Channel, tier: m.Tier | None, step: Step,
                  wholesale: bool) -> tuple[Decimal, Decimal | None]:
    """Year-1 rate and the year-2+ rate (None: same as year 1). A term the deal negotiated
    (``step.terms``, checked against the range where it is negotiable) replaces the term's
    default, which is what the model's field holds."""
    agreed = dict(step.terms)
    if wholesale:
        if tier is not None and tier.margin is not None:
            first = agreed.get("margin", tier.margin)
        elif step.rate is not None:
            first = step.rate
        else:
            first = agreed.get("discount", channel.discount[0] if channel.discount else ZERO)
        return first, agreed.get("margin_y2", tier.margin_y2 if tier else None)
    first = (tier.commission if tier and tier.commission is not None else channel.commission)
    later = tier.commission_y2 if tier and tier.commission_y2 is not None else channel.commission_y2
    return agreed.get("commission", first) or ZERO, agreed.get("commission_y2", later)


def _or(value: Decimal | None, fallback: Decimal | None) -> Decimal | None:
    return fallback if value is None else value


def _later_rate(channel: m.Channel, year: int, later: Decimal | None) -> Decimal | None:
    """The rate in contract year ``year`` ≥ 2; None means "repeat year 1"."""
    if not channel.buys_wholesale:
        if channel.payment == "one_time":
            return ZERO
        if channel.commission_years is not None and year > channel.commission_years:
            return ZERO
    return later


def _introducer_role(program: m.Program, handover: m.Handover, step: Step) -> Role:
    channel = program.channel(step.channel)
    rate = handover.introducer_rate
    recurring = handover.introducer_payment == "recurring"
    rates = tuple(rate if y == 1 or recurring else ZERO for y in range(1, MAX_YEARS + 1))
    return Role(channel.name, step.tier, PayoutKind.COMMISSION, rates, channel.commission_base,
                ZERO, None, f"handover {handover.source} -> {handover.target}: introducer rate",
                Timing.RECURRING if recurring else Timing.ONE_TIME, step.partner)


def _handover(program: m.Program, source: Step, target: Step,
              reasons: list[Reason]) -> m.Handover | None:
    rule = program.handover(source.channel, target.channel)
    if rule is None:
        reasons.append(Reason(ReasonCode.NO_HANDOVER, f"no handover is declared from {source.channel} to"
                                             f" {target.channel}: single attribution pays one"
                                             " partner per deal"))
    elif rule.allowed_tiers and target.tier not in rule.allowed_tiers:
        reasons.append(Reason(ReasonCode.TIER_NOT_ALLOWED,
                              f"{target.channel} {target.tier} is not allowed on a"
                              f" {source.channel} -> {target.channel} handover (allowed:"
                              f" {', '.join(rule.allowed_tiers)})"))
    return rule


def _cap(handover: m.Handover) -> tuple[Decimal, int, str] | None:
    if handover.combined_cap is None:
        return None
    return (handover.combined_cap, handover.cap_year or 1,
            f"{handover.source} -> {handover.target}")


def unit_floor(product: m.Product) -> Decimal | None:
    """The MSRP floor per unit per list-price period (a floor stated per year is converted);
    None when the product has none."""
    if product.msrp_floor == "list_price":
        return product.list_price.money.amount
    if isinstance(product.msrp_floor, m.Rate):
        floor = product.msrp_floor
        scale = Decimal(PERIODS_PER_YEAR.get(floor.period, 1)) / \
            PERIODS_PER_YEAR.get(product.list_price.period, 1)
        return floor.money.amount * scale
    return None


