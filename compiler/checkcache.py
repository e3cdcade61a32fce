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
import os
import stat
from pathlib import Path

from charter import __version__, cachedir
from charter.digest import sha256
from charter.source import SourceFile

_RESULT = "clean"
_MAX_ENTRY = 1024


def _entry(cache_key: str) -> bytes:
    """The exact content of the entry that says ``cache_key`` checked clean."""
    seal = sha256(f"{cache_key}\n{_RESULT}\n{__version__}".encode()).hexdigest()
    return f"charter-check-cache 1\n{cache_key}\n{_RESULT}\n{__version__}\n{seal}\n".encode()


def key(sources: dict[str, SourceFile], today: _dt.date) -> str:
    """The cache key of checking these sources on ``today`` with this charter and its plugins."""
    digest = sha256(f"{__version__}\n{today}\n".encode())
    digest.update(code_digest())
    for path in sorted(sources):
        digest.update(f"\n{path}\n{len(sources[path].text)}\n".encode())
        digest.update(sources[path].text.encode("utf-8"))
    return digest.hexdigest()


def code_digest() -> bytes:
    """charter's own code (an editable install changes without a new version) and the
    installed policy packs (each entry point, its distribution's version, its code)."""
    files, packs = code_files()
    digest = sha256(packs.encode())
    for path in files:
        try:
            digest.update(str(path).encode() + b"\0" + path.read_bytes())
        except OSError:
            digest.update(b"unreadable:" + str(path).encode())
    return digest.digest()


def code_files() -> tuple[list[Path], str]:
    """The files of charter's code and of every policy pack's top-level package (or single
    module), and a line per pack (entry point, value, distribution and version): everything
    a check result depends on besides the program and the date."""
    import importlib.util

    import charter
    from charter.packs import packs

    # The policies' folder is found without importing the package (which imports the model).
    policies = importlib.util.find_spec("charter.policies").submodule_search_locations or []
    files = [path for folder in sorted({*charter.__path__, *policies})
             for path in _listing(folder, (".py", ".lark", ".json"))]
    lines, tops = [], set()
    for pack in packs():
        lines.append(f"{pack.name}={pack.value} {pack.dist}")
        top = pack.module.partition(".")[0]
        if top not in tops:  # packs of one package share its files: list them once
            tops.add(top)
            files += _module_files(top)
    return files, "\n".join(lines)


def _module_files(module: str) -> list[Path]:
    """The code of the pack whose entry point names ``module``: every file of its top-level
    package, or the file of a single-module pack.

    The whole top-level package, not just the module named: an entry point such as
    ``acme.checks:POLICY`` imports its helpers (``acme/rules.py``) and a change to any of
    them changes the result. Only the top-level name is looked up, so nothing is imported
    (`find_spec` of ``acme.checks`` would run ``acme/__init__.py``)."""
    import importlib.util

    top = module.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top) if top else None
    except Exception:  # a broken pack: its import fails later, with its own message
        spec = None
    if spec is None:
        return []
    files: list[Path] = []
    for folder in spec.submodule_search_locations or ():
        files += _listing(folder, (".py", ".json", ".toml", ".yaml", ".yml"))
    if not files and spec.origin and os.path.isfile(spec.origin):
        files.append(Path(spec.origin))
    return files


def _listing(folder: str, suffixes: tuple[str, ...]) -> list[Path]:
    """The files under ``folder`` with one of ``suffixes``, sorted (`os.walk`: a cold check
    lists charter's code, and `Path.rglob` took three times as long)."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found += [os.path.join(root, n) for n in names if n.endswith(suffixes)]
    return [Path(p) for p in sorted(found)]


def is_clean(cache_key: str) -> bool:
    """Whether these exact sources were checked clean before: a verified entry, else False."""
    return read_entry("checks", cache_key, _MAX_ENTRY) == _entry(cache_key)


def mark_clean(cache_key: str) -> None:
    """Record a clean check; failures to write are ignored (the cache is an optimisation)."""
    write_entry("checks", cache_key, _entry(cache_key))


def seal(body: dict) -> bytes:
    """A JSON entry for ``body`` with a sha256 over its text: `unseal` gives ``body`` back."""
    import json

    text = json.dumps(body, sort_keys=True, ensure_ascii=True)
    return json.dumps({"body": text, "seal": sha256(text.encode()).hexdigest()},
                      sort_keys=True).encode()


def unseal(data: bytes) -> dict | None:
    """The body of an entry written by `seal`, or None when it is not one (or was altered)."""
    import json

    try:
        outer = json.loads(data)
        text = outer["body"]
        if sha256(text.encode()).hexdigest() != outer["seal"]:
            return None
        body = json.loads(text)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return body if isinstance(body, dict) else None


def read_entry(folder_name: str, name: str, max_size: int) -> bytes | None:
    """The bytes of entry ``name`` in the private cache folder ``folder_name``, or None unless
    it is a regular file (opened without following a link, checked with `fstat`), owned by
    us, not writable by others and at most ``max_size`` bytes."""
    folder = cachedir.private(folder_name)
    if folder is None:
        return None
    try:
        fd = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid()
                or stat.S_IMODE(info.st_mode) & 0o022 or info.st_size > max_size):
            return None
        return os.read(fd, max_size + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def write_entry(folder_name: str, name: str, data: bytes) -> None:
    """Write an entry atomically (temp file in the folder, then `os.replace`); failures are
    ignored: a cache is an optimisation.

    The temp file is created as `tempfile.mkstemp` does (a random name, ``O_EXCL``, mode
    0o600, no link followed), without importing `tempfile`, which costs a check ≈ 2 ms
    (`shutil`, `random`, the compression modules); the folder is private and verified."""
    folder = cachedir.private(folder_name)
    if folder is None:
        return
    temp = folder / f".tmp-{os.getpid()}-{os.urandom(8).hex()}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(temp, flags, 0o600)
    except OSError:
        return
    written = False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, folder / name)
        written = True
    except OSError:
        pass
    finally:
        if not written:
            try:
                os.unlink(temp)
            except OSError:
                pass
