"""`charter build`: atomic writes, `--check`, failing programs, the target registry.

These tests register small targets of their own, so they test the build machinery apart from
what the real targets write (tests/test_target_*.py test those).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import charter.targets
from charter.targets import Target

from conftest import PROGRAMS


def _echo(ctx) -> dict[str, bytes]:
    header = ctx.program.header
    return {"echo.json": (json.dumps({"id": header.id, "title": header.title}) + "\n").encode(),
            "nested/channels.txt": "\n".join(c.name for c in ctx.program.channels).encode()}


ECHO = Target("echo", "the program's id and channels", "machines", _echo)
SHARED = Target("shared", "one file for all programs", "machines",
                lambda ctx: {"shared.txt": b"same for all\n"}, shared=True)


@pytest.fixture
def registry(monkeypatch):
    """Only the test targets are registered."""
    found = {"echo": ECHO, "shared": SHARED}
    monkeypatch.setattr(charter.targets, "targets", lambda: dict(found))
    return found


def run(*args):
    from charter.cli import main
    return CliRunner().invoke(main, ["build", *map(str, args)])


def project(tmp_path: Path) -> Path:
    """A copy of the bundled programs (so a test may break one)."""
    root = tmp_path / "project"
    (root / "programs" / "base").mkdir(parents=True)
    (root / "charter.toml").write_text("", encoding="utf-8")
    for path in PROGRAMS.rglob("*.charter"):
        target = root / "programs" / path.relative_to(PROGRAMS)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return root / "programs"


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_concrete_programs_are_built_and_abstract_bases_are_not(registry, tmp_path):
    out = tmp_path / "out"
    result = run(PROGRAMS, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(tree(out)) == [
        "ejourney/echo.json", "ejourney/nested/channels.txt", "elision/echo.json",
        "elision/nested/channels.txt", "practice/echo.json", "practice/nested/channels.txt",
        "saas_reseller/echo.json",
        "saas_reseller/nested/channels.txt", "schema/shared.txt"]
    assert "built 4 program(s), 9 file(s)" in result.output
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left over


def test_two_builds_are_byte_identical(registry, tmp_path):
    run(PROGRAMS, "--out", tmp_path / "a")
    run(PROGRAMS, "--out", tmp_path / "b")
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_a_program_with_errors_writes_nothing_and_keeps_its_old_output(registry, tmp_path):
    programs, out = project(tmp_path), tmp_path / "out"
    assert run(programs, "--out", out).exit_code == 0
    before = tree(out)
    broken = programs / "saas-reseller.charter"
    broken.write_text(broken.read_text(encoding="utf-8").replace("margin: 25%", "margin: 25"),
                      encoding="utf-8")
    result = run(programs, "--out", out)
    assert result.exit_code == 1
    assert "saas-reseller.charter: not built: the program has errors" in result.output
    assert tree(out)["saas_reseller/echo.json"] == before["saas_reseller/echo.json"]


def test_a_failing_target_is_an_internal_error_and_writes_nothing(registry, tmp_path):
    out = tmp_path / "out"
    assert run(PROGRAMS, "--out", out).exit_code == 0
    before = tree(out)

    def explode(ctx):
        if ctx.program.header.id == "saas_reseller":
            raise KeyError("boom")
        return _echo(ctx)
    registry["echo"] = Target("echo", "", "machines", explode)
    result = run(PROGRAMS, "--out", out)
    assert result.exit_code == 1 and "internal error in target `echo`" in result.output
    assert "Traceback" not in result.output
    assert tree(out) == before                    # not half-written: nothing changed


def test_check_lists_stale_missing_and_extra_files(registry, tmp_path):
    out = tmp_path / "out"
    run(PROGRAMS, "--out", out)
    assert run(PROGRAMS, "--out", out, "--check").exit_code == 0
    (out / "ejourney" / "echo.json").write_text("{}\n", encoding="utf-8")
    (out / "elision" / "nested" / "channels.txt").unlink()
    (out / "saas_reseller" / "left-over.txt").write_text("x", encoding="utf-8")
    before = tree(out)
    result = run(PROGRAMS, "--out", out, "--check")
    assert result.exit_code == 1
    for name, why in (("ejourney/echo.json", "differs"),
                      ("elision/nested/channels.txt", "missing"),
                      ("saas_reseller/left-over.txt", "not built by any program or target")):
        assert f"{out}/{name}: {why}" in result.output
    assert tree(out) == before                    # --check writes nothing


def test_targets_are_chosen_by_name(registry, tmp_path):
    out = tmp_path / "out"
    assert run(PROGRAMS, "--out", out, "--target", "shared").exit_code == 0
    assert sorted(tree(out)) == ["schema/shared.txt"]
    result = run(PROGRAMS, "--out", out, "--target", "ech")
    assert result.exit_code == 2 and "unknown target `ech`" in result.output


def test_list_targets_names_every_registered_target(registry):
    result = run("--list-targets")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == ["echo", "shared"]


def test_out_is_required(registry):
    result = run(PROGRAMS)
    assert result.exit_code == 2 and "--out" in result.output


def test_the_repository_compiled_folder_is_current(monkeypatch):
    """`compiled/` holds the bundled programs' outputs, as a reviewer sees them in a pull
    request; `charter build --check` keeps it honest, on any day (no output depends on the
    date unless the build is stamped): `charter build programs/ --out compiled/`."""
    from conftest import REPO

    for today in ("2026-11-23", "2027-12-31"):
        monkeypatch.setenv("CHARTER_TODAY", today)
        result = run(PROGRAMS, "--out", REPO / "compiled", "--check")
        assert result.exit_code == 0, result.output


def test_stamp_is_recorded_only_when_asked(tmp_path):
    import jsonschema

    from charter.targets.config_schema import config_schema_for

    run(PROGRAMS, "--out", tmp_path / "plain", "--target", "config")
    run(PROGRAMS, "--out", tmp_path / "stamped", "--target", "config",
        "--stamp", "2026-11-28T12:00Z")
    plain = json.loads((tmp_path / "plain" / "ejourney" / "config.json").read_text("utf-8"))
    stamped = json.loads((tmp_path / "stamped" / "ejourney" / "config.json").read_text("utf-8"))
    assert "stamp" not in plain and stamped["stamp"] == "2026-11-28T12:00Z"
    assert list(stamped)[:3] == ["$schema", "schema_version", "stamp"]
    jsonschema.Draft202012Validator(config_schema_for("config")).validate(stamped)
    assert {k: v for k, v in stamped.items() if k != "stamp"} == plain


def test_nothing_to_build_is_a_usage_error(registry, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(empty, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "no .charter files found" in result.output
    result = run(PROGRAMS / "base", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "abstract base" in result.output
    assert not (tmp_path / "out").exists()


def test_a_partial_build_keeps_the_other_targets_files(registry, tmp_path):
    out = tmp_path / "out"
    run(PROGRAMS, "--out", out)
    before = tree(out)
    (out / "ejourney" / "echo.json").write_text("{}\n", encoding="utf-8")
    assert run(PROGRAMS, "--out", out, "--target", "echo").exit_code == 0
    assert tree(out) == before                    # echo rebuilt; shared.txt kept
    (out / "schema" / "shared.txt").write_text("old\n", encoding="utf-8")
    result = run(PROGRAMS, "--out", out, "--target", "echo", "--check")
    assert result.exit_code == 0, result.output   # a partial check judges its own files only


def test_a_removed_program_folder_is_reported_by_check(registry, tmp_path):
    out = tmp_path / "out"
    run(PROGRAMS, "--out", out)
    (out / "renamed_long_ago").mkdir()
    (out / "renamed_long_ago" / "echo.json").write_text("{}\n", encoding="utf-8")
    result = run(PROGRAMS, "--out", out, "--check")
    assert result.exit_code == 1
    assert "renamed_long_ago/echo.json: not built by any program or target" in result.output


def test_program_ids_must_be_unique_and_not_reserved(registry, tmp_path):
    root = tmp_path / "programs"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (tmp_path / "charter.toml").write_text("", encoding="utf-8")
    text = 'program acme {\n    title: "A"\n    currency: USD\n    status: draft\n}\n'
    (root / "a" / "acme.charter").write_text(text, encoding="utf-8")
    (root / "b" / "acme.charter").write_text(text, encoding="utf-8")
    (root / "schema.charter").write_text(text.replace("acme", "schema"), encoding="utf-8")
    result = run(root, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "program id `acme` is also" in result.output
    assert "program id `schema` is the shared schema folder's name" in result.output
    assert not (tmp_path / "out").exists()


def test_an_unwritable_output_is_an_error_not_a_traceback(registry, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("", encoding="utf-8")
    result = run(PROGRAMS, "--out", blocker / "sub")
    assert result.exit_code == 1 and "cannot write to" in result.output
    assert "Traceback" not in result.output


def test_an_empty_target_list_is_a_usage_error(registry, tmp_path):
    result = run(PROGRAMS, "--out", tmp_path / "out", "--target", "")
    assert result.exit_code == 2 and "names no target" in result.output


def test_a_target_that_refuses_a_program_is_reported_and_the_rest_is_built(registry, tmp_path):
    """A target that cannot build a program faithfully (the SQL target, say) declines it by
    name: its reasons on stderr, the other targets' files written, none of its own; exit 1
    when the target was asked for by name, 0 (a warning) when building every target."""
    from charter.targets.base import TargetRefused

    def refuse(ctx):
        if ctx.program.header.id == "ejourney":
            raise TargetRefused(["`influenced_rate` is not computed"])
        return {"made.txt": b"made\n"}

    registry["picky"] = Target("picky", "declines ejourney", "machines", refuse)
    out = tmp_path / "out"
    result = run(project(tmp_path), "--out", out, "--target", "echo,picky")
    assert result.exit_code == 1
    assert ("error: ejourney: target `picky` not built: `influenced_rate` is not computed"
            in result.output)
    assert (out / "ejourney" / "echo.json").is_file()
    assert not (out / "ejourney" / "made.txt").exists()
    assert (out / "saas_reseller" / "made.txt").is_file()


def test_a_refusal_is_a_warning_when_every_target_is_built(registry, tmp_path):
    from charter.targets.base import TargetRefused

    def refuse(ctx):
        raise TargetRefused(["not expressible"])

    registry["picky"] = Target("picky", "declines everything", "machines", refuse)
    result = run(project(tmp_path), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "warning: ejourney: target `picky` not built: not expressible" in result.output


# ---- links in the output folder: never written or deleted through -------------------------

def _victim(tmp_path: Path) -> Path:
    """A folder outside the output, holding files a build must never touch."""
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "important.txt").write_text("keep me\n", encoding="utf-8")
    (victim / "sub" / "thesis.doc").write_text("years of work\n", encoding="utf-8")
    return victim


def _untouched(victim: Path) -> bool:
    return tree(victim) == {"important.txt": b"keep me\n", "sub/thesis.doc": b"years of work\n"}


@pytest.mark.parametrize("check", [False, True], ids=["build", "check"])
def test_a_program_folder_that_is_a_link_is_refused_and_its_target_untouched(registry, tmp_path,
                                                                             check):
    """A repository may commit `compiled/<id>` as a link: the build followed it, wrote into
    the link's target and deleted every file there it had not made."""
    victim = _victim(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "elision").symlink_to(victim, target_is_directory=True)
    result = run(project(tmp_path) / "elision.charter", "--out", out, *(["--check"] if check else []))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert _untouched(victim)
    assert "is a symbolic link" in result.output and "nothing was written" in result.output
    assert [line for line in result.output.splitlines() if "symbolic link" in line] == \
        [line for line in result.output.splitlines() if line.startswith("charter:")]
    assert (out / "elision").is_symlink() and not (out / "schema").exists()


