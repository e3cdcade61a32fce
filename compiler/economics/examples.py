"""Worked examples as assertions: every `example` is quoted and each expectation compared.

A mismatch is CH-E301 at the expectation, with expected vs computed and the arithmetic.
"""
from __future__ import annotations

import re
from decimal import Decimal

from charter import model as m
from charter import numbers
from charter.diagnostics import Label, Reporter
from charter.economics.engine import Quote, Quoter, YearQuote
from charter.economics.kinds import PayoutKind
from charter.economics.money import ZERO, ratio
from charter.economics.fields import field_at
from charter.economics.request import (DealRequest, RequestError, effect_problems,
                                       known_influencer, measure_mismatch, read_step,
                                       request_from_deal)
from charter.economics.negotiation import spell
from charter.source import Span

PARTY_METRICS = ("wholesale_price", "partner_margin", "commission", "influence", "mdf",
                 "partner_gross", "renewal_fee", "spiff", "credit",
                 "partner_share", "wholesale_unit_price")
QUOTE_METRICS = ("decision", "unit_price", "wholesale_unit_price")


def check_example(program: m.Program, example: m.Example, reporter: Reporter,
                  quoter: Quoter) -> None:
    """Quote one example and report its expectations that do not hold."""
    request = _request(program, example, reporter)
    if request is None:
        return
    quote = quoter.quote(request)
    for expectation in example.expectations:
        _check(program, example, quote, expectation, reporter)


def _request(program: m.Program, example: m.Example, reporter: Reporter) -> DealRequest | None:
    request = request_from_deal(example.deal, example.name)
    errors = _request_errors(program, request)
    for error in errors:
        reporter.error("CH-E302", f"example `{example.name}`: {error.message}",
                       _span_of(example, error.path), label="cannot quote this deal",
                       help=(_help_for(error),))
    problems = [e.message for e in errors] + _partner_problems(example, reporter) \
        + _terms_problems(example, reporter) + _measure_problems(program, example, reporter)
    if not problems:
        problems = _effect_problems(program, example, request, reporter)
    product = program.product(request.product)
    if product is None or product.list_price is None:
        reporter.error("CH-E302", f"example `{example.name}`: product `{request.product}` has no"
                                  " list price to quote", example.deal.product_span,
                       label="needs `list_price`")
        return None
    return None if problems else request


ROUTE_HELP = "a route names each channel with its tier: `route: Referral -> VAD Accelerator`"
TERMS_HELP = ("`terms` agrees a value inside a channel's `negotiable` range, for a channel on"
              " the route: `terms: Referral commission 15%`")
RATE_HELP = ("only a channel whose discount is a range takes the deal's rate, after `at`:"
             " `route: OEM at 45%`")


INFLUENCED_HELP = ("`influenced` names the channels that influenced a deal they did not source"
                   " (`influenced: CoSell`); the program pays them through `influenced_rate` or"
                   " credits them through `influenced_credit` (§3.9)")


def _help_for(error: RequestError) -> str:
    """The example form of the field an error is about."""
    if error.path.endswith(".rate") or "`rate`" in error.message:
        return RATE_HELP
    if ".terms." in error.path:
        return TERMS_HELP
    if error.path.startswith("$.influenced"):
        return INFLUENCED_HELP
    return ROUTE_HELP


def _request_errors(program: m.Program, request: DealRequest) -> list[RequestError]:
    """The route's steps (rates included) and influencers, checked as a JSON request's are."""
    errors: list[RequestError] = []
    for index, step in enumerate(request.route):
        raw = {"channel": step.channel, **({"tier": step.tier} if step.tier else {}),
               **({"rate": f"{step.rate * 100:f}%"} if step.rate is not None else {}),
               **({"terms": {t: spell(v) for t, v in step.terms}} if step.terms else {})}
        read_step(raw, index, program, errors, internal_ok=True)  # examples may show benchmarks
    for index, name in enumerate(request.influenced):
        known_influencer(name, index, program, errors)
    return errors


