"""Name resolution over the typed model: duplicates and references, with "did you mean"."""
from __future__ import annotations

from typing import Callable, Iterable

from charter import model as m
from charter.diagnostics import Label, Reporter
from charter.source import Span
from charter.view import suggest

PARTY_WORDS = ("direct", "vendor", "partner")


def resolve(program: m.Program, reporter: Reporter,
            damaged: Callable[[Span], bool] = lambda span: False) -> None:
    """Report duplicate definitions and references to things that do not exist.

    ``damaged`` tells which spans hold a recovered syntax error; completeness is not judged there.
    """
    for kind, nodes in (("product", program.products), ("channel", program.channels),
                        ("mitigation", program.mitigations), ("example", program.examples),
                        ("process", program.processes), ("scoring", program.scorings),
                        ("clawback", program.clawbacks), ("spiff", program.spiffs),
                        ("waiver", program.waivers)):
        _duplicates(kind, [(n.name, n.span) for n in nodes], reporter)
    _duplicates("policy setting", [(p.policy, p.span) for p in program.policy_settings], reporter)
    for channel in program.channels:
        _duplicates("tier", [(t.name, t.span) for t in channel.tiers], reporter)
        _check_tiers(channel, reporter)
        _check_rate_effects(channel, reporter)
    _check_handovers(program, reporter)
    _check_mitigations(program, reporter)
    _check_examples(program, reporter)
    _check_splits(program, reporter)
    _check_policy_names(program, reporter)
    _check_completeness(program, reporter, damaged)


def _duplicates(kind: str, named: list[tuple[str, Span]], reporter: Reporter) -> None:
    seen: dict[str, Span] = {}
    for name, span in named:
        if name in seen:
            reporter.error("CH-E105", f"{kind} `{name}` is defined twice", span,
                           label="defined again here", labels=(Label(seen[name], "first defined here"),),
                           help=("rename one, or merge them",))
        else:
            seen.setdefault(name, span)


def unknown(reporter: Reporter, kind: str, name: str, span: Span, choices: Iterable[str],
            where: str = "") -> None:
    """Report CH-E109: a reference to a ``kind`` that does not exist."""
    reporter.error("CH-E109", f"unknown {kind} `{name}`{where}", span,
                   label=f"no {kind} of this name", help=suggest(name, choices))


def _check_tiers(channel: m.Channel, reporter: Reporter) -> None:
    names = [t.name for t in channel.tiers]
    for tier in channel.tiers:
        if tier.tier_up and tier.tier_up.target not in names:
            unknown(reporter, "tier", tier.tier_up.target, tier.tier_up.target_span, names,
                    f" in channel {channel.name}")
        if tier.downgrade_to and tier.downgrade_to not in names:
            unknown(reporter, "tier", tier.downgrade_to, tier.spans["downgrade_to"], names,
                    f" in channel {channel.name}")


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


def _check_handovers(program: m.Program, reporter: Reporter) -> None:
    names = [c.name for c in program.channels]
    for handover in program.handovers:
        for role in ("source", "target"):
            name = getattr(handover, role)
            if program.channel(name) is None:
                unknown(reporter, "channel", name, handover.spans[role], names)
        target = program.channel(handover.target)
        if target is None:
            continue
        tiers = [t.name for t in target.tiers]
        for tier in handover.allowed_tiers:
            if tier not in tiers:
                unknown(reporter, "tier", tier, handover.spans["allowed_tiers"], tiers,
                        f" of channel {target.name}")


def _check_mitigations(program: m.Program, reporter: Reporter) -> None:
    names = [c.name for c in program.channels]
    for mitigation in program.mitigations:
        for name in mitigation.applies_to:
            if program.channel(name) is None:
                span = mitigation.spans.get("applies_to", mitigation.span)
                unknown(reporter, "channel", name, span, names,
                        f" in mitigation {mitigation.name}")


def _check_examples(program: m.Program, reporter: Reporter) -> None:
    channels = [c.name for c in program.channels]
    for example in program.examples:
        deal = example.deal
        if deal.product and program.product(deal.product) is None:
            unknown(reporter, "product", deal.product, deal.product_span,
                    [p.name for p in program.products])
        for step in deal.route:
            _check_route_step(program, step, channels, reporter)
        named = [(c, s) for c, _amount, s in deal.cumulative] + list(deal.influenced) \
            + [(c, s) for c, _partner, s in deal.partners]
        for name, span in named:
            if program.channel(name) is None:
                unknown(reporter, "channel", name, span, channels)
        for expectation in example.expectations:
            if expectation.party and program.channel(expectation.party) is None:
                unknown(reporter, "channel", expectation.party, expectation.span, channels)
        _check_example_split(program, example, reporter)


def _check_example_split(program: m.Program, example: m.Example, reporter: Reporter) -> None:
    """An example's `split` names a split of the program's attribution (as a request's must)."""
    splits = [s.name for s in program.attribution.splits] if program.attribution else []
    split = example.deal.split
    if split and split not in splits:
        unknown(reporter, "split", split, example.deal.spans.get("split", example.span), splits)


def _check_route_step(program: m.Program, step: m.RouteStep, channels: list[str],
                      reporter: Reporter) -> None:
    channel = program.channel(step.channel)
    if channel is None:
        unknown(reporter, "channel", step.channel, step.span, channels)
    elif step.tier and channel.tier(step.tier) is None:
        unknown(reporter, "tier", step.tier, step.span, [t.name for t in channel.tiers],
                f" of channel {channel.name}")


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


def _check_splits(program: m.Program, reporter: Reporter) -> None:
    if program.attribution is None:
        return
    parties = list(PARTY_WORDS) + [c.name for c in program.channels]
    for split in program.attribution.splits:
        for party, _share, span in split.shares:
            if party not in parties:
                unknown(reporter, "party", party, span, parties, f" in split {split.name}")


def _check_completeness(program: m.Program, reporter: Reporter,
                        damaged: Callable[[Span], bool]) -> None:
    """Things a concrete (non-abstract) program must state."""
    if program.header.abstract:
        return
    for channel in program.channels:
        if channel.resells_at_own_price and not channel.tiers:
            reporter.error("CH-E103", f"{channel.model} channel `{channel.name}` has no tiers",
                           channel.span, label="needs at least one `tier`",
                           help=("add `tier Standard { margin: 20% }`",))
        for tier in channel.tiers:
            if channel.resells_at_own_price and "margin" not in tier.spans \
                    and not damaged(tier.span):
                reporter.error("CH-E103", f"tier `{tier.name}` of {channel.name} has no margin",
                               tier.span, label="needs `margin`", help=("add `margin: 20%`",))
