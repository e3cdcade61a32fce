"""Replaying `charter check` on unchanged files (charter.recheck, issue 10 "Speed").

A replay must print exactly what a fresh check prints, and never replay when anything the
check depended on changed: a program file, a base it extends, charter's or a pack's code, the
date, the options. The entry is verified like every cache entry; a tampered one is a miss.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PROGRAMS


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "proj"
    (root / "programs" / "base").mkdir(parents=True)
    (root / "charter.toml").write_text("", encoding="utf-8")
    for name in ("ejourney.charter", "base/two-channel.charter"):
        (root / "programs" / name).write_text((PROGRAMS / name).read_text(encoding="utf-8"),
                                              encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.setenv("CHARTER_CACHE_DIR", str(tmp_path / "cache"))
    return root


def check(*args: str):
    from charter.cli import main
    return CliRunner().invoke(main, ["check", *args])


def entries(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "cache" / "rechecks"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def spy(monkeypatch) -> list[int]:
    """Counts the checks that really run (a replay runs none)."""
    import charter.api
    calls: list[int] = []
    real = charter.api.check_paths
    monkeypatch.setattr(charter.api, "check_paths",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_a_replay_prints_exactly_what_the_check_printed(project, tmp_path, monkeypatch, fmt):
    calls = spy(monkeypatch)
    first = check("--format", fmt, "programs/")
    second = check("--format", fmt, "programs/")
    assert len(calls) == 1 and len(entries(tmp_path)) == 1
    assert (second.exit_code, second.output) == (first.exit_code, first.output)


def test_a_failing_check_is_replayed_with_its_exit_code(project, monkeypatch):
    path = project / "programs" / "ejourney.charter"
    path.write_text(path.read_text(encoding="utf-8").replace("margin: 35%", "margin: 95%"),
                    encoding="utf-8")
    calls = spy(monkeypatch)
    first, second = check("programs/"), check("programs/")
    assert first.exit_code == second.exit_code == 1 and len(calls) == 1
    assert first.output == second.output and "CH-P001" in second.output


@pytest.mark.parametrize("edit", ["programs/ejourney.charter", "programs/base/two-channel.charter"])
def test_an_edit_to_any_file_read_runs_the_check_again(project, monkeypatch, edit):
    calls = spy(monkeypatch)
    assert check("programs/ejourney.charter").exit_code == 0
    path = project / edit
    path.write_text(path.read_text(encoding="utf-8") + "\nchannel Broken {\n",
                    encoding="utf-8")
    again = check("programs/ejourney.charter")
    assert len(calls) == 2 and again.exit_code == 1 and "CH-E003" in again.output


def test_a_file_swapped_for_a_link_is_not_replayed(project, monkeypatch):
    """Same text, another real file: the replay would vouch for a file it never read."""
    calls = spy(monkeypatch)
    check("programs/ejourney.charter")
    base = project / "programs" / "base" / "two-channel.charter"
    moved = project / "elsewhere.charter"
    base.rename(moved)
    base.symlink_to(moved)
    check("programs/ejourney.charter")
    assert len(calls) == 2


def test_another_day_or_other_options_run_the_check_again(project, monkeypatch):
    calls = spy(monkeypatch)
    check("programs/")
    check("--strict", "programs/")
    monkeypatch.setenv("CHARTER_TODAY", "2027-01-05")
    check("programs/")
    assert len(calls) == 3


def test_a_change_to_charter_code_runs_the_check_again(project, tmp_path, monkeypatch):
    from charter import checkcache
    code = tmp_path / "policy_pack.py"
    code.write_text("RULE = 1\n", encoding="utf-8")
    real = checkcache.code_files
    monkeypatch.setattr(checkcache, "code_files",
                        lambda: (real()[0] + [code], real()[1]))
    calls = spy(monkeypatch)
    check("programs/")
    check("programs/")
    code.write_text("RULE = 2\n", encoding="utf-8")
    check("programs/")
    assert len(calls) == 2


@pytest.mark.parametrize("plant", ["garbage", "empty", "resealed", "unsealed", "folder"])
def test_a_tampered_entry_is_a_miss_not_a_replay(project, tmp_path, monkeypatch, plant):
    path = project / "programs" / "ejourney.charter"
    path.write_text(path.read_text(encoding="utf-8").replace("margin: 35%", "margin: 95%"),
                    encoding="utf-8")
    assert check("programs/").exit_code == 1
    [entry] = entries(tmp_path)
    outer = json.loads(entry.read_bytes())
    body = json.loads(outer["body"])
    body.update(stdout="", stderr="all good\n", exit=0)  # what a forger wants replayed
    forged = json.dumps(body, sort_keys=True)
    entry.unlink()
    if plant == "folder":
        entry.mkdir()
    else:
        entry.write_bytes({"garbage": b"\x00\xffnot json", "empty": b"",
                           "unsealed": json.dumps({"body": forged, "seal": "0" * 64}).encode(),
                           "resealed": json.dumps({"body": forged[:-1] + ' }',
                                                   "seal": outer["seal"]}).encode()}[plant])
    calls = spy(monkeypatch)
    again = check("programs/")
    assert len(calls) == 1 and again.exit_code == 1 and "CH-P001" in again.output


def test_an_entry_writable_by_others_is_not_trusted(project, tmp_path, monkeypatch):
    check("programs/")
    [entry] = entries(tmp_path)
    os.chmod(entry, 0o666)
    calls = spy(monkeypatch)
    check("programs/")
    assert len(calls) == 1


def test_no_cache_means_no_entry(project, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARTER_NO_CACHE", "1")
    calls = spy(monkeypatch)
    check("programs/")
    check("programs/")
    assert len(calls) == 2 and entries(tmp_path) == []


def test_code_digests_are_reused_only_for_unchanged_files(tmp_path, monkeypatch):
    """Recording reuses the digest of a code file whose size, mtime and inode are unchanged,
    and hashes any other; a forged memo can only cause a miss (a replay re-hashes)."""
    from charter import cachedir, recheck

    files = [tmp_path / f"m{i}.py" for i in range(3)]
    for i, f in enumerate(files):
        f.write_text(f"X = {i}\n", encoding="utf-8")
    hashed: list[str] = []
    real = recheck._file_digest
    monkeypatch.setattr(recheck, "_file_digest", lambda p: hashed.append(p) or real(p))
    first = recheck.code_digests(files)
    assert len(hashed) == 3 and all(d for _p, _r, d in first)
    hashed.clear()
    assert recheck.code_digests(files) == first and hashed == []
    files[1].write_text("X = 'changed'\n", encoding="utf-8")
    again = recheck.code_digests(files)
    assert hashed == [str(files[1].resolve())] and again[1][2] != first[1][2]
    assert again[1][2] == real(str(files[1].resolve()))
    for memo in cachedir.private("codes").iterdir():  # forged: a digest changed, seal kept
        outer = json.loads(memo.read_bytes())
        outer["body"] = outer["body"].replace(again[0][2], "0" * 64)
        memo.write_text(json.dumps(outer), encoding="utf-8")
    hashed.clear()
    assert [d for _p, _r, d in recheck.code_digests(files)] == [d for _p, _r, d in again]
    assert len(hashed) == 3  # the broken seal made it a miss


def test_real_paths_resolved_per_folder_are_realpath(tmp_path):
    """`record` resolves each code folder once; the answer must be `os.path.realpath`'s, or a
    replay (which calls realpath) would never match."""
    import os

    from charter.recheck import _real_path

    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.py").write_text("x = 1\n")
    (tmp_path / "elsewhere.py").write_text("y = 2\n")
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "b.py").symlink_to(tmp_path / "elsewhere.py")
    folders: dict[str, str] = {}
    for path in [tmp_path / "linked" / "a.py", tmp_path / "linked" / "b.py",
                 tmp_path / "real" / "a.py", tmp_path / "linked" / "missing.py"]:
        assert _real_path(str(path), folders) == os.path.realpath(path)


def test_an_edit_to_a_pack_helper_module_runs_the_check_again(project, package_pack,
                                                               monkeypatch):
    """The pack's entry point names `charter_acme.checks`, which reads its cap from
    `charter_acme/rules.py`: editing the helper must not replay "0 errors"."""
    from test_cache_tampering import ACME_CHECKS

    package_pack({"checks.py": ACME_CHECKS, "rules.py": "MAX_COMMISSION = 50\n"})
    calls = spy(monkeypatch)
    assert check("programs/ejourney.charter").exit_code == 0
    package_pack({"rules.py": "MAX_COMMISSION = 10\n"})
    again = check("programs/ejourney.charter")
    assert len(calls) == 2 and again.exit_code == 1 and "CH-P901" in again.output


# ---- what a check resolved: links, the project root, missing bases ---------------------------

def _program(base: str) -> str:
    """ejourney's text, extending ``base`` instead of its own base."""
    text = (PROGRAMS / "ejourney.charter").read_text(encoding="utf-8")
    assert 'extends: "base/two-channel.charter"' in text
    return text.replace('extends: "base/two-channel.charter"', f'extends: "{base}"')


