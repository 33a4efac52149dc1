"""A Postgres setting the server rejects: unknown name, wrong unit, value out of range, broken file.

## What it does
Checks every setting a Postgres service's server reads — each line of the mounted `postgresql.conf`
it really reads and of the files that includes, and each `-c name=value`, `--name=value`, `-B`, `-N`,
`-S` flag of its command line — with the server's own rules (the parameter table is generated from a
real PostgreSQL 15 with `postgres --describe-config`):

- an unknown parameter, with the name you probably meant (`shared_buffer` → `shared_buffers`);
  names with a dot (`pg_stat_statements.max`) belong to extensions and are not checked, and for
  major versions other than 15 unknown names are not reported (a newer version may have them);
- a value the server cannot read: a unit in the wrong case (`1gb`: units are case-sensitive,
  `B kB MB GB TB`, `us ms s min h d`), a unit on a parameter that takes none, a number out of range;
- a syntax error in the file, an `include` that names a missing file, and a command line the server
  refuses (`invalid option`, `-c name` without a value).

As the server does, only the last of several lines setting the same parameter is validated; a file's
value is validated even when a `-c` flag overrides it.

## Why is this bad?
The server refuses to start: `FATAL: configuration file "…" contains errors`, or `invalid value for
parameter`. In a container that is a restart loop, found at deploy time.

## Example
```
shared_buffers = 1gb
work_mem = 4MB
efective_cache_size = 3GB
```

## Use instead
```
shared_buffers = 1GB
work_mem = 4MB
effective_cache_size = 3GB
```

## Fix safety
The only fix is for a unit in the wrong case (`1gb` → `1GB`, `100MS` → `100ms`), offered when the
corrected value is in range; it is safe, since the value can only have meant that. A misspelled name
has no fix: the suggestion may be wrong, and a second guess could silently change another setting.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity
from mcplint.models.pgconf import (
    MEMORY_UNITS_HINT,
    TIME_UNITS_HINT,
    PgValueError,
    has_exact_table,
    lookup,
    parse_value,
    suggest_name,
)
from mcplint.models.postgres import PostgresService, SettingSource, postgres_services
from mcplint.project import Project
from mcplint.registry import Context, FixAvailability, Rule, Scope

RULE = Rule(
    code="PG004", name="postgres-setting-invalid", scope=Scope.PROJECT, severity=Severity.ERROR,
    fix=FixAvailability.SOMETIMES, tags=("postgres", "configuration"),
)  # fmt: skip

_UNITS = {MEMORY_UNITS_HINT: ("B", "kB", "MB", "GB", "TB"), TIME_UNITS_HINT: ("us", "ms", "s", "min", "h", "d")}
_NUMBER_AND_UNIT = re.compile(r"(\s*[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?\s*)([A-Za-z]+)(\s*)")


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    for pg in postgres_services(project):
        if pg.command is None:
            continue
        _, argument_problems = pg.arguments
        for problem in argument_problems:
            span = pg.command.node_span
            if span is not None and pg.command.written:
                yield ctx.report(span, f"Postgres in service `{pg.name}` refuses its command line: {problem}")
        for problem in pg.conf_problems:
            yield ctx.report(problem.span, f"Postgres in service `{pg.name}` cannot read its configuration: {problem.message}")
        last_in_files = {occurrence.name: occurrence for occurrence in pg.file_occurrences}
        for occurrence in (*pg.file_occurrences, *pg.argument_occurrences):
            if occurrence.span is None:
                continue
            yield from _check_one(pg, occurrence, last_in_files, ctx)


def _check_one(pg: PostgresService, occurrence: SettingSource, last_in_files: dict[str, SettingSource],
               ctx: Context) -> Iterator[Diagnostic]:
    name = occurrence.name
    if "." in name:
        return  # a custom (extension) parameter: the server accepts any value for a placeholder
    spec = lookup(name, pg.major)
    if spec is None:
        if has_exact_table(pg.major):
            suggestion = suggest_name(name, pg.major)
            hint = f"; did you mean `{suggestion}`?" if suggestion else ""
            span = occurrence.name_span if occurrence.kind == "file" else occurrence.span
            yield ctx.report(span or occurrence.span,  # type: ignore[arg-type]
                             f"Unknown Postgres parameter `{name}` ({occurrence.where}){hint}")
        return
    if occurrence.kind == "file" and last_in_files.get(name) is not occurrence:
        return  # an earlier line for the same name: the server ignores it without reading the value
    try:
        parse_value(spec, occurrence.raw)
    except PgValueError as error:
        hint = f" ({error.hint})" if error.hint else ""
        yield ctx.report(
            occurrence.value_span or occurrence.span,  # type: ignore[arg-type]
            f"Postgres rejects `{name} = {occurrence.raw}` ({occurrence.where}): {error.message}{hint}",
            fix=_unit_fix(spec, occurrence, error),
        )


def _unit_fix(spec, occurrence: SettingSource, error: PgValueError) -> Fix | None:
    units = _UNITS.get(error.hint or "")
    match = _NUMBER_AND_UNIT.fullmatch(occurrence.raw)
    if units is None or match is None or occurrence.value_span is None or not occurrence.value_exact:
        return None
    written = match[2]
    meant = [unit for unit in units if unit.lower() == written.lower()]
    if len(meant) != 1 or meant[0] == written:
        return None
    corrected = match[1] + meant[0] + match[3]
    try:
        parse_value(spec, corrected)
    except PgValueError:
        return None  # right unit, but out of range: the number is wrong too
    span = occurrence.value_span
    offset = span.text.find(occurrence.raw)
    if offset < 0:
        return None
    unit_start = span.start + offset + match.start(2)
    edit = Edit(span.source, unit_start, unit_start + len(written), meant[0])
    return Fix.safe(f"Write the unit as `{meant[0]}`", edit)
