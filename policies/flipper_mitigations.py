"""CH-P008 flipper_mitigations: the five controls against software-flipper risk.

A partner that buys software at wholesale and also delivers the services can keep the margin
and under-deliver; these five controls are what keep a wholesale channel honest.
"""
from __future__ import annotations

from typing import Callable, Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.nodes import node
from charter.policies.base import Finding, Policy, PolicyContext
from charter.values import Criteria, Metric


@node
class Control:
    """One of the five controls against software flipping: what satisfies it and the block
    that adds it."""

    name: str                                   # "certification gate"
    block: str                                  # mitigation to add, `{channel}` filled in
    met: Callable[[m.Mitigation], bool]         # a mitigation that is this control
    near: Callable[[m.Mitigation], str | None]  # why a mitigation of the same kind falls short


def _mentions_nps(condition) -> bool:
    if isinstance(condition, Metric):
        return "nps" in condition.metric.lower()
    if isinstance(condition, Criteria):
        return any(_mentions_nps(item) for item in condition.items)
    return False


def _gate_near(x: m.Mitigation) -> str | None:
    if x.enforcement == "gate":
        return f"a gate, but on `{x.gates}`, not `wholesale_access`" if x.gates \
            else "a gate without `gates: wholesale_access`"
    return None


def _nps_near(x: m.Mitigation) -> str | None:
    if x.trigger is None and ("nps" in x.name.lower() or "nps" in x.title.lower()):
        return "about NPS, but without a `trigger` on it"
    return None


def _review_near(x: m.Mitigation) -> str | None:
    if x.enforcement != "periodic_review" or _mentions_nps(x.trigger):
        return None
    if x.cadence != "annual":
        return f"a review, but {x.cadence or 'without a cadence'}, not annual"
    return "an annual review without an `action` (e.g. `action: downgrade`)"


CONTROLS = (
    Control("certification gate",
            "mitigation certification_gate {{ applies_to: {channel}; enforcement: gate;"
            " gates: wholesale_access; cadence: annual }}",
            lambda x: x.enforcement == "gate" and x.gates == "wholesale_access", _gate_near),
    Control("customer NPS visibility",
            "mitigation nps_visibility {{ applies_to: {channel}; enforcement: periodic_review;"
            " cadence: quarterly; trigger: nps < 7; sustained: 2 quarters;"
            " action: downgrade or exit }}",
            lambda x: _mentions_nps(x.trigger), _nps_near),
    Control("per-tier service commitments",
            "mitigation service_levels {{ applies_to: {channel}; enforcement: contractual_sla }}",
            lambda x: x.enforcement == "contractual_sla", lambda x: None),
    Control("customer escalation path",
            "mitigation escalation_path {{ applies_to: {channel}; enforcement: escalation_path;"
            " contact: \"support@example.com\" }}",
            lambda x: x.enforcement == "escalation_path", lambda x: None),
    Control("annual outcome review",
            "mitigation annual_review {{ applies_to: {channel}; enforcement: periodic_review;"
            " cadence: annual; action: downgrade }}",
            lambda x: x.enforcement == "periodic_review" and x.cadence == "annual"
            and bool(x.action), _review_near),
)


