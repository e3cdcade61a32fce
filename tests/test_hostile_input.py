"""Hostile and careless input (issue 10): terminal escape sequences in program text, lone
surrogates and duplicate keys in quote requests, odd CHARTER_TODAY values, CR-only line endings.

1. every piece of program text printed for a person (diagnostics, `charter quote` text) is
   neutralised: no raw ESC, C1 or bidi control reaches the terminal; the escaped form shows;
2. a bad batch line (a lone surrogate) gets its error line and the batch goes on; the output is
   UTF-8 JSON, line by line; a single request with one is refused at its path;
3. a key named twice in a request is refused at its JSON path (batch and single request);
4. CHARTER_TODAY accepts YYYY-MM-DD only;
5. a program saved with CR-only (or CRLF) line endings checks as its LF original does.
"""
from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from conftest import PROGRAMS

OSC = "\x1b]0;pwned\x07"
CSI = "\x1b[2K\x1b[1A"
HOSTILE = (OSC, CSI, "\x9b2K", "\u202e", "\u2066", "\x7f")
RAW_FORBIDDEN = re.compile("[\x1b\x9b\x07\x7f\u202a-\u202e\u2066-\u2069]")
ELITE = {"product": "Growth", "seats": 10, "years": 1,
         "route": [{"channel": "VAD", "tier": "Elite"}]}


def run(*args, input=None, env=None):
    from charter.cli import main
    return CliRunner().invoke(main, [str(a) for a in args], input=input, env=env)


def project(tmp_path, edit=None):
    """The bundled programs copied into a tmp project; ``edit`` rewrites ejourney's text."""
    root = tmp_path / "project"
    shutil.copytree(PROGRAMS, root / "programs")
    (root / "charter.toml").write_text("", encoding="utf-8")
    path = root / "programs/ejourney.charter"
    if edit is not None:
        text = path.read_text(encoding="utf-8")
        changed = edit(text)
        assert changed != text, "the edit did not apply"
        path.write_bytes(changed.encode("utf-8"))
    return path


def hostile_title(text: str) -> str:
    return text.replace('title: "eJourney', f'title: "{OSC}\u202e{CSI}eJourney\x9b2K\u2066')


def hostile_failing(text: str) -> str:
    """Elite at 45% (fails CH-P001 on that line) with escape sequences in the line's comment,
    in the doc string and in a comment of its own."""
    text = hostile_title(text)
    text = re.sub(r"(tier Elite \{.*?\n        margin: )35%",
                  f"\\g<1>45%  # {CSI} hidden {OSC} \u202egnp.exe \x9b2K \x7f", text, flags=re.S)
    return text.replace("program ejourney {", f"# {OSC}{CSI}\nprogram ejourney {{", 1)


def assert_neutral(text: str) -> None:
    assert not RAW_FORBIDDEN.search(text), repr(RAW_FORBIDDEN.search(text).group())


# ---- 1. terminal escape sequences --------------------------------------------------------------

def test_printable_escapes_controls_and_keeps_text():
    from charter.render import printable
    assert printable("plain — ünïcode ✓\ttab") == "plain — ünïcode ✓\ttab"
    assert printable(OSC) == "\\x1b]0;pwned\\x07"
    assert printable("\x9b\x7f\x00\u202a\u202e\u2066\u2069\n") == \
        "\\x9b\\x7f\\x00\\u202a\\u202e\\u2066\\u2069\\x0a"


@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c",
                                  "\u2028", "\u2029", "\u2060", "\ufeff", "\u180e"])
def test_printable_shows_invisible_characters(char):
    """Zero-width characters, bidi marks and line separators hide or move what is shown."""
    from charter.render import printable
    assert printable(f"a{char}b") == f"a\\u{ord(char):04x}b"


def test_diff_json_escapes_invisible_characters():
    from charter.semdiff.render import _JSON_UNSAFE
    assert _JSON_UNSAFE.sub("", "a\u200b\u2028\u061cb") == "ab"


def test_check_output_of_a_failing_hostile_program_is_neutralised(tmp_path):
    path = project(tmp_path, hostile_failing)
    result = run("check", path)
    assert result.exit_code == 1
    out = result.stdout + result.stderr
    assert "CH-P001" in out
    assert_neutral(out)
    snippet = [line for line in out.splitlines() if "hidden" in line]
    assert snippet, out
    assert "\\x1b[2K\\x1b[1A hidden \\x1b]0;pwned\\x07 \\u202egnp.exe \\x9b2K \\x7f" in snippet[0]


