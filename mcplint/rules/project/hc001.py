"""A long-running service that reports no health: no health check in Compose, none in its image.

## What it does
Reports each Compose service that keeps running (a server, not a job) when neither its Compose
`healthcheck` nor its image defines a health check. The image's own HEALTHCHECK counts: the one in
the final stage of the Dockerfile the service builds (or a stage it is built FROM), or the base
image's, which mcplint knows for the official images in its knowledge base. The finding points at
the service's key, once per service.

A Dockerfile that no Compose file builds is judged on its own: its final stage is reported (at its
`FROM`) when it serves (an `EXPOSE`, or a server such as `nginx` or `gunicorn` as its command) and
has no HEALTHCHECK. Builder stages are never reported: only the final stage (or the `target` Compose
builds) becomes the image that runs.

Not reported:
- jobs: a service another one waits for with `service_completed_successfully`; a command that runs
  a migration, seeding, tests or only prints (`migrate`, `db:seed`, `pytest`, `echo`); a container
  whose default command is a shell or REPL (`image: node` with no command exits at once); a
  `restart: "no"` service that publishes no port;
- a health check switched off on purpose: `healthcheck: {disable: true}`, `test: ["NONE"]`, or
  `HEALTHCHECK NONE` in the image;
- images mcplint does not know (`image: gitea/gitea`, a Dockerfile FROM a private base): whether
  they define a HEALTHCHECK cannot be told, so nothing is said;
- services whose profiles are not active.

## Why is this bad?
Without a health check Docker only knows whether the process runs, not whether it answers: a
database still replaying its WAL or a web server stuck in a deadlock is "running". Dependents cannot
wait for it (`depends_on: condition: service_healthy` fails, HC003), `docker ps` shows nothing wrong,
and orchestrators that restart unhealthy containers never do. Linters that flag "no HEALTHCHECK" in
every Dockerfile (builder stages, base images, jobs) are noisy; this rule looks at what runs.

## Example
```yaml
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
```

## Use instead
```yaml
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
    healthcheck:
      test: "pg_isready -U \"$${POSTGRES_USER}\" -d \"$${POSTGRES_USER}\""
      interval: 10s
      timeout: 5s
      retries: 5
      start_period: 30s
```

## Fix safety
The fix inserts a health check that the image can run: `pg_isready` for Postgres (user and database
read from the container's environment, `$$`-escaped so that Compose leaves them to the container),
`redis-cli ping`, `mysqladmin ping` or MariaDB's `healthcheck.sh`, a `mongosh` ping, else an HTTP
GET of `/` on the service's port (from `ports`, `expose`, EXPOSE or `PORT`) with `wget`, `curl`,
`node` or `python`, whichever the image has, every 10s with a 5s timeout, 5 retries and a 30s start
period. A Compose service gets it in its `healthcheck:`; a Dockerfile no Compose file builds gets a
`HEALTHCHECK` line at the end of its final stage. It is unsafe: `/` may not be where the application
answers, and a check that fails marks a working service unhealthy. There is no fix when the image
has no program that can probe it (`scratch`, distroless).

## Options
- `standalone` (boolean, default `true`): also judge Dockerfiles that no Compose file builds. Turn it
  off for images whose health is checked by the platform that runs them (Kubernetes probes), or for
  base images published for others to configure (the official images leave health checks to their
  users on purpose).

## References
- [Dockerfile reference: HEALTHCHECK](https://docs.docker.com/reference/dockerfile/#healthcheck)
- [Compose file reference: healthcheck](https://docs.docker.com/reference/compose-file/services/#healthcheck)
- [Why the official images have no HEALTHCHECK (docker-library/cassandra#76)](https://github.com/docker-library/cassandra/pull/76#issuecomment-246054271)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mcplint.diagnostics import Diagnostic, Fix, Severity, Span
from mcplint.models.healthprobe import (
    ImageView,
    compose_healthcheck_edit,
    dockerfile_healthcheck_edit,
    dockerfile_probe,
    dockerfile_serves,
    service_image,
    service_lifetime,
    service_probe,
)
from mcplint.project import Project
from mcplint.registry import Context, FixAvailability, Rule, Scope


@dataclass(frozen=True, slots=True)
class Options:
    standalone: bool = True


RULE = Rule(
    code="HC001", name="healthcheck-missing", scope=Scope.PROJECT, severity=Severity.WARNING,
    fix=FixAvailability.SOMETIMES, options=Options, tags=("reliability", "healthcheck"),
)  # fmt: skip


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    if project.compose is not None:
        yield from _compose_services(project, ctx)
    elif ctx.options.standalone:
        yield from _standalone_dockerfiles(project, ctx)


def _compose_services(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    assert project.compose is not None
    for service in project.compose.services:
        if not service.enabled:
            continue
        healthcheck = service.healthcheck
        if healthcheck is not None and (healthcheck.disabled or healthcheck.test):
            continue  # a check of its own, or none on purpose (`test: []` is none: the image's is used)
        image = service_image(project, service)
        if image is None or image.health.state != "absent":
            continue
        lifetime = service_lifetime(project, service, image)
        if not lifetime.long_running:
            continue
        fix = None
        probe = service_probe(service, image)
        edit = compose_healthcheck_edit(service, probe) if probe is not None else None
        if probe is not None and edit is not None:
            fix = Fix.unsafe(f"Add a health check with {probe.what}", edit)
        yield ctx.report(
            service.key,
            f"Service `{service.name}` reports no health: it has no `healthcheck`, and its image none of its own",
            fix=fix,
            detail=_detail(image, fix is None),
        )


def _standalone_dockerfiles(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    for build in project.builds:
        stage = build.final_stage
        if stage is None:
            continue
        image = ImageView.of_stage(build.dockerfile, stage, build.args)
        if image.health.state != "absent":
            continue
        serving = dockerfile_serves(image)
        if serving is None:
            continue
        fix = None
        probe = dockerfile_probe(image)
        if probe is not None:
            edit = dockerfile_healthcheck_edit(build.dockerfile, stage, probe)
            fix = Fix.unsafe(f"Add a HEALTHCHECK with {probe.what}", edit) if edit is not None else None
        instruction = stage.from_instruction
        yield ctx.report(
            Span(build.dockerfile.source, instruction.start, instruction.end),
            f"The final stage of {build.dockerfile.path.name}{_from(image)} serves ({serving}) but has no HEALTHCHECK",
            fix=fix,
            detail=_detail(image, fix is None),
        )


def _from(image: ImageView) -> str:
    return f" (FROM {image.reference})" if image.reference else ""


def _detail(image: ImageView, no_fix: bool) -> str:
    lines = [image.health.reason]
    if no_fix:
        lines.append("no fix: no probe is known that this image can run (a database client, or an HTTP client and a port)")
    return "\n".join(lines)
