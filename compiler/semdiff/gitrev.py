"""The programs of a git revision, materialised so that they compile as they did there.

`charter diff --git REV [PATH...]` compares the working tree with REV. The old programs are
compiled from a temporary folder holding the `*.charter` files of REV under PATH, and the
files they extend, at their paths in the repository (and REV's project markers,
`charter.toml` and `pyproject.toml`, empty: only their place counts), so `extends:` in an
old program resolves against the old revision too, even to a base outside PATH. Nothing
else is read: sizes come from `git ls-tree -l` first, and a blob over the file size limit
is never read (it stands as a sparse file the loader refuses with CH-E012). A
`charter.toml` is written at the folder's root when REV has none there: it stands for the
repository root (`.git`), so a program's project is the same as in the working tree.

Every git call is a plain argument list (no shell); a revision is passed after
`--end-of-options`, so no revision can be read as an option.
"""
from __future__ import annotations

import os
import posixpath
import re
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, NamedTuple

MARKERS = ("charter.toml", "pyproject.toml")   # charter.discovery.PROJECT_MARKERS, less .git
REGULAR = (b"100644", b"100755")               # blobs that are files (not links, not modules)


class GitError(Exception):
    """A git problem, said in one line (no revision, not a repository, git missing)."""


@dataclass(frozen=True)
class Revision:
    """A materialised revision: where its files are, and where the caller stands in it."""

    rev: str
    root: Path          # the temporary folder standing for the repository's root
    prefix: str         # the current folder relative to the repository root ("" at the top)
    files: tuple[str, ...]   # `*.charter` files, relative to the repository root

    def programs(self, paths: tuple[str, ...]) -> list[tuple[Path, str, str]]:
        """The `*.charter` files under ``paths`` (relative to the current folder) in this
        revision: (file in the temporary folder, display name, folder as reported)."""
        return [(self.root / name, shown, folder) for name, shown, folder in self.found(paths)]

    def found(self, paths: tuple[str, ...]) -> list[tuple[str, str, str]]:
        """The `*.charter` files under ``paths``: (path in the repository, display name,
        folder as reported)."""
        found: dict[str, None] = {}
        for path in paths:
            wanted = self._in_repository(path)
            for name in self.files:
                if wanted in ("", ".") or name == wanted or name.startswith(wanted + "/"):
                    found[name] = None
        out = []
        for name in sorted(found):
            shown = posixpath.relpath(name, self.prefix or ".")
            out.append((name, f"{shown}@{self.rev}", posixpath.dirname(shown)))
        return out

    def _in_repository(self, path: str) -> str:
        if os.path.isabs(path):
            top = _git(["rev-parse", "--show-toplevel"], _working_folder()).decode().strip()
            return posixpath.normpath(os.path.relpath(path, top).replace(os.sep, "/"))
        return posixpath.normpath(posixpath.join(self.prefix, path.replace(os.sep, "/")))


@contextmanager
def checkout(rev: str, paths: tuple[str, ...] = (".",),
             cwd: Path | None = None) -> Iterator[Revision]:
    """Materialise the `*.charter` files of ``rev`` under ``paths`` (relative to ``cwd``),
    and the files they extend, into a temporary folder, removed on exit.
    Raises `GitError` for a revision that does not name a commit, or a working folder that
    no longer exists."""
    cwd = cwd or _working_folder()
    if not rev or rev.startswith("-"):
        raise GitError(f"not a git revision: `{rev}`")
    _git(["rev-parse", "--show-toplevel"], cwd, "not inside a git repository")
    commit = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                  cwd, f"unknown git revision `{rev}`").decode().strip()
    prefix = _git(["rev-parse", "--show-prefix"], cwd).decode().strip().rstrip("/")
    blobs = _listing(commit, cwd)
    files = tuple(sorted(p for p in blobs if p.endswith(".charter")))
    with tempfile.TemporaryDirectory(prefix="charter-diff-") as folder:
        root = Path(folder)
        revision = Revision(rev, root, prefix, files)
        for marker in (p for p in blobs if not p.endswith(".charter")):
            _place(root, marker, b"")  # only a marker's existence counts (project_root)
        _materialise(root, blobs, [name for name, *_ in revision.found(paths)], cwd)
        if not (root / "charter.toml").exists():
            (root / "charter.toml").write_text("")
        yield revision


