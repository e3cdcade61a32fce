"""`charter diff`: a semantic diff of programs (docs/diff.md).

The issue's acceptance test: on programs/ejourney.charter, cutting Elite's margin from 35% to
30% is partner-unfavourable with its money impact and fails `--fail-on partner-unfavourable`;
a comment-only edit reports no change; the partner view shows nothing internal; `--git`
works in a repository, with added and removed programs. Runs in-process (CliRunner).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from charter.cli import main
from conftest import PROGRAMS, REPO

DOC = REPO / "docs" / "diff.md"
ELITE_MARGIN = ("        margin: 35%\n        margin_y2: 35%                # flat\n"
                "        mdf: 3%\n")


def run(*args: str):
    return CliRunner().invoke(main, ["diff", *map(str, args)])


def copy_programs(into: Path) -> Path:
    shutil.copytree(PROGRAMS, into)
    return into


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"expected one `{old}` in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def cut_elite(program: Path) -> None:
    """Elite is written in ejourney.charter itself (the base has no tiers): 35% → 30%."""
    edit(program, ELITE_MARGIN, ELITE_MARGIN.replace("margin: 35%", "margin: 30%"))


@pytest.fixture(scope="module")
def trees(tmp_path_factory) -> tuple[Path, Path]:
    """An untouched copy of programs/ (old) and one with Elite's margin cut (new)."""
    root = tmp_path_factory.mktemp("diff")
    old, new = copy_programs(root / "old"), copy_programs(root / "new")
    cut_elite(new / "ejourney.charter")
    return old / "ejourney.charter", new / "ejourney.charter"


