"""A COPY or ADD source climbs out of its build context.

## What it does
Resolves every local `COPY`/`ADD` source the way BuildKit does — variables expanded with the
stage's `ARG`/`ENV` values and the Compose `build.args`, then the path cleaned — and reports a
source that climbs above the root of its build context (`../lib`, `a/../../b`, `$LIB/x` with
`ARG LIB=../lib`). The build context is the one Compose sets (`build.context`, with the file and
line that set it), or the Dockerfile's own directory when no Compose file builds it. A source read
from a local named context (`COPY --from=<name>` with `build.additional_contexts`) is checked
against that directory. Heredocs, URLs, Git sources and sources of stages and images are not
context paths and are not checked; neither is a source whose variables have no known value.

## Why is this bad?
The builder only ever sees the context: a path can never leave it. BuildKit silently strips the
`..` (moby/buildkit#2131), so `COPY ../../lib/kilo-code ./kilo-code/` reads `lib/kilo-code` inside
the context and fails with a misleading `"/lib/kilo-code": not found` (moby/buildkit#2130), and
`COPY .. .` copies the context root instead of its parent. No other Dockerfile or Compose linter
reports it.

## Example
```yaml
# docker-compose.yml
services:
  redis-mcp:
    build:
      context: ./mcp-servers/redis
```
```dockerfile
# mcp-servers/redis/Dockerfile
COPY ../../lib/kilo-code ./kilo-code/
```

## Use instead
A named build context gives the build that one directory and nothing else:
```yaml
services:
  redis-mcp:
    build:
      context: ./mcp-servers/redis
      additional_contexts:
        kilo-code: ./lib/kilo-code
```
```dockerfile
COPY --from=kilo-code . ./kilo-code/
```

## Fix safety
When a Compose service builds the Dockerfile, the fix adds the named context to the service's
`build:` (`additional_contexts`, a path relative to the Compose file's directory; a string
`build: ./dir` becomes the mapping form, comments kept) and rewrites the instruction to copy from it
(`COPY --from=<name> <sub-path> <dest>`), both in one fix. The name comes from the directory and
never collides with a stage name (a named context would replace a stage of the same name) or with
another named context. The fix is unsafe: it needs Compose 2.17 or later and BuildKit, and if the
source was given through a variable, the copy no longer follows that variable. It is offered only
when the directory exists and every source of the instruction leaves the context towards it; `ADD`
(which has no `--from`) and `COPY --parents` get none.

The alternative, shown but never applied, is the one of widening the context to the common
directory: `build.context` and `build.dockerfile` change, and every context source of the
Dockerfile is rewritten relative to the new context (`COPY . .` becomes
`COPY mcp-servers/redis/ .`). Every instruction then copies from a larger context, and the
`.dockerignore` of the old context no longer applies. It is offered only when one service builds
the Dockerfile, no `RUN --mount=type=bind` reads from the context, no `COPY --parents` keeps source
paths in its destination, every source is known and every directory it points to exists.

When no Compose file builds the Dockerfile, there is no fix: the context is given on the
`docker build` command line, which mcplint cannot see or change.

## References
- [Dockerfile reference: COPY](https://docs.docker.com/reference/dockerfile/#copy)
- [Compose build specification: additional_contexts](https://docs.docker.com/reference/compose-file/build/#additional_contexts)
- [moby/buildkit#2130](https://github.com/moby/buildkit/issues/2130), [moby/buildkit#2131](https://github.com/moby/buildkit/issues/2131)
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity
from mcplint.fixes import merge_touching
from mcplint.models.compose import CMap, CScalar, Service, lookup
from mcplint.models.contextglob import clean_context_path, go_clean, has_wildcard, split_wildcard
from mcplint.models.copysources import (
    CopySource,
    copy_sources,
    describe_root,
    distinct_sources,
    local_named_context,
    shown,
    slash_relpath,
)
from mcplint.models.dockerfile import Dockerfile, Instruction
from mcplint.models.yamlsrc import YMap, YSeq
from mcplint.project import Build, Project
from mcplint.registry import Context, FixAvailability, Rule, Scope
from mcplint.source import SourceFile, shown_path
from mcplint.yamledit import insert_path, render_scalar, sequence_append

RULE = Rule(
    code="CTX001", name="copy-outside-context", scope=Scope.PROJECT, severity=Severity.ERROR,
    fix=FixAvailability.SOMETIMES, tags=("build", "compose"),
)  # fmt: skip

# Names BuildKit gives a meaning of their own (dockerfile2llb reservedStageNames).
_RESERVED_NAMES = frozenset({"context", "scratch"})
# A path written into a shell-form COPY as is: nothing BuildKit's word processing would change.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.@+,=:/*?\[\]-]+")


# ------------------------------------------------------------------------------------- the rule


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    # The wider context is one fix for the whole build, whichever of its sources escapes.
    widened_by_build: dict[Build, tuple[Fix, ...]] = {}
    for build, source in distinct_sources(project):
        if source.expanded is None:
            continue
        cleaned, escapes = clean_context_path(source.expanded)
        if not escapes:
            continue
        fix = None
        alternatives: tuple[Fix, ...] = ()
        if not build.context.assumed and build.service is not None and source.named is None:
            fix = _named_context_fix(project, build, source)
            if build not in widened_by_build:
                widened = _widened_context_fix(project, build)
                widened_by_build[build] = (widened,) if widened is not None else ()
            alternatives = widened_by_build[build]
        clamped = "the context root itself" if cleaned == "." else f"`{cleaned}` inside the context"
        yield ctx.report(
            source.span,
            f"{shown(source)} climbs out of {describe_root(build, source)}; BuildKit strips the `..` "
            f"and reads {clamped} instead",
            fix=fix,
            alternatives=alternatives,
        )


# ------------------------------------------------------------------------- where a source points


@dataclass(frozen=True, slots=True)
class _Target:
    """Where an escaping source was meant to point: a path outside the context, maybe with a glob."""

    source: CopySource
    fixed: Path  # the part before the first wildcard component, resolved
    pattern: str  # the wildcard part ("" for none)

    def anchor(self, build: Build) -> Path:
        """The directory the source's content sits in: itself for a directory copied whole."""
        if self.pattern or build.workspace.is_dir(self.fixed):
            return self.fixed
        return self.fixed.parent

    def relative_to(self, directory: Path) -> str:
        relative = slash_relpath(self.fixed, directory)
        if self.pattern:
            return self.pattern if relative == "." else f"{relative}/{self.pattern}"
        return relative


