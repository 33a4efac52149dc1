"""Output formats as plug-ins: each module defines `write(report, stream)`.

Machine formats (json, json-lines, sarif, github, gitlab) use only the standard library, sort their
output and carry no timestamps; only the human formats import rich, so machine output starts fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from mcplint.diagnostics import Diagnostic
from mcplint.source import shown_path

FORMATS = {
    "full": "mcplint.output.full",
    "concise": "mcplint.output.concise",
    "json": "mcplint.output.json_format",
    "json-lines": "mcplint.output.json_lines",
    "sarif": "mcplint.output.sarif",
    "github": "mcplint.output.github",
    "gitlab": "mcplint.output.gitlab",
}


@dataclass(frozen=True)
class Report:
    diagnostics: Sequence[Diagnostic]
    fixed: Sequence[Diagnostic] = ()
    exit_code: int = 0
    show_fixes: bool = False
    statistics: bool = False
    unsafe_fixes: bool = False
    fix_mode: bool = False
    quiet: bool = False  # findings only, no summary
    internal_errors: Sequence[str] = ()
    root: Path = field(default_factory=Path.cwd)

    def display_path(self, path: Path) -> str:
        return shown_path(path, self.root)


class Formatter(Protocol):
    def write(self, report: Report, stream: TextIO) -> None: ...


def formatter(name: str) -> Formatter:
    return importlib.import_module(FORMATS[name])  # type: ignore[return-value]


def edit_dict(report: Report, edit) -> dict:  # noqa: ANN001
    start_line, start_column = edit.source.location(edit.start)
    end_line, end_column = edit.source.location(edit.end)
    return {
        "path": report.display_path(edit.source.path),
        "start": {"line": start_line, "column": start_column},
        "end": {"line": end_line, "column": end_column},
        "content": edit.content,
    }


def diagnostic_dict(report: Report, diagnostic: Diagnostic) -> dict:
    """The documented JSON shape of one finding (docs/output-formats.md)."""
    start_line, start_column = diagnostic.start_location
    end_line, end_column = diagnostic.end_location

    def fix_dict(fix) -> dict:  # noqa: ANN001
        return {
            "applicability": fix.applicability.label,
            "title": fix.title,
            "edits": [edit_dict(report, edit) for edit in sorted(fix.edits, key=lambda e: (str(e.source.path), e.start))],
        }

    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "severity": diagnostic.severity.label,
        "message": diagnostic.message,
        "detail": diagnostic.detail,
        "path": report.display_path(diagnostic.path),
        "start": {"line": start_line, "column": start_column},
        "end": {"line": end_line, "column": end_column},
        "fix": fix_dict(diagnostic.fix) if diagnostic.fix else None,
        "alternatives": [fix_dict(fix) for fix in diagnostic.alternatives],
        "url": rule_url(diagnostic.code),
    }


DOCS_BASE = "https://github.com/mcplint/mcplint/blob/main/docs/rules"


def rule_url(code: str) -> str:
    return f"{DOCS_BASE}/{code}.md"
