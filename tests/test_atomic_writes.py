"""Writes survive being killed; concurrent builds never mix; signals stop any command cleanly.

Issue 10: "Atomic writes everywhere a file is written (build, fmt, caches): a SIGKILL in the
middle, tested, leaves the previous file intact; two concurrent builds to one directory never
mix." and "Ctrl-C in check/build": one line, exit 128 + N, no traceback.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PROGRAMS, REPO

CHARTER = str(Path(sys.executable).parent / "charter")
posix_only = pytest.mark.skipif(os.name != "posix", reason="signals and flock are POSIX")


def _project(root: Path, margin: str = "35%") -> Path:
    """ejourney in a project of its own; ``margin`` tags the version (a different VAD lead
    protection, which changes the config and the guides but no worked example)."""
    (root / "programs" / "base").mkdir(parents=True, exist_ok=True)
    (root / "charter.toml").write_text("", encoding="utf-8")
    for name in ("ejourney.charter", "base/two-channel.charter"):
        text = (PROGRAMS / name).read_text(encoding="utf-8")
        if name == "ejourney.charter" and margin != "35%":
            text = text.replace("lead_protection: 90 days", "lead_protection: 75 days")
        (root / "programs" / name).write_text(text, encoding="utf-8")
    return root


def _tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def _build(root: Path, out: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([CHARTER, "build", "programs/", "--out", str(out)], cwd=root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def versions(tmp_path):
    """The outputs of two versions of ejourney, built apart."""
    env = {**os.environ, "CHARTER_NO_CACHE": "1"}
    built = {}
    for margin in ("35%", "34%"):
        root = _project(tmp_path / f"v{margin[:2]}", margin)
        assert _build(root, root / "out", env).wait(timeout=120) == 0
        built[margin] = _tree(root / "out")
    assert built["35%"].keys() == built["34%"].keys()
    assert built["35%"] != built["34%"]
    return built, env


def test_replace_file_keeps_the_old_bytes_when_the_write_fails(tmp_path, monkeypatch):
    from charter.atomic import replace_file

    path = tmp_path / "x.json"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "full")))
    with pytest.raises(OSError):
        replace_file(path, b"new" * 1000)
    assert path.read_bytes() == b"old" and list(tmp_path.iterdir()) == [path]
    monkeypatch.undo()
    replace_file(path, b"new")
    assert path.read_bytes() == b"new" and os.stat(path).st_mode & 0o777 == 0o640


@posix_only
def test_replace_in_writes_in_the_folder_opened_whatever_its_path_leads_to_now(tmp_path):
    """`replace_in` names the file relative to a folder descriptor: a link put where the
    folder was (after it was opened) is not followed; a link at the name is replaced."""
    from charter.atomic import replace_in

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.json").write_bytes(b"old")
    os.chmod(tmp_path / "sub" / "x.json", 0o640)
    (tmp_path / "elsewhere").mkdir()
    folder = os.open(tmp_path / "sub", os.O_RDONLY | os.O_DIRECTORY)
    try:
        (tmp_path / "sub").rename(tmp_path / "was_sub")
        (tmp_path / "sub").symlink_to("elsewhere")
        replace_in(folder, "x.json", b"new")
        os.symlink("../elsewhere/y.json", "y.json", dir_fd=folder)
        replace_in(folder, "y.json", b"why")
    finally:
        os.close(folder)
    assert (tmp_path / "was_sub" / "x.json").read_bytes() == b"new"
    assert os.stat(tmp_path / "was_sub" / "x.json").st_mode & 0o777 == 0o640
    assert not (tmp_path / "was_sub" / "y.json").is_symlink()
    assert (tmp_path / "was_sub" / "y.json").read_bytes() == b"why"
    assert list((tmp_path / "elsewhere").iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "was_sub").iterdir()) == ["x.json", "y.json"]


@posix_only
def test_sigkill_mid_write_leaves_the_previous_file_whole(tmp_path):
    """A writer replacing a 2 MB file over and over is killed at random moments: the file is
    always one whole version, never a mix or a truncation."""
    path = tmp_path / "config.json"
    versions = [bytes([65 + i]) * 2_000_000 for i in range(3)]
    path.write_bytes(versions[0])
    script = ("import sys, itertools; from charter.atomic import replace_file\n"
              "data = [bytes([65 + i]) * 2_000_000 for i in range(3)]\n"
              "for i in itertools.count(): replace_file(sys.argv[1], data[i % 3])\n")
    rng = random.Random(10)
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", script, str(path)])
        time.sleep(0.15 + rng.random() * 0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert path.read_bytes() in versions
    leftovers = [p.name for p in tmp_path.iterdir() if p != path]
    assert all(name.startswith(".charter-tmp-") for name in leftovers)


@posix_only
def test_a_build_killed_midway_leaves_every_file_whole(tmp_path, versions):
    """Each output file is its old or its new version, however far the build got; the next
    build completes it and removes the temp files a kill leaves behind."""
    built, env = versions
    root = _project(tmp_path / "work", "35%")
    out = root / "out"
    assert _build(root, out, env).wait(timeout=120) == 0
    _project(root, "34%")
    rng = random.Random(3)
    for _ in range(3):
        proc = _build(root, out, env)
        time.sleep(0.3 + rng.random() * 0.8)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        for name, data in _tree(out).items():
            if ".charter-tmp-" not in name:
                assert data in (built["35%"][name], built["34%"][name]), name
    assert _build(root, out, env).wait(timeout=120) == 0
    assert _tree(out) == built["34%"]


@posix_only
def test_concurrent_builds_into_one_folder_never_mix(tmp_path, versions):
    built, env = versions
    roots = [_project(tmp_path / f"w{m[:2]}", m) for m in ("35%", "34%")]
    out = tmp_path / "shared-out"
    for _ in range(2):
        procs = [_build(root, out, env) for root in roots]
        assert [p.wait(timeout=120) for p in procs] == [0, 0]
        assert _tree(out) in (built["35%"], built["34%"])


@posix_only
@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_check_and_build_with_one_line(tmp_path, command, signum):
    """Ctrl-C used to end in click's "Aborted!" and exit 1 (the code for "errors found")."""
    root = tmp_path / "big"
    (root / "programs").mkdir(parents=True)
    (root / "charter.toml").write_text("", encoding="utf-8")
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "scale.py"), "60",
                    str(root / "programs" / "big.charter")], check=True)
    args = [CHARTER, command, "programs/"] + (["--out", "out"] if command == "build" else [])
    proc = subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "CHARTER_NO_CACHE": "1"})
    time.sleep(1.0)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    text = err.decode("utf-8", "replace")
    assert proc.returncode == 128 + signum, text
    assert "Traceback" not in text and "Aborted" not in text
    assert text.strip().splitlines()[-1].endswith("the output is incomplete")


@posix_only
def test_open_below_makes_folders_and_never_follows_a_link(tmp_path):
    """`open_below` walks (and with ``make`` creates) folders from a descriptor: a link on
    the way is `PathChanged`, named by the components up to it, nothing made through it."""
    from charter.confined import PathChanged, open_below

    (tmp_path / "elsewhere").mkdir()
    top = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.close(open_below(top, ("a", "b"), make=True))
        assert (tmp_path / "a" / "b").is_dir()
        (tmp_path / "a" / "link").symlink_to(tmp_path / "elsewhere")
        with pytest.raises(PathChanged) as changed:
            open_below(top, ("a", "link", "c"), make=True)
        assert changed.value.filename == os.path.join("a", "link")
        with pytest.raises(FileNotFoundError):
            open_below(top, ("a", "missing"))
    finally:
        os.close(top)
    assert list((tmp_path / "elsewhere").iterdir()) == []
