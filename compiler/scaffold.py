"""`charter init`: a new program from the reusable two-channel shape, clean as created.

`render` produces the text from the package template `templates/init.charter.j2`: by default
a self-contained program with the structure of the two-channel base (Referral + VAD, tiers,
handover, mitigations, examples…); with a base (`read_base`), a program that `extends:` it and
states only the values a product sets. Every value to rewrite carries `# TODO(rewrite): …`.
Placeholder amounts are held here in base units and scaled per currency, and the worked
examples' expectations are computed here from the same numbers, so `charter check` passes.
`scaffold` writes the file (atomically, never over an existing one unless forced).
"""
from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from charter.syntax import NAME_SHAPED

SUFFIX = ".charter"
NAME_RE = re.compile(NAME_SHAPED.pattern + r"\Z")  # a program name is a name (§1.3)
RESERVED = frozenset({"and", "or", "internal"})
DEFAULT_TIERS = ("Standard", "Accelerator", "Elite")
WHOLESALE_MODELS = frozenset({"wholesale", "resale"})
COMMISSION_MODELS = frozenset({"referral", "affiliate", "co_sell"})


class ScaffoldError(Exception):
    """A scaffold that cannot be written; the message is one line for the user."""


@dataclass(frozen=True)
class CurrencyStyle:
    """How amounts are written in one currency: prefix, scale words, decimal mark, and the
    factor from the placeholder base units (USD-sized) to realistic amounts."""

    prefix: str
    factor: Decimal
    scales: tuple[tuple[str, Decimal], ...] = (  # (what follows the number, its size)
        (" billion", Decimal(10) ** 9), (" million", Decimal(10) ** 6), ("K", Decimal(10) ** 3))
    decimal_mark: str = "."


CURRENCY_STYLES: dict[str, CurrencyStyle] = {
    "USD": CurrencyStyle("$", Decimal(1)),
    "EUR": CurrencyStyle("€", Decimal(1)),
    "GBP": CurrencyStyle("£", Decimal(1)),
    "SGD": CurrencyStyle("S$", Decimal(1)),
    "AUD": CurrencyStyle("A$", Decimal(1)),
    "MYR": CurrencyStyle("RM ", Decimal(5)),
    "INR": CurrencyStyle("₹", Decimal(100)),
    "JPY": CurrencyStyle("¥", Decimal(100)),
    "IDR": CurrencyStyle("Rp ", Decimal(10_000), (
        (" Miliar", Decimal(10) ** 9), (" juta", Decimal(10) ** 6), ("K", Decimal(10) ** 3)),
        ","),
}

# Placeholder amounts in base units (USD-sized); CurrencyStyle.factor scales them.
AMOUNTS = {"essentials": 30, "growth": 25, "module_low": 2_500, "module_high": 3_000,
           "bracket": 300_000, "cumulative": 350_000, "services": 5_000}
QUOTAS = (None, 500_000, 1_500_000)  # per tier of the ladder, per year
SEATS = 100
ECONOMICS = {"cogs": 3, "floor": 60}
HANDOVER = {"rate": 5, "cap": 30}


@dataclass(frozen=True)
class TierSpec:
    """Placeholder values of one rung of the VAD ladder."""

    label: str
    margin: int
    mdf: int
    response: str
    checkin: str
    implementation: str
    qbr: str
    onsite: str
    options: str = ""


LADDER = (
    TierSpec("Authorized · open program", 20, 2, "24 business hours", "monthly", "2 months",
             "no", "no"),
    TierSpec("Silver · commit volume", 25, 3, "8 business hours", "biweekly", "6 weeks",
             "yes", "no"),
    TierSpec("Platinum · anchor partner", 35, 3, "4 business hours", "weekly", "1 month",
             "yes", "yes", "exclusive_territory, exclusive_vertical"),
)


@dataclass(frozen=True)
class BaseShape:
    """What `init --from` needs to know of an abstract base program."""

    extends: str                      # the path to write in `extends:`, relative, with `/`
    referral: str | None = None       # the commission channel's name
    thresholds: str | None = None     # its thresholds' header in the base ("" unnamed), if any
    one_time: bool = True             # it pays its fee once (`payment: one_time`)
    retroactive: bool = False         # its base thresholds re-rate the whole period
    vad: str | None = None            # the wholesale/resale channel's name
    tiers: tuple[str, ...] = field(default=())  # that channel's tiers in the base, by rank
    escalation: str | None = None     # the base's escalation-path mitigation, if any
    mitigations: bool = False         # the base has mitigations for the wholesale channel


