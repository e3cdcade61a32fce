"""Output targets: JSON configs, partner docs and test fixtures built from a checked program.

`TARGETS` is the one registry: each entry is a module of this package defining `TARGET`.
"""
from __future__ import annotations

from importlib import import_module

from charter.targets.base import BuildContext, Target

# The built-in targets, in build order (name -> module); `charter build --list-targets`.
BUILTIN = ("config", "schema", "fixtures", "guide", "brief", "sql")


def targets() -> dict[str, Target]:
    """Every registered target by name (modules load on first use)."""
    out: dict[str, Target] = {}
    for name in BUILTIN:
        module = import_module(f"charter.targets.{name}")
        out[module.TARGET.name] = module.TARGET
    return out


__all__ = ["BUILTIN", "BuildContext", "Target", "targets"]