def _working_folder() -> Path:
    """The current folder; a deleted one is a `GitError` (one line), not a traceback."""
    try:
        return Path.cwd()
    except OSError as gone:
        raise GitError("the current folder cannot be read (was it deleted?):"
                       f" {gone.strerror or gone}") from None


class Blob(NamedTuple):
    """A regular file of the revision: its blob id and size in bytes (from `ls-tree -l`)."""

    sha: str
    size: int


def _listing(commit: str, cwd: Path) -> dict[str, Blob]:
    """Every regular `*.charter` file and project marker of ``commit``, by path, with its
    size, so nothing is read before it is known to be wanted and small enough."""
    out: dict[str, Blob] = {}
    raw = _git(["ls-tree", "-r", "-l", "-z", "--full-tree", commit], cwd)
    for entry in raw.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, sha, size = meta.split()
        path = name.decode("utf-8", "surrogateescape")
        if kind == b"blob" and mode in REGULAR and _wanted(path):
            out[path] = Blob(sha.decode(), int(size))
    return out


def _wanted(path: str) -> bool:
    base = posixpath.basename(path)
    parts = path.split("/")
    return (base.endswith(".charter") or base in MARKERS) and ".." not in parts \
        and not path.startswith("/")


# A quoted name ending in `.charter`: every `extends:` path, whatever the spacing or the
# comments around it (a superset: a doc string naming a file costs one small read).
_REFERENCE = re.compile(rb'"([^"\n\\]{1,1000}\.charter)"')


def _materialise(root: Path, blobs: dict[str, Blob], wanted: list[str], cwd: Path) -> None:
    """Write the ``wanted`` files and, round by round, the files they name (their bases),
    each read once. A blob over the parser's size limit is never read: a sparse file one
    byte over the limit stands for it, so the loader refuses it with CH-E012, as it would
    the file itself, after its usual bounded read."""
    from charter.parser import MAX_BYTES

    done: set[str] = set()
    todo = [name for name in wanted if name in blobs]
    while todo:
        done.update(todo)
        small = [name for name in todo if blobs[name].size <= MAX_BYTES]
        for name in todo:
            if blobs[name].size > MAX_BYTES:
                _place(root, name, b"", size=MAX_BYTES + 1)
        texts = _read_blobs([blobs[name].sha for name in small], cwd)
        named: list[str] = []
        for name, data in zip(small, texts):
            _place(root, name, data)
            named += _referenced(name, data)
        todo = sorted({n for n in named if n in blobs and n not in done})


def _referenced(name: str, data: bytes) -> list[str]:
    """The repository paths of the `.charter` files ``name``'s text names, resolved against
    its folder as `extends:` is; those leaving the repository are dropped."""
    found = []
    for match in _REFERENCE.finditer(data):
        ref = match.group(1).decode("utf-8", "surrogateescape")
        path = posixpath.normpath(posixpath.join(posixpath.dirname(name), ref))
        if not path.startswith(("../", "/")) and path != "..":
            found.append(path)
    return found


def _place(root: Path, name: str, data: bytes, size: int | None = None) -> None:
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    if size is not None:
        os.truncate(target, size)  # sparse: no disk written, nothing held in memory


def _read_blobs(shas: list[str], cwd: Path) -> list[bytes]:
    """The bytes of each blob (each within the size limit), in one `git cat-file --batch`."""
    if not shas:
        return []
    data = _git(["cat-file", "--batch"], cwd, stdin="".join(f"{sha}\n" for sha in shas))
    out, at = [], 0
    for _sha in shas:
        header_end = data.index(b"\n", at)
        size = int(data[at:header_end].split(b" ")[2])
        out.append(data[header_end + 1: header_end + 1 + size])
        at = header_end + 1 + size + 1
    return out


def _git(args: list[str], cwd: Path, problem: str | None = None,
         stdin: str | None = None) -> bytes:
    """Run git; a failure is a `GitError` saying ``problem`` (or git's own first line)."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True,
                              input=stdin.encode() if stdin is not None else None,
                              check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(problem or (said[0] if said else f"git {args[0]} failed"))
    return done.stdout
