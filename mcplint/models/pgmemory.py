"""How much memory a PostgreSQL server needs, term by term, and what a tuner would set for a limit.

The formulas are those of research §B2.6 (anchors-compose-postgres.md), with two terms the research
left out and a real server shows (`postgres -C shared_memory_size`): prepared-transaction slots take
lock-table space like connections, and `min_dynamic_shared_memory` is carved out of the main segment.
Every estimate is a tuple of named terms, each with the settings it was computed from, so a finding
can show the whole sum and where each number came from. docs/postgres-memory.md walks through the
arithmetic and the calibration against a real PostgreSQL 15 under pgbench (`make calibrate`).

- SHARED: the main shared memory segment, allocated at start.
- BASE: SHARED plus the server's own processes (postmaster, background processes, autovacuum workers).
- TYPICAL: BASE plus `active` sessions each running one sort and one hash (`work_mem × (1 +
  hash_mem_multiplier)`), the parallel workers they can get, the parallel hash tables they can build
  in /dev/shm (bounded by its size), and autovacuum workers with at most 64 MiB each.
- WORST: every connection and every parallel worker running a sort and a hash, every connection's
  parallel hash, every autovacuum worker with its full memory, and one manual maintenance operation.
- PGTUNE: the budget pgtune fills (`shared_buffers + 3 × work_mem × (max_connections +
  max_worker_processes)`), shown for comparison.

Everything here is pure arithmetic on values already parsed (see mcplint.models.postgres).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

# -- constants of the model (research §B2.5 fit on PostgreSQL 15; docs/postgres-memory.md) ----------

# shared_buffers brings buffer descriptors, the buffer lookup table and checkpoint sort space.
BUFFER_OVERHEAD = 1.023
# Fixed structures of the main segment (SLRU buffers, proc array headers, ...), independent of sizes.
FIXED_SHARED = 6 * MIB
# Lock table and process slots, per backend slot (connections, autovacuum workers and launcher,
# worker processes, WAL senders) or prepared-transaction slot.
SLOT_BYTES = 22.5 * KIB
LOCK_BYTES_PER_LOCK = 0.355 * KIB
# The lock and proclock hash tables (one and two entries per lock) get bucket arrays of the next power
# of two: 3 × 8 bytes per bucket of the lock table.
LOCK_BUCKET_BYTES = 24
# These constants are refitted on PostgreSQL 15.18 (`postgres -C shared_memory_size`, 198
# configurations: shared_buffers 16 MB..4 GB × max_connections 10..2000 × max_locks_per_transaction
# 64..1024; docs/postgres-memory.md) so that SHARED is never below the server's figure and at most
# 5 MiB above it. The research's 1.022 / 8 MiB / 22 kB + 0.37 kB per connection fell short by up to
# 10 MiB for large lock tables: the lock table is sized for every backend slot, not only connections,
# and its bucket arrays grow in powers of two.
# A process's own memory once it has run queries (catalog caches, plan cache, libraries): Freund's
# "< 2 MiB per connection", confirmed by the calibration (measured idle backend PSS).
PROCESS_BYTES = 2 * MIB
# Without huge pages every process that touches all of shared_buffers needs page tables for it:
# 8 bytes per 4 kB page.
PAGE_TABLE_FRACTION = 1 / 512
# The postmaster and the background processes every server runs: checkpointer, background writer,
# WAL writer, autovacuum launcher, logical replication launcher.
SERVER_PROCESSES = 6
# TYPICAL counts autovacuum workers with at most this much dead-tuple memory each (the research's
# typical table; the full amount is in WORST).
TYPICAL_AUTOVACUUM_CAP = 64 * MIB
# PostgreSQL 16 and older cannot use more than 1 GB for a vacuum's dead-tuple array.
VACUUM_CAP_BEFORE_17 = 1 * GIB
# wal_buffers = -1: shared_buffers/32, at least 8 pages (64 kB), at most one WAL segment (16 MB).
WAL_BUFFERS_MIN = 64 * KIB
WAL_BUFFERS_MAX = 16 * MIB
WAL_PAGE = 8 * KIB

MEMORY_SETTINGS = frozenset({
    "shared_buffers", "wal_buffers", "work_mem", "maintenance_work_mem", "autovacuum_work_mem",
    "min_dynamic_shared_memory", "logical_decoding_work_mem",
})  # fmt: skip
MODEL_SETTINGS = (
    "shared_buffers", "wal_buffers", "max_connections", "max_locks_per_transaction",
    "max_prepared_transactions", "min_dynamic_shared_memory", "work_mem", "hash_mem_multiplier",
    "maintenance_work_mem", "autovacuum_work_mem", "autovacuum_max_workers", "max_worker_processes",
    "max_parallel_workers", "max_parallel_workers_per_gather", "logical_decoding_work_mem", "wal_level",
    "max_wal_senders", "huge_pages", "enable_parallel_hash",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Term:
    label: str  # what this memory is
    bytes: int
    formula: str  # how it was computed, with the values put in
    settings: tuple[str, ...]  # the settings it depends on, the most decisive first


@dataclass(frozen=True, slots=True)
class Estimate:
    name: str  # SHARED, BASE, TYPICAL, WORST, PGTUNE
    terms: tuple[Term, ...]

    @property
    def total(self) -> int:
        return sum(term.bytes for term in self.terms)


@dataclass(frozen=True)
class MemoryInputs:
    """The settings of one server, by name (every name of MODEL_SETTINGS present), its major version,
    and the size of its /dev/shm (None: not bounded, or not known). Memory settings are in bytes (-1
    kept: "derive it"); the others as parsed. Where each was set is the caller's to say."""

    major: int
    values: Mapping[str, int | float | str | bool]
    dev_shm: int | None = None

    def __post_init__(self) -> None:
        missing = [name for name in MODEL_SETTINGS if name not in self.values]
        if missing:
            raise ValueError(f"settings missing from the memory model's inputs: {missing}")

    def number(self, name: str) -> int:
        return int(self.values[name])

    def factor(self, name: str) -> float:
        return float(self.values[name])

    def word(self, name: str) -> str:
        return str(self.values[name]).lower()

    def with_values(self, values: Mapping[str, int | float]) -> MemoryInputs:
        """The same server with some settings changed (as a fix would write them)."""
        return MemoryInputs(self.major, {**self.values, **values}, self.dev_shm)


