"""Negotiated terms on a deal: a route step's `terms`, checked against the program's
`negotiable` blocks, and the worst case the policies judge.

A channel or tier may declare `negotiable commission { range: 10% .. 20%; default: 10% }`: a
deal that says nothing gets the default (which is the holder's own `commission` field, so the
plan reads it as any fixed rate), and a request may agree another value inside the range on
its route step, `{"channel": "Referral", "terms": {"commission": "15%"}}` (in an example,
`terms: Referral commission 15%`). A value outside the range, a term the channel does not
negotiate, or one in the wrong unit is refused with its JSON path; a payout term on a step
that only introduces the deal (paid the handover's introducer rate) changes nothing and is
refused too. Policies quote `at_top`: every negotiable payout term at the top of its range.

(Named `negotiation`, not `terms`: payment terms are another module, `economics.payment`.)
"""
from __future__ import annotations

import re
from decimal import Decimal

from charter import model as m
from charter.economics.request import DealRequest, RequestError, Step
from charter.values import Duration
from charter.view import suggest

PERCENT = re.compile(r"^([0-9]{1,3}(?:\.[0-9]{1,6})?)%$")
DURATION = re.compile(r"^([0-9]{1,4}(?:\.[0-9]{1,6})?) (business )?"
                      r"(hour|day|week|month|quarter|year)s?$")
TERMS = m.PERCENT_TERMS + m.DURATION_TERMS


def parse_value(text: str) -> m.TermValue | None:
    """`"15%"` → 0.15, `"45 days"` → a `Duration`; None for anything else."""
    percent = PERCENT.fullmatch(text)
    if percent:
        return Decimal(percent[1]) / 100
    duration = DURATION.fullmatch(text)
    if duration:
        return Duration(Decimal(duration[1]), duration[3], bool(duration[2]))
    return None


def spell(value: m.TermValue) -> str:
    """A term value as a request writes it: `"15%"`, `"45 days"` (what `parse_value` reads)."""
    if isinstance(value, Duration):
        return str(value)
    return f"{(value * 100).normalize():f}%"


def read_terms(raw: object, path: str, channel: m.Channel | None, tier: m.Tier | None,
               errors: list[RequestError]) -> tuple[tuple[str, m.TermValue], ...]:
    """A route step's `terms` (``raw``: its JSON object), each checked against what the
    channel at ``tier`` negotiates; problems are appended to ``errors``. Sorted by term, so a
    step's terms compare (and cache) alike however the request ordered them."""
    agreed = []
    for term, text in sorted(dict(raw or {}).items()):
        value = _read_one(term, text, f"{path}.terms.{term}", channel, tier, errors)
        if value is not None:
            agreed.append((term, value))
    return tuple(agreed)


def _read_one(term: str, text: str, path: str, channel: m.Channel | None, tier: m.Tier | None,
              errors: list[RequestError]) -> m.TermValue | None:
    if term not in TERMS:
        hint = suggest(term, TERMS)
        errors.append(RequestError(path, f"`{term}` is not a negotiable term"
                                   + (f"; {hint[0]}" if hint else "")))
        return None
    value = parse_value(text)
    wanted = "a duration like \"45 days\"" if term in m.DURATION_TERMS \
        else "a percentage like \"15%\""
    if value is None or isinstance(value, Duration) != (term in m.DURATION_TERMS):
        errors.append(RequestError(path, f"expected {wanted} for `{term}`, found \"{text}\""))
        return None
    if channel is None:
        return value  # the channel itself is unknown (reported)
    problem = _outside(channel, tier, term, value)
    if problem:
        errors.append(RequestError(path, problem))
        return None
    return value


