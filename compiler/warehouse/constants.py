"""A program's payout constants for the SQL target, asked of the economics engine.

Everything the generated SQL knows about a program comes from here, and everything here comes
from `charter.economics` (`build_plan`'s roles, `Ladder`, the handover rules), never from the
written attributes: the rates a closer earns in each contract year, an introducer's rate, the
brackets of a ladder, the MSRP floor per list period. A rate a deal sets (its own rate on a
discount range, a negotiated term) is mapped to the contract years it sets by probing
`build_plan` with different values. `coverage` lists what the SQL does not implement; the
target refuses such a program (docs/warehouse.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from charter import model as m
from charter.economics.kinds import PayoutKind, Timing
from charter.economics.negotiation import _outside, payout_terms
from charter.economics.payment import Due, due
from charter.economics.plan import Role, build_plan
from charter.economics.request import MAX_YEARS, DealRequest, Step, unregistered_rule
from charter.economics.routes import _chains  # the one walk over handover chains
from charter.economics.thresholds import Ladder

MAX_STEPS = 4          # route columns in the deal table: introducers first, partner of record last
MAX_CLAIMS = 4         # influencer and SPIFF-claim columns in the deal table
MAX_SCALE = 12         # minor units + rate decimals the SQL's fixed-point types carry
RATE_DECIMALS = 8      # a deal's own rate ("45.123456%") has up to 8 decimals as a fraction
AMOUNT_LIMIT = 10 ** 17  # per deal-year amounts the SQL accepts (software, services), exclusive
RATE = "rate"          # a year paid at the deal's own rate (`stepN_rate`: a discount range)
TERMS = m.PERCENT_TERMS  # the negotiated payout terms a deal row carries (`stepN_commission`, ...)


@dataclass(frozen=True)
class Refusal:
    """A construct of the program the SQL target does not implement."""

    construct: str
    message: str
    span: object = None

    def __str__(self) -> str:
        return f"{self.construct}: {self.message}"


@dataclass(frozen=True)
class ProductRow:
    name: str
    unit_list: Decimal
    periods: int
    msrp_floor: Decimal | None   # per list period, rounded up to the minor unit (same verdicts)


@dataclass(frozen=True)
class TermRule:
    """What a deal row may give for a negotiated payout `term` when the channel closes the
    deal at `tier`, in the engine's words (`economics.negotiation`)."""

    tier: str | None
    term: str
    low: Decimal | None       # a value must be in low .. high (None: not negotiable here)
    high: Decimal | None      # (None: an open range)
    outside: str              # the words after "TERM VALUE" when a value is outside the range
    refused: str | None       # why any value is refused (not negotiable; changes nothing)


@dataclass(frozen=True)
class ChannelRow:
    name: str
    internal: bool
    tiers: tuple[str, ...]
    ranged: tuple[Decimal, Decimal] | None   # a discount range (no `negotiable`): `stepN_rate`
    certification: tuple[str, ...]
    ladder: Ladder | None
    terms: tuple[TermRule, ...] = ()         # per tier and payout term, as the partner of record
    discount_terms: bool = False             # negotiates its discount: `stepN_discount`, not rate


@dataclass(frozen=True)
class CloserRow:
    """The partner of record's role on a (channel, tier, registered) step, from `build_plan`."""

    channel: str
    tier: str | None
    registered: bool
    collects: bool                       # buys at wholesale: a margin line (and rebates)
    rates: tuple                         # per contract year: Decimal, or None (the ladder, or
    #                                      a year that follows the deal's required `rate`)
    cap: Decimal | None                  # a followed rate is capped by this (unregistered flat)
    with_services: bool                  # commission base is software and services
    mdf: Decimal
    ladder: bool                         # its ladder applies (not on an unregistered deal)
    timing: Timing
    fund: Decimal | None = None          # a fixed MDF fund per contract year (the engine's)
    # per contract year: what the deal sets it to, `RATE` or a term of `TERMS` (the year pays
    # that value, capped by `cap`; a term the deal leaves empty pays `rates`), or None: fixed
    follows: tuple[str | None, ...] = (None,) * MAX_YEARS
    renewal: Decimal | None = None       # a renewal fee from year 2, when the deal states
    #                                      `renewal_influenced` (the role's only condition)