def _mib(n: float) -> str:
    """A byte count for formulas: MiB with up to two decimals."""
    value = n / MIB
    return f"{value:.2f}".rstrip("0").rstrip(".") + " MiB"


# -- derived values -------------------------------------------------------------------------------


def wal_buffers_bytes(inputs: MemoryInputs) -> int:
    """wal_buffers as the server sizes it: -1 means shared_buffers/32 within [64 kB, 16 MB]."""
    value = inputs.number("wal_buffers")
    if value >= 0:
        return value
    derived = inputs.number("shared_buffers") // 32 // WAL_PAGE * WAL_PAGE
    return min(max(derived, WAL_BUFFERS_MIN), WAL_BUFFERS_MAX)


def autovacuum_memory_bytes(inputs: MemoryInputs) -> int:
    """What one autovacuum worker may allocate: autovacuum_work_mem, or maintenance_work_mem when it
    is -1; before PostgreSQL 17 never more than 1 GB (the dead-tuple array's cap)."""
    value = inputs.number("autovacuum_work_mem")
    if value < 0:
        value = inputs.number("maintenance_work_mem")
    return min(value, VACUUM_CAP_BEFORE_17) if inputs.major <= 16 else value


def process_bytes(inputs: MemoryInputs) -> int:
    """P: one process's private memory, plus page tables for shared_buffers without huge pages."""
    page_tables = 0 if inputs.word("huge_pages") == "on" else int(inputs.number("shared_buffers") * PAGE_TABLE_FRACTION)
    return PROCESS_BYTES + page_tables


def query_bytes(inputs: MemoryInputs) -> int:
    """Q: one sort node and one hash node in one process: work_mem × (1 + hash_mem_multiplier)."""
    return int(inputs.number("work_mem") * (1 + inputs.factor("hash_mem_multiplier")))


