"""`charter build`: run the output targets over checked programs, atomically.

For each concrete program (abstract bases are built through the programs that extend them)
every selected target returns its files in memory; nothing is written for a program that
fails `check`. Each file is written to a temporary file beside it and renamed into place, so
an output file is never half-written, even by a killed build; concurrent builds into one
folder take turns on a lock. Every write and deletion is made relative to folders opened
from the output folder without following links, so a link is never written or deleted
through, even one put there during the build. `--check`
compares instead of writing: a stale or missing file is a finding (exit 1), as
`terraform fmt -check` does.
"""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from charter.confined import PathChanged, open_at, open_below
from charter.diagnostics import Diagnostic, Severity
from charter.source import SourceFile

if TYPE_CHECKING:
    from charter.discovery import Found

SHARED = "schema"  # files of shared targets (the schemas) go to OUT/schema/, not per program


@dataclass
class BuildResult:
    """What a build did: programs built, files written or found stale, and diagnostics."""

    built: dict[str, dict[str, bytes]] = field(default_factory=dict)   # program id -> files
    shared: dict[str, bytes] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)       # files whose program did not check
    stale: list[tuple[str, str]] = field(default_factory=list)  # --check: (path, why)
    clashes: list[str] = field(default_factory=list)      # program ids that cannot be built
    refusals: list[str] = field(default_factory=list)     # "program: target: why" not built
    named: bool = False                                   # the targets were named (--target)
    partial: bool = False                                 # only some targets were chosen
    incomplete: bool = False                              # a folder could not be listed

    @property
    def ok(self) -> bool:
        """No program failed, no internal error and nothing stale."""
        # A target declining a program fails the build only when it was asked for by name:
        # building "everything" builds what can be built faithfully and says what was not.
        refused = self.refusals and self.named
        return not self.failed and not self.stale and not self.clashes and not refused and \
            not any(d.severity is Severity.ERROR for d in self.diagnostics)


class TargetError(RuntimeError):
    """A target failed on a program that checked clean: a compiler bug, reported as one."""


class LinkInOutput(Exception):
    """A symbolic link where the build would write or delete: refused, nothing written.

    A repository can commit `compiled/<id>` as a link to any folder (a home folder, a
    thesis); a build that followed it would write its files there and delete every file it
    had not made. ``during``: the link was put there after the check, during the writes
    (files already written in the output folder stay, each whole; nothing went through the
    link). ``str()`` is the one line `charter build` prints."""

    def __init__(self, link: Path, is_out: bool, during: bool = False):
        what = "the output folder" if is_out else "in the output folder,"
        fix = ("name the folder it points to with --out if that is meant" if is_out
               else "remove the link (a real folder is rebuilt in its place)")
        done = "nothing was written or deleted through it" if during else "nothing was written"
        super().__init__(f"{what} {link} is a symbolic link{' now' if during else ''};"
                         f" charter build never writes or deletes through a link: {done}; {fix}")
        self.link = link


def select_targets(names: Iterable[str] | None):
    """The registered targets called ``names`` (all of them when None), in build order."""
    from charter.targets import targets

    registry = targets()
    if names is None:
        return list(registry.values())
    names = list(names)
    if not names:
        raise ValueError("`--target` names no target; targets: " + ", ".join(registry))
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown target `{unknown[0]}`; targets: {', '.join(registry)}")
    return [registry[n] for n in registry if n in set(names)]


