"""Name resolution over the typed model: duplicates and references, with "did you mean"."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from charter import model as m
from charter.diagnostics import Label, Reporter
from charter.source import Recovery, Span
from charter.view import suggest

PARTY_WORDS = ("direct", "vendor", "partner")


def resolve(program: m.Program, reporter: Reporter, recovery: Recovery | None = None) -> None:
    """Report duplicate definitions and references to things that do not exist.

    ``recovery`` says what could not be read (`charter.source.Recovery`): completeness is not
    judged where a syntax error was recovered or a base is missing, and a reference to a name
    that the unreadable part may define is not "unknown".
    """
    from charter.lower import CONSTRUCTS

    for c in CONSTRUCTS:  # every construct defined by name, from the one table
        if c.many and c.named:
            _duplicates(c.noun, [(getattr(n, c.named), n.span) for n in getattr(program, c.field)],
                        reporter)
    recovery = recovery if recovery is not None else Recovery()
    refs = References(recovery)
    for channel in program.channels:
        _duplicates("tier", [(t.name, t.span) for t in channel.tiers], reporter)
        _check_tiers(channel, refs)
        _check_rate_effects(channel, reporter)
    _check_handovers(program, refs)
    _check_mitigations(program, refs)
    _check_tier_scopes(program, refs, reporter)
    _check_examples(program, refs)
    _check_spiffs(program, refs)
    _check_splits(program, refs)
    _check_registration_rules(program, reporter)
    _check_policy_names(program, reporter)
    refs.report(reporter)
    _check_completeness(program, reporter, recovery)
    _check_payment_terms(program, reporter, recovery)


def _duplicates(kind: str, named: list[tuple[str, Span]], reporter: Reporter) -> None:
    seen: dict[str, Span] = {}
    for name, span in named:
        if name in seen:
            reporter.error("CH-E105", f"{kind} `{name}` is defined twice", span,
                           label="defined again here", labels=(Label(seen[name], "first defined here"),),
                           help=("rename one, or merge them",))
        else:
            seen.setdefault(name, span)


MAX_USE_LABELS = 3  # further uses of an unknown name are counted, not shown


class References:
    """References to names that do not exist, reported as CH-E109 once per name and scope.

    A misspelt or renamed definition is one mistake however many places use the name: the
    first use carries the error, the next few are labels, the rest a count.
    """

    def __init__(self, recovery: Recovery | None = None):
        self.recovery = recovery if recovery is not None else Recovery()
        self._uses: dict[tuple[str, str, str], list[tuple[Span, str, dict[str, Span | None]]]] = {}

    def unknown(self, kind: str, name: str, span: Span, choices: Iterable[str] | dict,
                where: str = "", scope: str | None = None) -> None:
        """A reference to a ``kind`` called ``name`` that does not exist (``choices``: the
        names that do, optionally with the span of their definition)."""
        if self.recovery.may_define(name):
            return  # the unreadable part may define it: not a mistake of its own
        defined = dict(choices) if isinstance(choices, dict) else dict.fromkeys(choices)
        key = (kind, name, where if scope is None else scope)
        self._uses.setdefault(key, []).append((span, where, defined))

    def scope_of(self, kind: str, name: str) -> str | None:
        """The scope ``name`` is already unknown in, if any (one mistake is one error)."""
        return next((key[2] for key in self._uses if key[:2] == (kind, name)), None)

    def report(self, reporter: Reporter) -> None:
        """Report each unknown name once, at its first use."""
        for (kind, name, _scope), uses in self._uses.items():
            defined = uses[0][2]
            hint = suggest(name, defined)
            close = _suggested(hint)
            home = defined[close].file if close is not None and defined.get(close) else None
            # first the uses in the file that defines the likely intended name (the one edited)
            uses.sort(key=lambda use: (use[0].file != home, use[0].file, use[0].start))
            (span, where, _), others = uses[0], uses[1:]
            count = f" ({len(uses)} uses)" if others else ""
            # several uses of one missing name: most likely the definition is what is misspelt
            labels = [Label(defined[close], f"`{close}` is defined here")] \
                if others and close is not None and defined.get(close) is not None else []
            labels += [Label(s, "also used here") for s, _w, _d in others[:MAX_USE_LABELS]]
            if close is not None and others:
                hint = (f"did you mean `{close}`? If `{close}` is what is misspelt, rename it"
                        f" where it is defined: that fixes all {len(uses)} uses",)
            more = len(others) - MAX_USE_LABELS
            reporter.error("CH-E109", f"unknown {kind} `{name}`{where}{count}", span,
                           label=f"no {kind} of this name", labels=labels,
                           notes=(f"and {more} more use{'s' * (more != 1)}",) if more > 0 else (),
                           help=hint)


def _suggested(hint: tuple[str, ...]) -> str | None:
    """The name a "did you mean" help line offers, if it offers one."""
    return hint[0].split("`")[1] if hint and hint[0].startswith("did you mean") else None


def _tiers(channel: m.Channel) -> dict[str, Span]:
    """A channel's tiers by name, with where each is defined."""
    return {t.name: t.spans.get("header", t.span) for t in channel.tiers}


