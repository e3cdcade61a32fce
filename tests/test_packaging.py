"""The installed distribution: one `charter` namespace, grammar shipped as package data."""
from __future__ import annotations

import importlib.metadata
import importlib.resources


def _installed():
    """The distribution as installed in site-packages (not a build artifact in the tree)."""
    import sysconfig
    purelib = sysconfig.get_paths()["purelib"]
    (dist,) = [d for d in importlib.metadata.distributions(path=[purelib])
               if d.metadata["Name"] == "charter"]
    return dist


def test_distribution_installs_only_the_charter_namespace():
    files = _installed().files or []
    tops = {str(f).split("/")[0] for f in files}
    strays = {t for t in tops if t != "charter" and not t.endswith(".dist-info")
              and not t.startswith("__editable__") and not t.endswith(".pth") and t != "__pycache__"
              and t not in ("..",)}  # console script entries live under ../bin
    assert not strays, f"top-level names outside `charter`: {sorted(strays)}"
    assert not tops & {"compiler", "policies", "targets", "grammar"}


def test_subpackages_map_to_the_design_folders():
    import charter
    import charter.policies
    import charter.targets
    assert charter.policies.__doc__ and charter.targets.__doc__
    assert charter.__version__ == importlib.metadata.version("charter")


def test_grammar_is_package_data():
    text = importlib.resources.files("charter.grammar").joinpath("charter.lark").read_text()
    assert "start:" in text


def test_console_script_is_declared():
    eps = importlib.metadata.entry_points(group="console_scripts")
    assert any(ep.name == "charter" and ep.value == "charter.cli:main" for ep in eps)


def test_import_is_lean():
    """`import charter` must not pull in the parser, jsonschema or networkx (start-up time)."""
    import subprocess
    import sys
    code = ("import sys, charter, charter.cli; heavy = {'lark', 'jsonschema', 'networkx', 'jinja2'}"
            " & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
