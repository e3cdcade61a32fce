"""Hostile caches (issue 10, security 2 and 3): nothing another user could write is trusted.

1. the check cache: a planted marker (empty, garbage, a directory, a link to /dev/null, a link
   to a genuine entry, a stale entry) does not switch the policies off; a cache folder others
   can write to, or one that is a symlink, is not used; CHARTER_NO_CACHE: only 1/true/yes;
   a policy pack's version and code are in the key;
2. lark's grammar cache: a pickle planted at lark's old shared-temp path is never unpickled
   (a planted pickle that would create a file does not); the private folder is 0o700; an
   unverifiable folder means no cache at all, never the shared temp directory.
"""
from __future__ import annotations

import os
import pickle
import re
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PROGRAMS

DEAL = '{"product": "Growth", "seats": 1000, "years": 1, "route": [{"channel": "Referral"}]}'


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("CHARTER_CACHE_DIR", str(root))
    monkeypatch.delenv("CHARTER_NO_CACHE", raising=False)
    return root


@pytest.fixture
def broken(tmp_path, cache_root):
    """A copy of the bundled programs whose ejourney now fails a policy (the flipper check)."""
    root = tmp_path / "project"
    shutil.copytree(PROGRAMS, root / "programs")
    (root / "charter.toml").write_text("", encoding="utf-8")
    base = root / "programs" / "base" / "two-channel.charter"
    base.write_text(re.sub(r"mitigation nps_visibility \{.*?\n\}\n", "",
                           base.read_text(encoding="utf-8"), flags=re.S), encoding="utf-8")
    (tmp_path / "deal.json").write_text(DEAL, encoding="utf-8")
    return root / "programs" / "ejourney.charter"


@pytest.fixture
def policy_runs(monkeypatch):
    import charter.policies.runner as runner

    calls = []
    real = runner.run_policies
    monkeypatch.setattr(runner, "run_policies", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def cache_key(path) -> str:
    from charter import checkcache, clock
    from charter.api import compile_file

    _, _, sources = compile_file(path, checks=False)
    return checkcache.key(sources, clock.today())


def quote(path):
    from charter.cli import main

    return CliRunner().invoke(main, ["quote", str(path), str(path.parents[2] / "deal.json")])


def plant(kind: str, entry, genuine) -> None:
    if kind == "empty":
        entry.write_bytes(b"")
    elif kind == "garbage":
        entry.write_bytes(b"clean\n" + os.urandom(64))
    elif kind == "directory":
        entry.mkdir()
    elif kind == "devnull":
        entry.symlink_to("/dev/null")
    elif kind == "link-to-genuine":
        genuine.write_bytes(entry_bytes(entry.name))
        entry.symlink_to(genuine)
    elif kind == "other-key":
        entry.write_bytes(entry_bytes("0" * 64))
    elif kind == "world-writable":
        entry.write_bytes(entry_bytes(entry.name))
        entry.chmod(0o666)


def entry_bytes(key: str) -> bytes:
    from charter import checkcache

    return checkcache._entry(key)


def test_a_genuine_entry_does_skip_the_policies(broken):
    """The control for the next test: the key and the path are the ones quote uses."""
    from charter import cachedir, checkcache

    assert quote(broken).exit_code == 1
    assert cachedir.private("checks") is not None
    checkcache.mark_clean(cache_key(broken))
    assert quote(broken).exit_code == 0


@pytest.mark.parametrize("kind", ["empty", "garbage", "directory", "devnull", "link-to-genuine",
                                  "other-key", "world-writable"])
def test_a_planted_marker_does_not_skip_the_policies(broken, kind, tmp_path):
    from charter import cachedir

    folder = cachedir.private("checks")
    assert folder is not None
    plant(kind, folder / cache_key(broken), tmp_path / "genuine")
    result = quote(broken)
    assert result.exit_code == 1, result.output
    assert "CH-P" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("how", ["root-0777", "checks-0777", "root-symlink", "checks-symlink"])
def test_a_cache_folder_others_could_write_is_not_used(broken, cache_root, tmp_path, how,
                                                       monkeypatch):
    from charter import cachedir

    key = cache_key(broken)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (elsewhere / "checks").mkdir(mode=0o700)
    (elsewhere / "checks" / key).write_bytes(entry_bytes(key))
    if how == "root-0777":
        cache_root.mkdir()
        cache_root.chmod(0o777)
        (cache_root / "checks").mkdir(mode=0o700)
        (cache_root / "checks" / key).write_bytes(entry_bytes(key))
    elif how == "checks-0777":
        cache_root.mkdir(mode=0o700)
        (cache_root / "checks").mkdir()
        (cache_root / "checks").chmod(0o777)
        (cache_root / "checks" / key).write_bytes(entry_bytes(key))
    elif how == "root-symlink":
        cache_root.symlink_to(elsewhere)
    else:
        cache_root.mkdir(mode=0o700)
        (cache_root / "checks").symlink_to(elsewhere / "checks")
    assert cachedir.private("checks") is None
    assert quote(broken).exit_code == 1
    assert [p.name for p in (elsewhere / "checks").iterdir()] == [key]    # nothing written there


def test_the_cache_folder_is_created_private(broken, cache_root):
    from charter import checkcache

    checkcache.mark_clean(cache_key(broken))
    for folder in (cache_root, cache_root / "checks"):
        info = os.lstat(folder)
        assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700
    assert [p.name for p in (cache_root / "checks").iterdir()] == [cache_key(broken)]  # no temp


def test_a_default_folder_only_we_could_write_is_tightened(tmp_path, monkeypatch):
    """An older charter made its default folders with the umask's 0o755: they are charter's
    own (named for it), safe to tighten and use."""
    from charter import cachedir

    monkeypatch.delenv("CHARTER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = tmp_path / "xdg" / "charter"
    (root / "checks").mkdir(parents=True)
    for folder in (root, root / "checks"):
        folder.chmod(0o755)
    assert cachedir.private("checks") == root / "checks"
    for folder in (root, root / "checks"):
        assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o711])
