"""Loading a program: read files, follow `extends:`, and merge base and override.

`extends: "base/two-channel.charter"` includes the base program; blocks of the same kind and
name are merged (attributes of the extending file replace the base's, nested blocks merge the
same way), so a product-specific program states only what it rewrites (the eJourney Partner &
Channel page, section F).
Paths are relative to the extending file, must stay inside the project, and may not cycle.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from charter import syntax as s
from charter.confined import WALKS, PathChanged, open_at, open_folder
from charter.diagnostics import Diagnostic, Reporter
from charter.discovery import PROJECT_MARKERS, project_root  # noqa: F401  (the loader's API)
from charter.discovery import real_path as _real
from charter.inputfile import not_regular as _not_regular
from charter.parser import MAX_BYTES, parse_source
from charter.source import SourceFile

MAX_EXTENDS_DEPTH = 32  # files in one `extends` chain below the one named (CH-E208)


class ParseCache:
    """Parsed files shared by every program compiled in one run (`check_paths`, `build`).

    A file is parsed once per run however many programs extend it: the entry is keyed by the
    file's resolved display name and its full text (so an edited file is parsed again), and
    keeps the source, the syntax items and the diagnostics the parse reported, which are
    replayed into each program's reporter so every program sees what it saw before.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[SourceFile, tuple[s.Item, ...],
                                                   tuple[Diagnostic, ...]]] = {}

    def parse(self, source: SourceFile, reporter: Reporter) -> tuple[SourceFile, tuple[s.Item, ...]]:
        """The items of ``source`` (parsed now or earlier in the run) and the source they
        were parsed from; the parse's diagnostics go to ``reporter``."""
        key = (source.path, source.text)
        entry = self._entries.get(key)
        if entry is None:
            own = Reporter()
            items = parse_source(source, own)
            entry = self._entries[key] = (source, items, tuple(own.items))
        reporter.extend(entry[2])
        return entry[0], entry[1]


class Trace:
    """What loading depended on besides the text of the files it read, for `charter check`
    to record and a replay to verify (`charter.recheck`): a program's output changes when a
    link is pointed elsewhere, a project marker moves or a missing base appears, while every
    file read stays the same.

    ``roots`` maps each program path named to the project root it was confined to;
    ``paths`` maps each path as written (a program named, an `extends:` value joined to the
    extending file's folder, links unresolved) to the real path it led to, or None when it
    could not be resolved (a link loop)."""

    def __init__(self) -> None:
        self.roots: dict[str, str] = {}
        self.paths: dict[str, str | None] = {}


