"""A cache of clean check results, so `charter quote` does not re-run the policies.

A result is a pure function of the charter version, the registered policies (each pack's
distribution, version and code), the date (waiver expiry) and the exact text of every file the
program loads; that is the key. Only clean results are stored, so a cache can never hide an
error: a miss just runs the checks.

An entry vouches for what it says and nothing else: its content names the key, the result and
a sha256 over both and charter's version, and it is trusted only when it is a regular file (not
a link, not a directory, not a device), owned by us, not writable by others, and its bytes are
exactly the expected ones; anything else is a miss. Entries are written atomically (a temp file
in the same folder, then `os.replace`). The folder is ``<cache root>/checks``, private and
verified before use (`charter.cachedir`: CHARTER_CACHE_DIR, else $XDG_CACHE_HOME/charter, else
~/.cache/charter; mode 0o700, owned by us, not a link); CHARTER_NO_CACHE=1/true/yes turns it
off.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from charter import __version__, cachedir
from charter.source import SourceFile

_RESULT = "clean"
_MAX_ENTRY = 1024


def _folder() -> Path | None:
    return cachedir.private("checks")


def _entry(cache_key: str) -> bytes:
    """The exact content of the entry that says ``cache_key`` checked clean."""
    seal = hashlib.sha256(f"{cache_key}\n{_RESULT}\n{__version__}".encode()).hexdigest()
    return f"charter-check-cache 1\n{cache_key}\n{_RESULT}\n{__version__}\n{seal}\n".encode()


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
        digest.update(f"\n{entry.name}={entry.value}\n".encode())
        dist = getattr(entry, "dist", None)
        if dist is not None:
            digest.update(f"{dist.name}=={dist.version}\n".encode())
        digest.update(_module_digest(entry.module))
    return digest.digest()


def _module_digest(module: str) -> bytes:
    """A hash of an entry point's module code: its file, or every file of its package
    (found without importing the module itself)."""
    import importlib.util

    digest = hashlib.sha256(module.encode())
    try:
        spec = importlib.util.find_spec(module)
    except Exception:  # a broken pack: its import fails later, with its own message
        spec = None
    if spec is None:
        return digest.digest()
    files: list[Path] = []
    for folder in spec.submodule_search_locations or ():
        files += sorted(p for p in Path(folder).rglob("*")
                        if p.suffix in (".py", ".json", ".toml", ".yaml", ".yml"))
    if not files and spec.origin and os.path.isfile(spec.origin):
        files.append(Path(spec.origin))
    for path in files:
        try:
            digest.update(str(path.name).encode() + b"\0" + path.read_bytes())
        except OSError:
            digest.update(b"unreadable:" + str(path).encode())
    return digest.digest()


def is_clean(cache_key: str) -> bool:
    """Whether these exact sources were checked clean before: a verified entry, else False."""
    folder = _folder()
    if folder is None:
        return False
    try:
        fd = os.open(folder / cache_key, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (OSError, ValueError):
        return False
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid()
                or stat.S_IMODE(info.st_mode) & 0o022 or info.st_size > _MAX_ENTRY):
            return False
        return os.read(fd, _MAX_ENTRY + 1) == _entry(cache_key)
    except OSError:
        return False
    finally:
        os.close(fd)


def mark_clean(cache_key: str) -> None:
    """Record a clean check; failures to write are ignored (the cache is an optimisation)."""
    folder = _folder()
    if folder is None:
        return
    temp = None
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(_entry(cache_key))
        os.replace(temp, folder / cache_key)
        temp = None
    except OSError:
        pass
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass
