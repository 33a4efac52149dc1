"""The closing lines the human formats share: counts, fixes, statistics."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from mcplint.diagnostics import Applicability
from mcplint.output import Report


def write_summary(report: Report, stream: TextIO) -> None:
    if report.quiet:
        return
    diagnostics = report.diagnostics
    if report.show_fixes and report.fixed:
        stream.write("\nFixed:\n")
        for diagnostic in report.fixed:
            stream.write(f"  {report.display_path(diagnostic.path)}: {diagnostic.code} {diagnostic.fix.title}\n")
    if report.statistics and diagnostics:
        counts = Counter((d.code, d.name) for d in diagnostics)
        fixable = Counter(d.code for d in diagnostics if d.fix and d.fix.applicability is Applicability.SAFE)
        width = max(len(str(n)) for n in counts.values())
        stream.write("\n")
        for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            extra = f" ({fixable[code]} fixable)" if fixable[code] else ""
            stream.write(f"{count:>{width}}  {code:<7} [{name}]{extra}\n")
    safe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.UNSAFE)
    fixed = len(report.fixed)
    if diagnostics:
        found = len(diagnostics)
        text = f"Found {found} finding{'s' if found != 1 else ''}"
        if fixed:
            text += f" ({fixed} fixed, {found} remaining)"
        stream.write(f"\n{text}.\n")
        hints = []
        if safe:
            hints.append(f"{safe} fixable with `--fix`")
        if unsafe and not report.unsafe_fixes:
            hints.append(f"{unsafe} more with `--unsafe-fixes` (see them with `--diff --unsafe-fixes`)")
        if hints:
            stream.write("[*] " + "; ".join(hints) + ".\n")
    elif fixed:
        stream.write(f"Fixed {fixed} finding{'s' if fixed != 1 else ''}; none remaining.\n")
    elif not report.internal_errors:
        stream.write("All checks passed.\n")