def build_paths(paths: Iterable[str | Path], out: str | Path, names: Iterable[str] | None = None,
                check: bool = False, provenance: bool = False,
                stamp: str | None = None, found: Found | None = None) -> BuildResult:
    """Build (or with ``check``, compare) every concrete program under ``paths`` into ``out``.

    Raises `OSError` when ``out`` cannot be written (the caller reports it)."""
    from charter.api import compile_file
    from charter.discovery import find
    from charter.loader import ParseCache

    chosen = select_targets(names)
    result = BuildResult(partial=names is not None and len(chosen) < len(select_targets(None)),
                         named=names is not None)
    origin: dict[str, str] = {}
    cache = ParseCache()  # each file parsed once per build, however many programs extend it
    found = found or find(paths)  # (``found``: the caller's own search of ``paths``)
    result.diagnostics += found.unlisted  # CH-E209: the build is incomplete, so it fails
    result.incomplete = bool(found.unlisted)
    for path in found.files:
        program, reporter, sources = compile_file(path, cache=cache)
        result.sources.update(sources)
        result.diagnostics += [d for d in reporter.sorted() if d not in result.diagnostics]
        if program is None or reporter.has_errors:
            result.failed.append(str(path))
        elif not program.header.abstract and _claim(program.header.id, path, origin, result):
            _run_targets(program, chosen, provenance, stamp, result)
    if check:
        refuse_links(Path(out), owned_folders(result))  # build would refuse: so does --check
        result.stale = stale_files(result, Path(out))
    elif (result.built or result.shared) and not result.clashes:
        write_atomically(result, Path(out))
    return result


def _claim(program_id: str, path: Path, origin: dict[str, str], result: BuildResult) -> bool:
    """Whether ``program_id`` may have its own output folder (unique, not a reserved name)."""
    if program_id == SHARED:
        result.clashes.append(f"{path}: program id `{SHARED}` is the shared schema folder's"
                              " name; rename the program")
        return False
    if program_id in origin:
        result.clashes.append(f"{path}: program id `{program_id}` is also {origin[program_id]};"
                              " each program needs its own id")
        return False
    origin[program_id] = str(path)
    return True


def _run_targets(program, chosen, provenance: bool, stamp: str | None,
                 result: BuildResult) -> None:
    from charter.targets import BuildContext
    from charter.targets.base import TargetRefused

    ctx = BuildContext(program, provenance=provenance, stamp=stamp)
    files: dict[str, bytes] = {}
    for target in chosen:
        try:
            made = target.build(ctx)
        except TargetRefused as refused:  # declined with reasons: the other targets still build
            result.refusals += [f"{program.header.id}: target `{target.name}` not built: {why}"
                                for why in refused.reasons]
            continue
        except Exception as exc:  # noqa: BLE001 - a target bug must not look like user error
            raise TargetError(f"internal error in target `{target.name}` building"
                              f" `{program.header.id}`: {exc}") from exc
        into = result.shared if getattr(target, "shared", False) else files
        into.update(made)
    result.built[program.header.id] = files


def expected_files(result: BuildResult) -> dict[str, bytes]:
    """Every file the build makes, by path relative to the output folder."""
    files = {f"{SHARED}/{name}": data for name, data in result.shared.items()}
    for program_id, made in result.built.items():
        files.update({f"{program_id}/{name}": data for name, data in made.items()})
    return dict(sorted(files.items()))


def owned_folders(result: BuildResult) -> list[str]:
    """The folders under the output folder this build writes (and, when full, cleans)."""
    return sorted(set(result.built) | ({SHARED} if result.shared else set()))


def refuse_links(out: Path, folders: Iterable[str]) -> None:
    """Raise `LinkInOutput` when ``out`` itself, or anything in or under ``folders`` (the
    folders the build owns), is a symbolic link. Folders are walked with `os.scandir`, which
    never follows a link, and a stack (no recursion limit). Links *above* ``out`` are the
    caller's own path and are followed, as any command follows them."""
    if out.is_symlink():
        raise LinkInOutput(out, is_out=True)
    stack = [out / folder for folder in folders]
    while stack:
        folder = stack.pop()
        if folder.is_symlink():
            raise LinkInOutput(folder, is_out=False)
        if not folder.is_dir():
            continue
        with os.scandir(folder) as listing:
            for entry in listing:
                if entry.is_symlink():
                    raise LinkInOutput(Path(entry.path), is_out=False)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))


