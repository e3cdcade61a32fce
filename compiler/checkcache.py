"""A cache of clean check results, so `charter quote` does not re-run the policies.

A result is a pure function of the charter version, the registered policies, the date (waiver
expiry) and the exact text of every file the program loads; that is the key. Only clean
results are stored (an empty marker file, written atomically), so a cache can never hide an
error: a miss just runs the checks. The folder is CHARTER_CACHE_DIR, else
$XDG_CACHE_HOME/charter, else ~/.cache/charter; CHARTER_NO_CACHE=1 turns it off.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import tempfile
from pathlib import Path

from charter import __version__
from charter.source import SourceFile


def _folder() -> Path | None:
    if os.environ.get("CHARTER_NO_CACHE"):
        return None
    root = os.environ.get("CHARTER_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "charter")
    return Path(root) / "checks"


def key(sources: dict[str, SourceFile], today: _dt.date) -> str:
    """The cache key of checking these sources on ``today`` with this charter and its plugins."""
    digest = hashlib.sha256(f"{__version__}\n{today}\n".encode())
    digest.update(_code_digest())
    for path in sorted(sources):
        digest.update(f"\n{path}\n{len(sources[path].text)}\n".encode())
        digest.update(sources[path].text.encode("utf-8"))
    return digest.hexdigest()


def _code_digest() -> bytes:
    """charter's own code (an editable install changes without a new version) and the
    installed policy packs."""
    from importlib.metadata import entry_points

    import charter
    import charter.policies

    digest = hashlib.sha256()
    for folder in sorted({*charter.__path__, *charter.policies.__path__}):
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix in (".py", ".lark", ".json"):
                digest.update(path.name.encode() + path.read_bytes())
    for entry in sorted(entry_points(group="charter.policies"), key=lambda e: e.name):
        digest.update(f"{entry.name}={entry.value}".encode())
    return digest.digest()


def is_clean(cache_key: str) -> bool:
    """Whether these exact sources were checked clean before."""
    folder = _folder()
    return folder is not None and (folder / cache_key).exists()


def mark_clean(cache_key: str) -> None:
    """Record a clean check; failures to write are ignored (the cache is an optimisation)."""
    folder = _folder()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        os.close(fd)
        os.replace(temp, folder / cache_key)
    except OSError:
        pass
