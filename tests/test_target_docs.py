"""The partner guide and the internal brief: golden files, confidentiality, injection,
determinism, and Mermaid that mermaid itself parses.

- Golden: the repository's own compiled/<program>/{partner-guide.md,partner-guide.html,
  internal-brief.md} for each bundled concrete program (`--update-golden` rewrites them; the
  whole folder is held current by tests/test_build.py's `charter build --check`).
- Leak: every partner-facing file of every bundled program is searched for every internal
  value (amounts and rates of the config's `internal` section, formatted as the guide formats
  numbers, and plain), every internal sentence and every internal phrase.
- Injection: hostile titles, doc strings and names render escaped in HTML, Markdown tables
  and Mermaid labels; no control character reaches a file.
"""
from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from charter.api import compile_file
from charter.targets import brief, guide
from charter.targets.base import BuildContext
from charter.targets.escape import md
from charter.targets.projection import Projection, engine_quoter
from charter.targets.wording import INTERNAL_TERMS, Words

from conftest import PROGRAMS, REPO

BUNDLED = ("ejourney", "saas-reseller", "elision")
PARTNER_FILES = ("partner-guide.md", "partner-guide.html")
GOLDEN = REPO / "compiled"   # the committed outputs are the golden files


@functools.lru_cache(maxsize=None)
def program(stem: str):
    compiled, reporter, _ = compile_file(PROGRAMS / f"{stem}.charter")
    assert compiled is not None and not reporter.has_errors
    return compiled


def build_docs(prog) -> dict[str, bytes]:
    """The guide's and the brief's files for a program, from a fresh build context."""
    ctx = BuildContext(prog)
    return {**guide.TARGET.build(ctx), **brief.TARGET.build(ctx)}


@functools.lru_cache(maxsize=None)
def built(stem: str) -> dict[str, bytes]:
    return build_docs(program(stem))


# ---- golden files --------------------------------------------------------------------------

@pytest.mark.parametrize("stem", BUNDLED)
def test_generated_docs_match_golden_files(stem, update_golden):
    files = built(stem)
    folder = GOLDEN / program(stem).header.id
    assert set(files) == {"partner-guide.md", "partner-guide.html", "internal-brief.md"}
    for name, data in sorted(files.items()):
        path = folder / name
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        assert path.exists(), f"{path} missing: run pytest with --update-golden"
        assert data == path.read_bytes(), f"{path} differs: run pytest with --update-golden"


def test_two_builds_are_byte_identical():
    prog = program("ejourney")
    assert build_docs(prog) == build_docs(prog)


def test_build_is_the_same_under_another_hash_seed(tmp_path):
    """Set and dict order never leaks into a document: a new interpreter with another
    PYTHONHASHSEED writes the same bytes."""
    script = ("import sys, json; from charter.api import compile_file;"
              " from charter.targets.base import BuildContext;"
              " from charter.targets import guide, brief;"
              " p = compile_file(sys.argv[1])[0]; c = BuildContext(p);"
              " f = {**guide.TARGET.build(c), **brief.TARGET.build(c)};"
              " sys.stdout.write(json.dumps({k: v.decode() for k, v in f.items()}))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script, str(PROGRAMS / "ejourney.charter")],
                         capture_output=True, text=True, env=env, check=True).stdout
    assert {k: v.encode() for k, v in json.loads(out).items()} == built("ejourney")


# ---- confidentiality -----------------------------------------------------------------------