def delivers_services(program: m.Program, channel: m.Channel) -> bool:
    """The channel's partner delivers services: it owns the customer, or services are
    partner-delivered."""
    return channel.owner == "partner" or any(
        p.layer == "services" and p.delivered_by == "partner" for p in program.products)


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Every wholesale channel whose partner delivers services has all five controls.

    A channel that resells at its own price (`Channel.resells_at_own_price`: `wholesale`,
    `resale`; not `internal`) is at risk when the program has a `layer: services` product
    `delivered_by: partner`, or the channel's `owner` is `partner`.
    Each control is a `mitigation` whose `applies_to` names the channel:

    1. certification gate: `enforcement: gate` with `gates: wholesale_access`;
    2. customer NPS visibility: a `trigger` on an NPS metric (e.g. `nps < 7`);
    3. per-tier service commitments: `enforcement: contractual_sla`, and every tier of the
       channel has a `service` block (each tier without one is a finding of its own, once the
       `contractual_sla` mitigation exists; before that, control 3 is reported at the channel);
    4. customer escalation path: `enforcement: escalation_path`;
    5. annual outcome review: `enforcement: periodic_review`, `cadence: annual` and an `action`.

    One finding per missing control, at the channel.
    """
    for channel in program.channels:
        if channel.internal or not channel.resells_at_own_price \
                or not delivers_services(program, channel):
            continue
        own = [x for x in program.mitigations if channel.name in x.applies_to]
        for number, control in enumerate(CONTROLS, 1):
            if any(control.met(x) for x in own):
                continue
            yield _missing(program, channel, number, control, own)
        if any(CONTROLS[2].met(x) for x in own):       # without it, control 3 is reported
            yield from _tiers_without_service(channel)


def _missing(program: m.Program, channel: m.Channel, number: int, control: Control,
             own: list[m.Mitigation]) -> Finding:
    labels = []
    for x in own:
        why = control.near(x)
        if why:
            labels.append(Label(x.span, f"`{x.name}` is {why}"))
    for x in program.mitigations:
        if x not in own and control.met(x):
            labels.append(Label(x.span, f"`{x.name}` is the {control.name}, but its `applies_to`"
                                        f" does not name {channel.name}"))
    if not labels and own:  # say where the channel's other controls live (maybe a base file)
        labels.append(Label(own[0].span, f"{channel.name}'s other controls are declared here,"
                                         f" e.g. `{own[0].name}`"))
    reason = _reason(program, channel)
    return Finding(
        f"{channel.model} channel {channel.name} has no {control.name} (mitigation {number} of 5"
        f" against software flipping)", channel.spans.get("header", channel.span), channel.name,
        label=f"missing the {control.name}", labels=tuple(labels[:3]),
        notes=(f"{channel.name} resells at wholesale and {reason}: without all five"
               f" controls a partner can keep the software margin and under-deliver services",),
        help=(f"add `{control.block.format(channel=channel.name)}`",))


def _reason(program: m.Program, channel: m.Channel) -> str:
    services = [p.name for p in program.products
                if p.layer == "services" and p.delivered_by == "partner"]
    if services:
        return f"its partner delivers {', '.join(services)}"
    return "its partner owns the customer (`owner: partner`)"


def _tiers_without_service(channel: m.Channel) -> Iterator[Finding]:
    for tier in channel.tiers:
        if tier.service is None:
            subject = f"{channel.name} {tier.name}"
            yield Finding(
                f"tier {subject} commits to no service levels: the per-tier service"
                f" commitment needs a `service` block in every tier", tier.span, subject,
                label="no `service` block",
                help=("add e.g. `service { response: 24 business hours; checkin: monthly;"
                      " implementation: 2 months }`",))


POLICY = Policy(
    code="CH-P008", name="flipper_mitigations", title="Software-flipper mitigations",
    severity=Severity.ERROR,
    rationale="Wholesale economics let a partner maximise the software margin while "
              "under-investing in services: customer experience erodes and the vendor's brand "
              "bears the cost, because the customer still sees the vendor's product. Five "
              "controls keep a wholesale channel that delivers services honest: a "
              "certification gate before wholesale access, customer NPS visibility with a "
              "trigger (e.g. NPS below 7 for two consecutive quarters leads to a tier "
              "downgrade or exit), service-level commitments per tier in the partner "
              "agreement, a customer escalation path that bypasses the partner, and an annual "
              "review on customer outcomes rather than volume. Without them the risk shows "
              "within a few quarters: a partner signs the wholesale agreement without being "
              "certified, takes the margin, and customer satisfaction drops before anyone "
              "looks. (The eJourney Partner & Channel page is one program that makes these "
              "five non-negotiable.)",
    explain="Applies to each `wholesale` or `resale` channel (not `internal`) whose partner "
            "delivers services: the program has a `layer: services` product `delivered_by: "
            "partner`, or the channel has `owner: partner`. The channel needs five "
            "`mitigation`s whose `applies_to` names it: (1) `enforcement: gate` with `gates: "
            "wholesale_access`; (2) a `trigger` on NPS (`trigger: nps < 7`); (3) `enforcement: "
            "contractual_sla`, with a `service` block in every tier of the channel; (4) "
            "`enforcement: escalation_path`; (5) `enforcement: periodic_review`, `cadence: "
            "annual` and an `action`. Each missing control is a finding at the channel (subject "
            "the channel) with the block to add; each tier without `service` is a finding at "
            "the tier (subject `Channel Tier`), reported once the channel has its "
            "`contractual_sla` mitigation.",
    failing='''channel VAD {
    model: wholesale
    owner: partner
    tier Standard {
        margin: 20%
        service { response: 24 business hours }
    }
}
mitigation certification_gate { applies_to: VAD; enforcement: gate; gates: wholesale_access }
mitigation service_levels { applies_to: VAD; enforcement: contractual_sla }
mitigation escalation_path { applies_to: VAD; enforcement: escalation_path }
mitigation annual_review {
    applies_to: VAD
    enforcement: periodic_review
    cadence: annual
    action: downgrade
}''',
    passing='''channel VAD {
    model: wholesale
    owner: partner
    tier Standard {
        margin: 20%
        service { response: 24 business hours }
    }
}
mitigation certification_gate { applies_to: VAD; enforcement: gate; gates: wholesale_access }
mitigation nps_visibility {
    applies_to: VAD
    enforcement: periodic_review
    cadence: quarterly
    trigger: nps < 7
    sustained: 2 quarters
    action: downgrade or exit
}
mitigation service_levels { applies_to: VAD; enforcement: contractual_sla }
mitigation escalation_path { applies_to: VAD; enforcement: escalation_path }
mitigation annual_review {
    applies_to: VAD
    enforcement: periodic_review
    cadence: annual
    action: downgrade
}''',
    check=check)
