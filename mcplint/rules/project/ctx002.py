"""A COPY or ADD source matches nothing in its build context.

## What it does
Looks every local `COPY`/`ADD` source up in the directory it is read from — the build context
Compose sets, a local named context (`COPY --from=<name>`), or the Dockerfile's directory when no
Compose file builds it — after expanding `ARG`/`ENV` values and Compose `build.args`, and with
Docker's own wildcard rules (`*`, `?`, `[...]`, no `**`; fsutil's walk with Go's `filepath.Match`).
It reports:

- a path that does not exist (the build fails with `"/path": not found`);
- a wildcard whose fixed directory does not exist (the build fails with `lstat … no such file`);
- a wildcard that matches nothing (BuildKit does not fail: the instruction silently copies nothing).

Only the real directory is consulted; whether `.dockerignore` keeps an existing source out is
CTX003's question. Sources that climb out of their context are CTX001's, and sources whose
variables have no known value are skipped: mcplint does not guess.

When no Compose file builds the Dockerfile, its context is only assumed to be the Dockerfile's
directory. Then findings are one severity lower, and if every source of the Dockerfile exists
relative to one directory above it (as with `docker build -f app/Dockerfile .`), the finding says
that this directory is probably the context, at `info`, with the way to tell mcplint: a Compose
file whose `build.context` names it.

## Why is this bad?
The build stops at the first missing source, often after minutes of earlier steps, and a wildcard
that matches nothing (`COPY package*.json ./` in the wrong directory) hides the mistake until a
later step fails for an unrelated-looking reason.

## Example
```dockerfile
FROM python:3.12-slim
COPY requirement.txt .
```

## Use instead
```dockerfile
FROM python:3.12-slim
COPY requirements.txt .
```

## Fix safety
There is no fix: whether the file is missing or the path is wrong is a human decision. When a name
differs from an existing one only by letter case, the message names the existing one.

## References
- [Dockerfile reference: COPY](https://docs.docker.com/reference/dockerfile/#copy)
- [moby/buildkit#2933](https://github.com/moby/buildkit/issues/2933)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from mcplint.diagnostics import Diagnostic, Severity
from mcplint.models.contextglob import clean_context_path, match_context, split_wildcard
from mcplint.models.copysources import (
    CopySource,
    SourceIdentity,
    copy_sources,
    describe_root,
    shown,
    slash_relpath,
    source_identity,
)
from mcplint.project import Build, Project
from mcplint.registry import Context, Rule, Scope
from mcplint.source import shown_path
from mcplint.workspace import Workspace

RULE = Rule(
    code="CTX002", name="copy-source-missing", scope=Scope.PROJECT, severity=Severity.ERROR,
    tags=("build", "compose"),
)  # fmt: skip

# How far above an assumed context to look for the directory that holds every source.
_MAX_ANCESTORS = 8


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    seen: set[SourceIdentity] = set()
    for build in project.builds:
        if not build.workspace.is_dir(build.context.path):
            continue  # CTX005 reports a context that does not exist
        local = list(_local_sources(build))
        problems = []
        for source, cleaned in local:
            identity = source_identity(build, source)
            if identity in seen:
                continue
            seen.add(identity)
            problem = _problem(build, source, cleaned, describe_root(build, source))
            if problem is not None:
                problems.append((source, *problem))
        if not problems:
            continue
        ancestor = _explaining_ancestor(build, [cleaned for source, cleaned in local if source.named is None])
        for source, message, severity in problems:
            if source.named is None and build.context.assumed:
                severity = Severity(max(Severity.INFO, severity - 1))
                if ancestor is not None:
                    severity = Severity.INFO
                    dockerfile = slash_relpath(build.dockerfile.path, ancestor)
                    message += (
                        f"; every source of this Dockerfile exists relative to `{shown_path(ancestor)}`, which is probably "
                        f"its context: to tell mcplint, add a Compose file there whose service has "
                        f"`build: {{context: ., dockerfile: {dockerfile}}}`"
                    )
            yield ctx.report(source.span, f"{shown(source)} {message}", severity=severity)


def _local_sources(build: Build) -> Iterator[tuple[CopySource, str]]:
    for source in copy_sources(build):
        if source.expanded is None:
            continue
        cleaned, escapes = clean_context_path(source.expanded)
        if not escapes:
            yield source, cleaned


def _problem(build: Build, source: CopySource, cleaned: str, where: str) -> tuple[str, Severity] | None:
    """What BuildKit would do with a source that matches nothing, or None when it matches."""
    root = source.root
    lister = build.workspace.list_dir
    if match_context(root, cleaned, lister):
        return None
    base, pattern = split_wildcard(cleaned)
    if not pattern:
        return f"does not exist in {where}{_case_hint(build.workspace, root, cleaned)}", Severity.ERROR
    if base and not match_context(root, base, lister):
        hint = _case_hint(build.workspace, root, base)
        return f"needs the directory `{base}`, which does not exist in {where}{hint}", Severity.ERROR
    message = (
        f"matches nothing in {where}; BuildKit does not fail on a wildcard that matches nothing, "
        "so this copies nothing"
    )
    return message, Severity.WARNING


def _case_hint(workspace: Workspace, root: Path, relative: str) -> str:
    """` (there is X …)` when the first missing component exists with other letter case."""
    directory = root
    parts = relative.split("/")
    for index, part in enumerate(parts):
        names = [entry.name for entry in workspace.list_dir(directory)]
        if part in names:
            directory = directory / part
            continue
        similar = [name for name in names if name.lower() == part.lower()]
        if similar:
            return f" (there is `{'/'.join([*parts[:index], similar[0]])}`: paths are case-sensitive)"
        return ""
    return ""


def _explaining_ancestor(build: Build, sources: Sequence[str]) -> Path | None:
    """For an assumed context: the nearest directory above it where every source exists."""
    if not build.context.assumed or not sources:
        return None
    lister = build.workspace.list_dir
    directory = build.context.path
    for _ in range(_MAX_ANCESTORS):
        if directory.parent == directory:
            return None
        directory = directory.parent
        if all(match_context(directory, source, lister) for source in sources):
            return directory
        if build.workspace.exists(directory / ".git"):
            return None  # the repository root: a context is not taken from above it
    return None