def _channels(program: m.Program) -> dict[str, Span]:
    return {c.name: c.spans.get("header", c.span) for c in program.channels}


def _check_tiers(channel: m.Channel, refs: References) -> None:
    names = _tiers(channel)
    for tier in channel.tiers:
        if tier.tier_up and tier.tier_up.target not in names:
            refs.unknown("tier", tier.tier_up.target, tier.tier_up.target_span, names,
                         f" in channel {channel.name}", scope=channel.name)
        if tier.downgrade_to and tier.downgrade_to not in names:
            refs.unknown("tier", tier.downgrade_to, tier.spans["downgrade_to"], names,
                         f" in channel {channel.name}", scope=channel.name)


# Rates only one kind of channel is paid by: margins for channels that buy at wholesale,
# commissions for the others (charter.economics.plan reads them the same way).
_MARGIN_ONLY = ("discount", "margin", "margin_y2")
_COMMISSION_ONLY = ("commission", "commission_y2", "commission_years", "renewal_fee",
                    "payment", "commission_base")
# What a wholesale margin does anyway (every year the customer pays, on the software's list
# price): saying so is harmless, saying otherwise would be silently ignored.
_WHOLESALE_AS_IS = {"payment": "recurring", "commission_base": "software"}
# What `payment: one_time` pays after the first year anyway: nothing.
_ONE_TIME_AS_IS = {"commission_y2": Decimal(0), "commission_years": 1}


def _check_rate_effects(channel: m.Channel, reporter: Reporter) -> None:
    """A rate that the channel's model never pays is CH-E112, never silently ignored."""
    if channel.channel_model is None:
        return  # the model word itself was wrong (CH-E108); nothing more to say
    holders = [(channel, channel.name)] + [(t, f"{channel.name} {t.name}")
                                             for t in channel.tiers]
    wrong = _COMMISSION_ONLY if channel.buys_wholesale else _MARGIN_ONLY
    for holder, who in holders:
        for attr in wrong:
            if attr in holder.spans and not (channel.buys_wholesale and getattr(
                    holder, attr, None) == _WHOLESALE_AS_IS.get(attr, ...)):
                _no_effect(channel, _as_written(holder, attr), holder.spans[attr], who,
                           reporter)
    if not channel.buys_wholesale and channel.payment == "one_time":
        _one_time_later_years(channel, holders, reporter)
    _unpaid_negotiable(channel, reporter)


