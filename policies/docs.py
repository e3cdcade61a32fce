"""docs/policies.md, generated from the registry (tests fail when the file is stale).

    python -m charter.policies.docs > docs/policies.md
"""
from __future__ import annotations

from charter.policies import all_policies
from charter.policies.base import Param, Policy

HEAD = """# Policies

<!-- Generated from the policy registry by `python -m charter.policies.docs`; do not edit. -->

Policies are the invariants a partner program must keep. They run on every `charter check`
once a program compiles without errors; a `locked` program only ships when its ship gate's
policies pass. `charter policies` lists them and `charter explain CODE` prints one.

A program sets a policy's level and its parameters, and waives findings it accepts, on record:

```charter
policy tier_count { severity: error }          # error | warning | note | off
policy margin_death_line { floor: 65% }        # a parameter (each policy lists its own)

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

A parameter the policy does not declare is CH-E102 (with "did you mean" and the parameters it
takes); a value of the wrong kind is CH-E106 and one out of range is CH-E111, at the value. A
parameter the program does not set has its default. The internal brief lists, per policy,
the values in effect and whether the program set them.

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
            f" {p.severity.value})\n\n{p.rationale}\n\n{p.explain}\n{also}\n"
            f"{_params_table(p)}Fails:\n\n"
            f"```charter\n{p.failing}\n```\n\nPasses:\n\n```charter\n{p.passing}\n```\n")


def _params_table(p: Policy) -> str:
    """The policy's parameters as a Markdown table (or a line saying it takes none)."""
    if not p.params:
        return "Parameters: none (only `severity`).\n\n"
    rows = "".join(f"| `{x.name}` | {x.kind.name}{_bounds(x)} | {_cell(x.default_text)} |"
                   f" {_cell(x.doc)} |\n" for x in p.params)
    sample = "; ".join(f"{x.name}: {x.sample}" for x in p.params)
    return (f"Parameters (`policy {p.name} {{ {sample} }}`):\n\n| parameter | kind | default"
            f" | what it does |\n|---|---|---|---|\n{rows}\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _bounds(x: Param) -> str:
    return f", {x.bounds}" if x.bounds else ""


def explain_text(p: Policy) -> str:
    """What `charter explain CODE` prints."""
    also = f"Also reports: {', '.join(p.emits)}\n\n" if p.emits else ""
    return (f"{p.code} {p.name}: {p.title} (default {p.severity.value})\n\n"
            f"{_wrap('Why: ' + p.rationale)}\n\n{_wrap('What: ' + p.explain)}\n\n{also}"
            f"{_params_text(p)}Fails:\n\n"
            f"{_indent(p.failing)}\n\nPasses:\n\n{_indent(p.passing)}\n")


def _params_text(p: Policy) -> str:
    """`charter explain`'s parameter list: name, kind, default, and what each does."""
    if not p.params:
        return "Parameters: none (only `severity`).\n\n"
    lines = [f"Parameters (set in `policy {p.name} {{ ... }}`):", ""]
    for x in p.params:
        lines.append(f"  {x.name}: {x.kind.name}{_bounds(x)}; default {x.default_text}")
        lines.append(_wrap(x.doc, "      "))
    return "\n".join(lines) + "\n\n"


def _wrap(text: str, indent: str = "") -> str:
    import textwrap

    return textwrap.fill(text, width=92, initial_indent=indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
