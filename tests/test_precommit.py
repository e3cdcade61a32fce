"""The pre-commit hooks (.pre-commit-hooks.yaml), run the way a user's repository runs them.

`pre-commit try-repo` needs the hook repository to be a git repository; this one may have
uncommitted changes (or be a clean CI clone), so the tests commit a copy of the working tree
(tracked files plus untracked ones git does not ignore) to a temporary repository, and run
the hooks from it inside a sample repository of .charter files. pre-commit builds its own
virtualenv and pip-installs charter from that copy (network: PyPI): once per session, shared
by the hooks through one PRE_COMMIT_HOME.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow

BROKEN = """\
program broken { title: "Broken"; currency: USD; status: draft }
channel Referral { model: referal; owner: vendor; lead_protection: 60 days }
"""


def _git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity and no signing; its stdout."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "charter tests", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "charter tests", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main",
                           *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding this project's working tree, committed (what try-repo needs)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout of charter")
    listed = _git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if name.startswith(".venv/") or not source.is_file():  # deleted in the working tree
            continue
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "charter working tree")
    return repo


@pytest.fixture(scope="module")
def try_repo(hook_repo: Path, tmp_path_factory: pytest.TempPathFactory):
    """Run `pre-commit try-repo HOOK_REPO HOOK --all-files` in a folder; (exit code, output)."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    cache = tmp_path_factory.mktemp("charter-cache")  # 0o700, as charter requires

    def run(cwd: Path, hook: str) -> tuple[int, str]:
        env = {**os.environ, "PRE_COMMIT_HOME": str(home), "CHARTER_CACHE_DIR": str(cache),
               "PRE_COMMIT_COLOR": "never"}
        done = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo),
                               hook, "--all-files"], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=600)
        return done.returncode, done.stdout + done.stderr
    return run


def _sample_repo(folder: Path, files: dict[str, str]) -> Path:
    """A git repository with ``files`` staged (pre-commit runs on files git knows)."""
    folder.mkdir()
    _git(folder, "init", "-q")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    _git(folder, "add", "-A")
    return folder


def test_hooks_file_declares_the_three_hooks():
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"charter-check", "charter-fmt", "charter-build-check"}
    assert all(h["language"] == "python" for h in hooks.values())
    assert hooks["charter-check"]["entry"] == "charter check"
    assert hooks["charter-fmt"]["entry"] == "charter fmt"
    assert hooks["charter-build-check"]["pass_filenames"] is False
    build = hooks["charter-build-check"]["entry"].split() + hooks["charter-build-check"]["args"]
    assert build == ["charter", "build", "programs/", "--out", "compiled", "--check"]


def test_charter_check_hook_passes_a_good_program_and_fails_a_broken_one(tmp_path, try_repo):
    from charter.scaffold import render

    sample = _sample_repo(tmp_path / "sample", {"good.charter": render("good")})
    code, output = try_repo(sample, "charter-check")
    assert code == 0, output
    assert "charter check" in output and "Passed" in output

    (sample / "broken.charter").write_text(BROKEN, encoding="utf-8")
    _git(sample, "add", "broken.charter")
    code, output = try_repo(sample, "charter-check")
    assert code == 1, output
    assert "Failed" in output and "CH-E108" in output and "broken.charter" in output


def test_charter_fmt_hook_rewrites_then_passes(tmp_path, try_repo):
    from charter.cli import main

    if "fmt" not in main.commands:
        pytest.skip("`charter fmt` does not exist yet (a change in progress adds it); this test"
                    " runs once it does")
    from charter.scaffold import render

    messy = "\n".join(("   " + line.strip() + "   ") if line.strip() else ""
                      for line in render("messy").splitlines()) + "\n\n\n"
    sample = _sample_repo(tmp_path / "sample", {"messy.charter": messy})
    code, output = try_repo(sample, "charter-fmt")
    assert code == 1, output
    assert "files were modified by this hook" in output
    assert (sample / "messy.charter").read_text(encoding="utf-8") != messy
    code, output = try_repo(sample, "charter-fmt")
    assert code == 0, output
