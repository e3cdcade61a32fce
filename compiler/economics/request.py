"""Deal requests: the input contract of a quote, read from JSON or from an `example` block.

Reading happens in two steps. `structure_errors` checks the JSON shape (the shipped
`quote-request.schema.json`, validated with jsonschema); `read_request` then checks the
request against the program (products, channels, tiers, splits) and builds a `DealRequest`.
Every problem is reported with its JSON path; nothing raises past `RequestInvalid`.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from charter import model as m
from charter.nodes import node
from charter.numbers import pct
from charter.view import suggest

AMOUNT = re.compile(r"^[0-9]{1,24}(\.[0-9]{1,12})?$")
PERCENT = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,6})?%$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_YEARS = 10
MAX_SEATS = 10_000_000
MAX_INFLUENCERS = 8  # influencers one request may name
MAX_DATE_YEAR = 9999  # a contract must end within the calendar Python (and most systems) know


@node
class RequestError:
    """One problem with a request: where (a JSON path such as `$.route[1].tier`) and what."""

    path: str
    message: str

    def to_json(self) -> dict:
        """The error as `{path, message}`."""
        return {"path": self.path, "message": self.message}


class RequestInvalid(ValueError):
    """A request that cannot be quoted; ``errors`` lists every problem found."""

    def __init__(self, errors: list[RequestError], ident: str | int | None = None):
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors
        self.ident = ident  # the request's valid `id`, when known (echoed on a batch error line)


class Step(NamedTuple):
    """One channel on the route (introducer first, partner of record last)."""

    channel: str
    tier: str | None = None
    rate: Decimal | None = None
    partner: str | None = None  # the partner's own id (a company), echoed on its payout lines
    # negotiated terms, sorted: (("commission", Decimal("0.15")),) (economics.negotiation)
    terms: tuple[tuple[str, m.TermValue], ...] = ()


class Cumulative(NamedTuple):
    """Volume a channel has already booked in the current threshold period: an amount, or on
    a count ladder the number of deals before this one."""

    channel: str
    amount: Decimal
    as_of: _dt.date | None = None


class DealRequest(NamedTuple):
    """A deal to quote. Amounts are exact decimals in the program's currency."""

    product: str
    seats: int
    years: int = 1
    route: tuple[Step, ...] = ()
    services_one_time: Decimal = Decimal(0)
    services_per_year: Decimal = Decimal(0)
    cumulative: tuple[Cumulative, ...] = ()
    close_date: _dt.date | None = None
    start: _dt.date | None = None  # contract start; the close date when not given
    unit_price: Decimal | None = None
    price_approved: bool = False
    certified: bool = True
    registered: bool = True
    split: str | None = None
    influenced: tuple[str, ...] = ()
    id: str | int | None = None
    warnings: tuple[RequestError, ...] = ()  # input that takes no effect on this deal
    renewal_influenced: bool = False  # the condition of a `renewal_fee` is met
    spiffs: tuple[str, ...] = ()      # the SPIFFs the deal claims, by name

    def cumulative_for(self, channel: str) -> Cumulative | None:
        """The cumulative volume stated for ``channel``, if any."""
        return next((c for c in self.cumulative if c.channel == channel), None)


# ---- structure ----------------------------------------------------------------------------

