"""Every field of a quote request and how an `example` block writes it: one table, two readers.

`REQUEST_FIELDS` is the single source: the request schema (quote-request.schema.json) and an
example's deal must offer the same fields, and `parse_example` accepts exactly
`EXAMPLE_ATTRIBUTES`, derived from it. tests/test_example_fields.py holds the table to the
schema, to `parse_example` and to docs/language.md §3.22.

A field's `path` is its place in the request JSON: `route[].rate` is the `rate` of any route
step, `cumulative.*.as_of` the `as_of` of any channel's cumulative volume (a plain amount is
short for `{amount}`), `route[].terms.*` any negotiated term of a route step, `influenced[]`
any item of the list.

This module needs only the standard library, but importing it runs the `charter.economics`
package (the engine; not jsonschema), so `charter.lower` imports it at its first example,
not at start-up.
"""
from __future__ import annotations

import re

from charter.nodes import node


@node
class RequestField:
    """One request field: where the JSON holds it and how an example writes it."""

    path: str                   # e.g. "services.one_time", "route[].rate"
    attribute: str | None       # the example attribute that writes it; None: the example's name
    form: str                   # how an example writes it
    also: tuple[str, ...] = ()  # further example attributes that write it


REQUEST_FIELDS: tuple[RequestField, ...] = (
    RequestField("id", None, "the example's name: `example c5_growth_elite {`"),
    RequestField("product", "product", "product: Growth"),
    RequestField("seats", "seats", "seats: 1_000"),
    RequestField("years", "years", "years: 2"),
    RequestField("route[].channel", "route", "route: Referral -> VAD Accelerator"),
    RequestField("route[].tier", "route", "route: VAD Elite"),
    RequestField("route[].rate", "route", "route: OEM at 45%"),
    RequestField("route[].partner", "partners", 'partners: VAD "acme-123", Referral "ref-9"'),
    RequestField("route[].terms.*", "terms", "terms: Referral commission 15%, OEM discount 45%"),
    RequestField("services.one_time", "services_one_time", "services_one_time: Rp 350 juta"),
    RequestField("services.per_year", "services_per_year", "services_per_year: Rp 4 juta"),
    RequestField("cumulative.*.amount", "cumulative", "cumulative: Referral Rp 2 Miliar"),
    RequestField("cumulative.*.as_of", "cumulative",
                 "cumulative: Referral Rp 2 Miliar as of 2026-01-31",
                 also=("cumulative_as_of",)),
    RequestField("close_date", "close_date", "close_date: 2026-03-01"),
    RequestField("start", "start", "start: 2026-04-01"),
    RequestField("unit_price", "unit_price", "unit_price: Rp 180K"),
    RequestField("price_approved", "price_approved", "price_approved: yes"),
    RequestField("certified", "certified", "certified: no"),
    RequestField("registered", "registered", "registered: no"),
    RequestField("split", "split", "split: existing_relationship"),
    RequestField("influenced[]", "influenced", "influenced: CoSell, Referral"),
    RequestField("renewal_influenced", "renewal_influenced", "renewal_influenced: yes"),
    RequestField("spiffs[]", "spiffs", "spiffs: q3_launch, multi_product"),
)

EXAMPLE_ATTRIBUTES: tuple[str, ...] = tuple(dict.fromkeys(
    name for f in REQUEST_FIELDS for name in (f.attribute, *f.also) if name))


def field_at(json_path: str) -> RequestField | None:
    """The field an error path such as `$.route[1].rate` or `$.cumulative.VAD` points into."""
    path = re.sub(r"\[\d+\]", "[]", json_path.removeprefix("$."))
    path = re.sub(r"^cumulative\.[^.]+", "cumulative.*", path)
    path = re.sub(r"^route\[\]\.terms\.[^.]+", "route[].terms.*", path)
    path = {"cumulative.*": "cumulative.*.amount", "route[]": "route[].channel"}.get(path, path)
    return next((f for f in REQUEST_FIELDS if f.path == path), None)