def _targets(build: Build, sources: Sequence[CopySource]) -> list[_Target] | None:
    """The intended targets of escaping sources, read relative to the context (Docker's rule) or,
    failing that, to the Dockerfile's directory (what people who write `..` often mean)."""
    for base in (build.context.path, Path(os.path.abspath(build.dockerfile.path.parent))):
        targets = []
        for source in sources:
            assert source.expanded is not None
            # Cleaned as BuildKit cleans it before splitting, but keeping the `..` it would strip.
            written, pattern = split_wildcard(go_clean(source.expanded.lstrip("/")))
            fixed = Path(os.path.normpath(base / written))
            exists = build.workspace.is_dir(fixed) if pattern else build.workspace.exists(fixed)
            if not exists:
                break
            targets.append(_Target(source, fixed, pattern))
        else:
            return targets
    return None


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


# ------------------------------------------------------------------------------- the named context


def _named_context_fix(project: Project, build: Build, source: CopySource) -> Fix | None:
    spec = source.spec
    if spec.is_add or spec.from_ is not None or spec.parents is not None:
        return None
    sources = [s for s in copy_sources(build) if s.instruction is source.instruction]
    if len(sources) != len(spec.sources) or any(
        s.expanded is None or not clean_context_path(s.expanded)[1] for s in sources
    ):
        return None  # a heredoc, a source inside the context, or an unknown value: no single --from
    targets = _targets(build, sources)
    if targets is None:
        return None
    root = Path(os.path.commonpath([target.anchor(build) for target in targets]))
    if _inside(root, build.context.path):
        return None
    builders = [b for b in project.builds if b.dockerfile is build.dockerfile]
    if any(b.service is None or b.context.path != build.context.path for b in builders):
        return None
    name, existing = _context_name(builders, root)
    dockerfile = build.dockerfile
    edits = [Edit.insert(dockerfile.source, _first_argument_start(dockerfile, source.instruction), f"--from={name} ")]
    for target in targets:
        rendered = _render_word(source.instruction, target.relative_to(root))
        if rendered is None:
            return None
        edits.append(Edit.replace(target.source.span, rendered))
    if existing:
        return Fix.unsafe(f"Copy from the named context `{name}`", *merge_touching(edits))
    for builder in builders:
        assert builder.service is not None
        compose_edits = _add_named_context(builder.service, name, root)
        if compose_edits is None:
            return None
        edits += compose_edits
    value = _relative_value(root, _base_dir(build.service)) if build.service is not None else str(root)
    title = f"Copy from a named context `{name}` (`additional_contexts: {{{name}: {value}}}`)"
    return Fix.unsafe(title, *merge_touching(edits))