def _terms_problems(example: m.Example, reporter: Reporter) -> list[str]:
    """CH-E302 for a negotiated term of a channel that is not on the route, or agreed twice
    (a request holds one value per term of a step)."""
    on_route = {step.channel for step in example.deal.route}
    seen: set[tuple[str, str]] = set()
    problems = []
    for channel, term, _value, span in example.deal.terms:
        why = f"`{term}` is agreed twice" if (channel, term) in seen else \
            "the channel is not on the route" if channel not in on_route else None
        seen.add((channel, term))
        if why:
            problems.append(f"negotiated terms for `{channel}`: {why}")
            reporter.error("CH-E302", f"example `{example.name}`: {problems[-1]}", span,
                           label="cannot quote this deal", help=(TERMS_HELP,))
    return problems


def _partner_problems(example: m.Example, reporter: Reporter) -> list[str]:
    """CH-E302 for a `partners` id given for a channel that is not on the route, or twice."""
    on_route = {step.channel for step in example.deal.route}
    seen: set[str] = set()
    problems = []
    for channel, _partner, span in example.deal.partners:
        why = "is given twice" if channel in seen else \
            "is not on the route" if channel not in on_route else None
        seen.add(channel)
        if why:
            problems.append(f"partner id for `{channel}`: the channel {why}")
            reporter.error("CH-E302", f"example `{example.name}`: {problems[-1]}", span,
                           label="cannot quote this deal",
                           help=("`partners` names the partner company for each channel on"
                                 " the route, once: `partners: VAD \"acme-123\"`",))
    return problems


def _measure_problems(program: m.Program, example: m.Example,
                      reporter: Reporter) -> list[str]:
    """A cumulative written as an amount for a count ladder, or as a count for a money one."""
    problems = []
    for channel, written, span in example.deal.cumulative:
        why = measure_mismatch(program, channel, written)
        if why:
            problems.append(why)
            reporter.error("CH-E302", f"example `{example.name}`: {why}", span,
                           label="cannot quote this deal as written")
    return problems


def _effect_problems(program: m.Program, example: m.Example, request: DealRequest,
                     reporter: Reporter) -> list[str]:
    """Input that would not take effect: errors refuse the deal (CH-E302), warnings are
    CH-W301, as a request's are refused or warned about."""
    errors, warnings = effect_problems(request, program, internal_ok=True)
    for error in errors:
        reporter.error("CH-E302", f"example `{example.name}`: {error.message}",
                       _span_of(example, error.path), label="cannot quote this deal as written")
    for warning in warnings:
        reporter.warning("CH-W301", f"example `{example.name}`: {warning.message}",
                         _span_of(example, warning.path), label="takes no effect on this deal",
                         help=(_no_effect_help(warning.path),))
    return [e.message for e in errors]


def _no_effect_help(path: str) -> str:
    """How to fix input that takes no effect: a SPIFF needs a deal that qualifies."""
    if path.startswith("$.spiffs"):
        return ("remove it from `spiffs`, or change the deal so it qualifies (its close date,"
                " product or route)")
    return "remove it, or change the route so it applies"


def _span_of(example: m.Example, path: str) -> Span:
    """The span of what the example wrote at a request path: the route step, its rate, the
    influencer, the channel's cumulative, else the attribute (`charter.economics.fields`)."""
    deal = example.deal
    listed = _listed_span(deal, path)
    if listed is not None:
        return listed
    for channel, _money, span in deal.cumulative:
        if path.startswith(f"$.cumulative.{channel}"):
            return span
    field = field_at(path)
    return deal.spans.get(field.attribute if field else None) or deal.span or example.span


