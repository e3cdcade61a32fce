"""CH-P004 acyclic_attribution: the handover graph has no cycle; split shares stay within 100%."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import Finding, Policy, PolicyContext


def attribution_graph(program: m.Program):
    """A networkx DiGraph of channels, one edge per handover (introducer → closer)."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(c.name for c in program.channels)
    for handover in program.handovers:
        graph.add_edge(handover.source, handover.target, handover=handover)
    return graph


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Report each cycle of handovers once, in order; then split shares over 100%."""
    if _has_cycle(program):
        yield from _cycles(program)
    yield from _splits(program)


def _has_cycle(program: m.Program) -> bool:
    """The standard library's topological sort answers "is there a cycle?" without importing
    networkx (0.1-0.25 s of every check); networkx lists the cycles only when there are some."""
    from graphlib import CycleError, TopologicalSorter

    sorter = TopologicalSorter()
    for handover in program.handovers:
        sorter.add(handover.target, handover.source)
    try:
        sorter.prepare()
    except CycleError:
        return True
    return False


def _cycles(program: m.Program) -> Iterator[Finding]:
    import networkx as nx

    graph = attribution_graph(program)
    for cycle in sorted(_canonical(c) for c in nx.simple_cycles(graph)):
        edges = [graph.edges[a, b]["handover"] for a, b in zip(cycle, cycle[1:] + cycle[:1])]
        text = " -> ".join(cycle + cycle[:1])
        yield Finding(
            f"attribution cycle: {text}", edges[0].spans.get("source", edges[0].span), text,
            label=f"{edges[0].source} hands over to {edges[0].target} here",
            labels=tuple(Label(h.spans.get("source", h.span), f"then {h.source} -> {h.target}")
                         for h in edges[1:]),
            help=("credit must flow one way: remove one of these handovers",))


def _canonical(cycle: list[str]) -> list[str]:
    """The same cycle always starts at its smallest name, so it is reported once."""
    start = cycle.index(min(cycle))
    return cycle[start:] + cycle[:start]


def _splits(program: m.Program) -> Iterator[Finding]:
    for split in program.attribution.splits if program.attribution else ():
        total = sum((share for _p, share, _s in split.shares), Decimal(0))
        if total > 1:
            parts = " + ".join(f"{(s * 100).normalize():f}% {p}" for p, s, _ in split.shares)
            yield Finding(f"split {split.name} gives away {(total * 100).normalize():f}% ({parts})",
                          split.span, split.name, label="shares add up to more than 100%",
                          help=("make the shares add up to 100%",))
        elif 0 < total < 1 and split.settles == "cash":
            rest = f"{((1 - total) * 100).normalize():f}%"
            yield Finding(f"split {split.name} gives out {(total * 100).normalize():f}%: the other"
                          f" {rest} of what it divides is paid to no party", split.span,
                          split.name, label="shares add up to less than 100%",
                          help=(f"name who gets the other {rest} (`vendor: {rest}` if the"
                                " vendor keeps it), so the split says where all of it goes",),
                          severity=Severity.WARNING)


POLICY = Policy(
    code="CH-P004", name="acyclic_attribution", title="Attribution flows one way",
    severity=Severity.ERROR,
    rationale="If A hands deals over to B and B back to A, the same deal can be credited "
              "twice and every dispute about it has no answer; splits that give away more "
              "than the whole deal pay out money that does not exist.",
    explain="The attribution graph has a node per channel and an edge per `handover` "
            "(introducer → closer); it must have no cycle (a topological sort finds one; "
            "networkx `simple_cycles` lists them). Each cycle is reported once, in order, with a label on every edge's handover. The "
            "shares of each `split` must add up to at most 100%; a cash split under 100% is a "
            "warning (the rest is paid to no party: say who keeps it).",
    failing='''channel Referral { model: referral; owner: vendor; commission: 10% }
channel VAD {
    model: wholesale
    owner: partner
    tier Gold { margin: 20% }
}
handover Referral -> VAD { introducer_rate: 5% }
handover VAD -> Referral { introducer_rate: 5% }''',
    passing='''channel Referral { model: referral; owner: vendor; commission: 10% }
channel VAD {
    model: wholesale
    owner: partner
    tier Gold { margin: 20% }
}
handover Referral -> VAD { introducer_rate: 5% }''',
    check=check)
