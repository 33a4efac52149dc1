"""A file cannot be read or parsed as what it claims to be.

## What it does
Reports a Dockerfile or Compose file that `docker build` or `docker compose` would reject before doing
anything: bytes that are not UTF-8, a binary file, a YAML syntax error, an unterminated heredoc, an
unknown instruction or flag, a missing argument, and a `.dockerignore` pattern Docker refuses when it
loads the file (every build that uses it fails). One finding per file, at the first problem; the
other files of the run are still linted.

## Why is this bad?
Nothing else can be checked in a file that does not parse, and the build or the deployment fails on
it anyway, usually with a less precise message.

## Example
```dockerfile
FROM alpine:3.20
RUN <<EOF
echo "the heredoc never ends"
```

## Use instead
```dockerfile
FROM alpine:3.20
RUN <<EOF
echo "the heredoc ends"
EOF
```

## Fix safety
There is no fix: what was meant cannot be known.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mcplint.diagnostics import Diagnostic, ParseProblem, Severity
from mcplint.registry import Context, Rule, Scope

RULE = Rule(code="MC001", name="parse-error", scope=Scope.META, severity=Severity.ERROR)


def check(problems: Iterable[ParseProblem], ctx: Context) -> Iterator[Diagnostic]:
    by_file: dict[int, list[ParseProblem]] = {}
    for problem in problems:
        by_file.setdefault(id(problem.span.source), []).append(problem)
    for found in by_file.values():
        first = min(found, key=lambda problem: problem.span.start)
        more = len(found) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''} in this file)" if more else ""
        yield ctx.report(first.span, first.message + suffix)