def money(amount: Decimal | int, currency: str) -> str:
    """``amount`` in base units as a charter literal in ``currency`` (`$30K`, `Rp 3 Miliar`).

    Uses the largest scale word that leaves at most two decimals, so the literal never has
    the ambiguous one-separator-three-digits form (CH-E005)."""
    style = CURRENCY_STYLES[currency]
    value = Decimal(amount) * style.factor
    for word, size in style.scales:
        scaled = value / size
        if value >= size and _decimals(scaled) <= 2:
            return f"{style.prefix}{_number(scaled, style)}{word}"
    return f"{style.prefix}{_number(value, style)}"


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _number(value: Decimal, style: CurrencyStyle) -> str:
    text = format(value.normalize(), "f")
    whole, _, frac = text.partition(".")
    if len(whole) > 4:
        whole = f"{int(whole):_}"
    return whole + (style.decimal_mark + frac if frac else "")


def check_name(name: str) -> str:
    """The program name for NAME (a trailing `.charter` is dropped); `ScaffoldError` unless
    it is a charter name: ASCII letters, digits and `_`, not starting with a digit."""
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name
    if "/" in stem or os.sep in stem:
        raise ScaffoldError(f"NAME `{name}` is a path; give a name and choose the folder with"
                            " --dir")
    if not NAME_RE.match(stem) or not stem.isascii():
        hint = re.sub(r"[^A-Za-z0-9_]", "_", stem.encode("ascii", "replace").decode())
        hint = hint if NAME_RE.match(hint) else f"p_{hint}"
        raise ScaffoldError(f"`{name}` is not a program name: use ASCII letters, digits and `_`,"
                            f" not starting with a digit (e.g. `{hint}`)")
    if stem in RESERVED:
        raise ScaffoldError(f"`{stem}` is a reserved word in charter; choose another name")
    from charter.build import SHARED

    if stem == SHARED:  # `charter build` writes the shared schemas to OUT/schema/
        raise ScaffoldError(f"`{stem}` is the name of the build's shared folder; choose"
                            " another name")
    return stem


def render(name: str, currency: str = "USD", year: int = 2026,
           base: BaseShape | None = None) -> str:
    """The text of ``NAME.charter``: self-contained, or extending ``base``."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    if currency not in CURRENCY_STYLES:
        raise ScaffoldError(f"unknown currency `{currency}`; choose one of "
                            + ", ".join(CURRENCY_STYLES))
    env = Environment(loader=PackageLoader("charter", "templates"), trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True,
                      undefined=StrictUndefined, autoescape=False)
    return env.get_template("init.charter.j2").render(
        **_context(name, currency, year, base))


def _context(name: str, currency: str, year: int, base: BaseShape | None) -> dict[str, Any]:
    """Everything the template reads: names, the ladder, amounts, the examples' numbers."""
    full = base is None
    shape = base or BaseShape(extends="", referral="Referral", vad="VAD")
    ref = {"name": shape.referral, "thresholds": shape.thresholds, "one_time": shape.one_time,
           "retroactive": shape.retroactive} if shape.referral else None
    tiers = _ladder(shape, currency) if shape.vad else []
    vad = {"name": shape.vad, "tiers": tiers} if shape.vad else None
    top = tiers[-1] if tiers else None
    return {"name": name, "title": f"{name.replace('_', ' ').title()} partner program",
            "currency": currency, "year": year, "full": full, "base": shape,
            "ref": ref, "vad": vad, "top": top, "econ": ECONOMICS,
            "deal": {"seats": SEATS}, "m": _amounts(currency, top),
            "handover": _handover(tiers) if ref and vad else None}


def _ladder(shape: BaseShape, currency: str) -> list[dict[str, Any]]:
    """The VAD tiers with their numbers: the base's tiers (the first rungs of the ladder), or
    else the default three."""
    if len(shape.tiers) > len(LADDER):
        raise ScaffoldError(f"init writes at most {len(LADDER)} tiers, but the base's channel"
                            f" `{shape.vad}` already has {len(shape.tiers)}")
    names = list(shape.tiers or DEFAULT_TIERS)
    growth = Decimal(AMOUNTS["growth"])
    tiers = []
    for i, (tier, spec) in enumerate(zip(names, LADDER)):
        quota = money(QUOTAS[i], currency) if QUOTAS[i] else None
        tiers.append({**spec.__dict__, "name": tier, "quota": quota,
                      "label": None if shape.tiers else spec.label,  # a base tier keeps its own
                      "down": names[i - 1] if i else None,
                      "unit_price": money(growth * (100 - spec.margin) / 100, currency)})
    for lower, upper in zip(tiers, tiers[1:]):
        lower["up"] = {"name": upper["name"], "quota": upper["quota"]}
    tiers[-1]["up"] = None
    return tiers


