"""SARIF 2.1.0 for code scanning: `charter check --format sarif`.

One run; ``tool.driver.rules`` lists every registered code, then every policy, in code order,
so a rule's index does not depend on what was found. A diagnostic with a place is a result
(its labels are related locations); a waived finding is a result with an in-source suppression
carrying the waiver's reason; a diagnostic with no place (a file that could not be read at all)
is a tool execution notification, since code scanning refuses a result without a location.
The output is the same bytes for the same input: no times, no absolute paths of the machine.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePath
from typing import Iterable, Mapping
from urllib.parse import quote

from charter import __version__
from charter.codes import CODES, anchor
from charter.diagnostics import Diagnostic, Severity
from charter.policies import BUILTIN, all_policies
from charter.policies.base import Policy
from charter.source import SourceFile, Span

SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/charter-lang/charter"
# The one base of every help URI. SARIF wants an absolute URI (a path relative to the
# repository is not one), and the docs live in the repository, so the rules link to them there.
DOCS_URL = INFORMATION_URI + "/blob/main/docs/"
SRCROOT = "%SRCROOT%"       # paths are relative to the folder `charter check` ran in
FINGERPRINT = "charter/v1"  # bump the version when the recipe of `fingerprint` changes
WAIVED_PREFIX = "waived: "  # what policies.runner puts before a waived finding's message


def render_sarif(diagnostics: Iterable[Diagnostic], sources: Mapping[str, SourceFile]) -> str:
    """The SARIF log of one `charter check` as JSON (two-space indent, trailing newline)."""
    rules = _rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    placed = [d for d in diagnostics if d.span is not None]
    unplaced = [d for d in diagnostics if d.span is None]
    run = {
        "tool": {"driver": {"name": "charter", "version": __version__,
                            "informationUri": INFORMATION_URI, "rules": rules}},
        "invocations": [_invocation(unplaced, index)],
        "originalUriBaseIds": {SRCROOT: {"description": {
            "text": "The folder `charter check` ran in; file paths are relative to it."}}},
        "columnKind": "unicodeCodePoints",
        "results": _results(placed, sources, index),
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


# ---- rules ------------------------------------------------------------------------------------

def _rules() -> list[dict]:
    """Every registered code, then every policy, then any code a policy pack emits besides."""
    rules = [_code_rule(code) for code in sorted(CODES)]
    rules += [_policy_rule(policy) for policy in all_policies()]
    known = {rule["id"] for rule in rules}
    extra = sorted({(code, p.code) for p in all_policies() for code in p.emits
                    if code not in known})
    rules += [_emitted_rule(code, owner) for code, owner in extra]
    return rules


def _code_rule(code: str) -> dict:
    entry = CODES[code]
    level = "warning" if code.startswith("CH-W") else "error"
    return {"id": code, "shortDescription": {"text": entry.title},
            "fullDescription": {"text": entry.explanation},
            "helpUri": f"{DOCS_URL}diagnostics.md#{anchor(code)}",
            "help": {"text": entry.explanation, "markdown": entry.explanation},
            "defaultConfiguration": {"level": level}}


def _policy_rule(policy: Policy) -> dict:
    text = f"{policy.rationale}\n\n{policy.explain}"
    markdown = (f"{text}\n\nFails:\n\n```\n{policy.failing}\n```\n\n"
                f"Passes:\n\n```\n{policy.passing}\n```")
    rule: dict = {"id": policy.code, "name": policy.name,
                  "shortDescription": {"text": policy.title},
                  "fullDescription": {"text": policy.rationale}}
    if _is_builtin(policy):  # a policy pack's policies are not in docs/policies.md
        # the anchor docs/policies.md (policies/docs.py) gives the policy's heading
        rule["helpUri"] = f"{DOCS_URL}policies.md#{policy.code.lower()}-{policy.name}"
    return rule | {"help": {"text": text, "markdown": markdown},
                   "defaultConfiguration": {"level": _level(policy.severity)},
                   "properties": {"tags": ["policy"]}}


def _emitted_rule(code: str, owner: str) -> dict:
    return {"id": code, "shortDescription": {"text": f"reported by policy {owner}"},
            "properties": {"tags": ["policy"]}}


def _is_builtin(policy: Policy) -> bool:
    module = getattr(policy.check, "__module__", "") or ""
    return module.removeprefix("charter.policies.") in BUILTIN


def _level(severity: Severity) -> str:
    return {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(severity, "note")


# ---- results ----------------------------------------------------------------------------------

def _results(diagnostics: list[Diagnostic], sources: Mapping[str, SourceFile],
             index: dict[str, int]) -> list[dict]:
    results, seen = [], {}
    for d in diagnostics:
        digest = fingerprint(d, sources.get(d.span.file))
        seen[digest] = seen.get(digest, 0) + 1  # identical findings: told apart by their order
        results.append(_result(d, index, f"{digest}:{seen[digest]}"))
    return results


def _result(d: Diagnostic, index: dict[str, int], print_id: str) -> dict:
    result: dict = {"ruleId": d.code}
    if d.code in index:
        result["ruleIndex"] = index[d.code]
    result |= {"level": _level(d.severity), "message": {"text": _message(d)},
               "locations": [_location(d.span, d.label)]}
    if d.labels:
        result["relatedLocations"] = [_location(label.span, label.message, i)
                                      for i, label in enumerate(d.labels, 1)]
    result["partialFingerprints"] = {FINGERPRINT: print_id}
    if d.suppression is not None:
        result["suppressions"] = [_suppression(d)]
    return result


def _message(d: Diagnostic) -> str:
    """The message, then its notes and help on lines of their own, as the text format shows."""
    return "\n".join([d.message, *(f"note: {n}" for n in d.notes),
                      *(f"help: {h}" for h in d.help)])


def _location(span: Span, message: str, id_: int | None = None) -> dict:
    location: dict = {} if id_ is None else {"id": id_}
    location["physicalLocation"] = {
        "artifactLocation": artifact(span.file),
        "region": {"startLine": span.line, "startColumn": span.column,
                   "endLine": span.end_line, "endColumn": span.end_column}}
    if message:
        location["message"] = {"text": message}
    return location


def artifact(path: str) -> dict:
    """An artifactLocation: relative to `SRCROOT` when the path is relative, else a file URI."""
    pure = PurePath(path)
    if pure.is_absolute():
        return {"uri": pure.as_uri()}
    return {"uri": quote(pure.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _suppression(d: Diagnostic) -> dict:
    s = d.suppression
    suppression: dict = {"kind": "inSource", "status": "accepted",
                         "justification": s.justification}
    if s.span is not None:
        suppression["location"] = _location(s.span, f"waiver `{s.waiver}`")
    properties = {"waiver": s.waiver, "owner": s.owner}
    if s.expires:
        properties["expires"] = s.expires
    suppression["properties"] = properties
    return suppression


def _invocation(unplaced: list[Diagnostic], index: dict[str, int]) -> dict:
    """The run completed (findings are results, not failures); diagnostics with no place in
    any file are notifications, each tied to its rule."""
    invocation: dict = {"executionSuccessful": True}
    notes = []
    for d in unplaced:
        rule = {"id": d.code} | ({"index": index[d.code]} if d.code in index else {})
        notes.append({"level": _level(d.severity), "message": {"text": _message(d)},
                      "associatedRule": rule})
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


# ---- fingerprints -----------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
# "opened on line 12", "base.charter:12:5": a line number in a message moves with every edit
_LINE_NUMBER = re.compile(r"\bline \d+|(?<=\.charter):\d+(?::\d+)?")


def fingerprint(d: Diagnostic, source: SourceFile | None) -> str:
    """sha256 over what stays put when unrelated lines change: the code, the file, the text of
    the offending line (spaces collapsed) and the message without line numbers; never a line
    number. A waived finding prints as the finding would, so waiving it suppresses its alert
    instead of opening a new one."""
    span = d.span
    line = source.line_text(span.line) if source is not None and span is not None else ""
    message = d.message.removeprefix(WAIVED_PREFIX) if d.suppression else d.message
    parts = (d.code, span.file if span is not None else "", _SPACE.sub(" ", line).strip(),
             _LINE_NUMBER.sub("line", message))
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
