"""GitLab Code Quality report: a JSON array of Code Climate issues, the subset GitLab reads.

Each issue has `description`, `check_name` (the rule code), `fingerprint`, `severity` and a
`location` with the path relative to the repository root and `positions.begin`/`end` (1-based line
and column). The fingerprint is mcplint's line-independent key (the same as `mcplint/v1` in SARIF),
so the merge request widget keeps recognising a finding when lines above it move, and two equal
findings in one file stay apart. Written as UTF-8 without a byte order mark, which GitLab rejects.
"""

from __future__ import annotations

import json
from typing import TextIO

from mcplint.diagnostics import Severity
from mcplint.output import Report
from mcplint.output.fingerprint import RepositoryPaths, display_range, finding_keys, sorted_for_output

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def issues(report: Report) -> list[dict]:
    paths = RepositoryPaths.for_report_root(report.root)
    diagnostics = sorted_for_output(report.diagnostics, paths)
    found = []
    for diagnostic, key in zip(diagnostics, finding_keys(diagnostics, paths), strict=True):
        span = diagnostic.span
        shown = display_range(span.source, span.start, span.end)
        found.append(
            {
                "description": f"{diagnostic.code}: {diagnostic.message}",
                "check_name": diagnostic.code,
                "fingerprint": key,
                "severity": SEVERITIES[diagnostic.severity],
                "location": {
                    "path": paths.shown(diagnostic.path),
                    "positions": {
                        "begin": {"line": shown.start_line, "column": shown.start_column},
                        "end": {"line": shown.end_line, "column": shown.end_column},
                    },
                },
            }
        )
    return found


def write(report: Report, stream: TextIO) -> None:
    json.dump(issues(report), stream, indent=2, sort_keys=True, ensure_ascii=False)
    stream.write("\n")
