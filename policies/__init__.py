"""Policy checks over the resolved program model: the registry (see docs/policies.md).

Built-in policies are listed in `BUILTIN`, one module each; third-party packs register
`Policy` objects (or modules defining ``POLICY``) under the entry-point group
``charter.policies``.
"""
from __future__ import annotations

import importlib
from functools import lru_cache

from charter.packs import GROUP as ENTRY_POINT_GROUP
from charter.policies.base import Finding, Policy, PolicyContext

BUILTIN = (
    "margin_death_line", "combined_cap", "no_step_down", "acyclic_attribution", "tier_ladder",
    "threshold_brackets", "msrp_floor", "flipper_mitigations", "commission_base",
    "scoring_model", "worked_examples", "ship_gate", "tier_count", "measurable_tiers",
    "mdf_claim_rule", "commission_clawback", "lead_protection", "mdf_cap",
)


@lru_cache(maxsize=None)
def all_policies() -> tuple[Policy, ...]:
    """Built-in policies (in code order) followed by those of installed policy packs."""
    found = [policy for name in BUILTIN if (policy := _builtin(name)) is not None]
    found += _plugins()
    return tuple(sorted(found, key=lambda p: p.code))


def _builtin(name: str) -> Policy | None:
    # A listed module that is not there is caught by tests/test_policies.py (every BUILTIN
    # name must load); skipping it here keeps one missing policy from stopping every check.
    try:
        return importlib.import_module(f"charter.policies.{name}").POLICY
    except ModuleNotFoundError as exc:
        if exc.name != f"charter.policies.{name}":
            raise
        return None


def _plugins() -> list[Policy]:
    from charter.packs import packs

    out = []
    for pack in packs():
        loaded = pack.load()
        out.append(loaded if isinstance(loaded, Policy) else loaded.POLICY)
    return out


def find(key: str) -> Policy | None:
    """The policy with code or name ``key`` (case-insensitive code), if any."""
    for policy in all_policies():
        if key.upper() == policy.code or key == policy.name:
            return policy
    return None


__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "Finding", "Policy", "PolicyContext", "all_policies",
           "find"]
