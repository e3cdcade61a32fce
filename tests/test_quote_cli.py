"""`charter quote` and the request/response contract.

1. one quote, JSON and text (worked numbers from the eJourney page; locale formatting);
2. bad requests: every problem listed with its JSON path, exit 1, never a traceback;
   usage errors exit 2;
3. batch mode: one output line per non-blank input line, 1-based line numbers on errors,
   the batch goes on after a bad line, exit code and stderr summary; stdin;
4. the parallel batch paths write byte for byte what the sequential and reference paths write;
5. every response validates against its view's schema (internal and partner);
6. the fast request readers (`fast_shape_ok`, `FastReader`, the batch reader) agree with the
   schema path (hypothesis);
7. batch memory stays flat as the input grows.

The regression tests marked "found by this file" pin bugs these tests turned up (crashes on
odd route steps and rates, batch aborts on non-UTF-8 lines, the parallel path splitting lines at
U+2028, trailing newlines accepted by the schema, `null` id/close_date slipping through the
fast reader).
"""
from __future__ import annotations

import functools
import importlib.util
import io
import json
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import tracemalloc
from decimal import Decimal

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.api import compile_file
from charter.economics import Quoter, RequestInvalid, parse_request
from charter.economics import batch
from charter.economics.request import (FastReader, fast_shape_ok, read_request,
                                       structure_errors)
from charter.economics.response import dumps, errors_to_json, quote_to_json, response_schema

from conftest import HEADER, PROGRAMS, REPO

EJOURNEY = PROGRAMS / "ejourney.charter"
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

HANDOVER = {"product": "Growth", "seats": 1000, "years": 2,
            "route": [{"channel": "Referral"}, {"channel": "VAD", "tier": "Accelerator"}],
            "services": {"one_time": "350000000", "per_year": "0"},
            "cumulative": {"Referral": "2000000000"}, "close_date": "2026-03-01"}
ELITE = {"product": "Growth", "seats": 1000, "years": 2,
         "route": [{"channel": "VAD", "tier": "Elite"}],
         "services": {"one_time": "350000000"}}


# ---- helpers ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def program(name: str = "ejourney"):
    """A bundled program, compiled once (module-level cache: hypothesis-friendly)."""
    compiled, reporter, _ = compile_file(PROGRAMS / f"{name}.charter")
    assert compiled is not None, "\n".join(str(d) for d in reporter.sorted())
    return compiled


@functools.lru_cache(maxsize=None)
def response_validator(view: str = "internal"):
    schema = response_schema(view)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def assert_valid_response(obj, view: str = "internal") -> None:
    errors = list(response_validator(view).iter_errors(obj))
    assert not errors, [e.message for e in errors]


