"""The `charter` command line: a thin layer over `charter.api`.

Exit codes: 0 no errors, 1 errors found, 2 usage error or missing input, 3 could not write
the output (stdout closed, full, or its reader gone; one line on stderr), 4 a `quote --batch`
worker process died (the output stops at a whole line; one line on stderr), 128 + N stopped by
signal N (130 Ctrl-C/SIGINT, 143 SIGTERM, 129 SIGHUP; workers are reaped, no traceback).
"""
from __future__ import annotations

import io
import os
import sys

import click

from charter import __version__
from charter.stopping import Stopped, stop_on_signals

EXIT_OUTPUT = 3  # could not write the output


class OutputError(Exception):
    """Writing to stdout failed (not an OSError, so click's own EPIPE handling, which exits 1
    as if errors were found, never sees it)."""


class _GuardedStdout(io.RawIOBase):
    """File descriptor 1 whose write failures raise OutputError; ``closed_reason`` when the
    process was started with stdout closed."""

    def __init__(self, closed_reason: str | None = None):
        super().__init__()
        self.closed_reason = closed_reason
        self.discard = False  # once a write failed: drop the rest (nothing more to report)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        if self.closed_reason:
            raise io.UnsupportedOperation(self.closed_reason)
        return 1

    def isatty(self) -> bool:
        return not self.closed_reason and os.isatty(1)

    def write(self, data) -> int:
        if self.discard:
            return len(data)
        if self.closed_reason:
            raise OutputError(self.closed_reason)
        try:
            return os.write(1, data)
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from None


def _guard_streams() -> bool:
    """Route the real stdout through _GuardedStdout, and make both streams print what their
    encoding cannot (PYTHONIOENCODING=latin-1) as backslash escapes instead of failing.
    Leaves a stdout that is not the process's own (click's CliRunner, pytest) alone."""
    if sys.stderr is None:  # stderr closed: keep fd 2 from being reused by a file we open
        _devnull_onto(2)
    elif hasattr(sys.stderr, "reconfigure"):
        sys.stderr.reconfigure(errors="backslashreplace")
    if sys.stdout is None and sys.__stdout__ is None:
        _devnull_onto(1)  # keep fd 1 from being reused by a file we open
        raw, encoding, line_buffering = _GuardedStdout("stdout is closed"), "utf-8", False
    elif sys.stdout is not None and sys.stdout is sys.__stdout__:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        raw = _GuardedStdout()
        encoding, line_buffering = sys.stdout.encoding, sys.stdout.line_buffering
    else:
        return False
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(raw), encoding=encoding,
                                  errors="backslashreplace", line_buffering=line_buffering)
    return True


def _devnull_onto(fd: int) -> None:
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    except OSError:
        pass