class Loader:
    """Reads and caches source files; resolves `extends:` chains. ``trace``, when given,
    collects what the loading depended on besides the files' text (`Trace`)."""

    def __init__(self, reporter: Reporter, cache: ParseCache | None = None,
                 trace: Trace | None = None):
        self.reporter = reporter
        self.sources: dict[str, SourceFile] = {}
        self._parsed: dict[str, tuple[s.Item, ...]] = {}
        # A file's merged items and its reach (see `_Loaded`), by display name: a file
        # reached by many paths (a diamond of `extends:`) is loaded and merged once, so a
        # program's load is linear in its files, not in its paths (2^levels for a diamond).
        self._loaded: dict[str, _Loaded] = {}
        self.cache = cache
        self.trace = trace

    def read(self, path: Path, display: str, root: Path | None = None) -> SourceFile | None:
        """Read a UTF-8 file confined to ``root``; report CH-E205/E206/E207/E012 otherwise.

        Links are resolved first; the real file must lie inside ``root`` (CH-E206) and be a
        regular file (CH-E207), and at most `MAX_BYTES` + 1 bytes are read (CH-E012), so a
        link to a secret, a FIFO or a device never hangs, and nothing of it is ever quoted.
        The real path is opened from ``root`` without following links (`charter.confined`):
        a link swapped onto it after the check is refused (CH-E205), never followed.
        """
        if display in self.sources:
            return self.sources[display]
        data = self._read_bytes(path, display, root)
        if data is None:
            return None
        try:
            if b"\x00" in data:  # binary: let the parser's pre-check say so, with a position
                text = data.decode("utf-8", "replace")
            else:
                text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            self._unreadable(display, data, err)
            return None
        source = SourceFile(display, text.removeprefix("\ufeff"))
        self.sources[display] = source
        return source

    def read_raw(self, path: Path, display: str, root: Path | None) -> bytes | None:
        """A file's exact bytes (byte order mark and CR line ends included) under the same
        rules as `read`: confined, a regular file, bounded; undecodable UTF-8 is reported
        (CH-E205) and None returned. Bytes with a NUL pass, for the parser's binary check."""
        data = self._read_bytes(path, display, root)
        if data is not None and b"\x00" not in data:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as err:
                self._unreadable(display, data, err)
                return None
        return data

    def _read_bytes(self, path: Path, display: str, root: Path | None) -> bytes | None:
        notes = (f"path: {display}",)
        try:
            real = _real(path)
        except OSError as err:
            self.reporter.error("CH-E205", f"cannot read file: {_reason(err)}", None, notes=notes)
            return None
        if root is not None and not _inside(real, root):
            self.reporter.error("CH-E206", "file is outside the project", None,
                                notes=(*notes, "it leads, through a link, out of the"
                                       f" project root `{_root_display(root)}`; nothing was"
                                       " read from it"),
                                help=("copy the file into the project instead of linking to"
                                      " it",))
            return None
        try:
            found = _read_confined(real, root)
        except PathChanged:  # a link swapped in after the check above: refused, not followed
            self.reporter.error("CH-E205", "cannot read file: its path changed while it was"
                                " being read", None,
                                notes=(*notes, "a link now stands where the checked path had"
                                       " a folder or the file; nothing was read from it"))
            return None
        except OSError as err:
            self.reporter.error("CH-E205", f"cannot read file: {_reason(err)}", None, notes=notes)
            return None
        if isinstance(found, str):
            self.reporter.error("CH-E207", f"not a regular file ({found})", None, notes=notes,
                                help=("name a `.charter` text file",))
            return None
        if len(found) > MAX_BYTES:
            self.reporter.error("CH-E012", f"file is too large (more than {MAX_BYTES:,} bytes;"
                                f" the limit is {MAX_BYTES:,})", None, notes=notes,
                                help=("split the program with `extends:` into smaller files",))
            return None
        return found

    def _unreadable(self, display: str, data: bytes, err: UnicodeDecodeError) -> None:
        prefix = data[:err.start].decode("utf-8", "replace")
        source = SourceFile(display, prefix + "\ufffd")
        self.sources[display] = source
        self.reporter.error("CH-E205", "file is not UTF-8 text", source.span(len(prefix),
                            len(prefix) + 1), label=f"byte 0x{data[err.start]:02x} here",
                            help=("save the file as UTF-8",))

    def load(self, path: Path, root: Path, chain: tuple[Path, ...] = ()) -> tuple[s.Item, ...]:
        """Parse ``path`` and everything it extends, merged, base first."""
        if not chain and self.trace is not None:  # the program named (bases have a chain)
            self.trace.roots[str(path)] = str(root)
            try:
                self._noted(path, _real(path, strict=False))
            except OSError:  # reported by `read` (CH-E205)
                self._noted(path, None)
        return self._load(path, root, chain).items

    def _load(self, path: Path, root: Path, chain: tuple[Path, ...]) -> _Loaded:
        """``path`` loaded (its bases merged in), or its earlier load in this program.

        Reusing an earlier load is sound: its diagnostics were reported then (a problem in a
        shared base is reported once), and a cycle through ``path`` would have closed
        while it was first loaded, since ``path`` was then on the chain."""
        display = _display(path)
        if display in self._loaded:
            return self._loaded[display]
        source = self.read(path, display, root)
        if source is None:
            return _Loaded((), 0)
        if display not in self._parsed:
            if self.cache is None:
                self._parsed[display] = parse_source(source, self.reporter)
            else:
                self.sources[display], self._parsed[display] = \
                    self.cache.parse(source, self.reporter)
        items = self._parsed[display]
        merged: tuple[s.Item, ...] = ()
        extends = [i for i in items if isinstance(i, s.Attribute) and i.key == "extends"]
        inner = chain + (path.resolve(),) if extends else chain
        reach = 1 if extends else 0
        for attr in extends:
            base = self._resolve(attr, path, root, inner)
            if base is None:
                continue
            done = self._loaded.get(_display(base))
            if done is not None and len(inner) + done.reach > MAX_EXTENDS_DEPTH:
                # loaded before by a shorter way: this longer one is still too deep
                self._too_deep(attr.values[0], inner, "its bases go past the limit from here")
            loaded = self._load(base, root, inner)
            reach = max(reach, 1 + loaded.reach)
            merged = merge(merged, loaded.items)
        own = tuple(i for i in items if not (isinstance(i, s.Attribute) and i.key == "extends"))
        result = self._loaded[display] = _Loaded(merge(merged, own), reach)
        return result

    def _resolve(self, attr: s.Attribute, path: Path, root: Path,
                 chain: tuple[Path, ...]) -> Path | None:
        value = attr.values[0]
        if not isinstance(value, s.Str):
            self.reporter.error("CH-E106", "`extends` takes a quoted relative path",
                                value.span, label="not a path",
                                help=('write `extends: "base/two-channel.charter"`',))
            return None
        written = path.parent / value.value
        try:
            target = _real(written, strict=False)
        except OSError as err:
            self._noted(written, None)
            self.reporter.error("CH-E205", f"cannot read `{value.value}`: {_reason(err)}",
                                value.span, label="cannot be followed")
            return None
        self._noted(written, target)
        if not _inside(target, root):
            self.reporter.error("CH-E202", f"`{value.value}` is outside the project",
                                value.span, label="leaves the project directory",
                                notes=("the project is the nearest folder holding"
                                       " charter.toml, pyproject.toml or .git",),
                                help=("keep shared programs inside the project",))
            return None
        if target in chain:
            self._cycle(value, chain, target)
            return None
        if len(chain) > MAX_EXTENDS_DEPTH:
            self._too_deep(value, chain, "one base too many")
            return None
        if not target.exists():  # a FIFO or a device is refused by `read` (CH-E207)
            self.reporter.error("CH-E201", f"no such file `{value.value}`", value.span,
                                label="file not found", help=_nearby(target))
            return None
        return target

    def _noted(self, written: Path, target: Path | None) -> None:
        """Note in the trace (if any) that ``written`` led to ``target`` (None: nowhere)."""
        if self.trace is not None:
            self.trace.paths[str(written)] = None if target is None else str(target)

    def _too_deep(self, value: s.Value, chain: tuple[Path, ...], label: str) -> None:
        self.reporter.error("CH-E208", f"`extends` chain is deeper than {MAX_EXTENDS_DEPTH}"
                            " files", value.span, label=label,
                            notes=(f"starting at {_display(chain[0])}",),
                            help=("flatten the chain: real programs extend a base or two",))

    def _cycle(self, value: s.Str, chain: tuple[Path, ...], target: Path) -> None:
        start = chain.index(target)
        names = [_display(p) for p in chain[start:]] + [_display(target)]
        self.reporter.error("CH-E203", "import cycle: " + " -> ".join(names), value.span,
                            label="this `extends` closes the cycle",
                            help=("move what both files share into a third base file",))