RATE = re.compile(r"^-?\d+\.\d{6}$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _numbers(value, out: set[Decimal]) -> set[Decimal]:
    """Every amount, rate and number in a config (or a quote) value, as Decimals."""
    if isinstance(value, dict):
        for item in value.values():
            _numbers(item, out)
    elif isinstance(value, list):
        for item in value:
            _numbers(item, out)
    elif isinstance(value, str) and NUMBER.match(value):
        out.add(Decimal(value))
    return out


DURATION = {"value", "unit", "business"}


def _kinds(value, money: set, rates: set, texts: set, durations: set | None = None) -> None:
    """Split the internal section's values: amounts, rates (and numbers), sentences, and
    durations (as `(value, unit)`: a bare `9` of `9 months` would match any list number)."""
    durations = set() if durations is None else durations
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            money.add(Decimal(value["amount"]))
            return
        if set(value) == DURATION:
            durations.add((value["value"], value["unit"]))
            return
        for key, item in value.items():
            if key not in ("id", "name", "year", "from_year", "to_year"):
                _kinds(item, money, rates, texts, durations)
    elif isinstance(value, list):
        for item in value:
            _kinds(item, money, rates, texts, durations)
    elif isinstance(value, str) and (RATE.match(value) or NUMBER.match(value)):
        rates.add(Decimal(value))
    elif isinstance(value, str) and len(value.split()) >= 3:
        texts.add(value)


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def money_forms(w: Words, amount: Decimal) -> set[str]:
    """An amount as the guide writes it (compact and long) and plain."""
    return {w.money(amount), w.long_money(amount), format(amount, "f"),
            format(amount.normalize(), "f")}


def rate_forms(w: Words, rate: Decimal) -> set[str]:
    """A rate as the guide writes it (`62%`, `12,5%`) and plain (`0.620000`, `0.62`, `62%`)."""
    plain = format((rate * 100).normalize(), "f") + "%"
    return {w.percent(rate), plain, format(rate, "f"), format(rate.normalize(), "f")}


def _found(form: str, text: str) -> bool:
    """``form`` in ``text`` as a whole number: not inside a longer number or word."""
    pattern = rf"(?<![\w.,]){re.escape(form)}(?![\w]|[.,]\d)"
    return re.search(pattern, text) is not None


def visible(data: bytes, name: str) -> str:
    """A file's text as a reader (or a scraper) gets it: the HTML's fixed stylesheet removed
    (it is template text, not program data) and entities decoded."""
    text = data.decode("utf-8")
    if name.endswith(".html"):
        text = html.unescape(re.sub(r"<style>.*?</style>", "", text, flags=re.S))
    return text


class Recorder:
    """A partner quoter that records every partner-view answer the guide renders."""

    def __init__(self, ctx):
        self.inner, self.answers = engine_quoter(ctx), []

    def __call__(self, request):
        answer = self.inner(request)
        if answer is not None:
            self.answers.append(answer)
        return answer


def leaks(stem: str, files: dict[str, bytes]) -> list[str]:
    """Every internal value, sentence and phrase found in the partner-facing ``files``.

    A value the partner legitimately sees (in the partner projection, or in the partner view
    of a quote the guide renders) is not a leak even when an internal value equals it: the
    guide's MDF of Rp72 jt is not the vendor's COGS of Rp72 jt.
    """
    ctx = BuildContext(program(stem))
    config, partner = ctx.config, ctx.partner
    recorder = Recorder(ctx)
    guide.document(Projection(partner, recorder))
    allowed = _numbers(partner, set())
    for answer in recorder.answers:
        _numbers(answer, allowed)
    money, rates, texts, durations, shown = set(), set(), set(), set(), set()
    _kinds(config["internal"], money, rates, texts, durations)
    _kinds(partner, set(), set(), set(), shown)
    w = Words.of(config)
    forms = {f: f"amount {v}" for v in money - allowed if v for f in money_forms(w, v)}
    forms.update({f: f"rate {v}" for v in rates - allowed if v for f in rate_forms(w, v)})
    forms.update({w.duration({"value": v, "unit": u}): f"duration {v} {u}"
                  for v, u in durations - shown})
    # what the program's authors wrote in partner-visible text is not a leak either
    partner_text = "\n".join(_strings(partner))
    forms = {f: why for f, why in forms.items() if not _found(f, partner_text)}
    sentences = {t for t in texts if t not in partner_text}
    names = {c["name"] for c in config["internal"]["channels"]}
    found = []
    for name, data in files.items():
        text = visible(data, name)
        found += [f"{name}: {why} as {form!r}" for form, why in forms.items() if _found(form, text)]
        found += [f"{name}: internal text {t!r}" for t in sentences
                  if t in text or md(t) in text]
        found += [f"{name}: phrase {p!r}" for p in INTERNAL_TERMS + tuple(names)
                  if p.lower() in text.lower()]
    return found


@pytest.mark.parametrize("stem", BUNDLED)
def test_partner_files_carry_no_internal_value_or_phrase(stem):
    files = {k: v for k, v in built(stem).items() if k in PARTNER_FILES}
    assert set(files) == set(PARTNER_FILES)
    assert leaks(stem, files) == []


def test_the_leak_search_finds_what_the_internal_brief_shows():
    """The search is not vacuous: run on the brief, it finds the margin line, COGS, the route
    margins and the internal benchmark."""
    brief_file = {"internal-brief.md": built("ejourney")["internal-brief.md"]}
    found = "\n".join(leaks("ejourney", brief_file))
    for expected in ("rate 0.6", "rate 0.62", "rate 0.9", "rate 0.57", "phrase 'COGS'",
                     "phrase 'CommissionBenchmark'", "phrase 'margin-death'"):
        assert expected in found, expected


def test_the_guide_refuses_a_config_with_its_internal_section():
    ctx = BuildContext(program("ejourney"))
    with pytest.raises(ValueError, match="partner projection only"):
        Projection(ctx.config, engine_quoter(ctx))


def test_the_brief_shows_the_internal_economics():
    text = built("ejourney")["internal-brief.md"].decode()
    worst = text.index("**VAD Elite** | accept | 62% | 2%")
    assert worst < text.index("**Referral → VAD Accelerator** | accept | 67%")  # worst first
    assert "| **Elite** | no | walk (tier\\_not\\_allowed, combined\\_cap, margin\\_floor)" \
           " | 57%" in text
    # the pitch's comparison (CLDR's compact forms keep a no-break space before the unit)
    assert "| **Year 2** | Rp840\xa0jt | Rp360\xa0jt | Rp480\xa0jt |" in text
    assert "commission\\_benchmark\\_step\\_down** | no step down | CommissionBenchmark |" \
           " commercial owner |" in text
    # an unstamped brief prints no day-dependent figure: the same bytes on every day
    assert "| 2028-06-30 |" in text and "Days left" not in text and "as of 20" not in text
    stamped = brief.TARGET.build(BuildContext(program("ejourney"), stamp="2026-11-23"))
    assert "| 2028-06-30 | 585 |" in stamped["internal-brief.md"].decode()  # days from the stamp


# ---- injection -----------------------------------------------------------------------------

HOSTILE = ('<script>alert(1)</script> a|b `tick` ]] --> x["q"] [l](javascript:alert(1))'
           ' <img src=x onerror=alert(1)> # head\n- item\n```\n\x07\x1b[31m\u202eevil')
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _string(text: str) -> str:
    """``text`` as a charter string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _doc(text: str) -> str:
    """``text`` as a charter doc string (raw newlines kept)."""
    return '"""' + text.replace("\\", "\\\\").replace('"""', '\\"""') + '"""'


def hostile_program(tmp_path: Path):
    """ejourney with every title, label, doc string and free-text attribute made hostile."""
    root = tmp_path / "hostile"
    (root / "base").mkdir(parents=True)
    (root / "charter.toml").write_text("", encoding="utf-8")
    base = (PROGRAMS / "base" / "two-channel.charter").read_text(encoding="utf-8")
    main = (PROGRAMS / "ejourney.charter").read_text(encoding="utf-8")
    for name, text in (("base/two-channel.charter", base), ("ejourney.charter", main)):
        text = re.sub(r'"""(?:[^"\\]|\\.|"(?!""))*"""', lambda m: _doc(HOSTILE), text)
        text = re.sub(r'^(\s*(?:title|label|best_for|effort|eligibility|owner|contact|mdf_claim|'
                      r'override|typical_price|when)): "(?:[^"\\]|\\.)*"', lambda m: m.group(1)
                      + ": " + _string(HOSTILE), text, flags=re.M)
        text = re.sub(r'^(\s*includes): .*$', lambda m: m.group(1) + ": " + _string(HOSTILE)
                      + ", " + _string("|" + HOSTILE), text, flags=re.M)
        (root / name).write_text(text, encoding="utf-8")
    compiled, reporter, _ = compile_file(root / "ejourney.charter")
    assert compiled is not None and not reporter.has_errors, \
        [d.message for d in reporter.sorted()][:5]
    return compiled


class Tags(HTMLParser):
    """Every start tag and attribute name in an HTML file."""

    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3",
                "h4", "h5", "p", "dl", "div", "dt", "dd", "nav", "strong", "ol", "ul", "li", "a",
                "main", "section", "table", "caption", "thead", "tbody", "tr", "th", "td",
                "figure", "figcaption", "details", "summary", "pre", "footer", "svg", "defs",
                "marker", "path", "g", "rect", "text", "line"}


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    prog = hostile_program(tmp_path_factory.mktemp("hostile"))
    ctx = BuildContext(prog)
    files = build_docs(prog)
    # names cannot be hostile in a program (they are identifiers), but a projection's are
    # just strings: render one whose channel and tier names are hostile too
    partner = json.loads(json.dumps(ctx.partner))
    for i, channel in enumerate(partner["channels"]):
        channel["name"] = f"{HOSTILE} c{i}"
        for tier in channel["tiers"]:
            tier["name"], tier["label"] = f"{HOSTILE} {tier['name']}", HOSTILE
    from charter.targets.document import render

    doc = guide.document(Projection(partner, engine_quoter(ctx)))
    files["renamed.md"] = render(doc, "document.md.j2")
    files["renamed.html"] = render(doc, "document.html.j2")
    return files


def test_hostile_text_is_escaped_in_html(hostile_files):
    for name in ("partner-guide.html", "renamed.html"):
        text = hostile_files[name].decode()
        parser = Tags()
        parser.feed(text)
        assert parser.tags <= ALLOWED_TAGS, parser.tags - ALLOWED_TAGS
        assert not [a for a in parser.attrs if a.startswith("on")]
        assert "<script" not in text.lower() and "<img" not in text.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def _tables(text: str) -> list[list[str]]:
    """The Markdown tables: runs of lines starting with `|`."""
    tables, current = [], []
    for line in text.split("\n") + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def _cells(line: str) -> int:
    """Cells in a table row: unescaped pipes minus one."""
    return len(re.findall(r"(?<!\\)\|", line)) - 1


def _outside_fences(text: str) -> str:
    return re.sub(r"```mermaid\n.*?\n```", "", text, flags=re.S)


@pytest.mark.parametrize("name", ["partner-guide.md", "internal-brief.md", "renamed.md"])
def test_hostile_text_is_escaped_in_markdown(hostile_files, name):
    text = hostile_files[name].decode()
    for table in _tables(text):
        widths = {_cells(row) for row in table}
        assert len(widths) == 1, table               # no cell ended early by a `|`
    prose = _outside_fences(text)
    assert "```" not in prose                        # only the diagrams are fenced
    assert not re.search(r"(?<!\\)<(script|img)", prose)
    assert not re.search(r"(?<!\\)`", prose)         # no code span opened
    assert not re.search(r"(?<![\\!])\[l(?<!\\)\]\(", prose)  # no link
    assert not re.search(r"^(- item|# head)", prose, flags=re.M)  # no list or heading


def _mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)\n```", text, flags=re.S)


def test_hostile_text_is_escaped_in_mermaid_labels(hostile_files):
    blocks = [b for name in ("partner-guide.md", "renamed.md")
              for b in _mermaid_blocks(hostile_files[name].decode())]
    assert len(blocks) >= 4
    for block in blocks:
        for line in block.split("\n")[1:]:
            # a node is `id["label"]`, an edge `a -->|"label"| b`: one quoted label per line,
            # and inside it nothing but text, entity codes and line breaks
            labels = re.findall(r'"([^"]*)"', line)
            assert len(labels) == 1 and line.count('"') == 2, line
            inner = labels[0].replace("<br/>", "")
            assert not re.search(r"[<>\[\]|`;{}]", re.sub(r"#\d+;", "", inner)), line


@pytest.mark.parametrize("name", ["partner-guide.md", "partner-guide.html",
                                  "internal-brief.md", "renamed.md", "renamed.html"])
def test_no_control_character_reaches_a_file(hostile_files, name):
    text = hostile_files[name].decode()
    assert not CONTROL.search(text), repr(CONTROL.search(text).group())


# ---- Mermaid parses with mermaid's own parser ----------------------------------------------

MERMAID = ("mermaid@11.17.2", "jsdom@24.1.3")
SCRIPT = Path(__file__).with_name("mermaid_parse.mjs")


@pytest.fixture(scope="module")
def mermaid_parser():
    """node with mermaid and jsdom installed in a cache folder (once; reused across runs)."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed to run mermaid's parser")
    cache = Path(os.environ.get("CHARTER_NODE_CACHE")
                 or Path(tempfile.gettempdir()) / "charter-test-node")
    stamp = cache / ("installed-" + "-".join(MERMAID).replace("@", "_"))
    if not stamp.exists():
        cache.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund",
                            "--no-save", *MERMAID], check=True, capture_output=True, timeout=600)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as failed:
            # the npm registry is out of reach: infrastructure, not a finding about the docs
            pytest.skip(f"could not install {', '.join(MERMAID)} from npm: {failed}")
        stamp.write_text("ok\n", encoding="utf-8")
    shutil.copyfile(SCRIPT, cache / SCRIPT.name)   # ESM resolves packages beside the script

    def parse(diagrams: list[str]) -> list[str | None]:
        done = subprocess.run(["node", str(cache / SCRIPT.name)], input=json.dumps(diagrams),
                              capture_output=True, text=True, timeout=120, check=True)
        return json.loads(done.stdout)
    return parse


def test_mermaid_blocks_parse_with_mermaid(mermaid_parser, hostile_files):
    diagrams = [b for stem in BUNDLED for name in ("partner-guide.md", "internal-brief.md")
                for b in _mermaid_blocks(built(stem)[name].decode())]
    hostile = [b for name in ("partner-guide.md", "renamed.md")
               for b in _mermaid_blocks(hostile_files[name].decode())]
    assert len(diagrams) >= 6 and hostile
    results = mermaid_parser(diagrams + hostile)
    assert results == [None] * len(results), [r for r in results if r]
    # and the parser is really checking: a broken label is refused
    assert mermaid_parser(['flowchart LR\n    a["x"y"] --> b'])[0]
