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
    out of it never opens the files outside (nor anything through the links). The loader
    opens a file by its name relative to its folder's descriptor (`charter.confined`), which
    the hook does not see, so a relative name is recorded as it is."""
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
            name = os.fsdecode(args[0])
            opened.append(os.path.realpath(name) if os.path.isabs(name) else name)
    sys.addaudithook(hook)   # hooks cannot be removed: it only records, and only paths
    start = len(opened)
    from charter.api import check_paths

    result = check_paths([project / "programs"])
    seen = opened[start:]
    forbidden = [str(project.parent / "secret.txt"), str(outside / "base.charter"),
                 "secret.txt", "base.charter", "outside"]
    assert not [p for p in seen if p in forbidden], seen
    assert {d.code for d in result.errors} >= {"CH-E206", "CH-E202"}
    assert "ok.charter" in seen and str(project) in seen   # the hook does see opens


@needs_posix
@pytest.mark.parametrize("swapped", ["folder", "file"])
def test_a_link_swapped_in_after_the_check_is_not_followed(project, monkeypatch, swapped):
    """The race an adversarial review found (2 leaks in 3,000 checks while another process
    swapped `real_sub` for a link to `../secret` in a loop), made certain: the swap happens
    right after the confinement check returns. The file is then opened from the project
    root without following links (`charter.confined`), so the link is refused (CH-E205),
    and nothing of the outside file is read or printed."""
    from charter import loader

    sub = project / "programs" / "real_sub"
    sub.mkdir()
    (sub / "p.charter").write_text(HEADER, encoding="utf-8")
    secret = project.parent / "secret"
    secret.mkdir()
    (secret / "p.charter").write_text(f"TOKEN={SECRET}\n", encoding="utf-8")
    moved, link = (sub, "../../secret") if swapped == "folder" else \
        (sub / "p.charter", "../../../secret/p.charter")
    checked = loader._inside

    def check_then_swap(target: Path, root: Path) -> bool:
        inside = checked(target, root)
        if not moved.is_symlink():
            moved.rename(moved.with_name("was_" + moved.name))
            moved.symlink_to(link)
        return inside

    monkeypatch.setattr(loader, "_inside", check_then_swap)
    result = _check("--format", "json", "programs/real_sub/p.charter")
    assert moved.is_symlink() and result.exit_code == 1
    assert _codes(result) == ["CH-E205"]
    assert "path changed while it was being read" in result.output
    assert SECRET not in result.output and "TOKEN" not in result.output


# ---- odd trees and processes: each a diagnostic or a clean result, never a traceback ------------

def _good(project: Path) -> Path:
    from conftest import PROGRAMS
    path = project / "programs" / "ok.charter"
    path.write_text((PROGRAMS / "elision.charter").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_a_folder_tree_1200_deep_is_walked_without_recursion(project):
    """`Path.rglob` recursed once per level and overflowed Python's stack at ~1,000."""
    folder = project / "programs"
    deep = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(1200):  # relative to a descriptor: the whole path would pass PATH_MAX
            os.mkdir("x", dir_fd=deep)
            inner = os.open("x", os.O_RDONLY, dir_fd=deep)
            os.close(deep)
            deep = inner
        fd = os.open("p.charter", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=deep)
        os.write(fd, b"program p {\n")  # a syntax error, so finding it shows in the result
        os.close(fd)
    finally:
        os.close(deep)
    try:
        result = _check("--format", "json", "programs")
        assert result.exit_code == 1 and "CH-E003" in _codes(result)
    finally:
        _remove_deep(folder / "x")


def _remove_deep(top: Path) -> None:
    """Remove a tree too deep for `shutil.rmtree` (recursive; pytest cleans tmp_path with
    it), bottom up through descriptors."""
    fds = [os.open(top.parent, os.O_RDONLY)]
    while "x" in os.listdir(fds[-1]):
        fds.append(os.open("x", os.O_RDONLY, dir_fd=fds[-1]))
    for name in os.listdir(fds[-1]):
        os.unlink(name, dir_fd=fds[-1])
    while len(fds) > 1:
        os.close(fds.pop())
        os.rmdir("x", dir_fd=fds[-1])
    os.close(fds[0])


@needs_posix
@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0,
                    reason="drops to the `nobody` user, which needs root")
