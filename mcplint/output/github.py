"""GitHub Actions annotations: one workflow command per finding.

`::error file=…,line=…,endLine=…,col=…,endColumn=…,title=…::message`, with `warning` and `notice`
for the lower severities. Values are escaped as `@actions/core` escapes them (`%`, CR and LF in the
message; also `:` and `,` in properties), paths are relative to the repository root (the runner
resolves them against `$GITHUB_WORKSPACE`), and columns are given only for a one-line range because
the runner drops them otherwise. Internal errors become `::error` annotations without a file.
"""

from __future__ import annotations

from typing import TextIO

from mcplint.diagnostics import Diagnostic, Severity
from mcplint.output import Report
from mcplint.output.fingerprint import RepositoryPaths, display_range, sorted_for_output

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: list[tuple[str, str]], message: str) -> str:
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{name}{' ' + rendered if rendered else ''}::{escape_data(message)}"


def annotation(diagnostic: Diagnostic, paths: RepositoryPaths) -> str:
    span = diagnostic.span
    shown = display_range(span.source, span.start, span.end)
    properties = [
        ("file", paths.shown(diagnostic.path)),
        ("line", str(shown.start_line)),
        ("endLine", str(shown.end_line)),
    ]
    if shown.one_line:
        properties += [("col", str(shown.start_column)), ("endColumn", str(shown.end_column))]
    properties.append(("title", f"{diagnostic.code} ({diagnostic.name})"))
    message = diagnostic.message
    if diagnostic.detail:
        message += "\n" + diagnostic.detail
    if diagnostic.fix:
        message += f"\nFix available ({diagnostic.fix.applicability.label}): {diagnostic.fix.title}"
    return command(COMMANDS[diagnostic.severity], properties, message)


def write(report: Report, stream: TextIO) -> None:
    paths = RepositoryPaths.for_report_root(report.root)
    for diagnostic in sorted_for_output(report.diagnostics, paths):
        stream.write(annotation(diagnostic, paths) + "\n")
    for error in report.internal_errors:
        stream.write(command("error", [("title", "mcplint internal error")], error) + "\n")
