"""`make calibrate`: the Postgres memory model (mcplint/models/pgmemory.py) against a real server under load.

For each configuration the script starts a real PostgreSQL 15 (as the `postgres` user: the server
refuses root, and so does this script's way of running it), fills shared_buffers with pg_prewarm (a
warm cache, as a long-running server has), measures what an idle session costs, then runs `pgbench`
with one client per connection the application may use (max_connections - 3) executing a query that
needs one hash and one sort, each larger than its budget: a hash join of two generated tables, the
result sorted on a text column. Where the configuration allows parallel query, planner costs are
lowered so the join becomes a Parallel Hash. While pgbench runs, a sampler adds up the proportional
set size (PSS, /proc/<pid>/smaps_rollup) of the postmaster and all its children, plus their page
tables (VmPTE, which the kernel charges to a container's memory cgroup too), and keeps the peak.

The table it prints compares the peak with the model's SHARED (and the server's own
`shared_memory_size`), BASE, TYPICAL (with the pgbench clients as the active sessions) and WORST,
computed for an unbounded /dev/shm as on the calibration machine, and says what PG001 concludes at
the configuration's memory limit in a container with Docker's 64 MiB /dev/shm. The peak counts what
a memory cgroup charges: each process's private memory (Pss_Anon + Pss_File), its page tables, and
the growth of the machine's shared memory (meminfo Shmem) since the server started, which includes
shared_buffers pages no process maps at the moment (PSS alone misses those) and /dev/shm. A second experiment puts the server in
a private mount namespace whose /dev/shm is a 64 MiB tmpfs, as Docker's default, and runs one
Parallel Hash that needs more: the error PG002 predicts, then the same query with /dev/shm at the size
PG002's fix proposes.

Usage: calibrate_postgres.py [--config NAME ...] [--duration SECONDS] [--output FILE]
                             [--conf FILE --limit 512M [--clients N]] [--skip-shm]
It takes about ten minutes with the built-in configurations; `make test` never runs it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcplint.models import pgmemory
from mcplint.models.pgconf import ConfEntry, parse_conf
from mcplint.models.postgres import DEFAULT_SHM_SIZE, format_setting, inputs_from_settings
from mcplint.models.units import parse_bytes
from mcplint.rules.project.pg002 import proposed_size
from tests.pgserver import SERVER_USER, PgServer, find_bindir, unavailable_reason

MIB = 1024 * 1024
TABLE_ROWS = 1_000_000  # rows of each join table
FILL_BYTES = 1100 * MIB  # a table larger than the largest shared_buffers calibrated, for pg_prewarm
RESERVED = 3  # superuser_reserved_connections: an application cannot use these
IDLE_SESSIONS = 20
SAMPLE_INTERVAL = 0.2
PARALLEL_COSTS = {
    "parallel_setup_cost": "10", "parallel_tuple_cost": "0.001",
    "min_parallel_table_scan_size": "0", "min_parallel_index_scan_size": "0",
}  # fmt: skip
NO_PARALLEL = {"max_parallel_workers_per_gather": "0"}


@dataclass(frozen=True)
class Calibration:
    name: str
    limit: str  # the container limit the configuration is meant for (Docker byte syntax)
    settings: Mapping[str, str]  # postgresql.conf values
    note: str = ""
    parallel: bool = False
    clients: int | None = None  # default: max_connections - 3


MISSION = {"shared_buffers": "128MB", "work_mem": "4MB", "effective_cache_size": "384MB",
           "maintenance_work_mem": "32MB", "max_connections": "50"}


def builtin_configurations() -> list[Calibration]:
    mission_fixed = dict(MISSION)
    inputs = inputs_from_settings(15, MISSION, DEFAULT_SHM_SIZE)
    for name, value in (pgmemory.tune(inputs, parse_bytes("512M")) or {}).items():
        mission_fixed[name] = str(value) if name == "max_connections" else format_setting(name, value, 15)
    return [
        Calibration("mission", "512M", MISSION, "examples/mcp-monorepo"),
        Calibration("mission-serial", "512M", {**MISSION, **NO_PARALLEL}, "the mission without parallel query"),
        Calibration("mission-fixed", "512M", mission_fixed, "PG001's fix of the mission"),
        Calibration("mission-sb512", "512M", {**MISSION, "shared_buffers": "512MB", **NO_PARALLEL},
                    "shared_buffers = 512MB"),
        Calibration("stock-1g", "1G", {}, "PostgreSQL 15 defaults"),
        Calibration("many-small", "512M", {"shared_buffers": "64MB", "work_mem": "1MB", "max_connections": "150",
                                           **NO_PARALLEL}, "many connections, small work_mem"),
        Calibration("parallel-2g", "2G", {"shared_buffers": "512MB", "work_mem": "16MB", "max_connections": "20",
                                          "maintenance_work_mem": "128MB", **PARALLEL_COSTS},
                    "parallel hash joins", parallel=True),
        Calibration("large-1g-sb", "2G", {"shared_buffers": "1GB", "work_mem": "8MB", "max_connections": "40",
                                          **NO_PARALLEL}, "a large buffer pool"),
    ]


# -------------------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    pss: int = 0  # bytes: PSS of all server processes (shared pages only while some process maps them)
    private: int = 0  # Pss_Anon + Pss_File: each process's own heap, and its share of binaries and libraries
    page_tables: int = 0
    shmem: int = 0  # growth of the machine's Shmem (meminfo) since before the server started
    dsm: int = 0  # /dev/shm segments of the server
    processes: int = 0

    @property
    def total(self) -> int:
        """What a memory cgroup would charge: private memory, page tables, and every shared-memory
        page the server has touched, mapped right now or not (which PSS alone misses)."""
        return self.private + self.page_tables + self.shmem


def machine_shmem() -> int:
    return _kb_field(Path("/proc/meminfo").read_text(), "Shmem")


def _postmaster_pid(datadir: Path) -> int:
    return int((datadir / "postmaster.pid").read_text().splitlines()[0])


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def _kb_field(text: str, name: str) -> int:
    match = re.search(rf"^{name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match[1]) * 1024 if match else 0


def sample(datadir: Path, shmem_before: int) -> Sample:
    postmaster = _postmaster_pid(datadir)
    result = Sample(shmem=max(0, machine_shmem() - shmem_before))
    for pid in [postmaster, *_children(postmaster)]:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue  # the process ended between listing and reading
        result.pss += _kb_field(rollup, "Pss")
        result.private += _kb_field(rollup, "Pss_Anon") + _kb_field(rollup, "Pss_File")
        result.page_tables += _kb_field(status, "VmPTE")
        result.processes += 1
    for entry in Path("/dev/shm").glob("PostgreSQL.*"):
        try:
            result.dsm += entry.stat().st_blocks * 512
        except OSError:
            pass
    return result


class Sampler(threading.Thread):
    def __init__(self, datadir: Path, shmem_before: int) -> None:
        super().__init__(daemon=True)
        self.datadir = datadir
        self.shmem_before = shmem_before
        self.peak = Sample()
        self.peak_dsm = 0
        self.count = 0
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            current = sample(self.datadir, self.shmem_before)
            self.count += 1
            if current.total > self.peak.total:
                self.peak = current
            self.peak_dsm = max(self.peak_dsm, current.dsm)
            self._stopping.wait(SAMPLE_INTERVAL)

    def stop(self) -> None:
        self._stopping.set()
        self.join()


# ----------------------------------------------------------------------------------- the server


def as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


def client(pg: PgServer, tool: str, *args: str) -> list[str]:
    return as_server_user([str(pg.bindir / tool), "-h", str(pg.socket_dir), "-p", str(pg.port), "-U", "postgres",
                           *args])


def conf_text(base: str, settings: Mapping[str, str]) -> str:
    lines = [base.rstrip("\n"), "", "# calibration"]
    lines += [f"{name} = '{value}'" for name, value in settings.items()]
    return "\n".join(lines) + "\n"


def start(pg: PgServer, base_conf: str, settings: Mapping[str, str]) -> None:
    started, log = pg.start(conf_text(base_conf, settings))
    if not started:
        raise RuntimeError(f"the server did not start with {dict(settings)}:\n{log[-2000:]}")


def create_data(pg: PgServer, base_conf: str) -> None:
    start(pg, base_conf, {"shared_buffers": "256MB", "maintenance_work_mem": "256MB", "max_wal_size": "4GB"})
    fill_rows = FILL_BYTES // 1000
    pg.psql(f"""
        CREATE EXTENSION IF NOT EXISTS pg_prewarm;
        CREATE TABLE calib_a AS SELECT g AS id, (g::bigint * 7919 % 1000003)::int AS k,
               md5(g::text) || repeat('a', 68) AS pad FROM generate_series(1, {TABLE_ROWS}) g;
        CREATE TABLE calib_b AS SELECT g AS id, (g::bigint * 7919 % 1000003)::int AS k,
               md5((g + 1)::text) || repeat('b', 68) AS pad FROM generate_series(1, {TABLE_ROWS}) g;
        CREATE INDEX ON calib_a (id);
        CREATE INDEX ON calib_b (id);
        CREATE TABLE calib_fill AS SELECT g AS id, repeat(md5(g::text), 28) AS pad
               FROM generate_series(1, {fill_rows}) g;
    """)
    for table_name in ("calib_a", "calib_b", "calib_fill"):
        pg.psql(f"VACUUM ANALYZE {table_name}")
    pg.stop()


QUERY = ("SELECT count(*), max(s.x) FROM (SELECT a.pad || b.pad AS x FROM calib_a a JOIN calib_b b ON a.k = b.k "
         "WHERE a.id <= {n} AND b.id <= {n} ORDER BY 1) s;")


def rows_for(inputs: pgmemory.MemoryInputs) -> int:
    """Rows per side so that the hash table needs about twice its budget and the sort more than
    work_mem (a hash-table entry of these rows takes about 150 bytes)."""
    budget = inputs.number("work_mem") * inputs.factor("hash_mem_multiplier")
    return int(min(TABLE_ROWS, max(20_000, 2 * budget / 150)))


def plan_shape(pg: PgServer, rows: int) -> str:
    plan = pg.psql("EXPLAIN " + QUERY.format(n=rows))
    nodes = []
    for marker in ("Parallel Hash Join", "Hash Join", "Merge Join", "Nested Loop", "Sort", "Gather"):
        if marker in plan and not any(marker in n for n in nodes):
            nodes.append(marker)
    return " + ".join(nodes)


def idle_session_bytes(pg: PgServer, shmem_before: int) -> int:
    """What one more session costs once it has run a catalog query: the growth of the total."""
    before = [sample(pg.datadir, shmem_before).total for _ in range(3)]
    sql = ("SELECT count(*) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid; "
           "SELECT pg_sleep(6);")
    sessions = [subprocess.Popen(client(pg, "psql", "-X", "-q", "-d", "postgres", "-c", sql),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(IDLE_SESSIONS)]
    time.sleep(4)
    during = [sample(pg.datadir, shmem_before).total for _ in range(3)]
    for session in sessions:
        session.wait(timeout=60)
    return int((min(during) - max(before)) / IDLE_SESSIONS)


@dataclass
class Row:
    calibration: Calibration
    inputs: pgmemory.MemoryInputs
    limit: int
    clients: int
    rows: int
    plan: str
    server_shared: int
    idle_total: int
    per_session: int
    peak: Sample
    peak_dsm: int
    transactions: int
    assessment: pgmemory.Assessment  # /dev/shm unbounded, as on the calibration machine
    container: pgmemory.Assessment  # what PG001 concludes in a container with Docker's 64 MiB /dev/shm
    errors: list[str] = field(default_factory=list)


def run_one(pg: PgServer, base_conf: str, calibration: Calibration, duration: int) -> Row:
    inputs = inputs_from_settings(15, calibration.settings)
    limit = parse_bytes(calibration.limit)
    clients = calibration.clients or max(1, inputs.number("max_connections") - RESERVED)
    rows = rows_for(inputs)
    pg.write_file("data/postgresql.conf", conf_text(base_conf, calibration.settings))
    shown = pg.show("shared_memory_size")
    server_shared = int(shown.value) * MIB if shown.ok and shown.value else 0
    shmem_before = machine_shmem()
    start(pg, base_conf, calibration.settings)
    try:
        pg.psql("SELECT pg_prewarm('calib_fill'); SELECT pg_prewarm('calib_a'); SELECT pg_prewarm('calib_b');")
        plan = plan_shape(pg, rows)
        per_session = idle_session_bytes(pg, shmem_before)
        idle_total = sample(pg.datadir, shmem_before).total
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False, dir=pg.workdir) as script:
            script.write(QUERY.format(n=":n") + "\n")
        os.chmod(script.name, 0o644)
        sampler = Sampler(pg.datadir, shmem_before)
        sampler.start()
        result = subprocess.run(
            client(pg, "pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(duration), "-f", script.name,
                   "-D", f"n={rows}", "postgres"),
            capture_output=True, text=True, timeout=duration + 600, check=False,
        )
        sampler.stop()
        match = re.search(r"number of transactions actually processed: (\d+)", result.stdout)
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line or "FATAL" in line][:3]
    finally:
        pg.stop()
    return Row(calibration, inputs, limit, clients, rows, plan, server_shared, idle_total, per_session,
               sampler.peak, sampler.peak_dsm, int(match[1]) if match else 0,
               pgmemory.assess(inputs, limit), pgmemory.assess(dataclasses.replace(inputs, dev_shm=DEFAULT_SHM_SIZE), limit),
               errors)


# ------------------------------------------------------------------------- the /dev/shm experiment


def shm_experiment(pg: PgServer, base_conf: str) -> list[str]:
    """One Parallel Hash under a 64 MiB /dev/shm (Docker's default), then under PG002's proposal, then
    under 64 MiB again with min_dynamic_shared_memory preallocating the difference in the main segment."""
    settings = {"shared_buffers": "128MB", "work_mem": "16MB", "max_parallel_workers_per_gather": "2",
                **PARALLEL_COSTS}
    inputs = inputs_from_settings(15, settings)
    need = pgmemory.parallel_hash_bytes(inputs)
    proposal = proposed_size(need)
    # Rows whose hash table fills about 90% of the budget in one batch (about 150 bytes an entry).
    rows = min(TABLE_ROWS, int(0.9 * need / 150))
    lines = [f"settings: {', '.join(f'{k}={v}' for k, v in settings.items())}; {rows:,} rows per side",
             f"one parallel hash may use {need / MIB:g} MiB (work_mem × hash_mem_multiplier × (2 workers + 1))"]
    trials = (
        ("Docker's default /dev/shm", DEFAULT_SHM_SIZE, settings),
        ("PG002's shm_size", proposal, settings),
        ("Docker's default, min_dynamic_shared_memory = 64MB", DEFAULT_SHM_SIZE,
         {**settings, "min_dynamic_shared_memory": "64MB"}),
    )
    for label, size, trial_settings in trials:
        outcome = _query_in_namespace(pg, base_conf, trial_settings, size, rows)
        lines.append(f"/dev/shm = {size // MIB} MiB ({label}): {outcome}")
    return lines


def _query_in_namespace(pg: PgServer, base_conf: str, settings: Mapping[str, str], shm_bytes: int, rows: int) -> str:
    pg.write_file("data/postgresql.conf", conf_text(base_conf, settings))
    server = as_server_user([str(pg.bindir / "postgres"), "-D", str(pg.datadir), "-k", str(pg.socket_dir),
                             "-p", str(pg.port), "-c", "listen_addresses="])
    inner = (f"mount -t tmpfs -o size={shm_bytes // 1024}k tmpfs /dev/shm && exec "
             + " ".join(shlex.quote(word) for word in server))
    log = open(pg.workdir / "shm.log", "w")  # noqa: SIM115 - closed below, after the server ends
    process = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", inner],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            ready = subprocess.run(client(pg, "pg_isready", "-d", "postgres"), capture_output=True, check=False)
            if ready.returncode == 0:
                break
            time.sleep(0.2)
        else:
            return "the server did not start"
        result = subprocess.run(
            client(pg, "psql", "-X", "-q", "-A", "-t", "-d", "postgres", "-c",
                   "EXPLAIN (ANALYZE, COSTS OFF) " + QUERY.format(n=rows)),
            capture_output=True, text=True, timeout=600, check=False,
        )
        if result.returncode != 0:
            return "ERROR " + result.stderr.strip().splitlines()[0].removeprefix("ERROR:").strip()
        parallel = "Parallel Hash" in result.stdout
        return "query succeeded" + (" (Parallel Hash Join)" if parallel else " (no parallel hash in the plan)")
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


# -------------------------------------------------------------------------------------- reporting


def mib(n: int) -> str:
    return f"{n / MIB:,.0f}"


def verdict(assessment: pgmemory.Assessment) -> str:
    if assessment.base_exceeds:  # the same order of checks as PG001
        return "error: shared memory" if assessment.shared_exceeds else "error: base"
    if assessment.too_large:
        return "error: " + assessment.too_large[0].label
    if assessment.overcommitted:
        return "warning: overcommit"
    return "fits"


def table(rows: Sequence[Row]) -> str:
    header = ("| configuration | limit | clients | plan | SHARED (server) | BASE | idle, measured | TYPICAL | WORST "
              "| peak, measured | per client: model | per client: measured | peak / TYPICAL | PG001 at the limit |")
    lines = [header, "|" + "|".join(["---"] * (header.count("|") - 1)) + "|"]
    for row in rows:
        a = row.assessment
        autovacuum = a.typical.terms[-1].bytes
        model_per_client = (a.typical.total - a.base.total - autovacuum) / row.clients
        measured_per_client = (row.peak.total - row.idle_total) / row.clients
        lines.append(
            f"| {row.calibration.name} | {row.calibration.limit} | {row.clients} | {row.plan} "
            f"| {mib(a.shared.total)} ({mib(row.server_shared)}) | {mib(a.base.total)} | {mib(row.idle_total)} "
            f"| {mib(a.typical.total)} | {mib(a.worst.total)} | {mib(row.peak.total)} "
            f"| {model_per_client / MIB:.1f} | {measured_per_client / MIB:.1f} "
            f"| {row.peak.total / a.typical.total:.2f} | {verdict(row.container)} |"
        )
    return "\n".join(lines)


def details(rows: Sequence[Row]) -> str:
    lines = []
    for row in rows:
        settings = ", ".join(f"{k}={v}" for k, v in row.calibration.settings.items() if k not in PARALLEL_COSTS)
        lines.append(
            f"- **{row.calibration.name}** ({row.calibration.note}): {settings or 'defaults'}; "
            f"{row.rows:,} rows per side; {row.transactions} queries; at the peak: private {mib(row.peak.private)} MiB, "
            f"shared memory {mib(row.peak.shmem)} MiB, page tables {mib(row.peak.page_tables)} MiB, "
            f"PSS {mib(row.peak.pss)} MiB, {row.peak.processes} processes; idle total {mib(row.idle_total)} MiB; "
            f"peak /dev/shm {mib(row.peak_dsm)} MiB"
            + (f"; pgbench errors: {'; '.join(row.errors)}" if row.errors else "")
        )
    return "\n".join(lines)


def custom_configuration(path: Path, limit: str, clients: int | None) -> Calibration:
    items, errors = parse_conf(path.read_text(encoding="utf-8"))
    if errors:
        raise SystemExit(f"{path}: {errors[0].message} (line {errors[0].line})")
    settings = {item.name: item.raw_value for item in items if isinstance(item, ConfEntry)}
    settings.pop("listen_addresses", None)  # the calibration server listens on a Unix socket only
    return Calibration(path.name, limit, settings, str(path), clients=clients)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", help="run only these built-in configurations")
    parser.add_argument("--conf", type=Path, help="calibrate this postgresql.conf instead")
    parser.add_argument("--limit", default="512M", help="the memory limit meant for --conf")
    parser.add_argument("--clients", type=int, help="pgbench clients for --conf (default: max_connections - 3)")
    parser.add_argument("--duration", type=int, default=40, help="seconds of pgbench per configuration")
    parser.add_argument("--output", type=Path, help="also write the report (Markdown) here")
    parser.add_argument("--skip-shm", action="store_true", help="skip the /dev/shm experiment")
    parser.add_argument("--shm-only", action="store_true", help="run only the /dev/shm experiment")
    args = parser.parse_args(argv)

    reason = unavailable_reason(15)
    if reason is not None:
        print(f"calibrate: {reason}", file=sys.stderr)
        return 2
    bindir = find_bindir(15)
    assert bindir is not None  # unavailable_reason said there is one
    missing = [tool for tool in ("pgbench", "psql", "pg_isready") if not (bindir / tool).exists()]
    if missing:
        print(f"calibrate: missing {', '.join(missing)} in {bindir}", file=sys.stderr)
        return 2
    if args.conf is not None:
        configurations = [custom_configuration(args.conf, args.limit, args.clients)]
    else:
        configurations = builtin_configurations()
        if args.config:
            configurations = [c for c in configurations if c.name in args.config]

    report: list[str] = []
    with PgServer() as pg:
        base_conf = (pg.datadir / "postgresql.conf").read_text(encoding="utf-8")
        print("creating the calibration tables (about a minute) ...", file=sys.stderr)
        create_data(pg, base_conf)
        rows = []
        for calibration in [] if args.shm_only else configurations:
            print(f"running {calibration.name} for {args.duration}s ...", file=sys.stderr)
            rows.append(run_one(pg, base_conf, calibration, args.duration))
        if rows:
            report += ["## Measured peak against the model (MiB)", "", table(rows), "", details(rows), ""]
        if not args.skip_shm and os.geteuid() == 0:
            print("running the /dev/shm experiment ...", file=sys.stderr)
            report += ["## One Parallel Hash against /dev/shm", "", *(f"- {line}" for line in shm_experiment(pg, base_conf)), ""]
        elif not args.skip_shm:
            report += ["(the /dev/shm experiment needs root for a private mount namespace; skipped)", ""]
    text = "\n".join(report)
    print(text)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