def _context_name(builders: Sequence[Build], root: Path) -> tuple[str, bool]:
    """A named-context name for `root`: (name, True) when one already points there, else a new one
    derived from the directory that clashes with no stage and no other named context."""
    taken = set(_RESERVED_NAMES)
    for builder in builders:
        for key in builder.context.named:
            found = local_named_context(builder, key)
            if len(builders) == 1 and found is not None and found[1] == root:
                return key, True
            taken.add(key.lower())
    dockerfile = builders[0].dockerfile
    taken |= {stage.name.value.lower() for stage in dockerfile.stages if stage.name is not None}
    base = re.sub(r"[^a-z0-9]+", "-", root.name.lower()).strip("-") or "shared"
    name, counter = base, 1
    while name in taken:
        counter += 1
        name = f"{base}-{counter}"
    return name, False


def _first_argument_start(dockerfile: Dockerfile, instruction: Instruction) -> int:
    first = instruction.args[0]
    if instruction.json_form:
        return dockerfile.source.text.rfind("[", instruction.keyword_word.end, first.start + 1)
    return first.start


def _render_word(instruction: Instruction, path: str) -> str | None:
    """`path` as a COPY argument in the instruction's form; None when it cannot be written plainly."""
    if instruction.json_form:
        return json.dumps(path)
    return path if _PLAIN_PATH.fullmatch(path) else None


def _base_dir(service: Service) -> Path:
    """The directory relative paths of the service's `build` are read from (where `context` is written)."""
    build_node = service.get("build")
    context_node = build_node if isinstance(build_node, CScalar) else lookup(build_node, "context")
    return service.base_dir(context_node if isinstance(context_node, CScalar) else None)


def _add_named_context(service: Service, name: str, root: Path) -> list[Edit] | None:
    build_node = service.get("build")
    value = _relative_value(root, _base_dir(service))
    if isinstance(build_node, CScalar):
        return _string_build_to_mapping(service, build_node, [("additional_contexts", {name: value})])
    if not isinstance(build_node, CMap) or not build_node.written:
        return None
    source, mapping = build_node.written[0]
    if not _insertable(mapping):
        return None
    key_start = _key_start(service, source)
    existing = mapping.get("additional_contexts")
    if isinstance(existing, YSeq):
        edit = sequence_append(source, existing, f"{name}={value}")
    else:
        edit = insert_path(source, mapping, ("additional_contexts", name), value, parent_key_start=key_start)
    return [edit] if edit is not None else None


def _insertable(mapping: YMap) -> bool:
    """Whether new keys can be written into the mapping at its first key's column: a block mapping
    that opens with an anchor or a tag (`build: &base`) has no such column to copy."""
    if mapping.flow:
        return True
    return bool(mapping.items) and mapping.items[0][0].start == mapping.start


def _relative_value(path: Path, base: Path) -> str:
    relative = slash_relpath(path, base)
    if relative == "." or relative.startswith("../"):
        return relative
    return "./" + relative


def _key_start(service: Service, source: SourceFile) -> int | None:
    key = service.config.key_span("build")
    return key.start if key is not None and key.source is source else None


def _string_build_to_mapping(
    service: Service, node: CScalar, extra: Sequence[tuple[str, object]], context_text: str | None = None
) -> list[Edit] | None:
    """`build: ./dir` written as a mapping with `context: ./dir` (or `context_text`) and `extra` keys.

    The edit runs to the end of the scalar's line, so a trailing comment stays after `context`.
    """
    source = node.span.source
    key = service.config.key_span("build")
    if key is None or key.source is not source:
        return None
    line = source.line_of(key.start)
    line_start = source.line_start(line)
    if source.text[line_start : key.start].strip() or source.line_of(node.span.end) != line:
        return None  # not a block mapping key on one line (a flow mapping, a multi-line scalar)
    start = node.span.start
    while source.text[start - 1] in " \t":
        start -= 1  # the space after `build:` would be left trailing
    key_column = key.start - line_start
    service_column = service.key.start - source.line_start(source.line_of(service.key.start))
    unit = key_column - service_column if service.key.source is source and key_column > service_column else 2
    indent = " " * (key_column + unit)
    newline = source.newline
    line_end = source.line_end(line)
    context = context_text if context_text is not None else source.text[node.span.start : node.span.end]
    lines = [f"{newline}{indent}context: {context}{source.text[node.span.end : line_end]}"]
    for name, value in extra:
        if isinstance(value, dict):
            lines.append(f"{newline}{indent}{name}:")
            lines += [f"{newline}{indent}{' ' * unit}{k}: {render_scalar(v)}" for k, v in value.items()]
        else:
            lines.append(f"{newline}{indent}{name}: {render_scalar(value)}")
    return [Edit(source, start, line_end, "".join(lines))]


