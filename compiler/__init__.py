"""charter: a compiler for B2B partner programs written as code.

The library API downstream code imports::

    from charter import check_paths
    result = check_paths(["programs/"])
    for d in result.diagnostics: ...
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "check_paths", "compile_file"]


def __getattr__(name: str):
    # Lazy so that `charter --version` and `import charter` stay fast.
    if name in ("check_paths", "compile_file"):
        from charter import api
        return getattr(api, name)
    raise AttributeError(name)