def test_a_link_deeper_in_a_program_folder_is_refused(registry, tmp_path):
    victim, program = _victim(tmp_path), project(tmp_path) / "elision.charter"
    out = tmp_path / "out"
    run(program, "--out", out)
    (out / "elision" / "nested").rename(tmp_path / "moved")
    (out / "elision" / "nested").symlink_to(victim, target_is_directory=True)
    (out / "elision" / "echo.json").unlink()
    (out / "elision" / "echo.json").symlink_to(victim / "important.txt")
    result = run(program, "--out", out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "symbolic link" in result.output and _untouched(victim)


def test_an_output_folder_that_is_a_link_is_refused(registry, tmp_path):
    """`--out` naming a link is refused too (a repository can commit `compiled` as a link to
    a home folder); name the real folder to build there."""
    victim, program = _victim(tmp_path), project(tmp_path) / "elision.charter"
    (tmp_path / "out").symlink_to(victim, target_is_directory=True)
    result = run(program, "--out", tmp_path / "out")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "output folder" in result.output and "symbolic link" in result.output
    assert _untouched(victim)
    assert run(program, "--out", victim).exit_code == 0


def test_a_file_name_with_escape_sequences_is_printed_neutralised(registry, tmp_path):
    """`{path}: not built` printed the name raw: a name can clear the screen or retitle the
    terminal (click strips only colour codes, and only when not writing to a terminal)."""
    programs = project(tmp_path)
    name = "evil\x1b]0;pwned\x07\x1b[2J.charter"
    (programs / name).write_text("program evil {\n", encoding="utf-8")
    from charter.cli import main
    result = CliRunner().invoke(main, ["build", str(programs), "--out", str(tmp_path / "out")],
                                color=True)
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "evil\\x1b]0;pwned\\x07\\x1b[2J.charter: not built" in result.output


# ---- links swapped in after the check, during the writes: never followed either ---------

def _built(tmp_path: Path) -> tuple[Path, Path, Path]:
    """elision built into ``out`` (a stale file added, so the build has something to
    delete), a victim folder outside it, and the program."""
    victim, program = _victim(tmp_path), project(tmp_path) / "elision.charter"
    out = tmp_path / "out"
    assert run(program, "--out", out).exit_code == 0
    (out / "elision" / "important.txt").write_text("stale\n", encoding="utf-8")
    return out, victim, program


def _swap(out: Path, name: str, victim: Path) -> None:
    """What another process can do at any moment: move ``out/name`` aside and put a link
    to ``victim`` in its place (``name`` "": ``out`` itself)."""
    where = out / name if name else out
    where.rename(out.parent / "moved")
    where.symlink_to(victim, target_is_directory=True)


@pytest.mark.parametrize("name", ["elision", "elision/nested", "schema"])
def test_a_folder_swapped_for_a_link_after_the_check_is_refused(registry, tmp_path,
                                                                monkeypatch, name):
    """The link check passed, then a folder of the output became a link to a folder
    outside it: the build wrote its files into the link's target and deleted every file
    there it had not made. Made deterministic by swapping right after the check."""
    import charter.build

    out, victim, program = _built(tmp_path)
    (out / "elision" / "echo.json").write_text("old\n", encoding="utf-8")  # to be rewritten
    check = charter.build.refuse_links

    def check_then_swap(*args) -> None:
        check(*args)
        _swap(out, name, victim)

    monkeypatch.setattr(charter.build, "refuse_links", check_then_swap)
    result = run(program, "--out", out)
    assert _untouched(victim), tree(victim)
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("charter:")]
    assert len(lines) == 1 and f"{out / name} is a symbolic link now" in lines[0], result.output
    assert "nothing was written or deleted through it" in lines[0]