@dataclass(frozen=True)
class HandoverRow:
    """An introducer's role on a declared handover, from `build_plan`, and the handover rules."""

    source: str
    target: str
    rates: tuple[Decimal, ...]
    with_services: bool
    timing: Timing
    allowed: tuple[str | None, ...]      # target tiers allowed (every tier when not restricted)
    cap: Decimal | None
    cap_year: int


@dataclass(frozen=True)
class InfluenceRow:
    """An influencer's one-time fee rate (`Attribution.influence_rate`; None: no single
    sourced rate, so a deal naming it is refused as the engine refuses it)."""

    channel: str
    rate: Decimal | None


@dataclass(frozen=True)
class SpiffRow:
    """A SPIFF a deal may claim, and what a deal must be to qualify (`economics.spiffs`)."""

    name: str
    amount: Decimal | None               # a fixed reward, rounded as the engine pays it
    rate: Decimal | None                 # or a share of the year-1 basis
    products: tuple[str, ...]
    channels: tuple[str, ...]
    minimum: Decimal | None              # year-1 software value, at least
    starts: object                       # datetime.date
    ends: object                         # datetime.date | None (open)


@dataclass(frozen=True)
class SplitRow:
    name: str
    parties: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class Constants:
    """Everything the SQL of one program is generated from."""

    program: str
    currency: str
    minor_units: int
    rounding: str
    rate_scale: int                      # decimals of every rate the SQL carries
    products: tuple[ProductRow, ...]
    channels: tuple[ChannelRow, ...]
    closers: tuple[CloserRow, ...]
    handovers: tuple[HandoverRow, ...]
    splits: tuple[SplitRow, ...]
    unregistered: Decimal | None
    cogs: Decimal
    floor: Decimal | None
    mdf_counts: bool
    due: tuple[Due, ...] = ()            # per payout kind (`PayoutKind` order): its due rule
    influence: str | None = None         # "fee": influencers are paid; "credit": named only
    influencers: tuple[InfluenceRow, ...] = ()
    spiffs: tuple[str, ...] = ()         # every SPIFF the program declares, by name
    claimable: tuple[SpiffRow, ...] = ()

    def channel(self, name: str) -> ChannelRow:
        return next(c for c in self.channels if c.name == name)

    @property
    def ladders(self) -> tuple[ChannelRow, ...]:
        return tuple(c for c in self.channels if c.ladder is not None)


