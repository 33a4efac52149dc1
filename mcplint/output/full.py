"""The default human format: each finding with the source lines it points at, underlined.

Colour only on a terminal (rich decides, honouring NO_COLOR and FORCE_COLOR).
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.text import Text

from mcplint.diagnostics import Applicability, Diagnostic, Severity
from mcplint.output import Report
from mcplint.output.summary import write_summary

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}
_MAX_LINES = 6


def write(report: Report, stream: TextIO) -> None:
    console = Console(file=stream, highlight=False, soft_wrap=True, emoji=False)
    for diagnostic in report.diagnostics:
        console.print(_render(report, diagnostic))
    summary = _Capture()
    write_summary(report, summary)
    if summary.text:
        console.print(Text(summary.text.strip("\n"), style="bold"), highlight=False)


class _Capture:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


def _render(report: Report, diagnostic: Diagnostic) -> Text:
    source = diagnostic.source
    start_line, start_column = diagnostic.start_location
    end_line, end_column = diagnostic.end_location
    if end_line > start_line and end_column == 1:
        end_line -= 1  # a span ending at a line break underlines up to that line, not the next
        end_column = len(source.line_text(end_line)) + 1
    out = Text()
    out.append(f"{report.display_path(diagnostic.path)}:{start_line}:{start_column}: ", style="bold")
    out.append(diagnostic.code, style=_SEVERITY_STYLE[diagnostic.severity])
    out.append(f" [{diagnostic.name}] ", style="dim")
    out.append(diagnostic.message + "\n")
    if source.text:
        gutter = len(str(end_line))
        out.append(f"{' ' * gutter} |\n", style="blue")
        shown = list(range(start_line, end_line + 1))
        if len(shown) > _MAX_LINES:
            shown = shown[: _MAX_LINES - 1] + [end_line]
        for number in shown:
            raw = source.line_text(number)
            out.append(f"{number:>{gutter}} | ", style="blue")
            out.append(raw.replace("\t", "    ") + "\n")
            first = start_column if number == start_line else 1
            last = end_column if number == end_line else len(raw) + 1
            prefix = raw[: first - 1].replace("\t", "    ")
            marked = raw[first - 1 : last - 1].replace("\t", "    ")
            width = max(len(marked), 1)
            out.append(f"{' ' * gutter} | ", style="blue")
            out.append(" " * len(prefix) + "^" * width + "\n", style=_SEVERITY_STYLE[diagnostic.severity])
    if diagnostic.detail:
        for line in diagnostic.detail.splitlines():
            out.append(f"  {line}\n", style="dim")
    for fix, label in _fixes(diagnostic):
        out.append(f"  = {label}: ", style="cyan")
        out.append(fix.title + "\n")
    return out


def _fixes(diagnostic: Diagnostic):  # noqa: ANN202
    labels = {
        Applicability.SAFE: "fix",
        Applicability.UNSAFE: "unsafe fix",
        Applicability.DISPLAY_ONLY: "suggestion",
    }
    if diagnostic.fix:
        yield diagnostic.fix, labels[diagnostic.fix.applicability]
    for alternative in diagnostic.alternatives:
        yield alternative, "alternative"
