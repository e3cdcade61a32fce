"""Name resolution over the typed model: duplicates and references, with "did you mean"."""
from __future__ import annotations

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
    _check_tier_scopes(program, refs)
    _check_examples(program, refs)
    _check_splits(program, refs)
    _check_policy_names(program, reporter)
    refs.report(reporter)
    _check_completeness(program, reporter, recovery)


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
            (span, where, _defined), others = uses[0], uses[1:]
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
_COMMISSION_ONLY = ("commission", "commission_y2", "commission_years")


def _check_rate_effects(channel: m.Channel, reporter: Reporter) -> None:
    """A rate that the channel's model never pays is CH-E112, never silently ignored."""
    if channel.channel_model is None:
        return  # the model word itself was wrong (CH-E108); nothing more to say
    holders = [(channel.spans, channel.name)] + [(t.spans, f"{channel.name} {t.name}")
                                                   for t in channel.tiers]
    wrong = _COMMISSION_ONLY if channel.buys_wholesale else _MARGIN_ONLY
    for spans, who in holders:
        for attr in wrong:
            if attr in spans:
                _no_effect(channel, attr, spans[attr], who, reporter)


def _no_effect(channel: m.Channel, attr: str, span: Span, who: str,
               reporter: Reporter) -> None:
    if channel.buys_wholesale:
        why = f"a {channel.model} channel buys at wholesale and earns a margin, not a commission"
        fix = "write the rate as the tier's `margin`, or use a commission model (`referral`)"
    else:
        buyers = ", ".join(n for n, row in m.CHANNEL_MODELS.items() if row.buys_wholesale)
        why = (f"a {channel.model} channel is paid a commission; `{attr}` applies only to"
               f" channels that buy at wholesale ({buyers})")
        fix = "write it as `commission`, or change `model` if the partner resells"
    reporter.error("CH-E112", f"`{attr}` on {who} pays nothing: {why}", span,
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


def _check_tier_scopes(program: m.Program, refs: "References") -> None:
    """`tiers: Silver and up` on a process or a co-marketing activity names a tier of some
    channel."""
    tiers = {t.name: t.spans.get("header", t.span) for c in program.channels for t in c.tiers}
    scopes = [(f" in process {x.name}", x.tiers) for x in program.processes] + \
        [(f" in co-marketing activity {a.name}", a.tiers) for a in program.co_marketing]
    for where, scope in scopes:
        for entry in scope:
            if entry.tier not in tiers:  # counted with the channel's own uses, if it has some
                refs.unknown("tier", entry.tier, entry.span, tiers, where,
                             scope=refs.scope_of("tier", entry.tier) or "")


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
            + [(c, s) for c, _partner, s in deal.partners]
        for name, span in named:
            if program.channel(name) is None:
                refs.unknown("channel", name, span, channels)
        for expectation in example.expectations:
            if expectation.party and program.channel(expectation.party) is None:
                refs.unknown("channel", expectation.party, expectation.span, channels)
        _check_example_split(program, example, refs)


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
