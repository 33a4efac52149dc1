"""The Postgres memory model's arithmetic, against the research formulas and a real server.

`reference` below restates anchors-compose-postgres.md §B2.6 (with the two terms docs/postgres-memory.md
adds: prepared-transaction slots and min_dynamic_shared_memory in SHARED; the parallel terms the
calibration called for in TYPICAL and WORST) as plain arithmetic on a dict of settings, written
independently of mcplint.models.pgmemory. The mission's numbers are then spelled out by hand, line by
line, as docs/postgres-memory.md walks through them. SHARED is also put to the real server:
`postgres -C shared_memory_size` must never exceed it, and it must stay within a few percent.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcplint.models import pgmemory
from mcplint.models.postgres import format_setting, inputs_from_settings
from tests.pgserver import PgServer

KB = 1024
MB = 1024 * KB
GB = 1024 * MB


def inputs_for(settings: dict[str, str], major: int = 15, dev_shm: int | None = None) -> pgmemory.MemoryInputs:
    """Inputs as the server would read `settings` over the version's defaults."""
    return inputs_from_settings(major, settings, dev_shm)


def reference(v: dict[str, float], active: int | None = None, dev_shm: float | None = None) -> dict[str, float]:
    """§B2.6 by hand. `v` holds bytes for memory settings (wal_buffers and autovacuum_work_mem may be -1)."""
    sb, mc, wm, h = v["sb"], v["mc"], v["wm"], v["h"]
    wb = v["wb"] if v["wb"] >= 0 else min(max(sb // 32 // (8 * KB) * (8 * KB), 64 * KB), 16 * MB)
    avw = v["avw"] if v["avw"] >= 0 else v["mwm"]
    if v["major"] <= 16:
        avw = min(avw, 1 * GB)
    P = 2 * MB + (0 if v["huge_pages_on"] else sb / 512)
    Q = wm * (1 + h)
    g = min(v["g"], v["mpw"], v["mwp"])
    hash_possible = g > 0 and v["parallel_hash"]
    max_backends = mc + v["avmax"] + 1 + v["mwp"] + v["senders"]
    slots = max_backends + v["mpt"]
    buckets = 2 ** math.ceil(math.log2(slots * v["mlpt"]))  # hash tables round their buckets up
    shared = (math.ceil(1.023 * sb) + wb + 6 * MB
              + math.ceil(slots * (22.5 * KB + 0.355 * KB * v["mlpt"])) + 24 * buckets + v["mdsm"])
    base = shared + (6 + v["avmax"]) * int(P)
    a = mc if active is None else min(active, mc)

    def extra(sessions: int) -> float:
        if not hash_possible or sessions == 0:
            return 0
        amount = int(sessions * wm * h * g)
        return min(amount, dev_shm) if dev_shm is not None else amount

    workers = min(v["mpw"], a * g) if g > 0 and a > 0 else 0
    typical = (base + a * int(P) + a * int(Q) + workers * (int(P) + wm) + extra(a)
               + v["avmax"] * min(avw, 64 * MB))
    worst = base + (mc + v["mpw"]) * (int(P) + int(Q)) + extra(mc) + v["avmax"] * avw + v["mwm"]
    pgtune = sb + 3 * wm * (mc + v["mwp"])
    return {"SHARED": shared, "BASE": base, "TYPICAL": typical, "WORST": worst, "PGTUNE": pgtune}


def values_of(inputs: pgmemory.MemoryInputs) -> dict[str, float]:
    n = inputs.number
    return {
        "major": inputs.major, "sb": n("shared_buffers"), "wb": n("wal_buffers"), "mc": n("max_connections"),
        "mlpt": n("max_locks_per_transaction"), "mpt": n("max_prepared_transactions"),
        "mdsm": n("min_dynamic_shared_memory"), "wm": n("work_mem"), "h": inputs.factor("hash_mem_multiplier"),
        "mwm": n("maintenance_work_mem"), "avw": n("autovacuum_work_mem"), "avmax": n("autovacuum_max_workers"),
        "mwp": n("max_worker_processes"), "mpw": n("max_parallel_workers"), "senders": n("max_wal_senders"),
        "g": n("max_parallel_workers_per_gather"), "huge_pages_on": inputs.word("huge_pages") == "on",
        "parallel_hash": inputs.values["enable_parallel_hash"] is True,
    }  # fmt: skip


# -- the mission, by hand ------------------------------------------------------------------------

MISSION = {"shared_buffers": "128MB", "work_mem": "4MB", "maintenance_work_mem": "32MB", "max_connections": "50"}
LIMIT_512M = 512 * MB


def test_the_missions_numbers_line_by_line() -> None:
    """docs/postgres-memory.md, "The mission's verdict", with every number written out."""
    shared_buffers = 134_217_728 * 1.023  # 137,304,735.744 bytes, rounded up
    wal_buffers = 134_217_728 // 32  # -1: shared_buffers/32 = 4 MiB, within [64 kB, 16 MB]
    # 50 connections + 3 autovacuum workers + 1 launcher + 8 worker processes + 10 WAL senders = 72 slots
    lock_table = 72 * (22.5 * 1024 + 0.355 * 1024 * 64)  # 72 × 46,305.28 = 3,333,980.16 bytes, rounded up
    buckets = 24 * 8192  # 72 × 64 = 4,608 locks: 8,192 buckets of 3 × 8 bytes
    shared = 137_304_736 + wal_buffers + 6 * MB + 3_333_981 + buckets
    assert math.ceil(shared_buffers) == 137_304_736 and math.ceil(lock_table) == 3_333_981
    process = 2 * MB + 134_217_728 // 512  # 2,359,296: 2 MiB + page tables for 128 MB
    base = shared + (6 + 3) * process
    sessions = 50 * process + 50 * 4 * MB * 3  # one sort + one hash (×2.0) each
    workers = 8 * (process + 4 * MB)  # max_parallel_workers, each its own process and one sort
    parallel_hash = 64 * MB  # 50 × 4 MB × 2 × 2 workers = 800 MiB, bounded by Docker's 64 MiB /dev/shm
    autovacuum = 3 * 32 * MB  # autovacuum_work_mem = -1 → maintenance_work_mem, under the 64 MiB cap
    typical = base + sessions + workers + parallel_hash + autovacuum

    inputs = inputs_for(MISSION, dev_shm=64 * MB)
    assessment = pgmemory.assess(inputs, LIMIT_512M)
    assert assessment.shared.total == shared == 151_321_085
    assert assessment.base.total == base == 172_554_749
    assert assessment.typical.total == typical == 1_139_866_109
    assert assessment.overcommitted and not assessment.base_exceeds and not assessment.too_large
    # pgtune's budget for the same settings: 128 MB + 3 × 4 MB × (50 + 8 worker processes)
    assert assessment.pgtune.total == 128 * MB + 3 * 4 * MB * 58

    # The tuner: TYPICAL(work_mem) = 410,057,213 + 158 × work_mem + min(200 × work_mem, 64 MiB) ≤ 512 MiB.
    constant = base + 50 * process + 8 * process + autovacuum
    assert constant == 410_057_213
    largest = (LIMIT_512M - constant - 64 * MB) // 158  # 377,878 bytes; 200 × that > 64 MiB, so the min holds
    assert largest // KB * KB == 369 * KB
    assert pgmemory.tune(inputs, LIMIT_512M) == {"work_mem": 369 * KB}


def test_shared_buffers_as_large_as_the_limit_is_an_error() -> None:
    assessment = pgmemory.assess(inputs_for({**MISSION, "shared_buffers": "512MB"}, dev_shm=64 * MB), LIMIT_512M)
    assert assessment.shared_exceeds and assessment.base_exceeds and not assessment.fits


# -- properties against the reference ------------------------------------------------------------

memory = st.sampled_from(["64kB", "1MB", "4MB", "16MB", "64MB", "256MB", "1GB"])
buffers = st.sampled_from(["128kB", "16MB", "128MB", "1GB", "4GB", "16GB"])


@st.composite
def configurations(draw: st.DrawFn) -> dict[str, str]:
    chosen = {
        "shared_buffers": draw(buffers), "work_mem": draw(memory),
        "maintenance_work_mem": draw(memory.filter(lambda text: text != "64kB")),  # the server's minimum is 1MB
        "max_connections": str(draw(st.integers(1, 2000))),
        "autovacuum_work_mem": draw(st.sampled_from(["-1", "1MB", "256MB", "2GB"])),
        "wal_buffers": draw(st.sampled_from(["-1", "32kB", "64MB"])),
        "hash_mem_multiplier": draw(st.sampled_from(["1.0", "2.0", "8"])),
        "max_parallel_workers_per_gather": str(draw(st.integers(0, 8))),
        "max_parallel_workers": str(draw(st.integers(0, 16))),
        "max_prepared_transactions": str(draw(st.integers(0, 100))),
        "min_dynamic_shared_memory": draw(st.sampled_from(["0", "64MB"])),
        "huge_pages": draw(st.sampled_from(["try", "on", "off"])),
        "enable_parallel_hash": draw(st.sampled_from(["on", "off"])),
    }  # fmt: skip
    return chosen


@settings(max_examples=200, deadline=None)
@given(configurations(), st.sampled_from([13, 15, 17]), st.one_of(st.none(), st.integers(0, 300)),
       st.sampled_from([None, 64 * MB, 1 * GB]))
def test_estimates_match_the_reference(chosen: dict[str, str], major: int, active: int | None,
                                       dev_shm: int | None) -> None:
    inputs = inputs_for(chosen, major, dev_shm)
    expected = reference(values_of(inputs), active, dev_shm)
    assessment = pgmemory.assess(inputs, 1 * GB, active)
    got = {"SHARED": assessment.shared.total, "BASE": assessment.base.total, "TYPICAL": assessment.typical.total,
           "WORST": assessment.worst.total, "PGTUNE": assessment.pgtune.total}
    assert got == pytest.approx(expected, abs=2)


@settings(max_examples=150, deadline=None)
@given(configurations(), st.sampled_from(["128M", "256M", "512M", "1G", "4G"]))
def test_tuned_settings_fit_and_only_go_down(chosen: dict[str, str], limit_text: str) -> None:
    from mcplint.models.units import parse_bytes

    limit = parse_bytes(limit_text)
    inputs = inputs_for(chosen, dev_shm=64 * MB)
    changes = pgmemory.tune(inputs, limit)
    if pgmemory.assess(inputs, limit).fits:
        assert not changes
        return
    if changes is None:
        return  # nothing sensible fits: which limits give no proposal is test_a_limit_below_the_minimum_*
    for name, value in changes.items():
        assert value < inputs.number(name), f"{name} raised"
    # Written as a person would write them and read back, the settings still fit.
    written = {name: (str(value) if name == "max_connections" else format_setting(name, value, 15))
               for name, value in changes.items()}
    tuned = inputs_for({**chosen, **written}, dev_shm=64 * MB)
    assert pgmemory.assess(tuned, limit).fits


def test_work_mem_is_the_largest_that_fits() -> None:
    inputs = inputs_for(MISSION, dev_shm=64 * MB)
    changes = pgmemory.tune(inputs, LIMIT_512M)
    assert changes is not None
    fitting = inputs.with_values(changes)
    one_more = inputs.with_values({**changes, "work_mem": changes["work_mem"] + KB})
    assert pgmemory.assess(fitting, LIMIT_512M).fits
    assert not pgmemory.assess(one_more, LIMIT_512M).fits


def test_connections_are_lowered_only_when_no_work_mem_fits() -> None:
    inputs = inputs_for({"max_connections": "300"}, dev_shm=64 * MB)  # 300 × 2.25 MiB alone is > 512 MiB
    changes = pgmemory.tune(inputs, LIMIT_512M)
    assert changes is not None and "max_connections" in changes
    assert changes["work_mem"] == 1 * MB
    tuned = inputs.with_values(changes)
    assert pgmemory.assess(tuned, LIMIT_512M).fits
    assert not pgmemory.assess(inputs.with_values({**changes, "max_connections": changes["max_connections"] + 1}),
                               LIMIT_512M).fits


def test_a_limit_below_the_minimum_gets_no_proposal() -> None:
    assert pgmemory.tune(inputs_for({}, dev_shm=64 * MB), 32 * MB) is None


def test_parallel_hash_needs_workers_and_the_setting() -> None:
    assert pgmemory.parallel_hash_bytes(inputs_for({"work_mem": "16MB"})) == 16 * MB * 2 * 3
    assert pgmemory.parallel_hash_bytes(inputs_for({"work_mem": "16MB", "max_parallel_workers_per_gather": "0"})) == 0
    assert pgmemory.parallel_hash_bytes(inputs_for({"work_mem": "16MB", "enable_parallel_hash": "off"})) == 0
    assert pgmemory.parallel_hash_bytes(inputs_for({"work_mem": "16MB", "max_parallel_workers": "1"})) == 16 * MB * 2 * 2


def test_autovacuum_memory_is_capped_before_17() -> None:
    settings_ = {"maintenance_work_mem": "4GB"}
    assert pgmemory.autovacuum_memory_bytes(inputs_for(settings_, 16)) == 1 * GB
    assert pgmemory.autovacuum_memory_bytes(inputs_for(settings_, 17)) == 4 * GB


def test_wal_buffers_derivation_follows_the_documentation() -> None:
    # "The default setting of -1 selects a size equal to 1/32nd (about 3%) of shared_buffers, but not
    # less than 64kB nor more than the size of one WAL segment, typically 16MB."
    assert pgmemory.wal_buffers_bytes(inputs_for({"shared_buffers": "128MB"})) == 4 * MB
    assert pgmemory.wal_buffers_bytes(inputs_for({"shared_buffers": "1MB"})) == 64 * KB
    assert pgmemory.wal_buffers_bytes(inputs_for({"shared_buffers": "4GB"})) == 16 * MB


def test_inputs_must_be_complete() -> None:
    with pytest.raises(ValueError, match="missing"):
        pgmemory.MemoryInputs(15, {})


# -- the real server -------------------------------------------------------------------------------


SERVER_CASES = [
    {"shared_buffers": "16MB", "max_connections": "20"},
    {"shared_buffers": "128MB", "max_connections": "50"},
    {"shared_buffers": "128MB", "max_connections": "500", "max_locks_per_transaction": "256"},
    {"shared_buffers": "512MB", "max_connections": "100", "wal_buffers": "64MB"},
    {"shared_buffers": "1GB", "max_connections": "100", "max_prepared_transactions": "100"},
    {"shared_buffers": "128MB", "min_dynamic_shared_memory": "64MB"},
    {"shared_buffers": "4GB", "max_connections": "1000"},
    {"shared_buffers": "128MB", "max_connections": "2000", "max_locks_per_transaction": "1024"},
    {"shared_buffers": "128MB", "max_connections": "500", "max_locks_per_transaction": "1024"},
    {"shared_buffers": "16MB", "max_connections": "1500", "max_locks_per_transaction": "512"},
    {"shared_buffers": "1GB", "max_connections": "10"},
    {"shared_buffers": "128MB", "max_worker_processes": "200", "max_wal_senders": "50"},
]


@pytest.mark.postgres
@pytest.mark.parametrize("chosen", SERVER_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_shared_is_never_below_the_servers_shared_memory_size(server: PgServer, chosen: dict[str, str]) -> None:
    args = [word for name, value in chosen.items() for word in ("-c", f"{name}={value}")]
    result = server.show("shared_memory_size", args)
    assert result.ok, result.output
    measured = int(result.value) * MB  # the server rounds up to whole MB
    model = pgmemory.shared(inputs_for(chosen)).total
    assert measured - MB <= model, f"model {model / MB:.1f} MiB below the server's {measured / MB} MiB"
    assert model <= measured * 1.03 + 5 * MB, f"model {model / MB:.1f} MiB far above the server's {measured / MB} MiB"