def parallel_workers_per_query(inputs: MemoryInputs) -> int:
    """Workers one Gather can get: per-gather setting, bounded by the pools it draws from."""
    return max(0, min(inputs.number("max_parallel_workers_per_gather"), inputs.number("max_parallel_workers"),
                      inputs.number("max_worker_processes")))


def parallel_hash_bytes(inputs: MemoryInputs) -> int:
    """One Parallel Hash's shared table: work_mem × hash_mem_multiplier × (workers + leader); 0 when
    parallel hash cannot happen (no workers, or enable_parallel_hash off)."""
    workers = parallel_workers_per_query(inputs)
    if workers == 0 or inputs.values["enable_parallel_hash"] is False:
        return 0
    return int(inputs.number("work_mem") * inputs.factor("hash_mem_multiplier") * (workers + 1))


def parallel_hash_extra(inputs: MemoryInputs, sessions: int) -> Term | None:
    """What Parallel Hash adds when `sessions` run one at once: each query's shared table may grow to
    work_mem × hash_mem_multiplier × (workers + 1), planned for the workers even when none is free,
    and lives in /dev/shm (calibration: 47 sessions held 47 such tables). Beyond the serial hash already
    counted per session, that is work_mem × hash_mem_multiplier × workers each; /dev/shm, a tmpfs
    charged to the container, bounds the sum: a query that needs more fails instead."""
    if parallel_hash_bytes(inputs) == 0 or sessions == 0:
        return None
    workers = parallel_workers_per_query(inputs)
    wm, h = inputs.number("work_mem"), inputs.factor("hash_mem_multiplier")
    extra = int(sessions * wm * h * workers)
    formula = f"{sessions} × {_mib(wm)} × {h:g} × {workers} workers"
    if inputs.dev_shm is not None and extra > inputs.dev_shm:
        extra = inputs.dev_shm
        formula = f"min({formula}, /dev/shm {_mib(inputs.dev_shm)})"
    return Term("parallel hash tables beyond the serial hash, in /dev/shm", extra, formula,
                ("work_mem", "max_parallel_workers_per_gather", "hash_mem_multiplier"))


def parallel_workers_term(inputs: MemoryInputs, sessions: int) -> Term | None:
    """Parallel workers busy at once (at most max_parallel_workers), each a process with its own sort."""
    per_query = parallel_workers_per_query(inputs)
    if per_query == 0 or sessions == 0:
        return None
    count = min(inputs.number("max_parallel_workers"), sessions * per_query)
    p, wm = process_bytes(inputs), inputs.number("work_mem")
    return Term("parallel workers: process memory and one sort each", count * (p + wm),
                f"{count} × ({_mib(p)} + {_mib(wm)})", ("max_parallel_workers", "work_mem"))


def logical_decoding_active(inputs: MemoryInputs) -> bool:
    return inputs.word("wal_level") == "logical" and inputs.number("max_wal_senders") > 0


# -- the estimates ----------------------------------------------------------------------------------


def shared(inputs: MemoryInputs) -> Estimate:
    sb = inputs.number("shared_buffers")
    mc = inputs.number("max_connections")
    prepared = inputs.number("max_prepared_transactions")
    locks = inputs.number("max_locks_per_transaction")
    # MaxBackends: connections, autovacuum workers and their launcher, worker processes, WAL senders.
    others = (inputs.number("autovacuum_max_workers") + 1 + inputs.number("max_worker_processes")
              + inputs.number("max_wal_senders"))
    slots = mc + others + prepared
    per_slot = SLOT_BYTES + LOCK_BYTES_PER_LOCK * locks
    buckets = 1 << max(0, slots * locks - 1).bit_length()
    terms = [
        Term("shared buffers with their descriptors", math.ceil(BUFFER_OVERHEAD * sb),
             f"{BUFFER_OVERHEAD} × {_mib(sb)}", ("shared_buffers",)),
        Term("WAL buffers", wal_buffers_bytes(inputs),
             "wal_buffers" if inputs.number("wal_buffers") >= 0 else "shared_buffers / 32, within 64 kB .. 16 MB",
             ("wal_buffers", "shared_buffers")),
        Term("fixed shared structures", FIXED_SHARED, _mib(FIXED_SHARED), ()),
        Term("lock table and process slots", math.ceil(slots * per_slot) + LOCK_BUCKET_BYTES * buckets,
             f"({mc} connections + {others} server slots + {prepared} prepared) × (22.5 kB + 0.355 kB × {locks} locks)"
             f" + 24 B × {buckets} buckets",
             ("max_connections", "max_locks_per_transaction", "max_prepared_transactions")),
    ]
    dsm = inputs.number("min_dynamic_shared_memory")
    if dsm > 0:
        terms.append(Term("preallocated dynamic shared memory", dsm, _mib(dsm), ("min_dynamic_shared_memory",)))
    return Estimate("SHARED", tuple(terms))