def _scale(value: Decimal | None) -> int:
    if value is None:
        return 0
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def build_constants(program: m.Program) -> tuple[Constants | None, list[Refusal]]:
    """The program's constants, or the refusals that keep the SQL target from it."""
    refusals: list[Refusal] = []
    header = program.header
    product = next((p for p in program.products if p.list_price is not None), None)
    products = tuple(_product(program, p) for p in program.products if p.list_price is not None)
    channels = tuple(ChannelRow(c.name, c.internal, tuple(t.name for t in c.tiers),
                                _ranged(c), c.certification,
                                Ladder.of(c.thresholds) if c.thresholds else None,
                                _term_rules(c), c.negotiable_term("discount") is not None)
                     for c in program.channels)
    flat = unregistered_rule(program)
    closers: list[CloserRow] = []
    handovers: list[HandoverRow] = []
    if product is not None:
        for channel in channels:
            if channel.internal:
                continue
            for tier in channel.tiers or (None,):
                for registered in (True, False) if flat is not None else (True,):
                    row = _closer(program, product.name, channel, tier, registered, flat,
                                  refusals)
                    if row is not None:
                        closers.append(row)
        handovers = [_handover(program, product.name, h) for h in _declared(program)]
    attribution = program.attribution
    refusals += _uncovered_payouts(program)
    splits = []
    for split in attribution.splits if attribution else ():
        if split.settles == "credit":
            refusals.append(Refusal(f"split {split.name}", "a credit-only split (`settles:"
                                    " credit`) leaves the payout whole; the SQL target"
                                    " divides every split's payout", split.span))
        total = sum((share for _n, share, _s in split.shares), Decimal(0))
        if total != 1:
            refusals.append(Refusal(f"split {split.name}", f"its shares add up to {total:f},"
                                    " not 100%; the SQL target divides a payout only by"
                                    " shares that add up to exactly 100%", split.span))
        splits.append(SplitRow(split.name, tuple((n, s) for n, s, _span in split.shares)))
    offered = {c.name: c for c in program.channels if not c.internal}
    longest = max((len(path) for path, _h in _chains(program, offered)), default=1)
    if longest > MAX_STEPS:
        refusals.append(Refusal("handover chain", f"a chain of {longest} channels; the deal"
                                f" table has {MAX_STEPS} route steps", None))
    rates = [r for c in closers for r in c.rates if isinstance(r, Decimal)] + \
        [c.cap for c in closers if c.cap is not None] + [c.mdf for c in closers] + \
        [r for h in handovers for r in h.rates] + \
        [h.cap for h in handovers if h.cap is not None] + \
        [s for row in splits for _n, s in row.parties] + \
        [r for c in channels if c.ladder for r in c.ladder.rates]
    rates += [c.renewal for c in closers if c.renewal is not None]
    influencers = _influencers(program)
    claimable = _claimable(program)
    rates += [i.rate for i in influencers if i.rate is not None] + \
        [x.rate for x in claimable if x.rate is not None]
    econ = program.economics
    if econ is not None:
        rates += [econ.cogs, econ.margin_floor]
    follows = any(f is not None for c in closers for f in c.follows)
    scale = max([6] + [_scale(r) for r in rates] +
                ([RATE_DECIMALS] if follows or any(c.ranged for c in channels) else []))
    if header.minor_units + scale > MAX_SCALE:
        refusals.append(Refusal("rate precision", f"a rate with {scale} decimals in a currency"
                                f" of {header.minor_units} minor units; the SQL target carries"
                                f" {MAX_SCALE} decimals in all", None))
    for channel in channels:
        ladder = channel.ladder
        if ladder is not None and ladder.semantics not in ("forward", "marginal", "retroactive"):
            refusals.append(Refusal(f"thresholds {ladder.name}", f"semantics `{ladder.semantics}`"
                                    " is not computed by the SQL target", None))
        if ladder is not None and ladder.reset not in ("calendar_year", "fiscal_year", "quarter",
                                                       "month", "contract_year", "never"):
            refusals.append(Refusal(f"thresholds {ladder.name}", f"reset `{ladder.reset}` is not"
                                    " computed by the SQL target", None))
        for bound in ladder.lows + tuple(h for h in ladder.highs if h is not None) \
                if ladder else ():
            if _scale(bound) > header.minor_units:
                refusals.append(Refusal(f"thresholds {ladder.name}", f"bracket bound {bound:f}"
                                        " has more decimals than the currency", None))
    for h in handovers:
        if h.cap is not None and _scale(h.cap) > 6:
            refusals.append(Refusal(f"handover {h.source} -> {h.target}", "a combined_cap with"
                                    " more than 6 decimals", None))
    for p in products:
        if _scale(p.unit_list) > header.minor_units:
            refusals.append(Refusal(f"product {p.name}", "a list price with more decimals than"
                                    " the currency's minor units", None))
    econ_cogs = econ.cogs if econ else Decimal(0)
    constants = Constants(header.id, header.currency, header.minor_units, header.rounding, scale,
                          products, channels, tuple(closers), tuple(handovers), tuple(splits),
                          flat, econ_cogs, econ.margin_floor if econ else None,
                          econ.mdf_counts_against_margin if econ else False,
                          _due_rules(program), _influence_mode(program), influencers,
                          tuple(x.name for x in program.spiffs), claimable)
    return (None if refusals else constants), refusals


def _due_rules(program: m.Program) -> tuple[Due, ...]:
    """When each payout kind falls due, asked of the engine's rule (`payment.due`) for an
    undated year: the rule, days and period; the SQL dates each line from its year."""
    terms = program.payment_terms
    return tuple(due(terms.term(kind.value) if terms else None, kind, None)
                 for kind in PayoutKind)


def _uncovered_payouts(program: m.Program) -> list[Refusal]:
    """Payouts the SQL does not compute: a registration bonus. Refused by name, so the SQL
    never silently pays less. (A conditional renewal fee is covered by rejecting each deal
    that meets its condition: `Gen.errors`.)"""
    refusals = []
    registration = program.registration
    if registration is not None and registration.registered_bonus is not None:
        refusals.append(Refusal("registered_bonus", "a registration bonus on the partner of"
                                " record's rate is not computed by the SQL target",
                                registration.span))
    return refusals