def stale_files(result: BuildResult, out: Path) -> list[tuple[str, str]]:
    """(path, why) for each file under ``out`` that differs from the build, is missing, or
    should not be there (only judged on a full build: a partial one owns only its files)."""
    expected = expected_files(result)
    stale = [(name, "missing" if not (out / name).is_file() else "differs")
             for name, data in expected.items()
             if not (out / name).is_file() or (out / name).read_bytes() != data]
    if not result.partial:
        stale += [(name, "not built by any program or target")
                  for name in _unexpected(result, out, expected)]
    return sorted(set(stale))


def _unexpected(result: BuildResult, out: Path, expected: dict[str, bytes]) -> list[str]:
    folders = set(owned_folders(result))
    # a failed program's folder is not an orphan, nor one an unlisted folder may hold
    if not result.failed and not result.incomplete and out.is_dir():
        folders |= {p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink()
                    and not p.name.startswith(".")}
    return sorted(str(p.relative_to(out)) for folder in folders if (out / folder).is_dir()
                  for p in (out / folder).rglob("*")
                  if p.is_file() and str(p.relative_to(out)) not in expected)


def write_atomically(result: BuildResult, out: Path) -> None:
    """Write every built file atomically (a temp file beside it, then a rename), so each
    output file is at every moment its old bytes or its new ones, even when the process is
    killed (SIGKILL) mid-build; unchanged files are not rewritten. A full build then removes
    the files of the folders it built that it no longer makes (a leftover temp file of a
    killed build too); a partial one (`--target`) owns only its own files.
    Builds into one folder take turns on a lock on the folder itself (no lock file to
    commit), so two concurrent builds never mix their files: the last to finish wins whole.
    Nothing is written or removed when a link stands where the build would write or clean
    (`refuse_links`: `LinkInOutput`), checked under the lock, before the first write.

    A link put there *after* that check must not be followed either: ``out`` is opened once
    (no link at its name followed) and every folder below it is opened from that descriptor
    one component at a time with `O_NOFOLLOW` (`charter.confined.open_below`); files are
    replaced (`charter.atomic.replace_in`), folders made and stale files removed by name
    relative to folders so opened. A component that has become a link is refused
    (`LinkInOutput`) instead of followed, so nothing outside ``out`` is written or deleted."""
    import fcntl

    if out.is_symlink():  # before mkdir: a link to a missing folder would be created through
        raise LinkInOutput(out, is_out=True)
    out.mkdir(parents=True, exist_ok=True)
    top = _open_out(out)  # the folder locked, checked and written: this one, whatever comes
    try:
        fcntl.flock(top, fcntl.LOCK_EX)
        refuse_links(out, owned_folders(result))
        expected = expected_files(result)
        _write_below(top, out, expected)
        if not result.partial:
            _remove_below(top, out, owned_folders(result), expected)
    finally:
        os.close(top)  # closing releases the lock


def _open_out(out: Path) -> int:
    """``out`` opened as a folder without following a link at its last component (links
    above it are the caller's own path, followed as any command follows them); a link put
    there since the check is the link refusal."""
    try:
        return open_at(None, str(out), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
                       | getattr(os, "O_CLOEXEC", 0))
    except PathChanged:
        raise _changed(out, "") from None


def _open_below(top: int, out: Path, parts: tuple[str, ...], make: bool = False) -> int:
    """`confined.open_below` from ``top``, the descriptor of ``out``; a component found
    changed (a link or a file now) reported as `_changed` says."""
    try:
        return open_below(top, parts, make)
    except PathChanged as changed:
        raise _changed(out, str(changed.filename)) from None


def _changed(out: Path, name: str) -> Exception:
    """What ``name`` under ``out`` (`""`: ``out``), found no longer a folder (or no longer
    a file) mid-build, is reported as: a link, the link refusal; anything else (a file
    where a folder was), a write error. Only looked at (`lstat`), never followed."""
    where = out / name if name else out
    if where.is_symlink():
        return LinkInOutput(where, is_out=not name, during=True)
    return NotADirectoryError(errno.ENOTDIR, f"{where} is not a folder",
                              str(where))


