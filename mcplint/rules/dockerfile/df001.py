"""`AS` in `FROM image AS name` written in a different casing than `FROM`.

## What it does
Checks that the `AS` keyword of a named stage has the same casing as the `FROM` keyword in front of
it: `FROM … AS …` or `from … as …`, not `FROM … as …`. BuildKit reports the same as its
`FromAsCasing` build check.

## Why is this bad?
Mixed casing makes the stage name harder to spot, and BuildKit prints a warning for it on every
build, which teaches people to ignore build warnings.

## Example
```dockerfile
FROM node:18-alpine as dependencies
```

## Use instead
```dockerfile
FROM node:18-alpine AS dependencies
```

## Fix safety
The fix rewrites the keyword's casing only. It is safe: Dockerfile keywords are case-insensitive.

## References
- [BuildKit check FromAsCasing](https://docs.docker.com/reference/build-checks/from-as-casing/)
"""

from __future__ import annotations

from collections.abc import Iterator

from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from mcplint.models.dockerfile import Dockerfile
from mcplint.registry import Context, FixAvailability, Rule, Scope

RULE = Rule(
    code="DF001", name="from-as-casing", scope=Scope.DOCKERFILE, severity=Severity.WARNING,
    fix=FixAvailability.ALWAYS, tags=("style",),
)  # fmt: skip


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Diagnostic]:
    for stage in dockerfile.stages:
        if stage.name is None:
            continue
        keyword = stage.from_instruction.keyword_word.value
        written_as = stage.from_instruction.args[1]
        if keyword.isupper():
            wanted = "AS"
        elif keyword.islower():
            wanted = "as"
        else:
            continue  # `From` has no single casing to follow
        if written_as.value == wanted:
            continue
        span = Span(dockerfile.source, written_as.start, written_as.end)
        yield ctx.report(
            span,
            f"`{written_as.value}` does not match the casing of `{keyword}`",
            fix=Fix.safe(f"Write `{wanted}`", Edit.replace(span, wanted)),
        )