def _listed_span(deal: m.Deal, path: str) -> Span | None:
    """The span of route step / influencer / SPIFF N that `$.route[N]...` /
    `$.influenced[N]` / `$.spiffs[N]` names."""
    match = re.match(r"\$\.(route|influenced|spiffs)\[(\d+)\](\.\w+)?", path)
    index = int(match[2]) if match else -1
    if match is None or index >= len(getattr(deal, match[1])):
        return None
    if match[1] in ("influenced", "spiffs"):
        return getattr(deal, match[1])[index][1]
    step = deal.route[index]
    if match[3] == ".partner":
        return next((s for c, _p, s in deal.partners if c == step.channel), step.span)
    if match[3] == ".terms":
        term = path.rsplit(".", 1)[-1]
        return next((s for c, t, _v, s in deal.terms if (c, t) == (step.channel, term)),
                    step.span)
    return step.rate_span if match[3] == ".rate" and step.rate_span else step.span


def _check(program: m.Program, example: m.Example, quote: Quote, expectation: m.Expectation,
           reporter: Reporter) -> None:
    party = expectation.party or quote.partner
    if expectation.metric in PARTY_METRICS and party is None:
        _not_applicable(example, expectation, reporter, "the deal is direct: no partner")
        return
    if expectation.year is not None and expectation.year > len(quote.years):
        _not_applicable(example, expectation, reporter,
                        f"the deal has {len(quote.years)} year(s), not {expectation.year}")
        return
    if expectation.total:
        _check_total(program, example, quote, expectation, party, reporter)
        return
    years = quote.years if expectation.year is None else (quote.years[expectation.year - 1],)
    for year in years:
        computed = computed_value(quote, year, expectation.metric, party)
        if not _matches(expectation, computed):
            _mismatch(program, example, quote, year, expectation, party, computed, reporter)
            return


def _check_total(program: m.Program, example: m.Example, quote: Quote,
                 expectation: m.Expectation, party: str | None, reporter: Reporter) -> None:
    """`expect total`: the metric summed over every contract year of the deal."""
    values = [computed_value(quote, year, expectation.metric, party) for year in quote.years]
    computed = None if all(v is None for v in values) else sum((v or ZERO for v in values), ZERO)
    if _matches(expectation, computed):
        return
    notes = [f"year {y.year}: {_show(program, expectation.metric, v)}"
             for y, v in zip(quote.years, values)]
    _report(program, example, expectation, party, computed, f" over {len(quote.years)} year(s)",
            notes, "behind the year that differs", reporter)


def computed_value(quote: Quote, year: YearQuote, metric: str, party: str | None) -> object:
    """The value of ``metric`` (for ``party``) in ``year`` of ``quote``."""
    if metric == "decision":
        return quote.decision
    if metric == "unit_price":
        return quote.unit_price
    if metric == "wholesale_unit_price":
        return quote.wholesale_unit_price if party == quote.partner else None
    if metric == "wholesale_price":
        return year.wholesale_price if party == quote.partner else None
    if metric in ("partner_gross", "partner_share"):
        gross = partner_gross(quote, year, party)
        return gross if metric == "partner_gross" else ratio(gross, year.customer_pays)
    return _YEAR_METRICS[metric](year, party)


def partner_gross(quote: Quote, year: YearQuote, party: str | None) -> Decimal:
    """What ``party`` earns in ``year`` before MDF: payouts plus services it delivers."""
    earned = year.gross(party)
    services = year.services if party == quote.partner and quote.services_to == "partner" else ZERO
    return earned + services