@pytest.fixture(scope="module")
def elite_json(trees) -> dict:
    result = run(*trees, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---- the acceptance test -------------------------------------------------------------------

def test_elite_margin_cut_is_partner_unfavourable(elite_json):
    [change] = elite_json["changes"]
    assert change["id"] == "tier-margin-decreased"
    assert change["class"] == "partner-unfavourable"
    assert (change["old"], change["new"]) == ("35%", "30%")
    assert (change["old_value"], change["new_value"]) == ("0.350000", "0.300000")
    assert change["subject"] == "channel VAD / tier Elite"
    assert change["path"] == "$.channels[channel:VAD].tiers[tier:VAD/Elite].margin"
    assert change["money"] and change["line"] == elite_margin_line()
    assert change["retroactive"]   # effective 2026-01-01 is before the suite's today


def elite_margin_line() -> int:
    """The line of Elite's `margin:` in programs/ejourney.charter."""
    text = (PROGRAMS / "ejourney.charter").read_text(encoding="utf-8")
    return text[:text.index(ELITE_MARGIN)].count("\n") + 1


def test_money_impact_on_examples_and_standard_deals(elite_json):
    impact = {i["deal"]: i for i in elite_json["changes"][0]["impact"]}
    example = impact["example c5_growth_elite_1000 (VAD Elite, Growth × 1.000 users)"]
    assert [y["change"] for y in example["years"]] == ["-120000000", "0"]  # margin_y2 stays
    assert example["years"][0]["old"] == "840000000"
    standard = impact["VAD Elite, Growth × 1.000 users"]
    assert standard["kind"] == "standard"
    assert Decimal(standard["years"][0]["change"]) == Decimal("-120000000")
    assert standard["text"].replace("\xa0", " ").endswith("Y1 −Rp120 jt · Y2 ±0 · Y3 ±0")
    # only deals on VAD Elite are touched by a change to VAD Elite
    assert all("VAD Elite" in name for name in impact)


def test_markdown_comment(trees):
    result = run(*trees)                                   # markdown is the default
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "<!-- charter-diff -->"
    assert lines[1] == "**charter diff:** 1 partner-unfavourable"
    table = [line for line in lines if line.startswith("| partner-unfavourable")]
    assert len(table) == 1 and "`tier-margin-decreased`" in table[0]
    assert "35% → 30%" in table[0] and "−Rp120\xa0jt" in table[0]  # babel's no-break space
    assert "<details>" in result.stdout and "</details>" in result.stdout
    assert "**Retroactive**" in result.stdout
    assert "CH-E301" in result.stdout                      # the worked examples now fail


def test_fail_on_sets_the_exit_code(trees):
    from charter.semdiff import diff_files

    assert run(*trees, "--fail-on", "partner-unfavourable", "--format", "text").exit_code == 1
    result = diff_files(*trees)             # the exit code is `result.fails(fail_on)`
    assert result.fails("partner-unfavourable") and result.fails("any")
    assert not result.fails("vendor-risk") and not result.fails(None)


def test_comment_and_layout_edits_report_nothing(tmp_path):
    old, new = copy_programs(tmp_path / "old"), copy_programs(tmp_path / "new")
    program = new / "ejourney.charter"
    edit(program, "    margin: 20%\n", "    margin:     20%   # a new comment\n\n")
    edit(program, "# ---- Layer 1", "# a comment-only edit\n\n# ---- Layer 1")
    result = run(old / "ejourney.charter", program, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changes"] == []
    markdown = run(old / "ejourney.charter", program, "--fail-on", "any")
    assert markdown.exit_code == 0 and "no semantic changes" in markdown.stdout


def test_a_renamed_channel_is_a_removal_and_an_addition_not_a_crash(tmp_path):
    """Found in review: renaming a channel left an empty criteria mapping in a changed value,
    and describing it raised KeyError ('metric')."""
    old, new = copy_programs(tmp_path / "old"), copy_programs(tmp_path / "new")
    program = new / "saas-reseller.charter"
    program.write_text(re.sub(r"\bReseller\b", "Resx", program.read_text(encoding="utf-8")),
                       encoding="utf-8")
    result = run(old / "saas-reseller.charter", program, "--format", "json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    assert {"channel-removed", "channel-added"} <= {c["id"] for c in changes}
    # the tiers keep their names: they are told apart by their channel, not shown unchanged
    [scope] = [c for c in changes if c["id"] == "process-changed"]
    assert (scope["old"], scope["new"]) == ("Reseller/Silver, Reseller/Gold, Reseller/Platinum",
                                            "Resx/Silver, Resx/Gold, Resx/Platinum")


# ---- the partner view ----------------------------------------------------------------------

INTERNAL_WORDS = ("cogs", "margin-death", "death line", "vendor margin", "vendor_net",
                  "margin_floor", "margin floor", "walk rule", "headroom", "commissionbenchmark",
                  "c7_margin_elite_alone", "d1_commission_comparison", "ch-p0", "ch-e3")


@pytest.fixture(scope="module")
def internal_edit(tmp_path_factory) -> tuple[Path, Path]:
    """Elite's cut plus internal edits: COGS 3% → 4%, margin floor 60% → 61%, a walk rule
    dropped."""
    root = tmp_path_factory.mktemp("internal")
    old, new = copy_programs(root / "old"), copy_programs(root / "new")
    program = new / "ejourney.charter"
    cut_elite(program)
    edit(program, "cogs: 3%", "cogs: 4%")
    edit(program, "margin_floor: 60%", "margin_floor: 61%")
    edit(program, '    walk: "Elite tier on a Referral-handover deal"\n', "")
    return old / "ejourney.charter", program


def test_internal_view_reports_the_internal_edits(internal_edit):
    changes = json.loads(run(*internal_edit, "--format", "json").stdout)["changes"]
    ids = {c["id"] for c in changes}
    assert {"tier-margin-decreased", "cogs-increased", "margin-floor-raised",
            "walk-rule-relaxed"} <= ids
    assert run(*internal_edit, "--fail-on", "vendor-risk").exit_code == 1


def test_a_higher_margin_floor_alone_fails_the_partner_unfavourable_gate(tmp_path):
    """Raising the floor makes partner deals walk: the gate let it through as `internal`."""
    old, new = copy_programs(tmp_path / "old"), copy_programs(tmp_path / "new")
    edit(new / "ejourney.charter", "margin_floor: 60%", "margin_floor: 62.5%")
    result = run(old / "ejourney.charter", new / "ejourney.charter", "--format", "json",
                 "--fail-on", "partner-unfavourable")
    assert result.exit_code == 1, result.output
    [change] = [c for c in json.loads(result.stdout)["changes"]
                if c["id"] == "margin-floor-raised"]
    assert "partner-unfavourable" in change["classes"]
    partner = run(old / "ejourney.charter", new / "ejourney.charter", "--view", "partner",
                  "--format", "json")
    shown = partner.stdout.replace(str(tmp_path), "").lower()  # the folder holds the test's name
    for word in ("margin_floor", "margin-death", "62.5", "0.625000"):
        assert word not in shown, word


@pytest.fixture(scope="module")
def partner_outputs(internal_edit) -> dict[str, str]:
    """The partner view of the internal edit, in every format (one diff, four renderings)."""
    from charter.semdiff import diff_files
    from charter.semdiff.render import RENDERERS

    result = diff_files(*internal_edit, view="partner")
    assert not result.fails("vendor-risk")
    return {fmt: render(result) for fmt, render in RENDERERS.items()}


@pytest.mark.parametrize("fmt", ["markdown", "json", "text", "github"])
def test_partner_view_shows_nothing_internal(partner_outputs, fmt):
    out = partner_outputs[fmt].lower()
    for word in INTERNAL_WORDS:
        assert word not in out, word
    for number in ("61%", "0.610000", "60%", "0.600000", "3% → 4%", "0.040000", "90%", "62%",
                   "57%"):
        assert number not in out, number
    assert "tier-margin-decreased" in out
    if fmt == "json":
        assert json.loads(out)["failing_policies"] == []   # the vendor's own QA


def test_partner_view_through_the_command(internal_edit):
    result = run(*internal_edit, "--view", "partner", "--format", "json",
                 "--fail-on", "vendor-risk")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["view"] == "partner"
    assert [c["id"] for c in data["changes"]] == ["tier-margin-decreased"]


# ---- --git ---------------------------------------------------------------------------------

def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=repo, check=True, capture_output=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A repository with programs/ committed, then in the working tree: Elite cut, a base
    edit (VAD certification loses `services`), elision removed and a new program added."""
    root = tmp_path_factory.mktemp("repo")
    copy_programs(root / "programs")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "programs")
    cut_elite(root / "programs" / "ejourney.charter")
    edit(root / "programs" / "base" / "two-channel.charter",
         "certification: sales, technical, services", "certification: sales, technical")
    text = (root / "programs" / "elision.charter").read_text(encoding="utf-8")
    (root / "programs" / "elision.charter").unlink()
    (root / "programs" / "newcomer.charter").write_text(
        text.replace("program elision {", "program newcomer {", 1), encoding="utf-8")
    return root


def git_diff(repo: Path, monkeypatch, *args: str):
    monkeypatch.chdir(repo)
    return run("--git", *args)


def test_git_mode_matches_programs_by_id(repo, monkeypatch):
    result = git_diff(repo, monkeypatch, "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_id = {(c["program"], c["id"]) for c in data["changes"]}
    assert ("ejourney", "tier-margin-decreased") in by_id
    assert ("newcomer", "program-added") in by_id
    assert ("elision", "program-removed") in by_id
    assert data["programs"]["added"] == [{"program": "newcomer",
                                          "file": "programs/newcomer.charter"}]
    assert data["programs"]["removed"] == [{"program": "elision",
                                            "file": "programs/elision.charter@HEAD"}]
    # `extends:` in the old programs resolved against HEAD, so the base's edit shows
    [relaxed] = [c for c in data["changes"] if c["id"] == "certification-relaxed"]
    assert (relaxed["program"], relaxed["subject"]) == ("ejourney", "channel VAD")
    assert relaxed["class"] == "partner-favourable"
    assert relaxed["message"] == "less certification required (certification): removed services"


def test_git_mode_path_outside_base_and_github_annotations(repo, monkeypatch):
    result = git_diff(repo, monkeypatch, "HEAD", "programs/ejourney.charter",
                      "--format", "github")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(line.startswith(("::warning ", "::notice ")) for line in lines)
    margin = next(line for line in lines if "tier-margin-decreased" in line)
    line = elite_margin_line()
    assert margin.startswith(f"::warning file=programs/ejourney.charter,line={line},")
    assert not any("newcomer" in line or "elision" in line for line in lines)


def test_git_mode_bad_revision_is_one_line(repo, monkeypatch):
    result = git_diff(repo, monkeypatch, "no-such-branch")
    assert result.exit_code == 2
    assert result.stderr.strip() == "charter: unknown git revision `no-such-branch`"
    assert "Traceback" not in result.output


def test_git_mode_outside_a_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = run("--git", "HEAD")
    assert result.exit_code == 2 and result.stderr.startswith("charter: ")


# ---- errors, retroactivity, hostile text ---------------------------------------------------

def test_a_program_that_does_not_compile_exits_2(trees, tmp_path):
    broken = copy_programs(tmp_path / "p") / "ejourney.charter"
    edit(broken, "    route: VAD Elite\n    expect { wholesale_unit_price: Rp 130K }",
         "    route: VAD Platinum\n    expect { wholesale_unit_price: Rp 130K }")
    result = run(trees[0], broken, "--format", "json")
    assert result.exit_code == 2
    assert "CH-E109" in result.stderr and "does not compile" in result.stderr
    assert result.stdout == ""


def test_one_id_twice_and_abstract_bases_are_problems(repo, monkeypatch, tmp_path):
    clone = repo / "programs" / "clone.charter"
    clone.write_text((repo / "programs" / "saas-reseller.charter").read_text(encoding="utf-8"),
                     encoding="utf-8")
    try:
        result = git_diff(repo, monkeypatch, "HEAD", "programs")
    finally:
        clone.unlink()
    assert result.exit_code == 2 and "two programs are called `saas_reseller`" in result.stderr
    base = PROGRAMS / "base" / "two-channel.charter"
    result = run(base, base)
    assert result.exit_code == 2 and "abstract base" in result.stderr


def test_retroactive_rules():
    from datetime import date

    from charter.semdiff.report import retroactive_reason

    today = date(2025, 6, 1)
    old = {"version": "1.0.0", "effective": "2026-01-01"}
    assert retroactive_reason(old, {"version": "1.0.0", "effective": "2026-01-01"}, today) is None
    assert "keeps" in retroactive_reason(old, {"version": "1.1.0", "effective": "2026-01-01"},
                                         today)
    assert retroactive_reason(old, {"version": "1.1.0", "effective": "2026-07-01"}, today) is None
    assert "before today" in retroactive_reason(old, {"version": "1.1.0",
                                                      "effective": "2025-05-01"}, today)


def test_hostile_program_text_is_escaped(tmp_path):
    from charter.semdiff import diff_files
    from charter.semdiff.render import render_github, render_json, render_markdown, render_text

    old, new = copy_programs(tmp_path / "old"), copy_programs(tmp_path / "new")
    hostile = 'VAD | Elite <img src=x onerror=alert(1)> \x1b[31m \u202e ` ** [x](y)'
    edit(new / "ejourney.charter", 'title: "Lead registration"\n        owner: "partner"',
         f'title: "Lead registration"\n        owner: "{hostile}"')
    result = diff_files(old / "ejourney.charter", new / "ejourney.charter")
    markdown = render_markdown(result)
    assert re.search(r"(?<!\\)<img", markdown) is None and "\\<img" in markdown
    row = next(line for line in markdown.splitlines() if "`process-changed`" in line)
    assert row.count(" | ") == 5        # the owner's `|` cannot end a cell
    raw = render_json(result)
    for out in (markdown, render_text(result), render_github(result), raw):
        assert "\x1b" not in out and "\u202e" not in out    # JSON spells them as escapes
    [change] = json.loads(raw)["changes"]  # `new_value` is the config's, as written
    assert change["new_value"] == hostile and "\u202e" not in change["new"]


# ---- the rules table -----------------------------------------------------------------------

def _schema_paths():
    """Every path `compare` can report, from the config schema: (path, directions)."""
    from charter.semdiff.compare import CONTAINERS
    from charter.targets.config_schema import config_schema_for

    schema = config_schema_for("config")
    defs = schema["$defs"]

    def resolve(node: dict) -> dict:
        while "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        for option in node.get("oneOf", ()):
            option = resolve(option)
            if option.get("type") != "null":
                return option
        return node

    every = ("up", "down", "added", "removed", "changed")
    found: list[tuple[str, tuple[str, ...]]] = []

    def walk(node: dict, path: str) -> None:
        for key, value in node["properties"].items():
            if key in ("_source", "id"):
                continue
            here, value = f"{path}.{key}" if path else key, resolve(value)
            items = resolve(value.get("items", {})) if value.get("type") == "array" else {}
            if "id" in items.get("properties", {}):
                found.append((here + "[]", ("added", "removed")))
                walk(items, here + "[]")
            elif key in CONTAINERS and "properties" in value:
                found.append((here, ("added", "removed")))
                walk(value, here)
            else:
                found.append((here, every))
    walk(schema, "")
    return found


def test_every_config_path_has_a_rule():
    from charter.semdiff.rules import classify

    paths = _schema_paths()
    assert len(paths) > 250
    fallback = [(p, d) for p, ds in paths for d in ds if classify(p, d).check == "terms-changed"]
    assert fallback == []


def test_check_ids_are_stable_words():
    from charter.semdiff.rules import CLASSES, RULES, check_ids

    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c) for c in check_ids())
    assert all(set(r.classes) <= set(CLASSES) and r.classes for r in RULES)
    for wanted in ("tier-margin-decreased", "tier-removed", "commission-rate-increased",
                   "lead-protection-shortened", "threshold-raised", "step-down-added",
                   "cap-raised", "walk-rule-relaxed", "doc-changed"):
        assert wanted in check_ids()


def test_docs_table_is_generated_from_the_rules(update_golden):
    from charter.semdiff.rules import rules_table

    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- rules:start")
    start = text.index("\n", start) + 1
    end = text.index("<!-- rules:end -->")
    if update_golden:
        DOC.write_text(text[:start] + rules_table() + text[end:], encoding="utf-8")
        text = DOC.read_text(encoding="utf-8")
        end = text.index("<!-- rules:end -->")
    assert text[start:end] == rules_table(), \
        "docs/diff.md is stale: python -m pytest tests/test_diff.py --update-golden"


@pytest.mark.parametrize("old, new, direction", [
    ({"value": "1", "unit": "year", "business": False},
     {"value": "12", "unit": "month", "business": False}, None),
    ({"value": "90", "unit": "day", "business": False},
     {"value": "60", "unit": "day", "business": False}, "down"),
    ({"money": {"amount": "2400000000", "currency": "IDR"}, "per_unit": None,
      "per_period": "year"},
     {"money": {"amount": "200000000", "currency": "IDR"}, "per_unit": None,
      "per_period": "month"}, None),
    ({"metric": "revenue", "op": ">=", "value": {"number": "5"}},
     {"metric": "revenue", "op": ">=", "value": {"number": "6"}}, "up"),
    ({"metric": "nps", "op": "<", "value": {"number": "7"}},
     {"metric": "nps", "op": "<", "value": {"number": "6"}}, "up"),   # harder to meet
    (["sales", "technical"], ["technical", "sales"], None),
    (["sales", "technical"], ["sales"], "down"),
])
def test_values_compare_by_meaning(old, new, direction):
    from charter.semdiff.compare import direction_of

    assert direction_of("x", old, new) == direction


def test_an_empty_allowed_tiers_list_allows_every_tier():
    from charter.semdiff.compare import direction_of

    assert direction_of("handovers[].allowed_tiers", [], ["tier:VAD/Standard"]) == "down"
    assert direction_of("handovers[].allowed_tiers", ["tier:VAD/Standard"], []) == "up"


# ---- --git reads only what it needs ------------------------------------------------------

@pytest.fixture
def blob_reads(monkeypatch) -> list[str]:
    """The blob ids `charter diff --git` asks `git cat-file` for."""
    import charter.semdiff.gitrev as gitrev

    asked: list[str] = []
    real_git = gitrev._git

    def spying(args, cwd, problem=None, stdin=None):
        if args[:1] == ["cat-file"] and stdin:
            asked.extend(stdin.split())
        return real_git(args, cwd, problem, stdin)

    monkeypatch.setattr(gitrev, "_git", spying)
    return asked


def _blob(repo: Path, path: str) -> str:
    return subprocess.run(["git", "rev-parse", f"HEAD:{path}"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_git_mode_reads_only_the_blobs_under_the_paths_and_their_bases(tmp_path, monkeypatch,
                                                                       blob_reads):
    """Every `*.charter` blob of the revision was read into memory and written out: a
    400 MB `junk/big.charter` outside the paths asked took 806 MB."""
    root = tmp_path / "repo"
    copy_programs(root / "programs")
    (root / "junk").mkdir()
    (root / "junk" / "big.charter").write_bytes(b"# " + b"x" * 5_000_000 + b"\n")
    (root / "junk" / "small.charter").write_text("program junk { title: \"J\" }\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "programs")
    monkeypatch.chdir(root)
    result = run("--git", "HEAD", "programs/ejourney.charter", "--format", "json")
    assert result.exit_code == 0, result.output
    wanted = {_blob(root, "programs/ejourney.charter"),
              _blob(root, "programs/base/two-channel.charter")}
    assert set(blob_reads) == wanted     # its base (extends:) too, nothing else


def test_git_mode_refuses_a_blob_over_the_size_limit_without_reading_it(tmp_path, monkeypatch,
                                                                        blob_reads):
    root = tmp_path / "repo"
    programs = copy_programs(root / "programs")
    big = programs / "big.charter"
    big.write_bytes(b"# " + b"x" * 4_100_000 + b"\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "programs")
    big.unlink()
    monkeypatch.chdir(root)
    result = run("--git", "HEAD", "programs/big.charter")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "CH-E012" in result.stderr and "file is too large" in result.stderr
    assert "big.charter@HEAD" in result.stderr
    assert _blob(root, "programs/big.charter") not in blob_reads


def test_git_mode_from_a_deleted_working_folder_is_one_line(repo, tmp_path):
    """`Path.cwd()` raised FileNotFoundError out of `gitrev.checkout`: a traceback."""
    import sys

    gone = repo / "gone"
    gone.mkdir()
    script = ("import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]);"
              "from charter.cli import main; sys.argv = ['charter', 'diff', '--git', 'HEAD'];"
              " main()")
    done = subprocess.run([sys.executable, "-c", script, str(gone)],
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("charter: ") and done.stderr.count("\n") == 1, done.stderr