def test_a_folder_swapped_for_a_link_while_stale_files_are_deleted(registry, tmp_path,
                                                                   monkeypatch):
    """The swap at the first deletion: the stale file's name was found in the real
    folder, then deleted by path, through the link, in the victim (which holds a file of
    the same name)."""
    out, victim, program = _built(tmp_path)
    unlink, swapped = os.unlink, []

    def swap_then_unlink(*args, **kwargs) -> None:
        if not swapped:
            swapped.append(_swap(out, "elision", victim))
        unlink(*args, **kwargs)

    monkeypatch.setattr(os, "unlink", swap_then_unlink)
    result = run(program, "--out", out)
    assert swapped and _untouched(victim), tree(victim)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{out / 'elision'} is a symbolic link now" in result.output
    assert not (tmp_path / "moved" / "important.txt").exists()  # deleted where it was found


def test_an_output_folder_swapped_for_a_link_after_the_check_is_not_followed(
        registry, tmp_path, monkeypatch):
    """`--out` itself swapped after it was opened and locked: the build writes into the
    folder it locked and checked (now moved), never into the link's target."""
    import charter.build

    out, victim, program = _built(tmp_path)
    (out / "elision" / "echo.json").unlink()
    check = charter.build.refuse_links

    def check_then_swap(*args) -> None:
        check(*args)
        _swap(out, "", victim)

    monkeypatch.setattr(charter.build, "refuse_links", check_then_swap)
    assert run(program, "--out", out).exit_code == 0
    assert _untouched(victim), tree(victim)
    assert (tmp_path / "moved" / "elision" / "echo.json").is_file()
    assert not (tmp_path / "moved" / "elision" / "important.txt").exists()


