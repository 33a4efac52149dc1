"""The shipped PostgreSQL data files against the server they describe.

settings-15.json must be exactly what scripts/gen_pg_settings.py produces from the installed server,
and defaults.json's PostgreSQL 15 column must be the server's own defaults.
"""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

from mcplint.models.pgconf import format_real, memory_defaults, parse_value, settings_table
from tests.pgserver import PgServer, unavailable_reason

REPO = Path(__file__).resolve().parents[1]
DATA = resources.files("mcplint") / "data" / "postgres"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_pg_settings", REPO / "scripts" / "gen_pg_settings.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return format_real(value)
    return str(value)


@pytest.mark.postgres
@pytest.mark.slow
def test_settings_table_is_what_the_generator_makes_from_the_installed_server(tmp_path: Path) -> None:
    reason = unavailable_reason(15)
    if reason is not None:
        pytest.skip(reason)
    generator = load_generator()
    output = tmp_path / "settings-15.json"
    assert generator.main(["--major", "15", "--output", str(output)]) == 0
    fresh = json.loads(output.read_text(encoding="utf-8"))
    shipped = json.loads((DATA / "settings-15.json").read_text(encoding="utf-8"))
    if fresh["server_version"] != shipped["server_version"]:
        pytest.skip(
            f"settings-15.json was generated from {shipped['server_version']!r} but the installed server is "
            f"{fresh['server_version']!r}: run scripts/gen_pg_settings.py to compare minor versions"
        )
    assert output.read_text(encoding="utf-8") == (DATA / "settings-15.json").read_text(encoding="utf-8")


# Parameters whose value at start-up is not their boot value: paths of this cluster, values the server
# computes from the platform or from other settings.
STARTUP_COMPUTED = {
    "config_file", "data_directory", "hba_file", "ident_file",  # this cluster's paths
    "max_stack_depth",  # raised towards the platform's stack limit
    "timezone_abbreviations",  # installed by the server at start-up
    "shared_memory_size", "shared_memory_size_in_huge_pages",  # computed from the other settings
}


@pytest.mark.postgres
def test_boot_defaults_in_the_table_are_what_the_server_starts_with(server: PgServer) -> None:
    # With an empty configuration file nothing overrides the boot values.
    empty = server.write_file("empty.conf", "")
    table = settings_table(15)
    names = sorted(set(table) - STARTUP_COMPUTED)
    results = server.show_many([(name, ["-c", f"config_file={empty}"]) for name in names])
    mismatches = [
        f"{name}: table {table[name].default!r}, server {result.value!r} {result.error or ''}"
        for name, result in zip(names, results, strict=True)
        if not result.ok or shown(table[name].default) != result.value
    ]
    assert not mismatches, "\n".join(mismatches)


def test_defaults_file_covers_every_major_and_cites_sources() -> None:
    data = json.loads((DATA / "defaults.json").read_text(encoding="utf-8"))
    majors = [str(m) for m in range(13, 19)]
    assert data["majors"] == majors
    assert set(data["sources"]) == set(majors)
    expected = {
        "shared_buffers", "wal_buffers", "work_mem", "hash_mem_multiplier", "maintenance_work_mem",
        "autovacuum_work_mem", "autovacuum_max_workers", "temp_buffers", "logical_decoding_work_mem",
        "max_connections", "max_worker_processes", "max_parallel_workers", "max_parallel_workers_per_gather",
        "max_parallel_maintenance_workers", "max_locks_per_transaction", "max_prepared_transactions",
        "min_dynamic_shared_memory", "effective_cache_size", "huge_pages", "dynamic_shared_memory_type",
    }
    assert set(data["parameters"]) == expected
    table = settings_table(15)
    for name, entry in data["parameters"].items():
        assert entry["source"], name
        assert set(entry["values"]) == set(majors), name
        for major, raw in entry["values"].items():
            if raw is not None:
                parse_value(table[name], raw)  # every default is a valid value in the server's grammar
    # Facts from the research table (§B2.2) that distinguish majors.
    assert memory_defaults(13)["hash_mem_multiplier"] == "1.0"
    assert memory_defaults(15)["hash_mem_multiplier"] == "2.0"
    assert "min_dynamic_shared_memory" not in memory_defaults(13)
    assert memory_defaults(12) == memory_defaults(13) and memory_defaults(19) == memory_defaults(18)


def test_defaults_for_15_equal_the_generated_table() -> None:
    table = settings_table(15)
    for name, raw in memory_defaults(15).items():
        assert parse_value(table[name], raw) == table[name].default, name


@pytest.mark.postgres
def test_defaults_for_15_equal_what_an_initdb_cluster_runs_with(server: PgServer) -> None:
    # The official image runs initdb; the cluster's own postgresql.conf then applies.
    names = sorted(memory_defaults(15))
    results = server.show_many([(name, []) for name in names])
    table = settings_table(15)
    for name, result in zip(names, results, strict=True):
        assert result.ok, result.output
        assert shown(parse_value(table[name], memory_defaults(15)[name])) == result.value, name