class _Loaded(NamedTuple):
    """One file's load: its items with its bases merged in, and its reach: how many files
    deep its `extends:` go below it (0 for a file without `extends:`; a base that could not
    be read counts as one). A load met again ``n`` files below the named file is past the
    limit (CH-E208) when ``n + reach`` exceeds `MAX_EXTENDS_DEPTH`, as it would have been
    had it been loaded there first."""

    items: tuple[s.Item, ...]
    reach: int


def _reason(err: OSError) -> str:
    return err.strerror or str(err)


def _root_display(root: Path) -> str:
    try:
        return str(root.relative_to(Path.cwd().resolve())) or "."
    except (ValueError, OSError):
        return str(root)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) \
    | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_confined(real: Path, root: Path | None) -> bytes | str:
    """The first `MAX_BYTES` + 1 bytes of the regular file at the real path ``real``, or the
    kind of what stands there instead (nothing of it read).

    The file is opened relative to its folder, which `confined.open_folder` opens from
    ``root`` (else from the file system's root) without following links, so a folder on
    the path swapped for a link after the caller's confinement check raises `PathChanged`
    instead of leading out of the project."""
    if not WALKS:  # no dir_fd (Windows): by name; O_NOFOLLOW guards the last component only
        return read_at(None, str(real))
    top = _real(root, strict=False) if root is not None else Path(real.anchor)
    folder = open_folder(real.parent, top)
    try:
        return read_at(folder, real.name)
    finally:
        os.close(folder)


