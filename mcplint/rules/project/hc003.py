"""`depends_on` waits for a service to be healthy, but that service reports no health.

## What it does
Checks each `depends_on` entry with `condition: service_healthy`: the service it names must have a
health check, in its Compose `healthcheck` or in its image (the HEALTHCHECK of the Dockerfile it is
built from, or of its base image). The finding points at the `condition`.

It is an error when the target has no health check (none in Compose, and an image mcplint knows to
have none), or has switched it off (`disable: true`, `test: ["NONE"]`, `HEALTHCHECK NONE`). When the
target's image is not in mcplint's knowledge base, whether it has a HEALTHCHECK cannot be told, and
the finding is informational.

## Why is this bad?
`docker compose up` refuses to start the dependent service: "container … has no healthcheck
configured" (docker/compose `pkg/compose/convergence.go`), and the whole `up` fails. Often the check
was removed from the target, or the target's image changed, after the dependency was written.

## Example
```yaml
services:
  api:
    build: .
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
```

## Use instead
```yaml
services:
  api:
    build: .
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres", "-d", "postgres"]
      interval: 10s
      timeout: 5s
      retries: 5
      start_period: 30s
```

## Fix safety
The fix gives the target service a health check its image can run, as HC001's fix does
(`pg_isready`, `redis-cli ping`, `mysqladmin ping`, an HTTP check of its port). It is unsafe: the
check may not match what "ready" means for that service. There is no fix when the target switched
its check off on purpose, or when its image has no program to probe it with.

## References
- [Compose file reference: depends_on](https://docs.docker.com/reference/compose-file/services/#depends_on)
"""

from __future__ import annotations

from collections.abc import Iterator

from mcplint.diagnostics import Diagnostic, Fix, Severity
from mcplint.models.compose import Dependency, Service
from mcplint.models.healthprobe import (
    compose_healthcheck_edit,
    service_image,
    service_probe,
)
from mcplint.project import Project
from mcplint.registry import Context, FixAvailability, Rule, Scope

RULE = Rule(
    code="HC003", name="depends-on-without-healthcheck", scope=Scope.PROJECT, severity=Severity.ERROR,
    fix=FixAvailability.SOMETIMES, tags=("reliability", "healthcheck", "compose"),
)  # fmt: skip


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    compose = project.compose
    if compose is None:
        return
    for service in compose.services:
        for dependency in service.depends_on:
            if dependency.condition != "service_healthy":
                continue
            target = compose.service(dependency.name)
            if target is None:
                continue  # a dependency on a service that does not exist is DC001's
            yield from _judge(project, service, dependency, target, ctx)


def _judge(project: Project, service: Service, dependency: Dependency, target: Service, ctx: Context) -> Iterator[Diagnostic]:
    span = dependency.condition_span or dependency.span
    waits = f"`{service.name}` waits for `{target.name}` to be healthy"
    healthcheck = target.healthcheck
    if healthcheck is not None and healthcheck.disabled:
        yield ctx.report(span, f"{waits}, but `{target.name}` switches its health check off: `docker compose up` fails")
        return
    if healthcheck is not None and healthcheck.test:
        return
    image = service_image(project, target)
    if image is None:
        return  # no image and no readable build: DC001 and CTX005 say why
    health = image.health
    if health.state == "set":
        return
    if health.state == "none":
        yield ctx.report(span, f"{waits}, but the image of `{target.name}` switches its health check off: `docker compose up` fails", detail=health.reason)
        return
    if health.state == "unknown":
        yield ctx.report(
            span,
            f"{waits}, and it has no `healthcheck`: unless its image defines a HEALTHCHECK, `docker compose up` fails",
            detail=health.reason,
            severity=Severity.INFO,
        )
        return
    fix = None
    probe = service_probe(target, image)
    edit = compose_healthcheck_edit(target, probe) if probe is not None else None
    if probe is not None and edit is not None:
        fix = Fix.unsafe(f"Give `{target.name}` a health check with {probe.what}", edit)
    yield ctx.report(span, f"{waits}, but `{target.name}` has no health check: `docker compose up` fails", fix=fix, detail=health.reason)
