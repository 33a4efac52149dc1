"""SARIF 2.1.0 for GitHub code scanning, the VS Code SARIF viewer and other SARIF consumers.

One run with the full rule list (GitHub requires `rules`, short and full descriptions and help), every
result with an explicit level, one location whose URI is relative to the repository root (`%SRCROOT%`)
and a region with all four line/column fields, GitHub's `primaryLocationLineHash` plus mcplint's own
`mcplint/v1` key, and every fix of a finding as SARIF `fixes`: replacements located in the unmodified
file, never starting inside a line's indentation (where the VS Code viewer would misplace them).
Lines end at '\\n' ('\\r\\n' included), SARIF's default `newlineSequences`; columns count Unicode code
points (`columnKind: unicodeCodePoints`) and end columns are exclusive. The document is
deterministic: keys and results are sorted and there are no timestamps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from mcplint import __version__
from mcplint.cli import EXIT_ERROR
from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity
from mcplint.docs import render_rule
from mcplint.fixes import edits_conflict, merge_touching
from mcplint.output import Report, rule_url
from mcplint.output.fingerprint import (
    LineHashes,
    Range,
    RepositoryPaths,
    display_range,
    exact_range,
    finding_keys,
    sorted_for_output,
)
from mcplint.registry import RegisteredRule, all_rules

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/mcplint/mcplint"
SRCROOT = "%SRCROOT%"
# GitHub shows at most this many characters of a rule's short and full description.
DESCRIPTION_LIMIT = 1024

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub's `problem.severity` for results that are not security alerts.
PROBLEM_SEVERITIES = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
# mcplint has no per-rule measure of false positives yet; GitHub orders results by this value.
PRECISION = "high"


def write(report: Report, stream: TextIO) -> None:
    json.dump(sarif_log(report), stream, indent=2, sort_keys=True, ensure_ascii=False)
    stream.write("\n")


def sarif_log(report: Report) -> dict:
    paths = RepositoryPaths.for_report_root(report.root)
    rules = all_rules()
    rule_index = {registered.code: index for index, registered in enumerate(rules)}
    diagnostics = sorted_for_output(report.diagnostics, paths)
    keys = finding_keys(diagnostics, paths)
    hashes = LineHashes()
    invocation: dict = {"executionSuccessful": report.exit_code != EXIT_ERROR, "exitCode": report.exit_code}
    if report.internal_errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": error}} for error in report.internal_errors
        ]
    root_uri = paths.root.as_uri()
    run = {
        "tool": {
            "driver": {
                "name": "mcplint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(registered) for registered in rules],
            }
        },
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri if root_uri.endswith("/") else root_uri + "/"}},
        "invocations": [invocation],
        "results": [
            _result(diagnostic, rule_index.get(diagnostic.code), key, paths, hashes)
            for diagnostic, key in zip(diagnostics, keys, strict=True)
        ],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# ------------------------------------------------------------------------------------ rules


def pascal_case(kebab: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in kebab.split("-"))


def _limited(text: str) -> str:
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    cut = text.rfind(" ", 0, DESCRIPTION_LIMIT - 1)
    return text[: cut if cut > 0 else DESCRIPTION_LIMIT - 1] + "…"


def what_it_does(registered: RegisteredRule) -> str:
    """The "What it does" section of a rule's documentation as plain paragraphs (the summary if none)."""
    match = re.search(r"^## What it does[ \t]*\n(.*?)(?=^## |\Z)", registered.doc, re.M | re.S)
    if match is None:
        return registered.summary
    paragraphs = [" ".join(block.split()) for block in re.split(r"\n[ \t]*\n", match.group(1))]
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph) or registered.summary


def rule_descriptor(registered: RegisteredRule) -> dict:
    rule = registered.rule
    help_text = render_rule(registered)
    tags = list(dict.fromkeys((rule.scope.value, *rule.tags)))
    return {
        "id": rule.code,
        "name": pascal_case(rule.name),
        "shortDescription": {"text": _limited(registered.summary)},
        "fullDescription": {"text": _limited(what_it_does(registered))},
        "help": {"text": help_text, "markdown": help_text},
        "helpUri": rule_url(rule.code),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": tags,
            "precision": PRECISION,
            "problem.severity": PROBLEM_SEVERITIES[rule.severity],
        },
    }


# ---------------------------------------------------------------------------------- results


