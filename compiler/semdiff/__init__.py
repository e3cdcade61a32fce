"""`charter diff`: a semantic diff of partner programs, for pull requests.

Two versions of a program are compiled and their configs compared (the same data
`charter build` writes in config.json, or its partner projection for `--view partner`):

- `compare` walks the two configs into raw changes, each at a JSON path with a direction;
- `rules` is the one table that says what a change is: check id, class, money or not;
- `impact` quotes the program's worked examples and a standard deal on every route with the
  old and the new program through the engine, for the money impact;
- `report` puts it together (retroactive terms, failing checks), `render` writes Markdown for
  a pull-request comment, JSON, text or GitHub annotations, `gitrev` reads the programs of a
  git revision and `command` is the CLI glue. docs/diff.md documents the command.

    from charter.semdiff import diff_files
    result = diff_files("old/ejourney.charter", "programs/ejourney.charter")
    result.summary()            # '1 partner-unfavourable'
"""
from __future__ import annotations

from pathlib import Path


def diff_files(old: str | Path, new: str | Path, view: str = "internal"):
    """The `DiffResult` of two program files (raises `side.CompileFailed` if one has errors)."""
    from charter.semdiff.report import DiffResult, diff_sides
    from charter.semdiff.side import compile_side

    sides = [compile_side(Path(p), str(p), str(Path(p).parent).replace("\\", "/"))
             for p in (old, new)]
    if None in sides:
        raise ValueError("an abstract base is diffed through the programs that extend it")
    return DiffResult([diff_sides(sides[0], sides[1], view)], view)


__all__ = ["diff_files"]
