"""A service without a memory limit.

## What it does
Reports each Compose service that sets neither `deploy.resources.limits.memory` nor `mem_limit`
(a limit of `0` means unlimited and counts as none). Limits that come from an override file, an
`extends` base, a merge key or an interpolated variable count. The finding points at the service's
key in the file that defines it.

## Why is this bad?
Without a limit, one leaking or overloaded container can take all the host's memory; the kernel's
OOM killer then picks a victim among all processes, often the database next to it. With a limit,
only the offending container is restarted, and memory budgets (such as Postgres settings, PG001)
can be checked against it.

## Example
```yaml
services:
  api:
    image: node:18-alpine
```

## Use instead
```yaml
services:
  api:
    image: node:18-alpine
    deploy:
      resources:
        limits:
          memory: 512M
```

## Fix safety
The fix inserts `deploy.resources.limits.memory` with the configured default into the service's
mapping, keeping the file's indentation and comments. It is unsafe: a limit that is too low gets a
working service killed, and only the service's owner knows its real need.

## Options
- `default` (string, default `"512M"`): the limit the fix writes, in Docker's byte syntax.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mcplint.diagnostics import Diagnostic, Fix, Severity
from mcplint.models.compose import ComposeProject, Service
from mcplint.models.units import UnitError, parse_bytes
from mcplint.registry import Context, FixAvailability, Rule, Scope
from mcplint.yamledit import insert_path


@dataclass(frozen=True, slots=True)
class Options:
    default: str = "512M"

    def __post_init__(self) -> None:
        try:
            parse_bytes(self.default)
        except UnitError as exc:
            raise ValueError(f"`default` is not a byte size Docker accepts: {exc}") from None


RULE = Rule(
    code="RES001", name="memory-limit-missing", scope=Scope.COMPOSE, severity=Severity.WARNING,
    fix=FixAvailability.SOMETIMES, options=Options, tags=("reliability", "resources"),
)  # fmt: skip


def has_memory_limit(service: Service) -> bool:
    """Whether Compose applies a limit (`0` is none; a malformed value is RES002's finding, not ours)."""
    return service.memory_limit is not None


def check(project: ComposeProject, ctx: Context) -> Iterator[Diagnostic]:
    options: Options = ctx.options
    for service in project.services:
        if has_memory_limit(service):
            continue
        fix = None
        defining = service.defining
        if defining is not None:
            source, mapping = defining
            edit = insert_path(
                source,
                mapping,
                ("deploy", "resources", "limits", "memory"),
                options.default,
                parent_key_start=service.key.start if service.key.source is source else None,
            )
            if edit is not None:
                fix = Fix.unsafe(f"Add `deploy.resources.limits.memory: {options.default}`", edit)
        yield ctx.report(
            service.key,
            f"Service `{service.name}` has no memory limit",
            fix=fix,
        )

