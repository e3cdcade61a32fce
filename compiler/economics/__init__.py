"""Deal economics: what a program pays on a deal, computed exactly.

    from charter.economics import Quoter, parse_request
    quoter = Quoter(program)
    quote = quoter.quote(parse_request({"product": "Growth", "seats": 1000, ...}, program))

The engine is pure: it reads the compiled model and returns frozen values. Money is
`decimal.Decimal` end to end; rounding follows the program's `rounding` and `minor_units`.
"""
from __future__ import annotations

from charter.economics.engine import Credit, LadderUse, Payout, Quote, Quoter, YearQuote
from charter.economics.kinds import PayoutKind, ReasonCode, Settlement, Timing
from charter.economics.plan import Reason
from charter.economics.request import (DealRequest, RequestError, RequestInvalid,
                                       prune, read_request, request_from_deal,
                                       structure_errors)


def parse_request(obj: object, program) -> DealRequest:
    """Validate ``obj`` (parsed JSON) against the request schema and ``program``.

    Raises `RequestInvalid` with every problem, each located by JSON path.
    """
    errors = structure_errors(obj)
    if not errors:
        return read_request(obj, program)
    pruned = prune(obj, errors)
    if isinstance(pruned, dict):
        pruned.setdefault("seats", 1)
        try:  # report what is wrong in the well-formed rest of the request too
            read_request(pruned, program)
        except RequestInvalid as more:
            errors += [e for e in more.errors if e not in errors]
    raise RequestInvalid(sorted(errors, key=lambda e: e.path))


__all__ = ["Credit", "DealRequest", "LadderUse", "Payout", "PayoutKind", "Quote", "Quoter",
           "Reason", "ReasonCode", "RequestError", "RequestInvalid", "Settlement", "Timing",
           "YearQuote", "parse_request", "read_request", "request_from_deal",
           "structure_errors"]
