"""RES002 and the Postgres rules against their real oracles.

- Every configuration a fix in rules/PG001.yml, PG003.yml or PG004.yml produces starts a real
  PostgreSQL 15 (as the `postgres` user, through tests/pgserver.py), runs with exactly the values the
  memory model assumed (read back from pg_settings), and reports no PG001 afterwards.
- PG004's verdicts are the server's: a case with findings is a configuration `postgres` refuses, a
  case without is one it accepts.
- Every Compose file a fix of RES002 or a PG rule writes passes `docker-compose config`; and each
  RES002 finding says "Compose refuses" exactly when docker-compose does refuse the project.
- The mission's monorepo (examples/mcp-monorepo) gets its verdict; the corpus gets no finding.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mcplint.config import ConfigResolver, Overrides
from mcplint.diagnostics import Applicability, Severity
from mcplint.discovery import discover
from mcplint.engine import fix, lint
from mcplint.models import pgmemory
from mcplint.models.pgconf import lookup, parse_value
from mcplint.models.postgres import PostgresService, postgres_services
from mcplint.project import load_inputs
from mcplint.workspace import Workspace
from tests.compose_oracle import COMPOSE_BINARY, compose_config, requires_compose
from tests.pgserver import PgServer

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "rules"
CORPUS = ROOT.parent / "shared" / "corpus"


def cases(code: str) -> list[dict]:
    document = YAML(typ="safe", pure=True).load((RULES_DIR / f"{code}.yml").read_text(encoding="utf-8"))
    return document["cases"]


def fixed_cases(*codes: str) -> list:
    return [pytest.param(code, case, id=f"{code}-{case['name']}") for code in codes for case in cases(code)
            if "fixed" in case]


def write_files(root: Path, case: dict, fixed: bool) -> None:
    files = dict(case["files"])
    if fixed:
        files.update(case.get("fixed") or {})
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run(root: Path, *codes: str, threshold: Applicability | None = None):  # noqa: ANN201 - LintResult or FixOutcome
    resolver = ConfigResolver(overrides=Overrides(select=codes), isolated=True)
    discovered = discover([root], resolver)
    return lint(discovered, resolver) if threshold is None else fix(discovered, resolver, threshold)


def services_of(root: Path) -> list[PostgresService]:
    workspace = Workspace()
    compose_files = [p for p in root.rglob("*") if p.name in ("compose.yaml", "docker-compose.yml")]
    inputs = load_inputs(workspace, [], compose_files)
    return [pg for project in inputs.projects for pg in postgres_services(project)]


# -- fixed configurations on a real server -----------------------------------------------------------


def server_arguments(pg: PostgresService, server: PgServer, mirror: Path) -> list[str]:
    """The service's command line for the test server: its files mirrored below `mirror`, and no
    listen_addresses (the test server listens on a Unix socket only)."""
    assert pg.command is not None
    words = list(pg.command.argv[1:])
    arguments: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        value = words[index + 1] if word == "-c" and index + 1 < len(words) else None
        if value is not None and value.startswith("listen_addresses="):
            index += 2
            continue
        if value is not None and value.startswith("config_file="):
            arguments += ["-c", f"config_file={mirror}{value.split('=', 1)[1]}"]
            index += 2
            continue
        arguments.append(word)
        index += 1
    return arguments


def mirror_files(pg: PostgresService, server: PgServer) -> Path:
    """Copy every file the service's server reads to the same path below a directory of the test server."""
    mirror = server.workdir / "container"
    shutil.rmtree(mirror, ignore_errors=True)
    for container_path in (pg.conf.files if pg.conf is not None else ()):
        source = pg.source_of(container_path)
        assert source is not None
        server.write_file(Path("container") / str(container_path).lstrip("/"), source.text)
    return mirror


@pytest.mark.postgres
@pytest.mark.parametrize(("code", "case"), fixed_cases("PG001", "PG003", "PG004"))
def test_fixed_configuration_runs_on_a_real_server(server: PgServer, tmp_path: Path, code: str, case: dict) -> None:
    write_files(tmp_path, case, fixed=True)
    assert not [d for d in run(tmp_path, "PG001").diagnostics if d.code == "PG001"], "PG001 after the fix"
    postgres = services_of(tmp_path)
    assert postgres, "the case has no Postgres service"
    newer = sorted({o.name for pg in postgres for o in (*pg.file_occurrences, *pg.argument_occurrences)
                    if lookup(o.name, 15) is None and "." not in o.name})
    if newer:
        pytest.skip(f"{newer} do not exist in PostgreSQL 15, the test server")
    for pg in postgres:  # the memory settings of 13-18 are all PostgreSQL 15's, so 15 runs them
        assert pg.settings_known, f"{pg.name}: {pg.config_file.reason}"
        mirror = mirror_files(pg, server)
        arguments = server_arguments(pg, server, mirror)
        server.restore_conf()
        started, log = server.start(None, arguments)
        try:
            assert started, f"{pg.name} with {arguments}:\n{log[-3000:]}"
            rows = server.psql("SELECT name, setting FROM pg_settings WHERE name IN ("
                               + ", ".join(f"'{name}'" for name in pgmemory.MODEL_SETTINGS) + ")")
        finally:
            server.stop()
        running = dict(line.split("|", 1) for line in rows.splitlines() if "|" in line)
        assert set(running) == set(pgmemory.MODEL_SETTINGS), rows
        for name, shown in running.items():
            spec = lookup(name, 15)
            assert spec is not None
            modelled = parse_value(spec, pg.setting(name).raw)
            if name == "wal_buffers" and modelled == -1:  # the server derives it at start, as the model does
                modelled = pgmemory.wal_buffers_bytes(pg.memory_inputs) // (8 * 1024)  # type: ignore[arg-type]
            server_value = parse_value(spec, shown)
            assert server_value == modelled, f"{name}: the server runs {shown}, the model assumed {pg.setting(name).raw}"