def _influence_mode(program: m.Program) -> str | None:
    """Whether naming an influencer pays a fee, only records credit, or is refused."""
    attribution = program.attribution
    if attribution is None:
        return None
    if attribution.influenced_rate is not None:
        return "fee"
    return "credit" if attribution.influenced_credit is not None else None


def _influencers(program: m.Program) -> tuple[InfluenceRow, ...]:
    """Each offered channel's influence fee rate, from the model's one rule."""
    attribution = program.attribution
    if attribution is None or attribution.influenced_rate is None:
        return ()
    return tuple(InfluenceRow(c.name, attribution.influence_rate(c))
                 for c in program.channels if not c.internal)


def _claimable(program: m.Program) -> tuple[SpiffRow, ...]:
    """The SPIFFs a deal may claim, with the engine's rounding of a fixed reward."""
    from charter.economics.money import Rounding

    money = Rounding(program.header.rounding, program.header.minor_units).money
    rows = []
    for spiff in program.spiffs:
        if not spiff.claimable:
            continue
        fixed = isinstance(spiff.reward, m.MoneyValue)
        rows.append(SpiffRow(spiff.name, money(spiff.reward.amount) if fixed else None,
                             None if fixed else spiff.reward, spiff.products, spiff.channels,
                             spiff.minimum.amount if spiff.minimum else None, spiff.starts,
                             spiff.ends))
    return tuple(rows)


def _product(program: m.Program, product: m.Product) -> ProductRow:
    plan = build_plan(program, DealRequest(product.name, 1))
    floor = plan.msrp_floor
    quantum = Decimal(1).scaleb(-program.header.minor_units)
    # a unit price has at most the minor units' decimals, so `price < floor` and
    # `price < floor rounded up to the minor unit` give the same verdict on every price
    floor = floor.quantize(quantum, ROUND_CEILING) if floor is not None else None
    return ProductRow(product.name, plan.unit_list, plan.periods, floor)


def _ranged(channel: m.Channel) -> tuple[Decimal, Decimal] | None:
    low_high = channel.discount
    if channel.buys_wholesale and low_high is not None and low_high[0] != low_high[1] \
            and not channel.tiers:
        return low_high
    return None


def _term_rules(channel: m.Channel) -> tuple[TermRule, ...]:
    """For each tier and payout term: the range a deal's value must be in, or why any value
    is refused, asked of `negotiation._outside` (the check `charter quote` makes)."""
    if channel.internal:
        return ()
    rules = []
    for tier in channel.tiers or (None,):
        name = tier.name if tier is not None else None
        for term in TERMS:
            negotiable = channel.negotiable_term(term, tier)
            if negotiable is None:
                rules.append(TermRule(name, term, None, None, "",
                                      _outside(channel, tier, term, Decimal(0))))
                continue
            high = negotiable.high
            outside = ""
            if high is not None or negotiable.low > 0:
                beyond = high + 1 if high is not None else Decimal(0)
                said, head = _outside(channel, tier, term, beyond), f"{term} {m.show_term(beyond)}"
                outside = said[len(head):] if said and said.startswith(head) else \
                    f" is outside its negotiable range {negotiable.range_text}"
            rules.append(TermRule(name, term, negotiable.low, high, outside,
                                  _outside(channel, tier, term, negotiable.default)))
    return tuple(rules)


