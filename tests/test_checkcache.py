"""The cache of clean checks that lets `charter quote` skip re-running the policies."""
from __future__ import annotations

import re
import shutil

import pytest

from conftest import PROGRAMS


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(PROGRAMS, root / "programs")
    (root / "charter.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("CHARTER_CACHE_DIR", str(tmp_path / "cache"))
    return root / "programs"


@pytest.fixture
def policy_runs(monkeypatch):
    import charter.policies.runner as runner

    calls = []
    real = runner.run_policies
    monkeypatch.setattr(runner, "run_policies", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_a_clean_check_is_reused(project, policy_runs):
    from charter.api import compile_checked

    for _ in range(3):
        program, reporter, _ = compile_checked(project / "ejourney.charter")
        assert program is not None and not reporter.has_errors
    assert len(policy_runs) == 1


def test_any_edit_to_any_loaded_file_invalidates(project, policy_runs):
    from charter.api import compile_checked

    compile_checked(project / "ejourney.charter")
    base = project / "base" / "two-channel.charter"
    base.write_text(re.sub(r"mitigation nps_visibility \{.*?\n\}\n", "",
                           base.read_text(encoding="utf-8"), flags=re.S), encoding="utf-8")
    _, reporter, _ = compile_checked(project / "ejourney.charter")
    assert len(policy_runs) == 2 and reporter.has_errors     # the edit broke the flipper policy


def test_errors_are_never_cached(project, policy_runs):
    from charter.api import compile_checked

    path = project / "ejourney.charter"
    path.write_text(path.read_text(encoding="utf-8") + "\nhandover VAD -> Referral {\n"
                    "    introducer_rate: 2%\n}\n", encoding="utf-8")
    for _ in range(2):
        _, reporter, _ = compile_checked(path)
        assert any(d.code == "CH-P004" for d in reporter.items)
    assert len(policy_runs) == 2


def test_the_date_is_part_of_the_key(project, policy_runs, monkeypatch):
    from charter.api import compile_checked

    compile_checked(project / "ejourney.charter")
    monkeypatch.setenv("CHARTER_TODAY", "2030-01-01")          # every waiver has expired by then
    _, reporter, _ = compile_checked(project / "ejourney.charter")
    assert len(policy_runs) == 2 and any(d.code == "CH-E402" for d in reporter.items)


def test_the_cache_can_be_turned_off(project, policy_runs, monkeypatch):
    from charter.api import compile_checked

    monkeypatch.setenv("CHARTER_NO_CACHE", "1")
    compile_checked(project / "ejourney.charter")
    compile_checked(project / "ejourney.charter")
    assert len(policy_runs) == 2


def test_the_caches_digest_is_sha256():
    """`charter.digest.sha256` (CPython's own, no OpenSSL) gives hashlib's digests."""
    import hashlib

    from charter.digest import sha256

    for data in (b"", b"charter", "Rp 2,4 Miliar \u2248 35%".encode(), bytes(range(256)) * 300):
        assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    streamed = sha256(b"char")
    streamed.update(b"ter")
    assert streamed.hexdigest() == hashlib.sha256(b"charter").hexdigest()


def test_a_check_does_not_load_openssl(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import REPO

    code = ("import sys; from charter.cli import main\nsys.argv = ['charter', 'check', sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nprint('_hashlib' in sys.modules)")
    env = {**os.environ, "CHARTER_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code, str(REPO / "programs" / "ejourney.charter")],
                         capture_output=True, text=True, env=env, check=False).stdout
    assert out.strip().splitlines()[-1] == "False"


def test_an_entry_is_written_private_and_whole_with_no_temp_file_left(tmp_path, monkeypatch):
    """`write_entry` creates its temp file as mkstemp would (0o600, O_EXCL) and moves it into
    place; a write that fails leaves nothing behind."""
    import os
    import stat

    from charter import checkcache

    monkeypatch.setenv("CHARTER_CACHE_DIR", str(tmp_path / "cache"))
    checkcache.write_entry("checks", "entry", b"sealed")
    folder = tmp_path / "cache" / "checks"
    assert (folder / "entry").read_bytes() == b"sealed"
    assert stat.S_IMODE(os.stat(folder / "entry").st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["entry"]

    def refuse(*args):
        raise OSError("disk full")

    monkeypatch.setattr(checkcache.os, "replace", refuse)
    checkcache.write_entry("checks", "other", b"x")  # ignored: a cache is an optimisation
    assert [p.name for p in folder.iterdir()] == ["entry"]
