"""`path:line:col: CODE [name] message`, one finding per line (grep- and editor-friendly)."""

from __future__ import annotations

from typing import TextIO

from mcplint.diagnostics import Applicability
from mcplint.output import Report
from mcplint.output.summary import write_summary


def write(report: Report, stream: TextIO) -> None:
    for diagnostic in report.diagnostics:
        line, column = diagnostic.start_location
        marker = " [*]" if diagnostic.fix and diagnostic.fix.applicability is Applicability.SAFE else ""
        stream.write(
            f"{report.display_path(diagnostic.path)}:{line}:{column}: {diagnostic.code} "
            f"[{diagnostic.name}] {diagnostic.message}{marker}\n"
        )
    write_summary(report, stream)
