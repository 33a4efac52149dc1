"""Memory settings of a service that Compose or Docker reject, or that contradict each other.

## What it does
Checks the memory keys of each service as `docker compose up` applies them:

- a byte value that Compose cannot parse (`mem_limit: 512Mi`, `shm_size: 1,5g`, an unset variable),
  or a YAML number with a fraction, which Compose silently drops (`mem_limit: 1.5`);
- `mem_limit` and `deploy.resources.limits.memory` both set to different non-zero values (Compose
  refuses the project: "can't set distinct values on 'mem_limit' and
  'deploy.resources.limits.memory'"), and the same for the reservations;
- a limit below 6 MiB, or a reservation below 6 MiB ("Minimum memory limit allowed is 6MB");
- a reservation above the limit ("Minimum memory limit can not be less than memory reservation
  limit");
- `memswap_limit` (memory plus swap) below the limit ("Minimum memoryswap limit should be larger
  than memory limit"; `-1` means unlimited swap and `0` unset), or set without any limit;
- `shm_size` above the limit (a warning: `/dev/shm` is a tmpfs charged to the container's memory, so
  it can never be filled).

The limit is the effective one: `deploy.resources.limits.memory` when non-zero, else `mem_limit`.

## Why is this bad?
Compose refuses the first two kinds when it loads the project; the Docker engine refuses the others
when it creates the container, so the mistake surfaces only at deploy time, on the machine that runs
it. A `mem_limit: 512` (bytes, meant as megabytes) gets a container that cannot start.

## Example
```yaml
services:
  db:
    image: postgres:16
    mem_limit: 1Gi
    deploy:
      resources:
        reservations:
          memory: 2G
```

## Use instead
```yaml
services:
  db:
    image: postgres:16
    mem_limit: 1G
    deploy:
      resources:
        reservations:
          memory: 512M
```

## Fix safety
One fix is offered, and it is safe: a Kubernetes-style binary suffix (`512Mi`, `2Gi`), which Compose
rejects, becomes the Docker suffix with the same meaning (`512M`, `2G`: Docker's units are always
powers of 1024). Every other finding has no exact remedy: which of two different limits is meant,
whether the swap or the limit is wrong, or whether `512` meant megabytes is the author's decision.

## References
- compose-go `loader/validate.go`; moby `daemon/daemon_unix.go` `verifyPlatformContainerResources`.
- docker/go-units `RAMInBytes` (the byte grammar).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from mcplint.models.compose import MEMORY_SIZE_KEYS, ComposeProject, CScalar, Service
from mcplint.models.units import UnitError, format_bytes, parse_bytes
from mcplint.registry import Context, FixAvailability, Rule, Scope

RULE = Rule(
    code="RES002", name="memory-limit-inconsistent", scope=Scope.COMPOSE, severity=Severity.ERROR,
    fix=FixAvailability.SOMETIMES, tags=("reliability", "resources"),
)  # fmt: skip

MIN_MEMORY = 6 * 1024 * 1024  # moby linuxMinMemory
_KUBERNETES_SUFFIX = re.compile(r"([0-9][0-9.]*\s?[KMGTPkmgtp])i")


@dataclass(frozen=True, slots=True)
class _Value:
    key: str  # dotted, as users write it in messages
    text: str
    bytes: int
    span: Span


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _values(service: Service, ctx: Context) -> tuple[dict[str, _Value], list[Diagnostic]]:
    found: dict[str, _Value] = {}
    problems = []
    for path in MEMORY_SIZE_KEYS:
        node = service.get(*path)
        if not isinstance(node, CScalar) or node.value is None:
            continue
        key = _dotted(path)
        try:
            amount = parse_bytes(node.value)
        except UnitError as error:
            problems.append(_unparsable(service, key, node, str(error), ctx))
            continue
        found[key] = _Value(key, str(node.value), amount, node.span)
    return found, problems


def _unparsable(service: Service, key: str, node: CScalar, reason: str, ctx: Context) -> Diagnostic:
    text = str(node.value)
    interpolated = node.raw != text and isinstance(node.value, str)
    where = f" (after interpolating `{node.raw}`)" if interpolated else ""
    fix = None
    match = _KUBERNETES_SUFFIX.fullmatch(text) if isinstance(node.value, str) and not interpolated else None
    if match is not None:
        written = node.span.text
        offset = written.find(text)
        if offset >= 0:
            i_at = node.span.start + offset + len(text) - 1
            fixed = text[:-1]
            fix = Fix.safe(f"Write `{fixed}` (Docker's units are binary already)", Edit(node.span.source, i_at, i_at + 1, ""))
    return ctx.report(
        node.span,
        f"`{key}: {text}` of service `{service.name}` is not a byte size Compose accepts{where}: {reason}",
        fix=fix,
    )


def _nonzero(values: dict[str, _Value], key: str) -> _Value | None:
    value = values.get(key)
    return value if value is not None and value.bytes != 0 else None


def check(project: ComposeProject, ctx: Context) -> Iterator[Diagnostic]:
    for service in project.services:
        values, problems = _values(service, ctx)
        yield from problems
        name = service.name
        pairs = (("mem_limit", "deploy.resources.limits.memory"), ("mem_reservation", "deploy.resources.reservations.memory"))
        for plain, deploy in pairs:
            a, b = _nonzero(values, plain), _nonzero(values, deploy)
            if a is not None and b is not None and a.bytes != b.bytes:
                yield ctx.report(
                    a.span,
                    f"Service `{name}` sets `{plain}: {a.text}` and `{deploy}: {b.text}`; Compose refuses the "
                    f"project: can't set distinct values on '{plain}' and '{deploy}'",
                    related=((f"`{deploy}` is set here", b.span),),
                )
        written_limit = _nonzero(values, "deploy.resources.limits.memory") or _nonzero(values, "mem_limit")
        limit = written_limit  # None below when Docker refuses it: nothing else is compared with it
        reservation = (_nonzero(values, "deploy.resources.reservations.memory")
                       or _nonzero(values, "mem_reservation"))
        if written_limit is not None and written_limit.bytes < MIN_MEMORY:
            unit_hint = " (a number without a unit is bytes)" if limit.text.strip().lstrip("+").isdigit() else ""
            yield ctx.report(
                limit.span,
                f"Memory limit `{limit.key}: {limit.text}` of service `{name}` is {_amount(limit.bytes)}{unit_hint}; "
                "Docker refuses to create the container: Minimum memory limit allowed is 6MB",
            )
            limit = None
        if reservation is not None and 0 < reservation.bytes < MIN_MEMORY:
            yield ctx.report(
                reservation.span,
                f"Memory reservation `{reservation.key}: {reservation.text}` of service `{name}` is "
                f"{_amount(reservation.bytes)}; Docker refuses: Minimum memory reservation allowed is 6MB",
            )
        elif reservation is not None and limit is not None and limit.bytes > 0 and reservation.bytes > limit.bytes:
            yield ctx.report(
                reservation.span,
                f"Memory reservation `{reservation.key}: {reservation.text}` of service `{name}` is above its limit "
                f"`{limit.key}: {limit.text}`; Docker refuses: Minimum memory limit can not be less than memory "
                "reservation limit",
                related=(("the limit", limit.span),),
            )
        swap = values.get("memswap_limit")
        if swap is not None and swap.bytes > 0:
            if written_limit is None:
                yield ctx.report(
                    swap.span,
                    f"`memswap_limit: {swap.text}` of service `{name}` is set without a memory limit; Docker refuses: "
                    "You should always set the Memory limit when using Memoryswap limit",
                )
            elif limit is not None and limit.bytes > 0 and swap.bytes < limit.bytes:
                yield ctx.report(
                    swap.span,
                    f"`memswap_limit: {swap.text}` of service `{name}` (memory plus swap) is below its limit "
                    f"`{limit.key}: {limit.text}`; Docker refuses: Minimum memoryswap limit should be larger than "
                    "memory limit",
                    related=(("the limit", limit.span),),
                )
        shm = values.get("shm_size")
        if shm is not None and limit is not None and limit.bytes > 0 and shm.bytes > limit.bytes:
            yield ctx.report(
                shm.span,
                f"`shm_size: {shm.text}` of service `{name}` is above its memory limit `{limit.key}: {limit.text}`; "
                "/dev/shm is a tmpfs charged to the container's memory, so it can never be filled",
                severity=Severity.WARNING,
                related=(("the limit", limit.span),),
            )


def _amount(n: int) -> str:
    return f"{n} bytes" if 0 <= n < 1024 else format_bytes(n)
