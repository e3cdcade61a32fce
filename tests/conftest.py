"""Shared fixtures. Tests run against the installed `charter` package."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROGRAMS = REPO / "programs"
DATA = Path(__file__).resolve().parent / "data"
TODAY = "2026-11-23"    # the suite's fixed "today" (CHARTER_TODAY); tests never read the clock


@pytest.fixture(autouse=True, scope="session")
def _private_check_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tests never read or write the user's caches: the clean checks (charter.checkcache) and
    lark's grammar tables (charter.lalr.build_grammar) both live under CHARTER_CACHE_DIR
    (charter.cachedir; pytest makes this folder 0o700, as charter requires)."""
    import os

    os.environ["CHARTER_CACHE_DIR"] = str(tmp_path_factory.mktemp("charter-cache"))
    yield


@pytest.fixture(autouse=True, scope="session")
def _fixed_today():
    """Tests never read the wall clock: "today" is `TODAY` unless a test sets CHARTER_TODAY."""
    import os

    os.environ["CHARTER_TODAY"] = TODAY
    yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite expected outputs under tests/data from the current compiler")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite golden files."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def compile_src():
    """Compile program text; returns (program, sorted diagnostics)."""
    from charter.api import compile_text

    def run(text: str):
        program, reporter = compile_text(text, "t.charter")
        return program, reporter.sorted()
    return run


HEADER = 'program t {\n    title: "T"\n    currency: IDR\n    status: draft\n}\n'


@pytest.fixture
def header() -> str:
    """A minimal valid program header to prepend to snippets."""
    return HEADER


@pytest.fixture
def fake_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Install a policy pack for real: a module and a ``.dist-info`` folder with its entry
    point, in a folder put first on `sys.path`. Returns ``install(module_source, version)``;
    calling it again upgrades the pack in place. The lookups are reset before and after."""
    import importlib
    import sys

    import charter.policies as registry
    from charter import packs

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def reset() -> None:
        packs.packs.cache_clear()
        registry.all_policies.cache_clear()
        importlib.invalidate_caches()
        sys.modules.pop("charter_test_pack", None)

    def install(source: str, version: str = "1.0") -> Path:
        (site / "charter_test_pack.py").write_text(source, encoding="utf-8")
        for old in site.glob("*.dist-info"):
            for file in old.iterdir():
                file.unlink()
            old.rmdir()
        info = site / f"charter_test_pack-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: charter-test-pack\n"
                                       f"Version: {version}\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(
            "[charter.policies]\ntest_pack = charter_test_pack:POLICY\n", encoding="utf-8")
        reset()
        return site

    reset()
    yield install
    reset()


@pytest.fixture
def package_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Install a policy pack that is a package: ``charter_acme`` with the files given (name
    to source; ``__init__.py`` is added), its entry point ``charter_acme.checks:POLICY``.
    Returns ``install(files)``; calling it again rewrites those files in place. The lookups
    and the pack's imported modules are reset before and after, so a check sees the files as
    they are now (as a new process would)."""
    import importlib
    import sys

    import charter.policies as registry
    from charter import packs

    site = tmp_path / "acme-site"
    (site / "charter_acme").mkdir(parents=True)
    (site / "charter_acme" / "__init__.py").write_text("", encoding="utf-8")
    info = site / "charter_acme-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: charter-acme\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[charter.policies]\nacme = charter_acme.checks:POLICY\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))

    def reset() -> None:
        packs.packs.cache_clear()
        registry.all_policies.cache_clear()
        importlib.invalidate_caches()
        for name in [m for m in sys.modules if m.split(".")[0] == "charter_acme"]:
            del sys.modules[name]

    def install(files: dict[str, str]) -> Path:
        for name, source in files.items():
            (site / "charter_acme" / name).write_text(source, encoding="utf-8")
        reset()
        return site

    reset()
    yield install
    reset()