@pytest.fixture
def linked(project) -> Path:
    """programs/main.charter extends lnk.charter, a link to good.charter; bad.charter fails
    CH-P001."""
    folder = project / "programs"
    good = (folder / "ejourney.charter").read_text(encoding="utf-8")
    (folder / "ejourney.charter").rename(folder / "good.charter")
    (folder / "bad.charter").write_text(good.replace("margin: 35%", "margin: 95%"),
                                        encoding="utf-8")
    (folder / "lnk.charter").symlink_to("good.charter")
    (folder / "main.charter").write_text('extends: "lnk.charter"\n', encoding="utf-8")
    return folder


def _relink(link: Path, target: str) -> None:
    link.unlink()
    link.symlink_to(target)


def test_a_base_link_pointed_elsewhere_runs_the_check_again(linked, monkeypatch):
    """`lnk.charter` now leads to bad.charter: good.charter, the file read, is unchanged,
    but the path as written resolves elsewhere."""
    calls = spy(monkeypatch)
    assert check("programs/main.charter").exit_code == 0
    assert check("programs/main.charter").exit_code == 0 and len(calls) == 1  # replayed
    _relink(linked / "lnk.charter", "bad.charter")
    again = check("programs/main.charter")
    assert len(calls) == 2 and again.exit_code == 1 and "CH-P001" in again.output


