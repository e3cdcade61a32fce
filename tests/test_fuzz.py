"""Standing defence (issue 10): a mutation fuzzer over the bundled programs, quote requests and
batches. Fixed seed, bounded count: the same mutants every run.

1. Programs: token delete/duplicate/swap, random bytes, huge numbers, NaN/Infinity words, bidi
   and zero-width characters, deep nesting of every kind (braces, lists, parentheses, `~`,
   `->`, `or`/`and` chains, phrases, comma lists), long lines, NUL, invalid UTF-8, CR/CRLF/BOM.
   Each mutant goes through `check_paths` (a project folder with charter.toml; mutants of the
   base are checked through ejourney, which extends it), `charter check --format json`
   (the JSON must parse) or `compile_text`, and must end in success or CH- diagnostics, never
   an exception, within `BUDGET` seconds (the slowest are listed when one is over).
2. Requests: wrong types, huge numbers, deep nesting, unicode oddities, duplicate keys, lone
   surrogates, NaN, negative amounts, extra fields, through `decode_request` + `parse_request`
   + `Quoter.quote` + `quote_to_json` (both views, valid UTF-8 JSON), and all of them as one
   batch through `quote_stream` (jobs=1): one valid JSON line per non-blank input line.

A failing mutant is named `mutant_program(<program>, <index>)` / `mutant_request(<index>)`: it
can be regenerated alone. Record a minimal input it finds as a named regression case at the end.
"""
from __future__ import annotations

import importlib.util
import io
import json
import random
import re
import shutil
import signal
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PROGRAMS, REPO

SEED = 20261123
PROGRAM_MUTANTS = 75          # per bundled program: 300 in all
REQUEST_MUTANTS = 400
BUDGET = 2.0                  # seconds per mutant
HANG = 20                     # seconds: a mutant still running is a hang (reported, not waited)

BUNDLED = {"ejourney": "ejourney.charter", "saas-reseller": "saas-reseller.charter",
           "elision": "elision.charter", "two-channel": "base/two-channel.charter"}


class Hang(Exception):
    """A mutant ran past `HANG` seconds."""


@contextmanager
def _deadline(seconds: float):
    def alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---- program mutations --------------------------------------------------------------------

_TOKEN = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|\w+|->|\.\.|[^\w\s]|\s+')
_NUMBER = re.compile(r"[0-9]+(?:[_.,][0-9]+)*")
_ATTRIBUTE = re.compile(r"^([ \t]*[A-Za-z_]\w*:[ \t]*)([^\n#]+)", re.M)

ODD_CHARS = ("\u202e", "\u202d", "\u2066", "\u2069", "\u200b", "\u200d", "\ufeff", "\u2028",
             "\u00a0", "\x1b[2J", "\x7f", "\x00", "\x0c", "\t", "é", "𝟙", "٣", "Ⅻ")
NAN_WORDS = ("NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e999", "1E-999",
             "∞", "0x10", "1e400%", "Rp NaN", "USD Infinity")
INVALID_UTF8 = (b"\xff", b"\xfe\xff", b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                b"\x80\x80", b"\xe2\x82")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _solid(tokens: list[str]) -> list[int]:
    return [i for i, t in enumerate(tokens) if not t.isspace()]


def _token_delete(rng, text):
    tokens = _tokens(text)
    for _ in range(rng.randint(1, 3)):
        del tokens[rng.choice(_solid(tokens))]
    return "".join(tokens)


def _token_duplicate(rng, text):
    tokens = _tokens(text)
    i = rng.choice(_solid(tokens))
    tokens.insert(i, tokens[i] * rng.choice((1, 1, 2, 50)))
    return "".join(tokens)


def _token_swap(rng, text):
    tokens = _tokens(text)
    solid = _solid(tokens)
    i = rng.choice(solid)
    j = rng.choice(solid) if rng.random() < 0.5 else solid[min(len(solid) - 1, solid.index(i) + 1)]
    tokens[i], tokens[j] = tokens[j], tokens[i]
    return "".join(tokens)