@lru_cache(maxsize=None)
def request_schema() -> dict:
    """The JSON Schema of a quote request (shipped as package data)."""
    from importlib import resources  # with tempfile, shutil, …: not on a check's path

    text = resources.files("charter.economics").joinpath("schemas/quote-request.schema.json")
    return json.loads(text.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _validator():
    import jsonschema

    schema = request_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def structure_errors(obj: object) -> list[RequestError]:
    """Every schema violation of ``obj``, as JSON-path errors, sorted by path."""
    errors = [_schema_error(e) for e in _validator().iter_errors(obj)]
    return sorted(set(errors), key=lambda e: (e.path, e.message))


def _schema_error(error) -> RequestError:
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    found = _show(error.instance)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return RequestError(path, f"missing required field `{missing}`")
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        hint = suggest(extra[0], schema.get("properties", {})) if extra else ()
        return RequestError(path, f"unknown field `{extra[0] if extra else '?'}`"
                            + (f" ({hint[0]})" if hint else ""))
    expected = schema.get("x-expected") or error.message
    return RequestError(path, f"expected {expected}, found {found}")


def _show(value: object) -> str:
    """A found value as the user wrote it (JSON fractions are read as Decimal, never float)."""
    if isinstance(value, Decimal):
        return f"the JSON number {value}"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def fast_shape_ok(obj: object) -> bool:
    """A quick structural check for batch mode; True only if the schema accepts ``obj``.

    When it says False the caller asks `structure_errors` for the exact messages. The
    property tests hold this to agreement with the JSON Schema.
    """
    if type(obj) is not dict or not obj.keys() <= _TOP_KEYS or "product" not in obj \
            or "seats" not in obj:
        return False
    top = _TOP
    for key, value in obj.items():
        if not top[key](value):
            return False
    return True


def _is_int(v, low: int, high: int) -> bool:
    return type(v) is int and low <= v <= high


def _is_amount(v) -> bool:
    kind = type(v)
    if kind is str:  # plain ASCII digits are the common case; the regex handles the rest
        return (v.isdigit() and v.isascii() and len(v) <= 24) or AMOUNT.fullmatch(v) is not None
    return kind is int and 0 <= v < 10 ** 24


def _is_name(v) -> bool:
    return type(v) is str and 0 < len(v) <= 200


def _is_date(v) -> bool:
    return type(v) is str and DATE.fullmatch(v) is not None and _date_or_none(v) is not None


def _is_step(v) -> bool:
    if type(v) is not dict or "channel" not in v or not v.keys() <= _STEP_KEYS:
        return False
    return _is_name(v["channel"]) and ("tier" not in v or _is_name(v["tier"])) and \
        ("partner" not in v or _is_name(v["partner"])) and \
        ("rate" not in v or (type(v["rate"]) is str and PERCENT.fullmatch(v["rate"]) is not None)) \
        and ("terms" not in v or _is_terms(v["terms"]))


def _is_terms(v) -> bool:
    """`{"commission": "15%"}`: term names, each with a percentage or duration string."""
    from charter.economics.negotiation import DURATION as TERM_DURATION

    return type(v) is dict and len(v) <= 16 and all(
        _is_name(k) and type(x) is str and (PERCENT.fullmatch(x) is not None
                                            or TERM_DURATION.fullmatch(x) is not None)
        for k, x in v.items())


def _is_cumulative(v) -> bool:
    if type(v) is dict:
        return "amount" in v and v.keys() <= _CUM_KEYS and _is_amount(v["amount"]) and \
            ("as_of" not in v or _is_date(v["as_of"]))
    return _is_amount(v)


def _is_services(v) -> bool:
    return type(v) is dict and v.keys() <= _SERVICE_KEYS and all(_is_amount(x) for x in v.values())


_STEP_KEYS = frozenset(("channel", "tier", "rate", "partner", "terms"))
_CUM_KEYS = frozenset(("amount", "as_of"))
_SERVICE_KEYS = frozenset(("one_time", "per_year"))
_TOP = {
    "id": lambda v: (type(v) is str and len(v) <= 200) or type(v) is int,
    "product": _is_name, "seats": lambda v: _is_int(v, 1, MAX_SEATS),
    "years": lambda v: _is_int(v, 1, MAX_YEARS),
    "route": lambda v: type(v) is list and len(v) <= 8 and all(_is_step(s) for s in v),
    "services": _is_services,
    "cumulative": lambda v: type(v) is dict and all(_is_name(k) and _is_cumulative(x)
                                                    for k, x in v.items()),
    "close_date": _is_date, "start": _is_date, "unit_price": _is_amount,
    "price_approved": lambda v: type(v) is bool, "certified": lambda v: type(v) is bool,
    "registered": lambda v: type(v) is bool, "split": _is_name,
    "influenced": lambda v: type(v) is list and len(v) <= MAX_INFLUENCERS
    and all(_is_name(x) for x in v),
    "renewal_influenced": lambda v: type(v) is bool,
    "spiffs": lambda v: type(v) is list and len(v) <= 8 and all(_is_name(x) for x in v),
}
_TOP_KEYS = frozenset(_TOP)


def _date_or_none(text: str) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        return None


def prune(obj: object, errors: list[RequestError]) -> object:
    """A copy of ``obj`` without the parts ``errors`` point at (so the rest can be checked)."""
    if not isinstance(obj, dict):
        return obj
    pruned = json.loads(json.dumps(obj, default=str))
    for error in errors:
        steps = re.findall(r"\.([^.\[]+)|\[(\d+)\]", error.path)
        keys = [int(i) if i else k for k, i in steps]
        if keys:
            _drop(pruned, keys)
    return pruned


def _drop(obj, keys: list) -> None:
    for key in keys[:-1]:
        try:
            obj = obj[key]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(obj, dict):
        obj.pop(keys[-1], None)
    elif isinstance(obj, list) and isinstance(keys[-1], int) and keys[-1] < len(obj):
        obj[keys[-1]] = None  # keep the indexes of later items


# ---- meaning ------------------------------------------------------------------------------

def read_request(obj: dict, program: m.Program, routes: dict | None = None) -> DealRequest:
    """Build a `DealRequest` from a structurally valid JSON object, checked against ``program``.

    Raises `RequestInvalid` listing every unknown name, missing tier and over-precise amount.
    ``routes`` is an optional cache of checked routes, owned by the caller (one per program).
    """
    errors: list[RequestError] = []
    minor = program.header.minor_units
    route = _read_route(obj.get("route", ()), program, errors, {} if routes is None else routes)
    services = obj.get("services", _EMPTY)
    get = obj.get
    request = DealRequest(
        product=_known_product(obj["product"], program, errors) if "product" in obj else "",
        seats=obj["seats"],
        years=obj.get("years", 1), route=route,
        services_one_time=_amount(services.get("one_time", 0), "$.services.one_time", minor, errors),
        services_per_year=_amount(services.get("per_year", 0), "$.services.per_year", minor, errors),
        cumulative=tuple(_read_cumulative(k, v, program, minor, errors)
                         for k, v in get("cumulative", _EMPTY).items()),
        close_date=_date_or_none(obj["close_date"]) if "close_date" in obj else None,
        start=_date_or_none(obj["start"]) if "start" in obj else None,
        unit_price=_amount(obj["unit_price"], "$.unit_price", minor, errors)
        if "unit_price" in obj else None,
        price_approved=obj.get("price_approved", False), certified=obj.get("certified", True),
        registered=get("registered", True),
        split=_known_split(get("split"), program, errors) if "split" in obj else None,
        influenced=tuple(known_influencer(n, i, program, errors)
                         for i, n in enumerate(get("influenced", ()))),
        id=obj.get("id"), renewal_influenced=get("renewal_influenced", False),
        spiffs=tuple(known_spiff(n, i, program, errors) for i, n in enumerate(get("spiffs", ()))))
    if not errors:
        errors, warnings = effect_problems(request, program)
        request = request._replace(warnings=tuple(warnings)) if warnings else request
    if errors:
        raise RequestInvalid(sorted(errors, key=lambda e: e.path))
    return request


def effect_problems(request: DealRequest, program: m.Program, internal_ok: bool = False
                    ) -> tuple[list[RequestError], list[RequestError]]:
    """(errors, warnings) for request input that would not take effect as a user expects:
    a split paying a channel off the route, an influencer that also sources the deal (or is
    internal), an unregistered deal with no rule for it, a cumulative no ladder reads, a
    contract past the calendar's end. Never silence. ``internal_ok``: a worked example."""
    errors: list[RequestError] = []
    warnings: list[RequestError] = []
    closer = request.route[-1].channel if request.route else None
    _check_split(request, program, closer, errors)
    _check_influenced(request, program, closer, errors, internal_ok)
    _check_dates(request, errors)
    if not request.registered:
        _check_unregistered(request, program, errors, warnings)
    if request.price_approved and not _below_floor(request, program):
        warnings.append(RequestError("$.price_approved", "the unit price is not below an MSRP"
                                     " floor, so `price_approved: true` changes nothing"))
    if not request.certified and not _certification(program, closer):
        warnings.append(RequestError("$.certified", "no certification is required on this"
                                     " route, so `certified: false` changes nothing"))
    for stated in request.cumulative:
        _check_cumulative(request, program, stated, closer, errors, warnings)
    if request.renewal_influenced:
        _check_renewal(request, program, closer, warnings)
    _check_spiffs(request, program, closer, errors, warnings)
    if any(step.terms for step in request.route):
        _check_terms(request, program, errors, warnings)
    return errors, warnings


def _check_terms(request: DealRequest, program: m.Program, errors: list[RequestError],
                 warnings: list[RequestError]) -> None:
    """Negotiated payout terms on an introducer (error) or an unregistered deal (a ceiling)."""
    from charter.economics.negotiation import role_problems, unregistered_warnings

    errors += role_problems(request)
    if unregistered_rule(program) is not None:
        warnings += unregistered_warnings(request)


def _check_renewal(request: DealRequest, program: m.Program, closer: str | None,
                   warnings: list[RequestError]) -> None:
    """`renewal_influenced: true` takes effect only through the partner of record's
    `renewal_fee`, from contract year 2 on."""
    channel = program.channel(closer) if closer else None
    if channel is None or channel.renewal_fee is None:
        warnings.append(RequestError("$.renewal_influenced", "no renewal fee is paid on this"
                                     " route (the partner of record has no `renewal_fee`), so"
                                     " `renewal_influenced` changes nothing"))
    elif request.years < 2:
        warnings.append(RequestError("$.renewal_influenced", f"{channel.name}'s renewal fee is"
                                     " paid from contract year 2 on; this 1-year deal has no"
                                     " renewal to pay it on"))


def _check_spiffs(request: DealRequest, program: m.Program, closer: str | None,
                  errors: list[RequestError], warnings: list[RequestError]) -> None:
    """A claimed SPIFF a quote cannot pay, or claimed twice, or without a close date to judge
    its window by, is an error; one the deal does not qualify for is a warning saying why
    (the quote then pays no SPIFF line for it). Never silence."""
    from charter.economics.spiffs import misses, spiff_named, unquotable, year_one_value

    seen: set[str] = set()
    for index, name in enumerate(request.spiffs):
        path, spiff = f"$.spiffs[{index}]", spiff_named(program, name)
        if spiff is None:
            continue  # unknown: reported when read
        problem = unquotable(spiff) or (f"`{name}` is claimed twice: a SPIFF pays once per"
                                        " deal" if name in seen else None)
        seen.add(name)
        if problem is None and request.close_date is None:
            problem = (f"SPIFF `{name}` runs {spiff.starts} .. {spiff.ends or '(open)'}; give"
                       " the deal's `close_date` so its window can be judged")
        if problem is not None:
            errors.append(RequestError(path, problem))
            continue
        product = program.product(request.product)
        if product is None or product.list_price is None:
            return  # not quotable at all: reported as such
        value = year_one_value(program, request.product, request.seats, request.unit_price)
        why = misses(spiff, program, request.product, closer, value, request.close_date)
        if why is not None:
            warnings.append(RequestError(path, why + ": it pays nothing on this deal"))


def _below_floor(request: DealRequest, program: m.Program) -> bool:
    """Whether the deal's own unit price is below its product's MSRP floor: the only case an
    approval changes (`charter.economics.engine.Quoter._reasons`)."""
    from charter.economics.plan import unit_floor

    product = program.product(request.product)
    floor = unit_floor(product) if product is not None and product.list_price else None
    return floor is not None and request.unit_price is not None and request.unit_price < floor


def _certification(program: m.Program, closer: str | None) -> tuple[str, ...]:
    channel = program.channel(closer) if closer else None
    return channel.certification if channel is not None else ()


def _check_dates(request: DealRequest, errors: list[RequestError]) -> None:
    start = request.start or request.close_date
    if start is not None and start.year + request.years > MAX_DATE_YEAR:
        field = "start" if request.start else "close_date"
        errors.append(RequestError(f"$.{field}", f"a {request.years}-year contract from {start}"
                                   " would end after 9999-12-31; give the real date"))


def _check_unregistered(request: DealRequest, program: m.Program, errors: list[RequestError],
                        warnings: list[RequestError]) -> None:
    unpaid = _unregistered_unpaid(request, program)
    if unpaid is not None:
        warnings.append(RequestError("$.registered", unpaid + ", so `registered: false` changes"
                                     " nothing"))
        return
    if unregistered_rule(program) is None and registered_bonus(program) is None:
        errors.append(RequestError("$.registered", "the program has no rule for unregistered"
                                   " deals (`unregistered_rate`, or a `registered_bonus`"
                                   " they do without); it would pay the registered rate."
                                   " Remove `registered: false` or declare the rule"))
        return
    if unregistered_rule(program) is None:
        return  # the base rate, without the bonus: a deal's own rate still applies
    for index, step in enumerate(request.route[-1:], len(request.route) - 1):
        if step.rate is not None:
            warnings.append(RequestError(f"$.route[{index}].rate", "an unregistered deal earns"
                                         " the flat `unregistered_rate` (never more than this"
                                         " rate): the deal's rate is only a ceiling"))


def _unregistered_unpaid(request: DealRequest, program: m.Program) -> str | None:
    """Why registration cannot change what ``request``'s deal pays, if it cannot: no partner
    is on the deal, or a cash split of the revenue is all the partner of record earns."""
    if not request.route:
        return "a direct deal has no partner to register it"
    split = split_named(program, request.split)
    if split is None or split.settles != "cash":
        return None
    from charter.economics.plan import closer_pays

    if closer_pays(program, request.route[-1]):
        return None  # the split divides the closer's own payout, which registration sets
    return (f"{request.route[-1].channel} earns only its part of split `{split.name}`, which"
            " registration does not change")


def split_named(program: m.Program, name: str | None) -> m.Split | None:
    """The attribution's split called ``name``, if any."""
    if name is None or program.attribution is None:
        return None
    return next((s for s in program.attribution.splits if s.name == name), None)


def named_in(program: m.Program, view: str) -> m.Program:
    """``program`` as a request in ``view`` may name it: whole for the vendor's own view;
    for `--view partner`, without its internal channels and the handovers from or to them,
    so naming one is an unknown channel like any made-up name, and no list of choices or
    "did you mean" shows one. Quoting still uses the whole program: such a request never
    routes through one."""
    if view != "partner":
        return program
    import dataclasses

    from charter.confidential import handover_is_internal, internal_channels

    internal = internal_channels(program)
    if not internal:
        return program
    return dataclasses.replace(
        program, channels=tuple(c for c in program.channels if not c.internal),
        handovers=tuple(h for h in program.handovers if not handover_is_internal(h, internal)))


def registered_bonus(program: m.Program) -> Decimal | None:
    """What a registered deal earns on top of the partner of record's rate, if anything."""
    return program.registration.registered_bonus if program.registration else None


def unregistered_rule(program: m.Program) -> Decimal | None:
    """The flat rate of an unregistered deal (registration's, else attribution's), if any."""
    if program.registration and program.registration.unregistered_rate is not None:
        return program.registration.unregistered_rate
    return program.attribution.unregistered_rate if program.attribution else None


def _check_split(request: DealRequest, program: m.Program, closer: str | None,
                 errors: list[RequestError]) -> None:
    split = next((s for s in program.attribution.splits if s.name == request.split), None) \
        if request.split and program.attribution else None
    if split is None:
        return
    if closer is None:
        errors.append(RequestError("$.split", f"split `{split.name}` divides a partner's payout,"
                                   " but the deal is direct (no route)"))
        return
    for party, _share, _span in split.shares:
        if party not in ("partner", "direct", "vendor", closer):
            errors.append(RequestError("$.split", f"split `{split.name}` pays `{party}`, which is"
                                       f" not the deal's partner of record (`{closer}`); a split"
                                       " divides the partner of record's payout"))


def _check_influenced(request: DealRequest, program: m.Program, closer: str | None,
                      errors: list[RequestError], internal_ok: bool) -> None:
    on_route = {s.channel for s in request.route}
    seen: set[str] = set()
    for index, name in enumerate(request.influenced):
        path = f"$.influenced[{index}]"
        channel = program.channel(name)
        if channel is not None and channel.internal and not internal_ok:
            errors.append(RequestError(path, f"channel `{name}` is internal (a benchmark, not an"
                                       " offer): it cannot be paid"))
        elif name in on_route:
            errors.append(RequestError(path, f"`{name}` is on the deal's route: a channel that"
                                       " sources or closes the deal is not also paid an"
                                       " influence fee (no double-dipping)"))
        elif name in seen:
            errors.append(RequestError(path, f"`{name}` is listed twice: an influencer is paid"
                                       " once"))
        elif channel is not None and program.attribution is not None \
                and program.attribution.influence_rate(channel) is None \
                and program.attribution.influenced_rate is not None:
            errors.append(RequestError(path, f"`{name}` has no single sourced rate (no flat"
                                       " `commission:`), and `influenced_rate` is a share of"
                                       " the influencer's sourced rate"))
        seen.add(name)


def _check_cumulative(request: DealRequest, program: m.Program, stated: "Cumulative",
                      closer: str | None, errors: list[RequestError],
                      warnings: list[RequestError]) -> None:
    path = f"$.cumulative.{stated.channel}"
    channel = program.channel(stated.channel)
    if channel is None:
        return  # reported as unknown already
    if channel.thresholds is None:
        errors.append(RequestError(path, f"`{channel.name}` has no thresholds: a cumulative"
                                   " volume for it changes nothing"))
    elif _measure_problem(channel, stated):
        errors.append(RequestError(path, _measure_problem(channel, stated)))
    elif all(step.channel != stated.channel for step in request.route):
        warnings.append(RequestError(path, f"`{channel.name}` is not on this deal's route, so"
                                     " its thresholds do not apply to this deal"))
    elif stated.channel != closer:
        warnings.append(RequestError(path, f"`{channel.name}` only introduces this deal (it is"
                                     " not the partner of record), so its thresholds do not"
                                     " apply"))
    elif not request.registered and unregistered_rule(program) is not None:
        warnings.append(RequestError(path, "an unregistered deal earns the flat"
                                     " `unregistered_rate`: the thresholds do not apply"))
    if stated.as_of and request.close_date is None:
        errors.append(RequestError(path + ".as_of", "`as_of` says when the volume was measured;"
                                   " without the deal's `close_date` nothing can tell whether it"
                                   " is from this period. Give `close_date`"))
    if stated.as_of and request.close_date and stated.as_of > request.close_date:
        errors.append(RequestError(path + ".as_of", f"volume as of {stated.as_of} is after the"
                                   f" close date {request.close_date}: the cumulative is the"
                                   " volume booked before the deal"))


def _measure_problem(channel: m.Channel, stated: "Cumulative") -> str | None:
    """Why a cumulative cannot be a count of deals on a count ladder."""
    ladder = channel.thresholds
    if ladder.counts and (stated.amount < 0 or stated.amount != stated.amount.to_integral()):
        return (f"`{channel.name}`'s `{ladder.name}` ladder counts deals: the cumulative is a"
                f" whole number of deals before this one, not {stated.amount:f}")
    return None


def measure_mismatch(program: m.Program, channel_name: str,
                     written: m.MoneyValue | Decimal) -> str | None:
    """Why an example's cumulative is written in the wrong measure: an amount for a ladder
    that counts deals, or a number of deals for one that measures money. (JSON writes both
    as plain numbers; only an example says which it meant.)"""
    channel = program.channel(channel_name)
    ladder = channel.thresholds if channel is not None else None
    if ladder is None:
        return None
    if ladder.counts and isinstance(written, m.MoneyValue):
        return (f"`{channel.name}`'s `{ladder.name}` ladder counts deals, not money: give the"
                f" number of deals before this one in the period (`{channel.name} 10`)")
    if not ladder.counts and not isinstance(written, m.MoneyValue):
        return (f"`{channel.name}`'s `{ladder.name}` ladder measures money: give the amount"
                f" already booked in the period, not a number of deals")
    return None


_EMPTY: dict = {}


def _read_route(raw: list, program: m.Program, errors: list[RequestError],
                cache: dict) -> tuple[Step, ...]:
    """The route, checked; valid routes are cached (batches repeat a few routes)."""
    steps = [(i, s) for i, s in enumerate(raw) if s is not None and "channel" in s]  # pruned
    key = tuple((s["channel"], s.get("tier"), s.get("rate"), s.get("partner"),
                 tuple(sorted(s.get("terms", _EMPTY).items()))) for _i, s in steps)
    route = cache.get(key)
    if route is None:
        found: list[RequestError] = []
        route = tuple(read_step(s, i, program, found) for i, s in steps)
        seen: set[str] = set()
        for (i, _s), step in zip(steps, route):
            if step.channel in seen:
                found.append(RequestError(f"$.route[{i}].channel", f"`{step.channel}` is already"
                                          " on the route: a channel is paid once per deal"))
            seen.add(step.channel)
        errors += found
        if not found and len(cache) < 4096:
            cache[key] = route
    return route


def _amount(value, path: str, minor: int | None, errors: list[RequestError]) -> Decimal:
    amount = Decimal(value)
    if type(value) is int or "." not in value:  # whole amounts fit every currency
        return amount
    if minor is not None and amount != amount.quantize(Decimal(1).scaleb(-minor)):
        errors.append(RequestError(path, f"`{value}` has more decimals than the currency's"
                                         f" {minor} minor units"))
    return amount


def _known_product(name: str, program: m.Program, errors: list[RequestError]) -> str:
    product = program.product(name)
    if product is not None and product.list_price is not None:
        return name
    priced = [p.name for p in program.products if p.list_price is not None]
    if product is None:
        errors.append(_unknown("$.product", "product", name, [p.name for p in program.products]))
    elif product.list_price is None:
        errors.append(RequestError("$.product", f"product `{name}` has no list price to quote;"
                                                f" priced products: {', '.join(priced) or 'none'}"))
    return name


def read_step(raw: dict, index: int, program: m.Program, errors: list[RequestError],
              internal_ok: bool = False) -> Step:
    """Route step ``index``, checked against ``program`` (problems appended to ``errors``).

    An `internal` channel (a benchmark, not an offer) may only be quoted by the program's own
    worked examples (``internal_ok``)."""
    path = f"$.route[{index}]"
    channel = program.channel(raw["channel"])
    tier, rate = raw.get("tier"), raw.get("rate")
    if channel is None:
        errors.append(_unknown(path + ".channel", "channel", raw["channel"],
                               [c.name for c in program.channels if not c.internal]))
    elif channel.internal and not internal_ok:
        errors.append(RequestError(path + ".channel", f"channel `{channel.name}` is internal (a"
                                   " benchmark, not an offer): it cannot be quoted"))
    elif channel.tiers and tier is None:
        errors.append(RequestError(path, f"channel `{channel.name}` has tiers; say which one"
                                         f" (`tier`: {', '.join(t.name for t in channel.tiers)})"))
    elif tier is not None and channel.tier(tier) is None:
        names = [t.name for t in channel.tiers]
        errors.append(_unknown(path + ".tier", f"tier of {channel.name}", tier, names)
                      if names else RequestError(path + ".tier",
                                                 f"channel `{channel.name}` has no tiers"))
    parsed_rate = Decimal(rate[:-1]) / 100 if rate else None
    if channel is not None:
        _check_rate(channel, parsed_rate, path, errors)
    return Step(raw["channel"], tier, parsed_rate, raw.get("partner"),
                _step_terms(raw, path, channel, errors))


def _step_terms(raw: dict, path: str, channel: m.Channel | None,
                errors: list[RequestError]) -> tuple:
    """The step's negotiated `terms`, checked against its channel and tier (a tier that is
    missing or unknown was reported: the terms are then judged against the channel)."""
    if "terms" not in raw:
        return ()
    from charter.economics.negotiation import read_terms

    tier = channel.tier(raw["tier"]) if channel is not None and raw.get("tier") else None
    return read_terms(raw["terms"], path, channel, tier, errors)


def _check_rate(channel: m.Channel, rate: Decimal | None, path: str,
                errors: list[RequestError]) -> None:
    """A channel whose discount is a range (`40% .. 60%`) needs the deal's rate, inside it."""
    low_high = channel.discount
    ranged = channel.buys_wholesale and low_high is not None and low_high[0] != low_high[1] \
        and not channel.tiers
    if rate is None and ranged:
        errors.append(RequestError(path, f"channel `{channel.name}` discounts"
                                         f" {pct(low_high[0])} .. {pct(low_high[1])};"
                                         f" give the deal's `rate`, e.g. \"{pct(low_high[0])}\""))
    elif rate is not None and channel.negotiable_term("discount") is not None:
        errors.append(RequestError(path + ".rate", f"channel `{channel.name}` negotiates its"
                                   " discount in the step's `terms`: write"
                                   f" `\"terms\": {{\"discount\": \"{pct(rate)}\"}}` instead of"
                                   " `rate`"))
    elif rate is not None and not ranged:
        errors.append(RequestError(path + ".rate", f"channel `{channel.name}` has no negotiable"
                                   " discount range, so a deal's `rate` would change nothing;"
                                   " remove `rate`"))
    elif rate is not None and not low_high[0] <= rate <= low_high[1]:
        errors.append(RequestError(path + ".rate", f"{pct(rate)} is outside `{channel.name}`'s"
                                                   f" range {pct(low_high[0])} .. {pct(low_high[1])}"))



def _read_cumulative(name: str, raw, program: m.Program, minor: int,
                     errors: list[RequestError]) -> Cumulative:
    path = f"$.cumulative.{name}"
    if program.channel(name) is None:
        errors.append(_unknown(path, "channel", name, [c.name for c in program.channels]))
    if type(raw) is dict:
        as_of = _date_or_none(raw["as_of"]) if "as_of" in raw else None
        return Cumulative(name, _amount(raw["amount"], path + ".amount", minor, errors), as_of)
    return Cumulative(name, _amount(raw, path, minor, errors))


def _known_split(name: str | None, program: m.Program, errors: list[RequestError]) -> str | None:
    splits = program.attribution.splits if program.attribution else ()
    if name is not None and not any(s.name == name for s in splits):
        errors.append(_unknown("$.split", "split", name, [s.name for s in splits])
                      if splits else RequestError("$.split", "the program declares no splits"))
    return name


def known_influencer(name: str, index: int, program: m.Program,
                     errors: list[RequestError]) -> str:
    """Influencer ``index``, checked: a channel, in a program that pays `influenced_rate` or
    credits `influenced_credit`."""
    path = f"$.influenced[{index}]"
    attribution = program.attribution
    if attribution is None or (attribution.influenced_rate is None
                               and attribution.influenced_credit is None):
        errors.append(RequestError(path, "the program declares no `influenced_rate` (a fee)"
                                   " or `influenced_credit` (credit): naming an influencer"
                                   " changes nothing"))
    elif program.channel(name) is None:
        errors.append(_unknown(path, "channel", name, [c.name for c in program.channels]))
    return name


def known_spiff(name: str, index: int, program: m.Program, errors: list[RequestError]) -> str:
    """Claimed SPIFF ``index``, checked: one the program declares ("did you mean")."""
    if not any(x.name == name for x in program.spiffs):
        errors.append(_unknown(f"$.spiffs[{index}]", "SPIFF", name,
                               [x.name for x in program.spiffs])
                      if program.spiffs else RequestError(f"$.spiffs[{index}]",
                                                          "the program declares no SPIFFs"))
    return name


def _unknown(path: str, kind: str, name: str, choices: list[str]) -> RequestError:
    hint = suggest(name, choices)
    return RequestError(path, f"unknown {kind} `{name}`" + (f"; {hint[0]}" if hint else ""))


def _example_cumulative(channel: str, value: m.MoneyValue | Decimal,
                        as_of: _dt.date | None) -> Cumulative:
    """`Referral Rp 2 Miliar` (an amount) or `Affiliate 10` (a count of deals); which one
    the ladder measures is checked by `measure_mismatch`."""
    amount = value.amount if isinstance(value, m.MoneyValue) else value
    return Cumulative(channel, amount, as_of)


def request_from_deal(deal: m.Deal, name: str | None = None) -> DealRequest:
    """The request an `example` block's deal stands for; the example's ``name`` is its `id`.

    Each request field has one example form (`charter.economics.fields`).
    """
    partners = {channel: partner for channel, partner, _span in deal.partners}
    dates = dict(deal.cumulative_dates)
    return DealRequest(
        product=deal.product, seats=deal.seats, years=deal.years,
        route=tuple(Step(s.channel, s.tier, s.rate, partners.get(s.channel),
                         tuple(sorted((t, v) for c, t, v, _span in deal.terms if c == s.channel)))
                    for s in deal.route),
        services_one_time=deal.services_one_time.amount if deal.services_one_time else Decimal(0),
        services_per_year=deal.services_per_year.amount if deal.services_per_year else Decimal(0),
        cumulative=tuple(_example_cumulative(channel, value,
                                             dates.get(channel, deal.cumulative_as_of))
                         for channel, value, _span in deal.cumulative),
        close_date=deal.close_date, start=deal.start,
        unit_price=deal.unit_price.amount if deal.unit_price else None,
        price_approved=deal.price_approved, certified=deal.certified, registered=deal.registered,
        split=deal.split, influenced=tuple(channel for channel, _span in deal.influenced),
        id=name, renewal_influenced=deal.renewal_influenced,
        spiffs=tuple(spiff for spiff, _span in deal.spiffs))


class FastReader:
    """One-pass reading of the common request shape, for batch quoting.

    `read` returns the same `DealRequest` as `structure_errors` + `read_request` would, or
    None when the request is unusual (rare fields, anything invalid); the caller then takes
    the full path, which also produces the error messages. Tests hold the two to agreement.
    """

    def __init__(self, program: m.Program):
        self.program = program
        self.minor = program.header.minor_units
        self.products = frozenset(p.name for p in program.products if p.list_price is not None)
        self.channels = frozenset(c.name for c in program.channels)
        self.routes: dict = {}
        self.dates: dict[str, _dt.date] = {}

    def read(self, obj: object) -> DealRequest | None:
        """The request, or None for "use the full path"."""
        if type(obj) is not dict or not obj.keys() <= _COMMON_KEYS:
            return None
        get = obj.get
        product, seats, years = get("product"), get("seats"), get("years", 1)
        if type(product) is not str or product not in self.products \
                or type(seats) is not int or not 1 <= seats <= MAX_SEATS \
                or type(years) is not int or not 1 <= years <= MAX_YEARS:
            return None
        route = self._route(get("route", _NO_ROUTE))
        services = get("services", _EMPTY)
        one_time, per_year = self._amount(services, "one_time"), self._amount(services, "per_year")
        cumulative = self._cumulative(get("cumulative", _EMPTY))
        close = self._date(get("close_date")) if "close_date" in obj else None
        ident = get("id")
        if route is None or one_time is None or per_year is None or cumulative is None \
                or not services.keys() <= _SERVICE_KEYS or close is False \
                or ("id" in obj and not _TOP["id"](ident)):
            return None
        request = DealRequest(product, seats, years, route, one_time, per_year, cumulative,
                              close, id=ident)
        late = close is not None and close.year + years > MAX_DATE_YEAR
        if (cumulative or late) and any(effect_problems(request, self.program)):
            return None  # the full path reports the problems (or attaches the warnings)
        return request

    def _route(self, raw) -> tuple[Step, ...] | None:
        """Checked routes are cached by their exact JSON content (a batch has few routes)."""
        if type(raw) is not list:
            return None
        if not raw:
            return ()
        try:
            key = tuple(tuple(step.items()) for step in raw)
            route = self.routes.get(key)
        except (AttributeError, TypeError):  # not objects, or unhashable values: full path
            return None
        if route is None:
            if len(raw) > 8 or not all(_is_step(s) for s in raw):
                return None
            errors: list[RequestError] = []
            route = _read_route(raw, self.program, errors, {})
            if errors:
                return None
            if len(self.routes) < 4096:
                self.routes[key] = route
        return route

    def _date(self, value) -> _dt.date | bool:
        """The date, or False when it is not a valid date (cached: a batch has few dates)."""
        date = self.dates.get(value) if type(value) is str else None
        if date is None:
            date = _date_or_none(value) if _is_date(value) else None
            if date is None:
                return False
            if len(self.dates) < 4096:
                self.dates[value] = date
        return date

    def _amount(self, holder, key: str) -> Decimal | None:
        if type(holder) is not dict:
            return None
        value = holder.get(key, 0)
        if type(value) is str and value.isdigit() and value.isascii() and len(value) <= 24:
            return Decimal(value)  # the common case: whole units, valid in every currency
        if not _is_amount(value):
            return None
        errors: list[RequestError] = []
        amount = _amount(value, "", self.minor, errors)
        return None if errors else amount

    def _cumulative(self, raw) -> tuple[Cumulative, ...] | None:
        if type(raw) is not dict:
            return None
        out = []
        for name, value in raw.items():
            if name not in self.channels or type(value) is not str \
                    or not (value.isdigit() and value.isascii() and len(value) <= 24):
                return None  # dated, fractional or integer amounts take the full path
            out.append(Cumulative(name, Decimal(value)))
        return tuple(out)


_NO_ROUTE: list = []  # read-only default: a request without `route` is direct
_COMMON_KEYS = frozenset(("id", "product", "seats", "years", "route", "services", "cumulative",
                          "close_date"))