def test_an_unreadable_base_is_a_diagnostic_as_a_non_root_user(project, tmp_path):
    """Root reads any file; a real user gets EACCES on a base only its owner may read."""
    import pwd
    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no `nobody` user")
    base = project / "programs" / "base.charter"
    base.write_text(HEADER + "channel A { model: referral; owner: vendor }\n", encoding="utf-8")
    base.chmod(0o600)
    child = project / "programs" / "child.charter"
    child.write_text('extends: "base.charter"\n', encoding="utf-8")
    for folder in (tmp_path, project, project / "programs"):
        folder.chmod(0o755)
    env = {**os.environ, "CHARTER_NO_CACHE": "1"}
    try:
        subprocess.run([sys.executable, "-c", "import charter"], user=nobody, cwd="/",
                       env=env, check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("`nobody` cannot run this Python (it lives in a private folder)")
    done = subprocess.run([sys.executable, "-m", "charter.cli", "check", str(child)],
                          capture_output=True, text=True, env=env, cwd="/",
                          user=nobody, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "Permission denied" in done.stdout and "CH-E2" in done.stdout


@needs_posix
def test_a_deleted_working_directory_is_not_a_traceback(project, tmp_path):
    path = _good(project)
    gone = tmp_path / "gone"
    gone.mkdir()
    script = ("import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]);"
              "from charter.cli import main; sys.argv = ['charter', 'check', sys.argv[2]]; main()")
    done = subprocess.run([sys.executable, "-c", script, str(gone), str(path)],
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0 and "0 errors" in done.stdout + done.stderr


def test_a_300_character_file_name_is_one_clear_line(project):
    name = "p" * 300 + ".charter"
    result = _check(name)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.count("Error:") == 1


def test_an_unreadable_base_is_a_diagnostic(project, monkeypatch):
    """The same as the test above, for machines where only root runs the suite: the base's
    open fails with EACCES as it would for a user without read permission."""
    import errno

    base = project / "programs" / "base.charter"
    base.write_text(HEADER + "channel A { model: referral; owner: vendor }\n", encoding="utf-8")
    (project / "programs" / "child.charter").write_text('extends: "base.charter"\n',
                                                        encoding="utf-8")
    real_open = os.open

    def deny(path, *args, **kwargs):
        if str(path).endswith("base.charter"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    result = _check("programs/child.charter")
    assert result.exit_code == 1 and "Permission denied" in result.output
    assert "CH-E20" in result.output and result.output.count("error[") == 1


# ---- a folder that cannot be listed: an error, never a silent pass ------------------------------

@pytest.fixture
def unlistable(project, monkeypatch) -> Path:
    """`programs/sub/` holds a failing program and cannot be listed (EACCES), as for a user
    without read permission on it (root reads any folder, so the listing is refused here)."""
    import errno

    _good(project)
    sub = project / "programs" / "sub"
    sub.mkdir()
    (sub / "bad.charter").write_text("program p {\n", encoding="utf-8")
    real_scandir = os.scandir

    def deny(path=".", *args, **kwargs):  # a folder descriptor (the build's walk) passes
        if not isinstance(path, int) and os.path.basename(os.fspath(path).rstrip("/")) == "sub":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return real_scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", deny)
    return sub


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_folder_that_cannot_be_listed_fails_the_check(unlistable, fmt):
    """It gave "checked 1 file: 0 errors" and exit 0: a false pass in CI."""
    result = _check("--format", fmt, "programs")
    assert result.exit_code == 1 and "Traceback" not in result.output
    if fmt == "json":
        errors = [d for d in json.loads(result.output)["diagnostics"] if d["severity"] == "error"]
        [found] = errors
        assert found["code"] == "CH-E209" and "programs/sub" in " ".join(found["notes"])
    else:
        assert "error[CH-E209]: cannot list folder: Permission denied" in result.output
        assert "1 error" in result.output


def test_a_folder_that_cannot_be_listed_fails_build_and_fmt(unlistable, tmp_path):
    from charter.cli import main

    built = CliRunner().invoke(main, ["build", "programs", "--out", str(tmp_path / "out")])
    assert built.exit_code == 1 and "CH-E209" in built.output, built.output
    formatted = CliRunner().invoke(main, ["fmt", "--check", "programs"])
    assert formatted.exit_code == 2 and "CH-E209" in formatted.output, formatted.output


@needs_posix
@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0 or
                    subprocess.run(["which", "setpriv"], capture_output=True).returncode != 0,
                    reason="drops root's read-any-folder capability with setpriv")
def test_a_folder_at_mode_000_fails_the_check_for_real(project, tmp_path):
    _good(project)
    sub = project / "programs" / "sub"
    sub.mkdir()
    (sub / "bad.charter").write_text("program p {\n", encoding="utf-8")
    sub.chmod(0)
    try:
        done = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all",
             sys.executable, "-m", "charter.cli", "check", "programs"],
            capture_output=True, text=True, cwd=project, timeout=60,
            env={**os.environ, "CHARTER_NO_CACHE": "1"})
    finally:
        sub.chmod(0o755)
    if "setpriv" in done.stderr:
        pytest.skip(f"setpriv cannot drop capabilities here: {done.stderr.strip()}")
    assert done.returncode == 1 and "CH-E209" in done.stdout, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