def _by_folder(expected: dict[str, bytes]) -> dict[tuple[str, ...], list[tuple[str, bytes]]]:
    """The files of ``expected`` grouped by their folder's components under ``out``; a name
    that could leave the folder (``..``, ``.``, an empty component) is a target bug, refused
    before anything is written (a `dir_fd` walk follows ``..`` as readily as a link)."""
    folders: dict[tuple[str, ...], list[tuple[str, bytes]]] = {}
    for name, data in expected.items():
        *parts, leaf = name.split("/")
        if any(part in ("", ".", "..") for part in (*parts, leaf)):
            raise TargetError(f"a target made a file named `{name}`, not a path inside its"
                              " program's folder")
        folders.setdefault(tuple(parts), []).append((leaf, data))
    return folders


def _write_below(top: int, out: Path, expected: dict[str, bytes]) -> None:
    """Write the files of ``expected`` that changed, each with `replace_in` in its folder
    opened (and made where missing) from ``top`` without following links."""
    from charter.atomic import replace_in

    for parts, files in _by_folder(expected).items():
        folder = _open_below(top, out, parts, make=True)
        try:
            for name, data in files:
                try:
                    if _holds(folder, name, data):
                        continue
                except PathChanged:  # a link at the file's name: refused as in the check
                    raise _changed(out, "/".join((*parts, name))) from None
                replace_in(folder, name, data)
        finally:
            os.close(folder)


def _holds(folder: int, name: str, data: bytes) -> bool:
    """Whether the file ``name`` in the open ``folder`` is a regular file holding exactly
    ``data`` (anything unreadable counts as different: it is replaced). A link there raises
    `PathChanged` (never followed: the caller refuses it); a FIFO there cannot hang the build
    (`charter.loader.read_at`)."""
    from charter.loader import read_at

    try:
        return read_at(folder, name, len(data) + 1) == data
    except PathChanged:
        raise
    except OSError:  # missing or unreadable: written
        return False


def _remove_below(top: int, out: Path, folders: list[str], expected: dict[str, bytes]) -> None:
    """Remove what the build's own ``folders`` hold that it did not make (other folders under
    ``out``, an orphaned program's or a user's, are reported by `--check`, never deleted),
    relative to ``top``: each of ``folders`` and the folders under it
    listed through a descriptor opened from ``top`` without following links, a file it did
    not make unlinked by name in that descriptor, then folders left empty removed, deepest
    first (``folders`` themselves stay). A stack, not recursion: no depth limit, and one
    folder open at a time."""
    below: list[tuple[str, ...]] = []
    stack = [(folder,) for folder in folders]
    while stack:
        parts = stack.pop()
        try:
            folder = _open_below(top, out, parts)
        except FileNotFoundError:  # nothing built there (every target declined), or gone
            continue
        try:
            with os.scandir(folder) as listing:
                entries = [(e.name, e.is_dir(follow_symlinks=False),
                            e.is_file(follow_symlinks=False) or e.is_symlink()) for e in listing]
            for name, is_dir, is_file in entries:
                if is_dir:
                    stack.append((*parts, name))
                elif is_file and "/".join((*parts, name)) not in expected:
                    try:
                        os.unlink(name, dir_fd=folder)  # a link is removed, never followed
                    except FileNotFoundError:
                        pass
        finally:
            os.close(folder)
        if len(parts) > 1:
            below.append(parts)
    for parts in sorted(below, key=len, reverse=True):
        _rmdir_if_empty(top, out, parts)


def _rmdir_if_empty(top: int, out: Path, parts: tuple[str, ...]) -> None:
    """Remove the folder ``parts`` under ``top`` if it is empty (`rmdir` by `dir_fd` in its
    parent, opened without following links; `rmdir` never follows a link: one swapped in
    fails and is reported as `_changed` says)."""
    parent = _open_below(top, out, parts[:-1])
    try:
        os.rmdir(parts[-1], dir_fd=parent)
    except FileNotFoundError:
        pass
    except NotADirectoryError:
        raise _changed(out, "/".join(parts)) from None
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):  # not empty: kept, as before
            raise
    finally:
        os.close(parent)
