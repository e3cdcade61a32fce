"""Hostile files: links out of the project, link loops, FIFOs, devices, huge files (issue 10).

Every file charter reads (named, found in a folder, or reached through `extends:`) is resolved
and must lie inside the project root (CH-E206, CH-E202 for `extends:`), be a regular file
(CH-E207) and fit the size limit (CH-E012), which is checked on a bounded read. Nothing of a
refused file is ever quoted.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import HEADER

SECRET = "s3cr3t-hostile-files-7f1c"

needs_posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX links/FIFOs")


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder (with a marker) as the working directory; a secret file beside it."""
    root = tmp_path / "proj"
    (root / "programs").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text(f"TOKEN={SECRET}\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def _check(*args: str):
    from charter.cli import main
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _codes(result) -> list[str]:
    return [d["code"] for d in json.loads(result.output)["diagnostics"]]


@needs_posix
@pytest.mark.parametrize("named", [False, True], ids=["folder-scan", "named"])
def test_link_out_of_the_project_is_refused_and_quotes_nothing(project, named):
    (project / "programs" / "leak.charter").symlink_to(project.parent / "secret.txt")
    target = "programs/leak.charter" if named else "programs/"
    text, as_json = _check(target), _check("--format", "json", target)
    assert text.exit_code == 1 and as_json.exit_code == 1
    assert "CH-E206" in text.output and _codes(as_json) == ["CH-E206"]
    assert SECRET not in text.output and SECRET not in as_json.output
    assert "TOKEN" not in text.output + as_json.output


@needs_posix
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_link_to_the_process_environment_prints_no_environment(project, monkeypatch):
    monkeypatch.setenv("CHARTER_TEST_SECRET", SECRET)
    (project / "programs" / "env.charter").symlink_to("/proc/self/environ")
    for fmt in ("text", "json"):
        result = _check("--format", fmt, "programs/")
        assert result.exit_code == 1 and "CH-E206" in result.output
        assert SECRET not in result.output and "CHARTER_TEST_SECRET" not in result.output


@needs_posix
def test_extends_through_a_link_out_of_the_project_quotes_nothing(project):
    (project / "programs" / "base.charter").symlink_to(project.parent / "secret.txt")
    (project / "programs" / "main.charter").write_text('extends: "base.charter"\n' + HEADER,
                                                       encoding="utf-8")
    result = _check("--format", "json", "programs/main.charter")
    assert result.exit_code == 1 and "CH-E202" in _codes(result)
    assert SECRET not in result.output


@needs_posix
def test_link_inside_the_project_still_works(project):
    from charter.api import check_paths
    real = project / "programs" / "real.charter"
    real.write_text(HEADER, encoding="utf-8")
    (project / "programs" / "alias.charter").symlink_to("real.charter")
    (project / "shared").mkdir()
    (project / "shared" / "other.charter").symlink_to("../programs/real.charter")
    direct = check_paths(["programs/real.charter"])
    for path in ("programs/alias.charter", "shared/other.charter"):
        linked = check_paths([path])
        assert linked.programs[path] is not None
        assert [d.code for d in linked.diagnostics] == [d.code for d in direct.diagnostics]
        assert not {"CH-E205", "CH-E206", "CH-E207"} & {d.code for d in linked.diagnostics}


@needs_posix
def test_link_loop_is_a_diagnostic_not_a_traceback(project):
    (project / "programs" / "loop.charter").symlink_to("loop.charter")
    (project / "programs" / "a.charter").symlink_to("b.charter")
    (project / "programs" / "b.charter").symlink_to("a.charter")
    (project / "programs" / "main.charter").write_text('extends: "loop.charter"\n' + HEADER,
                                                       encoding="utf-8")
    for target in ("programs/", "programs/main.charter"):
        result = _check("--format", "json", target)
        assert result.exit_code == 1, target
        assert "CH-E205" in _codes(result), target
    named = _check("programs/loop.charter")  # the CLI refuses a name that leads nowhere
    assert named.exit_code == 2 and "Traceback" not in named.output
    from charter.api import check_paths
    assert [d.code for d in check_paths(["programs/a.charter"]).diagnostics] == ["CH-E205"]


@needs_posix
def test_fifo_named_on_the_command_line_returns_promptly(project):
    fifo = project / "programs" / "pipe.charter"
    os.mkfifo(fifo)
    (project / "programs" / "link.charter").symlink_to("pipe.charter")
    for target in ("programs/pipe.charter", "programs/link.charter", "programs/"):
        done = subprocess.run([sys.executable, "-m", "charter", "check", "--format", "json",
                               target], capture_output=True, text=True, timeout=30,
                              cwd=project, stdin=subprocess.DEVNULL)
        assert done.returncode == 1, done.stderr
        assert "CH-E207" in [d["code"] for d in json.loads(done.stdout)["diagnostics"]]


@needs_posix
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_devices_are_refused_without_reading(project, monkeypatch):
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    (project / "programs" / "zero.charter").symlink_to("/dev/zero")
    result = _check("--format", "json", "/dev/zero")
    assert result.exit_code == 1 and _codes(result) == ["CH-E207"]
    result = _check("--format", "json", "programs/zero.charter")  # a link out: refused first
    assert result.exit_code == 1 and _codes(result) == ["CH-E206"]
    assert reads == []


def test_huge_sparse_file_is_refused_after_a_bounded_read(project, monkeypatch):
    from charter.parser import MAX_BYTES
    huge = project / "programs" / "huge.charter"
    with open(huge, "wb") as out:
        out.truncate(100 * 1024 * 1024)  # sparse: 100 MB of NULs, no disk used
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    result = _check("--format", "json", "programs/huge.charter")
    assert result.exit_code == 1 and _codes(result) == ["CH-E012"]
    assert 0 < sum(reads) <= MAX_BYTES + 1



def test_no_file_outside_the_project_is_ever_opened(project):
    """An audit hook sees every `open`: scanning a project whose links and `extends:` lead
    out of it never opens the files outside (nor anything through the links)."""
    outside = project.parent / "outside"
    outside.mkdir()
    (outside / "base.charter").write_text(HEADER.replace("program t", "program b"),
                                          encoding="utf-8")
    (project / "programs" / "leak.charter").symlink_to(project.parent / "secret.txt")
    (project / "programs" / "far.charter").symlink_to(outside / "base.charter")
    (project / "programs" / "child.charter").write_text(
        HEADER + "extends: \"../../outside/base.charter\"\n", encoding="utf-8")
    (project / "programs" / "ok.charter").write_text(HEADER, encoding="utf-8")
    opened: list[str] = []

    def hook(event: str, args: tuple) -> None:
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(os.path.realpath(os.fsdecode(args[0])))
    sys.addaudithook(hook)   # hooks cannot be removed: it only records, and only paths
    start = len(opened)
    from charter.api import check_paths

    result = check_paths([project / "programs"])
    seen = opened[start:]
    forbidden = [str(project.parent / "secret.txt"), str(outside / "base.charter")]
    assert not [p for p in seen if p in forbidden], seen
    assert {d.code for d in result.errors} >= {"CH-E206", "CH-E202"}
    assert str(project / "programs" / "ok.charter") in seen   # the hook does see opens