def base(inputs: MemoryInputs) -> Estimate:
    workers = inputs.number("autovacuum_max_workers")
    p = process_bytes(inputs)
    processes = SERVER_PROCESSES + workers
    server = Term("server processes", processes * p,
                  f"({SERVER_PROCESSES} + {workers} autovacuum workers) × {_mib(p)}", ("autovacuum_max_workers",))
    return Estimate("BASE", (*shared(inputs).terms, server))


def _sessions(count: int, inputs: MemoryInputs, what: str) -> tuple[Term, Term]:
    p, q = process_bytes(inputs), query_bytes(inputs)
    wm, h = inputs.number("work_mem"), inputs.factor("hash_mem_multiplier")
    return (
        Term(f"{what}: process memory", count * p, f"{count} × {_mib(p)}", ("max_connections",)),
        Term(f"{what}: one sort and one hash each", count * q,
             f"{count} × {_mib(wm)} × (1 + {h:g})", ("work_mem", "hash_mem_multiplier")),
    )


def _autovacuum(inputs: MemoryInputs, cap: int | None) -> Term:
    workers = inputs.number("autovacuum_max_workers")
    each = autovacuum_memory_bytes(inputs)
    shown = "autovacuum_work_mem" if inputs.number("autovacuum_work_mem") >= 0 else "maintenance_work_mem"
    if cap is not None and each > cap:
        each = cap
        formula = f"{workers} × min({shown}, {_mib(cap)})"
    else:
        formula = f"{workers} × {_mib(each)}"
    return Term("autovacuum workers' dead-tuple memory", workers * each, formula, (shown, "autovacuum_max_workers"))


def typical(inputs: MemoryInputs, active: int) -> Estimate:
    """BASE plus `active` sessions at work (at most max_connections), the parallel workers and
    parallel hash tables they may use, and autovacuum."""
    count = max(0, min(active, inputs.number("max_connections")))
    terms = [*base(inputs).terms, *_sessions(count, inputs, f"{count} active sessions")]
    terms += [t for t in (parallel_workers_term(inputs, count), parallel_hash_extra(inputs, count)) if t]
    terms.append(_autovacuum(inputs, TYPICAL_AUTOVACUUM_CAP))
    return Estimate("TYPICAL", tuple(terms))


def worst(inputs: MemoryInputs) -> Estimate:
    mc = inputs.number("max_connections")
    workers = inputs.number("max_parallel_workers")
    terms = [*base(inputs).terms, *_sessions(mc + workers, inputs, f"{mc} connections + {workers} parallel workers")]
    extra = parallel_hash_extra(inputs, mc)
    if extra is not None:
        terms.append(extra)
    terms.append(_autovacuum(inputs, None))
    mwm = inputs.number("maintenance_work_mem")
    terms.append(Term("one manual VACUUM or CREATE INDEX", mwm, _mib(mwm), ("maintenance_work_mem",)))
    if logical_decoding_active(inputs):
        senders = inputs.number("max_wal_senders")
        ldwm = inputs.number("logical_decoding_work_mem")
        terms.append(Term("logical decoding, per WAL sender", senders * ldwm, f"{senders} × {_mib(ldwm)}",
                          ("logical_decoding_work_mem", "max_wal_senders")))
    return Estimate("WORST", tuple(terms))


