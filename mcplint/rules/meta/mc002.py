"""A suppression comment that suppresses nothing.

## What it does
Reports the rule codes of a `# mcplint: ignore[...]` or `# mcplint: ignore-file[...]` comment that
matched no finding, and codes that name no rule at all.

## Why is this bad?
A stale suppression hides the next real finding of that rule on that line, and a misspelt code
suppresses nothing while looking as if it did.

## Example
```dockerfile
# mcplint: ignore[DF001]
FROM python:3.12-slim AS build
```

## Use instead
```dockerfile
FROM python:3.12-slim AS build
```

## Fix safety
The fix removes the unused codes, or the whole comment when none is used. It is safe: the comment
had no effect. A code for a rule that is not enabled for the file is left alone, since mcplint cannot
tell whether it would be used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from mcplint.registry import Context, FixAvailability, Rule, Scope
from mcplint.suppressions import SuppressedCode, Suppression, removal_span

RULE = Rule(
    code="MC002", name="unused-suppression", scope=Scope.META, severity=Severity.WARNING,
    fix=FixAvailability.ALWAYS,
)  # fmt: skip


def check(unused: Iterable[tuple[Suppression, list[SuppressedCode]]], ctx: Context) -> Iterator[Diagnostic]:
    for suppression, codes in unused:
        source = suppression.source
        names = ", ".join(f"`{item.written}`" + ("" if item.code else " (no such rule)") for item in codes)
        keep = [item.written for item in suppression.codes if item not in codes]
        if keep:
            edit = Edit(source, suppression.list_start, suppression.list_end, ", ".join(keep))
            title = "Remove the unused code" + ("s" if len(codes) > 1 else "")
        else:
            start, end = removal_span(suppression)
            edit = Edit(source, start, end, "")
            title = "Remove the suppression comment"
        if len(codes) == 1:
            span = Span(source, codes[0].start, codes[0].end)
        else:
            span = Span(source, suppression.start, suppression.end)
        yield ctx.report(span, f"Unused suppression: {names}", fix=Fix.safe(title, edit))
