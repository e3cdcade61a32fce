"""`sha256`, the one digest of charter's caches and recorded checks, without loading OpenSSL.

`hashlib.sha256` loads OpenSSL's `_hashlib` first: ≈ 3 ms of every check and re-check, a
twentieth of a small program's whole run, for a few hashes over a few hundred kilobytes.
CPython's own SHA-256 (the `_sha2` module, `_sha256` before 3.12; what `hashlib` falls back
to) gives the same digests; `hashlib`'s is used where neither exists.
"""
from __future__ import annotations

try:
    from _sha2 import sha256  # type: ignore[import-not-found]  # CPython 3.12+
except ImportError:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,no-redef]  # CPython 3.11
    except ImportError:
        from hashlib import sha256  # type: ignore[assignment]  # noqa: F401

__all__ = ["sha256"]