def open_inside(path: Path, root: Path) -> tuple[int, str] | None:
    """The folder of ``path``'s real file, opened from ``root`` without following links,
    and the file's name in it; None when the real file is not inside ``root``. What is read
    and written through the two is the file the check found inside, whatever link is put on
    its path meanwhile (`charter fmt` writes this way). Raises `OSError`: `PathChanged` for
    a link swapped in after the check. Needs `WALKS`."""
    real = _real(path)
    if not _inside(real, root):
        return None
    return open_folder(real.parent, _real(root, strict=False)), real.name


def read_at(folder: int | None, name: str, limit: int = MAX_BYTES + 1) -> bytes | str:
    """The first ``limit`` bytes of the regular file ``name`` in the open ``folder`` (None:
    the working folder), or the kind of what stands there instead; a link there is
    `PathChanged` (a real path has none). The kind is looked at before opening, so a
    device is never opened, and again on the open file, which is what is read."""
    mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
    if stat.S_ISLNK(mode):
        raise PathChanged(errno.ELOOP, "a link now stands where the file was", name)
    kind = _not_regular(mode)
    if kind is not None:
        return kind
    fd = open_at(folder, name, _OPEN_FLAGS)  # non-blocking: a FIFO swapped in cannot hang
    try:
        kind = _not_regular(os.fstat(fd).st_mode)
        return kind if kind is not None else _read_at_most(fd, limit)
    finally:
        os.close(fd)


def _inside(target: Path, root: Path) -> bool:
    try:
        target.relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _nearby(target: Path) -> tuple[str, ...]:
    from charter.view import suggest
    if not target.parent.is_dir():
        return ()
    names = [p.name for p in target.parent.glob("*.charter")]
    return suggest(target.name, names)


def _display(path: Path) -> str:
    try:
        return str(_real(path, strict=False).relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _identity(item: s.Item) -> tuple:
    if isinstance(item, s.Attribute):
        return ("attr", item.key)
    if item.kind == "program":
        return ("block", "program")
    return ("block", item.kind, tuple(s.render_value(h) for h in item.header))


def merge(base: tuple[s.Item, ...], child: tuple[s.Item, ...]) -> tuple[s.Item, ...]:
    """Child items override base items with the same identity; blocks merge recursively."""
    if not base:
        return child
    overrides: dict[tuple, list[s.Item]] = {}
    for item in child:
        overrides.setdefault(_identity(item), []).append(item)
    result: list[s.Item] = []
    used: set[tuple] = set()
    for item in base:
        key = _identity(item)
        if key in used:
            continue
        if key not in overrides:
            result.append(item)
            continue
        used.add(key)
        replacement = overrides[key]
        if isinstance(item, s.Block) and len(replacement) == 1 and isinstance(replacement[0], s.Block):
            result.append(_merge_block(item, replacement[0]))
        else:
            result.extend(replacement)
    result.extend(i for i in child if _identity(i) not in used)
    return tuple(result)


def _merge_block(base: s.Block, child: s.Block) -> s.Block:
    inherited = base.items
    if base.kind == "program":  # being abstract is not inherited: the extender is concrete
        inherited = tuple(i for i in inherited if not (isinstance(i, s.Attribute)
                                                       and i.key == "abstract"))
    return replace(child, doc=child.doc or base.doc, internal=child.internal or base.internal,
                   items=merge(inherited, child.items))

