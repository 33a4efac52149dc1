"""A postgresql.conf mounted into a Postgres container that the server never reads.

## What it does
For each Postgres service, looks at the files it bind-mounts whose name says they are a Postgres
configuration (`postgresql.conf`, `postgres.conf`, `my-postgres.conf`; not `pg_hba.conf` or
`pg_ident.conf`), or a mounted directory holding a `postgresql.conf`, and reports each one the server
does not read: it is neither the file named by `-c config_file=…`, nor the data directory's own
`postgresql.conf` (`$PGDATA/postgresql.conf`), nor the image's `postgresql.conf.sample` that initdb
copies, nor included by the file the server reads.

## Why is this bad?
The official image starts `postgres` with the `postgresql.conf` that initdb generated in the data
directory. A file mounted at `/etc/postgresql/postgresql.conf` — the path the image's documentation
uses — is only read when the command says `-c config_file=/etc/postgresql/postgresql.conf`. Without
it every setting in the file is silently ignored: the memory settings someone tuned for the
container's limit are not the ones that run.

## Example
```yaml
services:
  db:
    image: postgres:16
    volumes:
      - ./postgresql.conf:/etc/postgresql/postgresql.conf:ro
```

## Use instead
```yaml
services:
  db:
    image: postgres:16
    command: postgres -c config_file=/etc/postgresql/postgresql.conf
    volumes:
      - ./postgresql.conf:/etc/postgresql/postgresql.conf:ro
```

## Fix safety
The fix adds `-c config_file=<mount target>` to `command:` (keeping the flags already there), or
writes `command: postgres -c config_file=…` when there is none. It is unsafe: from then on the server
runs with the mounted file's settings instead of the generated ones. The generated file sets
`listen_addresses = '*'`, which the image relies on for connections from other containers; when the
mounted file does not set `listen_addresses`, the fix adds `-c listen_addresses=*` as well, so the
server stays reachable. Other generated lines (locale and time-zone settings) fall back to the
server's defaults unless the mounted file sets them. There is no fix when `config_file` already names
another file: which of the two is meant is the author's call.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from mcplint.diagnostics import Diagnostic, Fix, Severity
from mcplint.models.pgconf import ConfEntry, parse_conf
from mcplint.models.postgres import (
    SAMPLE_PATHS,
    PostgresService,
    command_additions,
    postgres_services,
)
from mcplint.project import Project
from mcplint.registry import Context, FixAvailability, Rule, Scope

RULE = Rule(
    code="PG003", name="postgres-config-unused", scope=Scope.PROJECT, severity=Severity.WARNING,
    fix=FixAvailability.SOMETIMES, tags=("postgres", "configuration"),
)  # fmt: skip

_NOT_THE_CONFIG = ("pg_hba.conf", "pg_ident.conf")


def _looks_like_postgres_conf(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(".conf") and "postgres" in lowered and lowered not in _NOT_THE_CONFIG


def candidates(pg: PostgresService) -> Iterator[tuple[str, object]]:
    """(container path, mount) of every mounted file that looks like a postgresql.conf."""
    files = pg.workspace
    for mount in pg.bind_mounts:
        target = posixpath.normpath(mount.target)
        host = mount.host_path
        if files.is_file(host):
            source_name = posixpath.basename(mount.source or "")
            if target in SAMPLE_PATHS or target.endswith(".sample"):
                continue
            if _looks_like_postgres_conf(posixpath.basename(target)) or _looks_like_postgres_conf(source_name):
                yield target, mount
        elif files.is_dir(host) and files.is_file(host / "postgresql.conf"):
            yield posixpath.join(target, "postgresql.conf"), mount


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    for pg in postgres_services(project):
        config = pg.config_file
        if pg.command is None or config.kind == "unknown":
            continue
        read = {str(path) for path in pg.conf.files} if pg.conf is not None else set()
        if config.container_path:
            read.add(posixpath.normpath(config.container_path))
        for target, mount in candidates(pg):
            if target in read:
                continue
            yield ctx.report(
                mount.span,
                f"`{target}` is mounted into Postgres service `{pg.name}`, but the server never reads it: "
                f"it reads {config.reason}",
                fix=_fix(pg, target),
            )


def _fix(pg: PostgresService, target: str) -> Fix | None:
    settings, _ = pg.arguments
    if any(setting.name == "config_file" for setting in settings):
        return None
    words = ["-c", f"config_file={target}"]
    source = pg.source_of(target)
    if source is not None and not _sets_listen_addresses(source.text):
        words += ["-c", "listen_addresses=*"]
    edit = command_additions(pg, tuple(words))
    if edit is None:
        return None
    return Fix.unsafe(f"Read it: add `{' '.join(words)}` to `command:`", edit)


def _sets_listen_addresses(text: str) -> bool:
    items, _ = parse_conf(text)
    return any(isinstance(item, ConfEntry) and item.name == "listen_addresses" for item in items)