def _random_bytes(rng, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        at = rng.randrange(len(data))
        if rng.random() < 0.5:
            data[at] = rng.randrange(256)
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(data)


def _replace_number(rng, text, make):
    match = rng.choice(list(_NUMBER.finditer(text)))
    return text[:match.start()] + make(rng) + text[match.end():]


def _huge(rng):
    k = rng.choice((40, 400, 5000, 100_000))
    return rng.choice(("9" * k, "1" + "0" * k, "1" + "_000" * (k // 4 or 1),
                       "0," + "0" * k + "1", "1." + "9" * k, ".".join(["999"] * (k // 3))))


def _huge_number(rng, text):
    return _replace_number(rng, text, _huge)


def _nan_word(rng, text):
    return _replace_number(rng, text, lambda r: r.choice(NAN_WORDS))


def _odd_char(rng, text):
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(text))
        if rng.random() < 0.5:  # inside a word or a string: where it hurts
            spots = [m.start() + 1 for m in re.finditer(r"\w\w|\"\w", text)]
            at = rng.choice(spots)
        text = text[:at] + rng.choice(ODD_CHARS) * rng.choice((1, 1, 3)) + text[at:]
    return text


def _nested_value(rng, depth):
    kind = rng.choice(("list", "paren", "tilde", "approx", "arrow", "or", "and", "phrase",
                       "comma", "compare", "range", "mixed"))
    if kind == "list":
        return "[" * depth + "1" + "]" * depth
    if kind == "paren":
        return "(" * depth + "10%" + ")" * depth
    if kind == "tilde":
        return "~ " * depth + "5%"
    if kind == "approx":
        return "≈" * depth + "Rp 5 juta"
    if kind == "arrow":
        return " -> ".join(["a"] * depth)
    if kind == "or":
        return " or ".join(["revenue >= 1"] * depth)
    if kind == "and":
        return " and ".join(["x"] * depth)
    if kind == "phrase":
        return " ".join(["a"] * depth)
    if kind == "comma":
        return ", ".join(["1"] * depth)
    if kind == "compare":
        return " >= ".join(["1"] * depth)
    if kind == "range":
        return "..".join(["1"] * depth)
    return "".join(rng.choice(("[", "(", "~", "~ [")) for _ in range(depth)) + "1" + \
        rng.choice(("]", ")", "")) * depth


def _deep_nesting(rng, text):
    depth = rng.choice((49, 200, 1000, 5000, 30_000))
    spots = list(_ATTRIBUTE.finditer(text))
    if not spots or rng.random() < 0.25:  # braces: nested blocks, balanced or not
        lines = text.split("\n")
        at = rng.randrange(len(lines))
        opens = "x {\n" * depth
        closes = "}\n" * (depth if rng.random() < 0.7 else rng.randrange(depth))
        lines.insert(at, opens + closes)
        return "\n".join(lines)
    match = rng.choice(spots)   # (an earlier mutation may have left no attribute line)
    value = _nested_value(rng, depth)
    if rng.random() < 0.2:  # unbalanced: the opening half only
        value = value[:len(value) // 2]
    return text[:match.start(2)] + value + text[match.end(2):]


def _long_line(rng, text):
    k = rng.choice((9_990, 10_000, 300_000, 1_500_000))
    if rng.random() < 0.3:  # under the line limit, over many lines: the limits on lists/tokens
        # (kept to a few thousand lines: at ~6,000 lines/s a 60,000-line mutant is a 100x
        # program, a question of scale (issue 10's speed ratios), not of degenerate input)
        n = rng.choice((3_000, 10_001)) if rng.random() < 0.5 else 3_000
        line = rng.choice(("x: [\n" + "a,\n" * n + "a]", "x: " + "a,\\\n" * n + "a",
                           "x: 1\n" * n, "a {\n" * 2 + "t {}\n" * n + "}\n" * 2))
        lines = text.split("\n")
        lines.insert(rng.randrange(len(lines)), line)
        return "\n".join(lines)
    line = rng.choice(("# " + "x" * k, 'title: "' + "a" * k + '"', "x: " + "a, " * (k // 3) + "a",
                       "x: " + "a " * (k // 2), "a" * k, " " * k + "x: 1", "x: " + "\\\n" * (k // 2)))
    lines = text.split("\n")
    lines.insert(rng.randrange(len(lines)), line)
    return "\n".join(lines)


def _nul(rng, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + b"\x00" * rng.choice((1, 1, 100)) + data[at:]


def _invalid_utf8(rng, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(data))
        data = data[:at] + rng.choice(INVALID_UTF8) + data[at:]
    return data


def _line_endings(rng, text):
    choice = rng.choice(("cr", "crlf", "mixed", "bom", "bom-mid", "lone-cr", "bom-crlf"))
    if choice == "cr":
        return text.replace("\n", "\r")
    if choice == "crlf":
        return text.replace("\n", "\r\n")
    if choice == "mixed":
        return "".join(c if c != "\n" else rng.choice(("\n", "\r", "\r\n", "\n\r")) for c in text)
    if choice == "bom":
        return "\ufeff" + text
    if choice == "bom-crlf":
        return "\ufeff" + text.replace("\n", "\r\n")
    at = rng.randrange(len(text))
    return text[:at] + ("\ufeff" if choice == "bom-mid" else "\r") + text[at:]


TEXT_MUTATIONS = (_token_delete, _token_duplicate, _token_swap, _huge_number, _nan_word,
                  _odd_char, _deep_nesting, _long_line, _line_endings)
BYTE_MUTATIONS = (_random_bytes, _nul, _invalid_utf8)
ALL_MUTATIONS = TEXT_MUTATIONS + BYTE_MUTATIONS


def mutant_program(name: str, index: int) -> tuple[str, bytes]:
    """The ``index``-th mutant of bundled program ``name``: (what was done, the bytes)."""
    rng = random.Random(f"{SEED}:{name}:{index}")
    data = (PROGRAMS / BUNDLED[name]).read_bytes()
    done = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):  # mostly one mutation, some stacked
        mutation = ALL_MUTATIONS[index % len(ALL_MUTATIONS)] if not done else rng.choice(ALL_MUTATIONS)
        done.append(mutation.__name__.lstrip("_"))
        if mutation in BYTE_MUTATIONS:
            data = mutation(rng, data)
        else:
            text = data.decode("utf-8", errors="surrogateescape")
            data = mutation(rng, text).encode("utf-8", errors="surrogateescape")
    return "+".join(done), data


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROGRAMS, root / "programs")
    (root / "charter.toml").write_text("", encoding="utf-8")
    return root


def _run_program_mutant(root: Path, name: str, data: bytes, route: int) -> None:
    """Compile one mutant; raise AssertionError (or whatever escaped) when it misbehaves."""
    from charter.api import check_paths, compile_text
    from charter.cli import main

    target = root / "programs" / BUNDLED[name]
    original = target.read_bytes()
    target.write_bytes(data)
    try:
        # a mutated base is checked through the program that extends it
        paths = [target] + ([root / "programs/ejourney.charter"] if name == "two-channel" else [])
        if route == 1:
            result = CliRunner().invoke(main, ["check", "--format", "json", *map(str, paths)])
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise result.exception.with_traceback(result.exc_info[2])
            assert result.exit_code in (0, 1), (result.exit_code, result.output[-2000:])
            body = json.loads(result.stdout)
            assert {"diagnostics", "summary"} <= set(body), sorted(body)
            codes = [d["code"] for d in body["diagnostics"]]
        elif route == 2 and name != "ejourney":  # ejourney needs its base: files only
            program, reporter = compile_text(data.decode("utf-8", errors="replace"),
                                             BUNDLED[name])
            codes = [d.code for d in reporter.sorted()]
        else:
            codes = [d.code for d in check_paths(paths).diagnostics]
        assert all(code.startswith("CH-") for code in codes), codes
    finally:
        target.write_bytes(original)


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_program_mutants_end_in_success_or_diagnostics(name, tmp_path):
    root = _project(tmp_path)
    failures, timings = [], []
    for index in range(PROGRAM_MUTANTS):
        what, data = mutant_program(name, index)
        label = f"mutant_program({name!r}, {index}) [{what}, {len(data):,} bytes]"
        start = time.perf_counter()
        try:
            with _deadline(HANG):
                _run_program_mutant(root, name, data, index % 3)
        except Exception:  # noqa: BLE001 - every escape is a finding
            failures.append(f"{label}\n{traceback.format_exc(limit=-8)}")
        timings.append((time.perf_counter() - start, label))
    assert not failures, f"{len(failures)} mutant(s) escaped:\n\n" + "\n\n".join(failures[:10])
    slow = sorted(timings, reverse=True)
    assert slow[0][0] <= BUDGET, "over the per-mutant budget; slowest:\n" + "\n".join(
        f"{seconds:6.2f} s  {label}" for seconds, label in slow[:8])


# ---- request mutations --------------------------------------------------------------------

def _make_deals():
    spec = importlib.util.spec_from_file_location("make_deals", REPO / "benchmarks/make_deals.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VALID_REQUESTS = [
    {"id": "deal-42", "product": "Growth", "seats": 1000, "years": 2,
     "route": [{"channel": "Referral", "partner": "pt-maju-jaya"},
               {"channel": "VAD", "tier": "Accelerator", "partner": "pt-vad-nusantara"}],
     "services": {"one_time": "350000000", "per_year": "0"},
     "cumulative": {"Referral": "2000000000"}, "close_date": "2026-03-01"},
    {"product": "Growth", "seats": 1000, "years": 2, "route": [{"channel": "VAD", "tier": "Elite"}],
     "services": {"one_time": "350000000"}},
]

WEIRD_VALUES = (None, True, False, 0, -1, -10**6, 1.5, 2**63, 10**400, "", " ", "x", "-350000000",
                "1e400", "NaN", "Infinity", "-0", "0.000000001", "9" * 5000, "‮Growth",
                "Gro\u200bwth", "Growth\x00", "\ud800", "\udfff", "\U0001F600", "a" * 100_000,
                "2026-02-30", "2026-13-01", "0000-01-01", "9999-12-31", "\u202e2026-03-01",
                [], {}, [[]], {"": None}, [None] * 1000, "Elite\n", "\\", "\"")
PATHS = ("id", "product", "seats", "years", "route", "services", "cumulative", "close_date",
         "route.0", "route.0.channel", "route.0.tier", "route.0.partner", "route.0.rate",
         "services.one_time", "services.per_year", "cumulative.Referral", "extra", "route.9")


def _set(obj, path, value):
    keys = path.split(".")
    for key in keys[:-1]:
        obj = obj[int(key)] if isinstance(obj, list) else obj.setdefault(key, {})
        if not isinstance(obj, (dict, list)):
            return
    last = keys[-1]
    if isinstance(obj, list):
        if int(last) < len(obj):
            obj[int(last)] = value
        else:
            obj.append(value)
    else:
        obj[last] = value


def _object_mutant(rng, base: dict) -> str:
    obj = json.loads(json.dumps(base))
    for _ in range(rng.randint(1, 3)):
        action = rng.random()
        path = rng.choice(PATHS)
        try:
            if action < 0.15:
                keys = path.split(".")
                holder = obj
                for key in keys[:-1]:
                    holder = holder[int(key)] if isinstance(holder, list) else holder[key]
                del holder[int(keys[-1]) if isinstance(holder, list) else keys[-1]]
            elif action < 0.25:
                _set(obj, path, [[[[[[[[[[rng.choice(WEIRD_VALUES)]]]]]]]]]])
            elif action < 0.35:
                obj[rng.choice(("extra", "Product", "seats ", "\u200bseats", "__proto__"))] = 1
            else:
                _set(obj, path, rng.choice(WEIRD_VALUES))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            pass
    return json.dumps(obj, ensure_ascii=rng.random() < 0.5, allow_nan=True)


def _text_mutant(rng, line: str) -> str:
    kind = rng.randrange(10)
    if kind == 0:  # duplicate key, at the top or inside
        key = rng.choice(('"seats":1,', '"product":"Growth",', '"id":"x",'))
        at = line.index("{") + 1 if rng.random() < 0.5 else line.rindex("{") + 1
        return line[:at] + key + line[at:]
    if kind == 1:  # bare NaN / Infinity / huge literals
        word = rng.choice(("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 5000,
                           "1." + "0" * 5000 + "1", "1e-400", "-0.0", "0e9999999999"))
        return re.sub(r'"seats":\s*[0-9]+', f'"seats":{word}', line, count=1) \
            if '"seats"' in line else line[:-1] + f',"seats":{word}}}'
    if kind == 2:  # lone surrogate escapes, in keys and values
        escape = rng.choice(("\\ud800", "\\udfff", "\\ud83d", "\\uDBFF\\u0041"))
        return line.replace('"Growth"', f'"Gr{escape}owth"', 1) if rng.random() < 0.5 \
            else line[:1] + f'"{escape}":1,' + line[1:]
    if kind == 3:  # deep nesting
        depth = rng.choice((100, 1000, 5000, 100_000))
        opening, closing = rng.choice((("[", "]"), ('{"a":', "}")))
        return line[:-1] + ',"x":' + opening * depth + "1" + closing * depth + "}"
    if kind == 4:  # truncated
        return line[:rng.randrange(1, len(line))]
    if kind == 5:  # random characters
        chars = list(line)
        for _ in range(rng.randint(1, 6)):
            chars.insert(rng.randrange(len(chars)), chr(rng.choice((0, 0x7f, 0xfffd, 0x202e,
                                                                   0x200b, 0xfeff, 0x2028,
                                                                   rng.randrange(0x20, 0x3000)))))
        return "".join(chars)
    if kind == 6:  # not an object
        return rng.choice(("[]", "null", "1", '"x"', "{}", "true", "[" + line + "]", line + line,
                           line + " x", "\ufeff" + line, "   " + line + "\t"))
    if kind == 7:  # BOM / whitespace oddities
        return rng.choice(("\ufeff", "\u00a0", "\x0c", "\x0b")) + line
    if kind == 8:  # escapes inside strings
        return line.replace('"Growth"', rng.choice(('"\\u0000Growth"', '"Gr\\u202eowth"',
                                                    '"\\u0047rowth"', '"Growth\\n"')), 1)
    return line.replace(":", ":-", 1) if rng.random() < 0.5 else line.replace('"', "'", 2)


def mutant_request(index: int) -> str:
    """The ``index``-th mutant request line (no newline inside)."""
    rng = random.Random(f"{SEED}:request:{index}")
    make_deals = _make_deals()
    base = rng.choice(VALID_REQUESTS + [make_deals.deal(rng, index) for _ in range(2)])
    line = _object_mutant(rng, base) if index % 2 else json.dumps(base, separators=(",", ":"))
    if index % 2 == 0 or rng.random() < 0.3:
        line = _text_mutant(rng, line)
    line = line.replace("\n", "\\n").replace("\r", "\\r")
    # as a file would hold it: a raw surrogate is only ever invalid UTF-8 bytes, which the
    # readers (errors="replace") turn into U+FFFD; an escaped one ("\\ud800") stays
    return line.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@pytest.fixture(scope="module")
def ejourney():
    from charter.api import compile_file

    program, reporter, _ = compile_file(PROGRAMS / "ejourney.charter")
    assert program is not None and not reporter.has_errors, reporter.sorted()
    return program


@pytest.fixture(scope="module")
def request_mutants():
    return [mutant_request(i) for i in range(REQUEST_MUTANTS)]


def _quote_one(program, line: str) -> None:
    from charter.economics import Quoter, RequestInvalid, parse_request
    from charter.economics.batch import decode_request
    from charter.economics.response import dumps, errors_to_json, quote_to_json

    try:
        request = parse_request(decode_request(line), program)
    except RequestInvalid as bad:
        assert bad.errors, "RequestInvalid with no errors"
        text = dumps(errors_to_json(bad.errors))
        text.encode("utf-8")  # valid UTF-8 (no lone surrogate echoed)
        assert json.loads(text)["error"] == "invalid request"
        return
    quote = Quoter(program).quote(request)
    for view in ("internal", "partner"):
        text = dumps(quote_to_json(quote, program.header, view))
        text.encode("utf-8")
        json.loads(text)


def test_request_mutants_are_answered_or_refused(ejourney, request_mutants):
    failures, timings = [], []
    for index, line in enumerate(request_mutants):
        label = f"mutant_request({index}) {line[:160]!r}"
        start = time.perf_counter()
        try:
            with _deadline(HANG):
                _quote_one(ejourney, line)
        except Exception:  # noqa: BLE001 - every escape is a finding
            failures.append(f"{label}\n{traceback.format_exc(limit=-8)}")
        timings.append((time.perf_counter() - start, label))
    assert not failures, f"{len(failures)} mutant(s) escaped:\n\n" + "\n\n".join(failures[:10])
    slow = sorted(timings, reverse=True)
    assert slow[0][0] <= BUDGET, "over the per-mutant budget; slowest:\n" + "\n".join(
        f"{seconds:6.2f} s  {label}" for seconds, label in slow[:8])


@pytest.mark.parametrize("view", ["internal", "partner"])
def test_a_batch_of_mutants_answers_every_line(ejourney, request_mutants, view):
    from charter.economics.batch import quote_stream

    lines = [line + "\n" for line in request_mutants] + ["\n", "   \n", "\x00\n", "\ufeff\n"]
    out = io.StringIO()
    with _deadline(HANG):
        counts = quote_stream(ejourney, lines, out, jobs=1, view=view)
    expected = [number for number, line in enumerate(lines, 1) if line.strip()]
    answers = out.getvalue().split("\n")
    assert answers.pop() == ""
    assert len(answers) == len(expected) == counts.quoted + counts.invalid
    for number, answer in zip(expected, answers):
        answer.encode("utf-8")
        obj = json.loads(answer)
        if "error" in obj:
            assert obj["line"] == number and obj["errors"], obj
        else:
            assert "years" in obj or "contract_version" in obj, sorted(obj)
    assert counts.quoted and counts.invalid  # the mutants hit both sides


# ---- regression cases found by this file --------------------------------------------------

def test_regression_a_300_kb_comma_list_line_is_refused_fast():
    """Found by this file (mutant_program('elision', 7), before the line limit landed): one
    line `x: a, a, …` of 300 KB took 4.5 s to diagnose (issue 10: "8 s")."""
    from charter.api import compile_text

    text = (PROGRAMS / "elision.charter").read_text(encoding="utf-8")
    text += "\nx: " + "a, " * 100_000 + "a\n"
    start = time.perf_counter()
    _, reporter = compile_text(text, "elision.charter")
    assert time.perf_counter() - start <= BUDGET
    assert reporter.has_errors and all(d.code.startswith("CH-") for d in reporter.sorted())


def test_regression_a_bad_character_after_a_run_of_blanks_is_diagnosed_fast():
    """Found by this file (mutant_program('elision', 27)): the reader's tokeniser, at a
    character no terminal matches, searched on from every later position, and each search
    in a run of blanks read the rest of the run again: 3.8 s for 9,000 blanks before a
    zero-width joiner (quadratic). It now stops at the character."""
    from charter.api import compile_text

    text = "program t {\n  title: \"T\"" + " " * 9_000 + "\u200d\n}\n"
    start = time.perf_counter()
    _, reporter = compile_text(text, "t.charter")
    assert time.perf_counter() - start <= BUDGET / 4
    assert reporter.has_errors and all(d.code.startswith("CH-") for d in reporter.sorted())