def _amounts(currency: str, top: dict[str, Any] | None) -> dict[str, str]:
    """Every amount the template writes, formatted in ``currency``."""
    out = {key: money(value, currency) for key, value in AMOUNTS.items()}
    listed = Decimal(AMOUNTS["growth"]) * SEATS * 12
    out.update(zero=money(0, currency), software_list=money(listed, currency),
               fee_low=money(listed * 10 / 100, currency),
               fee_high=money(listed * 15 / 100, currency))
    if top is not None:
        margin = listed * top["margin"] / 100
        out.update(top_wholesale=money(listed - margin, currency),
                   top_margin=money(margin, currency),
                   top_mdf=money(listed * top["mdf"] / 100, currency),
                   top_gross=money(margin + AMOUNTS["services"], currency))
    return out


def _handover(tiers: list[dict[str, Any]]) -> dict[str, Any]:
    """The handover rule: tiers whose margin stays within the combined cap may close; one
    example per allowed tier (accept) and one for the first tier over the cap."""
    rate, cap = HANDOVER["rate"], HANDOVER["cap"]
    allowed = [t for t in tiers if rate + t["margin"] <= cap]
    over = [t for t in tiers if t not in allowed][:1]
    examples = []
    for tier in allowed + over:
        net = 100 - ECONOMICS["cogs"] - rate - tier["margin"]
        examples.append({"tier": tier["name"], "margin": tier["margin"],
                         "combined": rate + tier["margin"], "net": net,
                         "decision": "accept" if tier in allowed
                         and net >= ECONOMICS["floor"] else "walk"})
    return {"rate": rate, "cap": cap, "allowed": [t["name"] for t in allowed],
            "examples": examples}


def read_base(base: str | Path, target: Path) -> BaseShape:
    """The shape of the abstract program in ``base``, for a program written at ``target``.

    `ScaffoldError` when the base is missing, does not compile, is not `abstract: yes`, lies
    outside the project of ``target`` (CH-E202 would refuse the `extends:`), or has neither a
    commission channel nor a wholesale/resale channel to fill in."""
    from charter.api import compile_file
    from charter.loader import project_root

    path = Path(base)
    if not path.is_file():
        raise ScaffoldError(f"base `{base}` is not a file")
    program, reporter, sources = compile_file(path, checks=False)
    if program is None or reporter.has_errors:
        raise ScaffoldError(f"base `{base}` has errors; run `charter check {base}`")
    if not program.header.abstract:
        raise ScaffoldError(f"base `{base}` is not an abstract program (`abstract: yes`);"
                            " init --from extends a reusable base")
    root = project_root(target)
    real = path.resolve()
    if root != real and root not in real.parents:
        raise ScaffoldError(f"base `{base}` is outside the project of {target.name} ({root});"
                            " an `extends:` may not leave it: copy the base inside, or put a"
                            " charter.toml in a folder that holds both")
    shape = _shape(program, sources, _relative(path, target.parent))
    if shape.referral is None and shape.vad is None:
        raise ScaffoldError(f"base `{base}` has no commission channel (referral, affiliate,"
                            " co_sell) and no wholesale or resale channel: nothing to fill in")
    return shape


def _relative(base: Path, folder: Path) -> str:
    """``base`` relative to ``folder`` with `/`, escaped for the `extends:` string."""
    relative = Path(os.path.relpath(os.path.abspath(base), os.path.abspath(folder))).as_posix()
    if not relative.isprintable():
        raise ScaffoldError(f"base path {relative!r} has control characters; rename it")
    return relative.replace("\\", "\\\\").replace('"', '\\"')