# --------------------------------------------------------------------- the wider context (shown)


def _widened_context_fix(project: Project, build: Build) -> Fix | None:
    service = build.service
    if service is None or sum(1 for b in project.builds if b.dockerfile is build.dockerfile) != 1:
        return None
    dockerfile = build.dockerfile
    if any(_binds_context(instruction) for instruction in dockerfile.instructions):
        return None
    sources = [s for s in copy_sources(build) if s.named is None]
    if any(s.expanded is None or s.spec.parents is not None for s in sources):
        return None  # an unknown source, or one whose path --parents keeps in the destination
    escaping = [s for s in sources if s.expanded is not None and clean_context_path(s.expanded)[1]]
    targets = _targets(build, escaping)
    if targets is None:
        return None
    context = build.context.path
    ancestor = Path(os.path.commonpath([context, *(target.fixed for target in targets)]))
    prefix = slash_relpath(context, ancestor)
    if has_wildcard(prefix):
        return None
    by_source = {id(target.source): target for target in targets}
    edits: list[Edit] = []
    for source in sources:
        assert source.expanded is not None
        target = by_source.get(id(source))
        if target is not None:
            new = target.relative_to(ancestor)
        else:
            cleaned, _ = clean_context_path(source.expanded)
            new = f"{prefix}/" if cleaned == "." else posixpath.join(prefix, cleaned)
            if source.expanded.endswith("/") and not new.endswith("/"):
                new += "/"
        rendered = _render_word(source.instruction, new)
        if rendered is None:
            return None
        edits.append(Edit.replace(source.span, rendered))
    compose_edits = _move_context(service, build, ancestor)
    if compose_edits is None:
        return None
    edits += compose_edits
    title = (
        f"Widen the build context to `{_relative_value(ancestor, _base_dir(service))}` and copy every "
        "source relative to it (every instruction then reads the wider context"
    )
    if build.ignore_file is not None and build.ignore_file.path.parent == context:
        title += f", and {shown_path(build.ignore_file.path)} no longer applies"
    title += ")"
    return Fix.display_only(title, *merge_touching(edits))


def _binds_context(instruction: Instruction) -> bool:
    """A `RUN --mount=type=bind` without `from=` reads the build context by path."""
    for flag in instruction.flags:
        if flag.name == "mount" and flag.value is not None:
            options = dict(part.partition("=")[::2] for part in flag.value.split(","))
            if options.get("type") == "bind" and "from" not in options:
                return True
    return False


def _move_context(service: Service, build: Build, ancestor: Path) -> list[Edit] | None:
    build_node = service.get("build")
    new_context = _relative_value(ancestor, _base_dir(service))
    new_dockerfile = slash_relpath(build.dockerfile.path, ancestor)
    if isinstance(build_node, CScalar):
        return _string_build_to_mapping(
            service, build_node, [("dockerfile", new_dockerfile)], context_text=render_scalar(new_context)
        )
    if not isinstance(build_node, CMap) or not build_node.written:
        return None
    source, mapping = build_node.written[0]
    if not _insertable(mapping):
        return None
    edits = []
    written_dockerfile = lookup(build_node, "dockerfile")
    for key, value in (("context", new_context), ("dockerfile", new_dockerfile)):
        if key == "dockerfile" and isinstance(written_dockerfile, CScalar) and os.path.isabs(str(written_dockerfile.value)):
            continue  # an absolute Dockerfile path does not depend on the context
        edit = _set_scalar(source, mapping, key, value, _key_start(service, source))
        if edit is None:
            return None
        edits.append(edit)
    return edits


def _set_scalar(source: SourceFile, mapping: YMap, key: str, value: str, key_start: int | None) -> Edit | None:
    existing = mapping.get(key)
    if existing is None:
        return insert_path(source, mapping, (key,), value, parent_key_start=key_start)
    if isinstance(existing, YMap | YSeq) or not mapping.start <= existing.start < mapping.end:
        return None  # not a scalar, or written through an alias elsewhere
    return Edit(source, existing.start, existing.end, render_scalar(value))