def _say(message: str) -> None:
    """One line on stderr; if stderr itself is broken, nothing (the exit code still tells)."""
    try:
        sys.stderr.write(f"charter: {message}\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - a broken stderr must not become a traceback
        _devnull_onto(2)


def _output_failed(reason: object) -> int:
    """Python's advice for a broken pipe: point stdout at devnull so that the flush at exit
    cannot fail again; then say what happened once."""
    _devnull_onto(1)
    raw = getattr(getattr(sys.stdout, "buffer", None), "raw", None)
    if isinstance(raw, _GuardedStdout):
        raw.discard = True
    _say(f"could not write the output: {reason}")
    return EXIT_OUTPUT


class _Charter(click.Group):
    """The command group, with output errors and stopping signals turned into exit codes."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):  # type: ignore[override]
        if not standalone_mode or not _guard_streams():
            return super().main(*args, standalone_mode=standalone_mode, **kwargs)
        code: object = 0
        try:
            with stop_on_signals():  # Ctrl-C, SIGTERM, SIGHUP: one line and 128+N, any command
                super().main(*args, standalone_mode=True, **kwargs)
        except SystemExit as exit_:
            code = exit_.code
        except OutputError as exc:
            code = _output_failed(exc)
        except Stopped as stop:
            _say(f"stopped by {stop.name}; the output is incomplete")
            code = stop.exit_code
        try:
            sys.stdout.flush()
        except OutputError as exc:
            if code != EXIT_OUTPUT:
                code = _output_failed(exc)
        except (OSError, ValueError):
            _devnull_onto(1)
        sys.exit(code)


@click.group(cls=_Charter, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="charter")
def main() -> None:
    """charter: compile and check partner programs written as code."""


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=True, readable=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]),
              default="text", show_default=True,
              help="How to print diagnostics: text, json, sarif (SARIF 2.1.0 for code"
                   " scanning) or github (workflow commands that annotate a pull request).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check(paths: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Check .charter files (folders are searched recursively)."""
    from charter.discovery import find_some
    from charter.recheck import checked

    _check_today()
    files, unlisted = find_some(paths)
    report = checked(files, fmt, strict, color=sys.stdout.isatty(), unlisted=unlisted)
    if report.stdout:
        click.echo(report.stdout, nl=False)
    if report.stderr:
        click.echo(report.stderr, nl=False, err=True)
    sys.exit(report.exit_code)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def policies(fmt: str) -> None:
    """List the policies: code, name, title and default severity."""
    import json

    from charter.policies import all_policies

    rows = [{"code": p.code, "name": p.name, "title": p.title, "severity": p.severity.value}
            for p in all_policies()]
    if fmt == "json":
        click.echo(json.dumps({"policies": rows}, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['code']}  {row['name']:<22} {row['severity']:<8} {row['title']}")


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain a policy (CH-P001 or its name) or a diagnostic code (CH-E109)."""
    from charter.codes import CODES
    from charter.policies import all_policies, find
    from charter.policies.docs import explain_text
    from charter.view import suggest

    policy = find(code)
    if policy is not None:
        click.echo(explain_text(policy), nl=False)
        return
    entry = CODES.get(code.upper())
    if entry is not None:
        click.echo(f"{entry.code}: {entry.title}\n\n{entry.explanation}")
        return
    known = [p.code for p in all_policies()] + [p.name for p in all_policies()] + list(CODES)
    hint = suggest(code, known)
    raise click.UsageError(f"no policy or code `{code}`" + (f"; {hint[0]}" if hint else ""))


@main.command()
@click.argument("program", type=click.Path(exists=True, dir_okay=False))
@click.argument("request", required=False, type=click.Path(exists=True, dir_okay=False,
                                                           allow_dash=True))
@click.option("--batch", type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help="A JSON Lines file of requests (`-` for stdin); one response per line.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default=None,
              help="text: a readable breakdown (default); json: the response contract."
                   " --batch always writes JSON.")
@click.option("--locale", help="Locale for text output (default: the program's first).")
@click.option("--view", type=click.Choice(["internal", "partner"]), default="internal",
              show_default=True,
              help="partner: leave out everything internal (COGS, vendor margin, the margin"
                   " line, internal walk reasons); safe to show the partner.")
def quote(program: str, request: str | None, batch: str | None, fmt: str | None,
          locale: str | None, view: str) -> None:
    """Quote a deal (REQUEST.json) or a batch of deals against PROGRAM."""
    from charter.quoting import load_program, quote_batch, quote_one

    if (request is None) == (batch is None):
        raise click.UsageError("give either REQUEST.json or --batch REQUESTS.jsonl")
    if batch is not None and fmt == "text":
        raise click.UsageError("--batch writes JSON lines; drop --format text")
    if locale is not None:
        _check_locale(locale)
    _check_today()
    compiled = load_program(program)
    if batch is not None:
        sys.exit(quote_batch(compiled, batch, view))
    sys.exit(quote_one(compiled, request, fmt or "text", locale, view))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True, readable=True))
@click.option("--out", type=click.Path(file_okay=False), help="Output folder.")
@click.option("--target", "target_names", help="Comma-separated targets (default: all).")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 listing each file that is stale or missing.")
@click.option("--provenance", is_flag=True, help="Add each value's source file and line.")
@click.option("--stamp", help="A build time to record in config.json (default: none, so"
                               " builds are byte-identical).")
@click.option("--list-targets", is_flag=True, help="List the targets and exit.")
def build(paths: tuple[str, ...], out: str | None, target_names: str | None, check_only: bool,
          provenance: bool, stamp: str | None, list_targets: bool) -> None:
    """Build configs, schemas, docs and fixtures for every concrete program under PATHS."""
    from charter.building import run_build

    _check_today()
    sys.exit(run_build(paths, out, target_names, check_only, provenance, stamp, list_targets))


@main.command()
@click.argument("name")
@click.option("--from", "base", type=click.Path(exists=True, dir_okay=False),
              help="An abstract base program to extend (relative `extends:`); default: a"
                   " self-contained program with the two-channel shape.")
@click.option("--currency", default="USD", show_default=True,
              help="The program's currency: USD, EUR, GBP, SGD, AUD, MYR, INR, JPY or IDR.")
@click.option("--dir", "folder", default=".", type=click.Path(file_okay=False),
              help="Folder to write NAME.charter in (default: the current folder).")
@click.option("--force", is_flag=True, help="Overwrite an existing NAME.charter.")
def init(name: str, base: str | None, currency: str, folder: str, force: bool) -> None:
    """Scaffold NAME.charter from the reusable two-channel shape; it checks clean as created."""
    from charter import clock
    from charter.scaffold import run_init

    _check_today()
    sys.exit(run_init(name, base, currency, folder, force, clock.today().year))


@main.command("fmt")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=True, readable=True))
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; list the files that would change (exit 1 if any).")
@click.option("--diff", "show_diff", is_flag=True,
              help="Write nothing; print the changes as a unified diff.")
def fmt_command(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> None:
    """Lay .charter files out canonically (folders are searched recursively)."""
    from charter.fmt import run_fmt

    sys.exit(run_fmt(paths, check_only, show_diff))


@main.command("diff")
@click.argument("files", nargs=-1)
@click.option("--git", "rev", metavar="REV",
              help="Compare the working tree with git revision REV (FILES: paths to search,"
                   " default the current folder); programs are matched by id.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json", "text", "github"]),
              default="markdown", show_default=True,
              help="markdown: a pull-request comment; json; text; github: annotations.")
@click.option("--view", type=click.Choice(["internal", "partner"]), default="internal",
              show_default=True,
              help="partner: diff the partner projection; nothing internal is shown.")
@click.option("--fail-on", type=click.Choice(["partner-unfavourable", "vendor-risk", "any"]),
              help="Exit 1 when a change of this class is present (for CI).")
def diff_command(files: tuple[str, ...], rev: str | None, fmt: str, view: str,
                 fail_on: str | None) -> None:
    """Semantic diff of programs: OLD NEW, or --git REV [PATH...] (docs/diff.md)."""
    from charter.semdiff.command import run_diff

    _check_today()
    sys.exit(run_diff(files, rev, fmt, view, fail_on))


@main.command()
@click.argument("program", type=click.Path(exists=True, dir_okay=False))
@click.argument("deals", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="PAYOUTS.parquet or PAYOUTS.csv; decisions and rejects are written beside"
                   " it (PAYOUTS.decisions.parquet, PAYOUTS.rejects.parquet).")
@click.option("--input-format", "input_fmt", type=click.Choice(["csv", "parquet", "jsonl"]),
              help="The input's format (default: by its extension).")
@click.option("--memory-limit", default="2GB", show_default=True,
              help="DuckDB's memory limit; beyond it, DuckDB spills to --temp-dir.")
@click.option("--temp-dir", type=click.Path(file_okay=False),
              help="Where DuckDB spills (default: beside the output).")
@click.option("--threads", type=int, help="DuckDB threads (default: the CPUs).")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
def payouts(program: str, deals: str, out: str, input_fmt: str | None, memory_limit: str,
            temp_dir: str | None, threads: int | None, quiet: bool) -> None:
    """The commission run: every payout line of every deal in DEALS (CSV, Parquet or JSON
    Lines of quote requests), computed by PROGRAM's SQL in embedded DuckDB (docs/warehouse.md)."""
    from charter.quoting import open_input
    from charter.warehouse.command import run_payouts

    open_input(deals).close()  # DuckDB would wait forever on a FIFO, read a device endlessly
    _check_today()
    sys.exit(run_payouts(program, deals, out, input_fmt, memory_limit, temp_dir, threads,
                         quiet))


def _check_today() -> None:
    """CHARTER_TODAY, when set, must be a date: waiver expiry is judged against it."""
    import os

    from charter import clock

    try:
        clock.today()
    except ValueError:
        value = os.environ.get(clock.ENV)
        raise click.UsageError(f"{clock.ENV} must be a date YYYY-MM-DD, not `{value}`")


def _check_locale(locale: str) -> None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        raise click.UsageError(f"unknown locale `{locale}`; write e.g. id_ID or en_US")


if __name__ == "__main__":  # pragma: no cover
    main()
