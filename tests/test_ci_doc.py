"""docs/ci.md: its YAML parses, its workflow does what the page says, and every `charter`
command line in it (workflow `run:` steps, pre-commit hooks, shell blocks) uses only commands
and options the CLI has, with values its choices accept."""
from __future__ import annotations

import re
import shlex

import click
import pytest
import yaml

from conftest import REPO

DOC = REPO / "docs" / "ci.md"
HOOKS = REPO / ".pre-commit-hooks.yaml"
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.S | re.M)
SEPARATORS = {"|", "||", "&&", ";", "&"}
REDIRECTS = {">", ">>", "<", "2>", "&>"}


def _blocks(lang: str) -> list[str]:
    """The fenced blocks of ``lang`` in docs/ci.md, dedented to their fence."""
    text = DOC.read_text(encoding="utf-8")
    return [re.sub(rf"(?m)^{m.group(1)}", "", m.group(3))
            for m in FENCE.finditer(text) if m.group(2) == lang]


def _runs(node) -> list[str]:
    """Every `run:` script anywhere in a parsed workflow."""
    if isinstance(node, dict):
        found = [node["run"]] if isinstance(node.get("run"), str) else []
        return found + [r for value in node.values() for r in _runs(value)]
    if isinstance(node, list):
        return [r for item in node for r in _runs(item)]
    return []


def _commands(script: str) -> list[list[str]]:
    """The `charter …` simple commands of a shell script, without redirections."""
    script = script.replace("\\\n", " ")
    found = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words: list[str] = []
        for token in [*lexer, ";"]:
            if token in SEPARATORS:
                if words and words[0] == "charter":
                    found.append(_unredirect(words))
                words = []
            else:
                words.append(token)
    return found


def _unredirect(words: list[str]) -> list[str]:
    out, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in REDIRECTS:
            skip = True
        else:
            out.append(word)
    return out


def _hook_commands() -> list[list[str]]:
    """The command each hook in the page's pre-commit config runs (entry + args; file names
    are appended by pre-commit and are not options)."""
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    found = []
    for block in _blocks("yaml"):
        config = yaml.safe_load(block)
        repos = config.get("repos", []) if isinstance(config, dict) else []
        uses = [h for r in repos for h in r.get("hooks", [])]
        if isinstance(config, list):  # a snippet of a `hooks:` list
            uses += [h for h in config if isinstance(h, dict) and "id" in h]
        for use in uses:
            assert use["id"] in hooks, f"docs/ci.md uses an unknown hook `{use['id']}`"
            args = use.get("args", hooks[use["id"]].get("args", []))
            found.append(shlex.split(hooks[use["id"]]["entry"]) + [str(a) for a in args])
    return found


def _all_commands() -> list[list[str]]:
    workflows = [yaml.safe_load(b) for b in _blocks("yaml")]
    scripts = [s for w in workflows for s in _runs(w)] + _blocks("sh")
    return [c for s in scripts for c in _commands(s)] + _hook_commands()


COMMANDS = _all_commands()


def _workflow() -> dict:
    (workflow,) = [w for w in map(yaml.safe_load, _blocks("yaml"))
                   if isinstance(w, dict) and "jobs" in w]
    return workflow


def test_every_yaml_block_parses():
    blocks = _blocks("yaml")
    assert len(blocks) >= 3
    for block in blocks:
        assert yaml.safe_load(block) is not None


def test_the_page_runs_the_commands_it_describes():
    lines = {" ".join(c) for c in COMMANDS}
    for expected in ("charter check --format github programs/",
                     "charter check --format sarif programs/",
                     "charter build programs/ --out compiled --check",
                     "charter diff --git origin/main --format markdown"):
        assert expected in lines, f"docs/ci.md no longer runs `{expected}`"


def _problem(words: list[str]) -> str | None:
    """Why ``charter …`` would be refused before it ran (unknown option, a missing option
    value, an extra argument, a value outside an option's choices); None if it would not."""
    from charter.cli import main

    command = main.commands[words[1]]
    ctx = click.Context(command, info_name=words[1])
    try:
        values, extra, order = command.make_parser(ctx).parse_args(list(words[2:]))
        for param in order:
            if isinstance(param.type, click.Choice):
                param.type.convert(values[param.name], param, ctx)
    except click.UsageError as bad:
        return bad.format_message()
    return f"unexpected arguments {extra}" if extra else None


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_charter_command_uses_real_options(words):
    from charter.cli import main

    if words[1] not in main.commands:
        pytest.skip(f"`charter {words[1]}` does not exist yet (a change in progress adds it);"
                    " its options are checked once it does")
    problem = _problem(words)
    assert problem is None, f"docs/ci.md: `{' '.join(words)}`: {problem}"


@pytest.mark.parametrize("line, says", [
    ("charter check --formt github programs/", "No such option"),
    ("charter check --format yaml programs/", "is not one of"),
    ("charter build programs/ --out", "requires an argument"),
    ("charter policies extra", "unexpected arguments"),
])
def test_the_option_check_catches_mistakes(line, says):
    (words,) = _commands(line + " > out.txt")
    assert says in (_problem(words) or "")


def test_the_workflow_uploads_sarif_always_with_permission():
    jobs = _workflow()["jobs"]
    steps = [(job, step) for job in jobs.values() for step in job["steps"]]
    (job, upload), = [(j, s) for j, s in steps
                      if s.get("uses", "").startswith("github/codeql-action/upload-sarif@v3")]
    assert upload["if"].startswith("always()")
    assert job["permissions"]["security-events"] == "write"
    (sarif,) = [s for _, s in steps if "--format sarif" in s.get("run", "")]
    assert sarif["if"] == "always()" and "> charter.sarif" in sarif["run"]
    assert upload["with"]["sarif_file"] == "charter.sarif"


def test_the_diff_is_one_comment_updated_by_its_marker():
    job = _workflow()["jobs"]["diff"]
    assert "pull_request" in job["if"]
    assert job["permissions"]["pull-requests"] == "write"
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    script = next(s for s in job["steps"] if "github-script" in s.get("uses", ""))["with"]
    assert "<!-- charter-diff -->" in script["script"]
    assert "updateComment" in script["script"] and "createComment" in script["script"]


def test_the_pre_commit_snippet_names_the_shipped_hooks():
    hooks = {h["id"] for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    configs = [yaml.safe_load(b) for b in _blocks("yaml")]
    (config,) = [c for c in configs if isinstance(c, dict) and "repos" in c]
    (repo,) = config["repos"]
    assert repo["repo"].startswith("https://") and repo["rev"]
    assert {h["id"] for h in repo["hooks"]} == hooks