def test_a_named_link_pointed_elsewhere_runs_the_check_again(linked, monkeypatch):
    calls = spy(monkeypatch)
    assert check("programs/lnk.charter").exit_code == 0
    _relink(linked / "lnk.charter", "bad.charter")
    again = check("programs/lnk.charter")
    assert len(calls) == 2 and again.exit_code == 1 and "CH-P001" in again.output


def test_a_moved_project_marker_runs_the_check_again_and_opens_nothing_outside(
        tmp_path, monkeypatch):
    """p2/sub/main.charter extends ../shared/base: inside the project while charter.toml is
    in p2, outside it (CH-E202) once the marker moves into sub/. The replay must see the new
    root before it opens anything, and never open the now-outside base."""
    from charter import recheck

    p2 = tmp_path / "p2"
    (p2 / "sub").mkdir(parents=True)
    (p2 / "shared").mkdir()
    (p2 / "charter.toml").write_text("", encoding="utf-8")
    (p2 / "sub" / "main.charter").write_text(_program("../shared/base.charter"),
                                             encoding="utf-8")
    (p2 / "shared" / "base.charter").write_text(
        (PROGRAMS / "base" / "two-channel.charter").read_text(encoding="utf-8"),
        encoding="utf-8")
    monkeypatch.chdir(p2)
    monkeypatch.setenv("CHARTER_CACHE_DIR", str(tmp_path / "cache"))
    calls = spy(monkeypatch)
    assert check("sub/main.charter").exit_code == 0
    (p2 / "charter.toml").rename(p2 / "sub" / "charter.toml")
    opened: list[str] = []
    real = recheck._file_digest
    monkeypatch.setattr(recheck, "_file_digest", lambda p: opened.append(p) or real(p))
    again = check("sub/main.charter")
    assert len(calls) == 2 and again.exit_code == 1 and "CH-E202" in again.output
    assert not [p for p in opened if "shared" in p]


def test_a_missing_base_once_created_runs_the_check_again(project, monkeypatch):
    folder = project / "programs"
    (folder / "main.charter").write_text(_program("later.charter"), encoding="utf-8")
    calls = spy(monkeypatch)
    first = check("programs/main.charter")
    assert first.exit_code == 1 and "CH-E201" in first.output
    assert check("programs/main.charter").exit_code == 1 and len(calls) == 1  # replayed
    (folder / "later.charter").write_text(
        (folder / "base" / "two-channel.charter").read_text(encoding="utf-8"), encoding="utf-8")
    again = check("programs/main.charter")
    assert len(calls) == 2 and again.exit_code == 0, again.output


def test_a_replay_opens_no_program_file_outside_the_verified_roots(project, tmp_path,
                                                                    monkeypatch):
    """Defence in depth: even with its root unchanged, a recorded program file outside every
    root verified now is a miss before anything is opened (and a root recorded after the
    files confines nothing)."""
    from charter import recheck

    outside = tmp_path / "outside.charter"
    outside.write_text("secret\n", encoding="utf-8")
    opened: list[str] = []
    monkeypatch.setattr(recheck, "_file_digest", lambda p: opened.append(p) or None)
    named = "programs/ejourney.charter"
    root = ["root", named, str(project)]
    assert recheck._verified([root])
    leak = ["file", str(outside), str(outside), recheck._digest("secret\n")]
    assert not recheck._verified([root, leak])
    inside = ["file", named, str(project / named), "0" * 64]
    assert not recheck._verified([inside, root])
    assert opened == []


def test_a_missing_base_s_folder_gaining_a_name_runs_the_check_again(project, monkeypatch):
    """CH-E201's "did you mean" comes from the folder's names: a new one changes the output."""
    folder = project / "programs"
    (folder / "main.charter").write_text(_program("later.charter"), encoding="utf-8")
    calls = spy(monkeypatch)
    check("programs/main.charter")
    (folder / "latter.charter").write_text("", encoding="utf-8")
    again = check("programs/main.charter")
    assert len(calls) == 2 and "did you mean `latter.charter`?" in again.output
