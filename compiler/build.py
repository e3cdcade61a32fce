"""`charter build`: run the output targets over checked programs, atomically.

For each concrete program (abstract bases are built through the programs that extend them)
every selected target returns its files in memory; nothing is written for a program that
fails `check`. Each file is written to a temporary file beside it and renamed into place, so
an output file is never half-written, even by a killed build; concurrent builds into one
folder take turns on a lock. `--check`
compares instead of writing: a stale or missing file is a finding (exit 1), as
`terraform fmt -check` does.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from charter.diagnostics import Diagnostic, Severity
from charter.source import SourceFile

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
    had not made. ``str()`` is the one line `charter build` prints."""

    def __init__(self, link: Path, is_out: bool):
        what = "the output folder" if is_out else "in the output folder,"
        fix = ("name the folder it points to with --out if that is meant" if is_out
               else "remove the link (a real folder is rebuilt in its place)")
        super().__init__(f"{what} {link} is a symbolic link; charter build never writes or"
                         f" deletes through a link: nothing was written; {fix}")
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
                stamp: str | None = None) -> BuildResult:
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
    found = find(paths)
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
    """Write every built file with `charter.atomic.replace_file` (a temp file beside it, then
    a rename), so each output file is at every moment its old bytes or its new ones, even
    when the process is killed (SIGKILL) mid-build; unchanged files are not rewritten. A full
    build then removes the files of the folders it built that it no longer makes (a leftover
    temp file of a killed build too); a partial one (`--target`) owns only its own files.
    Builds into one folder take turns on a lock on the folder itself (no lock file to
    commit), so two concurrent builds never mix their files: the last to finish wins whole.
    Nothing is written or removed when a link stands where the build would write or clean
    (`refuse_links`: `LinkInOutput`), checked under the lock, before the first write."""
    import fcntl

    if out.is_symlink():  # before mkdir: a link to a missing folder would be created through
        raise LinkInOutput(out, is_out=True)
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        refuse_links(out, owned_folders(result))
        expected = expected_files(result)
        for name, data in expected.items():
            _write_if_changed(out / name, data)
        if not result.partial:
            _remove_unbuilt(result, out, expected)
    finally:
        os.close(fd)  # closing releases the lock


def _remove_unbuilt(result: BuildResult, out: Path, expected: dict[str, bytes]) -> None:
    """Remove what the build's own folders hold that it did not make; other folders under
    ``out`` (an orphaned program's, a user's) are reported by `--check`, never deleted."""
    for folder in owned_folders(result):
        for path in sorted((out / folder).rglob("*"), reverse=True):
            name = str(path.relative_to(out))
            if path.is_file() or path.is_symlink():
                if name not in expected:
                    path.unlink(missing_ok=True)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def _write_if_changed(path: Path, data: bytes) -> None:
    from charter.atomic import replace_file

    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data)
