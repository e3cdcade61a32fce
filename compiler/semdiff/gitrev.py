"""The programs of a git revision, materialised so that they compile as they did there.

`charter diff --git REV [PATH...]` compares the working tree with REV. The old programs are
compiled from a temporary folder holding every `*.charter` file of REV (and its project
markers, `charter.toml` and `pyproject.toml`) at its path in the repository, so `extends:`
in an old program resolves against the old revision too, even to a base outside PATH. A
`charter.toml` is written at the folder's root when REV has none there: it stands for the
repository root (`.git`), so a program's project is the same as in the working tree.

Every git call is a plain argument list (no shell); a revision is passed after
`--end-of-options`, so no revision can be read as an option.
"""
from __future__ import annotations

import os
import posixpath
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

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
        found: dict[str, None] = {}
        for path in paths:
            wanted = self._in_repository(path)
            for name in self.files:
                if wanted in ("", ".") or name == wanted or name.startswith(wanted + "/"):
                    found[name] = None
        out = []
        for name in sorted(found):
            shown = posixpath.relpath(name, self.prefix or ".")
            out.append((self.root / name, f"{shown}@{self.rev}", posixpath.dirname(shown)))
        return out

    def _in_repository(self, path: str) -> str:
        if os.path.isabs(path):
            top = _git(["rev-parse", "--show-toplevel"], Path.cwd()).decode().strip()
            return posixpath.normpath(os.path.relpath(path, top).replace(os.sep, "/"))
        return posixpath.normpath(posixpath.join(self.prefix, path.replace(os.sep, "/")))


@contextmanager
def checkout(rev: str, cwd: Path | None = None) -> Iterator[Revision]:
    """Materialise the `*.charter` files of ``rev`` into a temporary folder, removed on exit.
    Raises `GitError` for a revision that does not name a commit."""
    cwd = cwd or Path.cwd()
    if not rev or rev.startswith("-"):
        raise GitError(f"not a git revision: `{rev}`")
    _git(["rev-parse", "--show-toplevel"], cwd, "not inside a git repository")
    commit = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                  cwd, f"unknown git revision `{rev}`").decode().strip()
    prefix = _git(["rev-parse", "--show-prefix"], cwd).decode().strip().rstrip("/")
    entries = _listing(commit, cwd)
    with tempfile.TemporaryDirectory(prefix="charter-diff-") as folder:
        root = Path(folder)
        _write(root, entries, cwd)
        if not (root / "charter.toml").exists():
            (root / "charter.toml").write_text("")
        files = tuple(sorted(p for p, _sha in entries if p.endswith(".charter")))
        yield Revision(rev, root, prefix, files)


def _listing(commit: str, cwd: Path) -> list[tuple[str, str]]:
    """(path, blob id) of every regular `*.charter` file and project marker of ``commit``."""
    out = []
    raw = _git(["ls-tree", "-r", "-z", "--full-tree", commit], cwd)
    for entry in raw.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, sha = meta.split(b" ")
        path = name.decode("utf-8", "surrogateescape")
        if kind == b"blob" and mode in REGULAR and _wanted(path):
            out.append((path, sha.decode()))
    return out


def _wanted(path: str) -> bool:
    base = posixpath.basename(path)
    parts = path.split("/")
    return (base.endswith(".charter") or base in MARKERS) and ".." not in parts \
        and not path.startswith("/")


def _write(root: Path, entries: list[tuple[str, str]], cwd: Path) -> None:
    """Every blob's bytes at its path under ``root``, read in one `git cat-file --batch`."""
    if not entries:
        return
    data = _git(["cat-file", "--batch"], cwd, stdin="".join(f"{sha}\n" for _p, sha in entries))
    at = 0
    for path, _sha in entries:
        header_end = data.index(b"\n", at)
        size = int(data[at:header_end].split(b" ")[2])
        body = data[header_end + 1: header_end + 1 + size]
        at = header_end + 1 + size + 1
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


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