def test_json_diagnostics_escape_c0_controls(tmp_path):
    """JSON escapes C0 itself (ESC is written `\\u001b`); the output parses."""
    path = project(tmp_path, hostile_failing)
    result = run("check", path, "--format", "json")
    assert "\x1b" not in result.stdout
    body = json.loads(result.stdout)
    assert any(d["code"] == "CH-P001" for d in body["diagnostics"])


def test_carets_point_at_the_span_after_escaped_characters():
    from charter.diagnostics import Diagnostic, Severity
    from charter.render import render_text
    from charter.source import SourceFile

    source = SourceFile("x.charter", "a: \x1b[2K\u202e target rest\n")
    start = source.text.index("target")
    span = source.span(start, start + len("target"))
    text = render_text([Diagnostic("CH-E000", Severity.ERROR, "bad \x1b]0;x\x07", span,
                                   label="here \x9b", notes=("n \u2066",), help=("h \x7f",))],
                       {"x.charter": source})
    assert_neutral(text)
    lines = text.splitlines()
    code = next(line for line in lines if "target" in line)
    marks = next(line for line in lines if "^" in line)
    assert code[marks.index("^"):marks.index("^") + marks.count("^")] == "target"
    assert "here \\x9b" in marks and "bad \\x1b]0;x\\x07" in lines[0]


def test_quote_text_of_a_hostile_program_is_neutralised(tmp_path):
    path = project(tmp_path, hostile_title)
    deal = tmp_path / "deal.json"
    deal.write_text(json.dumps(ELITE), encoding="utf-8")
    result = run("quote", path, deal)
    assert result.exit_code == 0, result.output
    assert_neutral(result.stdout + result.stderr)
    first = result.stdout.splitlines()[0]
    assert first.startswith("\\x1b]0;pwned\\x07\\u202e\\x1b[2K\\x1b[1AeJourney\\x9b2K\\u2066")


def test_request_text_echoed_in_errors_is_neutralised(tmp_path):
    deal = tmp_path / "deal.json"
    deal.write_text(json.dumps(dict(ELITE, product=f"{OSC}\u202eX")), encoding="utf-8")
    result = run("quote", PROGRAMS / "ejourney.charter", deal)
    assert result.exit_code == 1
    assert_neutral(result.stderr)
    assert "\\x1b]0;pwned\\x07" in result.stderr


# ---- 2. lone surrogates -------------------------------------------------------------------------

GOOD = json.dumps(ELITE)


@pytest.mark.parametrize("jobs", [1, 2])
def test_lone_surrogate_line_does_not_lose_the_batch(tmp_path, jobs):
    from charter.economics.batch import quote_file
    from charter.api import compile_file

    program, _, _ = compile_file(PROGRAMS / "ejourney.charter")
    lines = [GOOD] * 5 + ['{"product":"\\ud800","seats":5}', '{"id":"\\udfff","product":"x"}',
                          '{"product":"\\ud83d\\ude00","seats":5}'] + [GOOD] * 5
    path = tmp_path / "deals.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with open(out, "wb") as handle:
        counts = quote_file(program, str(path), handle, jobs=jobs)
    answers = [json.loads(line) for line in out.read_bytes().decode("utf-8").splitlines()]
    assert len(answers) == len(lines) and counts.quoted == 10 and counts.invalid == 3
    assert answers[5]["line"] == 6
    assert answers[5]["errors"] == [{"path": "$.product", "message":
                                     "contains a lone surrogate escape (not Unicode text)"}]
    assert answers[6]["errors"][0]["path"] == "$.id" and "id" not in answers[6]
    assert "unknown product" in answers[7]["errors"][0]["message"]  # a valid pair is text
    assert all("years" in a for a in answers[:5] + answers[8:])


