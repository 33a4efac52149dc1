"""A service's `build.context`, `build.dockerfile` or named context does not exist.

## What it does
Checks, for each Compose service that builds an image, that the build context directory exists,
that the Dockerfile exists (`build.dockerfile` is relative to the context; the default is
`Dockerfile`), and that each local `additional_contexts` path exists. Remote contexts (git, https),
`dockerfile_inline`, `docker-image://` and `service:` contexts are not files and are not checked.
Paths are resolved as Compose resolves them: relative to the project directory, or to the file an
`extends` or `include` brought the service from.

## Why is this bad?
`docker compose build` (and `up` for a service that has no image yet) fails with
"unable to prepare context: path … not found" or "failed to read dockerfile". The usual cause is a
`dockerfile` path written relative to the Compose file instead of relative to the context.

## Example
```yaml
services:
  api:
    build:
      context: ./services/api
      dockerfile: ./services/api/Dockerfile
```

## Use instead
```yaml
services:
  api:
    build:
      context: ./services/api
      dockerfile: Dockerfile
```

## Fix safety
There is no fix: which of the two paths is wrong is a human decision.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from mcplint.diagnostics import Diagnostic, Severity
from mcplint.project import Project
from mcplint.registry import Context, Rule, Scope

RULE = Rule(
    code="CTX005", name="build-dockerfile-missing", scope=Scope.PROJECT, severity=Severity.ERROR,
    tags=("build", "compose"),
)  # fmt: skip


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    if project.compose is None:
        return
    files = project.workspace
    for service in project.compose.services:
        spec = service.build
        if spec is None or spec.context is None:
            continue
        if not files.is_dir(spec.context):
            yield ctx.report(
                spec.context_span,
                f"Build context `{spec.context_text}` of service `{service.name}` does not exist ({spec.context})",
            )
            continue
        if spec.dockerfile_inline is None:
            path = spec.dockerfile_path
            if path is not None and not files.is_file(path):
                where = spec.dockerfile_span or spec.context_span
                hint = ""
                beside = Path(os.path.normpath(service.base_dir(None) / spec.dockerfile))
                if files.is_file(beside) and beside != path:
                    hint = f"; `build.dockerfile` is relative to the context, and `{spec.dockerfile}` exists relative to the project directory"
                yield ctx.report(
                    where,
                    f"Dockerfile `{spec.dockerfile}` of service `{service.name}` does not exist in its context ({path}){hint}",
                )
        for name, target in spec.additional_context_paths.items():
            if not files.exists(target):
                located = spec.additional_contexts[name]
                yield ctx.report(
                    located.span,
                    f"Named build context `{name}` of service `{service.name}` points to `{located.value}`, which does not exist",
                )