def run(*args: str, input: str | bytes | None = None):
    """`charter ...` in-process (as tests/test_cli.py does); stdout and stderr apart."""
    from charter.cli import main
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def no_crash(result) -> None:
    """The command ended by exiting, not by an exception, and printed no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr


def write_json(tmp_path, obj, name: str = "req.json"):
    path = tmp_path / name
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return path


def payouts(year: dict, party: str, kind: str) -> list[str]:
    return [p["amount"] for p in year["payouts"] if p["party"] == party and p["kind"] == kind]


def reference_line(prog, obj: dict) -> str:
    """The response line the batch must write for ``obj``: the slow, obvious path."""
    h = prog.header
    return dumps(quote_to_json(Quoter(prog).quote(parse_request(obj, prog)), h))


def load_make_deals():
    spec = importlib.util.spec_from_file_location("make_deals", REPO / "benchmarks" / "make_deals.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- 1. one quote ---------------------------------------------------------------------------

def test_handover_quote_as_json(tmp_path):
    result = run("quote", EJOURNEY, write_json(tmp_path, HANDOVER), "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert_valid_response(body)
    assert body["decision"] == "accept" and body["reasons"] == []
    assert body["currency"] == "IDR" and body["program"] == "ejourney"
    assert body["partner_of_record"] == "VAD"
    year1, year2 = body["years"]
    # Rp 200K × 1.000 users × 12 months = Rp 2,4 Miliar
    assert year1["software_list"] == year2["software_list"] == "2400000000"
    assert year1["services"] == "350000000" and year2["services"] == "0"
    # one-time 5% handover finder fee, year 1 only
    assert payouts(year1, "Referral", "commission") == ["120000000"]
    assert payouts(year2, "Referral", "commission") == []
    assert not [p for p in year2["payouts"] if p["party"] == "Referral"]
    # Accelerator: 25% margin, 3% MDF, both years
    for year in (year1, year2):
        assert payouts(year, "VAD", "wholesale_margin") == ["600000000"]
        assert payouts(year, "VAD", "mdf") == ["72000000"]
    # 100% − 3% COGS − 5% − 25% = 67%
    assert year1["vendor_net_margin"] == "0.670000"
    assert year1["combined_rate"] == "0.300000"


def test_elite_quote_as_json(tmp_path):
    """The page's worked example: buy Rp 1,56 Miliar, sell Rp 2,4 Miliar, keep Rp 840 juta."""
    result = run("quote", EJOURNEY, write_json(tmp_path, ELITE), "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert_valid_response(body)
    assert body["decision"] == "accept" and body["wholesale_unit_price"] == "130000"
    assert [y["year"] for y in body["years"]] == [1, 2]
    for year in body["years"]:
        assert year["software_list"] == "2400000000"
        assert year["wholesale_price"] == "1560000000"
        assert payouts(year, "VAD", "wholesale_margin") == ["840000000"]
        assert payouts(year, "VAD", "mdf") == ["72000000"]
    assert body["years"][0]["services"] == "350000000"


def test_json_output_is_the_reference_response(tmp_path):
    result = run("quote", EJOURNEY, write_json(tmp_path, HANDOVER), "--format", "json")
    assert json.loads(result.stdout) == json.loads(reference_line(program(), HANDOVER))


def test_text_format_is_the_default_and_uses_the_program_locale(tmp_path):
    result = run("quote", EJOURNEY, write_json(tmp_path, HANDOVER))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Rp2.400.000.000" in out          # id_ID: "." groups thousands
    assert "Rp120.000.000" in out and "Rp600.000.000" in out
    assert "ACCEPT" in out and "id_ID" in out
    assert "Referral → VAD Accelerator" in out
    assert "year 1" in out and "year 2" in out


def test_locale_option_switches_number_formatting(tmp_path):
    result = run("quote", EJOURNEY, write_json(tmp_path, HANDOVER), "--locale", "en_US")
    assert result.exit_code == 0, result.output
    assert "2,400,000,000" in result.stdout and "en_US" in result.stdout
    assert "2.400.000.000" not in result.stdout
    assert "ACCEPT" in result.stdout


def test_walk_decision_lists_its_reasons(tmp_path):
    """Elite on a Referral handover is a walk (C.7), in JSON and in text."""
    req = dict(HANDOVER, route=[{"channel": "Referral"}, {"channel": "VAD", "tier": "Elite"}])
    path = write_json(tmp_path, req)
    body = json.loads(run("quote", EJOURNEY, path, "--format", "json").stdout)
    assert_valid_response(body)
    assert body["decision"] == "walk"
    assert "tier_not_allowed" in {r["code"] for r in body["reasons"]}
    text = run("quote", EJOURNEY, path)
    assert text.exit_code == 0 and "WALK" in text.stdout and "[tier_not_allowed]" in text.stdout


def test_request_on_stdin(tmp_path):
    result = run("quote", EJOURNEY, "-", "--format", "json", input=json.dumps(HANDOVER))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["years"][0]["software_list"] == "2400000000"


def test_id_is_echoed_unchanged(tmp_path):
    for ident in ("deal-Ω-7 ✓", 42):
        body = json.loads(run("quote", EJOURNEY, write_json(tmp_path, dict(ELITE, id=ident)),
                              "--format", "json").stdout)
        assert body["id"] == ident and list(body)[0] == "id"


# ---- 2. bad requests ------------------------------------------------------------------------

MANY_PROBLEMS = ('{"product": "Grwth", "seats": -3, "years": "two", "colour": "red",'
                 ' "route": [{"channel": "VAD"}], "services": {"one_time": 1.5}}')
EXPECTED_PATHS = {"$", "$.product", "$.seats", "$.years", "$.route[0]", "$.services.one_time"}


def test_every_problem_is_reported_with_its_path(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(MANY_PROBLEMS, encoding="utf-8")
    result = run("quote", EJOURNEY, path)
    assert result.exit_code == 1
    no_crash(result)
    err = result.stderr
    assert "$.product: unknown product `Grwth`; did you mean `Growth`?" in err
    assert "$.route[0]: channel `VAD` has tiers; say which one" in err
    assert "$.seats: expected a whole number of seats" in err and "found -3" in err
    assert "$.services.one_time: expected an amount" in err and "the JSON number 1.5" in err
    assert "$: unknown field `colour`" in err
    assert '$.years: expected a whole number of contract years from 1 to 10, found "two"' in err
    assert "6 problem(s); nothing quoted" in err
    assert result.stdout == ""                # text mode: nothing that looks like a quote


def test_every_problem_is_reported_as_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(MANY_PROBLEMS, encoding="utf-8")
    result = run("quote", EJOURNEY, path, "--format", "json")
    assert result.exit_code == 1
    no_crash(result)
    body = json.loads(result.stdout)
    assert_valid_response(body)
    assert set(body) == {"contract_version", "error", "errors"}
    assert body["error"] == "invalid request"
    assert {e["path"] for e in body["errors"]} == EXPECTED_PATHS
    assert [e["path"] for e in body["errors"]] == sorted(e["path"] for e in body["errors"])
    assert all(set(e) == {"path", "message"} and e["message"] for e in body["errors"])


@pytest.mark.parametrize("content, fragment", [
    (b"this is not json", "not JSON"),
    (b"", "not JSON"),
    (b'{"product": "Growth", "seats": 1', "not JSON"),
    (b'{"product": "Gr\xffowth", "seats": 1}', "not JSON"),           # not UTF-8
    (b"[" * 100_000, "not JSON"),                                     # recursion
    (b'[{"product": "Growth", "seats": 1}]', "expected an object"),
    (b'"Growth"', "expected an object"),
    (b'{"product": "Growth", "seats": NaN}', "$.seats"),
    (b'{"product": "Growth", "seats": 1, "years": Infinity}', "$.years"),
    (b'{"product": "Growth", "seats": 1e3}', "$.seats"),
    (b'{"product": "Growth", "seats": 1, "cumulative": {"Referral": {"amount": "1",'
     b' "as_of": "2026-02-30"}}}', "$.cumulative.Referral"),
], ids=["text", "empty", "truncated", "latin1", "deep", "array", "string", "nan", "inf",
        "exponent", "bad-as-of"])
def test_unreadable_requests_exit_1_without_traceback(tmp_path, content, fragment):
    path = tmp_path / "req.json"
    path.write_bytes(content)
    text = run("quote", EJOURNEY, path)
    assert text.exit_code == 1
    no_crash(text)
    assert fragment in text.stderr and "nothing quoted" in text.stderr
    as_json = run("quote", EJOURNEY, path, "--format", "json")
    assert as_json.exit_code == 1
    no_crash(as_json)
    body = json.loads(as_json.stdout)
    assert_valid_response(body)
    assert body["error"] == "invalid request"


@pytest.mark.parametrize("args", [
    ["quote", EJOURNEY],                                           # no request at all
    ["quote", EJOURNEY, "REQ", "--batch", "REQ"],                  # both
    ["quote", EJOURNEY, "--batch", "REQ", "--format", "text"],     # batch is JSON lines
    ["quote", EJOURNEY, "missing.json"],                           # no such file
    ["quote", "missing.charter", "REQ"],
    ["quote", EJOURNEY, "REQ", "--format", "yaml"],
], ids=["none", "both", "batch-text", "missing-request", "missing-program", "bad-format"])
def test_usage_errors_exit_2(tmp_path, args):
    req = write_json(tmp_path, ELITE)
    paths = {"REQ": req, "missing.json": tmp_path / "missing.json",
             "missing.charter": tmp_path / "missing.charter"}
    result = run(*[paths.get(a, a) if isinstance(a, str) else a for a in args])
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.stderr
    assert "Traceback" not in result.output


def test_broken_program_quotes_nothing(tmp_path):
    broken = tmp_path / "broken.charter"
    broken.write_text(HEADER + "chanel VAD {\n    model: wholesale\n}\n", encoding="utf-8")
    result = run("quote", broken, write_json(tmp_path, ELITE))
    assert result.exit_code == 1
    no_crash(result)
    assert "the program has errors" in result.stderr and result.stdout == ""


ODD_REQUESTS = [  # found by this file: each used to raise past RequestInvalid (a traceback)
    # A route step whose `channel` is not a name: `prune` drops `$.route[0].channel` and the
    # second pass (`read_request` on the pruned request) read `step["channel"]`: KeyError.
    pytest.param({"product": "Growth", "seats": 1, "route": [{"channel": 5}]},
                 "$.route[0].channel", id="non-string-channel"),
    pytest.param({"product": "Growth", "seats": 1, "route": [{"channel": ""}]},
                 "$.route[0].channel", id="empty-channel"),
    # `"5%\n"` passed the schema (Python's `$` matches before a final newline; the schema's
    # ECMA-262 `$` does not), then `Decimal("5%")` raised InvalidOperation.
    pytest.param({"product": "Growth", "seats": 1, "route": [{"channel": "Referral",
                                                              "rate": "5%\n"}]},
                 "$.route[0].rate", id="rate-with-newline"),
]


@pytest.mark.parametrize("request_obj, path", ODD_REQUESTS)
def test_odd_requests_are_reported_not_raised(tmp_path, request_obj, path):
    result = run("quote", EJOURNEY, write_json(tmp_path, request_obj), "--format", "json")
    no_crash(result)
    assert result.exit_code == 1
    assert path in {e["path"] for e in json.loads(result.stdout)["errors"]}


def test_batch_goes_on_after_a_non_string_channel(tmp_path):
    """Found by this file: the KeyError above used to abort the whole batch."""
    path = tmp_path / "deals.jsonl"
    path.write_text('{"product":"Growth","seats":1,"route":[{"channel":5}]}\n'
                    '{"product":"Growth","seats":2}\n', encoding="utf-8")
    result = run("quote", EJOURNEY, "--batch", path)
    no_crash(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["line"] == 1
    assert json.loads(lines[1])["request"]["seats"] == 2


# ---- 3. batch -------------------------------------------------------------------------------

GOOD_1 = {"id": "a", "product": "Growth", "seats": 1000, "route": [{"channel": "VAD",
                                                                     "tier": "Elite"}]}
GOOD_6 = {"id": 6, "product": "Essentials", "seats": 10, "years": 2}
BAD_4 = {"product": "Growht", "seats": 0, "route": [{"channel": "VAD", "tier": "Eliet"}]}
BATCH_TEXT = "\n".join([
    json.dumps(GOOD_1),
    "{this is not json",
    "   \t ",
    json.dumps(BAD_4),
    "",
    json.dumps(GOOD_6),
]) + "\n"


def check_batch_output(stdout: str) -> None:
    lines = stdout.splitlines()
    assert len(lines) == 4, stdout                       # one per non-blank input line
    bodies = [json.loads(line) for line in lines]
    for body in bodies:
        assert_valid_response(body)
    assert lines[0] == reference_line(program(), GOOD_1)
    assert bodies[1]["line"] == 2 and bodies[1]["error"] == "invalid request"
    assert [e["path"] for e in bodies[1]["errors"]] == ["$"]
    assert bodies[1]["errors"][0]["message"].startswith("not JSON")
    assert bodies[2]["line"] == 4
    paths = {e["path"] for e in bodies[2]["errors"]}
    assert {"$.product", "$.seats", "$.route[0].tier"} <= paths
    assert any("did you mean `Growth`" in e["message"] for e in bodies[2]["errors"])
    assert any("did you mean `Elite`" in e["message"] for e in bodies[2]["errors"])
    with pytest.raises(RequestInvalid) as bad:
        parse_request(BAD_4, program())
    assert lines[2] == dumps(errors_to_json(bad.value.errors, 4))
    assert lines[3] == reference_line(program(), GOOD_6)
    assert list(bodies[0])[0] == "id" and bodies[3]["id"] == 6


def test_batch_file_one_line_per_request_in_order(tmp_path):
    path = tmp_path / "deals.jsonl"
    path.write_text(BATCH_TEXT, encoding="utf-8")
    result = run("quote", EJOURNEY, "--batch", path)
    no_crash(result)
    assert result.exit_code == 1                          # some lines were invalid
    check_batch_output(result.stdout)
    assert "quoted 2 deal(s); 2 invalid line(s)" in result.stderr


def test_batch_from_stdin_matches_the_file(tmp_path):
    path = tmp_path / "deals.jsonl"
    path.write_text(BATCH_TEXT, encoding="utf-8")
    from_file = run("quote", EJOURNEY, "--batch", path)
    from_stdin = run("quote", EJOURNEY, "--batch", "-", input=BATCH_TEXT)
    no_crash(from_stdin)
    assert from_stdin.exit_code == 1
    assert from_stdin.stdout == from_file.stdout
    assert "quoted 2 deal(s); 2 invalid line(s)" in from_stdin.stderr


def test_batch_all_good_exits_0(tmp_path):
    path = tmp_path / "deals.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in (GOOD_1, HANDOVER, GOOD_6, ELITE)),
                    encoding="utf-8")                     # no final newline
    result = run("quote", EJOURNEY, "--batch", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [reference_line(program(), d)
                                          for d in (GOOD_1, HANDOVER, GOOD_6, ELITE)]
    assert "quoted 4 deal(s); 0 invalid line(s)" in result.stderr


def test_batch_with_crlf_line_endings(tmp_path):
    path = tmp_path / "deals.jsonl"
    path.write_bytes(BATCH_TEXT.replace("\n", "\r\n").encode("utf-8"))
    result = run("quote", EJOURNEY, "--batch", path)
    assert result.exit_code == 1
    check_batch_output(result.stdout)


def test_empty_batch(tmp_path):
    path = tmp_path / "deals.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    result = run("quote", EJOURNEY, "--batch", path)
    assert result.exit_code == 0 and result.stdout == ""
    assert "quoted 0 deal(s); 0 invalid line(s)" in result.stderr


def test_batch_through_the_real_console_entry(tmp_path):
    """A real process: stdout mixes text and byte writes (file path) and must stay in order."""
    path = tmp_path / "deals.jsonl"
    path.write_text(BATCH_TEXT, encoding="utf-8")
    for args, stdin in (([str(path)], None), (["-"], BATCH_TEXT)):
        proc = subprocess.run([sys.executable, "-m", "charter", "quote", str(EJOURNEY), "--batch",
                               *args], input=stdin, capture_output=True, text=True,
                              encoding="utf-8", timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        check_batch_output(proc.stdout)
        assert proc.stderr.strip().endswith("quoted 2 deal(s); 2 invalid line(s)")


def test_batch_line_that_is_not_utf8_is_one_invalid_line(tmp_path):
    """Found by this file: the sequential path used to abort with UnicodeDecodeError, while
    the parallel path replaced the bytes and went on."""
    path = tmp_path / "deals.jsonl"
    path.write_bytes(b'{"product":"Growth","seats":1}\n{"product":"Gr\xffowth","seats":1}\n'
                     b'{"product":"Growth","seats":2}\n')
    result = run("quote", EJOURNEY, "--batch", path)
    no_crash(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and json.loads(lines[1])["line"] == 2


# ---- 4. parallel == sequential == reference -----------------------------------------------

@pytest.fixture(scope="module")
def big_batch(tmp_path_factory):
    """~6000 make_deals lines plus garbage, blank, CRLF and invalid lines at known places."""
    make_deals = load_make_deals()
    rng = random.Random(2026)
    lines: list[str] = []
    for number in range(1, 6001):
        if number % 997 == 0:
            lines.append("{garbage")
        elif number % 641 == 0:
            lines.append("")
        elif number % 853 == 0:
            lines.append(json.dumps({"product": "Growht", "seats": 0, "id": number}))
        else:
            deal = make_deals.deal(rng, number)
            if number % 7 == 0:
                deal["id"] = f"deal-{number}-Ωé✓"        # non-ASCII string ids
            lines.append(json.dumps(deal, separators=(",", ":"), ensure_ascii=number % 2 == 0))
    text = "".join(line + ("\r\n" if i % 101 == 0 else "\n") for i, line in enumerate(lines))
    path = tmp_path_factory.mktemp("batch") / "deals.jsonl"
    path.write_bytes(text.encode("utf-8"))
    return path


def expected_lines(prog, path) -> list[str | None]:
    """The reference output, line by line: `read_request` (or `parse_request` for the lines
    the schema rejects), `Quoter.quote`, `dumps(quote_to_json(...))`.

    Which lines the schema accepts is asked of `fast_shape_ok` (held equal to the schema by
    the property tests below) on most lines, and of `parse_request` itself on every 25th, as
    jsonschema costs ~2 ms a line.
    """
    quoter, h, out = Quoter(prog), prog.header, []
    for number, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        text = raw.decode("utf-8").strip()
        if not text:
            continue
        try:
            obj = json.loads(text, parse_float=Decimal)
        except ValueError:
            out.append(None)                             # "not JSON": checked separately
            continue
        try:
            full = number % 25 == 0 or not fast_shape_ok(obj)
            request = parse_request(obj, prog) if full else read_request(obj, prog)
        except RequestInvalid as bad:
            out.append(dumps(errors_to_json(bad.errors, number, batch._request_id(obj))))
            continue
        out.append(dumps(quote_to_json(quoter.quote(request), h)))
    return out


def test_parallel_batch_writes_the_same_bytes(big_batch, monkeypatch):
    prog = program()
    monkeypatch.setattr(batch, "SPLIT_BYTES", 50_000)
    sequential = io.BytesIO()
    counts_1 = batch.quote_file(prog, str(big_batch), sequential, jobs=1)

    ranges: list = []
    real_ranges = batch._byte_ranges
    monkeypatch.setattr(batch, "_byte_ranges",
                        lambda path: (ranges.append(r) or r for r in real_ranges(path)))
    parallel = io.BytesIO()
    counts_2 = batch.quote_file(prog, str(big_batch), parallel, jobs=2)
    assert len(ranges) > 10, "the parallel path did not run"
    assert parallel.getvalue() == sequential.getvalue()
    assert counts_2 == counts_1

    parallel_runs = spy_parallel(monkeypatch)
    streamed = {}
    for jobs in (1, 2):
        out = io.StringIO()
        with open(big_batch, encoding="utf-8") as lines:
            assert batch.quote_stream(prog, lines, out, jobs=jobs) == counts_1
        streamed[jobs] = out.getvalue().encode("utf-8")
    assert parallel_runs == [2], "quote_stream did not take the parallel path"
    assert streamed[1] == streamed[2] == sequential.getvalue()

    produced = sequential.getvalue().decode("utf-8").split("\n")
    assert produced[-1] == ""
    produced = produced[:-1]
    expected = expected_lines(prog, big_batch)
    assert len(produced) == len(expected)
    assert counts_1.quoted + counts_1.invalid == len(expected)
    garbage = 0
    for got, want in zip(produced, expected):
        if want is None:
            body = json.loads(got)
            assert body["error"] == "invalid request" and body["errors"][0]["path"] == "$"
            assert body["line"] % 997 == 0
            garbage += 1
        else:
            assert got == want
    assert garbage == 6 and counts_1.invalid == 6 + 7


def spy_parallel(monkeypatch) -> list:
    """Record the job count of every batch run that takes the worker-process path."""
    runs: list = []
    real = batch._in_workers

    def spy(setup, items, work, emit, out, counts, jobs):
        runs.append(jobs)
        return real(setup, items, work, emit, out, counts, jobs)
    monkeypatch.setattr(batch, "_in_workers", spy)
    return runs


def test_parallel_stream_line_numbers_count_blank_lines(monkeypatch):
    prog = program()
    runs = spy_parallel(monkeypatch)
    lines = []
    for number in range(1, 4501):
        lines.append("" if number % 3 == 0 else
                     ("{bad" if number % 1000 == 0 else '{"product":"Growth","seats":1}'))
    out = io.StringIO()
    batch.quote_stream(prog, [line + "\n" for line in lines], out, jobs=2)
    numbers = [json.loads(line)["line"] for line in out.getvalue().splitlines()
               if line.startswith('{"line"')]
    assert runs == [2]
    assert numbers == [1000, 2000, 4000]                 # 3000 is blank


def _dies_on_the_third_chunk(chunk):
    if chunk[0][0] > 2 * batch.CHUNK:
        os.kill(os.getpid(), signal.SIGKILL)
    return batch._WORKER.run(chunk)


def _fails_on_the_third_chunk(chunk):
    if chunk[0][0] > 2 * batch.CHUNK:
        raise KeyError("a bug")
    return batch._WORKER.run(chunk)


@pytest.mark.parametrize("work, message", [
    (_dies_on_the_third_chunk, "a batch worker process died (killed by SIGKILL)"),
    (_fails_on_the_third_chunk, "a batch worker process failed: KeyError: 'a bug'")])
def test_a_lost_worker_fails_the_stream_with_whole_lines(work, message, monkeypatch):
    """A worker that dies (or fails) used to leave the parent waiting forever for its chunk."""
    monkeypatch.setattr(batch, "_work", work)
    out = io.StringIO()
    with pytest.raises(batch.WorkerFailed, match=re.escape(message)):
        batch.quote_stream(program(), ['{"product":"Growth","seats":1}\n'] * (batch.CHUNK * 6),
                           out, jobs=2)
    # whole chunks, in order, and none from the lost one on (the two before it are written
    # unless the loss is read first: answers are emitted in input order)
    lines = out.getvalue().count("\n")
    assert lines in (0, batch.CHUNK, 2 * batch.CHUNK), lines
    assert not multiprocessing.active_children()  # every worker reaped


def test_parallel_batch_keeps_line_separators_inside_strings(tmp_path, monkeypatch):
    """Found by this file: the parallel path split its byte ranges with str.splitlines(),
    which also breaks at U+2028/U+0085 inside JSON strings; the sequential path does not."""
    prog = program()
    monkeypatch.setattr(batch, "SPLIT_BYTES", 2_000)
    line = '{"product":"Growth","seats":1}'
    odd = json.dumps({"id": "a\u2028b\x85c", "product": "Growth", "seats": 1},
                     ensure_ascii=False)
    path = tmp_path / "deals.jsonl"
    path.write_text("\n".join([line] * 200 + [odd] + [line] * 200) + "\n", encoding="utf-8")
    outs = []
    for jobs in (1, 2):
        out = io.BytesIO()
        batch.quote_file(prog, str(path), out, jobs=jobs)
        outs.append(out.getvalue())
    assert outs[0].count(b"\n") == 401 and b'"line"' not in outs[0]
    assert outs[1] == outs[0]


# ---- 5. LineEncoder == reference -----------------------------------------------------------

ENCODER_CASES = [
    ("ejourney", {"product": "Growth", "seats": 1}),
    ("ejourney", {"product": "Essentials", "seats": 7, "years": 3, "id": 0}),
    ("ejourney", HANDOVER),
    ("ejourney", ELITE),
    ("ejourney", dict(ELITE, id="Ωmega \"quoted\" \\ back\u2028sep\x01ctl 🚀")),
    ("ejourney", dict(HANDOVER, id=-(10 ** 30))),
    ("ejourney", dict(HANDOVER, route=[{"channel": "Referral"},
                                       {"channel": "VAD", "tier": "Elite"}])),      # walk
    ("ejourney", dict(HANDOVER, route=[{"channel": "Referral"},
                                       {"channel": "VAD", "tier": "Standard"}],
                      cumulative={"Referral": {"amount": "2999999999",
                                               "as_of": "2026-01-05"}})),
    ("ejourney", {"product": "Enterprise", "seats": 333, "years": 3,
                  "route": [{"channel": "Referral", "partner": "acme-7"},
                            {"channel": "VAD", "tier": "Standard", "partner": "vad-9"}]}),
    ("ejourney", {"product": "Growth", "seats": 17, "route": [{"channel": "Referral"}],
                  "cumulative": {"Referral": "2999999999"}, "close_date": "2026-12-31"}),
    ("ejourney", {"product": "Growth", "seats": 9, "unit_price": "150000",
                  "route": [{"channel": "VAD", "tier": "Elite"}]}),                 # below MSRP
    ("ejourney", {"product": "Growth", "seats": 9, "unit_price": "250001",
                  "price_approved": True, "route": [{"channel": "VAD", "tier": "Standard"}]}),
    ("ejourney", {"product": "Growth", "seats": 1, "unit_price": "0"}),
    ("ejourney", {"product": "Growth", "seats": 1, "unit_price": "1",
                  "price_approved": True, "route": [{"channel": "VAD", "tier": "Elite"}]}),
    ("ejourney", {"product": "Growth", "seats": 5, "certified": False,
                  "route": [{"channel": "VAD", "tier": "Accelerator"}]}),
    ("saas-reseller", {"product": "Platform", "seats": 100, "split": "co_sell_70_30",
                       "route": [{"channel": "CoSell"}]}),
    ("saas-reseller", {"product": "Platform", "seats": 100, "split": "co_sell_60_40",
                       "route": [{"channel": "CoSell"}], "id": "co-sell ✓"}),
    ("saas-reseller", {"product": "Platform", "seats": 100, "split": "existing_relationship",
                       "route": [{"channel": "Reseller", "tier": "Gold"}]}),
    ("saas-reseller", {"product": "Platform", "seats": 100, "years": 3,
                       "route": [{"channel": "Referral"}], "id": 12345678901234567890}),
    ("saas-reseller", {"product": "Platform", "seats": 100,
                       "route": [{"channel": "OEM", "terms": {"discount": "45.000001%"}}]}),
    ("saas-reseller", {"product": "Platform", "seats": 1, "unit_price": "0.01",
                       "route": [{"channel": "OEM", "terms": {"discount": "40%"}}]}),
    ("saas-reseller", {"product": "Platform", "seats": 3, "unit_price": "999.99",
                       "price_approved": True,
                       "route": [{"channel": "Reseller", "tier": "Platinum"}],
                       "services": {"one_time": "0.01", "per_year": "12345.67"}}),
    ("saas-reseller", {"product": "Platform", "seats": 10_000_000, "years": 10,
                       "route": [{"channel": "Reseller", "tier": "Registered"}]}),
]


@pytest.mark.parametrize("name, request_obj", ENCODER_CASES)
def test_both_views_match_their_schemas(name, request_obj):
    prog = program(name)
    quote = Quoter(prog).quote(parse_request(json.loads(json.dumps(request_obj),
                                                        parse_float=Decimal), prog))
    for view in ("internal", "partner"):
        body = json.loads(dumps(quote_to_json(quote, prog.header, view)))
        assert_valid_response(body, view)
        assert body["view"] == view


@PROPERTY
@given(seed=st.integers(0, 2 ** 32))
def test_random_deals_match_both_schemas(seed):
    prog = program()
    deal = load_make_deals_cached().deal(random.Random(seed), 1)
    quote = Quoter(prog).quote(parse_request(deal, prog))
    for view in ("internal", "partner"):
        assert_valid_response(quote_to_json(quote, prog.header, view), view)


@functools.lru_cache(maxsize=None)
def load_make_deals_cached():
    return load_make_deals()


# ---- 6. fast path == schema path -----------------------------------------------------------

NO_NEWLINE = st.characters(blacklist_characters="\n", blacklist_categories=("Cs",))
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(-10 ** 30, 10 ** 30),
    st.sampled_from([Decimal("1.5"), Decimal("2.0"), Decimal("1E+3"), Decimal("-0.0"),
                     float("nan"), float("inf")]),
    st.text(NO_NEWLINE, max_size=4), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(NO_NEWLINE, max_size=3), st.integers(), max_size=2))
VALID_AMOUNT = st.one_of(
    st.from_regex(r"[1-9][0-9]{0,11}", fullmatch=True), st.integers(0, 10 ** 24 - 1),
    st.from_regex(r"[0-9]{1,24}", fullmatch=True),
    st.from_regex(r"[0-9]{1,8}\.[0-9]{1,12}", fullmatch=True),   # may exceed minor units
    st.sampled_from(["0", "350000000", "99.50", "1.00", "9" * 24, "12.5"]))
BAD_AMOUNT = st.sampled_from([
    "", "1.", ".5", "1e5", " 1", "1 ", "-1", "1,5", "0x10", "1.1234567890123", "9" * 25,
    "\u0661\u0662", "\u00b2", 10 ** 24, -1, True, None, Decimal("1.5"), Decimal("100.0"),
    float("nan"), [], {}, "350000000\n", "99.50\n"])
VALID_DATE = st.dates().map(lambda d: d.isoformat())
BAD_DATE = st.sampled_from([
    "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "2026-3-1", "20260301",
    "2026-03-01T00:00:00", "", "2026-03-01 ", "2026-03-01\n", "\u0662\u0660\u0662\u0666-03-01",
    "2026-W10-1", 20260301, None])
PRODUCTS = {"ejourney": ["Growth", "Essentials", "Enterprise"], "saas-reseller": ["Platform"]}
CHANNELS = {"ejourney": ["Referral", "VAD", "CommissionBenchmark"],
            "saas-reseller": ["Reseller", "Referral", "CoSell", "OEM"]}
ROUTES = {
    "ejourney": [[], [{"channel": "Referral"}], [{"channel": "VAD", "tier": "Standard"}],
                 [{"channel": "VAD", "tier": "Accelerator"}], [{"channel": "VAD", "tier": "Elite"}],
                 [{"channel": "Referral"}, {"channel": "VAD", "tier": "Accelerator"}],
                 [{"channel": "Referral"}, {"channel": "VAD", "tier": "Elite"}],
                 [{"channel": "CommissionBenchmark"}]],
    "saas-reseller": [[], [{"channel": "Referral"}], [{"channel": "CoSell"}],
                      [{"channel": "Reseller", "tier": "Registered"}],
                      [{"channel": "Reseller", "tier": "Platinum"}],
                      [{"channel": "OEM"}], [{"channel": "OEM", "terms": {"discount": "45%"}}],
                      [{"channel": "Referral", "terms": {"commission": "12.5%"}}],
                      [{"channel": "Referral"}, {"channel": "Reseller", "tier": "Gold"}]]}
SPLITS = {"ejourney": ["co_sell_70_30"],
          "saas-reseller": ["co_sell_70_30", "co_sell_60_40", "existing_relationship"]}
BAD_STEPS = st.sampled_from([
    {"channel": "OEM"}, {"channel": "OEM", "rate": "61%"}, {"channel": "OEM", "rate": "1000%"},
    {"channel": "OEM", "rate": "45.0000001%"}, {"channel": "OEM", "rate": "45"},
    {"channel": "OEM", "rate": "45%\n"}, {"channel": "Referral", "rate": "5%\n"},
    {"channel": "VAD"}, {"channel": "VAD", "tier": "Platinum"}, {"channel": "Referal"},
    {"channel": "Referral", "tier": "Gold"}, {"channel": "Referral", "rate": "5%"},
    {"channel": "VAD", "tier": "Elite", "rate": "35%"}, {"tier": "Elite"},
    {"channel": "VAD", "tier": "Elite", "extra": 1}, {"channel": "VAD", "tier": 5},
    {"channel": "VAD", "tier": ""}, {"channel": 5}, {"channel": ""}, {}, "VAD", None, 3,
    # negotiated terms (saas-reseller's Referral 10% .. 20%, OEM 40% .. 60%)
    {"channel": "Referral", "terms": {"commission": "25%"}},
    {"channel": "Referral", "terms": {"comission": "15%"}},
    {"channel": "Referral", "terms": {"commission": "45 days"}},
    {"channel": "Referral", "terms": {"commission": "15%\n"}},
    {"channel": "Referral", "terms": {"commission": 15}},
    {"channel": "Referral", "terms": {"lead_protection": "30 days"}},
    {"channel": "Referral", "terms": {"": "15%"}}, {"channel": "Referral", "terms": []},
    {"channel": "OEM", "rate": "45%"}, {"channel": "OEM", "terms": {"discount": "61%"}}])
BAD_NAMES = st.sampled_from(["Grwth", "growth", "", "G" * 201, "PartnerServices", "Platform",
                             "Growth", 5, None])
BAD_COUNTS = st.sampled_from([0, -1, 11, 10_000_001, True, False, Decimal("2.0"), "2", None])
TOP_KEYS = ["id", "product", "seats", "years", "route", "services", "cumulative", "close_date",
            "unit_price", "price_approved", "certified", "registered", "split", "influenced"]
MUTATIONS = ["junk", "junk", "amount", "date", "step", "missing", "unknown", "cumulative",
             "services", "name", "count", "null", "rare"]


@st.composite
def request_like(draw, name: str):
    """A request for program ``name``: valid, then broken in 0-3 places (often 0)."""
    maybe = lambda: draw(st.booleans())               # noqa: E731
    obj: dict = {"product": draw(st.sampled_from(PRODUCTS[name])),
                 "seats": draw(st.one_of(st.integers(1, 5000), st.sampled_from([1, 10_000_000])))}
    if maybe():
        obj["id"] = draw(st.one_of(st.integers(), st.text(max_size=8)))
    if maybe():
        obj["years"] = draw(st.integers(1, 10))
    if maybe():
        obj["route"] = draw(st.sampled_from(ROUTES[name]))
    if maybe():
        obj["services"] = draw(st.fixed_dictionaries(
            {}, optional={"one_time": VALID_AMOUNT, "per_year": VALID_AMOUNT}))
    if maybe():
        obj["cumulative"] = draw(st.dictionaries(
            st.sampled_from(CHANNELS[name]),
            st.one_of(VALID_AMOUNT, VALID_AMOUNT, st.fixed_dictionaries(
                {"amount": VALID_AMOUNT}, optional={"as_of": VALID_DATE})), max_size=2))
    if maybe():
        obj["close_date"] = draw(VALID_DATE)
    if draw(st.integers(0, 3)) == 0:                 # the fields the fast reader leaves alone
        obj.update(draw(st.fixed_dictionaries({}, optional={
            "unit_price": VALID_AMOUNT, "price_approved": st.booleans(),
            "certified": st.booleans(), "registered": st.booleans(),
            "split": st.sampled_from(SPLITS[name]),
            "influenced": st.lists(st.sampled_from(CHANNELS[name]), max_size=2)})))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):
        mutate(draw, obj, draw(st.sampled_from(MUTATIONS)), name)
    return draw(st.sampled_from([obj] * 19 + [None])) or draw(JUNK)


def mutate(draw, obj: dict, kind: str, name: str) -> None:
    """Break ``obj`` in one place."""
    services = obj.setdefault("services", {}) if kind == "services" else obj.get("services")
    if kind == "junk":
        obj[draw(st.sampled_from(TOP_KEYS))] = draw(JUNK)
    elif kind == "amount":
        where = draw(st.sampled_from(["one_time", "per_year", "unit_price", "cumulative"]))
        if where == "unit_price":
            obj["unit_price"] = draw(BAD_AMOUNT)
        elif where == "cumulative":
            obj.setdefault("cumulative", {})
            if isinstance(obj["cumulative"], dict):
                obj["cumulative"][draw(st.sampled_from(CHANNELS[name]))] = draw(st.one_of(
                    BAD_AMOUNT, st.fixed_dictionaries({"amount": BAD_AMOUNT})))
        else:
            obj["services"] = dict(services) if isinstance(services, dict) else {}
            obj["services"][where] = draw(BAD_AMOUNT)
    elif kind == "date":
        if maybe_key(draw, obj, "cumulative"):
            obj["cumulative"][draw(st.sampled_from(CHANNELS[name]))] = \
                {"amount": "1", "as_of": draw(BAD_DATE)}
        else:
            obj["close_date"] = draw(BAD_DATE)
    elif kind == "step":
        route = list(obj.get("route")) if isinstance(obj.get("route"), list) else []
        route.insert(draw(st.integers(0, len(route))), draw(BAD_STEPS))
        obj["route"] = route if draw(st.integers(0, 9)) else route * 5   # sometimes > 8 steps
    elif kind == "missing":
        obj.pop(draw(st.sampled_from(["product", "seats"])), None)
    elif kind == "unknown":
        obj[draw(st.sampled_from(["colour", "Product", "seat", "tier", "rate", ""]))] = draw(JUNK)
    elif kind == "cumulative":
        obj["cumulative"] = {draw(st.sampled_from(["Referal", "", "x" * 201, "VAD", "OEM"])):
                             draw(st.one_of(VALID_AMOUNT, st.just({"amount": "1", "extra": 1}),
                                            st.just({"as_of": "2026-01-01"})))}
    elif kind == "services":
        obj["services"] = dict(services) if isinstance(services, dict) else {}
        obj["services"][draw(st.sampled_from(["monthly", "one_time", "per_year"]))] = \
            draw(st.one_of(VALID_AMOUNT, BAD_AMOUNT))
    elif kind == "name":
        obj[draw(st.sampled_from(["product", "split", "product"]))] = draw(BAD_NAMES)
    elif kind == "count":
        obj[draw(st.sampled_from(["seats", "years"]))] = draw(BAD_COUNTS)
    elif kind == "null":
        obj[draw(st.sampled_from(TOP_KEYS))] = None
    elif kind == "rare":
        obj[draw(st.sampled_from(["unit_price", "split", "influenced", "certified"]))] = \
            draw(st.one_of(VALID_AMOUNT, st.sampled_from(SPLITS["saas-reseller"]),
                           st.lists(st.sampled_from(["Referral", "CoSell", "Referal"]),
                                    max_size=9), st.booleans(), st.integers(0, 1)))


def maybe_key(draw, obj: dict, key: str) -> bool:
    return isinstance(obj.get(key), dict) and draw(st.booleans())


@st.composite
def program_and_request(draw):
    name = draw(st.sampled_from(list(PRODUCTS)))
    return name, draw(request_like(name))


@PROPERTY
@given(case=program_and_request())
def test_fast_shape_ok_agrees_with_the_schema(case):
    """fast_shape_ok(obj) ⇔ structure_errors(obj) == []."""
    _, obj = case
    assert fast_shape_ok(obj) == (structure_errors(obj) == []), structure_errors(obj)


@pytest.mark.parametrize("obj", [
    {"product": "Growth", "seats": 1, "services": {"one_time": "350000000\n"}},
    {"product": "Growth", "seats": 1, "unit_price": "99.50\n"},
    {"product": "Growth", "seats": 1, "route": [{"channel": "OEM", "rate": "45%\n"}]},
], ids=["amount", "unit-price", "percent"])
def test_schema_rejects_a_trailing_newline(obj):
    """Found by this file: jsonschema matches patterns with Python `re.search`, whose `$` also
    matches before a final newline (ECMA-262's does not), so the schema accepted these."""
    assert structure_errors(obj) != []


@PROPERTY
@given(case=program_and_request())
def test_fast_reader_agrees_with_the_schema_path(case):
    name, obj = case
    prog = program(name)
    fast = shared_fast_reader(name).read(obj)
    if fast is None:
        return
    assert structure_errors(obj) == []
    assert fast == read_request(obj, prog)
    assert fast == parse_request(obj, prog)


@functools.lru_cache(maxsize=None)
def shared_fast_reader(name: str) -> FastReader:
    """One reader per program across examples, as in a batch (its route cache persists)."""
    return FastReader(program(name))


@pytest.mark.parametrize("extra", [{"id": None}, {"close_date": None}], ids=["id", "close_date"])
def test_fast_reader_rejects_null_optional_fields(extra):
    """Found by this file: FastReader took `null` for "absent" and quoted the line."""
    obj = {"product": "Growth", "seats": 1, "route": [], **extra}
    assert structure_errors(obj) != []
    assert FastReader(program()).read(obj) is None


def to_line(obj) -> str:
    """JSON text of a generated object (Decimals written as JSON numbers)."""
    marks: list[str] = []

    def default(value):
        if isinstance(value, Decimal):
            marks.append(str(value))
            return f"\x00{len(marks) - 1}\x00"
        raise TypeError(value)
    text = json.dumps(obj, default=default, ensure_ascii=False)
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: marks[int(m.group(1))], text)


@PROPERTY
@given(case=program_and_request())
def test_batch_reader_agrees_with_parse_request(case):
    """The batch reads a line (fast path, shape check, then schema) exactly as one request is
    read: the same DealRequest, or the same errors; nothing but RequestInvalid is raised."""
    name, obj = case
    prog = program(name)
    line = to_line(obj)
    parsed = json.loads(line, parse_float=Decimal)
    try:
        expected = parse_request(parsed, prog)
    except RequestInvalid as bad:
        expected = bad.errors
    try:
        got = shared_line_quoter(name)._read(batch._decode_line(line))
    except RequestInvalid as bad:
        got = bad.errors
    assert got == expected


@functools.lru_cache(maxsize=None)
def shared_line_quoter(name: str) -> batch.LineQuoter:
    return batch.LineQuoter(program(name))


@PROPERTY
@given(case=program_and_request())
def test_valid_requests_quote_to_schema_valid_responses(case):
    """Whatever is accepted quotes; the response (or the error object) fits the schema."""
    name, obj = case
    prog = program(name)
    try:
        request = parse_request(obj, prog)
    except RequestInvalid as bad:
        assert bad.errors and all(e.path.startswith("$") and e.message for e in bad.errors)
        assert_valid_response(errors_to_json(bad.errors, 1))
        return
    quote = Quoter(prog).quote(request)
    h = prog.header
    for view in ("internal", "partner"):
        assert_valid_response(json.loads(dumps(quote_to_json(quote, h, view))), view)


# ---- 7. memory ------------------------------------------------------------------------------

def test_batch_memory_stays_flat(monkeypatch):
    """Peak traced memory does not grow with the input: 2 000 lines peak within 1 MiB of
    500 lines, and nothing is retained afterwards. Chunks are shrunk to 125 lines so both runs
    span several chunks (4 and 16) while the traced run stays fast (tracemalloc slows quoting
    ~5x; 20 000 lines would take well over 5 s)."""
    prog = program()
    monkeypatch.setattr(batch, "CHUNK", 125)

    def lines(count: int):
        for number in range(1, count + 1):
            yield ('{"id":%d,"product":"Growth","seats":%d,"route":[{"channel":"Referral"}]}\n'
                   % (number, number % 5000 + 1))

    class Sink:
        written = 0

        def write(self, text: str) -> None:
            self.written += text.count("\n")

    peaks, kept = {}, {}
    batch.quote_stream(prog, lines(100), Sink(), jobs=1)         # warm caches and imports
    tracemalloc.start()
    try:
        for count in (500, 2_000):
            sink = Sink()
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            counts = batch.quote_stream(prog, lines(count), sink, jobs=1)
            current, peak = tracemalloc.get_traced_memory()
            peaks[count], kept[count] = peak - base, current - base
            assert counts.quoted == sink.written == count
    finally:
        tracemalloc.stop()
    assert peaks[2_000] - peaks[500] < 2 ** 20, peaks
    assert kept[2_000] < 2 ** 20, kept


def test_a_channel_is_paid_once_per_route(tmp_path):
    result = run("quote", EJOURNEY, write_json(tmp_path, {
        "product": "Growth", "seats": 1,
        "route": [{"channel": "Referral"}, {"channel": "VAD", "tier": "Standard"},
                  {"channel": "Referral"}]}), "--format", "json")
    no_crash(result)
    assert result.exit_code == 1
    (error,) = json.loads(result.stdout)["errors"]
    assert error["path"] == "$.route[2].channel" and "paid once per deal" in error["message"]


def test_unknown_locale_and_bad_today_are_usage_errors(tmp_path, monkeypatch):
    request = write_json(tmp_path, {"product": "Growth", "seats": 1})
    result = run("quote", EJOURNEY, request, "--locale", "xx_YY")
    no_crash(result)
    assert result.exit_code == 2 and "unknown locale `xx_YY`" in result.output
    monkeypatch.setenv("CHARTER_TODAY", "2026-13-01")
    for args in (("check", EJOURNEY), ("quote", EJOURNEY, request)):
        result = run(*args)
        no_crash(result)
        assert result.exit_code == 2 and "CHARTER_TODAY must be a date" in result.output


def test_a_program_that_fails_its_policies_quotes_nothing(tmp_path):
    import shutil
    root = tmp_path / "project"
    shutil.copytree(PROGRAMS, root / "programs")
    (root / "charter.toml").write_text("", encoding="utf-8")
    path = root / "programs" / "ejourney.charter"
    path.write_text(path.read_text(encoding="utf-8") + "\nhandover VAD -> Referral {\n"
                    "    introducer_rate: 2%\n}\n", encoding="utf-8")
    result = run("quote", str(path), write_json(tmp_path, {"product": "Growth", "seats": 1}))
    no_crash(result)
    assert result.exit_code == 1 and "CH-P004" in result.output
    assert "fix them before quoting" in result.output and "decision" not in result.output


def test_payout_kinds_come_from_one_table():
    """The schema enum and the docs table are generated from `PayoutKind`."""
    from charter.economics.kinds import PayoutKind, kinds_table, reasons_table

    for view in ("internal", "partner"):
        line = response_schema(view)["$defs"]["line"]
        assert line["properties"]["kind"]["enum"] == [k.value for k in PayoutKind]
    docs = (REPO / "docs" / "economics.md").read_text(encoding="utf-8")
    assert kinds_table() in docs and reasons_table() in docs


# ---- 9. the partner view on the command line -------------------------------------------------

def test_partner_view_json_and_text_hold_nothing_internal(tmp_path):
    request = write_json(tmp_path, dict(ELITE, route=[{"channel": "Referral"},
                                                      {"channel": "VAD", "tier": "Elite"}]))
    internal = run("quote", EJOURNEY, request, "--format", "json")
    partner = run("quote", EJOURNEY, request, "--format", "json", "--view", "partner")
    text = run("quote", EJOURNEY, request, "--view", "partner")
    for result in (internal, partner, text):
        no_crash(result)
    body = json.loads(partner.stdout)
    assert_valid_response(body, "partner")
    assert json.loads(internal.stdout)["decision"] == body["decision"] == "walk"
    assert "vendor_cogs" in internal.stdout and "vendor_cogs" not in partner.stdout
    for word in ("COGS", "vendor net", "floor", "margin_floor"):
        assert word not in partner.stdout and word not in text.stdout
    assert "tier_not_allowed" in text.stdout and "not payable (the deal walks)" in text.stdout


def test_batch_partner_view_validates_line_by_line(tmp_path):
    path = tmp_path / "deals.jsonl"
    path.write_text("\n".join(json.dumps(obj) for obj in (GOOD_1, GOOD_6, ELITE)) + "\n"
                    '{"id": "bad-7", "product": "Growht", "seats": 1}\n', encoding="utf-8")
    result = run("quote", EJOURNEY, "--batch", path, "--view", "partner")
    no_crash(result)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("view") for line in lines] == ["partner"] * 3 + [None]
    for line in lines:
        assert_valid_response(line, "partner")
    assert lines[-1]["id"] == "bad-7" and lines[-1]["line"] == 4   # the error line says which


