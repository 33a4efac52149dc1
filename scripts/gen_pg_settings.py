"""Generate mcplint/data/postgres/settings-<major>.json from a real PostgreSQL server.

Usage: python scripts/gen_pg_settings.py [--major 15] [--output PATH]

Three questions are put to the server, because no single one answers everything:

1. `postgres --describe-config` lists the parameters a configuration file is meant to set, with
   context, type, min and max. In PostgreSQL 15 it prints no unit and no enum values, its "default"
   column is not the boot value (it reads the variable before the defaults are installed: 0/FALSE for
   everything), and it leaves out internal and hidden parameters.
2. A running server's `pg_settings` has every visible parameter with unit, min, max, boot value and
   the documented enum values. It is the table's primary source; every parameter that
   describe-config lists must appear there with the same context, type, min and max (the script
   stops if not).
3. Enums also accept undocumented spellings ("hidden" entries in the server's option tables:
   `huge_pages = yes`, `wal_level = hot_standby`, `client_min_messages = debug`). They appear nowhere
   in pg_settings, so each enum is probed with `postgres -C name -c name=<spelling>` for the spellings
   the server hides (on/off/true/false/yes/no/1/0, debug, info, archive, hot_standby); an accepted
   spelling is recorded with the value the server reports for it.

Parameters of extensions (names with a dot) are left out: they are not part of the core server.
Four GUC_NO_SHOW_ALL parameters (role, is_superuser, seed, session_authorization) are not in
pg_settings and so not in the table; a configuration file cannot set them anyway except `seed`.
The output is deterministic: sorted keys, one parameter per key, numbers as JSON numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.pgserver import PgServer, find_bindir, unavailable_reason  # noqa: E402

DEFAULT_OUTPUT = REPO / "mcplint" / "data" / "postgres" / "settings-{major}.json"

# pg_settings and describe-config print reals with %g, which turns DBL_MAX into this string.
_PRINTED_DBL_MAX = "1.79769e+308"
_DESCRIBE_TYPES = {"BOOLEAN": "bool", "INTEGER": "integer", "REAL": "real", "STRING": "string",
                   "ENUM": "enum"}
# The spellings PostgreSQL keeps as hidden enum entries (guc_tables.c / guc.c option arrays).
_HIDDEN_ENUM_CANDIDATES = ("on", "off", "true", "false", "yes", "no", "1", "0", "debug", "info", "archive",
                           "hot_standby")

_SETTINGS_QUERY = """
select json_agg(json_build_object(
    'name', name, 'context', context, 'vartype', vartype, 'unit', unit,
    'min_val', min_val, 'max_val', max_val, 'boot_val', boot_val, 'enumvals', enumvals)
    order by name)
from pg_settings where name not like '%.%'
"""


def _number(text: str | None, vartype: str) -> int | float | None:
    if text is None or text == "":
        return None
    if vartype == "integer":
        return int(text)
    if text == _PRINTED_DBL_MAX:
        return sys.float_info.max
    if text == "-" + _PRINTED_DBL_MAX:
        return -sys.float_info.max
    return float(text)


def _default(row: dict[str, Any]) -> bool | int | float | str | None:
    boot = row["boot_val"]
    vartype = row["vartype"]
    if boot is None:
        return None
    if vartype == "bool":
        return boot == "on"
    if vartype in ("integer", "real"):
        return _number(boot, vartype)
    return boot


def parse_describe_config(text: str) -> dict[str, dict[str, str]]:
    """name → {context, vartype, min, max} from `postgres --describe-config` (tab-separated)."""
    described = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) < 7:
            continue
        name, context, _group, vartype, _broken_default, minimum, maximum = fields[:7]
        described[name.lower()] = {
            "context": context,
            "vartype": _DESCRIBE_TYPES[vartype],
            "min": minimum,
            "max": maximum,
        }
    return described


def _check_agreement(table: dict[str, dict[str, Any]], described: dict[str, dict[str, str]]) -> None:
    problems = []
    for name, info in sorted(described.items()):
        entry = table.get(name)
        if entry is None:
            problems.append(f"{name}: in --describe-config but not in pg_settings")
            continue
        if (entry["context"], entry["vartype"]) != (info["context"], info["vartype"]):
            problems.append(f"{name}: context/type {entry['context']}/{entry['vartype']} vs {info}")
        for bound in ("min", "max"):
            if _number(info[bound], entry["vartype"]) != entry[bound]:
                problems.append(f"{name}: {bound} {entry[bound]!r} vs describe-config {info[bound]!r}")
    if problems:
        raise RuntimeError("pg_settings and --describe-config disagree:\n" + "\n".join(problems))


def _enum_spellings(server: PgServer, table: dict[str, dict[str, Any]]) -> list[str]:
    """Fill each enum's spelling → shown value map; returns documented values the server rejected."""
    requests = []
    for name, entry in table.items():
        if entry["vartype"] != "enum":
            continue
        entry["enum_spellings"] = {}
        documented = {value.lower(): value for value in entry["enumvals"]}
        candidates = {**{spelling: spelling for spelling in _HIDDEN_ENUM_CANDIDATES}, **documented}
        requests += [(name, key, spelling) for key, spelling in sorted(candidates.items())]
    results = server.show_many([(name, ["-c", f"{name}={spelling}"]) for name, _, spelling in requests])
    rejected = []
    for (name, key, spelling), result in zip(requests, results, strict=True):
        if result.ok and result.value is not None:
            table[name]["enum_spellings"][key] = result.value
        elif spelling in table[name]["enumvals"]:
            rejected.append(f"{name}={spelling}: {result.error}")
    for entry in table.values():
        spellings = entry.get("enum_spellings")
        # transaction_isolation shows "read committed" whatever -c says (it only applies inside a
        # transaction): a display that never changes says nothing about the spelling it was given.
        if spellings and len(entry["enumvals"]) > 1 and len(set(spellings.values())) == 1:
            entry["enum_spellings"] = {key: key for key in spellings}
            entry["enum_spellings"].update({value.lower(): value for value in entry["enumvals"]})
    return rejected


def generate(bindir: Path | None = None, major: int = 15) -> dict[str, Any]:
    with PgServer(bindir, major=major) as server:
        described = parse_describe_config(server.describe_config())
        started, log = server.start()
        if not started:
            raise RuntimeError(f"could not start the server:\n{log}")
        rows = json.loads(server.psql(_SETTINGS_QUERY))
        server.stop()
        table: dict[str, dict[str, Any]] = {}
        for row in rows:
            vartype = row["vartype"]
            table[row["name"].lower()] = {
                "name": row["name"],
                "context": row["context"],
                "vartype": vartype,
                "unit": row["unit"],
                "min": _number(row["min_val"], vartype),
                "max": _number(row["max_val"], vartype),
                "default": _default(row),
                "enumvals": row["enumvals"],
                "enum_spellings": None,
            }
        _check_agreement(table, described)
        rejected = _enum_spellings(server, table)
        return {
            "major": major,
            "server_version": server.version(),
            "source": "pg_settings of a running server, checked against postgres --describe-config; "
            "enum_aliases probed with postgres -C (scripts/gen_pg_settings.py)",
            "parameters": table,
            "documented_enum_values_rejected": rejected,
        }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--major", type=int, default=15)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    reason = unavailable_reason(args.major)
    if reason is not None:
        print(reason, file=sys.stderr)
        return 2
    bindir = find_bindir(args.major)
    output = args.output or Path(str(DEFAULT_OUTPUT).format(major=args.major))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(generate(bindir, args.major)), encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
