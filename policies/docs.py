"""docs/policies.md, generated from the registry (tests fail when the file is stale).

    python -m charter.policies.docs > docs/policies.md
"""
from __future__ import annotations

from charter.policies import all_policies
from charter.policies.base import Policy

HEAD = """# Policies

<!-- Generated from the policy registry by `python -m charter.policies.docs`; do not edit. -->

Policies are the invariants a partner program must keep. They run on every `charter check`
once a program compiles without errors; a `locked` program only ships when its ship gate's
policies pass. `charter policies` lists them and `charter explain CODE` prints one.

A program sets a policy's level and waives findings it accepts, on record:

```charter
policy tier_count { severity: error }          # error | warning | note | off

waiver referral_renewal_influence {
    policy: no_step_down                       # name or "CH-P003"
    subject: Referral                          # what the finding is about (optional: all)
    reason: "the 5% is an optional renewal-influence fee on a vendor-owned customer"
    owner: "channel chief"
    expires: 2027-06-30                        # optional
}
```

A waived finding is reported as a note naming the waiver; an expired waiver is an error
(CH-E402) and the finding is reported again; a waiver in use that expires within 30 days is a
warning (CH-W402: renew it or fix the finding); a waiver that matches nothing is a warning
(CH-W401); an unknown policy name is CH-E401. Set `CHARTER_TODAY=YYYY-MM-DD` to judge expiry
as of a fixed date. Third-party policy packs register `Policy` objects under the entry-point
group `charter.policies`.

| code | name | title | default |
|---|---|---|---|
"""


def render_markdown() -> str:
    """The whole of docs/policies.md."""
    policies = all_policies()
    rows = "".join(f"| [{p.code}](#{p.code.lower()}-{p.name}) | `{p.name}` |"
                   f" {p.title} | {p.severity.value} |\n" for p in policies)
    return HEAD + rows + "".join(_section(p) for p in policies)


def _section(p: Policy) -> str:
    also = f"\nAlso reports: {', '.join(p.emits)}.\n" if p.emits else ""
    return (f"\n## {p.code} {p.name}\n\n**{p.title}** (`{p.name}`, default"
            f" {p.severity.value})\n\n{p.rationale}\n\n{p.explain}\n{also}\nFails:\n\n"
            f"```charter\n{p.failing}\n```\n\nPasses:\n\n```charter\n{p.passing}\n```\n")


def explain_text(p: Policy) -> str:
    """What `charter explain CODE` prints."""
    also = f"Also reports: {', '.join(p.emits)}\n\n" if p.emits else ""
    return (f"{p.code} {p.name}: {p.title} (default {p.severity.value})\n\n"
            f"{_wrap('Why: ' + p.rationale)}\n\n{_wrap('What: ' + p.explain)}\n\n{also}Fails:\n\n"
            f"{_indent(p.failing)}\n\nPasses:\n\n{_indent(p.passing)}\n")


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, width=92, break_long_words=False, break_on_hyphens=False)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
