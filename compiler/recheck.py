"""Replaying `charter check` on unchanged files: what pre-commit pays on every commit.

A check's output is a pure function of charter (its version and code, the installed policy
packs: `checkcache.code_digest`), the date, the options, the working folder, the files named,
the project each belongs to, where each path it followed led (links) and the text of every
file it loaded. The first run records its output under a key over the first five (what is
known before parsing), together with what the check found in the file system
(`charter.loader.Trace`): each named program's project root, each path as written (a named
program, an `extends:` value) with the real path it led to, or the fact that nothing was
there (a missing base must still be missing), and each loaded file's real path and a sha256
of its text. A later run with the same key replays the output only after verifying all of
it, in that order: the project roots first (the markers decide them), so no file outside the
current project is ever opened; then the paths; then every file's text. A check that tried a
path it could not record (a link loop, a file found but not read) is not recorded.

The entry is JSON sealed with a sha256 over its content, read only from charter's private
cache folder with the same checks as every cache entry (`checkcache.read_entry`: a regular
file, not a link, owned by us, not writable by others, bounded size). Anything else is a
miss, and a miss just runs the check. Nothing outside the recorded real paths is opened, and
a program file only when it lies inside a project root the replay has just verified.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from charter.digest import sha256
from charter.discovery import project_root
from charter.nodes import node

if TYPE_CHECKING:  # the loader is imported where a check runs, not for a replay
    from charter.diagnostics import Diagnostic
    from charter.loader import Trace

FOLDER = "rechecks"
_MEMO = "codes"  # digests of charter's code files, by size, mtime and inode (`code_digests`)
_FORMAT = "charter-recheck 2"
_MAX_ENTRY = 8_000_000
_MAX_FILE = 4_000_001  # one byte over the parser's size limit: a larger file is a miss
# The kinds of recorded dependency, with their length (the kind included), in the order a
# replay verifies them (`_verified`): a program's project root; a path as written and the
# real file it led to; one that led nowhere, with its folder's listing; a program file read;
# a file of charter's or a pack's code.
_DEP_LENGTH = {"root": 3, "path": 3, "absent": 4, "file": 4, "code": 4}


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
        report, texts, trace = _check(files, fmt, strict, color, unlisted)
        if key is not None and {str(f) for f in files} <= set(texts):
            record(key, texts, trace, report)  # only when every named file was read and hashed
    return report


def _check(files: list[Path], fmt: str, strict: bool, color: bool,
           unlisted: Sequence[Diagnostic] = ()) -> tuple[Replay, dict[str, str], Trace]:
    """Check and render; the texts of the files read, by display path, and the trace of
    what else the check depended on."""
    from charter.api import check_paths
    from charter.loader import Trace
    from charter.render import render_json, render_text, summary_line

    trace = Trace()
    result = check_paths(files, strict=strict, unlisted=unlisted, trace=trace)
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
    return Replay(out, err, 0 if result.ok else 1), texts, trace


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
    if entry is None or not _verified(entry["deps"]):
        return None
    return Replay(entry["stdout"], entry["stderr"], entry["exit"])


def record(key: str, texts: Mapping[str, str], trace: Trace, replay_: Replay) -> None:
    """Record a check's output; ``texts`` maps each loaded file's display path to its text,
    ``trace`` is what else loading depended on. The files of charter's code and of the policy
    packs are recorded beside them."""
    from charter import checkcache

    deps = program_deps(texts, trace)
    if deps is None:
        return
    for path, real, digest in code_digests(checkcache.code_files()[0]):
        if digest is None:
            return  # a code file we cannot read cannot vouch for a replay
        deps.append(["code", str(path), real, digest])
    body = {"format": _FORMAT, "key": key, "deps": deps, "stdout": replay_.stdout,
            "stderr": replay_.stderr, "exit": replay_.exit_code}
    checkcache.write_entry(FOLDER, key, checkcache.seal(body))


def program_deps(texts: Mapping[str, str], trace: Trace) -> list[list[str]] | None:
    """The program side of what a check depended on, in the order a replay verifies it: each
    named program's project root, each path followed with where it led (or that nothing was
    there), each file read. None when the check tried something that cannot be recorded: a
    path that did not resolve (a link loop), a file found but not read (not a regular file,
    too large, outside the project); such a check is simply not replayed."""
    roots = sorted(set(trace.roots.values()))
    deps = [["root", named, root] for named, root in sorted(trace.roots.items())]
    files, read = [], set()
    for display, text in sorted(texts.items()):
        real = os.path.realpath(display)
        if not _confined(real, roots):
            return None
        files.append(["file", display, real, _digest(text)])
        read.add(real)
    for written, real in sorted(trace.paths.items()):
        if real is None or not _confined(real, roots):
            return None
        if real in read:
            deps.append(["path", written, real])
        elif not os.path.lexists(real):
            deps.append(["absent", written, real, _folder_digest(os.path.dirname(real))])
        else:
            return None
    return deps + files


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
                 and all(isinstance(d, list) and all(isinstance(x, str) for x in d)
                         and len(d) == _DEP_LENGTH.get(d[0] if d else "", -1)
                         for d in body["deps"]))
    except (KeyError, TypeError):
        return None
    return body if valid else None


def _verified(deps: list[list[str]]) -> bool:
    """Whether every recorded dependency still holds, checked in the recorded order: roots
    first, so a program file or folder is looked at only inside a project root verified now
    (a root recorded after them would leave them unconfined: a miss)."""
    roots: list[str] = []
    for dep in deps:
        kind = dep[0]
        if kind == "root":
            roots.append(dep[2])
            holds = _same_root(dep[1], dep[2])
        elif kind == "path":
            holds = _leads_to(dep[1], dep[2])
        elif kind == "absent":
            holds = _confined(dep[2], roots) and _still_absent(dep[1], dep[2], dep[3])
        elif kind == "file":
            holds = _confined(dep[2], roots) and _unchanged(dep[1], dep[2], dep[3])
        else:  # "code": charter's and the packs' code, outside any project
            holds = _unchanged(dep[1], dep[2], dep[3])
        if not holds:
            return False
    return True


def _same_root(named: str, root: str) -> bool:
    """Whether the program named still belongs to the project ``root`` (a project marker
    added, moved or removed changes it, and with it what may be read)."""
    try:
        return str(project_root(Path(named))) == root
    except (OSError, ValueError):
        return False


def _confined(real: str, roots: list[str]) -> bool:
    """Whether the real path ``real`` lies inside one of ``roots``."""
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _leads_to(written: str, real: str) -> bool:
    """Whether the path as written still resolves, through any links, to ``real``."""
    try:
        return os.path.realpath(written) == real
    except (OSError, ValueError):
        return False


def _still_absent(written: str, real: str, listing: str) -> bool:
    """Whether the path that led nowhere still does, and its folder holds the same names
    (CH-E201's help suggests names from it)."""
    return (_leads_to(written, real) and not os.path.lexists(real)
            and _folder_digest(os.path.dirname(real)) == listing)


def _folder_digest(folder: str) -> str:
    """A sha256 of the names in ``folder``, or "-" when it cannot be listed."""
    try:
        names = sorted(os.listdir(folder))
    except (OSError, ValueError):
        return "-"
    return _digest("\n".join(names))


def _unchanged(display: str, real: str, digest: str) -> bool:
    """Whether ``display`` still leads to the same real file with the same text. The real
    path is compared before anything is opened, so only a file the recorded check read is
    read (never a link swapped in since)."""
    return _leads_to(display, real) and _file_digest(real) == digest


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