def _one_time_later_years(channel: m.Channel, holders: list, reporter: Reporter) -> None:
    """CH-E112 for a year-2 rate or a count of paid years on a channel paid once: the engine
    pays nothing after the first contract year (`charter.economics.plan._later_rate`)."""
    for holder, who in holders:
        for attr, as_is in _ONE_TIME_AS_IS.items():
            if attr in holder.spans and getattr(holder, attr, None) != as_is:
                reporter.error(
                    "CH-E112", f"`{_as_written(holder, attr)}` on {who} pays nothing:"
                    f" {channel.name} is paid once (`payment: one_time`), in the first"
                    " contract year only", holder.spans[attr], label="has no effect on this"
                    " channel", labels=(Label(channel.spans["payment"], "paid once here"),),
                    help=("remove it, or write `payment: recurring` if the channel is paid"
                          " every year",))


def _as_written(holder: m.Channel | m.Tier, attr: str) -> str:
    """`negotiable commission` when the rate is set by a `negotiable` block, else `commission`."""
    span = holder.spans[attr]
    return f"negotiable {attr}" if any(n.term == attr and n.spans.get("header") == span
                                       for n in holder.negotiable) else attr


def _unpaid_negotiable(channel: m.Channel, reporter: Reporter) -> None:
    """CH-E112 for a negotiable rate the engine never pays on this channel: a discount where
    every tier pays its own margin, a commission where a threshold ladder sets it."""
    terms = {n.term: n for n in channel.negotiable}
    if "discount" in channel.spans and channel.buys_wholesale and channel.tiers \
            and all(t.margin is not None for t in channel.tiers):
        why, fix = "each of its tiers pays its own margin", (
            "negotiate a tier's margin instead: `tier Gold { negotiable margin { range: 20% .."
            " 30%; default: 20% } }`" if "discount" in terms else
            "remove it: each tier's `margin` is what a deal is paid (a range the tiers"
            " follow belongs in the channel's doc string)")
        term = _as_written(channel, "discount")
        span = channel.spans["discount"]
    elif "commission" in terms and channel.thresholds is not None \
            and not channel.buys_wholesale:
        why, fix = (f"its thresholds `{channel.thresholds.name}` set the commission",
                    "remove the block, or the thresholds if each deal negotiates its rate")
        term, span = "negotiable commission", terms["commission"].spans["header"]
    else:
        return
    reporter.error("CH-E112", f"`{term}` on {channel.name} pays nothing: {why}", span,
                   label="has no effect on this channel", help=(fix,))


def _no_effect(channel: m.Channel, attr: str, span: Span, who: str,
               reporter: Reporter) -> None:
    if channel.buys_wholesale and attr in ("payment", "commission_base"):
        why = (f"a {channel.model} channel keeps its margin, on the software's list price, out"
               " of every payment its customer makes; it is paid no commission")
        fix = "remove it, or use a commission model (`referral`) if the vendor pays the partner"
    elif channel.buys_wholesale:
        why = f"a {channel.model} channel buys at wholesale and earns a margin, not a commission"
        fix = "write the rate as the tier's `margin`, or use a commission model (`referral`)"
    else:
        buyers = ", ".join(n for n, row in m.CHANNEL_MODELS.items() if row.buys_wholesale)
        why = (f"a {channel.model} channel is paid a commission; `{attr}` applies only to"
               f" channels that buy at wholesale ({buyers})")
        fix = "write it as `commission`, or change `model` if the partner resells"
    verb = "has no effect" if attr in _WHOLESALE_AS_IS else "pays nothing"
    reporter.error("CH-E112", f"`{attr}` on {who} {verb}: {why}", span,
                   label="has no effect on this channel", help=(fix,))


def _check_handovers(program: m.Program, refs: References) -> None:
    names = _channels(program)
    for handover in program.handovers:
        for role in ("source", "target"):
            name = getattr(handover, role)
            if program.channel(name) is None:
                refs.unknown("channel", name, handover.spans[role], names)
        target = program.channel(handover.target)
        if target is None:
            continue
        tiers = _tiers(target)
        for tier in handover.allowed_tiers:
            if tier not in tiers:
                refs.unknown("tier", tier, handover.spans["allowed_tiers"], tiers,
                             f" of channel {target.name}", scope=target.name)


