"""CH-P011 worked_examples: every worked example computes (CH-E301..E303 carry the detail)."""
from __future__ import annotations

from typing import Iterator

from charter import model as m
from charter.diagnostics import Reporter, Severity
from charter.policies.base import Finding, Policy, PolicyContext


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Quote each example with the economics engine and compare every expectation."""
    from charter.economics.examples import check_example

    for example in program.examples:
        local = Reporter()
        check_example(program, example, local, ctx.quoter)
        for d in local.sorted():
            yield Finding(d.message, d.span, example.name, d.label, d.labels, d.notes, d.help,
                          code=d.code, severity=d.severity)  # CH-W301 stays a warning


POLICY = Policy(
    code="CH-P011", name="worked_examples", title="Worked examples compute",
    severity=Severity.ERROR, emits=("CH-E301", "CH-E302", "CH-E303", "CH-W301"),
    rationale="A program's worked examples are what reviewers and partners read; a number the "
              "rules do not produce is a contradiction between the pitch and what is paid.",
    explain="Each `example` is quoted with the economics engine (docs/economics.md) and every "
            "`expect` value is compared with what the program's rules compute. A mismatch is "
            "CH-E301 at the expectation, with the computed value and the arithmetic; a deal "
            "that cannot be quoted is CH-E302; an expectation for a year or party the deal "
            "does not have is CH-E303; input the deal does not use (a cumulative for a channel "
            "that is not the partner of record) is the warning CH-W301.",
    failing='''product Growth { layer: software; list_price: $100 per user per month }
channel Reseller {
    model: wholesale
    owner: partner
    tier Gold { margin: 25% }
}
example gold {
    product: Growth
    seats: 10
    route: Reseller Gold
    expect { partner_margin: $4K }
}''',
    passing='''product Growth { layer: software; list_price: $100 per user per month }
channel Reseller {
    model: wholesale
    owner: partner
    tier Gold { margin: 25% }
}
example gold {
    product: Growth
    seats: 10
    route: Reseller Gold
    expect { partner_margin: $3K }
}''',
    check=check)
