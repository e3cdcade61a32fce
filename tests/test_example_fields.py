"""Examples speak the request's language: every quote-request field has an `example` form.

One table (`charter.economics.fields.REQUEST_FIELDS`) lists each request field with its JSON
path and the example attribute that writes it. These tests hold the table to the request
schema, to `parse_example`, to docs/language.md §3.22, and hold each example form to the
`DealRequest` the same JSON request reads as.
"""
from __future__ import annotations

import re

import pytest

from conftest import HEADER, REPO

from charter import lower
from charter.api import compile_text
from charter.economics import parse_request, request_from_deal
from charter.economics.fields import EXAMPLE_ATTRIBUTES, REQUEST_FIELDS, field_at
from charter.economics.request import request_schema

PROGRAM = '''program t {
    title: "T"
    currency: USD
    status: draft
}
product Growth {
    layer: software
    list_price: $100 per user per month
}
product Suite {
    layer: software
    list_price: $150 per user per month
}
channel Referral {
    model: referral
    owner: vendor
    commission: 10%
    thresholds referred {
        basis: referred_software_revenue
        semantics: forward
        reset: calendar_year
        bracket: $0 .. $50K -> 10%
        bracket: $50K .. -> 15%
    }
}
channel VAD {
    model: wholesale
    owner: partner
    tier Standard { margin: 20% }
    tier Elite { margin: 30% }
}
channel OEM {
    model: oem
    owner: partner
    discount: 40% .. 60%
}
channel Advisor {
    model: referral
    owner: vendor
    commission: 5%
    renewal_fee: 2% when renewal_influenced
}
spiff launch { trigger: "sell Growth"; reward: $500; products: Growth; from: 2026-01-01; until: 2026-12-31 }
spiff bundle { trigger: "cross-sell"; reward: 5%; from: 2026-01-01; duration: 1 year }
channel Finder {
    model: referral
    owner: vendor
    negotiable commission { range: 10% .. 20%; default: 10% }
    negotiable lead_protection { range: 30 .. 60 days; default: 45 days }
}
handover Referral -> VAD { introducer_rate: 5% }
attribution {
    default: single
    influenced_rate: 2%
    unregistered_rate: 10%
    split existing {
        partner: 60%
        vendor: 40%
    }
}
'''

# path -> (example lines, the same deal's request JSON beyond product and seats)
CASES: dict[str, tuple[str, dict]] = {
    "id": ("", {}),  # the example's name is the request's id (every case checks it)
    "product": ("product: Suite", {"product": "Suite"}),
    "seats": ("seats: 250", {"seats": 250}),
    "years": ("years: 3", {"years": 3}),
    "route[].channel": ("route: Referral -> VAD Standard",
                        {"route": [{"channel": "Referral"},
                                   {"channel": "VAD", "tier": "Standard"}]}),
    "route[].tier": ("route: VAD Elite", {"route": [{"channel": "VAD", "tier": "Elite"}]}),
    "route[].rate": ("route: OEM at 45%", {"route": [{"channel": "OEM", "rate": "45%"}]}),
    "route[].partner": ('route: Referral -> VAD Standard\npartners: VAD "acme-123", Referral "r-9"',
                        {"route": [{"channel": "Referral", "partner": "r-9"},
                                   {"channel": "VAD", "tier": "Standard",
                                    "partner": "acme-123"}]}),
    "route[].terms.*": ("route: Finder\n"
                        "terms: Finder commission 15%, Finder lead_protection 30 days",
                        {"route": [{"channel": "Finder",
                                    "terms": {"commission": "15%",
                                              "lead_protection": "30 days"}}]}),
    "services.one_time": ("services_one_time: $350", {"services": {"one_time": "350"}}),
    "services.per_year": ("services_per_year: $40.50", {"services": {"per_year": "40.50"}}),
    "cumulative.*.amount": ("route: Referral\ncumulative: Referral $60K",
                            {"route": [{"channel": "Referral"}],
                             "cumulative": {"Referral": "60000"}}),
    "cumulative.*.as_of": ("route: Referral\ncumulative: Referral $60K as of 2026-01-31\n"
                           "close_date: 2026-03-01",
                           {"route": [{"channel": "Referral"}], "close_date": "2026-03-01",
                            "cumulative": {"Referral": {"amount": "60000",
                                                        "as_of": "2026-01-31"}}}),
    "close_date": ("close_date: 2026-03-01", {"close_date": "2026-03-01"}),
    "start": ("start: 2026-04-01", {"start": "2026-04-01"}),
    "unit_price": ("unit_price: $90", {"unit_price": "90"}),
    "price_approved": ("price_approved: yes", {"price_approved": True}),
    "certified": ("route: VAD Standard\ncertified: no",
                  {"route": [{"channel": "VAD", "tier": "Standard"}], "certified": False}),
    "registered": ("route: VAD Standard\nregistered: no",
                   {"route": [{"channel": "VAD", "tier": "Standard"}], "registered": False}),
    "split": ("route: VAD Standard\nsplit: existing",
              {"route": [{"channel": "VAD", "tier": "Standard"}], "split": "existing"}),
    "influenced[]": ("route: VAD Standard\ninfluenced: Advisor, Referral",
                     {"route": [{"channel": "VAD", "tier": "Standard"}],
                      "influenced": ["Advisor", "Referral"]}),
    "renewal_influenced": ("route: Advisor\nyears: 2\nrenewal_influenced: yes",
                           {"route": [{"channel": "Advisor"}], "years": 2,
                            "renewal_influenced": True}),
    "spiffs[]": ("route: Advisor\nclose_date: 2026-03-01\nspiffs: launch, bundle",
                 {"route": [{"channel": "Advisor"}], "close_date": "2026-03-01",
                  "spiffs": ["launch", "bundle"]}),
}


