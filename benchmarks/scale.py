"""Write a program N times the size of ejourney's that checks clean (for the speed budgets).

    .venv/bin/python benchmarks/scale.py N OUT.charter

The program is programs/ejourney.charter with its base (programs/base/two-channel.charter)
merged in, so it stands alone; then N - 1 renamed copies of everything a program can have
many of (products, channels with their tiers and thresholds, waivers, handovers,
mitigations, worked examples) are appended. Definitions that exist once per program (the
header, attribution, internal economics, enablement, the ship gate) are not copied. Copy `i`
renames every defined name `X` to `X_i`, so each copy is a complete, separate two-channel
program inside the one file: N × the products, channels, tiers, thresholds, handovers, routes
and examples. The copies leave out what only people read (comments, doc strings, `includes:`
lists, the processes' prose), about half of ejourney's bytes, so that 300 copies stay under
the 4 MB file limit; the compiler's work per copy is the same.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ONCE = {"program", "attribution", "economics", "enablement", "ship_gate"}
PROSE = {"process"}  # blocks of steps and text: not copied (they pay nothing)
_PROSE_KEYS = ("includes:", "best_for:", "effort:", "eligibility:", "override:")
_OPENS = re.compile(r"^(internal )?([a-z_]+)\b(.*)\{\s*$")


def blocks(text: str) -> list[tuple[str, list[str], list[str]]]:
    """Top-level blocks as (header line, leading comment lines, body lines); other top-level
    lines (attributes such as `extends:`) are dropped."""
    found, pending, body, header = [], [], None, ""
    for line in text.splitlines():
        if body is None and _OPENS.match(line):
            header, body = line, []
        elif body is not None and line == "}":
            found.append((header, pending, body))
            pending, body = [], None
        elif body is not None:
            body.append(line)
        elif line.startswith("#"):
            pending.append(line)
        elif not line.strip():
            pending = []
    return found


def merged(base: str, program: str) -> list[tuple[str, list[str], list[str]]]:
    """The base's blocks overlaid by the program's, as `extends:` merges them: a block both
    define keeps the base's lines first (its doc string) and then the program's."""
    order: dict[str, tuple[str, list[str], list[str]]] = {}
    for header, comments, body in blocks(base):
        if _kind(header) != "program":
            order[header] = (header, comments, body)
    for header, comments, body in blocks(program):
        if header in order:
            old = order[header]
            order[header] = (header, old[1] + comments, old[2] + body)
        else:
            order[header] = (header, comments, body)
    return list(order.values())


def _kind(header: str) -> str:
    return _OPENS.match(header).group(2)


def _names(items: list[tuple[str, list[str], list[str]]]) -> list[str]:
    names = set()
    for header, _comments, _body in items:
        words = _OPENS.match(header).group(3).split()
        if words and words[0].isidentifier() and _kind(header) not in ONCE:
            names.add(words[0])
    return sorted(names, key=len, reverse=True)


def render(items: list[tuple[str, list[str], list[str]]]) -> str:
    return "\n\n".join("\n".join([*c, h, *b, "}"]) for h, c, b in items) + "\n"


def scaled(factor: int) -> str:
    """The program text, ``factor`` times ejourney's size."""
    base = (REPO / "programs/base/two-channel.charter").read_text(encoding="utf-8")
    program = (REPO / "programs/ejourney.charter").read_text(encoding="utf-8")
    items = merged(base, program)
    many = [b for b in items if _kind(b[0]) not in ONCE]
    names = _names(many)
    # Channel and product names (capitalised) are referenced everywhere; the lower-case
    # names of examples, waivers, mitigations and processes only name their own block (and
    # may equal a keyword such as `escalation_path`), so only their headers are renamed.
    refs = _word_pattern([n for n in names if n[0].isupper()])
    own = _word_pattern([n for n in names if not n[0].isupper()])
    compact = [(h, [], _without_prose(b)) for h, _c, b in many if _kind(h) not in PROSE]
    parts = [render(items)]
    for i in range(1, factor):
        copy = [(own.sub(lambda m: f"{m.group(1)}_{i}", refs.sub(lambda m: f"{m.group(1)}_{i}", h)),
                 c, [refs.sub(lambda m: f"{m.group(1)}_{i}", line) for line in b])
                for h, c, b in compact]
        parts.append(render(copy))
    return "\n".join(parts)


def _without_prose(body: list[str]) -> list[str]:
    """A block's lines without comments, doc strings and the attributes only people read."""
    kept, in_doc = [], False
    for line in body:
        text = line.strip()
        quotes = text.count('"""')
        if in_doc or text.startswith('"""'):
            in_doc = (in_doc + quotes) % 2 == 1 if in_doc else quotes == 1
            continue
        if not text or text.startswith("#") or text.startswith(_PROSE_KEYS):
            continue
        kept.append(re.sub(r"\s+# .*$", "", line))
    return kept


def _word_pattern(names: list[str]) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")


def main(argv: list[str]) -> int:
    if len(argv) != 3 or not argv[1].isdigit() or int(argv[1]) < 1:
        print("usage: scale.py N OUT.charter   (N >= 1)", file=sys.stderr)
        return 2
    Path(argv[2]).write_text(scaled(int(argv[1])), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