def test_lone_surrogate_batch_through_the_cli(tmp_path):
    path = tmp_path / "deals.jsonl"
    path.write_text(f'{GOOD}\n{{"product":"\\ud800"}}\n{GOOD}\n', encoding="utf-8")
    result = run("quote", PROGRAMS / "ejourney.charter", "--batch", path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    answers = [json.loads(line) for line in result.stdout_bytes.decode("utf-8").splitlines()]
    assert [a.get("line") for a in answers] == [None, 2, None]


def test_single_request_with_lone_surrogate_is_refused_at_its_path(tmp_path):
    deal = tmp_path / "deal.json"
    deal.write_text('{"product":"Growth","seats":5,"route":[{"channel":"\\udc00"}]}',
                    encoding="utf-8")
    result = run("quote", PROGRAMS / "ejourney.charter", deal, "--format", "json")
    assert result.exit_code == 1
    body = json.loads(result.stdout_bytes.decode("utf-8"))
    assert body["errors"][0]["path"] == "$.route[0].channel"


def test_invalid_utf8_single_request_echoes_no_raw_bytes(tmp_path):
    deal = tmp_path / "deal.json"
    deal.write_bytes(b'{"product":"\xff\xfe","seats":5}')
    result = run("quote", PROGRAMS / "ejourney.charter", deal, "--format", "json")
    assert result.exit_code == 1
    assert b"\xff" not in result.stdout_bytes and b"\xff" not in result.stderr_bytes
    json.loads(result.stdout_bytes.decode("utf-8"))


# ---- 3. duplicate keys --------------------------------------------------------------------------

def test_duplicate_keys_refused_with_their_paths_in_a_batch(tmp_path):
    path = tmp_path / "deals.jsonl"
    dup = ('{"product":"Growth","seats":10,"seats":3,'
           '"route":[{"channel":"VAD","tier":"Elite","tier":"Growth"}]}')
    path.write_text(f"{GOOD}\n{dup}\n{GOOD}\n", encoding="utf-8")
    result = run("quote", PROGRAMS / "ejourney.charter", "--batch", path)
    assert result.exit_code == 1
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 3 and answers[1]["line"] == 2
    assert [e["path"] for e in answers[1]["errors"]] == ["$.seats", "$.route[0].tier"]
    assert all("more than once" in e["message"] for e in answers[1]["errors"])


def test_duplicate_keys_refused_in_a_single_request(tmp_path):
    deal = tmp_path / "deal.json"
    deal.write_text('{"product":"Growth","product":"Essentials","seats":5}', encoding="utf-8")
    result = run("quote", PROGRAMS / "ejourney.charter", deal)
    assert result.exit_code == 1
    assert "$.product: key `product` is given more than once" in result.stderr


# ---- 4. CHARTER_TODAY ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["20260101", "2026-W01-1", "2026-001", " 2026-01-01"])
def test_charter_today_must_be_yyyy_mm_dd(value):
    result = run("check", PROGRAMS / "ejourney.charter", env={"CHARTER_TODAY": value})
    assert result.exit_code == 2
    assert "CHARTER_TODAY must be a date YYYY-MM-DD" in result.stderr


def test_charter_today_accepts_yyyy_mm_dd(monkeypatch):
    import datetime

    from charter import clock
    monkeypatch.setenv("CHARTER_TODAY", "2026-01-01")
    assert clock.today() == datetime.date(2026, 1, 1)
    monkeypatch.setenv("CHARTER_TODAY", "20260101")
    with pytest.raises(ValueError):
        clock.today()


# ---- 5. CR-only and CRLF line endings -----------------------------------------------------------

@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_program_with_cr_line_endings_checks_clean(tmp_path, newline):
    from charter.api import check_paths

    path = project(tmp_path, lambda text: text.replace("\n", newline))
    for base in (path.parent / "base").glob("*.charter"):
        base.write_bytes(base.read_bytes().replace(b"\n", newline.encode()))
    result = check_paths([path])
    assert not result.errors and not result.warnings, result.diagnostics


def test_cr_only_program_reports_at_the_right_line(tmp_path):
    from charter.api import check_paths

    def edit(text):
        text = re.sub(r"(tier Elite \{.*?\n        margin: )35%", r"\g<1>45%", text, flags=re.S)
        return text.replace("\n", "\r")
    path = project(tmp_path, edit)
    result = check_paths([path])
    (finding,) = [d for d in result.errors if d.code == "CH-P001"]
    lines = path.read_bytes().decode("utf-8").split("\r")
    assert lines[finding.span.line - 1].strip().startswith("margin: 45%")


@pytest.mark.parametrize("text, shown", [
    ("---", "\\---"), ("***", "\\*\\*\\*"), ("=== x", "\\=== x"), ("a\u2028b\u2029c", "a b c"),
    ("x\u061cy", "xy")])
def test_markdown_text_cannot_make_a_rule_or_break_a_line(text, shown):
    """A doc paragraph `---` rendered as a horizontal rule; U+2028 reached the documents."""
    from charter.targets.escape import md
    assert md(text) == shown


# ---- batch input: bytes, BOM, ids, wording (found by review) -----------------------------------

def _batch(tmp_path, data: bytes) -> list[dict]:
    path = tmp_path / "deals.jsonl"
    path.write_bytes(data)
    result = run("quote", PROGRAMS / "ejourney.charter", "--batch", path)
    assert "Traceback" not in result.output
    return [json.loads(line) for line in result.stdout_bytes.decode("utf-8").splitlines()]


def test_invalid_utf8_batch_line_is_refused_not_replaced(tmp_path):
    """It used to be read with U+FFFD in place of the byte and quoted under another id."""
    good = b'{"id":"ok","product":"Growth","seats":1}\n'
    lines = _batch(tmp_path, good + b'{"id":"deal-\xff1","product":"Growth","seats":1}\n' + good)
    assert [line.get("id") for line in lines] == ["ok", None, "ok"]
    assert lines[1]["line"] == 2 and "invalid UTF-8 (byte 0xff" in lines[1]["errors"][0]["message"]
    assert "\ufffd" not in json.dumps(lines, ensure_ascii=False)


def test_byte_order_mark_at_the_start_of_a_batch_is_accepted(tmp_path):
    lines = _batch(tmp_path, b'\xef\xbb\xbf{"id":1,"product":"Growth","seats":1}\n')
    assert lines[0]["id"] == 1 and "error" not in lines[0]


@pytest.mark.parametrize("text, path", [
    ('{"id":"k","product":"Growth","product":"Growth","seats":1}', "$.product"),
    ('{"id":"k","product":"Growth","seats":1,"route":[{"channel":"VAD","tier":"Elite",'
     '"tier":"Elite"}]}', "$.route[0].tier"),
    ('{"id":"k","product":"Gr\\ud800","seats":1}', "$.product"),
], ids=["duplicate", "nested-duplicate", "lone-surrogate"])
def test_error_lines_echo_a_valid_id(tmp_path, text, path):
    (line,) = _batch(tmp_path, text.encode() + b"\n")
    assert line["id"] == "k" and line["errors"][0]["path"] == path


@pytest.mark.parametrize("text", ['{"id":"k","id":"k","product":"Growth","product":"G","seats":1}',
                                  '{"id":"k\\udc00","product":"Gr\\ud800","seats":1}'])
def test_error_lines_leave_out_an_id_that_is_not_valid(tmp_path, text):
    (line,) = _batch(tmp_path, text.encode() + b"\n")
    assert "id" not in line


def test_a_long_id_is_told_its_limit(tmp_path):
    (line,) = _batch(tmp_path, json.dumps({"id": "x" * 201, "product": "Growth",
                                           "seats": 1}).encode() + b"\n")
    assert "at most 200 characters" in line["errors"][0]["message"]


@pytest.mark.parametrize("text, words", [
    ('{"product":"Growth","seats":' + "9" * 5000 + "}", "a number has more than 4,300 digits"),
    ('{"product":"Growth","seats":1,"services":' + "[" * 5000 + "]" * 5000 + "}",
     "nested too deeply"),
    ('{"id":7,"product":"Growth","seats":1,"services":{"one_time":' + "[" * 980 + "]" * 980
     + "}}", "nested too deeply"),
], ids=["huge-integer", "deep", "deep-after-decoding"])
def test_no_python_wording_in_request_errors(tmp_path, text, words):
    (line,) = _batch(tmp_path, text.encode() + b"\n")
    message = line["errors"][0]["message"]
    assert words in message, message
    assert "sys." not in message and "recursion" not in message
    single = tmp_path / "req.json"
    single.write_text(text)
    result = run("quote", PROGRAMS / "ejourney.charter", single)
    assert result.exit_code == 1 and words in result.stderr
    assert "sys." not in result.stderr and "recursion" not in result.stderr


def test_an_abstract_program_is_not_quoted(tmp_path):
    """It used to answer `unknown product` for every product."""
    deal = tmp_path / "deal.json"
    deal.write_text('{"product":"Growth","seats":1}')
    base = PROGRAMS / "base" / "two-channel.charter"
    for args in ([deal], ["--batch", deal]):
        result = run("quote", base, *args)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr.count("error") == 1 and "abstract" in result.stderr
        assert "unknown product" not in result.stderr
