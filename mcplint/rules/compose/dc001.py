"""A Compose file that `docker compose` rejects: schema errors and broken references.

## What it does
Validates the loaded project (after interpolation, override files, `include`, `extends` and merge
keys, as `docker compose` validates it) against the compose-spec JSON schema and reports every
error, each at the line that causes it: an unknown key at that key, with the closest known key as a
suggestion; a value of the wrong type at the value; a missing property at the key of the mapping
that lacks it. When a key accepts several forms (a string or a list, short or long syntax), the
error is given for the form the value is closest to, not as a list of alternatives.

It also reports what `docker compose` checks after the schema: durations and byte sizes it cannot
decode (`mem_swappiness`, a tmpfs volume's `size`; the memory keys are RES002's), a service with
neither `image` nor `build`, a dependency (`depends_on`, `links`, `volumes_from`,
`network_mode: service:x`) on a service that does not exist or whose profiles are all inactive,
dependency cycles, undefined networks, volumes, secrets and configs, a `healthcheck.test` list that
starts with neither `CMD`, `CMD-SHELL` nor `NONE`, mutually exclusive keys, a fixed
`container_name` with several replicas, secrets and configs without content, and external volumes
with settings of their own. A `mem_limit` that contradicts `deploy.resources.limits.memory`, and a
number where a memory size belongs (`mem_limit: 1.5`), are left to RES002. An unquoted date or time
(`2024-01-31`) where a string is expected is an error too: YAML reads it as a timestamp, which
Compose accepts in no typed field.

With override files, `docker compose` validates the model after each file is merged in, so a schema
error in `compose.yaml` fails even when `compose.override.yaml` replaces the value; this rule
reports it at the line in `compose.yaml` and names the file that would have replaced it.

`docker compose` stops at the first of these errors; this rule lists them all. The schema is the
compose-spec copy shipped by `check-jsonschema`, which can be newer than your Compose: a key added to
the specification recently (`jobs`, `pre_start`, `umask`) passes here but fails with an older
`docker compose`.

## Why is this bad?
`docker compose up` refuses to start anything while one of these errors is left, and reports them
one at a time; a misspelled key inside an override file can also go unnoticed until a deployment
fails.

## Example
```yaml
services:
  web:
    imagee: nginx:1.27
    ports: "8080:80"
    healthcheck:
      test: ["curl", "-f", "http://localhost"]
      interval: 30 seconds
```

## Use instead
```yaml
services:
  web:
    image: nginx:1.27
    ports:
      - "8080:80"
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost"]
      interval: 30s
```

## Fix safety
There is no fix: a misspelled key could be meant as several keys, and a wrong type hides what the
author wanted.

## References
- [Compose file reference](https://docs.docker.com/reference/compose-file/)
- [compose-spec JSON schema](https://github.com/compose-spec/compose-go/blob/main/schema/compose-spec.json)
"""

from __future__ import annotations

from collections.abc import Iterator

from mcplint.diagnostics import Diagnostic, Severity
from mcplint.models.compose import ComposeProject
from mcplint.registry import Context, Rule, Scope

RULE = Rule(
    code="DC001", name="compose-schema", scope=Scope.COMPOSE, severity=Severity.ERROR, tags=("correctness",),
)  # fmt: skip


def check(project: ComposeProject, ctx: Context) -> Iterator[Diagnostic]:
    # Imported on first use, so that a run without DC001 pays neither for this module nor for the
    # jsonschema import it makes when it validates.
    from mcplint.models.compose_schema import locate, project_errors

    for found in project_errors(project):
        message = found.error.text
        if found.replaced_by is not None:
            later = found.replaced_by.source.path.name
            message += f" (`docker compose` validates each file as it merges it, before {later} replaces this)"
        yield ctx.report(locate(found.model, found.error), message)