def test_request_warnings_reach_stderr_and_the_response(tmp_path):
    request = write_json(tmp_path, {"product": "Growth", "seats": 1,
                                    "cumulative": {"Referral": "5"},
                                    "route": [{"channel": "Referral"},
                                              {"channel": "VAD", "tier": "Accelerator"}]})
    result = run("quote", EJOURNEY, request, "--format", "json")
    no_crash(result)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["warnings"][0]["path"] == "$.cumulative.Referral"
    assert "warning: $.cumulative.Referral" in result.stderr


# ---- 8. input limits: sizes, FIFOs, devices ----------------------------------------------------

def run_bounded(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    """`charter ARGS` in a subprocess with 1 GB of address space and 60 s: a command that
    would hang on a FIFO or eat /dev/zero fails here instead of taking the machine."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    return subprocess.run([sys.executable, "-m", "charter", *map(str, args)], input=input,
                          capture_output=True, timeout=60, preexec_fn=limit)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs and /dev/zero")
@pytest.mark.parametrize("command", [["quote", EJOURNEY, "IN"], ["quote", EJOURNEY, "--batch", "IN"],
                                     ["payouts", EJOURNEY, "IN", "--out", "OUT.parquet"]],
                         ids=["request", "batch", "payouts"])
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_fifos_and_devices_are_refused_unread(tmp_path, command, kind):
    """Found by review: a FIFO with no writer hung `quote` and `payouts`; /dev/zero ended in
    MemoryError. Both are refused as a usage error (exit 2) before anything is read."""
    source = tmp_path / "in.fifo"
    if kind == "fifo":
        os.mkfifo(source)
    else:
        source = "/dev/zero"
    args = [str(source) if a == "IN" else str(tmp_path / a) if a == "OUT.parquet" else a
            for a in command]
    proc = run_bounded(*args)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, stderr
    assert "not a regular file" in stderr and "Traceback" not in stderr
    assert ("a named pipe" if kind == "fifo" else "a character device") in stderr


def test_a_request_over_the_size_limit_is_refused(tmp_path):
    """Found by review: `quote P /dev/zero` (or a huge request) was read whole."""
    big = b'{"product":"Growth","seats":1,"id":"' + b"x" * batch.MAX_REQUEST_BYTES + b'"}'
    path = tmp_path / "big.json"
    path.write_bytes(big)
    for result in (run("quote", EJOURNEY, path, "--format", "json"),
                   run("quote", EJOURNEY, "-", "--format", "json", input=big)):
        no_crash(result)
        assert result.exit_code == 1
        body = json.loads(result.stdout)
        assert "larger than 1,000,000 bytes" in body["errors"][0]["message"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_batch_line_over_the_limit_is_one_error_line_in_bounded_memory(tmp_path, jobs,
                                                                         monkeypatch):
    """Found by review: one 200 MB line took 1 GB. It is refused with its line number, read
    in bounded pieces (never held whole), and the lines around it are quoted."""
    monkeypatch.setattr(batch, "SPLIT_BYTES", 200_000)
    good = b'{"product":"Growth","seats":1}\n'
    path = tmp_path / "deals.jsonl"
    with open(path, "wb") as out:
        out.write(good * 2000)
        out.write(b"[" + b"1," * (10 * batch.MAX_REQUEST_BYTES) + b"1]\n")  # 20 MB
        out.write(good * 2000 + b"x" * (batch.MAX_REQUEST_BYTES + 1))  # no final newline
    sink = io.BytesIO()
    tracemalloc.start()
    try:
        counts = batch.quote_file(program(), str(path), sink, jobs=jobs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    lines = sink.getvalue().decode("utf-8").splitlines()
    assert (counts.quoted, counts.invalid) == (4000, 2) and len(lines) == 4002
    errors = [json.loads(line) for line in lines if line.startswith('{"line"')]
    assert [e["line"] for e in errors] == [2001, 4002]
    assert all("larger than 1,000,000 bytes" in e["errors"][0]["message"] for e in errors)
    assert peak < 15_000_000, peak  # the 20 MB line was never read whole (~9 MB is output)


def test_an_endless_batch_line_on_stdin_is_refused():
    """`--batch -` fed 30 MB of NUL bytes (no newline): one error line, not MemoryError."""
    proc = run_bounded("quote", EJOURNEY, "--batch", "-", input=b"\0" * 30_000_000)
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    (line,) = proc.stdout.decode("utf-8").splitlines()
    assert json.loads(line)["line"] == 1 and b"larger than" in proc.stdout


# ---- the partner view's errors name no internal channel -----------------------------------

@pytest.mark.parametrize("request_obj", [
    {"product": "Growth", "seats": 10, "route": [{"channel": "Referral"}],
     "close_date": "2026-03-01", "cumulative": {"Nope": {"amount": "5"}}},
    {"product": "Growth", "seats": 10, "route": [{"channel": "CommissionBenchmark"}]},
    {"product": "Growth", "seats": 10, "route": [{"channel": "CommissionBenchmarks"}]}])
def test_partner_view_errors_never_name_an_internal_channel(tmp_path, request_obj):
    """The list of choices, "did you mean" and "is internal" told a partner that
    CommissionBenchmark exists; now it is unknown like any made-up name."""
    from charter.cli import main

    single, batch = tmp_path / "r.json", tmp_path / "r.jsonl"
    single.write_text(json.dumps(request_obj), encoding="utf-8")
    batch.write_text(json.dumps(request_obj) + "\n", encoding="utf-8")
    for args in ([str(single), "--format", "json"], ["--batch", str(batch)]):
        result = CliRunner().invoke(main, ["quote", str(EJOURNEY), *args, "--view", "partner"])
        assert result.exit_code == 1 and "unknown channel" in result.output, result.output
        # the only "Benchmark" left is the name the request itself wrote, if it wrote one
        written = request_obj["route"][0]["channel"]
        assert "Benchmark" not in result.output.replace(written, ""), result.output
        assert "internal" not in result.output
    internal = CliRunner().invoke(main, ["quote", str(EJOURNEY), str(single), "--format", "json"])
    assert "CommissionBenchmark" in internal.output  # the vendor's own view still says
