"""Replaying `charter check` on unchanged files: what pre-commit pays on every commit.

A check's output is a pure function of charter (its version and code, the installed policy
packs: `checkcache.code_digest`), the date, the options, the working folder, the files named
and the text of every file they load. The first run records its output under a key over all
of those but the loaded files' text (only known after parsing), together with each loaded
file's real path and a sha256 of its text. A later run with the same key replays the output
only after re-reading every recorded file and finding the same text at the same real path.

The entry is JSON sealed with a sha256 over its content, read only from charter's private
cache folder with the same checks as every cache entry (`checkcache.read_entry`: a regular
file, not a link, owned by us, not writable by others, bounded size). Anything else is a
miss, and a miss just runs the check. Nothing outside the recorded real paths is opened, and
those were confined to their project when the check that recorded them read them.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from charter.digest import sha256
from charter.nodes import node

if TYPE_CHECKING:
    from charter.diagnostics import Diagnostic

FOLDER = "rechecks"
_MEMO = "codes"  # digests of charter's code files, by size, mtime and inode (`code_digests`)
_FORMAT = "charter-recheck 1"
_MAX_ENTRY = 8_000_000
_MAX_FILE = 4_000_001  # one byte over the parser's size limit: a larger file is a miss


@node
class Replay:
    """A recorded check: what it printed and its exit code."""

    stdout: str
    stderr: str
    exit_code: int


def checked(files: list[Path], fmt: str, strict: bool, color: bool,
            unlisted: Sequence[Diagnostic] = ()) -> Replay:
    """What `charter check` prints for ``files``: replayed when nothing changed, else
    checked (and recorded for next time). ``unlisted`` (CH-E209, folders the search could
    not list) are reported with the rest; such a check is neither replayed nor recorded: the
    folder's files, once it can be listed, are in no key."""
    from charter.collector import paused

    key = run_key(files, (fmt, strict, color)) if not unlisted else None
    if key is not None and (hit := replay(key)) is not None:
        return hit
    # From the compiler's imports on there is nothing to collect, and the process ends soon
    # after (charter.collector)
    with paused(freeze=True):
        report, texts = _check(files, fmt, strict, color, unlisted)
        if key is not None and {str(f) for f in files} <= set(texts):
            record(key, texts, report)  # only when every named file was read and hashed
    return report


def _check(files: list[Path], fmt: str, strict: bool, color: bool,
           unlisted: Sequence[Diagnostic] = ()) -> tuple[Replay, dict[str, str]]:
    """Check and render; the texts of the files read, by display path."""
    from charter.api import check_paths
    from charter.render import render_json, render_text, summary_line

    result = check_paths(files, strict=strict, unlisted=unlisted)
    summary = summary_line(result.diagnostics, len(files)) + "\n"
    out = err = ""
    if fmt == "json":
        out = render_json(result.diagnostics)
    elif fmt == "sarif":
        from charter.render_sarif import render_sarif

        out = render_sarif(result.diagnostics, result.sources)
    elif fmt == "github":  # stdout holds only workflow commands; the summary is for the log
        from charter.render_github import render_github

        out, err = render_github(result.diagnostics), summary
    else:
        text = render_text(result.diagnostics, result.sources, color=color)
        out = text + "\n" if text else ""
        out, err = (out + summary, "") if result.ok else (out, summary)
    texts = {name: source.text for name, source in result.sources.items()}
    return Replay(out, err, 0 if result.ok else 1), texts


def run_key(files: list[Path], options: tuple) -> str | None:
    """The key of checking ``files`` with ``options`` today in this folder, or None when the
    caches are off. charter's code and the policy packs' are recorded as files to re-hash
    (`record`), not hashed here: finding the packs needs `importlib.metadata` (15-20 ms, a
    third of a replay); installing or removing a package changes its folder on `sys.path`,
    whose modification time is in the key instead."""
    from charter import __version__, cachedir, clock
    from charter.packs import path_stamps

    if cachedir.disabled():
        return None
    try:
        here = os.getcwd()
    except OSError:  # the working folder was deleted: check without a cache
        return None
    digest = sha256(f"{_FORMAT}\n{__version__}\n{clock.today()}\n".encode())
    digest.update(json.dumps([here, [str(f) for f in files], list(options),
                              path_stamps()]).encode())
    return digest.hexdigest()