def _closer(program: m.Program, product: str, channel: ChannelRow, tier: str | None,
            registered: bool, flat: Decimal | None, refusals: list[Refusal]) -> CloserRow | None:
    """The partner of record's role on one (channel, tier, registration), from `build_plan`.
    A rate the deal sets (its own `rate` on a discount range; a negotiated payout term) is
    probed at several values, each alone and all together: every contract year must then
    either not move, or pay exactly that value (capped by the unregistered flat rate)."""
    holder = program.channel(channel.name)
    negotiable = payout_terms(holder, holder.tier(tier) if tier else None)
    cap = None if registered else flat
    low = channel.ranged[0] if channel.ranged else None

    def role(values: dict) -> Role:
        terms = tuple(sorted((t, v) for t, v in values.items() if t != RATE))
        step = Step(channel.name, tier, values.get(RATE, low), None, terms)
        return build_plan(program, DealRequest(product, 1, route=(step,),
                                               registered=registered)).closer

    def capped(value: Decimal) -> Decimal:
        return value if cap is None else min(cap, value)

    ranges = ([(RATE, channel.ranged[0], channel.ranged[1], None)] if channel.ranged else []) \
        + [(n.term, n.low, n.top, n.default) for n in negotiable]
    closer = role({})
    follows: list[str | None] = [None] * MAX_YEARS
    probes = {}
    for name, lowest, top, default in ranges:
        values = sorted({lowest, top, (lowest + top) / 2, lowest if default is None else default}
                        | ({cap} if cap is not None and lowest < cap < top else set()))
        probes[name] = values
        for value in values:
            moved = role({name: value})
            for year, (rate, base) in enumerate(zip(moved.rates, closer.rates)):
                if rate != base and follows[year] not in (None, name):
                    return _unmapped(channel, tier, name, refusals)
                if rate != base:
                    follows[year] = name
    # every probe, alone and all at one end together, must pay what `follows` says
    checks = [{name: value} for name, values in probes.items() for value in values] + \
        [{name: values[0] for name, values in probes.items()},
         {name: values[-1] for name, values in probes.items()}]
    for values in checks:
        moved = role(values)
        expected = tuple(base if name is None or name not in values else capped(values[name])
                         for name, base in zip(follows, closer.rates))
        if moved.rates != expected or _fixed(moved) != _fixed(closer):
            return _unmapped(channel, tier, next(iter(values)), refusals)
    rates = tuple(None if name == RATE else rate for name, rate in zip(follows, closer.rates))
    return CloserRow(channel.name, tier, registered, closer.collects, rates, cap,
                     closer.base != "software", closer.mdf, closer.ladder is not None,
                     closer.timing, closer.fund, tuple(follows), _renewal(closer, refusals))


def _renewal(closer: Role, refusals: list[Refusal]) -> Decimal | None:
    """The closer's conditional renewal fee rate; a condition other than the deal's
    `renewal_influenced` (the one the deal table carries) is refused by name."""
    if closer.renewal is None:
        return None
    if closer.condition != "renewal_influenced":
        refusal = Refusal(f"channel {closer.channel}", f"a renewal fee paid when"
                          f" `{closer.condition}`: the deal table carries only"
                          " `renewal_influenced`", None)
        if refusal not in refusals:
            refusals.append(refusal)
    return closer.renewal


def _fixed(role: Role) -> tuple:
    """What of a role the SQL takes as fixed for a (channel, tier, registration)."""
    return (role.collects, role.base, role.mdf, role.ladder, role.timing, role.fund)


def _unmapped(channel: ChannelRow, tier: str | None, name: str,
              refusals: list[Refusal]) -> None:
    what = "the deal's own rate" if name == RATE else f"a negotiated {name}"
    refusal = Refusal(f"tier {channel.name} {tier}" if tier else f"channel {channel.name}",
                      f"{what} moves its rates in a way the SQL target does not compute (it"
                      " pays a deal's rate as the rate of the contract years that follow it,"
                      " at most the unregistered flat rate)", None)
    if refusal not in refusals:  # once, though both registrations are probed
        refusals.append(refusal)
    return None


def _declared(program: m.Program) -> list[m.Handover]:
    """Every handover a route can cross: the rule `program.handover` finds for its pair."""
    seen = []
    for h in program.handovers:
        if program.handover(h.source, h.target) is h and program.channel(h.source) \
                and program.channel(h.target):
            seen.append(h)
    return seen


def _handover(program: m.Program, product: str, handover: m.Handover) -> HandoverRow:
    target = program.channel(handover.target)
    source = program.channel(handover.source)
    steps = (Step(source.name, source.tiers[0].name if source.tiers else None),
             Step(target.name, target.tiers[0].name if target.tiers else None))
    plan = build_plan(program, DealRequest(product, 1, route=steps))
    intro = plan.introducers[0]
    tiers = tuple(t.name for t in target.tiers) or (None,)
    allowed = tuple(t for t in tiers if not handover.allowed_tiers or t in handover.allowed_tiers)
    cap = plan.cap
    return HandoverRow(source.name, target.name, intro.rates, intro.base != "software",
                       intro.timing, allowed, cap[0] if cap else None, cap[1] if cap else 1)


def coverage(program: m.Program) -> list[Refusal]:
    """What of ``program`` the SQL target does not implement (empty: it is covered)."""
    return build_constants(program)[1]