def test_an_existing_charter_cache_dir_is_never_chmodded(tmp_path, monkeypatch, mode):
    """CHARTER_CACHE_DIR=. in a 0o755 project folder made it 0o700. A folder the user names
    is theirs: when it is not private, charter uses a private folder it creates inside it."""
    from charter import cachedir

    project = tmp_path / "project"
    project.mkdir()
    project.chmod(mode)
    shutil.copy(PROGRAMS / "base" / "two-channel.charter", project / "x.charter")
    monkeypatch.chdir(project)
    monkeypatch.setenv("CHARTER_CACHE_DIR", ".")
    from charter.cli import main

    for _ in range(2):
        assert CliRunner().invoke(main, ["check", "x.charter"]).exit_code == 0
    assert stat.S_IMODE(os.lstat(project).st_mode) == mode
    inner = project / "charter"
    assert stat.S_IMODE(os.lstat(inner).st_mode) == 0o700
    assert (inner / "rechecks").is_dir() and sorted(p.name for p in project.iterdir()) == \
        ["charter", "x.charter"]


def test_a_charter_cache_dir_subfolder_others_made_is_not_chmodded(cache_root):
    """Inside a folder the user named, charter tightens nothing: a subfolder that is not
    private turns that cache off."""
    from charter import cachedir

    (cache_root / "checks").mkdir(parents=True)
    cache_root.chmod(0o700)
    (cache_root / "checks").chmod(0o755)
    assert cachedir.private("checks") is None
    assert stat.S_IMODE(os.lstat(cache_root / "checks").st_mode) == 0o755
    assert cachedir.private("grammar") == cache_root / "grammar"


@pytest.mark.parametrize("value,off", [("1", True), ("true", True), ("YES", True), (" yes ", True),
                                       ("0", False), ("false", False), ("no", False), ("", False),
                                       ("off", False)])
def test_only_1_true_yes_turn_the_cache_off(broken, monkeypatch, policy_runs, value, off):
    from charter.api import compile_checked

    path = PROGRAMS / "ejourney.charter"
    monkeypatch.setenv("CHARTER_NO_CACHE", value)
    for _ in range(2):
        _, reporter, _ = compile_checked(path)
        assert not reporter.has_errors
    assert len(policy_runs) == (2 if off else 1)


def test_a_policy_pack_upgrade_changes_the_key(fake_pack):
    """The key covers each pack's distribution version and its module's code."""
    from charter import checkcache

    fake_pack("POLICY = None\n", "1.0")
    first = checkcache.code_digest()
    fake_pack("POLICY = None\n", "1.1")
    second = checkcache.code_digest()
    fake_pack("POLICY = 'changed'\n", "1.1")
    third = checkcache.code_digest()
    assert len({first, second, third}) == 3


# ---- lark's grammar cache ----------------------------------------------------------------------