def example(name: str, lines: str, product: str = "Growth", seats: int = 10) -> str:
    """An example block; ``lines`` may override product and seats."""
    body = [f"product: {product}", f"seats: {seats}"]
    written = {line.split(":")[0] for line in lines.splitlines()}
    body = [b for b in body if b.split(":")[0] not in written] + lines.splitlines()
    return f"example {name} {{\n" + "".join(f"    {b}\n" for b in body) + "}\n"


def compiled(text: str):
    """(program, diagnostics) of ``text``."""
    program, reporter = compile_text(text, "t.charter")
    return program, reporter.sorted()


def language_errors(diagnostics) -> list[str]:
    """Errors other than the design review's (the minimal program skips mitigations)."""
    return [str(d) for d in diagnostics if d.severity.value == "error"
            and not d.code.startswith("CH-P")]


def schema_paths(node: dict, schema: dict, path: str = "") -> set[str]:
    """Every leaf field of a JSON schema node, as `a.b`, `list[].field` and `map.*.field`.

    An `anyOf` of a plain value and an object is the object with a shorthand (`cumulative`:
    an amount or `{amount, as_of}`): its fields are the object's.
    """
    node = _deref(node, schema)
    if "anyOf" in node:
        objects = [a for a in map(lambda a: _deref(a, schema), node["anyOf"]) if "properties" in a]
        return set().union(*(schema_paths(o, schema, path) for o in objects)) if objects \
            else {path}
    if "properties" in node:
        return set().union(*(schema_paths(sub, schema, f"{path}.{key}".lstrip("."))
                             for key, sub in node["properties"].items()))
    if isinstance(node.get("additionalProperties"), dict):
        return schema_paths(node["additionalProperties"], schema, path + ".*")
    if "items" in node:
        return schema_paths(node["items"], schema, path + "[]")
    return {path}


def _deref(node: dict, schema: dict) -> dict:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


# ---- (a) the table is the schema's fields ----------------------------------------------------

def test_the_table_lists_exactly_the_request_schemas_fields():
    schema = request_schema()
    paths = [f.path for f in REQUEST_FIELDS]
    assert len(paths) == len(set(paths)), "a field is listed twice"
    assert set(paths) == schema_paths(schema, schema)


def test_the_schema_walk_sees_nested_fields():
    schema = request_schema()
    assert {"route[].rate", "route[].partner", "cumulative.*.as_of", "services.one_time",
            "influenced[]", "id"} <= schema_paths(schema, schema)


def test_every_field_has_an_example_form():
    for f in REQUEST_FIELDS:
        assert f.form, f.path
        assert f.attribute is not None or f.path == "id", f"{f.path} has no example attribute"
        assert f.attribute is None or f.form.startswith(f.attribute + ":"), f.path


@pytest.mark.parametrize("path, field", [
    ("$.route[1].rate", "route[].rate"), ("$.route[0]", "route[].channel"),
    ("$.cumulative.Referral", "cumulative.*.amount"),
    ("$.cumulative.Referral.as_of", "cumulative.*.as_of"), ("$.influenced[2]", "influenced[]"),
    ("$.services.one_time", "services.one_time"), ("$.split", "split"), ("$.nothing", None)])
def test_error_paths_map_to_their_field(path, field):
    found = field_at(path)
    assert (found.path if found else None) == field


# ---- (b) parse_example accepts exactly the table's attributes -------------------------------

