"""The installed policy packs: the entry points of the ``charter.policies`` group, found once.

`importlib.metadata` is the one source of truth, but asking it costs a check 15-20 ms
(it imports the e-mail parser and reads every distribution's metadata), a tenth of a whole
check of a small program, while the answer changes only when a distribution is installed,
upgraded or removed. So the answer is recorded in charter's private, verified cache
(`checkcache.read_entry`) under a key over `path_stamps`: every `sys.path` folder's
modification time (installing or removing a package adds or removes an entry there) and the
modification time and size of every distribution's ``entry_points.txt`` (an upgrade rewrites
it). The entry is sealed JSON; anything else is a miss, and a miss asks `importlib.metadata`.
"""
from __future__ import annotations

import functools
import json
import os
import sys
from typing import NamedTuple

from charter.digest import sha256

GROUP = "charter.policies"
_FOLDER = "packs"
_FORMAT = "charter-packs 1"
_MAX_ENTRY = 1_000_000


class Pack(NamedTuple):
    """One entry point: ``name = value`` (``module:attribute``), from distribution ``dist``
    (``name==version``, or ``-`` when it has none)."""

    name: str
    value: str
    dist: str

    @property
    def module(self) -> str:
        """The module the entry point names."""
        return self.value.partition(":")[0].strip()

    def load(self) -> object:
        """Import the module and return the object the entry point names."""
        import importlib

        module, _, attribute = self.value.partition(":")
        found: object = importlib.import_module(module.strip())
        for part in filter(None, attribute.strip().split(".")):
            found = getattr(found, part)
        return found


@functools.lru_cache(maxsize=1)
def packs() -> tuple[Pack, ...]:
    """Every installed pack's entry point, sorted by name."""
    from charter import cachedir, checkcache

    key = None if cachedir.disabled() else _key()
    if key is not None:
        data = checkcache.read_entry(_FOLDER, key, _MAX_ENTRY)
        body = checkcache.unseal(data) if data else None
        if body is not None and body.get("format") == _FORMAT and body.get("key") == key:
            recorded = _packs_of(body.get("packs"))
            if recorded is not None:
                return recorded
    found = _from_metadata()
    if key is not None:
        body = {"format": _FORMAT, "key": key, "packs": [list(p) for p in found]}
        checkcache.write_entry(_FOLDER, key, checkcache.seal(body))
    return found


def _from_metadata() -> tuple[Pack, ...]:
    from importlib.metadata import entry_points

    found = []
    for entry in entry_points(group=GROUP):
        dist = getattr(entry, "dist", None)
        found.append(Pack(entry.name, entry.value,
                          f"{dist.name}=={dist.version}" if dist is not None else "-"))
    return tuple(sorted(found))


def _packs_of(recorded: object) -> tuple[Pack, ...] | None:
    """The packs of a recorded entry, or None when it is not a list of three strings each."""
    if not isinstance(recorded, list):
        return None
    if not all(isinstance(p, list) and len(p) == 3 and all(isinstance(x, str) for x in p)
               for p in recorded):
        return None
    return tuple(Pack(*p) for p in recorded)


def _key() -> str:
    return sha256(json.dumps([_FORMAT, sys.version, path_stamps(), _dist_stamps()])
                          .encode()).hexdigest()


def path_stamps() -> list:
    """Each `sys.path` entry with its modification time (None when it cannot be read)."""
    stamps = []
    for entry in sys.path:
        try:
            stamps.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            stamps.append([entry, None])
    return stamps


def _dist_stamps() -> list:
    """The modification time and size of every distribution's ``entry_points.txt``."""
    stamps = []
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as names:
                dists = sorted(e.name for e in names
                               if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        for dist in dists:
            try:
                info = os.stat(os.path.join(entry or ".", dist, "entry_points.txt"))
                stamps.append([entry, dist, info.st_mtime_ns, info.st_size])
            except OSError:
                stamps.append([entry, dist, None])
    return stamps
