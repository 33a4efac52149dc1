"""A COPY or ADD source exists but the ignore file keeps it out of the build context.

## What it does
For every local `COPY`/`ADD` source that exists in the build context directory (after `ARG`/`ENV`
expansion, with Docker's wildcard rules), applies the ignore file BuildKit uses for that build —
`<Dockerfile>.dockerignore` beside the Dockerfile when there is one, else the context's
`.dockerignore` — with Docker's own matching, `!` exceptions included, and reports a source of which
nothing reaches the builder. The message names the pattern that excludes it, with its file and
line. A directory stays sent when an exception re-includes something inside it
(`docs` + `!docs/README.md`). A wildcard is reported when every path it matches is excluded (it
then copies nothing), or when the directory its match starts from is excluded (the build fails).

When no Compose file builds the Dockerfile, the context (and with it the `.dockerignore` that
applies) is only assumed to be the Dockerfile's directory, and findings are one severity lower.

## Why is this bad?
Docker sends the context without the ignored paths, so the build fails with
`"/config/settings.json": not found` although the file is right there, or a wildcard silently copies
nothing. BuildKit's own check (`CopyIgnoredFile`) gives up as soon as the ignore file has a `!`
exception, which is exactly when the answer is hard to see.

## Example
```text
# .dockerignore
config
!config/defaults.json
```
```dockerfile
COPY config/settings.json /etc/app/
```

## Use instead
```text
# .dockerignore
config
!config/defaults.json
!config/settings.json
```

## Fix safety
There is no fix: the file may be ignored on purpose (a secret), and then the COPY is what is wrong.

## References
- [Build context: .dockerignore files](https://docs.docker.com/build/concepts/context/#dockerignore-files)
- [BuildKit check CopyIgnoredFile](https://docs.docker.com/reference/build-checks/copy-ignored-file/)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mcplint.diagnostics import Diagnostic, Severity
from mcplint.models.contextglob import clean_context_path, match_context, split_wildcard
from mcplint.models.copysources import SourceIdentity, copy_sources, describe_root, shown, source_identity
from mcplint.models.dockerignore import (
    IgnoreMatcher,
    IgnorePattern,
    IgnorePatternError,
    parse_dockerignore,
)
from mcplint.project import Build, Project
from mcplint.registry import Context, Rule, Scope
from mcplint.source import shown_path

RULE = Rule(
    code="CTX003", name="copy-source-ignored", scope=Scope.PROJECT, severity=Severity.ERROR,
    tags=("build", "compose"),
)  # fmt: skip

# How many paths below an excluded directory to look at for one that an exception re-includes;
# past it, mcplint cannot tell and says nothing.
_MAX_WALK = 5000


class _CannotTell(Exception):
    """The directory below an excluded path is too large to search for a re-included file."""


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    seen: set[SourceIdentity] = set()
    for build in project.builds:
        ignore_file = build.ignore_file
        if ignore_file is None or not build.workspace.is_dir(build.context.path):
            continue
        patterns = parse_dockerignore(ignore_file.text)
        try:
            matcher = IgnoreMatcher(patterns)
        except IgnorePatternError:
            continue  # Docker refuses the ignore file itself: the build fails before any COPY
        exceptions = any(pattern.exclusion for pattern in patterns)
        for source in copy_sources(build):
            if source.named is not None or source.expanded is None:
                continue  # a named context has its own ignore file
            identity = source_identity(build, source)
            if identity in seen:
                continue
            seen.add(identity)
            cleaned, escapes = clean_context_path(source.expanded)
            if escapes or cleaned == ".":
                continue
            matches = match_context(build.context.path, cleaned, build.workspace.list_dir)
            if not matches:
                continue  # CTX002's finding
            base, pattern = split_wildcard(cleaned)
            try:
                if pattern and base and not _sent(build, matcher, exceptions, base):
                    excluded, wildcard = base, False  # the walk's start is gone: the build fails
                elif any(_sent(build, matcher, exceptions, path) for path in matches):
                    continue
                else:
                    excluded, wildcard = matches[0], bool(pattern)
                deciding = matcher.deciding_pattern(excluded)
            except (IgnorePatternError, _CannotTell):
                continue
            if deciding is None:
                continue
            severity = Severity.WARNING if wildcard else Severity.ERROR
            if build.context.assumed:
                severity = Severity(severity - 1)
            where = describe_root(build, source)
            rule_text = _pattern_text(ignore_file.path, deciding)
            if wildcard:
                message = (
                    f"{shown(source)} matches only paths that {rule_text} keeps out of {where}, "
                    f"e.g. `{excluded}`: this copies nothing"
                )
            elif excluded != cleaned:
                message = (
                    f"{shown(source)} needs the directory `{excluded}`, which {rule_text} keeps out of {where}; "
                    'the build fails with "no such file or directory"'
                )
            else:
                message = (
                    f"{shown(source)} exists but {rule_text} keeps it out of {where}; "
                    'the build fails with "not found"'
                )
            yield ctx.report(source.span, message, severity=severity)


def _pattern_text(path: Path, pattern: IgnorePattern) -> str:
    written = f"!{pattern.text}" if pattern.exclusion else pattern.text
    return f"`{written}` ({shown_path(path)}:{pattern.line})"


def _sent(build: Build, matcher: IgnoreMatcher, exceptions: bool, path: str) -> bool:
    """Whether anything of `path` reaches the builder: the path itself, or, below an excluded
    directory, a path that an exception re-includes (Docker then sends its parents too)."""
    if matcher.deciding_pattern(path) is None:
        return True
    directory = build.context.path / path
    if not exceptions or not build.workspace.is_dir(directory):
        return False
    pending = [(directory, path)]
    visited = 0
    while pending:
        current, relative = pending.pop()
        for entry in build.workspace.list_dir(current):
            visited += 1
            if visited > _MAX_WALK:
                raise _CannotTell
            child = f"{relative}/{entry.name}"
            if matcher.deciding_pattern(child) is None:
                return True
            if entry.is_dir and not entry.is_symlink:  # Docker sends a link, never what it points to
                pending.append((current / entry.name, child))
    return False
