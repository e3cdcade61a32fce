"""The recorded list of installed policy packs (`charter.packs`): used only while nothing was
installed, upgraded or removed, and only when the entry is ours and intact."""
from __future__ import annotations

import pytest

from charter import cachedir, packs

ENTRY = "[charter.policies]\ntest_pack = charter_test_pack:POLICY\n"


def _no_metadata(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the calls to `importlib.metadata` that `packs()` makes from now on."""
    calls = []
    real = packs._from_metadata
    monkeypatch.setattr(packs, "_from_metadata", lambda: calls.append(1) or real())
    return calls


def _fresh() -> tuple[packs.Pack, ...]:
    packs.packs.cache_clear()
    return packs.packs()


def test_a_recorded_answer_is_used_while_nothing_is_installed(fake_pack, monkeypatch):
    fake_pack("POLICY = None\n")
    first = _fresh()
    calls = _no_metadata(monkeypatch)
    assert _fresh() == first and calls == []
    assert packs.Pack("test_pack", "charter_test_pack:POLICY", "charter-test-pack==1.0") in first


def test_installing_upgrading_or_removing_a_pack_is_seen(fake_pack):
    site = fake_pack("POLICY = None\n", "1.0")
    assert any(p.dist == "charter-test-pack==1.0" for p in _fresh())
    fake_pack("POLICY = None\n", "2.0")
    assert any(p.dist == "charter-test-pack==2.0" for p in _fresh())
    # An entry point edited in place (same folder, same version) is seen too.
    info = next(site.glob("*.dist-info"))
    (info / "entry_points.txt").write_text(ENTRY + "second = charter_test_pack:POLICY\n",
                                           encoding="utf-8")
    assert {"test_pack", "second"} <= {p.name for p in _fresh()}
    (info / "entry_points.txt").unlink()
    assert not {"test_pack", "second"} & {p.name for p in _fresh()}


@pytest.mark.parametrize("forged", [b"", b"garbage", b'{"body": "{}", "seal": "0"}',
                                    b'{"body": "{\\"packs\\": 1}", "seal": "x"}'])
def test_a_forged_entry_is_a_miss(fake_pack, monkeypatch, forged):
    fake_pack("POLICY = None\n")
    first = _fresh()
    entry = cachedir.private("packs") / packs._key()
    entry.write_bytes(forged)
    calls = _no_metadata(monkeypatch)
    assert _fresh() == first and calls == [1]


def test_an_entry_for_another_key_is_a_miss(fake_pack, monkeypatch):
    """A sealed entry copied from another key (another set of installed packages)."""
    from charter import checkcache

    fake_pack("POLICY = None\n")
    key = packs._key()
    body = {"format": "charter-packs 1", "key": "0" * 64, "packs": [["evil", "os:system", "-"]]}
    (cachedir.private("packs") / key).write_bytes(checkcache.seal(body))
    calls = _no_metadata(monkeypatch)
    assert "evil" not in {p.name for p in _fresh()} and calls == [1]


def test_no_cache_means_no_entry(fake_pack, monkeypatch):
    monkeypatch.setenv("CHARTER_NO_CACHE", "1")
    fake_pack("POLICY = None\n")
    calls = _no_metadata(monkeypatch)
    _fresh()
    _fresh()
    assert calls == [1, 1]


def test_a_pack_entry_point_loads_dotted_attributes(fake_pack):
    fake_pack("class Holder:\n    POLICY = 42\n")
    pack = packs.Pack("x", "charter_test_pack:Holder.POLICY", "-")
    assert pack.module == "charter_test_pack" and pack.load() == 42