def _check_tier_scopes(program: m.Program, refs: "References", reporter: Reporter) -> None:
    """`tiers: Silver and up` on a process or a co-marketing activity names a tier of some
    channel; where partners read it, of a channel offered to them (CH-E133)."""
    tiers = {t.name: t.spans.get("header", t.span) for c in program.channels for t in c.tiers}
    offered = {t.name for c in program.channels if not c.internal for t in c.tiers}
    scopes = [(f" in process {x.name}", x.tiers, x.internal) for x in program.processes] + \
        [(f" in co-marketing activity {a.name}", a.tiers, False) for a in program.co_marketing]
    for where, scope, internal in scopes:
        for entry in scope:
            if entry.tier not in tiers:  # counted with the channel's own uses, if it has some
                refs.unknown("tier", entry.tier, entry.span, tiers, where,
                             scope=refs.scope_of("tier", entry.tier) or "")
            elif entry.tier not in offered and not internal:
                _internal_tier(program, entry, where, reporter)


def _internal_tier(program: m.Program, entry, where: str, reporter: Reporter) -> None:
    """A partner-facing scope naming a tier only an internal channel has: partner documents
    hold no internal channel, so the scope would read as "every partner"."""
    channel = next(c for c in program.channels for t in c.tiers if t.name == entry.tier)
    reporter.error("CH-E133", f"tier `{entry.tier}`{where} is a tier of internal channel"
                   f" `{channel.name}` only, and partners read this scope", entry.span,
                   label="no partner has this tier",
                   labels=(Label(channel.spans.get("header") or channel.span,
                                 "made internal here"),),
                   help=("name a tier of a channel offered to partners, or make the process"
                         " `internal`",))


def _check_mitigations(program: m.Program, refs: References) -> None:
    names = _channels(program)
    for mitigation in program.mitigations:
        for name in mitigation.applies_to:
            if program.channel(name) is None:
                span = mitigation.spans.get("applies_to", mitigation.span)
                refs.unknown("channel", name, span, names, f" in mitigation {mitigation.name}",
                             scope="")


def _check_examples(program: m.Program, refs: References) -> None:
    channels = _channels(program)
    for example in program.examples:
        deal = example.deal
        if deal.product and program.product(deal.product) is None:
            refs.unknown("product", deal.product, deal.product_span,
                         {p.name: p.spans.get("header", p.span) for p in program.products})
        for step in deal.route:
            _check_route_step(program, step, channels, refs)
        named = [(c, s) for c, _amount, s in deal.cumulative] + list(deal.influenced) \
            + [(c, s) for c, _partner, s in deal.partners] \
            + [(c, s) for c, _term, _value, s in deal.terms]
        for name, span in named:
            if program.channel(name) is None:
                refs.unknown("channel", name, span, channels)
        for expectation in example.expectations:
            if expectation.party and program.channel(expectation.party) is None:
                refs.unknown("channel", expectation.party, expectation.span, channels)
        _check_example_split(program, example, refs)


def _check_spiffs(program: m.Program, refs: References) -> None:
    """A SPIFF's trigger names products and channels of the program; an example claims
    SPIFFs the program declares."""
    products = {p.name: p.spans.get("header", p.span) for p in program.products}
    channels = _channels(program)
    for spiff in program.spiffs:
        for kind, names, known in (("product", spiff.products, products),
                                   ("channel", spiff.channels, channels)):
            for name in names:
                if name not in known:
                    refs.unknown(kind, name, spiff.spans.get(f"{kind}s", spiff.span), known,
                                 f" in spiff {spiff.name}", scope="")
    spiffs = {x.name: x.spans.get("header", x.span) for x in program.spiffs}
    for example in program.examples:
        for name, span in example.deal.spiffs:
            if name not in spiffs:
                refs.unknown("spiff", name, span, spiffs)