def replay(key: str) -> Replay | None:
    """The recorded output for ``key`` if every file it read is unchanged, else None."""
    from charter import checkcache

    data = checkcache.read_entry(FOLDER, key, _MAX_ENTRY)
    entry = _unseal(data, key) if data else None
    if entry is None or not all(_unchanged(*dep) for dep in entry["deps"]):
        return None
    return Replay(entry["stdout"], entry["stderr"], entry["exit"])


def record(key: str, texts: Mapping[str, str], replay_: Replay) -> None:
    """Record a check's output; ``texts`` maps each loaded file's display path to its text.
    The files of charter's code and of the policy packs are recorded beside them."""
    from charter import checkcache

    deps = [[display, os.path.realpath(display), _digest(text)]
            for display, text in sorted(texts.items())]
    for path, real, digest in code_digests(checkcache.code_files()[0]):
        if digest is None:
            return  # a code file we cannot read cannot vouch for a replay
        deps.append([str(path), real, digest])
    body = {"format": _FORMAT, "key": key, "deps": deps, "stdout": replay_.stdout,
            "stderr": replay_.stderr, "exit": replay_.exit_code}
    checkcache.write_entry(FOLDER, key, checkcache.seal(body))


def code_digests(paths: list[Path]) -> list[tuple[Path, str, str | None]]:
    """Each code file with its real path and sha256, reusing the digest recorded for a file
    whose size, modification time and inode are unchanged (charter's code changes only when
    it is installed or edited: hashing it all costs a cold check about 9 ms).

    The memo only saves work when recording: a replay re-hashes every file and compares, so a
    stale or forged digest can only turn a replay into a miss, never into a false hit.
    """
    from charter import __version__, checkcache

    key = sha256(f"{_FORMAT}\n{__version__}\n{sys.version}".encode()).hexdigest()
    data = checkcache.read_entry(_MEMO, key, _MAX_ENTRY)
    body = checkcache.unseal(data) if data else None
    memo = body.get("files") if body and body.get("key") == key else None
    memo = memo if isinstance(memo, dict) else {}
    out, fresh, folders = [], {}, {}
    for path in paths:
        real = _real_path(str(path), folders)
        stamp = _stamp(real)
        old = memo.get(real)
        reuse = stamp is not None and isinstance(old, list) and old[:3] == stamp \
            and len(old) == 4 and isinstance(old[3], str)
        digest = old[3] if reuse else _file_digest(real)
        if stamp is not None and digest is not None:
            fresh[real] = stamp + [digest]
        out.append((path, real, digest))
    if fresh != memo:
        checkcache.write_entry(_MEMO, key, checkcache.seal({"key": key, "files": fresh}))
    return out


def _real_path(path: str, folders: dict[str, str]) -> str:
    """`os.path.realpath` of ``path``, resolving each folder once (a hundred code files sit in
    three folders): the same answer, since a file that is not a link adds only its name."""
    if os.path.islink(path):
        return os.path.realpath(path)
    parent, name = os.path.split(path)
    if parent not in folders:
        folders[parent] = os.path.realpath(parent)
    return os.path.join(folders[parent], name)


def _stamp(real: str) -> list | None:
    try:
        info = os.stat(real)
    except (OSError, ValueError):
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def _unseal(data: bytes, key: str) -> dict | None:
    """The entry's body when it is well formed, sealed, and for this key; else None."""
    from charter.checkcache import unseal

    body = unseal(data)
    try:
        valid = (body is not None and body["format"] == _FORMAT and body["key"] == key
                 and isinstance(body["exit"], int) and isinstance(body["stdout"], str)
                 and isinstance(body["stderr"], str)
                 and all(isinstance(d, list) and len(d) == 3 and all(isinstance(x, str) for x in d)
                         for d in body["deps"]))
    except (KeyError, TypeError):
        return None
    return body if valid else None


def _unchanged(display: str, real: str, digest: str) -> bool:
    """Whether ``display`` still leads to the same real file with the same text. The real
    path is compared before anything is opened, so only a file the recorded check read is
    read (never a link swapped in since)."""
    try:
        if os.path.realpath(display) != real:
            return False
    except (OSError, ValueError):
        return False
    return _file_digest(real) == digest


def _file_digest(real: str) -> str | None:
    """The digest of a regular file's UTF-8 text (a BOM dropped, as the loader does); None
    for anything else (no FIFO or device is read, nothing past the size limit)."""
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size >= _MAX_FILE:
            return None
        data = os.read(fd, _MAX_FILE)
        return _digest(data.decode("utf-8").removeprefix("\ufeff"))
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(fd)


def _digest(text: str) -> str:
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