def pgtune_budget(inputs: MemoryInputs) -> Estimate:
    """What pgtune's work_mem rule spends: it divides (RAM - shared_buffers) by 3 × (connections +
    worker processes), so this is the RAM that pgtune would have assumed for these settings."""
    sb = inputs.number("shared_buffers")
    wm = inputs.number("work_mem")
    count = inputs.number("max_connections") + inputs.number("max_worker_processes")
    return Estimate("PGTUNE", (
        Term("shared buffers", sb, _mib(sb), ("shared_buffers",)),
        Term("three work_mem per connection and worker", 3 * wm * count, f"3 × {_mib(wm)} × {count}",
             ("work_mem", "max_connections", "max_worker_processes")),
    ))  # fmt: skip


def single_allocations(inputs: MemoryInputs) -> tuple[Term, ...]:
    """Allocations one operation makes at once, each of which must fit beside BASE."""
    terms = [
        Term("one manual VACUUM or CREATE INDEX", inputs.number("maintenance_work_mem"),
             "maintenance_work_mem", ("maintenance_work_mem",)),
    ]
    shown = "autovacuum_work_mem" if inputs.number("autovacuum_work_mem") >= 0 else "maintenance_work_mem"
    terms.append(Term("one autovacuum worker", autovacuum_memory_bytes(inputs), shown, (shown,)))
    hash_bytes = parallel_hash_bytes(inputs)
    if hash_bytes:
        workers = parallel_workers_per_query(inputs)
        terms.append(Term("one parallel hash", hash_bytes,
                          f"{_mib(inputs.number('work_mem'))} × {inputs.factor('hash_mem_multiplier'):g} × ({workers} workers + 1)",
                          ("work_mem", "hash_mem_multiplier", "max_parallel_workers_per_gather")))
    if logical_decoding_active(inputs):
        terms.append(Term("one logical decoding", inputs.number("logical_decoding_work_mem"),
                          "logical_decoding_work_mem", ("logical_decoding_work_mem",)))
    return tuple(terms)


# -- the verdict ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assessment:
    limit: int
    active: int
    shared: Estimate
    base: Estimate
    typical: Estimate
    worst: Estimate
    pgtune: Estimate
    too_large: tuple[Term, ...]  # single allocations that do not fit beside BASE

    @property
    def shared_exceeds(self) -> bool:
        return self.shared.total >= self.limit

    @property
    def base_exceeds(self) -> bool:
        return self.base.total >= self.limit

    @property
    def overcommitted(self) -> bool:
        return self.typical.total > self.limit

    @property
    def fits(self) -> bool:
        return not (self.base_exceeds or self.too_large or self.overcommitted)


def assess(inputs: MemoryInputs, limit: int, active: int | None = None) -> Assessment:
    """The model's verdict for a memory limit; `active` sessions at once (None: max_connections)."""
    count = inputs.number("max_connections") if active is None else min(active, inputs.number("max_connections"))
    base_estimate = base(inputs)
    headroom = limit - base_estimate.total
    too_large = tuple(term for term in single_allocations(inputs) if term.bytes > headroom)
    return Assessment(limit, count, shared(inputs), base_estimate, typical(inputs, count), worst(inputs),
                      pgtune_budget(inputs), too_large)


# -- the tuner --------------------------------------------------------------------------------------

WORK_MEM_FLOOR = 64 * KIB  # the server's minimum
MAINTENANCE_FLOOR = 1 * MIB  # the server's minimum for maintenance_work_mem
MIN_CONNECTIONS = 10  # below this a lower max_connections is no longer a sensible proposal
CONNECTION_PATH_WORK_MEM = (1 * MIB, 512 * KIB, 256 * KIB, 128 * KIB, WORK_MEM_FLOOR)


def _floor_to(value: int, step: int) -> int:
    return value // step * step