def artifact_location(path: Path, paths: RepositoryPaths) -> dict:
    """A percent-encoded URI relative to `%SRCROOT%`, or an absolute `file:` URI outside the root."""
    relative = paths.relative(path)
    if relative is None:
        return {"uri": paths.resolve(path).as_uri()}
    return {"uri": "/".join(quote(segment, safe="") for segment in relative.split("/")), "uriBaseId": SRCROOT}


def region(found: Range) -> dict:
    return {
        "startLine": found.start_line,
        "startColumn": found.start_column,
        "endLine": found.end_line,
        "endColumn": found.end_column,
    }


def outside_indentation(edit: Edit) -> tuple[int, int, str]:
    """The edit as (start, end, content), moved so that it does not start inside a line's indentation.

    The VS Code SARIF viewer moves the start of every region forward to the line's first non-blank
    character (`regionToSelection.ts`, "Trim leading whitespace"), which would turn the removal of
    an indented line into the removal of its text only, gluing its indentation to the next line. An
    edit that starts inside the indentation (after line 1) is therefore written as starting at the
    end of the previous line, with the text in between put back in front of its content: the same
    change, which every consumer applies the same way.
    """
    source = edit.source
    line = source.line_of(edit.start)
    text = source.line_text(line)
    indentation = len(text) - len(text.lstrip())
    if line == 1 or edit.start - source.line_start(line) >= indentation:
        return edit.start, edit.end, edit.content
    start = source.line_end(line - 1)
    return start, edit.end, source.text[start : edit.start] + edit.content


def _replacement_edits(edits: Sequence[Edit]) -> list[Edit]:
    """The edits of one file as SARIF replacements, in file order: each moved out of the indentation
    it starts in (`outside_indentation`), and joined with the one before where moving made the two
    overlap, or made an insertion touch it, which would leave their order to the consumer."""
    placed: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        start, end, content = outside_indentation(edit)
        ran_into = bool(placed) and start < placed[-1].end
        if ran_into:
            # The text moved over ends in the edit before: put back only what lies after that edit.
            start = placed[-1].end
            content = edit.source.text[start : edit.start] + edit.content
        moved = Edit(edit.source, start, end, content)
        if ran_into or (placed and edits_conflict(placed[-1], moved)):
            placed[-1:] = merge_touching([placed[-1], moved])
        else:
            placed.append(moved)
    return placed


def _replacement(edit: Edit) -> dict:
    replacement: dict = {"deletedRegion": region(exact_range(edit.source, edit.start, edit.end))}
    if edit.content:
        replacement["insertedContent"] = {"text": edit.content}
    return replacement


def sarif_fix(fix: Fix, paths: RepositoryPaths, *, alternative: bool) -> dict:
    """One SARIF fix: per file, the replacements in file order, all located in the unmodified text."""
    by_source: dict[int, list[Edit]] = {}
    for edit in fix.edits:
        by_source.setdefault(id(edit.source), []).append(edit)
    groups = sorted(by_source.values(), key=lambda edits: paths.shown(edits[0].source.path))
    return {
        "description": {"text": fix.title},
        "artifactChanges": [
            {
                "artifactLocation": artifact_location(edits[0].source.path, paths),
                "replacements": [_replacement(edit) for edit in _replacement_edits(edits)],
            }
            for edits in groups
        ],
        "properties": {"applicability": fix.applicability.label, "alternative": alternative},
    }


def _fixes(diagnostic: Diagnostic, paths: RepositoryPaths) -> Sequence[dict]:
    fixes = [sarif_fix(diagnostic.fix, paths, alternative=False)] if diagnostic.fix else []
    fixes += [sarif_fix(option, paths, alternative=True) for option in diagnostic.alternatives]
    return fixes


def _result(
    diagnostic: Diagnostic, rule_index: int | None, key: str, paths: RepositoryPaths, hashes: LineHashes
) -> dict:
    span = diagnostic.span
    shown = display_range(span.source, span.start, span.end)
    text = diagnostic.message + (f"\n\n{diagnostic.detail}" if diagnostic.detail else "")
    result: dict = {
        "ruleId": diagnostic.code,
        "level": LEVELS[diagnostic.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(diagnostic.path, paths),
                    "region": region(shown),
                }
            }
        ],
        "partialFingerprints": {
            "primaryLocationLineHash": hashes.get(span.source, shown.start_line),
            "mcplint/v1": key,
        },
    }
    if rule_index is not None:  # a finding of a rule that is not registered (only built by hand)
        result["ruleIndex"] = rule_index
    fixes = _fixes(diagnostic, paths)
    if fixes:
        result["fixes"] = fixes
    return result
