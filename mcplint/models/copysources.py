"""The local COPY/ADD sources of a build, resolved against the directory BuildKit reads them from.

A source is read from the build context, or from a local named context when the instruction copies
`--from=<name>` and the Compose build gives `additional_contexts: {<name>: <directory>}`. Its text is
expanded with the stage's `ARG`/`ENV` values and the Compose `build.args` (None when a value is
unknown). Several services may build one Dockerfile from one context: a source then has one identity,
so that the build-context rules (CTX001-CTX003) report it once.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mcplint.diagnostics import Span
from mcplint.models.dockerfile import Instruction, Word
from mcplint.models.instructions import CopySpec, copy_spec
from mcplint.project import Build, Project
from mcplint.source import shown_path

SourceIdentity = tuple[Path, int, Path]  # (Dockerfile, offset of the source, directory read from)


@dataclass(frozen=True, slots=True)
class CopySource:
    """One local source of a COPY/ADD and the directory it is read from."""

    instruction: Instruction
    spec: CopySpec
    word: Word
    span: Span
    expanded: str | None  # after ARG/ENV expansion and Compose build args; None when a value is unknown
    root: Path  # the build context, or the local named context the instruction copies from
    named: str | None  # that named context's name; None for the build context


# Each build's sources, found once: CTX001-CTX003 all read them, CTX001 again for every fix it
# builds, and expanding a source's variables walks its stage.
_SOURCES: weakref.WeakKeyDictionary[Build, tuple[CopySource, ...]] = weakref.WeakKeyDictionary()


def copy_sources(build: Build) -> tuple[CopySource, ...]:
    """Every COPY/ADD source that BuildKit reads from a local directory, in file order.

    ONBUILD instructions are left out: they run in another build, with that build's context.
    """
    cached = _SOURCES.get(build)
    if cached is None:
        cached = _SOURCES[build] = tuple(_find_sources(build))
    return cached


def _find_sources(build: Build) -> Iterator[CopySource]:
    dockerfile = build.dockerfile
    for instruction in dockerfile.instructions:
        if instruction.keyword not in ("COPY", "ADD"):
            continue
        spec = copy_spec(instruction)
        if spec is None:
            continue
        root, named = build.context.path, None
        if spec.from_ is not None:
            found = local_named_context(build, spec.from_value)
            if found is None:
                continue
            named, root = found
        for source in spec.sources:
            if source.kind not in ("context", "stage_or_image"):
                continue
            expanded = dockerfile.expand(instruction, source.word.value, build.args)
            span = Span(dockerfile.source, source.word.start, source.word.end)
            yield CopySource(instruction, spec, source.word, span, expanded, root, named)


def source_identity(build: Build, source: CopySource) -> SourceIdentity:
    """A source read from one directory: services that build one Dockerfile from one context share
    their findings about it instead of repeating them."""
    return build.dockerfile.path, source.span.start, source.root


def distinct_sources(project: Project) -> Iterator[tuple[Build, CopySource]]:
    """`copy_sources` of every build, each source once per directory it is read from."""
    seen: set[SourceIdentity] = set()
    for build in project.builds:
        for source in copy_sources(build):
            identity = source_identity(build, source)
            if identity not in seen:
                seen.add(identity)
                yield build, source


def named_context_key(build: Build, name: str) -> str | None:
    """The key of the build's named context that `--from=<name>` selects, if any.

    BuildKit looks stage names up in lower case, so an exact key wins and a lower-case one follows;
    a named context replaces a stage of the same name.
    """
    named = build.context.named
    if name in named:
        return name
    return name.lower() if name.lower() in named else None


def local_named_context(build: Build, name: str | None) -> tuple[str, Path] | None:
    """The named context `name` of the build when it is a local directory: (its key, its path)."""
    key = named_context_key(build, name) if name else None
    spec = build.service.build if build.service is not None else None
    if key is None or spec is None:
        return None
    path = spec.additional_context_paths.get(key)
    return (key, path) if path is not None and build.workspace.is_dir(path) else None


def slash_relpath(path: Path, start: Path) -> str:
    """`path` relative to `start` as Dockerfiles and Compose files write it, with `/` separators."""
    return os.path.relpath(path, start).replace(os.sep, "/")


def describe_root(build: Build, source: CopySource) -> str:
    """Which directory a source is read from, and where that was decided."""
    if source.named is None:
        return f"the build context {build.context.describe()}"
    span = build.context.named[source.named].span
    line, _ = span.source.location(span.start)
    return f"the named context `{source.named}` {shown_path(source.root)} (set by {shown_path(span.source.path)}:{line})"


def shown(source: CopySource) -> str:
    """The source as written, with its expansion when a variable changed it."""
    if source.expanded is None or source.expanded == source.word.value:
        return f"`{source.word.value}`"
    return f"`{source.word.value}` (`{source.expanded}`)"