def _round_setting(value: int) -> int:
    """Whole MB when at least 1 MB, else whole kB: values a person would write for a share of a limit."""
    return _floor_to(value, MIB) if value >= MIB else _floor_to(value, KIB)


def tune(inputs: MemoryInputs, limit: int, active: int | None = None) -> dict[str, int] | None:
    """Settings sized for `limit`, changing only what is above the tuner's value (pgtune's rules,
    §B1, adapted): shared_buffers ≤ limit/4, maintenance_work_mem ≤ limit/16, explicit
    autovacuum_work_mem and wal_buffers no larger than what they would derive, then the largest
    work_mem (without pgtune's 4 MB floor, which overcommits small limits) for which the assessment
    fits; max_connections is lowered only when no work_mem down to 64 kB fits, keeping work_mem as
    large as the first of 1 MB, 512 kB, ... 64 kB that leaves room for 10 connections. Returns the changed
    settings (bytes, or a count for max_connections): empty when the settings fit already, None when
    nothing sensible fits."""
    if assess(inputs, limit, active).fits:
        return {}
    changes: dict[str, int] = {}
    sb = inputs.number("shared_buffers")
    sb_target = _floor_to(_round_setting(limit // 4), WAL_PAGE)
    if sb > sb_target:
        changes["shared_buffers"] = sb_target
    mwm_target = max(MAINTENANCE_FLOOR, _round_setting(limit // 16))
    if inputs.number("maintenance_work_mem") > mwm_target:
        changes["maintenance_work_mem"] = mwm_target
    avw = inputs.number("autovacuum_work_mem")
    if avw >= 0 and avw > min(mwm_target, inputs.number("maintenance_work_mem")):
        changes["autovacuum_work_mem"] = min(mwm_target, inputs.number("maintenance_work_mem"))
    staged = inputs.with_values(changes)
    wb = inputs.number("wal_buffers")
    if wb >= 0:
        derived = wal_buffers_bytes(staged.with_values({"wal_buffers": -1}))
        if wb > derived:
            changes["wal_buffers"] = derived
    ldwm = inputs.number("logical_decoding_work_mem")
    if logical_decoding_active(inputs) and ldwm > mwm_target:
        changes["logical_decoding_work_mem"] = max(WORK_MEM_FLOOR, mwm_target)
    staged = inputs.with_values(changes)
    if assess(staged, limit, active).fits:
        return changes

    work_mem = _largest_fitting_work_mem(staged, limit, active)
    if work_mem is not None:
        changes["work_mem"] = work_mem
        return changes
    # No work_mem fits the connection count: lower max_connections, keeping as much work_mem (at most
    # 1 MB) as still leaves MIN_CONNECTIONS room.
    for cap in CONNECTION_PATH_WORK_MEM:
        work_mem = min(inputs.number("work_mem"), cap)
        trial = dict(changes)
        if work_mem != inputs.number("work_mem"):
            trial["work_mem"] = work_mem
        connections = _largest_fitting_connections(inputs.with_values(trial), limit, active)
        if connections is not None:
            trial["max_connections"] = connections
            return trial
    return None


def _largest_fitting_work_mem(inputs: MemoryInputs, limit: int, active: int | None) -> int | None:
    current = inputs.number("work_mem")
    low, high = WORK_MEM_FLOOR // KIB, current // KIB
    if not assess(inputs.with_values({"work_mem": low * KIB}), limit, active).fits:
        return None
    while low < high:  # the largest kB count that fits; fitting is monotonic in work_mem
        middle = (low + high + 1) // 2
        if assess(inputs.with_values({"work_mem": middle * KIB}), limit, active).fits:
            low = middle
        else:
            high = middle - 1
    return low * KIB


def _largest_fitting_connections(inputs: MemoryInputs, limit: int, active: int | None) -> int | None:
    low, high = MIN_CONNECTIONS, inputs.number("max_connections")
    if high < low or not assess(inputs.with_values({"max_connections": low}), limit, active).fits:
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if assess(inputs.with_values({"max_connections": middle}), limit, active).fits:
            low = middle
        else:
            high = middle - 1
    return low
