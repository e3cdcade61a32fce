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
from dataclasses import replace
from pathlib import Path

from charter import syntax as s
from charter.diagnostics import Reporter
from charter.diagnostics import Diagnostic
from charter.inputfile import not_regular as _not_regular
from charter.parser import MAX_BYTES, parse_source
from charter.source import SourceFile

PROJECT_MARKERS = ("charter.toml", "pyproject.toml", ".git")
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


class Loader:
    """Reads and caches source files; resolves `extends:` chains."""

    def __init__(self, reporter: Reporter, cache: ParseCache | None = None):
        self.reporter = reporter
        self.sources: dict[str, SourceFile] = {}
        self._parsed: dict[str, tuple[s.Item, ...]] = {}
        self.cache = cache

    def read(self, path: Path, display: str, root: Path | None = None) -> SourceFile | None:
        """Read a UTF-8 file confined to ``root``; report CH-E205/E206/E207/E012 otherwise.

        Links are resolved first; the real file must lie inside ``root`` (CH-E206) and be a
        regular file (CH-E207), and at most `MAX_BYTES` + 1 bytes are read (CH-E012), so a
        link to a secret, a FIFO or a device never hangs, and nothing of it is ever quoted.
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
            kind = _not_regular(os.stat(real).st_mode)
            if kind is None:
                fd = os.open(real, _OPEN_FLAGS)  # non-blocking: a FIFO swapped in cannot hang
                try:
                    kind = _not_regular(os.fstat(fd).st_mode)
                    data = b"" if kind else _read_at_most(fd, MAX_BYTES + 1)
                finally:
                    os.close(fd)
        except OSError as err:
            self.reporter.error("CH-E205", f"cannot read file: {_reason(err)}", None, notes=notes)
            return None
        if kind is not None:
            self.reporter.error("CH-E207", f"not a regular file ({kind})", None, notes=notes,
                                help=("name a `.charter` text file",))
            return None
        if len(data) > MAX_BYTES:
            self.reporter.error("CH-E012", f"file is too large (more than {MAX_BYTES:,} bytes;"
                                f" the limit is {MAX_BYTES:,})", None, notes=notes,
                                help=("split the program with `extends:` into smaller files",))
            return None
        return data

    def _unreadable(self, display: str, data: bytes, err: UnicodeDecodeError) -> None:
        prefix = data[:err.start].decode("utf-8", "replace")
        source = SourceFile(display, prefix + "\ufffd")
        self.sources[display] = source
        self.reporter.error("CH-E205", "file is not UTF-8 text", source.span(len(prefix),
                            len(prefix) + 1), label=f"byte 0x{data[err.start]:02x} here",
                            help=("save the file as UTF-8",))

    def load(self, path: Path, root: Path, chain: tuple[Path, ...] = ()) -> tuple[s.Item, ...]:
        """Parse ``path`` and everything it extends, merged, base first."""
        display = _display(path)
        source = self.read(path, display, root)
        if source is None:
            return ()
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
        for attr in extends:
            base = self._resolve(attr, path, root, inner)
            if base is not None:
                merged = merge(merged, self.load(base, root, inner))
        own = tuple(i for i in items if not (isinstance(i, s.Attribute) and i.key == "extends"))
        return merge(merged, own)

    def _resolve(self, attr: s.Attribute, path: Path, root: Path,
                 chain: tuple[Path, ...]) -> Path | None:
        value = attr.values[0]
        if not isinstance(value, s.Str):
            self.reporter.error("CH-E106", "`extends` takes a quoted relative path",
                                value.span, label="not a path",
                                help=('write `extends: "base/two-channel.charter"`',))
            return None
        try:
            target = _real(path.parent / value.value, strict=False)
        except OSError as err:
            self.reporter.error("CH-E205", f"cannot read `{value.value}`: {_reason(err)}",
                                value.span, label="cannot be followed")
            return None
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
            self.reporter.error("CH-E208", f"`extends` chain is deeper than {MAX_EXTENDS_DEPTH}"
                                " files", value.span, label="one base too many",
                                notes=(f"starting at {_display(chain[0])}",),
                                help=("flatten the chain: real programs extend a base or"
                                      " two",))
            return None
        if not target.exists():  # a FIFO or a device is refused by `read` (CH-E207)
            self.reporter.error("CH-E201", f"no such file `{value.value}`", value.span,
                                label="file not found", help=_nearby(target))
            return None
        return target

    def _cycle(self, value: s.Str, chain: tuple[Path, ...], target: Path) -> None:
        start = chain.index(target)
        names = [_display(p) for p in chain[start:]] + [_display(target)]
        self.reporter.error("CH-E203", "import cycle: " + " -> ".join(names), value.span,
                            label="this `extends` closes the cycle",
                            help=("move what both files share into a third base file",))


def project_root(path: Path) -> Path:
    """The project a named file or folder belongs to, as a resolved folder.

    The search starts at the folder that *holds* the name (a link in the last component is
    not followed: a link named `programs/env.charter` belongs to the project of `programs/`,
    wherever it points) and goes up to the nearest folder with a project marker
    (charter.toml, pyproject.toml, .git); without one it is that starting folder. Every file
    read for the path (the file itself, `extends:` bases) must resolve to inside it.
    """
    absolute = Path(os.path.abspath(path))
    start = absolute if absolute.is_dir() and not absolute.is_symlink() else absolute.parent
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return _real(folder, strict=False)
    return _real(start, strict=False)


def _real(path: Path, strict: bool = True) -> Path:
    """``path`` with every link resolved; a link loop is an OSError (ELOOP), not a crash."""
    try:
        return path.resolve(strict=strict)
    except RuntimeError as err:  # Python < 3.13 reports a link loop this way
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path)) from err


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