def _outside(channel: m.Channel, tier: m.Tier | None, term: str,
             value: m.TermValue) -> str | None:
    """Why ``channel`` (at ``tier``) cannot agree ``term`` at ``value``, or None."""
    who = f"{channel.name} {tier.name}" if tier is not None else channel.name
    negotiable = channel.negotiable_term(term, tier)
    if negotiable is None:
        fixed = getattr(tier, term, None) if tier is not None else None
        fixed = fixed if fixed is not None else getattr(channel, term, None)
        how = f"it is fixed at {m.show_term(fixed)}" if isinstance(fixed, (Decimal, Duration)) \
            else "the program sets no such term for it"
        return f"{who} does not negotiate `{term}` ({how}); remove it from `terms`"
    if not negotiable.admits(value):
        return (f"{term} {m.show_term(value)} is outside {who}'s negotiable range"
                f" {negotiable.range_text}")
    if term == "commission_y2" and channel.payment == "one_time":
        return (f"{who} pays its commission once (`payment: one_time`): a year-2 commission"
                " changes nothing; remove it from `terms`")
    return None


def role_problems(request: DealRequest) -> list[RequestError]:
    """Payout terms on a step that only introduces the deal: it earns the handover's
    introducer rate, so its own commission or margin would change nothing (never silence).
    Duration terms (lead protection) belong to whoever registered the lead: any step."""
    errors = []
    for index, step in enumerate(request.route[:-1]):
        for term, _value in step.terms:
            if term in m.PERCENT_TERMS:
                errors.append(RequestError(
                    f"$.route[{index}].terms.{term}", f"`{step.channel}` introduces this deal"
                    " and earns the handover's introducer rate, so a negotiated"
                    f" `{term}` changes nothing"))
    return errors


def unregistered_warnings(request: DealRequest) -> list[RequestError]:
    """An unregistered deal earns the flat `unregistered_rate` (never above its own rate):
    a negotiated payout term of the partner of record is then only a ceiling."""
    if request.registered or not request.route:
        return []
    index = len(request.route) - 1
    return [RequestError(f"$.route[{index}].terms.{term}", "an unregistered deal earns the flat"
                         f" `unregistered_rate`: the negotiated {term} is only a ceiling")
            for term, _value in request.route[-1].terms if term in m.PERCENT_TERMS]


def at_top(program: m.Program, step: Step) -> Step:
    """``step`` with every payout term its channel negotiates at the top of its range (an
    open range at 100%): the most the vendor could be made to pay on it. Terms the step
    already agrees stay as they are."""
    return _payout_terms_at(program, step, lambda n: n.top)


def at_low(program: m.Program, step: Step) -> Step:
    """``step`` with every payout term its channel negotiates at the low end of its range
    (with `at_top`, what tells the years a deal negotiates from those it does not)."""
    return _payout_terms_at(program, step, lambda n: n.low)


def _payout_terms_at(program: m.Program, step: Step, pick) -> Step:
    channel = program.channel(step.channel)
    if channel is None:
        return step
    tier = channel.tier(step.tier) if step.tier else None
    agreed = dict(step.terms)
    for negotiable in channel.negotiable_terms(tier):
        if negotiable.term in m.PERCENT_TERMS:
            agreed.setdefault(negotiable.term, pick(negotiable))
    return step._replace(terms=tuple(sorted(agreed.items())))


def negotiated_why(step: Step) -> str:
    """What a payout line's reason adds for the terms the deal negotiated: `, negotiated
    commission 15%`."""
    paid = [f"{term} {m.show_term(value)}" for term, value in step.terms
            if term in m.PERCENT_TERMS]
    return f", negotiated {', '.join(paid)}" if paid else ""



def payout_terms(channel: m.Channel, tier: m.Tier | None) -> list[m.Negotiable]:
    """The payout terms a deal closed by ``channel`` at ``tier`` may negotiate."""
    return [n for n in channel.negotiable_terms(tier) if n.term in m.PERCENT_TERMS]


def judged_at_top(channel: m.Channel, tier: m.Tier | None) -> tuple[str, ...]:
    """The note a policy finding carries when it judged a route at the top of its negotiable
    rates (`at_top`): the default may be safe, but a deal may agree anything up to the top."""
    paid = payout_terms(channel, tier)
    if not paid:
        return ()
    tops = ", ".join(f"`{n.term}` at {m.show_term(n.top)} (negotiable {n.range_text},"
                     f" default {m.show_term(n.default)})" for n in paid)
    return (f"judged at the most a deal may agree: {tops}",)
