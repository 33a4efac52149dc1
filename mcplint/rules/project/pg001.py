"""Postgres settings that cannot fit in the container's memory limit.

## What it does
For each service running a Postgres image (`postgres`, `postgis/postgis`, `timescale/timescaledb`,
or a Dockerfile FROM one of them) that has a memory limit, reads the settings the server really
runs with — the mounted `postgresql.conf` it reads (with its includes), the `-c`/`-B`/`-N`/`-S` flags
of `command:`, and the defaults of the major version in the image tag — and adds up the memory they
allow (docs/postgres-memory.md has the model, its sources and its calibration against a real
server):

- **error** when the shared memory alone (`shared_buffers` and friends), or the server's base
  footprint (shared memory plus its own processes), does not fit in the limit: the server cannot run
  with a warm cache;
- **error** when one allocation cannot fit beside the base footprint: a manual VACUUM or CREATE INDEX
  (`maintenance_work_mem`), one autovacuum worker, or one parallel hash join;
- **warning** when the configuration is more aggressive than a tuner would set for that limit: with
  every connection busy running a query with one sort and one hash (each `work_mem`, the hash
  `work_mem × hash_mem_multiplier`), the parallel workers and parallel hash tables they can use and
  autovacuum at work, the server can use more than the limit, and the kernel's OOM killer ends it.

The message's detail always shows the whole sum: which setting, from which file and line (or flag, or
default), how many bytes. A service without a memory limit gets no finding here (RES001 reports it).
The finding points at the setting most responsible — its line in `postgresql.conf` or its `-c`
argument in `command:` — or at the limit when that setting is a default.

## Why is this bad?
Postgres sizes nothing by the container's limit: `shared_buffers` is taken at start, and every
session may take `work_mem` per sort and per hash. In a container the OOM killer does not fail one
query, it kills a backend, and the postmaster then restarts every session ("terminating any other
active server processes"). Measured on PostgreSQL 15 (docs/postgres-memory.md): the mission's `shared_buffers = 128MB`,
`work_mem = 4MB`, `max_connections = 50` — what pgtune proposes for 512 MB — peaked at 1.4 GiB with
47 busy sessions (650 MiB with parallel query off), far over its 512M limit.

## Example
```yaml
services:
  db:
    image: postgres:15-alpine
    command: postgres -c shared_buffers=512MB -c work_mem=16MB
    mem_limit: 512m
```

## Use instead
```yaml
services:
  db:
    image: postgres:15-alpine
    command: >-
      postgres -c shared_buffers=128MB -c work_mem=1MB
      -c maintenance_work_mem=32MB -c max_connections=20
    mem_limit: 512m
```

## Fix safety
The fix is unsafe: it changes the server's behaviour. It sizes the settings for the limit with
pgtune's rules adapted to containers (`shared_buffers` at most a quarter of the limit,
`maintenance_work_mem` at most a sixteenth, then the largest `work_mem` for which the limit holds
with every connection busy, without pgtune's 4 MB floor, which overcommits small limits), lowering
only what is above those values; `max_connections` is lowered only when no `work_mem` fits. Each
setting is written where it is set now — its line in `postgresql.conf` (the comment after it stays)
or its `-c` flag in `command:` — and a setting left at its default is added to the configuration file
the server reads, or as a `-c` flag. Smaller `work_mem` makes large sorts and hashes spill to disk;
if your workload needs them in memory, raise the limit instead, or lower `max_connections` and put a
connection pooler in front.

## Options
- `active-connections` (integer, default `0`): how many sessions can run queries at once; `0` means
  `max_connections` (every connection can be busy, which is what a burst of traffic does). Set it
  to your pooler's pool size when a pooler caps concurrent queries.

## References
- PostgreSQL documentation, "Resource Consumption" (runtime-config-resource).
- pgtune (le0pard/pgtune), timescaledb-tune: the tuners' rules.
- A. Freund, "Analyzing the Limits of Connection Scalability in Postgres" (2020): per-connection cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mcplint.diagnostics import Diagnostic, Fix, Severity, Span
from mcplint.models import pgmemory
from mcplint.models.pgmemory import Assessment, Estimate, Term
from mcplint.models.postgres import (
    PostgresService,
    describe_limit,
    format_setting,
    postgres_services,
    setting_edits,
)
from mcplint.models.units import format_bytes
from mcplint.project import Project
from mcplint.registry import Context, FixAvailability, Rule, Scope


@dataclass(frozen=True, slots=True)
class Options:
    active_connections: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.active_connections, bool) or not isinstance(self.active_connections, int):
            raise ValueError("`active_connections` must be an integer")
        if self.active_connections < 0:
            raise ValueError("`active_connections` must be 0 (all connections) or more")


RULE = Rule(
    code="PG001", name="postgres-memory-budget", scope=Scope.PROJECT, severity=Severity.ERROR,
    fix=FixAvailability.SOMETIMES, options=Options, tags=("postgres", "reliability", "resources"),
)  # fmt: skip


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    options: Options = ctx.options
    active = options.active_connections or None
    for pg in postgres_services(project):
        limit = pg.memory_limit
        inputs = pg.memory_inputs
        if limit is None or inputs is None:
            continue
        assessment = pgmemory.assess(inputs, limit.bytes, active)
        if assessment.fits:
            continue
        message, severity, responsible = _verdict(pg, assessment, inputs)
        span = _span_of(pg, responsible) or limit.span
        yield ctx.report(
            span,
            message,
            severity=severity,
            fix=_fix(pg, inputs, limit.bytes, active),
            detail=_detail(pg, assessment, inputs),
            related=(("the memory limit", limit.span),) if span is not limit.span else (),
        )


def _verdict(pg: PostgresService, a: Assessment, inputs: pgmemory.MemoryInputs) -> tuple[str, Severity, str | None]:
    limit = f"its memory limit {describe_limit(pg.memory_limit)}"  # type: ignore[arg-type]
    who = f"Postgres in service `{pg.name}`"
    if a.shared_exceeds:
        return (f"{who} needs {format_bytes(a.shared.total)} of shared memory at start, more than {limit}",
                Severity.ERROR, _largest_setting(a.shared.terms))
    if a.base_exceeds:
        return (f"{who} needs {format_bytes(a.base.total)} before serving a query (shared memory and its own "
                f"processes), more than {limit}", Severity.ERROR, _largest_setting(a.base.terms))
    if a.too_large:
        biggest = max(a.too_large, key=lambda term: term.bytes)
        headroom = max(0, a.limit - a.base.total)
        return (f"{who}: {biggest.label} may allocate {format_bytes(biggest.bytes)} at once, but only "
                f"{format_bytes(headroom)} of {limit} is left beside the server's base footprint of "
                f"{format_bytes(a.base.total)}", Severity.ERROR, biggest.settings[0] if biggest.settings else None)
    busy = "every connection" if a.active >= inputs.number("max_connections") else f"{a.active} connections"
    return (f"{who} can use {format_bytes(a.typical.total)} with {busy} busy, more than {limit}: the OOM killer "
            "would end the server; these settings are more aggressive than a tuner would set for this limit",
            Severity.WARNING, _largest_setting(a.typical.terms[len(a.base.terms):]) or "work_mem")


def _largest_setting(terms: tuple[Term, ...]) -> str | None:
    candidates = [term for term in terms if term.settings]
    if not candidates:
        return None
    return max(candidates, key=lambda term: term.bytes).settings[0]


def _span_of(pg: PostgresService, name: str | None) -> Span | None:
    if name is None:
        return None
    occurrence = pg.effective.get(name)
    return occurrence.span if occurrence is not None else None


def _fix(pg: PostgresService, inputs: pgmemory.MemoryInputs, limit: int, active: int | None) -> Fix | None:
    changes = pgmemory.tune(inputs, limit, active)
    if not changes:
        return None
    values = {
        name: str(value) if name == "max_connections" else format_setting(name, value, pg.major)
        for name, value in changes.items()
    }
    edits = setting_edits(pg, values)
    if edits is None:
        return None
    shown = ", ".join(f"{name} = {text}" for name, text in values.items())
    return Fix.unsafe(f"Size the settings for the {pg.memory_limit.text} limit: {shown}", *edits)  # type: ignore[union-attr]


def _estimate_lines(estimate: Estimate, prefix_terms: int, prefix_name: str | None) -> list[str]:
    lines = [f"{estimate.name} = {format_bytes(estimate.total)}"]
    terms = estimate.terms
    if prefix_name is not None and prefix_terms:
        prefix_total = sum(term.bytes for term in terms[:prefix_terms])
        lines.append(f"    {format_bytes(prefix_total):>12}  {prefix_name}")
        terms = terms[prefix_terms:]
    for term in terms:
        lines.append(f"  + {format_bytes(term.bytes):>12}  {term.label}: {term.formula}")
    return lines


def _detail(pg: PostgresService, a: Assessment, inputs: pgmemory.MemoryInputs) -> str:
    limit = pg.memory_limit
    assert limit is not None
    line = limit.span.source.location(limit.span.start)[0]
    lines = [
        f"memory limit: {describe_limit(limit)} ({limit.span.source.path.name}:{line})",
        f"image: {pg.image.reference} (PostgreSQL {pg.major}); configuration: {pg.config_file.reason}",
    ]
    shm = pg.shm_size
    if shm is not None:
        lines.append(f"/dev/shm: {format_bytes(shm.bytes)}")
    lines.append("settings:")
    used = []
    for estimate in (a.worst, a.typical):
        for term in estimate.terms:
            used += [name for name in term.settings if name not in used]
    for name in used:
        lines.append(f"  {pg.setting(name).describe()}")
    lines += _estimate_lines(a.shared, 0, None)
    lines += _estimate_lines(a.base, len(a.shared.terms), "SHARED")
    lines += _estimate_lines(a.typical, len(a.base.terms), "BASE")
    lines += _estimate_lines(a.worst, len(a.base.terms), "BASE")
    lines += _estimate_lines(a.pgtune, 0, None)
    headroom = a.limit - a.base.total
    lines.append(f"beside BASE, {format_bytes(max(0, headroom))} is left for one allocation at a time:")
    for term in pgmemory.single_allocations(inputs):
        mark = "too large" if term in a.too_large else "fits"
        lines.append(f"  {format_bytes(term.bytes):>12}  {term.label} ({term.formula}): {mark}")
    lines += [f"note: {note}" for note in pg.notes]
    return "\n".join(lines)