def _check_registration_rules(program: m.Program, reporter: Reporter) -> None:
    """CH-E115: `registered_bonus` pays an unregistered deal the base rate; an
    `unregistered_rate` (in `registration` or `attribution`) pays it a flat rate instead;
    two different flat rates cannot both hold. CH-E111: a bonus that lifts a rate past 100%."""
    registration = program.registration
    if registration is None:
        return
    _two_unregistered_rates(program, registration, reporter)
    if registration.registered_bonus is None:
        return
    for channel in program.channels:
        _bonus_ceiling(program, channel, registration, reporter)
    holders = [(registration.spans.get("unregistered_rate"), "registration")]
    if program.attribution is not None and program.attribution.unregistered_rate is not None:
        holders.append((program.attribution.span, "attribution"))
    for span, where in holders:
        if span is None:
            continue
        bonus = _pct(registration.registered_bonus)
        reporter.error(
            "CH-E115", f"`registered_bonus` and the {where}'s `unregistered_rate` both say what"
            " an unregistered deal earns", span, label="a flat rate for unregistered deals",
            labels=(Label(registration.spans["registered_bonus"],
                          "pays unregistered deals the base rate"),),
            notes=(f"with `registered_bonus: {bonus}` a registered deal earns its tier's or"
                   f" channel's rate + {bonus} and an unregistered deal the rate alone",),
            help=("keep one: remove `unregistered_rate` to pay unregistered deals the base rate,"
                  " or remove `registered_bonus` to pay them the flat rate",))


def _two_unregistered_rates(program: m.Program, registration: m.Registration,
                            reporter: Reporter) -> None:
    """`registration` and `attribution` each stating a different flat rate: the engine pays
    registration's (`charter.economics.request.unregistered_rule`), so the other would be
    silently ignored."""
    attribution = program.attribution
    ours = registration.unregistered_rate
    if ours is None or attribution is None or attribution.unregistered_rate in (None, ours):
        return
    theirs = attribution.unregistered_rate
    reporter.error(
        "CH-E115", f"two flat rates for unregistered deals: {_pct(ours)} in `registration`"
        f" and {_pct(theirs)} in `attribution`", registration.spans["unregistered_rate"],
        label=f"{_pct(ours)} here", labels=(Label(attribution.span, f"{_pct(theirs)} here"),),
        help=("state `unregistered_rate` once (in `registration`), or give both the same"
              " rate",))


def _bonus_ceiling(program: m.Program, channel: m.Channel, registration: m.Registration,
                   reporter: Reporter) -> None:
    """CH-E111 at the bonus when a registered deal on ``channel`` (at any tier, its
    negotiable terms at the top of their ranges) would be paid a rate above 100%: more than
    the money it is a share of. The rates are the engine's (`plan.registered_rates`)."""
    from charter.economics.negotiation import at_top
    from charter.economics.plan import registered_rates
    from charter.economics.request import Step

    bonus = registration.registered_bonus
    over = [(max(rates), tier) for tier in (channel.tiers or (None,))
            if (rates := registered_rates(program, at_top(program, Step(
                channel.name, tier.name if tier else None)))) and max(rates) > 1]
    if not over:
        return
    top, tier = max(over, key=lambda found: found[0])
    who = f"{channel.name} {tier.name}" if tier else channel.name
    reporter.error(
        "CH-E111", f"`registered_bonus: {_pct(bonus)}` lifts {who}'s rate of {_pct(top - bonus)}"
        f" to {_pct(top)}: more than the whole", registration.spans["registered_bonus"],
        label=f"a registered deal on {channel.name} earns over 100%",
        labels=tuple(Label((t or channel).spans.get("header") or (t or channel).span,
                           f"{_pct(rate - bonus)} + {_pct(bonus)}") for rate, t in over[:3]),
        help=(f"a registered deal earns its rate + the bonus: keep the bonus at most"
              f" {_pct(1 - (top - bonus))}, or lower the rate",))


def _pct(value) -> str:
    from charter.numbers import pct

    return pct(value)