def test_a_file_where_the_build_makes_a_folder_cannot_be_written(registry, tmp_path):
    out, _, program = _built(tmp_path)
    (out / "elision" / "nested" / "channels.txt").unlink()
    (out / "elision" / "nested").rmdir()
    (out / "elision" / "nested").write_text("a file\n", encoding="utf-8")
    result = run(program, "--out", out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot write to" in result.output


def test_stale_files_and_emptied_folders_are_removed_but_other_folders_kept(registry,
                                                                            tmp_path):
    out, _, program = _built(tmp_path)
    (out / "elision" / "old" / "deeper").mkdir(parents=True)
    (out / "elision" / "old" / "deeper" / "stale.txt").write_text("x", encoding="utf-8")
    (out / "elision" / ".charter-tmp-0123").write_text("killed", encoding="utf-8")
    (out / "orphan").mkdir()
    (out / "orphan" / "keep.txt").write_text("a user's", encoding="utf-8")
    assert run(program, "--out", out).exit_code == 0
    assert sorted(tree(out / "elision")) == ["echo.json", "nested/channels.txt"]
    assert not (out / "elision" / "old").exists()
    assert (out / "orphan" / "keep.txt").read_text(encoding="utf-8") == "a user's"


def test_a_build_of_clashing_ids_says_it_built_nothing(tmp_path):
    """It said "built 1 program(s), 56 file(s)" though nothing was written."""
    from charter.cli import main

    text = (PROGRAMS / "saas-reseller.charter").read_text(encoding="utf-8")
    (tmp_path / "a.charter").write_text(text, encoding="utf-8")
    (tmp_path / "b.charter").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "a.charter"),
                                       str(tmp_path / "b.charter"), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.rstrip().endswith(f"built nothing in {tmp_path / 'out'}")
    assert "abstract" not in result.output and not (tmp_path / "out").exists()


def test_init_refuses_the_shared_folders_name(tmp_path):
    from charter.cli import main

    result = CliRunner().invoke(main, ["init", "schema", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and "shared folder" in result.output
