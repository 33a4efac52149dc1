"""`COPY --from=` names no earlier stage, no named context and no image.

## What it does
Resolves every `COPY --from=<value>` as BuildKit's Dockerfile frontend does
(`dockerfile2llb` `toCommand` and `dispatch`) and reports:

- a value that BuildKit's word processing would change — a variable (`--from=$BUILDER`), quotes or
  escapes: BuildKit never expands `--from` and fails with "variable expansion is not supported for
  --from" (moby/buildkit#2374); the way out is a stage `FROM ${BUILDER} AS builder-files`, since
  `FROM` does expand global `ARG`s;
- a stage index (`--from=0`) that does not exist, or that is the copying stage itself or a later one;
- a stage name (compared in lower case, as BuildKit does) of the copying stage itself (a circular
  dependency) or of a later stage ("it needs to be defined before current stage");
- a value that is neither a stage, nor a named context of the build (`build.additional_contexts` in
  Compose), nor a valid image reference (`Builder`, `my_stage!`): BuildKit fails with
  "failed to parse stage name";
- a bare name (`--from=buildr`) that is no stage, no named context and no image mcplint knows: it is
  pulled as `docker.io/library/<name>:latest`, which only exists for Docker's official images; a
  misspelt stage is the usual cause, and the message names the stage it resembles. An image written
  with a registry, a path, a tag or a digest (`localhost:5000/tools:1.2`, `docker/compose-bin`) is
  taken as meant.

Values that name a named context are fine, also when a stage has the same name: BuildKit then uses
the named context instead of the stage.

This is a `project` rule rather than a `dockerfile` rule because named contexts are only known
through the Compose file that builds the Dockerfile. Without one, a named context may still come from
the command line (`docker buildx build --build-context name=…`), so a bare unknown name is then only
reported at `info`; everything else is decided by the Dockerfile alone and reported the same way.

## Why is this bad?
Each case makes the build fail, or copy from an image nobody meant to pull. With BuildKit the error
only appears once the build reaches the stage, and a misspelt stage name first shows up as a pull
error for an image that does not exist.

## Example
```dockerfile
FROM golang:1.22 AS build
RUN go build -o /out/app ./...

FROM alpine:3.20
COPY --from=buld /out/app /usr/local/bin/app
```

## Use instead
```dockerfile
FROM golang:1.22 AS build
RUN go build -o /out/app ./...

FROM alpine:3.20
COPY --from=build /out/app /usr/local/bin/app
```

## Fix safety
There is no fix: which stage or image was meant is a human decision.

## References
- [Dockerfile reference: COPY --from](https://docs.docker.com/reference/dockerfile/#copy---from)
- [Compose build specification: additional_contexts](https://docs.docker.com/reference/compose-file/build/#additional_contexts)
- [moby/buildkit#2374](https://github.com/moby/buildkit/issues/2374)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence

from mcplint.diagnostics import Diagnostic, Severity, Span
from mcplint.models.copysources import named_context_key
from mcplint.models.dockerfile import Stage
from mcplint.models.images import image_facts, parse_image_ref
from mcplint.models.instructions import copy_spec
from mcplint.models.shellexpand import expand_word
from mcplint.project import Build, Project
from mcplint.registry import Context, Rule, Scope

RULE = Rule(
    code="CTX004", name="copy-from-unknown", scope=Scope.PROJECT, severity=Severity.ERROR,
    tags=("build",),
)  # fmt: skip

# Go's strconv.Atoi: an optional sign and decimal digits, within int64.
_GO_INT = re.compile(r"[+-]?[0-9]+")
_INT64_MAX = 2**63 - 1


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    for build in project.builds:
        dockerfile = build.dockerfile
        for stage in dockerfile.stages:
            for instruction in stage.instructions:
                if instruction.keyword != "COPY":
                    continue  # ONBUILD triggers copy from stages of another build
                spec = copy_spec(instruction)
                flag = spec.from_ if spec is not None else None
                if flag is None or not flag.value:
                    continue
                span = Span(dockerfile.source, flag.start, flag.end)
                found = _problem(build, stage, flag.value)
                if found is not None:
                    message, severity = found
                    yield ctx.report(span, message, severity=severity)


def _problem(build: Build, stage: Stage, value: str) -> tuple[str, Severity] | None:
    dockerfile = build.dockerfile
    if expand_word(value, {}, dockerfile.escape) != value:
        message = (
            f"BuildKit does not expand variables, quotes or escapes in `--from={value}` and fails with "
            '"variable expansion is not supported for --from"; name a stage instead: '
            f"`FROM {value} AS <name>` after a global `ARG` (FROM expands it), then `--from=<name>`"
        )
        return message, Severity.ERROR
    if named_context_key(build, value) is not None:
        return None  # a named context, which also replaces a stage of the same name
    if _GO_INT.fullmatch(value) and abs(int(value)) <= _INT64_MAX:
        return _index_problem(build, stage, int(value))
    named = dockerfile.stage_named(value)  # numbers were handled above: this is a name
    if named is not None:
        return _order_problem(stage, named, f"stage `{value}`")
    lowered = value.lower()
    stage_names = [s.name.value.lower() for s in dockerfile.stages if s.name is not None]
    ref = parse_image_ref(value)
    hint = _similar(lowered, [*stage_names, *build.context.named])
    if ref is None:
        message = (
            f"`{value}` is no stage of this Dockerfile, no named context and no valid image reference; "
            f'BuildKit fails with "failed to parse stage name"{hint}'
        )
        return message, Severity.ERROR
    if ref.tag is not None or ref.digest is not None or "/" in value or image_facts(ref) is not None:
        return None  # an image, written so that it cannot be taken for a stage, or one mcplint knows
    if build.context.assumed:
        severity = Severity.INFO
        contexts = "no Compose file builds it to give named contexts (a `--build-context` may)"
    else:
        severity = Severity.WARNING
        contexts = "its Compose build gives no named context of that name"
    message = (
        f"`{value}` is no stage of this Dockerfile and {contexts}, so BuildKit pulls the image "
        f"`docker.io/library/{value}:latest`{hint or '; write an image with its tag to show that one is meant'}"
    )
    return message, severity


def _index_problem(build: Build, stage: Stage, index: int) -> tuple[str, Severity] | None:
    stages = build.dockerfile.stages
    if not 0 <= index < len(stages):
        plural = "s" if len(stages) != 1 else ""
        message = (
            f"there is no stage {index}: this Dockerfile has {len(stages)} stage{plural} (indexes from 0); "
            f'BuildKit fails with "invalid stage index {index}"'
        )
        return message, Severity.ERROR
    source = stages[index]
    if source.name is not None and source.name.value.lower() in build.context.named:
        return None  # the named context of that name replaces the stage
    return _order_problem(stage, source, f"stage {index}")


def _order_problem(stage: Stage, source: Stage, label: str) -> tuple[str, Severity] | None:
    if source.index < stage.index:
        return None
    if source.index == stage.index:
        message = f'{label} is the stage this instruction is in; BuildKit fails with "circular dependency detected"'
        return message, Severity.ERROR
    message = (
        f"{label} comes later in the Dockerfile (line {source.from_instruction.start_line}); BuildKit fails with "
        '"cannot copy from stage …, it needs to be defined before current stage"'
    )
    return message, Severity.ERROR


def _similar(name: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return f"; did you mean `{close[0]}`?" if close else ""