def _check_example_split(program: m.Program, example: m.Example, refs: References) -> None:
    """An example's `split` names a split of the program's attribution (as a request's must)."""
    splits = [s.name for s in program.attribution.splits] if program.attribution else []
    split = example.deal.split
    if split and split not in splits:
        refs.unknown("split", split, example.deal.spans.get("split", example.span), splits)


def _check_route_step(program: m.Program, step: m.RouteStep, channels: dict[str, Span],
                      refs: References) -> None:
    channel = program.channel(step.channel)
    if channel is None:
        refs.unknown("channel", step.channel, step.span, channels)
    elif step.tier and channel.tier(step.tier) is None:
        refs.unknown("tier", step.tier, step.span, _tiers(channel),
                     f" of channel {channel.name}", scope=channel.name)


def _check_policy_names(program: m.Program, reporter: Reporter) -> None:
    """CH-E401 for `policy` and `waiver` blocks naming no registered policy."""
    refs = [(p.policy, p.name_span or p.span) for p in program.policy_settings]
    refs += [(w.policy, w.spans.get("policy", w.span)) for w in program.waivers if w.policy]
    if not refs:
        return
    from charter.policies import all_policies, find

    names = [p.name for p in all_policies()]
    for key, span in refs:
        if find(key) is None:
            reporter.error("CH-E401", f"unknown policy `{key}`", span,
                           label="no policy of this name",
                           help=suggest(key, names) or ("`charter policies` lists them",))


def _check_splits(program: m.Program, refs: References) -> None:
    if program.attribution is None:
        return
    parties = list(PARTY_WORDS) + [c.name for c in program.channels]
    for split in program.attribution.splits:
        for party, _share, span in split.shares:
            if party not in parties:
                refs.unknown("party", party, span, parties, f" in split {split.name}")


def _check_completeness(program: m.Program, reporter: Reporter, recovery: Recovery) -> None:
    """Things a concrete (non-abstract) program must state (not judged on what could not be
    read: a block a syntax error damaged, or a program whose base is missing)."""
    if program.header.abstract or recovery.unknown_parts:
        return
    for channel in program.channels:
        if recovery.damaged(channel.span) or channel.name in recovery.lost:
            continue  # part of it could not be read: what it seems to lack may be there
        if channel.resells_at_own_price and not channel.tiers:
            reporter.error("CH-E103", f"{channel.model} channel `{channel.name}` has no tiers",
                           channel.span, label="needs at least one `tier`",
                           help=("add `tier Standard { margin: 20% }`",))
        for tier in channel.tiers:
            if channel.resells_at_own_price and "margin" not in tier.spans \
                    and not recovery.damaged(tier.span) and tier.name not in recovery.lost:
                reporter.error("CH-E103", f"tier `{tier.name}` of {channel.name} has no margin",
                               tier.span, label="needs `margin`", help=("add `margin: 20%`",))


# A term to suggest for a kind the program's `payment_terms` leaves out.
_SUGGESTED_TERM = {"mdf": "15 days after claim_approval", "rebate": "quarterly net 30 days"}


def _check_payment_terms(program: m.Program, reporter: Reporter, recovery: Recovery) -> None:
    """CH-W130 for each kind of payout the program makes that its `payment_terms` leaves
    out: a quote could only say that no term is stated for it. A program without the block
    is not judged (its quotes say `not_stated` on every line); nor is an abstract base,
    which its programs complete."""
    terms = program.payment_terms
    if terms is None or program.header.abstract or recovery.unknown_parts \
            or recovery.damaged(terms.span):
        return
    from charter.economics.payment import paid_kinds  # loaded only for a program with terms

    for kind, why in paid_kinds(program).items():
        if kind.value not in terms.written:  # one written but unreadable is reported already
            reporter.warning(
                "CH-W130", f"`payment_terms` states no term for `{kind}`, which the program"
                f" pays ({why}): its quote lines cannot say when it falls due",
                terms.header or terms.span, label=f"no `{kind}` term",
                help=(f"add `{kind}: {_SUGGESTED_TERM.get(kind.value, 'net 30 days')}` (or"
                      " the term the partner agreement states)",))