def _shape(program: Any, sources: dict[str, Any], extends: str) -> BaseShape:
    """The channels, tiers and mitigations of a compiled base (``sources``: its files)."""
    public = [c for c in program.channels if not c.internal]
    ref = next((c for c in public if c.model in COMMISSION_MODELS), None)
    vad = next((c for c in public if c.model in WHOLESALE_MODELS), None)
    escalation = next((x.name for x in program.mitigations
                       if x.enforcement == "escalation_path"
                       and (vad is None or vad.name in x.applies_to)), None)
    return BaseShape(
        extends=extends,
        referral=ref.name if ref else None,
        thresholds=_header(ref.thresholds, sources) if ref and ref.thresholds else None,
        one_time=ref is None or ref.payment == "one_time",
        retroactive=ref is not None and ref.thresholds is not None
        and ref.thresholds.semantics == "retroactive",
        vad=vad.name if vad else None,
        tiers=tuple(t.name for t in sorted(vad.tiers, key=lambda t: t.rank)) if vad else (),
        escalation=escalation,
        mitigations=vad is not None and any(vad.name in x.applies_to
                                            for x in program.mitigations))


def _header(thresholds: Any, sources: dict[str, Any]) -> str:
    """The name a `thresholds` block is written with ("" when it has none: the model calls an
    unnamed ladder `volume`, but only the header as written merges with it)."""
    span = thresholds.span
    line = sources[span.file].line_text(span.line)[span.column - 1:]
    match = re.match(r"thresholds\s+([A-Za-z_][A-Za-z0-9_]*)", line)
    return match.group(1) if match else ""


def target_path(name: str, folder: str | Path, force: bool = False) -> Path:
    """Where ``NAME.charter`` goes in ``folder``; `ScaffoldError` if the folder is missing or
    the file exists (unless ``force``; a folder or other non-file is refused even then)."""
    stem = check_name(name)
    folder = Path(folder)
    if not folder.is_dir():
        raise ScaffoldError(f"folder `{folder}` does not exist")
    target = folder / f"{stem}{SUFFIX}"
    if target.exists() or target.is_symlink():
        if not force:
            raise ScaffoldError(f"{target} already exists; choose another name, or pass --force"
                                " to overwrite it")
        if target.is_symlink() or not target.is_file():
            raise ScaffoldError(f"{target} exists and is not a regular file; not overwriting it")
    return target


def scaffold(name: str, folder: str | Path = ".", currency: str = "USD",
             base: str | Path | None = None, force: bool = False,
             year: int = 2026) -> tuple[Path, str]:
    """Write ``folder/NAME.charter`` (atomically) and return its path and text."""
    from charter.atomic import replace_file

    target = target_path(name, folder, force)
    shape = read_base(base, target) if base is not None else None
    text = render(target.stem, currency, year, shape)
    replace_file(target, text.encode("utf-8"))
    return target, text


def run_init(name: str, base: str | None, currency: str, folder: str, force: bool,
             year: int) -> int:
    """`charter init`: write the scaffold, check it, say what to do next; the exit code.

    A bad name, an existing file, an unknown currency or an unusable base is a usage error
    (`click.UsageError`, exit 2); a folder that cannot be written is exit 1."""
    import click

    try:
        path, text = scaffold(name, folder, currency.upper(), base, force, year)
    except ScaffoldError as bad:
        raise click.UsageError(str(bad))
    except OSError as cannot:
        click.echo(f"charter: cannot write to {folder}: {cannot.strerror or cannot}", err=True)
        return 1
    shown = _display(path)
    what = f"extends {base}" if base is not None else "self-contained, the two-channel shape"
    click.echo(f"wrote {shown} ({what}, {currency.upper()}; "
               f"{text.count('TODO(rewrite)')} placeholders marked TODO(rewrite))")
    if not _checks_clean(path):
        click.echo(f"charter: {shown} does not check clean: the base has a shape init does not"
                   " know; fix what is reported above", err=True)
        return 1
    click.echo(f"next: rewrite the TODO(rewrite) values, then run\n"
               f"  charter check {shlex.quote(shown)}")
    return 0


def _checks_clean(path: Path) -> bool:
    """Check the new file; print its errors and warnings (on stderr) if it has any."""
    import click

    from charter.api import check_paths
    from charter.diagnostics import Severity
    from charter.render import render_text

    result = check_paths([path])
    loud = [d for d in result.diagnostics if d.severity in (Severity.ERROR, Severity.WARNING)]
    if loud:
        click.echo(render_text(loud, result.sources, color=False), err=True)
    return not loud


def _display(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(absolute)
