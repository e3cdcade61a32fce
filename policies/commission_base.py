"""CH-P009 commission_base: a referrer who meets a services partner is paid on software only."""
from __future__ import annotations

from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import Finding, Policy, PolicyContext


def delivers_services(program: m.Program, channel: m.Channel) -> bool:
    """A non-referral channel whose partner owns the customer or delivers the services layer."""
    if channel.refers_only:
        return False
    return channel.owner == "partner" or any(
        p.layer == "services" and p.delivered_by == "partner" for p in program.products)


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """A referral channel that hands over to (or from) a services partner earns on software only.

    For each `referral` or `affiliate` channel with `commission_base: software_and_services`:
    every `handover` between it and a channel whose partner delivers services (a channel that is
    not itself referral/affiliate, with `owner: partner` or in a program with a `layer:
    services` product `delivered_by: partner`) is a deal on which the referrer would take a cut
    of services it did not deliver. One finding per referral channel, at its `commission_base`,
    with a label at each such handover.
    """
    for referral in program.channels:
        if not referral.refers_only \
                or referral.commission_base != "software_and_services":
            continue
        meets = []
        for handover in program.handovers:
            if referral.name not in (handover.source, handover.target):
                continue
            other = program.channel(handover.target if handover.source == referral.name
                                    else handover.source)
            if other is not None and other is not referral and delivers_services(program, other):
                meets.append((handover, other))
        if not meets:
            continue
        partners = ", ".join(dict.fromkeys(o.name for _, o in meets))
        yield Finding(
            f"{referral.name} is paid on software and services, but meets {partners} on handover"
            f" deals where {partners} delivers the services",
            referral.spans.get("commission_base", referral.span), referral.name,
            label="commission on services the referrer does not deliver",
            labels=tuple(Label(h.spans.get("source", h.span).to(h.spans.get("target", h.span)),
                               f"{h.source} and {h.target} meet on one deal here")
                         for h, _ in meets),
            notes=("a referral commission is paid on software only: the services partner should"
                   " not share its services revenue with a referrer who did not deliver them",),
            help=(f"write `commission_base: software` in {referral.name}",))


POLICY = Policy(
    code="CH-P009", name="commission_base", title="Referral commission on software only",
    severity=Severity.ERROR,
    rationale="When a referrer introduces a deal that a services-delivering partner closes, "
              "both are paid on the same customer. The services are the closing partner's own "
              "work: a referral commission on software and services takes a cut of revenue the "
              "referrer did nothing to earn, makes the services partner price its work higher "
              "or resent the handover, and is a standing source of handover disputes. Paying "
              "referrals on software license revenue only keeps both partners whole (the "
              "eJourney Partner & Channel page states this rule for its referral channel: it "
              "protects partners who deliver services).",
    explain="For every `referral` or `affiliate` channel with `commission_base: "
            "software_and_services`, look for a `handover` (in either direction) between it and "
            "a channel whose partner delivers services: a channel that is not referral or "
            "affiliate, with `owner: partner` or in a program that has a `layer: services` "
            "product `delivered_by: partner`. If there is one, the referral channel is a "
            "finding at its `commission_base` (subject the referral channel), labelled at each "
            "handover. Write `commission_base: software` (the default).",
    failing='''channel Referral {
    model: referral
    owner: vendor
    commission: 10%
    commission_base: software_and_services
}
channel VAD {
    model: wholesale
    owner: partner
    tier Standard { margin: 20% }
}
handover Referral -> VAD { introducer_rate: 5% }''',
    passing='''channel Referral {
    model: referral
    owner: vendor
    commission: 10%
    commission_base: software
}
channel VAD {
    model: wholesale
    owner: partner
    tier Standard { margin: 20% }
}
handover Referral -> VAD { introducer_rate: 5% }''',
    check=check)