_YEAR_METRICS = {
    "software_list": lambda y, p: y.software_list,
    "customer_pays": lambda y, p: y.customer_pays,
    "services": lambda y, p: y.services,
    "vendor_receives": lambda y, p: y.vendor_receives,
    "partner_margin": lambda y, p: y.amount(p, PayoutKind.WHOLESALE_MARGIN, PayoutKind.SPLIT),
    "commission": lambda y, p: y.amount(p, PayoutKind.COMMISSION, PayoutKind.TRUE_UP),
    "influence": lambda y, p: y.amount(p, PayoutKind.INFLUENCE),
    "renewal_fee": lambda y, p: y.amount(p, PayoutKind.RENEWAL_FEE),
    "spiff": lambda y, p: y.amount(p, PayoutKind.SPIFF),
    "mdf": lambda y, p: y.amount(p, PayoutKind.MDF),
    # credit pays nothing: what reporting and tier qualification count for the party
    "credit": lambda y, p: sum((c.amount for c in y.credit if c.party == p), ZERO),
    "combined_rate": lambda y, p: y.combined_rate,
    "vendor_cogs": lambda y, p: y.vendor_cogs,
    "vendor_net_margin": lambda y, p: y.vendor_net_margin,
}


def _matches(expectation: m.Expectation, computed: object) -> bool:
    expected = expectation.value
    if isinstance(expected, m.MoneyValue):
        expected = expected.amount
    if computed is None or not isinstance(expected, Decimal):
        return computed == expected
    if expectation.approx and expectation.quantum:
        return abs(computed - expected) * 2 <= expectation.quantum
    return computed == expected


def _show(program: m.Program, metric: str, value: object) -> str:
    header = program.header
    locale = numbers.locale_of(header.locales)
    if value is None:
        return "nothing (not on this route)"
    if isinstance(value, m.MoneyValue):
        value = value.amount
    if not isinstance(value, Decimal):
        return str(value)
    if metric in ("partner_share", "combined_rate", "vendor_net_margin"):
        return numbers.percent(value, locale)
    return numbers.money(value, header.currency, locale, header.minor_units)


def _mismatch(program: m.Program, example: m.Example, quote: Quote, year: YearQuote,
              expectation: m.Expectation, party: str | None, computed: object,
              reporter: Reporter) -> None:
    when = "" if expectation.metric in QUOTE_METRICS else f" in year {year.year}"
    _report(program, example, expectation, party, computed, when,
            _arithmetic(program, quote, year, party, expectation.metric),
            "the note points at", reporter)


def _report(program: m.Program, example: m.Example, expectation: m.Expectation,
            party: str | None, computed: object, when: str, notes: list[str], fix: str,
            reporter: Reporter) -> None:
    """CH-E301: the number ``expectation`` states is not what the program computes."""
    metric = expectation.metric
    who = f"{party} " if metric in PARTY_METRICS + ("commission",) and party else ""
    shown = _show(program, metric, computed)
    reporter.error(
        "CH-E301", f"example `{example.name}`: {who}{metric}{when} computes to {shown},"
                   f" not {expectation.text.lstrip('~')}", expectation.span,
        label=f"expected {expectation.text}",
        labels=tuple(Label(s.span, "on this route") for s in example.deal.route[:1]),
        notes=tuple(notes),
        help=("if the program is right, write the number it computes; otherwise fix the rule"
              f" {fix}",))


def _arithmetic(program: m.Program, quote: Quote, year: YearQuote, party: str | None,
                metric: str) -> list[str]:
    if metric == "decision":
        return [f"walks: {r.message}" for r in quote.reasons] or ["no walk rule is triggered"]
    lines = []
    for p in year.payouts:
        if party is None or p.party == party or metric in ("combined_rate", "vendor_net_margin"):
            rate = numbers.percent(p.rate, "en_US") if p.rate is not None else "?"
            base = _show(program, "base", p.base)
            lines.append(f"year {year.year}: {p.party} {p.kind.value} = {rate} × {base}"
                         f" ({p.why}) = {_show(program, 'amount', p.amount)}")
    return lines or [f"year {year.year}: no payout to {party or 'anyone'} on this route"]


def _not_applicable(example: m.Example, expectation: m.Expectation, reporter: Reporter,
                    why: str) -> None:
    reporter.error("CH-E303", f"example `{example.name}`: `{expectation.metric}` does not apply:"
                              f" {why}", expectation.span, label="cannot be computed")