@pytest.mark.postgres
@pytest.mark.parametrize("case", [c for c in cases("PG004") if "postgres:15" in c["files"]["compose.yaml"]],
                         ids=lambda c: c["name"])
def test_pg004_agrees_with_the_server(server: PgServer, tmp_path: Path, case: dict) -> None:
    write_files(tmp_path, case, fixed=False)
    findings = [d for d in run(tmp_path, "PG004").diagnostics if d.code == "PG004"]
    (pg,) = services_of(tmp_path)
    mirror = mirror_files(pg, server)
    for include in ("tuning.conf",):  # a mounted file missing on the host is missing in the container
        (mirror / "etc/postgresql" / include).unlink(missing_ok=True)
    arguments = server_arguments(pg, server, mirror)
    if pg.config_file.kind == "data-directory":
        server.write_file("data/postgresql.conf", pg.source_of(pg.config_file.container_path).text)  # type: ignore[arg-type,union-attr]
    else:
        server.restore_conf()
    try:
        result = server.show("work_mem", arguments)
    finally:
        server.restore_conf()
    assert result.ok == (not findings), f"server: {result.output[-1500:]}\nPG004: {[d.message for d in findings]}"


# -- docker-compose ----------------------------------------------------------------------------------


def _compose_dir(tmp_path: Path, case: dict, fixed: bool) -> Path:
    root = tmp_path / ("fixed" if fixed else "original")
    write_files(root, case, fixed)
    return root


def _docker_compose_config(root: Path) -> subprocess.CompletedProcess[str]:
    assert COMPOSE_BINARY is not None
    return subprocess.run(
        [str(COMPOSE_BINARY), "-f", "compose.yaml", "--project-directory", str(root), "config"],
        cwd=root, env={"PATH": os.environ.get("PATH", "")}, capture_output=True, text=True, timeout=60, check=False,
    )


@requires_compose
@pytest.mark.parametrize(("code", "case"), [p for p in fixed_cases("RES002", "PG001", "PG002", "PG003", "PG004")
                                             if "compose.yaml" in p.values[1]["fixed"]])
def test_fixed_compose_files_pass_docker_compose(tmp_path: Path, code: str, case: dict) -> None:
    root = _compose_dir(tmp_path, case, fixed=True)
    result = _docker_compose_config(root)
    assert result.returncode == 0, result.stderr


RES002_ORACLE = [
    # (service body, Compose refuses the project)
    ("mem_limit: 512Mi", True),
    ("shm_size: 1Gi", True),
    ("deploy: {resources: {limits: {memory: 2Gi}}}", True),
    ("deploy: {resources: {reservations: {memory: '256  MiB'}}}", True),
    ("mem_limit: 256m\ndeploy: {resources: {limits: {memory: 512M}}}", True),
    ("mem_reservation: 64m\ndeploy: {resources: {reservations: {memory: 128M}}}", True),
    ("mem_limit: 512", False),
    ("mem_limit: 1g\nmemswap_limit: 512m", False),
    ("memswap_limit: 1g", False),
    ("deploy: {resources: {limits: {memory: 256M}, reservations: {memory: 1G}}}", False),
    ("mem_limit: 512m\nshm_size: 1g", False),
]


@requires_compose
@pytest.mark.parametrize(("body", "compose_refuses"), RES002_ORACLE, ids=[b for b, _ in RES002_ORACLE])
def test_res002_says_compose_refuses_exactly_when_it_does(tmp_path: Path, body: str, compose_refuses: bool) -> None:
    text = "services:\n  a:\n    image: nginx:1.27\n" + "".join(f"    {line}\n" for line in body.splitlines())
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    findings = [d for d in run(tmp_path, "RES002").diagnostics if d.code == "RES002"]
    assert len(findings) == 1, [d.message for d in findings]
    said = "Compose refuses" in findings[0].message or "not a byte size Compose accepts" in findings[0].message
    oracle = compose_config(tmp_path / "oracle", text)
    assert said == compose_refuses == (oracle.returncode != 0), oracle.stderr