class _Planted:
    """Unpickling this creates ``path`` (what a hostile pickle could do, harmlessly)."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def _old_style_parser():
    from lark import Lark

    from charter.lalr import GRAMMAR_OPTIONS

    return Lark.open_from_package("charter.grammar", "charter.lark", cache=True,
                                  **GRAMMAR_OPTIONS)


@pytest.fixture
def shared_tmp(tmp_path, monkeypatch):
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    return shared


def test_a_pickle_planted_at_the_shared_temp_path_is_never_loaded(shared_tmp, cache_root,
                                                                   tmp_path):
    from charter.lalr import build_grammar

    _old_style_parser()                                   # lark writes its old shared path ...
    (old,) = shared_tmp.glob(".lark_cache_*")
    header = old.read_bytes().split(b"\n", 1)[0]
    ran = tmp_path / "pickle-ran"
    old.write_bytes(header + b"\n" + pickle.dumps(_Planted(str(ran))))  # ... an attacker's now
    _old_style_parser()
    assert ran.exists(), "control: lark's default cache does unpickle the planted file"
    ran.rmdir()

    parser = build_grammar()
    assert not ran.exists()
    assert parser.parse('program t {\n title: "T"\n}\n') is not None
    folder = cache_root / "grammar"
    assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.lstat(cache_root).st_mode) == 0o700
    files = [p.name for p in folder.iterdir()]
    assert len(files) == 1 and files[0].endswith(".pickle")       # no temp file left behind
    assert [p.name for p in shared_tmp.iterdir()] == [old.name]   # nothing new in shared temp


@pytest.fixture
def opened(monkeypatch):
    """Every path lark opens for its cache."""
    import lark.lark

    paths = []
    real = lark.lark.FS.open
    monkeypatch.setattr(lark.lark.FS, "open",
                        staticmethod(lambda name, *a, **k: paths.append(str(name))
                                     or real(name, *a, **k)))
    return paths


def test_the_grammar_cache_is_reused_from_the_private_folder(cache_root, opened, shared_tmp):
    from charter.lalr import build_grammar

    build_grammar()
    build_grammar()
    assert opened and all(p.startswith(str(cache_root / "grammar") + os.sep) for p in opened)
    target = next((cache_root / "grammar").glob("*.pickle"))
    assert opened[-1] == str(target)                 # the second build read the moved-in file


@pytest.mark.parametrize("how", ["no-cache", "root-0777", "grammar-symlink"])
def test_an_unverified_grammar_folder_means_no_cache(cache_root, opened, shared_tmp, how,
                                                     monkeypatch, tmp_path):
    from charter.lalr import build_grammar

    if how == "no-cache":
        monkeypatch.setenv("CHARTER_NO_CACHE", "1")
    elif how == "root-0777":
        cache_root.mkdir()
        cache_root.chmod(0o777)
    else:
        cache_root.mkdir(mode=0o700)
        (tmp_path / "theirs").mkdir(mode=0o700)
        (cache_root / "grammar").symlink_to(tmp_path / "theirs")
    parser = build_grammar()
    assert parser.parse('program t {\n title: "T"\n}\n') is not None
    assert opened == []
    assert list(shared_tmp.iterdir()) == []
    if how == "grammar-symlink":
        assert list((tmp_path / "theirs").iterdir()) == []


ACME_CHECKS = '''
from charter.diagnostics import Severity
from charter.policies.base import Finding, Policy

from charter_acme import rules


def check(program, ctx):
    """Referral commission stays under the cap kept in the pack's helper module."""
    if rules.MAX_COMMISSION < 35:
        channel = program.channels[0]
        yield Finding("commission above the Acme cap", channel.span, channel.name)


POLICY = Policy("CH-P901", "acme_cap", "Acme cap", Severity.ERROR, "why", "what",
                "channel Legacy { model: referral; owner: vendor }",
                "channel Modern { model: referral; owner: vendor }", check)
'''


def test_a_pack_helper_module_is_part_of_the_key(package_pack, tmp_path, cache_root):
    """Defect: the entry point `charter_acme.checks:POLICY` names a submodule; only that
    file was hashed, so an edit to `charter_acme/rules.py` kept the cached clean result and
    `charter quote` paid on a program the pack now refuses."""
    from charter import checkcache

    package_pack({"checks.py": ACME_CHECKS, "rules.py": "MAX_COMMISSION = 50\n"})
    files = {p.name for p in checkcache.code_files()[0] if "charter_acme" in str(p)}
    assert files == {"__init__.py", "checks.py", "rules.py"}
    root = tmp_path / "project"
    shutil.copytree(PROGRAMS, root / "programs")
    (root / "charter.toml").write_text("", encoding="utf-8")
    (tmp_path / "deal.json").write_text(DEAL, encoding="utf-8")
    program = root / "programs" / "ejourney.charter"
    assert quote(program).exit_code == 0
    package_pack({"rules.py": "MAX_COMMISSION = 10\n"})
    refused = quote(program)
    assert refused.exit_code == 1 and "CH-P901" in refused.output


def test_a_single_module_pack_and_a_top_level_package_are_covered(tmp_path, monkeypatch):
    """`_module_files` covers a single-module pack's file, and for a submodule the whole
    top-level package (found without importing it)."""
    import sys

    from charter.checkcache import _module_files

    (tmp_path / "solo_pack.py").write_text("POLICY = None\n", encoding="utf-8")
    deep = tmp_path / "deep_pack" / "inner"
    deep.mkdir(parents=True)
    for name in ("deep_pack/__init__.py", "deep_pack/inner/__init__.py",
                 "deep_pack/inner/checks.py", "deep_pack/helpers.py"):
        (tmp_path / name).write_text("raise ImportError('never imported')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _module_files("solo_pack") == [tmp_path / "solo_pack.py"]
    found = {str(p.relative_to(tmp_path)) for p in _module_files("deep_pack.inner.checks")}
    assert found == {"deep_pack/__init__.py", "deep_pack/inner/__init__.py",
                     "deep_pack/inner/checks.py", "deep_pack/helpers.py"}
    assert "deep_pack" not in sys.modules
    assert _module_files("no_such_pack.checks") == []
