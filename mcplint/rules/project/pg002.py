"""A Postgres container whose /dev/shm is too small for one parallel hash join.

## What it does
For each Postgres service whose settings allow parallel hash joins (`max_parallel_workers_per_gather`
above 0, `enable_parallel_hash` on, `dynamic_shared_memory_type = posix`, the default), compares the
size of `/dev/shm` — Docker's 64 MiB unless `shm_size` says otherwise — with what one parallel hash
join may put there: its shared hash table, `work_mem × hash_mem_multiplier × (workers + 1)`, less
what `min_dynamic_shared_memory` preallocates in the main shared memory segment. Services that share
another container's IPC namespace (`ipc:`) or mount their own `/dev/shm` are not checked.

## Why is this bad?
PostgreSQL keeps a parallel query's shared state in POSIX shared memory, which in a container is the
`/dev/shm` tmpfs. When a parallel hash join's table outgrows it, the query fails with
`could not resize shared memory segment "/PostgreSQL.…" to … bytes: No space left on device`
(docker-library/postgres#416): a query that works on a laptop fails in the container, and only for
data large enough to go parallel. Measured on PostgreSQL 15 with `work_mem = 16MB` (a 96 MiB hash
budget): the join fails under 64 MiB of `/dev/shm`, and runs under 128 MiB.

## Example
```yaml
services:
  db:
    image: postgres:16
    command: postgres -c work_mem=32MB
```

## Use instead
```yaml
services:
  db:
    image: postgres:16
    command: postgres -c work_mem=32MB
    shm_size: 256M
```

## Fix safety
The fix sets `shm_size` to the next power of two (in MiB) that holds one parallel hash. It is safe
when that hash also fits beside the server's base footprint within the memory limit (or there is no
limit): `shm_size` reserves nothing, it only caps a tmpfs whose pages are charged to the container
when written, and the memory a parallel hash uses is already counted by PG001's budget, so the only
change is that the query runs instead of failing. When the limit could not hold that hash, the fix
is unsafe: a query that failed alone could then push the container into the OOM killer, which
restarts every session.

Several parallel hash joins at once need that much each; PG001 counts them against the memory limit.

## References
- docker-library/postgres#416; the image's documentation, "Caveats" (`--shm-size`).
- PostgreSQL documentation: `dynamic_shared_memory_type`, `min_dynamic_shared_memory`, `hash_mem_multiplier`.
"""

from __future__ import annotations

from collections.abc import Iterator

from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity
from mcplint.models import pgmemory
from mcplint.models.postgres import PostgresService, postgres_services
from mcplint.models.units import format_bytes
from mcplint.project import Project
from mcplint.registry import Context, FixAvailability, Rule, Scope
from mcplint.yamledit import insert_path

RULE = Rule(
    code="PG002", name="postgres-shm-too-small", scope=Scope.PROJECT, severity=Severity.WARNING,
    fix=FixAvailability.SOMETIMES, tags=("postgres", "reliability", "resources"),
)  # fmt: skip


def shm_need(inputs: pgmemory.MemoryInputs) -> int:
    """/dev/shm one parallel hash join needs: its table, less the preallocated dynamic shared memory."""
    return max(0, pgmemory.parallel_hash_bytes(inputs) - inputs.number("min_dynamic_shared_memory"))


def proposed_size(need: int) -> int:
    """The next power of two, in whole MiB, that holds `need` bytes."""
    mebibytes = max(1, -(-need // pgmemory.MIB))
    return (1 << (mebibytes - 1).bit_length()) * pgmemory.MIB


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    for pg in postgres_services(project):
        inputs = pg.memory_inputs
        shm = pg.shm_size
        if inputs is None or shm is None:
            continue
        if str(pg.setting("dynamic_shared_memory_type").raw).lower() != "posix":
            continue
        need = shm_need(inputs)
        if need <= shm.bytes:
            continue
        workers = pgmemory.parallel_workers_per_query(inputs)
        settings = ", ".join(pg.setting(name).describe() for name in
                             ("work_mem", "hash_mem_multiplier", "max_parallel_workers_per_gather", "min_dynamic_shared_memory"))
        written = pg.service.located("shm_size")
        size = "Docker's default 64 MiB" if written is None else f"`shm_size: {shm.text}` ({format_bytes(shm.bytes)})"
        yield ctx.report(
            written.span if written is not None else pg.service.key,
            f"/dev/shm of Postgres service `{pg.name}` is {size}, but one parallel hash join may need "
            f"{format_bytes(need)} there: such queries fail with \"could not resize shared memory segment\"",
            fix=_fix(pg, inputs, need),
            detail=(f"one parallel hash: work_mem × hash_mem_multiplier × ({workers} workers + 1)"
                    f" − min_dynamic_shared_memory = {format_bytes(need)}\nsettings: {settings}"),
        )


def _fix(pg: PostgresService, inputs: pgmemory.MemoryInputs, need: int) -> Fix | None:
    size = proposed_size(need)
    text = f"{size // pgmemory.MIB}M"
    limit = pg.memory_limit
    if limit is not None and size > limit.bytes:
        return None  # RES002 would then object; PG001 reports that the hash cannot fit
    written = pg.service.located("shm_size")
    if written is not None:
        raw = written.span.text
        offset = raw.find(str(written.value))
        if offset < 0 or str(written.value) != str(pg.service.get("shm_size").raw):  # type: ignore[union-attr]
            return None  # interpolated: the variable, not this text, decides
        start = written.span.start + offset
        edit = Edit(written.span.source, start, start + len(str(written.value)), text)
    else:
        if pg.service.defining is None:
            return None
        source, mapping = pg.service.defining
        key = pg.service.key
        edit = insert_path(source, mapping, ("shm_size",), text, parent_key_start=key.start if key.source is source else None)
        if edit is None:
            return None
    title = f"Set `shm_size: {text}`"
    fits = limit is None or pgmemory.base(inputs).total + size <= limit.bytes
    return Fix.safe(title, edit) if fits else Fix.unsafe(title, edit)