@requires_compose
def test_a_fractional_yaml_number_is_dropped_by_compose(tmp_path: Path) -> None:
    text = "services:\n  a:\n    image: nginx:1.27\n    mem_limit: 1.5\n"
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    (finding,) = [d for d in run(tmp_path, "RES002").diagnostics if d.code == "RES002"]
    assert "ignores non-integer YAML numbers" in finding.message
    assert "mem_limit" not in compose_config(tmp_path / "oracle", text).service("a")


@requires_compose
def test_kubernetes_suffixes_in_memory_keys(tmp_path: Path) -> None:
    """mem_limit and shm_size with `Mi`/`Gi`, which Compose refuses: RES002 reports them with the
    reason, and its fix gives the value Compose reads as intended."""
    text = "services:\n  db:\n    image: postgres:16\n    mem_limit: 512Mi   # MiB\n    shm_size: \"1Gi\"\n"
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    findings = sorted((d.start_location, d.severity) for d in run(tmp_path, "RES002").diagnostics if d.code == "RES002")
    assert findings == [((4, 16), Severity.ERROR), ((5, 15), Severity.ERROR)]
    outcome = run(tmp_path, "RES002", threshold=Applicability.SAFE)
    (fixed,) = outcome.changed.values()
    assert fixed.text == "services:\n  db:\n    image: postgres:16\n    mem_limit: 512M   # MiB\n    shm_size: \"1G\"\n"
    service = compose_config(tmp_path / "oracle", fixed.text).service("db")
    assert (int(service["mem_limit"]), int(service["shm_size"])) == (512 * 1024**2, 1024**3)


# -- the mission and the corpus ----------------------------------------------------------------------


def test_the_missions_monorepo_gets_its_verdict() -> None:
    example = ROOT / "examples" / "mcp-monorepo"
    findings = [d for d in run(example, "PG001").diagnostics if d.code == "PG001"]
    assert [(d.path.name, d.start_location, d.severity) for d in findings] == [
        ("postgresql.conf", (4, 1), Severity.WARNING)
    ]
    detail = findings[0].detail or ""
    for line in ("memory limit: 512M (512 MiB)", "shared_buffers = 128MB (postgresql.conf:3)",
                 "work_mem = 4MB (postgresql.conf:4)", "max_connections = 50 (postgresql.conf:7)",
                 "maintenance_work_mem = 32MB (postgresql.conf:6)", "SHARED = ", "BASE = ", "TYPICAL = ", "WORST = "):
        assert line in detail, f"{line!r} missing from the breakdown:\n{detail}"


@pytest.mark.corpus
def test_the_corpus_has_postgres_without_limits_and_no_finding() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is not here")
    result = run(CORPUS, "RES002", "PG001", "PG002", "PG003", "PG004")
    assert not result.internal_errors, result.internal_errors
    assert [d for d in result.diagnostics if d.code != "MC001"] == []
    found = services_of(CORPUS)
    assert found, "the corpus has Postgres services (voting app, awesome-compose)"
    assert all(pg.memory_limit is None for pg in found)


# -- which images are Postgres, and which version ----------------------------------------------------

# Tag conventions from the images' Docker Hub pages: postgres `<major>[.<minor>][-<variant>]`,
# postgis/postgis `<pg major>-<postgis version>[-alpine]`, timescale/timescaledb `<version>-pg<major>`.
IMAGES = [
    ("postgres:15-alpine", ("postgres", 15)),
    ("postgres:16.4-bookworm", ("postgres", 16)),
    ("postgres:9.6", ("postgres", 9)),
    ("postgres", ("postgres", None)),
    ("postgres:latest", ("postgres", None)),
    ("postgres:alpine", ("postgres", None)),
    ("docker.io/library/postgres:17", ("postgres", 17)),
    ("public.ecr.aws/docker/library/postgres:14-alpine", ("postgres", 14)),
    ("postgis/postgis:16-3.4-alpine", ("postgis/postgis", 16)),
    ("timescale/timescaledb:2.14.2-pg15", ("timescale/timescaledb", 15)),
    ("timescale/timescaledb:latest-pg16", ("timescale/timescaledb", 16)),
    ("timescale/timescaledb-ha:pg16", None),
    ("bitnami/postgresql:16", None),
    ("mysql:8", None),
]


@pytest.mark.parametrize(("reference", "expected"), IMAGES, ids=[r for r, _ in IMAGES])
def test_postgres_images_and_their_major(reference: str, expected: tuple[str, int | None] | None) -> None:
    from mcplint.models.postgres import classify_image

    assert classify_image(reference) == expected


def test_a_built_postgres_is_known_through_buildkits_last_stage_of_a_name(tmp_path: Path) -> None:
    """BuildKit's stage-name map keeps the last stage of a repeated name: `FROM db` here is 16."""
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    build: .\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text(
        "FROM postgres:15 AS db\nFROM postgres:16-alpine AS db\nFROM db\nRUN echo built\n", encoding="utf-8"
    )
    (pg,) = services_of(tmp_path)
    assert (pg.image.reference, pg.image.major) == ("postgres:16-alpine", 16)