def test_parse_example_accepts_exactly_the_tables_attributes(monkeypatch):
    allowed: dict[str, set[str]] = {}

    class Spy(lower.View):
        def __init__(self, block, ctx, attrs, *args, **kwargs):
            super().__init__(block, ctx, attrs, *args, **kwargs)
            allowed.setdefault(block.kind, set(self.allowed))

    monkeypatch.setattr(lower, "View", Spy)
    compiled(HEADER + "product Growth { list_price: Rp 1K }\n" + example("e", ""))
    assert allowed["example"] == set(EXAMPLE_ATTRIBUTES)


def test_lowering_examples_loads_no_heavy_module():
    """`lower` reads the table at its first example: no jsonschema, babel or networkx then."""
    import subprocess
    import sys
    code = ("import sys; from charter.api import compile_file;"
            f" compile_file({str(REPO / 'programs' / 'ejourney.charter')!r}, checks=False);"
            " print(sorted({'jsonschema', 'babel', 'networkx'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_attribute_outside_the_table_is_unknown():
    _, diagnostics = compiled(PROGRAM + example("e", "rate: OEM 45%"))
    (unknown,) = [d for d in diagnostics if d.code == "CH-E102"]
    assert "unknown attribute `rate` in example" in unknown.message


@pytest.mark.parametrize("field", [f for f in REQUEST_FIELDS if f.attribute],
                         ids=lambda f: f.path)
def test_every_documented_form_lowers(field):
    """The table's form, as written, is read without a type error (IDR, like the forms)."""
    lines = [field.form] + [f"{a}: 2026-01-31" for a in field.also if a.endswith("as_of")]
    _, diagnostics = compiled(HEADER + example("e", "\n".join(lines)))
    lowering = [d for d in diagnostics if d.code in ("CH-E102", "CH-E104", "CH-E106",
                                                     "CH-E107", "CH-E108", "CH-E111")]
    assert not lowering, [str(d) for d in lowering]


def test_language_doc_lists_every_example_attribute():
    doc = (REPO / "docs" / "language.md").read_text(encoding="utf-8")
    section = doc[doc.index("### 3.22"):]
    table = section[section.index("| attribute |"):section.index("\n\n", section.index("| attr"))]
    documented = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert sorted(documented) == sorted(EXAMPLE_ATTRIBUTES)


# ---- (c) each example form reads as the JSON request that writes the same field --------------

def test_there_is_a_case_for_every_field():
    assert set(CASES) == {f.path for f in REQUEST_FIELDS}


@pytest.mark.parametrize("field", REQUEST_FIELDS, ids=lambda f: f.path)
def test_example_form_reads_as_the_json_request(field):
    lines, extra = CASES[field.path]
    assert field.attribute is None or f"{field.attribute}:" in lines
    name = "writes_" + re.sub(r"\W+", "_", field.path).strip("_")
    program, diagnostics = compiled(PROGRAM + example(name, lines))
    assert program is not None and not language_errors(diagnostics), language_errors(diagnostics)
    (written,) = program.examples
    expected = parse_request({"id": name, "product": "Growth", "seats": 10, **extra}, program)
    # warnings (input that takes no effect) are reported apart: compare what was read
    assert request_from_deal(written.deal, written.name) == expected._replace(warnings=())


def test_a_deal_wide_as_of_dates_every_channel_without_its_own():
    program, diagnostics = compiled(PROGRAM + example("e", (
        "route: Referral\ncumulative: Referral $60K\ncumulative_as_of: 2026-01-31\n"
        "close_date: 2026-03-01")) + example("own", (
        "route: Referral\ncumulative: Referral $60K as_of 2026-02-15\n"
        "cumulative_as_of: 2026-01-31\nclose_date: 2026-03-01")))
    assert not language_errors(diagnostics), language_errors(diagnostics)
    deal_wide, own = (request_from_deal(e.deal) for e in program.examples)
    assert [str(c.as_of) for c in deal_wide.cumulative] == ["2026-01-31"]
    assert [str(c.as_of) for c in own.cumulative] == ["2026-02-15"]   # its own date wins


# ---- (d) a ranged discount: the deal's rate computes, and is checked -------------------------

def oem_example(route: str, expect: str = "") -> str:
    """An OEM deal of 10 users at $100/month: $12,000 list a year."""
    return PROGRAM + example("oem", f"route: {route}" + (f"\nexpect {{ {expect} }}" if expect
                                                          else ""))


def test_an_oem_rate_inside_the_range_computes():
    _, diagnostics = compiled(oem_example("OEM at 45%",
                                          "partner_margin: $5_400; wholesale_price: $6_600"))
    assert not language_errors(diagnostics), language_errors(diagnostics)


def test_an_oem_rate_that_does_not_compute_is_e301():
    _, diagnostics = compiled(oem_example("OEM at 50%", "partner_margin: $5_400"))
    (mismatch,) = [d for d in diagnostics if d.code == "CH-E301"]
    assert "computes to" in mismatch.message and "6,000" in mismatch.message


def _e302(source: str):
    _, diagnostics = compiled(source)
    found = [d for d in diagnostics if d.code == "CH-E302"]
    assert len(found) == 1, [str(d) for d in diagnostics]
    return found[0]


def _column(source: str, needle: str) -> tuple[int, int]:
    """(line, column) of ``needle``'s last occurrence, 1-based."""
    at = source.rindex(needle)
    return source.count("\n", 0, at) + 1, at - source.rindex("\n", 0, at)


def test_an_oem_rate_outside_the_range_is_e302_at_the_rate():
    source = oem_example("Referral -> OEM at 65%")
    error = _e302(source)
    assert "65% is outside `OEM`'s range 40% .. 60%" in error.message
    assert (error.span.line, error.span.column) == _column(source, "65%")
    assert any("`route: OEM at 45%`" in h for h in error.help)


def test_an_oem_deal_without_its_rate_is_e302_at_the_step():
    source = oem_example("OEM")
    error = _e302(source)
    assert "give the deal's `rate`" in error.message
    assert (error.span.line, error.span.column) == _column(source, "OEM\n")


def test_a_rate_on_a_fixed_rate_channel_is_e302():
    source = oem_example("VAD Standard at 25%")
    error = _e302(source)
    assert "no negotiable discount range" in error.message
    assert (error.span.line, error.span.column) == _column(source, "25%")


# ---- the new forms' own problems -------------------------------------------------------------

@pytest.mark.parametrize("lines, found, hint", [
    ("route: OEM at 45", "45", "`25%`"),
    ("route: OEM 45%", "OEM 45%", "`OEM at 45%`"),
    ('partners: VAD acme', "VAD acme", '`VAD "acme-123"`'),
    ("influenced: Advisor Referral", "Advisor Referral", "`CoSell, Referral`"),
    ("start: soon", "soon", "`2026-01-01`"),
    ("cumulative: Referral $60K as of soon", "soon", "`2026-01-01`"),
    ("cumulative: Referral $60K since 2026-01-31", "Referral $60K since 2026-01-31",
     "`Referral $200K as of 2026-01-31`"),   # the program's currency (USD), not rupiah
])
def test_a_bad_value_is_e106_at_its_span_with_an_example(lines, found, hint):
    source = PROGRAM + example("e", lines)
    _, diagnostics = compiled(source)
    (error,) = [d for d in diagnostics if d.code == "CH-E106"]
    assert (error.span.line, error.span.column) == _column(source, found)
    assert error.span.end - error.span.start == len(found)
    assert any("e.g." in h and hint in h for h in error.help), error.help


def test_an_unknown_influencer_or_partner_channel_is_e109():
    source = PROGRAM + example("e", 'route: VAD Standard\ninfluenced: Advizor\n'
                                    'partners: VAAD "acme-123"')
    _, diagnostics = compiled(source)
    unknown = [d for d in diagnostics if d.code == "CH-E109"]
    assert [(d.span.line, d.span.column) for d in unknown] == [
        _column(source, "Advizor"), _column(source, 'VAAD "acme-123"')]
    assert "did you mean `Advisor`?" in unknown[0].help


def test_an_unknown_split_is_e109():
    source = PROGRAM + example("e", "route: VAD Standard\nsplit: exisitng")
    _, diagnostics = compiled(source)
    (error,) = [d for d in diagnostics if d.code == "CH-E109"]
    assert "unknown split `exisitng`" in error.message and "did you mean `existing`?" in error.help
    assert (error.span.line, error.span.column) == _column(source, "split: exisitng")


def test_a_partner_for_a_channel_off_the_route_is_e302():
    source = PROGRAM + example("e", 'route: VAD Standard\npartners: OEM "acme-123"')
    error = _e302(source)
    assert "partner id for `OEM`: the channel is not on the route" in error.message
    assert (error.span.line, error.span.column) == _column(source, 'OEM "acme-123"')


def test_influence_without_an_influenced_rate_is_e302_at_the_influencer():
    source = PROGRAM.replace("    influenced_rate: 2%\n", "") + example(
        "e", "route: VAD Standard\ninfluenced: Advisor")
    error = _e302(source)
    assert "declares no `influenced_rate`" in error.message
    assert (error.span.line, error.span.column) == _column(source, "Advisor\n")


def test_an_influencer_on_the_route_is_e302_at_the_influencer():
    source = PROGRAM + example("e", "route: VAD Standard\ninfluenced: Advisor, VAD")
    error = _e302(source)
    assert "no double-dipping" in error.message
    assert (error.span.line, error.span.column) == _column(source, "VAD\n")
